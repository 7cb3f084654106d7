#!/bin/bash
# Regenerates the graph golden data with C rrdtool 1.7.2 (see README.md).
# Run from this directory: bash make.sh
set -eu
export TZ=UTC LC_ALL=C
unset RRDCACHED_ADDRESS || true
rm -rf fixtures expected
mkdir -p fixtures expected

# a.rrd: step 300, two GAUGEs following slow waves (values 10..90 and 10..50)
rrdtool create fixtures/a.rrd --start 1599999000 --step 300 \
  DS:x:GAUGE:600:U:U DS:y:GAUGE:600:U:U RRA:AVERAGE:0.5:1:400 RRA:MAX:0.5:12:100
args=$(awk 'BEGIN { for (i = 1; i < 300; i++) {
  if (i >= 120 && i < 130) y = "U"; else y = sprintf("%.4f", 30 + 20 * cos(i / 13));
  printf "%d:%.4f:%s ", 1599999000 + i * 300, 50 + 40 * sin(i / 20), y } }')
# shellcheck disable=SC2086
rrdtool update fixtures/a.rrd $args

# one graphv command line per case (words split at blanks; `~` stands for a
# blank inside a word); the image goes to /dev/null, or to standard output
# when the first word is `-`
n=0
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  n=$((n + 1))
  id=$(printf '%03d' $n)
  read -ra words <<<"$line"
  words=("${words[@]//\~/ }")
  # a first word `-` sends the image (or document) to standard output
  file=/dev/null
  if [ "${words[0]}" = "-" ]; then file=-; words=("${words[@]:1}"); fi
  (cd fixtures && set +e
   rrdtool graphv "$file" "${words[@]}" >../expected/$id.out 2>../expected/$id.err
   echo $? >../expected/$id.status)
done < cases.txt
echo "recorded $n cases"
