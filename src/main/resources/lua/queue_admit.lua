-- queue_admit: a queued sale's admission step (each node runs it once a second; safe on all at once,
-- each place admitted once). First the passes past their time: one spent is done (-1), one unspent
-- lapsed (0), and each lapsed pass admits one more place. Then, from the opening on (Redis's clock),
-- the places up to the frontier get their passes, in the room's order: the frontier is what the
-- clock has admitted (ARGV[1]: the sale's rate times the time since the opening, at most its total)
-- plus the passes lapsed plus the tickets come back (QUEUE_RETURNED), at most everyone in the room.
-- A pass buys until ARGV[2] ms from its admission (buy.lua spends it). A pass handed back
-- (queue_leave.lua: HANDED_BACK) is due, and lapses as one past its time; a place whose buyer left
-- before its turn (LEFT_MARK) gets a pass due at once, which lapses at the next step.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 the places the clock has admitted by now, 2 a pass's time to buy (ms), 3 the most passes
--   to lapse and places to admit in this call.
-- Answers {admitted, lapsed, returned, in the room, total, sold, Redis's time (ms), 1 if there is
--   more to do (call again) else 0, passes spent (bought; a voided buy's pass is not), orders
--   pending (unpaid: each may come back)}; or {ROOM.NO_SALE} or {ROOM.NOT_QUEUED}. The last two
--   tell the room how far its frontier may still move: each pass neither spent nor lapsed may lapse,
--   each pending order may come back (docs/queue.md, "Sold out, honestly").
--#include names orders sale_keys

local now = now_ms()
local s = redis.call('HMGET', STOCK, TOTAL, SOLD, OPENS_AT, QUEUE_RATE, QUEUE_ADMITTED, QUEUE_LAPSED, QUEUE_RETURNED)
if not s[1] then return {ROOM.NO_SALE} end
if (tonumber(s[4]) or 0) <= 0 then return {ROOM.NOT_QUEUED} end
local admitted, lapsed, returned = tonumber(s[5]) or 0, tonumber(s[6]) or 0, tonumber(s[7]) or 0
local most = tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', PASSES, 1, now, 'LIMIT', 0, most)
local more = #due == most
local lapsed_before = lapsed
for _, user in ipairs(due) do
  if redis.call('SISMEMBER', SPENT, user) == 1 then
    redis.call('ZADD', PASSES, -1, user)
  else
    redis.call('ZADD', PASSES, 0, user)
    lapsed = lapsed + 1
  end
end
if lapsed > lapsed_before then redis.call('HSET', STOCK, QUEUE_LAPSED, lapsed) end
local joined = redis.call('ZCARD', ROOM_KEY)
if now >= (tonumber(s[3]) or 0) then
  local upto = math.min(tonumber(ARGV[1]) + lapsed + returned, joined)
  if upto > admitted + most then
    upto = admitted + most
    more = true
  end
  if upto > admitted then
    local until_ = string.format('%d', now + tonumber(ARGV[2]))
    for _, user in ipairs(redis.call('ZRANGE', ROOM_KEY, admitted, upto - 1)) do
      if redis.call('ZADD', PASSES, 'NX', until_, user) == 0
          and tonumber(redis.call('ZSCORE', PASSES, user)) == LEFT_MARK then
        -- its buyer left before its turn (queue_leave.lua): the pass is due at once, lapses at the next step
        redis.call('ZADD', PASSES, HANDED_BACK, user)
      end
    end
    admitted = upto
    redis.call('HSET', STOCK, QUEUE_ADMITTED, admitted)
  end
end
return {admitted, lapsed, returned, joined, tonumber(s[1]), tonumber(s[2]) or 0, now, more and 1 or 0,
  redis.call('SCARD', SPENT), redis.call('ZCARD', PENDING)}
