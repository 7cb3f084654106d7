//! `update` and `updatev` against C rrdtool 1.7.2.
//!
//! - `differential_updates` (when rrdtool is on PATH): seeded random
//!   definitions (1-4 data sources of the six kinds our update supports,
//!   1-5 plain archives) and random update streams (gaps shorter and longer
//!   than the heartbeat, step boundaries, fractional and at-style times,
//!   unknowns, counter wraps at 32 and 64 bits, exponents, values outside
//!   min/max, batches and single updates, `--template`,
//!   `--skip-past-updates`, and bad arguments mid-batch), each run three
//!   ways and compared by `dump`, `fetch`, `info` and `lastupdate`:
//!   - A: rrdtool creates and updates; ours reads its file;
//!   - B: ours creates and updates; rrdtool reads our file (`cur_row`
//!     aside) exactly as its own;
//!   - C: rrdtool creates, ours updates a copy in place; the file must stay
//!     byte for byte rrdtool's.
//!
//!   Every `update`/`updatev` call of B and C must print what rrdtool's
//!   printed (stdout, stderr, status). `RRD_UPDATE_SEED=n` runs only
//!   scenario n, `RRD_UPDATE_COUNT=n` sets how many, and
//!   `RRD_UPDATE_REPORT=path` writes every failing scenario there.
//! - `golden_update_transcript`: worked examples recorded once from rrdtool
//!   (`tests/data/update`, see its README) replayed by ours byte for byte.
//! - `holt_winters_fixtures_update_as_rrdtools`: rrdtool's Holt-Winters
//!   files updated further by both, byte for byte.
//! - `regression_*`: disagreements the differential suite found, as
//!   rrdtool 1.7.2 behaves.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::support::{
    archives, argv, check_case, copy_files, data_dir, golden_dir, have_rrdtool, mask_cur_row, note,
    on_workers, output_diff, read_transcript, rrd, rrd_file_diff, seeds, write_report, Case,
    Checks, Output, Pipe, Rng, Step, TempDir,
};

/// Scenarios per run: each is one definition and one stream, run three ways.
const DEFAULT_COUNT: u64 = 1000;
/// Scenario i uses seed FIRST_SEED + i.
const FIRST_SEED: u64 = 1;
/// Every command runs in UTC, so at-style update times are fixed instants.
const TZ: &str = "UTC";

// ------------------------------------------------------------------ definitions

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
    Derive,
    Absolute,
    DCounter,
    DDerive,
}

const KINDS: [Kind; 6] = [
    Kind::Gauge,
    Kind::Counter,
    Kind::Derive,
    Kind::Absolute,
    Kind::DCounter,
    Kind::DDerive,
];

const CFS: [&str; 4] = ["AVERAGE", "MIN", "MAX", "LAST"];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Gauge => "GAUGE",
            Kind::Counter => "COUNTER",
            Kind::Derive => "DERIVE",
            Kind::Absolute => "ABSOLUTE",
            Kind::DCounter => "DCOUNTER",
            Kind::DDerive => "DDERIVE",
        }
    }
}

#[derive(Debug, Clone)]
struct Ds {
    name: String,
    kind: Kind,
    heartbeat: u64,
    /// Typical rate magnitude, so that min/max are sometimes exceeded.
    scale: u64,
}

#[derive(Debug, Clone)]
struct Def {
    start: i64,
    step: u64,
    ds: Vec<Ds>,
    /// Consolidation functions of the archives, in order.
    cfs: Vec<&'static str>,
    /// Seconds per row of each archive.
    rra_steps: Vec<u64>,
    /// The longest time an archive covers.
    span_max: u64,
    /// `create` arguments after the command and the file name.
    create: Vec<String>,
    /// Whether the file has Holt-Winters archives (whose smoothing depends
    /// on the archive pointers rrdtool picks at random: mode B then has
    /// rrdtool update a copy of our new file).
    hw: bool,
}

const HW_ALPHAS: [&str; 6] = ["0.1", "0.5", "0.9", "0.01", "0.33", "0.999"];

/// One Holt-Winters group at archive index `base` (0-based): an HWPREDICT
/// or MHWPREDICT archive with the four rrdtool creates implicitly, or the
/// five archives spelled out, in one of two orders, with their indices.
fn hw_archives(rng: &mut Rng, base: usize) -> (Vec<String>, Vec<&'static str>, Vec<u64>) {
    let cf = if rng.chance(60) {
        "HWPREDICT"
    } else {
        "MHWPREDICT"
    };
    let period = rng.range(2, 24);
    let rows = period * rng.range(1, 3) + rng.range(0, 5);
    let alpha = *rng.pick(&HW_ALPHAS);
    let beta = *rng.pick(&["0", "0.0035", "0.1", "0.5", "1"]);
    if rng.chance(50) {
        return (
            vec![format!("RRA:{cf}:{rows}:{alpha}:{beta}:{period}")],
            vec![cf, "SEASONAL", "DEVSEASONAL", "DEVPREDICT", "FAILURES"],
            vec![rows, period, period, rows, period],
        );
    }
    let gamma = *rng.pick(&HW_ALPHAS);
    let dgamma = *rng.pick(&HW_ALPHAS);
    let window = rng.range(1, 9);
    let threshold = rng.range(1, window);
    let smoothing = match rng.range(0, 3) {
        0 => String::new(),
        1 => ":smoothing-window=0.3".to_string(),
        _ => format!(":smoothing-window={}", rng.pick(&["0", "0.05", "0.5", "1"])),
    };
    let dev_rows = rows + rng.range(0, 10);
    let fail_rows = rng.range(1, 30);
    // positions of HW, SEASONAL, DEVSEASONAL, DEVPREDICT, FAILURES
    let order: [usize; 5] = if rng.chance(50) {
        [0, 1, 2, 3, 4]
    } else {
        [4, 3, 2, 1, 0]
    };
    let idx = |k: usize| base + order[k] + 1;
    let defs = [
        format!("RRA:{cf}:{rows}:{alpha}:{beta}:{period}:{}", idx(1)),
        format!("RRA:SEASONAL:{period}:{gamma}:{}{smoothing}", idx(0)),
        format!("RRA:DEVSEASONAL:{period}:{dgamma}:{}", idx(0)),
        format!("RRA:DEVPREDICT:{dev_rows}:{}", idx(2)),
        format!("RRA:FAILURES:{fail_rows}:{threshold}:{window}:{}", idx(2)),
    ];
    let cfs = [cf, "SEASONAL", "DEVSEASONAL", "DEVPREDICT", "FAILURES"];
    let all_rows = [rows, period, period, dev_rows, fail_rows];
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for pos in 0..5 {
        let k = order.iter().position(|&o| o == pos).unwrap();
        out.0.push(defs[k].clone());
        out.1.push(cfs[k]);
        out.2.push(all_rows[k]);
    }
    out
}

