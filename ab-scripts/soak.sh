#!/usr/bin/env bash
# The soak (issue 20, docs/archive.md): N sales of M tickets each created, sold out through Nginx to
# named buyers, a share paid and the rest expired (each sale's time to pay: --pay-within), closed,
# and archived, while the cluster keeps running. Then it checks:
#   - the database holds every order of the soak's sales exactly once (N x M rows, N x M distinct ids),
#     and the paid ones paid;
#   - no Redis key of an archived sale is left (SCAN rush:{ID}:*);
#   - Redis used_memory after the soak within --redis-margin bytes of before, plus the tombstones
#     (--tombstone bytes a sale);
#   - every node's heap after a full GC (jcmd GC.run, GC.heap_info) within --heap-margin MB of before;
#   - archived orders answer from the database (GET /order: "archived": true);
# and prints the time an archive takes (the archiving node's log).
# Needs a cluster whose nodes archive soon: RUSH_SALE_RETENTION_SECONDS=2 RUSH_ARCHIVE_MS=500 ./rush up
#   ab-scripts/soak.sh [--sales N] [--tickets M] [--paid PERCENT] [--pay-within S] [--parallel P]
#   defaults: 200 sales x 1000 tickets, 20% paid, 10 s to pay, 32 requests at once (a payment that comes
#   after its order expired is a refund due, and not counted paid)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings

sales=200 tickets=1000 paid_pct=20 pay_within=10 parallel=32 redis_margin=$((2 * 1024 * 1024)) tombstone=200
heap_margin_mb=32
while (($#)); do
    case $1 in
    --sales) sales=$2; shift 2 ;;
    --tickets) tickets=$2; shift 2 ;;
    --paid) paid_pct=$2; shift 2 ;;
    --pay-within) pay_within=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    *) die "soak.sh: unknown option $1" ;;
    esac
done
for n in "$sales" "$tickets" "$paid_pct" "$pay_within" "$parallel"; do is_uint "$n" || die "soak.sh: $n is not a whole number"; done
((paid_pct <= 100)) || die "--paid is a percentage"
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"

run=$(date +%s)
ids=()
for ((s = 0; s < sales; s++)); do ids+=("SOAK${run}x$s"); done
fail=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

