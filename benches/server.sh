#!/usr/bin/env bash
# rrd-server on loopback against the original's design, in one run on this
# machine (issue 11's goals):
#   1. ingestion over HTTP into 10,000 files (records/s; goal >= 200,000), with
#      1, 2 and 10 records per file in each request: 1, 1 and 2 million
#      records, timed until every one is in its file (the write-behind
#      queue flushes every 5 s during the run, and once more at its end);
#   2. a typical four-plot chart over the 10,000-series store, as PNG and
#      SVG, each request a chart not drawn before (every request renders),
#      then the same chart asked for again and again (the image cache),
#      against one `rrdtool graph` process per request (the original ran
#      rrdtool for every show.png), two at a time on two cores (goal >= 10x);
#   3. peak memory (VmHWM) with 100 clients at once, and what 300 get.
# The load generator is benches/src/bin/server-load.rs; it shares the
# machine's two cores with the server, as rrdtool's processes do.
#
# Usage: benches/server.sh         (needs cargo and rrdtool)
# Knobs: FILES=10000 DURATION=10 (seconds per measure) WORKDIR=/tmp/...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
FILES=${FILES:-10000}
DURATION=${DURATION:-10}
export RUST_BACKTRACE=0

command -v rrdtool >/dev/null || { echo "server.sh: rrdtool is not on PATH (apt-get install rrdtool)" >&2; exit 1; }
echo "building (release)..." >&2
(cd "$root" && cargo build --release -q -p rrd-server -p rrd-benches)
SERVER=$root/target/release/rrd-server
LOAD=$root/target/release/server-load

work=${WORKDIR:-$(mktemp -d /tmp/rrd-server-bench.XXXXXX)}
mkdir -p "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
token=bench-token-0123456789
cat >"$work/server.toml" <<CONF
listen = "$addr"
data_dir = "$work/data"
timezone = "UTC"
[ingest]
# flush cycles run during the measure, not only in the final flush
write_behind_seconds = 5
[[ingest.tokens]]
token = "$token"
source = "bench"
CONF
"$SERVER" --config "$work/server.toml" 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.1; done

last() { tail -n1 <<<"$1"; }
say() { sed '$d' <<<"$1" | sed 's/^/    /' >&2; }

# two connections, each owning half the files: a request of FILES/2*K
# records carries K records for each of its files
half=$((FILES / 2))
echo "ingestion: creating $FILES files (one point each)..." >&2
out=$("$LOAD" ingest "$addr" "$token" "$FILES" 1 "$half" 2 0); say "$out"; create=$(last "$out")
first=1
declare -A ingest
declare -A npoints=([1]=100 [2]=100 [10]=200)
for k in 1 2 10; do
    points=${npoints[$k]}
    out=$("$LOAD" ingest "$addr" "$token" "$FILES" "$points" $((half * k)) 2 "$first"); say "$out"; ingest[$k]=$(last "$out")
    first=$((first + points))
done
POINTS=$first

curl -s -c "$work/jar" -o /dev/null "http://$addr/auth/login"
cookie=$(awk '$6 == "rrd_session" {print $6 "=" $7}' "$work/jar")
t0=1700000000
t1=$((t0 + POINTS * 300))
s() { printf 'bench/host%03d.example.com/check%d/metric%d' $(($1 / 100)) $((($1 / 10) % 10)) $(($1 % 10)); }
enc() { sed 's|/|%2F|g' <<<"$1"; }
ids=(1 2345 5678 9999)
q="from=$t0&until=$t1&width=800&height=200"
for k in 0 1 2 3; do q="$q&data$k=$(enc "$(s "${ids[$k]}")")"; done
# the arguments rrd-server gives rrd-graph for that chart (graphs::build)
args=(--start "$t0" --end "$t1" --width 689 --height 200 --right-axis 1:0 --title "Four plots")
colors=(000000 0000ff ff0000 dda0dd)
for k in 0 1 2 3; do args+=("DEF:v$k=$work/data/metrics/$(s "${ids[$k]}").rrd:data:AVERAGE"); done
for k in 0 1 2 3; do args+=("LINE1:v$k#${colors[$k]}:$(s "${ids[$k]}")"); done

declare -A rate
for fmt in png svg; do
    F=$(tr a-z A-Z <<<"$fmt")
    out=$("$LOAD" get "$addr" "/metrics/bench/x/show.$fmt?$q&title=Four+plots+{n}" "$cookie" 4 "$DURATION"); say "$out"; rate[$fmt.new]=$(last "$out")
    out=$("$LOAD" get "$addr" "/metrics/bench/x/show.$fmt?$q&title=Four+plots" "$cookie" 4 "$DURATION"); say "$out"; rate[$fmt.again]=$(last "$out")
    out=$("$LOAD" procs 2 "$DURATION" -- rrdtool graph - --imgformat "$F" "${args[@]}"); say "$out"; rate[$fmt.rrdtool]=$(last "$out")
done

# peak RSS from here on only (ingestion above held its bodies)
rss0=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo 5 >/proc/$pid/clear_refs
out=$("$LOAD" get "$addr" "/metrics/bench/x/show.png?$q&title=C100+{n}" "$cookie" 100 "$DURATION"); say "$out"
hwm100=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
out=$("$LOAD" get "$addr" "/metrics/bench/x/show.png?$q&title=C300+{n}" "$cookie" 300 "$DURATION"); say "$out"
shed=$(sed -n 's/.*(\([0-9]*\) answered 503).*/\1/p' <<<"$out" | tail -n1)
hwm300=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)

x() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / b}'; }
ok() { awk -v a="$1" -v g="$2" 'BEGIN {print (a >= g) ? "yes" : "no"}'; }
echo
echo "rrd-server on $(nproc) cores, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measure | rrd-server | original's design | ratio | goal | met |"
echo "|---|---|---|---|---|---|"
echo "| ingestion into $FILES files, creating them (1 record per file per request) | $create records/s | | | | |"
for k in 1 2 10; do
    echo "| ingestion into $FILES files, $k record(s) per file per request | ${ingest[$k]} records/s | | | 200,000/s | $(ok "${ingest[$k]}" 200000) |"
done
for fmt in png svg; do
    F=$(tr a-z A-Z <<<"$fmt")
    echo "| four-plot $F chart, each request a new chart | ${rate[$fmt.new]}/s | ${rate[$fmt.rrdtool]}/s | $(x "${rate[$fmt.new]}" "${rate[$fmt.rrdtool]}") | 10x | $(ok "$(awk -v a="${rate[$fmt.new]}" -v b="${rate[$fmt.rrdtool]}" 'BEGIN{print a/b}')" 10) |"
    echo "| four-plot $F chart, the same chart again | ${rate[$fmt.again]}/s | ${rate[$fmt.rrdtool]}/s | $(x "${rate[$fmt.again]}" "${rate[$fmt.rrdtool]}") | 10x | $(ok "$(awk -v a="${rate[$fmt.again]}" -v b="${rate[$fmt.rrdtool]}" 'BEGIN{print a/b}')" 10) |"
done
echo "| peak RSS with 100 clients drawing new charts (RSS before: $((rss0 / 1024)) MiB) | $((hwm100 / 1024)) MiB | | | bounded | |"
echo "| peak RSS with 300 clients ($shed requests answered 503 at once by the bounded queue) | $((hwm300 / 1024)) MiB | | | bounded | |"
