#!/usr/bin/env bash
# A whole sale through Nginx, then I1 (no oversell) and I2 (no undersell):
#   tickets won (result:1 without existing:1 in stat.log) == Redis ticket_sold_nums == the stock,
#   every answer a ticket or "sold out" (no non-2xx, no connection errors, status:200 only),
#   one order per ticket, every order in the database (and how long after the sale it got there).
# Starts with ./rush reset --stock T, so it restarts the nodes and empties stat.log.
#   ab-scripts/sale.sh [--stock T] [--requests N] [--concurrency C] [-k]
#   defaults: 10000 tickets, 50000 requests, -c 100, no keep-alive (as in the article)
#   env: SALE_TICKETS SALE_REQUESTS SALE_CONCURRENCY SALE_WARMUP (5000 x /noop after the reset; 0: none)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings
require_ab

tickets=${SALE_TICKETS:-10000}
requests=${SALE_REQUESTS:-50000}
concurrency=${SALE_CONCURRENCY:-100}
warmup=${SALE_WARMUP:-5000}
keepalive=()
while (($#)); do
    case $1 in
    --stock) tickets=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    -k | --keepalive) keepalive=(-k); shift ;;
    *) die "sale.sh: unknown option $1" ;;
    esac
done
is_uint "$tickets" && is_uint "$requests" && is_uint "$concurrency" || die "--stock, --requests, --concurrency take whole numbers"
# ab's -g/-e data of the measured run and the charts ab-scripts/plot.sh draws from it
plots=$RUSH_LOG_DIR/plots/sale
rm -rf "$plots" && mkdir -p "$plots"

"$RUSH_ROOT/rush" reset --stock "$tickets"
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nginx does not answer on $NGINX_URL: ./rush up first"
# The reset restarted the JVMs; warm them up on paths that sell nothing, as a real sale's
# servers would be warm when it opens.
if ((warmup > 0)); then
    echo "sale: warm-up, $warmup x GET /noop and $((warmup / 5)) x GET /stock through Nginx (no tickets)"
    run_ab -n "$warmup" -c "$concurrency" "$NGINX_URL/noop"
    run_ab -n $((warmup / 5)) -c "$concurrency" "$NGINX_URL/stock"
fi

url=$NGINX_URL/buy/ticket
echo "sale: $tickets tickets, ab ${keepalive[*]} -n $requests -c $concurrency $url"
run_ab "${keepalive[@]}" -g "$plots/sale.g.tsv" -e "$plots/sale.e.csv" -n "$requests" -c "$concurrency" "$url"
printf 'sale\t%s\t%s\t%s\n' "$AB_RPS" "$AB_P50" "$AB_P99" >"$plots/throughput.tsv"
echo "  ab: $(ab_summary)"
wait_stat_lines "$requests" 30 || true

# the run's lines (it began with an empty stat.log), across the nodes' rotations, in one file
run_stat=$plots/stat.log
stat_all >"$run_stat"
lines=$(wc -l <"$run_stat")
won=$(tickets_won <"$run_stat")
existing=$(existing_answers <"$run_stat")
lost=$(grep -c ',result:-1,' "$run_stat" || true)
errors=$(grep -c ',result:0,' "$run_stat" || true)
not200=$(grep -vc ',status:200,' "$run_stat" || true)
read -r sold total <<<"$(global_stock)" || die "cannot read $RUSH_STOCK_KEY from redis"
expected=$((requests < tickets ? requests : tickets))

echo "  stat.log: $lines lines: $won tickets won, $existing retries answered with their order, $lost sold out, $errors errors, $not200 not status:200"
if ((not200 > 0)); then
    echo "  not status:200, per node and status: $(grep -v ',status:200,' "$run_stat" | cut -d, -f1,2 | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    echo "  (a 503 is a node that could not reach Redis or waited rush.lock.wait.ms for its stock lock; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
fi
echo "  redis:    ticket_sold_nums=$sold ticket_total_nums=$total"
fail=()
((lines == requests)) || fail+=("stat.log has $lines lines for $requests requests")
((won == sold)) || fail+=("I1: $won tickets won (stat.log) but redis sold $sold")
((sold <= total)) || fail+=("I1: oversold, redis sold $sold of $total")
((sold == expected)) || fail+=("I2: sold $sold, expected $expected")
((AB_NON2XX == 0)) || fail+=("ab saw $AB_NON2XX non-2xx answers")
((AB_FAIL_CONNECT + AB_FAIL_RECEIVE + AB_FAIL_EXCEPTIONS == 0)) ||
    fail+=("ab saw connection errors (connect $AB_FAIL_CONNECT, receive $AB_FAIL_RECEIVE, exceptions $AB_FAIL_EXCEPTIONS)")
((errors == 0 && not200 == 0)) || fail+=("stat.log has $errors error results and $not200 non-200 statuses")
((AB_COMPLETE == requests)) || fail+=("ab completed $AB_COMPLETE of $requests")

# I1 continued: one order per ticket, and every order reaches the database (the order writer
# runs apart from the buy path, so it may finish after the last buyer was answered).
read -r orders in_db last_write <<<"$(sale_admin orders)" || die "cannot read the orders from redis"
echo "  orders:   $orders created in redis"
((orders == won)) || fail+=("I1: $won tickets won but $orders orders created")
last_sale=$(grep ',result:1,' "$run_stat" | grep -v ',existing:1' | sed -n 's/.*,ts:\([0-9]*\).*/\1/p' | sort -n | tail -1)
deadline=$((SECONDS + ${SALE_WRITER_WAIT:-120}))
until ((in_db >= orders)) || ((SECONDS >= deadline)); do
    sleep 0.2
    read -r _ in_db last_write <<<"$(sale_admin orders)"
done
if ((in_db == orders)); then
    lag=$((last_write - ${last_sale:-$last_write}))
    ((lag >= 0)) || lag=0
    echo "  database: all $in_db orders in $RUSH_DB_URL, the last one ${lag} ms after the last ticket was sold"
else
    fail+=("only $in_db of $orders orders reached the database within ${SALE_WRITER_WAIT:-120} s")
fi

echo "  throughput $AB_RPS req/s, p50 $AB_P50 ms, p99 $AB_P99 ms"
"$RUSH_ROOT/ab-scripts/plot.sh" "$plots" "$run_stat" || echo "  (no charts, see above)"
if ((${#fail[@]} == 0)); then
    echo "sale: PASS  tickets won $won == redis sold $sold == $expected, every answer a ticket or sold out"
else
    printf 'sale: FAIL  %s\n' "${fail[@]}"
    exit 1
fi
