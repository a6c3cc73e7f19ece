-- sales_changed: lists a sale and moves the sales' version on, so that every node reloads them.
--
-- KEYS: 1 the sale ids (a set), 2 the version.
-- ARGV: 1 the sale id ('' = list nothing).
-- Answers the new version.

if ARGV[1] ~= '' then redis.call('SADD', KEYS[1], ARGV[1]) end
return redis.call('INCR', KEYS[2])
