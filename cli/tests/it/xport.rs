//! `rrd xport` against C rrdtool 1.7.2:
//!
//! - `golden_cases_replay_byte_for_byte`: the command lines of
//!   `tests/data/xport/cases.txt`, run on the files `make.sh` made, against
//!   what rrdtool printed (see that directory's README); no rrdtool needed;
//! - `differential_random_xports`: when rrdtool is on PATH, random files
//!   (steps, data sources, archives of several functions and PDP counts,
//!   unknown gaps) and random xports over them (several DEFs with `:step=`
//!   and `:reduce=`, random windows, `-m`, `--step`, `--json`, `--enumds`,
//!   `-t`, VDEFs, random RPN from a safe operator subset), stdout, stderr
//!   and exit status compared byte for byte.
//!
//! `RRD_XPORT_SEED=n` runs only file set n; `RRD_XPORT_COUNT=n` sets how
//! many file sets.

use std::path::{Path, PathBuf};

use crate::support::{have_rrdtool, note, run, Output as Run};

const RRD: &str = env!("CARGO_BIN_EXE_rrd");

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xport")
}

/// Where two runs part, or `None` when they agree.
fn diff(want: &Run, got: &Run) -> Option<String> {
    if want == got {
        return None;
    }
    if want.status != got.status || want.stderr != got.stderr {
        return Some(format!(
            "status {} vs {}, stderr {:?} vs {:?}",
            want.status,
            got.status,
            String::from_utf8_lossy(&want.stderr),
            String::from_utf8_lossy(&got.stderr)
        ));
    }
    let (w, g) = (
        String::from_utf8_lossy(&want.stdout),
        String::from_utf8_lossy(&got.stdout),
    );
    let line = w
        .lines()
        .zip(g.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| w.lines().count().min(g.lines().count()));
    Some(format!(
        "stdout differs at line {}: want {:?}, got {:?}",
        line + 1,
        w.lines().nth(line),
        g.lines().nth(line)
    ))
}

// ------------------------------------------------------------------ golden