fn ds_name(rng: &mut Rng, taken: &[Ds]) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    loop {
        let len = rng.range(1, 8) as usize;
        let mut s = String::new();
        for i in 0..len {
            let set = if i == 0 { FIRST } else { REST };
            s.push(set[rng.next() as usize % set.len()] as char);
        }
        if !taken.iter().any(|d| d.name == s) {
            return s;
        }
    }
}

fn heartbeat(rng: &mut Rng, step: u64) -> u64 {
    match rng.range(0, 19) {
        0..=2 => (step / 2).max(1),
        3..=4 => step,
        5..=11 => 2 * step,
        12..=16 => rng.range(1, 10) * step,
        17..=18 => 100 * step,
        _ => rng.range(1, 600),
    }
}

/// Minimum and maximum for a data source of typical rate `s`: always
/// min <= 0 < max when both are set.
fn min_max(rng: &mut Rng, kind: Kind, s: u64) -> (String, String) {
    let min = match kind {
        Kind::Counter | Kind::DCounter if rng.chance(50) => "0".to_string(),
        Kind::Gauge | Kind::Derive | Kind::DDerive if rng.chance(35) => {
            format!("-{}", s * rng.range(1, 2))
        }
        _ if rng.chance(20) => "0".to_string(),
        _ => "U".to_string(),
    };
    let max = if rng.chance(35) {
        (s * rng.range(1, 2)).to_string()
    } else {
        "U".to_string()
    };
    (min, max)
}

fn definition(rng: &mut Rng) -> Def {
    let step = if rng.chance(50) {
        *rng.pick(&[1, 5, 10, 60, 300, 600])
    } else {
        rng.range(1, 600)
    };
    let mut start = rng.range(1_000_000_000, 1_600_000_000) as i64;
    if rng.chance(50) {
        start -= start % step as i64;
    }
    let mut create = vec![
        "--start".to_string(),
        start.to_string(),
        "--step".to_string(),
        step.to_string(),
    ];
    let mut ds: Vec<Ds> = Vec::new();
    for _ in 0..rng.range(1, 4) {
        let kind = *rng.pick(&KINDS);
        let name = ds_name(rng, &ds);
        let hb = heartbeat(rng, step);
        let scale = *rng.pick(&[1, 10, 100, 1000, 1_000_000]);
        let (min, max) = min_max(rng, kind, scale);
        create.push(format!("DS:{name}:{}:{hb}:{min}:{max}", kind.name()));
        ds.push(Ds {
            name,
            kind,
            heartbeat: hb,
            scale,
        });
    }
    let (mut cfs, mut rra_steps, mut span_max) = (Vec::new(), Vec::new(), 0);
    for _ in 0..rng.range(1, 5) {
        let cf = *rng.pick(&CFS);
        let xff = rng.pick(&["0", "0.5", "0.99", "0.25", "0.9", "0.1", "0.75", "0.999"]);
        let pdp = rng.range(1, 10);
        let rows = rng.range(1, 50);
        create.push(format!("RRA:{cf}:{xff}:{pdp}:{rows}"));
        cfs.push(cf);
        rra_steps.push(pdp * step);
        span_max = span_max.max(pdp * step * rows);
    }
    let hw = rng.chance(30);
    if hw {
        let (args, hw_cfs, rows) = hw_archives(rng, cfs.len());
        create.extend(args);
        for (cf, r) in hw_cfs.into_iter().zip(rows) {
            cfs.push(cf);
            rra_steps.push(step);
            span_max = span_max.max(step * r);
        }
    }
    Def {
        start,
        step,
        ds,
        cfs,
        rra_steps,
        span_max,
        create,
        hw,
    }
}

// ------------------------------------------------------------------ streams

/// A time as the generator orders it: seconds and thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct T {
    sec: i64,
    ms: u32,
}

/// Fractions written after the seconds, with their thousandths. rrdtool
/// truncates `.3` to 299999 µs; the generator only needs the order.
const FRACTIONS: [(&str, u32); 10] = [
    ("1", 100),
    ("25", 250),
    ("3", 300),
    ("5", 500),
    ("75", 750),
    ("9", 900),
    ("125", 125),
    ("01", 10),
    ("99", 990),
    ("6", 600),
];

/// Year, month, day, hour, minute of a UTC time.
fn civil(t: i64) -> (i64, i64, i64, i64, i64) {
    let secs = t.rem_euclid(rrd_clib::time::SECS_PER_DAY);
    let (y, m, d) = rrd_clib::time::civil_from_days(t.div_euclid(rrd_clib::time::SECS_PER_DAY));
    (y, m, d, secs / 3600, secs % 3600 / 60)
}

/// Per data source: the state its next reading grows from.
#[derive(Debug, Clone)]
struct DsState {
    /// COUNTER reading and its width (32 or 64 bits).
    counter: u128,
    width: u32,
    /// DERIVE reading.
    derive: i128,
    /// DCOUNTER / DDERIVE reading.
    float: f64,
}

/// One `update`/`updatev` call.
#[derive(Debug, Clone)]
struct Call {
    args: Vec<String>,
    /// Whether the generator put a bad argument in it.
    bad: bool,
}

#[derive(Debug)]
struct Scenario {
    file: String,
    def: Def,
    calls: Vec<Call>,
    /// Reading commands run on every mode's file at the end.
    reads: Vec<Vec<String>>,
    updates: usize,
    /// What the stream exercises (for the coverage test and the summary).
    features: BTreeSet<&'static str>,
}

struct Gen<'a> {
    rng: Rng,
    def: &'a Def,
    /// The latest time generated.
    cur: T,
    /// The time of the latest update that will be applied.
    applied: T,
    state: Vec<DsState>,
    features: BTreeSet<&'static str>,
}

