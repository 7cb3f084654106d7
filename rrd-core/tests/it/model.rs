//! The update engine against a deliberately naive model of rrdtool 1.7.2's
//! update semantics (reference §2), compared with proptest over random
//! definitions and update streams.
//!
//! The model was written from the reference alone and is built differently
//! from the engine on purpose: times are integer microseconds; every closed
//! PDP is handed to every archive one at a time; an archive's open CDP is the
//! plain list of its PDP values, consolidated by folding that list when the
//! CDP completes; written rows go into a map from time to values, and what
//! `rows()` must show is that map seen through the archive's window. The
//! quirks rrdtool documents (and that rrdtool 1.7.2 was seen to have) sit on
//! top of that, each marked `quirk`.
//!
//! Values are compared with a relative tolerance of 1e-9 (absolute below 1):
//! the model sums PDP values one by one and uses rate × seconds, where
//! rrdtool multiplies one rate by a PDP count and scales `pdp_new / interval`,
//! so the last bits differ. NaN equals NaN.
//!
//! When rrdtool 1.7.2 is on PATH, `model_matches_rrdtool` also runs random
//! cases through it, so the model itself is checked against the real thing.
//!
//! Not modelled: COMPUTE, DCOUNTER/DDERIVE and Holt-Winters archives, update
//! errors, `--template`, at-style times, and value texts other than plain
//! integers and quarters (rrd_strtod has its own tests).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use rrd_core::cdp_slot;
use rrd_core::{CreateSpec, MemStorage, Rrd, UpdateTime, Value};

const US: i64 = 1_000_000;

// ---------------------------------------------------------------------------
// Definitions and update streams

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
    Derive,
    Absolute,
}

#[derive(Debug, Clone)]
struct Ds {
    kind: Kind,
    heartbeat: u64,
    min: Option<i64>,
    max: Option<i64>,
    /// For counters: the generator wraps at 2^64 instead of 2^32.
    wide: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cf {
    Average,
    Min,
    Max,
    Last,
}

#[derive(Debug, Clone)]
struct Arch {
    cf: Cf,
    xff: f64,
    pdp_cnt: u64,
    rows: u64,
    /// The engine's initial `cur_row` (rrdtool picks it at random); rows in
    /// time order must not depend on it.
    first_row: u64,
}

#[derive(Debug, Clone)]
struct Def {
    step: u64,
    start: i64,
    ds: Vec<Ds>,
    rra: Vec<Arch>,
}

/// One update as rrdtool receives it: time in microseconds since the epoch
/// and one value text per data source.
#[derive(Debug, Clone)]
struct Update {
    time: i64,
    values: Vec<String>,
    /// The engine gets `Value::Num` instead of the text where that is the
    /// same reading (small integers, quarters).
    as_num: bool,
}

#[derive(Clone)]
struct Case {
    def: Def,
    updates: Vec<Update>,
}

impl Def {
    fn create_args(&self) -> Vec<String> {
        let bound = |b: Option<i64>| b.map_or("U".to_string(), |v| v.to_string());
        let mut args: Vec<String> = self
            .ds
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let kind = match d.kind {
                    Kind::Gauge => "GAUGE",
                    Kind::Counter => "COUNTER",
                    Kind::Derive => "DERIVE",
                    Kind::Absolute => "ABSOLUTE",
                };
                format!(
                    "DS:d{i}:{kind}:{}:{}:{}",
                    d.heartbeat,
                    bound(d.min),
                    bound(d.max)
                )
            })
            .collect();
        args.extend(self.rra.iter().map(|a| {
            let cf = match a.cf {
                Cf::Average => "AVERAGE",
                Cf::Min => "MIN",
                Cf::Max => "MAX",
                Cf::Last => "LAST",
            };
            format!("RRA:{cf}:{}:{}:{}", a.xff, a.pdp_cnt, a.rows)
        }));
        args
    }
}

/// An update time the way rrdtool's command line takes it. A fractional part
/// gets a trailing 5 (half a microsecond) so that rrdtool, which truncates
/// `(t - floor(t)) * 1e6` of a double, lands on the intended microsecond.
fn time_arg(time: i64) -> String {
    let (sec, usec) = (time.div_euclid(US), time.rem_euclid(US));
    if usec == 0 {
        sec.to_string()
    } else {
        format!("{sec}.{usec:06}5")
    }
}

impl Update {
    fn arg(&self) -> String {
        format!("{}:{}", time_arg(self.time), self.values.join(":"))
    }
}

/// Failing cases print as the rrdtool commands that reproduce them.
impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.def;
        writeln!(
            f,
            "rrdtool create m.rrd --start {} --step {} {}",
            d.start,
            d.step,
            d.create_args().join(" ")
        )?;
        let args: Vec<String> = self.updates.iter().map(Update::arg).collect();
        writeln!(f, "rrdtool update m.rrd {}", args.join(" "))?;
        let rows: Vec<u64> = d.rra.iter().map(|a| a.first_row).collect();
        write!(f, "(engine cur_row at create: {rows:?})")
    }
}

