//! Updating an RRD: rrdtool 1.7.2's PDP and CDP arithmetic (`rrd_update.c`),
//! reproduced operation for operation so that the same input stores the
//! same bits.
//!
//! The engine works on an in-memory [`Header`] and hands each archive row
//! it writes to a sink; [`crate::Rrd`] buffers those rows and writes them,
//! with the changed header state, when it is flushed.

use std::fmt::Write as _;

use crate::compute::Compiled;
use crate::error::{Error, Result};
use crate::model::{cdp_slot, ConsolidationFn, DsKind, DsParams, Header, DNAN};
use rrd_clib::strtod::strtodbl;

/// Longest `last_ds` string kept (the field holds 30 bytes with its NUL).
const LAST_DS_MAX: usize = 29;

/// One value of an update, for one data source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Unknown (`U`).
    Unknown,
    /// A number. COUNTER and DERIVE sources need an integral value.
    Num(f64),
    /// Text exactly as rrdtool would receive it on its command line.
    Text(&'a str),
}

/// The time of an update: seconds and microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpdateTime {
    /// Whole seconds.
    pub sec: i64,
    /// Microseconds, 0 to 999,999.
    pub usec: i64,
}

impl UpdateTime {
    /// A whole-second time.
    pub fn from_secs(sec: i64) -> Self {
        UpdateTime { sec, usec: 0 }
    }
}

/// A row the engine writes: archive, physical row, values (one per DS),
/// and for `updatev` the position of the row among those written for the
/// archive in one pass and the pass's time.
#[derive(Debug)]
pub struct RowWrite<'a> {
    /// Archive index.
    pub rra: usize,
    /// Physical row index.
    pub row: u64,
    /// One value per data source.
    pub values: &'a [f64],
    /// Index of this row among the `count` rows of this archive in this pass.
    pub index: u64,
    /// Rows written to this archive in this pass.
    pub count: u64,
    /// The time of the pass (for the split first pass: the end of the open PDP).
    pub pass_time: i64,
}

/// Scratch space reused across updates so that the single-value path does
/// not allocate.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scratch {
    pdp_new: Vec<f64>,
    pdp_temp: Vec<f64>,
    open_new: Vec<f64>,
    rra_step_cnt: Vec<u64>,
    row: Vec<f64>,
    /// Compiled COMPUTE expressions, one per data source (`None` for the
    /// others); empty until the first PDP of a file with COMPUTE sources.
    compute: Vec<Option<Compiled>>,
    rpn_stack: Vec<f64>,
    /// The last update's time split by the step, and each archive's PDP
    /// count split by its PDPs per row: the next update's divisions start
    /// from them.
    time_phase: Phase,
    rra_phase: Vec<Phase>,
    /// Holt-Winters: the seasonal rows and the smoother's schedule.
    pub(crate) hw: crate::hw::HwState,
    lookups: crate::hw::Lookups,
}

/// `a % b`, without dividing when `a < b` (the common case on the update
/// path, where a division costs more than the rest of a step's arithmetic).
#[inline]
pub(crate) fn rem_small(a: u64, b: u64) -> u64 {
    if a < b {
        a
    } else {
        a % b
    }
}

/// `a / b`, without dividing when `a < b`.
#[inline]
fn div_small(a: u64, b: u64) -> u64 {
    if a < b {
        0
    } else {
        a / b
    }
}

/// Microseconds as seconds: `u as f64 / 1e6`, without the division for 0
/// (0 / 1e6 is +0 exactly, so the result is the same bit for bit).
#[inline]
fn usec_secs(u: i64) -> f64 {
    if u == 0 {
        0.0
    } else {
        u as f64 / 1e6
    }
}

/// `x / m` and `x % m` of the last `x` asked about: successive updates ask
/// for nearby `x`, whose quotient and remainder follow from the last ones
/// by an addition, where two 64-bit divisions would cost more than all the
/// floating-point arithmetic of a PDP.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Phase {
    x: u64,
    m: u64,
    q: u64,
    r: u64,
}

impl Phase {
    /// `(x / m, x % m)` for `m > 0`, exactly.
    #[inline]
    fn split(&mut self, x: u64, m: u64) -> (u64, u64) {
        let next = (m == self.m && m > 0 && x >= self.x)
            .then(|| self.r.checked_add(x - self.x))
            .flatten();
        let (q, r) = match next {
            Some(r) if r < m => (self.q, r),
            Some(r) if r - m < m => (self.q + 1, r - m),
            // q + r / m is x / m, which fits
            Some(r) => (self.q + r / m, r % m),
            None => (x / m, x % m),
        };
        *self = Phase { x, m, q, r };
        (q, r)
    }
}

/// The compiled COMPUTE expressions of `h`, built on first use.
fn compiled<'s>(h: &Header, cache: &'s mut Vec<Option<Compiled>>) -> &'s [Option<Compiled>] {
    if cache.len() != h.ds.len() {
        cache.clear();
        cache.extend(h.ds.iter().map(|d| match &d.params {
            DsParams::Compute { rpn } => Some(Compiled::new(rpn, h.ds.len())),
            DsParams::Standard { .. } => None,
        }));
    }
    cache
}

fn heartbeat(h: &Header, i: usize) -> u64 {
    match h.ds[i].params {
        DsParams::Standard { heartbeat, .. } => heartbeat,
        DsParams::Compute { .. } => 0,
    }
}

fn min_max(h: &Header, i: usize) -> (f64, f64) {
    match h.ds[i].params {
        DsParams::Standard { min, max, .. } => (min, max),
        DsParams::Compute { .. } => (f64::NAN, f64::NAN),
    }
}

