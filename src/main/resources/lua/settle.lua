-- settle: settles a buy call whose answer reached its node, before the node tells its buyers: from
-- now on its orders are theirs. Like the buy, it does nothing past ARGV[2] (the node's deadline for
-- this call, on Redis's clock): a settling stuck behind a stalled Redis must not make orders real
-- whose buyers the node has told 503 meanwhile.
--
-- KEYS: the sale's (lib/sale_keys.lua).
-- ARGV: 1 batch token, 2 deadline.
-- Answers 1 settled, 0 not (too late, or voided).
--#include names orders sale_keys

if now_ms() > tonumber(ARGV[2]) then return 0 end
local entry = redis.call('HGET', BATCHES, ARGV[1])
if not entry or entry == VOID_MARK then return 0 end
local head, ids = string.match(entry, '^([^|]*)|(.*)$')
if head ~= SETTLED then redis.call('HSET', BATCHES, ARGV[1], SETTLED .. '|' .. ids) end
redis.call('ZREM', UNSETTLED, ARGV[1])
return 1
