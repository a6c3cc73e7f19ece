-- close_sale: closes a sale now (on Redis's clock), or keeps an earlier closing.
--
-- KEYS: 1 the sale's stock hash.
-- ARGV: none.
-- Answers when it closes (ms), or -1 when there is no such sale.
--#include names orders

if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local now, closes = now_ms(), tonumber(redis.call('HGET', KEYS[1], CLOSES_AT)) or 0
if closes == 0 or closes > now then
  closes = now
  redis.call('HSET', KEYS[1], CLOSES_AT, closes)
end
return closes
