-- sale_keys.lua: the KEYS of every script that changes a sale's orders, in this order
-- (io.ticketrush.redis.Keys#forScripts):
--   1 stock hash, 2 order event stream, 3 pending orders by deadline, 4 orders, 5 holders,
--   6 history, 7 requests, 8 batches, 9 seen, 10 unsettled calls by give-up moment, 11 the waiting
--   room (a queued sale's places), 12 its passes, 13 the users whose pass is spent
local STOCK, STREAM, PENDING, ORDERS, HOLDERS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local HISTORY, REQUESTS, BATCHES, SEEN, UNSETTLED = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local ROOM_KEY, PASSES, SPENT = KEYS[11], KEYS[12], KEYS[13]
-- how many KEYS these are: a script that takes more numbers its own from SALE_KEYS + 1
local SALE_KEYS = 13
