#!/usr/bin/env bash
# I5 weighted balance: N requests (default 1000) through Nginx to /buy/ticket, then the new
# stat.log lines per node port must split exactly by the Nginx weights (100/200/300/400).
# Buys tickets (or gets "sold out" answers): run it before ./rush reset if the stock matters.
#   env: WEIGHTED_REQUESTS (1000) WEIGHTED_CONCURRENCY (100) WEIGHTED_WARMUP (2000 x /noop first)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings
require_ab

requests=${WEIGHTED_REQUESTS:-1000}
concurrency=${WEIGHTED_CONCURRENCY:-100}
url=$NGINX_URL/buy/ticket
sum=$(weights_total)
# ab's -g/-e data of the measured run and the charts ab-scripts/plot.sh draws from it
plots=$RUSH_LOG_DIR/plots/weighted
rm -rf "$plots" && mkdir -p "$plots"

curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"
# /noop writes no stat.log line and sells nothing: it only warms up freshly started JVMs.
warmup=${WEIGHTED_WARMUP:-2000}
((warmup == 0)) || run_ab -n "$warmup" -c "$concurrency" "$NGINX_URL/noop"
before=$(stat_lines)
echo "weighted: ab -n $requests -c $concurrency $url (stat.log has $before lines)"
run_ab -g "$plots/weighted.g.tsv" -e "$plots/weighted.e.csv" -n "$requests" -c "$concurrency" "$url"
printf 'weighted\t%s\t%s\t%s\n' "$AB_RPS" "$AB_P50" "$AB_P99" >"$plots/throughput.tsv"
echo "  ab: $(ab_summary)"
wait_stat_lines $((before + requests)) 20
new=$(stat_since "$before" | head -n "$requests")

ok=1
if (($(ab_real_failures) != 0)); then
    echo "  FAIL: ab saw $(ab_real_failures) errors or non-2xx answers"
    ok=0
fi
not200=$(grep -vc ',status:200,' <<<"$new" || true)
if ((not200 != 0)); then
    echo "  FAIL: $not200 of the new stat.log lines are not status:200"
    ok=0
fi
printf '  %-6s %-6s %-9s %-9s\n' port weight expected served
for i in "${!NODE_PORTS[@]}"; do
    port=${NODE_PORTS[$i]} weight=${NODE_WEIGHTS[$i]}
    served=$(grep -c "^port:$port," <<<"$new" || true)
    # exact when the weights divide the request count; otherwise either rounding is right
    low=$((requests * weight / sum))
    high=$(((requests * weight + sum - 1) / sum))
    expected=$low
    ((low == high)) || expected="$low..$high"
    mark=ok
    if ((served < low || served > high)); then
        mark=WRONG
        ok=0
    fi
    printf '  %-6s %-6s %-9s %-9s %s\n' "$port" "$weight" "$expected" "$served" "$mark"
done
printf '%s\n' "$new" >"$plots/stat.log"
"$RUSH_ROOT/ab-scripts/plot.sh" "$plots" "$plots/stat.log" || echo "  (no charts, see above)"
if ((ok)); then
    echo "weighted: PASS, the $requests requests split by weight (${NODE_WEIGHTS[*]})"
else
    echo "weighted: FAIL"
    exit 1
fi
