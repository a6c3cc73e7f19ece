#!/usr/bin/env bash
# The soak (issue 20, docs/archive.md): N sales of M tickets each created, sold out through Nginx to
# named buyers, a share paid and the rest expired (each sale's time to pay: --pay-within), closed,
# and archived, while the cluster keeps running: --at-once sales at a time, each one's buys and
# payments --parallel requests at once (curl --parallel), so the sales closed first are archived
# while the later ones sell. Then it checks:
#   - the database holds every order of the soak's sales exactly once (N x M rows, N x M distinct ids),
#     and the paid ones paid;
#   - no Redis key of an archived sale is left on any master (SCAN rush:{SOAK...x*} on each), nor
#     its id in the list of sales;
#   - each master's used_memory after the soak within --redis-margin bytes of before, plus the
#     tombstones on the master that holds them (--tombstone bytes a sale), plus its replication
#     backlog's growth up to repl-backlog-size (a master with replicas fills it once, then reuses it);
#     one Redis, Sentinel's primary, or every master of a cluster (redis_masters), each on its own;
#   - every node's heap after a full GC (jcmd GC.run, GC.heap_info) within --heap-margin MB of before;
#   - archived orders answer from the database (GET /order: "archived": true);
# and prints the time an archive takes (the archiving node's log).
# Needs a cluster whose nodes archive soon: RUSH_SALE_RETENTION_SECONDS=2 RUSH_ARCHIVE_MS=500 ./rush up
#   ab-scripts/soak.sh [--sales N] [--tickets M] [--paid PERCENT] [--pay-within S] [--parallel P]
#                      [--at-once K]
#   defaults: 200 sales x 1000 tickets, 20% paid, 10 s to pay, 4 sales at once, 16 requests at once
#   each (a payment that comes after its order expired is a refund due, and not counted paid);
#   about 450 tickets a second on the 2-core machine, so the defaults take about 10 minutes (on
#   Sentinel or a Redis Cluster under a load of 20-70, 224-233 a second: over 15 minutes).
# Prints where Redis's memory went (MEMORY STATS before and after, the keys that came or grew).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings

sales=200 tickets=1000 paid_pct=20 pay_within=10 parallel=16 at_once=4 redis_margin=$((2 * 1024 * 1024)) tombstone=200
heap_margin_mb=32
while (($#)); do
    case $1 in
    --sales) sales=$2; shift 2 ;;
    --tickets) tickets=$2; shift 2 ;;
    --paid) paid_pct=$2; shift 2 ;;
    --pay-within) pay_within=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --at-once) at_once=$2; shift 2 ;;
    *) die "soak.sh: unknown option $1" ;;
    esac
done
for n in "$sales" "$tickets" "$paid_pct" "$pay_within" "$parallel" "$at_once"; do is_uint "$n" || die "soak.sh: $n is not a whole number"; done
((paid_pct <= 100)) || die "--paid is a percentage"
((parallel > 0 && at_once > 0)) || die "--parallel and --at-once take at least 1"
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"

