//! Hostile arguments: bytes that are not UTF-8 in every position, update
//! times no time_t holds, unknown commands. `rrd` must never panic (exit
//! 101); with rrdtool 1.7.2 on PATH, every case must also give rrdtool's
//! exit status, stdout, stderr (less pango's warnings, which carry a PID and
//! a clock) and files.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::support::{have_rrdtool, note, rrd_file_diff, TempDir, RRD};

/// An argument from bytes.
fn a(b: &[u8]) -> OsString {
    OsString::from_vec(b.to_vec())
}

#[derive(Debug, PartialEq, Eq)]
struct Ran {
    status: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run(program: &str, dir: &Path, args: &[OsString]) -> Ran {
    let o = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env_remove("LANG")
        .env_remove("RRDCACHED_ADDRESS")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    // pango's "Invalid UTF-8 string passed to pango_layout_set_text()"
    // warnings carry a PID and the time; rrd draws the same glyphs silently
    let mut stderr = Vec::new();
    for line in o.stderr.split_inclusive(|&b| b == b'\n') {
        let warning = line.windows(13).any(|w| w == b"Pango-WARNING");
        if !warning && line != b"\n" {
            stderr.extend_from_slice(line);
        }
    }
    Ran {
        status: o.status.code().unwrap_or(-1),
        stdout: o.stdout,
        stderr,
    }
}

/// The base files of every case, made once: `f.rrd` and `f\xff.rrd`, the
/// same bytes (a created file has random row pointers, so both tools must
/// start from copies).
fn setup(dir: &Path) {
    static BASE: OnceLock<TempDir> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        let b = TempDir::new("hostile-base");
        make_base(b.path());
        b
    });
    for e in std::fs::read_dir(base.path()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
}

fn make_base(dir: &Path) {
    let mk = |args: &[&str]| {
        let r = run(
            RRD,
            dir,
            &args.iter().map(OsString::from).collect::<Vec<_>>(),
        );
        assert_eq!(r.status, 0, "{args:?}: {r:?}");
    };
    mk(&[
        "create",
        "f.rrd",
        "--start",
        "1000000000",
        "--step",
        "300",
        "DS:a:GAUGE:600:U:U",
        "RRA:AVERAGE:0.5:1:10",
        "RRA:MAX:0.5:3:10",
    ]);
    mk(&["update", "f.rrd", "1000000300:1", "1000000600:2"]);
    std::fs::copy(
        dir.join("f.rrd"),
        dir.join(OsString::from_vec(b"f\xff.rrd".to_vec())),
    )
    .unwrap();
}

/// Names and contents of the files in `dir` (rrd files by what rrdtool
/// reads of them, others by size being non-zero).
fn files(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut v: Vec<(Vec<u8>, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().as_bytes().to_vec();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            let content = if name.ends_with(b".rrd") {
                bytes
            } else {
                vec![u8::from(!bytes.is_empty())]
            };
            (name, content)
        })
        .collect();
    v.sort();
    v
}

fn graph(more: &[&[u8]]) -> Vec<OsString> {
    let mut v = vec![
        a(b"graphv"),
        a(b"o.png"),
        a(b"-s"),
        a(b"1000000000"),
        a(b"-e"),
        a(b"1000003000"),
    ];
    v.extend(more.iter().map(|b| a(b)));
    v
}

/// `xport -s 1000000000 -e 1000003000` and `more`.
fn xport(more: &[&[u8]]) -> Vec<OsString> {
    let mut v = vec![
        a(b"xport"),
        a(b"-s"),
        a(b"1000000000"),
        a(b"-e"),
        a(b"1000003000"),
    ];
    v.extend(more.iter().map(|b| a(b)));
    v
}

