//! Holt-Winters forecasting archives (HWPREDICT, MHWPREDICT, SEASONAL,
//! DEVSEASONAL, DEVPREDICT, FAILURES) as rrdtool 1.7.2 updates them:
//! `rrd_hw.c`, `rrd_hw_update.c` and `rrd_hw_math.c`, operation for
//! operation so that every stored double is rrdtool's.
//!
//! The archives depend on each other through `dependent_rra` (a prediction
//! names its SEASONAL archive, a SEASONAL or DEVSEASONAL its prediction, a
//! DEVPREDICT or FAILURES its DEVSEASONAL); whether a neighbour has already
//! been updated in this pass is read off the order of their indices, as in
//! rrdtool. SEASONAL and DEVSEASONAL rows are read back while updating
//! (the coefficient of the next period), so [`HwState`] keeps them in memory.

use crate::error::{Error, Result};
use crate::model::{cdp_slot as S, ConsolidationFn as Cf, Header, RraParams, Unival, DNAN};

/// Smoothing burn-in: the seasonal smoother runs at each of the first
/// cycles, then once a cycle at the archive's smoothing index.
const BURNIN_CYCLES: u64 = 3;

/// The rows Holt-Winters reads back, and what an update call leaves for
/// its end.
#[derive(Debug, Default, Clone)]
pub(crate) struct HwState {
    /// Per archive: the physical rows of a SEASONAL or DEVSEASONAL archive
    /// (row-major, one value per data source), empty for the others.
    pub rows: Vec<Vec<f64>>,
    /// Whether `rows` holds the file's archives.
    pub loaded: bool,
    /// The smoother is due at the end of the update call.
    pub smooth: bool,
}

/// Per pass of an update (`process_arg`): rrdtool's two lookup buffers,
/// shared by all seasonal archives and kept across the split first PDP.
#[derive(Debug, Default, Clone)]
pub(crate) struct Lookups {
    last: Option<Vec<f64>>,
    next: Option<Vec<f64>>,
    /// Per archive: advance the rows without writing them (a bulk update).
    pub skip: Vec<bool>,
}

impl Lookups {
    /// Empty buffers for a pass over `rras` archives (the skip flags keep
    /// their allocation from pass to pass).
    pub(crate) fn reset(&mut self, rras: usize) {
        self.last = None;
        self.next = None;
        self.skip.clear();
        self.skip.resize(rras, false);
    }
}

/// Whether the file has any Holt-Winters archive.
pub(crate) fn has_hw(h: &Header) -> bool {
    h.rra.iter().any(|r| !r.cf.is_plain())
}

/// Whether archive `r` keeps rows Holt-Winters reads back.
pub(crate) fn is_seasonal(cf: Cf) -> bool {
    matches!(cf, Cf::Seasonal | Cf::DevSeasonal)
}

/// `par[RRA_dependent_rra_idx]` of archive `r` as stored (0 for a plain
/// archive, whose parameter slot rrdtool leaves zero).
fn dep_stored(h: &Header, r: usize) -> u64 {
    match h.rra[r].params {
        RraParams::Plain { .. } => 0,
        RraParams::HoltWinters { dependent_rra, .. }
        | RraParams::Seasonal { dependent_rra, .. }
        | RraParams::DevPredict { dependent_rra }
        | RraParams::Failures { dependent_rra, .. } => dependent_rra,
    }
}

/// [`dep_stored`] as an index.
fn dep(h: &Header, r: usize) -> usize {
    usize::try_from(dep_stored(h, r)).unwrap_or(usize::MAX)
}

/// Checks that every dependency an update follows names an archive of the
/// file (rrdtool reads out of bounds otherwise).
pub(crate) fn check(h: &Header) -> Result<()> {
    for r in 0..h.rra.len() {
        if h.rra[r].cf.is_plain() {
            continue;
        }
        let mut at = r;
        // FAILURES follows three links: DEVSEASONAL, prediction, SEASONAL
        for _ in 0..3 {
            let next = dep(h, at);
            if next >= h.rra.len() {
                return Err(Error::Update(format!(
                    "archive {at} ({}) depends on archive {}, which the file does not have",
                    h.rra[at].cf,
                    dep_stored(h, at)
                )));
            }
            at = next;
        }
    }
    Ok(())
}

