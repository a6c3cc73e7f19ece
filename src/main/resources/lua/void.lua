-- void: voids a buy call whose answer never reached its node (a timeout, a broken link: its buyers
-- were told 503). If the call has not run yet, it is marked so that it sells nothing when it does;
-- if it ran, each of its orders still pending goes back: state -> voided, ticket back to the stock,
-- off its user's orders, the pending index and its request id, a "voided" event for the order
-- writer. Safe to run twice, and writes every time (the mark again if nothing else), so that a WAIT
-- after it tells whether a replica has the void.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 batch token.
-- Answers how many tickets came back.
--#include names orders sale_keys give_back

local entry = redis.call('HGET', BATCHES, ARGV[1])
if not entry or entry == VOID_MARK then
  -- not run yet (it must sell nothing when it does), or voided already: marked
  redis.call('HSET', BATCHES, ARGV[1], VOID_MARK)
  return 0
end
-- unsettled, or settled by a settling whose answer its node lost: either way its buyers heard 503;
-- its orders go back but those a buyer has been told of since
local _, ids = string.match(entry, '^([^|]*)|(.*)$')
return void_batch(ARGV[1], ids, now_ms())