impl Gen<'_> {
    fn feature(&mut self, f: &'static str) {
        self.features.insert(f);
    }

    /// True about once in `n` draws (for forms that hit rare paths).
    fn one_in(&mut self, n: u64) -> bool {
        self.rng.next() % n == 0
    }

    /// The next update time after `cur`, and how it is written.
    fn next_time(&mut self) -> (T, String) {
        let step = self.def.step as i64;
        let c = self.cur;
        let max_hb = self.def.ds.iter().map(|d| d.heartbeat).max().unwrap_or(1) as i64;
        let mut frac_ok = true;
        let sec = match self.rng.range(0, 99) {
            0..=24 => c.sec + self.rng.range(1, (2 * step).max(1) as u64) as i64,
            25..=44 => {
                self.feature("time on a step boundary");
                frac_ok = self.rng.chance(20);
                (c.sec.div_euclid(step) + 1) * step
            }
            45..=53 => {
                self.feature("time several steps later");
                frac_ok = self.rng.chance(30);
                (c.sec.div_euclid(step) + self.rng.range(2, 6) as i64) * step
            }
            54..=63 => {
                self.feature("gap longer than the heartbeat");
                c.sec + max_hb + self.rng.range(1, 3 * step as u64) as i64
            }
            64..=66 => {
                self.feature("gap longer than every archive");
                c.sec + self.def.span_max as i64 * self.rng.range(1, 3) as i64
            }
            67..=74 => {
                let later: Vec<(&str, u32)> = FRACTIONS
                    .iter()
                    .copied()
                    .filter(|f| f.1 >= c.ms + 50)
                    .collect();
                if !later.is_empty() {
                    self.feature("two updates in one second");
                    let (s, ms) = *self.rng.pick(&later);
                    let t = T { sec: c.sec, ms };
                    return (t, format!("{}.{s}:", c.sec));
                }
                c.sec + 1
            }
            75..=78 => {
                self.feature("at-style time HH:MM YYYYMMDD");
                let t = (c.sec.div_euclid(60) + 1) * 60;
                let (y, m, d, hh, mm) = civil(t);
                return (
                    T { sec: t, ms: 0 },
                    format!("{hh:02}:{mm:02} {y}{m:02}{d:02}@"),
                );
            }
            79 if self.rng.chance(40) => {
                self.feature("at-style time YYYYMMDD");
                let t = (c.sec.div_euclid(86400) + 1) * 86400;
                let (y, m, d, _, _) = civil(t);
                return (T { sec: t, ms: 0 }, format!("{y}{m:02}{d:02}@"));
            }
            _ => c.sec + self.rng.range(1, step as u64) as i64,
        };
        if frac_ok && self.rng.chance(25) {
            let (s, ms) = *self.rng.pick(&FRACTIONS);
            self.feature("fractional time");
            if ms == 100 || ms == 300 {
                self.feature("fractional time .1 or .3");
            }
            return (T { sec, ms }, format!("{sec}.{s}:"));
        }
        let text = if sec % 100 == 0 && self.rng.chance(20) {
            self.feature("time with an exponent");
            format!("{}e2:", sec / 100)
        } else if self.rng.chance(2) {
            format!("{sec}.0:")
        } else {
            format!("{sec}:")
        };
        (T { sec, ms: 0 }, text)
    }

    fn gauge(&mut self, s: u64) -> String {
        let rng = &mut self.rng;
        match rng.range(0, 99) {
            0..=44 => {
                let v = rng.range(0, 4 * s) as i64 - 2 * s as i64;
                v.to_string()
            }
            45..=61 => {
                let v = rng.range(0, 4 * s) as i64 - 2 * s as i64;
                format!("{v}.{}", rng.range(0, 999))
            }
            62..=79 => {
                self.features.insert("value with an exponent");
                let k = (s as f64).log10().round() as i64 + rng.range(0, 2) as i64 - 1;
                let sign = if rng.chance(30) { "-" } else { "" };
                let e = if rng.chance(50) { "e" } else { "E" };
                match rng.range(0, 2) {
                    0 => format!("{sign}{}{e}{k}", rng.range(1, 9)),
                    1 => format!("{sign}{}.{}{e}{k}", rng.range(1, 9), rng.range(0, 99)),
                    _ => format!("{sign}{}{e}-{}", rng.range(1, 99), rng.range(1, 3)),
                }
            }
            80..=83 => format!("+{}", rng.range(0, 2 * s)),
            84..=88 => {
                self.features.insert("huge GAUGE value");
                rng.pick(&[
                    "1e300",
                    "-1e300",
                    "1.5e200",
                    "-2e250",
                    "1e-300",
                    "123456789e100",
                ])
                .to_string()
            }
            89..=90 => {
                self.features.insert("nan or inf");
                rng.pick(&["nan", "inf", "-inf", "NaN", "Inf"]).to_string()
            }
            91..=94 => rng.pick(&["0", "-0", "0.0", "000"]).to_string(),
            _ => rng.pick(&[".5", "-.25", "5.", "1.e1"]).to_string(),
        }
    }

    fn counter(&mut self, i: usize, gap: f64, s: u64) -> String {
        let top = 1u128 << self.state[i].width;
        let r = self.rng.range(0, 99);
        if self.one_in(20_000) {
            // more digits than rrdtool's rrd_diff takes (30)
            self.feature("COUNTER value of more than 30 digits");
            let n = self.rng.range(31, 45) as usize;
            return (0..n)
                .map(|k| char::from(b'1' + ((k as u64 + self.rng.range(0, 8)) % 9) as u8))
                .collect();
        }
        if self.one_in(20_000) {
            self.feature("empty COUNTER value");
            return String::new();
        }
        let c = &mut self.state[i].counter;
        match r {
            0..=6 => {
                *c = top - u128::from(self.rng.range(1, 3000));
                self.features.insert("counter near its wrap");
            }
            7..=9 => *c = u128::from(self.rng.range(0, 1000)),
            _ => {
                let inc = (gap * s as f64 * self.rng.range(0, 150) as f64 / 100.0) as u128;
                let next = (*c + inc) % top;
                if next < *c {
                    self.features.insert(if top > 1 << 32 {
                        "counter wraps at 64 bits"
                    } else {
                        "counter wraps at 32 bits"
                    });
                }
                *c = next;
            }
        }
        let c = self.state[i].counter;
        if self.rng.chance(2) {
            format!("00{c}")
        } else {
            c.to_string()
        }
    }

    fn derive(&mut self, i: usize, gap: f64, s: u64) -> String {
        if self.one_in(20_000) {
            self.feature("DERIVE value '-'");
            return "-".to_string();
        }
        let r = self.rng.range(0, 99);
        let span = (gap * s as f64).min(1e15) as u64;
        let delta = self.rng.range(0, 2 * span) as i128 - span as i128;
        let d = &mut self.state[i].derive;
        match r {
            0..=6 => *d = -*d + delta / 10,
            7..=9 => *d = delta * 1000,
            10..=11 => *d = 0,
            _ => *d += delta,
        }
        let d = self.state[i].derive;
        if d == 0 && self.one_in(50) {
            self.feature("DERIVE value -0");
            return "-0".to_string();
        }
        if d < 0 {
            self.feature("negative DERIVE value");
        }
        d.to_string()
    }

    fn absolute(&mut self, gap: f64, s: u64) -> String {
        let top = (gap * s as f64).clamp(1.0, 1e15) as u64;
        let v = self.rng.range(0, top);
        match self.rng.range(0, 99) {
            0..=59 => v.to_string(),
            60..=79 => format!("{v}.{}", self.rng.range(0, 99)),
            80..=92 => format!("{}e{}", self.rng.range(1, 99), self.rng.range(0, 4)),
            _ => format!("-{v}"),
        }
    }

    fn float(&mut self, i: usize, kind: Kind, gap: f64, s: u64) -> String {
        let r = self.rng.range(0, 99);
        let step = gap * s as f64 * self.rng.range(0, 150) as f64 / 100.0;
        let x = &mut self.state[i].float;
        match (kind, r) {
            (_, 0..=4) => *x *= 0.1,
            (_, 5..=7) => *x = -*x,
            (Kind::DCounter, _) if *x < 0.0 => *x -= step,
            (Kind::DCounter, _) => *x += step,
            _ => *x += step - gap * s as f64 * 0.75,
        }
        let x = self.state[i].float;
        match self.rng.range(0, 9) {
            0..=5 => format!("{x:.3}"),
            6..=7 => format!("{x:.4e}"),
            _ => format!("{}", x.round()),
        }
    }

    /// A valid reading for data source `i`, `gap` seconds after the last.
    fn value(&mut self, i: usize, gap: f64) -> String {
        if self.rng.chance(6) {
            self.feature("unknown value");
            return if self.rng.chance(90) { "U" } else { "UNKN" }.to_string();
        }
        let (kind, s) = (self.def.ds[i].kind, self.def.ds[i].scale);
        match kind {
            Kind::Gauge => self.gauge(s),
            Kind::Counter => self.counter(i, gap, s),
            Kind::Derive => self.derive(i, gap, s),
            Kind::Absolute => self.absolute(gap, s),
            Kind::DCounter | Kind::DDerive => self.float(i, kind, gap, s),
        }
    }

    /// A reading rrdtool refuses for a data source of kind `kind`.
    fn bad_value(&mut self, kind: Kind) -> String {
        let pick: &[&str] = match kind {
            Kind::Counter => &["1.5", "-3", "abc", "1e3", "+3", " 3", "12a"],
            Kind::Derive => &["1.5", "+3", "--3", "abc", "1e3", "3-"],
            _ => &["1x", "abc", "1.2.3", "", "--5", "0x10", "1e", "five"],
        };
        self.rng.pick(pick).to_string()
    }

    /// Values for the data sources `idx` (file indexes, in argument order).
    fn values(&mut self, idx: &[usize], gap: f64) -> Vec<String> {
        idx.iter().map(|&i| self.value(i, gap)).collect()
    }

    /// An argument whose time is not after the last applied update.
    fn stale(&mut self, idx: &[usize]) -> String {
        let back = if self.rng.chance(20) {
            0
        } else {
            self.rng.range(1, 3000) as i64
        };
        let t = self.applied.sec - back;
        let vals = if self.rng.chance(20) {
            vec![self.bad_value(self.def.ds[idx[0]].kind); idx.len()]
        } else {
            self.values(idx, 1.0)
        };
        let t = if back == 0 && self.applied.ms > 0 {
            // the same second, not later
            format!("{t}.01")
        } else {
            t.to_string()
        };
        format!("{t}:{}", vals.join(":"))
    }

    /// An argument rrdtool refuses (usually: see `Tally::surprises`).
    fn bad_arg(&mut self, idx: &[usize]) -> String {
        let (t, ts) = self.next_time();
        let gap = (t.sec - self.cur.sec).max(1) as f64;
        self.cur = t;
        let n = idx.len();
        match self.rng.range(0, 99) {
            0..=34 => {
                self.feature("error: bad value");
                let j = self.rng.range(0, n as u64 - 1) as usize;
                let mut v = self.values(idx, gap);
                v[j] = self.bad_value(self.def.ds[idx[j]].kind);
                format!("{ts}{}", v.join(":"))
            }
            35..=44 if n >= 2 => {
                self.feature("error: too few values");
                format!("{ts}{}", self.values(&idx[1..], gap).join(":"))
            }
            35..=59 => {
                self.feature("error: too many values");
                let mut v = self.values(idx, gap);
                for _ in 0..self.rng.range(1, 2) {
                    v.push(self.rng.range(0, 99).to_string());
                }
                format!("{ts}{}", v.join(":"))
            }
            60..=79 => {
                self.feature("error: time going backwards");
                let back = self.rng.range(0, 500) as i64;
                let v = self.values(idx, gap);
                let sec = self.applied.sec - back;
                if back == 0 && self.applied.ms > 0 {
                    format!("{sec}.01:{}", v.join(":"))
                } else {
                    format!("{sec}:{}", v.join(":"))
                }
            }
            80..=84 => {
                self.feature("error: no timestamp");
                self.rng.range(1, 99_999).to_string()
            }
            _ => {
                self.feature("error: bad time");
                let v = self.values(idx, gap).join(":");
                let sec = t.sec;
                match self.rng.range(0, 3) {
                    0 => format!("{sec}x:{v}"),
                    1 => format!("20010909 noonish@{v}"),
                    2 => format!("end-1h@{v}"),
                    _ => format!("{sec}.5.5:{v}"),
                }
            }
        }
    }

    /// One call with `size` good updates (and maybe more arguments).
    fn call(&mut self, file: &str, size: usize) -> Call {
        let verb = if self.rng.chance(30) {
            "updatev"
        } else {
            "update"
        };
        self.feature(verb);
        let mut args = vec![verb.to_string()];
        let d = self.def.ds.len();
        let mut idx: Vec<usize> = (0..d).collect();
        if self.rng.chance(15) {
            // a permutation of some of the data sources
            for k in (1..d).rev() {
                idx.swap(k, self.rng.range(0, k as u64) as usize);
            }
            idx.truncate(self.rng.range(1, d as u64) as usize);
            self.feature(if idx.len() < d {
                "template naming some data sources"
            } else {
                "template naming all data sources"
            });
            let names: Vec<&str> = idx.iter().map(|&i| self.def.ds[i].name.as_str()).collect();
            let t = names.join(":");
            match self.rng.range(0, 3) {
                0 => args.extend(["--template".to_string(), t]),
                1 => args.extend(["-t".to_string(), t]),
                2 => args.push(format!("--template={t}")),
                _ => args.push(format!("-t{t}")),
            }
        }
        let skip = self.rng.chance(12);
        if skip {
            self.feature("--skip-past-updates");
            args.push(
                if self.rng.chance(50) {
                    "--skip-past-updates"
                } else {
                    "-s"
                }
                .to_string(),
            );
        }
        args.push(file.to_string());
        let bad_at = self
            .rng
            .chance(12)
            .then(|| self.rng.range(0, size as u64 - 1) as usize);
        let mut broken = false;
        for k in 0..size {
            if skip && self.rng.chance(25) && !broken {
                self.feature("stale update skipped");
                let s = self.stale(&idx);
                args.push(s);
            }
            if bad_at == Some(k) {
                let b = self.bad_arg(&idx);
                args.push(b);
                broken = true;
            }
            let (t, ts) = self.next_time();
            let gap =
                (t.sec - self.cur.sec) as f64 + (f64::from(t.ms) - f64::from(self.cur.ms)) / 1e3;
            let v = self.values(&idx, gap.max(0.001));
            args.push(format!("{ts}{}", v.join(":")));
            self.cur = t;
            if !broken {
                self.applied = t;
            }
        }
        if size == 1 {
            self.feature("one update per call");
        } else if size >= 10 {
            self.feature("batch of 10 or more");
        }
        Call { args, bad: broken }
    }

    /// Fetch commands around the last update.
    fn fetches(&mut self, file: &str) -> Vec<Vec<String>> {
        let step = self.def.step as i64;
        let last = self.applied.sec;
        let mut out = Vec::new();
        for _ in 0..self.rng.range(2, 4) {
            let cf = if self.rng.chance(85) {
                *self.rng.pick(&self.def.cfs)
            } else {
                *self.rng.pick(&CFS)
            };
            let mut c = argv(&["fetch", file, cf]);
            let span = self.rng.range(1, 300) as i64 * step + self.rng.range(0, step as u64) as i64;
            let end = if self.rng.chance(50) {
                last + self.rng.range(0, 6 * step as u64) as i64 - 3 * step
            } else {
                last - self.rng.range(0, 2 * self.def.span_max) as i64
            };
            let start = end - span;
            let opt = |rng: &mut Rng, long: &str, short: &str, v: String| -> Vec<String> {
                match rng.range(0, 2) {
                    0 => vec![format!("--{long}"), v],
                    1 => vec![format!("--{long}={v}")],
                    _ => vec![format!("-{short}"), v],
                }
            };
            if self.rng.chance(20) {
                c.extend(opt(&mut self.rng, "start", "s", format!("end-{span}s")));
            } else {
                c.extend(opt(&mut self.rng, "start", "s", start.to_string()));
            }
            c.extend(opt(&mut self.rng, "end", "e", end.to_string()));
            if self.rng.chance(50) {
                let rs = *self.rng.pick(&self.def.rra_steps);
                let r = match self.rng.range(0, 4) {
                    0 | 1 => rs,
                    2 => 2 * rs,
                    3 => 1,
                    _ => self.rng.range(1, 20 * step as u64),
                };
                c.extend(opt(&mut self.rng, "resolution", "r", r.to_string()));
            }
            if self.rng.chance(20) {
                c.push(
                    if self.rng.chance(50) {
                        "-a"
                    } else {
                        "--align-start"
                    }
                    .to_string(),
                );
            }
            out.push(c);
        }
        out
    }
}

