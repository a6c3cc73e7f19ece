-- cancel_order: a buyer gives a pending order up: state -> cancelled, its ticket back to the stock
-- (in a queued sale it admits the next place of the waiting room), off its user's held orders and
-- the pending index, a "cancelled" event for the order writer. Only the order's own buyer cancels,
-- only a pending order before its deadline (one found past it is expired right here, as the sweep
-- would); an order of a call its node has not settled is nobody's yet. A payment started for it
-- and confirmed later finds it cancelled: the money is owed back (confirm_payment.lua).
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 the order id, 2 its buyer (the user the request's token names).
-- Answers {CANCEL.CANCELLED}, or {CANCEL.UNKNOWN, CANCEL.NOT_YOURS, CANCEL.ALREADY_PAID or
--   CANCEL.NOT_PENDING} with nothing changed (but an overdue order expired).
--#include names orders sale_keys give_back

local id = ARGV[1]
local o = unpack_order(redis.call('HGET', ORDERS, id))
if not o then return {CANCEL.UNKNOWN} end
if o[USER] == '' or o[USER] ~= ARGV[2] then return {CANCEL.NOT_YOURS} end
local call = call_of(o[BATCH])
if call and not call.settled then return {CANCEL.UNKNOWN} end
if o[STATE] == PAID_STATE then return {CANCEL.ALREADY_PAID} end
if o[STATE] ~= PENDING_STATE then return {CANCEL.NOT_PENDING} end
local now = now_ms()
if now > tonumber(o[DEADLINE]) then
  give_back(id, o, EXPIRED_STATE, EXPIRED, now)
  return {CANCEL.NOT_PENDING}
end
give_back(id, o, CANCELLED_STATE, CANCELLED, now)
return {CANCEL.CANCELLED}
