//! The value range: the tail of `data_proc`, `si_unit` and `expand_range`,
//! and `ytr`/`xtr`.

use super::*;

/// The value range of a graph and the SI magnitude of its labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRange {
    /// Lower limit (graphv's `value_min`).
    pub min: f64,
    /// Upper limit (graphv's `value_max`).
    pub max: f64,
    /// Whether the axis is logarithmic (`-o`); then `magfact` and
    /// `viewfactor` are 1 and `symbol` is a blank.
    pub logarithmic: bool,
    /// `base ^ digits`, the magnitude of the larger limit before expansion.
    pub magfact: f64,
    /// `magfact / base ^ view_digits`: how label values are scaled when
    /// `-X` chose another exponent. rrdtool keeps it in a `float`.
    pub viewfactor: f32,
    /// The SI symbol of `view_digits` (`' '` for none, `'?'` beyond
    /// yocto/yotta).
    pub symbol: char,
    /// The exponent of `symbol` in powers of the base (`-1` for `m`, `1` for
    /// `k`; saturated when infinite).
    pub view_digits: i32,
}

/// The SI prefixes from yocto to yotta; index 8 is the blank of no prefix.
pub(super) const SI_SYMBOLS: [char; 17] = [
    'y', 'z', 'a', 'f', 'p', 'n', 'u', 'm', ' ', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y',
];
pub(super) const SI_CENTER: i32 = 8;

/// expand_range's "sensible values", ending in its 0 and -1 sentinels.
pub(super) const SENSIBLE_VALUES: [f64; 48] = [
    1000.0, 900.0, 800.0, 750.0, 700.0, 600.0, 500.0, 400.0, 300.0, 250.0, 200.0, 125.0, 100.0,
    90.0, 80.0, 75.0, 70.0, 60.0, 50.0, 40.0, 30.0, 25.0, 20.0, 10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0,
    3.5, 3.0, 2.5, 2.0, 1.8, 1.5, 1.2, 1.0, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, -1.0,
];

