#!/bin/sh
# Regenerates the xport golden data with C rrdtool 1.7.2 (see README.md).
# Run from this directory: sh make.sh
set -eu
export TZ=UTC LC_ALL=C
unset RRDCACHED_ADDRESS || true
rm -rf fixtures expected
mkdir -p fixtures expected

# a.rrd: step 300, a GAUGE and a COUNTER, archives of 1, 3 and 6 PDPs
rrdtool create fixtures/a.rrd --start 1000000000 --step 300 \
  DS:x:GAUGE:600:U:U DS:y:COUNTER:600:U:U \
  RRA:AVERAGE:0.5:1:100 RRA:MAX:0.5:3:50 RRA:MIN:0.5:3:50 \
  RRA:AVERAGE:0.5:6:50 RRA:LAST:0.5:1:100
args=""
i=1
while [ $i -le 90 ]; do
  # a gap of unknowns between 40 and 45
  if [ $i -ge 40 ] && [ $i -le 45 ]; then v=U; else v=$(( (i * 7) % 13 )); fi
  args="$args $((1000000000 + i * 300)):$v:$((i * 1000 + i * i))"
  i=$((i + 1))
done
rrdtool update fixtures/a.rrd $args

# b.rrd: step 60, one GAUGE, archives of 1 and 5 PDPs
rrdtool create fixtures/b.rrd --start 1000000000 --step 60 \
  DS:z:GAUGE:120:U:U RRA:AVERAGE:0.5:1:600 RRA:MAX:0.5:5:200 RRA:AVERAGE:0.5:5:200
args=""
i=1
while [ $i -le 500 ]; do
  args="$args $((1000000000 + i * 60)):$(( (i * i) % 97 - 20 ))"
  i=$((i + 1))
done
rrdtool update fixtures/b.rrd $args

# one command line per case; words split at blanks
n=0
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  n=$((n + 1))
  id=$(printf '%03d' $n)
  # shellcheck disable=SC2086
  (cd fixtures && set +e; rrdtool xport $line >../expected/$id.out 2>../expected/$id.err; echo $? >../expected/$id.status)
done < cases.txt
echo "recorded $n cases"
