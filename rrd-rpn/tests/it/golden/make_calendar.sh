#!/bin/bash
# Regenerates calendar.txt with C rrdtool 1.7.2: the time-zone operators over
# 34 hourly steps from 2017-12-30 20:00 UTC (Sat) to 2018-01-01 06:00 UTC
# (Mon), series c = 1 everywhere, in two time zones.
# Lines: "TZ<TAB>expr<TAB>xport values".
set -e
export LC_ALL=C
dir=$(mktemp -d)
rrd=$dir/c.rrd
start=1514664000
TZ=UTC rrdtool create $rrd --start $start --step 3600 DS:c:GAUGE:7200:U:U RRA:AVERAGE:0.5:1:100
ups=""
for k in $(seq 1 34); do ups="$ups $((start + k * 3600)):1"; done
TZ=UTC rrdtool update $rrd $ups
cd "$(dirname "$0")"
for tz in UTC Europe/Zurich America/New_York; do
  for e in 'NEWDAY,c,*' 'NEWWEEK,c,*' 'NEWMONTH,c,*' 'NEWYEAR,c,*' 'LTIME,TIME,-,c,*'; do
    r=$(TZ=$tz rrdtool xport --start $start --end $((start + 34 * 3600)) --step 3600 \
        DEF:c=$rrd:c:AVERAGE "CDEF:x=$e" XPORT:x 2>&1 |
        grep -E '<v>|ERROR' | sed 's/.*<v>//;s/<\/v>.*//' | tr '\n' ' ' | sed 's/ $//')
    printf '%s\t%s\t%s\n' "$tz" "$e" "$r"
  done
done > calendar.txt
rm -r "$dir"
