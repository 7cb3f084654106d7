#!/usr/bin/env bash
# How each cost grows, rrd-core beside C librrd 1.7.2 on this machine, in one
# run: updates per second against the number of archives (1 to 20) and of
# data sources (1 to 100), fetch time against the rows returned, graph time
# against the width and the number of series. Prints markdown tables and
# draws one PNG per curve with `rrd graph` itself into OUTDIR.
#
# Usage: benches/curves.sh [OUTDIR]     (default: benches/curves)
# Knobs (environment): REPEAT=3 (rounds; each point is the median),
#   SCALE=1 (multiplies every operation count), WORKDIR=/tmp/...,
#   PLOT_ONLY=1 (draw and print again from the points OUTDIR/*.dat keeps)
#
# The points:
# - archives: R archives over one GAUGE (heartbeat 120), archive j (from 0)
#   RRA:CF:0.5:P:1440 with CF = AVERAGE, MIN, MAX, LAST for j % 4 and
#   P = 1, 60, 300, 3600, 86400 for j / 4 (so 20 archives are five
#   resolutions of four functions); rrd-core: one open handle, one update
#   per call (`rrd-bench shape`); librrd: 1000 "t:v" per rrd_update_r.
# - data sources: D GAUGEs under workload W's four archives, same calls.
# - fetch: `fetch AVERAGE -s LAST-K -e LAST` of K+1 one-second rows from a
#   file of 1,000,000 rows (`rrd-bench big`), open/fetch/close each time,
#   against rrd_fetch_r (`window`); plotted against log10 K.
# - graph: a day of workload W at -h 300, in-process PNG (`rrd-bench graph`
#   against rrd_graph_v): width 200 to 3200 with two series, and 1 to 16
#   series (DEF, CDEF adding k, LINE1) at width 800.
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$here/curves}
REPEAT=${REPEAT:-3}
SCALE=${SCALE:-1}

command -v rrdtool >/dev/null || { echo "curves.sh: rrdtool is not on PATH (apt-get install rrdtool)" >&2; exit 1; }
echo "building (release)..." >&2
[ -n "${PLOT_ONLY:-}" ] || (cd "$root" && cargo build --release -q -p rrd-benches -p rrd-cli)
[ -n "${PLOT_ONLY:-}" ] || "$here/librrd/build.sh" "$root/target/release/librrd-bench" >/dev/null
RB=$root/target/release/rrd-bench
RRD=$root/target/release/rrd
LB=$root/target/release/librrd-bench

work=${WORKDIR:-$(mktemp -d /tmp/rrd-curves.XXXXXX)}
mkdir -p "$work" "$out"
trap 'rm -rf "$work"' EXIT

# n BASE: the operation count BASE times SCALE, at least 1
n() { awk -v b="$1" -v s="$SCALE" 'BEGIN { v = int(b * s); print (v < 1) ? 1 : v }'; }

# median of the numbers on stdin
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# last CMD...: the last line of CMD's output (a number)
last() { "$@" | tail -n1; }

# point NAME X OURS_CMD VS C_CMD: REPEAT alternating rounds; appends
# "X ours c" (medians) to $work/NAME
point() {
    local name=$1 x=$2; shift 2
    local ours=() c=() i
    while [ "$1" != "VS" ]; do ours+=("$1"); shift; done
    shift
    c=("$@")
    : >"$work/o" && : >"$work/c"
    for ((i = 0; i < REPEAT; i++)); do
        last "${ours[@]}" >>"$work/o"
        last "${c[@]}" >>"$work/c"
    done
    echo "$x $(median <"$work/o") $(median <"$work/c")" >>"$work/$name"
    echo "  $name $x: $(tail -n1 "$work/$name")" >&2
}

cfs=(AVERAGE MIN MAX LAST)
pdps=(1 60 300 3600 86400)
archives() {
    local r=$1 j
    for ((j = 0; j < r; j++)); do
        echo "RRA:${cfs[j % 4]}:0.5:${pdps[j / 4]}:1440"
    done
}

if [ -n "${PLOT_ONLY:-}" ]; then
    for name in archives sources fetch width nseries; do cp "$out/$name.dat" "$work/$name"; done
else
echo "archives..." >&2
for r in 1 2 4 6 8 12 16 20; do
    mapfile -t defs < <(echo "DS:v:GAUGE:120:U:U"; archives "$r")
    point archives "$r" "$RB" shape --n "$(n 300000)" "$work/s.rrd" -- "${defs[@]}" \
        VS "$LB" shape --n "$(n 100000)" "$work/s.rrd" -- "${defs[@]}"
done

echo "data sources..." >&2
for d in 1 2 5 10 20 50 100; do
    defs=()
    for ((k = 0; k < d; k++)); do defs+=("DS:v$k:GAUGE:120:U:U"); done
    defs+=(RRA:AVERAGE:0.5:1:3600 RRA:AVERAGE:0.5:60:1440 RRA:MIN:0.5:60:1440 RRA:MAX:0.5:60:1440)
    point sources "$d" "$RB" shape --n "$(n $((3000000 / (d + 9))))" "$work/s.rrd" -- "${defs[@]}" \
        VS "$LB" shape --n "$(n $((1000000 / (d + 9))))" "$work/s.rrd" -- "${defs[@]}"
done

echo "fetch..." >&2
"$RB" big --rows 1000000 "$work/big.rrd" >&2
for k in 10 100 1000 10000 100000 999999; do
    f=$(n $((2000000 / (k + 100) + 20)))
    point fetch "$k" "$RB" window --rows "$k" --n "$f" "$work/big.rrd" \
        VS "$LB" window --rows "$k" --n "$f" "$work/big.rrd"
