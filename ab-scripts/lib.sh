# ticket-rush: what the ab-scripts share (sourced, not run): the settings and helpers of
# lib/common.sh, and running and reading ab.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# Runs ab, keeps its full report in $AB_OUT, and sets AB_RPS AB_P50 AB_P99 AB_COMPLETE
# AB_NON2XX AB_FAILED AB_FAIL_CONNECT AB_FAIL_RECEIVE AB_FAIL_LENGTH AB_FAIL_EXCEPTIONS.
AB_OUT=
run_ab() {
    AB_OUT=$(mktemp "${TMPDIR:-/tmp}/rush-ab.XXXXXX")
    if ! ab "$@" >"$AB_OUT" 2>&1; then
        echo "ab $* failed:" >&2
        tail -n 20 "$AB_OUT" >&2
        rm -f "$AB_OUT"
        return 1
    fi
    parse_ab "$AB_OUT"
    rm -f "$AB_OUT"
}

parse_ab() {
    local f=$1
    AB_RPS=$(awk '/^Requests per second:/ {print $4}' "$f")
    AB_P50=$(awk '$1 == "50%" {print $2}' "$f")
    AB_P99=$(awk '$1 == "99%" {print $2}' "$f")
    AB_P100=$(awk '$1 == "100%" {print $2}' "$f")
    AB_COMPLETE=$(awk '/^Complete requests:/ {print $3}' "$f")
    AB_FAILED=$(awk '/^Failed requests:/ {print $3}' "$f")
    AB_NON2XX=$(awk '/^Non-2xx responses:/ {print $3}' "$f")
    AB_NON2XX=${AB_NON2XX:-0}
    # "(Connect: 0, Receive: 0, Length: 123, Exceptions: 0)", only printed when something failed
    local detail
    detail=$(grep -E '^ +\(Connect: ' "$f" | tr -d '(),' || true)
    AB_FAIL_CONNECT=$(awk '{print $2}' <<<"$detail")
    AB_FAIL_RECEIVE=$(awk '{print $4}' <<<"$detail")
    AB_FAIL_LENGTH=$(awk '{print $6}' <<<"$detail")
    AB_FAIL_EXCEPTIONS=$(awk '{print $8}' <<<"$detail")
    AB_FAIL_CONNECT=${AB_FAIL_CONNECT:-0} AB_FAIL_RECEIVE=${AB_FAIL_RECEIVE:-0}
    AB_FAIL_LENGTH=${AB_FAIL_LENGTH:-0} AB_FAIL_EXCEPTIONS=${AB_FAIL_EXCEPTIONS:-0}
    [[ -n $AB_RPS && -n $AB_P99 ]] || {
        echo "could not read ab's report:" >&2
        cat "$f" >&2
        return 1
    }
}

# Failures that are real errors: ab also counts a response of a different length as
# "failed", and ticket / sold-out answers differ in length, so Length is not one of them.
ab_real_failures() {
    echo $((AB_FAIL_CONNECT + AB_FAIL_RECEIVE + AB_FAIL_EXCEPTIONS + AB_NON2XX))
}

ab_summary() {
    printf '%s req/s, p50 %s ms, p99 %s ms, %s complete, non-2xx %s, errors (connect/receive/exceptions) %s/%s/%s, different-length answers %s\n' \
        "$AB_RPS" "$AB_P50" "$AB_P99" "$AB_COMPLETE" "$AB_NON2XX" \
        "$AB_FAIL_CONNECT" "$AB_FAIL_RECEIVE" "$AB_FAIL_EXCEPTIONS" "$AB_FAIL_LENGTH"
}

# Tickets won in the stat.log lines on stdin: "result:1" lines without "existing:1". A line with
# existing:1 answered a retry with the order its buyer already had: the same ticket again, not a
# new one, so every script counts it out (then tickets won == Redis ticket_sold_nums).
tickets_won() {
    { grep ',result:1,' || true; } | { grep -vc ',existing:1,' || true; }
}

