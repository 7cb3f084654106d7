#!/usr/bin/env bash
# lockshare.sh: how long `TOOL update` holds the .rrd file's lock, and what share
# of the wall time of a back-to-back update loop the file is locked.
#
# usage: [RRD=...] [RRDTOOL=...] [N=1000] [STRACE_N=200] [PERF=1] [VALIDATE=1] \
#        lockshare.sh [RRD [RRDTOOL]]
#
# Per tool, on a fresh file each time (create f.rrd --start 1000000000 --step 1
# DS:v:GAUGE:120:U:U RRA:AVERAGE:0.5:1:3600 RRA:AVERAGE:0.5:60:1440
# RRA:MIN:0.5:60:1440 RRA:MAX:0.5:60:1440), a bash loop runs N processes
# `TOOL update f.rrd T:V` back to back, T = 1000000000+i; each process is timed
# with $EPOCHREALTIME (fork+exec+run+wait as the loop sees it).  Methods:
#   plain   no instrumentation: process times only
#   probe   lockprobe.c polls fcntl(F_GETLK) on the file from a second process
#           (~1 sample/us; it takes one of the 2 cores, under `chrt -f 1` so it
#           keeps it: the loop then has one core, hence slower processes);
#           share = held / observed time from the first hold's start to the
#           last hold's end (sampling gaps > 50 us, i.e. the probe was
#           descheduled, count as unknown); holds = free->held->free seen sharply
#   perf    kernel tracepoints (perf record) of fcntl/close in the loop's process
#           tree: hold = exit of a successful F_SETLK -> entry of close(that fd);
#           share = sum of holds / loop wall time.  Least intrusive method.
#   strace  the same from `strace -f -ttt -T` on STRACE_N updates; strace slows
#           every syscall, so this is only a cross-check of the order of magnitude.
# VALIDATE=1 first checks the probe against `lockprobe hold`, which forks
# children holding the lock for a known time.  Times in microseconds.
set -u
RRD=${RRD:-${1:-/work/main/target/release/rrd}}
RRDTOOL=${RRDTOOL:-${2:-rrdtool}}
N=${N:-1000} STRACE_N=${STRACE_N:-200} PERF=${PERF:-1} VALIDATE=${VALIDATE:-1} PROBE_RT=${PROBE_RT:-1}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) && pp= && trap '[ -n "$pp" ] && kill $pp 2>/dev/null; rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/lockprobe" "$here/lockprobe.c" || exit 1
P=$tmp/lockprobe rt=
[ "$PROBE_RT" = 1 ] && chrt -f 1 true 2>/dev/null && rt="chrt -f 1"

mkfile() { rm -f "$2"; "$1" create "$2" --start 1000000000 --step 1 DS:v:GAUGE:120:U:U \
  RRA:AVERAGE:0.5:1:3600 RRA:AVERAGE:0.5:60:1440 RRA:MIN:0.5:60:1440 RRA:MAX:0.5:60:1440; }
# loop TOOL FILE N TIMES: N updates back to back; "start end" per process into TIMES
loop() { local i a
  for ((i = 1; i <= $3; i++)); do a=$EPOCHREALTIME
    "$1" update "$2" $((1000000000 + i)):$((i % 100)) >/dev/null || echo "update $i failed" >&2
    echo "$a $EPOCHREALTIME"; done > "$4"; }
