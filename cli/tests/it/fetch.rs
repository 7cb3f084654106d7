//! `rrd fetch` against C rrdtool 1.7.2:
//!
//! - `golden_transcript_replays_byte_for_byte`: what rrdtool printed for the
//!   fetches of `tests/data/fetch/make.sh` (see its README) on the files it
//!   made; runs everywhere, rrdtool or not;
//! - `differential_random_windows`: when rrdtool is on PATH, random
//!   definitions (several archives of different functions, PDP counts and
//!   lengths) filled by `rrdtool update` over random spans, then many random
//!   fetches (windows before, inside, across and after the data, aligned or
//!   not, `-r`, `-a`, every function, option forms, a few errors), each
//!   compared byte for byte (stdout, stderr, exit status).
//!
//! `RRD_FETCH_SEED=n` runs only definition n; `RRD_FETCH_COUNT=n` sets how
//! many definitions.

use std::path::Path;

use crate::support::{
    argv, data_dir, have_rrdtool, note, output_diff, replay_transcript, rrd, rrdtool, seeds,
    zone_missing, Rng, TempDir,
};

// ------------------------------------------------------------------ golden

#[test]
fn golden_transcript_replays_byte_for_byte() {
    let r = replay_transcript(&data_dir("fetch"), "fetch-golden", "fetch golden");
    let (ok, errors) = (r.ok, r.ran - r.ok);
    assert!(
        ok > 60 && errors > 30,
        "the transcript holds only {ok} successes and {errors} errors"
    );
    r.assert_agreed("golden fetches");
}

// ------------------------------------------------------------ differential

/// Definitions per run (each with [`FETCHES`] fetches): a thousand
/// comparisons in about 10 s on two cores.
const DEFAULT_COUNT: u64 = 20;
/// Fetches per definition.
const FETCHES: usize = 50;
/// Definition i uses seed FIRST_SEED + i.
const FIRST_SEED: u64 = 1;

const PLAIN: [&str; 4] = ["AVERAGE", "MIN", "MAX", "LAST"];
const HW: [&str; 6] = [
    "HWPREDICT",
    "MHWPREDICT",
    "SEASONAL",
    "DEVSEASONAL",
    "DEVPREDICT",
    "FAILURES",
];

/// A random file as made by rrdtool, and what windows make sense on it.
struct Def {
    tz: &'static str,
    step: u64,
    /// Seconds per row of each archive.
    rra_steps: Vec<u64>,
    /// Longest time an archive spans.
    span: u64,
    /// A resolution that ties two archives of the same span.
    tie: Option<u64>,
    /// The functions of its archives.
    cfs: Vec<&'static str>,
    /// `--start` of the create.
    created: i64,
    last_up: i64,
}

fn number(rng: &mut Rng) -> String {
    match rng.range(0, 6) {
        0 => "U".to_string(),
        1 => format!("{}", rng.range(0, 2000) as i64 - 1000),
        2 => format!("{}.{}", rng.range(0, 999) as i64 - 500, rng.range(0, 999)),
        3 => format!("{}e{}", rng.range(1, 9), rng.range(0, 30)),
        4 => format!(
            "-{}.{}e-{}",
            rng.range(1, 9),
            rng.range(0, 99),
            rng.range(0, 30)
        ),
        _ => format!("0.{}", rng.range(0, 1_000_000)),
    }
}

