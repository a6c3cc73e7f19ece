-- queue_pass: a queued sale's pass for one buyer, as a poll that finds them admitted asks it: until
-- when it buys, and what became of it. A spent pass is told apart by the buyer's latest order (the
-- one it bought): SPENT once its buy call is settled (the order is the buyer's, and the buyer is
-- told of it here, as a buy sent again would be: lib/tell.lua, so a later void leaves it be);
-- CONFIRMING while its call is not settled and its node may still answer its buyer; a call its
-- node has given up on (its buyer heard 503) is voided here, as by any script that meets one of
-- its orders, which gives the pass back (lib/give_back.lua): UNSPENT again, it buys while its time
-- lasts. So a buyer told 503 is never told its turn was used.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 the user.
-- Answers {1 if a pass was issued else 0, until (ms; 0 lapsed unused, -1 spent and over,
--   HANDED_BACK or LEFT_MARK: given back), PASS_USE.UNSPENT, PASS_USE.SPENT or PASS_USE.CONFIRMING}.
--#include names orders sale_keys give_back tell

local now, user = now_ms(), ARGV[1]
local function read()
  local until_ = tonumber(redis.call('ZSCORE', PASSES, user))
  return until_, until_ ~= nil and redis.call('SISMEMBER', SPENT, user) == 1
end
local until_, spent = read()
if spent then
  local held = ids_of(redis.call('HGET', HISTORY, user))
  local told = held[#held] and tell(held[#held], now)
  if told and told[1] == CODE.TRY_AGAIN then return {1, until_, PASS_USE.CONFIRMING} end
  -- no order to tell of: its call was voided now (the pass given back), or there is none
  if not told then until_, spent = read() end
end
if until_ == nil then return {0, 0, PASS_USE.UNSPENT} end
return {1, until_, spent and PASS_USE.SPENT or PASS_USE.UNSPENT}
