#!/usr/bin/env bash
# ./rush compare: "is the buy path slower than it was?" The buy path of this tree against an older
# build, A/B in one invocation: each round starts one node per build (the same Jetty distribution
# and settings, a fresh Redis stock), warms it up, then measures `ab -n N -c C` on it, alternating
# the builds. Prints req/s, p50, p99 and the node's CPU us per request (user + system, /proc) per
# run, and the medians of the per-round ratios; exits 1 if this tree's first measured path other
# than noop is below --min-ratio of the reference (median of the rounds' ratios).
#
# ./rush bench node (--node-cost): what one request costs one node, on the article's command (one
# connection per request): this tree only, paths noop, sold-out and buy, 5 rounds; prints each
# path's ratio to the same node's /noop (issue 21's target: sold-out >= 0.9) and its CPU us/request.
#
#   ab-scripts/compare.sh [--against REV|none] [--paths noop,sold-out,buy] [--via-nginx] [--rounds N]
#                         [--requests N] [--concurrency C] [--warm N] [--min-ratio R]
#                         [--java PATH] [--reference-java PATH] [--jetty PROPS] [--reference-jetty PROPS]
#                         [--java-opts OPTS] [--reference-java-opts OPTS] [--reference-go BINARY] [--node-cost]
#   defaults: REV 22af0aa (the last build before orders), paths buy, 3 rounds, 10000 requests, -c 100,
#   6 warm-up runs of each path, 0.85. --against none measures this tree alone. --via-nginx puts the
#   project's Nginx config (one upstream node) in front. --java / --reference-java: the java the
#   current / reference node runs (default: java on the PATH); --jetty / --reference-jetty: Jetty
#   start properties for it ("jetty.http.acceptors=0 jetty.threadPool.reservedThreads=0"), to A/B a
#   setting with --against HEAD; --java-opts / --reference-java-opts: JVM options of the current /
#   reference node only, after RUSH_COMPARE_JAVA_OPTS ("-XX:TieredStopAtLevel=1").
#   --reference-go: the reference is the article's Go program (built outside this repo,
#   docs/load-tests.md#the-go-original), on the same Redis (its hash ticket_hash_key), its address
#   in GO_LISTEN, GO_REDIS, its stock in GO_LOCAL_STOCK; paths sold-out and buy only.
#   A WAR that carries the ticket-rush Jetty module runs with it, as under ./rush.
#   paths: buy (every request buys: the stock is exactly what the warm-up and the measured run take),
#   sold-out (after the buys, or after a stock of one run sold out: answered from memory), noop.
#   env: RUSH_COMPARE_JAVA_OPTS (the nodes' JVM options besides the heap, default none);
#   RUSH_COMPARE_PROFILE=path/to/libasyncProfiler.so profiles each measured run (cpu, collapsed
#   stacks in run/compare/profile-BUILD-PATH-ROUND.txt).
#   ports: RUSH_COMPARE_REDIS_PORT (16390), RUSH_COMPARE_NODE_PORT (3190), RUSH_COMPARE_NGINX_PORT (18190)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RUSH_ROOT"

go_ref= against=22af0aa paths=buy rounds=3 requests=10000 concurrency=100 warm=6 via_nginx=0 min_ratio=0.85
declare -A java_of=([reference]=java [current]=java) jetty_of=([reference]= [current]=) opts_of=([reference]= [current]=)
while (($#)); do
    case $1 in
    --against) against=$2; shift 2 ;;
    --paths) paths=$2; shift 2 ;;
    --node-cost) against=none paths=noop,sold-out,buy rounds=5; shift ;;
    --java) java_of[current]=$2; shift 2 ;;
    --reference-java) java_of[reference]=$2; shift 2 ;;
    --jetty) jetty_of[current]=$2; shift 2 ;;
    --reference-jetty) jetty_of[reference]=$2; shift 2 ;;
    --java-opts) opts_of[current]=$2; shift 2 ;;
    --reference-java-opts) opts_of[reference]=$2; shift 2 ;;
    --reference-go) go_ref=$(realpath "$2"); against="the Go original"; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --warm) warm=$2; shift 2 ;;
    --via-nginx) via_nginx=1; shift ;;
    --min-ratio) min_ratio=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
    *) die "compare: unknown option $1 (see --help)" ;;
    esac
done
for v in rounds requests concurrency warm; do is_uint "${!v}" && ((${!v} > 0)) || die "--$v must be > 0"; done
IFS=, read -r -a path_list <<<"$paths"
declare -A wanted=()
for p in "${path_list[@]}"; do
    case $p in noop | sold-out | buy) wanted[$p]=1 ;; *) die "--paths: unknown path '$p' (noop, sold-out, buy)" ;; esac
