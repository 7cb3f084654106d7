#!/bin/bash
# Regenerates golden.txt with C rrdtool 1.7.2: for every line of exprs.txt,
# `rrdtool xport` of CDEF:x=<expr> over the two-series RRD built below,
# TZ=UTC, one line "expr<TAB>values or ERROR: message".
set -e
export TZ=UTC LC_ALL=C
dir=$(mktemp -d)
rrd=$dir/r.rrd
rrdtool create $rrd --start 999999960 --step 60 DS:a:GAUGE:120:U:U DS:b:GAUGE:120:U:U RRA:AVERAGE:0.5:1:100
rrdtool update $rrd 1000000020:1:5 1000000080:2:U 1000000140:U:3 1000000200:4:-2 \
    1000000260:5:0 1000000320:6:7 1000000380:7:1 1000000440:8:2
cd "$(dirname "$0")"
while IFS= read -r e; do
    r=$(rrdtool xport --start 999999960 --end 1000000440 --step 60 \
        DEF:a=$rrd:a:AVERAGE DEF:b=$rrd:b:AVERAGE "CDEF:x=$e" XPORT:x 2>&1 |
        grep -E '<v>|ERROR' | sed 's/.*<v>//;s/<\/v>.*//' | tr '\n' ' ' | sed 's/ $//')
    printf '%s\t%s\n' "$e" "$r"
done < exprs.txt > golden.txt
rm -r "$dir"
