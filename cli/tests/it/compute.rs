//! COMPUTE data sources (`DS:name:COMPUTE:rpn`) against rrdtool 1.7.2.
//!
//! - `compute_golden`: scenarios recorded once from rrdtool
//!   (tests/data/compute, see its README); they run everywhere.
//! - `compute_differential`: random definitions, valid and not, created by
//!   both tools (exit status, messages, `info` with `cur_row` masked, the
//!   file's bytes with the `rra_ptr` area masked), then the same random
//!   update streams applied by both (`updatev` output, `dump`, `fetch`,
//!   `info`, header bytes). Runs when rrdtool 1.7.2 is on PATH, otherwise
//!   prints one note. `RRD_COMPUTE_CASES` sets the number of cases,
//!   `RRD_COMPUTE_SEED` the first seed, `RRD_COMPUTE_KEEP=1` keeps the work
//!   directories under the temporary directory.
//!
//! Self-contained on purpose (own process helpers and PRNG).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const RRD: &str = env!("CARGO_BIN_EXE_rrd");

use crate::support::{archives, have_rrdtool, run, Output as Out};

/// A whole run as text, for comparing and showing.
fn text(o: &Out) -> String {
    format!(
        "status {}\nstdout:\n{}stderr:\n{}",
        o.status,
        o.out(),
        o.err()
    )
}

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "rrd-compute-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // RRD_COMPUTE_KEEP=1 leaves the work directories (and each one's
        // commands.txt) behind for debugging
        if std::env::var_os("RRD_COMPUTE_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// `cur_row = N` → `cur_row = X` (rrdtool picks the row at random).
fn mask_cur_row(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .split_inclusive('\n')
        .map(|l| match l.find("cur_row = ") {
            Some(p) => {
                let head = &l[..p + 10];
                let tail = l[p + 10..].trim_start_matches(|c: char| c.is_ascii_digit());
                format!("{head}X{tail}")
            }
            None => l.to_string(),
        })
        .collect()
}

/// The first line where two texts part, for messages.
fn first_difference(want: &str, got: &str) -> String {
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            return format!("line {}: rrdtool {w:?}, rrd {g:?}", i + 1);
        }
    }
    format!(
        "rrdtool {} lines, rrd {} lines",
        want.lines().count(),
        got.lines().count()
    )
}

// ---------------------------------------------------------------------------
// Golden scenarios (tests/data/compute)

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/compute")
}

/// One command's record, as tests/data/compute/record.sh writes it.
fn record(cmd: &str, o: &Out) -> String {
    format!(
        "$ {cmd}\n{}-- stderr\n{}-- status {}\n",
        mask_cur_row(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        o.status
    )
}

#[test]
fn compute_golden() {
    let dir = data_dir();
    let scenarios = std::fs::read_to_string(dir.join("scenarios.txt")).unwrap();
    let mut count = 0;
    for line in scenarios.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, cmds) = line.split_once('|').unwrap();
        // `!name`: updates a file with COMPUTE sources
        let name = name.strip_prefix('!').unwrap_or(name);
        let work = Dir::new("golden");
        let mut got = String::new();
        for cmd in cmds.split(" ;; ") {
            let args: Vec<String> = cmd.split_whitespace().map(String::from).collect();
            got.push_str(&record(cmd, &run(RRD, &work.0, &args)));
        }
        let want = std::fs::read_to_string(dir.join("expected").join(format!("{name}.out")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            want == got,
            "scenario {name}: {}\n--- rrd:\n{got}",
            first_difference(&want, &got)
        );
        count += 1;
    }
    assert!(count >= 5, "only {count} scenarios");
}

// ---------------------------------------------------------------------------
// Random cases against rrdtool

use crate::support::SplitMix as Rng;

const BINARY: &[&str] = &[
    "+", "-", "*", "/", "%", "MIN", "MAX", "ADDNAN", "MINNAN", "MAXNAN", "LT", "LE", "GT", "GE",
    "EQ", "NE", "POW", "ATAN2",
];
const UNARY: &[&str] = &[
    "UN", "ISINF", "ABS", "FLOOR", "CEIL", "SQRT", "SIN", "COS", "LOG", "EXP", "ATAN", "DEG2RAD",
    "RAD2DEG",
];
const TERNARY: &[&str] = &["IF", "LIMIT"];
const COUNTED: &[&str] = &["AVG", "SMIN", "SMAX", "MEDIAN", "STDEV"];
const FORBIDDEN: &[&str] = &[
    "TIME",
    "LTIME",
    "STEPWIDTH",
    "PREV",
    "NEWDAY",
    "NEWWEEK",
    "NEWMONTH",
    "NEWYEAR",
    "COUNT",
];