fn cases() -> Vec<Vec<OsString>> {
    let f = b"f\xff.rrd" as &[u8];
    let mut c: Vec<Vec<OsString>> = Vec::new();
    let mut add = |args: &[&[u8]]| c.push(args.iter().map(|b| a(b)).collect());
    // file names
    add(&[
        b"create",
        b"n\xc3.rrd",
        b"--start",
        b"1000000000",
        b"DS:a:GAUGE:600:U:U",
        b"RRA:AVERAGE:0.5:1:10",
    ]);
    add(&[b"updatev", f, b"1000000900:3"]);
    add(&[b"update", f, b"1000000900:3", b"1000001200:4"]);
    for cmd in [&b"info"[..], b"dump", b"last", b"first", b"lastupdate"] {
        add(&[cmd, f]);
        add(&[cmd, b"missing\xff.rrd"]);
    }
    add(&[
        b"fetch",
        f,
        b"AVERAGE",
        b"-s",
        b"1000000000",
        b"-e",
        b"1000003000",
    ]);
    add(&[b"dump", f, b"out\xff.xml"]);
    // create arguments
    for bad in [
        &b"DS:a\xff:GAUGE:600:U:U"[..],
        b"DS:a:GAUGE\xff:600:U:U",
        b"DS:a:GAUGE:600\xff:U:U",
        b"RRA:AVERAGE:0.5\xff:1:10",
        b"RRA:AVERAGE:0.5:1\xff:10",
        b"RRA:AVERAGE:0.5:1:10\xff",
        b"RRA\xff:AVERAGE:0.5:1:10",
        b"\xff",
    ] {
        add(&[
            b"create",
            b"c.rrd",
            b"DS:b:GAUGE:600:U:U",
            b"RRA:AVERAGE:0.5:1:10",
            bad,
        ]);
    }
    // update arguments
    for bad in [
        &b"1000000900:\xff"[..],
        b"1000000900:\xc3",
        b"1000000900:1\xff",
        b"1000000900\xff:1",
        b"\xff",
        b"\xff@1",
    ] {
        add(&[b"update", b"f.rrd", bad]);
        add(&[b"updatev", b"f.rrd", bad]);
    }
    add(&[b"update", b"f.rrd", b"-t", b"\xff", b"1000000900:1"]);
    add(&[b"updatev", b"f.rrd", b"-t", b"a\xc3", b"1000000900:1"]);
    // times no time_t holds, and their neighbours
    for t in [
        &b"99999999999999999999:5"[..],
        b"9223372036854775807:5",
        b"9223372036854775808:5",
        b"1e300:5",
        b"1e19:5",
        b"inf:5",
        b"nan:5",
        b"NaN:5",
        b"1e18:5",
        b"9.2e18:5",
        b"1e-300:5",
        b"99999999999999999999@5",
        b"1000000900+999999999999999y@5",
    ] {
        add(&[b"update", b"f.rrd", t]);
    }
    add(&[b"update", b"f.rrd", b"--", b"-inf:5"]);
    add(&[b"update", b"f.rrd", b"--", b"-1e300:5"]);
    add(&[
        b"update",
        b"f.rrd",
        b"1000000900:5",
        b"99999999999999999999:6",
    ]);
    // fetch arguments
    add(&[b"fetch", b"f.rrd", b"AVERAGE\xff"]);
    add(&[b"fetch", b"f.rrd", b"AVERAGE", b"-s", b"\xff"]);
    // graph and xport definitions and texts
    let def = b"DEF:a=f.rrd:a:AVERAGE" as &[u8];
    for more in [
        &[&b"DEF:a=f\xff.rrd:a:AVERAGE"[..], b"LINE1:a#ff0000:x"][..],
        &[def, b"CDEF:b=a,\xff,+", b"LINE1:b#ff0000"],
        &[def, b"CDEF:b=a,1\xff,+", b"LINE1:b#ff0000"],
        &[b"DEF:a=f.rrd:a\xff:AVERAGE", b"LINE1:a#ff0000"],
        &[b"DEF:a=f.rrd:a:AVERAGE\xff", b"LINE1:a#ff0000"],
        &[def, b"LINE1:a#ff0000:ab\xffcd"],
        &[def, b"LINE1:a#ff0000:ab\xe2\x82cd", b"COMMENT:x\xc3y"],
        &[def, b"LINE1:a#ff0000", b"COMMENT:ab\xff\xffcd\\l"],
        &[b"-t", b"ab\xffcd", b"-v", b"v\xc3l", def, b"LINE1:a#ff0000"],
        &[b"--watermark", b"w\xff", def, b"LINE1:a#ff0000"],
        &[def, b"VDEF:v=a,AVERAGE", b"GPRINT:v:ab\xffcd%6.2lf"],
        &[def, b"VDEF:v=a,AVERAGE", b"PRINT:v:ab\xc3cd%6.2lf"],
        &[def, b"VDEF:v=a,AVERAGE", b"GPRINT:v:ab\xc3\xa9cd%6.2lf"],
    ] {
        c.push(graph(more));
    }
    for json in [&[&b"--json"[..]][..], &[]] {
        c.push(xport(&[json, &[def, b"XPORT:a:leg\xff"]].concat()));
    }
    c.push(xport(&[def, b"XPORT:a\xff:leg"]));
    // durations as rrd_scaled_duration reads them: strtoul, then only the
    // character after the number
    for step in [&b"5mx"[..], b"5mm", b" 5", b"+5", b"0.5", b"0x", b"0s"] {
        c.push(
            [
                &b"create"[..],
                b"d.rrd",
                b"--start",
                b"1000000000",
                b"-s",
                step,
                b"DS:a:GAUGE:10mx:U:U",
                b"RRA:AVERAGE:0.5:1:10",
            ]
            .iter()
            .map(|b| a(b))
            .collect(),
        );
    }
    // integer options past a long: atoi/atol saturate as glibc's strtol
    // does (a wrapping parse made --step 99999999999999999999 a huge step)
    for n in [
        &b"99999999999999999999"[..],
        b"-99999999999999999999",
        b"4294967297",
    ] {
        c.push(xport(&[b"--step", n, def, b"XPORT:a:x"]));
        c.push(graph(&[b"--step", n, def, b"LINE1:a#ff0000"]));
        c.push(graph(&[b"--units-exponent", n, def, b"LINE1:a#ff0000"]));
        c.push(vec![a(b"first"), a(b"--rraindex"), a(n), a(b"f.rrd")]);
    }
    c.push(vec![
        a(b"first"),
        a(b"--rraindex"),
        a(b"\xc2\xa01"),
        a(b"f.rrd"),
    ]);
    // commands
    c.push(vec![a(b"grpah"), a(b"x.png")]);
    c.push(vec![a(b"nosuchcmd")]);
    c.push(vec![a(b"\xff")]);
    c
}

