# ticket-rush: the settings and helpers ./rush and the ab-scripts share (sourced, not run):
# installing what is missing, building the WAR, starting and stopping processes, the sale in Redis.
#
# Every setting comes from the environment with the defaults below (docs/settings.md lists them),
# so ./rush and each ab-script always agree on ports, folders and the stock key. The settings the
# scripts share with the Java processes (Redis's address and mode, the stock key and total) take
# their defaults from the one file the nodes, the writer and the sale tool read them from.

RUSH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUSH_DEFAULTS=$RUSH_ROOT/src/main/resources/io/ticketrush/settings/defaults.properties

# The default of setting $1 (rush.redis.port) in $RUSH_DEFAULTS: lines NAME=VALUE, nothing escaped.
rush_default() {
    awk -v name="$1" 'index($0, name "=") == 1 { print substr($0, length(name) + 2); found = 1; exit }
        END { exit !found }' "$RUSH_DEFAULTS" || {
        echo "lib/common.sh: no default for $1 in $RUSH_DEFAULTS" >&2
        return 1
    }
}

RUSH_NGINX_PORT=${RUSH_NGINX_PORT:-8080}
RUSH_NODE_PORTS=${RUSH_NODE_PORTS:-"3001 3002 3003 3004"}
RUSH_NODE_WEIGHTS=${RUSH_NODE_WEIGHTS:-"1 2 3 4"}
# Each node's admin connector (loopback unless RUSH_ADMIN_HOST), one port per node: default its port + 1000.
RUSH_ADMIN_PORTS=${RUSH_ADMIN_PORTS:-}
RUSH_ADMIN_HOST=${RUSH_ADMIN_HOST:-127.0.0.1}
# The demo payment provider (/demo-pay/): on under ./rush, off in a node's own defaults.
RUSH_PAY_DEMO=${RUSH_PAY_DEMO:-true}
RUSH_REDIS_PORT=${RUSH_REDIS_PORT:-$(rush_default rush.redis.port)}
RUSH_REDIS_PASSWORD=${RUSH_REDIS_PASSWORD:-}
RUSH_STOCK_TOTAL=${RUSH_STOCK_TOTAL:-$(rush_default rush.stock.total)}
RUSH_STOCK_BUFFER=${RUSH_STOCK_BUFFER:-}
RUSH_STOCK_KEY=${RUSH_STOCK_KEY:-$(rush_default rush.stock.key)}
RUSH_NGINX_WORKERS=${RUSH_NGINX_WORKERS:-auto}
# Nginx's limits on addresses outside RUSH_TRUSTED (docs/architecture.md, "Nginx"): requests a
# second and at once on the buy and order paths (the burst: twice the rate unless set), and
# requests in progress at once. The trusted addresses are never limited (the article's ab).
RUSH_NGINX_RATE=${RUSH_NGINX_RATE:-10}
RUSH_NGINX_BURST=${RUSH_NGINX_BURST:-}
RUSH_NGINX_CONN=${RUSH_NGINX_CONN:-32}
RUSH_TRUSTED=${RUSH_TRUSTED:-"127.0.0.1 ::1"}
RUSH_PLACEMENT=${RUSH_PLACEMENT:-auto}
RUSH_RUN_DIR=${RUSH_RUN_DIR:-run}
RUSH_LOG_DIR=${RUSH_LOG_DIR:-logs}
RUSH_START_TIMEOUT=${RUSH_START_TIMEOUT:-90}
RUSH_STOP_TIMEOUT=${RUSH_STOP_TIMEOUT:-20}
# The logs in RUSH_LOG_DIR other than stat.log (which the nodes rotate themselves, rush.statlog.*):
# past RUSH_LOG_MAX_KB a log is rotated (.1 the newest), RUSH_LOG_KEEP rotated files are kept, and
# ./rush up's log keeper looks every RUSH_LOG_CHECK_SECONDS (docs/settings.md)
RUSH_LOG_MAX_KB=${RUSH_LOG_MAX_KB:-$(rush_default rush.statlog.max.kb)}
RUSH_LOG_KEEP=${RUSH_LOG_KEEP:-$(rush_default rush.statlog.keep)}
RUSH_LOG_CHECK_SECONDS=${RUSH_LOG_CHECK_SECONDS:-30}
# Addresses (docs/hosts.md): all loopback unless the parts run on several machines.
RUSH_REDIS_HOST=${RUSH_REDIS_HOST:-$(rush_default rush.redis.host)}
RUSH_NODE_HOST=${RUSH_NODE_HOST:-127.0.0.1}
RUSH_NGINX_HOST=${RUSH_NGINX_HOST:-127.0.0.1}
# The parts `./rush up`, `down` and `status` handle on this machine.
RUSH_PARTS=${RUSH_PARTS:-"redis writer nodes nginx"}
# The replicated Redis (./rush up --redis sentinel, docs/replication.md), all on RUSH_REDIS_HOST:
# the primary starts on RUSH_REDIS_PORT, its replicas on RUSH_REDIS_REPLICA_PORTS, the Sentinels
# that name it RUSH_REDIS_MASTER on RUSH_SENTINEL_PORTS. RUSH_REDIS_MODE is resolved below.
RUSH_REDIS_MODE=${RUSH_REDIS_MODE:-}
RUSH_REDIS_REPLICA_PORTS=${RUSH_REDIS_REPLICA_PORTS:-"6380 6381"}
RUSH_SENTINEL_PORTS=${RUSH_SENTINEL_PORTS:-"26379 26380 26381"}
RUSH_REDIS_MASTER=${RUSH_REDIS_MASTER:-$(rush_default rush.redis.master)}
# Redis Cluster (./rush up --redis cluster, docs/cluster.md): a node per port on RUSH_REDIS_HOST,
# a third of them masters, each with two replicas (cluster bus on port + 10000).
RUSH_CLUSTER_PORTS=${RUSH_CLUSTER_PORTS:-"7001 7002 7003 7004 7005 7006 7007 7008 7009"}