/// Creates and fills `file` in `dir` with rrdtool.
fn make_def(seed: u64, dir: &Path, file: &str) -> Def {
    let mut rng = Rng::new(seed);
    let tz = *rng.pick(&["UTC", "UTC", "UTC", "Europe/Zurich"]);
    let step = *rng.pick(&[1, 5, 10, 60, 60, 300, 300, 900, 3600]);
    let created = rng.range(1_000_000_000, 1_700_000_000) as i64;
    let mut create = argv(&["create", file, "--start"]);
    create.push(created.to_string());
    create.push("--step".into());
    create.push(step.to_string());
    let kinds = ["GAUGE", "GAUGE", "GAUGE", "COUNTER", "DERIVE", "ABSOLUTE"];
    let ds_count = rng.range(1, 3) as usize;
    let mut ds_kinds = Vec::new();
    for i in 0..ds_count {
        let kind = *rng.pick(&kinds);
        ds_kinds.push(kind);
        // sometimes the longest name (19 characters) for the %20s header
        let name = if rng.chance(20) {
            format!("long_data_source_{i:02}")
        } else {
            format!("ds{i}")
        };
        create.push(format!("DS:{name}:{kind}:{}:U:U", step * rng.range(2, 4)));
    }
    let mut rra_steps = Vec::new();
    let mut tie = None;
    let mut cfs = Vec::new();
    // sometimes only the twins below, so that nothing else beats them
    let twins_only = rng.chance(25);
    let others = if twins_only { 0 } else { rng.range(1, 5) };
    for _ in 0..others {
        let cf = *rng.pick(&PLAIN);
        cfs.push(cf);
        let pdp = *rng.pick(&[1, 1, 2, 3, 4, 6, 12]);
        let rows = rng.range(1, 40);
        create.push(format!(
            "RRA:{cf}:{}:{pdp}:{rows}",
            rng.pick(&["0", "0.5", "0.9"])
        ));
        rra_steps.push(pdp * step);
    }
    if twins_only || rng.chance(30) {
        // two archives of one function spanning the same time with steps
        // a and 3a: ties in cover, and in step difference for -r 2a
        let cf = *rng.pick(&PLAIN);
        cfs.push(cf);
        let pdp = *rng.pick(&[1, 2, 4]);
        let rows = rng.range(1, 12);
        let (first, second) = ((pdp, 3 * rows), (3 * pdp, rows));
        let (first, second) = if rng.chance(50) {
            (first, second)
        } else {
            (second, first)
        };
        for (p, r) in [first, second] {
            create.push(format!("RRA:{cf}:0.5:{p}:{r}"));
            rra_steps.push(p * step);
        }
        tie = Some(2 * pdp * step);
    }
    if rng.chance(15) {
        create.push("RRA:HWPREDICT:30:0.1:0.01:5".into());
        rra_steps.push(step);
        // and the SEASONAL, DEVSEASONAL, DEVPREDICT and FAILURES rrdtool adds
        cfs.extend([
            "HWPREDICT",
            "SEASONAL",
            "DEVSEASONAL",
            "DEVPREDICT",
            "FAILURES",
        ]);
    }
    let o = rrdtool(dir, tz, &create);
    assert_eq!(o.status, 0, "seed {seed}: rrdtool {create:?}: {o}");
    let span = {
        let mut s = 0;
        for a in create.iter().filter(|a| a.starts_with("RRA:")) {
            let f: Vec<&str> = a.split(':').collect();
            let (pdp, rows): (u64, u64) = if f[1] == "HWPREDICT" {
                (1, f[2].parse().unwrap())
            } else {
                (f[3].parse().unwrap(), f[4].parse().unwrap())
            };
            s = s.max(pdp * rows * step);
        }
        s
    };

    // updates over a random span: irregular intervals, gaps, unknowns
    let mut update = argv(&["update", file]);
    let mut t = created;
    let mut counters = vec![0u64; ds_count];
    let updates = if rng.chance(10) { 0 } else { rng.range(1, 250) };
    for _ in 0..updates {
        t += match rng.range(0, 19) {
            0..=14 => rng.range(step.div_ceil(2), step),
            15..=17 => rng.range(1, 3 * step),
            _ => rng.range(5 * step, 40 * step),
        } as i64;
        let mut u = t.to_string();
        for (k, kind) in ds_kinds.iter().enumerate() {
            u.push(':');
            if rng.chance(8) {
                u.push('U');
                continue;
            }
            match *kind {
                "COUNTER" => {
                    counters[k] += rng.range(0, 100_000);
                    u.push_str(&counters[k].to_string());
                }
                "DERIVE" | "ABSOLUTE" => u.push_str(&rng.range(0, 5000).to_string()),
                _ => u.push_str(&number(&mut rng)),
            }
        }
        update.push(u);
    }
    if update.len() > 2 {
        let o = rrdtool(dir, tz, &update);
        assert_eq!(o.status, 0, "seed {seed}: rrdtool update: {o}");
    }
    Def {
        tz,
        step,
        rra_steps,
        span,
        tie,
        cfs,
        created,
        last_up: t,
    }
}

