#!/usr/bin/env bash
# Regenerates the golden data of the rrd-cli tests with C rrdtool 1.7.2:
#   fixtures/*.rrd   files made by `rrdtool create` + `rrdtool update` (and a few
#                    deliberately broken ones), the starting state of every replay
#   transcript.txt   each command run on them, in order, with what rrdtool printed
# See README.md for the transcript format. Run from anywhere:
#   cli/tests/data/golden/make.sh
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
export TZ=UTC

rrd() { "$RRDTOOL" "$@"; }

# ---------------------------------------------------------------- fixtures
# Every fixture has fixed start and update times, so only rrdtool's random
# choice of each archive's cur_row differs between two runs of this script.

# version 0003: the four integer kinds, the four plain consolidation functions
rrd create all-kinds.rrd --start 1000000000 --step 300 \
    DS:gauge:GAUGE:600:-100:100 DS:counter:COUNTER:600:0:U \
    DS:derive:DERIVE:600:U:U DS:absolute:ABSOLUTE:600:0:1e6 \
    RRA:AVERAGE:0.5:1:12 RRA:MIN:0.25:3:8 RRA:MAX:0:6:4 RRA:LAST:0.999:1:5
args=()
t=1000000000
for i in $(seq 1 40); do
    t=$((t + 240 + (i * 37) % 120))
    if [ $((i % 11)) -eq 0 ]; then
        args+=("$t:U:U:U:U")
    else
        args+=("$t:$(((i * 17) % 150 - 60)):$((1000 + i * i * 13)):$((i * 7 - 100)):$((i * 31 % 500))")
    fi
done
rrd update all-kinds.rrd "${args[@]}"

# version 0005: DCOUNTER and DDERIVE, fractional update times
rrd create doubles.rrd --start 1100000000 --step 60 \
    DS:dc:DCOUNTER:120:U:U DS:dd:DDERIVE:120:-1e3:1e3 DS:g:GAUGE:120:U:U \
    RRA:AVERAGE:0.5:1:10 RRA:MAX:0.5:5:6 RRA:LAST:0:2:5
args=()
t=1100000000
for i in $(seq 1 30); do
    t=$((t + 50 + (i * 13) % 30))
    args+=("$t.$((i * 7 % 10))5:$((i * i)).5:$((i % 7 - 3)).25e1:$((i * 3)).125")
done
rrd update doubles.rrd "${args[@]}"

# version 0003: COMPUTE data sources and the implicit Holt-Winters family
rrd create hw.rrd --start 1200000000 --step 60 \
    DS:in:GAUGE:120:0:U DS:twice:COMPUTE:in,2,* DS:clip:COMPUTE:in,10,50,LIMIT,UN,0,1,IF \
    RRA:AVERAGE:0.5:1:20 RRA:HWPREDICT:24:0.1:0.01:6
args=()
t=1200000000
for i in $(seq 1 30); do
    t=$((t + 60))
    args+=("$t:$((20 + (i % 6) * 8 + i % 5))")
done
rrd update hw.rrd "${args[@]}"

# version 0004: MHWPREDICT, the Holt-Winters family given one by one with
# 1-based dependency indices, smoothing windows
rrd create mhw.rrd --start 1300000000 --step 300 DS:octets:COUNTER:600:0:U \
    RRA:AVERAGE:0.5:1:12 RRA:DEVSEASONAL:4:0.1:3:smoothing-window=0.25 \
    RRA:MHWPREDICT:12:0.2:0.0035:4:5 RRA:DEVPREDICT:12:2 \
    RRA:SEASONAL:4:0.2:3:smoothing-window=0.5 RRA:FAILURES:8:3:5:2
args=()
t=1300000000
v=5000
for i in $(seq 1 24); do
    t=$((t + 300))
    v=$((v + 3000 + (i % 4) * 1500))
    args+=("$t:$v")
done
rrd update mhw.rrd "${args[@]}"

# a new file, never updated; its start is not a multiple of the step
rrd create fresh.rrd --start 1000000123 DS:a:GAUGE:600:U:U RRA:AVERAGE:0.5:1:5