run=$(date +%s)
ids=()
for ((s = 0; s < sales; s++)); do ids+=("SOAK${run}x$s"); done
fail=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The servers that hold the data, each asked on its own: one Redis, Sentinel's primary, or every
# master of a cluster (a keyless command through rcli reaches one node only). A failover during the
# soak changes them: the figures before and after are then of different servers, and it fails.
read -r -a masters <<<"$(redis_masters | tr '\n' ' ')"
((${#masters[@]})) || die "soak.sh: no Redis master answers"
info_field() { server_cli "$1" INFO "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'; }
# Where a master's memory is, to explain a difference: MEMORY STATS as "name value" lines (summed
# over the masters), and every key with its MEMORY USAGE (a key name has no blank)
memory_stats() {
    local port
    for port in "${masters[@]}"; do
        server_cli "$port" MEMORY STATS | tr -d '\r' |
            awk 'prev != "" && $0 ~ /^-?[0-9.]+$/ { print prev, $0 } { prev = ($0 ~ /^-?[0-9.]+$/) ? "" : $0 }'
    done | awk '{ s[$1] += $2 } END { for (k in s) printf "%s %.0f\n", k, s[k] }' | LC_ALL=C sort
}
# $1: every key of every master with its MEMORY USAGE; $1.PORT: the keys of master PORT
key_sizes() {
    local port
    for port in "${masters[@]}"; do
        server_cli "$port" --scan | LC_ALL=C sort >"$1.$port.keys"
        sed 's/^/MEMORY USAGE /' "$1.$port.keys" | server_cli "$port" | tr -d '\r' | paste -d' ' "$1.$port.keys" - >"$1.$port"
    done
    cat "${masters[@]/#/$1.}" | LC_ALL=C sort >"$1"
}
# Once UNLINK's background frees are done on every master (lazyfree_pending_objects 0), MEMORY PURGE
settle_memory() {
    local port
    for port in "${masters[@]}"; do
        for _ in $(seq 1 50); do
            [[ $(info_field "$port" memory lazyfree_pending_objects) == 0 ]] && break
            sleep 0.2
        done
        server_cli "$port" MEMORY PURGE >/dev/null || true
    done
}
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

settle_memory
declare -A mem_before backlog_before
for port in "${masters[@]}"; do
    mem_before[$port]=$(info_field "$port" memory used_memory)
    backlog_before[$port]=$(info_field "$port" memory mem_replication_backlog)
done
memory_stats >"$work/stats-before"
key_sizes "$work/keys-before"
mem_before_sum=0
for port in "${masters[@]}"; do mem_before_sum=$((mem_before_sum + mem_before[$port])); done
declare -A heap_before
for port in "${NODE_PORTS[@]}"; do heap_before[$port]=$(heap_after_gc "$port"); done
echo "soak: $sales sales x $tickets tickets, $paid_pct% paid, $pay_within s to pay; Redis ($RUSH_REDIS_MODE," \
    "master(s) ${masters[*]}) used_memory $mem_before_sum bytes before"
t0=$(date +%s%N)

# ./rush sale "$@", tried again while it answers 503 (Redis busy, as a machine shared with a test run
# makes it: nothing done, or done with its answer lost) or the nodes could not all be told: a create
# whose first answer was lost finds its id taken, by itself (the ids are this run's own).
sale_admin_again() {
    local try out
    for try in 1 2 3 4 5 6; do
        out=$("$RUSH_ROOT/rush" sale "$@" 2>&1) && return 0
        ((try > 1)) && [[ $1 == create && $out == *'exists already'* ]] && return 0
        [[ $out == *'"error":"unavailable"'* || $out == *'did not read the sales again'* ]] || break
        echo "soak: ./rush sale $1 $2 answered busy, again in $try s" >&2
        sleep "$try"
    done
    echo "$out" >&2
    return 1
}

# What the answers of a round of curl (-w '@http CODE') were: "HTTP 503 x12, 202 x3; "error":"unavailable" x12"
answers_of() {
    echo "HTTP $({ grep -oE '^@http [0-9]+' "$1" || true; } | cut -d' ' -f2 | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }');" \
        "$({ grep -oE '"(error|reason)":"[^"]*"' "$1" || true; } | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')"
}

# One sale: created, every ticket to a named buyer of its own through Nginx (one curl, P at once), a
# share paid (P at once: POST /pay, then the demo provider), then closed at once: its unpaid orders
# expire on their own deadline (--pay-within), and the archiver waits for that. What it finds goes to
# files of its own ($work/ID.*): several sales run at once (--at-once).
sell_sale() {
    local id=$1 got to_pay started
    sale_admin_again create "$id" --stock "$tickets" --buyers open --pay-within "$pay_within" \
        --name "soak $id" || { echo "could not create sale $id" >>"$work/$id.fail"; return; }
    # every buyer without a ticket asks again (a 503 under load sold nothing), up to 5 rounds, until
    # the sale is sold out to --tickets buyers told "got a ticket"
    local u round
    for ((u = 0; u < tickets; u++)); do echo "$id-u$u"; done >"$work/$id.users"
    : >"$work/$id.orders"
    for ((round = 1; round <= 5; round++)); do
        cut -d' ' -f2 "$work/$id.orders" | LC_ALL=C sort >"$work/$id.served"
        LC_ALL=C sort "$work/$id.users" | LC_ALL=C comm -23 - "$work/$id.served" | while read -r user; do
            printf 'url = "%s/buy/ticket?sale=%s&user=%s"\nrequest = "POST"\n' "$NGINX_URL" "$id" "$user"
        done >"$work/$id.urls"
        [[ -s $work/$id.urls && $(wc -l <"$work/$id.orders") -lt $tickets ]] || break
        # (a transfer that failed is a buyer without a ticket: asked again)
        curl -s --no-progress-meter --parallel --parallel-max "$parallel" -K "$work/$id.urls" -w '\n@http %{http_code}\n' \
            >"$work/$id.buys" 2>/dev/null || true
        # (parallel answers may share a line: each is counted where it is, not by lines)
        { grep -oE '"code":1,"msg":"(got a ticket|you already have a ticket)","data":\{[^}]*"orderId":"[0-9]+","user":"[^"]+"' \
            "$work/$id.buys" || true; } | sed -E 's/.*"orderId":"([0-9]+)","user":"([^"]+)"/\1 \2/' >>"$work/$id.orders"
    done
    LC_ALL=C sort -u -o "$work/$id.orders" "$work/$id.orders"
    got=$(wc -l <"$work/$id.orders")
    ((got == tickets)) || echo "sale $id: $got of $tickets buyers got a ticket in 5 rounds (the last round: $(answers_of "$work/$id.buys"))" >>"$work/$id.fail"
    # a share pays: POST /pay (asked again while it answers no payment), then the demo provider's
    # callback (sent again, as a provider does, until it is answered). An order that expired before
    # its buyer came to pay (409 order_expired: the sale sold slower than --pay-within, as under
    # load) is a final answer, not asked again, and counted apart: it cannot be paid
    to_pay=$((tickets * paid_pct / 100))
    head -n "$to_pay" "$work/$id.orders" >"$work/$id.to-pay"
    : >"$work/$id.payments"
    : >"$work/$id.too-late"
    for ((round = 1; round <= 5; round++)); do
        { cut -d' ' -f2 "$work/$id.payments"; cat "$work/$id.too-late"; } | LC_ALL=C sort -u >"$work/$id.started"
        LC_ALL=C join -v 1 "$work/$id.to-pay" "$work/$id.started" | while read -r order user; do
            printf 'url = "%s/pay?order=%s&user=%s"\nrequest = "POST"\n' "$NGINX_URL" "$order" "$user"
        done >"$work/$id.pay-urls"
        [[ -s $work/$id.pay-urls ]] || break
        curl -s --no-progress-meter --parallel --parallel-max "$parallel" -K "$work/$id.pay-urls" -w '\n@http %{http_code}\n' \
            >"$work/$id.pays" 2>/dev/null || true
        { grep -oE '"paymentId":"[^"]+","orderId":"[0-9]+"' "$work/$id.pays" || true; } |
            sed -E 's/"paymentId":"([^"]+)","orderId":"([0-9]+)"/\1 \2/' >>"$work/$id.payments"
        LC_ALL=C sort -u -k2,2 -o "$work/$id.payments" "$work/$id.payments"
        { grep -oE '"msg":"order [0-9]+ expired unpaid[^"]*","error":"order_expired"' "$work/$id.pays" || true; } |
            sed -E 's/"msg":"order ([0-9]+) .*/\1/' >>"$work/$id.too-late"
    done
    LC_ALL=C sort -u -o "$work/$id.too-late" "$work/$id.too-late"
    started=$(wc -l <"$work/$id.payments")
    too_late=$(wc -l <"$work/$id.too-late")
    ((started + too_late == to_pay)) ||
        echo "sale $id: $started of $to_pay payments started in 5 rounds, $too_late orders expired before (the last round: $(answers_of "$work/$id.pays"))" >>"$work/$id.fail"
    cp "$work/$id.too-late" "$work/$id.expired-unpaid"
    cut -d' ' -f1 "$work/$id.payments" | LC_ALL=C sort -u >"$work/$id.payment-ids"
    : >"$work/$id.answered"
    : >"$work/$id.paid-ids"
    for ((round = 1; round <= 5; round++)); do
        LC_ALL=C sort -u "$work/$id.answered" | LC_ALL=C comm -23 "$work/$id.payment-ids" - | while read -r payment; do
            printf 'url = "%s/demo-pay/pay?payment=%s"\nrequest = "POST"\n' "$NGINX_URL" "$payment"
        done >"$work/$id.paid-urls"
        [[ -s $work/$id.paid-urls ]] || break
        curl -s --no-progress-meter --parallel --parallel-max "$parallel" -K "$work/$id.paid-urls" -w '\n@http %{http_code}\n' \
            >"$work/$id.callbacks" 2>/dev/null || true
        # paid only if the money came before the deadline (else the provider's answer is "refund due");
        # a callback sent again after its answer was lost finds it "already paid"
        { grep -oE '"msg":"paid","data":\{[^}]*"paymentId":"[^"]+"' "$work/$id.callbacks" || true; } |
            sed -E 's/.*"paymentId":"([^"]+)"/\1/' >>"$work/$id.paid-ids"
        { grep -oE '"msg":"already paid: payment [^ ",]+' "$work/$id.callbacks" || true; } |
            sed -E 's/.*payment ([^ ",]+)/\1/' >>"$work/$id.paid-ids"
        { grep -oE '"paymentId":"[^"]+"' "$work/$id.callbacks" || true; } | sed -E 's/.*:"([^"]+)"/\1/' >>"$work/$id.answered"
        cat "$work/$id.paid-ids" >>"$work/$id.answered" 2>/dev/null || true
    done
    LC_ALL=C sort -u "$work/$id.paid-ids" 2>/dev/null | wc -l >"$work/$id.paid"
    sale_admin_again close "$id" || echo "could not close sale $id" >>"$work/$id.fail"
    rm -f "$work/$id".{urls,buys,users,served,to-pay,payments,started,too-late,pay-urls,pays,payment-ids,answered,paid-urls,callbacks,paid-ids}
}

running=0 launched=0
for id in "${ids[@]}"; do
    sell_sale "$id" &
    launched=$((launched + 1))
    if ((++running >= at_once)); then
        wait -n || true
        running=$((running - 1))
    fi
    ((launched % 20 != 0)) || echo "soak: $launched of $sales sales started, $((($(date +%s%N) - t0) / 1000000000)) s"
done
wait
sold_s=$((($(date +%s%N) - t0) / 1000000))
for id in "${ids[@]}"; do
    [[ ! -s $work/$id.fail ]] || mapfile -t -O "${#fail[@]}" fail <"$work/$id.fail"
done
paid_expected=$(cat "$work"/*.paid 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
expired_unpaid=$(cat "$work"/*.expired-unpaid 2>/dev/null | wc -l)
echo "soak: sold out, paid ($paid_expected in time; $expired_unpaid orders of the paying share expired before /pay) and closed in $sold_s ms" \
    "($((sales * tickets * 1000 / (sold_s > 0 ? sold_s : 1))) tickets/s); waiting for every sale archived"

# every sale archived (its tombstone there, its stock hash gone), within a deadline
deadline=$(($(date +%s) + 120 + sales))
while :; do
    # one HMGET: an archived sale's tombstone, an empty line for one not archived yet
    left=$(rcli HMGET 'rush:{sales}:archived' "${ids[@]}" | tr -d '\r' | { grep -c '^$' || true; })
    ((left == 0)) && break
    (($(date +%s) < deadline)) || { fail+=("$left of $sales sales not archived in time"); break; }
    sleep 1
done
echo "soak: archived after $((($(date +%s%N) - t0) / 1000000)) ms in all"

# no key of an archived sale left on any master (one SCAN each for every sale of this run: their ids
# all start SOAK<run>x; a sale's keys are rush:{ID}:...), nor its id in the list of sales
read -r -a masters_now <<<"$(redis_masters | tr '\n' ' ')"
for port in "${masters_now[@]}"; do server_cli "$port" --scan --pattern "rush:{SOAK${run}x*"; done >"$work/keys-left"
keys_left=$(grep -c . "$work/keys-left" || true)
((keys_left == 0)) || fail+=("$keys_left Redis keys of archived sales left: $(head -n 5 "$work/keys-left" | tr '\n' ' ')")
listed=$(rcli SMISMEMBER 'rush:{sales}:ids' "${ids[@]}" | tr -d '\r' | { grep -c '^1$' || true; })
((listed == 0)) || fail+=("$listed archived sales still in rush:{sales}:ids")

# the database: every order exactly once
rows=$(db_query "SELECT COUNT(*) FROM orders WHERE sale_id LIKE 'SOAK${run}x%'")
distinct=$(db_query "SELECT COUNT(DISTINCT id) FROM orders WHERE sale_id LIKE 'SOAK${run}x%'")
paid_rows=$(db_query "SELECT COUNT(*) FROM orders WHERE sale_id LIKE 'SOAK${run}x%' AND state = 'paid'")
voided_rows=$(db_query "SELECT COUNT(*) FROM orders WHERE sale_id LIKE 'SOAK${run}x%' AND state = 'voided'")
expected=$((sales * tickets))
told=$(cat "$work"/*.orders 2>/dev/null | wc -l)
# every ticket a buyer was told is an order of the database, once; besides them only voided orders (a
# buy answered 503 whose Redis call ran after all: nothing sold, its order voided and written too)
((rows == distinct)) || fail+=("database: $rows rows but $distinct distinct ids")
((rows - voided_rows == told && told == expected)) ||
    fail+=("database: $((rows - voided_rows)) orders not voided, $told tickets told to buyers, expected $expected")
((paid_rows == paid_expected)) || fail+=("database: $paid_rows paid, expected $paid_expected")

# archived orders answer from the database
sample=$(head -n 1 "$work/${ids[0]}.orders" | cut -d' ' -f1)
answer=$(curl -s "$NGINX_URL/order?id=$sample")
[[ $answer == *'"archived":true'* ]] || fail+=("order $sample of an archived sale: $answer")

# memory: each master back where it was (plus the tombstones on the one that holds them, plus its
# replication backlog's fill up to its size), the nodes' heap after a full GC
settle_memory
[[ ${masters_now[*]} == "${masters[*]}" ]] ||
    fail+=("the masters changed during the soak (${masters[*]} -> ${masters_now[*]}: a failover): memory not comparable")
memory_stats >"$work/stats-after"
key_sizes "$work/keys-after"
mem_after_sum=0 allowed_sum=0
for port in "${masters[@]}"; do
    mem_after=$(info_field "$port" memory used_memory)
    backlog_after=$(info_field "$port" memory mem_replication_backlog)
    backlog_size=$(server_cli "$port" CONFIG GET repl-backlog-size | tr -d '\r' | sed -n 2p)
    # the backlog's growth, counted only up to its configured size
    backlog_grew=$(((backlog_after < backlog_size ? backlog_after : backlog_size) - backlog_before[$port]))
    ((backlog_grew > 0)) || backlog_grew=0
    tombstones=0
    ! grep -q '^rush:{sales}:archived ' "$work/keys-after.$port" || tombstones=$((sales * tombstone))
    allowed=$((redis_margin + tombstones + backlog_grew))
    grew=$((mem_after - mem_before[$port]))
    echo "soak: Redis master $port used_memory ${mem_before[$port]} -> $mem_after bytes ($grew more; allowed $allowed:" \
        "$redis_margin + $tombstones of tombstones + $backlog_grew of replication backlog ${backlog_before[$port]} -> $backlog_after, size $backlog_size)"
    ((grew <= allowed)) || fail+=("Redis master $port used_memory grew by $grew bytes (allowed $allowed)")
    mem_after_sum=$((mem_after_sum + mem_after)) allowed_sum=$((allowed_sum + allowed))
done
((${#masters[@]} == 1)) ||
    echo "soak: Redis used_memory over the ${#masters[@]} masters $mem_before_sum -> $mem_after_sum bytes ($((mem_after_sum - mem_before_sum)) more; each checked on its own, allowed $allowed_sum in all)"
# where the difference is: Redis's own parts (MEMORY STATS), then the keys that came or grew
echo "soak: MEMORY STATS before -> after (bytes): $(LC_ALL=C join "$work/stats-before" "$work/stats-after" |
    awk '$1 ~ /^(overhead.total|startup.allocated|clients.normal|clients.slaves|replication.backlog|aof.buffer|lua.caches|functions.caches|overhead.hashtable.main|overhead.hashtable.expires|keys.count|dataset.bytes)$/ { printf "%s%s %s -> %s", sep, $1, $2, $3; sep = ", " }')"
LC_ALL=C join -a 2 -e 0 -o 0,1.2,2.2 "$work/keys-before" "$work/keys-after" | awk '$3 != $2 { print $3 - $2, $1, $2 " -> " $3 }' |
    sort -rn | head -n 8 | sed 's/^/soak:   key grew /'
echo "soak: keys $(wc -l <"$work/keys-before") -> $(wc -l <"$work/keys-after"), their MEMORY USAGE" \
    "$(awk '{ s += $2 } END { print s + 0 }' "$work/keys-before") -> $(awk '{ s += $2 } END { print s + 0 }' "$work/keys-after") bytes"
for port in "${NODE_PORTS[@]}"; do
    after=$(heap_after_gc "$port")
    echo "soak: node $port heap after a full GC ${heap_before[$port]} -> $after KB (allowed +$((heap_margin_mb * 1024)))"
    ((after - heap_before[$port] <= heap_margin_mb * 1024)) || fail+=("node $port heap grew by $((after - heap_before[$port])) KB")
done
times=$(cat "$RUSH_LOG_DIR"/jetty-*.log | grep -E "sale SOAK${run}x[0-9]+ archived" | sed -nE 's/.* in ([0-9]+) ms$/\1/p' | sort -n)
if [[ -n $times ]]; then
    echo "soak: an archive takes $(echo "$times" | awk '{ a[NR] = $1 } END { print "p50 " a[int((NR + 1) / 2)] " ms, max " a[NR] " ms over " NR " sales" }')"
fi
echo "soak: database $rows rows ($distinct distinct, $voided_rows voided: buys answered 503) for $told tickets told of $expected, $paid_rows paid; Redis keys of archived sales left: $keys_left"
if ((${#fail[@]})); then
    printf 'FAIL: %s\n' "${fail[@]}"
    exit 1
fi
echo "soak: PASS"
