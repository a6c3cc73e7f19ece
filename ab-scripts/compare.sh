#!/usr/bin/env bash
# ./rush compare: "is the buy path slower than it was?" The buy path of this tree against an older
# build, A/B in one invocation: each round starts one node per build (the same Jetty distribution
# and settings, a fresh Redis stock), warms it up, then measures `ab -n N -c C /buy/ticket` on it,
# alternating the builds. Prints req/s, p50, p99 per run and the ratio of the means; exits 1 if
# this tree is below --min-ratio of the reference.
#
#   ab-scripts/compare.sh [--against REV] [--via-nginx] [--rounds N] [--requests N] [--concurrency C]
#                         [--warm N] [--min-ratio R]
#   defaults: REV 22af0aa (the last build before orders), 3 rounds, 10000 requests, -c 100, 6 warm-up
#   runs, 0.85. --via-nginx puts the project's Nginx config (one upstream node) in front.
#   ports: RUSH_COMPARE_REDIS_PORT (16390), RUSH_COMPARE_NODE_PORT (3190), RUSH_COMPARE_NGINX_PORT (18190)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RUSH_ROOT"

against=22af0aa rounds=3 requests=10000 concurrency=100 warm=6 via_nginx=0 min_ratio=0.85
while (($#)); do
    case $1 in
    --against) against=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --warm) warm=$2; shift 2 ;;
    --via-nginx) via_nginx=1; shift ;;
    --min-ratio) min_ratio=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "compare: unknown option $1 (see --help)" ;;
    esac
done
for v in rounds requests concurrency warm; do is_uint "${!v}" && ((${!v} > 0)) || die "--$v must be > 0"; done
ensure_commands redis-server redis-cli nginx curl unzip java mvn ab
dir=$RUSH_RUN_DIR/compare
redis_port=${RUSH_COMPARE_REDIS_PORT:-16390}
node_port=${RUSH_COMPARE_NODE_PORT:-3190}
nginx_port=${RUSH_COMPARE_NGINX_PORT:-18190}
require_free_port "$redis_port" RUSH_COMPARE_REDIS_PORT "compare redis"
require_free_port "$node_port" RUSH_COMPARE_NODE_PORT "compare node"
((via_nginx == 0)) || require_free_port "$nginx_port" RUSH_COMPARE_NGINX_PORT "compare nginx"
rm -rf "$dir" && mkdir -p "$dir"
git worktree prune
git worktree add -q --detach "$dir/reference-src" "$against" || die "compare: no such revision $against"
echo "building the reference ($against) and this tree ..."
(cd "$dir/reference-src" && mvn -q -B -Dstyle.color=never package -Dmaven.test.skip=true) ||
    die "the reference $against did not build"
cp "$dir/reference-src/target/ticket-rush.war" "$dir/reference.war"
git worktree remove --force "$dir/reference-src"
build_war
cp "$WAR" "$dir/current.war"
ensure_jetty

# stop what this script started, by the PIDs it recorded
# shellcheck disable=SC2064 # $dir is expanded now, on purpose
trap "for f in '$dir'/*.pid '$dir'/nginx/nginx.pid; do [[ -s \$f ]] && kill \$(cat \$f) 2>/dev/null; done; true" EXIT
# Its own Redis on loopback without a password or ACL users: the reference build may be older than
# them (docs/security.md). As Redis's user when this runs as root, as ./rush runs it.
mkdir -p "$dir/redis"
own_by_redis "$dir/redis"
spawn_redis "$dir/redis.pid" "$dir/redis.log" redis-server --port "$redis_port" --bind 127.0.0.1 \
    --dir "$dir/redis" --appendonly yes --appendfsync everysec --save ""
deadline=$((SECONDS + RUSH_START_TIMEOUT))
until [[ $(redis-cli -p "$redis_port" PING 2>/dev/null) == PONG ]]; do
    ((SECONDS < deadline)) || { show_log "$dir/redis.log"; die "redis did not start on $redis_port"; }
    sleep 0.1
done
# its own single Redis, whatever mode the cluster of ./rush up runs in, and without a password: the
# sale tool (sale_admin) connects to it as nobody in particular
RUSH_REDIS_HOST=127.0.0.1 RUSH_REDIS_PORT=$redis_port RUSH_REDIS_PASSWORD= RUSH_REDIS_MODE=single
REDIS_PASSWORD_FILE= REDIS_NODE_PASSWORD_FILE= REDIS_WRITER_PASSWORD_FILE=

