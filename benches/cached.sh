#!/usr/bin/env bash
# rrd-cached beside C rrdcached 1.7.2 on this machine, in one run, on the
# same load: FILES files (one data source, copies of one template), CLIENTS
# concurrent client connections sending one update to every file per
# round, ROUNDS rounds, then FLUSHALL and the time until every value is in
# its file. Both daemons run with a journal (-j), four writer threads and
# a write interval of an hour (-w 3600: nothing is written before the
# flush), as a collectd or LibreNMS installation runs rrdcached.
#
# Round 1 is cold (each daemon meets every file for the first time: stat,
# open, read its last update); rounds 2.. are the steady state. Three ways
# of sending: batch (BATCH of 1,000 updates, one reply), pipe (1,000 UPDATE
# lines, then their replies), each (an UPDATE, its reply, the next).
# The daemons take turns (C, ours, C, ours...) for REPEAT repetitions; the
# table shows medians. Peak resident memory (VmHWM) is read after the flush.
#
# Usage: benches/cached.sh
# Knobs: FILES=100000 CLIENTS=4 ROUNDS=5 REPEAT=3 MODES="batch pipe each"
#        EACH_FILES=20000 (files in the each mode, which is slow on both)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
FILES=${FILES:-100000}
CLIENTS=${CLIENTS:-4}
ROUNDS=${ROUNDS:-5}
REPEAT=${REPEAT:-3}
MODES=${MODES:-batch pipe each}
EACH_FILES=${EACH_FILES:-20000}

command -v rrdcached >/dev/null || { echo "cached.sh: rrdcached is not on PATH (apt-get install rrdcached)" >&2; exit 1; }
echo "building (release)..." >&2
(cd "$root" && cargo build --release -q -p rrd-benches -p rrd-cached)
LOAD=$root/target/release/cached-load
OURS=$root/target/release/rrd-cached

work=$(mktemp -d /tmp/rrd-cached-bench.XXXXXX)
trap 'for p in "$work"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done; rm -rf "$work"' EXIT
rrdtool create "$work/t.rrd" --start 1300000000 --step 60 DS:a:GAUGE:300:U:U RRA:AVERAGE:0.5:1:100

median() { sort -n | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.0f\n", m}'; }

# one measurement: $1 daemon (c|r), $2 mode, $3 files; appends results
measure() {
    local who=$1 mode=$2 files=$3 exe dir
    [ "$who" = c ] && exe=rrdcached || exe=$OURS
    dir=$work/$who-$mode
    rm -rf "$dir" "$dir.j"
    mkdir -p "$dir.j"
    "$LOAD" prepare "$dir" "$files" "$work/t.rrd"
    sync
    "$exe" -g -l "unix:$dir.sock" -b "$dir" -j "$dir.j" -w 3600 -f 7200 -t 4 -F -p "$dir.pid" 2>/dev/null &
    for _ in $(seq 100); do [ -S "$dir.sock" ] && break; sleep 0.05; done
    local pid
    pid=$(cat "$dir.pid")
    local out
    out=$("$LOAD" run "$dir.sock" "$files" "$CLIENTS" "$ROUNDS" "$mode" 1300000000)
    echo "$out" | sed "s/^/  $who $mode: /" >&2
    echo "$out" | awk '/^round 1:/ {print $(NF-1)}' >>"$work/res.$who.$mode.cold"
    echo "$out" | awk '/^round/ && !/^round 1:/ {print $(NF-1)}' | median >>"$work/res.$who.$mode.warm"
    echo "$out" | awk '/^flush:/ {print $(NF-1) * 1000}' >>"$work/res.$who.$mode.flush"
    awk '/VmHWM/ {print $2}' "/proc/$pid/status" >>"$work/res.$who.$mode.mem"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir" "$dir.j"
}

for r in $(seq "$REPEAT"); do
    for mode in $MODES; do
        files=$FILES
        [ "$mode" = each ] && files=$EACH_FILES
        echo "repetition $r, $mode, $files files" >&2
        measure c "$mode" "$files"
        measure r "$mode" "$files"
    done
done

get() { median <"$work/res.$1.$2.$3"; }
echo
echo "rrd-cached against C rrdcached 1.7.2, $(nproc) cores, $CLIENTS clients, $ROUNDS rounds, medians of $REPEAT ($(date -u +%Y-%m-%d))"
echo
echo "| mode | files | phase | rrdcached | rrd-cached | ratio |"
echo "|---|---:|---|---:|---:|---:|"
for mode in $MODES; do
    files=$FILES
    [ "$mode" = each ] && files=$EACH_FILES
    for phase in cold warm; do
        c=$(get c "$mode" "$phase"); o=$(get r "$mode" "$phase")
        label="updates/s, round 1 (cold)"
        [ "$phase" = warm ] && label="updates/s, rounds 2-$ROUNDS"
        echo "| $mode | $files | $label | $c | $o | $(awk -v a="$o" -v b="$c" 'BEGIN {printf "%.1f×", a/b}') |"
    done
    c=$(get c "$mode" flush); o=$(get r "$mode" flush)
    echo "| $mode | $files | flush of $((files * ROUNDS)) values, ms | $c | $o | $(awk -v a="$c" -v b="$o" 'BEGIN {printf "%.1f×", a/b}') |"
    c=$(get c "$mode" mem); o=$(get r "$mode" mem)
    echo "| $mode | $files | peak resident memory, KiB | $c | $o | $(awk -v a="$c" -v b="$o" 'BEGIN {printf "%.2f×", a/b}') |"
done