done

echo "graph..." >&2
"$RB" fetch --n 1 "$work/w.rrd" >&2
colors=(00aa00 0000ff ff0000 aa00aa 008888 888800 ff8800 000000)
series() {
    local s=$1 k
    for ((k = 0; k < s; k++)); do
        echo "DEF:a$k=$work/w.rrd:v:AVERAGE"
        echo "CDEF:c$k=a$k,$k,+"
        echo "LINE1:c$k#${colors[k % 8]}:s$k"
    done
}
graph_point() {
    local name=$1 x=$2 w=$3 s=$4 g
    g=$(n 20)
    mapfile -t args < <(printf '%s\n' -w "$w" -h 300 -s 1000000000 -e 1000086400; series "$s")
    point "$name" "$x" "$RB" graph --n "$g" -- "$work/o.png" "${args[@]}" \
        VS "$LB" graph --n "$g" -- "$work/c.png" "${args[@]}"
}
for w in 200 400 800 1600 3200; do graph_point width "$w" "$w" 2; done
for s in 1 2 4 8 16; do graph_point nseries "$s" 800 "$s"; done
for name in archives sources fetch width nseries; do cp "$work/$name" "$out/$name.dat"; done
fi

# plot NAME TITLE YLABEL XLABEL XFORM LOG: a PNG of the two curves of NAME.
# The x axis is drawn as days of the year: x (after XFORM, an awk
# expression of $1) is stored at (x - 1) days after 2001-01-01 00:00 UTC, so
# that %j labels it x; the points are joined by straight lines (values every
# hour in between).
plot() {
    local name=$1 title=$2 ylabel=$3 xlabel=$4 xform=$5 log=$6
    local f="$work/plot-$name.rrd" xmax
    awk "{ print $xform, \$2, \$3 }" "$work/$name" >"$work/xy"
    xmax=$(tail -n1 "$work/xy" | awk '{ print int($1 + 0.999) }')
    local t0=978307200 spu=24 k
    # samples per unit of x: enough for a smooth line however few units
    for k in 24 48 96 144 288 480; do
        spu=$k
        [ $((k * xmax)) -ge 2400 ] && break
    done
    local st=$((86400 / spu))
    TZ=UTC "$RRD" create "$f" --start $((t0 - st)) --step "$st" DS:o:GAUGE:$((2 * st)):U:U \
        DS:c:GAUGE:$((2 * st)):U:U "RRA:AVERAGE:0.5:1:$(((xmax + 2) * spu))"
    # straight on the axes drawn: geometric steps on a logarithmic one
    awk -v t0="$t0" -v spu="$spu" -v st="$st" -v geo="${log:+1}" '
         function mid(a, b, u) { return geo ? a * exp(u * log(b / a)) : a + u * (b - a) }
         NR == 1 { px = $1; po = $2; pc = $3; next }
         { for (h = int((px - 1) * spu + 0.5); h < ($1 - 1) * spu; h++) {
               u = (h / spu + 1 - px) / ($1 - px)
               printf "%d:%.6g:%.6g\n", t0 + h * st, mid(po, $2, u), mid(pc, $3, u) }
           px = $1; po = $2; pc = $3 }
         END { printf "%d:%.6g:%.6g\n", t0 + (px - 1) * 86400, po, pc }' "$work/xy" |
        xargs -r env TZ=UTC "$RRD" update "$f"
    local lab=1
    [ "$xmax" -gt 12 ] && lab=2
    [ "$xmax" -gt 30 ] && lab=5
    [ "$xmax" -gt 60 ] && lab=10
    TZ=UTC "$RRD" graph "$out/$name.png" -a PNG -w 640 -h 240 -s "$t0" -e "$((t0 + (xmax - 1) * 86400))" \
        -t "$title" -v "$ylabel" $log --x-grid "DAY:1:DAY:$lab:DAY:$lab:0:%-j" \
        "DEF:o=$f:o:AVERAGE" "DEF:c=$f:c:AVERAGE" \
        "LINE2:o#0060c0:rrd-core" "LINE2:c#c03000:C librrd 1.7.2" \
        "COMMENT:\\n" "COMMENT:$xlabel\\c" >/dev/null
    echo "  drew $out/$name.png" >&2
}

plot archives "Updates per second against archives (1 GAUGE)" "updates/s" \
    "archives" '$1' -o
plot sources "Updates per second against data sources (4 archives)" "updates/s" \
    "data sources" '$1' -o
plot fetch "Fetches per second against rows returned" "fetches/s" \
    "log10 of the rows returned" 'log($1) / log(10)' -o
plot width "Graphs: milliseconds per PNG against width (2 series)" "ms per graph" \
    "width in hundreds of pixels" '$1 / 100' ""
plot nseries "Graphs: milliseconds per PNG against series (800 wide)" "ms per graph" \
    "series" '$1' ""

table() {
    local name=$1 head=$2 unit=$3 better=$4
    echo
    echo "| $head | rrd-core $unit | librrd $unit | ours / C |"
    echo "|---:|---:|---:|---:|"
    awk -v b="$better" '{ r = (b == "high") ? $2 / $3 : $3 / $2
                          printf "| %s | %s | %s | %.2fx |\n", $1, $2, $3, r }' "$work/$name"
}
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); medians of $REPEAT rounds."
table archives "archives" "updates/s" high
table sources "data sources" "updates/s" high
table fetch "rows asked (K)" "fetches/s" high
table width "width (px)" "ms/graph" low
table nseries "series" "ms/graph" low
