#!/usr/bin/env bash
# Side by side on this machine, in one run: rrd-core (rrd-bench, `rrd`) against
# C rrdtool 1.7.2 (librrd-bench built from benches/librrd/bench.c, `rrdtool`).
# Prints a markdown table with the goals of the performance issue and whether
# each is met (progress goes to stderr). Measurements run round-robin: every
# one once per round, so that load from elsewhere on the machine hits both
# sides alike. The table shows the median and the best of the rounds; goals
# are judged on the medians.
#
# Usage: benches/compare.sh            (from anywhere; needs cargo, gcc, rrdtool
#                                       and librrd's headers, see librrd/build.sh)
# Knobs (environment): REPEAT=5 N_OPEN=2000000 N_REOPEN=50000 N_BATCH=2000000
#   N_ONE=20000 N_LBATCH=2000000 FETCHES=20000 PROC_REPEAT=3 PROCS=2000
#   FETCH_PROCS=500 CD_REPEAT=3 CD_FILES=10000 CD_ROUNDS=5 XP_REPEAT=5
#   XPORTS=200 BIG_XPORTS=3 XPORT_PROCS=200 GRAPHS=100 GRAPH_PROCS=50
#   MEM_FILES=10000 WORKDIR=/tmp/...
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

REPEAT=${REPEAT:-5}
N_OPEN=${N_OPEN:-2000000}
N_REOPEN=${N_REOPEN:-50000}
N_BATCH=${N_BATCH:-2000000}
N_ONE=${N_ONE:-20000}
N_LBATCH=${N_LBATCH:-2000000}
FETCHES=${FETCHES:-20000}
PROC_REPEAT=${PROC_REPEAT:-3}
PROCS=${PROCS:-2000}
FETCH_PROCS=${FETCH_PROCS:-500}
CD_REPEAT=${CD_REPEAT:-3}
CD_FILES=${CD_FILES:-10000}
CD_ROUNDS=${CD_ROUNDS:-5}
XP_REPEAT=${XP_REPEAT:-5}
XPORTS=${XPORTS:-200}
BIG_XPORTS=${BIG_XPORTS:-3}
XPORT_PROCS=${XPORT_PROCS:-200}
GRAPHS=${GRAPHS:-100}
GRAPH_PROCS=${GRAPH_PROCS:-50}
MEM_FILES=${MEM_FILES:-10000}

command -v rrdtool >/dev/null || { echo "compare.sh: rrdtool is not on PATH (apt-get install rrdtool)" >&2; exit 1; }

echo "building (release)..." >&2
(cd "$root" && cargo build --release -q -p rrd-benches -p rrd-cli)
"$here/librrd/build.sh" "$root/target/release/librrd-bench" >/dev/null
RB=$root/target/release/rrd-bench
RRD=$root/target/release/rrd
LB=$root/target/release/librrd-bench

