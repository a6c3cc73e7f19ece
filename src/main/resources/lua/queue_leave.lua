-- queue_leave: a buyer gives their turn in a queued sale's waiting room back (docs/queue.md,
-- "Leaving"). Places are ranks of the room and QUEUE_ADMITTED counts ranks, so the place stays
-- (removing it would move everyone behind); its pass is what goes. Admitted with a pass that buys
-- still: the pass is due now (HANDED_BACK): the next admission step lapses it and its slot admits
-- the next place, counted as lapsed, and it buys nothing from now on. Not admitted yet: marked
-- (LEFT_MARK), so that when its place comes the pass it gets is due at once and lapses at the
-- next step. A pass spent (bought, or being confirmed) is not given back: the order is cancelled
-- instead. Safe to repeat: a pass given back, marked or lapsed answers as the first time.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 the user.
-- Answers {LEAVE.ADMITTED, until} (a pass given back, or lapsed already), {LEAVE.WAITING, 0}
--   (marked), {LEAVE.SPENT, 0}, {LEAVE.NOT_IN_ROOM, 0}; or {ROOM.NO_SALE}, {ROOM.NOT_QUEUED} or
--   {ROOM.CLOSED}.
--#include names orders sale_keys

local now, user = now_ms(), ARGV[1]
local s = redis.call('HMGET', STOCK, TOTAL, CLOSES_AT, QUEUE_RATE)
if not s[1] then return {ROOM.NO_SALE} end
if (tonumber(s[3]) or 0) <= 0 then return {ROOM.NOT_QUEUED} end
local closes = tonumber(s[2]) or 0
if closes > 0 and now >= closes then return {ROOM.CLOSED} end
if not redis.call('ZSCORE', ROOM_KEY, user) then return {LEAVE.NOT_IN_ROOM, 0} end
if redis.call('SISMEMBER', SPENT, user) == 1 then return {LEAVE.SPENT, 0} end
local until_ = tonumber(redis.call('ZSCORE', PASSES, user))
if until_ == nil or until_ == LEFT_MARK then
  redis.call('ZADD', PASSES, LEFT_MARK, user)
  return {LEAVE.WAITING, 0}
end
if until_ > now then
  until_ = HANDED_BACK
  redis.call('ZADD', PASSES, until_, user)
end
return {LEAVE.ADMITTED, until_}