/// A value as rrdtool keeps it in `last_ds`.
fn set_last_ds(dst: &mut String, v: &Value<'_>) {
    dst.clear();
    match v {
        Value::Unknown => dst.push('U'),
        Value::Num(x) => {
            // integers (the common case: counters, gauges of counts) without
            // the general float formatter
            if x.fract() == 0.0 && x.abs() < 1e15 {
                if x.is_sign_negative() && *x != 0.0 {
                    dst.push('-');
                }
                crate::fetch::push_right_aligned(dst, x.abs() as u64, 0);
            } else {
                let _ = write!(dst, "{x}");
            }
        }
        // the first 29 bytes of the argument, as rrdtool's strncpy takes
        // them (through a multi-byte character if need be)
        Value::Text(t) if t.is_ascii() => dst.push_str(&t[..t.len().min(LAST_DS_MAX)]),
        Value::Text(t) => {
            let b = crate::argbytes::decode(t);
            dst.push_str(&crate::argbytes::encode_bytes(
                &b[..b.len().min(LAST_DS_MAX)],
            ));
        }
    }
}

fn is_unknown(v: &Value<'_>) -> bool {
    match v {
        Value::Unknown => true,
        Value::Num(x) => x.is_nan(),
        // rrdtool: any value whose first character is U
        Value::Text(t) => t.starts_with('U'),
    }
}

/// rrdtool's COUNTER/DERIVE check of a new reading: digits only, and for
/// DERIVE a leading `-`. (An empty reading passes, and later diffs to
/// unknown.)
fn simple_integer(v: &Value<'_>, signed: bool) -> bool {
    match v {
        Value::Text(t) => t
            .bytes()
            .enumerate()
            .all(|(k, c)| c.is_ascii_digit() || (signed && k == 0 && c == b'-')),
        Value::Num(x) => x.is_finite() && x.fract() == 0.0 && (signed || *x >= 0.0),
        Value::Unknown => false,
    }
}

/// Longest digit string `rrd_diff` handles.
const DIFF_MAX_DIGITS: usize = 30;

/// What rrdtool's `rrd_diff` reads of a reading: leading non-digits are
/// skipped (a `-` among them makes it negative), then digits up to the
/// first non-digit. `None` when there are no digits or too many.
fn diff_operand(s: &str) -> Option<(bool, u128)> {
    let b = s.as_bytes();
    let start = b.iter().position(u8::is_ascii_digit)?;
    let negative = b[..start].contains(&b'-');
    let len = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
    if len > DIFF_MAX_DIGITS {
        return None;
    }
    // at most 30 digits: fits a u128
    let mut v: u128 = 0;
    for &c in &b[start..start + len] {
        v = v * 10 + u128::from(c - b'0');
    }
    Some((negative, v))
}