# Relative folders are relative to the repo root, whatever the caller's directory.
case $RUSH_RUN_DIR in /*) ;; *) RUSH_RUN_DIR=$RUSH_ROOT/$RUSH_RUN_DIR ;; esac
case $RUSH_LOG_DIR in /*) ;; *) RUSH_LOG_DIR=$RUSH_ROOT/$RUSH_LOG_DIR ;; esac

# Redis's passwords (docs/security.md), each in a file of the run folder readable by its owner only,
# made by the first `./rush up` on the machine that runs Redis (make_redis_passwords in ./rush):
# Redis's default user's (every command: ./rush, redis-cli, the replicas, the Sentinels;
# RUSH_REDIS_PASSWORD, if set, instead), and those of the ACL users the nodes and the sale tool
# (rush-node) and the order writer (rush-writer) connect as. The Java parts are given the file's
# name (rush.redis.password.file), never a password on their command line.
REDIS_PASSWORD_FILE=$RUSH_RUN_DIR/redis-password
REDIS_NODE_PASSWORD_FILE=$RUSH_RUN_DIR/redis-node-password
REDIS_WRITER_PASSWORD_FILE=$RUSH_RUN_DIR/redis-writer-password
# ./rush runs Redis as this user when it runs as root (Debian's redis-server package makes it).
REDIS_OS_USER=redis

# The order database: H2 in a file under the run folder unless a JDBC URL is given. AUTO_SERVER: the
# writer writes it and the nodes read it (archived sales, docs/archive.md); the first to open the
# file serves it to the others.
RUSH_DB_URL=${RUSH_DB_URL:-jdbc:h2:file:$RUSH_RUN_DIR/orders/orders;AUTO_SERVER=TRUE}

# single, sentinel or cluster: RUSH_REDIS_MODE, else the mode `./rush up` recorded for what it started
# (so that status, down, reset and the scripts find it), else single.
REDIS_MODE_FILE=$RUSH_RUN_DIR/redis-mode
if [[ -z $RUSH_REDIS_MODE && -f $REDIS_MODE_FILE ]]; then
    RUSH_REDIS_MODE=$(<"$REDIS_MODE_FILE")
fi
RUSH_REDIS_MODE=${RUSH_REDIS_MODE:-$(rush_default rush.redis.mode)}
read -r -a REPLICA_PORTS <<<"$RUSH_REDIS_REPLICA_PORTS"
read -r -a SENTINEL_PORTS <<<"$RUSH_SENTINEL_PORTS"
read -r -a CLUSTER_PORTS <<<"$RUSH_CLUSTER_PORTS"

# RUSH_NODE_PORTS: PORT (on RUSH_NODE_HOST), or HOST:PORT for a node with an address of its own.
NODE_PORTS=() NODE_HOSTS=()
for node_entry in $RUSH_NODE_PORTS; do
    if [[ $node_entry == *:* ]]; then
        NODE_HOSTS+=("${node_entry%:*}") NODE_PORTS+=("${node_entry##*:}")
    else
        NODE_HOSTS+=("$RUSH_NODE_HOST") NODE_PORTS+=("$node_entry")
    fi
done
unset node_entry
read -r -a NODE_WEIGHTS <<<"$RUSH_NODE_WEIGHTS"
read -r -a PARTS <<<"$RUSH_PARTS"
STAT_LOG=$RUSH_LOG_DIR/stat.log
# Nginx listening on every address (0.0.0.0) is reached here on loopback.
NGINX_URL=http://$([[ $RUSH_NGINX_HOST == 0.0.0.0 ]] && echo 127.0.0.1 || echo "$RUSH_NGINX_HOST"):$RUSH_NGINX_PORT
PIDS=$RUSH_RUN_DIR/pids
# RUSH_WAR: deploy this WAR as it is instead of building target/ticket-rush.war
WAR=${RUSH_WAR:-$RUSH_ROOT/target/ticket-rush.war}
# The WAR's classes and libraries unpacked, for the Java commands run beside the nodes (the order
# writer, sale administration).
APP_DIR=$RUSH_RUN_DIR/app

die() {
    echo "error: $*" >&2
    exit 1
}

is_uint() {
    [[ $1 =~ ^[0-9]+$ ]]
}

is_host() {
    [[ $1 =~ ^[A-Za-z0-9._-]+$ ]]
}

# Checks the settings once, so a typo fails here and not halfway through a start.
check_settings() {
    local v
    for v in RUSH_NGINX_PORT RUSH_REDIS_PORT RUSH_STOCK_TOTAL; do
        is_uint "${!v}" || die "$v='${!v}' must be a whole number"
    done
    [[ -z $RUSH_STOCK_BUFFER ]] || is_uint "$RUSH_STOCK_BUFFER" ||
        die "RUSH_STOCK_BUFFER='$RUSH_STOCK_BUFFER' must be a whole number"
    [[ $RUSH_PLACEMENT == auto || $RUSH_PLACEMENT == off ]] || die "RUSH_PLACEMENT='$RUSH_PLACEMENT' must be auto or off"
    [[ $RUSH_NGINX_WORKERS == auto ]] || is_uint "$RUSH_NGINX_WORKERS" ||
        die "RUSH_NGINX_WORKERS='$RUSH_NGINX_WORKERS' must be 'auto' or a whole number"
    is_uint "$RUSH_NGINX_RATE" && ((RUSH_NGINX_RATE > 0)) || die "RUSH_NGINX_RATE='$RUSH_NGINX_RATE' must be a whole number > 0"
    is_uint "$RUSH_NGINX_CONN" && ((RUSH_NGINX_CONN > 0 && RUSH_NGINX_CONN < 65536)) ||
        die "RUSH_NGINX_CONN='$RUSH_NGINX_CONN' must be a whole number from 1 to 65535"
    [[ -z $RUSH_NGINX_BURST ]] || is_uint "$RUSH_NGINX_BURST" ||
        die "RUSH_NGINX_BURST='$RUSH_NGINX_BURST' must be a whole number"
    ((${#NODE_PORTS[@]} > 0)) || die "RUSH_NODE_PORTS is empty"
    ((${#NODE_PORTS[@]} == ${#NODE_WEIGHTS[@]})) ||
        die "RUSH_NODE_PORTS has ${#NODE_PORTS[@]} ports but RUSH_NODE_WEIGHTS has ${#NODE_WEIGHTS[@]} weights"
    for v in "${NODE_PORTS[@]}"; do is_uint "$v" || die "RUSH_NODE_PORTS: '$v' is not a port"; done
    for v in "${NODE_WEIGHTS[@]}"; do
        is_uint "$v" && ((v > 0)) || die "RUSH_NODE_WEIGHTS: '$v' must be a whole number > 0"
    done
    [[ $(printf '%s\n' "${NODE_PORTS[@]}" | sort | uniq -d) == "" ]] ||
        die "RUSH_NODE_PORTS='$RUSH_NODE_PORTS' names a port twice: each node needs a port of its own"
    check_admin_settings
    [[ -z ${RUSH_NODE_WEIGHTS_TOTAL:-} ]] || { is_uint "$RUSH_NODE_WEIGHTS_TOTAL" && ((RUSH_NODE_WEIGHTS_TOTAL > 0)); } ||
        die "RUSH_NODE_WEIGHTS_TOTAL='$RUSH_NODE_WEIGHTS_TOTAL' must be a whole number > 0"
    for v in RUSH_REDIS_HOST RUSH_NODE_HOST RUSH_NGINX_HOST; do
        is_host "${!v}" || die "$v='${!v}' is not a host name or IPv4 address"
    done
    for v in "${NODE_HOSTS[@]}"; do is_host "$v" || die "RUSH_NODE_PORTS: '$v' is not a host name or IPv4 address"; done
    for v in $(nginx_upstream); do
        [[ $v =~ ^[A-Za-z0-9._-]+:[0-9]+=[0-9]+$ ]] ||
            die "RUSH_NGINX_UPSTREAM: '$v' is not HOST:PORT=WEIGHT"
    done
    [[ $RUSH_AUTH_LOGIN == true || $RUSH_AUTH_LOGIN == false ]] ||
        die "RUSH_AUTH_LOGIN='$RUSH_AUTH_LOGIN' must be true or false"
    ((${#PARTS[@]} > 0)) || die "RUSH_PARTS is empty"
    for v in "${PARTS[@]}"; do
        [[ $v =~ ^(redis|writer|nodes|nginx)$ ]] || die "RUSH_PARTS: '$v' is not one of redis writer nodes nginx"
    done
    check_redis_mode_settings
}

# The admin ports (one per node, none a node's port, each once) and the demo provider's switch.
check_admin_settings() {
    local v admin=() given=()
    read -r -a given <<<"$RUSH_ADMIN_PORTS"
    ((${#given[@]} == 0 || ${#given[@]} == ${#NODE_PORTS[@]})) ||
        die "RUSH_ADMIN_PORTS has ${#given[@]} ports but RUSH_NODE_PORTS has ${#NODE_PORTS[@]} nodes: one each"
    for v in "${NODE_PORTS[@]}"; do admin+=("$(admin_port "$v")"); done
    for v in "${admin[@]}"; do
        is_uint "$v" && ((v > 0 && v <= 65535)) ||
            die "admin port '$v' is not a port: set RUSH_ADMIN_PORTS (one per node; default each node's port + 1000)"
    done
    [[ $(printf '%s\n' "${NODE_PORTS[@]}" "${admin[@]}" | sort | uniq -d) == "" ]] ||
        die "the admin ports (${admin[*]}) must differ from each other and from RUSH_NODE_PORTS: set RUSH_ADMIN_PORTS"
    is_host "$RUSH_ADMIN_HOST" || die "RUSH_ADMIN_HOST='$RUSH_ADMIN_HOST' is not a host name or IPv4 address"
    [[ $RUSH_PAY_DEMO == true || $RUSH_PAY_DEMO == false ]] || die "RUSH_PAY_DEMO='$RUSH_PAY_DEMO' must be true or false"
}

check_redis_mode_settings() {
    local v
    [[ $RUSH_REDIS_MODE =~ ^(single|sentinel|cluster)$ ]] ||
        die "RUSH_REDIS_MODE='$RUSH_REDIS_MODE' must be single, sentinel or cluster (./rush up --redis single|sentinel|cluster)"
    [[ $RUSH_REDIS_MODE == cluster ]] && check_cluster_settings
    [[ $RUSH_REDIS_MODE == sentinel ]] || return 0
    ((${#REPLICA_PORTS[@]} > 0)) || die "RUSH_REDIS_REPLICA_PORTS is empty: Sentinel mode needs a replica"
    ((${#SENTINEL_PORTS[@]} >= 3)) || die "RUSH_SENTINEL_PORTS needs three Sentinels (a majority survives one)"
    for v in "${REPLICA_PORTS[@]}" "${SENTINEL_PORTS[@]}"; do
        is_uint "$v" || die "RUSH_REDIS_REPLICA_PORTS / RUSH_SENTINEL_PORTS: '$v' is not a port"
    done
    [[ $RUSH_REDIS_MASTER =~ ^[A-Za-z0-9_.@-]+$ ]] ||
        die "RUSH_REDIS_MASTER='$RUSH_REDIS_MASTER' may hold only letters, digits and _ . @ -"
}

check_cluster_settings() {
    local v
    for v in "${CLUSTER_PORTS[@]}"; do
        is_uint "$v" && ((v > 0 && v + 10000 <= 65535)) ||
            die "RUSH_CLUSTER_PORTS: '$v' is not a port below 55536 (its cluster bus is port + 10000)"
    done
    ((${#CLUSTER_PORTS[@]} >= 9 && ${#CLUSTER_PORTS[@]} % 3 == 0)) ||
        die "RUSH_CLUSTER_PORTS='$RUSH_CLUSTER_PORTS' has ${#CLUSTER_PORTS[@]} ports: Redis Cluster here needs a" \
            "multiple of 3, at least 9 (3 masters and two replicas each: a promoted replica still has one)"
    [[ $(printf '%s\n' "${CLUSTER_PORTS[@]}" | sort | uniq -d) == "" ]] ||
        die "RUSH_CLUSTER_PORTS='$RUSH_CLUSTER_PORTS' names a port twice"
}

# The sum of every node's weight: the nodes' rush.node.weights.total. On several machines each runs
# only its own nodes, so RUSH_NODE_WEIGHTS_TOTAL gives the whole deployment's sum.
weights_total() {
    local w sum=0
    if [[ -n ${RUSH_NODE_WEIGHTS_TOTAL:-} ]]; then
        echo "$RUSH_NODE_WEIGHTS_TOTAL"
        return
    fi
    for w in "${NODE_WEIGHTS[@]}"; do sum=$((sum + w)); done
    echo "$sum"
}

# Whether this machine runs part $1 (RUSH_PARTS).
has_part() {
    [[ " ${PARTS[*]} " == *" $1 "* ]]
}

# The address node port $1 listens on, and its base URL.
node_host() {
    local i
    for i in "${!NODE_PORTS[@]}"; do
        [[ ${NODE_PORTS[$i]} == "$1" ]] && { echo "${NODE_HOSTS[$i]}"; return 0; }
    done
    echo "$RUSH_NODE_HOST"
}
node_url() { echo "http://$(node_host "$1"):$1"; }

# The admin port of the node on port $1: its place in RUSH_ADMIN_PORTS, else the node's port + 1000.
admin_port() {
    local i ports=()
    read -r -a ports <<<"$RUSH_ADMIN_PORTS"
    for i in "${!NODE_PORTS[@]}"; do
        if [[ ${NODE_PORTS[$i]} == "$1" && -n ${ports[$i]:-} ]]; then
            echo "${ports[$i]}"
            return 0
        fi
    done
    echo $(($1 + 1000))
}

# A secret of the run folder ($1: admin-token, pay-secret), made once: 24 random bytes in hex, mode
# 0600. Prints its path. The nodes read it from the file (rush.admin.token.file, ...), never from
# their command line, which ps shows to every user.
secret_file() {
    local file=$RUSH_RUN_DIR/$1
    if [[ ! -s $file ]]; then
        mkdir -p "$RUSH_RUN_DIR"
        (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
    fi
    chmod 600 "$file"
    echo "$file"
}

# POST /admin/$2 on the admin connector of node port $1 (loopback), with the admin token, and the
# curl arguments after; prints the JSON answer; fails on a non-2xx. The token goes to curl as a
# header file (a pipe), not as an argument: never on a command line.
admin_post() {
    local port=$1 action=$2 out status token
    shift 2
    token=$(<"$(secret_file admin-token)")
    out=$(curl -s --max-time 10 -w '\n%{http_code}' -X POST -H @<(printf 'X-Admin-Token: %s\n' "$token") "$@" \
        "http://$RUSH_ADMIN_HOST:$(admin_port "$port")/admin/$action") ||
        { echo "node $port: no answer on its admin port $(admin_port "$port")" >&2; return 1; }
    status=${out##*$'\n'}
    echo "${out%$'\n'*}"
    [[ $status == 2* ]]
}

# Nginx's upstream servers, "HOST:PORT=WEIGHT ...": RUSH_NGINX_UPSTREAM, else this machine's nodes.
nginx_upstream() {
    if [[ -n ${RUSH_NGINX_UPSTREAM:-} ]]; then
        echo "$RUSH_NGINX_UPSTREAM"
        return
    fi
    local i servers=()
    for i in "${!NODE_PORTS[@]}"; do servers+=("${NODE_HOSTS[$i]}:${NODE_PORTS[$i]}=${NODE_WEIGHTS[$i]}"); done
    echo "${servers[*]}"
}

# A loopback address (127.x, ::1, localhost): reachable from this machine only.
is_loopback() {
    [[ $1 == 127.* || $1 == ::1 || $1 == localhost ]]
}

# The Jetty distribution the nodes run: the pom's jetty.home.version, the one the tests deploy.
jetty_version() {
    if [[ -n ${RUSH_JETTY_VERSION:-} ]]; then
        echo "$RUSH_JETTY_VERSION"
        return
    fi
    sed -n 's:.*<jetty.home.version>\(.*\)</jetty.home.version>.*:\1:p' "$RUSH_ROOT/pom.xml"
}

# ---------------------------------------------------------------- placement

# Where the nodes run when several share this machine (RUSH_PLACEMENT=auto): each node gets its
# own cores instead of all of them (taskset), and its JVM is told how many it has
# (-XX:ActiveProcessorCount), so the JVM and Jetty size their threads for them. Four JVMs that
# each believe they own both cores of a 2-core machine wake each other's threads across cores for
# every request; pinned, a node's request is served where it was woken (docs/scaling.md has the
# figures). Nodes with more cores than there are nodes get an equal run of cores each; with fewer,
# one core each, the heaviest node first onto the least loaded core (by weight, which is what
# Nginx sends them). One node per machine, or RUSH_PLACEMENT=off: nothing is pinned, the JVM sees
# its machine's cores.
#
# Sets NODE_CPUS[i] for NODE_PORTS[i]: a taskset CPU list, or nothing.
NODE_CPUS=()
place_nodes() {
    NODE_CPUS=()
    local cores n=${#NODE_PORTS[@]} i c best
    cores=$(nproc)
    [[ $RUSH_PLACEMENT == auto ]] && ((n > 1)) || return 0
    if ((n <= cores)); then
        local each=$((cores / n))
        for ((i = 0; i < n; i++)); do NODE_CPUS[i]="$((i * each))-$((i * each + each - 1))"; done
        return 0
    fi
    local load=()
    for ((c = 0; c < cores; c++)); do load[c]=0; done
    for i in $(for i in "${!NODE_WEIGHTS[@]}"; do echo "${NODE_WEIGHTS[$i]} $i"; done | sort -k1,1rn -k2,2n | cut -d' ' -f2); do
        best=0
        for ((c = 1; c < cores; c++)); do ((load[c] < load[best])) && best=$c; done
        NODE_CPUS[i]=$best
        load[best]=$((load[best] + NODE_WEIGHTS[i]))
    done
}

# The addresses Nginx trusts (render.sh --trusted): RUSH_TRUSTED, and Nginx's own listen address,
# which is what a request from this machine to it comes from (./rush up's own check included).
nginx_trusted() {
    local trusted=$RUSH_TRUSTED
    [[ $RUSH_NGINX_HOST == 0.0.0.0 || " $trusted " == *" $RUSH_NGINX_HOST "* ]] || trusted+=" $RUSH_NGINX_HOST"
    echo "$trusted"
}

# render.sh's options for where Nginx's workers run: pinned one per core (worker_cpu_affinity auto)
# when the nodes are (RUSH_NGINX_AFFINITY=auto|off, default auto: as the nodes).
nginx_placement() {
    place_nodes
    ((${#NODE_CPUS[@]})) && [[ ${RUSH_NGINX_AFFINITY:-auto} == auto ]] && echo "--cpu-affinity auto"
    return 0
}

# How many CPUs the taskset list $1 names ("0", "2-3", "0,2").
cpu_count() {
    local part n=0
    for part in ${1//,/ }; do
        if [[ $part == *-* ]]; then n=$((n + ${part#*-} - ${part%-*} + 1)); else n=$((n + 1)); fi
    done
    echo "$n"
}

# ", cores: 3001->1 3002->0 ..." after place_nodes, or nothing when nothing is pinned.
placement_summary() {
    ((${#NODE_CPUS[@]})) || return 0
    local i out=
    for i in "${!NODE_PORTS[@]}"; do out+=" ${NODE_PORTS[$i]}->${NODE_CPUS[$i]}"; done
    echo ", pinned to cores (RUSH_PLACEMENT=auto):$out"
}

# ---------------------------------------------------------------- installing

# command -> Debian package that provides it
declare -A PACKAGE_OF=(
    [redis-server]=redis-server [redis-cli]=redis-tools [nginx]=nginx [ab]=apache2-utils
    [curl]=curl [unzip]=unzip [java]=openjdk-17-jdk-headless [mvn]=maven
    [chromium]=chromium [chromedriver]=chromium-driver [gnuplot]=gnuplot-nox [wrk]=wrk
    [redis-sentinel]=redis-sentinel
    [ip]=iproute2 [iptables]=iptables
)

# Installs the Debian packages behind any missing command of "$@".
ensure_commands() {
    local cmd missing=()
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$cmd]}")
    done
    ((${#missing[@]} == 0)) && return 0
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    if ((EUID != 0)); then
        echo "missing: ${missing[*]}. Install them as root, then run this again:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "installing ${missing[*]} ..."
    # Keep the packaged services (a system Redis on 6379, Nginx on 80) from starting on install.
    local own_policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    local rc=0
    { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } || rc=$?
    [[ -z $own_policy ]] || rm -f /usr/sbin/policy-rc.d
    ((rc == 0)) || die "apt-get install ${missing[*]} failed"
}

# The order writer's PostgreSQL test runs Debian's server binaries, which are not on PATH.
ensure_postgres() {
    local bin
    for bin in /usr/lib/postgresql/*/bin; do [[ -x $bin/initdb ]] && return 0; done
    PACKAGE_OF[initdb]=postgresql
    ensure_commands initdb
}