fn scenario(seed: u64) -> Scenario {
    let mut rng = Rng::new(seed);
    let def = definition(&mut rng);
    let file = format!("u{seed}.rrd");
    let start = T {
        sec: def.start,
        ms: 0,
    };
    let state = def
        .ds
        .iter()
        .map(|_| DsState {
            counter: u128::from(rng.range(0, 1 << 20)),
            width: if rng.chance(50) { 32 } else { 64 },
            derive: rng.range(0, 2000) as i128 - 1000,
            float: rng.range(0, 100_000) as f64 / 7.0,
        })
        .collect();
    let mut g = Gen {
        rng: Rng::new(seed ^ 0x0bad_5eed),
        def: &def,
        cur: start,
        applied: start,
        state,
        features: BTreeSet::new(),
    };
    let total = g.rng.range(10, 200) as usize;
    let mut calls = Vec::new();
    let mut left = total;
    while left > 0 {
        let size = match g.rng.range(0, 9) {
            0..=2 => 1,
            3..=6 => g.rng.range(2, 10) as usize,
            _ => g.rng.range(10, 60) as usize,
        };
        let size = if calls.len() >= 8 {
            left
        } else {
            size.min(left)
        };
        calls.push(g.call(&file, size));
        left -= size;
    }
    let mut reads = vec![
        argv(&["dump", &file]),
        argv(&["info", &file]),
        argv(&["lastupdate", &file]),
        argv(&["last", &file]),
    ];
    reads.extend(g.fetches(&file));
    let features = g.features;
    Scenario {
        file,
        def,
        calls,
        reads,
        updates: total,
        features,
    }
}