/// One option with its value, in one of the forms rrdtool accepts, as a
/// group of words that stays together when the options are shuffled.
fn push_opt(rng: &mut Rng, out: &mut Vec<Vec<String>>, short: char, long: &str, value: &str) {
    out.push(match rng.range(0, 3) {
        0 => vec![format!("-{short}"), value.to_string()],
        1 => vec![format!("--{long}"), value.to_string()],
        2 => vec![format!("--{long}={value}")],
        _ => vec![format!("-{short}{value}")],
    });
}

/// A random fetch of `file`; the flag says whether the outcome depends on
/// the wall clock (then a mismatch is retried once).
fn random_fetch(rng: &mut Rng, def: &Def, file: &str) -> (Vec<String>, bool) {
    let step = def.step as i64;
    let span = def.span.max(def.step) as i64;
    let rra_step = *rng.pick(&def.rra_steps) as i64;
    let anchor = match rng.range(0, 5) {
        0 => def.last_up,
        1 => def.last_up - span,
        2 => def.created,
        // inside the updated part of the archives
        3 | 4 => def.last_up - rng.range(0, (span.min(def.last_up - def.created)) as u64) as i64,
        _ => def.last_up + rng.range(0, span as u64) as i64,
    };
    let mut start = anchor + rng.range(0, 6 * rra_step as u64) as i64 - 3 * rra_step;
    if rng.chance(40) {
        let a = *rng.pick(&[step, rra_step]);
        start -= start.rem_euclid(a);
    }
    let len = match rng.range(0, 4) {
        0 => 0,
        1 => rra_step * rng.range(1, 10) as i64,
        2 => rng.range(1, span as u64 * 2) as i64,
        _ => rng.range(1, 4 * rra_step as u64) as i64,
    };
    let end = if rng.chance(4) {
        start - rng.range(1, 1000) as i64
    } else {
        start + len
    };

    let mut opts = Vec::new();
    let mut clock = false;
    match rng.range(0, 19) {
        // the end relative to the start, in seconds or hours
        0 => {
            push_opt(rng, &mut opts, 's', "start", &start.to_string());
            push_opt(rng, &mut opts, 'e', "end", &format!("start+{len}s"));
        }
        1 => {
            push_opt(rng, &mut opts, 'e', "end", &end.to_string());
            push_opt(
                rng,
                &mut opts,
                's',
                "start",
                &format!("end-{}h", len / 3600 + 1),
            );
        }
        // the default start (end-24h), and a calendar day in the zone (not
        // with steps of seconds: 86400 rows twice are slow to compare)
        2 if step >= 60 => push_opt(rng, &mut opts, 'e', "end", &end.to_string()),
        3 if step >= 60 => {
            push_opt(rng, &mut opts, 'e', "end", &end.to_string());
            push_opt(rng, &mut opts, 's', "start", "e-1d");
        }
        // the default end: now
        4 if rng.chance(30) => {
            clock = true;
            push_opt(rng, &mut opts, 's', "start", "end-2h");
        }
        _ => {
            push_opt(rng, &mut opts, 's', "start", &start.to_string());
            push_opt(rng, &mut opts, 'e', "end", &end.to_string());
        }
    }
    if rng.chance(60) {
        let r = match rng.range(0, 10) {
            0 => "1".to_string(),
            // halfway between two archives' steps: a tie
            9 => match def.tie {
                Some(r) if rng.chance(70) => r.to_string(),
                _ => ((rra_step as u64 + *rng.pick(&def.rra_steps)) / 2).to_string(),
            },
            1 | 2 => rra_step.to_string(),
            3 => (rra_step * rng.range(1, 5) as i64 + rng.range(0, 2) as i64 - 1).to_string(),
            4 => rng.range(1, 100_000).to_string(),
            5 => rng
                .pick(&["300s", "5m", "1h", "1d", "1w", "1M", "1y"])
                .to_string(),
            6 => format!("{}m", rng.range(1, 120)),
            7 => rng.pick(&["0", "-5", "abc", "5x"]).to_string(),
            _ => (def.step * rng.range(1, 12)).to_string(),
        };
        push_opt(rng, &mut opts, 'r', "resolution", &r);
    }
    if rng.chance(20) {
        opts.push(vec![rng.pick(&["-a", "--align-start"]).to_string()]);
    }
    for i in (1..opts.len()).rev() {
        let j = rng.range(0, i as u64) as usize;
        opts.swap(i, j);
    }
    let cf = match rng.range(0, 19) {
        0 => rng.pick(&HW).to_string(),
        1 => rng.pick(&["FOO", "average", "Max", ""]).to_string(),
        2..=7 => rng.pick(&PLAIN).to_string(),
        _ => rng.pick(&def.cfs).to_string(),
    };
    let file = if rng.chance(2) { "missing.rrd" } else { file };
    let mut args = vec!["fetch".to_string()];
    let flat: Vec<String> = opts.into_iter().flatten().collect();
    match rng.range(0, 9) {
        0 => {
            args.extend(flat);
            args.extend([file.to_string(), cf]);
        }
        1 => {
            args.push(file.to_string());
            args.extend(flat);
            args.push(cf);
        }
        // too few arguments
        2 if rng.chance(20) => {
            args.push(file.to_string());
            args.extend(flat);
        }
        _ => {
            args.extend([file.to_string(), cf]);
            args.extend(flat);
        }
    }
    (args, clock)
}

