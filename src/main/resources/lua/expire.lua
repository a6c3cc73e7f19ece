-- expire: expires up to ARGV[1] pending orders whose deadline has passed. Safe to run on every
-- node at once: each order is expired, and its ticket returned, by exactly one call.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 the most orders to expire.
-- Answers how many orders this call expired.
--#include names orders sale_keys give_back

local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', PENDING, '-inf', '(' .. string.format('%d', now), 'LIMIT', 0,
  tonumber(ARGV[1]))
local expired = 0
for _, id in ipairs(due) do
  local o = unpack_order(redis.call('HGET', ORDERS, id))
  if o and o[STATE] == PENDING_STATE then
    give_back(id, o, EXPIRED_STATE, EXPIRED, now)
    expired = expired + 1
  else
    redis.call('ZREM', PENDING, id)
  end
end
return expired