fn val(s: &[Unival; 10], k: usize) -> f64 {
    s[k].val()
}
fn set(s: &mut [Unival; 10], k: usize, v: f64) {
    s[k] = Unival::from_val(v);
}

/// The FAILURES violation history: byte `i` of the scratch area.
fn history_byte(s: &[Unival; 10], i: usize) -> u8 {
    s[i / 8].0.to_le_bytes()[i % 8]
}
fn set_violation(s: &mut [Unival; 10], i: usize, v: u8) {
    let mut b = s[i / 8].0.to_le_bytes();
    b[i % 8] = v;
    s[i / 8] = Unival(u64::from_le_bytes(b));
}

/// `erase_violations`: the first `window_len` history bytes to zero.
fn erase_violations(h: &mut Header, r: usize, ds: usize) {
    let RraParams::Failures { window_len, .. } = h.rra[r].params else {
        return;
    };
    let n = h.ds.len();
    let s = &mut h.cdp[r * n + ds].scratch;
    for i in 0..(window_len.min(80) as usize) {
        set_violation(s, i, 0);
    }
}

/// Additive or multiplicative Holt-Winters (`hw_functions_t`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Additive,
    Multiplicative,
}

impl Method {
    fn of(cf: Cf) -> Option<Method> {
        match cf {
            Cf::HwPredict => Some(Method::Additive),
            Cf::MhwPredict => Some(Method::Multiplicative),
            _ => None,
        }
    }
    fn identity(self) -> f64 {
        match self {
            Method::Additive => 0.0,
            Method::Multiplicative => 1.0,
        }
    }
    /// `calculate_prediction`: `null_count` passes through a C `int`.
    fn predict(self, intercept: f64, slope: f64, null_count: u64, seasonal: f64) -> f64 {
        let n = f64::from(null_count as i32);
        match self {
            Method::Additive => intercept + slope * n + seasonal,
            Method::Multiplicative => (intercept + slope * n) * seasonal,
        }
    }
    /// `calculate_intercept` from the prediction archive's coefficients.
    fn intercept(self, alpha: f64, observed: f64, seasonal: f64, coefs: &[Unival; 10]) -> f64 {
        let trend = val(coefs, S::HW_INTERCEPT)
            + val(coefs, S::HW_SLOPE) * coefs[S::NULL_COUNT].cnt() as f64;
        match self {
            Method::Additive => alpha * (observed - seasonal) + (1.0 - alpha) * trend,
            Method::Multiplicative => {
                if seasonal <= 0.0 {
                    return DNAN;
                }
                alpha * (observed / seasonal) + (1.0 - alpha) * trend
            }
        }
    }
    fn seasonality(self, gamma: f64, observed: f64, intercept: f64, seasonal: f64) -> f64 {
        match self {
            Method::Additive => gamma * (observed - intercept) + (1.0 - gamma) * seasonal,
            Method::Multiplicative => {
                if intercept <= 0.0 {
                    return DNAN;
                }
                gamma * (observed / intercept) + (1.0 - gamma) * seasonal
            }
        }
    }
    fn init_seasonality(self, seasonal: f64, intercept: f64) -> f64 {
        match self {
            Method::Additive => seasonal - intercept,
            Method::Multiplicative => {
                if intercept <= 0.0 {
                    return DNAN;
                }
                seasonal / intercept
            }
        }
    }
}

fn slope(beta: f64, coefs: &[Unival; 10]) -> f64 {
    beta * (val(coefs, S::HW_INTERCEPT) - val(coefs, S::HW_LAST_INTERCEPT))
        + (1.0 - beta) * val(coefs, S::HW_SLOPE)
}

fn seasonal_deviation(gamma: f64, prediction: f64, observed: f64, last: f64) -> f64 {
    gamma * (prediction - observed).abs() + (1.0 - gamma) * last
}