done
[[ -z $go_ref ]] || { [[ -x $go_ref ]] || die "--reference-go: $go_ref is not an executable"; }
[[ -z $go_ref || -z ${wanted[noop]:-} ]] || die "--reference-go: the Go original has no /noop (paths sold-out, buy)"
for b in reference current; do
    command -v "${java_of[$b]}" >/dev/null || die "no java at ${java_of[$b]}"
done
builds=(reference current)
[[ $against == none ]] && builds=(current)
profiler=${RUSH_COMPARE_PROFILE:-}
[[ -z $profiler || -f $profiler ]] || die "RUSH_COMPARE_PROFILE=$profiler: no such file"
ensure_commands redis-server redis-cli nginx curl unzip java mvn ab
dir=$RUSH_RUN_DIR/compare
redis_port=${RUSH_COMPARE_REDIS_PORT:-16390}
node_port=${RUSH_COMPARE_NODE_PORT:-3190}
nginx_port=${RUSH_COMPARE_NGINX_PORT:-18190}
require_free_port "$redis_port" RUSH_COMPARE_REDIS_PORT "compare redis"
require_free_port "$node_port" RUSH_COMPARE_NODE_PORT "compare node"
((via_nginx == 0)) || require_free_port "$nginx_port" RUSH_COMPARE_NGINX_PORT "compare nginx"
rm -rf "$dir" && mkdir -p "$dir"
if [[ $against != none && -z $go_ref ]]; then
    git worktree prune
    git worktree add -q --detach "$dir/reference-src" "$against" || die "compare: no such revision $against"
    echo "building the reference ($against) and this tree ..."
    (cd "$dir/reference-src" && mvn -q -B -Dstyle.color=never package -Dmaven.test.skip=true) ||
        die "the reference $against did not build"
    cp "$dir/reference-src/target/ticket-rush.war" "$dir/reference.war"
    git worktree remove --force "$dir/reference-src"
fi
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
for build in "${builds[@]}"; do
    [[ $build == reference && -n $go_ref ]] && continue
    base=$dir/base-$build
    mkdir -p "$base/webapps" "$base/tmp"
    modules=server,http,ee10-deploy
    # the ticket-rush Jetty module of a WAR that carries it, as ./rush installs it (copy_jetty_module)
    if unzip -q -o "$dir/$build.war" 'WEB-INF/jetty-base/*' -d "$dir/module-$build" 2>/dev/null; then
        cp -R "$dir/module-$build/WEB-INF/jetty-base/." "$base/"
        modules+=,ticket-rush
    fi
    rm -rf "$dir/module-$build"
    java -jar "$JETTY_HOME/start.jar" jetty.home="$JETTY_HOME" jetty.base="$base" \
        --add-modules="$modules" >"$base/add-modules.log" 2>&1 || die "could not create $base"
    cp "$dir/$build.war" "$base/webapps/ROOT.war"
done
# every request of the warm-up and of the measured buy run buys; without buys, one run's worth of
# tickets sells out in the first warm-up run of the sold-out path
if ((${wanted[buy]:-0})); then stock=$(((warm + 1) * requests)); else stock=$requests; fi
results=$dir/results
# shellcheck disable=SC2206 # the options are words, as RUSH_NODE_JAVA_OPTS
java_opts=(${RUSH_COMPARE_JAVA_OPTS:-})

# $1 build, $2 pid, $3 async-profiler's command, loaded into the node as an agent by jcmd (which would
# split the command at its '=' unless it is quoted)
profile() {
    local out
    out=$("${java_of[$1]%java}jcmd" "$2" JVMTI.agent_load "$profiler" "\"$3\"" 2>&1)
    grep -q 'return code: 0' <<<"$out" || die "async-profiler '$3' in the $1 node: $out"
}