// ---------------------------------------------------------------------------
// The model

struct Model<'a> {
    def: &'a Def,
    /// Time of the last update, microseconds.
    last: i64,
    /// Per DS: the last value text ("U" when unknown or stale).
    last_ds: Vec<String>,
    /// Per DS: rate × seconds known so far in the open PDP, NaN while none.
    pdp_val: Vec<f64>,
    /// Per DS: whole unknown seconds in the open PDP.
    unknown_sec: Vec<u64>,
    /// Per archive: its open CDP.
    cdp: Vec<OpenCdp>,
    /// Per archive: every row ever written, by end time of its CDP.
    written: Vec<BTreeMap<i64, Vec<f64>>>,
}

struct OpenCdp {
    /// PDPs of this CDP that ended before the file existed: they count as
    /// unknown (§1.7 `init_cdp`, §2.7 "first CDP after create").
    before_create: u64,
    /// The closed PDPs of this CDP, oldest first, one value per DS each.
    pdps: Vec<Vec<f64>>,
}

fn ifnan(v: f64, or: f64) -> f64 {
    if v.is_nan() {
        or
    } else {
        v
    }
}

/// Digits to a double the way rrd_strtod does it (reference §2.1): `n·10 + d`
/// per digit, rounding at every step.
fn rrd_strtod_digits(digits: &str) -> f64 {
    digits
        .bytes()
        .fold(0.0, |n, c| n * 10.0 + f64::from(c - b'0'))
}

impl<'a> Model<'a> {
    fn new(def: &'a Def) -> Self {
        let step = def.step as i64;
        let first_pdp_start = def.start - def.start.rem_euclid(step);
        Model {
            def,
            last: def.start * US,
            last_ds: vec!["U".into(); def.ds.len()],
            pdp_val: vec![f64::NAN; def.ds.len()],
            unknown_sec: vec![def.start.rem_euclid(step) as u64; def.ds.len()],
            cdp: def
                .rra
                .iter()
                .map(|a| OpenCdp {
                    before_create: (first_pdp_start.rem_euclid(step * a.pdp_cnt as i64) / step)
                        as u64,
                    pdps: Vec::new(),
                })
                .collect(),
            written: vec![BTreeMap::new(); def.rra.len()],
        }
    }

    /// The rate of data source `i` over the update interval, or `None` when
    /// unknown (§2.2). Remembers `text` as the last value.
    fn rate(&mut self, i: usize, text: &str, interval: f64) -> Option<f64> {
        let ds = &self.def.ds[i];
        let stale = interval > ds.heartbeat as f64;
        if stale {
            // no difference against a value older than the heartbeat
            self.last_ds[i] = "U".into();
        }
        let rate = if stale || text.starts_with('U') {
            None
        } else {
            let num = || text.parse::<f64>().expect("generated number");
            match ds.kind {
                Kind::Gauge => Some(num()),
                Kind::Absolute => Some(num() / interval),
                Kind::Counter | Kind::Derive => {
                    let last = &self.last_ds[i];
                    if last.starts_with('U') || last.starts_with('-') != text.starts_with('-') {
                        // nothing to subtract, or operands of different sign
                        None
                    } else {
                        let new = text.parse::<i128>().expect("generated integer");
                        let old = last.parse::<i128>().expect("stored integer");
                        // rrd_diff subtracts exactly, then converts with
                        // rrd_strtod, which is not correctly rounded
                        let mut diff = rrd_strtod_digits(&(new - old).unsigned_abs().to_string());
                        if new < old {
                            diff = -diff;
                        }
                        if ds.kind == Kind::Counter {
                            // quirk: a 32-bit wrap adds 2^32 - 1, not 2^32
                            if diff < 0.0 {
                                diff += 4_294_967_295.0;
                            }
                            if diff < 0.0 {
                                diff += 18_446_744_069_414_584_320.0;
                            }
                        }
                        Some(diff / interval)
                    }
                }
            }
        };
        self.last_ds[i] = text.to_string();
        let out_of_range =
            |r: f64| ds.max.is_some_and(|m| r > m as f64) || ds.min.is_some_and(|m| r < m as f64);
        rate.filter(|&r| !out_of_range(r))
    }