# numbers that rrdtool's dump formats with its own snprintf (rrd_snprintf:
# no sign on -0, ties rounded up) while info uses the C library's printf;
# written into the dump of a new file, restored by the transcript
rrd create numbers-base.rrd --start 1000000000 DS:x:GAUGE:600:U:U RRA:LAST:0:1:16
rrd dump numbers-base.rrd | awk '
    BEGIN {
        n = split("-0.0 209572.015625 170023.828125 167503724505 -0.539541253125 " \
            "1.00000000005 9.99999999995 9.999999999949999 5e-324 " \
            "2.2250738585072014e-308 1.7976931348623157e308 -1.5 " \
            "123456789012345678 0.1 3.00000000005 -2.5e-11", v, " ")
    }
    /<min>NaN<\/min>/ { sub(/NaN/, "-0.0") }
    /<value>NaN<\/value>/ { sub(/NaN/, "-0.0") }
    /<v>NaN<\/v>/ && k < n { sub(/NaN/, v[++k]) }
    { print }' >numbers.xml
rm numbers-base.rrd

# broken files
: >empty.rrd
printf 'hello\n' >hello.rrd
head -c 200 /dev/zero >zeros.rrd
head -c 16 fresh.rrd >trunc-16.rrd
head -c 400 fresh.rrd >trunc-400.rrd
head -c 583 fresh.rrd >trunc-header.rrd   # fresh.rrd's header is 584 bytes
head -c 616 fresh.rrd >trunc-data.rrd     # and the whole file 624
cp fresh.rrd bad-version.rrd
printf '0009' | dd of=bad-version.rrd bs=1 seek=4 conv=notrunc 2>/dev/null
cp fresh.rrd bad-cookie.rrd
printf 'xxxxxxxx' | dd of=bad-cookie.rrd bs=1 seek=16 conv=notrunc 2>/dev/null
cp fresh.rrd bad-magic.rrd
printf 'XRD' | dd of=bad-magic.rrd bs=1 seek=0 conv=notrunc 2>/dev/null