/// rrdtool's `rrd_diff(new, old)`: the exact decimal difference of the
/// magnitudes, read back through rrdtool's own number parser (which rounds
/// long digit strings its own way); operands of different sign give NaN,
/// two negative ones the negated difference (so equal negative readings
/// give -0).
fn rrd_diff(new: (bool, u128), old: (bool, u128)) -> f64 {
    if new.0 != old.0 {
        return DNAN;
    }
    let (mag, below) = if new.1 >= old.1 {
        (new.1 - old.1, false)
    } else {
        (old.1 - new.1, true)
    };
    // rrd_strtod accumulates digit by digit: n = n * 10 + d
    let mut digits = [0u8; 40];
    let mut k = digits.len();
    let mut m = mag;
    loop {
        k -= 1;
        digits[k] = (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let mut v = 0.0f64;
    for &d in &digits[k..] {
        v = v * 10.0 + f64::from(d);
    }
    if below {
        v = -v;
    }
    if new.0 {
        v = -v;
    }
    v
}

/// Parses a value for GAUGE, ABSOLUTE, DCOUNTER or DDERIVE, with rrdtool's
/// error text for the kind.
fn float_of(v: &Value<'_>, kind: DsKind) -> Result<f64> {
    match v {
        Value::Num(x) => Ok(*x),
        Value::Unknown => Ok(DNAN),
        Value::Text(t) => strtodbl(t, None).map_err(|_| {
            // the message is only built on failure: this is the hot path
            let context = format!("Function update_pdp_prep, case DST_{}", kind.as_str());
            Error::Update(strtodbl(t, Some(&context)).unwrap_err())
        }),
    }
}

/// Computes `pdp_new` for each DS and updates `last_ds`
/// (`update_pdp_prep`). On error, `last_ds` of the sources before the bad
/// one has already changed, as in rrdtool.
fn update_pdp_prep(
    h: &mut Header,
    vals: &[Value<'_>],
    interval: f64,
    pdp_new: &mut [f64],
) -> Result<()> {
    for i in 0..h.ds.len() {
        let hb = heartbeat(h, i);
        let kind = h.ds[i].kind;
        let v = &vals[i];
        // never diff against a value older than the heartbeat
        if (hb as f64) < interval {
            h.pdp[i].last_ds.clear();
            h.pdp[i].last_ds.push('U');
        }
        let mut new = DNAN;
        if !is_unknown(v) && kind != DsKind::Compute && (hb as f64) >= interval {
            let rate;
            match kind {
                DsKind::Counter | DsKind::Derive => {
                    let signed = kind == DsKind::Derive;
                    if !simple_integer(v, signed) {
                        let shown = match v {
                            Value::Text(t) => t.to_string(),
                            Value::Num(x) => x.to_string(),
                            Value::Unknown => "U".into(),
                        };
                        return Err(Error::Update(if signed {
                            format!("not a simple signed integer: '{shown}'")
                        } else {
                            format!("not a simple unsigned integer: '{shown}'")
                        }));
                    }
                    let last = &h.pdp[i].last_ds;
                    if last.starts_with('U') {
                        new = DNAN;
                    } else {
                        let reading = match v {
                            Value::Text(t) => diff_operand(t),
                            Value::Num(x) if x.abs() < 1e30 => {
                                Some((x.is_sign_negative(), x.abs() as u128))
                            }
                            _ => None,
                        };
                        new = match (reading, diff_operand(last)) {
                            (Some(a), Some(b)) => rrd_diff(a, b),
                            _ => DNAN,
                        };
                        if kind == DsKind::Counter {
                            if new < 0.0 {
                                new += 4294967295.0;
                            }
                            if new < 0.0 {
                                new += 18446744069414584320.0;
                            }
                        }
                    }
                    rate = new / interval;
                }
                DsKind::Absolute => {
                    new = float_of(v, kind)?;
                    rate = new / interval;
                }
                DsKind::Gauge => {
                    let x = float_of(v, kind)?;
                    new = x * interval;
                    rate = x;
                }
                DsKind::DCounter | DsKind::DDerive => {
                    let last = &h.pdp[i].last_ds;
                    if last.starts_with('U') {
                        new = DNAN;
                    } else {
                        let x = float_of(v, kind)?;
                        // rrdtool parses the stored reading too, and fails on it
                        let old = float_of(&Value::Text(last), kind)?;
                        new = x - old;
                        if kind == DsKind::DCounter
                            && ((x > 0.0 && old > x) || (x < 0.0 && x > old))
                        {
                            new = DNAN;
                        }
                    }
                    rate = new / interval;
                }
                DsKind::Compute => unreachable!("excluded above"),
            }
            let (min, max) = min_max(h, i);
            if !rate.is_nan() && ((!max.is_nan() && rate > max) || (!min.is_nan() && rate < min)) {
                new = DNAN;
            }
        }
        pdp_new[i] = new;
        set_last_ds(&mut h.pdp[i].last_ds, v);
    }
    Ok(())
}

/// `calculate_elapsed_steps`: (elapsed PDPs, pre_int, post_int, proc_pdp_cnt).
fn elapsed_steps(
    h: &Header,
    t: UpdateTime,
    interval: f64,
    phase: &mut Phase,
) -> (u64, f64, f64, u64) {
    // rrdtool computes in unsigned long: times convert, and differences wrap
    let step = h.step.max(1);
    let (last, now) = (h.last_up as u64, t.sec as u64);
    let (last_q, last_r) = phase.split(last, step);
    let (now_q, now_r) = phase.split(now, step);
    let proc_pdp_st = last - last_r;
    let occu_pdp_age = now_r;
    let occu_pdp_st = now - occu_pdp_age;
    let (pre_int, post_int) = if occu_pdp_st > proc_pdp_st {
        let mut pre = (occu_pdp_st as i64).wrapping_sub(h.last_up) as f64;
        pre -= usec_secs(h.last_up_usec);
        let mut post = occu_pdp_age as f64;
        post += usec_secs(t.usec);
        (pre, post)
    } else {
        (interval, 0.0)
    };
    // calculate_elapsed_steps returns an int, which its caller widens to an
    // unsigned long: beyond 2^31 steps (a jump of centuries) the count
    // wraps, and the rest of the update follows the wrapped count
    let steps = if occu_pdp_st >= proc_pdp_st {
        now_q - last_q
    } else {
        occu_pdp_st.wrapping_sub(proc_pdp_st) / step
    };
    let elapsed = steps as i32 as u64;
    (elapsed, pre_int, post_int, last_q)
}

/// `simple_update`: no PDP boundary crossed.
fn simple_update(h: &mut Header, interval: f64, pdp_new: &[f64]) {
    for (i, p) in h.pdp.iter_mut().enumerate() {
        if pdp_new[i].is_nan() {
            p.unknown_sec = (p.unknown_sec as f64 + interval.floor()) as u64;
        } else if p.value.is_nan() {
            p.value = pdp_new[i];
        } else {
            p.value += pdp_new[i];
        }
    }
}

/// `process_all_pdp_st`: closes the PDPs and prepares the next one.
/// A COMPUTE source's rate is its expression over the rates of the earlier
/// sources. If that fails, the sources before it have already moved on to
/// the next PDP, as in rrdtool.
#[allow(clippy::too_many_arguments)]
fn process_pdp_st(
    h: &mut Header,
    interval: f64,
    pre_int: f64,
    post_int: f64,
    elapsed: u64,
    pdp_new: &[f64],
    pdp_temp: &mut [f64],
    compute: &mut Vec<Option<Compiled>>,
    rpn_stack: &mut Vec<f64>,
) -> Result<()> {
    let step = h.step;
    // unsigned long arithmetic in rrdtool: it wraps
    let diff_pdp_st = elapsed.wrapping_mul(step);
    let has_compute = h.ds.iter().any(|d| d.kind == DsKind::Compute);
    for i in 0..h.ds.len() {
        let mrhb = heartbeat(h, i);
        let p = &mut h.pdp[i];
        let mut pre_unknown = 0.0;
        if pdp_new[i].is_nan() {
            pre_unknown = pre_int;
        } else {
            if p.value.is_nan() {
                p.value = 0.0;
            }
            p.value += pdp_new[i] / interval * pre_int;
        }
        if interval > mrhb as f64 || (step as f64 / 2.0) < p.unknown_sec as f64 {
            pdp_temp[i] = DNAN;
        } else {
            pdp_temp[i] = p.value / (diff_pdp_st.wrapping_sub(p.unknown_sec) as f64 - pre_unknown);
        }
        if has_compute {
            if let Some(c) = &compiled(h, compute)[i] {
                pdp_temp[i] = c.eval(i, pdp_temp, rpn_stack).map_err(Error::Update)?;
            }
        }
        let p = &mut h.pdp[i];
        if pdp_new[i].is_nan() {
            p.unknown_sec = post_int.floor() as u64;
            p.value = DNAN;
        } else {
            p.unknown_sec = 0;
            p.value = pdp_new[i] / interval * post_int;
        }
    }
    Ok(())
}

/// `update_all_cdp_prep`, then the one-PDP archives' primary and
/// secondary values (`update_aberrant_cdps` and `reset_cdp`); with
/// Holt-Winters archives, through their model ([`crate::hw`]).
fn update_cdp_prep(
    h: &mut Header,
    elapsed: u64,
    proc_pdp_cnt: u64,
    pdp_temp: &[f64],
    rra_step_cnt: &mut [u64],
    rra_phase: &mut [Phase],
    mut hw: Option<(&mut crate::hw::HwState, &mut crate::hw::Lookups)>,
) {
    let d = h.ds.len();
    #[allow(clippy::needless_range_loop)] // r indexes header arrays too
    for r in 0..h.rra.len() {
        let pdp_cnt = h.rra[r].pdp_cnt;
        let cf = h.rra[r].cf;
        let xff = h.rra[r].xff().unwrap_or(0.0);
        let start_pdp_offset = pdp_cnt - rra_phase[r].split(proc_pdp_cnt, pdp_cnt).1;
        rra_step_cnt[r] = if start_pdp_offset <= elapsed {
            (div_small(elapsed - start_pdp_offset, pdp_cnt) + 1).min(h.rra[r].rows)
        } else {
            0
        };
        if let Some((st, lk)) = hw.as_mut() {
            lk.skip[r] = false;
            crate::hw::before_cdp(h, st, lk, r, elapsed, rra_step_cnt[r]);
        }
        let steps = rra_step_cnt[r];
        if pdp_cnt > 1 {
            let cdps = &mut h.cdp[r * d..(r + 1) * d];
            for (c, &pt) in cdps.iter_mut().zip(&pdp_temp[..d]) {
                update_cdp(
                    &mut c.scratch,
                    cf,
                    pt,
                    steps,
                    elapsed,
                    start_pdp_offset,
                    pdp_cnt,
                    xff,
                );
            }
            continue;
        }
        for (i, &pt) in pdp_temp[..d].iter().enumerate() {
            if let Some((_, lk)) = hw.as_mut() {
                if elapsed > 2 {
                    crate::hw::reset_cdp(h, lk, r, i, elapsed, pt);
                }
            } else {
                let s = &mut h.cdp[r * d + i].scratch;
                // elapsed 1: primary; 2: primary and secondary; more: reset_cdp
                s[cdp_slot::PRIMARY_VAL].0 = pt.to_bits();
                if elapsed >= 2 {
                    s[cdp_slot::SECONDARY_VAL].0 = pt.to_bits();
                }
            }
        }
    }
    if let Some((st, lk)) = hw {
        crate::hw::update_aberrant_cdps(h, st, lk, elapsed, pdp_temp);
    }
}

fn ifnan(v: f64, or: f64) -> f64 {
    if v.is_nan() {
        or
    } else {
        v
    }
}

/// The value a CF's running consolidation restarts from.
fn cdp_reset_value(cf: ConsolidationFn) -> f64 {
    match cf {
        ConsolidationFn::Average => 0.0,
        ConsolidationFn::Max => f64::NEG_INFINITY,
        ConsolidationFn::Min => f64::INFINITY,
        _ => DNAN,
    }
}

#[allow(clippy::too_many_arguments)] // mirrors rrdtool's update_cdp
pub(crate) fn update_cdp(
    s: &mut [crate::model::Unival; 10],
    cf: ConsolidationFn,
    pdp_temp: f64,
    rra_step_cnt: u64,
    elapsed: u64,
    start_pdp_offset: u64,
    pdp_cnt: u64,
    xff: f64,
) {
    let val = |s: &[crate::model::Unival; 10], k: usize| f64::from_bits(s[k].0);
    if rra_step_cnt > 0 {
        if pdp_temp.is_nan() {
            s[cdp_slot::UNKN_PDP_CNT].0 += start_pdp_offset;
            s[cdp_slot::SECONDARY_VAL].0 = DNAN.to_bits();
        } else {
            s[cdp_slot::SECONDARY_VAL].0 = pdp_temp.to_bits();
        }
        let unkn = s[cdp_slot::UNKN_PDP_CNT].0;
        let primary = if unkn as f64 > pdp_cnt as f64 * xff {
            DNAN
        } else {
            let cum = val(s, cdp_slot::VAL);
            match cf {
                ConsolidationFn::Average => {
                    (ifnan(cum, 0.0) + ifnan(pdp_temp, 0.0) * start_pdp_offset as f64)
                        / (pdp_cnt.wrapping_sub(unkn)) as f64
                }
                ConsolidationFn::Max => {
                    let (c, p) = (
                        ifnan(cum, f64::NEG_INFINITY),
                        ifnan(pdp_temp, f64::NEG_INFINITY),
                    );
                    if p > c {
                        p
                    } else {
                        c
                    }
                }
                ConsolidationFn::Min => {
                    let (c, p) = (ifnan(cum, f64::INFINITY), ifnan(pdp_temp, f64::INFINITY));
                    if p < c {
                        p
                    } else {
                        c
                    }
                }
                _ => pdp_temp,
            }
        };
        s[cdp_slot::PRIMARY_VAL].0 = primary.to_bits();
        let k = rem_small(elapsed - start_pdp_offset, pdp_cnt);
        let carry = if k == 0 || pdp_temp.is_nan() {
            cdp_reset_value(cf)
        } else if cf == ConsolidationFn::Average {
            pdp_temp * k as f64
        } else {
            pdp_temp
        };
        s[cdp_slot::VAL].0 = carry.to_bits();
        s[cdp_slot::UNKN_PDP_CNT].0 = if pdp_temp.is_nan() { k } else { 0 };
    } else if pdp_temp.is_nan() {
        s[cdp_slot::UNKN_PDP_CNT].0 += elapsed;
    } else {
        let cum = val(s, cdp_slot::VAL);
        let next = if cum.is_nan() {
            if cf == ConsolidationFn::Average {
                pdp_temp * elapsed as f64
            } else {
                pdp_temp
            }
        } else {
            match cf {
                ConsolidationFn::Average => cum + pdp_temp * elapsed as f64,
                ConsolidationFn::Min => {
                    if pdp_temp < cum {
                        pdp_temp
                    } else {
                        cum
                    }
                }
                ConsolidationFn::Max => {
                    if pdp_temp > cum {
                        pdp_temp
                    } else {
                        cum
                    }
                }
                _ => pdp_temp,
            }
        };
        s[cdp_slot::VAL].0 = next.to_bits();
    }
}

/// `write_to_rras`: advances each archive by its step count and hands the
/// rows to `sink` (primary values first, secondary values after).
fn write_rows(
    h: &mut Header,
    rra_step_cnt: &[u64],
    row: &mut Vec<f64>,
    pass_time: i64,
    mut hw: Option<(&mut crate::hw::HwState, &crate::hw::Lookups)>,
    sink: &mut dyn FnMut(RowWrite<'_>),
) {
    let d = h.ds.len();
    for (r, &n) in rra_step_cnt.iter().enumerate().take(h.rra.len()) {
        if n == 0 {
            continue;
        }
        for j in 0..n {
            let rows = h.rra[r].rows;
            h.cur_row[r] = rem_small(h.cur_row[r] + 1, rows);
            if hw.as_ref().is_some_and(|(_, lk)| lk.skip[r]) {
                // a bulk update moves past seasonal rows without writing them
                continue;
            }
            let slot = if j == 0 {
                cdp_slot::PRIMARY_VAL
            } else {
                cdp_slot::SECONDARY_VAL
            };
            row.clear();
            row.extend(h.cdp[r * d..(r + 1) * d].iter().map(|c| c.val(slot)));
            if let Some((st, _)) = hw.as_mut() {
                if let Some(keep) = st.rows.get_mut(r).filter(|k| !k.is_empty()) {
                    let at = h.cur_row[r] as usize * d;
                    keep[at..at + d].copy_from_slice(row);
                }
            }
            sink(RowWrite {
                rra: r,
                row: h.cur_row[r],
                values: row,
                index: j,
                count: n,
                pass_time,
            });
        }
    }
}

/// Applies one update to `h` (one `time:v1:v2...` argument of rrdtool),
/// handing the rows it writes to `sink`. `vals` holds one value per data
/// source in file order. On error the header may have changed as rrdtool's
/// does (`last_ds` of earlier sources), never more.
pub(crate) fn apply(
    h: &mut Header,
    scratch: &mut Scratch,
    t: UpdateTime,
    vals: &[Value<'_>],
    sink: &mut dyn FnMut(RowWrite<'_>),
) -> Result<()> {
    let d = h.ds.len();
    if vals.len() != d {
        return Err(Error::Update(format!(
            "expected {d} data source readings (got {})",
            vals.len()
        )));
    }
    let t = if h.version < 3 {
        UpdateTime { usec: 0, ..t }
    } else {
        t
    };
    if t.sec < h.last_up || (t.sec == h.last_up && t.usec <= h.last_up_usec) {
        return Err(Error::UpdateTooOld {
            given: t.sec,
            last: h.last_up,
        });
    }
    scratch.pdp_new.resize(d, 0.0);
    scratch.pdp_temp.resize(d, 0.0);
    scratch.open_new.resize(d, 0.0);
    scratch.rra_step_cnt.resize(h.rra.len(), 0);
    scratch.rra_phase.resize(h.rra.len(), Phase::default());
    let hw_on = crate::hw::has_hw(h);
    if hw_on {
        if !scratch.hw.loaded {
            return Err(Error::Update(
                "internal error: Holt-Winters rows not loaded before the update".into(),
            ));
        }
        crate::hw::check(h)?;
        scratch.lookups.reset(h.rra.len());
    }

    let mut interval = t.sec.wrapping_sub(h.last_up) as f64 + usec_secs(t.usec - h.last_up_usec);
    update_pdp_prep(h, vals, interval, &mut scratch.pdp_new)?;
    let (mut elapsed, mut pre_int, post_int, mut proc_pdp_cnt) =
        elapsed_steps(h, t, interval, &mut scratch.time_phase);
    if elapsed == 0 {
        simple_update(h, interval, &scratch.pdp_new);
    } else {
        let step = h.step;
        let sec_open = rem_small(pre_int as u64, step);
        if elapsed > 1 && sec_open > 0 {
            // close the PDP the last update left open on its own, so that
            // the remaining whole PDPs get the rate of the rest of the interval
            let open = sec_open as f64;
            for i in 0..d {
                scratch.open_new[i] = scratch.pdp_new[i] * open / interval;
            }
            process_pdp_st(
                h,
                open,
                open,
                0.0,
                1,
                &scratch.open_new,
                &mut scratch.pdp_temp,
                &mut scratch.compute,
                &mut scratch.rpn_stack,
            )?;
            update_cdp_prep(
                h,
                1,
                proc_pdp_cnt,
                &scratch.pdp_temp,
                &mut scratch.rra_step_cnt,
                &mut scratch.rra_phase,
                hw_on.then_some((&mut scratch.hw, &mut scratch.lookups)),
            );
            write_rows(
                h,
                &scratch.rra_step_cnt,
                &mut scratch.row,
                h.last_up + sec_open as i64,
                hw_on.then_some((&mut scratch.hw, &scratch.lookups)),
                sink,
            );
            for i in 0..d {
                scratch.pdp_new[i] -= scratch.open_new[i];
            }
            interval -= open;
            pre_int -= open;
            elapsed -= 1;
            proc_pdp_cnt += 1;
        }
        process_pdp_st(
            h,
            interval,
            pre_int,
            post_int,
            elapsed,
            &scratch.pdp_new,
            &mut scratch.pdp_temp,
            &mut scratch.compute,
            &mut scratch.rpn_stack,
        )?;
        update_cdp_prep(
            h,
            elapsed,
            proc_pdp_cnt,
            &scratch.pdp_temp,
            &mut scratch.rra_step_cnt,
            &mut scratch.rra_phase,
            hw_on.then_some((&mut scratch.hw, &mut scratch.lookups)),
        );
        write_rows(
            h,
            &scratch.rra_step_cnt,
            &mut scratch.row,
            t.sec,
            hw_on.then_some((&mut scratch.hw, &scratch.lookups)),
            sink,
        );
    }
    h.last_up = t.sec;
    h.last_up_usec = t.usec;
    Ok(())
}

/// Parses the time part of an update argument: `N`, seconds (fractions
/// allowed, negative = relative to now), or an at-style time before `@`.
/// `now` is (seconds, microseconds).
pub fn parse_update_time(
    s: &str,
    at_style: bool,
    now: UpdateTime,
    tz: &jiff::tz::TimeZone,
) -> Result<UpdateTime> {
    if at_style {
        return match crate::time::parse_time(s, now.sec, tz) {
            Ok(crate::time::TimeSpec::Absolute(t)) => Ok(UpdateTime::from_secs(t)),
            Ok(_) => Err(Error::Update(format!(
                "specifying time relative to the 'start' or 'end' makes no sense here: {s}"
            ))),
            Err(e) => Err(Error::Update(format!("ds time: {s}: {}", e.message))),
        };
    }
    if s == "N" {
        return Ok(now);
    }
    let t = strtodbl(s, Some(TIME_CONTEXT)).map_err(Error::Update)?;
    let t = if t < 0.0 {
        now.sec as f64 + now.usec as f64 * f64::from(1e-6f32) + t
    } else {
        t
    };
    Ok(c_time(t))
}

/// rrdtool's context for a time that does not parse.
const TIME_CONTEXT: &str = "error while parsing time in get_time_from_reading";

/// Seconds as a double to an update time, with rrdtool's C casts: a time
/// that no time_t holds (1e20, inf, nan) becomes LONG_MIN, which the
/// last-update check then refuses.
fn c_time(t: f64) -> UpdateTime {
    let sec = rrd_clib::cast::long(t.floor());
    let usec = rrd_clib::cast::long((t - sec as f64) * 1e6);
    UpdateTime { sec, usec }
}

/// The file DS indexes that update arguments without a template fill: every
/// data source but the COMPUTE ones, in file order (`None` when that is all
/// of them).
pub fn default_template(h: &Header) -> Option<Vec<usize>> {
    h.ds.iter().any(|d| d.kind == DsKind::Compute).then(|| {
        (0..h.ds.len())
            .filter(|&i| h.ds[i].kind != DsKind::Compute)
            .collect()
    })
}

/// One rrdtool update argument (`time:v1:v2...` or `at-time@v1:v2...`),
/// split at its time, with an absolute time already parsed: the work that
/// needs neither the file nor the clock, done before the file is opened
/// and locked. [`ParsedArg::values`] finishes the job against the file's
/// data sources, reporting errors in rrdtool's order (the split first, then
/// the time). Times that depend on the clock (`N`, negative seconds,
/// at-style times) are read then, under the lock, as rrdtool reads them:
/// writers that take turns with `N` never see their times go backwards.
#[derive(Debug)]
pub struct ParsedArg<'a> {
    arg: &'a str,
    /// The time text and the values after the separator; `None` when the
    /// argument has no separator.
    parts: Option<(&'a str, &'a str)>,
    time: ArgTime,
}

#[derive(Debug)]
enum ArgTime {
    /// Parsed (or refused) already.
    Ready(std::result::Result<UpdateTime, String>),
    /// Read from the clock when the values are taken; `true` for at-style.
    Late(bool),
}

impl<'a> ParsedArg<'a> {
    /// Splits `arg` and parses its time if it does not depend on the clock.
    pub fn parse(arg: &'a str) -> Self {
        let split = match arg.find('@') {
            Some(p) => Some((&arg[..p], &arg[p + 1..], true)),
            None => arg.find(':').map(|p| (&arg[..p], &arg[p + 1..], false)),
        };
        let Some((time, rest, at)) = split else {
            return ParsedArg {
                arg,
                parts: None,
                time: ArgTime::Ready(Err(String::new())),
            };
        };
        // a number of seconds that is not negative needs no clock (NaN
        // does not compare, so it is read late like a negative time)
        let when = if at || time == "N" {
            ArgTime::Late(at)
        } else {
            match strtodbl(time, Some(TIME_CONTEXT)) {
                Err(e) => ArgTime::Ready(Err(e)),
                Ok(t) if t >= 0.0 => ArgTime::Ready(Ok(c_time(t))),
                Ok(_) => ArgTime::Late(false),
            }
        };
        ParsedArg {
            arg,
            parts: Some((time, rest)),
            time: when,
        }
    }

    /// Whether its time is an at-style one (`-1h@...`), the only kind read
    /// in a time zone: callers can leave the zone alone otherwise (finding
    /// the system's costs a walk of the zone database).
    pub fn needs_zone(&self) -> bool {
        matches!(self.time, ArgTime::Late(true))
    }

    /// Maps the values to file order through `template` (file DS indexes in
    /// argument order; `None` = all `ds_count` sources in order) into `out`
    /// (sources the template does not name are unknown) and returns the
    /// time.
    ///
    /// `now` is called for a time that depends on the clock; `tz` serves
    /// at-style times.
    pub fn values(
        &self,
        ds_count: usize,
        template: Option<&[usize]>,
        out: &mut Vec<Value<'a>>,
        now: &mut dyn FnMut() -> UpdateTime,
        tz: &jiff::tz::TimeZone,
    ) -> Result<UpdateTime> {
        let Some((time, rest)) = self.parts else {
            return Err(Error::Update(format!(
                "expected timestamp not found in data source from {}",
                self.arg
            )));
        };
        out.clear();
        out.resize(ds_count, Value::Unknown);
        let wanted = template.map_or(ds_count, <[usize]>::len);
        let mut got = 0;
        let mut offset = 0;
        for (k, v) in rest.split(':').enumerate() {
            if k >= wanted {
                return Err(Error::Update(format!(
                    "found extra data on update argument: {}",
                    &rest[offset..]
                )));
            }
            offset += v.len() + 1;
            let idx = template.map_or(k, |t| t[k]);
            out[idx] = Value::Text(v);
            got += 1;
        }
        if got != wanted {
            return Err(Error::Update(format!(
                "expected {wanted} data source readings (got {got}) from {time}"
            )));
        }
        match &self.time {
            ArgTime::Ready(t) => t.clone().map_err(Error::Update),
            ArgTime::Late(at) => parse_update_time(time, *at, now(), tz),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The carried quotient and remainder are the divisions', whatever the
    /// steps between calls: small, across several divisors, backwards and
    /// across the whole range of u64 (where the sum would overflow).
    #[test]
    fn phase_splits_as_division_does() {
        let mut p = Phase::default();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut x = 1_000_000_000u64;
        let mut m = 1;
        for n in 0..200_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if n % 50 == 0 {
                m = [1, 60, 300, 7, 86_400, u64::MAX][(seed % 6) as usize];
            }
            x = match n % 25 {
                0 => seed,
                1 => x.wrapping_sub(seed % 1000),
                _ => x.wrapping_add(seed % (2 * m.min(1 << 40))),
            };
            assert_eq!(p.split(x, m), (x / m, x % m), "{x} / {m}");
        }
        let mut p = Phase::default();
        assert_eq!(p.split(5, 7), (0, 5));
        assert_eq!(p.split(u64::MAX, 7), (u64::MAX / 7, u64::MAX % 7));
    }
    use crate::create::CreateSpec;

    fn engine(args: &[&str], start: i64, step: u64) -> Header {
        CreateSpec::parse(start, step, args)
            .unwrap()
            .to_header(|_| 0)
    }

    fn run(h: &mut Header, updates: &[(i64, &[&str])]) -> Vec<(usize, Vec<f64>)> {
        let mut scratch = Scratch::default();
        let mut rows = Vec::new();
        for (t, vals) in updates {
            let vals: Vec<Value<'_>> = vals.iter().map(|v| Value::Text(v)).collect();
            apply(
                h,
                &mut scratch,
                UpdateTime::from_secs(*t),
                &vals,
                &mut |w| rows.push((w.rra, w.values.to_vec())),
            )
            .unwrap();
        }
        rows
    }

    #[test]
    fn reference_worked_example() {
        // reference §2.5: GAUGE and COUNTER, step 300, start 1000000000
        let mut h = engine(
            &[
                "DS:g:GAUGE:600:U:U",
                "DS:c:COUNTER:600:U:U",
                "RRA:AVERAGE:0.5:1:10",
                "RRA:AVERAGE:0.5:3:5",
            ],
            1_000_000_000,
            300,
        );
        let rows = run(
            &mut h,
            &[
                (1000000100, &["1", "100"]),
                (1000000400, &["2", "400"]),
                (1000000700, &["3", "1000"]),
                (1000001000, &["4", "1300"]),
            ],
        );
        let pdps: Vec<_> = rows
            .iter()
            .filter(|(r, _)| *r == 0)
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(pdps[0][0], 1.5);
        assert!((pdps[1][0] - 2.3333333333).abs() < 1e-9);
        assert!((pdps[2][0] - 3.3333333333).abs() < 1e-9);
        assert!(pdps[0][1].is_nan());
        assert!((pdps[1][1] - 1.3333333333).abs() < 1e-9);
        assert!((pdps[2][1] - 1.6666666667).abs() < 1e-9);
        let cdp: Vec<_> = rows.iter().filter(|(r, _)| *r == 1).collect();
        assert_eq!(cdp.len(), 1);
        assert!((cdp[0].1[0] - 2.3888888889).abs() < 1e-9);
    }

    #[test]
    fn counter_wraps_at_2_pow_32_minus_1() {
        let mut h = engine(
            &["DS:c:COUNTER:600:U:U", "RRA:LAST:0.5:1:10"],
            1_000_000_000,
            300,
        );
        let rows = run(
            &mut h,
            &[(1000000000 + 300, &["4294967000"]), (1000000600, &["200"])],
        );
        assert!((rows.last().unwrap().1[0] - 1.65).abs() < 1e-12, "{rows:?}");
    }

    #[test]
    fn errors() {
        let mut h = engine(
            &[
                "DS:c:COUNTER:600:U:U",
                "DS:g:GAUGE:600:U:U",
                "RRA:LAST:0.5:1:10",
            ],
            1_000_000_000,
            300,
        );
        let mut s = Scratch::default();
        let e = apply(
            &mut h,
            &mut s,
            UpdateTime::from_secs(1000000100),
            &[Value::Text("1.5"), Value::Text("1")],
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "not a simple unsigned integer: '1.5'");
        let e = apply(
            &mut h,
            &mut s,
            UpdateTime::from_secs(1000000100),
            &[Value::Text("7"), Value::Text("1x")],
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "Function update_pdp_prep, case DST_GAUGE - Converted '1x' to 1.000000, but cannot convert 'x'");
        // the source before the bad value kept its new last_ds, as in rrdtool
        assert_eq!(h.pdp[0].last_ds, "7");
        assert_eq!(h.last_up, 1_000_000_000);
        let e = apply(
            &mut h,
            &mut s,
            UpdateTime::from_secs(999999999),
            &[Value::Unknown, Value::Unknown],
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "illegal attempt to update using time 999999999 when last update time is 1000000000 (minimum one second step)");
    }

    #[test]
    fn fractional_times_truncate_microseconds() {
        let tz = jiff::tz::TimeZone::UTC;
        let now = UpdateTime::from_secs(0);
        // recorded from rrdtool 1.7.2 (live_head bytes after the update)
        for (s, usec) in [
            ("1000000000.1", 100000),
            ("1000000001.7", 700000),
            ("1000000002.3", 299999),
        ] {
            let t = parse_update_time(s, false, now, &tz).unwrap();
            assert_eq!(
                (t.sec % 10, t.usec),
                ((s.as_bytes()[9] - b'0') as i64, usec),
                "{s}"
            );
        }
    }

    #[test]
    fn arguments_split_with_templates() {
        let now = UpdateTime { sec: 7, usec: 5 };
        let mut reads = 0;
        let mut clock = || {
            reads += 1;
            now
        };
        let mut out = Vec::new();
        fn values<'a>(
            arg: &'a str,
            d: usize,
            t: Option<&[usize]>,
            out: &mut Vec<Value<'a>>,
            clock: &mut dyn FnMut() -> UpdateTime,
        ) -> std::result::Result<UpdateTime, String> {
            let tz = jiff::tz::TimeZone::UTC;
            let p = ParsedArg::parse(arg);
            p.values(d, t, out, clock, &tz).map_err(|e| e.to_string())
        }
        let mut check =
            |arg, d, t, out: &mut Vec<Value<'static>>| values(arg, d, t, out, &mut clock);
        assert_eq!(check("N:1:2", 2, None, &mut out), Ok(now));
        assert_eq!(out, [Value::Text("1"), Value::Text("2")]);
        let t = check("1000000000@5", 3, Some(&[2]), &mut out);
        assert_eq!(t, Ok(UpdateTime::from_secs(1_000_000_000)));
        assert_eq!(out, [Value::Unknown, Value::Unknown, Value::Text("5")]);
        let t = check("1000000000.5:5", 1, None, &mut out);
        assert_eq!(
            t,
            Ok(UpdateTime {
                sec: 1_000_000_000,
                usec: 500_000
            })
        );
        assert_eq!(check("-1.5:5", 1, None, &mut out).unwrap().sec, 5);
        let e = check("1:2:3:4", 1, None, &mut out);
        assert_eq!(e.unwrap_err(), "found extra data on update argument: 3:4");
        let e = check("5", 1, None, &mut out);
        assert_eq!(
            e.unwrap_err(),
            "expected timestamp not found in data source from 5"
        );
        // the split is checked before the time, as rrdtool does
        let e = check("x:1:2", 1, None, &mut out);
        assert_eq!(e.unwrap_err(), "found extra data on update argument: 2");
        let e = check("x:1", 1, None, &mut out);
        assert!(e.unwrap_err().contains("parsing time"));
        // the clock is read for N, a negative time and the at-style time
        assert_eq!(reads, 3);
    }

    #[test]
    fn times_no_time_t_holds_become_long_min() {
        // as rrdtool's (time_t) cast of the double on x86-64; the
        // last-update check then refuses them and the file stays as it was
        let tz = jiff::tz::TimeZone::UTC;
        let now = UpdateTime::from_secs(1_000_000_000);
        for s in [
            "99999999999999999999",
            "9223372036854775807",
            "9223372036854775808",
            "1e300",
            "inf",
            "nan",
            "-inf",
            "-1e300",
        ] {
            let t = parse_update_time(s, false, now, &tz).unwrap();
            assert_eq!(t.sec, i64::MIN, "{s}");
        }
        // the largest double below 2^63 still converts
        assert_eq!(
            rrd_clib::cast::long(9_223_372_036_854_774_784.0),
            9_223_372_036_854_774_784
        );
        assert_eq!(rrd_clib::cast::long(-9_223_372_036_854_775_808.0), i64::MIN);
        let t = parse_update_time("1e18", false, now, &tz).unwrap();
        assert_eq!(t.sec, 1_000_000_000_000_000_000);
        assert_eq!(rrd_clib::cast::long(-1.5), -1);
    }
}