/// A well-formed expression over `vars` (they are all earlier sources).
fn expression(rng: &mut Rng, vars: &[String]) -> Vec<String> {
    let target = rng.range(1, 18) as usize;
    let mut toks: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let operand = |rng: &mut Rng| -> String {
        match rng.range(0, 9) {
            0..=5 => rng.pick(vars).clone(),
            6 | 7 => (rng.range(0, 200) as i64 - 50).to_string(),
            _ => rng.pick(&["INF", "NEGINF", "UNKN", "DEPTH"]).to_string(),
        }
    };
    while toks.len() < target || depth != 1 {
        if toks.len() > 24 {
            break;
        }
        let closing = toks.len() >= target;
        let choice = rng.range(0, 9);
        if depth == 0 || (!closing && choice < 4) {
            toks.push(operand(rng));
            depth += 1;
        } else if depth >= 2 && (closing || choice < 6) {
            toks.push(rng.pick(BINARY).to_string());
            depth -= 1;
        } else if depth >= 3 && choice < 7 {
            toks.push(rng.pick(TERNARY).to_string());
            depth -= 2;
        } else if depth >= 2 && choice == 7 {
            let n = rng.range(1, depth as u64);
            toks.push(n.to_string());
            toks.push(rng.pick(COUNTED).to_string());
            depth = depth - n as usize + 1;
        } else if choice == 8 && depth >= 2 {
            toks.push(rng.pick(&["EXC", "DUP", "POP"]).to_string());
            match toks.last().map(String::as_str) {
                Some("DUP") => depth += 1,
                Some("POP") => depth -= 1,
                _ => {}
            }
        } else {
            toks.push(rng.pick(UNARY).to_string());
        }
    }
    toks
}

