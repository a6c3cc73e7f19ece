#!/usr/bin/env bash
# ./rush bench rush: the million-buyer rush against the running cluster, with its references, in
# one run (docs/load-tests.md).
#
# N distinct named buyers (and every REPEAT-th request one of them coming back) through Nginx to the
# nodes, for the tickets of a fresh sale that opens at a set moment while the nodes are warm; wrk
# with ab-scripts/rush.lua, keep-alive, then (a second sale) one connection per request. Around
# them, in the same run: Nginx's own `return 200`, an Nginx over one node's /noop (a node started
# alone, unpinned, as on a machine of its own: `./rush node up`), and the cluster's Nginx over
# the four nodes' /noop, each keep-alive and one connection per request. Then, on the sold-out
# sale, losers only. Prints req/s, latencies, time from the opening to the last ticket and to the
# last order in the database, Redis round trips per request, CPU per process group, and the I1-I4
# checks; exits 1 when a check fails. Bounded: each wrk sends exactly its buyers, within --seconds.
#
#   ./rush bench rush [--buyers N] [--tickets N] [--sale ID] [--repeat K] [--connections C]
#                     [--threads T] [--ref-seconds S] [--seconds S] [--keepalive-only] [--no-references]
#                     [--buckets K]   (the rush's sales split into K buckets: a hot sale, docs/cluster.md)
#                     [--max-busy N]
#   defaults: 1,000,000 buyers, 10,000 tickets, sale rush-<time>, every 20th request a buyer coming
#   back, wrk -t2 -c100, references of 10 s each, each rush at most 1800 s, --max-busy C
#   ports: RUSH_BENCH_NODE_PORT (3090, the reference node), RUSH_BENCH_NGINX_PORT (18090, its Nginx)
#
# --max-busy N: at most N answers 503 "busy" per run (a rush, the losers). A 503 sells nothing
# (the I1 checks count every ticket), but a node that cannot sell (its Redis connection broken, a
# lock never let go) answers 503 to every buyer Nginx sends it while the others sell out, which
# every other check would let pass. A healthy node says busy only to a buyer that waited past its
# lock wait (or its Redis or pool wait): a stall. While it stalls, each wrk connection has one
# request waiting, so a stall shorter than two lock waits costs at most one busy answer per
# connection: the default bound, C, is one such stall. More means repeated stalls or a node
# failing its buyers. ./rush test runs the smoke with --max-busy 0: its nodes wait 5 s for the
# lock and 2 s for Redis, so that a loaded machine does not turn into 503s at all (sale.sh and
# sales.sh count any non-2xx as a failure for the same reason).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings

buyers=1000000 tickets=10000 sale= repeat=20 connections=100 threads=2 ref_seconds=10 max_seconds=1800
close_run=1 references=1 buckets=0 max_busy=
while (($#)); do
    case $1 in
    --buyers) buyers=$2; shift 2 ;;
    --tickets) tickets=$2; shift 2 ;;
    --sale) sale=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --ref-seconds) ref_seconds=$2; shift 2 ;;
    --seconds) max_seconds=$2; shift 2 ;;
    --keepalive-only) close_run=0; shift ;;
    --no-references) references=0; shift ;;
    --buckets) buckets=$2; shift 2 ;;
    --max-busy) max_busy=$2; shift 2 ;;
    -h | --help) sed -n '2,34p' "$0"; exit 0 ;;
    *) die "bench rush: unknown option $1 (see --help)" ;;
    esac
done
for v in buyers tickets connections threads ref_seconds max_seconds; do
    is_uint "${!v}" && ((${!v} > 0)) || die "--${v/_/-} must be a whole number > 0"
