-- existing: the order each of some buyers already has (a sold-out node asks when it cannot rule it
-- out from memory; all the buyers of a batch in one call): by the request id, else the user's latest
-- held order.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: per buyer, two: user ('' = anonymous), request id ('' = none).
-- Answers {code, order id, deadline} per buyer, in order: as buy.lua's (CODE.EXISTING,
--   CODE.EXPIRED, CODE.TRY_AGAIN), or CODE.NO_ORDER for none.
--#include names orders sale_keys give_back tell

local now = now_ms()

local function existing(user, rid)
  for _ = 1, 2 do
    local id = rid ~= '' and redis.call('HGET', REQUESTS, user .. ':' .. rid)
    if not id and user ~= '' then
      local held = ids_of(redis.call('HGET', HOLDERS, user))
      id = held[#held]
    end
    if not id then return CODE.NO_ORDER, '', 0 end
    local told = tell(id, now)
    if told then return told[1], told[2], told[3] end
  end
  return CODE.NO_ORDER, '', 0
end

local answers = {}
for i = 1, #ARGV, 2 do
  local code, id, deadline = existing(ARGV[i], ARGV[i + 1])
  answers[#answers + 1] = code
  answers[#answers + 1] = id
  answers[#answers + 1] = deadline
end
return answers