// ------------------------------------------------------------------ running

/// An argument as a shell would need it.
fn quoted(a: &str) -> String {
    if !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:=@+,/".contains(&b))
    {
        a.to_string()
    } else {
        format!("'{a}'")
    }
}

fn shell(args: &[String]) -> String {
    args.iter().map(|a| quoted(a)).collect::<Vec<_>>().join(" ")
}

impl Scenario {
    fn create_args(&self) -> Vec<String> {
        let mut v = argv(&["create", &self.file]);
        v.extend(self.def.create.iter().cloned());
        v
    }

    /// The commands, for a failure report.
    fn commands(&self) -> String {
        let mut s = format!("    rrdtool {}\n", shell(&self.create_args()));
        for c in &self.calls {
            let _ = writeln!(s, "    rrdtool {}", shell(&c.args));
        }
        for r in &self.reads {
            let _ = writeln!(s, "    rrdtool {}", shell(r));
        }
        s
    }
}

#[derive(Default)]
struct Tally {
    scenarios: u64,
    /// Scenarios with Holt-Winters archives.
    hw: u64,
    modes: [u64; 3],
    updates: u64,
    calls: u64,
    comparisons: u64,
    /// Calls the generator made bad / those rrdtool refused.
    bad_calls: u64,
    refused: u64,
    /// Calls where rrdtool's refusal and the generator's intent differ.
    surprises: u64,
    /// Failing scenarios: (seed, first problem, full report).
    failures: Vec<(u64, String, String)>,
}

struct Run<'a> {
    dir: &'a Path,
    pipe: &'a mut Pipe,
    sc: &'a Scenario,
    checks: Checks,
    refused: u64,
    surprises: u64,
}

