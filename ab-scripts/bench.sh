#!/usr/bin/env bash
# ./rush bench: the article's ab runs against the running cluster, in one table.
#
# It owns the cluster while it runs: it resets the stock (./rush reset, which restarts the
# nodes) before each run that buys, warms the fresh JVMs up with /noop and /stock (no tickets),
# and leaves the sale sold out at the end (./rush reset starts a fresh one).
#   env: BENCH_REQUESTS (10000) BENCH_CONCURRENCY (100) BENCH_WARMUP (10000) RUSH_STOCK_TOTAL (10000)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings
require_ab

n=${BENCH_REQUESTS:-10000}
c=${BENCH_CONCURRENCY:-100}
warm=${BENCH_WARMUP:-10000}
tickets=$RUSH_STOCK_TOTAL
node=${NODE_PORTS[0]}
direct=$(node_url "$node")
sale_n=$((n > tickets ? n : tickets))
# ab's -g/-e data of the measured run and the charts ab-scripts/plot.sh draws from it
plots=$RUSH_LOG_DIR/plots/bench
rm -rf "$plots" && mkdir -p "$plots"

curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nginx does not answer on $NGINX_URL: ./rush up first"
echo "bench: ab -n $n -c $c per run, at $NGINX_URL and $direct; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench: resets the stock to $tickets tickets (restarting the nodes) before each run that buys"

rows=()
failures=()
# $1 label, $2 ab options... ; adds a table row, counting tickets in the new stat.log lines for buys
measure() {
    local label=$1 before won="-" url=${*: -1} requests
    shift
    before=$(stat_lines)
    requests=$(awk '{for (i = 1; i < NF; i++) if ($i == "-n") print $(i + 1)}' <<<"$*")
    local slug
    slug=$(tr -cs 'a-z0-9' '-' <<<"${label,,}" | sed 's/^-*//; s/-*$//')
    run_ab -g "$plots/$slug.g.tsv" -e "$plots/$slug.e.csv" "$@"
    printf '%s\t%s\t%s\t%s\n' "$slug" "$AB_RPS" "$AB_P50" "$AB_P99" >>"$plots/throughput.tsv"
    if [[ $url == */buy/ticket ]]; then
        wait_stat_lines $((before + requests)) 30 || failures+=("$label: stat.log is missing lines")
        won=$(stat_since "$before" | tickets_won)
    fi
    ((AB_NON2XX == 0 && AB_FAIL_CONNECT + AB_FAIL_RECEIVE + AB_FAIL_EXCEPTIONS == 0)) ||
        failures+=("$label: $AB_NON2XX non-2xx, $((AB_FAIL_CONNECT + AB_FAIL_RECEIVE + AB_FAIL_EXCEPTIONS)) connection errors")
    rows+=("$(printf '%-48s %8s %10s %7s %7s %7s %8s' "$label" "$requests" "$AB_RPS" "$AB_P50" "$AB_P99" "$AB_NON2XX" "$won")")
    printf '  %s\n' "${rows[-1]}"
    LAST_RPS=$AB_RPS
}

fresh_sale() {
    echo "-- fresh sale: ./rush reset --stock $tickets, then warm-up ($warm x /noop and /stock through Nginx, $((warm / 4)) x /noop on $node; no tickets)"
    "$RUSH_ROOT/rush" reset --stock "$tickets" | sed 's/^/   /'
    run_ab -n "$warm" -c "$c" "$NGINX_URL/noop"
    run_ab -n $((warm / 5)) -c "$c" "$NGINX_URL/stock"
    run_ab -n $((warm / 4)) -c "$c" "$direct/noop"
}

fresh_sale
run_ab -n "$warm" -c "$c" "$NGINX_URL/nginx-ok"
measure "buy, node $node direct (fresh stock)" -n "$n" -c "$c" "$direct/buy/ticket"

fresh_sale
measure "full sale: buy through Nginx ($tickets tickets)" -n "$sale_n" -c "$c" "$NGINX_URL/buy/ticket"
sale_p99=$AB_P99 sale_rps=$AB_RPS
read -r sale_sold sale_total <<<"$(global_stock)"
sale_won=$(stat_all | tickets_won)
((sale_sold == sale_total && sale_won == sale_sold)) ||
    failures+=("full sale: redis sold $sale_sold of $sale_total, $sale_won tickets answered")

fresh_sale
measure "buy through Nginx, keep-alive -k (fresh stock)" -k -n "$n" -c "$c" "$NGINX_URL/buy/ticket"

# The sold-out path: drain whatever is left, so every node answers from memory.
read -r sold total <<<"$(global_stock)"
if ((sold < total)); then
    echo "-- draining the $((total - sold)) tickets left"
    run_ab -n $(((total - sold) * 2 + 1000)) -c "$c" "$NGINX_URL/buy/ticket"
fi
read -r sold total <<<"$(global_stock)"
((sold == total)) || failures+=("could not sell out: $sold of $total sold")

# Through Nginx the first node sees a tenth of the requests, so both paths get a long warm-up
# (JIT) before they are compared.
echo "-- sold out: every node answers from memory; warm-up first: $((3 * warm)) x /buy/ticket (nothing left to sell) and $((3 * warm)) x /noop through Nginx"
run_ab -n $((3 * warm)) -c "$c" "$NGINX_URL/buy/ticket"
run_ab -n $((3 * warm)) -c "$c" "$NGINX_URL/noop"
measure "buy through Nginx, sold out" -n "$n" -c "$c" "$NGINX_URL/buy/ticket"
soldout_rps=$LAST_RPS
measure "noop through Nginx (reference)" -n "$n" -c "$c" "$NGINX_URL/noop"
noop_rps=$LAST_RPS
measure "buy, node $node direct, sold out" -n "$n" -c "$c" "$direct/buy/ticket"
measure "noop, node $node direct (reference)" -n "$n" -c "$c" "$direct/noop"
measure "noop through Nginx, keep-alive -k" -k -n "$n" -c "$c" "$NGINX_URL/noop"
measure "Nginx's own /nginx-ok (reference)" -n "$n" -c "$c" "$NGINX_URL/nginx-ok"

echo
printf '%-48s %8s %10s %7s %7s %7s %8s\n' scenario requests "req/s" "p50 ms" "p99 ms" non-2xx tickets
printf '%s\n' "${rows[@]}"
echo
ratio=$(awk -v a="$soldout_rps" -v b="$noop_rps" 'BEGIN {printf "%.2f", a / b}')
echo "sold-out /buy/ticket vs /noop through the same Nginx: $soldout_rps / $noop_rps req/s = $ratio"
echo "full sale of $tickets tickets through Nginx at -c $c: $sale_rps req/s, p99 $sale_p99 ms, $sale_won tickets answered, redis sold $sale_sold of $sale_total"
echo "the sale is now sold out: ./rush reset for a fresh one"
"$RUSH_ROOT/ab-scripts/plot.sh" "$plots" || echo "(no charts, see above)"
if ((${#failures[@]})); then
    printf 'bench: FAIL  %s\n' "${failures[@]}"
    exit 1
fi
echo "bench: PASS (no non-2xx answers, no connection errors, full sale sold exactly $tickets)"
