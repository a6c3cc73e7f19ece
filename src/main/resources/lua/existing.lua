-- existing: the order a buyer already has (a sold-out node asks when it cannot rule it out from
-- memory): by the request id, else the user's latest held order.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 user ('' = anonymous), 2 request id ('' = none).
-- Answers {code, order id, deadline}: as buy.lua's per buyer (CODE.EXISTING, CODE.EXPIRED,
--   CODE.TRY_AGAIN), or CODE.NO_ORDER for none.
--#include names orders sale_keys give_back tell

local now, user, rid = now_ms(), ARGV[1], ARGV[2]
for _ = 1, 2 do
  local id = rid ~= '' and redis.call('HGET', REQUESTS, user .. ':' .. rid)
  if not id and user ~= '' then
    local held = ids_of(redis.call('HGET', HOLDERS, user))
    id = held[#held]
  end
  if not id then return {CODE.NO_ORDER, '', 0} end
  local told = tell(id, now)
  if told then return told end
end
return {CODE.NO_ORDER, '', 0}
