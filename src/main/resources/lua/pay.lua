-- pay: pays a pending order if and only if its deadline has not passed; an order found past its
-- deadline is expired right here, so pay and expire can never both win.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 the order id, 2 the user who pays ('' = anyone).
-- Answers PAY.PAID, PAY.ALREADY_PAID, PAY.UNKNOWN, PAY.EXPIRED, PAY.NOT_YOURS or PAY.VOIDED.
--#include names orders sale_keys give_back

local id = ARGV[1]
local o = unpack_order(redis.call('HGET', ORDERS, id))
if not o then return PAY.UNKNOWN end
if ARGV[2] ~= '' and ARGV[2] ~= o[USER] then return PAY.NOT_YOURS end
if o[STATE] == PAID_STATE then return PAY.ALREADY_PAID end
if o[STATE] == VOIDED_STATE then return PAY.VOIDED end
if o[STATE] ~= PENDING_STATE then return PAY.EXPIRED end
local now = now_ms()
if now > tonumber(o[DEADLINE]) then
  give_back(id, o, EXPIRED_STATE, EXPIRED, now)
  return PAY.EXPIRED
end
o[STATE], o[CLOSED] = PAID_STATE, string.format('%d', now)
redis.call('HSET', ORDERS, id, pack_order(o))
redis.call('ZREM', PENDING, id)
redis.call('HINCRBY', STOCK, PAID, 1)
event(STREAM, PAID_STATE, id, o)
return PAY.PAID