used_memory() { rcli INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
node_pid_of() { cat "$RUSH_RUN_DIR/pids/jetty-$1.pid"; }
# a node's heap in use after a full GC, in KB
as_rush_user
heap_after_gc() {
    local pid
    pid=$(node_pid_of "$1")
    "${AS_RUSH[@]}" jcmd "$pid" GC.run >/dev/null
    "${AS_RUSH[@]}" jcmd "$pid" GC.heap_info | awk '/ used / { for (i = 1; i <= NF; i++) if ($i == "used") { sub("K", "", $(i + 1)); s += $(i + 1) } } END { print s + 0 }'
}
db_query() {
    java -cp "$APP_DIR/WEB-INF/lib/*" org.h2.tools.Shell -url "$RUSH_DB_URL" -user "${RUSH_DB_USER:-sa}" \
        -password "${RUSH_DB_PASSWORD:-}" -sql "$1" | awk 'NR == 2 { print $1 }'
}

rcli MEMORY PURGE >/dev/null || true
mem_before=$(used_memory)
declare -A heap_before
for port in "${NODE_PORTS[@]}"; do heap_before[$port]=$(heap_after_gc "$port"); done
echo "soak: $sales sales x $tickets tickets, $paid_pct% paid, $pay_within s to pay; Redis used_memory $mem_before bytes before"
t0=$(date +%s%N)

for id in "${ids[@]}"; do
    "$RUSH_ROOT/rush" sale create "$id" --stock "$tickets" --buyers open --pay-within "$pay_within" \
        --name "soak $id" >/dev/null || die "could not create sale $id"
    # every ticket to a named buyer of its own, through Nginx, P at once (one curl)
    : >"$work/urls"
    for ((u = 0; u < tickets; u++)); do
        printf 'url = "%s/buy/ticket?sale=%s&user=%s-u%d"\nrequest = "POST"\n' "$NGINX_URL" "$id" "$id" "$u" >>"$work/urls"
    done
    curl -s --no-progress-meter --parallel --parallel-max "$parallel" -K "$work/urls" -w '\n' >"$work/$id.buys" 2>/dev/null
    # (parallel answers may share a line: each is counted where it is, not by lines)
    grep -oE '"code":1,"msg":"got a ticket","data":\{[^}]*"orderId":"[0-9]+","user":"[^"]+"' "$work/$id.buys" |
        sed -E 's/.*"orderId":"([0-9]+)","user":"([^"]+)"/\1 \2/' >"$work/$id.orders" || true
    got=$(wc -l <"$work/$id.orders")
    ((got == tickets)) || fail+=("sale $id: $got of $tickets buyers got a ticket")
    # a share pays: POST /pay, then the demo provider pays
    to_pay=$((tickets * paid_pct / 100))
    head -n "$to_pay" "$work/$id.orders" |
        while read -r order user; do
            payment=$(curl -s -X POST "$NGINX_URL/pay?order=$order&user=$user" | sed -nE 's/.*"paymentId":"([^"]+)".*/\1/p')
            # paid only if the money came before the deadline (else the provider's answer is "refund due")
            if [[ $(curl -s -X POST "$NGINX_URL/demo-pay/pay?payment=$payment") == *'"msg":"paid"'* ]]; then
                echo "$order" >>"$work/paid"
            fi
        done
done
sold_s=$((($(date +%s%N) - t0) / 1000000))
echo "soak: sold out and paid in $sold_s ms; waiting for the unpaid to expire, then closing"
sleep "$((pay_within + 2))"
for id in "${ids[@]}"; do "$RUSH_ROOT/rush" sale close "$id" >/dev/null || die "could not close sale $id"; done

# every sale archived (its tombstone there, its stock hash gone), within a deadline
deadline=$(($(date +%s) + 120 + sales))
while :; do
    left=0
    for id in "${ids[@]}"; do
        [[ $(rcli HEXISTS 'rush:{sales}:archived' "$id" | tr -d '\r') == 1 ]] || left=$((left + 1))
    done
    ((left == 0)) && break
    (($(date +%s) < deadline)) || { fail+=("$left of $sales sales not archived in time"); break; }
    sleep 1
done
echo "soak: archived after $((($(date +%s%N) - t0) / 1000000)) ms in all"

# no key of an archived sale left
keys_left=0
for id in "${ids[@]}"; do
    n=$(rcli --scan --pattern "rush:{$id}:*" | grep -c . || true)
    keys_left=$((keys_left + n))
done
((keys_left == 0)) || fail+=("$keys_left Redis keys of archived sales left")

# the database: every order exactly once
rows=$(db_query "SELECT COUNT(*) FROM orders WHERE sale_id LIKE 'SOAK${run}x%'")
distinct=$(db_query "SELECT COUNT(DISTINCT id) FROM orders WHERE sale_id LIKE 'SOAK${run}x%'")
paid_rows=$(db_query "SELECT COUNT(*) FROM orders WHERE sale_id LIKE 'SOAK${run}x%' AND state = 'paid'")
expected=$((sales * tickets))
paid_expected=$(wc -l <"$work/paid" 2>/dev/null || echo 0)
((rows == expected && distinct == expected)) || fail+=("database: $rows rows, $distinct distinct, expected $expected")
((paid_rows == paid_expected)) || fail+=("database: $paid_rows paid, expected $paid_expected")

# archived orders answer from the database
sample=$(head -n 1 "$work/${ids[0]}.orders" | cut -d' ' -f1)
answer=$(curl -s "$NGINX_URL/order?id=$sample")
[[ $answer == *'"archived":true'* ]] || fail+=("order $sample of an archived sale: $answer")

# memory: Redis back where it was (plus the tombstones), the nodes' heap after a full GC
# UNLINK frees in the background: wait until it has (lazyfree_pending_objects 0)
for _ in $(seq 1 50); do
    [[ $(rcli INFO memory | tr -d '\r' | awk -F: '$1 == "lazyfree_pending_objects" { print $2 }') == 0 ]] && break
    sleep 0.2
done
rcli MEMORY PURGE >/dev/null || true
mem_after=$(used_memory)
allowed=$((redis_margin + sales * tombstone))
echo "soak: Redis used_memory $mem_before -> $mem_after bytes ($((mem_after - mem_before)) more; allowed $allowed: $redis_margin + $tombstone a tombstone)"
((mem_after - mem_before <= allowed)) || fail+=("Redis used_memory grew by $((mem_after - mem_before)) bytes")
for port in "${NODE_PORTS[@]}"; do
    after=$(heap_after_gc "$port")
    echo "soak: node $port heap after a full GC ${heap_before[$port]} -> $after KB (allowed +$((heap_margin_mb * 1024)))"
    ((after - heap_before[$port] <= heap_margin_mb * 1024)) || fail+=("node $port heap grew by $((after - heap_before[$port])) KB")
done
times=$(cat "$RUSH_LOG_DIR"/jetty-*.log | grep -E "sale SOAK${run}x[0-9]+ archived" | sed -nE 's/.* in ([0-9]+) ms$/\1/p' | sort -n)
if [[ -n $times ]]; then
    echo "soak: an archive takes $(echo "$times" | awk '{ a[NR] = $1 } END { print "p50 " a[int((NR + 1) / 2)] " ms, max " a[NR] " ms over " NR " sales" }')"
fi
echo "soak: database $rows rows ($distinct distinct) for $expected orders, $paid_rows paid; Redis keys of archived sales left: $keys_left"
if ((${#fail[@]})); then
    printf 'FAIL: %s\n' "${fail[@]}"
    exit 1
fi
echo "soak: PASS"
