//! `tune` (options and structural changes), `resize` and
//! `create --source` against C rrdtool 1.7.2.
//!
//! `differential_tune` (when rrdtool is on PATH): seeded random files
//! (plain archives, sometimes a Holt-Winters group), filled by rrdtool,
//! copied; then random `tune` command lines (every option, good and bad
//! values, `DEL:`, `DS:`, `RRA#i:+n/-n/=n`, `DELRRA:`, `RRA:`, `--step`)
//! run by rrdtool on one copy and by ours on the other. Outputs must match,
//! files must match byte for byte, and so must both after more updates.
//! `RRD_TUNE_SEED=n` runs only scenario n, `RRD_TUNE_COUNT=n` sets how
//! many.

use std::fmt::Write as _;
use std::path::Path;

use crate::support::{
    archives, argv, have_rrdtool, note, output_diff, rrd, rrd_file_diff, seeds, Output, Pipe, Rng,
    TempDir,
};

const TZ: &str = "UTC";

struct Def {
    start: i64,
    step: u64,
    ds: Vec<String>,
    create: Vec<String>,
    rras: usize,
    hw: bool,
}

fn definition(rng: &mut Rng) -> Def {
    let step = *rng.pick(&[10u64, 60, 300]);
    let start = 1_300_000_000 - (rng.range(0, 100) as i64) * step as i64;
    let mut create = argv(&["--start", &start.to_string(), "--step", &step.to_string()]);
    let mut ds = Vec::new();
    for k in 0..rng.range(1, 3) {
        let name = format!("d{k}");
        let kind = *rng.pick(&["GAUGE", "COUNTER", "DERIVE", "ABSOLUTE"]);
        let min = *rng.pick(&["U", "0", "-100"]);
        create.push(format!("DS:{name}:{kind}:{}:{min}:U", step * 2));
        ds.push(name);
    }
    let mut rras = 0;
    for _ in 0..rng.range(1, 4) {
        let cf = *rng.pick(&["AVERAGE", "MIN", "MAX", "LAST"]);
        let pdp = *rng.pick(&[1u64, 1, 2, 3, 5]);
        let rows = rng.range(2, 40);
        create.push(format!("RRA:{cf}:0.5:{pdp}:{rows}"));
        rras += 1;
    }
    let hw = rng.chance(25);
    if hw {
        let cf = *rng.pick(&["HWPREDICT", "MHWPREDICT"]);
        let period = rng.range(2, 10);
        create.push(format!(
            "RRA:{cf}:{}:0.5:0.1:{period}",
            period * rng.range(1, 3)
        ));
        rras += 5;
    }
    Def {
        start,
        step,
        ds,
        create,
        rras,
        hw,
    }
}

fn updates(rng: &mut Rng, def: &Def, from: i64, n: u64) -> (Vec<String>, i64) {
    let mut t = from;
    let mut out = Vec::new();
    let mut counters: Vec<u64> = def.ds.iter().map(|_| rng.range(0, 1000)).collect();
    for _ in 0..n {
        t += (def.step as i64) * rng.range(0, 2) as i64 + rng.range(1, def.step) as i64;
        let mut s = t.to_string();
        for c in counters.iter_mut() {
            *c += rng.range(0, 500);
            if rng.chance(5) {
                s.push_str(":U");
            } else {
                let _ = write!(s, ":{c}");
            }
        }
        out.push(s);
    }
    (out, t)
}

