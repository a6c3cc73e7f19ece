-- confirm_payment: the payment provider's word that payment ARGV[2] succeeded, in its event ARGV[1]
-- (the node has checked the event's signature and time). The order becomes paid if it is still
-- pending and not past its deadline; money for an order that expired or was voided is recorded as
-- refund-due (the payment's state, a refund_due event, the sale's REFUNDS_DUE) and never makes it
-- paid. A payment is confirmed once: another event for it is answered as the first was and
-- changes nothing. Each event is applied once: its answer is kept for ARGV[5] ms, and the same
-- event again gets that answer and writes nothing.
--
-- KEYS: the sale's (lib/sale_keys.lua), then 14 its payments, 15 the event's answer (a string that
--   expires; its name carries the event id).
-- ARGV: 1 the event id, 2 the payment id, 3 the order id, 4 the amount, 5 how long to keep the
--   event's answer (ms).
-- Answers {CONFIRM.PAID, CONFIRM.ALREADY_PAID or CONFIRM.REFUND_DUE, 1 if the event was applied
--   before (nothing written now) else 0}; {CONFIRM.UNKNOWN (no such payment) or CONFIRM.MISMATCH
--   (the event names another order or amount than the payment's), 0}: nothing written, not kept.
--#include names orders sale_keys give_back payments

local PAYMENTS, EVENT_KEY = KEYS[SALE_KEYS + 1], KEYS[SALE_KEYS + 2]
local first = redis.call('GET', EVENT_KEY)
if first then return {tonumber(first), 1} end
local pid = ARGV[2]
local p = unpack_payment(redis.call('HGET', PAYMENTS, pid))
if not p then return {CONFIRM.UNKNOWN, 0} end
if p[PAY_ORDER] ~= ARGV[3] or p[AMOUNT] ~= ARGV[4] then return {CONFIRM.MISMATCH, 0} end
local code
if p[STATE] == SUCCEEDED_PAYMENT then
  code = CONFIRM.ALREADY_PAID
elseif p[STATE] == REFUND_DUE_PAYMENT then
  code = CONFIRM.REFUND_DUE
else
  local id = p[PAY_ORDER]
  local o = unpack_order(redis.call('HGET', ORDERS, id))
  if not o then return {CONFIRM.UNKNOWN, 0} end
  local now = now_ms()
  if o[STATE] == PENDING_STATE and now > tonumber(o[DEADLINE]) then
    give_back(id, o, EXPIRED_STATE, EXPIRED, now)
  end
  if o[STATE] == PENDING_STATE then
    o[STATE], o[CLOSED] = PAID_STATE, string.format('%d', now)
    redis.call('HSET', ORDERS, id, pack_order(o))
    redis.call('ZREM', PENDING, id)
    redis.call('HINCRBY', STOCK, PAID, 1)
    p[STATE], code = SUCCEEDED_PAYMENT, CONFIRM.PAID
  else
    -- expired, voided, or (by another payment) paid already: the money goes back
    redis.call('HINCRBY', STOCK, REFUNDS_DUE, 1)
    p[STATE], code = REFUND_DUE_PAYMENT, CONFIRM.REFUND_DUE
  end
  p[CLOSED], p[SETTLED_BY] = string.format('%d', now), ARGV[1]
  redis.call('HSET', PAYMENTS, pid, pack_payment(p))
  event(STREAM, code == CONFIRM.PAID and PAID_STATE or REFUND_DUE_EVENT, id, o, pid, p[AMOUNT])
end
redis.call('SET', EVENT_KEY, code, 'PX', ARGV[5])
return {code, 0}
