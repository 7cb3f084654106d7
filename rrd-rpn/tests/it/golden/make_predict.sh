#!/bin/bash
# Regenerates predict.txt with C rrdtool 1.7.2: PREDICT, PREDICTSIGMA and
# PREDICTPERC over c = 2^k (k = 0..19), step 60, first step ending at
# 1000000020, TZ=UTC. Powers of two make each mean reveal which samples
# went in. Lines: "expr<TAB>xport values". The last point reads past the
# fetched data in rrdtool (undefined), so tests ignore it.
set -e
export TZ=UTC LC_ALL=C
dir=$(mktemp -d)
rrd=$dir/p.rrd
rrdtool create $rrd --start 999999960 --step 60 DS:c:GAUGE:120:U:U RRA:AVERAGE:0.5:1:100
ups=""
for k in $(seq 0 19); do ups="$ups $((1000000020 + k * 60)):$((1 << k))"; done
rrdtool update $rrd $ups
cd "$(dirname "$0")"
exprs=(
  '0,1,0,c,PREDICT' '0,1,60,c,PREDICT' '60,1,0,c,PREDICT' '120,1,60,c,PREDICT'
  '60,1,120,c,PREDICT' '180,1,0,c,PREDICT' '120,60,2,0,c,PREDICT' '60,-2,0,c,PREDICT'
  '90,1,0,c,PREDICT' '60,1,30,c,PREDICT' '120,-3,60,c,PREDICT' '0,60,c,PREDICT'
  '60,1,-120,c,PREDICT' '60,1,UNKN,c,PREDICT' '60,1,1e12,c,PREDICT' '1,1,2,3,PREDICT,c,POP'
  '-60,1,2,c,PREDICT' '60,UNKN,60,c,PREDICT'
  '60,1,60,c,PREDICTSIGMA' '60,-1,60,c,PREDICTSIGMA' '60,-4,0,c,PREDICTSIGMA' '120,-3,90,c,PREDICTSIGMA'
)
for p in 0 10 25 33 50 60 75 90 100 -1 -10 -25 -40 -50 -75 -100 101 -101; do
  exprs+=("60,-4,0,$p,c,PREDICTPERC")
done
exprs+=('60,-5,0,25,c,PREDICTPERC' '60,-5,0,-50,c,PREDICTPERC' '180,60,2,60,70,c,PREDICTPERC')
for e in "${exprs[@]}"; do
    r=$(rrdtool xport --start 999999960 --end 1000001160 --step 60 \
        DEF:c=$rrd:c:AVERAGE "CDEF:x=$e" XPORT:x 2>&1 |
        grep -E '<v>|ERROR' | sed 's/.*<v>//;s/<\/v>.*//' | tr '\n' ' ' | sed 's/ $//')
    printf '%s\t%s\n' "$e" "$r"
done > predict.txt
rm -r "$dir"
