#!/usr/bin/env bash
# ticket-rush: what a join to a waiting room and a poll of it cost against /noop, measured with wrk
# (a C client far cheaper than the queue bench's Java one, which on this 2-core machine takes more
# CPU per join than the node: docs/queue.md "Cost"). On a running cluster: a queued sale that opens
# in an hour (no puzzle), POLLERS buyers joined to it first (not timed: io.ticketrush.bench.JoinedFile),
# then ROUNDS rounds each of SECONDS of /noop, SECONDS of joins and SECONDS of polls through Nginx,
# keep-alive from CONNECTIONS connections: every join a new signed buyer (tokens signed before, not
# timed), every poll one of the pollers in turn with its token and queue ticket, as the buy page
# polls (each to be answered "waiting"; both ab-scripts/queue-room.lua). Prints
# per round req/s, p50/p99 and the ratio to the /noop before it, CPU µs a request by process group
# (the nodes, Nginx, Redis, the writer, wrk), the nodes' Redis round trips and the commands Redis
# ran a request, and the median ratios. Exits 1 if a join or a poll was refused, failed or (a join)
# sent again, or wrk could not connect.
#   ab-scripts/queue-wrk.sh [--rounds N] [--seconds S] [--connections C] [--threads T] [--per-round N]
#                           [--pollers N]
# (defaults: 3 rounds of 10 s, 256 connections, 2 threads, 15,000 new buyers a second of a round,
# 40,000 pollers)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings

rounds=3 seconds=10 connections=256 threads=2 per_round= pollers=40000
while (($#)); do
    case $1 in
    --rounds | --seconds | --connections | --threads | --per-round | --pollers)
        (($# >= 2)) && is_uint "$2" && (($2 > 0)) || die "queue-wrk.sh: $1 takes a whole number > 0, not '${2:-}'"
        declare "$(tr - _ <<<"${1#--}")=$2"
        shift 2
        ;;
    *) die "queue-wrk.sh: unknown option $1" ;;
    esac
done
# new buyers enough for 15,000 joins a second (this machine: 6,000-7,000)
per_round=${per_round:-$((15000 * seconds))}
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"
ensure_commands wrk java mvn
cd "$RUSH_ROOT"
work=$(mktemp -d "${TMPDIR:-/tmp}/rush-queue-wrk.XXXXXX")
trap 'rm -rf "$work"' EXIT
build_test_classpath "$work/cp"

sale=QW$(date +%s)
"$RUSH_ROOT/rush" sale create "$sale" --stock 100 --queue --pow 0 --opens +3600 --name "queue wrk $sale" >/dev/null ||
    die "could not create sale $sale"
# every round its own buyers, and a warm-up's: a join again of the same buyer is not what is measured
for r in warm $(seq 1 "$rounds"); do
    n=$per_round
    [[ $r != warm ]] || n=$((15000 * 3))
    java -cp "target/test-classes:target/classes:$(<"$work/cp")" io.ticketrush.bench.TokenFile "$JWT_KEYS_FILE" \
        "qw-$sale-$r-" "$n" "$work/tokens-$r" || die "could not sign the tokens"
done
# the pollers: buyers who joined before the rounds (not timed), each poll one of them in turn; more
# of them than a node remembers tokens (10,000), as a real crowd's polls are
java -cp "target/test-classes:target/classes:$(<"$work/cp")" io.ticketrush.bench.TokenFile "$JWT_KEYS_FILE" \
    "qw-$sale-poll-" "$pollers" "$work/tokens-poll" || die "could not sign the tokens"
java -cp "target/test-classes:target/classes:$(<"$work/cp")" io.ticketrush.bench.JoinedFile "$NGINX_URL" "$sale" \
    "$work/tokens-poll" "$work/joined" "$connections" || die "the pollers could not join"
echo "queue wrk: sale $sale (opens in an hour, no puzzle), $rounds rounds of $seconds s each of /noop, joins and polls," \
    "wrk -t$threads -c$connections keep-alive through $NGINX_URL, $per_round new buyers a round, $pollers pollers"

# one wrk run: $1 label, then wrk's arguments; sets R_LINE (its figures), R_CPU (µs a request by
# group, wrk's own from the CPU times of the subshell's children)
run() {
    local label=$1 before after out=$work/$1.txt c0 c1 r0 r1
    shift
    c0=$(redis_commands) r0=$(round_trips) before=$(cpu_snapshot)
    (wrk "$@" >"$out" 2>&1 && times >"$out.times") || { cat "$out" >&2; die "wrk failed ($label)"; }
    after=$(cpu_snapshot) r1=$(round_trips) c1=$(redis_commands)
    R_LINE=$(grep -E '^latency-result ' "$out") || { cat "$out" >&2; die "wrk printed no figures ($label)"; }
    # times: the shell's user and system time, then its children's ("0m1.234s 0m0.567s")
    local wrk_seconds
    wrk_seconds=$(sed -n 2p "$out.times" | awk '{t = 0; for (i = 1; i <= 2; i++) {split($i, p, /[ms]/); t += p[1] * 60 + p[2]}
        printf "%.3f", t}')
    R_CPU=$(awk -v a="$before" -v b="$after" -v w="$wrk_seconds" -v n="$(field answered)" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        for (i in x) { split(x[i], p, "="); was[p[1]] = p[2] }
        out = ""
        for (i in y) { split(y[i], p, "="); if (p[1] != "") out = out sprintf("%s %.0f, ", p[1], (p[2] - was[p[1]]) * 1e6 / hz / n) }
        printf "%swrk %.0f", out, w * 1e6 / n }')
    # Redis per request: the nodes' round trips and the commands Redis ran (script internals, the
    # idle duties' and the writer's included: /noop's figure is that idle rate)
    R_REDIS=$(awk -v r=$((r1 - r0)) -v c=$((c1 - c0)) -v n="$(field answered)" \
        'BEGIN {printf "Redis a request: %.4f round trips, %.4f commands", r / n, c / n}')
}
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$R_LINE"; }

# one round's joins or polls ($1 join|poll, $2 the buyers' file, $3 the round): their figures and
# their ratio to the round's /noop (noop_rps) appended to ratios_$1; the refused, sent again and
# socket errors to bad
room_phase() {
    local kind=$1 file=$2 r=$3 rps ratio
    run "$kind-$r" -t"$threads" -c"$connections" -d"${seconds}s" -s ab-scripts/queue-room.lua "$NGINX_URL" -- \
        "$kind" "$sale" "$file" "$threads"
    rps=$(awk -v n="$(field answered)" -v s="$(field seconds)" 'BEGIN {printf "%.0f", n / s}')
    ratio=$(awk -v j="$rps" -v n="$noop_rps" 'BEGIN {printf "%.2f", j / n}')
    eval "ratios_$kind+=(\"$ratio\")"
    echo "queue wrk: round $r $kind $rps req/s ($ratio of /noop), p50 $(field p50_ms) ms, p99 $(field p99_ms) ms," \
        "$(field ok) answered as they should, $(field refused) otherwise, $(field again) sent again;" \
        "CPU µs a request: $R_CPU; $R_REDIS"
    grep -h '^refusals ' "$work/$kind-$r.txt" || true
    ((bad += $(field refused) + $(field again) + $(field socket_errors))) || true
}

wrk -t"$threads" -c"$connections" -d3s "$NGINX_URL/noop" >/dev/null 2>&1 || true
run warm-join -t"$threads" -c"$connections" -d3s -s ab-scripts/queue-room.lua "$NGINX_URL" -- join "$sale" \
    "$work/tokens-warm" "$threads"
ratios_join=() ratios_poll=() bad=$(($(field refused) + $(field again) + $(field socket_errors)))
joined=$(field ok) sent=$(field sent)
echo "queue wrk: warm-up $(field ok) joins in 3 s"
for r in $(seq 1 "$rounds"); do
    run "noop-$r" -t"$threads" -c"$connections" -d"${seconds}s" --latency -s ab-scripts/latency.lua "$NGINX_URL/noop"
    noop_rps=$(awk -v n="$(field answered)" -v s="$(field seconds)" 'BEGIN {printf "%.0f", n / s}')
    echo "queue wrk: round $r /noop $noop_rps req/s, p50 $(field p50_ms) ms, p99 $(field p99_ms) ms;" \
        "CPU µs a request: $R_CPU; $R_REDIS"
    ((bad += $(field failed) + $(field socket_errors))) || true
    room_phase join "$work/tokens-$r" "$r"
    ((joined += $(field ok))) || true
    ((sent += $(field sent))) || true
    room_phase poll "$work/joined" "$r"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
places=$(rcli ZCARD "rush:{$sale}:queue" | tr -d '\r')
echo "queue wrk: join of /noop, median of ${#ratios_join[@]} rounds: $(median "${ratios_join[@]}") (rounds: ${ratios_join[*]});" \
    "poll of /noop: $(median "${ratios_poll[@]}") (rounds: ${ratios_poll[*]}); places in the room $places," \
    "joins sent $sent (answered 200 $joined, the rest in flight when wrk stopped) and $pollers pollers"
"$RUSH_ROOT/rush" sale close "$sale" >/dev/null 2>&1 || true
((bad == 0)) || die "queue wrk: $bad joins or polls refused, failed, sent again or socket errors (above)"
((places == sent + pollers)) ||
    die "queue wrk: $places places in the room for $sent joins of as many new buyers sent and $pollers pollers"