/// A random `tune` command line (after `tune FILE`).
fn tune_args(rng: &mut Rng, def: &Def) -> Vec<String> {
    let mut a = Vec::new();
    let ds = |rng: &mut Rng| -> String {
        if rng.chance(90) {
            rng.pick(&def.ds).clone()
        } else {
            "nosuch".into()
        }
    };
    let n_opts = rng.range(0, 3);
    for _ in 0..n_opts {
        let o = match rng.range(0, 16) {
            0 => format!("--heartbeat={}:{}", ds(rng), rng.range(1, 1000)),
            1 => format!("-i{}:{}", ds(rng), rng.pick(&["U", "0", "-5", "1e3", "x"])),
            2 => format!(
                "--maximum={}:{}",
                ds(rng),
                rng.pick(&["U", "100", "1e9", "1.5"])
            ),
            3 => format!(
                "--data-source-type={}:{}",
                ds(rng),
                rng.pick(&["GAUGE", "COUNTER", "DERIVE", "ABSOLUTE", "DCOUNTER", "BOGUS"])
            ),
            4 => format!("--data-source-rename={}:r{}", ds(rng), rng.range(0, 9)),
            5 => format!("--alpha={}", rng.pick(&["0.5", "0.01", "1.5", "x", "0.3x"])),
            6 => format!("--beta={}", rng.pick(&["0.5", "0.0035", "0", "2"])),
            7 => format!("--gamma={}", rng.pick(&["0.5", "0.99", "-1"])),
            8 => format!("--gamma-deviation={}", rng.pick(&["0.5", "0.2"])),
            9 => format!("--smoothing-window={}", rng.pick(&["0.1", "0", "1", "1.5"])),
            10 => format!(
                "--smoothing-window-deviation={}",
                rng.pick(&["0.2", "0.05"])
            ),
            11 => format!("--deltapos={}", rng.pick(&["3", "0.05", "x", "2.5"])),
            12 => format!("--deltaneg={}", rng.pick(&["3", "1"])),
            13 => format!("--window-length={}", rng.range(0, 30)),
            14 => format!("--failure-threshold={}", rng.range(0, 10)),
            _ => format!("--aberrant-reset={}", ds(rng)),
        };
        a.push(o);
    }
    if rng.chance(15) {
        a.push(format!("--step={}", rng.pick(&["5", "1", "7", "30", "0"])));
    }
    let n_mods = if rng.chance(30) { 0 } else { rng.range(1, 3) };
    // at most one operation on an existing archive per command: when one
    // deletes an archive, rrdtool grows a later one with the pointer of an
    // archive index the new file may not have (reading past its array)
    let mut archive_op = false;
    for _ in 0..n_mods {
        let mut kind = rng.range(0, 9);
        if matches!(kind, 3..=6) {
            if archive_op {
                kind = 7;
            }
            archive_op = true;
        }
        let m = match kind {
            0 => format!("DEL:{}", ds(rng)),
            1 | 2 => format!(
                "DS:n{}:{}:{}:U:U",
                rng.range(0, 9),
                rng.pick(&["GAUGE", "COUNTER"]),
                def.step * 2
            ),
            3..=5 => format!(
                "RRA#{}:{}{}",
                rng.range(0, def.rras as u64),
                rng.pick(&["+", "-", "="]),
                rng.range(0, 30)
            ),
            6 => format!("DELRRA:{}", rng.range(0, def.rras as u64)),
            7 => format!(
                "RRA:{}:0.5:{}:{}",
                rng.pick(&["AVERAGE", "MIN", "MAX", "LAST"]),
                rng.range(1, 6),
                rng.range(1, 30)
            ),
            _ => rng
                .pick(&["RRA#x", "bogus", "RRA#1:*5", "DELRRA:-1"])
                .to_string(),
        };
        a.push(m);
    }
    a
}

fn tune_cmd(file: &str, args: &[String]) -> Vec<String> {
    let mut v = argv(&["tune", file]);
    v.extend(args.iter().cloned());
    v
}

/// Zeroes the parameter slots a data source of a standard kind does not
/// use (x86-64 layout): rrdtool's `tune DS:` leaves stack bytes there.
fn mask_unused_params(b: &mut [u8]) {
    let u64_at = |b: &[u8], o: usize| {
        b.get(o..o + 8)
            .map(|s| u64::from_le_bytes(s.try_into().unwrap()))
    };
    let Some(ds) = u64_at(b, 24).filter(|&n| n < 10_000) else {
        return;
    };
    for i in 0..ds as usize {
        let at = 128 + 120 * i;
        if b.get(at + 20..at + 27) == Some(b"COMPUTE") {
            continue;
        }
        if let Some(p) = b.get_mut(at + 64..at + 120) {
            p.fill(0);
        }
    }
}

/// Data sources and archives of an rrd file (x86-64 layout).
fn counts(p: &Path) -> (u64, u64) {
    let b = std::fs::read(p).unwrap_or_default();
    let at = |o: usize| {
        b.get(o..o + 8)
            .map_or(u64::MAX, |s| u64::from_le_bytes(s.try_into().unwrap()))
    };
    (at(24), at(32))
}

fn same_file(a: &Path, c: &Path) -> Option<String> {
    let mut fa = std::fs::read(a).unwrap_or_default();
    let fc = std::fs::read(c).unwrap_or_default();
    match archives(&fc) {
        Ok(fc) => {
            let mut fc = fc.to_vec();
            mask_unused_params(&mut fa);
            mask_unused_params(&mut fc);
            (fc != fa).then(|| rrd_file_diff(&fa, &fc).unwrap_or_else(|| "cur_row differs".into()))
        }
        Err(e) => Some(e),
    }
}

