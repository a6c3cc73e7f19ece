-- buy: sells a ticket to each buyer in turn (the requests that queued on a node's lock while the
-- previous call ran), each as if alone: checks the request id and the buyer's limit, checks and
-- deducts the global stock, creates the pending order and appends its "created" event. The call is
-- one atomic step; the stock counter and the order sequence are written once per call.
--
-- The sale decides: nothing before it opens or once it closes, on Redis's clock; nothing if it was
-- reset since the node read it (ARGV[5], its generation).
--
-- A call its node has given up on must sell nothing, since its buyers hear 503. So it does nothing
-- when Redis's clock is past ARGV[3] (the node's deadline for it) or when the node has voided it
-- already (void.lua). A call that sells leaves an entry in the batches: its orders are nobody's
-- until the node, having the answer, settles it (settle.lua) before it tells its buyers. A call
-- whose answer was lost is voided by its node, or by the first script that meets one of its orders
-- after ARGV[4], the moment the node gives up on it. A buy that finds the stock gone voids the calls
-- past that moment first (the unsettled index finds them without a scan). sold < total is the
-- exact bound.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 time to pay (ms), 2 per-user limit, 3 deadline ('' = none), 4 give-up moment, 5 the sale's
--   generation ('' = any), 6 batch token, then per buyer i (from 0): 7+3i user ('' = anonymous),
--   8+3i request id ('' = none), 9+3i node.
-- In a queued sale (docs/queue.md) a buyer without an order buys only with a pass that buys now (its
-- place was admitted, its time is not over, it is not spent), and the pass is spent in the same step.
--
-- Answers, per buyer and flat, {code, order id, deadline}: CODE.TICKET a new order, CODE.EXISTING the
--   buyer's order, CODE.EXPIRED the request's order expired unpaid (or was cancelled),
--   CODE.NOT_ADMITTED a queued sale and no pass that buys, CODE.TRY_AGAIN (the buyer's order
--   is being confirmed, or the stock is gone while calls being settled hold tickets that may come
--   back: "sold out" must be final), CODE.SOLD_OUT, CODE.NO_SALE; or for the whole call {code, n}:
--   CODE.NOT_OPEN (n: opens at), CODE.CLOSED (n: closed at), CODE.TOO_LATE, CODE.VOIDED,
--   CODE.NO_ID_BASE, CODE.NUMBERS_USED_UP, CODE.RESET_SINCE (n: the new generation).
--#include names orders sale_keys give_back tell

local pay_ms, limit, too_late = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local give_up, generation, token = ARGV[4], ARGV[5], ARGV[6]
local now = now_ms()
if too_late and now > too_late then return {CODE.TOO_LATE, 0} end
if redis.call('HGET', BATCHES, token) == VOID_MARK then
  redis.call('HDEL', BATCHES, token)
  return {CODE.VOIDED, 0}
end
local s = redis.call('HMGET', STOCK, TOTAL, SOLD, ID_BASE, SEQ, OPENS_AT, CLOSES_AT, QUEUE_RATE)
local total, sold, base, seq = tonumber(s[1]), tonumber(s[2]) or 0, s[3], tonumber(s[4]) or 0
local opens, closes = tonumber(s[5]) or 0, tonumber(s[6]) or 0
local queued = (tonumber(s[7]) or 0) > 0
local buyers = (#ARGV - 6) / 3
if total then
  if not base then return {CODE.NO_ID_BASE, 0} end
  if generation ~= '' and generation ~= base then return {CODE.RESET_SINCE, tonumber(base)} end
  if now < opens then return {CODE.NOT_OPEN, opens} end
  if closes > 0 and now >= closes then return {CODE.CLOSED, closes} end
end
if seq + buyers > MAX_SEQ then return {CODE.NUMBERS_USED_UP, 0} end
local deadline = now + pay_ms
local created, due = string.format('%d', now), string.format('%d', deadline)
local taken, made, answer = 0, {}, {}
local reclaimed = false
local function push(three)
  for _, v in ipairs(three) do answer[#answer + 1] = v end
end
-- an order the buyer already has, if any: told of it, true
local function existing(user, rid)
  for _ = 1, 2 do
    local id = rid ~= '' and redis.call('HGET', REQUESTS, user .. ':' .. rid)
    if not id and user ~= '' then
      local held = ids_of(redis.call('HGET', HOLDERS, user))
      if #held >= limit then id = held[#held] end
    end
    if not id then return false end
    local told, voided = tell(id, now)
    sold = sold - voided
    if told then push(told) return true end
    -- its call was voided: look again, the buyer may hold another
  end
  return false
end
-- a queued sale: whether the user's pass buys now (issued by queue_admit.lua, not past its time,
-- not spent)
local function pass_buys(user)
  if user == '' then return false end
  local until_ = tonumber(redis.call('ZSCORE', PASSES, user))
  return until_ ~= nil and until_ > now and redis.call('SISMEMBER', SPENT, user) == 0
end
for i = 0, buyers - 1 do
  local user, rid, node = ARGV[7 + 3 * i], ARGV[8 + 3 * i], ARGV[9 + 3 * i]
  local told = existing(user, rid)
  if not told and total and sold >= total and not reclaimed then
    -- the stock looks gone: first take back what calls their nodes gave up on hold
    reclaimed = true
    sold = sold - reclaim(now)
  end
  if told then
    -- told of the order it has
  elseif queued and not pass_buys(user) then
    push({CODE.NOT_ADMITTED, '', 0})
  elseif total == nil then
    push({CODE.NO_SALE, '', 0})
  elseif sold >= total then
    -- gone, unless a call still being settled gives tickets back: then try again
    push({redis.call('ZCARD', UNSETTLED) > 0 and CODE.TRY_AGAIN or CODE.SOLD_OUT, '', 0})
  else
    sold, taken = sold + 1, taken + 1
    local id = base .. string.format('%07d', seq + taken)
    local o = {[STATE] = PENDING_STATE, [USER] = user, [NODE] = node, [CREATED] = created,
      [DEADLINE] = due, [CLOSED] = '', [RID] = rid, [BATCH] = token}
    redis.call('HSET', ORDERS, id, pack_order(o))
    redis.call('ZADD', PENDING, deadline, id)
    if user ~= '' then
      redis.call('HSET', HOLDERS, user, with_id(redis.call('HGET', HOLDERS, user), id))
      redis.call('HSET', HISTORY, user, with_id(redis.call('HGET', HISTORY, user), id))
    end
    if rid ~= '' then redis.call('HSET', REQUESTS, user .. ':' .. rid, id) end
    event(STREAM, CREATED_EVENT, id, o)
    -- the pass is spent in the step that sells: shared or replayed, it buys nothing more
    if queued then redis.call('SADD', SPENT, user) end
    made[#made + 1] = id
    push({CODE.TICKET, id, deadline})
  end
end
if taken > 0 then
  redis.call('HSET', STOCK, SOLD, sold, SEQ, seq + taken)
  redis.call('HSET', BATCHES, token, give_up .. '|' .. table.concat(made, ','))
  redis.call('ZADD', UNSETTLED, give_up, token)
end
return answer