# ---------------------------------------------------------------- build

build_war() {
    if [[ -n ${RUSH_WAR:-} ]]; then
        [[ -f $WAR ]] || die "RUSH_WAR=$WAR: no such file"
        return 0
    fi
    if [[ -f $WAR ]] && [[ -z $(cd "$RUSH_ROOT" && find src/main webapp pom.xml -newer "$WAR" -print -quit 2>/dev/null) ]]; then
        return 0
    fi
    echo "building the WAR (mvn -q -B package -DskipTests) ..."
    (cd "$RUSH_ROOT" && mvn -q -B -Dstyle.color=never package -DskipTests) || die "the WAR did not build"
    [[ -f $WAR ]] || die "mvn package did not produce $WAR"
}

ensure_jetty() {
    JETTY_VERSION=$(jetty_version)
    JETTY_HOME=$RUSH_RUN_DIR/dist/jetty-home-$JETTY_VERSION
    [[ -f $JETTY_HOME/start.jar ]] && return 0
    local zip=$HOME/.m2/repository/org/eclipse/jetty/jetty-home/$JETTY_VERSION/jetty-home-$JETTY_VERSION.zip
    mkdir -p "$RUSH_RUN_DIR/dist"
    if [[ ! -f $zip ]]; then
        echo "fetching jetty-home $JETTY_VERSION from Maven Central ..."
        mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="org.eclipse.jetty:jetty-home:$JETTY_VERSION:zip" \
            -DoutputDirectory="$RUSH_RUN_DIR/dist" || die "could not fetch jetty-home $JETTY_VERSION"
        zip=$RUSH_RUN_DIR/dist/jetty-home-$JETTY_VERSION.zip
    fi
    unzip -q -o "$zip" -d "$RUSH_RUN_DIR/dist" || die "could not unzip $zip"
    [[ -f $JETTY_HOME/start.jar ]] || die "$zip has no jetty-home-$JETTY_VERSION/start.jar"
}