done
is_uint "$repeat" && ((repeat != 1)) || die "--repeat must be 0 (no buyer comes back) or at least 2"
max_busy=${max_busy:-$connections}
is_uint "$max_busy" || die "--max-busy must be a whole number"
((connections >= threads)) || die "--connections must be at least --threads"
# the sales made are ID-keepalive, ID-close and ID-node: a sale id has at most 32 characters
[[ -z $sale || $sale =~ ^[A-Za-z0-9_-]{1,22}$ ]] || die "--sale: letters, digits, - and _ (at most 22)"
is_uint "$buckets" && ((buckets == 0 || (buckets >= 2 && buckets <= 16))) || die "--buckets must be 0 or 2 to 16"
((buckets == 0)) || [[ -z $sale || ${#sale} -le 19 ]] || die "--sale: at most 19 characters with --buckets"
sale=${sale:-rush-$(date +%s)}
ensure_commands wrk curl redis-cli
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"

work=$RUSH_RUN_DIR/bench-rush
rm -rf "$work" && mkdir -p "$work"
ref_node=${RUSH_BENCH_NODE_PORT:-3090}
ref_nginx=${RUSH_BENCH_NGINX_PORT:-18090}
hz=$(getconf CLK_TCK)
STALL=10
# each thread sends PER_THREAD requests: its share of the distinct buyers, plus every REPEAT-th a
# buyer coming back (rush.lua numbers new buyers by their request, skipping the repeats)
distinct_per_thread=$(((buyers + threads - 1) / threads))
per_thread=$distinct_per_thread
((repeat == 0)) || per_thread=$((distinct_per_thread + (distinct_per_thread - 1) / (repeat - 1)))
requests=$((per_thread * threads))
distinct=$((threads * (per_thread - (repeat > 0 ? per_thread / repeat : 0))))
buffer=${RUSH_STOCK_BUFFER:-$((tickets / 20))}
buffers=$((buffer * ${#NODE_PORTS[@]}))

cleanup() {
    [[ -s $work/nginx/nginx.pid ]] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null
    [[ -s $work/sampler.pid ]] && kill "$(cat "$work/sampler.pid")" 2>/dev/null
    if [[ -s $PIDS/jetty-$ref_node.pid ]]; then "$RUSH_ROOT/rush" node down "$ref_node" >/dev/null 2>&1; fi
    return 0
}
trap cleanup EXIT

# ---------------------------------------------------------------- measuring

# CPU seconds (user + system) of the children this shell has waited for so far, in CHILDREN_CPU
# (`times` in this shell itself: a subshell would report only its own children).
children_cpu() {
    times >"$work/times"
    CHILDREN_CPU=$(tail -1 "$work/times" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/)
        printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
}

# A sleep without a process per call (the CPU of the load generator is measured as this shell's children's).
exec {pause_fd}<> <(:)
pause() { read -rt "$1" -u "$pause_fd" || true; }

# Runs wrk with a figures script; sets W_* from its result line, W_CPU (wrk's own CPU seconds) and
# W_RPS. With a done folder, wrk (which runs until -d whatever its threads do) gets SIGINT once
# every thread has left its mark there, and the rate is over the threads' own first-to-last moments.
#   $1 label, $2 file the result is kept in, $3 done folder or "", then wrk's arguments
run_wrk() {
    local label=$1 out=$2 done_dir=$3 line before pid marks
    shift 3
    children_cpu
    before=$CHILDREN_CPU
    wrk "$@" >"$out" 2>&1 &
    pid=$!
    if [[ -n $done_dir ]]; then
        # a request lost to a socket error is never answered, so its thread never finishes: once
        # the nodes have logged nothing for STALL seconds, wrk is stopped and reports the error
        local tick=0 size last_size=-1 still=0
        while kill -0 "$pid" 2>/dev/null; do
            marks=("$done_dir"/done-*)
            if [[ -e ${marks[0]} ]] && ((${#marks[@]} >= threads)); then
                kill -INT "$pid"
                break
            fi
            if ((++tick % 20 == 0)); then
                size=$(stat -c %s "$STAT_LOG" 2>/dev/null || echo 0)
                if ((size == last_size)); then still=$((still + 1)); else still=0 last_size=$size; fi
                if ((still >= STALL)); then
                    echo "   no buyer logged for $STALL s: stopping wrk (its missing answers are reported)" >&2
                    kill -INT "$pid"
                    break
                fi
            fi
            pause 0.05
        done
    fi
    wait "$pid" || { cat "$out" >&2; die "wrk failed ($label)"; }
    children_cpu
    W_CPU=$(awk -v a="$before" -v b="$CHILDREN_CPU" 'BEGIN {printf "%.2f", b - a}')
    line=$(grep -E '^(rush|latency)-result ' "$out") || { cat "$out" >&2; die "wrk printed no figures ($label)"; }
    local kv
    for kv in ${line#* }; do printf -v "W_${kv%%=*}" '%s' "${kv#*=}"; done
    if [[ -n $done_dir ]]; then
        W_seconds=$(cat "$done_dir"/done-* | awk 'NR == 1 || $1 < a {a = $1} $2 > b {b = $2} END {printf "%.2f", b - a}')
    fi
    W_RPS=$(awk -v n="$W_answered" -v s="$W_seconds" 'BEGIN {printf "%.0f", n / s}')
}

ROWS=()
row() { # label requests rps p50 p99 p999 max errors
    ROWS+=("$(printf '%-46s %9s %8s %7s %7s %7s %7s %6s' "$@")")
    printf '  %s\n' "${ROWS[-1]}"
}

# ---------------------------------------------------------------- references

# $1 label, $2 URL, $3 keepalive|close: a reference run of ref_seconds; sets REF_RPS REF_P99
reference() {
    local label=$1 url=$2 mode=$3 extra=()
    [[ $mode == close ]] && extra=(-H "Connection: close")
    # a node just started compiles its paths for its first seconds: 3 s of the same, not counted
    wrk -t"$threads" -c"$connections" -d3s "${extra[@]}" "$url" >/dev/null 2>&1 || true
    run_wrk "$label" "$work/ref-$(tr -cs 'a-z0-9' '-' <<<"${label,,}")$mode.txt" "" -t"$threads" -c"$connections" \
        -d"${ref_seconds}s" --timeout 10s "${extra[@]}" -s "$RUSH_ROOT/ab-scripts/latency.lua" "$url"
    row "$label ($mode)" "$W_answered" "$W_RPS" "$W_p50_ms" "$W_p99_ms" "$W_p999_ms" "$W_max_ms" \
        "$((W_failed + W_socket_errors))"
    REF_RPS=$W_RPS REF_P99=$W_p99_ms
}

start_reference() {
    echo "-- the reference node on $ref_node (unpinned, as alone on its machine) and its own Nginx on $ref_nginx"
    require_free_port "$ref_node" RUSH_BENCH_NODE_PORT "the reference node"
    require_free_port "$ref_nginx" RUSH_BENCH_NGINX_PORT "the reference Nginx"
    "$RUSH_ROOT/rush" node up "$ref_node" | sed 's/^/   /'
    mkdir -p "$work/nginx/tmp"
    local user=()
    ((EUID == 0)) && user=(--user root)
    "$RUSH_ROOT/nginx-conf/render.sh" --listen "127.0.0.1:$ref_nginx" --upstream "127.0.0.1:$ref_node=1" \
        --prefix "$work/nginx" --logs "$work/nginx" --workers "$RUSH_NGINX_WORKERS" --rate "$RUSH_NGINX_RATE" \
        "${user[@]}" $(nginx_placement) >"$work/nginx/nginx.conf"
    nginx -p "$work/nginx/" -e "$work/nginx/nginx-error.log" -c "$work/nginx/nginx.conf" ||
        die "the reference Nginx did not start ($work/nginx/nginx-error.log)"
    local deadline=$((SECONDS + 30))
    until curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$ref_nginx/noop"; do
        ((SECONDS < deadline)) || die "the reference Nginx does not answer on $ref_nginx"
        sleep 0.2
    done
}

# $1 keepalive|close: the three references, kept in ONE_NODE_RPS, NOOP_RPS and NOOP_P99 by mode
references() {
    local mode=$1
    reference "Nginx return 200" "$NGINX_URL/nginx-ok" "$mode"
    reference "Nginx over one node, /noop" "http://127.0.0.1:$ref_nginx/noop" "$mode"
    ONE_NODE_RPS[$mode]=$REF_RPS
    reference "Nginx over the ${#NODE_PORTS[@]} nodes, /noop" "$NGINX_URL/noop" "$mode"
    NOOP_RPS[$mode]=$REF_RPS NOOP_P99[$mode]=$REF_P99
}

# ---------------------------------------------------------------- the rush

# The sales that hold sale $1's tickets: itself, or with --buckets its buckets (ID--0 ...).
holders() {
    local b
    if ((buckets > 0)); then for ((b = 0; b < buckets; b++)); do echo "$1--$b"; done; else echo "$1"; fi
}

# Sale $1's sold (its buckets' added up) and orders in the database, on one line.
sold_and_persisted() {
    local h
    for h in $(holders "$1"); do printf 'HGET rush:{%s}:stock ticket_sold_nums\nSCARD rush:{%s}:persisted\n' "$h" "$h"; done |
        rcli | tr -d '\r' | awk 'NR % 2 == 1 {s += $1} NR % 2 == 0 {p += $1} END {printf "%d %d ", s, p}'
}

# Every 100 ms, into $work/sold-$1: Redis's sold count of sale $1 (I1 at every moment, not only at
# the end), how many of its orders the writer has put in the database, and this machine's clock (ms)
# when the reading began; one whole line per reading, "failed MS" for a reading Redis did not give.
sample_sold() {
    local id=$1
    (
        local now reading
        while :; do
            now=$(($(date +%s%N) / 1000000))
            if reading=$(sold_and_persisted "$id"); then echo "$reading$now"; else echo "failed $now"; fi
            sleep 0.1
        done >"$work/sold-$id"
    ) &
    echo $! >"$work/sampler.pid"
}

# Sale $1's samples: "SAMPLES FAILED AFTER MAX": whole readings, failed ones, readings begun at or
# after moment $2 (ms), and the highest sold among them (-1 if none).
samples_of() {
    [[ -f $work/sold-$1 ]] || { echo "0 0 0 -1"; return 0; }
    awk -v end="$2" '$1 == "failed" {failed++; next}
        NF == 3 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ {
            n++; if ($3 >= end) after++; if ($1 > max) max = $1; next }
        {failed++}
        END {printf "%d %d %d %d\n", n, failed, after, (n ? max : -1)}' "$work/sold-$1"
}

# Stops the sampler of sale $1 once it has a reading begun at or after moment $2 (ms: the end of
# the rush), so that the samples cover the whole rush; at most 10 s (x RUSH_TEST_TIMESCALE) waited.
stop_sampling() {
    local id=$1 end=$2 pid deadline
    pid=$(cat "$work/sampler.pid")
    deadline=$((SECONDS + $(timescaled 10)))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        read -r _ _ after _ <<<"$(samples_of "$id" "$end")"
        ((after >= 1)) && break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$work/sampler.pid"
}

CHECKS=() FAILED=()
# The stat.log lines of sale $1 in stat.log's files written since file $2 was touched. Not lines
# counted from an offset: a node keeps rush.statlog.keep rotated files and deletes the oldest as
# it rotates, so a run that rotates stat.log past that many files would lose lines from the front
# and every offset after them (the checks then failed on runs that had logged every line). A
# sale's id is the run's own, so its lines are exactly the run's.
sale_lines() {
    local files=() f
    while read -r f; do
        [[ $f -nt $2 ]] && files+=("$f")
    done < <(stat_files)
    ((${#files[@]} == 0)) || grep -h -- ",sale:$1," "${files[@]}" || true
}

check() { # $1 what, then a command that must succeed
    local what=$1
    shift
    if "$@"; then CHECKS+=("ok    $what"); else CHECKS+=("FAIL  $what"); FAILED+=("$what"); fi
}

# $1 keepalive|close, $2 the sale's id: a fresh sale, its rush, its figures and checks
rush() {
    local mode=$1 id=$2 extra=()
    [[ $mode == close ]] && extra=(-H "Connection: close")
    echo "-- rush ($mode): sale $id, $tickets tickets, opening in 3 s; $distinct distinct buyers, $requests requests"
    local split=()
    ((buckets == 0)) || split=(--buckets "$buckets")
    "$RUSH_ROOT/rush" sale create "$id" --stock "$tickets" --opens +3 --pay-within 86400 --buyers open "${split[@]}" \
        --name "million-buyer rush ($mode)" >/dev/null || die "could not create sale $id"
    local opens
    opens=$(rcli HGET "rush:{$id}:stock" opens_at | tr -d '\r')
    is_uint "$opens" || die "sale $id has no opening moment in Redis"
    local trips0 commands0 cpu0
    touch "$work/began-$id"
    sample_sold "$id"
    # the periodic Redis traffic of an idle cluster (syncs, stats), over 2 s before the opening
    local idle0 idle1 idle_t0=$EPOCHREALTIME
    idle0=$(round_trips)
    sleep 2
    idle1=$(round_trips)
    local idle_rate
    idle_rate=$(awk -v a="$idle0" -v b="$idle1" -v t0="$idle_t0" -v t1="$EPOCHREALTIME" 'BEGIN {printf "%.2f", (b - a) / (t1 - t0)}')
    while (($(redis_now_ms) < opens)); do sleep 0.01; done
    trips0=$(round_trips) commands0=$(redis_commands) cpu0=$(cpu_snapshot)
    mkdir -p "$work/done-$mode"
    run_wrk "rush $mode" "$work/rush-$mode.txt" "$work/done-$mode" -t"$threads" -c"$connections" \
        -d"${max_seconds}s" --timeout 10s "${extra[@]}" -s "$RUSH_ROOT/ab-scripts/rush.lua" "$NGINX_URL" -- \
        "$id" "$per_thread" "$repeat" "$mode" "$work/done-$mode"
    local trips1 commands1 cpu1 end_ms=$(($(date +%s%N) / 1000000))
    trips1=$(round_trips) commands1=$(redis_commands) cpu1=$(cpu_snapshot)
    stop_sampling "$id" "$end_ms"
    row "rush: $distinct buyers, $tickets tickets ($mode)" "$W_answered" "$W_RPS" "$W_p50_ms" "$W_p99_ms" \
        "$W_p999_ms" "$W_max_ms" "$((W_failed + W_socket_errors))"
    RUSH_RPS[$mode]=$W_RPS RUSH_P99[$mode]=$W_p99_ms
    local answered=$W_answered seconds=$W_seconds

    # what the nodes logged: one stat.log line per answered buyer
    local deadline=$((SECONDS + 60)) logged
    while :; do
        logged=$(sale_lines "$id" "$work/began-$id" | wc -l)
        ((logged >= answered || SECONDS >= deadline)) && break
        sleep 0.2
    done
    sale_lines "$id" "$work/began-$id" >"$work/stat-$id.log"
    # winners: user, order, ts of each ticket answered; existing: user, order of each retry's answer
    awk '/,result:1,/ && !/,existing:1,/ {u = ""; o = ""; t = ""; n = split($0, f, ",")
            for (i = 1; i <= n; i++) { split(f[i], kv, ":"); if (kv[1] == "user") u = kv[2]; if (kv[1] == "order") o = kv[2]; if (kv[1] == "ts") t = kv[2] }
            print u, o, t }' "$work/stat-$id.log" >"$work/winners-$id"
    awk '/,existing:1,/ {u = ""; o = ""; n = split($0, f, ",")
            for (i = 1; i <= n; i++) { split(f[i], kv, ":"); if (kv[1] == "user") u = kv[2]; if (kv[1] == "order") o = kv[2] }
            print u, o }' "$work/stat-$id.log" >"$work/existing-$id"
    local won won_users won_orders first_ms last_ms sold total samples failed_samples samples_after max_sold
    won=$(wc -l <"$work/winners-$id")
    won_users=$(cut -d' ' -f1 "$work/winners-$id" | sort -u | wc -l)
    won_orders=$(cut -d' ' -f2 "$work/winners-$id" | sort -u | wc -l)
    last_ms=$(awk -v o="$opens" 'BEGIN {m = 0} $3 > m {m = $3} END {print (m > 0 ? m - o : -1)}' "$work/winners-$id")
    total=$(rcli HGET "rush:{$id}:stock" ticket_total_nums | tr -d '\r')
    read -r sold _ <<<"$(sold_and_persisted "$id")"
    read -r samples failed_samples samples_after max_sold <<<"$(samples_of "$id" "$end_ms")"
    # the order writer puts every order in the database: when the sampler saw the last one there,
    # else wait for it (bounded) and take the moment it is seen
    local created in_db last_write deadline_db=$((SECONDS + 120)) db_ms
    db_ms=$(awk -v n="$sold" -v o="$opens" 'NF == 3 && $2 >= n && n > 0 {print $3 - o; exit}' "$work/sold-$id")
    while :; do
        read -r created in_db last_write <<<"$(sale_admin orders "$id")"
        ((in_db >= sold || SECONDS >= deadline_db)) && break
        sleep 0.5
    done
    [[ -n $db_ms ]] || db_ms=$(($(date +%s%N) / 1000000 - opens))
    local mismatched_existing
    mismatched_existing=$(awk 'NR == FNR {order[$1] = $2; next} order[$1] != $2 {n++} END {print n + 0}' \
        "$work/winners-$id" "$work/existing-$id")
    local trips=$((trips1 - trips0)) commands=$((commands1 - commands0))
    local periodic bound
    periodic=$(awk -v r="$idle_rate" -v s="$seconds" 'BEGIN {printf "%.0f", r * s}')
    bound=$((2 * (tickets + buffers) + periodic))

    printf '     %s answered (%s tickets, %s existing orders to buyers coming back, %s sold out, %s other, %s 503 busy (nothing sold), %s failed, %s socket errors; %s Nginx-only fillers at the end)\n' \
        "$answered" "$W_tickets" "$W_existing" "$W_sold_out" "$W_other" "$W_busy" "$W_failed" "$W_socket_errors" "$W_fillers"
    printf '     opening -> last ticket sold %s ms; -> last order in the database %s ms; tickets sold %s of %s; orders %s (%s in the database); distinct winners %s\n' \
        "$last_ms" "$db_ms" "$sold" "$total" "$created" "$in_db" "$won_users"
    printf '     Redis round trips from the nodes: %s (%.4f per request; bound 2 x (tickets + buffers %s) + periodic %s = %s); Redis executed %s commands (%.3f per request, script internals and the writer included)\n' \
        "$trips" "$(awk -v a="$trips" -v b="$answered" 'BEGIN {print a / b}')" "$buffers" "$periodic" "$bound" \
        "$commands" "$(awk -v a="$commands" -v b="$answered" 'BEGIN {print a / b}')"
    local g t0 t1 cpu_line="     CPU seconds:"
    for g in "${GROUPS_MEASURED[@]}"; do
        t0=$(tr ' ' '\n' <<<"$cpu0" | awk -F= -v g="$g" '$1 == g {print $2}')
        t1=$(tr ' ' '\n' <<<"$cpu1" | awk -F= -v g="$g" '$1 == g {print $2}')
        cpu_line+=$(awk -v g="$g" -v a="$t0" -v b="$t1" -v hz="$hz" -v n="$answered" \
            'BEGIN {printf " %s %.2f (%.0f us/request)", g, (b - a) / hz, (b - a) / hz * 1e6 / n}')
    done
    cpu_line+=$(awk -v c="$W_CPU" -v n="$answered" 'BEGIN {printf " wrk %.2f (%.0f us/request)", c, c * 1e6 / n}')
    echo "$cpu_line"

    # every 100 ms from before the opening to after the last answer: none may fail, and one at least
    # must come after the end, or "never above" would hold of a sampler that read nothing
    check "$mode: I1 Redis sold never above the total (max sampled $max_sold, end $sold of $total; $samples samples, $samples_after after the end, $failed_samples failed)" \
        test "$samples_after" -ge 1 -a "$failed_samples" -eq 0 -a "$max_sold" -le "$total" -a "$sold" -le "$total"
    check "$mode: I1 tickets answered == Redis sold == orders created ($W_tickets / $won logged / $sold / $created)" \
        test "$W_tickets" -eq "$sold" -a "$won" -eq "$sold" -a "$created" -eq "$sold"
    if ((distinct >= tickets)); then
        check "$mode: I2 sold out: sold == total ($sold == $total)" test "$sold" -eq "$total"
    fi
    check "$mode: I3 every ticket one order, in the database ($won_orders distinct orders answered, $in_db in the database)" \
        test "$won_orders" -eq "$won" -a "$in_db" -eq "$sold"
    check "$mode: I4 one ticket per buyer ($won_users winners for $won tickets), a buyer coming back gets the same order ($mismatched_existing differ)" \
        test "$won_users" -eq "$won" -a "$mismatched_existing" -eq 0
    check "$mode: every buyer answered and logged ($answered answered of $requests, $logged stat.log lines, $W_failed failed, $W_socket_errors socket errors)" \
        test "$answered" -eq "$requests" -a "$logged" -eq "$answered" -a "$W_failed" -eq 0 -a "$W_socket_errors" -eq 0
    # a 200 that is neither a ticket (1) nor sold out (-1): not open yet (-2), closed (-3), expired
    # (-4) or unreadable; none has a place in a rush that starts at the opening
    check "$mode: every 200 a ticket, an existing order or sold out ($W_other other answers)" test "$W_other" -eq 0
    check "$mode: 503 busy (nothing sold) within the bound ($W_busy <= --max-busy $max_busy)" test "$W_busy" -le "$max_busy"
    check "$mode: Redis round trips within 2 x (tickets + buffers) + periodic ($trips <= $bound)" test "$trips" -le "$bound"
}

# $1 the sold-out sale: losers only, for ref_seconds; their Redis round trips beyond the periodic ones
losers() {
    local id=$1 trips0 trips1 t0 t1 idle0 idle_t0=$EPOCHREALTIME idle_rate
    # the periodic traffic of the sold-out cluster (syncs, stats, the order feeds' blocking reads)
    idle0=$(round_trips)
    sleep 3
    idle_rate=$(awk -v a="$idle0" -v b="$(round_trips)" -v t0="$idle_t0" -v t1="$EPOCHREALTIME" \
        'BEGIN {printf "%.2f", (b - a) / (t1 - t0)}')
    trips0=$(round_trips) t0=$EPOCHREALTIME
    run_wrk "losers" "$work/losers.txt" "" -t"$threads" -c"$connections" -d"${ref_seconds}s" --timeout 10s \
        -s "$RUSH_ROOT/ab-scripts/rush.lua" "$NGINX_URL" -- "$id" 100000000 0 loser "$work"
    trips1=$(round_trips) t1=$EPOCHREALTIME
    row "losers only, sale $id sold out (keepalive)" "$W_answered" "$W_RPS" "$W_p50_ms" "$W_p99_ms" "$W_p999_ms" \
        "$W_max_ms" "$((W_failed + W_socket_errors))"
    local periodic extra
    periodic=$(awk -v r="$idle_rate" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", r * (b - a)}')
    extra=$((trips1 - trips0 - periodic))
    printf '     %s losers (%s tickets): %s Redis round trips, %s periodic at the idle rate -> %s beyond it, %.5f per losing request\n' \
        "$W_answered" "$W_tickets" "$((trips1 - trips0))" "$periodic" "$extra" \
        "$(awk -v e="$extra" -v n="$W_answered" 'BEGIN {print (e > 0 ? e : 0) / n}')"
    check "losers: no ticket sold after the sell-out ($W_tickets)" test "$W_tickets" -eq 0
    check "losers: every 200 sold out ($W_other other answers), 503 busy within the bound ($W_busy <= --max-busy $max_busy)" \
        test "$W_other" -eq 0 -a "$W_busy" -le "$max_busy"
    # the idle rate is an estimate: allow its own size in noise, never one per hundred losers
    check "losers: Redis round trips per losing request ~0 ($extra beyond periodic for $W_answered)" \
        test "$extra" -le "$((periodic + W_answered / 100))"
}

# A small sale sold out first, through the same path, so that the rushes meet warm nodes (a sale
# opens on nodes that have been selling all day) and not the first compilation of the buy path.
warm_up() {
    local id="$sale-warm" warm_tickets=$((tickets < 2000 ? tickets : 2000))
    local warm_per_thread=$((per_thread < 10000 ? per_thread : 10000))
    "$RUSH_ROOT/rush" sale create "$id" --stock "$warm_tickets" --pay-within 86400 --buyers open --name "rush warm-up" >/dev/null ||
        die "could not create sale $id"
    mkdir -p "$work/done-warm"
    run_wrk "warm-up" "$work/warm-up.txt" "$work/done-warm" -t"$threads" -c"$connections" -d"${max_seconds}s" \
        --timeout 10s -s "$RUSH_ROOT/ab-scripts/rush.lua" "$NGINX_URL" -- "$id" "$warm_per_thread" "$repeat" warm \
        "$work/done-warm"
    row "warm-up: sale $id, $warm_tickets tickets (not counted)" "$W_answered" "$W_RPS" "$W_p50_ms" "$W_p99_ms" \
        "$W_p999_ms" "$W_max_ms" "$((W_failed + W_socket_errors))"
}

# One node alone where every request buys (ab -n 10000 -c 100, a sale of 100,000 tickets) against
# the same node's sold-out path (the sold-out sale $1), two rounds of each, alternating.
one_node_buys() {
    local soldout=$1 buying="$sale-node" url=http://127.0.0.1:$ref_node/buy/ticket round buy_sum=0 so_sum=0
    require_ab
    echo "-- one node ($ref_node) where every request buys (sale $buying, 100000 tickets) vs its sold-out path (sale $soldout)"
    "$RUSH_ROOT/rush" sale create "$buying" --stock 100000 --pay-within 86400 --buyers open --name "one node buys" >/dev/null ||
        die "could not create sale $buying"
    run_ab -q -n 2000 -c 100 "$url?sale=$buying"
    run_ab -q -n 2000 -c 100 "$url?sale=$soldout"
    for round in 1 2; do
        run_ab -n 10000 -c 100 "$url?sale=$buying"
        row "one node, every request buys (ab, round $round)" "$AB_COMPLETE" "$AB_RPS" "$AB_P50" "$AB_P99" - "$AB_P100" \
            "$(ab_real_failures)"
        buy_sum=$(awk -v a="$buy_sum" -v b="$AB_RPS" 'BEGIN {print a + b}')
        run_ab -n 10000 -c 100 "$url?sale=$soldout"
        row "one node, sold out (ab, round $round)" "$AB_COMPLETE" "$AB_RPS" "$AB_P50" "$AB_P99" - "$AB_P100" \
            "$(ab_real_failures)"
        so_sum=$(awk -v a="$so_sum" -v b="$AB_RPS" 'BEGIN {print a + b}')
    done
    local sold
    sold=$(rcli HGET "rush:{$buying}:stock" ticket_sold_nums | tr -d '\r')
    check "one node: every buy got a ticket (Redis sold $sold of 22000 asked)" test "$sold" -eq 22000
    BUY_RATIO=$(awk -v b="$buy_sum" -v s="$so_sum" 'BEGIN {printf "%.2f", b / s}')
}

# ---------------------------------------------------------------- the run

declare -A ONE_NODE_RPS=() RUSH_RPS=() RUSH_P99=() NOOP_RPS=() NOOP_P99=()
echo "bench rush: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$threads -c$connections; nodes ${NODE_PORTS[*]}$(
    place_nodes; placement_summary)"
((references)) && start_reference
printf '  %-46s %9s %8s %7s %7s %7s %7s %6s\n' run requests req/s p50 p99 p99.9 max errors
modes=(keepalive)
((close_run)) && modes+=(close)
for mode in "${modes[@]}"; do
    ((references)) && references "$mode"
    [[ $mode == "${modes[0]}" ]] && warm_up
    rush "$mode" "$sale-$mode"
    if [[ $mode == keepalive ]]; then
        losers "$sale-$mode"
        ((references)) && one_node_buys "$sale-$mode"
    fi
done

echo
echo "== ratios (same run)"
for mode in "${modes[@]}"; do
    ((references)) || break
    awk -v m="$mode" -v one="${ONE_NODE_RPS[$mode]}" -v four="${NOOP_RPS[$mode]}" -v rush="${RUSH_RPS[$mode]}" \
        -v p4="${NOOP_P99[$mode]}" -v pr="${RUSH_P99[$mode]}" 'BEGIN {
        printf "  %-9s four nodes /noop / one node /noop = %.2f (target >= 0.8); rush / four nodes /noop = %.2f (target >= 0.8); rush p99 / four-node p99 = %.2f (target <= 2)\n",
            m, four / one, rush / four, pr / p4 }'
done
[[ -n ${BUY_RATIO:-} ]] && echo "  one node: every request buys / sold out = $BUY_RATIO (target >= 0.6)"
echo
echo "== checks"
printf '  %s\n' "${CHECKS[@]}"
((${#FAILED[@]} == 0)) || die "${#FAILED[@]} check(s) failed"