# Answers in the stat.log lines on stdin that found the buyer's existing order (existing:1).
existing_answers() {
    { grep ',result:1,' || true; } | { grep -c ',existing:1,' || true; }
}

# Seconds $1 stretched by RUSH_TEST_TIMESCALE, rounded up: the factor the tests' TimeScale reads
# (1 by default, from 1 to 100), for a wall-clock bound a script cannot write as an ordering.
timescaled() {
    local factor=${RUSH_TEST_TIMESCALE:-1}
    [[ $factor =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v f="$factor" 'BEGIN {exit !(f >= 1 && f <= 100)}' ||
        die "RUSH_TEST_TIMESCALE='$factor' must be a number from 1 to 100"
    awk -v s="$1" -v f="$factor" 'BEGIN {v = s * f; printf "%d\n", v == int(v) ? v : int(v) + 1}'
}

# The PIDs of a process group: nodes, nginx (master and workers), redis, writer.
group_pids() {
    local port master
    case $1 in
    nodes) for port in "${NODE_PORTS[@]}"; do cat "$PIDS/jetty-$port.pid"; done ;;
    nginx) master=$(cat "$PIDS/nginx.pid") && echo "$master" && children_of_pid "$master" ;;
    redis) # one Redis, or every Redis and Sentinel of the replicated group, or every cluster node
        case $RUSH_REDIS_MODE in
        sentinel) cat "$PIDS"/redis-[0-9]*.pid "$PIDS"/sentinel-*.pid 2>/dev/null ;;
        cluster) cat "$PIDS"/redis-cluster-*.pid 2>/dev/null ;;
        *) cat "$PIDS/redis.pid" ;;
        esac ;;
    writer) cat "$PIDS/order-writer.pid" ;;
    esac
}
GROUPS_MEASURED=(nodes nginx redis writer)

# "GROUP=TICKS ..." for every group now.
cpu_snapshot() {
    local g out=
    for g in "${GROUPS_MEASURED[@]}"; do out+="$g=$(cpu_ticks $(group_pids "$g")) "; done
    echo "$out"
}

# The round trips every cluster node has made to Redis so far (rush_redis_round_trips_total of
# every node's /metrics: a script call or a pipeline counts once).
round_trips() {
    local port total=0 n
    for port in "${NODE_PORTS[@]}"; do
        n=$(curl -sf --max-time 5 "$(node_url "$port")/metrics" | awk '/^rush_redis_round_trips_total/ {printf "%d", $2}')
        [[ -n $n ]] || die "node $port has no rush_redis_round_trips_total in /metrics"
        total=$((total + n))
    done
    echo "$total"
}

# Commands the servers holding the data processed so far (INFO stats' total_commands_processed:
# every command inside a script too, and the writer's; in a cluster, summed over its masters).
redis_commands() { redis_info_sum stats total_commands_processed; }

# Redis's clock in ms: the one a sale's opening and closing are judged by.
redis_now_ms() { rcli TIME | tr -d '\r' | { read -r s && read -r us && echo $((s * 1000 + us / 1000)); }; }

require_ab() {
    command -v ab >/dev/null || die "ab is missing: run ./rush up (it installs apache2-utils) or apt-get install -y apache2-utils"
}

# CPU ticks (user + system) the processes $@ have used so far.
cpu_ticks() {
    local pid total=0 line rest f
    for pid in "$@"; do
        line=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        rest=${line##*) }
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12]))
    done
    echo "$total"
}

# Builds the test classes and writes their classpath to $1, for a bench's Java client: run as
#   java -cp "target/test-classes:target/classes:$(<"$1")" ...   (from $RUSH_ROOT)
# Offline first (a machine that built once has everything), then from the repositories.
build_test_classpath() {
    (cd "$RUSH_ROOT" && { mvn -q -B -o -Dstyle.color=never test-compile || mvn -q -B -Dstyle.color=never test-compile; }) ||
        die "the bench did not build"
    (cd "$RUSH_ROOT" && {
        mvn -q -B -o -Dstyle.color=never dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$1" ||
            mvn -q -B -Dstyle.color=never dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$1"
    }) || die "no test classpath"
}