# ---------------------------------------------------------------- processes

# pid from a pid file if that process is alive and is still what we started ($2: cmdline word).
live_pid() {
    local file=$1 what=$2 pid
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    is_uint "$pid" || return 1
    alive "$pid" || return 1
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$what" || return 1
    echo "$pid"
}

# Running, and not a zombie waiting for its parent.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# Stops the process in pid file $1 (checked against $3): signal $2, wait, then SIGKILL.
stop_pid() {
    local file=$1 signal=$2 what=$3 name=$4 pid deadline
    if ! pid=$(live_pid "$file" "$what"); then
        [[ -f $file ]] && echo "$name: not running (stale pid file removed)"
        rm -f "$file"
        return 0
    fi
    kill "-$signal" "$pid" 2>/dev/null || true
    deadline=$((SECONDS + RUSH_STOP_TIMEOUT))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if alive "$pid"; then
        echo "$name: pid $pid did not stop within ${RUSH_STOP_TIMEOUT}s, sending SIGKILL"
        local child
        for child in $(children_of_pid "$pid"); do kill -KILL "$child" 2>/dev/null || true; done
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 5))
        while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        alive "$pid" && die "$name: pid $pid survived SIGKILL"
    fi
    rm -f "$file"
    echo "$name: stopped (pid $pid)"
}