target=http://127.0.0.1:$node_port
if ((via_nginx)); then
    mkdir -p "$dir/nginx/tmp" "$dir/nginx/logs"
    user=()
    ((EUID == 0)) && user=(--user "$(nginx_worker_user)")
    "$RUSH_ROOT/nginx-conf/render.sh" --listen "127.0.0.1:$nginx_port" --upstream "127.0.0.1:$node_port=1" \
        --prefix "$dir/nginx" --logs "$dir/nginx/logs" "${user[@]}" >"$dir/nginx/nginx.conf"
    nginx -p "$dir/nginx/" -e "$dir/nginx/logs/nginx-error.log" -c "$dir/nginx/nginx.conf" ||
        die "nginx did not start (see $dir/nginx/logs/nginx-error.log)"
    target=http://127.0.0.1:$nginx_port
fi
for build in reference current; do
    base=$dir/base-$build
    mkdir -p "$base/webapps" "$base/tmp"
    java -jar "$JETTY_HOME/start.jar" jetty.home="$JETTY_HOME" jetty.base="$base" \
        --add-modules=server,http,ee10-deploy >"$base/add-modules.log" 2>&1 || die "could not create $base"
    cp "$dir/$build.war" "$base/webapps/ROOT.war"
done
stock=$(((warm + 1) * requests))
results=$dir/results
echo "one node on $node_port$( ((via_nginx)) && echo " behind Nginx on $nginx_port"), $warm warm-up runs, then" \
    "ab -n $requests -c $concurrency $target/buy/ticket; every request buys (stock $stock a run)"
for ((round = 1; round <= rounds; round++)); do
    for build in reference current; do
        base=$dir/base-$build
        sale_admin reset "$stock" >/dev/null
        rm -rf "${base:?}/tmp/"*
        (cd "$base" && spawn "$dir/node.pid" "$dir/node-$build.log" java -Xms128m -Xmx512m \
            -Djava.io.tmpdir="$base/tmp" -Drush.redis.host=127.0.0.1 -Drush.redis.port="$redis_port" -Drush.stock.key="$RUSH_STOCK_KEY" \
            -Drush.stock.total="$stock" -Drush.node.weight=1 -Drush.node.weights.total=1 \
            -Drush.node.port="$node_port" -Drush.statlog="$dir/stat-$build.log" \
            -jar "$JETTY_HOME/start.jar" jetty.home="$JETTY_HOME" jetty.base="$base" jetty.http.host=127.0.0.1 \
            jetty.http.port="$node_port" jetty.http.acceptQueueSize=4096)
        deadline=$((SECONDS + RUSH_START_TIMEOUT))
        until curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$node_port/stock"; do
            ((SECONDS < deadline)) || { show_log "$dir/node-$build.log"; die "the $build node did not start"; }
            sleep 0.2
        done
        for ((v = 0; v < warm; v++)); do run_ab -q -n "$requests" -c "$concurrency" "$target/buy/ticket"; done
        cpu_before=$(cpu_ticks "$(cat "$dir/node.pid")")
        run_ab -n "$requests" -c "$concurrency" "$target/buy/ticket"
        cpu_after=$(cpu_ticks "$(cat "$dir/node.pid")")
        # the node's own CPU per request (user + system, from /proc): what a request costs it, which
        # a loaded machine changes far less than it changes req/s
        cpu_us=$(((cpu_after - cpu_before) * 1000000 / $(getconf CLK_TCK) / requests))
        read -r sold _ <<<"$(global_stock)"
        printf '%-9s round %d: %8s req/s  p50 %4s ms  p99 %4s ms  node CPU %4s us/req  non-2xx %s  sold %s of %s\n' \
            "$build" "$round" "$AB_RPS" "$AB_P50" "$AB_P99" "$cpu_us" "$AB_NON2XX" "$sold" "$stock"
        echo "$build $AB_RPS $cpu_us" >>"$results"
        stop_pid "$dir/node.pid" TERM "jetty.http.port=$node_port " "the $build node"
    done
done
awk -v against="$against" -v min="$min_ratio" '{ sum[$1] += $2; cpu[$1] += $3; n[$1]++ } END {
    r = sum["reference"] / n["reference"]; c = sum["current"] / n["current"]
    printf "mean node CPU per request: reference %.0f us, current %.0f us, current/reference = %.3f\n",
        cpu["reference"] / n["reference"], cpu["current"] / n["current"],
        (cpu["current"] / n["current"]) / (cpu["reference"] / n["reference"])
    printf "mean: reference (%s) %.0f req/s, current %.0f req/s, current/reference = %.3f (at least %s asked)\n",
        against, r, c, c / r, min
    exit (c / r >= min) ? 0 : 1 }' "$results"
