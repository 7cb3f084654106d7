#!/usr/bin/env bash
# contention.sh: how often updates and fetches fail with "could not lock RRD"
# when writers and readers hammer one .rrd file at the same time.
#
# usage: [RRD=...] [RRDTOOL=...] [DURATION=60] [WRITERS=4] [READERS=4] [TIMEFMT=N|epoch] \
#        [PERF=0|1] contention.sh [RRD [RRDTOOL]]
#
# Per tool, on a fresh file (create --start now-10s --step 1 DS:v:GAUGE:120:U:U
# RRA:AVERAGE:0.5:1:3600 RRA:AVERAGE:0.5:60:1440 RRA:MIN:0.5:60:1440
# RRA:MAX:0.5:60:1440), WRITERS bash loops run `TOOL update FILE T:i` back to
# back and READERS loops run `TOOL fetch FILE AVERAGE -s end-1h`, all for
# DURATION seconds.  T is `N` (rrdtool reads the clock after it has the lock,
# with microseconds, so times are strictly increasing across writers) or, with
# TIMEFMT=epoch, the loop's $EPOCHREALTIME taken before the process starts (so
# two writers can race and one then fails with "illegal attempt to update").
# Every attempt's exit status is recorded and every failure's stderr line is
# classified: "could not lock RRD", or anything else (listed).  The tools run
# one after the other with identical settings.  With PERF=1 the runs are traced
# with perf (fcntl/close tracepoints of the loops' process tree; each attempt's
# pid says whether it was a writer or a reader) and a second table gives how
# long write and read locks were held: the explanation of the failure rates.
set -u
RRD=${RRD:-${1:-/work/main/target/release/rrd}}
RRDTOOL=${RRDTOOL:-${2:-rrdtool}}
DURATION=${DURATION:-60} WRITERS=${WRITERS:-4} READERS=${READERS:-4} TIMEFMT=${TIMEFMT:-N} PERF=${PERF:-0}
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
export TIMEFMT WRITERS READERS tmp

# wloop TOOL FILE DEADLINE_US LOG: updates until the deadline; "pid status" per attempt to LOG.st, stderr to LOG.err
wloop() { local i=0 t
  while (( ${EPOCHREALTIME/./} < $3 )); do i=$((i + 1)); t=N; [ "$TIMEFMT" = epoch ] && t=$EPOCHREALTIME
    "$1" update "$2" "$t:$i" >/dev/null 2>>"$4.err" & wait $!; echo $! $?; done > "$4.st"; }
rloop() { while (( ${EPOCHREALTIME/./} < $3 )); do
    "$1" fetch "$2" AVERAGE -s end-1h >/dev/null 2>>"$4.err" & wait $!; echo $! $?; done > "$4.st"; }
run_all() { local k # TOOL FILE DEADLINE_US
  for ((k = 1; k <= WRITERS; k++)); do : > "$tmp/upd.$k.err"; wloop "$1" "$2" $3 "$tmp/upd.$k" & done
  for ((k = 1; k <= READERS; k++)); do : > "$tmp/fet.$k.err"; rloop "$1" "$2" $3 "$tmp/fet.$k" & done
  wait; }
# count OP: "attempted ok lock other" over the logs $tmp/OP.*
count() { local a o l e
  a=$(cat "$tmp"/$1.*.st | wc -l); o=$(cat "$tmp"/$1.*.st | grep -c ' 0$')
  l=$(cat "$tmp"/$1.*.err | grep -c 'could not lock RRD'); e=$(cat "$tmp"/$1.*.err | grep -vc 'could not lock RRD')
  echo "$a $o $l $e"; }

