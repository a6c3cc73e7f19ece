-- wrk script of ab-scripts/queue-wrk.sh: every request a join of a new signed buyer to the waiting
-- room of sale SALE (POST /queue/join?sale=SALE, the buyer's token as Bearer), the tokens read from
-- TOKENS (one a line; thread t of T takes lines t, t+T, ...). A thread that has used all of its
-- tokens starts again from its first (a join again: counted as "again"). One line of figures at the end,
-- with the joins sent: wrk stops at its duration with a join in flight on each connection, which
-- the server may have answered (a place) but wrk never counts.
--   wrk -s queue-join.lua URL -- SALE TOKENS THREADS
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local sale, file, count = args[1], args[2], tonumber(args[3])
  path = "/queue/join?sale=" .. sale
  tokens = {}
  local i = 0
  for line in io.lines(file) do
    if i % count == id - 1 then
      tokens[#tokens + 1] = line
    end
    i = i + 1
  end
  n, cycle, again, ok, refused, sent = 0, 0, 0, 0, 0, 0
  others = ""
end

function request()
  if id == 1 and not verified then
    -- wrk calls the first thread's request() once before the run to look at it
    -- (script_verify_request): that one is never sent, so it is no buyer
    verified = true
    return wrk.format("GET", "/nginx-ok")
  end
  sent = sent + 1
  n = n + 1
  if n > #tokens then
    n, cycle = 1, cycle + 1
  end
  if cycle > 0 then
    again = again + 1
  end
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. tokens[n]}, "")
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    refused = refused + 1
    if refused <= 5 then
      others = others .. status .. ":" .. string.sub(body, 1, 120) .. " | "
    end
  end
end

function done(summary, latency, requests)
  local joined, others, repeated, asked, samples = 0, 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    asked = asked + thread:get("sent")
    samples = samples .. thread:get("others")
    joined = joined + thread:get("ok")
    others = others + thread:get("refused")
    repeated = repeated + thread:get("again")
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("latency-result seconds=%.3f answered=%d failed=%d socket_errors=%d p50_ms=%.2f"
    .. " p99_ms=%.2f p999_ms=%.2f max_ms=%.2f joined=%d refused=%d again=%d sent=%d\n", summary.duration / 1e6,
    summary.requests, summary.errors.status, errors, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000, joined, others, repeated, asked))
  if samples ~= "" then
    io.write("join-refusals " .. samples .. "\n")
  end
end
