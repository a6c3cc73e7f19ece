-- orders.lua: Redis's clock in milliseconds; an order as the sale's orders hash holds it (the
-- fields of ORDER joined by SEP) and back; a user's order ids (comma separated) with one more or
-- one less; an order event for the stream. Needs names.lua.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local ORDER = {STATE, USER, NODE, CREATED, DEADLINE, CLOSED, RID, BATCH}
local ORDER_PATTERN = '^([^' .. SEP .. ']*)'
for _ = 2, #ORDER do ORDER_PATTERN = ORDER_PATTERN .. '%' .. SEP .. '([^' .. SEP .. ']*)' end
ORDER_PATTERN = ORDER_PATTERN .. '$'
local function unpack_order(packed)
  if not packed then return nil end
  local values, o = {string.match(packed, ORDER_PATTERN)}, {}
  for i, field in ipairs(ORDER) do o[field] = values[i] end
  return o
end
local function pack_order(o)
  local values = {}
  for i, field in ipairs(ORDER) do values[i] = o[field] or '' end
  return table.concat(values, SEP)
end
local function ids_of(list)
  local ids = {}
  if list then for id in string.gmatch(list, '[^,]+') do ids[#ids + 1] = id end end
  return ids
end
local function with_id(list, id)
  if list and list ~= '' then return list .. ',' .. id end
  return id
end
local function without_id(key, user, id)
  local left = {}
  for _, other in ipairs(ids_of(redis.call('HGET', key, user))) do
    if other ~= id then left[#left + 1] = other end
  end
  if #left == 0 then redis.call('HDEL', key, user) else redis.call('HSET', key, user, table.concat(left, ',')) end
end
-- (a paid or refund_due event names its payment and amount too)
local function event(stream, name, id, o, payment, amount)
  if payment then
    redis.call('XADD', stream, '*', EVENT, name, ID, id, USER, o[USER], NODE, o[NODE], CREATED, o[CREATED],
      DEADLINE, o[DEADLINE], STATE, o[STATE], RID, o[RID], PAYMENT, payment, AMOUNT, amount)
    return
  end
  redis.call('XADD', stream, '*', EVENT, name, ID, id, USER, o[USER], NODE, o[NODE], CREATED, o[CREATED],
    DEADLINE, o[DEADLINE], STATE, o[STATE], RID, o[RID])
end
