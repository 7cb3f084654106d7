#!/usr/bin/env bash
# Regenerates the golden data of the `update` tests with C rrdtool 1.7.2:
#   fixtures/*-c.rrd  new files made by `rrdtool create`, never updated: the
#                     replay updates copies of them in place
#   transcript.txt    each command run, in order, with what rrdtool printed
# The transcript format is that of ../golden (see its README.md). Run from
# anywhere:
#   cli/tests/data/update/make.sh
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

rm -rf "$here/fixtures"
mkdir "$here/fixtures"
out=$here/transcript.txt
: >"$out"
n=0

# run TITLE [--mask] -- ARG...
# Runs `rrdtool ARG...` and appends the case to the transcript; --mask says
# that `rra[i].cur_row` lines are to be ignored (rrdtool picked them at
# random for a file made during the transcript).
run() {
    local title=$1 mask=''
    shift
    while [ "$1" != -- ]; do
        case $1 in
        --mask) mask=1; shift ;;
        *) echo "run: bad option $1" >&2; exit 1 ;;
        esac
    done
    shift
    n=$((n + 1))
    local st=0
    "$RRDTOOL" "$@" >"$io/out" 2>"$io/err" || st=$?
    {
        printf '#### case %d: %s\n' "$n" "$title"
        printf '#### tz UTC\n'
        local a
        for a in "$@"; do printf '#### arg %s\n' "$a"; done
        if [ -n "$mask" ]; then printf '#### mask cur_row\n'; fi
        printf '#### status %d\n' "$st"
        printf '#### stdout %d\n' "$(wc -c <"$io/out" | tr -d ' ')"
        cat "$io/out"
        printf '#### stderr %d\n' "$(wc -c <"$io/err" | tr -d ' ')"
        cat "$io/err"
        printf '#### end\n'
    } >>"$out"
}

# example NAME CREATE-ARG...: two files with the same definition: NAME.rrd,
# made by a `create` case of the transcript (so `rrd create` makes it on
# replay), and NAME-c.rrd, made here by rrdtool and kept as a fixture (so the
# replay updates rrdtool's file in place).
example() {
    local name=$1
    shift
    run "$name: create" -- create "$name.rrd" "$@"
    "$RRDTOOL" create "$name-c.rrd" "$@"
    cp "$name-c.rrd" "$here/fixtures/"
}

# on NAME TITLE ARG...: runs the command on both files of example NAME; the
# word FILE in ARG... stands for the file name.
on() {
    local name=$1 title=$2 f a mask
    shift 2
    for f in "$name.rrd" "$name-c.rrd"; do
        local args=()
        for a in "$@"; do
            if [ "$a" = FILE ]; then args+=("$f"); else args+=("$a"); fi
        done
        mask=()
        if [ "$1" = info ] && [ "$f" = "$name.rrd" ]; then mask=(--mask); fi
        run "$title ($f)" "${mask[@]}" -- "${args[@]}"
    done
}

# reads NAME FETCH-ARGS...: what the update left: dump, info, lastupdate, and
# one fetch per set of fetch options (separated by `,`)
reads() {
    local name=$1
    shift
    on "$name" "dump" dump FILE
    on "$name" "info" info FILE
    on "$name" "lastupdate" lastupdate FILE
    local opts=()
    for a in "$@" ,; do
        if [ "$a" = , ]; then
            on "$name" "fetch ${opts[*]}" fetch FILE "${opts[@]}"
            opts=()
        else
            opts+=("$a")
        fi
    done
}

# ---------------------------------------------------------------- reference 2.5
# The worked example: the first PDP is 1.5 (100 s of 200 known), then 2.3333,
# 3.3333, 4.3333; the 3-step AVERAGE stores 2.3889; the COUNTER gives NaN,
# 1.3333, 1.6667, 1.0
example worked --start 1000000000 --step 300 DS:g:GAUGE:600:U:U DS:c:COUNTER:600:U:U \
    RRA:AVERAGE:0.5:1:10 RRA:AVERAGE:0.5:3:5
