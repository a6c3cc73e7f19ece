-- give_back.lua: taking a pending order's ticket back, voiding a buy call, reading a call's entry.
-- Needs names.lua, orders.lua, sale_keys.lua.

-- state -> `state` (expired, cancelled or voided), the ticket back to the stock, off its user's held
-- orders and the pending index, an event for the order writer. In a queued sale a ticket that comes
-- back admits the next place of the room (QUEUE_RETURNED); a voided order's buyer heard 503, so
-- their pass buys again (or, its time over, lapses and gives its place's slot on)
local function give_back(id, o, state, counter, now)
  o[STATE], o[CLOSED] = state, string.format('%d', now)
  redis.call('HSET', ORDERS, id, pack_order(o))
  redis.call('HINCRBY', STOCK, SOLD, -1)
  redis.call('HINCRBY', STOCK, counter, 1)
  if o[USER] ~= '' then without_id(HOLDERS, o[USER], id) end
  redis.call('ZREM', PENDING, id)
  event(STREAM, state, id, o)
  if o[USER] ~= '' and (tonumber(redis.call('HGET', STOCK, QUEUE_RATE)) or 0) > 0 then
    if state == VOIDED_STATE then
      redis.call('SREM', SPENT, o[USER])
      if (tonumber(redis.call('ZSCORE', PASSES, o[USER])) or 0) < 0 then
        redis.call('ZADD', PASSES, string.format('%d', now), o[USER])
      end
    else
      redis.call('HINCRBY', STOCK, QUEUE_RETURNED, 1)
    end
  end
end
-- voiding a call: each of its orders still pending (and not told to its buyer since) goes back
-- and frees its request id, and the call's entry goes; answers how many tickets came back
local function void_batch(token, ids, now)
  local n = 0
  for _, id in ipairs(ids_of(ids)) do
    local o = unpack_order(redis.call('HGET', ORDERS, id))
    if o and o[STATE] == PENDING_STATE and redis.call('SISMEMBER', SEEN, id) == 0 then
      give_back(id, o, VOIDED_STATE, VOIDED, now)
      local request = o[USER] .. ':' .. o[RID]
      if o[RID] ~= '' and redis.call('HGET', REQUESTS, request) == id then
        redis.call('HDEL', REQUESTS, request)
      end
      n = n + 1
    end
  end
  redis.call('HDEL', BATCHES, token)
  redis.call('ZREM', UNSETTLED, token)
  return n
end
-- a call's entry: {give_up = n, ids = ...} while unsettled, {settled = true, ids = ...} once
-- settled, nil when there is none (voided before it ran, or no call)
local function call_of(token)
  if not token or token == '' then return nil end
  local entry = redis.call('HGET', BATCHES, token)
  if not entry or entry == VOID_MARK then return nil end
  local head, ids = string.match(entry, '^([^|]*)|(.*)$')
  if head == SETTLED then return {settled = true, ids = ids} end
  return {give_up = tonumber(head), ids = ids}
end
-- voids the calls whose nodes have given up on them (their buyers heard 503, or nothing);
-- answers how many tickets came back
local function reclaim(now)
  local n = 0
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', UNSETTLED, '-inf', '(' .. string.format('%d', now))) do
    local call = call_of(token)
    if call and not call.settled then
      n = n + void_batch(token, call.ids, now)
    else
      redis.call('ZREM', UNSETTLED, token)
    end
  end
  return n
end
