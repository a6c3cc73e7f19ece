-- queue_join: places in a queued sale's waiting room, one per user: a user who has one gets it
-- back, whoever asks. Before the opening (on Redis's clock) a newcomer's place is the random score
-- its node drew for it (the lottery: arriving early buys nothing, and the place's rank is known only
-- once the opening closes the lottery); from the opening on, a newcomer's place is the next arrival,
-- 1 + its number (QUEUE_SEQ), behind everyone before. Places never move once the sale is open.
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
local seq = arrived
local answer = {}
-- ZADD NX first: a newcomer (the many) costs one command before the opening, two after it
for i = 1, #ARGV, 2 do
  local user = ARGV[i]
  local score = opened and string.format('%d', 2 + seq) or ARGV[i + 1]
  local new = redis.call('ZADD', ROOM_KEY, 'NX', score, user)
  if new == 1 then
    if opened then seq = seq + 1 end
  else
    score = redis.call('ZSCORE', ROOM_KEY, user)
  end
  local rank = 0
  if opened then rank = redis.call('ZRANK', ROOM_KEY, user) + 1 end
  answer[#answer + 1] = score
  answer[#answer + 1] = rank
  answer[#answer + 1] = new
end
if seq > arrived then redis.call('HSET', STOCK, QUEUE_SEQ, seq) end
return answer