children_of_pid() {
    local parent=$1 stat line rest ppid
    for stat in /proc/[0-9]*/stat; do
        line=$(cat "$stat" 2>/dev/null) || continue
        rest=${line##*) }
        read -r _ ppid _ <<<"$rest"
        [[ $ppid == "$parent" ]] && echo "${line%% *}"
    done
    return 0
}

# AS_REDIS: the command prefix that runs a Redis process (redis-server, redis-sentinel) as
# $REDIS_OS_USER when this runs as root, so that no daemon runs as root; nothing otherwise.
# setpriv (util-linux) execs: the process keeps the PID that spawn records.
as_redis_user() {
    AS_REDIS=()
    ((EUID == 0)) || return 0
    id -u "$REDIS_OS_USER" >/dev/null 2>&1 || die "there is no user '$REDIS_OS_USER' to run Redis as (Debian's" \
        "redis-server package makes it); ./rush runs no Redis as root"
    AS_REDIS=(setpriv --reuid="$REDIS_OS_USER" --regid="$REDIS_OS_USER" --init-groups --)
}

# spawn (PIDFILE LOG COMMAND...) for a Redis process: as Redis's user (as_redis_user) and with
# umask 077, so that what Redis writes is its user's alone: its data, and the configs it rewrites
# (a Sentinel's, a server's on CONFIG REWRITE), which hold the passwords.
spawn_redis() {
    local pidfile=$1 log=$2
    shift 2
    as_redis_user
    (umask 077 && spawn "$pidfile" "$log" "${AS_REDIS[@]}" "$@")
}

# Gives $REDIS_OS_USER the folders and files "$@" (a file is made if missing: a log Redis appends
# to) when this runs as root: Redis writes its data, rewrites its config (Sentinel, CONFIG REWRITE)
# and appends to its log as that user. The folders (data, configs with passwords) become its alone.
own_by_redis() {
    local path
    for path in "$@"; do
        [[ -e $path ]] || touch "$path"
        [[ ! -d $path ]] || chmod -R go-rwx "$path"
    done
    ((EUID == 0)) || return 0
    chown -R "$REDIS_OS_USER:$REDIS_OS_USER" "$@"
    as_redis_user
    for path in "$@"; do
        "${AS_REDIS[@]}" test -w "$path" || die "Redis runs as the user $REDIS_OS_USER, who cannot reach $path:" \
            "a folder above it is closed to other users (chmod o+x it, or choose another RUSH_RUN_DIR / RUSH_LOG_DIR)"
    done
}

# The user the nodes and the order writer run as when ./rush runs as root (RUSH_OS_USER, default
# ticketrush: a system user without a shell or a home, made by the first such ./rush), so that no
# daemon but Nginx's master (which binds the port and runs no request) runs as root.
RUSH_OS_USER=${RUSH_OS_USER:-ticketrush}

# AS_RUSH: the command prefix that runs a node or the writer as $RUSH_OS_USER when this runs as
# root (made if missing); nothing otherwise. setpriv execs: the PID spawn records is the JVM's.
as_rush_user() {
    AS_RUSH=()
    ((EUID == 0)) || return 0
    if ! id -u "$RUSH_OS_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUSH_OS_USER" ||
            die "could not make the user '$RUSH_OS_USER' to run the nodes and the writer as (RUSH_OS_USER)"
    fi
    AS_RUSH=(setpriv --reuid="$RUSH_OS_USER" --regid="$RUSH_OS_USER" --init-groups --)
}

# Gives $RUSH_OS_USER, when this runs as root, what a node or the writer writes or reads alone:
# the folders "$@" (its jetty base, the H2 database) with what is in them; the logs folder itself
# (a node rotates stat.log by renaming in it) with the logs the nodes write (stat.log and its lock
# and rotations, the admin audit log), not the other parts' logs; and the secrets they read, which
# stay 0600. Stops with a message if the user cannot reach them (a folder above closed to others).
own_by_rush() {
    AS_RUSH=()
    ((EUID == 0)) || return 0
    as_rush_user
    local path secrets=() logs=()
    for path in "$(secret_file admin-token)" "$(secret_file pay-secret)" "$JWT_KEYS_FILE" "$ORDER_KEY_FILE" \
        ${QUEUE_KEY_FILE:+"$QUEUE_KEY_FILE"} "$REDIS_NODE_PASSWORD_FILE" "$REDIS_WRITER_PASSWORD_FILE"; do
        [[ -f $path ]] && secrets+=("$path")
    done
    for path in "$STAT_LOG" "$STAT_LOG".* "$RUSH_LOG_DIR/admin-audit.log" "$RUSH_LOG_DIR/admin-audit.log".*; do
        [[ -e $path ]] && logs+=("$path")
    done
    (($#)) && chown -R "$RUSH_OS_USER:" "$@"
    chown "$RUSH_OS_USER:" "$RUSH_LOG_DIR" "${logs[@]}" "${secrets[@]}"
    ((${#secrets[@]} == 0)) || chmod 600 "${secrets[@]}"
    for path in "$@" "$RUSH_LOG_DIR" "${secrets[@]}"; do
        "${AS_RUSH[@]}" test -r "$path" -a \( -f "$path" -o -w "$path" \) || die "the nodes and the writer run as the user $RUSH_OS_USER, who cannot" \
            "reach $path: a folder above it is closed to other users (chmod o+x it, or choose another RUSH_RUN_DIR / RUSH_LOG_DIR)"
    done
}

# The user Nginx's workers run as when it is started as root (its master binds the port): Debian's
# www-data, else nobody. Nginx gives them its temp folders itself.
nginx_worker_user() {
    if id -u www-data >/dev/null 2>&1; then echo www-data; else echo nobody; fi
}

# Starts "$@" detached in its own session; the process itself writes its pid (exec keeps it).
spawn() {
    local pidfile=$1 log=$2
    shift 2
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
    local deadline=$((SECONDS + 5))
    while [[ ! -s $pidfile ]] && ((SECONDS < deadline)); do sleep 0.05; done
    [[ -s $pidfile ]] || die "could not start $*"
}

port_busy() {
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
    else
        (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null
    fi
}

# $1 port, $2 the env var that sets it, $3 what wants it
require_free_port() {
    if port_busy "$1"; then
        die "port $1 ($3) is already taken by another program; stop it or choose another port with $2=..."
    fi
}

show_log() {
    echo "---- last lines of $1 ----" >&2
    tail -n "${2:-40}" "$1" >&2 2>/dev/null || echo "(no log)" >&2
}

# ---------------------------------------------------------------- redis and the sale

# redis-cli against the project's Redis (with Sentinel, the primary they name now; in a cluster,
# a node that answers, following MOVED to the key's master: a keyless command such as INFO
# reaches that one node only, see redis_masters and redis_info_sum); the password travels in the
# environment, not argv.
rcli() {
    if [[ $RUSH_REDIS_MODE == sentinel ]]; then
        local RUSH_REDIS_PORT
        RUSH_REDIS_PORT=$(primary_port) || return 1
    elif [[ $RUSH_REDIS_MODE == cluster ]]; then
        local RUSH_REDIS_PORT
        RUSH_REDIS_PORT=$(cluster_seed_port) || return 1
        # Commands read from stdin get a "-> Redirected to slot ..." line before a redirected
        # answer; the answers alone are kept.
        redis_cli_of_env -c -h "$RUSH_REDIS_HOST" -p "$RUSH_REDIS_PORT" "$@" | { grep -v '^-> Redirected to slot ' || true; }
        return "${PIPESTATUS[0]}"
    fi
    redis_cli_of_env -h "$RUSH_REDIS_HOST" -p "$RUSH_REDIS_PORT" "$@"
}

# The default user's password: RUSH_REDIS_PASSWORD, else run/redis-password; nothing if neither.
redis_password() {
    if [[ -n $RUSH_REDIS_PASSWORD ]]; then
        printf '%s' "$RUSH_REDIS_PASSWORD"
    elif [[ -n $REDIS_PASSWORD_FILE && -r $REDIS_PASSWORD_FILE ]]; then
        printf '%s' "$(<"$REDIS_PASSWORD_FILE")"
    fi
}

# redis-cli "$@" as Redis's default user: its password in the environment (REDISCLI_AUTH), never
# -a on a command line, which ps shows. Operators do the same:
#   REDISCLI_AUTH=$(cat run/redis-password) redis-cli
redis_cli_of_env() {
    local password
    password=$(redis_password)
    if [[ -n $password ]]; then
        REDISCLI_AUTH=$password redis-cli "$@"
    else
        redis-cli "$@"
    fi
}

# redis-cli against the one server on port $1, whatever the mode (no redirects followed).
server_cli() { RUSH_REDIS_MODE=single RUSH_REDIS_PORT=$1 rcli "${@:2}"; }

# The servers that hold the data: every cluster master that serves slots now, else the
# primary (Sentinel), else the one server; a port per line. Fails if none answers.
redis_masters() {
    case $RUSH_REDIS_MODE in
    cluster)
        local port
        port=$(cluster_seed_port) || return 1
        server_cli "$port" CLUSTER NODES 2>/dev/null | tr -d '\r' |
            awk '$3 ~ /master/ && $3 !~ /fail/ && $8 == "connected" && NF >= 9 {sub(/@.*/, "", $2); sub(/.*:/, "", $2); print $2}' |
            sort -n
        ;;
    sentinel) primary_port ;;
    *) echo "$RUSH_REDIS_PORT" ;;
    esac
}

# The sum over redis_masters of field $2 of INFO section $1 (total_commands_processed of stats,
# used_memory of memory): what the whole of the data costs, whichever mode.
redis_info_sum() {
    local section=$1 field=$2 port ports total=0 n
    ports=$(redis_masters) && [[ -n $ports ]] || return 1
    for port in $ports; do
        n=$(server_cli "$port" INFO "$section" | tr -d '\r' | awk -F: -v f="$field" '$1 == f {print $2}')
        is_uint "$n" || return 1
        total=$((total + n))
    done
    echo "$total"
}

# The WAR's WEB-INF unpacked into $APP_DIR once per WAR (the order writer and sale_admin run from it).
prepare_app() {
    [[ -f $WAR ]] || die "no WAR at $WAR: ./rush up builds it"
    if [[ ! -f $APP_DIR/war.stamp ]] || ! cmp -s "$WAR" "$APP_DIR/ticket-rush.war"; then
        rm -rf "$APP_DIR"
        mkdir -p "$APP_DIR"
        cp "$WAR" "$APP_DIR/ticket-rush.war"
        unzip -q -o "$WAR" 'WEB-INF/*' -d "$APP_DIR" || die "could not unpack $WAR"
        touch "$APP_DIR/war.stamp"
    fi
}

# The Java command line of a class of the WAR ($2) that connects to Redis as the ACL user $1
# (rush-node, rush-writer), with the settings every such command shares. Run it with run_java:
# RUSH_DB_USER and RUSH_DB_PASSWORD reach it through the environment, the Redis password through
# its file (rush.redis.password.file).
app_java() {
    local user=$1 main=$2
    shift 2
    APP_CMD=(java -Drush.redis.host="$RUSH_REDIS_HOST" -Drush.redis.port="$RUSH_REDIS_PORT"
        -Drush.stock.key="$RUSH_STOCK_KEY" "$@" -cp "$APP_DIR/WEB-INF/classes:$APP_DIR/WEB-INF/lib/*" "$main")
    redis_props
    redis_user_props "$user"
    APP_CMD=("${APP_CMD[0]}" "${REDIS_PROPS[@]}" "${REDIS_USER_PROPS[@]}" "${APP_CMD[@]:1}")
}

# REDIS_USER_PROPS: the -D settings of the ACL user $1 (rush-node or rush-writer; default: Redis's
# default user, every command, for the operator's tools): its name and the file of its password.
# None when that file's name is empty (compare.sh's own open Redis).
redis_user_props() {
    local file user=$1
    case $user in
    rush-node) file=$REDIS_NODE_PASSWORD_FILE ;;
    rush-writer) file=$REDIS_WRITER_PASSWORD_FILE ;;
    default) file=$REDIS_PASSWORD_FILE user= ;;
    *) die "redis_user_props: no ACL user '$1'" ;;
    esac
    REDIS_USER_PROPS=()
    [[ -z $file ]] || REDIS_USER_PROPS=(${user:+-Drush.redis.user="$user"} -Drush.redis.password.file="$file")
}