impl Run<'_> {
    fn d(&self, sub: &str) -> PathBuf {
        self.dir.join(sub)
    }
    fn tool(&mut self, sub: &str, args: &[String]) -> Output {
        let d = self.d(sub);
        self.pipe.run(&d, args)
    }
    fn ours(&self, sub: &str, args: &[String]) -> Output {
        rrd(&self.d(sub), TZ, args)
    }

    /// Runs the scenario; returns whether modes B and C ran.
    fn go(&mut self) -> (bool, bool) {
        let sc = self.sc;
        let f = &sc.file;
        let create = sc.create_args();
        let made = self.tool("a", &create);
        if made.status != 0 {
            self.checks
                .problems
                .push(format!("rrdtool create failed (a generator bug): {made}"));
            return (false, false);
        }
        // C starts from rrdtool's new file, B from ours
        std::fs::copy(self.d("a").join(f), self.d("c").join(f)).unwrap();
        let ours = self.ours("b", &create);
        self.checks
            .record("B: rrd create", output_diff(&made, &ours));
        let b = ours.status == 0;
        // Holt-Winters: B's file is compared fresh, then rrdtool updates a
        // copy of it (D) beside ours
        let hw = sc.def.hw && b;
        if hw {
            let read = |sub: &str| std::fs::read(self.d(sub).join(f)).unwrap_or_default();
            self.checks.record(
                "B: new files (rows in time order)",
                rrd_file_diff(&read("a"), &read("b")),
            );
            std::fs::copy(self.d("b").join(f), self.d("d").join(f)).unwrap();
        }
        for (k, call) in sc.calls.iter().enumerate() {
            let want = self.tool("a", &call.args);
            self.refused += u64::from(want.status != 0);
            self.surprises += u64::from((want.status != 0) != call.bad);
            if b {
                let want_b = if hw {
                    self.tool("d", &call.args)
                } else {
                    want.clone()
                };
                let got = self.ours("b", &call.args);
                self.checks
                    .record(format!("B: call {}", k + 1), output_diff(&want_b, &got));
            }
            let got = self.ours("c", &call.args);
            self.checks
                .record(format!("C: call {}", k + 1), output_diff(&want, &got));
        }
        for r in &sc.reads {
            let want = self.tool("a", r);
            let ours = self.ours("a", r);
            self.checks
                .record(format!("A: rrd {}", shell(r)), output_diff(&want, &ours));
            let mut masked = if hw { self.tool("d", r) } else { want.clone() };
            if r[0] == "info" {
                masked.stdout = mask_cur_row(&masked.out()).into_bytes();
            }
            if b {
                let mut got = self.tool("b", r);
                if r[0] == "info" {
                    got.stdout = mask_cur_row(&got.out()).into_bytes();
                }
                self.checks.record(
                    format!("B: rrdtool {} of our file", shell(r)),
                    output_diff(&masked, &got),
                );
            }
            let got = self.tool("c", r);
            self.checks.record(
                format!("C: rrdtool {} of the file we updated", shell(r)),
                output_diff(&want, &got),
            );
        }
        let read = |sub: &str| std::fs::read(self.d(sub).join(f)).unwrap_or_default();
        let (fa, fb, fc) = (read("a"), read("b"), read("c"));
        if hw {
            let fd = read("d");
            let raw = match (archives(&fd), archives(&fb)) {
                (Ok(d), Ok(b)) => (d != b).then(|| {
                    rrd_file_diff(d, b).unwrap_or_else(|| "files differ in cur_row only".into())
                }),
                (Err(e), _) | (_, Err(e)) => Some(e),
            };
            self.checks
                .record("B: files byte for byte (rrdtool updated our file)", raw);
        } else if b {
            self.checks
                .record("B: files (rows in time order)", rrd_file_diff(&fa, &fb));
        }
        let raw = match (archives(&fa), archives(&fc)) {
            (Ok(a), Ok(c)) => (a != c).then(|| {
                rrd_file_diff(a, c).unwrap_or_else(|| "files differ in cur_row only".into())
            }),
            (Err(e), _) | (_, Err(e)) => Some(e),
        };
        self.checks.record("C: files byte for byte", raw);
        (b, true)
    }
}

#[test]
fn update_generator_is_deterministic_and_varied() {
    let a: Vec<String> = (1..30).map(|s| scenario(s).commands()).collect();
    let b: Vec<String> = (1..30).map(|s| scenario(s).commands()).collect();
    assert_eq!(a, b);
    let mut seen = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    let mut cfs = BTreeSet::new();
    for s in FIRST_SEED..FIRST_SEED + DEFAULT_COUNT {
        let sc = scenario(s);
        seen.extend(sc.features.iter().copied());
        kinds.extend(sc.def.ds.iter().map(|d| d.kind.name()));
        cfs.extend(sc.def.cfs.iter().copied());
        assert!((10..=200).contains(&sc.updates), "seed {s}: {}", sc.updates);
    }
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    assert_eq!(cfs.len(), 10, "{cfs:?}");
    for f in [
        "time on a step boundary",
        "time several steps later",
        "gap longer than the heartbeat",
        "gap longer than every archive",
        "two updates in one second",
        "at-style time HH:MM YYYYMMDD",
        "at-style time YYYYMMDD",
        "fractional time",
        "fractional time .1 or .3",
        "time with an exponent",
        "value with an exponent",
        "huge GAUGE value",
        "nan or inf",
        "counter near its wrap",
        "counter wraps at 32 bits",
        "counter wraps at 64 bits",
        "negative DERIVE value",
        "unknown value",
        "update",
        "updatev",
        "template naming some data sources",
        "template naming all data sources",
        "--skip-past-updates",
        "stale update skipped",
        "one update per call",
        "batch of 10 or more",
        "error: bad value",
        "error: too few values",
        "error: too many values",
        "error: time going backwards",
        "error: no timestamp",
        "error: bad time",
    ] {
        assert!(seen.contains(f), "no scenario has {f:?}");
    }
}

#[test]
fn differential_updates() {
    if !have_rrdtool() {
        return;
    }
    let seeds = seeds(
        "RRD_UPDATE_SEED",
        "RRD_UPDATE_COUNT",
        FIRST_SEED,
        DEFAULT_COUNT,
    );
    let total = Mutex::new(Tally::default());
    on_workers(
        &seeds,
        "update-diff",
        &["a", "b", "c", "d"],
        "differential update",
        |dir| Pipe::new(dir, TZ),
        |pipe, dir, seed| {
            let sc = scenario(seed);
            let mut run = Run {
                dir,
                pipe,
                sc: &sc,
                checks: Checks::default(),
                refused: 0,
                surprises: 0,
            };
            let (b, c) = run.go();
            let (refused, surprises) = (run.refused, run.surprises);
            let Checks {
                comparisons,
                problems,
            } = run.checks;
            let bad = sc.calls.iter().filter(|c| c.bad).count() as u64;
            let mut t = total.lock().unwrap();
            t.scenarios += 1;
            t.hw += u64::from(sc.def.hw);
            t.modes[0] += 1;
            t.modes[1] += u64::from(b);
            t.modes[2] += u64::from(c);
            t.updates += sc.updates as u64;
            t.calls += sc.calls.len() as u64;
            t.bad_calls += bad;
            t.refused += refused;
            t.surprises += surprises;
            t.comparisons += comparisons;
            if problems.is_empty() {
                for sub in ["a", "b", "c", "d"] {
                    let _ = std::fs::remove_file(dir.join(sub).join(&sc.file));
                }
                return false;
            }
            let mut r = format!("scenario {seed} ({} updates):\n", sc.updates);
            r.push_str(&sc.commands());
            for p in problems.iter().take(8) {
                for l in p.lines() {
                    let _ = writeln!(r, "  ! {l}");
                }
            }
            if problems.len() > 8 {
                let _ = writeln!(r, "  ! ... and {} more", problems.len() - 8);
            }
            let _ = writeln!(
                r,
                "  reproduce: RRD_UPDATE_SEED={seed} cargo test -p rrd-cli differential_updates"
            );
            let first = problems[0].lines().next().unwrap_or_default().to_string();
            t.failures.push((seed, first, r));
            true
        },
    );
    let mut t = total.into_inner().unwrap();
    t.failures.sort();
    let verdict = if t.failures.is_empty() {
        "all agreed".to_string()
    } else {
        format!("{} scenarios disagreed", t.failures.len())
    };
    note(&format!(
        "differential update: {} scenarios ({} with Holt-Winters archives; A: {}, B: {}, C: {}), {} updates in {} calls ({} with a bad argument, {} refused by rrdtool, {} unexpectedly), {} comparisons, {verdict}",
        t.scenarios, t.hw, t.modes[0], t.modes[1], t.modes[2], t.updates, t.calls, t.bad_calls, t.refused, t.surprises, t.comparisons
    ));
    let all: Vec<&str> = t.failures.iter().map(|f| f.2.as_str()).collect();
    write_report("RRD_UPDATE_REPORT", &all);
    if !t.failures.is_empty() {
        let mut msg = format!("{verdict}; the first in full:\n");
        for f in t.failures.iter().take(2) {
            msg.push_str(&f.2);
        }
        msg.push_str("all failing seeds, with their first disagreement:\n");
        for (seed, first, _) in &t.failures {
            let _ = writeln!(msg, "  {seed}: {first}");
        }
        panic!("{msg}");
    }
}