    fn update(&mut self, u: &Update) {
        let step = self.def.step as i64;
        let (last_sec, last_usec) = (self.last.div_euclid(US), self.last.rem_euclid(US));
        let (t_sec, t_usec) = (u.time.div_euclid(US), u.time.rem_euclid(US));
        let interval = (t_sec - last_sec) as f64 + (t_usec - last_usec) as f64 / 1e6;
        let rates: Vec<Option<f64>> = u
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| self.rate(i, v, interval))
            .collect();
        // end of the last closed PDP before and after this update
        let closed_before = last_sec - last_sec.rem_euclid(step);
        let closed_after = t_sec - t_sec.rem_euclid(step);
        if closed_after == closed_before {
            for (i, rate) in rates.iter().enumerate() {
                match rate {
                    Some(r) => self.pdp_val[i] = ifnan(self.pdp_val[i], 0.0) + r * interval,
                    None => self.unknown_sec[i] += interval as u64,
                }
            }
        } else {
            let elapsed = (closed_after - closed_before) / step;
            // data time before the last boundary crossed, and after it
            let pre_int = (closed_after - last_sec) as f64 - last_usec as f64 / 1e6;
            let post_int = t_sec.rem_euclid(step) as f64 + t_usec as f64 / 1e6;
            // quirk (§2.6): the whole seconds from the last update to the
            // next boundary close the open PDP on their own first
            let sec_open = (pre_int as i64) % step;
            if elapsed > 1 && sec_open > 0 {
                let open = sec_open as f64;
                self.close_pdps(closed_before, 1, open, open, 0.0, &rates);
                self.close_pdps(
                    closed_before + step,
                    elapsed - 1,
                    interval - open,
                    pre_int - open,
                    post_int,
                    &rates,
                );
            } else {
                self.close_pdps(closed_before, elapsed, interval, pre_int, post_int, &rates);
            }
        }
        self.last = u.time;
    }

    /// Closes the `n` PDPs after time `from` with data covering `interval`
    /// seconds, `pre_int` of them before the last boundary and `post_int`
    /// after it (§2.5).
    fn close_pdps(
        &mut self,
        from: i64,
        n: i64,
        interval: f64,
        pre_int: f64,
        post_int: f64,
        rates: &[Option<f64>],
    ) {
        let step = self.def.step as i64;
        let mut value = Vec::with_capacity(rates.len());
        for (i, rate) in rates.iter().enumerate() {
            let mut pre_unknown = 0.0;
            match rate {
                Some(r) => self.pdp_val[i] = ifnan(self.pdp_val[i], 0.0) + r * pre_int,
                None => pre_unknown = pre_int,
            }
            // quirk: the >50% test counts the unknown seconds from before
            // this update only
            let too_unknown = self.unknown_sec[i] as f64 > step as f64 / 2.0;
            let stale = interval > self.def.ds[i].heartbeat as f64;
            // quirk: one rate for every PDP this pass closes
            value.push(if stale || too_unknown {
                f64::NAN
            } else {
                self.pdp_val[i] / ((n * step - self.unknown_sec[i] as i64) as f64 - pre_unknown)
            });
            match rate {
                Some(r) => {
                    self.unknown_sec[i] = 0;
                    self.pdp_val[i] = r * post_int;
                }
                None => {
                    self.unknown_sec[i] = post_int as u64;
                    self.pdp_val[i] = f64::NAN;
                }
            }
        }
        for a in 0..self.def.rra.len() {
            let span = step * self.def.rra[a].pdp_cnt as i64;
            let mut completed = Vec::new();
            for k in 1..=n {
                let end = from + k * step;
                self.cdp[a].pdps.push(value.clone());
                if end.rem_euclid(span) == 0 {
                    completed.push((end, self.consolidate(a)));
                    self.cdp[a] = OpenCdp {
                        before_create: 0,
                        pdps: Vec::new(),
                    };
                }
            }
            let rows = self.def.rra[a].rows as usize;
            if completed.len() > rows {
                // quirk (§2.8): a pass writes at most `rows` rows, and the
                // first CDP it completed goes into the first of them
                let first = completed[0].1.clone();
                completed.drain(..completed.len() - rows);
                completed[0].1 = first;
            }
            self.written[a].extend(completed);
        }
    }

    /// The row of archive `a` for its completed open CDP.
    fn consolidate(&self, a: usize) -> Vec<f64> {
        let arch = &self.def.rra[a];
        let cdp = &self.cdp[a];
        assert_eq!(cdp.before_create + cdp.pdps.len() as u64, arch.pdp_cnt);
        (0..self.def.ds.len())
            .map(|i| {
                let pdps: Vec<f64> = cdp.pdps.iter().map(|p| p[i]).collect();
                let unknown = cdp.before_create + pdps.iter().filter(|v| v.is_nan()).count() as u64;
                if unknown as f64 > arch.pdp_cnt as f64 * arch.xff {
                    return f64::NAN;
                }
                let known = pdps.iter().copied().filter(|v| !v.is_nan());
                match arch.cf {
                    Cf::Average => known.sum::<f64>() / (arch.pdp_cnt - unknown) as f64,
                    Cf::Min => known.fold(f64::INFINITY, f64::min),
                    Cf::Max => known.fold(f64::NEG_INFINITY, f64::max),
                    // the last PDP, known or not
                    Cf::Last => *pdps.last().expect("a CDP has a PDP"),
                }
            })
            .collect()
    }

    /// Archive `a` in time order, as `Rrd::rows` shows it.
    fn rows(&self, a: usize) -> Rows {
        let arch = &self.def.rra[a];
        let span = self.def.step as i64 * arch.pdp_cnt as i64;
        let last_sec = self.last.div_euclid(US);
        let newest = last_sec - last_sec.rem_euclid(span);
        let nan = vec![f64::NAN; self.def.ds.len()];
        (0..arch.rows as i64)
            .map(|k| {
                let t = newest - (arch.rows as i64 - 1 - k) * span;
                (t, self.written[a].get(&t).unwrap_or(&nan).clone())
            })
            .collect()
    }

    /// What the open CDP of archive `a` holds for DS `i`: unknown PDPs, and
    /// the running consolidation if any PDP is known.
    fn cdp_state(&self, a: usize, i: usize) -> (u64, Option<f64>) {
        let cdp = &self.cdp[a];
        let pdps: Vec<f64> = cdp.pdps.iter().map(|p| p[i]).collect();
        let unknown = cdp.before_create + pdps.iter().filter(|v| v.is_nan()).count() as u64;
        let known: Vec<f64> = pdps.into_iter().filter(|v| !v.is_nan()).collect();
        let val = (!known.is_empty()).then(|| match self.def.rra[a].cf {
            Cf::Average => known.iter().sum(),
            Cf::Min => known.iter().copied().fold(f64::INFINITY, f64::min),
            Cf::Max => known.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Cf::Last => known[known.len() - 1],
        });
        (unknown, val)
    }
}

