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
#               replicated, cluster-enabled, cluster-node-timeout 1500, and the masters whose slots
#               have a master go on while one fails over (cluster-require-full-coverage no)
#   sentinel    a Sentinel of the group; also --master NAME --monitor HOST:PORT --myid ID, and
#               each other server and Sentinel it knows from the start (so a failover can happen at
#               once): --replica HOST:PORT and --sentinel HOST:PORT=ID, each as often as needed
#   auth        the password and the ACL users alone, for a server whose other settings are given
#               on its command line (the tests' support/RedisServer); no --port, --bind, --dir,
#               --logfile
# Options of every kind:
#   --password-file FILE    the password of Redis's default user, which keeps every command: the
#   --password-env NAME     operator's (./rush, redis-cli), the replicas' masterauth, the Sentinels'
#                           auth-pass and their own requirepass; from a file or the environment
#                           variable NAME, so that a password never shows on a command line
#   --user NAME=FILE        an ACL user with its password in FILE: rush-node (the nodes, the sale
#                           tool) or rush-writer (the order writer), allowed the commands the code
#                           sends and nothing that changes the server (node_rules, writer_rules
#                           below; docs/security.md). On a Sentinel: allowed to ask for the primary
#                           and hear of a failover, nothing else.
#   --debug-command local   the DEBUG command from loopback (the tests' DEBUG SLEEP and DIGEST)
# Options of single, replicated and cluster:
#   --maxmemory SIZE        the server's memory limit (maxmemory, with maxmemory-policy noeviction:
#                           past it Redis refuses writes, a buy answers 503 and sells nothing, and
#                           nothing is ever evicted); SIZE in Redis's units (512mb, 2gb) or a share
#                           of this machine's memory (N%, 1-90). Default: RUSH_REDIS_MAXMEMORY if
#                           set, else 50% for single, and for each of the servers ./rush runs on
#                           one machine 15% (replicated: 3 servers) and 5% (cluster: 9, three
#                           copies of each master's data: 45% in all, as replicated). A replica
#                           takes its primary's writes past its own limit (Redis's default).
# A --bind that is not loopback needs a password (else this refuses), and gets protected-mode no
# (Redis refuses other machines otherwise unless a password is set, and the nodes are other
# machines then).
set -euo pipefail

die() { echo "redis-conf/render.sh: $*" >&2; exit 2; }

kind=${1:-}
[[ $kind =~ ^(single|replicated|cluster|sentinel|auth)$ ]] ||
    die "KIND must be single, replicated, cluster, sentinel or auth, not '$kind'"
shift
port= bind= dir= logfile= password_env= password_file= debug= master= monitor= myid= maxmemory=
replicas=() sentinels=() users=()
while (($#)); do
    (($# >= 2)) || die "$1 needs a value"
    case $1 in
    --port) port=$2 ;;
    --bind) bind=$2 ;;
    --dir) dir=$2 ;;
    --logfile) logfile=$2 ;;
    --password-env) password_env=$2 ;;
    --password-file) password_file=$2 ;;
    --user) users+=("$2") ;;
    --debug-command) debug=$2 ;;
    --maxmemory) maxmemory=$2 ;;
    --master) master=$2 ;;
    --monitor) monitor=$2 ;;
    --myid) myid=$2 ;;
    --replica) replicas+=("$2") ;;
    --sentinel) sentinels+=("$2") ;;
    *) die "unknown option $1" ;;
    esac
    shift 2
done
if [[ $kind == auth ]]; then
    [[ -z $port$bind$dir$logfile$debug ]] || die "auth: only --password-file, --password-env and --user"
else
    for v in port bind dir logfile; do
        [[ -n ${!v} ]] || die "--$v is required"
    done
    [[ $port =~ ^[0-9]+$ ]] || die "--port '$port' is not a port"
    [[ $bind =~ ^[A-Za-z0-9._:-]+$ ]] || die "--bind '$bind' is not an address"
fi
[[ -z $debug || $debug == local ]] || die "--debug-command '$debug' must be local"
if [[ $kind == sentinel || $kind == auth ]]; then
    [[ -z $maxmemory ]] || die "--maxmemory is for single, replicated and cluster"
