-- start_payment: starts paying a pending order before its deadline: a payment of ARGV[4], bound to
-- the order and that amount, which only the payment provider's signed word (confirm_payment.lua)
-- turns into a paid order. An order whose payment has started already answers that payment, so a
-- buyer who asks again pays once. An order found past its deadline is expired right here, as the
-- sweep would.
--
-- KEYS: the sale's (lib/sale_keys.lua), then 14 its payments (payment id -> PAYMENT), 15 each order's
--   payment (order id -> payment id).
-- ARGV: 1 the order id, 2 the user who pays ('' = anyone), 3 the id a new payment gets, 4 its amount.
-- Answers {START.STARTED or START.RESUMED, the payment's id, its amount}, or {START.ALREADY_PAID,
--   START.UNKNOWN, START.EXPIRED, START.NOT_YOURS, START.VOIDED or START.CANCELLED, '', 0}.
--#include names orders sale_keys give_back payments

local PAYMENTS, ORDER_PAYMENTS = KEYS[SALE_KEYS + 1], KEYS[SALE_KEYS + 2]
local id = ARGV[1]
local o = unpack_order(redis.call('HGET', ORDERS, id))
if not o then return {START.UNKNOWN, '', 0} end
if ARGV[2] ~= '' and ARGV[2] ~= o[USER] then return {START.NOT_YOURS, '', 0} end
if o[STATE] == PAID_STATE then return {START.ALREADY_PAID, '', 0} end
if o[STATE] == VOIDED_STATE then return {START.VOIDED, '', 0} end
if o[STATE] == CANCELLED_STATE then return {START.CANCELLED, '', 0} end
if o[STATE] ~= PENDING_STATE then return {START.EXPIRED, '', 0} end
local now = now_ms()
if now > tonumber(o[DEADLINE]) then
  give_back(id, o, EXPIRED_STATE, EXPIRED, now)
  return {START.EXPIRED, '', 0}
end
local started = redis.call('HGET', ORDER_PAYMENTS, id)
if started then
  local p = unpack_payment(redis.call('HGET', PAYMENTS, started))
  if p and p[STATE] == STARTED_PAYMENT then return {START.RESUMED, started, tonumber(p[AMOUNT])} end
end
redis.call('HSET', PAYMENTS, ARGV[3], pack_payment({[STATE] = STARTED_PAYMENT, [PAY_ORDER] = id,
  [AMOUNT] = ARGV[4], [CREATED] = string.format('%d', now)}))
redis.call('HSET', ORDER_PAYMENTS, id, ARGV[3])
return {START.STARTED, ARGV[3], tonumber(ARGV[4])}