// ---------------------------------------------------------------------------
// Comparison

/// Equal within 1e-9 relative (absolute below 1), NaN equal to NaN.
fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn close_rows(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(*x, *y))
}

fn new_engine(def: &Def) -> Rrd<MemStorage> {
    let args = def.create_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let spec = CreateSpec::parse(def.start, def.step, &args).expect("valid definition");
    let mut rows = def.rra.iter().map(|a| a.first_row);
    let header = spec.to_header(|_| rows.next().expect("one pick per archive"));
    let mut bytes = Vec::new();
    rrd_core::write_rrd(&mut bytes, &header, None).expect("write to memory");
    Rrd::from_bytes(bytes).expect("fresh file opens")
}

fn engine_update(rrd: &mut Rrd<MemStorage>, u: &Update) -> Result<(), String> {
    let values: Vec<Value<'_>> = u
        .values
        .iter()
        .map(|v| match v.parse::<f64>() {
            _ if v == "U" => Value::Unknown,
            Ok(x) if u.as_num && x.abs() < 1e15 && v != "-0" => Value::Num(x),
            _ => Value::Text(v),
        })
        .collect();
    let time = UpdateTime {
        sec: u.time.div_euclid(US),
        usec: u.time.rem_euclid(US),
    };
    rrd.update(time, &values)
        .map_err(|e| format!("engine refused {}: {e}", u.arg()))
}

fn engine_rows(rrd: &Rrd<MemStorage>, a: usize) -> Rows {
    rrd.rows(a)
        .expect("archive exists")
        .map(|r| r.expect("row reads"))
        .collect()
}

/// The engine's state against the model's, after update number `n`.
fn compare(rrd: &Rrd<MemStorage>, m: &Model<'_>, n: usize) -> Result<(), String> {
    let h = rrd.header();
    let at = |what: String| format!("after update #{n}: {what}");
    let last = h.last_up * US + h.last_up_usec;
    if last != m.last {
        return Err(at(format!("last update {last} µs, model {}", m.last)));
    }
    for (i, p) in h.pdp.iter().enumerate() {
        if p.last_ds != m.last_ds[i] || p.unknown_sec != m.unknown_sec[i] {
            return Err(at(format!(
                "DS {i}: last_ds {:?} unknown_sec {}, model {:?} {}",
                p.last_ds, p.unknown_sec, m.last_ds[i], m.unknown_sec[i]
            )));
        }
        if !close(p.value, m.pdp_val[i]) {
            return Err(at(format!(
                "DS {i}: PDP value {}, model {}",
                p.value, m.pdp_val[i]
            )));
        }
    }
    for (a, arch) in m.def.rra.iter().enumerate() {
        // with one PDP per row rrdtool leaves the CDP scratch alone (§2.7)
        if arch.pdp_cnt > 1 {
            for i in 0..m.def.ds.len() {
                let c = h.cdp(a, i);
                let (unknown, val) = m.cdp_state(a, i);
                let got = c.val(cdp_slot::VAL);
                let reset = match arch.cf {
                    Cf::Average => 0.0,
                    Cf::Min => f64::INFINITY,
                    Cf::Max => f64::NEG_INFINITY,
                    Cf::Last => f64::NAN,
                };
                let val_ok = match val {
                    Some(v) => close(got, v),
                    None => got.is_nan() || got == reset,
                };
                if c.cnt(cdp_slot::UNKN_PDP_CNT) != unknown || !val_ok {
                    return Err(at(format!(
                        "archive {a} DS {i}: CDP value {got} unknown PDPs {}, model {val:?} {unknown}",
                        c.cnt(cdp_slot::UNKN_PDP_CNT)
                    )));
                }
            }
        }
        let got = engine_rows(rrd, a);
        let want = m.rows(a);
        let same = got.len() == want.len()
            && got
                .iter()
                .zip(&want)
                .all(|(g, w)| g.0 == w.0 && close_rows(&g.1, &w.1));
        if !same {
            return Err(at(format!(
                "archive {a} rows\n engine {got:?}\n model  {want:?}"
            )));
        }
    }
    Ok(())
}

