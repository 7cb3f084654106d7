//! The kill harness: `rrd update` killed with SIGKILL at random instants and
//! at each of its writes (strace's fault injection), every result compared
//! with in-process replays of each prefix of the update's values:
//!
//! - `rrd dump` of the killed file (rrd-core overlays a pending journal
//!   record) must be exactly the dump after some prefix;
//! - `rrdtool dump` of it (rrdtool ignores the journal) must show the header
//!   of some prefix, and in every row either that prefix's value or
//!   unknown: never a value at a time it was not stored for;
//! - resuming the writer (`rrd update` with the values after the prefix)
//!   must leave the dump of the whole run.
//!
//! `RRD_CRASH_KILLS` sets the number of random kills (default 120).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rrd_core::DumpHeader;
use rrd_core::{CreateSpec, Rrd, UpdateTime};

use crate::support::{env_u64, have_rrdtool, have_strace, note, Rng, TempDir, RRD};

/// Values per `rrd update` call: enough rows for several commits (one
/// commits every 64 KiB of rows).
const VALUES: usize = 12_000;
const START: i64 = 1_000_000_000;

/// The base file: one-second steps, two sources, archives of 4 steps.
fn base(dir: &Path) -> Vec<u8> {
    let spec = CreateSpec::parse(
        START,
        1,
        &[
            "DS:a:GAUGE:120:U:U",
            "DS:b:COUNTER:120:0:U",
            "RRA:AVERAGE:0.5:1:3000",
            "RRA:AVERAGE:0.5:60:200",
            "RRA:MIN:0.5:60:200",
            "RRA:MAX:0.5:3600:10",
        ],
    )
    .unwrap();
    let p = dir.join("base.rrd");
    Rrd::create(&p, &spec, &Default::default()).unwrap();
    std::fs::read(&p).unwrap()
}

/// The update arguments: value i at START + i, pseudo-random (so that no
/// row is ever overwritten by an equal value), the counter rising by
/// varying amounts.
fn args() -> Vec<String> {
    let mut counter = 0u64;
    (1..=VALUES)
        .map(|i| {
            let t = START + i as i64;
            let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            counter += h % 97;
            format!("{t}:{}:{counter}", h % 100_000)
        })
        .collect()
}