#[test]
fn differential_tune() {
    if !have_rrdtool() {
        return;
    }
    let dir = TempDir::new("tune-diff");
    let (a, c) = (dir.sub("a"), dir.sub("c"));
    let mut pipe = Pipe::new(dir.path(), TZ);
    let mut failures: Vec<String> = Vec::new();
    let (mut runs, mut refused, mut structural, mut with_hw) = (0u64, 0u64, 0u64, 0u64);
    let mut empty_refused = 0u64;
    for seed in seeds("RRD_TUNE_SEED", "RRD_TUNE_COUNT", 1, 300) {
        let mut rng = Rng::new(seed ^ 0x7e5e);
        let def = definition(&mut rng);
        let f = format!("t{seed}.rrd");
        let mut create = argv(&["create", &f]);
        create.extend(def.create.iter().cloned());
        let made = pipe.run(&a, &create);
        assert_eq!(made.status, 0, "seed {seed}: rrdtool create: {made}");
        let n = rng.range(5, 120);
        let (ups, last) = updates(&mut rng, &def, def.start, n);
        let mut up = argv(&["update", &f]);
        up.extend(ups);
        let done = pipe.run(&a, &up);
        assert_eq!(done.status, 0, "seed {seed}: rrdtool update: {done}");
        std::fs::copy(a.join(&f), c.join(&f)).unwrap();
        let args = tune_args(&mut rng, &def);
        let cmd = tune_cmd(&f, &args);
        let want = pipe.run(&a, &cmd);
        let got = rrd(&c, TZ, &cmd);
        runs += 1;
        refused += u64::from(want.status != 0);
        structural += u64::from(args.iter().any(|x| !x.starts_with('-')));
        with_hw += u64::from(def.hw);
        let mut problems = Vec::new();
        // rrdtool writes a file without data sources or archives, which
        // nothing reads: ours refuses and leaves the file alone
        let (ds_after, rra_after) = counts(&a.join(&f));
        if want.status == 0 && (ds_after == 0 || rra_after == 0) {
            empty_refused += 1;
            let why = if ds_after == 0 {
                "ERROR: tune would remove every data source of the file\n"
            } else {
                "ERROR: tune would remove every archive of the file\n"
            };
            if got.status != 1 || got.err() != why {
                problems.push(format!("expected a refusal ({why:?}), got {got}"));
            }
            if problems.is_empty() {
                let _ = std::fs::remove_file(a.join(&f));
                let _ = std::fs::remove_file(c.join(&f));
                continue;
            }
        } else if let Some(d) = output_diff(&want, &got) {
            problems.push(format!("tune output: {d}"));
        }
        if let Some(d) = same_file(&a.join(&f), &c.join(&f)) {
            problems.push(format!("files after tune: {d}"));
        }
        // both go on updating the tuned file
        if problems.is_empty() && want.status == 0 {
            let info: Output = pipe.run(&a, &argv(&["info", &f]));
            let n_ds = info.out().matches("].index = ").count();
            let mut up = argv(&["update", &f]);
            let mut t = last;
            for _ in 0..rng.range(1, 40) {
                t += rng.range(1, def.step * 2) as i64;
                let vals: Vec<String> =
                    (0..n_ds).map(|_| rng.range(0, 99999).to_string()).collect();
                up.push(format!("{t}:{}", vals.join(":")));
            }
            let want = pipe.run(&a, &up);
            let got = rrd(&c, TZ, &up);
            if let Some(d) = output_diff(&want, &got) {
                problems.push(format!("update after tune: {d}"));
            }
            if let Some(d) = same_file(&a.join(&f), &c.join(&f)) {
                problems.push(format!("files after tune and update: {d}"));
            }
        }
        if !problems.is_empty() {
            let mut r = format!(
                "seed {seed}: rrdtool {}\n  rrdtool {}\n",
                create.join(" "),
                cmd.join(" ")
            );
            for p in problems {
                let _ = writeln!(r, "  ! {p}");
            }
            failures.push(r);
        }
        let _ = std::fs::remove_file(a.join(&f));
        let _ = std::fs::remove_file(c.join(&f));
    }
    note(&format!(
        "differential tune: {runs} command lines ({structural} with structural changes, {with_hw} on Holt-Winters files, {refused} refused by rrdtool, {empty_refused} that rrdtool answers with a file without data sources or archives refused by ours), {} disagreed",
        failures.len()
    ));
    assert!(
        failures.is_empty(),
        "{} of {runs} tune scenarios disagree:\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<String>()
    );
}

