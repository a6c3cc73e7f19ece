-- order_holders: who holds orders in a sale, and where its order stream stands, at one moment. A
-- node's order feed starts from it and reads the stream on from there (the stream's older events
-- may be trimmed: trim_events.lua), so that it knows every holder without the stream's past.
--
-- KEYS: 1 the sale's stock hash, 2 its order event stream, 3 its holders, 4 its requests.
-- ARGV: none.
-- Answers {the stream's last id ('0-0': none yet), the last order id made ('' none),
--   {user, orders held, ...}, {'user:rid' of each request that bought, ...}}.
--#include names orders

local last = '0-0'
if redis.call('EXISTS', KEYS[2]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[2])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
end
local s = redis.call('HMGET', KEYS[1], ID_BASE, SEQ)
local made = ''
if s[1] and tonumber(s[2] or 0) > 0 then made = s[1] .. string.format('%07d', tonumber(s[2])) end
local held = {}
local flat = redis.call('HGETALL', KEYS[3])
for i = 1, #flat, 2 do
  held[#held + 1] = flat[i]
  held[#held + 1] = #ids_of(flat[i + 1])
end
return {last, made, held, redis.call('HKEYS', KEYS[4])}
