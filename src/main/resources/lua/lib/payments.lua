-- payments.lua: a payment as the sale's payments hash holds it (the fields of PAYMENT joined by SEP)
-- and back. Needs names.lua.

local PAYMENT_FIELDS = {STATE, PAY_ORDER, AMOUNT, CREATED, CLOSED, SETTLED_BY}
local PAYMENT_PATTERN = '^([^' .. SEP .. ']*)'
for _ = 2, #PAYMENT_FIELDS do PAYMENT_PATTERN = PAYMENT_PATTERN .. '%' .. SEP .. '([^' .. SEP .. ']*)' end
PAYMENT_PATTERN = PAYMENT_PATTERN .. '$'
local function unpack_payment(packed)
  if not packed then return nil end
  local values, p = {string.match(packed, PAYMENT_PATTERN)}, {}
  for i, field in ipairs(PAYMENT_FIELDS) do p[field] = values[i] end
  return p
end
local function pack_payment(p)
  local values = {}
  for i, field in ipairs(PAYMENT_FIELDS) do values[i] = p[field] or '' end
  return table.concat(values, SEP)
end
