#!/usr/bin/env bash
# The waiting room's benchmark (issue 19), against the running ./rush up cluster, through Nginx:
# creates a queued sale of --tickets tickets opening in --opens seconds, then QueueBench
# (src/test/java/io/ticketrush/bench/QueueBench.java) signs a token for each of --buyers buyers and,
# from --threads keep-alive connections: a round of /noop (warm-up), every buyer joins (solving the
# puzzle first if --pow > 0), one poll each while the sale is closed, a round of /noop (the reference,
# min(buyers, 20,000) requests, before the opening), then from the opening each
# buyer polls when retryAfterMs says, buys with its pass when admitted, pays (--pay percent of the
# buyers who bought, through the demo provider), until each knows its final state (bought or sold out).
# --skip percent of the buyers, admitted, never buy: they give their turn back (POST /queue/leave),
# and their passes lapse to the places behind at the next admission step;
# --cancel percent of the buyers who bought cancel their order (its ticket goes to the waitlist); a
# buyer told sold out stays on the waitlist, as the page does, until the line is at rest; the orders
# left unpaid expire after --pay-within seconds (the sale's pay time, 30 s) and go to the waitlist too,
# whose buyers pay for what they waited for. --max-seconds bounds the run from the opening (default
# 300 + buyers / 200): buyers not at rest then fail the checks.
# Prints req/s of join and poll against /noop, p50/p99 per endpoint, per join and per poll both the
# Redis round trips from the nodes (rush_redis_round_trips_total) and the commands Redis executed
# (total_commands_processed, script internals included), each around its phase less the cluster's
# idle rate, the
# time from the opening to sold out and to every buyer's final state, the rank correlation of place
# with joining order (early: joined before the opening, ~0: the lottery; late: ~1), and the checks.
# The puzzle is off by default (--pow 0): solving is the client's cost, paid before a join is sent,
# and a million solved puzzles would measure this machine's SHA-256, not the room.
#   ab-scripts/queue-bench.sh [--buyers N] [--tickets N] [--pow BITS] [--admit PER_SECOND]
#                             [--opens SECONDS] [--threads N] [--pay PERCENT] [--skip PERCENT]
#                             [--cancel PERCENT] [--pay-within SECONDS] [--max-seconds N] [--sale ID]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings

