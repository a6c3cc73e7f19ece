# ticket-rush: settings and helpers shared by ./rush and the ab-scripts (sourced, not run).
#
# Every setting comes from the environment with the defaults below, so ./rush and each
# ab-script always agree on ports, folders and the stock key.

RUSH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

RUSH_NGINX_PORT=${RUSH_NGINX_PORT:-8080}
RUSH_NODE_PORTS=${RUSH_NODE_PORTS:-"3001 3002 3003 3004"}
RUSH_NODE_WEIGHTS=${RUSH_NODE_WEIGHTS:-"1 2 3 4"}
RUSH_REDIS_PORT=${RUSH_REDIS_PORT:-6379}
RUSH_REDIS_PASSWORD=${RUSH_REDIS_PASSWORD:-}
RUSH_STOCK_TOTAL=${RUSH_STOCK_TOTAL:-10000}
RUSH_STOCK_BUFFER=${RUSH_STOCK_BUFFER:-}
RUSH_STOCK_KEY=${RUSH_STOCK_KEY:-ticket_hash_key}
RUSH_NGINX_WORKERS=${RUSH_NGINX_WORKERS:-auto}
RUSH_NGINX_RATE=${RUSH_NGINX_RATE:-100000}
RUSH_RUN_DIR=${RUSH_RUN_DIR:-run}
RUSH_LOG_DIR=${RUSH_LOG_DIR:-logs}

# Relative folders are relative to the repo root, whatever the caller's directory.
case $RUSH_RUN_DIR in /*) ;; *) RUSH_RUN_DIR=$RUSH_ROOT/$RUSH_RUN_DIR ;; esac
case $RUSH_LOG_DIR in /*) ;; *) RUSH_LOG_DIR=$RUSH_ROOT/$RUSH_LOG_DIR ;; esac

# The order database: H2 in a file under the run folder unless a JDBC URL is given.
RUSH_DB_URL=${RUSH_DB_URL:-jdbc:h2:file:$RUSH_RUN_DIR/orders/orders}

read -r -a NODE_PORTS <<<"$RUSH_NODE_PORTS"
read -r -a NODE_WEIGHTS <<<"$RUSH_NODE_WEIGHTS"
STAT_LOG=$RUSH_LOG_DIR/stat.log
NGINX_URL=http://127.0.0.1:$RUSH_NGINX_PORT

die() {
    echo "error: $*" >&2
    exit 1
}

is_uint() {
    [[ $1 =~ ^[0-9]+$ ]]
}

# Checks the settings once, so a typo fails here and not halfway through a start.
check_settings() {
    local v
    for v in RUSH_NGINX_PORT RUSH_REDIS_PORT RUSH_STOCK_TOTAL; do
        is_uint "${!v}" || die "$v='${!v}' must be a whole number"
    done
    [[ -z $RUSH_STOCK_BUFFER ]] || is_uint "$RUSH_STOCK_BUFFER" ||
        die "RUSH_STOCK_BUFFER='$RUSH_STOCK_BUFFER' must be a whole number"
    [[ $RUSH_NGINX_WORKERS == auto ]] || is_uint "$RUSH_NGINX_WORKERS" ||
        die "RUSH_NGINX_WORKERS='$RUSH_NGINX_WORKERS' must be 'auto' or a whole number"
    ((${#NODE_PORTS[@]} > 0)) || die "RUSH_NODE_PORTS is empty"
    ((${#NODE_PORTS[@]} == ${#NODE_WEIGHTS[@]})) ||
        die "RUSH_NODE_PORTS has ${#NODE_PORTS[@]} ports but RUSH_NODE_WEIGHTS has ${#NODE_WEIGHTS[@]} weights"
    for v in "${NODE_PORTS[@]}"; do is_uint "$v" || die "RUSH_NODE_PORTS: '$v' is not a port"; done
    for v in "${NODE_WEIGHTS[@]}"; do
        is_uint "$v" && ((v > 0)) || die "RUSH_NODE_WEIGHTS: '$v' must be a whole number > 0"
    done
}

weights_total() {
    local w sum=0
    for w in "${NODE_WEIGHTS[@]}"; do sum=$((sum + w)); done
    echo "$sum"
}

# redis-cli against the project's Redis; the password travels in the environment, not argv.
rcli() {
    if [[ -n $RUSH_REDIS_PASSWORD ]]; then
        REDISCLI_AUTH=$RUSH_REDIS_PASSWORD redis-cli -h 127.0.0.1 -p "$RUSH_REDIS_PORT" "$@"
    else
        redis-cli -h 127.0.0.1 -p "$RUSH_REDIS_PORT" "$@"
    fi
}

# Global "sold total" from Redis, or nothing if the hash does not exist.
global_stock() {
    local out
    out=$(rcli HMGET "$RUSH_STOCK_KEY" ticket_sold_nums ticket_total_nums 2>/dev/null) || return 1
    out=$(echo "$out" | tr '\n' ' ')
    [[ $out =~ ^([0-9]+)\ ([0-9]+) ]] || return 1
    echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

stat_lines() {
    if [[ -f $STAT_LOG ]]; then wc -l <"$STAT_LOG"; else echo 0; fi
}

# Waits until stat.log holds at least $1 lines (the nodes flush it from a background thread).
wait_stat_lines() {
    local want=$1 deadline=$((SECONDS + ${2:-20}))
    while (($(stat_lines) < want)); do
        if ((SECONDS >= deadline)); then
            echo "stat.log has $(stat_lines) lines, expected $want after waiting ${2:-20}s" >&2
            return 1
        fi
        sleep 0.1
    done
}

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

require_ab() {
    command -v ab >/dev/null || die "ab is missing: run ./rush up (it installs apache2-utils) or apt-get install -y apache2-utils"
}