/// Runs `case` through the engine and the model, comparing after each update.
fn check(case: &Case) -> Result<(), TestCaseError> {
    let mut rrd = new_engine(&case.def);
    let mut model = Model::new(&case.def);
    compare(&rrd, &model, 0).map_err(TestCaseError::fail)?;
    for (n, u) in case.updates.iter().enumerate() {
        engine_update(&mut rrd, u).map_err(TestCaseError::fail)?;
        model.update(u);
        compare(&rrd, &model, n + 1).map_err(TestCaseError::fail)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Strategies

/// How the next update time is chosen, scaled by the step when the case is
/// built (so shrinking stays meaningful).
#[derive(Debug, Clone, Copy)]
enum Gap {
    /// Whole seconds, up to a step (mostly) or up to 5 steps (keeps the
    /// microseconds).
    Secs(u32),
    /// Exactly on the next boundary, or 1-2 boundaries later.
    Boundary(u32),
    /// Whole seconds, then one of a few microsecond values or any.
    Frac(u32, u8),
    /// 5 to 200 steps: longer than heartbeats and than most archives.
    Long(u32),
}

#[derive(Debug, Clone, Copy)]
struct RawValue {
    /// Picks unknown, a special value (wrap, reset, jump) or an ordinary one.
    sel: u8,
    n: u64,
}

fn gap() -> impl Strategy<Value = Gap> {
    prop_oneof![
        10 => any::<u32>().prop_map(Gap::Secs),
        5 => (0..3u32).prop_map(Gap::Boundary),
        3 => (any::<u32>(), 0..8u8).prop_map(|(s, u)| Gap::Frac(s, u)),
        1 => any::<u32>().prop_map(Gap::Long),
    ]
}

fn raw_value() -> impl Strategy<Value = RawValue> {
    (0..20u8, any::<u64>()).prop_map(|(sel, n)| RawValue { sel, n })
}

fn ds(step: u64) -> impl Strategy<Value = Ds> {
    let kind = prop_oneof![
        Just(Kind::Gauge),
        Just(Kind::Counter),
        Just(Kind::Derive),
        Just(Kind::Absolute)
    ];
    let heartbeat = prop_oneof![1..=3 * step, Just(2 * step), Just(3 * step)];
    (kind, heartbeat, 0..3usize, 0..3usize, any::<bool>()).prop_map(
        |(kind, heartbeat, lo, hi, wide)| {
            // min < max for every pick
            let (mins, maxs): (&[Option<i64>], &[Option<i64>]) = match kind {
                Kind::Gauge => (&[None, Some(0), Some(-50)], &[None, Some(100), Some(150)]),
                Kind::Counter => (&[None, Some(0), None], &[None, Some(1000), Some(1_000_000)]),
                Kind::Derive => (&[None, Some(-20), None], &[None, Some(20), None]),
                Kind::Absolute => (&[None, Some(0), None], &[None, Some(50), None]),
            };
            Ds {
                kind,
                heartbeat,
                min: mins[lo],
                max: maxs[hi],
                wide,
            }
        },
    )
}

fn arch() -> impl Strategy<Value = Arch> {
    let cf = prop_oneof![
        Just(Cf::Average),
        Just(Cf::Min),
        Just(Cf::Max),
        Just(Cf::Last)
    ];
    (cf, 0..4usize, 1..=6u64, 1..=20u64, 0..20u64).prop_map(|(cf, x, pdp_cnt, rows, r)| Arch {
        cf,
        xff: [0.0, 0.3, 0.5, 0.9][x],
        pdp_cnt,
        rows,
        first_row: r % rows,
    })
}

fn def() -> impl Strategy<Value = Def> {
    let step = prop_oneof![1..=600u64, Just(300), Just(60), 1..=5u64];
    step.prop_flat_map(|step| {
        (
            Just(step),
            0..12i64,
            prop_oneof![Just(0u64), 1..step.max(2)],
            prop::collection::vec(ds(step), 1..=3),
            prop::collection::vec(arch(), 1..=4),
        )
    })
    .prop_map(|(step, shift, off, ds, rra)| {
        let s = step as i64;
        // on a boundary or `off` seconds after one, somewhere in a CDP
        let start = (1_000_000_000 / s + shift) * s + (off % step) as i64;
        Def {
            step,
            start,
            ds,
            rra,
        }
    })
}

/// Turns raw choices into update texts, following each DS's own counter.
fn build(def: Def, raw: Vec<(Gap, [RawValue; 3], bool)>) -> Case {
    let step = def.step as i64;
    let mut last = def.start * US;
    let mut counters: Vec<i128> = vec![0; def.ds.len()];
    let mut updates = Vec::with_capacity(raw.len());
    for (g, vals, as_num) in raw {
        let last_sec = last.div_euclid(US);
        let mut time = match g {
            Gap::Secs(n) => {
                let most = if n % 4 == 0 { 5 * step } else { step };
                last + (1 + i64::from(n / 4) % most) * US
            }
            Gap::Boundary(k) => (last_sec - last_sec % step + step * (1 + i64::from(k))) * US,
            Gap::Frac(n, u) => {
                let usec = [250_000, 500_000, 750_000, 1, 999_999, 100_000, 333_333]
                    .get(usize::from(u))
                    .map_or(i64::from(n / 7) % US, |&us| us);
                (last_sec + i64::from(n) % (5 * step)) * US + usec
            }
            Gap::Long(n) => last + (step * (5 + i64::from(n) % 196) + i64::from(n) % step) * US,
        };
        if time <= last {
            time = last + US;
        }
        last = time;
        let values = def
            .ds
            .iter()
            .zip(vals)
            .zip(&mut counters)
            .map(|((d, RawValue { sel, n }), c)| {
                if sel < 2 {
                    return "U".to_string();
                }
                match d.kind {
                    Kind::Gauge if sel < 12 => ((n % 301) as i64 - 100).to_string(),
                    Kind::Gauge => (((n % 1201) as i64 - 400) as f64 / 4.0).to_string(),
                    Kind::Counter => {
                        let modulus: i128 = if d.wide { 1 << 64 } else { 1 << 32 };
                        *c = match sel {
                            // just below the wrap
                            2 => modulus - 1 - (n % 1000) as i128,
                            // a reset
                            3 => (n % 1000) as i128,
                            _ => (*c + (n % 100_000) as i128) % modulus,
                        };
                        c.to_string()
                    }
                    Kind::Derive => {
                        *c = match sel {
                            2 => (n % 2001) as i128 - 1000,
                            3 => 0,
                            _ => *c + (n % 401) as i128 - 200,
                        };
                        if sel == 3 {
                            // rrdtool takes the sign from the text: negative
                            "-0".to_string()
                        } else {
                            c.to_string()
                        }
                    }
                    Kind::Absolute => (n % 1001).to_string(),
                }
            })
            .collect();
        updates.push(Update {
            time,
            values,
            as_num,
        });
    }
    Case { def, updates }
}

fn case() -> impl Strategy<Value = Case> {
    (
        def(),
        prop::collection::vec(
            (
                gap(),
                [raw_value(), raw_value(), raw_value()],
                any::<bool>(),
            ),
            1..40,
        ),
    )
        .prop_map(|(def, raw)| build(def, raw))
}

/// A runner that draws the same cases on every run and machine. For a longer
/// hunt, `RRD_MODEL_CASES` multiplies the case count and `RRD_MODEL_SEED`
/// (0-255) picks other cases.
fn runner(cases: u32, seed: u8) -> TestRunner {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u32>().ok());
    let cases = cases * env("RRD_MODEL_CASES").unwrap_or(1);
    let seed = env("RRD_MODEL_SEED").map_or(seed, |s| s as u8);
    let config = Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

fn report(r: Result<(), TestError<Case>>) {
    match r {
        Ok(()) => {}
        Err(TestError::Fail(why, case)) => panic!("minimal failing case:\n{case:?}\n{why}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn engine_matches_model() {
    let r = runner(384, 7).run(&case(), |case| check(&case));
    report(r);
}

// ---------------------------------------------------------------------------
// Regressions: shrunk failures, each with its postmortem. The expected rows
// are what rrdtool 1.7.2 writes (`rrdtool dump`).

/// An update argument as rrdtool takes it: `sec[.fraction]:v1:v2...`.
fn parse_update(arg: &str) -> Update {
    let mut parts = arg.split(':');
    let t = parts.next().expect("time");
    let (sec, frac) = t.split_once('.').unwrap_or((t, ""));
    let usec: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    Update {
        time: sec.parse::<i64>().expect("seconds") * US + usec.parse::<i64>().expect("usec"),
        values: parts.map(str::to_string).collect(),
        as_num: false,
    }
}

/// Archive 0 of a file made by `create` (at `start`, with `step`) after
/// `updates`, as the engine leaves it.
fn engine_after(start: i64, step: u64, create: &[&str], updates: &[&str]) -> Rows {
    let spec = CreateSpec::parse(start, step, create).expect("valid definition");
    let mut bytes = Vec::new();
    rrd_core::write_rrd(&mut bytes, &spec.to_header(|_| 0), None).expect("write to memory");
    let mut rrd = Rrd::from_bytes(bytes).expect("fresh file opens");
    for u in updates {
        engine_update(&mut rrd, &parse_update(u)).expect("update applies");
    }
    engine_rows(&rrd, 0)
}

fn assert_rows(got: &[(i64, Vec<f64>)], want: &[(i64, &[f64])]) {
    let same = got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| g.0 == w.0 && close_rows(&g.1, w.1));
    assert!(same, "rows\n got  {got:?}\n want {want:?}");
}

/// A 64-bit wrap: the difference 33792 - (2^64 - 1) must round the way
/// rrdtool's rrd_strtod reads it, giving 32768 where exact rounding gives 34816.
const WRAP_64: [&str; 2] = ["1000000001:18446744073709551615", "1000000002:33792"];

// Postmortem: the engine converted rrd_diff's exact difference with `as f64`,
// but rrdtool reads the digits with rrd_strtod (n·10 + d, rounding each step).
#[test]
fn counter_diff_rounds_like_rrd_strtod() {
    let rows = engine_after(
        1_000_000_000,
        1,
        &["DS:c:COUNTER:1:U:U", "RRA:AVERAGE:0:1:1"],
        &WRAP_64,
    );
    assert_rows(&rows, &[(1_000_000_002, &[32768.0])]);
}

// Postmortem: the engine compared the signs of the parsed numbers, but
// rrd_diff takes them from the text, so "-0" is negative: 5 then -0 is a sign
// change (unknown) and -0 then -200 is not.
#[test]
fn derive_minus_zero_is_negative() {
    let rows = engine_after(
        1_000_000_000,
        1,
        &["DS:d:DERIVE:10:U:U", "RRA:AVERAGE:0:1:4"],
        &[
            "1000000001:5",
            "1000000002:-0",
            "1000000003:-200",
            "1000000004:0",
        ],
    );
    let nan = f64::NAN;
    assert_rows(
        &rows,
        &[
            (1_000_000_001, &[nan]),
            (1_000_000_002, &[nan]),
            (1_000_000_003, &[-200.0]),
            (1_000_000_004, &[nan]),
        ],
    );
}

// Postmortem (model): the model converted counter differences with exact
// rounding; rrdtool's rrd_diff reads them back with rrd_strtod.
#[test]
fn model_counter_diff_rounds_like_rrd_strtod() {
    let def = Def {
        step: 1,
        start: 1_000_000_000,
        ds: vec![Ds {
            kind: Kind::Counter,
            heartbeat: 1,
            min: None,
            max: None,
            wide: true,
        }],
        rra: vec![Arch {
            cf: Cf::Average,
            xff: 0.0,
            pdp_cnt: 1,
            rows: 1,
            first_row: 0,
        }],
    };
    let mut model = Model::new(&def);
    for u in WRAP_64 {
        model.update(&parse_update(u));
    }
    assert_rows(&model.rows(0), &[(1_000_000_002, &[32768.0])]);
}

// ---------------------------------------------------------------------------
// The model against C rrdtool 1.7.2

/// Whether rrdtool 1.7.2 is on PATH; says once why not.
fn have_rrdtool() -> bool {
    static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ONCE.get_or_init(|| {
        let found = Command::new("rrdtool")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("RRDtool 1.7.2 "));
        if !found {
            eprintln!("rrdtool 1.7.2 is not on PATH: the model is not checked against it");
        }
        found
    })
}

/// Rows in time order: (end time of the CDP, one value per DS).
type Rows = Vec<(i64, Vec<f64>)>;

/// What `rrdtool dump` shows: per DS (last_ds, PDP value, unknown_sec), and
/// per archive its rows and per DS its CDP (value, unknown PDPs).
#[derive(Debug, Default)]
struct Dump {
    pdp: Vec<(String, f64, u64)>,
    rra: Vec<(Rows, Vec<(f64, u64)>)>,
}

fn dump_num(s: &str) -> f64 {
    match s.trim() {
        "NaN" | "-nan" | "nan" => f64::NAN,
        "Inf" | "inf" => f64::INFINITY,
        "-Inf" | "-inf" => f64::NEG_INFINITY,
        t => t.parse().unwrap_or_else(|_| panic!("dump number {t:?}")),
    }
}

fn tag<'s>(line: &'s str, name: &str) -> Option<&'s str> {
    let open = format!("<{name}>");
    let start = line.find(&open)? + open.len();
    let end = line[start..].find(&format!("</{name}>"))? + start;
    Some(line[start..end].trim())
}

