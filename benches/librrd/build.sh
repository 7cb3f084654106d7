#!/usr/bin/env bash
# Builds librrd-bench (bench.c) against the installed C librrd 1.7.2.
# Usage: benches/librrd/build.sh [OUTPUT]   (default: target/release/librrd-bench)
# Needs gcc and librrd's headers: on Debian/Ubuntu `apt-get install librrd-dev`,
# which this script runs itself when it is root and the header is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/target/release/librrd-bench}

if ! echo '#include <rrd.h>' | gcc -E -x c - >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "build.sh: rrd.h not found, installing librrd-dev" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y librrd-dev >&2 ||
            { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y librrd-dev >&2; }
    else
        echo "build.sh: rrd.h not found: install librrd-dev (C rrdtool 1.7.2's headers)" >&2
        exit 1
    fi
fi

mkdir -p "$(dirname "$out")"
gcc -O2 -g -std=c11 -Wall -Wextra -o "$out" "$here/bench.c" -lrrd
echo "$out"
