#!/usr/bin/env bash
# Charts of ab runs: PNGs drawn by gnuplot from the files an ab script left in one folder.
#
#   ab-scripts/plot.sh DIR [STAT_LOG]
#
# What it reads in DIR, and the chart it draws from it (into DIR):
#   NAME.e.csv      ab -e, "percentage served within T ms"  -> latency.png    one curve per run
#   NAME.g.tsv      ab -g, one line per request              -> timeline.png   requests started per second
#   throughput.tsv  one line per run: NAME, req/s, p50, p99  -> throughput.png req/s per run
#   STAT_LOG        the run's stat.log lines                 -> split.png      requests per node vs the Nginx
#                                                                              weights (RUSH_NODE_PORTS/_WEIGHTS)
# Charts are a view, not a check: a run's verdict never depends on them. gnuplot (Debian's
# gnuplot-nox) is installed when missing and run as root; otherwise this says how and fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=${1:-}
stat_log=${2:-}
[[ -n $dir && -d $dir ]] || die "usage: plot.sh DIR [STAT_LOG] (DIR: the folder with the ab -g/-e files)"
dir=$(cd "$dir" && pwd)

ensure_gnuplot() {
    command -v gnuplot >/dev/null 2>&1 && return 0
    if ((EUID != 0)); then
        echo "plot.sh: gnuplot is missing; install it with: sudo apt-get install -y gnuplot-nox" >&2
        return 1
    fi
    echo "plot.sh: installing gnuplot-nox ..."
    { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox; } >/dev/null ||
        die "apt-get install gnuplot-nox failed"
}
ensure_gnuplot

# Common look: one terminal, light grid, the same palette in every chart.
read -r -d '' STYLE <<'EOF' || true
set terminal pngcairo size 1100,620 enhanced font 'DejaVu Sans,11' linewidth 1.4
set border 3 lc rgb '#555555'
set tics nomirror textcolor rgb '#333333'
set grid ytics lc rgb '#dddddd' lt 1
set key noautotitle
set linetype 1 lc rgb '#2563eb'
set linetype 2 lc rgb '#ea580c'
set linetype 3 lc rgb '#16a34a'
set linetype 4 lc rgb '#9333ea'
set linetype 5 lc rgb '#dc2626'
set linetype 6 lc rgb '#0891b2'
set linetype 7 lc rgb '#ca8a04'
set linetype 8 lc rgb '#4b5563'
set linetype 9 lc rgb '#db2777'
set linetype cycle 9
EOF

# A run's name for a legend: "buy-sold-out" -> "buy sold out".
label() { echo "${1//-/ }"; }

drawn=()
cd "$dir"
shopt -s nullglob