#[test]
fn differential_random_windows() {
    if !have_rrdtool() {
        return;
    }
    let seeds = seeds(
        "RRD_FETCH_SEED",
        "RRD_FETCH_COUNT",
        FIRST_SEED,
        DEFAULT_COUNT,
    );
    let dir = TempDir::new("fetch-diff");
    let mut fetches = 0;
    let mut errors = 0;
    let mut with_data = 0;
    let mut failures = Vec::new();
    for &seed in &seeds {
        let file = format!("f{seed}.rrd");
        let def = make_def(seed, dir.path(), &file);
        if zone_missing(def.tz) {
            continue;
        }
        let mut rng = Rng::new(seed ^ 0x5eed_f00d);
        for k in 0..FETCHES {
            let (args, clock) = random_fetch(&mut rng, &def, &file);
            let compare = || {
                let want = rrdtool(dir.path(), def.tz, &args);
                let got = rrd(dir.path(), def.tz, &args);
                let data = want.out().lines().skip(2).any(|l| {
                    l.split(' ')
                        .skip(1)
                        .any(|v| !matches!(v, "nan" | "-nan" | ""))
                });
                (output_diff(&want, &got), want.status, data)
            };
            let (mut diff, status, data) = compare();
            if diff.is_some() && clock {
                // the wall clock may have crossed a step between the two runs
                diff = compare().0;
            }
            fetches += 1;
            if status != 0 {
                errors += 1;
            }
            if data {
                with_data += 1;
            }
            if let Some(d) = diff {
                failures.push(format!(
                    "seed {seed} fetch {k} (TZ={} rrd {}):\n{d}",
                    def.tz,
                    args.join(" ")
                ));
            }
        }
    }
    if failures.is_empty() {
        note(&format!(
            "differential fetch: {fetches} fetches ({errors} errors, {with_data} with known values) \
             over {} files, all agreed",
            seeds.len()
        ));
    } else {
        let _ = dir.keep();
    }
    assert!(
        failures.is_empty(),
        "{} of {fetches} fetches differ from rrdtool 1.7.2 (rerun one definition with \
         RRD_FETCH_SEED=n):\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
