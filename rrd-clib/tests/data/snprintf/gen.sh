#!/bin/sh
# Regenerate the rrd_snprintf oracle data.  See README.md.
#   ./gen.sh            -> golden.tsv (committed, compared by the unit test)
#   ./gen.sh full FILE  -> the large local comparison set (not committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lib=${LIBRRD:-/usr/lib/x86_64-linux-gnu/librrd.so.8}
nm -D "$lib" | grep -q ' T rrd_snprintf$' || { echo "rrd_snprintf not exported by $lib" >&2; exit 1; }
bin=$(mktemp /tmp/rrd-snprintf-harness.XXXXXX)
trap 'rm -f "$bin"' EXIT
gcc -O2 -std=gnu99 -Wall -o "$bin" "$here/harness.c" "$lib" -lm
if [ "${1:-}" = full ]; then
    "$bin" full > "${2:-/tmp/rrd-snprintf-full.tsv}"
else
    "$bin" golden > "$here/golden.tsv"
fi