fn alpha_beta(h: &Header, r: usize) -> (f64, f64) {
    match h.rra[r].params {
        RraParams::HoltWinters { alpha, beta, .. } => (alpha, beta),
        // rrdtool reads par[1] and par[2] whatever the archive
        RraParams::Seasonal {
            gamma,
            smoothing_window,
            ..
        } => (gamma, smoothing_window),
        RraParams::Failures {
            delta_pos,
            delta_neg,
            ..
        } => (delta_pos, delta_neg),
        RraParams::Plain { .. } | RraParams::DevPredict { .. } => (0.0, 0.0),
    }
}

fn gamma(h: &Header, r: usize) -> f64 {
    alpha_beta(h, r).0
}

fn cf_method(h: &Header, r: usize) -> Option<Method> {
    Method::of(h.rra[r].cf)
}

/// `lookup_seasonal`: row `cur_row + offset` (wrapping) of seasonal
/// archive `r` into `buf`.
fn lookup(h: &Header, st: &HwState, r: usize, offset: u64, buf: &mut Option<Vec<f64>>) {
    let n = h.ds.len();
    let rows = h.rra[r].rows;
    let mut i = h.cur_row[r].wrapping_add(offset);
    if i >= rows {
        i %= rows;
    }
    let b = buf.get_or_insert_with(|| vec![DNAN; n]);
    let data = &st.rows[r];
    let at = i as usize * n;
    match data.get(at..at + n) {
        Some(row) => b.copy_from_slice(row),
        None => b.fill(DNAN),
    }
}

/// `do_schedule_smooth`: whether the smoother is due, counting burn-in
/// cycles in the first data source's `CDP_init_seasonal`.
fn schedule_smooth(h: &mut Header, r: usize, elapsed: u64) -> bool {
    let n = h.ds.len();
    let cur = h.cur_row[r];
    let rows = h.rra[r].rows;
    let idx = match h.rra[r].params {
        RraParams::Seasonal { smooth_idx, .. } => smooth_idx,
        _ => 0,
    };
    let init = &mut h.cdp[r * n].scratch[S::NULL_COUNT];
    if init.0 > BURNIN_CYCLES {
        if idx > cur {
            return cur.wrapping_add(elapsed) >= idx;
        }
        return cur.wrapping_add(elapsed) >= rows
            && cur.wrapping_add(elapsed) >= rows.wrapping_add(idx);
    }
    if cur.wrapping_add(elapsed) >= rows {
        init.0 = init.0.wrapping_add(1);
        return init.0 != 0;
    }
    false
}

/// The seasonal part of `update_all_cdp_prep` for archive `r`, before its
/// CDPs: a bulk update skips the seasonal rows (and looks up the
/// coefficients the next observation needs), and the smoother is scheduled.
pub(crate) fn before_cdp(
    h: &mut Header,
    st: &mut HwState,
    lk: &mut Lookups,
    r: usize,
    elapsed: u64,
    step_cnt: u64,
) {
    if !is_seasonal(h.rra[r].cf) {
        return;
    }
    if step_cnt > 1 {
        lk.skip[r] = true;
        lookup(h, st, r, elapsed, &mut lk.last);
        lookup(h, st, r, elapsed.wrapping_add(1), &mut lk.next);
    }
    if schedule_smooth(h, r, elapsed) {
        st.smooth = true;
    }
}

/// `reset_cdp` for a one-PDP archive passed over by more than two PDPs.
pub(crate) fn reset_cdp(
    h: &mut Header,
    lk: &Lookups,
    r: usize,
    ds: usize,
    elapsed: u64,
    pdp_temp: f64,
) {
    let n = h.ds.len();
    let cf = h.rra[r].cf;
    let s = &mut h.cdp[r * n + ds].scratch;
    match cf {
        Cf::Seasonal | Cf::DevSeasonal => {
            // rrdtool dereferences buffers a one-row archive never filled
            let get = |b: &Option<Vec<f64>>| b.as_ref().map_or(DNAN, |b| b[ds]);
            set(s, S::HW_LAST_INTERCEPT, get(&lk.last));
            set(s, S::HW_INTERCEPT, get(&lk.next));
        }
        Cf::HwPredict | Cf::MhwPredict | Cf::DevPredict => {
            if cf != Cf::DevPredict {
                s[S::NULL_COUNT].0 = s[S::NULL_COUNT].0.wrapping_add(elapsed);
                s[S::LAST_NULL_COUNT].0 = s[S::LAST_NULL_COUNT]
                    .0
                    .wrapping_add(elapsed.wrapping_sub(1));
            }
            set(s, S::PRIMARY_VAL, DNAN);
            set(s, S::SECONDARY_VAL, DNAN);
        }
        Cf::Failures => {
            set(s, S::PRIMARY_VAL, 0.0);
            set(s, S::SECONDARY_VAL, 0.0);
            erase_violations(h, r, ds);
        }
        _ => {
            set(s, S::PRIMARY_VAL, pdp_temp);
            set(s, S::SECONDARY_VAL, pdp_temp);
        }
    }
}