on worked "inside the first PDP" updatev FILE 1000000100:1:100
on worked "first PDP closed" updatev FILE 1000000400:2:400
on worked "one per step" updatev FILE 1000000700:3:1000 1000001000:4:1300 1000001300:5:1600
reads worked AVERAGE -s 1000000000 -e 1000001500 , AVERAGE -r 900 -s 999999000 -e 1000001500 , \
    MAX -s 1000000200 -e 1000001100

# ---------------------------------------------------------------- reference 2.6
# The open-PDP split after a fractional update: 5.99667 and 6.015, not 6 and 6
example split --start 1000000000 --step 300 DS:x:GAUGE:600:U:U RRA:AVERAGE:0.5:1:10 \
    RRA:LAST:0:2:5
on split "a fractional update after a boundary" updatev FILE 1000000100:20 1000000200.25:20
on split "two PDPs in one update" updatev FILE 1000000800:6
on split "fractions .1 and .3 in one second" updatev FILE 1000000900.1:7 1000000900.3:8 1000001100.5:9
reads split AVERAGE -s 1000000000 -e 1000001200 , LAST -s 1000000000 -e 1000001200

# ---------------------------------------------------------------- reference 2.5 quirk
# 290 of 300 s unknown, and still a PDP of 5: the >50 % test looks at the
# unknown seconds from before the closing update only
example quirk --start 999999900 --step 300 DS:x:GAUGE:600:U:U RRA:AVERAGE:0.5:1:10 \
    RRA:LAST:0:1:10
on quirk "10 s known" updatev FILE 999999910:5
on quirk "290 s unknown" updatev FILE 1000000200:U
on quirk "the next PDP" updatev FILE 1000000500:6
reads quirk AVERAGE -s 999999900 -e 1000000500

# ---------------------------------------------------------------- COUNTER wrap
# 4294967000 -> 200 over 300 s: (200 - 4294967000 + 4294967295) / 300 = 1.65
example counter --start 1000000000 --step 300 DS:c:COUNTER:600:U:U DS:d:DERIVE:600:U:U \
    RRA:LAST:0:1:10 RRA:AVERAGE:0.5:2:5
on counter "near the 32-bit top" updatev FILE 1000000300:4294967000:50
on counter "wrapped; DERIVE changes sign (unknown)" updatev FILE 1000000600:200:-10
on counter "DERIVE down" updatev FILE 1000000900:500:-310
on counter "a counter reset" updatev FILE 1000001200:3:-300
reads counter LAST -s 1000000000 -e 1000001200 , AVERAGE -s 1000000000 -e 1000001200

# ---------------------------------------------------------------- reference 2.8
# A gap longer than the heartbeat writes NaN rows (every row of the short
# archive) and leaves unknown_sec = 40
example gap --start 1300000000 --step 60 DS:x:GAUGE:120:U:U RRA:AVERAGE:0.5:1:10 \
    RRA:MAX:0.5:3:5
on gap "one per step" updatev FILE 1300000060:1 1300000120:2 1300000180:3 1300000240:4 1300000300:5
on gap "45 minutes later" updatev FILE 1300003000:7
on gap "then on" updatev FILE 1300003060:8 1300003120:9
reads gap AVERAGE -s 1300000000 -e 1300003200 , MAX -s 1300002000 -e 1300003200

# ---------------------------------------------------------------- reference 2.7
# The first CDP counts the unknown PDPs before the start against xff: valid
# with xff 0.5, NaN with xff 0.1
example xff --start 1299999999 --step 60 DS:x:GAUGE:120:U:U RRA:AVERAGE:0.5:5:4 \
    RRA:AVERAGE:0.1:5:4 RRA:MIN:0.5:5:4
