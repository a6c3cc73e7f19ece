#!/usr/bin/env bash
# The chaos suite (issue 4): seven whole sales through the real deployment - Redis with its AOF,
# the WAR on four Jetty distribution processes, Nginx from nginx-conf/, the order writer - half
# the buyers anonymous, each sale with a fault injected when 30% is sold (kill -9 a node; kill two,
# restart one; stop Redis 5 s; kill -9 Redis; kill -9 the order writer; Redis stalled 3 s) or at
# its end (a node hangs, then is killed); then, on a replicated Redis (a primary, two replicas,
# three Sentinels), kill -9 the primary, kill -9 a replica, cut the primary off its replicas (each
# in a sale of its own; --short: the three in one sale); then checks no oversell, no undersell, nothing lost,
# duplicated or sold behind a 503, no early "sold out", Nginx's retries answered with their first
# answer, and recovery within its limit, from the answers, Redis, stat.log, the database and
# Nginx's error log (docs/failures.md).
#
#   ab-scripts/chaos.sh [--short] [--stock N] [--users N]
#   default: the full run, 10000 tickets and 30000 buyers (--short: 600 and 1800, as mvn verify)
#
# It runs on its own free loopback ports and temp folders (src/test/java/io/ticketrush/chaos),
# so a cluster started by ./rush up is left alone. Prints the table; also in target/chaos-report.txt.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RUSH_ROOT"

full=true
extra=()
while (($#)); do
    case $1 in
    --short) full=false; shift ;;
    --stock) is_uint "${2:-}" || die "--stock takes a whole number"; extra+=("-Drush.chaos.stock=$2"); shift 2 ;;
    --users) is_uint "${2:-}" || die "--users takes a whole number"; extra+=("-Drush.chaos.users=$2"); shift 2 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "chaos.sh: unknown option $1" ;;
    esac
done
# the replicated Redis's scenarios run Sentinels
ensure_commands redis-sentinel
for cmd in mvn java redis-server redis-cli nginx; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is missing: ./rush up installs what the cluster needs"
done

report=$RUSH_ROOT/target/chaos-report.txt
log=$RUSH_LOG_DIR/chaos-mvn.log
mkdir -p "$RUSH_LOG_DIR"
rm -f "$report"
# The processes the suite starts read RUSH_* settings before their own: run it without any. The
# tests' own stretch factor goes as the property the tests read first (TimeScale).
unset_rush=()
for name in $(compgen -e | grep '^RUSH_' || true); do unset_rush+=(-u "$name"); done
[[ -z ${RUSH_TEST_TIMESCALE:-} ]] || extra+=(-Drush.test.timescale="$RUSH_TEST_TIMESCALE")
echo "chaos: mvn verify -Dit.test=ChaosIT -Drush.chaos.full=$full ${extra[*]} (output in $log)"
rc=0
env "${unset_rush[@]}" mvn -B -Dstyle.color=never verify -Dit.test=ChaosIT -Drush.chaos.full="$full" "${extra[@]}" \
    -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1 || rc=$?
grep -E '^chaos: ' "$log" || true
if [[ -f $report ]]; then
    cat "$report"
else
    echo "chaos: no report was written; the last lines of $log:" >&2
    tail -n 60 "$log" >&2
fi
((rc == 0)) || die "the chaos suite failed (exit $rc); details in $log"
echo "chaos: every scenario held its invariants"
