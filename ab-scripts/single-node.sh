#!/usr/bin/env bash
# The article's single-node run: ab -n 10000 -c 100 straight at one node's /buy/ticket
# (default: the first node, 3001). Buys from that node's local stock, then answers sold out.
#   ab-scripts/single-node.sh [PORT]      env: SINGLE_REQUESTS SINGLE_CONCURRENCY
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings
require_ab

port=${1:-${NODE_PORTS[0]}}
requests=${SINGLE_REQUESTS:-10000}
concurrency=${SINGLE_CONCURRENCY:-100}
url=$(node_url "$port")/buy/ticket

curl -sf -o /dev/null --max-time 5 "$(node_url "$port")/stock" || die "node $port does not answer: ./rush up first"
before=$(stat_lines)
echo "single-node: ab -n $requests -c $concurrency $url"
run_ab -n "$requests" -c "$concurrency" "$url"
echo "  ab: $(ab_summary)"
wait_stat_lines $((before + requests)) 20
new=$(stat_since "$before" | head -n "$requests")
tickets=$(tickets_won <<<"$new")
soldout=$(grep -c ',result:-1,' <<<"$new" || true)
errors=$(grep -c ',result:0,' <<<"$new" || true)
echo "  stat.log: $tickets tickets, $soldout sold out, $errors errors"
if (($(ab_real_failures) != 0 || errors != 0)); then
    echo "single-node: FAIL (errors or non-2xx answers)"
    exit 1
fi
echo "single-node: PASS"