/// `resize` against rrdtool: random files, random GROW/SHRINK arguments
/// (good and bad); outputs and `resize.rrd` must match byte for byte, and
/// the input file must stay as it was.
#[test]
fn differential_resize() {
    if !have_rrdtool() {
        return;
    }
    let dir = TempDir::new("resize-diff");
    let (a, c) = (dir.sub("a"), dir.sub("c"));
    let mut pipe = Pipe::new(dir.path(), TZ);
    let mut failures: Vec<String> = Vec::new();
    let (mut runs, mut refused) = (0u64, 0u64);
    for seed in seeds("RRD_RESIZE_SEED", "RRD_RESIZE_COUNT", 1, 300) {
        let mut rng = Rng::new(seed ^ 0x2e51);
        let def = definition(&mut rng);
        let f = format!("r{seed}.rrd");
        let mut create = argv(&["create", &f]);
        create.extend(def.create.iter().cloned());
        let made = pipe.run(&a, &create);
        assert_eq!(made.status, 0, "seed {seed}: rrdtool create: {made}");
        let n = rng.range(0, 150);
        let (ups, _) = updates(&mut rng, &def, def.start, n);
        if !ups.is_empty() {
            let mut up = argv(&["update", &f]);
            up.extend(ups);
            let done = pipe.run(&a, &up);
            assert_eq!(done.status, 0, "seed {seed}: rrdtool update: {done}");
        }
        std::fs::copy(a.join(&f), c.join(&f)).unwrap();
        for d in [&a, &c] {
            let _ = std::fs::remove_file(d.join("resize.rrd"));
        }
        let rra = if rng.chance(90) {
            rng.range(0, def.rras as u64 - 1).to_string()
        } else {
            rng.pick(&["99", "-1", "0x1", "x"]).to_string()
        };
        let how = *rng.pick(&["GROW", "SHRINK", "GROW", "SHRINK", "grow"]);
        let rows = if rng.chance(90) {
            rng.range(1, 45).to_string()
        } else {
            rng.pick(&["0", "-3", "010", "0x10"]).to_string()
        };
        let mut cmd = argv(&["resize", &f, &rra, how, &rows]);
        if rng.chance(5) {
            cmd.pop();
        }
        let want = pipe.run(&a, &cmd);
        let got = rrd(&c, TZ, &cmd);
        runs += 1;
        refused += u64::from(want.status != 0);
        let mut problems = Vec::new();
        if let Some(d) = output_diff(&want, &got) {
            problems.push(format!("output: {d}"));
        }
        if want.status == 0 {
            if let Some(d) = same_file(&a.join("resize.rrd"), &c.join("resize.rrd")) {
                problems.push(format!("resize.rrd: {d}"));
            }
        }
        if let Some(d) = same_file(&a.join(&f), &c.join(&f)) {
            problems.push(format!("input file: {d}"));
        }
        if !problems.is_empty() {
            let mut r = format!(
                "seed {seed}: rrdtool {}\n  rrdtool {}\n",
                create.join(" "),
                cmd.join(" ")
            );
            for p in problems {
                let _ = writeln!(r, "  ! {p}");
            }
            failures.push(r);
        }
        let _ = std::fs::remove_file(a.join(&f));
        let _ = std::fs::remove_file(c.join(&f));
    }
    note(&format!(
        "differential resize: {runs} command lines ({refused} refused by rrdtool), {} disagreed",
        failures.len()
    ));
    assert!(
        failures.is_empty(),
        "{} of {runs} resize scenarios disagree:\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<String>()
    );
}

