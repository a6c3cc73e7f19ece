-- take_stock: takes up to ARGV[3] unsold tickets out of a hot sale's bucket, to give them to the
-- bucket ARGV[2] (give_stock.lua): its total goes down now, and the transfer ARGV[1] is recorded
-- until the receiving bucket has them. Never more than it has unsold, so the two steps can
-- undersell for a moment but never oversell.
--
-- KEYS: 1 the giving bucket's stock hash, 2 its transfers.
-- ARGV: 1 transfer id, 2 the receiving bucket's id, 3 the most tickets to take.
-- Answers the tickets taken (0: none left).
--#include names orders

local s = redis.call('HMGET', KEYS[1], TOTAL, SOLD)
local total, sold = tonumber(s[1]), tonumber(s[2]) or 0
if not total then return 0 end
local n = math.min(tonumber(ARGV[3]), total - sold)
if n <= 0 then return 0 end
redis.call('HSET', KEYS[1], TOTAL, total - n)
redis.call('HINCRBY', KEYS[1], MOVES, 1)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. SEP .. n .. SEP .. now_ms())
return n