rm -rf "$here/fixtures"
mkdir "$here/fixtures"
cp ./*.rrd numbers.xml "$here/fixtures/"

# ---------------------------------------------------------------- transcript
out=$here/transcript.txt
: >"$out"
n=0

# run TITLE [--tz TZ] [--mask] [--file NAME] -- ARG...
# Runs `rrdtool ARG...` in the work directory with TZ (default UTC) and
# appends the case to the transcript: --mask says that `rra[i].cur_row`
# lines are to be ignored (rrdtool picked them at random for a file made
# during the transcript); --file NAME also records the file NAME after the run.
run() {
    local title=$1 tz=UTC mask='' file=''
    shift
    while [ "$1" != -- ]; do
        case $1 in
        --tz) tz=$2; shift 2 ;;
        --mask) mask=1; shift ;;
        --file) file=$2; shift 2 ;;
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
        if [ -n "$mask" ]; then printf '#### mask cur_row\n'; fi
        printf '#### status %d\n' "$st"
        printf '#### stdout %d\n' "$(wc -c <"$io/out" | tr -d ' ')"
        cat "$io/out"
        printf '#### stderr %d\n' "$(wc -c <"$io/err" | tr -d ' ')"
        cat "$io/err"
        if [ -n "$file" ]; then
            printf '#### file %s %d\n' "$file" "$(wc -c <"$file" | tr -d ' ')"
            cat "$file"
        fi
        printf '#### end\n'
    } >>"$out"
}

# mkdir NAME: a directory the replay creates too (git keeps no empty directories)
mkdir_() {
    mkdir "$1"
    printf '#### mkdir %s\n' "$1" >>"$out"
}

# reading every fixture
for f in all-kinds doubles hw mhw fresh; do
    run "info $f" -- info $f.rrd
    run "dump $f" -- dump $f.rrd
    run "last $f" -- last $f.rrd
    run "lastupdate $f" -- lastupdate $f.rrd
    run "first $f" -- first $f.rrd
done
for i in 1 2 3; do run "first --rraindex $i all-kinds" -- first --rraindex $i all-kinds.rrd; done
for i in 1 2 3 4 5; do run "first --rraindex $i mhw" -- first --rraindex $i mhw.rrd; done
run "first --rraindex=2 hw" -- first --rraindex=2 hw.rrd
run "first, option after the file" -- first hw.rrd --rraindex 5
run "first --rraindex out of range" -- first --rraindex 4 all-kinds.rrd
run "first --rraindex negative" -- first --rraindex -1 all-kinds.rrd
run "first --rraindex not a number (strtol: 0)" -- first --rraindex abc all-kinds.rrd
run "first --rraindex with trailing garbage (strtol: 2)" -- first --rraindex 2x all-kinds.rrd
run "first --rraindex in hex (strtol base 0: 2)" -- first --rraindex 0x2 all-kinds.rrd
run "first --rraindex in octal (strtol base 0: 8)" -- first --rraindex 010 all-kinds.rrd
run "first, two files (rrdtool takes the first)" -- first all-kinds.rrd hw.rrd
run "first, no file" -- first --rraindex 1

# local times in dump comments
run "dump in a POSIX TZ" --tz 'CET-1CEST,M3.5.0,M10.5.0/3' -- dump all-kinds.rrd
run "dump in Europe/Zurich" --tz Europe/Zurich -- dump mhw.rrd
run "dump in Asia/Kolkata" --tz Asia/Kolkata -- dump doubles.rrd

# dump headers and output files
run "dump --header xsd" -- dump --header xsd fresh.rrd
run "dump --header=none" -- dump --header=none fresh.rrd
run "dump -h dtd" -- dump -h dtd fresh.rrd
run "dump -hxsd" -- dump -hxsd fresh.rrd
run "dump -n" -- dump -n fresh.rrd
run "dump --no-header, option after the file" -- dump fresh.rrd --no-header
run "dump to a file" --file out.xml -- dump hw.rrd out.xml
run "dump -n to a file" --file out-n.xml -- dump -n doubles.rrd out-n.xml

# errors reading files
mkdir_ adir
for c in info dump last lastupdate first; do
    for f in missing.rrd adir empty.rrd hello.rrd zeros.rrd trunc-16.rrd trunc-400.rrd \
        trunc-header.rrd trunc-data.rrd bad-version.rrd bad-cookie.rrd bad-magic.rrd; do
        run "$c on $f" -- $c $f
    done
done
run "invalid option" -- last -x fresh.rrd
run "invalid long option" -- info --bogus fresh.rrd
run "two files for last" -- last fresh.rrd hw.rrd
run "two files for info" -- info fresh.rrd hw.rrd
run "two files for lastupdate" -- lastupdate fresh.rrd hw.rrd

# create: option forms, then what rrdtool made of them
ds='DS:temp:GAUGE:10m:-40:60'
run "create --start X --step X" -- create c1.rrd --start 1500000000 --step 60 $ds RRA:AVERAGE:0.5:1:10 RRA:MAX:0.5:1h:1d
run "create --start=X --step=X" -- create c2.rrd --start=1500000000 --step=5m $ds RRA:AVERAGE:0.5:1:10 RRA:MAX:0.5:1h:1d
run "create -b X -s X" -- create c3.rrd -b 1500000000 -s 300 $ds RRA:AVERAGE:0.5:1:10 RRA:MAX:0.5:1h:1d
run "create -bX -sX" -- create c4.rrd -b1500000000 -s300 $ds RRA:AVERAGE:0.5:1:10 RRA:MAX:0.5:1h:1d
run "create, options after the definitions" -- create c5.rrd $ds RRA:AVERAGE:0.5:1:10 --step 300 RRA:MAX:0.5:1h:1d -b 1500000000
run "create, at-style start" --tz Europe/Zurich -- create c6.rrd --start 'noon 20240701' --step 1h $ds DS:count:DDERIVE:2h:0:U RRA:LAST:0:1:1d RRA:MIN:0.9:1d:1w
for f in c1 c2 c3 c4 c5; do
    run "info $f" --mask -- info $f.rrd
    run "dump $f" -- dump $f.rrd
done
run "info c6" --mask -- info c6.rrd
run "dump c6" --tz Europe/Zurich -- dump c6.rrd
run "create --no-overwrite on an existing file" -- create c1.rrd -O --start 1500000000 $ds RRA:AVERAGE:0.5:1:10
run "create --template" -- create c7.rrd --template all-kinds.rrd --start 1600000000
run "info c7" --mask -- info c7.rrd
run "dump c7" -- dump c7.rrd

# create: errors
rra='RRA:AVERAGE:0.5:1:10'
g='DS:a:GAUGE:600:U:U'
b='--start 1500000000'
run "create: min >= max" -- create e.rrd $b DS:a:GAUGE:600:5:1 $rra
run "create: unknown DS type" -- create e.rrd $b DS:a:FOO:600:U:U $rra
run "create: no min:max" -- create e.rrd $b DS:a:GAUGE:600:U $rra
run "create: bad DS name" -- create e.rrd $b 'DS:a%:GAUGE:600:U:U' $rra
run "create: DS name of 20 characters" -- create e.rrd $b DS:abcdefghijklmnopqrst:GAUGE:600:U:U $rra
run "create: duplicate DS name" -- create e.rrd $b $g $g $rra
run "create: bad min" -- create e.rrd $b DS:a:GAUGE:600:1x:U $rra
run "create: bad heartbeat" -- create e.rrd $b DS:a:GAUGE:10x:U:U $rra
run "create: zero heartbeat" -- create e.rrd $b DS:a:GAUGE:0:U:U $rra
run "create: empty RRA field" -- create e.rrd $b $g RRA:AVERAGE:0.5::10
run "create: lowercase CF" -- create e.rrd $b $g RRA:average:0.5:1:10
run "create: unknown CF" -- create e.rrd $b $g RRA:FOO:0.5:1:10
run "create: xff 1" -- create e.rrd $b $g RRA:AVERAGE:1:1:10
run "create: extra RRA field" -- create e.rrd $b $g RRA:AVERAGE:0.5:1:10:5
run "create: rows that truncate" -- create e.rrd $b $g RRA:AVERAGE:0.5:1:7m
run "create: zero steps" -- create e.rrd $b $g RRA:AVERAGE:0.5:0:10
run "create: no RRA" -- create e.rrd $b $g
run "create: no DS" -- create e.rrd $b $rra
run "create: not a definition" -- create e.rrd $b $g $rra foo
run "create: zero step" -- create e.rrd $b --step 0 $g $rra
run "create: step with garbage" -- create e.rrd $b --step 5x $g $rra
run "create: start before 1980" -- create e.rrd --start 300000000 $g $rra
run "create: start read as a month" -- create e.rrd --start 100000000 $g $rra
run "create: unparsable start" -- create e.rrd --start foo $g $rra
run "create: start relative to end" -- create e.rrd --start end-1h $g $rra
run "create: no file name" -- create $b
run "create: missing option argument" -- create e.rrd $g $rra --step
run "create: invalid option" -- create e.rrd -x $g $rra
run "create: directory does not exist" -- create nodir/e.rrd $b $g $rra

# restore, both ways round
run "dump all-kinds to xml" --file all-kinds.xml -- dump all-kinds.rrd all-kinds.xml
run "dump mhw to xml" --file mhw.xml -- dump mhw.rrd mhw.xml
run "dump hw to xml" --file hw.xml -- dump hw.rrd hw.xml
run "dump doubles to xml" --file doubles.xml -- dump doubles.rrd doubles.xml
for f in all-kinds mhw hw doubles; do
    run "restore $f" -- restore $f.xml r-$f.rrd
    run "dump restored $f" -- dump r-$f.rrd
    run "info restored $f" --mask -- info r-$f.rrd
done
run "restore onto an existing file" -- restore hw.xml r-hw.rrd
run "restore -f onto an existing file" -- restore -f hw.xml r-hw.rrd
run "restore --range-check" -- restore --range-check all-kinds.xml r2.rrd
run "dump after --range-check" -- dump r2.rrd
run "restore: missing xml" -- restore missing.xml r3.rrd
run "restore numbers" -- restore numbers.xml numbers.rrd
run "info numbers (printf)" --mask -- info numbers.rrd
run "dump numbers (rrd_snprintf)" -- dump numbers.rrd
run "restore: one argument" -- restore hw.xml
