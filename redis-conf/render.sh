#!/usr/bin/env bash
# Writes the config of one Redis process as ./rush runs it and the tests run it (support/
# RedisSentinelGroup, support/RedisClusterGroup): the project's Redis settings live here only.
# The config goes to standard output.
#
#   redis-conf/render.sh KIND --port PORT --bind HOST --dir DIR --logfile FILE [options]
#
# KIND:
#   single      the one Redis of ./rush up: the append-only file, no RDB snapshots
#   replicated  a server of the Sentinel group (./rush up --redis sentinel, docs/replication.md):
#               as single, and a write taken only while a replica is within 2 s of it
#   cluster     a node of Redis Cluster (./rush up --redis cluster, docs/cluster.md): as
#               replicated, cluster-enabled, cluster-node-timeout 1500
#   sentinel    a Sentinel of the group; also --master NAME --monitor HOST:PORT --myid ID, and
#               each other server and Sentinel it knows from the start (so a failover can happen at
#               once): --replica HOST:PORT and --sentinel HOST:PORT=ID, each as often as needed
# Options of every kind:
#   --password-env NAME     requirepass (masterauth, Sentinel's auth-pass) from the environment
#                           variable NAME, so that a password never shows on a command line
#   --debug-command local   the DEBUG command from loopback (the tests' DEBUG SLEEP and DIGEST)
# A --bind that is not loopback gets protected-mode no (Redis refuses other machines otherwise
# unless a password is set, and the nodes are other machines then).
set -euo pipefail

die() { echo "redis-conf/render.sh: $*" >&2; exit 2; }

kind=${1:-}
[[ $kind =~ ^(single|replicated|cluster|sentinel)$ ]] || die "KIND must be single, replicated, cluster or sentinel, not '$kind'"
shift
port= bind= dir= logfile= password_env= debug= master= monitor= myid=
replicas=() sentinels=()
while (($#)); do
    (($# >= 2)) || die "$1 needs a value"
    case $1 in
    --port) port=$2 ;;
    --bind) bind=$2 ;;
    --dir) dir=$2 ;;
    --logfile) logfile=$2 ;;
    --password-env) password_env=$2 ;;
    --debug-command) debug=$2 ;;
    --master) master=$2 ;;
    --monitor) monitor=$2 ;;
    --myid) myid=$2 ;;
    --replica) replicas+=("$2") ;;
    --sentinel) sentinels+=("$2") ;;
    *) die "unknown option $1" ;;
    esac
    shift 2
done
for v in port bind dir logfile; do
    [[ -n ${!v} ]] || die "--$v is required"
done
[[ $port =~ ^[0-9]+$ ]] || die "--port '$port' is not a port"
[[ $bind =~ ^[A-Za-z0-9._:-]+$ ]] || die "--bind '$bind' is not an address"
[[ -z $debug || $debug == local ]] || die "--debug-command '$debug' must be local"
address='^[A-Za-z0-9._-]+:[0-9]+$'
if [[ $kind == sentinel ]]; then
    [[ $master =~ ^[A-Za-z0-9_.@-]+$ ]] || die "sentinel: --master '$master' must be letters, digits and _ . @ -"
    [[ $monitor =~ $address ]] || die "sentinel: --monitor '$monitor' is not HOST:PORT"
    [[ $myid =~ ^[0-9a-f]{40}$ ]] || die "sentinel: --myid '$myid' is not 40 hex digits"
    for v in "${replicas[@]}"; do [[ $v =~ $address ]] || die "sentinel: --replica '$v' is not HOST:PORT"; done
    for v in "${sentinels[@]}"; do
        [[ $v =~ ^[A-Za-z0-9._-]+:[0-9]+=[0-9a-f]{40}$ ]] || die "sentinel: --sentinel '$v' is not HOST:PORT=ID"
    done
else
    [[ -z $master$monitor$myid && ${#replicas[@]} -eq 0 && ${#sentinels[@]} -eq 0 ]] ||
        die "--master, --monitor, --myid, --replica and --sentinel are for a sentinel only"
fi
password=
if [[ -n $password_env ]]; then
    [[ $password_env =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--password-env '$password_env' is not a variable name"
    password=${!password_env:-}
    [[ -n $password ]] || die "--password-env $password_env: the variable is empty or not set"
fi

# A value in Redis's double quotes: \ and " escaped.
quoted() {
    local v=${1//\\/\\\\}
    echo "\"${v//\"/\\\"}\""
}

is_loopback() {
    [[ $1 == 127.* || $1 == ::1 || $1 == localhost ]]
}

if [[ $kind == sentinel ]]; then
    cat <<EOF
port $port
bind $bind
dir $dir
logfile $logfile
daemonize no
sentinel myid $myid
sentinel monitor $master ${monitor%:*} ${monitor##*:} 2
sentinel down-after-milliseconds $master 2000
sentinel failover-timeout $master 5000
sentinel parallel-syncs $master 1
EOF
    is_loopback "$bind" || echo "protected-mode no"
    [[ -z $password ]] || echo "sentinel auth-pass $master $(quoted "$password")"
    for v in "${replicas[@]}"; do echo "sentinel known-replica $master ${v%:*} ${v##*:}"; done
    for v in "${sentinels[@]}"; do
        v=${v%=*}" "${v##*=}
        echo "sentinel known-sentinel $master ${v%%:*} ${v#*:}"
    done
else
    cat <<EOF
port $port
bind $bind
dir $dir
logfile $logfile
daemonize no
EOF
    [[ $kind != cluster ]] || cat <<EOF
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 1500
EOF
    # The append-only file is the durable copy; no RDB snapshots, whose fork would land in the
    # middle of a sale. One Redis alone fsyncs every write before it answers (always): with
    # everysec it answers while a slow fsync holds its write back for up to 2 s, and a kill -9
    # then loses tickets already answered (chaos scenario 4). With replicas a write is answered
    # once a replica has it (WAIT), so a server's own file need not be that strict.
    if [[ $kind == single ]]; then fsync=always; else fsync=everysec; fi
    cat <<EOF
appendonly yes
appendfsync $fsync
save ""
EOF
    # A server with replicas (whichever is the primary now, or a cluster master) takes a write
    # only while a replica is within 2 s of it.
    [[ $kind == single ]] || cat <<EOF
min-replicas-to-write 1
min-replicas-max-lag 2
repl-diskless-sync-delay 0
EOF
    is_loopback "$bind" || echo "protected-mode no"
    if [[ -n $password ]]; then
        echo "requirepass $(quoted "$password")"
        [[ $kind == single ]] || echo "masterauth $(quoted "$password")"
    fi
fi
[[ -z $debug ]] || echo "enable-debug-command $debug"
