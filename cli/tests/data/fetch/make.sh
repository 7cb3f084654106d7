#!/usr/bin/env bash
# Regenerates the golden data of the `fetch` tests with C rrdtool 1.7.2:
#   fixtures/*.rrd   files made by `rrdtool create` + `rrdtool update` (and two
#                    broken ones), which every replay starts from
#   transcript.txt   each `rrdtool fetch` run on them, with what it printed
# The transcript format is that of ../golden (see README.md). Run from anywhere:
#   cli/tests/data/fetch/make.sh
# It needs rrdtool 1.7.2 on PATH (or RRDTOOL=/path/to/rrdtool).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
RRDTOOL=${RRDTOOL:-rrdtool}
version=$("$RRDTOOL" --version)
case ${version%%$'\n'*} in
"RRDtool 1.7.2 "*) ;;
*) echo "make.sh: need rrdtool 1.7.2, found: ${version%%$'\n'*}" >&2; exit 1 ;;
esac

work=$(mktemp -d)
io=$(mktemp -d)
trap 'rm -rf "$work" "$io"' EXIT
cd "$work"
export TZ=UTC LC_ALL=C
unset LANG RRDCACHED_ADDRESS

rrd() { "$RRDTOOL" "$@"; }

# ---------------------------------------------------------------- fixtures
# Fixed start and update times, values from shell arithmetic: only rrdtool's
# random choice of each archive's cur_row differs between two runs, and
# fetch does not show it.

# step 300 s, three data sources, archives of every plain function with
# several step multiples; 120 updates (10 h) so that the short archives
# wrap; every 13th update unknown, a gap of 40 min after the 60th
rrd create mixed.rrd --start 999990000 --step 300 \
    DS:temp:GAUGE:600:-50:50 DS:octets:COUNTER:600:0:U DS:delta:DERIVE:600:U:U \
    RRA:AVERAGE:0.5:1:24 RRA:AVERAGE:0.5:6:10 RRA:AVERAGE:0.5:12:20 \
    RRA:MIN:0.5:3:12 RRA:MAX:0.5:3:12 RRA:MAX:0.5:12:4 RRA:LAST:0.5:1:6
args=()
t=999990000
for i in $(seq 1 120); do
    t=$((t + 300))
    if [ "$i" -gt 60 ] && [ "$i" -le 68 ]; then continue; fi
    if [ $((i % 13)) -eq 0 ]; then
        args+=("$t:U:U:U")
    else
        args+=("$t:$(((i * 37) % 90 - 45)).$((i % 10)):$((i * i * 1000 + i * 77)):$(((i * 53) % 200 - 100))")
    fi
done
rrd update mixed.rrd "${args[@]}"

# a day at one minute: 1440 rows of AVERAGE, hourly MIN/MAX, 1500 updates
rrd create day.rrd --start 1100000000 --step 60 DS:load:GAUGE:120:0:U \
    RRA:AVERAGE:0.5:1:1440 RRA:MIN:0.5:60:48 RRA:MAX:0.5:60:48
args=()
t=1100000000
for i in $(seq 1 1500); do
    t=$((t + 60))
    args+=("$t:$(((i * 7919) % 1000)).$((i % 100))")
done
rrd update day.rrd "${args[@]}"

# Holt-Winters: the implicit family of HWPREDICT (SEASONAL, DEVSEASONAL,
# DEVPREDICT, FAILURES), fetched by their own functions
rrd create hw.rrd --start 1200000000 --step 60 DS:in:GAUGE:120:0:U \
    RRA:AVERAGE:0.5:1:20 RRA:HWPREDICT:24:0.1:0.01:6
args=()
t=1200000000
for i in $(seq 1 30); do
    t=$((t + 60))
    args+=("$t:$((20 + (i % 6) * 8 + i % 5))")
done
rrd update hw.rrd "${args[@]}"

# numbers whose %0.10e spelling is worth a look: huge, tiny, negative,
# zero, negative zero, ties; one archive of 1 PDP that only MAX has
rrd create numbers.rrd --start 1000000000 --step 10 DS:x:GAUGE:20:U:U DS:y:GAUGE:20:U:U \
    RRA:MAX:0:1:16
