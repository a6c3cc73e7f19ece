-- tell.lua: what a buyer who already has an order is told of it (BUY's repeats, EXISTING).
-- Needs names.lua, orders.lua, sale_keys.lua, give_back.lua.
--
-- Answers {code, id, deadline} and the tickets a void gave back: CODE.EXISTING it is theirs,
-- CODE.EXPIRED it expired (or its buyer cancelled it). An order whose call's answer has not reached
-- its node yet is nobody's to tell of: CODE.TRY_AGAIN while the node may still answer its buyer;
-- once the node has given up on the call, the call is voided here (its buyer heard 503) and the
-- order answers nil: there is none.
-- Telling writes every time (a set member added again writes nothing): WAIT covers only the writes
-- of the teller's own connection, and the order must be on a replica before anyone is told of it.
local function tell(id, now)
  local o = unpack_order(redis.call('HGET', ORDERS, id))
  if not o then return nil, 0 end
  local call = call_of(o[BATCH])
  if call and not call.settled then
    if now <= call.give_up then return {CODE.TRY_AGAIN, id, 0}, 0 end
    return nil, void_batch(o[BATCH], call.ids, now)
  end
  -- told now: a void of its call (its node lost the answer to the settling) leaves it be. Put back
  -- if it was there: telling is always a write, so the teller's WAIT covers the order
  if redis.call('SADD', SEEN, id) == 0 then
    redis.call('SREM', SEEN, id)
    redis.call('SADD', SEEN, id)
  end
  local over = o[STATE] == EXPIRED_STATE or o[STATE] == CANCELLED_STATE
  return {over and CODE.EXPIRED or CODE.EXISTING, id, tonumber(o[DEADLINE]) or 0}, 0
end
