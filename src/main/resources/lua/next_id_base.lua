-- next_id_base: hands out the next order id base (io.ticketrush.redis.OrderIds): Redis's clock in
-- hundredths of a second, or one more than the last base handed out if that is later.
--
-- KEYS: 1 the last base handed out.
-- ARGV: none.
-- Answers the base.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 100 + math.floor(tonumber(t[2]) / 10000)
local base = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
redis.call('SET', KEYS[1], string.format('%d', base))
return base