# Runs "$@" (a Java part) without RUSH_REDIS_PASSWORD in its environment: it has its own ACL user and
# password file, and the default user's password is not its to hold.
run_java() {
    (
        unset RUSH_REDIS_PASSWORD
        "$@"
    )
}

# ---------------------------------------------------------------- the replicated redis (sentinel)

# The Sentinels as a Java part is told of them (rush.redis.sentinels).
sentinel_addresses() {
    local port list=()
    for port in "${SENTINEL_PORTS[@]}"; do list+=("$RUSH_REDIS_HOST:$port"); done
    (IFS=,; echo "${list[*]}")
}

# REDIS_PROPS: the -D settings that send a Java part to the primary through the Sentinels, or to
# the cluster through its nodes (none in single mode, where rush.redis.host and rush.redis.port
# say it all).
redis_props() {
    REDIS_PROPS=()
    case $RUSH_REDIS_MODE in
    sentinel)
        REDIS_PROPS=(-Drush.redis.mode=sentinel -Drush.redis.sentinels="$(sentinel_addresses)"
            -Drush.redis.master="$RUSH_REDIS_MASTER") ;;
    cluster) REDIS_PROPS=(-Drush.redis.mode=cluster -Drush.redis.cluster="$(cluster_addresses)") ;;
    esac
}

