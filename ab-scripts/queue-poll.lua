-- wrk script of ab-scripts/queue-wrk.sh: every request a poll of the waiting room of sale SALE as
-- the buy page makes it (GET /queue?sale=SALE, the buyer's token as Bearer, its queue ticket as
-- X-Queue-Ticket), for buyers who joined before (JOINED: "TOKEN TICKET" a line, from
-- io.ticketrush.bench.JoinedFile; thread t of T takes lines t, t+T, ...), each in turn. The sale
-- opens later: every poll is to be answered 200 "waiting" from the ticket, without a Redis call.
-- One line of figures at the end.
--   wrk -s queue-poll.lua URL -- SALE JOINED THREADS
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local sale, file, count = args[1], args[2], tonumber(args[3])
  path = "/queue?sale=" .. sale
  buyers = {}
  local i = 0
  for line in io.lines(file) do
    if i % count == id - 1 then
      local token, ticket = string.match(line, "^(%S+) (%S+)$")
      buyers[#buyers + 1] = {["Authorization"] = "Bearer " .. token, ["X-Queue-Ticket"] = ticket}
    end
    i = i + 1
  end
  n, waiting, refused, sent = 0, 0, 0, 0
  others = ""
end

function request()
  if id == 1 and not verified then
    -- wrk calls the first thread's request() once before the run to look at it
    -- (script_verify_request): that one is never sent
    verified = true
    return wrk.format("GET", "/nginx-ok")
  end
  sent = sent + 1
  n = n % #buyers + 1
  return wrk.format("GET", path, buyers[n])
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"state":"waiting"', 1, true) then
    waiting = waiting + 1
  else
    refused = refused + 1
    if refused <= 5 then
      others = others .. status .. ":" .. string.sub(body, 1, 120) .. " | "
    end
  end
end

function done(summary, latency, requests)
  local answered, others, asked, samples = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    asked = asked + thread:get("sent")
    samples = samples .. thread:get("others")
    answered = answered + thread:get("waiting")
    others = others + thread:get("refused")
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("latency-result seconds=%.3f answered=%d failed=%d socket_errors=%d p50_ms=%.2f"
    .. " p99_ms=%.2f p999_ms=%.2f max_ms=%.2f waiting=%d refused=%d sent=%d\n", summary.duration / 1e6,
    summary.requests, summary.errors.status, errors, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000, answered, others, asked))
  if samples ~= "" then
    io.write("poll-refusals " .. samples .. "\n")
  end
end