fn parse_dump(xml: &str) -> Dump {
    let mut d = Dump::default();
    let mut last_ds = String::new();
    let mut value = f64::NAN;
    for line in xml.lines() {
        if line.contains("<rra>") {
            d.rra.push(Default::default());
        } else if let Some((rows, cdp)) = d.rra.last_mut() {
            if let Some(v) = tag(line, "value") {
                value = dump_num(v);
            } else if let Some(v) = tag(line, "unknown_datapoints") {
                cdp.push((value, v.parse().expect("count")));
            } else if line.contains("<row>") {
                let t = line.split("/ ").nth(1).expect("time comment");
                let t = t.split(' ').next().expect("time").parse().expect("time");
                let vals = line
                    .split("<v>")
                    .skip(1)
                    .map(|v| dump_num(v.split("</v>").next().expect("value")))
                    .collect();
                rows.push((t, vals));
            }
        } else if let Some(v) = tag(line, "last_ds") {
            last_ds = v.to_string();
        } else if let Some(v) = tag(line, "value") {
            value = dump_num(v);
        } else if let Some(v) = tag(line, "unknown_sec") {
            d.pdp
                .push((last_ds.clone(), value, v.parse().expect("count")));
        }
    }
    d
}

fn rrdtool(dir: &std::path::Path, args: &[String]) -> String {
    let o = Command::new("rrdtool")
        .args(args)
        .current_dir(dir)
        .env("TZ", "UTC")
        .output()
        .expect("rrdtool runs");
    assert!(
        o.status.success(),
        "rrdtool {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8 output")
}