fn dump_text<S: rrd_core::Storage>(rrd: &Rrd<S>) -> String {
    let mut out = Vec::new();
    rrd.dump(&mut out, DumpHeader::None, &jiff::tz::TimeZone::UTC)
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// The dump after the first `j` values, replayed in memory.
fn replay(base: &[u8], args: &[String], j: usize) -> String {
    let mut rrd = Rrd::from_bytes(base.to_vec()).unwrap();
    let refs: Vec<&str> = args[..j].iter().map(String::as_str).collect();
    rrd.update_args(
        &refs,
        &Default::default(),
        UpdateTime::from_secs(0),
        &jiff::tz::TimeZone::UTC,
        None,
    )
    .unwrap();
    rrd.flush().unwrap();
    dump_text(&rrd)
}

/// The prefix a dump belongs to, from its last update time.
fn prefix_of(text: &str) -> usize {
    let t: i64 = text
        .split("<lastupdate>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    usize::try_from(t - START).unwrap()
}

fn tool(program: &str, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("TZ", "UTC")
        .env_remove("RRDCACHED_ADDRESS")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// rrdtool's dump of `got` against the prefix dump `want`: the same lines,
/// except that a row may hold unknowns where the prefix has values.
fn same_or_unknown(want: &str, got: &str) -> Result<(), String> {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    if w.len() != g.len() {
        return Err(format!("{} lines against {}", g.len(), w.len()));
    }
    for (a, b) in w.iter().zip(&g) {
        if a == b {
            continue;
        }
        let values = |l: &str| -> Option<(String, Vec<String>)> {
            let (head, row) = l.split_once("<row>")?;
            let v = row
                .split("<v>")
                .skip(1)
                .map(|x| x.split('<').next().unwrap_or("").trim().to_string())
                .collect();
            Some((head.to_string(), v))
        };
        match (values(a), values(b)) {
            (Some((ha, va)), Some((hb, vb)))
                if ha == hb
                    && va.len() == vb.len()
                    && va.iter().zip(&vb).all(|(x, y)| x == y || y == "NaN") => {}
            _ => return Err(format!("expected {a:?}, got {b:?}")),
        }
    }
    Ok(())
}

struct Harness {
    base: Vec<u8>,
    args: Vec<String>,
    dir: TempDir,
    /// Dumps of prefixes computed so far.
    refs: std::collections::HashMap<usize, String>,
    rrdtool: bool,
    prefixes_seen: std::collections::BTreeSet<usize>,
    rrdtool_unknowns: usize,
    checked: usize,
}

impl Harness {
    fn new() -> Harness {
        let dir = TempDir::new("crash");
        let base = base(dir.path());
        Harness {
            base,
            args: args(),
            dir,
            refs: std::collections::HashMap::new(),
            rrdtool: have_rrdtool(),
            prefixes_seen: std::collections::BTreeSet::new(),
            rrdtool_unknowns: 0,
            checked: 0,
        }
    }

    fn reference(&mut self, j: usize) -> String {
        let (base, args) = (&self.base, &self.args);
        self.refs
            .entry(j)
            .or_insert_with(|| replay(base, args, j))
            .clone()
    }

    /// A fresh copy of the base file, and the command that updates it.
    fn fresh(&self) -> (String, Command) {
        let file = "k.rrd".to_string();
        std::fs::write(self.dir.path().join(&file), &self.base).unwrap();
        let mut c = Command::new(RRD);
        c.arg("update")
            .arg(&file)
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("TZ", "UTC")
            .env_remove("RRDCACHED_ADDRESS")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        (file, c)
    }

    /// Checks a killed file as the three readers see it; `what` names the
    /// kill in messages.
    fn check(&mut self, file: &str, what: &str) {
        let dir = self.dir.path().to_path_buf();
        let rrd = Rrd::open(dir.join(file), rrd_core::OpenMode::ReadOnly)
            .unwrap_or_else(|e| panic!("{what}: rrd-core cannot open the file: {e}"));
        let ours = dump_text(&rrd);
        drop(rrd);
        let j = prefix_of(&ours);
        let want = self.reference(j);
        assert!(
            ours == want,
            "{what}: rrd sees a state that is no prefix (last update at prefix {j})"
        );
        self.prefixes_seen.insert(j);
        if self.rrdtool {
            let (code, theirs, err) = tool("rrdtool", &dir, &["dump", "--no-header", file]);
            assert_eq!(code, 0, "{what}: rrdtool dump: {err}");
            let k = prefix_of(&theirs);
            let want = self.reference(k);
            if let Err(e) = same_or_unknown(&want, &theirs) {
                panic!("{what}: rrdtool sees prefix {k} with a value at a wrong time: {e}");
            }
            if theirs != want {
                self.rrdtool_unknowns += 1;
            }
        }
        // the writer resumes where the file stands
        let rest: Vec<&str> = self.args[j..].iter().map(String::as_str).collect();
        if !rest.is_empty() {
            let mut a = vec!["update", file];
            a.extend(rest);
            let (code, _, err) = tool(RRD, &dir, &a);
            assert_eq!(code, 0, "{what}: resuming after prefix {j}: {err}");
        }
        let rrd = Rrd::open(dir.join(file), rrd_core::OpenMode::ReadOnly).unwrap();
        let done = dump_text(&rrd);
        let full = self.reference(self.args.len());
        assert!(
            done == full,
            "{what}: resuming after prefix {j} did not complete the run"
        );
        self.checked += 1;
    }
}

#[test]
fn killed_at_each_write() {
    if !have_strace() {
        note("kill harness at each write skipped: strace is not on PATH");
        return;
    }
    let mut h = Harness::new();
    // how many writes a whole call makes
    let (file, c) = h.fresh();
    let trace = h.dir.path().join("trace");
    let mut traced = Command::new("strace");
    traced
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=pwrite64,fallocate,ftruncate",
            "-o",
        ])
        .arg(&trace)
        .arg(c.get_program())
        .args(c.get_args())
        .current_dir(h.dir.path())
        .env("TZ", "UTC")
        .stdout(Stdio::null());
    assert!(traced.status().unwrap().success());
    let trace = std::fs::read_to_string(&trace).unwrap();
    // strace counts each system call of an injection set on its own
    let count = |call: &str| {
        trace
            .lines()
            .filter(|l| l.contains(&format!("{call}(")))
            .count()
    };
    let calls = [
        ("pwrite64", count("pwrite64")),
        ("fallocate", count("fallocate")),
        ("ftruncate", count("ftruncate")),
    ];
    let writes: usize = calls.iter().map(|c| c.1).sum();
    assert!(writes > 10, "{calls:?}");
    drop(c);
    h.check(&file, "not killed");
    for (call, n) in calls {
        for when in 1..=n {
            let (file, c) = h.fresh();
            let status = Command::new("strace")
                .args(["-f", "-qq", "-o", "/dev/null", "-e"])
                .arg(format!("inject={call}:signal=KILL:when={when}"))
                .arg(c.get_program())
                .args(c.get_args())
                .current_dir(h.dir.path())
                .env("TZ", "UTC")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(
                !status.success(),
                "the kill before {call} {when} did not happen"
            );
            h.check(&file, &format!("killed before {call} {when} of {n}"));
        }
    }
    note(&format!(
        "kill harness: killed before each of {writes} writes of an update of {VALUES} values: \
         {} files checked, prefixes seen {:?}, rrdtool saw unknowns in flight in {}",
        h.checked, h.prefixes_seen, h.rrdtool_unknowns
    ));
    assert!(h.prefixes_seen.len() >= 3, "{:?}", h.prefixes_seen);
}

#[test]
fn killed_at_random_instants() {
    let kills = env_u64("RRD_CRASH_KILLS").unwrap_or(120) as usize;
    let mut h = Harness::new();
    // how long a whole call takes
    let (file, mut c) = h.fresh();
    let t0 = Instant::now();
    assert!(c.status().unwrap().success());
    let whole = t0.elapsed();
    h.check(&file, "not killed");
    let mut rng = Rng::new(0xdead_beef);
    for k in 0..kills {
        let (file, mut c) = h.fresh();
        let delay = Duration::from_micros(rng.range(0, whole.as_micros() as u64 + 1));
        let mut child = c.spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        h.check(&file, &format!("kill {k} after {delay:?}"));
    }
    note(&format!(
        "kill harness: {kills} kills at random instants of an update of {VALUES} values \
         ({whole:?} whole): {} files checked, prefixes seen {:?} ({} distinct), rrdtool saw \
         unknowns in flight in {}",
        h.checked,
        h.prefixes_seen.iter().take(12).collect::<Vec<_>>(),
        h.prefixes_seen.len(),
        h.rrdtool_unknowns
    ));
    assert!(h.prefixes_seen.len() >= 3, "{:?}", h.prefixes_seen);
}

/// `create` and `restore` killed at random instants: the directory holds
/// the complete file or nothing, never a temporary or partial file.
#[test]
fn killed_create_and_restore_leave_nothing_or_everything() {
    let dir = TempDir::new("crash-new");
    let d = dir.path();
    // a dump of a 100,000-row file to restore
    let (code, _, err) = tool(
        RRD,
        d,
        &[
            "create",
            "src.rrd",
            "--start",
            "1000000000",
            "DS:a:GAUGE:600:U:U",
            "RRA:AVERAGE:0.5:1:100000",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = tool(RRD, d, &["dump", "src.rrd", "src.xml"]);
    assert_eq!(code, 0, "{err}");
    let jobs: [(&str, Vec<&str>); 2] = [
        (
            "create",
            vec![
                "create",
                "out.rrd",
                "--start",
                "1000000000",
                "DS:a:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:1:2000000",
            ],
        ),
        ("restore", vec!["restore", "src.xml", "out.rrd"]),
    ];
    let mut rng = Rng::new(7);
    let mut outcomes = std::collections::BTreeMap::new();
    for (name, args) in &jobs {
        let _ = std::fs::remove_file(d.join("out.rrd"));
        let t0 = Instant::now();
        let (code, _, err) = tool(RRD, d, args);
        assert_eq!(code, 0, "{name}: {err}");
        let whole = t0.elapsed();
        let complete = std::fs::metadata(d.join("out.rrd")).unwrap().len();
        for k in 0..15 {
            let _ = std::fs::remove_file(d.join("out.rrd"));
            let delay = Duration::from_micros(rng.range(0, whole.as_micros() as u64 + 1));
            let mut child = Command::new(RRD)
                .args(args)
                .current_dir(d)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            let _ = child.kill();
            let _ = child.wait();
            let mut names: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            let outcome = match names.as_slice() {
                [a, b] if a == "src.rrd" && b == "src.xml" => "nothing",
                [a, b, c] if a == "out.rrd" && b == "src.rrd" && c == "src.xml" => {
                    let len = std::fs::metadata(d.join("out.rrd")).unwrap().len();
                    assert_eq!(
                        len, complete,
                        "{name} killed after {delay:?}: a partial file"
                    );
                    let rrd = Rrd::open(d.join("out.rrd"), rrd_core::OpenMode::ReadOnly);
                    assert!(rrd.is_ok(), "{name} killed after {delay:?}: unreadable");
                    "complete"
                }
                other => panic!("{name} kill {k} after {delay:?} left {other:?}"),
            };
            *outcomes.entry((*name, outcome)).or_insert(0) += 1;
        }
    }
    note(&format!("killed create and restore: {outcomes:?}"));
}
