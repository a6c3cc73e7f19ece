-- reset_sale: a fresh start of a sale (of a hot sale's bucket: its transfers too): ARGV[1] tickets,
-- order id base ARGV[2], nothing sold, and its orders (their stream, index, users, requests,
-- payments) dropped with it, so that a pending order of before cannot expire into it and hand back a ticket
-- it never took. Its definition stays.
--
-- KEYS: the sale's (lib/sale_keys.lua: a queued sale's room, passes and spent passes go too), then
--   14 the orders in the database, 15 its transfers, 16 the transfers it received, 17 its payments,
--   18 each order's payment.
-- ARGV: 1 total, 2 order id base.
-- Answers how many orders were dropped.
--#include names

local dropped = redis.call('HLEN', KEYS[4])
for i = 2, #KEYS do redis.call('UNLINK', KEYS[i]) end
-- and where its old stream was trimmed (a feed of the new one would load it again and again)
redis.call('HDEL', KEYS[1], PAID, EXPIRED, VOIDED, CANCELLED, REFUNDS_DUE, EVENTS_TRIMMED, QUEUE_SEQ, QUEUE_ADMITTED,
  QUEUE_LAPSED, QUEUE_RETURNED)
redis.call('HSET', KEYS[1], TOTAL, ARGV[1], SOLD, 0, ID_BASE, ARGV[2], SEQ, 0)
return dropped