else
    case $kind in single) share=50% ;; replicated) share=15% ;; cluster) share=5% ;; esac
    maxmemory=${maxmemory:-${RUSH_REDIS_MAXMEMORY:-$share}}
    if [[ $maxmemory =~ ^([0-9]{1,2})%$ ]]; then
        percent=$((10#${BASH_REMATCH[1]}))
        ((percent >= 1 && percent <= 90)) || die "--maxmemory $maxmemory: a share of the machine is 1% to 90%"
        total_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
        [[ $total_kb =~ ^[0-9]+$ ]] || die "--maxmemory $maxmemory: cannot read MemTotal from /proc/meminfo"
        maxmemory=$((total_kb * 1024 * percent / 100))
    fi
    [[ $maxmemory =~ ^[1-9][0-9]*(kb|mb|gb)?$ ]] ||
        die "--maxmemory (or RUSH_REDIS_MAXMEMORY) '$maxmemory' is not a size (512mb, 2gb, bytes) or a share (25%)"
fi
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
# The secret in file $2 (for option $1): its text without the final newlines; one line, not empty.
secret_of_file() {
    local option=$1 file=$2 secret
    [[ -f $file && -r $file ]] || die "$option $file: no such file, or not readable"
    secret=$(<"$file")
    [[ -n $secret ]] || die "$option $file: the file is empty"
    [[ $secret != *$'\n'* && $secret != *$'\r'* ]] || die "$option $file: a password is one line"
    printf '%s' "$secret"
}

password=
[[ -z $password_env || -z $password_file ]] || die "--password-env and --password-file: one of them, not both"
if [[ -n $password_env ]]; then
    [[ $password_env =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--password-env '$password_env' is not a variable name"
    password=${!password_env:-}
    [[ -n $password ]] || die "--password-env $password_env: the variable is empty or not set"
elif [[ -n $password_file ]]; then
    password=$(secret_of_file --password-file "$password_file")
fi

# A value in Redis's double quotes: \ and " escaped.
quoted() {
    local v=${1//\\/\\\\}
    echo "\"${v//\"/\\\"}\""
}

is_loopback() {
    [[ $1 == 127.* || $1 == ::1 || $1 == localhost ]]
}

[[ $kind == auth || -n $password ]] || is_loopback "$bind" ||
    die "--bind $bind is not loopback: other machines reach it, so a password is required (--password-file)"
[[ $kind != auth || -n $password ]] || die "auth: --password-file or --password-env is required"
((${#users[@]} == 0)) || [[ -n $password ]] || die "--user needs a password for the default user too (--password-file)"

# What each ACL user may run on a data server: the commands the code sends, and none that changes
# the server or reaches past the data (the @dangerous category: FLUSHALL, FLUSHDB, CONFIG, DEBUG,
# SHUTDOWN, KEYS, ACL, MODULE, REPLICAOF, FAILOVER, MONITOR, INFO, CLIENT KILL, CLUSTER's changes...),
# nor SCRIPT FLUSH / KILL or FUNCTION. ROLE (dangerous, but it only reads) and CLUSTER SLOTS: the
# cluster client asks them. Jedis also sends CLIENT SETINFO, which Redis 7.0 does not have (Jedis
# ignores its error).
#   rush-node: the nodes and the sale tool: the Lua scripts by SHA (EVALSHA, SCRIPT LOAD when Redis
#              has not got them), reads, the order feed (XREAD), MULTI, WAIT, TIME; MEMORY STATS alone
#              of MEMORY (a node's /metrics and dashboard: Redis's memory against its maxmemory,
#              which ./rush passes them as rush.redis.maxmemory.bytes: never INFO or CONFIG).
#   rush-writer: the order writer: the order streams (XREADGROUP, XAUTOCLAIM, XACK, XGROUP CREATE,
#              XADD to the dead letters), the hashes and sets it counts in, MULTI, WAIT; its own
#              script by SHA (EVALSHA, SCRIPT LOAD: trim_events.lua, trimming the streams of what
#              it wrote), never EVAL, DEL or SET.
node_rules='-@all +@read +@write -@dangerous -@scripting +evalsha +eval +evalsha_ro +eval_ro +script|load
    +script|exists +@transaction +wait +time +ping +client|setname +client|getname +role +cluster|slots
    +memory|stats'
writer_rules='-@all +@read +@stream +@hash +@set -@dangerous +@transaction +wait +time +ping +client|setname
    +client|getname +role +cluster|slots +evalsha +script|load +script|exists'
# On a Sentinel: the primary's address, and the failovers announced on +switch-master (Jedis's
# JedisSentinelPool); never SENTINEL SET, REMOVE, FAILOVER, RESET or CONFIG.
sentinel_client_rules='-@all +sentinel|get-master-addr-by-name +subscribe +ping +client|setname
    +client|getname resetchannels &+switch-master'

# One "user" line per --user: its password as a SHA-256 hash (Redis's #HASH), so the config does not
# hold it in the clear.
user_lines() {
    local entry name file secret hash rules
    for entry in "${users[@]}"; do
        [[ $entry =~ ^([a-z-]+)=(.+)$ ]] || die "--user '$entry' is not NAME=FILE"
        name=${BASH_REMATCH[1]} file=${BASH_REMATCH[2]}
        case $kind:$name in
        sentinel:rush-node | sentinel:rush-writer) rules=$sentinel_client_rules ;;
        *:rush-node) rules=$node_rules ;;
        *:rush-writer) rules=$writer_rules ;;
        *) die "--user $name: the users are rush-node and rush-writer" ;;
        esac
        secret=$(secret_of_file "--user $name" "$file")
        hash=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)
        # Redis reads one line: the rules above are folded for reading only
        echo "user $name reset on #$hash ~* $(echo $rules)"
    done
}

if [[ $kind == auth ]]; then
    echo "requirepass $(quoted "$password")"
    user_lines
    exit 0
fi

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
    if [[ -n $password ]]; then
        # clients and the other Sentinels give it; this Sentinel gives it to the servers and to them
        echo "requirepass $(quoted "$password")"
        echo "sentinel auth-pass $master $(quoted "$password")"
    fi
    user_lines
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
    # A master whose slots are served answers for them while another one fails over (Redis's
    # default, full coverage yes, has every node answer CLUSTERDOWN until the failed master's slots
    # have a master again). A node of a cluster that is down (the majority of masters lost, or a
    # slot unserved with full coverage) answers no read either: a cut-off master's reads could be
    # older than what the others sold. Replica migration stays on (Redis's default, barrier 1): a
    # master left with no replica takes a spare one from a master that has two.
    [[ $kind != cluster ]] || cat <<EOF
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 1500
cluster-require-full-coverage no
cluster-allow-reads-when-down no
cluster-allow-replica-migration yes
cluster-migration-barrier 1
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
    # Redis is the sale's working set, bounded: past maxmemory it refuses writes (OOM) and evicts
    # nothing (an evicted order or stock hash would be a ticket lost or sold twice).
    cat <<EOF
maxmemory $maxmemory
maxmemory-policy noeviction
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
    user_lines
fi
[[ -z $debug ]] || echo "enable-debug-command $debug"
