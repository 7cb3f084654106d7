#!/bin/bash
# Renders the gallery: a dozen representative graphs and the command lines
# of real tools (Munin, LibreNMS, Cacti, SmokePing, collectd, pnp4nagios, a
# Raspberry Pi script), each with `rrd` and, when it is on PATH, with C
# rrdtool 1.7.2, into this directory, and writes index.md showing them side
# by side, with a table of file sizes and pixel differences
# (`rrd-bench pngdiff`).
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
# in the style of real tools (fonts, colours, markup); the exact lines from
# their code are compared with rrdtool in cli/tests/it/real_tools.rs
add munin "$day --title Load~average~-~by~day --base 1000 -l 0 --vertical-label load --font DEFAULT:0:DejaVuSans,DejaVu~Sans,DejaVu~LGC~Sans,Bitstream~Vera~Sans --font LEGEND:7:DejaVuSansMono,DejaVu~Sans~Mono,DejaVu~LGC~Sans~Mono,Bitstream~Vera~Sans~Mono,monospace --color BACK#F0F0F0 --color FRAME#F0F0F0 --color CANVAS#FFFFFF --color FONT#666666 --color AXIS#CFD6F8 --color ARROW#CFD6F8 --border 0 --width 400 --height 175 --slope-mode DEF:l=data.rrd:load:AVERAGE COMMENT:~~~~~~~~~~~~~~~~~Cur\\:~~~~~Min\\:~~~~~Avg\\:~~~~~Max\\:\\j LINE1.2:l#00CC00:load~~~~~~ GPRINT:l:LAST:%6.2lf GPRINT:l:MIN:%6.2lf GPRINT:l:AVERAGE:%6.2lf GPRINT:l:MAX:%6.2lf\\j"
add librenms "$day --font LEGEND:8:DejaVuSansMono --font AXIS:7:DejaVuSansMono --font-render-mode normal -c BACK#EEEEEE00 -c SHADEA#EEEEEE00 -c SHADEB#EEEEEE00 -c FONT#000000 -c CANVAS#FFFFFF00 -c GRID#a5a5a5 -c MGRID#FF9999 -c FRAME#5e5e5e -c ARROW#5e5e5e -R normal -E --width 500 --height 150 -l 0 DEF:in=data.rrd:in:AVERAGE DEF:out=data.rrd:out:AVERAGE CDEF:inb=in,8,* CDEF:outb=out,8,* COMMENT:bps~~~~~~~~~~~~~Now~~~~~~~Avg~~~~~~~Max\\n AREA:inb#84BE84:In~~ GPRINT:inb:LAST:%6.2lf%s GPRINT:inb:AVERAGE:%6.2lf%s GPRINT:inb:MAX:%6.2lf%s\\n LINE1.25:outb#a3b9ff:Out~ GPRINT:outb:LAST:%6.2lf%s GPRINT:outb:AVERAGE:%6.2lf%s GPRINT:outb:MAX:%6.2lf%s\\n"
add cacti "$day --pango-markup --slope-mode --title <b>Localhost</b>~-~Traffic~-~eth0 --vertical-label bits~per~second --rigid --base 1000 --height 150 --width 500 --alt-autoscale-max --lower-limit 0 -c BACK#F3F3F3 -c CANVAS#FDFDFD -c SHADEA#CBCBCB -c SHADEB#999999 -c FONT#000000 -c AXIS#2C4D43 -c ARROW#2C4D43 -c FRAME#2C4D43 --border 1 --font TITLE:11: --font AXIS:8: --font LEGEND:8: --font UNIT:8: DEF:a=data.rrd:in:AVERAGE DEF:b=data.rrd:out:AVERAGE CDEF:ca=a,8,* CDEF:cb=b,8,* AREA:ca#00CF00FF:Inbound~~ GPRINT:ca:LAST:~Current\\:%8.2lf~%s GPRINT:ca:AVERAGE:Average\\:%8.2lf~%s GPRINT:ca:MAX:Maximum\\:%8.2lf~%s\\n LINE1:cb#002A97FF:Outbound~ GPRINT:cb:LAST:Current\\:%8.2lf~%s GPRINT:cb:AVERAGE:Average\\:%8.2lf~%s GPRINT:cb:MAX:Maximum\\:%8.2lf~%s\\n"
add smokeping "-s $((end - 3 * 3600)) -e $end --height 200 --width 600 --title Median~Ping~RTT --rigid --upper-limit 4 --lower-limit 0 --vertical-label Seconds -c SHADEA#ffffff -c SHADEB#ffffff -c BACK#ffffff -c CANVAS#ffffff DEF:l=data.rrd:load:AVERAGE CDEF:lo=l,0.8,* CDEF:hi=l,0.4,* AREA:lo CDEF:cp1=hi,0,GT,hi,UNKN,IF AREA:cp1#dddddd:~:STACK LINE1:l#00ff00:median~rtt GPRINT:l:AVERAGE:avg~%.1lf~ms COMMENT:\\s HRULE:0#000000"
add collectd "$day -t host/load -v System~load DEF:s_avg=data.rrd:load:AVERAGE DEF:s_max=data.rrd:load:MAX CDEF:s_min=s_avg,0.5,* AREA:s_max#B7EFB7 AREA:s_min#FFFFFF LINE1:s_avg#00E000:~1~min GPRINT:s_min:MIN:%4.2lf~Min, GPRINT:s_avg:AVERAGE:%4.2lf~Avg, GPRINT:s_max:MAX:%4.2lf~Max, GPRINT:s_avg:LAST:%4.2lf~Last\\l"
add pnp4nagios "$day --vertical-label Load -l0 --title CPU~Load~for~localhost -w 500 DEF:var1=data.rrd:load:AVERAGE AREA:var1#EACC00:load~1~ GPRINT:var1:LAST:%6.2lf~last GPRINT:var1:AVERAGE:%6.2lf~avg GPRINT:var1:MAX:%6.2lf~max\\n LINE1:var1#000000 HRULE:2#FFFF00:Warning~on~2\\n HRULE:3#FF0000:Critical~on~3\\n"
add raspberry-pi "$day -w 600 -h 200 -a PNG --slope-mode --vertical-label temperature~(°C) DEF:temp=data.rrd:load:AVERAGE CDEF:t=temp,10,*,30,+ LINE2:t#ff0000:CPU~temperature GPRINT:t:LAST:now~%.1lf~°C"

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
BENCH=$root/target/release/rrd-bench
(cd "$root" && cargo build --release -q -p rrd-benches)
declare -a table
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
    a=$(stat -c %s "$here/$name.rrd.$ext") b=$(stat -c %s "$here/$name.rrdtool.$ext")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a/b}')
    px="| (SVG) | (SVG) |"
    if [ $ext = png ]; then
      read -r _ _ differ over < <("$BENCH" pngdiff "$here/$name.rrd.png" "$here/$name.rrdtool.png")
      px="| $differ % | $over % |"
    fi
    table+=("| $name | $a | $b | $ratio $px")
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
if [ ${#table[@]} -gt 0 ]; then
  {
    echo "## Summary"
    echo
    echo "File sizes in bytes, and the share of pixels that differ between the two PNGs (at"
    echo "all, and by more than 32 levels in a channel: what the eye sees)."
    echo
    echo "| graph | rrd bytes | rrdtool bytes | rrd / rrdtool | pixels differing | by > 32 levels |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${table[@]}"
  } >> "$here/index.md"
  printf '%s\n' "${table[@]}"
fi
echo "gallery written to $here"
