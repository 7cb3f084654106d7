#!/usr/bin/env bash
# The Kinesis collector's throughput (issue 12): RECORDS CIMAA metric records
# for FILES series (RECORDS/FILES each, five minutes apart) in a kinesalite
# stream of SHARDS shards, read by `rrd-server collect-kinesis --once` (every
# shard until caught up, every file written), timed with /usr/bin/time.
# First one record per series (which makes the files: the original's
# definition, 100 KiB each, fsynced before it is named), then the rest into
# the existing files: records/s of wall time, CPU per record, peak memory.
# Kinesalite runs on the same two cores and serves the reads, so its cost is
# part of the figures.
#
# Beside it, in the same run, the original's write path: one librrd
# rrd_update_r call per record on FILES files (librrd-bench collectd, which
# is that and nothing more; the original also read each file's last update
# first, and parsed JSON in Python).
#
# Usage: benches/kinesis.sh   Knobs: RECORDS=200000 FILES=10000 SHARDS=4
# Needs node/npm (npm ci --prefix server/tests/kinesis), rrdtool's librrd-dev.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RECORDS=${RECORDS:-200000}
FILES=${FILES:-10000}
SHARDS=${SHARDS:-4}
work=$(mktemp -d /tmp/rrd-kinesis-bench.XXXXXX)
kpid=
trap '[ -n "$kpid" ] && kill $kpid 2>/dev/null; rm -rf "$work"' EXIT
echo "building (release)..." >&2
(cd "$root" && cargo build --release -q -p rrd-server)
"$here/librrd/build.sh" "$root/target/release/librrd-bench" >/dev/null
[ -x "$root/server/tests/kinesis/node_modules/.bin/kinesalite" ] ||
    npm ci --prefix "$root/server/tests/kinesis" --no-audit --no-fund >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
node "$root/server/tests/kinesis/node_modules/kinesalite/cli.js" --port "$port" \
    --createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 >/dev/null 2>&1 &
kpid=$!
echo "putting $RECORDS records for $FILES series into $SHARDS shards..." >&2
cat >"$work/put.py" <<'PY'
import base64, json, socket, sys, time, urllib.request
port, records, files, shards, k0, k1 = map(int, sys.argv[1:7])
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", port)).close(); break
    except OSError:
        time.sleep(0.05)
def call(op, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Kinesis_20131202.{op}",
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0"})
    r = urllib.request.urlopen(req).read()
    return json.loads(r) if r else {}
if k0 == 0:
    call("CreateStream", {"StreamName": "bench", "ShardCount": shards})
per = records // files
t0 = 1748736000
batch = []
def flush():
    r = call("PutRecords", {"StreamName": "bench", "Records": batch})
    assert r["FailedRecordCount"] == 0, r
    batch.clear()
for k in range(k0, min(k1, per)):
    for f in range(files):
        name = f"//host{f % 100}.example.com/check{f // 100}.cfg/section#metric"
        rec = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + 300 * k + f % 300)) + ".820000",
               "name": name, "value": (k * 7 + f) % 1000 / 4, "units": ""}
        batch.append({"PartitionKey": name, "Data": base64.b64encode(json.dumps(rec).encode()).decode()})
        if len(batch) == 500:
            flush()
if batch:
    flush()
PY
put() { python3 "$work/put.py" "$port" "$RECORDS" "$FILES" "$SHARDS" "$1" "$2"; }
collect() {
    { AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench /usr/bin/time -f 'TIME %e %U %S %M' \
        "$root/target/release/rrd-server" collect-kinesis --stream bench --rrd "$work/rrd" --once \
        --endpoint "http://127.0.0.1:$port" --read-interval-ms 0; } 2>&1
}
# first sight: one record per series makes its file (the original's
# definition, 100 KiB, made durable before it is named)
put 0 1
first=$(collect)
sed 's/^/    /' <<<"$first" | grep -v '^    TIME' >&2
read -r _ cwall _ _ _ < <(grep '^TIME' <<<"$first")
echo "putting the other $((RECORDS - FILES)) records..." >&2
put 1 $((RECORDS / FILES))
out=$(collect)
sed 's/^/    /' <<<"$out" | grep -v '^    TIME' >&2
read -r _ wall user sys rss < <(grep '^TIME' <<<"$out")
read_n=$(sed -n 's/.*: \([0-9]*\) record(s) read.*/\1/p' <<<"$out")
written=$(sed -n 's/.* read, \([0-9]*\) written.*/\1/p' <<<"$out")
nfiles=$(find "$work/rrd/cimaa" -name '*.rrd' | wc -l)
n=$((RECORDS - FILES))
[ "$read_n" = "$n" ] && [ "$written" = "$n" ] && [ "$nfiles" = "$FILES" ] ||
    { echo "kinesis.sh: read $read_n, wrote $written into $nfiles files; expected $n into $FILES" >&2; exit 1; }
ref=$("$root/target/release/librrd-bench" collectd --files "$FILES" --rounds $((RECORDS / FILES - 1)) "$work/librrd" | tail -n 1)
echo
echo "Kinesis collector on $(nproc) cores, $(date -u +%Y-%m-%d): $RECORDS records, $FILES files, $SHARDS shards (kinesalite on the same cores)"
echo
echo "| measure | value |"
echo "|---|---:|"
awk -v n="$n" -v f="$FILES" -v cw="$cwall" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v ref="$ref" 'BEGIN {
    printf "| first sight: %d records making %d files, wall time | %.2f s |\n", f, f, cw
    printf "| records/s from kinesalite into existing files, wall time (%d in %.2f s) | %.0f |\n", n, w, n / w
    printf "| collector CPU (%.2f s user + %.2f s system) per record | %.1f us |\n", u, s, (u + s) * 1e6 / n
    printf "| records per collector CPU second (kinesalite, one node process, bounds the wall figure) | %.0f |\n", n / (u + s)
    printf "| peak RSS | %.1f MiB |\n", r / 1024
    printf "| the original write path: one librrd rrd_update_r per record, updates/s | %.0f |\n", ref
    printf "| ours against it: wall; per CPU second | %.1fx; %.1fx |\n", (n / w) / ref, (n / (u + s)) / ref
}'
