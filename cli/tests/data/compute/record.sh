#!/bin/sh
# Records expected/NAME.out for every scenario of scenarios.txt with C
# rrdtool 1.7.2 (run from this directory: sh record.sh). The format is what
# cli/tests/it/compute.rs rebuilds from `rrd`: for each command
# "$ CMD", its stdout with `cur_row = N` masked to `cur_row = X`,
# "-- stderr", its stderr, "-- status N".
set -eu
here=$(pwd)
export TZ=UTC LC_ALL=C
unset LANG RRDCACHED_ADDRESS || true
rrdtool --version | head -1 | grep -q '^RRDtool 1\.7\.2 ' || { echo "need rrdtool 1.7.2" >&2; exit 1; }
mkdir -p expected
grep -v '^#' scenarios.txt | grep -v '^ *$' | while IFS='|' read -r name cmds; do
    name=${name#!}
    work=$(mktemp -d)
    out="$here/expected/$name.out"
    : > "$out"
    printf '%s\n' "$cmds" | sed 's/ ;; /\n/g' | while IFS= read -r cmd; do
        set +e
        # shellcheck disable=SC2086
        (cd "$work" && rrdtool $cmd > "$work/.o" 2> "$work/.e" < /dev/null)
        status=$?
        set -e
        {
            printf '$ %s\n' "$cmd"
            sed 's/cur_row = [0-9]*/cur_row = X/' "$work/.o"
            printf -- '-- stderr\n'
            cat "$work/.e"
            printf -- '-- status %d\n' "$status"
        } >> "$out"
    done
    rm -rf "$work"
done
