#!/usr/bin/env bash
# The trace-log collector's throughput (issue 12's goal: >= 1,000,000 lines/s
# on one core for 200 instances): a generated day-named log of LINES lines
# from INSTANCES app-server instances (each request B I C A E, a 5xx in 40,
# restarts), then `rrd-server collect-tracelogs --once` over it, timed with
# /usr/bin/time: lines per second of wall time and of CPU time (the
# collector is one thread), and peak memory.
#
# Usage: benches/tracelog.sh        Knobs: LINES=3000000 INSTANCES=200
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
LINES=${LINES:-3000000}
INSTANCES=${INSTANCES:-200}
work=$(mktemp -d /tmp/rrd-tracelog-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "building (release)..." >&2
(cd "$root" && cargo build --release -q -p rrd-server)
mkdir -p "$work/logs" "$work/rrd"
echo "generating $LINES lines from $INSTANCES instances..." >&2
python3 - "$work/logs/2024-06-01-z4m.log" "$LINES" "$INSTANCES" <<'PY'
import random, sys, datetime
path, lines, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(1)
t0 = datetime.datetime(2024, 6, 1, 0, 0, 0)
inst = [(f"app{i % 20}.example.com", "acme", f"instance-{8000 + i // 20}") for i in range(n)]
out = open(path, "w")
us = rid = k = 0
while k < lines:
    us += random.randint(0, 2 * 86_400_000_000 * 5 // lines)
    h, c, i = inst[random.randrange(n)]
    rid += 1
    s = (t0 + datetime.timedelta(microseconds=us)).strftime("%Y-%m-%d %H:%M:%S.%f")
    if random.randrange(20000) == 0:
        out.write(f"{h} {c} {i} S 0 {s}\n")
        k += 1
        continue
    status = "500 12" if random.randrange(40) == 0 else "200 1234"
    out.write(f"{h} {c} {i} B {rid} {s} GET /x\n{h} {c} {i} I {rid} {s} 0\n{h} {c} {i} C {rid} {s}\n"
              f"{h} {c} {i} A {rid} {s} {status}\n{h} {c} {i} E {rid} {s}\n")
    k += 5
PY
: >"$work/logs/2024-06-02-z4m.log"
size=$(du -m "$work/logs/2024-06-01-z4m.log" | cut -f1)
out=$( { /usr/bin/time -f 'TIME %e %U %S %M' "$root/target/release/rrd-server" collect-tracelogs \
    --logs "$work/logs" --rrd "$work/rrd" --once --tz UTC; } 2>&1 )
sed 's/^/    /' <<<"$out" | grep -v '^    TIME' >&2
read -r _ wall user sys rss < <(grep '^TIME' <<<"$out")
lines=$(sed -n 's/.*tracelogs: \([0-9]*\) lines.*/\1/p' <<<"$out")
minutes=$(sed -n 's/.* lines, \([0-9]*\) minutes.*/\1/p' <<<"$out")
echo
echo "trace-log collector on $(nproc) cores, $(date -u +%Y-%m-%d): $lines lines (${size} MB) from $INSTANCES instances, $minutes minutes stored"
echo
echo "| measure | value | goal |"
echo "|---|---:|---|"
awk -v l="$lines" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
    printf "| lines/s, wall time (%.2f s) | %.0f | >= 1,000,000 |\n", w, l / w
    printf "| lines/s, CPU time (%.2f s user + %.2f s system, one thread) | %.0f | >= 1,000,000 on one core |\n", u, s, l / (u + s)
    printf "| peak RSS | %.1f MiB | bounded by requests in flight |\n", r / 1024
}'
