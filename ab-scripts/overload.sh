#!/usr/bin/env bash
# Overload: far more concurrent connections than the nodes can serve (ab -c 1000 through Nginx,
# 20,000 requests for a fresh sale of RUSH_STOCK_TOTAL tickets) must get fast answers or clean
# 503s: nothing hangs, every answer a node or Nginx gives is JSON without a stack trace, and the
# sale still sells exactly: Redis sold == tickets won, and "sold out" only once all is sold
# (I1, I2). While ab runs, curl buyers keep every answer's body.
#   env: OVERLOAD_REQUESTS (20000) OVERLOAD_CONCURRENCY (1000) OVERLOAD_PROBES (300)
#        OVERLOAD_NOOP (1: /noop the same way first, the reference for ab's figures; 0: not)
# Resets the sale first (./rush reset).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings
require_ab

requests=${OVERLOAD_REQUESTS:-20000}
concurrency=${OVERLOAD_CONCURRENCY:-1000}
probes=${OVERLOAD_PROBES:-300}
url=$NGINX_URL/buy/ticket
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"
# ab needs a descriptor per connection
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# the machine's floor at this moment: /noop the same way, just before (OVERLOAD_NOOP=0: not)
if [[ ${OVERLOAD_NOOP:-1} != 0 ]]; then
    run_ab -s 30 -n "$requests" -c "$concurrency" "$NGINX_URL/noop"
    noop_p99=$AB_P99
    echo "reference: ab -n $requests -c $concurrency -s 30 $NGINX_URL/noop: $AB_RPS req/s, p50 $AB_P50 ms, p99 $AB_P99 ms, longest $AB_P100 ms"
fi

"$RUSH_ROOT/rush" reset >/dev/null
read -r _ total < <(global_stock) || die "no sale in Redis after ./rush reset"
before=$(stat_lines)
bodies=$(mktemp -d "${TMPDIR:-/tmp}/rush-overload.XXXXXX")
trap 'rm -rf "$bodies"' EXIT

echo "overload: ab -n $requests -c $concurrency -s 30 $url for $total tickets, and $probes curl buyers alongside"
# the probes: one buyer after another, each answer kept with its status and time
(
    for ((i = 0; i < probes; i++)); do
        curl -s --max-time 30 -o "$bodies/$i.body" -w '%{http_code} %{time_total} %{content_type}\n' \
            -H "X-Probe: $i" "$url" >>"$bodies/probes" || echo "000 30 none" >>"$bodies/probes"
    done
) &
probe_pid=$!
start=$SECONDS
run_ab -s 30 -n "$requests" -c "$concurrency" "$url"
took=$((SECONDS - start))
wait "$probe_pid"
echo "  ab: $(ab_summary), longest ${AB_P100} ms, ${took}s in all"
if [[ -n ${noop_p99:-} ]]; then
    echo "  p99 $(awk -v b="$AB_P99" -v n="$noop_p99" 'BEGIN {printf "%.2f", b / n}')x /noop's"
fi
ok=1

# every probe answer: a ticket / sold out (200) or a 503, always JSON, never a Java trace
statuses=$(awk '{print $1}' "$bodies/probes" | sort | uniq -c | awk '{printf "%s x %s, ", $1, $2}')
slowest=$(awk '{if ($2 > m) m = $2} END {printf "%.2f", m}' "$bodies/probes")
echo "  probes: ${statuses%, }; slowest ${slowest}s"
bad_status=$(awk '$1 != 200 && $1 != 503' "$bodies/probes" | wc -l)
not_json=$(awk '$3 !~ /^application\/json/' "$bodies/probes" | wc -l)
traces=$(cat "$bodies"/*.body | grep -ciE 'exception|\bat [a-z0-9_.$]+\(|caused by|<html' || true)
if ((bad_status + not_json + traces != 0)); then
    echo "  FAIL: $bad_status probe answers neither 200 nor 503, $not_json not JSON, $traces with a trace or HTML"
    ok=0
fi
if ((AB_FAIL_CONNECT + AB_FAIL_RECEIVE + AB_FAIL_EXCEPTIONS != 0)); then
    echo "  FAIL: ab saw connection errors (connect/receive/exceptions)"
    ok=0
fi

# I1 holds under overload: the tickets won (result:1 without existing:1) == Redis sold == the
# stock. The nodes append stat.log from a background thread: wait (20 s at most) until the
# tickets won are there.
answered_tickets() {
    stat_since "$before" | tickets_won
}
deadline=$((SECONDS + 20))
while (($(answered_tickets) < total && SECONDS < deadline)); do sleep 0.2; done
tickets=$(answered_tickets)
# the nodes' 503s are in stat.log, ab's and the probes' alike; Nginx's own (no node free) are not
node_busy=$(stat_since "$before" | grep -c ',status:503,' || true)
probe_busy=$(awk '$1 == 503' "$bodies/probes" | wc -l)
read -r sold _ < <(global_stock)
echo "  stock: $total, redis sold $sold, tickets won (stat.log) $tickets," \
    "503 from nodes $node_busy (ab's and the probes'), from Nginx (no node free) $((AB_NON2XX + probe_busy - node_busy))"
sold_out=$(stat_since "$before" | grep -c ',result:-1,' || true)
if ((sold != tickets)); then
    echo "  FAIL: Redis sold $sold but $tickets tickets were won (stat.log)"
    ok=0
elif ((sold < total && sold_out > 0)); then
    echo "  FAIL: $sold_out buyers told sold out while $((total - sold)) tickets were left"
    ok=0
fi
if ((ok)); then
    echo "overload: PASS, no hang, every answer a ticket, sold out or a JSON 503; sold == won == $sold of $total"
else
    echo "overload: FAIL"
    exit 1
fi