/// `update_aberrant_cdps`: for one or two PDPs, every one-PDP archive's
/// primary (then secondary) value, the Holt-Winters ones through their
/// model.
pub(crate) fn update_aberrant_cdps(
    h: &mut Header,
    st: &HwState,
    lk: &mut Lookups,
    elapsed: u64,
    pdp_temp: &[f64],
) {
    if !(1..3).contains(&elapsed) {
        return;
    }
    let n = h.ds.len();
    let mut slot = S::PRIMARY_VAL;
    for _ in 0..elapsed {
        for r in 0..h.rra.len() {
            if h.rra[r].pdp_cnt != 1 {
                continue;
            }
            let cf = h.rra[r].cf;
            if is_seasonal(cf) {
                let off = if slot == S::PRIMARY_VAL { 1 } else { 2 };
                lookup(h, st, r, elapsed.wrapping_add(off), &mut lk.next);
            }
            for (ds, &pt) in pdp_temp.iter().enumerate().take(n) {
                let coef = lk.next.as_ref().map_or(DNAN, |b| b[ds]);
                update_aberrant_cf(h, pt, cf, r, ds, slot, coef);
            }
        }
        slot = S::SECONDARY_VAL;
    }
}

/// `update_aberrant_CF`.
fn update_aberrant_cf(
    h: &mut Header,
    pdp_val: f64,
    cf: Cf,
    r: usize,
    ds: usize,
    slot: usize,
    seasonal_coef: f64,
) {
    let n = h.ds.len();
    set(&mut h.cdp[r * n + ds].scratch, slot, pdp_val);
    match cf {
        Cf::HwPredict | Cf::MhwPredict => {
            let m = Method::of(cf).expect("a prediction archive");
            update_hwpredict(h, r, ds, slot, m);
        }
        Cf::DevPredict => update_devpredict(h, r, ds, slot),
        Cf::Seasonal => {
            if let Some(m) = cf_method(h, dep(h, r)) {
                update_seasonal(h, r, ds, slot, seasonal_coef, m);
            }
        }
        Cf::DevSeasonal => {
            if let Some(m) = cf_method(h, dep(h, r)) {
                update_devseasonal(h, r, ds, slot, seasonal_coef, m);
            }
        }
        Cf::Failures => {
            if let Some(m) = cf_method(h, dep(h, dep(h, r))) {
                update_failures(h, r, ds, slot, m);
            }
        }
        _ => {}
    }
}