fn show(args: &[OsString]) -> String {
    args.iter()
        .map(|s| s.as_bytes().escape_ascii().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn hostile_arguments_as_rrdtool_takes_them() {
    let cases = cases();
    let compare = have_rrdtool();
    let mut problems = Vec::new();
    for (i, args) in cases.iter().enumerate() {
        let ours = TempDir::new(&format!("hostile-{i}-rrd"));
        setup(ours.path());
        let got = run(RRD, ours.path(), args);
        if got.status == 101 || got.stderr.windows(8).any(|w| w == b"panicked") {
            problems.push(format!("rrd {}: panicked: {got:?}", show(args)));
            continue;
        }
        if !compare {
            continue;
        }
        let theirs = TempDir::new(&format!("hostile-{i}-rrdtool"));
        setup(theirs.path());
        let mut want = run("rrdtool", theirs.path(), args);
        // the usage text is our own (it names rrd and its commands)
        if want.stdout.starts_with(b"RRDtool 1.7.2  Copyright")
            && got.stdout.starts_with(b"RRDtool 1.7.2  followed by rrd ")
        {
            want.stdout.clone_from(&got.stdout);
        }
        if want != got {
            problems.push(format!(
                "{}:\n  rrdtool: {} {:?} {:?}\n  rrd:     {} {:?} {:?}",
                show(args),
                want.status,
                want.stdout.escape_ascii().to_string(),
                want.stderr.escape_ascii().to_string(),
                got.status,
                got.stdout.escape_ascii().to_string(),
                got.stderr.escape_ascii().to_string(),
            ));
            continue;
        }
        let (fw, fg) = (files(theirs.path()), files(ours.path()));
        let names = |f: &[(Vec<u8>, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        if names(&fw) != names(&fg) {
            problems.push(format!(
                "{}: files {:?} vs {:?}",
                show(args),
                names(&fw)
                    .iter()
                    .map(|n| n.escape_ascii().to_string())
                    .collect::<Vec<_>>(),
                names(&fg)
                    .iter()
                    .map(|n| n.escape_ascii().to_string())
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        for ((name, w), (_, g)) in fw.iter().zip(&fg) {
            if name.ends_with(b".rrd") {
                if let Some(d) = rrd_file_diff(w, g) {
                    problems.push(format!("{}: {}: {d}", show(args), name.escape_ascii()));
                }
            }
        }
    }
    note(&format!(
        "hostile arguments: {} cases{}, {} problems",
        cases.len(),
        if compare {
            " compared with rrdtool"
        } else {
            ""
        },
        problems.len()
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// With `RRDCACHED_ADDRESS` set, rrdtool hands its work to that rrdcached,
/// which may hold newer values than the file. When it cannot be reached:
/// update and xport fail, graph draws from the file and then reports it
/// (as rrdtool), and updatev (which rrdtool runs behind the daemon's back)
/// is refused by name.
#[test]
fn unreachable_rrdcached_address() {
    let dir = TempDir::new("rrdcached-env");
    setup(dir.path());
    let before = std::fs::read(dir.path().join("f.rrd")).unwrap();
    // update talks to the daemon, which is not there
    let o = Command::new(RRD)
        .args(["update", "f.rrd", "1000000900:3"])
        .current_dir(dir.path())
        .env("RRDCACHED_ADDRESS", "unix:/nonexistent/rrdcached.sock")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "ERROR: Unable to connect to rrdcached: No such file or directory\n"
    );
    let run = |args: &[&str]| {
        Command::new(RRD)
            .args(args)
            .current_dir(dir.path())
            .env("RRDCACHED_ADDRESS", "unix:/nonexistent/rrdcached.sock")
            .output()
            .unwrap()
    };
    let unreachable = "ERROR: Unable to connect to rrdcached: No such file or directory\n";
    let o = run(&["xport", "DEF:a=f.rrd:a:AVERAGE", "XPORT:a"]);
    assert_eq!(
        (o.status.code(), String::from_utf8_lossy(&o.stderr).as_ref()),
        (Some(1), unreachable)
    );
    assert!(o.stdout.is_empty());
    let o = run(&["graph", "x.png", "DEF:a=f.rrd:a:AVERAGE", "LINE1:a#ff0000"]);
    assert_eq!(
        (o.status.code(), String::from_utf8_lossy(&o.stderr).as_ref()),
        (Some(1), unreachable)
    );
    assert_eq!(o.stdout, b"481x141\n");
    assert!(dir.path().join("x.png").exists());
    let o = run(&["updatev", "f.rrd", "1000000900:3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("ERROR: RRDCACHED_ADDRESS is set"));
    assert_eq!(std::fs::read(dir.path().join("f.rrd")).unwrap(), before);
    // an empty value is no address, as for rrdtool
    let o = Command::new(RRD)
        .args(["last", "f.rrd"])
        .current_dir(dir.path())
        .env("RRDCACHED_ADDRESS", "")
        .output()
        .unwrap();
    assert_eq!(o.stdout, b"1000000600\n");
}

/// Sizes that would overflow or exhaust memory in tune, resize and
/// create --source (found by review): a clear error, never a panic or a
/// huge allocation.
#[test]
fn structural_changes_of_hostile_sizes_fail_cleanly() {
    let dir = TempDir::new("hostile-sizes");
    let ok = |args: &[&str]| {
        let o = Command::new(RRD)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {o:?}");
    };
    ok(&[
        "create",
        "f.rrd",
        "--start",
        "1300000000",
        "--step",
        "300",
        "DS:a:GAUGE:600:U:U",
        "RRA:AVERAGE:0.5:1:10",
    ]);
    for (args, status, message) in [
        (
            &["tune", "f.rrd", "RRA:AVERAGE:0.5:2305843009213693952:1"][..],
            1,
            "spans too long a time",
        ),
        (
            &["tune", "f.rrd", "RRA:AVERAGE:0.5:1:2305843009213693952"],
            1,
            "spans too long a time",
        ),
        (
            &["tune", "f.rrd", "RRA#0:=2147483647"],
            1,
            "more than tune and --source work on in memory",
        ),
        (
            &["resize", "f.rrd", "0", "GROW", "4611686018427387904"],
            1,
            "spans too long a time",
        ),
        (
            &[
                "create",
                "n.rrd",
                "--step",
                "1",
                "--source",
                "f.rrd",
                "DS:a:GAUGE:2:U:U",
                "RRA:AVERAGE:0.5:1000000000000:1",
            ],
            1,
            "spans too long a time",
        ),
        (
            &[
                "create",
                "m.rrd",
                "--start",
                "1700000000",
                "--step",
                "65536",
                "--source",
                "f.rrd",
                "DS:x:GAUGE:1d:U:U",
                "RRA:AVERAGE:0.5:1:131073",
                "RRA:AVERAGE:0.5:65536:1",
            ],
            0,
            "",
        ),
    ] {
        let o = Command::new(RRD)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(status), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}