# perf_holds DATA: "acquired released w|r" per lock hold; the pid's loop (upd/fet) gives w or r
ev=syscalls:sys_enter_fcntl,syscalls:sys_exit_fcntl,syscalls:sys_enter_close
perf_holds() { { cat "$tmp"/upd.*.st | sed 's/ .*/ w/'; cat "$tmp"/fet.*.st | sed 's/ .*/ r/'; echo --
  perf script -i "$1" -F pid,time,event,trace --ns 2>/dev/null; } | awk '
  $1=="--" {go=1; next} !go {kind[$1]=$2; next}
  {p=$1; t=$2; sub(":", "", t)} !(p in kind) {next}
  $3 ~ /enter_fcntl/ {fd=$5; sub(",", "", fd); c=$7; sub(",", "", c); if (c=="0x00000006" || c=="0x00000025") pend[p]=fd}
  $3 ~ /exit_fcntl/ && (p in pend) {if ($4=="0x0") {acq[p]=t; lfd[p]=pend[p]} delete pend[p]}
  $3 ~ /enter_close/ && (p in acq) && $5==lfd[p] {printf "%.6f %.6f %s\n", acq[p], t, kind[p]; delete acq[p]}'; }
stats() { sort -n | awk '{v[NR]=$1; s+=$1} function r(p, i){i=int(p*NR); if (i<p*NR) i++; return v[i<1?1:i]}
  END {if (NR) printf "%d %.0f %.0f %.0f\n", NR, s/NR, r(0.5), r(0.99); else print "0 - - -"}'; }
[ "$PERF" = 1 ] && ! perf record -q -o "$tmp/t.data" -e syscalls:sys_enter_fcntl true >/dev/null 2>&1 &&
  { echo "perf with syscall tracepoints unavailable; PERF=0" >&2; PERF=0; }

echo "machine: $(nproc) cores, $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rrd=$RRD  rrdtool=$RRDTOOL"
tf=N; [ "$TIMEFMT" = epoch ] && tf='$EPOCHREALTIME'
echo "settings (identical for both tools, run one after the other, fresh file each): $WRITERS writer loops" \
     "(update FILE $tf:i), $READERS reader loops (fetch FILE AVERAGE -s end-1h), ${DURATION}s"
echo
echo "| tool | op | attempted | succeeded | failed: could not lock RRD | failed: other | attempts/s | lock-failure % |"
echo "|---|---|---|---|---|---|---|---|"
others=
for T in "$RRD" "$RRDTOOL"; do name=$(basename "$T"); f=$tmp/c.rrd
  rm -f "$f" "$tmp"/*.st "$tmp"/*.err
  "$T" create "$f" --start $(( $(date +%s) - 10 )) --step 1 DS:v:GAUGE:120:U:U RRA:AVERAGE:0.5:1:3600 \
    RRA:AVERAGE:0.5:60:1440 RRA:MIN:0.5:60:1440 RRA:MAX:0.5:60:1440 || exit 1
  deadline=$(( ${EPOCHREALTIME/./} + DURATION * 1000000 ))
  if [ "$PERF" = 1 ]; then
    perf record -q -o "$tmp/perf.data" -e $ev -- bash -c "$(declare -f wloop rloop run_all); run_all \"\$@\"" _ "$T" "$f" $deadline 2>/dev/null
    perf_holds "$tmp/perf.data" > "$tmp/holds.$name"
  else run_all "$T" "$f" $deadline; fi
  for op in upd fet; do set -- $(count $op)
    printf '| %s | %s | %s | %s | %s | %s | %.1f | %.1f%% |\n' "$name" "$([ $op = upd ] && echo update || echo fetch)" \
      "$1" "$2" "$3" "$4" "$(echo "$1 / $DURATION" | bc -l)" "$(echo "100 * $3 / ($1 + ($1 == 0))" | bc -l)"
    [ "$4" -gt 0 ] && others+="$name $op: $(cat "$tmp"/$op.*.err | grep -v 'could not lock RRD' |
      sed -E "s#$f#FILE#; s/[0-9]{6,}(\.[0-9]+)?/<t>/g" | sort | uniq -c | sort -rn | head -5 | tr -s ' ' | tr '\n' ';')"$'\n'
  done
done
if [ "$PERF" = 1 ]; then
  echo; echo "lock holds during these runs (perf; share = time some process held such a lock / ${DURATION}s):"
  echo; echo "| tool | write lock held | read lock held (any reader) | write hold mean / median / p99 us | read hold mean / median / p99 us |"
  echo "|---|---|---|---|---|"
  for T in "$RRD" "$RRDTOOL"; do name=$(basename "$T"); h=$tmp/holds.$name
    union() { awk -v k=$1 '$3==k' "$h" | sort -n | awk -v d=$DURATION '
      $1>e {t+=e-s; s=$1; e=$2; next} $2>e {e=$2} END {printf "%.1f%%", (t+e-s)/d*100}'; }
    st() { awk -v k=$1 '$3==k {printf "%.1f\n", ($2-$1)*1e6}' "$h" | stats; }
    w=($(st w)) r=($(st r))
    echo "| $name | $(union w) | $(union r) | ${w[1]} / ${w[2]} / ${w[3]} | ${r[1]} / ${r[2]} / ${r[3]} |"
  done
fi
echo
[ -n "$others" ] && { echo "other failure messages (count, times replaced by <t>):"; echo "$others"; }
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
