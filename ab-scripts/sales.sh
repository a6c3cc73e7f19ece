#!/usr/bin/env bash
# Sales while the nodes run: creates sale ID (default G1234) with N tickets opening in S seconds
# (x RUSH_TEST_TIMESCALE) through ./rush sale create, checks it answers "not open yet" and sells
# nothing before its moment (a request asked and answered before it on Redis's clock, which the
# nodes judge the opening by),
# then sells it out through Nginx, then a second sale after it, and checks: each sale's tickets
# won (stat.log lines with sale:ID) == Redis sold == its stock == its orders in the database, and
# no node process was restarted (their PIDs are the same at the end as at the start).
#   ab-scripts/sales.sh [--sale ID] [--stock N] [--opens SECONDS] [--requests N]
#   defaults: G1234, 500 tickets, opens in 3 s, 1500 requests per sale, -c 50
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings
require_ab

sale=G1234 stock=500 opens=3 requests=1500 concurrency=50
while (($#)); do
    case $1 in
    --sale) sale=$2; shift 2 ;;
    --stock) stock=$2; shift 2 ;;
    --opens) opens=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    *) die "sales.sh: unknown option $1" ;;
    esac
done
is_uint "$stock" && is_uint "$opens" && is_uint "$requests" || die "--stock, --opens, --requests take whole numbers"
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"

node_pids() {
    local port
    for port in "${NODE_PORTS[@]}"; do cat "$RUSH_RUN_DIR/pids/jetty-$port.pid"; done | tr '\n' ' '
}
pids_before=$(node_pids)
fail=()

# one sale: created, checked before it opens, sold out; $1 id, $2 seconds until it opens
sell() {
    local id=$1 in=$2 answer code opens t0 t1
    "$RUSH_ROOT/rush" sale create "$id" --stock "$stock" --opens "+$in" --name "train $id" --buyers open >/dev/null ||
        die "could not create sale $id"
    if ((in > 1)); then
        opens=$(rcli HGET "rush:{$id}:stock" opens_at | tr -d '\r')
        is_uint "$opens" || die "sale $id has no opening moment in Redis"
        # An order, not a time: a request asked at t0 and answered by t1 on Redis's clock (the one
        # the opening is judged by) with t1 before the opening was judged before it.
        t0=$(redis_now_ms)
        answer=$(curl -s --max-time 5 "$NGINX_URL/buy/ticket?sale=$id&user=early-$id")
        t1=$(redis_now_ms)
        code=$(sed -n 's/^{"code":\(-*[0-9]*\).*/\1/p' <<<"$answer")
        if [[ $code != -2 ]] && ((t1 < opens)); then
            fail+=("sale $id, asked and answered $((opens - t1)) ms before its opening, answered $answer, not code -2")
        elif [[ $code != -2 ]]; then
            die "sale $id: the request before its opening was asked $((t0 - opens)) ms and answered $((t1 - opens))" \
                "ms from it (Redis's clock), answered $answer: too late to check the sale before it opens on a" \
                "machine this busy; set RUSH_TEST_TIMESCALE (now ${RUSH_TEST_TIMESCALE:-1}) to stretch --opens $in"
        fi
        read -r sold _ <<<"$(sale_admin stock "$id")"
        ((sold == 0)) || fail+=("sale $id sold $sold tickets before its opening (nothing but one early request came before ab)")
    fi
    # the nodes see the opening on their next look at the sale: a bound, stretched on a slow machine
    local wait=$((in + $(timescaled 10))) deadline
    deadline=$((SECONDS + wait))
    until curl -s --max-time 5 "$NGINX_URL/sales" | tr '{' '\n' | grep "\"id\":\"$id\"" | grep -q '"state":"open"'; do
        ((SECONDS < deadline)) || die "sale $id did not open within $wait s"
        sleep 0.2
    done
    local before lines won
    before=$(stat_lines)
    echo "sales: $id open: ab -n $requests -c $concurrency '$NGINX_URL/buy/ticket?sale=$id'"
    run_ab -n "$requests" -c "$concurrency" "$NGINX_URL/buy/ticket?sale=$id"
    echo "  ab: $(ab_summary)"
    wait_stat_lines $((before + requests)) 30 || fail+=("stat.log is missing lines of sale $id")
    lines=$(stat_since "$before" | grep -c ",sale:$id," || true)
    won=$(stat_since "$before" | grep ",sale:$id," | tickets_won)
    read -r sold total <<<"$(sale_admin stock "$id")"
    echo "  $id: $lines stat.log lines, $won tickets won, Redis sold $sold of $total"
    ((lines == requests)) || fail+=("sale $id: $lines stat.log lines for $requests requests")
    ((won == sold && sold == total)) || fail+=("sale $id: $won tickets won, Redis sold $sold of $total")
    ((AB_NON2XX == 0)) || fail+=("sale $id: $AB_NON2XX non-2xx answers")
    local created in_db last
    deadline=$((SECONDS + 60))
    while read -r created in_db last <<<"$(sale_admin orders "$id")"; ((in_db < sold)) && ((SECONDS < deadline)); do
        sleep 0.5
    done
    echo "  $id: $created orders made, $in_db in the database"
    ((created == sold && in_db == sold)) || fail+=("sale $id: $created orders made, $in_db in the database, $sold sold")
}

sell "$sale" "$(timescaled "$opens")"
sell "$sale-next" 0
"$RUSH_ROOT/rush" sale list
pids_after=$(node_pids)
[[ $pids_before == "$pids_after" ]] || fail+=("node PIDs changed: $pids_before -> $pids_after")
if ((${#fail[@]} == 0)); then
    echo "sales: PASS  two sales created and sold out while the nodes ran (PIDs $pids_after unchanged)"
else
    printf 'sales: FAIL  %s\n' "${fail[@]}"
    exit 1
fi