rrd update numbers.rrd 1000000010:1e300:-1e-300 1000000020:0:-0 1000000030:1.00000000005:9.99999999995 \
    1000000040:-123456.789:5e-324 1000000050:1.7976931348623157e308:2.2250738585072014e-308 \
    1000000060:0.1:-2.5e-11 1000000070:U:3 1000000080:42:U

# ties: AVERAGE archives of 1 and 3 PDPs spanning the same hour (12 rows of
# 300 s, 4 of 900 s), in both orders; the last update is a multiple of 900 s,
# so both reach back to the same time
for order in 1-3 3-1; do
    case $order in
    1-3) rras="RRA:AVERAGE:0.5:1:12 RRA:AVERAGE:0.5:3:4" ;;
    *) rras="RRA:AVERAGE:0.5:3:4 RRA:AVERAGE:0.5:1:12" ;;
    esac
    # shellcheck disable=SC2086
    rrd create ties-$order.rrd --start 1000000800 --step 300 DS:x:GAUGE:600:U:U $rras
    args=()
    for i in $(seq 1 21); do args+=("$((1000000800 + i * 300)):$i"); done
    rrd update ties-$order.rrd "${args[@]}"
done

# never updated; its start is not a multiple of the step
rrd create fresh.rrd --start 1000000123 DS:a:GAUGE:600:U:U RRA:AVERAGE:0.5:1:5 RRA:LAST:0.5:4:5

# broken files
printf 'hello\n' >hello.rrd
head -c 600 fresh.rrd >trunc.rrd

