#!/usr/bin/env bash
# What a sale costs: creates N sales (default 1000) on the running cluster, and measures
#   - Redis: INFO used_memory before and after, per sale; then per order, selling one sale of T
#     tickets (default 10000) out;
#   - a node: its live heap by class (jmap -histo:live) before and after the sales were created,
#     and after one ticket of each of the first 100 was bought on it (each then has a seller and a
#     local stock there); and what it keeps of a sold-out sale's orders (/stock's "orders").
# Figures, not a check. Leaves the sales in Redis (./rush reset does not drop them; a fresh Redis does).
#   ab-scripts/sale-costs.sh [--sales N] [--tickets T]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings
require_ab

sales=1000 tickets=10000
while (($#)); do
    case $1 in
    --sales) sales=$2; shift 2 ;;
    --tickets) tickets=$2; shift 2 ;;
    *) die "sale-costs.sh: unknown option $1" ;;
    esac
done
node=${NODE_PORTS[0]}
node_at=$(node_url "$node")
pid=$(cat "$RUSH_RUN_DIR/pids/jetty-$node.pid")
command -v jmap >/dev/null || die "jmap is missing (a JDK's, not a JRE's)"
prefix=cost$(date +%s)

used() { redis_info_sum memory used_memory; } # in a cluster, its masters' memory added up
# the node's live bytes in ticket-rush's own classes (jmap forces a full GC first)
heap() { jmap -histo:live "$pid" | awk '$4 ~ /^io\.ticketrush\./ {b += $3} END {print b + 0}'; }
heap_all() { jmap -histo:live "$pid" | awk 'NR > 3 && $1 ~ /:$/ {b += $3} END {print b + 0}'; }

echo "sale-costs: $sales sales on the cluster of node $node (pid $pid)"
redis0=$(used) heap0=$(heap) all0=$(heap_all)
# on the node's admin connector, the token from its file (admin_post: never on a command line)
for ((i = 0; i < sales; i++)); do
    admin_post "$node" "sales?id=$prefix-$i&stock=100&name=train-$i&buyers=open" >/dev/null || die "sale $prefix-$i was not created"
done
admin_post "$node" refresh >/dev/null || die "node $node did not read the sales again"
redis1=$(used) heap1=$(heap) all1=$(heap_all)
for ((i = 0; i < 100 && i < sales; i++)); do
    curl -sf -o /dev/null "$node_at/buy/ticket?sale=$prefix-$i&user=cost-buyer"
done
heap2=$(heap) all2=$(heap_all)
printf '  Redis: %d bytes for %d sales: %d bytes a sale (its hash; it has no other key until it sells)\n' \
    $((redis1 - redis0)) "$sales" $(((redis1 - redis0) / sales))
printf '  node %d, ticket-rush classes: %d bytes for %d sales known: %d bytes a sale\n' "$node" \
    $((heap1 - heap0)) "$sales" $(((heap1 - heap0) / sales))
printf '  node %d, whole live heap: %+d bytes for those sales (%d a sale)\n' "$node" $((all1 - all0)) \
    $(((all1 - all0) / sales))
printf '  node %d, ticket-rush classes: %d bytes more once 100 of them were bought from here: %d bytes a sale' "$node" \
    $((heap2 - heap1)) $(((heap2 - heap1) / 100))
printf ' (whole heap %+d, %d a sale)\n' $((all2 - all1)) $(((all2 - all1) / 100))

# one big sale sold out: Redis per order, and what a node keeps of its orders once it follows them
big=$prefix-big
admin_post "$node" "sales?id=$big&stock=$tickets&buyers=open" >/dev/null || die "sale $big was not created"
redis2=$(used)
run_ab -n $((tickets * 2)) -c 50 "$NGINX_URL/buy/ticket?sale=$big"
read -r sold _ <<<"$(sale_admin stock "$big")"
redis3=$(used)
printf '  Redis: %d bytes for %d orders of one sale: %d bytes an order (order, event, index, request id)\n' \
    $((redis3 - redis2)) "$sold" $(((redis3 - redis2) / (sold > 0 ? sold : 1)))
curl -s "$node_at/buy/ticket?sale=$big&rid=after-$RANDOM" >/dev/null
deadline=$((SECONDS + 10))
until curl -s "$node_at/stock?sale=$big" | grep -q '"caughtUp":true' || ((SECONDS >= deadline)); do
    sleep 0.1
done
echo "  node $node keeps of the sold-out sale's orders: $(curl -s "$node_at/stock?sale=$big" |
    sed -n 's/.*"orders":\({[^}]*}\).*/\1/p')"