# The primary's port as the first Sentinel that answers names it; fails if none does.
primary_port() {
    local port answer
    for port in "${SENTINEL_PORTS[@]}"; do
        answer=$(redis_cli_of_env -h "$RUSH_REDIS_HOST" -p "$port" SENTINEL get-master-addr-by-name \
            "$RUSH_REDIS_MASTER" 2>/dev/null | sed -n 2p) || continue
        is_uint "$answer" && { echo "$answer"; return 0; }
    done
    return 1
}

# ---------------------------------------------------------------- redis cluster

# The cluster's nodes as a Java part is told of them (rush.redis.cluster): every one, as seeds.
cluster_addresses() {
    local port list=()
    for port in "${CLUSTER_PORTS[@]}"; do list+=("$RUSH_REDIS_HOST:$port"); done
    (IFS=,; echo "${list[*]}")
}

# The first cluster node that answers PING; fails if none does.
cluster_seed_port() {
    local port
    for port in "${CLUSTER_PORTS[@]}"; do
        [[ $(server_cli "$port" PING 2>/dev/null) == PONG ]] && { echo "$port"; return 0; }
    done
    return 1
}

# Sale administration (io.ticketrush.tools.SaleTool): create N | reset N | stock | orders. It does
# what a node does to a sale, so it connects as the nodes' ACL user.
sale_admin() {
    prepare_app
    app_java rush-node io.ticketrush.tools.SaleTool -XX:TieredStopAtLevel=1 -Xshare:auto -Xmx64m
    run_java "${APP_CMD[@]}" "$@"
}

# ---------------------------------------------------------------- who is buying (docs/identity.md)