# ---------------------------------------------------------------- latency percentiles (ab -e)
csvs=(*.e.csv)
if ((${#csvs[@]})); then
    plots=()
    for f in "${csvs[@]}"; do
        plots+=("'$f' skip 1 using 1:(\$2 > 0 ? \$2 : 1/0) with lines lw 2 title '$(label "${f%.e.csv}")'")
    done
    gnuplot <<EOF
$STYLE
set output 'latency.png'
set title 'Latency percentiles: the time within which each percentage of requests was answered (ab -e)'
set datafile separator ','
set xlabel 'requests served (%)'
set ylabel 'response time (ms, log scale)'
set logscale y
set xrange [0:100]
set xtics 10
set key below height 1.5
plot $(IFS=,; echo "${plots[*]}")
EOF
    drawn+=(latency.png)
fi

# ---------------------------------------------------------------- requests per second over time (ab -g)
tsvs=(*.g.tsv)
if ((${#tsvs[@]})); then
    plots=()
    for f in "${tsvs[@]}"; do
        # column 2 is the second each request started: count them, from the run's first second
        # (the last second is repeated one second on, so that "steps" draws its width too)
        awk -F'\t' 'NR > 1 && $2 ~ /^[0-9]+$/ { n[$2]++; if (first == "" || $2 < first) first = $2
                if ($2 > last) last = $2 }
            END { for (s in n) print s - first, n[s]; if (first != "") print last - first + 1, n[last] }' "$f" |
            sort -n >"${f%.g.tsv}.rps.dat"
        plots+=("'${f%.g.tsv}.rps.dat' using 1:2 with steps lw 2 title '$(label "${f%.g.tsv}")'")
    done
    gnuplot <<EOF
$STYLE
set output 'timeline.png'
set title 'Throughput over time: requests started per second (ab -g)'
set xlabel 'seconds since the run started'
set ylabel 'requests / s'
set yrange [0:*]
set key below height 1.5
plot $(IFS=,; echo "${plots[*]}")
EOF
    drawn+=(timeline.png)
fi

# ---------------------------------------------------------------- throughput per run
if [[ -s throughput.tsv ]]; then
    # names as in the other legends: "buy-sold-out" -> "buy sold out"
    awk -F'\t' -v OFS='\t' '{ gsub("-", " ", $1); print }' throughput.tsv >throughput.dat
    runs=$(wc -l <throughput.dat)
    height=$((160 + 46 * runs))
    gnuplot <<EOF
$STYLE
set terminal pngcairo size 1100,$height enhanced font 'DejaVu Sans,11' linewidth 1.4
set output 'throughput.png'
set title 'Throughput per run (requests per second, ab at the same concurrency; p50 / p99 in ms)'
set datafile separator '\t'
set style fill solid 0.85 noborder
set grid xtics ytics
set grid noytics
set xlabel 'requests / s'
stats 'throughput.dat' using 2 nooutput
# room right of the longest bar for its label
set xrange [0:STATS_max * 1.45]
set yrange [-0.6:$runs - 0.4]
set ytics scale 0
# the first run on top
row(n) = $runs - 1 - n
plot 'throughput.dat' using (\$2 / 2):(row(\$0)):(\$2 / 2):(0.34):yticlabels(stringcolumn(1)) with boxxyerror lt 1, \
     '' using 2:(row(\$0)):(sprintf('  %.0f /s   p50 %s, p99 %s ms', \$2, strcol(3), strcol(4))) with labels left tc rgb '#333333'
EOF
    drawn+=(throughput.png)
fi

# ---------------------------------------------------------------- the split per node (stat.log)
if [[ -n $stat_log && -s $stat_log ]]; then
    sum=$(weights_total)
    awk -F'[:,]' '$1 == "port" { n[$2]++ } END { for (p in n) print p, n[p] }' "$stat_log" >split.counts
    total=$(awk '{ t += $2 } END { print t + 0 }' split.counts)
    : >split.dat
    for i in "${!NODE_PORTS[@]}"; do
        port=${NODE_PORTS[$i]} weight=${NODE_WEIGHTS[$i]}
        served=$(awk -v p="$port" '$1 == p { print $2 }' split.counts)
        printf '%s\t%s\t%s\t%s\n' "$port" "$weight" "${served:-0}" \
            "$(awk -v t="$total" -v w="$weight" -v s="$sum" 'BEGIN { printf "%.1f", t * w / s }')" >>split.dat
    done
    gnuplot <<EOF
$STYLE
set output 'split.png'
set title sprintf('Requests per node against the Nginx weights (%d requests in stat.log)', $total)
set datafile separator '\t'
set style data histograms
set style histogram clustered gap 1.4
set style fill solid 0.85 noborder
set boxwidth 0.9
set ylabel 'requests'
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set key left top opaque box lc rgb '#cccccc'
plot 'split.dat' using 3:xticlabels(sprintf('node %s (weight %s)', strcol(1), strcol(2))) lt 1 title 'served (stat.log)', \
     '' using 4 lt 8 title 'expected: total x weight / sum of weights', \
     '' using (\$0 - 0.17):3:(sprintf('%d', \$3)) with labels offset 0,0.7 tc rgb '#1e3a8a' notitle, \
     '' using (\$0 + 0.17):4:(sprintf('%.0f', \$4)) with labels offset 0,0.7 tc rgb '#333333' notitle
EOF
    rm -f split.counts
    drawn+=(split.png)
fi

if ((${#drawn[@]} == 0)); then
    echo "plot.sh: nothing to draw in $dir (no *.e.csv, *.g.tsv, throughput.tsv or stat.log lines)" >&2
    exit 1
fi
echo "charts: ${drawn[*]/#/$dir/}"
