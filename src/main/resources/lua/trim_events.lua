-- trim_events: drops from a sale's order stream the events every order writer has written: below
-- the first entry the writers' group has delivered and not acknowledged, below the first it has
-- not delivered, and older than ARGV[2] ms on Redis's clock (the nodes' order feeds read them a
-- moment after they are added; a feed that fell further behind loads the sale again). Notes in
-- the stock hash the id of the newest event it trimmed (EVENTS_TRIMMED): a feed that read less
-- than that missed it. A stream without the group, or of no sale, is left as it is.
--
-- KEYS: 1 the sale's stock hash, 2 its order event stream.
-- ARGV: 1 the writers' group, 2 how long an event stays at least (ms).
-- Answers {trimmed, pending, undelivered, left}: the entries trimmed now; those delivered to a
--   writer and not acknowledged; those not delivered yet (-1: Redis cannot tell, count them all);
--   the entries left.
--#include names orders

local stock, stream, group_name, keep = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', stream) == 0 then return {0, 0, 0, 0} end
local left = redis.call('XLEN', stream)
local group
for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local fields = {}
  for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
  if fields['name'] == group_name then group = fields end
end
-- no writer has read it: nothing of it is written
if not group then return {0, 0, left, left} end
local pending, undelivered = group['pending'], group['lag'] or -1
if redis.call('EXISTS', stock) == 0 then return {0, pending, undelivered, left} end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return {tonumber(ms), tonumber(seq)}
end
local function below(a, b)
  return a[1] < b[1] or a[1] == b[1] and a[2] < b[2]
end
-- the lowest id that must stay: the first pending entry, the first undelivered one, the first
-- younger than keep
local delivered = parse(group['last-delivered-id'])
local bound = {delivered[1], delivered[2] + 1}
if pending > 0 then
  local first_pending = parse(redis.call('XPENDING', stream, group_name)[2])
  if below(first_pending, bound) then bound = first_pending end
end
local young = {now_ms() - keep, 0}
if below(young, bound) then bound = young end
local minid = string.format('%d-%d', bound[1], bound[2])
local newest = redis.call('XREVRANGE', stream, '(' .. minid, '-', 'COUNT', 1)[1]
if not newest then return {0, pending, undelivered, left} end
local trimmed = redis.call('XTRIM', stream, 'MINID', minid)
local mark = redis.call('HGET', stock, EVENTS_TRIMMED)
if not mark or below(parse(mark), parse(newest[1])) then redis.call('HSET', stock, EVENTS_TRIMMED, newest[1]) end
return {trimmed, pending, undelivered, left - trimmed}
