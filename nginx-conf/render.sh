#!/usr/bin/env bash
# Writes the Nginx config that ./rush, ab-scripts/compare.sh and the tests run: nginx-conf/nginx.conf
# with only what settings change replaced, on standard output.
#
#   nginx-conf/render.sh --listen HOST:PORT --upstream "HOST:PORT=WEIGHT ..." --prefix DIR --logs DIR \
#       [--workers auto|N] [--trusted "ADDRESS ..."] [--rate N] [--burst N] [--conn N] [--user NAME] \
#       [--cpu-affinity auto] [--client-header-timeout SECONDS]
#
# --listen is the address and port Nginx listens on (127.0.0.1:8080; 0.0.0.0:8080 for every
# address); --upstream the nodes, each at its own host and port with its weight, e.g.
# "10.0.0.2:3001=1 10.0.0.2:3002=2 10.0.0.3:3003=3". --prefix holds nginx.pid and tmp/ (create tmp/
# first), --logs the error log. Each upstream server keeps the template's max_fails=1
# fail_timeout=2s. --trusted: the addresses (IPv4 or IPv6, or CIDR blocks) that are never limited
# and may read the operator endpoints (default "127.0.0.1 ::1"; "" for none). Every other address
# gets --rate requests a second on the buy and order paths (default 10), --burst at once (default
# twice the rate), and --conn requests in progress at once (default 32). --client-header-timeout
# (default: the template's 5 s) is for a test of capacity alone, whose idle connections must outlive
# a slow set-up. Fails if the template lacks a directive it replaces.
set -euo pipefail

template=$(dirname "${BASH_SOURCE[0]}")/nginx.conf
listen= upstream= prefix= logs= workers=auto rate=10 burst= conn=32 trusted="127.0.0.1 ::1" user= affinity=
header_timeout=
while (($#)); do
    case $1 in
    --listen) listen=$2 ;;
    --upstream) upstream=$2 ;;
    --prefix) prefix=$2 ;;
    --logs) logs=$2 ;;
    --workers) workers=$2 ;;
    --rate) rate=$2 ;;
    --burst) burst=$2 ;;
    --conn) conn=$2 ;;
    --client-header-timeout) header_timeout=$2 ;;
    --trusted) trusted=$2 ;;
    --user) user=$2 ;;
    --cpu-affinity) affinity=$2 ;;
    --template) template=$2 ;;
    *) echo "render.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
for v in listen upstream prefix logs; do
    [[ -n ${!v} ]] || { echo "render.sh: --$v is required" >&2; exit 2; }
done
[[ $listen =~ ^[A-Za-z0-9._-]+:[0-9]+$ ]] || { echo "render.sh: --listen '$listen' is not HOST:PORT" >&2; exit 2; }
[[ $workers == auto || $workers =~ ^[0-9]+$ ]] || { echo "render.sh: --workers '$workers' must be auto or a number" >&2; exit 2; }
[[ -z $affinity || $affinity == auto ]] || { echo "render.sh: --cpu-affinity '$affinity' must be auto" >&2; exit 2; }
[[ $rate =~ ^[1-9][0-9]*$ ]] || { echo "render.sh: --rate '$rate' must be a whole number above 0" >&2; exit 2; }
[[ -n $burst ]] || burst=$((rate * 2))
[[ $burst =~ ^[0-9]+$ ]] || { echo "render.sh: --burst '$burst' must be a whole number" >&2; exit 2; }
[[ -z $header_timeout || $header_timeout =~ ^[1-9][0-9]*$ ]] || { echo "render.sh: --client-header-timeout '$header_timeout' must be a whole number of seconds" >&2; exit 2; }
[[ $conn =~ ^[1-9][0-9]*$ ]] && ((conn < 65536)) || { echo "render.sh: --conn '$conn' must be a whole number from 1 to 65535" >&2; exit 2; }

geo=
for address in $trusted; do
    [[ $address =~ ^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(/[0-9]{1,3})?$ ]] ||
        { echo "render.sh: trusted address '$address' is not an IPv4 or IPv6 address or CIDR block" >&2; exit 2; }
    geo+="        $address 1;"$'\n'
done

servers=
for server in $upstream; do
    [[ $server =~ ^([A-Za-z0-9._-]+:[0-9]+)=([0-9]+)$ ]] || { echo "render.sh: upstream '$server' is not HOST:PORT=WEIGHT" >&2; exit 2; }
    servers+="        server ${BASH_REMATCH[1]} weight=${BASH_REMATCH[2]} max_fails=1 fail_timeout=2s;"$'\n'
done

awk -v listen="$listen" -v servers="$servers" -v prefix="$prefix" -v logs="$logs" -v workers="$workers" \
    -v rate="$rate" -v burst="$burst" -v conn="$conn" -v geo="$geo" -v user="$user" -v affinity="$affinity" \
    -v header_timeout="$header_timeout" '
    function done(what) { seen[what] = 1 }
    /^[[:space:]]*#/ { print; next }
    /^worker_processes / {
        print "worker_processes " workers ";"
        if (affinity != "") print "worker_cpu_affinity " affinity ";"
        if (user != "") print "user " user ";"
        done("worker_processes"); next
    }
    /^pid / { print "pid " prefix "/nginx.pid;"; done("pid"); next }
    /^[[:space:]]*client_header_timeout / && header_timeout != "" {
        sub(/client_header_timeout [0-9]+s/, "client_header_timeout " header_timeout "s"); print; next
    }
    /^error_log / { print "error_log " logs "/nginx-error.log warn;"; done("error_log"); next }
    /^[[:space:]]*[a-z_]+_temp_path / {
        n = split($2, parts, "/"); sub(/[^ ]+;$/, prefix "/tmp/" parts[n]); print; done("temp_path"); next
    }
    /limit_req_zone / { sub(/rate=[0-9]+r\/s/, "rate=" rate "r/s"); print; done("limit_req_zone"); next }
    /limit_req zone=/ { sub(/burst=[0-9]+/, "burst=" burst); print; done("limit_req"); next }
    /^[[:space:]]*limit_conn conn_per_ip / { sub(/conn_per_ip [0-9]+/, "conn_per_ip " conn); print; done("limit_conn"); next }
    /^[[:space:]]*geo \$rush_trusted / { print; printf "        default 0;\n%s", geo; trusted = 1; done("geo"); next }
    trusted && /}/ { trusted = 0 }
    trusted { next }
    /^[[:space:]]*listen / { sub(/listen [^ ;]+/, "listen " listen); print; done("listen"); next }
    /^[[:space:]]*upstream load_rule / { upstream = 1 }
    upstream && /^[[:space:]]*server / { if (!printed) printf "%s", servers; printed = 1; done("upstream"); next }
    upstream && /}/ { upstream = 0 }
    { print }
    END {
        split("worker_processes pid error_log temp_path limit_req_zone limit_req limit_conn geo listen upstream", want, " ")
        for (i in want) if (!(want[i] in seen)) { print "render.sh: the template has no " want[i] > "/dev/stderr"; bad = 1 }
        exit bad
    }' "$template"
