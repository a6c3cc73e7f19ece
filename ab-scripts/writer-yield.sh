#!/usr/bin/env bash
# Issue 21: the order writer catching up on 10,000 orders right after a sale, at nice 0 and
# at nice N, alternating. Per round: ./rush reset --stock 10000 (restarts the writer), renice of the
# writer to that level, the sale sold out through Nginx (ab -n 12000 -c 100) with the writer stopped (SIGSTOP),
# then the writer goes on (SIGCONT) and at once ab -n 10000 -c 100 of sold-out answers on one node
# while it catches up on the 10,000 orders; its CPU per order once the database has all 10,000;
# then the same sold-out run on the node with the writer idle.
# Needs the cluster up (./rush up, its RUSH_* settings in the environment), the article's sale
# open to anyone (as ./rush reset makes it); it resets that sale each round.
#   ab-scripts/writer-yield.sh [--rounds N] [--nice N] [--node PORT]   (3, 10, the first node)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RUSH_ROOT"
rounds=3 nice_b=10 node=${NODE_PORTS[0]}
while (($#)); do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --nice) nice_b=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    *) die "writer-yield: unknown option $1" ;;
    esac
done
tck=$(getconf CLK_TCK)
persisted() { printf 'SCARD rush:{%s}:persisted\n' "$RUSH_STOCK_KEY" | rcli | tr -d '\r'; }
node_pid_of() { cat "$PIDS/jetty-$1.pid"; }
echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for ((r = 1; r <= rounds; r++)); do
    for n in 0 "$nice_b"; do
        ./rush reset --stock 10000 >/dev/null
        wpid=$(cat "$PIDS/order-writer.pid")
        # every thread of it (Linux's nice is per thread; threads made later inherit it)
        for task in /proc/"$wpid"/task/*; do renice -n "$n" -p "${task##*/}" >/dev/null; done
        npid=$(node_pid_of "$node")
        w0=$(cpu_ticks "$wpid")
        # the writer stopped during the sale: its 10,000 orders wait in the stream, and it catches
        # up on all of them while the node answers the losers
        kill -STOP "$wpid"
        run_ab -n 12000 -c 100 "$NGINX_URL/buy/ticket"
        sale_rps=$AB_RPS sale_busy=$AB_NON2XX
        ((AB_FAIL_CONNECT + AB_FAIL_RECEIVE + AB_FAIL_EXCEPTIONS == 0)) || { kill -CONT "$wpid"; die "sale: connection errors"; }
        start=$(date +%s%N)
        kill -CONT "$wpid"
        n0=$(cpu_ticks "$npid")
        run_ab -n 10000 -c 100 "$(node_url "$node")/buy/ticket"
        n1=$(cpu_ticks "$npid")
        ((AB_NON2XX == 0)) || die "sold-out run: $AB_NON2XX non-2xx"
        busy_rps=$AB_RPS busy_p99=$AB_P99 busy_cpu=$(((n1 - n0) * 1000000 / tck / 10000))
        p_at=$(persisted)
        deadline=$((SECONDS + 600))
        until (($(persisted) >= 10000)); do ((SECONDS < deadline)) || die "orders not persisted"; sleep 0.1; done
        done_ms=$((($(date +%s%N) - start) / 1000000))
        w1=$(cpu_ticks "$wpid")
        sold=$(sale_admin stock | awk '{print $1}')
        n0=$(cpu_ticks "$npid")
        run_ab -n 10000 -c 100 "$(node_url "$node")/buy/ticket"
        n1=$(cpu_ticks "$npid")
        idle_rps=$AB_RPS idle_cpu=$(((n1 - n0) * 1000000 / tck / 10000))
        printf 'round %d nice %2d: sale %7s req/s (%s 503s), sold %s; sold-out while writing %7s req/s p99 %3s ms node %3s us/req (orders in db at its end %5s); all 10000 in db %5d ms after the writer went on; writer %4d us CPU/order; sold-out writer idle %7s req/s node %3s us/req; ratio %.2f\n' \
            "$r" "$n" "$sale_rps" "$sale_busy" "$sold" "$busy_rps" "$busy_p99" "$busy_cpu" "$p_at" "$done_ms" \
            $(((w1 - w0) * 1000000 / tck / 10000)) "$idle_rps" "$idle_cpu" "$(awk -v a="$busy_rps" -v b="$idle_rps" 'BEGIN{print a/b}')"
    done
done