# $1 build, $2 path, $3 round: one measured `ab` run, its figures appended to $results
measure() {
    local build=$1 path=$2 round=$3 url pid cpu_before cpu_after cpu_us profile=
    case $path in noop) url=$target/noop ;; *) url=$target/buy/ticket ;; esac
    pid=$(cat "$dir/node.pid")
    if [[ -n $profiler && ! ($build == reference && -n $go_ref) ]]; then
        profile=$dir/profile-$build-$path-$round.txt
        profile "$build" "$pid" "start,event=cpu,interval=1ms"
    fi
    cpu_before=$(cpu_ticks "$pid")
    run_ab -n "$requests" -c "$concurrency" "$url"
    cpu_after=$(cpu_ticks "$pid")
    [[ -z $profile ]] || profile "$build" "$pid" "stop,file=$profile,collapsed"
    # the node's own CPU per request (user + system, from /proc): what a request costs it, which
    # a loaded machine changes far less than it changes req/s
    cpu_us=$(((cpu_after - cpu_before) * 1000000 / $(getconf CLK_TCK) / requests))
    printf '%-9s round %d %-8s: %8s req/s  p50 %4s ms  p99 %4s ms  node CPU %4s us/req  non-2xx %s\n' \
        "$build" "$round" "$path" "$AB_RPS" "$AB_P50" "$AB_P99" "$cpu_us" "$AB_NON2XX"
    ((AB_NON2XX == 0 && AB_FAIL_CONNECT + AB_FAIL_RECEIVE + AB_FAIL_EXCEPTIONS == 0)) ||
        die "$build $path: $AB_NON2XX non-2xx answers, $((AB_FAIL_CONNECT + AB_FAIL_RECEIVE + AB_FAIL_EXCEPTIONS)) connection errors"
    echo "$round $build $path $AB_RPS $AB_P50 $AB_P99 $cpu_us" >>"$results"
}

warm_up() {
    local url=$target/buy/ticket v
    [[ $1 == noop ]] && url=$target/noop
    for ((v = 0; v < warm; v++)); do run_ab -q -n "$requests" -c "$concurrency" "$url"; done
}

# The Go original's Redis hash: tickets sold
go_sold() { redis-cli -p "$redis_port" HGET ticket_hash_key ticket_sold_nums; }

# One round of the reference when it is the article's Go program: its stock in its Redis hash and
# in its memory (GO_LOCAL_STOCK), the same paths, its sales checked in the hash
go_round() {
    local sold
    redis-cli -p "$redis_port" DEL ticket_hash_key >/dev/null
    redis-cli -p "$redis_port" HSET ticket_hash_key ticket_total_nums "$stock" ticket_sold_nums 0 >/dev/null
    mkdir -p "$dir/go" && rm -f "$dir/go/stat.log"
    (cd "$dir/go" && GO_LISTEN=127.0.0.1:$node_port GO_REDIS=127.0.0.1:$redis_port GO_LOCAL_STOCK=$stock \
        spawn "$dir/node.pid" "$dir/node-go.log" "$go_ref")
    deadline=$((SECONDS + RUSH_START_TIMEOUT))
    # any answer (its only path buys): / is a 404
    until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$node_port/"; do
        ((SECONDS < deadline)) || { show_log "$dir/node-go.log"; die "the Go original did not start"; }
        sleep 0.2
    done
    if ((${wanted[buy]:-0})); then
        warm_up buy
        measure reference buy "$round"
    fi
    if ((${wanted[sold-out]:-0})); then
        warm_up sold-out
        sold=$(go_sold)
        ((sold == stock)) || die "the Go original: not sold out before the sold-out run: sold $sold of $stock"
        measure reference sold-out "$round"
    fi
    sold=$(go_sold)
    echo "the Go original round $round: sold $sold of $stock"
    ((sold == stock)) || die "the Go original: sold $sold of $stock after the round"
    stop_pid "$dir/node.pid" TERM "$go_ref" "the Go original"
}