# stats: numbers (one a line) on stdin -> "n mean median p99" (nearest rank)
stats() { sort -n | awk '{v[NR]=$1; s+=$1} function r(p, i){i=int(p*NR); if (i<p*NR) i++; return v[i<1?1:i]}
  END {if (NR) printf "%d %.0f %.0f %.0f\n", NR, s/NR, r(0.5), r(0.99); else print "0 - - -"}'; }
proc_us() { awk '{printf "%.1f\n", ($2-$1)*1e6}' "$1"; }
wall_s() { awk 'NR==1{s=$1} {e=$2} END{printf "%.2f", e-s}' "$1"; }
kv() { tr ' ' '\n' | sed -n "s/^$1=//p"; }   # kv KEY < "k=v k=v" line
start_probe() { : > "$tmp/p.err"; $rt "$P" probe "$1" 2>"$tmp/p.err" >"$tmp/p.out" & pp=$!
  until grep -q ready "$tmp/p.err"; do sleep 0.01; done; kill -USR1 $pp; }
stop_probe() { kill -TERM $pp; wait $pp; pp=; }

echo "machine: $(nproc) cores, $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rrd=$RRD  rrdtool=$RRDTOOL  N=$N updates per run; the tools run one after the other, identical settings"
echo "probe scheduling: ${rt:-normal (PROBE_RT=0 or chrt unavailable)}"
echo

perf_ok=0
[ "$PERF" = 1 ] && perf record -q -o "$tmp/t.data" -e syscalls:sys_enter_fcntl true >/dev/null 2>&1 && perf_ok=1
ev=syscalls:sys_enter_fcntl,syscalls:sys_exit_fcntl,syscalls:sys_enter_close
# holds from perf script lines "PID TIME: EVENT: ARGS" (F_SETLK = 6, F_OFD_SETLK = 0x25)
perf_holds() { perf script -i "$1" -F pid,time,event,trace --ns 2>/dev/null | awk '
  {p=$1; t=$2; sub(":", "", t)}
  $3 ~ /enter_fcntl/ {fd=$5; sub(",", "", fd); c=$7; sub(",", "", c); if (c=="0x00000006" || c=="0x00000025") pend[p]=fd}
  $3 ~ /exit_fcntl/ && (p in pend) {if ($4=="0x0") {acq[p]=t; lfd[p]=pend[p]} delete pend[p]}
  $3 ~ /enter_close/ && (p in acq) && $5==lfd[p] {printf "%.1f\n", (t-acq[p])*1e6; delete acq[p]}'; }
# holds from strace -f -ttt -T lines "PID TIME fcntl(FD, F_SETLK, ...) = 0 <DUR>" / "PID TIME close(FD) = 0 <DUR>"
strace_holds() { awk '
  $3 ~ /^fcntl\(/ && $4 ~ /^F_(OFD_)?SETLK,/ && $(NF-1)=="0" {fd=$3; sub(/fcntl\(/, "", fd); sub(",", "", fd)
    d=$NF; gsub(/[<>]/, "", d); acq[$1]=$2+d; lfd[$1]=fd}
  $3 ~ /^close\(/ && ($1 in acq) {fd=$3; sub(/close\(/, "", fd); sub(/\)/, "", fd)
    if (fd==lfd[$1]) {printf "%.1f\n", ($2-acq[$1])*1e6; delete acq[$1]}}' "$1"; }
if [ "$VALIDATE" = 1 ]; then
  echo "### validation against \`lockprobe hold\` (a child per hold busy-waits a known time; one run per method)"
  echo; echo "| hold / gap us | n | method | true share | measured share | true mean / median / p99 | measured mean / median / p99 | holds measured |"
  echo "|---|---|---|---|---|---|---|---|"
  vrow() { printf '| %s / %s | %s | %s | %.1f%% | %.1f%% | %.0f / %.0f / %.0f | %.0f / %.0f / %.0f | %s |\n' "$@"; }
  tru() { for k in true_share true_mean_us true_median_us true_p99_us; do echo $h | kv $k; done; }
  for spec in "50 500 2000" "300 3000 500" "2000 2000 300"; do set -- $spec
    : > "$tmp/v.lock"; start_probe "$tmp/v.lock"; h=$("$P" hold "$tmp/v.lock" $1 $2 $3); stop_probe; o=$(cat "$tmp/p.out")
    t=($(tru)); vrow $1 $2 $3 "probe (saw $(awk "BEGIN{printf \"%.0f\", $(echo $o | kv known_share)*100}")%)" "${t[0]}e2" \
      "$(echo $o | kv share)e2" "${t[1]}" "${t[2]}" "${t[3]}" "$(echo $o | kv hold_mean_us)" "$(echo $o | kv hold_median_us)" \
      "$(echo $o | kv hold_p99_us)" "$(echo $o | kv hold_n)"
    [ $perf_ok = 1 ] || continue
    h=$(perf record -q -o "$tmp/perf.data" -e $ev -- "$P" hold "$tmp/v.lock" $1 $2 $3 2>/dev/null); t=($(tru))
    perf_holds "$tmp/perf.data" > "$tmp/holds"; m=($(stats < "$tmp/holds"))
    vrow $1 $2 $3 perf "${t[0]}e2" "$(awk -v w="$(echo $h | kv wall_ms)" '{s+=$1} END{print s/10/w}' "$tmp/holds")" \
      "${t[1]}" "${t[2]}" "${t[3]}" "${m[1]}" "${m[2]}" "${m[3]}" "${m[0]}"
  done; echo
fi

row() { # tool method times-file share holds-stats(n mean median p99)
  local s; s=$(proc_us "$3" | stats); set -- "$1" "$2" "$3" "$4" $5 $s
  printf '| %s | %s | %s | %s | %s / %s / %s | %s | %s | %s / %s / %s |\n' "$1" "$2" "$(wc -l < "$3")" \
    "$(wall_s "$3")" "${10}" "${11}" "${12}" "$4" "$5" "$6" "$7" "$8"; }

echo "### lock held during a back-to-back update loop"
echo; echo "| tool | method | updates | loop wall s | process mean / median / p99 us | lock-held share | holds measured | hold mean / median / p99 us |"
echo "|---|---|---|---|---|---|---|---|"
for T in "$RRD" "$RRDTOOL"; do name=$(basename "$T"); f=$tmp/f.rrd
  mkfile "$T" "$f"; loop "$T" "$f" "$N" "$tmp/times"
  row "$name" plain "$tmp/times" - "- - - -"
  mkfile "$T" "$f"; start_probe "$f"; loop "$T" "$f" "$N" "$tmp/times"; stop_probe; o=$(cat "$tmp/p.out")
  row "$name" "probe (saw $(awk "BEGIN{printf \"%.0f\", $(echo $o | kv known_share)*100}")%)" "$tmp/times" \
    "$(awk "BEGIN{printf \"%.1f%%\", $(echo $o | kv share)*100}")" \
    "$(echo $o | kv hold_n) $(printf '%.0f %.0f %.0f' $(echo $o | kv hold_mean_us) $(echo $o | kv hold_median_us) $(echo $o | kv hold_p99_us))"
  if [ $perf_ok = 1 ]; then mkfile "$T" "$f"
    perf record -q -o "$tmp/perf.data" -e $ev -- bash -c "$(declare -f loop); loop \"\$@\"" _ "$T" "$f" "$N" "$tmp/times" 2>/dev/null
    perf_holds "$tmp/perf.data" > "$tmp/holds"
    row "$name" perf "$tmp/times" "$(awk -v w="$(wall_s "$tmp/times")" '{s+=$1} END{printf "%.1f%%", s/1e4/w}' "$tmp/holds")" "$(stats < "$tmp/holds")"
  fi
  if [ "$STRACE_N" -gt 0 ]; then mkfile "$T" "$f"
    strace -f -ttt -T -e trace=fcntl,close -o "$tmp/strace" bash -c "$(declare -f loop); loop \"\$@\"" _ "$T" "$f" "$STRACE_N" "$tmp/times"
    strace_holds "$tmp/strace" > "$tmp/holds"
    row "$name" strace "$tmp/times" "$(awk -v w="$(wall_s "$tmp/times")" '{s+=$1} END{printf "%.1f%%", s/1e4/w}' "$tmp/holds")" "$(stats < "$tmp/holds")"
  fi
done
echo; echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