# The operator's token keys (a JWK set of HS256 keys; the last one signs) and the key of the public
# order ids: files under the run folder, readable by their owner only, never on a command line.
JWT_KEYS_FILE=${RUSH_AUTH_KEYS_FILE:-$RUSH_RUN_DIR/jwt-keys.json}
ORDER_KEY_FILE=${RUSH_ORDER_KEY_FILE:-$RUSH_RUN_DIR/order-key}
# The key of the waiting room's queue tickets and passes (docs/queue.md), and a queued sale's
# defaults for ./rush sale create --queue: places admitted a second, the join puzzle's bits.
QUEUE_KEY_FILE=${RUSH_QUEUE_KEY_FILE:-$RUSH_RUN_DIR/queue-key}
RUSH_QUEUE_ADMIT=${RUSH_QUEUE_ADMIT:-100}
RUSH_QUEUE_POW=${RUSH_QUEUE_POW:-16}
# The demo login (POST /login, no password) on the nodes ./rush starts: true or false.
RUSH_AUTH_LOGIN=${RUSH_AUTH_LOGIN:-true}
# the nodes run in their own folders: a file is named from the root
case $JWT_KEYS_FILE in /*) ;; *) JWT_KEYS_FILE=$RUSH_ROOT/$JWT_KEYS_FILE ;; esac
case $ORDER_KEY_FILE in /*) ;; *) ORDER_KEY_FILE=$RUSH_ROOT/$ORDER_KEY_FILE ;; esac
case $QUEUE_KEY_FILE in /*) ;; *) QUEUE_KEY_FILE=$RUSH_ROOT/$QUEUE_KEY_FILE ;; esac

# 32 random bytes, base64url without padding (a JWK's "k").
random_base64url() {
    head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='
}

# Writes $2 to file $1 unless it exists, readable by its owner only; never half a file.
write_secret_once() {
    local file=$1 content=$2 temp
    [[ -s $file ]] && return 0
    mkdir -p "$(dirname "$file")"
    temp=$(umask 077 && mktemp "$file.XXXXXX") || die "could not write $file"
    printf '%s\n' "$content" >"$temp"
    # a link fails if another ./rush made the file meanwhile: its key stays, ours goes
    ln "$temp" "$file" 2>/dev/null || true
    rm -f "$temp"
    [[ -s $file ]] || die "could not write $file"
}

# run/jwt-keys.json with one random HS256 key, unless there is one (./rush up, ./rush token).
# `./rush token --rotate` adds a newer key (io.ticketrush.tools.TokenTool rotate).
ensure_jwt_keys() {
    write_secret_once "$JWT_KEYS_FILE" "$(printf '{"keys":[{"kty":"oct","kid":"k-%s","alg":"HS256","use":"sig","k":"%s"}]}' \
        "$(date -u +%Y%m%dT%H%M%SZ)" "$(random_base64url)")"
}

# run/order-key: 32 random bytes, base64, unless there is one (./rush up); the same for every node.
ensure_order_key() {
    write_secret_once "$ORDER_KEY_FILE" "$(head -c 32 /dev/urandom | base64 -w0)"
}

# run/queue-key: 32 random bytes, base64, unless there is one (./rush up); the same for every node:
# a queue ticket or a pass one node signed, every node reads.
ensure_queue_key() {
    write_secret_once "$QUEUE_KEY_FILE" "$(head -c 32 /dev/urandom | base64 -w0)"
}

# The token tool (io.ticketrush.tools.TokenTool): issue [--ttl SECONDS] USER... | rotate.
token_tool() {
    prepare_app
    # signs with the keys file alone: no Redis, so none of its settings
    java -XX:TieredStopAtLevel=1 -Xshare:auto -Xmx64m -Drush.auth.keys.file="$JWT_KEYS_FILE" \
        -cp "$APP_DIR/WEB-INF/classes:$APP_DIR/WEB-INF/lib/*" io.ticketrush.tools.TokenTool "$@"
}

# Global "sold total", or nothing (exit 1) if there is no sale.
global_stock() {
    sale_admin stock 2>/dev/null
}

# ---------------------------------------------------------------- logs rotate

# The N of each rotated file $1.N that exists, in no order.
log_rotations() {
    local file
    for file in "$1".[1-9]*; do
        [[ -e $file && ${file#"$1".} =~ ^[1-9][0-9]*$ ]] && echo "${file#"$1".}"
    done
    return 0
}

# Rotates the log $1 if it is over RUSH_LOG_MAX_KB: $1.N becomes $1.N+1 (from the oldest; those
# that would pass RUSH_LOG_KEEP are deleted), then $1 becomes $1.1. $2 says how: "move" renames
# it (for a log its writer opens for each line: admin-audit.log), "copy" (the default) copies it
# and empties it in place, for a log a process holds open in append mode (a node's, the writer's,
# Nginx's, Redis's) which goes on writing at its new end; a line written in the instant between
# the copy and the emptying is lost (logrotate's copytruncate), which is why stat.log is not
# rotated here but by the nodes, under its lock.
rotate_log() {
    local file=$1 how=${2:-copy} size n
    size=$(stat -c %s -- "$file" 2>/dev/null) || return 0
    ((size > RUSH_LOG_MAX_KB * 1024)) || return 0
    for n in $(log_rotations "$file" | sort -rn); do
        if ((n >= RUSH_LOG_KEEP)); then
            rm -f -- "$file.$n"
        else
            mv -f -- "$file.$n" "$file.$((n + 1))"
        fi
    done
    if [[ $how == move ]]; then
        mv -f -- "$file" "$file.1"
    else
        cp -p -- "$file" "$file.1" && truncate -s 0 -- "$file"
    fi
}

# Rotates every log of RUSH_LOG_DIR that is over RUSH_LOG_MAX_KB, but stat.log (the nodes do).
rotate_logs() {
    local file
    for file in "$RUSH_LOG_DIR"/*.log; do
        [[ -f $file ]] || continue
        case ${file##*/} in
        "${STAT_LOG##*/}") ;;
        admin-audit.log) rotate_log "$file" move ;;
        *) rotate_log "$file" copy ;;
        esac
    done
}

# ---------------------------------------------------------------- stat.log

# stat.log's files, oldest first: its rotated ones (stat.log.K ... stat.log.1, as the nodes rotate
# it) and itself. Read in this order they hold its lines in order, across rotations.
stat_files() {
    local n
    for n in $(log_rotations "$STAT_LOG" | sort -rn); do echo "$STAT_LOG.$n"; done
    [[ ! -f $STAT_LOG ]] || echo "$STAT_LOG"
}

# Every line of stat.log's files, in order (nothing when there is none).
stat_all() {
    local files
    mapfile -t files < <(stat_files)
    ((${#files[@]} == 0)) || cat -- "${files[@]}"
}

# How many lines stat.log's files hold. A count taken before a run and stat_since after it give
# exactly the run's lines as long as no rotated file was deleted in between (rush.statlog.keep
# files of rush.statlog.max.kb: by default 8 of 64 MiB, about five million lines).
stat_lines() {
    stat_all | wc -l
}

# The lines of stat.log's files after the first $1 (a stat_lines count), across rotations.
stat_since() {
    stat_all | tail -n +$(($1 + 1))
}

# Waits until stat.log holds at least $1 lines (the nodes flush it from a background thread).
wait_stat_lines() {
    local want=$1 deadline=$((SECONDS + ${2:-20}))
    while (($(stat_lines) < want)); do
        if ((SECONDS >= deadline)); then
            echo "stat.log has $(stat_lines) lines, expected $want after waiting ${2:-20}s" >&2
            return 1
        fi
        sleep 0.1
    done
}