fn update_hwpredict(h: &mut Header, r: usize, ds: usize, slot: usize, m: Method) {
    let n = h.ds.len();
    let (alpha, beta) = alpha_beta(h, r);
    let dr = dep(h, r);
    let seasonal_coef = {
        let s = &h.cdp[dr * n + ds].scratch;
        if dr < r {
            val(s, S::HW_LAST_INTERCEPT)
        } else {
            val(s, S::HW_INTERCEPT)
        }
    };
    let c = &mut h.cdp[r * n + ds].scratch;
    c[S::HW_LAST_INTERCEPT] = c[S::HW_INTERCEPT];
    c[S::HW_LAST_SLOPE] = c[S::HW_SLOPE];
    c[S::LAST_NULL_COUNT] = c[S::NULL_COUNT];
    let prediction;
    if val(c, S::HW_INTERCEPT).is_nan() || val(c, S::HW_SLOPE).is_nan() || seasonal_coef.is_nan() {
        prediction = DNAN;
        if val(c, S::HW_INTERCEPT).is_nan() && !val(c, slot).is_nan() {
            // bootstrap: the first observation is the intercept, no slope
            let obs = c[slot];
            c[S::HW_INTERCEPT] = obs;
            c[S::HW_LAST_INTERCEPT] = obs;
            set(c, S::HW_SLOPE, 0.0);
            set(c, S::HW_LAST_SLOPE, 0.0);
            c[S::NULL_COUNT] = Unival(1);
            c[S::LAST_NULL_COUNT] = Unival(1);
        }
    } else {
        prediction = m.predict(
            val(c, S::HW_INTERCEPT),
            val(c, S::HW_SLOPE),
            c[S::NULL_COUNT].cnt(),
            seasonal_coef,
        );
        if val(c, slot).is_nan() {
            c[S::NULL_COUNT].0 = c[S::NULL_COUNT].0.wrapping_add(1);
        } else {
            let i = m.intercept(alpha, val(c, slot), seasonal_coef, c);
            set(c, S::HW_INTERCEPT, i);
            let sl = slope(beta, c);
            set(c, S::HW_SLOPE, sl);
            c[S::NULL_COUNT] = Unival(1);
        }
    }
    set(c, slot, prediction);
}

fn update_seasonal(h: &mut Header, r: usize, ds: usize, slot: usize, coef: f64, m: Method) {
    let n = h.ds.len();
    let hw = dep(h, r);
    let g = gamma(h, r);
    let hw_alpha = alpha_beta(h, hw).0;
    let coefs = h.cdp[hw * n + ds].scratch;
    let s = &mut h.cdp[r * n + ds].scratch;
    let seasonal = val(s, S::HW_INTERCEPT);
    set(s, S::HW_LAST_INTERCEPT, seasonal);
    set(s, S::HW_INTERCEPT, coef);
    let observed = val(s, slot);
    if observed.is_nan() {
        set(s, slot, seasonal);
        return;
    }
    let v = if hw < r {
        if val(&coefs, S::HW_LAST_INTERCEPT).is_nan() || val(&coefs, S::HW_LAST_SLOPE).is_nan() {
            DNAN
        } else if seasonal.is_nan() {
            m.init_seasonality(observed, val(&coefs, S::HW_LAST_INTERCEPT))
        } else {
            m.seasonality(g, observed, val(&coefs, S::HW_INTERCEPT), seasonal)
        }
    } else if val(&coefs, S::HW_INTERCEPT).is_nan() || val(&coefs, S::HW_SLOPE).is_nan() {
        m.identity()
    } else if seasonal.is_nan() {
        m.init_seasonality(observed, val(&coefs, S::HW_INTERCEPT))
    } else {
        let intercept = m.intercept(hw_alpha, observed, seasonal, &coefs);
        m.seasonality(g, observed, intercept, seasonal)
    };
    set(s, slot, v);
}

fn update_devpredict(h: &mut Header, r: usize, ds: usize, slot: usize) {
    let n = h.ds.len();
    let dr = dep(h, r);
    let s = &h.cdp[dr * n + ds].scratch;
    let v = if dr < r {
        val(s, S::HW_LAST_INTERCEPT)
    } else {
        val(s, S::HW_INTERCEPT)
    };
    set(&mut h.cdp[r * n + ds].scratch, slot, v);
}

