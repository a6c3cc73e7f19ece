-- set_id_base: gives a sale without one (made by the article's HMSET) the id base ARGV[1]; a sale
-- that has one keeps it.
--
-- KEYS: 1 the sale's stock hash.
-- ARGV: 1 the id base.
-- Answers 1 set, 0 not (it had one, or there is no such sale).
--#include names

if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], ID_BASE, ARGV[1])
