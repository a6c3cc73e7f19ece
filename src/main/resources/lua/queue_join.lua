-- queue_join: places in a queued sale's waiting room, one per user: a user who has one gets it
-- back, whoever asks. Before the opening (on Redis's clock) a newcomer's place is the random score
-- its node drew for it (the lottery: arriving early buys nothing, and the place's rank is known only
-- once the opening closes the lottery); from the opening on, a newcomer's place is the next arrival,
-- 1 + its number (QUEUE_SEQ), behind everyone before. Places never move once the sale is open.
--
-- A batch costs Redis the same few commands whatever its size: one ZMSCORE finds who already has a
-- place, one ZADD places every newcomer (docs/queue.md, "Cheap to serve"). From the opening on, a
-- newcomer's rank is the room's size before the batch plus its number among the batch's newcomers:
-- every place already in the room is a lottery score below 1 or an earlier arrival's 2 + number, so
-- all of them are ahead of it (places never leave the room; leaving marks the passes). A user who
-- comes back after the opening is ranked by ZRANK (the few).
--
-- KEYS: 1 the sale's stock hash, 2 its waiting room (lib/sale_keys.lua's 1 and 11).
-- ARGV: per joiner i (from 0): 1+2i the user, 2+2i the lottery score drawn for them, in [0, 1).
-- Answers, per joiner and flat, {score, rank (1-based; 0 before the opening), 1 if it joined now
--   else 0}; or for the whole call {ROOM.NO_SALE}, {ROOM.NOT_QUEUED} or {ROOM.CLOSED}.
--#include names orders

local STOCK, ROOM_KEY = KEYS[1], KEYS[2]
local now = now_ms()
local s = redis.call('HMGET', STOCK, TOTAL, OPENS_AT, CLOSES_AT, QUEUE_RATE, QUEUE_SEQ)
if not s[1] then return {ROOM.NO_SALE} end
if (tonumber(s[4]) or 0) <= 0 then return {ROOM.NOT_QUEUED} end
local closes = tonumber(s[3]) or 0
if closes > 0 and now >= closes then return {ROOM.CLOSED} end
local opened = now >= (tonumber(s[2]) or 0)
local arrived = tonumber(s[5]) or 0

local users = {}
for i = 1, #ARGV, 2 do users[#users + 1] = ARGV[i] end
if #users == 0 then return {} end
local had = redis.call('ZMSCORE', ROOM_KEY, unpack(users))
local ahead = opened and redis.call('ZCARD', ROOM_KEY) or 0
-- per joiner its score and rank; a user twice in the batch is a newcomer once, then one who has a place
local score, rank, new, first = {}, {}, {}, {}
local added = {}
local seq = arrived
for j, user in ipairs(users) do
  local earlier = first[user]
  if earlier then
    score[j], rank[j], new[j] = score[earlier], rank[earlier], 0
  elseif had[j] then
    first[user] = j
    score[j], new[j] = had[j], 0
    rank[j] = opened and redis.call('ZRANK', ROOM_KEY, user) + 1 or 0
  else
    first[user] = j
    new[j] = 1
    if opened then
      score[j] = string.format('%d', 2 + seq)
      seq = seq + 1
      rank[j] = ahead + (seq - arrived)
    else
      score[j], rank[j] = ARGV[2 * j], 0
    end
    added[#added + 1] = score[j]
    added[#added + 1] = user
  end
end
if #added > 0 then redis.call('ZADD', ROOM_KEY, 'NX', unpack(added)) end
if seq > arrived then redis.call('HSET', STOCK, QUEUE_SEQ, seq) end

local answer = {}
for j = 1, #users do
  answer[#answer + 1] = score[j]
  answer[#answer + 1] = rank[j]
  answer[#answer + 1] = new[j]
end
return answer
