-- wrk script of the million-buyer rush (ab-scripts/rush-bench.sh): every request a named buyer of
-- sale SALE, each thread its own buyers (user TAG-<thread>-<n>), and every REPEAT-th request a buyer
-- of the same thread coming back (0: none). Bounded in count: a thread sends exactly PER_THREAD
-- buyers; while its last answers are still on their way its connections ask Nginx's /nginx-ok
-- (answered by Nginx alone, counted apart), and it stops once every buyer it sent is answered,
-- leaving DONE_DIR/done-<thread> with its first request's and last answer's moments (seconds of
-- /proc/uptime). wrk itself runs until -d: the caller sends it SIGINT once every thread is done.
--   wrk -s rush.lua URL -- SALE PER_THREAD REPEAT TAG DONE_DIR
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  sale, per_thread, every, tag, done_dir = args[1], tonumber(args[2]), tonumber(args[3]), args[4], args[5]
  sent, answered, fillers = 0, 0, 0
  tickets, existing, sold_out, other, busy, failed = 0, 0, 0, 0, 0, 0
  prefix = "/buy/ticket?sale=" .. sale .. "&user=" .. tag .. "-" .. id .. "-"
  filler = wrk.format("GET", "/nginx-ok")
end

local function uptime()
  local f = io.open("/proc/uptime")
  local seconds = f:read("*n")
  f:close()
  return seconds
end

function request()
  if id == 1 and not verified then
    -- wrk calls the first thread's request() once before the run to look at it
    -- (script_verify_request): that one is never sent, so it is no buyer
    verified = true
    return wrk.format("GET", prefix .. "0")
  end
  if sent == 0 then
    started = uptime()
  end
  if sent >= per_thread then
    return filler
  end
  sent = sent + 1
  local n = sent
  if every > 0 and n % every == 0 then
    n = math.random(1, n - 1) -- a buyer of this thread who came before, back again
  end
  return wrk.format("GET", prefix .. n)
end

function response(status, headers, body)
  if string.sub(body, 1, 17) == '{"code":1,"msg":"' and string.sub(body, 18, 22) == 'nginx' then
    fillers = fillers + 1
    return
  end
  answered = answered + 1
  if status == 503 then
    -- nothing sold (the node's lock wait ran out, or Redis could not be used): the buyer may try again
    busy = busy + 1
  elseif status ~= 200 then
    failed = failed + 1
  elseif string.sub(body, 1, 10) == '{"code":1,' then
    if string.find(body, '"existing":true', 1, true) then
      existing = existing + 1
    else
      tickets = tickets + 1
    end
  elseif string.sub(body, 1, 11) == '{"code":-1,' then
    sold_out = sold_out + 1
  else
    other = other + 1
  end
  if answered == per_thread then
    local f = io.open(done_dir .. "/done-" .. id, "w")
    f:write(string.format("%.2f %.2f\n", started, uptime()))
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local n = { answered = 0, fillers = 0, tickets = 0, existing = 0, sold_out = 0, other = 0, busy = 0, failed = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(n) do
      n[k] = n[k] + thread:get(k)
    end
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("rush-result seconds=%.3f answered=%d fillers=%d tickets=%d existing=%d sold_out=%d"
    .. " other=%d busy=%d failed=%d socket_errors=%d p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f\n",
    summary.duration / 1e6, n.answered, n.fillers, n.tickets, n.existing, n.sold_out, n.other, n.busy, n.failed,
    errors, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000))
end