buyers=1000000 tickets=10000 pow=0 admit='' opens='' threads=256 pay=50 skip='' cancel=2 pay_within=30 max_seconds=''
sale=QB$(date +%s)
while (($#)); do
    case $1 in
    --buyers | --tickets | --pow | --admit | --opens | --threads | --pay | --skip | --cancel)
        (($# >= 2)) && is_uint "$2" || die "queue-bench.sh: $1 takes a whole number, not '${2:-}'"
        declare "${1#--}=$2"
        shift 2
        ;;
    --pay-within | --max-seconds)
        (($# >= 2)) && is_uint "$2" || die "queue-bench.sh: $1 takes a whole number, not '${2:-}'"
        declare "$(tr - _ <<<"${1#--}")=$2"
        shift 2
        ;;
    --sale) sale=$2; shift 2 ;;
    *) die "queue-bench.sh: unknown option $1" ;;
    esac
done
((buyers > 0 && tickets > 0 && tickets <= buyers && threads > 0 && pay <= 100 && skip < 100 && cancel <= 100)) ||
    die "queue-bench.sh: need buyers >= tickets > 0, threads > 0, pay <= 100, skip < 100, cancel <= 100"
# a turn given up (POST /queue/leave) moves on at the next admission step: 3% of 10,000 buyers or
# more give theirs up, none in a smaller run unless told (--skip)
skip=${skip:-$((buyers >= 10000 ? 3 : 0))}
# every ticket admitted within about 10 s of the opening, at least the room's default 100 a second
admit=${admit:-$((tickets / 10 > 100 ? tickets / 10 : 100))}
# time to join, poll and run /noop before the opening: on this 2-core machine through Nginx (64
# connections) about 600 joins, 1,500 polls and 900 /noop a second, about 3.5 ms a buyer: 4 ms given
opens=${opens:-$((30 + buyers / 1000))}
max_seconds=${max_seconds:-$((300 + buyers / 200))}
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"
ensure_commands java mvn python3
cd "$RUSH_ROOT"
work=$(mktemp -d "${TMPDIR:-/tmp}/rush-queue-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
build_test_classpath "$work/cp"

"$RUSH_ROOT/rush" sale create "$sale" --stock "$tickets" --queue --admit "$admit" --pow "$pow" --opens "+$opens" \
    --pay-within "$pay_within" \
    --name "queue bench $sale" >/dev/null || die "could not create sale $sale"
echo "queue bench: sale $sale, $buyers buyers, $tickets tickets, admitted $admit a second, puzzle $pow bits," \
    "opens in $opens s, $threads connections, $pay% of buyers who bought pay, $skip% of buyers admitted never" \
    "buy, $cancel% of buyers who bought and do not pay cancel, the rest expire after $pay_within s"

# Two figures per join and per poll: the round trips the nodes make to Redis (round_trips, lib.sh:
# a script call or a pipeline counts once), and the commands Redis executed (redis_commands,
# lib.sh: every command inside a script too, and the writer's)
now_ms() { date +%s%3N; }
# the cluster's own rates while nobody buys (admission steps, sales reads, the writer)
c0=$(redis_commands) r0=$(round_trips) t0=$(now_ms)
sleep 2
r1=$(round_trips) c1=$(redis_commands) t1=$(now_ms)
idle=$(awk -v c="$((c1 - c0 - 1))" -v t="$((t1 - t0))" 'BEGIN {printf "%.1f", c * 1000 / t}')
idle_trips=$(awk -v c="$((r1 - r0))" -v t="$((t1 - t0))" 'BEGIN {printf "%.1f", c * 1000 / t}')

coproc QB { java -Xmx2g -cp "target/test-classes:target/classes:$(<"$work/cp")" io.ticketrush.bench.QueueBench \
    "$NGINX_URL" "$JWT_KEYS_FILE" "$sale" "$buyers" "$threads" "$pay" "qb-$sale-" "$work" "$pow" "$skip" "$cancel" "$max_seconds" 2>&1; }
qb_pid=$QB_PID # bash unsets QB_PID once the coprocess has ended
declare -A at_c at_r at_t at_cpu
# CPU ticks by process group (the nodes, Nginx, Redis, the writer) and of this bench's client
cpu_now() { echo "$(cpu_snapshot)client=$(cpu_ticks "$qb_pid" $(children_of_pid "$qb_pid"))"; }
while IFS= read -r line <&"${QB[0]}"; do
    echo "$line"
    if [[ $line == "queue bench: MARK "* ]]; then
        mark=${line#queue bench: MARK }
        at_c[$mark]=$(redis_commands) at_r[$mark]=$(round_trips) at_t[$mark]=$(now_ms) at_cpu[$mark]=$(cpu_now)
        echo go >&"${QB[1]}"
    fi
done
wait "$qb_pid" || die "queue bench: the client failed"

declare -A s
while read -r k v; do s[$k]=$v; done <"$work/summary"
per() { # $1 what, counted at the marks in array $2 ($3 the idle rate a second), between marks $4 and $5, per $6 requests (less the idle rate)
    local -n at=$2
    awk -v c="$((at[$5] - at[$4]))" -v t="$((at_t[$5] - at_t[$4]))" -v i="$3" -v n="$6" -v what="$1" \
        'BEGIN {net = c - i * t / 1000; if (net < 0) net = 0; printf "%.4f (%d %s in %.1f s, %.0f of them the idle rate)", n ? net / n : 0, c, what, t / 1000, i * t / 1000}'
}
echo "queue bench: Redis round trips from the nodes per join $(per "round trips" at_r "$idle_trips" joins-start joins-done "${s[joined]}");" \
    "commands Redis executed per join (script internals included) $(per commands at_c "$idle" joins-start joins-done "${s[joined]}")"
echo "queue bench: Redis round trips from the nodes per poll before the opening $(per "round trips" at_r "$idle_trips" joins-done polls-done "${s[closed_polls]}");" \
    "commands Redis executed per poll $(per commands at_c "$idle" joins-done polls-done "${s[closed_polls]}")"

# where a request's CPU goes, per phase: µs of each process group per request
hz=$(getconf CLK_TCK)
cpu_per() { # $1 what, between marks $2 and $3, per $4 requests
    local g line="queue bench: CPU per $1 (µs a request):" a b
    for g in "${GROUPS_MEASURED[@]}" client; do
        a=$(tr ' ' '\n' <<<"${at_cpu[$2]}" | awk -F= -v g="$g" '$1 == g {print $2}')
        b=$(tr ' ' '\n' <<<"${at_cpu[$3]}" | awk -F= -v g="$g" '$1 == g {print $2}')
        line+=$(awk -v g="$g" -v a="$a" -v b="$b" -v hz="$hz" -v n="$4" 'BEGIN {printf " %s %.0f", g, (b - a) * 1e6 / hz / n}')
    done
    echo "$line"
}
cpu_per join joins-start joins-done "${s[joined]}"
cpu_per "poll before the opening" joins-done polls-done "${s[closed_polls]}"
cpu_per /noop polls-done noop-done "${s[noops]}"

rcli ZRANGE "rush:{$sale}:queue" 0 -1 | tr -d '\r' >"$work/places"
python3 - "$work/joins" "$work/places" <<'PY'
import sys
joins = {}
for line in open(sys.argv[1]):
    user, order, early = line.split()
    joins[user] = (int(order), early == "1")
places = [u for u in (l.strip() for l in open(sys.argv[2])) if u in joins]
def spearman(pairs):
    n = len(pairs)
    if n < 3:
        return float("nan")
    by_join = sorted(range(n), key=lambda k: pairs[k][0])
    r = [0] * n
    for rank, k in enumerate(by_join):
        r[k] = rank
    d2 = sum((r[k] - k) ** 2 for k in range(n))  # k: the place order (pairs are in place order)
    return 1 - 6 * d2 / (n * (n * n - 1))
for name, early in (("joined before the opening", True), ("joined after it", False)):
    group = [(joins[u][0],) for u in places if joins[u][1] == early]
    print("queue bench: rank correlation of place with joining order, %s: %s (%d buyers)" %
          (name, "n/a" if len(group) < 3 else "%.3f" % spearman(group), len(group)))
PY

read -r sold total <<<"$(sale_admin stock "$sale")"
spent=$(rcli SCARD "rush:{$sale}:queue-spent" | tr -d '\r')
# the waitlist served in order: the passes issued (lapsed, spent or out) are the room's first places,
# one each, as many as the tickets plus the turns given up plus the tickets come back
rcli ZRANGE "rush:{$sale}:queue-passes" 0 -1 | tr -d '\r' >"$work/passes"
read -r admitted lapsed returned expired voided < <(rcli HMGET "rush:{$sale}:stock" queue_admitted queue_lapsed queue_returned ticket_expired_nums ticket_voided_nums |
    tr -d '\r' | sed 's/^$/0/' | paste -sd' ')
in_order=$(python3 - "$work/places" "$work/passes" <<'PY'
import sys
places = [l.strip() for l in open(sys.argv[1]) if l.strip()]
passes = {l.strip() for l in open(sys.argv[2]) if l.strip()}
head = set(places[:len(passes)])
print("yes" if passes == head else "no: %d of the %d passes are not the first %d places" % (len(passes - head), len(passes), len(passes)))
PY
)
passes_n=$(wc -l <"$work/passes")
room=$(rcli ZCARD "rush:{$sale}:queue" | tr -d '\r')
deadline=$(($(date +%s) + $(timescaled 30)))
while :; do
    read -r created in_db _ <<<"$(sale_admin orders "$sale")"
    [[ $in_db == "$created" || $(date +%s) -ge $deadline ]] && break
    sleep 0.5
done
fail=()
check() { # $1 what, then a test
    local what=$1
    shift
    if "$@"; then echo "queue bench: ok    $what"; else echo "queue bench: FAIL  $what"; fail+=("$what"); fi
}
# a 503 (busy, nothing done) is tried again, as the page does: counted, not a failure
retries=$(grep -E '^count_retry_' "$work/summary" | tr '\n' ' ' || true)
echo "queue bench: 503 answers tried again: ${retries:-none}"
others=$(grep -E '^count_' "$work/summary" | grep -v -e '^count_paid ' -e '^count_retry_' -e '^count_cancelled ' \
    -e '^count_left ' -e '^count_admitted_from_waitlist ' -e '^count_waiting_again_from_waitlist ' | tr '\n' ' ' || true)
echo "queue bench: the waitlist: ${s[skipped]} turns given up, ${s[cancelled]} orders cancelled, $expired expired unpaid;" \
    "${s[count_waiting_again_from_waitlist]:-0} times a buyer told sold out was waiting again (a ticket came back)," \
    "${s[count_admitted_from_waitlist]:-0} admitted from the waitlist"
check "every buyer joined once: $room places, ${s[joined]} joins answered, $buyers buyers" \
    test "$room" -eq "$buyers" -a "${s[joined]}" -eq "$buyers"
check "every buyer a final state: ${s[bought]} bought + ${s[sold_out]} sold out + ${s[skipped]} admitted and never bought == $buyers (${s[no_final]} without, ${s[unsettled]} not at rest when the run's time was over)${others:+; other answers: $others}" \
    test "$((s[bought] + s[sold_out] + s[skipped]))" -eq "$buyers" -a "${s[no_final]}" -eq 0 -a "${s[unsettled]}" -eq 0 -a -z "$others"
# a buy answered 503 whose call ran anyway leaves a voided order (nothing sold, the pass given back:
# the buyer buys again and its order is another)
check "sold == tickets, every order accounted for: Redis sold $sold of $total; orders $created ($in_db in the database) == sold + ${s[cancelled]} cancelled + $expired expired + $voided voided (answered 503); buyers who bought ${s[bought]} (${s[distinct_orders]} distinct orders) == orders - voided, ${s[kept]} not cancelled" \
    test "$sold" -eq "$tickets" -a "$created" -eq "$((sold + s[cancelled] + expired + voided))" -a "$in_db" -eq "$created" -a "${s[bought]}" -eq "$((created - voided))" -a "${s[distinct_orders]}" -eq "$((created - voided))" -a "${s[kept]}" -eq "$((sold + expired))"
check "no ticket without a pass: passes spent $spent == orders $created - $voided voided; ${s[sample_no_pass_refused]} of ${s[samples]} buys without a pass refused" \
    test "$spent" -eq "$((created - voided))" -a "${s[sample_no_pass_refused]}" -eq "${s[samples]}" -a "${s[samples]}" -gt 0
check "waitlist served in order: the $passes_n passes issued went to the room's first $passes_n places ($in_order); admitted $admitted == $tickets tickets + $lapsed lapsed + $returned come back; lapsed == ${s[skipped]} turns given up (${s[count_left]:-0} handed back), come back == ${s[cancelled]} cancelled + $expired expired" \
    test "$in_order" = yes -a "$passes_n" -eq "$admitted" -a "$admitted" -eq "$((tickets + lapsed + returned))" -a "$lapsed" -eq "${s[skipped]}" -a "${s[count_left]:-0}" -eq "${s[skipped]}" -a "$returned" -eq "$((s[cancelled] + expired))"
check "sold out only when no ticket could come but by a return: ${s[count_admitted_from_waitlist]:-0} admitted from the waitlist <= $returned tickets come back" \
    test "${s[count_admitted_from_waitlist]:-0}" -le "$returned"

check "no pass used twice: ${s[sample_other_pass_refused]} of ${s[samples]} buys with another buyer's pass refused, ${s[sample_again_same_order]} of ${s[samples]} sent again got their first order" \
    test "${s[sample_other_pass_refused]}" -eq "${s[samples]}" -a "${s[sample_again_same_order]}" -eq "${s[samples]}"
# each /pay answered 503 (busy, nothing started) is asked again: one payment however many requests
asked=$((${s[requests_pay]:-0} - ${s[count_retry_pay_503]:-0}))
check "every payment asked for was paid: ${s[count_paid]:-0} of $asked (${s[requests_pay]:-0} requests, ${s[count_retry_pay_503]:-0} of them asked again after a 503)" \
    test "${s[count_paid]:-0}" -eq "$asked"
((${#fail[@]} == 0)) || die "queue bench: ${#fail[@]} check(s) failed"
echo "queue bench: all checks passed"