rm -rf "$here/fixtures"
mkdir "$here/fixtures"
cp ./*.rrd "$here/fixtures/"

# ---------------------------------------------------------------- transcript
out=$here/transcript.txt
: >"$out"
n=0

# run TITLE [--tz TZ] -- ARG...
# Runs `rrdtool ARG...` in the work directory with TZ (default UTC) and
# appends the case to the transcript.
run() {
    local title=$1 tz=UTC
    shift
    while [ "$1" != -- ]; do
        case $1 in
        --tz) tz=$2; shift 2 ;;
        *) echo "run: bad option $1" >&2; exit 1 ;;
        esac
    done
    shift
    n=$((n + 1))
    local st=0
    TZ=$tz "$RRDTOOL" "$@" >"$io/out" 2>"$io/err" || st=$?
    {
        printf '#### case %d: %s\n' "$n" "$title"
        printf '#### tz %s\n' "$tz"
        local a
        for a in "$@"; do printf '#### arg %s\n' "$a"; done
        printf '#### status %d\n' "$st"
        printf '#### stdout %d\n' "$(wc -c <"$io/out" | tr -d ' ')"
        cat "$io/out"
        printf '#### stderr %d\n' "$(wc -c <"$io/err" | tr -d ' ')"
        cat "$io/err"
        printf '#### end\n'
    } >>"$out"
}

# mkdir NAME: a directory the replay creates too (git keeps no empty directories)
mkdir_() {
    mkdir "$1"
    printf '#### mkdir %s\n' "$1" >>"$out"
}

# mixed.rrd: last update 1000026000; the archives reach back to
#   AVERAGE 1×: 1000018800 (24 rows)  AVERAGE 6×: 1000008000   AVERAGE 12×: 999954000
#   MIN/MAX 3×: 1000015200            MAX 12×: 1000011600      LAST 1×: 1000024200
m=mixed.rrd
for cf in AVERAGE MIN MAX LAST; do
    run "$cf: the last 2 h" -- fetch $m $cf -s 1000018800 -e 1000026000
    run "$cf: the last 10 h, resolution 1" -- fetch $m $cf -s 999990000 -e 1000026000
    run "$cf: the last 10 h, resolution 30 min" -- fetch $m $cf -s 999990000 -e 1000026000 -r 1800
    run "$cf: resolution 1 h, unaligned" -- fetch $m $cf -s 1000000123 -e 1000020456 -r 1h
    run "$cf: resolution 15 min" -- fetch $m $cf -s 1000020000 -e 1000026000 -r 900
    run "$cf: before the data" -- fetch $m $cf -s 999000000 -e 999003000
    run "$cf: after the data" -- fetch $m $cf -s 1000090000 -e 1000093000 -r 300
    run "$cf: across the end" -- fetch $m $cf -s 1000024000 -e 1000030000
done
run "unaligned start and end" -- fetch $m AVERAGE -s 1000020001 -e 1000021199
run "aligned end gains a step" -- fetch $m AVERAGE -s 1000020000 -e 1000021200
run "start = end" -- fetch $m AVERAGE -s 1000020000 -e 1000020000
run "start = end, unaligned" -- fetch $m AVERAGE -s 1000020050 -e 1000020050
run "--align-start, resolution 1 (no effect)" -- fetch $m AVERAGE -a -s 1000020100 -e 1000021000
run "--align-start, resolution 1 h" -- fetch $m AVERAGE --align-start -r 3600 -s 1000020100 -e 1000025000
run "--align-start, resolution 7 min" -- fetch $m MAX -a -r 7m -s 1000020100 -e 1000025000
run "-ar clustered" -- fetch $m MIN -ar900 -s 1000019999 -e 1000025000
run "long options with =" -- fetch $m AVERAGE --resolution=1800 --start=1000010000 --end=1000026000
run "options before the file" -- fetch -s 1000020000 -e 1000022000 $m LAST
run "options between file and CF" -- fetch $m -r 600 AVERAGE -s 1000020000 -e 1000022000
run "extra arguments are ignored" -- fetch $m AVERAGE extra more -s 1000020000 -e 1000021000
run "-- ends the options" -- fetch -s 1000020000 -e 1000021000 -- $m AVERAGE
run "end relative to start" -- fetch $m AVERAGE -s 1000000000 -e start+3h
run "start relative to end" -- fetch $m MAX -e 1000026000 -s end-4h
run "resolution 1 d" -- fetch $m AVERAGE -r 1d -s 1000000000 -e 1000026000
run "resolution 1 y" -- fetch $m MAX -r 1y -s 1000000000 -e 1000026000
run "resolution beyond a long (strtoul saturates)" -- fetch $m AVERAGE -r 99999999999999999999 -s 1000000000 -e 1000026000
run "resolution beyond a long with --align-start (start goes to 0)" -- fetch $m AVERAGE -a -r 99999999999999999999 -s 1000000000 -e 1000000600
run "--align-start moves the start before 1980" -- fetch $m AVERAGE -a -r 1000000 -s 315360001 -e 315360500
run "HWPREDICT absent" -- fetch $m HWPREDICT -s 1000020000 -e 1000021000
run "FAILURES absent" -- fetch $m FAILURES -s 1000020000 -e 1000021000

# local times
run "at-style times in Europe/Zurich" --tz Europe/Zurich -- fetch $m AVERAGE -s 20010909 -e start+4h
run "at-style times in UTC" -- fetch $m AVERAGE -s 20010909 -e start+4h
run "noon with a date, Europe/Zurich" --tz Europe/Zurich -- fetch $m MAX -s 'noon 09/08/2001' -e 'midnight 09/10/2001' -r 1h
run "HH:MM with a date, POSIX TZ" --tz 'CET-1CEST,M3.5.0,M10.5.0/3' -- fetch $m MIN -s '01:30 09.09.2001' -e 'start+5h'

# day.rrd: a day at one minute, and hourly MIN/MAX
run "a day at one minute" -- fetch day.rrd AVERAGE -s end-1d -e 1100090000
run "a day, hourly" -- fetch day.rrd MAX -s end-1d -e 1100090000 -r 1h
run "MIN over two days" -- fetch day.rrd MIN -s 1100000000 -e 1100172800 -r 3600
run "AVERAGE over two days: partial cover" -- fetch day.rrd AVERAGE -s 1100000000 -e 1100172800
run "LAST from the 1-PDP AVERAGE" -- fetch day.rrd LAST -s 1100085000 -e 1100086000

# hw.rrd: the Holt-Winters functions
for cf in AVERAGE HWPREDICT SEASONAL DEVSEASONAL DEVPREDICT FAILURES MHWPREDICT MIN; do
    run "hw $cf" -- fetch hw.rrd $cf -s 1200000000 -e 1200001800
done

# ties-*.rrd: last update 1000007100, both archives reach back to 1000003500
for f in ties-1-3 ties-3-1; do
    run "$f: both cover, steps 300 and 900 tie for 600" -- fetch $f.rrd AVERAGE -s 1000005000 -e 1000006000 -r 600
    run "$f: neither covers, same cover, steps tie for 600" -- fetch $f.rrd AVERAGE -s 1000000000 -e 1000006000 -r 600
    run "$f: neither covers, 300 nearer" -- fetch $f.rrd AVERAGE -s 1000000000 -e 1000006000 -r 500
    run "$f: neither covers, 900 nearer" -- fetch $f.rrd AVERAGE -s 1000000000 -e 1000006000 -r 700
    run "$f: MAX only from the 1-PDP archive" -- fetch $f.rrd MAX -s 1000000000 -e 1000006000 -r 900
done

# numbers.rrd: the spelling of numbers
run "numbers" -- fetch numbers.rrd MAX -s 1000000000 -e 1000000090
run "numbers via AVERAGE" -- fetch numbers.rrd AVERAGE -s 1000000000 -e 1000000090
run "numbers, resolution 1 s" -- fetch numbers.rrd LAST -r 1 -s 1000000000 -e 1000000090

# fresh.rrd: never updated
run "fresh AVERAGE" -- fetch fresh.rrd AVERAGE -s 999998000 -e 1000001000
run "fresh LAST coarse" -- fetch fresh.rrd LAST -s 999990000 -e 1000001000 -r 1200

# errors
mkdir_ adir
run "unknown CF" -- fetch $m FOO -s 1000020000 -e 1000021000
run "lowercase CF" -- fetch $m average -s 1000020000 -e 1000021000
run "unknown CF on a missing file" -- fetch missing.rrd FOO -s 1000020000 -e 1000021000
run "missing file" -- fetch missing.rrd AVERAGE -s 1000020000 -e 1000021000
run "a directory" -- fetch adir AVERAGE -s 1000020000 -e 1000021000
run "not an RRD" -- fetch hello.rrd AVERAGE -s 1000020000 -e 1000021000
run "truncated" -- fetch trunc.rrd AVERAGE -s 1000020000 -e 1000021000
run "no CF" -- fetch $m
run "no CF, with times" -- fetch $m -s 1000020000 -e 1000021000
run "start after end" -- fetch $m AVERAGE -s 1000021000 -e 1000020000
run "start after end after --align-start" -- fetch $m AVERAGE -a -r 300 -s 1000000250 -e 1000000100
run "start before 1980" -- fetch $m AVERAGE -s 19790101 -e 1000000000
run "start read as a month" -- fetch $m AVERAGE -s 1000 -e 1000000000
run "unparsable start" -- fetch $m AVERAGE -s garbage
run "unparsable end" -- fetch $m AVERAGE -e garbage -s 1000000000
run "start relative to itself" -- fetch $m AVERAGE -s start-1h
run "end relative to itself" -- fetch $m AVERAGE -e end-1h
run "both relative to each other" -- fetch $m AVERAGE -s end-1h -e start+1h
run "zero resolution" -- fetch $m AVERAGE -r 0
run "negative resolution" -- fetch $m AVERAGE -r -300
run "resolution with garbage" -- fetch $m AVERAGE -r 5x
run "resolution that is not a number" -- fetch $m AVERAGE -r abc
run "invalid option" -- fetch $m AVERAGE -x
run "invalid long option" -- fetch $m AVERAGE --bogus
run "missing option argument" -- fetch $m AVERAGE -s
run "missing long option argument" -- fetch $m AVERAGE --end
run "--align-start with an argument" -- fetch $m AVERAGE --align-start=1
run "bad time before an invalid option" -- fetch $m AVERAGE -s garbage -x
run "invalid option before a bad time" -- fetch $m AVERAGE -x -s garbage
run "bad resolution before a bad time" -- fetch $m AVERAGE -r 0 -s garbage
run "bad time before a bad resolution" -- fetch $m AVERAGE -s garbage -r 0
run "time errors before the argument count" -- fetch $m -s garbage
run "start before 1980 before the CF" -- fetch $m FOO -s 19790101 -e 1000000000