/// rrdtool's `max()` macro.
pub(super) fn c_max(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// rrdtool's `AlmostEqual2sComplement(a, b, 4)`: both rounded to `float`
/// and compared as sign-magnitude integers within 4 units in the last place.
pub(super) fn almost_equal(a: f64, b: f64) -> bool {
    let ordered = |v: f64| {
        let i = (v as f32).to_bits() as i32;
        if i < 0 {
            i32::MIN.wrapping_sub(i)
        } else {
            i
        }
    };
    // C's abs(INT_MIN) stays negative, so that difference counts as equal
    ordered(a).wrapping_sub(ordered(b)).wrapping_abs() <= 4
}

/// The value range of a graph: rrdtool's `data_proc` (from the painted
/// data's extremes on), `si_unit` and `expand_range`.
///
/// `data_min`/`data_max` are the smallest and largest finite painted values
/// of the LINE/AREA/TICK elements that count (NaN when there are none); in
/// logarithmic mode `data_min` leaves out values `<= 0`, as rrdtool does.
/// The result is final: rrdtool 1.7.2 never applies its grid fit.
pub fn value_range(data_min: f64, data_max: f64, opts: &AxisOptions) -> ValueRange {
    let log = opts.logarithmic;
    let (mut rmin, mut rmax) = (data_min, data_max);
    if log {
        if rmin.is_nan() || rmax.is_nan() || rmax <= 0.0 {
            rmin = 0.0;
            rmax = 5.1;
        }
        if rmin <= 0.0 {
            rmin = rmax / 10e8;
        }
    } else if rmin.is_nan() || rmax.is_nan() {
        rmin = 0.0;
        rmax = 1.0;
    }
    let from_min = if log { rmin / 2.0 } else { rmin };
    let from_max = if log { rmax * 2.0 } else { rmax };
    let mut min = opts.lower_limit.unwrap_or(f64::NAN);
    let mut max = opts.upper_limit.unwrap_or(f64::NAN);
    if min.is_nan() || (!opts.rigid && min > rmin) {
        min = from_min;
    }
    if max.is_nan() || (!opts.rigid && max < rmax) {
        max = from_max;
    }
    if opts.rigid && opts.allow_shrink {
        if min < rmin {
            min = from_min;
        }
        if max > rmax {
            max = from_max;
        }
    }
    if min > max {
        min = if min > 0.0 { 0.99 * max } else { 1.01 * max };
    }
    if almost_equal(min, max) {
        max *= if max > 0.0 { 1.01 } else { 0.99 };
        if almost_equal(max, 0.0) {
            max = 1.0;
        }
    }
    let mut range = ValueRange {
        min,
        max,
        logarithmic: log,
        magfact: 1.0,
        viewfactor: 1.0,
        symbol: ' ',
        view_digits: 0,
    };
    if !log {
        si_unit(&mut range, opts);
        if !opts.rigid || opts.allow_shrink {
            expand_range(&mut range, opts);
        }
    }
    range
}

pub(super) fn si_unit(r: &mut ValueRange, opts: &AxisOptions) {
    let base = f64::from(opts.base);
    let digits = (c_max(r.min.abs(), r.max.abs()).ln() / base.ln()).floor();
    let view_digits = match opts.units_exponent {
        Some(e) => f64::from(e / 3),
        None => digits,
    };
    r.magfact = base.powf(digits);
    r.viewfactor = (r.magfact / base.powf(view_digits)) as f32;
    let index = view_digits + f64::from(SI_CENTER);
    r.symbol = if (0.0..SI_SYMBOLS.len() as f64).contains(&index) {
        SI_SYMBOLS[index as usize]
    } else {
        '?'
    };
    r.view_digits = view_digits as i32;
}

pub(super) fn expand_range(r: &mut ValueRange, opts: &AxisOptions) {
    if let YGridOption::Step { step, label_factor } = opts.y_grid {
        let unit = f64::from(label_factor) * step;
        r.min = unit * (r.min / unit).floor();
        r.max = unit * (r.max / unit).ceil();
        return;
    }
    if opts.alt_autoscale {
        let delt = r.max - r.min;
        let mut adj = delt * 0.1;
        let fact = 2.0
            * 10f64.powf(
                (c_max(r.min.abs(), r.max.abs()) / r.magfact)
                    .log10()
                    .floor()
                    - 2.0,
            );
        if delt < fact {
            adj = (fact - delt) * 0.55;
        }
        r.min -= adj;
        r.max += adj;
    } else if opts.alt_autoscale_min {
        r.min -= (r.max - r.min) * 0.1;
    } else if opts.alt_autoscale_max {
        r.max += (r.max - r.min) * 0.1;
    } else {
        let s = &SENSIBLE_VALUES;
        let scaled_min = r.min / r.magfact;
        let scaled_max = r.max / r.magfact;
        let mut i = 1;
        // every hit overwrites the previous one: the last pair that matches wins
        while s[i] > 0.0 {
            if s[i - 1] >= scaled_min && s[i] <= scaled_min {
                r.min = s[i] * r.magfact;
            }
            if -s[i - 1] <= scaled_min && -s[i] >= scaled_min {
                r.min = -s[i - 1] * r.magfact;
            }
            if s[i - 1] >= scaled_max && s[i] <= scaled_max {
                r.max = s[i - 1] * r.magfact;
            }
            if -s[i - 1] <= scaled_max && -s[i] >= scaled_max {
                r.max = -s[i] * r.magfact;
            }
            i += 1;
        }
    }
}

/// Where the graph area lies on the canvas, in rrdtool's terms: `xorigin`
/// and `yorigin` are the lower left corner (y grows downwards, so the top
/// edge is `yorigin - height`), `width`/`height` are `-w`/`-h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphArea {
    /// Left edge.
    pub xorigin: i64,
    /// Bottom edge.
    pub yorigin: i64,
    /// Width in pixels (`xsize`).
    pub width: i64,
    /// Height in pixels (`ysize`).
    pub height: i64,
}

/// rrdtool's `ytr`: the canvas y of a value (not rounded). On a
/// logarithmic axis values below the minimum map to the bottom edge; NaN
/// maps to the bottom edge too (rrdtool's reset call).
pub fn value_to_y(value: f64, range: &ValueRange, area: &GraphArea) -> f64 {
    let yorigin = area.yorigin as f64;
    if value.is_nan() {
        return yorigin;
    }
    if range.logarithmic {
        if value < range.min {
            return yorigin;
        }
        let pixie = area.height as f64 / (range.max.log10() - range.min.log10());
        yorigin - pixie * (value.log10() - range.min.log10())
    } else {
        let pixie = area.height as f64 / (range.max - range.min);
        yorigin - pixie * (value - range.min)
    }
}

/// rrdtool's `xtr`: the canvas x of a time, truncated toward zero.
#[cfg(test)]
pub fn time_to_x(t: i64, start: i64, end: i64, area: &GraphArea) -> i64 {
    let pixie = area.width as f64 / (end - start) as f64;
    (area.xorigin as f64 + pixie * (t - start) as f64) as i64
}