fn update_devseasonal(h: &mut Header, r: usize, ds: usize, slot: usize, dev: f64, m: Method) {
    let n = h.ds.len();
    let hw = dep(h, r);
    let seasonal_rra = dep(h, hw);
    let g = gamma(h, r);
    {
        let s = &mut h.cdp[r * n + ds].scratch;
        s[S::HW_LAST_INTERCEPT] = s[S::HW_INTERCEPT];
        set(s, S::HW_INTERCEPT, dev);
    }
    let seasonal_coef = {
        let s = &h.cdp[seasonal_rra * n + ds].scratch;
        if seasonal_rra < r {
            val(s, S::HW_LAST_INTERCEPT)
        } else {
            val(s, S::HW_INTERCEPT)
        }
    };
    let coefs = h.cdp[hw * n + ds].scratch;
    let (ki, ks, kn) = if hw < r {
        (S::HW_LAST_INTERCEPT, S::HW_LAST_SLOPE, S::LAST_NULL_COUNT)
    } else {
        (S::HW_INTERCEPT, S::HW_SLOPE, S::NULL_COUNT)
    };
    let s = &mut h.cdp[r * n + ds].scratch;
    if val(&coefs, ki).is_nan() || val(&coefs, ks).is_nan() || seasonal_coef.is_nan() {
        set(s, slot, DNAN);
        return;
    }
    let prediction = m.predict(
        val(&coefs, ki),
        val(&coefs, ks),
        coefs[kn].cnt(),
        seasonal_coef,
    );
    let observed = val(s, slot);
    let last = val(s, S::HW_LAST_INTERCEPT);
    let v = if observed.is_nan() {
        last
    } else if last.is_nan() {
        (prediction - observed).abs()
    } else {
        seasonal_deviation(g, prediction, observed, last)
    };
    set(s, slot, v);
}

fn update_failures(h: &mut Header, r: usize, ds: usize, slot: usize, m: Method) {
    let n = h.ds.len();
    let dev_rra = dep(h, r);
    let hw = dep(h, dev_rra);
    let seasonal_rra = dep(h, hw);
    let (delta_pos, delta_neg) = alpha_beta(h, r);
    let (window_len, threshold) = match h.rra[r].params {
        RraParams::Failures {
            window_len,
            threshold,
            ..
        } => (window_len, threshold),
        _ => (0, 0),
    };
    // rrdtool compares against the SEASONAL archive's index for the
    // DEVSEASONAL one too
    let deviation = {
        let s = &h.cdp[dev_rra * n + ds].scratch;
        if r < seasonal_rra {
            val(s, S::HW_INTERCEPT)
        } else {
            val(s, S::HW_LAST_INTERCEPT)
        }
    };
    let mut violation = 0u8;
    if !deviation.is_nan() {
        let seasonal_coef = {
            let s = &h.cdp[seasonal_rra * n + ds].scratch;
            if r < seasonal_rra {
                val(s, S::HW_INTERCEPT)
            } else {
                val(s, S::HW_LAST_INTERCEPT)
            }
        };
        let c = &h.cdp[hw * n + ds].scratch;
        let prediction = if r < hw {
            m.predict(
                val(c, S::HW_INTERCEPT),
                val(c, S::HW_SLOPE),
                c[S::NULL_COUNT].cnt(),
                seasonal_coef,
            )
        } else {
            m.predict(
                val(c, S::HW_LAST_INTERCEPT),
                val(c, S::HW_LAST_SLOPE),
                c[S::LAST_NULL_COUNT].cnt(),
                seasonal_coef,
            )
        };
        let observed = val(&h.cdp[r * n + ds].scratch, slot);
        if observed.is_nan()
            || observed > prediction + delta_pos * deviation
            || observed < prediction - delta_neg * deviation
        {
            violation = 1;
        }
    }
    let s = &mut h.cdp[r * n + ds].scratch;
    // the count is an unsigned short in rrdtool, the history chars
    let mut count = u16::from(violation);
    let w = (window_len.min(80)) as usize;
    for i in (2..=w).rev() {
        let prev = history_byte(s, i - 2);
        set_violation(s, i - 1, prev);
        count = count.wrapping_add(prev as i8 as i16 as u16);
    }
    set_violation(s, 0, violation);
    let failed = u64::from(count) >= threshold;
    set(s, slot, if failed { 1.0 } else { 0.0 });
}

/// `apply_smoother` for every SEASONAL and DEVSEASONAL archive
/// (`smooth_all_rras`): a centred moving average over the cycle, a SEASONAL
/// archive then re-centred on its mean, which moves into its prediction
/// archive's intercept. Calls `write(rra, rows)` with each archive smoothed.
pub(crate) fn smooth_all(
    h: &mut Header,
    st: &mut HwState,
    write: &mut dyn FnMut(usize, &[f64]),
) -> Result<()> {
    for r in 0..h.rra.len() {
        if is_seasonal(h.rra[r].cf) && smooth(h, st, r)? {
            write(r, &st.rows[r]);
        }
    }
    Ok(())
}

