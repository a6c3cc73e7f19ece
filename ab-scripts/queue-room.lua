-- wrk script of ab-scripts/queue-wrk.sh: joins to (MODE join) or polls of (MODE poll) the waiting
-- room of sale SALE, as the buy page makes them. Thread t of T takes the lines t, t+T, ... of FILE.
--   join: every request POST /queue/join?sale=SALE of the next buyer of FILE (a signed token a
--         line: a new buyer each time); a thread that used all of its tokens starts again from its
--         first (a join again: counted as "again"). Ok: 200.
--   poll: every request GET /queue?sale=SALE of the next buyer of FILE ("TOKEN TICKET" a line, from
--         io.ticketrush.bench.JoinedFile), each in turn, with its token and its queue ticket as
--         X-Queue-Ticket. Ok: 200 "waiting" (the sale opens later: answered from the ticket).
-- One line of figures at the end, with the requests sent: wrk stops at its duration with a request
-- in flight on each connection, which the server may have answered but wrk never counts.
--   wrk -s queue-room.lua URL -- MODE SALE FILE THREADS
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local sale, file, count = args[2], args[3], tonumber(args[4])
  mode = args[1]
  if mode ~= "join" and mode ~= "poll" then
    error("queue-room.lua: MODE is join or poll, not " .. tostring(mode))
  end
  path = (mode == "join" and "/queue/join?sale=" or "/queue?sale=") .. sale
  buyers = {}
  local i = 0
  for line in io.lines(file) do
    if i % count == id - 1 then
      local token, ticket = string.match(line, "^(%S+) ?(%S*)$")
      local headers = {["Authorization"] = "Bearer " .. token}
      if mode == "poll" then
        headers["X-Queue-Ticket"] = ticket
      end
      buyers[#buyers + 1] = headers
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
  if n > #buyers then
    n, cycle = 1, cycle + 1
  end
  if mode == "poll" then
    return wrk.format("GET", path, buyers[n])
  end
  if cycle > 0 then
    again = again + 1
  end
  return wrk.format("POST", path, buyers[n], "")
end

function response(status, headers, body)
  if status == 200 and (mode == "join" or string.find(body, '"state":"waiting"', 1, true)) then
    ok = ok + 1
  else
    refused = refused + 1
    if refused <= 5 then
      others = others .. status .. ":" .. string.sub(body, 1, 120) .. " | "
    end
  end
end

function done(summary, latency, requests)
  local oks, others, repeated, asked, samples = 0, 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    asked = asked + thread:get("sent")
    samples = samples .. thread:get("others")
    oks = oks + thread:get("ok")
    others = others + thread:get("refused")
    repeated = repeated + thread:get("again")
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("latency-result seconds=%.3f answered=%d failed=%d socket_errors=%d p50_ms=%.2f"
    .. " p99_ms=%.2f p999_ms=%.2f max_ms=%.2f ok=%d refused=%d again=%d sent=%d\n", summary.duration / 1e6,
    summary.requests, summary.errors.status, errors, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000, oks, others, repeated, asked))
  if samples ~= "" then
    io.write("refusals " .. samples .. "\n")
  end
end