// ------------------------------------------------------------------ golden

#[test]
fn golden_update_transcript() {
    let data = data_dir("update");
    let cases: Vec<Case> = read_transcript(&data)
        .into_iter()
        .map(|s| match s {
            Step::Run(c) => c,
            Step::Mkdir(d) => panic!("transcript: unexpected mkdir {d}"),
        })
        .collect();
    let dir = TempDir::new("update-golden");
    copy_files(&data.join("fixtures"), dir.path());
    let mut fixtures: BTreeSet<String> = std::fs::read_dir(data.join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut failures = Vec::new();
    for case in &cases {
        fixtures.retain(|f| !case.args.contains(f));
        if let Some(d) = check_case(dir.path(), case) {
            failures.push(format!(
                "case {} (rrd {}):\n{d}",
                case.title,
                shell(&case.args)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} recorded update cases differ from rrdtool 1.7.2:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        cases.len() > 150,
        "the transcript holds only {} cases",
        cases.len()
    );
    for verb in ["update", "updatev"] {
        for status in [0, 1] {
            assert!(
                cases
                    .iter()
                    .any(|c| c.args[0] == verb && c.want.status == status),
                "no {verb} case with status {status}"
            );
        }
    }
    assert!(
        fixtures.is_empty(),
        "no case uses the fixtures {fixtures:?}"
    );
}

// ------------------------------------------------------------------ Holt-Winters fixtures

/// The Holt-Winters files rrdtool made (tests/data/golden/README.md; one
/// with COMPUTE sources and the implicit archives, one version 0004 with
/// all six archives spelled out) updated further by both tools, in one
/// call and call by call (the smoother runs at most once per call): the
/// files must stay byte for byte rrdtool's.
#[test]
fn holt_winters_fixtures_update_as_rrdtools() {
    if !have_rrdtool() {
        return;
    }
    let dir = TempDir::new("hw-fixtures");
    let (a, c) = (dir.sub("a"), dir.sub("c"));
    let mut compared = 0;
    for (f, first, step) in [
        ("hw.rrd", 1_200_001_860i64, 60i64),
        ("mhw.rrd", 1_300_007_500, 300),
    ] {
        for batched in [true, false] {
            for d in [&a, &c] {
                std::fs::copy(golden_dir().join("fixtures").join(f), d.join(f)).unwrap();
            }
            let mut rng = Rng::new(if batched { 7 } else { 8 });
            let mut updates = Vec::new();
            let mut t = first;
            for k in 0..400 {
                t += step * rng.range(1, 3) as i64 + rng.range(0, 2) as i64 * (step / 3);
                let v = if k % 17 == 5 {
                    "U".to_string()
                } else {
                    (1000 + (k * 37) % 400 + rng.range(0, 50)).to_string()
                };
                updates.push(format!("{t}:{v}"));
            }
            let calls: Vec<Vec<String>> = if batched {
                vec![updates]
            } else {
                updates.chunks(7).map(<[String]>::to_vec).collect()
            };
            for call in calls {
                let mut args = vec!["update".to_string(), f.to_string()];
                args.extend(call);
                let want = crate::support::rrdtool(&a, TZ, &args);
                let got = rrd(&c, TZ, &args);
                assert!(
                    output_diff(&want, &got).is_none(),
                    "{f}: {}",
                    output_diff(&want, &got).unwrap_or_default()
                );
            }
            let fa = std::fs::read(a.join(f)).unwrap();
            let fc = std::fs::read(c.join(f)).unwrap();
            let fc = archives(&fc).unwrap();
            assert!(
                fa == fc,
                "{f} (batched: {batched}): {}",
                rrd_file_diff(&fa, fc).unwrap_or_else(|| "cur_row differs".into())
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 4);
}

// ------------------------------------------------------------------ regressions

/// Runs each command with ours in a new directory, in order; each must
/// print what rrdtool 1.7.2 printed (recorded; `info` compared with
/// `cur_row` masked, since the file is our create's).
fn replay(steps: &[(&str, i32, &str, &str)]) {
    let dir = TempDir::new("update-regression");
    for (cmd, status, stdout, stderr) in steps {
        let args: Vec<String> = cmd.split(' ').map(str::to_string).collect();
        let mut got = rrd(dir.path(), TZ, &args);
        let mut want = Output {
            status: *status,
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        };
        if args[0] == "info" {
            want.stdout = mask_cur_row(&want.out()).into_bytes();
            got.stdout = mask_cur_row(&got.out()).into_bytes();
        }
        if let Some(d) = output_diff(&want, &got) {
            panic!("rrd {cmd}: not what rrdtool 1.7.2 printed:\n{d}");
        }
    }
}

// Each postmortem names what rrdtool 1.7.2 does that ours did not. Most are
// rrd_diff (rrd_diff.c), which rrdtool uses for COUNTER and DERIVE: it
// skips leading non-digits (noting a '-'), stops at the first non-digit
// after the digits, refuses (NaN) operands of different sign or longer than
// 30 digits, subtracts digit by digit and converts the decimal result with
// rrd_strtodbl, negating it when both operands are negative.

/// Postmortem: rrdtool reports everything after the last expected value,
/// not only the next field.
#[test]
fn regression_extra_data_message_shows_the_rest_of_the_argument() {
    replay(&[
        ("create e.rrd --start 1000000000 --step 60 DS:a:GAUGE:600:U:U DS:b:GAUGE:600:U:U RRA:LAST:0:1:5", 0, "", ""),
        ("update e.rrd 1000000010:1:2:3:4", 1, "", "ERROR: e.rrd: found extra data on update argument: 3:4\n"),
        ("update e.rrd 1000000020:1:2:3", 1, "", "ERROR: e.rrd: found extra data on update argument: 3\n"),
        ("lastupdate e.rrd", 0, " a b\n\n1000000000: U U\n", ""),
    ]);
}

/// Postmortem: the counter difference is a decimal string read back by
/// rrd_strtodbl (digit by digit, not correctly rounded), so near 2^64 its
/// low bits are not those of the exact difference: after the 64-bit wrap
/// correction rrdtool gets 0 here, not (754 + 2^64 - 1 - ...1123) / 100.
#[test]
fn regression_counter_difference_goes_through_rrd_strtod() {
    replay(&[
        ("create w.rrd --start 1000000000 --step 100 DS:c:COUNTER:600:U:U RRA:LAST:0:1:5", 0, "", ""),
        ("updatev w.rrd 1000000100:18446744073709551123 1000000200:754", 0, "return_value = 0\n[1000000100]RRA[LAST][1]DS[c] = NaN\n[1000000200]RRA[LAST][1]DS[c] = 0.0000000000e+00\n", ""),
    ]);
}

/// Postmortem: two equal negative DERIVE readings differ by -0 (rrd_diff
/// negates the 0 of |a| - |b|), and the PDP keeps that sign.
#[test]
fn regression_equal_negative_derive_readings_give_minus_zero() {
    replay(&[
        ("create d.rrd --start 999999960 --step 60 DS:d:DERIVE:600:U:U RRA:LAST:0:1:5", 0, "", ""),
        ("update d.rrd 1000000000:-628 1000000010:-628", 0, "", ""),
        ("info d.rrd", 0, "filename = \"d.rrd\"\nrrd_version = \"0003\"\nstep = 60\nlast_update = 1000000010\nheader_size = 584\nds[d].index = 0\nds[d].type = \"DERIVE\"\nds[d].minimal_heartbeat = 600\nds[d].min = NaN\nds[d].max = NaN\nds[d].last_ds = \"-628\"\nds[d].value = -0.0000000000e+00\nds[d].unknown_sec = 40\nrra[0].cf = \"LAST\"\nrra[0].rows = 5\nrra[0].cur_row = 4\nrra[0].pdp_per_row = 1\nrra[0].xff = 0.0000000000e+00\nrra[0].cdp_prep[0].value = NaN\nrra[0].cdp_prep[0].unknown_datapoints = 0\n", ""),
    ]);
}

/// Postmortem: rrd_diff takes the sign from the text, so "-0" is negative:
/// -3 -> -0 is +3 (0.05/s), and 5 -> -0 mixes signs (unknown).
#[test]
fn regression_derive_minus_zero_is_a_negative_reading() {
    replay(&[
        ("create d.rrd --start 999999960 --step 60 DS:d:DERIVE:600:U:U RRA:LAST:0:1:5", 0, "", ""),
        ("updatev d.rrd 1000000020:-3 1000000080:-0 1000000140:5 1000000200:-0", 0, "return_value = 0\n[1000000020]RRA[LAST][1]DS[d] = NaN\n[1000000080]RRA[LAST][1]DS[d] = 5.0000000000e-02\n[1000000140]RRA[LAST][1]DS[d] = NaN\n[1000000200]RRA[LAST][1]DS[d] = NaN\n", ""),
    ]);
}

/// Postmortem: an empty COUNTER reading and a lone "-" for DERIVE pass
/// rrdtool's digit check but have no digits, so rrd_diff gives NaN (and
/// again for the next reading, diffed against them); ours read them as 0.
#[test]
fn regression_empty_counter_and_lone_minus_derive_readings_are_unknown() {
    replay(&[
        ("create c.rrd --start 999999960 --step 60 DS:c:COUNTER:600:U:U DS:d:DERIVE:600:U:U RRA:LAST:0:1:5", 0, "", ""),
        ("updatev c.rrd 1000000020:5:5 1000000080::- 1000000140:6:6", 0, "return_value = 0\n[1000000020]RRA[LAST][1]DS[c] = NaN\n[1000000020]RRA[LAST][1]DS[d] = NaN\n[1000000080]RRA[LAST][1]DS[c] = NaN\n[1000000080]RRA[LAST][1]DS[d] = NaN\n[1000000140]RRA[LAST][1]DS[c] = NaN\n[1000000140]RRA[LAST][1]DS[d] = NaN\n", ""),
    ]);
}

/// Postmortem: rrd_diff gives NaN for operands of more than 30 digits (no
/// error, however long), and `last_ds` keeps the first 29 characters, which
/// the next reading is diffed against.
#[test]
fn regression_counter_readings_over_30_digits_are_unknown() {
    replay(&[
        ("create c.rrd --start 999999960 --step 60 DS:c:COUNTER:600:U:U RRA:LAST:0:1:5", 0, "", ""),
        ("updatev c.rrd 1000000020:7 1000000080:1234567890123456789012345678901 1000000140:12345678901234567890123456789012345678901 1000000200:300", 0, "return_value = 0\n[1000000020]RRA[LAST][1]DS[c] = NaN\n[1000000080]RRA[LAST][1]DS[c] = NaN\n[1000000140]RRA[LAST][1]DS[c] = NaN\n[1000000200]RRA[LAST][1]DS[c] = -2.0576131471e+26\n", ""),
        ("lastupdate c.rrd", 0, " c\n\n1000000200: 300\n", ""),
    ]);
}

/// Postmortem: a reading is not checked when the interval exceeds the
/// heartbeat, so `last_ds` can hold "12a"; the next difference uses its
/// leading digits (493854 - 12), where ours gave NaN.
#[test]
fn regression_counter_previous_reading_keeps_its_leading_digits() {
    replay(&[
        ("create p.rrd --start 1000000000 --step 10 DS:c:COUNTER:60:U:U RRA:LAST:0:1:5", 0, "", ""),
        ("updatev p.rrd 1000000100:12a 1000000110:493854", 0, "return_value = 0\n[1000000060]RRA[LAST][1]DS[c] = NaN\n[1000000080]RRA[LAST][1]DS[c] = NaN\n[1000000090]RRA[LAST][1]DS[c] = NaN\n[1000000100]RRA[LAST][1]DS[c] = NaN\n[1000000110]RRA[LAST][1]DS[c] = NaN\n[1000000110]RRA[LAST][1]DS[c] = 4.9384200000e+04\n", ""),
    ]);
}

/// Postmortem: DCOUNTER/DDERIVE readings after an unknown one are not
/// checked ("1x" is kept), but the next update parses the previous reading
/// with rrd_strtodbl too and fails on it; ours took it as unknown.
#[test]
fn regression_dcounter_dderive_previous_reading_must_parse() {
    replay(&[
        ("create x.rrd --start 1000000000 --step 60 DS:x:DDERIVE:600:U:U DS:y:DCOUNTER:600:U:U RRA:LAST:0:1:5", 0, "", ""),
        ("updatev x.rrd 1000000010:1x:five", 0, "return_value = 0\n", ""),
        ("updatev x.rrd 1000000020:2:2", 1, "return_value = -1\n", "ERROR: x.rrd: Function update_pdp_prep, case DST_DDERIVE - Converted '1x' to 1.000000, but cannot convert 'x'\n"),
        ("lastupdate x.rrd", 0, " x y\n\n1000000010: 1x five\n", ""),
    ]);
}