/// `create --source` against rrdtool: one to three random source files
/// (other steps, other data sources, filled by rrdtool), a random new
/// definition (same and new names, `DS:new=old[n]` mappings, plain and
/// Holt-Winters archives, with and without `--start`); rrdtool creates
/// one new file, ours another: they must hold the same rows and state
/// (each tool picks its archive pointers at random, so rows are compared
/// in time order).
#[test]
fn differential_create_source() {
    if !have_rrdtool() {
        return;
    }
    let dir = TempDir::new("source-diff");
    let (a, c) = (dir.sub("a"), dir.sub("c"));
    let mut pipe = Pipe::new(dir.path(), TZ);
    let mut failures: Vec<String> = Vec::new();
    let (mut runs, mut mapped, mut refused) = (0u64, 0u64, 0u64);
    let (mut filled_files, mut filled_values) = (0u64, 0u64);
    for seed in seeds("RRD_SOURCE_SEED", "RRD_SOURCE_COUNT", 1, 200) {
        let mut rng = Rng::new(seed ^ 0x50c4);
        let n_src = rng.range(1, 3);
        let mut srcs = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut last_min = i64::MAX;
        // every source covers the same stretch of time
        let span = rng.range(2_000, 40_000) as i64;
        for k in 0..n_src {
            let def = definition(&mut rng);
            let f = format!("s{seed}_{k}.rrd");
            let mut create = argv(&["create", &f]);
            create.extend(def.create.iter().cloned());
            let made = pipe.run(&a, &create);
            assert_eq!(made.status, 0, "seed {seed}: rrdtool create: {made}");
            // updates within the heartbeat, so that the sources hold data
            let mut t = def.start;
            let mut ups = Vec::new();
            let mut i = 0;
            while t < 1_300_000_000 + span && ups.len() < 3000 {
                i += 1;
                t += rng.range(1, def.step) as i64;
                let vals: Vec<String> = def
                    .ds
                    .iter()
                    .map(|_| (i * 7 + rng.range(0, 99)).to_string())
                    .collect();
                ups.push(format!("{t}:{}", vals.join(":")));
            }
            last_min = last_min.min(t);
            if !ups.is_empty() {
                let mut up = argv(&["update", &f]);
                up.extend(ups);
                let done = pipe.run(&a, &up);
                assert_eq!(done.status, 0, "seed {seed}: rrdtool update: {done}");
            }
            std::fs::copy(a.join(&f), c.join(&f)).unwrap();
            names.extend(def.ds.iter().cloned());
            srcs.push(f);
        }
        let target = definition(&mut rng);
        let f = format!("t{seed}.rrd");
        let mut create = argv(&["create", &f]);
        let mut args = target.create.clone();
        // --start: keep it (sometimes moved) or drop it
        match rng.range(0, 2) {
            0 => {
                args.drain(0..2);
            }
            1 => {
                // within the sources' data, or just after it
                let t = last_min - rng.range(0, 3000) as i64 + rng.range(0, 300) as i64;
                args[1] = t.max(1_000_000_000).to_string();
            }
            _ => {}
        }
        // data sources: renamed to a source's name, or mapped
        for x in args.iter_mut() {
            if let Some(rest) = x.strip_prefix("DS:") {
                let (name, tail) = rest.split_once(':').unwrap();
                let pick = rng.pick(&names).clone();
                *x = match rng.range(0, 3) {
                    0 => format!("DS:{name}:{tail}"),
                    1 => format!("DS:{pick}:{tail}"),
                    2 => {
                        mapped += 1;
                        format!("DS:{name}={pick}:{tail}")
                    }
                    _ => {
                        mapped += 1;
                        format!("DS:{name}={pick}[{}]:{tail}", rng.range(0, n_src))
                    }
                };
            }
        }
        for s in &srcs {
            create.push("--source".into());
            create.push(s.clone());
        }
        create.extend(args);
        let want = pipe.run(&a, &create);
        let got = rrd(&c, TZ, &create);
        runs += 1;
        refused += u64::from(want.status != 0);
        let mut problems = Vec::new();
        if let Some(d) = output_diff(&want, &got) {
            problems.push(format!("create output: {d}"));
        }
        if want.status == 0 {
            let mut fa = std::fs::read(a.join(&f)).unwrap_or_default();
            let mut fc = std::fs::read(c.join(&f)).unwrap_or_default();
            mask_unused_params(&mut fa);
            mask_unused_params(&mut fc);
            if let Some(d) = rrd_file_diff(&fa, &fc) {
                problems.push(format!("new files (rows in time order): {d}"));
            }
            if let Ok(img) = rrd_core::Rrd::from_bytes(fc).and_then(|r| r.image()) {
                let known = img.rows.iter().flatten().filter(|v| !v.is_nan()).count() as u64;
                filled_values += known;
                filled_files += u64::from(known > 0);
            }
        }
        if !problems.is_empty() {
            let mut r = format!("seed {seed}: rrdtool {}\n", create.join(" "));
            for p in problems {
                let _ = writeln!(r, "  ! {p}");
            }
            failures.push(r);
        }
        for x in srcs.iter().chain([&f]) {
            let _ = std::fs::remove_file(a.join(x));
            let _ = std::fs::remove_file(c.join(x));
        }
    }
    note(&format!(
        "differential create --source: {runs} new files ({filled_files} with {filled_values} values filled from the sources, {mapped} mapped data sources, {refused} refused by rrdtool), {} disagreed",
        failures.len()
    ));
    assert!(
        filled_files * 3 > runs - refused,
        "only {filled_files} of {runs} new files hold data from their sources"
    );
    assert!(
        failures.is_empty(),
        "{} of {runs} create --source scenarios disagree:\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<String>()
    );
}
