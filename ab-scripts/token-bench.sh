#!/usr/bin/env bash
# The buy path with and without tokens in one run (io.ticketrush.bench.SignedBuyBench, a test
# class: benchmarks stay out of the WAR): one node (Jetty on a port the OS picks) and a Redis of
# its own, an open sale (each request names a new buyer) and a signed one (each request a new
# buyer's token, verified for the first time), bought in alternating rounds after a warm-up of
# each. Prints each round's requests a second and the ratio signed / open (issue 18 aims at 0.95
# or more). Starts nothing of ./rush's and needs no running cluster.
#   ab-scripts/token-bench.sh [--rounds N] [--seconds N] [--threads N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds=5 seconds=4 threads=8
while (($#)); do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) die "token-bench.sh: unknown option $1" ;;
    esac
done
for v in "$rounds" "$seconds" "$threads"; do
    is_uint "$v" && ((v > 0)) || die "token-bench.sh: '$v' is not a whole number above 0"
done
ensure_commands java mvn redis-server
cd "$RUSH_ROOT"
classpath=$(mktemp /tmp/rush-token-bench.XXXXXX)
trap 'rm -f "$classpath"' EXIT
build_test_classpath "$classpath"
java -Xmx1g -cp "target/test-classes:target/classes:$(<"$classpath")" io.ticketrush.bench.SignedBuyBench \
    "$rounds" "$seconds" "$threads"