load=$(cut -d' ' -f1-3 /proc/loadavg)
work=${WORKDIR:-$(mktemp -d /tmp/rrd-compare.XXXXXX)}
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# median and best (largest) of the numbers on stdin, one a line
stats() { sort -n | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.0f %.0f\n", m, v[NR]}'; }

# run NAME CMD...: runs CMD once and appends the last line of its output (a
# rate) to $work/res.NAME; the other lines go to stderr
run() {
    local name=$1; shift
    local out
    out=$("$@")
    sed '$d' <<<"$out" | sed 's/^/    /' >&2
    tail -n1 <<<"$out" >>"$work/res.$name"
}

# r NAME: "median best" of the runs of NAME
r() { stats <"$work/res.$1"; }

# proc_update TOOL N: creates a W file with TOOL, then N `TOOL update FILE t:v`
# processes from this shell's loop; prints updates/s
proc_update() {
    local tool=$1 n=$2 f="$work/proc.rrd" i t0 t1
    rm -f "$f"
    "$tool" create "$f" --start 1000000000 --step 1 DS:v:GAUGE:120:U:U RRA:AVERAGE:0.5:1:3600 \
        RRA:AVERAGE:0.5:60:1440 RRA:MIN:0.5:60:1440 RRA:MAX:0.5:60:1440
    t0=$(date +%s.%N)
    for ((i = 1; i <= n; i++)); do
        "$tool" update "$f" "$((1000000000 + i)):$((i % 100))"
    done
    t1=$(date +%s.%N)
    echo "$tool update: $n processes in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') s"
    awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f\n", n/(b-a)}'
}

# collectd BIN: a fresh directory of CD_FILES files, CD_ROUNDS rounds
collectd() {
    local bin=$1
    rm -rf "$work/cd"
    sync
    "$bin" collectd --files "$CD_FILES" --rounds "$CD_ROUNDS" "$work/cd"
    rm -rf "$work/cd"
}

# per_s SCALE CMD...: runs CMD, whose last line is milliseconds per run, and
# prints SCALE*1000/ms (runs, or SCALE units, per second) as its last line
per_s() {
    local scale=$1; shift
    local out
    out=$("$@")
    sed '$d' <<<"$out"
    tail -n1 <<<"$out" | awk -v s="$scale" '{printf "%.0f\n", s * 1000 / $1}'
}

# proc_cmd TOOL SUBCOMMAND N ARGS...: N `TOOL SUBCOMMAND ARGS >/dev/null`
# processes from this shell's loop; prints processes/s
proc_cmd() {
    local tool=$1 sub=$2 n=$3 i t0 t1
    shift 3
    t0=$(date +%s.%N)
    for ((i = 1; i <= n; i++)); do
        "$tool" "$sub" "$@" >/dev/null
    done
    t1=$(date +%s.%N)
    echo "$tool $sub: $n processes in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') s"
    awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f\n", n/(b-a)}'
}

# one file for both fetchers, written by librrd
"$LB" fetch --n 1 "$work/day.rrd" >/dev/null
# the day `rrd fetch` and `rrdtool fetch` print as processes
FDAY=("$work/day.rrd" AVERAGE -s 1000086400-1d -e 1000086400)
# a million one-second rows for the long CDEF
"$RB" big --rows 1000000 "$work/big.rrd" >/dev/null
# xport of a day from three DEFs of W (the per-minute archives) and a CDEF
XDAY=(-s 1000000000 -e 1000086400 -m 1440 "DEF:a=$work/day.rrd:v:AVERAGE" "DEF:b=$work/day.rrd:v:MIN"
    "DEF:c=$work/day.rrd:v:MAX" "CDEF:d=a,b,+,c,-,2,*" XPORT:a XPORT:d)
# a 10-operator CDEF over 1,000,000 points, exported
XBIG=(-s 1000000000 -e 1001000000 --step 1 -m 1000000 "DEF:a=$work/big.rrd:v:AVERAGE"
    "CDEF:c=a,2,*,1,+,a,/,3,-,ABS,SQRT,10,MIN,a,MAX,0.5,+,FLOOR" XPORT:c)

echo "measuring in $work" >&2
for ((k = 1; k <= REPEAT; k++)); do
    echo "library round $k of $REPEAT" >&2
    run open "$RB" update --mode open --n "$N_OPEN" "$work/w.rrd"
    run l_batch "$LB" update --mode batch --n "$N_LBATCH" "$work/c.rrd"
    run open_mmap "$RB" update --mode open --storage mmap --n "$N_OPEN" "$work/w.rrd"
    run reopen "$RB" update --mode reopen --n "$N_REOPEN" "$work/w.rrd"
    run l_one "$LB" update --mode one --n "$N_ONE" "$work/c.rrd"
    run batch "$RB" update --mode batch --n "$N_BATCH" "$work/w.rrd"
    run f_ours "$RB" fetch --n "$FETCHES" "$work/day.rrd"
    run f_c "$LB" fetch --n "$FETCHES" "$work/day.rrd"
    run f_open "$RB" fetch --handle keep --n "$FETCHES" "$work/day.rrd"
done
for ((k = 1; k <= PROC_REPEAT; k++)); do
    echo "process round $k of $PROC_REPEAT" >&2
    run p_ours proc_update "$RRD" "$PROCS"
    run p_c proc_update rrdtool "$PROCS"
    run fp_ours proc_cmd "$RRD" fetch "$FETCH_PROCS" "${FDAY[@]}"
    run fp_c proc_cmd rrdtool fetch "$FETCH_PROCS" "${FDAY[@]}"
done
for ((k = 1; k <= XP_REPEAT; k++)); do
    echo "xport round $k of $XP_REPEAT" >&2
    run x_ours per_s 1 "$RB" xport --n "$XPORTS" -- "${XDAY[@]}"
    run x_c per_s 1 "$LB" xport --n "$XPORTS" -- "${XDAY[@]}"
    run xb_ours per_s 1000000 "$RB" xport --n "$BIG_XPORTS" -- "${XBIG[@]}"
    run xb_c per_s 1000000 "$LB" xport --n "$BIG_XPORTS" -- "${XBIG[@]}"
    run xp_ours proc_cmd "$RRD" xport "$XPORT_PROCS" "${XDAY[@]}"
    run xp_c proc_cmd rrdtool xport "$XPORT_PROCS" "${XDAY[@]}"
done
# an 800x300 graph of a day of W (one-second file): two DEFs, a CDEF, a
# VDEF, an AREA, two LINEs and a GPRINT
GDAY=(-w 800 -h 300 -s 1000000000 -e 1000086400 "DEF:a=$work/day.rrd:v:AVERAGE"
    "DEF:b=$work/day.rrd:v:MAX" "CDEF:c=a,b,+,2,/" "VDEF:m=a,MAXIMUM"
    "AREA:a#00cc0080:avg" "LINE1:b#ff0000:max" "LINE2:c#0000ff:mid" "GPRINT:m:peak %6.2lf %s")
for ((k = 1; k <= XP_REPEAT; k++)); do
    echo "graph round $k of $XP_REPEAT" >&2
    run gp_ours per_s 1 "$RB" graph --n "$GRAPHS" -- "$work/g.png" "${GDAY[@]}"
    run gp_c per_s 1 "$LB" graph --n "$GRAPHS" -- "$work/gc.png" "${GDAY[@]}"
    run gs_ours per_s 1 "$RB" graph --n "$GRAPHS" -- "$work/g.svg" -a SVG "${GDAY[@]}"
    run gs_c per_s 1 "$LB" graph --n "$GRAPHS" -- "$work/gc.svg" -a SVG "${GDAY[@]}"
    run gpp_ours proc_cmd "$RRD" graph "$GRAPH_PROCS" "$work/g.png" "${GDAY[@]}"
    run gpp_c proc_cmd rrdtool graph "$GRAPH_PROCS" "$work/gc.png" "${GDAY[@]}"
done
png_ours=$(stat -c %s "$work/g.png")
png_c=$(stat -c %s "$work/gc.png")
for ((k = 1; k <= CD_REPEAT; k++)); do
    echo "collectd round $k of $CD_REPEAT" >&2
    run cd_ours collectd "$RB"
    run cd_c collectd "$LB"
done
echo "memory per open file" >&2
mem=$("$RB" openmem --files "$MEM_FILES" "$work/mem")
sed '$d' <<<"$mem" | sed 's/^/    /' >&2
mem=$(tail -n1 <<<"$mem")

# row LABEL OURS THEIRS GOAL_FACTOR GOAL_TEXT (OURS, THEIRS: "median best")
row() {
    local label=$1 ours=$2 theirs=$3 factor=$4 goal=$5
    awk -v l="$label" -v o="$ours" -v t="$theirs" -v f="$factor" -v g="$goal" '
    function th(x,   s) { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
    BEGIN {
        split(o, a, " "); split(t, b, " ");
        r = a[1] / b[1];
        met = (f == "") ? "(reported)" : (r >= f ? "**yes**" : "**no**");
        printf "| %s | %s (%s) | %s (%s) | %.2fx | %s | %s |\n", l, th(a[1]), th(a[2]), th(b[1]), th(b[2]), r, g, met
    }'
}

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r); $(rustc --version); $(rrdtool -v | head -n1 | cut -d' ' -f1-2); load average before the run: $load."
echo "Rates per second: median of $REPEAT rounds (process rows: $PROC_REPEAT, collectd: $CD_REPEAT, xport: $XP_REPEAT), best in brackets."
echo
echo "| measurement | rrd-core / \`rrd\` | C rrdtool 1.7.2 | ours / C | goal | met |"
echo "|---|---:|---:|---:|---|---|"
row "update, one open handle (\`rrd-bench update --mode open\`, $N_OPEN updates) vs librrd 1000 values per \`rrd_update_r\` ($N_LBATCH)" "$(r open)" "$(r l_batch)" 10 ">= 10x librrd 1000-per-call"
row "update, one open handle, mmap storage (\`--storage mmap\`) vs librrd 1000 per call" "$(r open_mmap)" "$(r l_batch)" "" "-"
row "update, open/update/close per value (\`--mode reopen\`, $N_REOPEN) vs librrd one value per call ($N_ONE)" "$(r reopen)" "$(r l_one)" 6 ">= 6x librrd one-per-call"
row "update, 1000 \`t:v\` strings per open (\`--mode batch\`, $N_BATCH) vs librrd 1000 per call" "$(r batch)" "$(r l_batch)" "" "-"
row "\`rrd update FILE t:v\` vs \`rrdtool update FILE t:v\`, $PROCS processes from a shell loop" "$(r p_ours)" "$(r p_c)" 5 ">= 5x rrdtool"
row "fetch a day, 1441 rows (open, fetch, close) vs \`rrd_fetch_r\`, $FETCHES fetches" "$(r f_ours)" "$(r f_c)" 8 ">= 8x librrd"
row "fetch a day on one open handle (\`--handle keep\`: librrd has no such call) vs \`rrd_fetch_r\`" "$(r f_open)" "$(r f_c)" "" "-"
row "\`rrd fetch\` vs \`rrdtool fetch\` of a day, $FETCH_PROCS processes" "$(r fp_ours)" "$(r fp_c)" 5 ">= 5x rrdtool"
row "collectd-style: $CD_FILES files x $CD_ROUNDS rounds, open/update/close per file, vs librrd \`rrd_update_r\` per file" "$(r cd_ours)" "$(r cd_c)" 5 ">= 5x librrd"
row "xport a day, 3 DEFs + a CDEF, 1440 rows x 2 columns (\`rrd-bench xport\` vs \`rrd_xport\`, in-process, XML to a buffer / /dev/null), xports" "$(r x_ours)" "$(r x_c)" 5 ">= 5x rrdtool's xport"
row "xport of a 10-operator CDEF over 1,000,000 points (in-process, as above), points" "$(r xb_ours)" "$(r xb_c)" 5 ">= 5x rrdtool's xport"
row "\`rrd xport\` vs \`rrdtool xport\` of that day, $XPORT_PROCS processes" "$(r xp_ours)" "$(r xp_c)" "" "-"
row "graph 800x300 of a day, PNG, in-process (\`rrd-bench graph\` vs \`rrd_graph_v\`), graphs" "$(r gp_ours)" "$(r gp_c)" 5 ">= 5x librrd"
row "graph 800x300 of a day, SVG, in-process, graphs" "$(r gs_ours)" "$(r gs_c)" 15 ">= 15x librrd"
row "\`rrd graph\` vs \`rrdtool graph\` of that PNG, $GRAPH_PROCS processes" "$(r gpp_ours)" "$(r gpp_c)" 5 ">= 5x rrdtool"
echo
echo "PNG sizes: ours $png_ours bytes, rrdtool's $png_c bytes. Memory per open read-write handle: $mem bytes (RSS growth over $MEM_FILES collectd-style files held open at once, divided by $MEM_FILES)."