on xff "every minute" updatev FILE 1300000020:1 1300000080:2 1300000140:3 1300000200:4 \
    1300000260:5 1300000320:6 1300000380:7 1300000440:8 1300000500:9 1300000560:10 1300000620:11
reads xff AVERAGE -s 1299999000 -e 1300000700 -r 300 , MIN -s 1299999000 -e 1300000700

# ---------------------------------------------------------------- kinds
# ABSOLUTE, DCOUNTER, DDERIVE; values outside min/max become unknown
example kinds --start 1000000000 --step 60 DS:a:ABSOLUTE:120:0:10 DS:dc:DCOUNTER:120:U:U \
    DS:dd:DDERIVE:120:-5:5 DS:g:GAUGE:120:-100:100 \
    RRA:MIN:0.5:2:5 RRA:MAX:0.5:2:5 RRA:LAST:0.5:1:5 RRA:AVERAGE:0.5:1:5
on kinds "a batch" updatev FILE 1000000060:60:1.5:1e2:5 1000000120:120:2.5:-1e2:-5 \
    1000000180:1200:2.25:-2e2:150 1000000240:30:1.25:-1.5e2:-2.5E1 1000000300:U:3.5:U:U \
    1000000360:6e1:4.75:-90.5:1e300 1000000420:0:5:-60:-1e300
reads kinds MIN -s 1000000000 -e 1000000420 , MAX -s 1000000000 -e 1000000420 , \
    LAST -s 1000000000 -e 1000000420 , AVERAGE -s 1000000000 -e 1000000420

# ---------------------------------------------------------------- arguments
# Templates, at-style times, --skip-past-updates, and errors mid-batch:
# what came before the bad argument stays applied (and a bad value leaves
# the last_ds of the data sources before it changed)
example args --start 1000000000 --step 300 DS:g:GAUGE:600:U:U DS:c:COUNTER:600:U:U \
    RRA:LAST:0:1:10 RRA:AVERAGE:0.5:2:5
on args "a bad value mid-batch" update FILE 1000000100:1:100 1000000200:2:abc 1000000300:3:300
on args "after the bad value" lastupdate FILE
on args "time going backwards" update FILE 1000000050:1:1
on args "the same time again" update FILE 1000000100:1:1
on args "too few values" update FILE 1000000400:1
on args "one value too many" update FILE 1000000400:1:2:3
on args "no timestamp" update FILE 1000000400
on args "a bad time" update FILE 1000000400x:1:2
on args "a bad at-style time" update FILE 'soon@1:2'
on args "an at-style time relative to end" update FILE 'end-1h@1:2'
on args "an unknown template name" update --template c:zz FILE 1000000400:1:2
on args "a template longer than the file's DS list" update -t c:g:c FILE 1000000400:1:2:3
on args "--skip-past-updates" updatev --skip-past-updates FILE 1000000050:9:9 1000000400:4:400 \
    1000000400:5:500 1000000700:6:700
on args "--template c:g" updatev --template c:g FILE 1000001000:1000:7
on args "-t c (g unknown)" updatev -t c FILE 1000001300:1300
on args "an at-style time" updatev FILE '12:00 20010909@5:99000'
on args "exponents, fractions" updatev FILE 1.0000369e9:2.5E-2:99100 1000036910.3:1e1:99200
on args "updatev with an error mid-batch" updatev FILE 1000037200:1:99300 1000037100:2:99400
on args "an empty GAUGE value" update FILE 1000037500::99500
on args "a COUNTER value with a fraction" update FILE 1000037500:1:99500.5
on args "a plain update, batched" update FILE 1000037800:3:99600 1000038100:4:99700 1000038400:U:U
reads args LAST -s 1000000000 -e 1000038400 -r 300 , AVERAGE -s 1000034000 -e 1000038400

printf 'make.sh: %d cases, fixtures: %s\n' "$n" "$(ls "$here/fixtures" | tr '\n' ' ')"
