-- wrk script of the benchmarks' reference runs (ab-scripts/rush-bench.sh): the same request every
-- time, and one line of figures at the end in the form rush.lua prints.
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("latency-result seconds=%.3f answered=%d failed=%d socket_errors=%d p50_ms=%.2f"
    .. " p99_ms=%.2f p999_ms=%.2f max_ms=%.2f\n", summary.duration / 1e6, summary.requests,
    summary.errors.status, errors, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