/// Spoils a well-formed expression in one of the ways rrdtool rejects at
/// create or at update time.
fn spoil(rng: &mut Rng, toks: &mut Vec<String>, later: Option<&str>) {
    let k = rng.range(0, toks.len() as u64 - 1) as usize;
    match rng.range(0, 11) {
        0 => toks.insert(k, "2.5".into()),
        1 => toks.insert(
            k,
            rng.pick(&["40000", "-32768", "32767", "32768", "1e3", "7.0"])
                .to_string(),
        ),
        2 => toks.insert(k, later.unwrap_or("nosuch").into()),
        3 => toks.insert(k, "nosuch".into()),
        4 => toks.insert(k, rng.pick(FORBIDDEN).to_string()),
        5 => toks.clear(),
        6 => toks.push("5".into()),
        7 => toks.insert(k, "+".into()),
        8 => toks.push("DUP".into()),
        // PREV(name) would do: it fails at update time, but rrdtool's info
        // and dump crash on it (see the golden scenario `failing`)
        9 => toks.insert(k, "UNKN".into()),
        10 => {
            while toks.len() < 20 {
                toks.push("1".into());
                toks.push("+".into());
            }
        }
        _ => toks.push(String::new()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Gauge,
    Absolute,
    Derive,
    Counter,
    Compute,
}

struct Case {
    start: i64,
    step: u64,
    names: Vec<String>,
    kinds: Vec<Kind>,
    create: Vec<String>,
}

fn definition(rng: &mut Rng) -> Case {
    let step = *rng.pick(&[60u64, 300, 300, 120]);
    let start = 1_000_000_000 + rng.range(0, 100_000) as i64;
    let n = rng.range(2, 6) as usize;
    let mut names = Vec::new();
    let mut kinds = Vec::new();
    let mut create = vec![
        "--start".to_string(),
        start.to_string(),
        "--step".into(),
        step.to_string(),
    ];
    let spoiled = rng.chance(25);
    let spoil_at = rng.range(1, n as u64 - 1) as usize;
    for i in 0..n {
        let name = format!("v{i}");
        let kind = if i == 0 || rng.chance(45) {
            *rng.pick(&[
                Kind::Gauge,
                Kind::Gauge,
                Kind::Absolute,
                Kind::Derive,
                Kind::Counter,
            ])
        } else {
            Kind::Compute
        };
        let kind = if spoiled && i == spoil_at {
            Kind::Compute
        } else {
            kind
        };
        let arg = if kind == Kind::Compute {
            let mut toks = expression(rng, &names);
            if spoiled && i == spoil_at {
                let later = format!("v{}", i + 1);
                spoil(rng, &mut toks, (i + 1 < n).then_some(later.as_str()));
            }
            format!("DS:{name}:COMPUTE:{}", toks.join(","))
        } else {
            let dst = match kind {
                Kind::Gauge => "GAUGE",
                Kind::Absolute => "ABSOLUTE",
                Kind::Derive => "DERIVE",
                _ => "COUNTER",
            };
            let hb = rng.range(step, 4 * step);
            let (min, max) = if rng.chance(30) {
                ("-50".to_string(), "80".to_string())
            } else {
                ("U".to_string(), "U".to_string())
            };
            format!("DS:{name}:{dst}:{hb}:{min}:{max}")
        };
        create.push(arg);
        names.push(name);
        kinds.push(kind);
    }
    for _ in 0..rng.range(1, 3) {
        let cf = rng.pick(&["AVERAGE", "MIN", "MAX", "LAST"]);
        let xff = rng.pick(&["0", "0.5", "0.9"]);
        create.push(format!(
            "RRA:{cf}:{xff}:{}:{}",
            rng.range(1, 4),
            rng.range(3, 25)
        ));
    }
    Case {
        start,
        step,
        names,
        kinds,
        create,
    }
}

/// `update` arguments: maybe a template, then `time:values`.
fn update_stream(rng: &mut Rng, case: &Case) -> Vec<String> {
    let mut args = Vec::new();
    let order: Vec<usize> = if rng.chance(20) {
        // a template, sometimes naming COMPUTE sources too
        let mut idx: Vec<usize> = (0..case.names.len())
            .filter(|&i| case.kinds[i] != Kind::Compute || rng.chance(30))
            .collect();
        for i in (1..idx.len()).rev() {
            idx.swap(i, rng.range(0, i as u64) as usize);
        }
        if idx.is_empty() {
            idx.push(0);
        }
        let names: Vec<&str> = idx.iter().map(|&i| case.names[i].as_str()).collect();
        args.push("-t".to_string());
        args.push(names.join(":"));
        idx
    } else {
        (0..case.names.len())
            .filter(|&i| case.kinds[i] != Kind::Compute)
            .collect()
    };
    let mut t = case.start;
    let mut counters: Vec<i64> = vec![rng.range(0, 1000) as i64; case.names.len()];
    for _ in 0..rng.range(1, 40) {
        t += match rng.range(0, 9) {
            0 => rng.range(1, 30) as i64,
            1 => rng.range(600, 30 * case.step) as i64,
            _ => rng.range(30, 2 * case.step) as i64,
        };
        let mut a = t.to_string();
        for &i in &order {
            a.push(':');
            if rng.chance(8) {
                a.push('U');
                continue;
            }
            match case.kinds[i] {
                Kind::Gauge | Kind::Compute => {
                    let v = rng.range(0, 20000) as f64 / 100.0 - 60.0;
                    a.push_str(&format!("{v}"));
                }
                Kind::Absolute => a.push_str(&rng.range(0, 5000).to_string()),
                Kind::Derive | Kind::Counter => {
                    counters[i] += rng.range(0, 30_000) as i64 - 1000;
                    if case.kinds[i] == Kind::Counter && counters[i] < 0 {
                        counters[i] = 0;
                    }
                    a.push_str(&counters[i].to_string());
                }
            }
        }
        args.push(a);
    }
    args
}

#[derive(Default)]
struct Tally {
    cases: u64,
    created: u64,
    refused: u64,
    updated: u64,
    update_errors: u64,
    problems: Vec<String>,
}

fn header_len(d: usize, r: usize) -> usize {
    128 + 120 * d + 120 * r + 16 + 112 * d + 80 * r * d + 8 * r
}

fn check_case(seed: u64, tally: &Mutex<Tally>) {
    let mut rng = Rng(seed);
    let case = definition(&mut rng);
    let work = Dir::new("diff");
    let (a, b) = (work.0.join("a"), work.0.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let problems = std::cell::RefCell::new(Vec::new());
    let both = |what: &str, args: Vec<String>| -> Option<(Out, Out)> {
        if std::env::var_os("RRD_COMPUTE_KEEP").is_some() {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(work.0.join("commands.txt"))
                .unwrap();
            writeln!(f, "{}", args.join(" ")).unwrap();
        }
        let want = run("rrdtool", &a, &args);
        let got = run(RRD, &b, &args);
        let masked = |o: &Out| Out {
            status: o.status,
            stdout: mask_cur_row(&o.stdout).into_bytes(),
            stderr: o.stderr.clone(),
        };
        let (mw, mg) = (masked(&want), masked(&got));
        if mw != mg {
            problems.borrow_mut().push(format!(
                "seed {seed}: {what} `{}`: {}",
                args.join(" "),
                first_difference(&text(&mw), &text(&mg))
            ));
            return None;
        }
        Some((want, got))
    };
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut create = s(&["create", "x.rrd"]);
    create.extend(case.create.iter().cloned());
    let mut t = tally.lock().unwrap();
    t.cases += 1;
    drop(t);
    let Some((made, _)) = both("create", create) else {
        tally
            .lock()
            .unwrap()
            .problems
            .append(&mut problems.borrow_mut());
        return;
    };
    if made.status != 0 {
        tally.lock().unwrap().refused += 1;
        return;
    }
    tally.lock().unwrap().created += 1;
    let d = case.names.len();
    let r = case.create.iter().filter(|a| a.starts_with("RRA:")).count();
    let hl = header_len(d, r);
    let bytes_agree = |what: &str, whole: bool| {
        let mut problems = problems.borrow_mut();
        let x = std::fs::read(a.join("x.rrd")).unwrap();
        let y = std::fs::read(b.join("x.rrd")).unwrap();
        // the journal `rrd` keeps after the archives is not rrdtool's
        let (x, y) = match (archives(&x), archives(&y)) {
            (Ok(x), Ok(y)) => (x.to_vec(), y.to_vec()),
            (Err(e), _) | (_, Err(e)) => {
                problems.push(format!("seed {seed}: {what}: {e}"));
                return;
            }
        };
        let (mut x, mut y) = if whole {
            (x, y)
        } else {
            (x[..hl].to_vec(), y[..hl].to_vec())
        };
        if x.len() != y.len() {
            problems.push(format!(
                "seed {seed}: {what}: {} vs {} bytes",
                x.len(),
                y.len()
            ));
            return;
        }
        // rra_ptr (cur_row) is random
        x[hl - 8 * r..hl].fill(0);
        y[hl - 8 * r..hl].fill(0);
        if let Some(p) = x.iter().zip(&y).position(|(p, q)| p != q) {
            problems.push(format!("seed {seed}: {what}: bytes differ at offset {p}"));
        }
    };
    bytes_agree("created file", true);
    both("info", s(&["info", "x.rrd"]));
    both("dump", s(&["dump", "x.rrd"]));
    let mut up = s(&["updatev", "x.rrd"]);
    up.extend(update_stream(&mut rng, &case));
    if let Some((o, _)) = both("updatev", up) {
        let mut t = tally.lock().unwrap();
        t.updated += 1;
        t.update_errors += u64::from(o.status != 0);
    }
    bytes_agree("header after updates", false);
    both("info", s(&["info", "x.rrd"]));
    both("dump", s(&["dump", "x.rrd"]));
    let cf = case
        .create
        .iter()
        .find_map(|a| a.strip_prefix("RRA:"))
        .and_then(|a| a.split(':').next())
        .unwrap_or("AVERAGE")
        .to_string();
    let start = (case.start - 3600).to_string();
    let end = (case.start + 40 * 4 * case.step as i64).to_string();
    both(
        "fetch",
        s(&["fetch", "x.rrd", &cf, "-s", &start, "-e", &end]),
    );
    if !problems.borrow().is_empty() {
        let created = format!("seed {seed}: created with `{}`", case.create.join(" "));
        problems.borrow_mut().push(created);
    }
    tally
        .lock()
        .unwrap()
        .problems
        .append(&mut problems.borrow_mut());
}

#[test]
fn compute_differential() {
    if !have_rrdtool() {
        eprintln!("compute_differential skipped: rrdtool 1.7.2 is not on PATH");
        return;
    }
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let count = env("RRD_COMPUTE_CASES").unwrap_or(300);
    let first = env("RRD_COMPUTE_SEED").unwrap_or(1);
    let next = AtomicU64::new(first);
    let tally = Mutex::new(Tally::default());
    std::thread::scope(|sc| {
        for _ in 0..2 {
            sc.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= first + count {
                    break;
                }
                check_case(seed, &tally);
            });
        }
    });
    let t = tally.into_inner().unwrap();
    eprintln!(
        "compute_differential: {} cases, {} created ({} refused by both), {} update streams ({} ending in an error)",
        t.cases, t.created, t.refused, t.updated, t.update_errors
    );
    assert!(
        t.problems.is_empty(),
        "{} problems:\n{}",
        t.problems.len(),
        t.problems.join("\n")
    );
    if count >= 100 {
        assert!(t.created >= count / 2, "too few files created");
        assert!(t.refused >= count / 20, "too few refusals");
        assert!(t.updated >= count / 2, "too few update streams");
    }
}
