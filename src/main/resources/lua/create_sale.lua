-- create_sale: creates a sale unless its stock hash exists (./rush up after a crash must continue
-- the sale, never start it again; a sale cannot be created twice).
--
-- KEYS: 1 the sale's stock hash.
-- ARGV: 1 total, 2 order id base, 3 name, 4 opens at (ms), 5 closes at (ms, 0 never), 6 per-user
--   limit, 7 time to pay (ms), 8 its buyers: 'signed' (a token names each) or 'open' (a request does),
--   9 its waiting room's passes a second (0: not queued), 10 the room's puzzle bits (0: none).
-- Answers 1 created, 0 already there.
--#include names

if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], TOTAL, ARGV[1], SOLD, 0, ID_BASE, ARGV[2], SEQ, 0, NAME, ARGV[3],
  OPENS_AT, ARGV[4], CLOSES_AT, ARGV[5], USER_LIMIT, ARGV[6], PAY_MS, ARGV[7], BUYERS, ARGV[8],
  QUEUE_RATE, ARGV[9], POW_BITS, ARGV[10])
return 1
