#!/usr/bin/env bash
# The buy step alone (io.ticketrush.bench.BuyBench: the nodes' Lua buy call, its replica waits and
# settling, from THREADS callers, BATCH buyers a call, over SALES sales), in one invocation on:
#   1. one Redis (no replica: nothing to wait for), on BENCH_REDIS_PORT (default 6391);
#   2. one Redis with two replicas and three Sentinels (WAIT 1 per call, as the nodes do): the
#      primary on BENCH_REDIS_PORT, replicas and Sentinels on the ports after it and 26391-26393;
#   3. a Redis Cluster of three masters with two replicas each (WAIT 1 per call), on
#      BENCH_CLUSTER_PORTS (default 7101-7109), the sales spread over the masters by their tags;
#   4. the same cluster asked for one sale only: every call on one master;
#   5. the same cluster with that one sale split into three buckets (--buckets 3): a hot sale over
#      the masters.
# Each started with ./rush's own lifecycle under a run folder of its own (the running cluster, if
# any, is left alone) and stopped by PID at the end. Prints each run's line and the ratios.
#   ab-scripts/buy-bench.sh [--sales N] [--threads N] [--batch N] [--seconds N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sales=6 threads=12 batch=10 seconds=8
while (($#)); do
    case $1 in
    --sales) sales=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) die "buy-bench.sh: unknown option $1" ;;
    esac
done
for v in "$sales" "$threads" "$batch" "$seconds"; do is_uint "$v" && ((v > 0)) || die "buy-bench.sh: '$v' is not a whole number above 0"; done
single_port=${BENCH_REDIS_PORT:-6391}
cluster_ports=${BENCH_CLUSTER_PORTS:-"7101 7102 7103 7104 7105 7106 7107 7108 7109"}
replica_ports="$((single_port + 1)) $((single_port + 2))"
sentinel_ports="26391 26392 26393"
[[ -f $WAR ]] || build_war
[[ -f $RUSH_ROOT/target/test-classes/io/ticketrush/bench/BuyBench.class ]] ||
    (cd "$RUSH_ROOT" && mvn -q -B -Dstyle.color=never test-compile) || die "the bench did not build"
work=$(mktemp -d /tmp/rush-buy-bench.XXXXXX)
chmod 755 "$work" # Redis runs as its own user when this runs as root (./rush): it must reach its folder
rush=$RUSH_ROOT/rush

# ./rush with the bench's own run folder and ports: only its Redis part
bench_rush() {
    local mode=$1
    shift
    RUSH_RUN_DIR=$work/$mode RUSH_LOG_DIR=$work/$mode/logs RUSH_PARTS=redis RUSH_REDIS_MODE=$mode \
        RUSH_REDIS_PORT=$single_port RUSH_CLUSTER_PORTS=$cluster_ports RUSH_REDIS_REPLICA_PORTS=$replica_ports \
        RUSH_SENTINEL_PORTS=$sentinel_ports "$rush" "$@"
}
stop_all() {
    bench_rush single down >/dev/null 2>&1 || true
    bench_rush sentinel down >/dev/null 2>&1 || true
    bench_rush cluster down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop_all EXIT

# BuyBench against the mode's Redis: the bench is a test class (benchmarks stay out of the WAR), run
# with the WAR's classes and libraries; prints its one line
run_bench() {
    local mode=$1 label=$2 n=$3 buckets=${4:-}
    (
        export RUSH_RUN_DIR=$work/$mode RUSH_REDIS_MODE=$mode RUSH_REDIS_PORT=$single_port
        export RUSH_CLUSTER_PORTS=$cluster_ports RUSH_REDIS_REPLICA_PORTS=$replica_ports
        export RUSH_SENTINEL_PORTS=$sentinel_ports
        source "$RUSH_ROOT/lib/common.sh"
        prepare_app
        # as Redis's default user: besides a node's calls, the bench reads each master's INFO cpu
        app_java default io.ticketrush.bench.BuyBench -Xmx512m -Drush.redis.pool.size=$((threads + 4))
        local i
        for i in "${!APP_CMD[@]}"; do
            [[ ${APP_CMD[i]} == -cp ]] && APP_CMD[i + 1]=$RUSH_ROOT/target/test-classes:${APP_CMD[i + 1]}
        done
        run_java "${APP_CMD[@]}" "$label" "$n" "$threads" "$batch" "$seconds" $buckets
    )
}

echo "buy bench: $threads callers, $batch buyers a call, $seconds s a run (this machine: $(nproc) cores)"
bench_rush single up >/dev/null
one=$(run_bench single "one Redis" "$sales")
echo "$one"
bench_rush single down >/dev/null
bench_rush sentinel up >/dev/null
replicated=$(run_bench sentinel "one Redis, replicated" "$sales")
echo "$replicated"
bench_rush sentinel down >/dev/null
bench_rush cluster up >/dev/null
three=$(run_bench cluster "three shards" "$sales")
echo "$three"
hot=$(run_bench cluster "three shards, one sale" 1)
echo "$hot"
split=$(run_bench cluster "three shards, one sale in three buckets" 1 3)
echo "$split"
bench_rush cluster down >/dev/null

rate() { sed -E 's/.* ([0-9]+) tickets\/s.*/\1/' <<<"$1"; }
awk -v one="$(rate "$one")" -v rep="$(rate "$replicated")" -v three="$(rate "$three")" -v hot="$(rate "$hot")" \
    -v buck="$(rate "$split")" 'BEGIN {
    printf "ratios (tickets/s): three shards / one replicated Redis %.2f; three shards / one Redis %.2f; one replicated Redis / one Redis %.2f; one sale on the cluster / three shards %.2f; one sale in three buckets / one sale unsplit %.2f\n", three / rep, three / one, rep / one, hot / three, buck / hot }'