#[test]
fn golden_cases_replay_byte_for_byte() {
    let dir = data_dir();
    let cases = std::fs::read_to_string(dir.join("cases.txt")).expect("cases.txt");
    let fixtures = dir.join("fixtures");
    let mut failures = Vec::new();
    let (mut n, mut ok, mut errors) = (0, 0, 0);
    for line in cases
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        n += 1;
        let id = format!("{n:03}");
        let read = |ext: &str| {
            std::fs::read(dir.join("expected").join(format!("{id}.{ext}")))
                .unwrap_or_else(|e| panic!("expected/{id}.{ext}: {e}"))
        };
        let status = String::from_utf8(read("status")).expect("status");
        let want = Run {
            status: status.trim().parse().expect("status number"),
            stdout: read("out"),
            stderr: read("err"),
        };
        let mut args = vec!["xport".to_string()];
        args.extend(line.split_whitespace().map(str::to_string));
        let got = run(RRD, &fixtures, &args);
        if want.status == 0 {
            ok += 1;
        } else {
            errors += 1;
        }
        if let Some(d) = diff(&want, &got) {
            failures.push(format!("case {id} `{line}`: {d}"));
        }
    }
    assert!(
        ok >= 20 && errors >= 15,
        "only {ok} successes and {errors} errors"
    );
    assert!(
        failures.is_empty(),
        "{} of {n} golden xports differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------ differential

/// File sets per run, each with [`XPORTS`] xports: 1500 comparisons in
/// about 6 s on two cores.
const DEFAULT_COUNT: u64 = 30;
const XPORTS: usize = 50;

use crate::support::SplitMix as Rng;

struct File {
    name: String,
    ds: Vec<String>,
    cfs: Vec<&'static str>,
    first: i64,
    last: i64,
}

const T0: i64 = 1_100_000_000;

fn make_files(rng: &mut Rng, dir: &Path) -> Vec<File> {
    let mut files = Vec::new();
    for f in 0..rng.range(1, 3) {
        let step = *rng.pick(&[60u64, 120, 300, 600]);
        let nds = rng.range(1, 2);
        let ds: Vec<String> = (0..nds).map(|k| format!("d{k}")).collect();
        let name = format!("f{f}.rrd");
        let mut args: Vec<String> = vec![
            "create".into(),
            name.clone(),
            "--start".into(),
            T0.to_string(),
            "--step".into(),
            step.to_string(),
        ];
        for d in &ds {
            let kind = if rng.chance(70) { "GAUGE" } else { "ABSOLUTE" };
            args.push(format!("DS:{d}:{kind}:{}:U:U", step * 2));
        }
        let mut cfs = vec!["AVERAGE"];
        args.push(format!("RRA:AVERAGE:0.5:1:{}", rng.range(50, 400)));
        for _ in 0..rng.range(1, 4) {
            let cf = *rng.pick(&["AVERAGE", "MIN", "MAX", "LAST"]);
            if !cfs.contains(&cf) {
                cfs.push(cf);
            }
            args.push(format!(
                "RRA:{cf}:0.5:{}:{}",
                rng.pick(&[1, 2, 3, 5, 6, 12]),
                rng.range(20, 200)
            ));
        }
        let o = run("rrdtool", dir, &args);
        assert_eq!(o.status, 0, "rrdtool {args:?}: {o:?}");
        let n = rng.range(30, 300) as i64;
        let mut up: Vec<String> = vec!["update".into(), name.clone()];
        let mut t = T0;
        let gap = rng.range(0, n as u64) as i64;
        for i in 0..n {
            t += if rng.chance(90) {
                step as i64
            } else {
                rng.range(1, 3 * step) as i64
            };
            let vals: Vec<String> = ds
                .iter()
                .map(|_| {
                    if (gap..gap + 5).contains(&i) || rng.chance(5) {
                        "U".to_string()
                    } else {
                        format!("{}", rng.range(0, 2000) as f64 / 8.0 - 50.0)
                    }
                })
                .collect();
            up.push(format!("{t}:{}", vals.join(":")));
        }
        let o = run("rrdtool", dir, &up);
        assert_eq!(o.status, 0, "rrdtool update: {o:?}");
        files.push(File {
            name,
            ds,
            cfs,
            first: T0,
            last: t,
        });
    }
    files
}

/// A random RPN expression over `vars` (series) and `consts` (VDEFs) that
/// never ends with a literal.
fn rpn(rng: &mut Rng, vars: &[String], consts: &[String], depth: u32) -> String {
    let leaf = |rng: &mut Rng| -> String {
        match rng.range(0, 9) {
            0..=4 => rng.pick(vars).clone(),
            5 if !consts.is_empty() => rng.pick(consts).clone(),
            6 => rng
                .pick(&[
                    "TIME",
                    "COUNT",
                    "STEPWIDTH",
                    "UNKN",
                    "INF",
                    "LTIME",
                    "NEWDAY",
                    "NEWHOUR",
                ])
                .to_string()
                .replace("NEWHOUR", "NEGINF"),
            7 if rng.chance(50) => format!("PREV({})", rng.pick(vars)),
            _ => format!("{}", rng.range(0, 400) as f64 / 4.0 - 20.0),
        }
    };
    if depth == 0 || rng.chance(25) {
        return leaf(rng);
    }
    let sub = |rng: &mut Rng| rpn(rng, vars, consts, depth - 1);
    match rng.range(0, 11) {
        // a window over the variable's own rows, as rrdtool reads it
        9 => {
            let op = rng.pick(&["TREND", "TRENDNAN"]);
            let dur = rng.pick(&[60, 300, 600, 900, 1800, 3600]);
            return format!("{},{dur},{op}", rng.pick(vars));
        }
        10 => {
            let n = rng.range(1, 4);
            let shifts: Vec<String> = (0..n)
                .map(|_| rng.pick(&[600, 1800, 3600, 7200]).to_string())
                .collect();
            let win = rng.pick(&[300, 600, 1800]);
            let v = rng.pick(vars);
            return match rng.range(0, 3) {
                0 => format!("{},{n},{win},{v},PREDICT", shifts.join(",")),
                1 => format!("{},{n},{win},{v},PREDICTSIGMA", shifts.join(",")),
                _ => format!(
                    "{},{n},{win},{},{v},PREDICTPERC",
                    shifts.join(","),
                    rng.range(0, 101)
                ),
            };
        }
        _ => {}
    }
    match rng.range(0, 9) {
        0..=4 => {
            let op = rng.pick(&[
                "+", "-", "*", "/", "%", "ADDNAN", "MIN", "MAX", "MINNAN", "MAXNAN", "LT", "GE",
                "EQ",
            ]);
            format!("{},{},{op}", sub(rng), sub(rng))
        }
        5 => format!(
            "{},{}",
            sub(rng),
            rng.pick(&["UN", "ISINF", "ABS", "FLOOR", "CEIL", "SIN", "SQRT", "LOG", "EXP"])
        ),
        6 => format!("{},{},{},IF", sub(rng), sub(rng), sub(rng)),
        7 => format!("{},{},{},LIMIT", sub(rng), sub(rng), sub(rng)),
        8 => format!("PREV,UN,0,PREV,IF,{},+", sub(rng)),
        _ => format!("{},DUP,*", sub(rng)),
    }
}

fn random_xport(rng: &mut Rng, files: &[File]) -> Vec<String> {
    let first = files.iter().map(|f| f.first).min().unwrap_or(T0);
    let last = files.iter().map(|f| f.last).max().unwrap_or(T0);
    let span = (last - first).max(600);
    let start = first - 3600 + rng.range(0, (span + 3600) as u64) as i64;
    let end = start + rng.range(0, span as u64 + 7200) as i64;
    let mut a: Vec<String> = vec!["xport".into()];
    match rng.range(0, 5) {
        0 => a.extend([format!("--start={start}"), format!("--end={end}")]),
        1 => a.extend([
            "-s".into(),
            format!("end-{}s", end - start),
            "-e".into(),
            end.to_string(),
        ]),
        _ => a.extend(["-s".into(), start.to_string(), "-e".into(), end.to_string()]),
    }
    if rng.chance(40) {
        if rng.chance(50) {
            a.push(format!("--maxrows={}", rng.range(10, 300)));
        } else {
            a.push("-m".into());
            a.push(rng.range(10, 300).to_string());
        }
    }
    if rng.chance(30) {
        a.push("--step".into());
        a.push(
            rng.pick(&["0", "60", "100", "300", "700", "1800"])
                .to_string(),
        );
    }
    if rng.chance(40) {
        a.push("--json".into());
    }
    if rng.chance(25) {
        a.push("--enumds".into());
    }
    if rng.chance(25) {
        a.push(if rng.chance(50) { "-t" } else { "--showtime" }.into());
    }
    let mut series = Vec::new();
    let mut consts = Vec::new();
    for k in 0..rng.range(1, 3) {
        let f = rng.pick(files);
        let ds = rng.pick(&f.ds).clone();
        let cf = if rng.chance(90) {
            *rng.pick(&f.cfs)
        } else {
            "LAST"
        };
        let mut def = format!("DEF:v{k}={}:{ds}:{cf}", f.name);
        if rng.chance(25) {
            def.push_str(&format!(
                ":step={}",
                rng.pick(&[60, 120, 300, 900, 1800, 3600])
            ));
        }
        if rng.chance(20) {
            def.push_str(&format!(
                ":reduce={}",
                rng.pick(&["AVERAGE", "MIN", "MAX", "LAST"])
            ));
        }
        // a window of its own (relative to the graph's or absolute),
        // mostly reaching back far enough for TREND and PREDICT, or a
        // window moved back and SHIFTed forward onto the graph's
        let hours = (end - start) / 3600 + 1;
        let shift = rng
            .chance(10)
            .then(|| *rng.pick(&[-3600i64, -600, 300, 450, 1800, 3600]));
        match (shift, rng.range(0, 10)) {
            (Some(by), _) => def.push_str(&format!(":start={}:end={}", start - by, end - by)),
            (None, 0) => def.push_str(&format!(":start=end-{}h", hours + rng.range(0, 6) as i64)),
            (None, 1) => def.push_str(&format!(":end=start+{}h", hours + rng.range(0, 3) as i64)),
            (None, 2) => def.push_str(&format!(
                ":start={}:end=start+{}min",
                start - rng.range(0, 20000) as i64,
                hours * 60 + rng.range(300, 2000) as i64
            )),
            (None, 3..=5) => def.push_str(&format!(":start={}", start - 14400)),
            _ => {}
        }
        a.push(def);
        series.push(format!("v{k}"));
        if let Some(by) = shift {
            a.push(format!("SHIFT:v{k}:{by}"));
        }
    }
    for k in 0..rng.range(0, 2) {
        let src = rng.pick(&series).clone();
        let func = match rng.range(0, 12) {
            0 => "MAXIMUM".to_string(),
            1 => "MINIMUM".to_string(),
            2 => "AVERAGE".to_string(),
            3 => "STDEV".to_string(),
            4 => "LAST".to_string(),
            5 => "FIRST".to_string(),
            6 => "TOTAL".to_string(),
            7 => format!("{},PERCENT", rng.range(0, 100)),
            8 => format!("{},PERCENTNAN", rng.range(0, 100)),
            9 => "LSLSLOPE".to_string(),
            10 => "LSLINT".to_string(),
            _ => "LSLCORREL".to_string(),
        };
        a.push(format!("VDEF:k{k}={src},{func}"));
        consts.push(format!("k{k}"));
    }
    for k in 0..rng.range(0, 3) {
        let e = rpn(rng, &series, &consts, 3);
        a.push(format!("CDEF:c{k}={e}"));
        series.push(format!("c{k}"));
    }
    for _ in 0..rng.range(1, 3) {
        let v = rng.pick(&series).clone();
        match rng.range(0, 3) {
            0 => a.push(format!("XPORT:{v}:col_{v}")),
            1 => a.push(format!("XPORT:{v}:  spaced {v} & <more>")),
            _ => a.push(format!("XPORT:{v}")),
        }
    }
    a
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn differential_random_xports() {
    if !have_rrdtool() {
        return;
    }
    let seeds: Vec<u64> = match env_u64("RRD_XPORT_SEED") {
        Some(s) => vec![s],
        None => (1..=env_u64("RRD_XPORT_COUNT").unwrap_or(DEFAULT_COUNT)).collect(),
    };
    let handles: Vec<_> = seeds
        .chunks(seeds.len().div_ceil(2).max(1))
        .map(|chunk| {
            let chunk = chunk.to_vec();
            std::thread::spawn(move || {
                let (mut same, mut refused, mut succeeded, mut exprs) = (0, 0, 0, 0);
                let mut failures = Vec::new();
                for seed in chunk {
                    let failed_before = failures.len();
                    let dir = std::env::temp_dir()
                        .join(format!("rrd-xport-diff-{}-{seed}", std::process::id()));
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::create_dir_all(&dir).expect("temp dir");
                    let mut rng = Rng(seed);
                    let files = make_files(&mut rng, &dir);
                    for _ in 0..XPORTS {
                        let args = random_xport(&mut rng, &files);
                        let want = run("rrdtool", &dir, &args);
                        let got = run(RRD, &dir, &args);
                        match diff(&want, &got) {
                            None => {
                                same += 1;
                                if want.status == 0 {
                                    succeeded += 1;
                                    exprs += args.iter().filter(|a| a.starts_with("CDEF:")).count();
                                }
                            }
                            Some(_)
                                if got.status == 1
                                    && String::from_utf8_lossy(&got.stderr)
                                        .contains("is not supported") =>
                            {
                                refused += 1;
                                if std::env::var_os("RRD_XPORT_SHOW_REFUSED").is_some() {
                                    note(&format!(
                                        "refused: {} {args:?}",
                                        String::from_utf8_lossy(&got.stderr).trim_end()
                                    ));
                                }
                            }
                            Some(d) => failures.push(format!("seed {seed}: {args:?}: {d}")),
                        }
                    }
                    // keep the files of a failing set for a look
                    if failures.len() == failed_before {
                        let _ = std::fs::remove_dir_all(&dir);
                    }
                }
                (same, refused, succeeded, exprs, failures)
            })
        })
        .collect();
    let (mut same, mut refused, mut succeeded, mut exprs, mut failures) = (0, 0, 0, 0, Vec::new());
    for h in handles {
        let (s, r, ok, e, f) = h.join().expect("worker");
        same += s;
        refused += r;
        succeeded += ok;
        exprs += e;
        failures.extend(f);
    }
    note(&format!(
        "xport differential: {same} agreed ({succeeded} successful exports with {exprs} random CDEF expressions), {refused} refused as unsupported, {} differ",
        failures.len()
    ));
    assert!(
        failures.is_empty(),
        "{} xports differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // the refusals are PERCENTNAN without known values and PREV(v) of a
    // coarser input at the CDEF start, where rrdtool reads outside its data
    assert!(
        refused * 8 <= same + refused,
        "{refused} of {} refused as unsupported",
        same + refused
    );
}