echo "one node on $node_port$( ((via_nginx)) && echo " behind Nginx on $nginx_port"), ab -n $requests -c $concurrency" \
    "(one connection per request), paths: $paths; each path warmed up by $warm runs; stock $stock a round;" \
    "$([[ -z $go_ref ]] || printf 'reference: the Go original %s; ' "$go_ref"
    for b in "${builds[@]}"; do [[ $b == reference && -n $go_ref ]] && continue; printf '%s: %s %s %s; ' "$b" "$("${java_of[$b]}" -version 2>&1 | head -1)" "${java_opts[*]} ${opts_of[$b]}" "${jetty_of[$b]}"; done)" \
    "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= rounds; round++)); do
    for build in "${builds[@]}"; do
        if [[ $build == reference && -n $go_ref ]]; then
            go_round
            continue
        fi
        base=$dir/base-$build
        sale_admin reset "$stock" >/dev/null
        rm -rf "${base:?}/tmp/"*
        # shellcheck disable=SC2086 # --jetty's properties and --java-opts are words
        (cd "$base" && spawn "$dir/node.pid" "$dir/node-$build.log" "${java_of[$build]}" -Xms128m -Xmx512m "${java_opts[@]}" ${opts_of[$build]} \
            -Djava.io.tmpdir="$base/tmp" -Drush.redis.host=127.0.0.1 -Drush.redis.port="$redis_port" -Drush.stock.key="$RUSH_STOCK_KEY" \
            -Drush.stock.total="$stock" -Drush.node.weight=1 -Drush.node.weights.total=1 \
            -Drush.node.port="$node_port" -Drush.statlog="$dir/stat-$build.log" \
            -jar "$JETTY_HOME/start.jar" jetty.home="$JETTY_HOME" jetty.base="$base" jetty.http.host=127.0.0.1 \
            jetty.http.port="$node_port" jetty.http.acceptQueueSize=4096 ${jetty_of[$build]})
        deadline=$((SECONDS + RUSH_START_TIMEOUT))
        until curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$node_port/stock"; do
            ((SECONDS < deadline)) || { show_log "$dir/node-$build.log"; die "the $build node did not start"; }
            sleep 0.2
        done
        if ((${wanted[buy]:-0})); then
            warm_up buy
            measure "$build" buy "$round"
        fi
        if ((${wanted[sold-out]:-0})); then
            warm_up sold-out
            read -r sold _ <<<"$(global_stock)"
            ((sold == stock)) || die "$build: not sold out before the sold-out run: sold $sold of $stock"
        fi
        ((${wanted[noop]:-0})) && warm_up noop
        # noop and sold-out alternate within the round: the ratio of each round compares neighbours
        for path in "${path_list[@]}"; do
            [[ $path == buy ]] || measure "$build" "$path" "$round"
        done
        read -r sold _ <<<"$(global_stock)"
        if ((${wanted[buy]:-0} || ${wanted[sold-out]:-0})); then
            ((sold == stock)) || die "$build: sold $sold of $stock after the round"
            # every ticket sold made its order (in Redis; no order writer runs here); a build
            # older than orders (the default reference) made none, so only this tree is held to it
            read -r orders _ <<<"$(sale_admin orders)"
            echo "$build round $round: sold $sold of $stock, $orders orders created"
            [[ $build != current ]] || ((orders == sold)) || die "$build: $orders orders for $sold tickets sold"
        fi
        stop_pid "$dir/node.pid" TERM "jetty.http.port=$node_port " "the $build node"
    done
done

# medians over the rounds: of each path's req/s, p99 and CPU us/request, of its ratio to the same
# node's /noop in the same round, and of current/reference in the same round
sort -k1,1n "$results" | awk -v against="$against" -v min="$min_ratio" -v paths="$paths" '
function median(list,    a, n, i, t, j) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { vals[key] = vals[key] (key in vals ? " " : "") v }
{ r = $1; b = $2; p = $3; rps[r, b, p] = $4; cpu[r, b, p] = $7; rounds[r] = 1; builds[b] = 1
  add(b SUBSEP p SUBSEP "rps", $4); add(b SUBSEP p SUBSEP "p50", $5); add(b SUBSEP p SUBSEP "p99", $6); add(b SUBSEP p SUBSEP "cpu", $7) }
END {
    np = split(paths, pl, ",")
    for (r in rounds) for (b in builds) for (i = 1; i <= np; i++) {
        p = pl[i]
        if (p != "noop" && ((r, b, "noop") in rps)) add(b SUBSEP p SUBSEP "vsnoop", rps[r, b, p] / rps[r, b, "noop"])
        if (b == "current" && ((r, "reference", p) in rps)) {
            add(p SUBSEP "ab", rps[r, "current", p] / rps[r, "reference", p]); add(p SUBSEP "abcpu", cpu[r, "current", p] / cpu[r, "reference", p])
        }
    }
    print "medians over the rounds:"
    for (b in builds) for (i = 1; i <= np; i++) {
        p = pl[i]; k = b SUBSEP p
        line = sprintf("  %-9s %-8s %8.0f req/s  p50 %4s ms  p99 %4s ms  node CPU %4.0f us/req", b, p,
            median(vals[k, "rps"]), median(vals[k, "p50"]), median(vals[k, "p99"]), median(vals[k, "cpu"]))
        if ((k, "vsnoop") in vals) {
            line = line sprintf("  %s/noop %.2f", p, median(vals[k, "vsnoop"]))
            if (p == "sold-out") line = line " (target >= 0.9)"
        }
        print line
    }
    status = 0
    for (i = 1; i <= np; i++) {
        p = pl[i]
        if (!((p, "ab") in vals)) continue
        ratio = median(vals[p, "ab"])
        printf "  %-8s current/reference (%s): req/s %.3f, CPU us/request %.3f\n", p, against, ratio, median(vals[p, "abcpu"])
        if (!checked && p != "noop") { checked = 1; if (ratio < min) status = 1; printf "  (%s: at least %s asked of the req/s ratio)\n", p, min }
    }
    exit status }'