/// The model's final state against rrdtool's dump of the same case.
fn check_against_rrdtool(case: &Case, dir: &std::path::Path) -> Result<(), String> {
    let mut model = Model::new(&case.def);
    for u in &case.updates {
        model.update(u);
    }
    let _ = std::fs::remove_file(dir.join("m.rrd"));
    let d = &case.def;
    let mut create = vec![
        "create".to_string(),
        "m.rrd".into(),
        "--start".into(),
        d.start.to_string(),
        "--step".into(),
        d.step.to_string(),
    ];
    create.extend(d.create_args());
    rrdtool(dir, &create);
    let mut update = vec!["update".to_string(), "m.rrd".into()];
    update.extend(case.updates.iter().map(Update::arg));
    rrdtool(dir, &update);
    let dump = parse_dump(&rrdtool(dir, &["dump".into(), "m.rrd".into()]));
    let mut out = String::new();
    for (i, (last_ds, value, unknown_sec)) in dump.pdp.iter().enumerate() {
        if *last_ds != model.last_ds[i]
            || *unknown_sec != model.unknown_sec[i]
            || !close(*value, model.pdp_val[i])
        {
            let _ = writeln!(
                out,
                "DS {i}: rrdtool {last_ds:?} {value} {unknown_sec}, model {:?} {} {}",
                model.last_ds[i], model.pdp_val[i], model.unknown_sec[i]
            );
        }
    }
    for (a, (rows, cdp)) in dump.rra.iter().enumerate() {
        let want = model.rows(a);
        let same = rows.len() == want.len()
            && rows
                .iter()
                .zip(&want)
                .all(|(g, w)| g.0 == w.0 && close_rows(&g.1, &w.1));
        if !same {
            let _ = writeln!(
                out,
                "archive {a} rows\n rrdtool {rows:?}\n model   {want:?}"
            );
        }
        if d.rra[a].pdp_cnt > 1 {
            for (i, (value, unknown)) in cdp.iter().enumerate() {
                let (m_unknown, m_val) = model.cdp_state(a, i);
                let val_ok = m_val.is_none_or(|v| close(*value, v));
                if *unknown != m_unknown || !val_ok {
                    let _ = writeln!(
                        out,
                        "archive {a} DS {i}: CDP rrdtool {value} {unknown}, model {m_val:?} {m_unknown}"
                    );
                }
            }
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

#[test]
fn model_matches_rrdtool() {
    if !have_rrdtool() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("rrd-core-it-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let r = runner(96, 11).run(&case(), |case| {
        check_against_rrdtool(&case, &dir).map_err(TestCaseError::fail)
    });
    let _ = std::fs::remove_dir_all(&dir);
    report(r);
}
