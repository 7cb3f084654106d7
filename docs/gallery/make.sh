#!/bin/bash
# Renders the gallery: a dozen representative graphs, each with `rrd` and,
# when it is on PATH, with C rrdtool 1.7.2, into this directory, and writes
# index.md showing them side by side.
# Usage (from the repository root): docs/gallery/make.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export TZ=UTC LC_ALL=C
(cd "$root" && cargo build --release -q -p rrd-cli)
RRD=$root/target/release/rrd
work=$(mktemp -d /tmp/rrd-gallery.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

# a year of 5-minute data: traffic-like in/out with a daily and weekly
# rhythm, a load figure, and a gap of unknowns on day 300
end=1700006400
start=$((end - 366 * 86400))
"$RRD" create data.rrd --start "$start" --step 300 \
  DS:in:GAUGE:600:U:U DS:out:GAUGE:600:U:U DS:load:GAUGE:600:0:U \
  RRA:AVERAGE:0.5:1:2016 RRA:AVERAGE:0.5:12:2000 RRA:AVERAGE:0.5:288:400 \
  RRA:MAX:0.5:12:2000 RRA:MAX:0.5:288:400
awk -v s="$start" -v e="$end" 'BEGIN {
  srand(7); n = 0
  for (t = s + 300; t <= e; t += 300) {
    d = (t % 86400) / 86400; w = int(t / 86400) % 7
    day = 0.5 - 0.5 * cos(6.2832 * d); wk = (w == 2 || w == 3) ? 0.4 : 1
    in_ = 2e6 * (0.2 + day * wk) * (0.9 + 0.2 * rand()) * (1 + (t - s) / 6e7)
    out = in_ * (0.3 + 0.1 * rand())
    load = 0.2 + 3 * day * wk * rand()
    if (t > s + 300 * 86400 && t < s + 300 * 86400 + 40000) printf "%d:U:U:U\n", t
    else printf "%d:%.0f:%.0f:%.3f\n", t, in_, out, load
  }
}' > updates.txt
split -l 5000 updates.txt part.
for f in part.*; do "$RRD" update data.rrd $(cat "$f"); done

day="-s $((end - 86400)) -e $end"
declare -a names args
add() { names+=("$1"); args+=("$2"); }
add lines "$day -t Traffic~(lines) -v bits/s DEF:in=data.rrd:in:AVERAGE DEF:out=data.rrd:out:AVERAGE LINE1:in#0066cc:Incoming LINE2:out#cc3300:Outgoing"
add stacked "$day -t Stacked~areas DEF:in=data.rrd:in:AVERAGE DEF:out=data.rrd:out:AVERAGE CDEF:rest=in,out,- AREA:out#ff9900:out AREA:rest#3399ff:rest:STACK LINE1:in#000000:total"
add two-axes "$day -t Two~axes -v bits/s --right-axis 0.001:0 --right-axis-label load~x1000 DEF:in=data.rrd:in:AVERAGE DEF:l=data.rrd:load:AVERAGE CDEF:ls=l,1000000,* LINE1:in#0066cc:traffic~(left) LINE1:ls#cc3300:load~(right)"
add logarithmic "-s $((end - 7 * 86400)) -e $end -o -t Logarithmic~(-o) DEF:in=data.rrd:in:AVERAGE DEF:l=data.rrd:load:AVERAGE CDEF:lk=l,1000,* LINE1:in#0066cc:traffic LINE1:lk#009900:load~x1000"
add rules "$day -t Rules~and~ticks DEF:l=data.rrd:load:AVERAGE LINE2:l#009900:load HRULE:2#ff0000:threshold:dashes VRULE:$((end - 43200))#0000ff:noon TICK:l#ff000040:0.1:ticks"
add gradient "$day -t Gradient~area DEF:in=data.rrd:in:AVERAGE AREA:in#0066cc#99ccff20:traffic:gradheight=60"
add gaps "-s $((start + 299 * 86400)) -e $((start + 302 * 86400)) -t Unknown~data~leaves~gaps DEF:l=data.rrd:load:AVERAGE AREA:l#cc99ff:load LINE1:l#660099"
add week "-s $((end - 7 * 86400)) -e $end -t A~week DEF:in=data.rrd:in:AVERAGE DEF:mx=data.rrd:in:MAX AREA:in#99ccff:average LINE1:mx#003366:maximum"
add year "-s $start -e $end -t A~year -w 600 DEF:in=data.rrd:in:AVERAGE AREA:in#66cc66:daily~average"
add legends "$day -t Long~legends~and~alignment DEF:in=data.rrd:in:AVERAGE DEF:out=data.rrd:out:AVERAGE LINE1:in#0066cc:Incoming~traffic~on~the~uplink~port LINE1:out#cc3300:Outgoing~traffic~on~the~uplink~port\l COMMENT:left\l COMMENT:centered\c COMMENT:right\r TEXTALIGN:center LINE1:in#00aa00:alpha LINE1:out#aa00aa:beta"
add slope "$day -E -t Slope~mode~(-E) DEF:l=data.rrd:load:AVERAGE LINE2:l#cc0000:load"
add colours "$day -t Colours~(-c) -c BACK#222222 -c CANVAS#000000 -c FONT#dddddd -c GRID#444444 -c MGRID#777777 -c AXIS#aaaaaa -c ARROW#aaaaaa DEF:in=data.rrd:in:AVERAGE LINE1:in#00ff66:in"
add svg "$day -a SVG -t SVG~output DEF:in=data.rrd:in:AVERAGE DEF:out=data.rrd:out:AVERAGE AREA:in#99ccff:in LINE1:out#cc3300:out"

have_rrdtool=0
command -v rrdtool >/dev/null && have_rrdtool=1
{
  echo "# Gallery"
  echo
  echo "Made by \`docs/gallery/make.sh\` on $(date -u +%Y-%m-%d): the same command line rendered by"
  echo "\`rrd\` (left) and, where available, C rrdtool 1.7.2 (right). The data is a generated"
  echo "year of 5-minute samples (see the script)."
  echo
} > "$here/index.md"
rm -f "$here"/*.png "$here"/*.svg
for i in "${!names[@]}"; do
  name=${names[$i]}
  read -ra words <<<"${args[$i]}"
  words=("${words[@]//\~/ }")
  ext=png
  [[ " ${words[*]} " == *" -a SVG "* ]] && ext=svg
  "$RRD" graph "$here/$name.rrd.$ext" "${words[@]}" >/dev/null
  right="(rrdtool not installed)"
  if [ $have_rrdtool = 1 ]; then
    rrdtool graph "$here/$name.rrdtool.$ext" "${words[@]}" >/dev/null
    right="![rrdtool]($name.rrdtool.$ext)"
  fi
  {
    echo "## $name"
    echo
    echo "\`graph $name.$ext ${args[$i]//\~/ }\`"
    echo
    echo "| rrd | rrdtool 1.7.2 |"
    echo "|---|---|"
    echo "| ![rrd]($name.rrd.$ext) | $right |"
    echo
  } >> "$here/index.md"
done
echo "gallery written to $here"
