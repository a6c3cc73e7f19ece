-- join_group: makes the order writers' group on a sale's order stream (the stream too, if it has
-- none yet), unless the sale is gone: an archived sale's stream must not come back empty (its keys
-- left Redis, docs/archive.md) because a writer read the list of sales just before it went.
--
-- KEYS: 1 the sale's stock hash, 2 its order event stream.
-- ARGV: 1 the writers' group, 2 '1' to make it even without a stock hash (the article's sale, whose
--   stock a bare HMSET may make later).
-- Answers 1 made, 0 there already, -1 no such sale (nothing made).

if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[2])) do
    for i = 1, #g, 2 do
      if g[i] == 'name' and g[i + 1] == ARGV[1] then return 0 end
    end
  end
end
redis.call('XGROUP', 'CREATE', KEYS[2], ARGV[1], '0', 'MKSTREAM')
return 1
