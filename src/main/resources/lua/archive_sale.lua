-- archive_sale: a finished sale leaves Redis (docs/archive.md). With ARGV[1] 'check' it says whether
-- the sale may go and answers its fingerprint: every figure that moves when anything of its orders,
-- payments or stock changes (its counters and total, its transfers, its orders, what the writer
-- persisted, its stream's last id). The caller then compares the database with the orders; with
-- ARGV[1] 'archive' and that fingerprint the keys go, and only if the sale is still ready and its
-- fingerprint the same: an order made, paid, expired or voided since the check (an event the
-- database may lack), or tickets moved, keeps every key. With ARGV[1] 'mark' and the fingerprint,
-- the same check, then the stock hash is marked ARCHIVING and nothing goes: a hot sale's home, whose
-- buckets (sales of their own, in other slots) go one by one after it, the home last.
-- Ready: closed (closes_at set) at least ARGV[2] ms ago on Redis's clock, no pending order, no
-- unsettled buy call, every order persisted, and every event of its stream delivered to the
-- writers' group and acknowledged (the writer acknowledges only what its database committed).
-- A hot sale's home or bucket is judged as any sale: its own orders (a home has none) and keys.
--
-- KEYS: the sale's (lib/sale_keys.lua), then 14 the orders in the database, 15 its transfers, 16 the
--   transfers it received, 17 its payments, 18 each order's payment, 19 its dead letters.
-- ARGV: 1 'check', 'mark' or 'archive', 2 the retention (ms), 3 the writers' group, 4 the pattern of
--   the sale's payment-event keys (they expire on their own; they go too), 5 the fingerprint (mark,
--   archive).
-- Answers {code, fingerprint}: 1 ready (check), marked (mark) or archived (archive); 0 changed since
--   the check; -1 no such sale; -2 not closed or closed less than the retention ago; -3 an order
--   pending or a buy call unsettled; -4 not every order or event in the database yet.
--#include names orders sale_keys

local PERSISTED, TRANSFERS, RECEIVED, PAYMENTS, ORDER_PAYMENTS, DEAD = KEYS[14], KEYS[15], KEYS[16], KEYS[17],
  KEYS[18], KEYS[19]
local mode, retention, group_name, event_pattern = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]

if redis.call('EXISTS', STOCK) == 0 then return {-1, ''} end
local s = redis.call('HMGET', STOCK, SEQ, SOLD, PAID, EXPIRED, VOIDED, CANCELLED, REFUNDS_DUE, CLOSES_AT, ID_BASE,
  TOTAL, BUCKETS, MOVES)
local closes = tonumber(s[8]) or 0
if closes == 0 or closes > now_ms() - retention then return {-2, ''} end
if redis.call('ZCARD', PENDING) > 0 or redis.call('ZCARD', UNSETTLED) > 0 then return {-3, ''} end

local orders, persisted = redis.call('HLEN', ORDERS), redis.call('SCARD', PERSISTED)
local last_id, stream_len = '', 0
if redis.call('EXISTS', STREAM) == 1 then
  local info = redis.call('XINFO', 'STREAM', STREAM)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last_id = info[i + 1] end
    if info[i] == 'length' then stream_len = info[i + 1] end
  end
  local group
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', STREAM)) do
    local fields = {}
    for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
    if fields['name'] == group_name then group = fields end
  end
  if not group or group['pending'] > 0 or group['last-delivered-id'] ~= last_id then return {-4, ''} end
elseif orders > 0 then
  return {-4, ''}
end
if persisted ~= orders then return {-4, ''} end

local figures = {}
for i = 1, 12 do figures[i] = s[i] or '' end
figures[#figures + 1] = orders
figures[#figures + 1] = persisted
figures[#figures + 1] = redis.call('HLEN', PAYMENTS)
figures[#figures + 1] = stream_len
figures[#figures + 1] = last_id
-- a hot sale's bucket: tickets taken from it or given to it (take_stock.lua, give_stock.lua)
figures[#figures + 1] = redis.call('HLEN', TRANSFERS)
figures[#figures + 1] = redis.call('SCARD', RECEIVED)
local fingerprint = table.concat(figures, ',')
if mode == 'check' then return {1, fingerprint} end
if fingerprint ~= ARGV[5] then return {0, fingerprint} end
if mode == 'mark' then
  redis.call('HSET', STOCK, ARCHIVING, 1)
  return {1, fingerprint}
end

for i = 1, #KEYS do redis.call('UNLINK', KEYS[i]) end
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', event_pattern, 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do redis.call('UNLINK', key) end
until cursor == '0'
return {1, fingerprint}