/// `MyMod` of a C `signed long`.
fn my_mod(v: i64, m: u64) -> u64 {
    if v < 0 {
        m - (v.unsigned_abs() % m)
    } else {
        v as u64 % m
    }
}

fn smooth(h: &mut Header, st: &mut HwState, r: usize) -> Result<bool> {
    let n = h.ds.len();
    let rows = h.rra[r].rows;
    let window = if h.version >= 4 {
        match h.rra[r].params {
            RraParams::Seasonal {
                smoothing_window, ..
            } => smoothing_window,
            _ => 0.0,
        }
    } else {
        0.05
    };
    // C: floor() of a double into an unsigned long
    let offset = rrd_clib::cast::long((window / 2.0 * rows as f64).floor()) as u64;
    if offset == 0 {
        return Ok(false);
    }
    let values = &st.rows[r];
    if values.len() != rows as usize * n {
        return Ok(false);
    }
    if values.iter().any(|v| v.is_nan()) {
        return Ok(false);
    }
    if offset >= rows {
        // the window would wrap onto itself more than once: rrdtool
        // indexes outside the archive
        return Err(Error::Update(format!(
            "smoothing window of archive {r} spans more than its {rows} rows"
        )));
    }
    let original = values;
    let mut out = values.clone();
    let cap = (2 * offset + 1) as usize;
    let mut working = vec![0.0f64; n];
    let mut baseline = vec![0.0f64; n];
    let mut queues: Vec<std::collections::VecDeque<f64>> = (0..n)
        .map(|_| std::collections::VecDeque::with_capacity(cap))
        .collect();
    let at = |k: u64, j: usize| k as usize * n + j;
    for i in 0..2 * offset {
        let k = my_mod((i as i64).wrapping_sub(offset as i64), rows);
        for j in 0..n {
            let v = original[at(k, j)];
            queues[j].push_back(v);
            working[j] += v;
        }
    }
    for i in offset..rows + offset {
        for j in 0..n {
            let k = my_mod(i as i64, rows);
            let v = original[at(k, j)];
            working[j] += v;
            queues[j].push_back(v);
            let c = my_mod((i as i64).wrapping_sub(offset as i64), rows);
            let avg = working[j] / (2 * offset + 1) as f64;
            out[at(c, j)] = avg;
            baseline[j] += avg;
            working[j] -= queues[j].pop_front().unwrap_or(0.0);
        }
    }
    for b in &mut baseline {
        *b /= rows as f64;
    }
    if h.rra[r].cf == Cf::Seasonal {
        let hw = dep(h, r);
        let Some(m) = cf_method(h, hw) else {
            return Err(Error::Update(format!(
                "apply smoother: SEASONAL rra doesn't have valid dependency: {}",
                h.rra[hw].cf
            )));
        };
        for j in 0..n {
            for i in 0..rows {
                out[at(i, j)] = m.init_seasonality(out[at(i, j)], baseline[j]);
            }
            let s = &mut h.cdp[hw * n + j].scratch;
            let v = val(s, S::HW_INTERCEPT) + baseline[j];
            set(s, S::HW_INTERCEPT, v);
        }
    }
    st.rows[r] = out;
    Ok(true)
}

/// `reset_aberrant_coefficients` for data source `ds` (`tune
/// --aberrant-reset`): the model forgets what it learned. (The caller makes
/// its column of the SEASONAL and DEVSEASONAL rows unknown.)
pub(crate) fn reset_coefficients(h: &mut Header, ds: usize) {
    let n = h.ds.len();
    for r in 0..h.rra.len() {
        let cf = h.rra[r].cf;
        let c = &mut h.cdp[r * n + ds];
        match cf {
            Cf::HwPredict | Cf::MhwPredict => crate::create::init_cdp_over(cf, 0, c),
            // not init_cdp's: the burn-in count stays
            Cf::Seasonal | Cf::DevSeasonal => {
                set(&mut c.scratch, S::HW_INTERCEPT, DNAN);
                set(&mut c.scratch, S::HW_LAST_INTERCEPT, DNAN);
            }
            Cf::Failures => erase_violations(h, r, ds),
            _ => {}
        }
    }
}
