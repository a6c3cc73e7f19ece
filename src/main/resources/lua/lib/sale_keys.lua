-- sale_keys.lua: the KEYS of every script that changes a sale's orders, in this order
-- (io.ticketrush.redis.Keys#forScripts):
--   1 stock hash, 2 order event stream, 3 pending orders by deadline, 4 orders, 5 holders,
--   6 history, 7 requests, 8 batches, 9 seen, 10 unsettled calls by give-up moment
local STOCK, STREAM, PENDING, ORDERS, HOLDERS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local HISTORY, REQUESTS, BATCHES, SEEN, UNSETTLED = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
