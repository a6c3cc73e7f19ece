-- give_stock: gives the tickets of transfer ARGV[1] (ARGV[2] of them) to a hot sale's bucket, once
-- however often it is asked.
--
-- KEYS: 1 the receiving bucket's stock hash, 2 the transfers it received.
-- ARGV: 1 transfer id, 2 the tickets.
-- Answers 1 given now, 0 given before (or the bucket is gone: archived, docs/archive.md; nothing of
--   it is made again).
--#include names

if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], TOTAL, ARGV[2])
redis.call('HINCRBY', KEYS[1], MOVES, 1)
return 1
