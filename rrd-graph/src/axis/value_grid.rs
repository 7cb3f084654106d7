//! The horizontal (value) grid and its labels: `calc_horizontal_grid`,
//! `draw_horizontal_grid`, `horizontal_log_grid`, the right axis, the
//! timestamp and duration formatters.

use super::*;

/// One horizontal grid line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridLine {
    /// The value it marks (unscaled).
    pub value: f64,
    /// Its canvas y ([`value_to_y`]).
    pub y: f64,
    /// Major lines carry a label; minor ones do not.
    pub major: bool,
}

/// The horizontal grid and the value labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct YGrid {
    /// Grid lines in rrdtool's drawing order.
    pub lines: Vec<GridLine>,
    /// Left labels, bottom to top: the value of the line they sit on and the text (drawn
    /// right-aligned `axis_font_size` left of the graph, vertically centred).
    pub labels: Vec<(f64, String)>,
    /// Right-axis labels (`--right-axis`), keyed by the same left-axis
    /// value of their line (drawn left-aligned 7 px right of the graph).
    pub right_labels: Vec<(f64, String)>,
    /// An error rrdtool sets while labelling (`Wrong duration format` for a
    /// bad duration format, whose labels are then empty): rrdtool still
    /// draws the graph, then the command fails with this message.
    pub error: Option<String>,
}

/// `ylab`: grid steps (in units of the SI magnitude) and the label factors
/// tried for each.
pub(super) const YLAB: [(f64, [i32; 4]); 12] = [
    (0.1, [1, 2, 5, 10]),
    (0.2, [1, 5, 10, 20]),
    (0.5, [1, 2, 4, 10]),
    (1.0, [1, 2, 5, 10]),
    (2.0, [1, 5, 10, 20]),
    (5.0, [1, 2, 4, 10]),
    (10.0, [1, 2, 5, 10]),
    (20.0, [1, 5, 10, 20]),
    (50.0, [1, 2, 4, 10]),
    (100.0, [1, 2, 5, 10]),
    (200.0, [1, 5, 10, 20]),
    (500.0, [1, 2, 4, 10]),
];

/// `calc_horizontal_grid`'s result.
pub(super) struct LinearGrid {
    step: f64,
    label_factor: i32,
    /// The `-Y` label format; empty when `-y` gave the step (rrdtool never
    /// builds it then, and prints empty labels).
    alt_format: String,
}

pub(super) fn calc_horizontal_grid(
    r: &ValueRange,
    opts: &AxisOptions,
    ysize: i64,
) -> Option<LinearGrid> {
    let range = r.max - r.min;
    let scaled_range = range / r.magfact;
    if scaled_range.is_nan() {
        return None;
    }
    let axis = opts.axis_font_size;
    let mut grid = LinearGrid {
        step: f64::NAN,
        label_factor: 2,
        alt_format: String::new(),
    };
    if let YGridOption::Step { step, label_factor } = opts.y_grid {
        grid.step = step;
        grid.label_factor = label_factor;
    } else if opts.alt_y_grid {
        let vf = f64::from(r.viewfactor);
        let mut decimals = rrd_clib::cast::int(
            (c_max(r.max.abs(), r.min.abs()) * vf / r.magfact)
                .log10()
                .ceil(),
        );
        if decimals <= 0 {
            decimals = 1;
        }
        let mut step = 10f64.powf((range * vf / r.magfact).log10().floor()) / vf * r.magfact;
        if step == 0.0 {
            step = 0.1;
        }
        if range / step < 5.0 && step >= 30.0 {
            step /= 10.0;
        }
        if range / step > 15.0 {
            step *= 10.0;
        }
        if range / step > 5.0 {
            grid.label_factor = 1;
            // rrdtool compares the step, a value, with a font size
            if range / step > 8.0 || step < 1.8 * axis {
                grid.label_factor = 2;
            }
        } else {
            step /= 5.0;
            grid.label_factor = 5;
        }
        grid.step = step;
        let fractionals = rrd_clib::cast::int(
            (step * f64::from(grid.label_factor) * vf / r.magfact)
                .log10()
                .floor(),
        );
        let si = if r.symbol != ' ' { " %c" } else { "" };
        grid.alt_format = if fractionals < 0 {
            let len = decimals.saturating_sub(fractionals).saturating_add(1);
            format!("%{len}.{}f{si}", fractionals.saturating_neg())
        } else {
            format!("%{}.0f{si}", decimals.saturating_add(1))
        };
    } else {
        let mut pixel: i64 = 1;
        let mut index = 0;
        for (i, (step, _)) in YLAB.iter().enumerate() {
            pixel = (ysize as f64 / (scaled_range / step)) as i32 as i64;
            index = i;
            if pixel >= 5 {
                break;
            }
        }
        let (step, factors) = YLAB[index];
        if let Some(f) = factors
            .iter()
            .find(|&&f| (pixel * i64::from(f)) as f64 >= 1.8 * axis)
        {
            grid.label_factor = *f;
        }
        grid.step = step * r.magfact;
    }
    Some(grid)
}

/// The horizontal grid and value labels of a graph, as rrdtool draws them
/// (`draw_horizontal_grid`, or `horizontal_log_grid` on a logarithmic
/// axis). Empty for `-y none`. `tz` is rrdtool's local time zone, which
/// only matters to `%s` in a timestamp label format (glibc converts the UTC
/// fields back with `mktime`, in local time).
///
/// # Errors
///
/// [`Error::Unsupported`] where rrdtool's behaviour is undefined or absurd:
/// a range that is not finite (or not positive on a logarithmic axis), a
/// grid step that is not a number (an inverted range after rrdtool's
/// repairs), grid line numbers beyond C's `int`, more than a million grid
/// lines, a label factor below 1, a timestamp label of NaN, 2^63 or a year
/// beyond C's `int`, `%s` in a timestamp label outside the years
/// -9999..=9999, or an axis format precision above 1000.
/// [`Error::Refused`] for an axis format [`check_axis_format`] rejects.
pub fn y_grid(
    range: &ValueRange,
    opts: &AxisOptions,
    area: &GraphArea,
    tz: &TimeZone,
) -> Result<YGrid> {
    if opts.y_grid == YGridOption::None {
        return Ok(YGrid::default());
    }
    if !(range.min.is_finite() && range.max.is_finite()) {
        return Err(Error::unsupported("a value axis with an infinite limit"));
    }
    for (format, formatter) in [
        (&opts.left_axis_format, opts.left_axis_formatter),
        (&opts.right_axis_format, opts.right_axis_formatter),
    ] {
        if let Some(f) = format.as_deref().filter(|f| !f.is_empty()) {
            if formatter == ValueFormatter::Numeric {
                check_axis_format(f)?;
            }
        }
    }
    if range.logarithmic {
        log_grid(range, opts, area)
    } else {
        linear_grid(range, opts, area, tz)
    }
}

pub(super) fn linear_grid(
    r: &ValueRange,
    opts: &AxisOptions,
    area: &GraphArea,
    tz: &TimeZone,
) -> Result<YGrid> {
    let grid = calc_horizontal_grid(r, opts, area.height)
        .ok_or_else(|| Error::unsupported("a value axis whose scaled range is not a number"))?;
    if grid.label_factor < 1 {
        return Err(Error::unsupported("a y-grid label factor below 1"));
    }
    let step = grid.step;
    let first = r.min / step - 1.0;
    let last = r.max / step + 1.0;
    // rrdtool converts these to int: NaN and values beyond int are undefined
    if !(first.is_finite() && last.is_finite()) {
        return Err(Error::unsupported(
            "a y grid whose step is not a number (an inverted or infinite range)",
        ));
    }
    let int_range = f64::from(i32::MIN)..=f64::from(i32::MAX);
    if !int_range.contains(&first) || !int_range.contains(&last) {
        return Err(Error::unsupported(
            "a y grid with line numbers beyond C's int",
        ));
    }
    if last - first > MAX_LINES as f64 {
        return Err(Error::unsupported("a y grid of more than a million lines"));
    }
    let (sgrid, egrid) = (first as i32, last as i32);
    let scaled_step = step / r.magfact * f64::from(r.viewfactor);
    let max_y = scaled_step * f64::from(egrid);
    let top = (area.yorigin - area.height) as f64;
    let bottom = area.yorigin as f64;
    let mut out = YGrid::default();
    let mut right_scale: Option<(f64, &str)> = None;
    for i in sgrid..=egrid {
        let value = step * f64::from(i);
        let y0 = value_to_y(value, r, area);
        let yn = value_to_y(step * (f64::from(i) + 1.0), r, area);
        let y_round = (y0 + 0.5).floor();
        if !(y_round >= top && y_round <= bottom) {
            continue;
        }
        // at least two labels: with one so far, the last visible line gets one
        let forced = out.labels.len() == 1 && (yn < top || yn > bottom);
        if i % grid.label_factor != 0 && !forced {
            if !opts.no_minor {
                out.lines.push(GridLine {
                    value,
                    y: y0,
                    major: false,
                });
            }
            continue;
        }
        let scaled = scaled_step * f64::from(i);
        let text = match opts.left_axis_formatter {
            ValueFormatter::Numeric => {
                let user = opts.left_axis_format.as_deref().filter(|f| !f.is_empty());
                let sisym = if i == 0 { ' ' } else { r.symbol };
                let args = [CArg::F(scaled), CArg::C(sisym)];
                let args = if r.symbol == ' ' {
                    &args[..1]
                } else {
                    &args[..]
                };
                let fmt = match user {
                    Some(f) => f,
                    None if opts.alt_y_grid => grid.alt_format.as_str(),
                    None => match (max_y < 10.0, r.symbol == ' ') {
                        (true, true) => "%4.1f",
                        (false, true) => "%4.0f",
                        (true, false) => "%4.1f %c",
                        (false, false) => "%4.0f %c",
                    },
                };
                c_sprintf(fmt, args)?
            }
            ValueFormatter::Timestamp => {
                timestamp_label(value, opts.left_axis_format.as_deref(), tz)?
            }
            ValueFormatter::Duration => {
                duration_label(value, opts.left_axis_format.as_deref(), &mut out.error)
            }
        };
        out.labels.push((value, text));
        if let Some(ra) = opts.right_axis {
            let sval = step * f64::from(i) * ra.scale + ra.shift;
            let text = match opts.right_axis_formatter {
                ValueFormatter::Numeric => {
                    match opts.right_axis_format.as_deref().filter(|f| !f.is_empty()) {
                        Some(f) => c_sprintf(f, &[CArg::F(sval), CArg::S("")])?,
                        None => {
                            let (mag, symbol) = *right_scale.get_or_insert_with(|| {
                                let sum = i64::from(sgrid) + i64::from(egrid);
                                let mid = step * sum as f64 / 2.0 * ra.scale + ra.shift;
                                auto_scale(mid, opts.base)
                            });
                            let fmt = if max_y < 10.0 { "%5.1f %s" } else { "%5.0f %s" };
                            c_sprintf(fmt, &[CArg::F(sval / mag), CArg::S(symbol)])?
                        }
                    }
                }
                ValueFormatter::Timestamp => {
                    timestamp_label(sval, opts.right_axis_format.as_deref(), tz)?
                }
                ValueFormatter::Duration => {
                    duration_label(sval, opts.right_axis_format.as_deref(), &mut out.error)
                }
            };
            out.right_labels.push((value, text));
        }
        out.lines.push(GridLine {
            value,
            y: y0,
            major: true,
        });
    }
    Ok(out)
}

/// A `--…-axis-formatter timestamp` label: the value as seconds since the
/// epoch, truncated, in UTC (`gmtime`), through strftime.
pub(super) fn timestamp_label(value: f64, format: Option<&str>, tz: &TimeZone) -> Result<String> {
    // rrdtool's range check lets NaN and 2^63 through to an undefined cast
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if value.is_nan() || value == TWO_63 {
        return Err(Error::unsupported("a timestamp label of NaN or 2^63"));
    }
    if !(-TWO_63..TWO_63).contains(&value) {
        return c_sprintf("%f", &[CArg::F(value)]);
    }
    let tm = ct::gmtime(value as i64)
        .ok_or_else(|| Error::unsupported("a timestamp label whose year does not fit C's int"))?;
    let fmt = format
        .filter(|f| !f.is_empty())
        .unwrap_or("%Y-%m-%d %H:%M:%S");
    Ok(strftime(fmt, &tm, tz, LABEL_MAX + 1)?.unwrap_or_default())
}

/// `strfduration` as the axis calls it: a label buffer, NaN signs from the
/// bit, any width (padding past the cut capped).
pub(super) const AXIS_DURATION: crate::duration::DurationCfg = crate::duration::DurationCfg {
    nan: printf::NanSign::FromBit,
    max_len: LABEL_MAX,
    limit: None,
};

/// A `--…-axis-formatter duration` label (the value in milliseconds); a bad
/// format leaves the label empty and rrdtool's error in `error`.
pub(super) fn duration_label(
    value: f64,
    format: Option<&str>,
    error: &mut Option<String>,
) -> String {
    let fmt = format.filter(|f| !f.is_empty()).unwrap_or("%H:%02m:%02s");
    crate::duration::strfduration(fmt, value, &AXIS_DURATION).unwrap_or_else(|_| {
        *error = Some("Wrong duration format".to_string());
        String::new()
    })
}

/// rrdtool's `auto_scale` (used by the right axis): the magnitude of a value
/// in powers of the base and its SI prefix (atto to exa).
pub(super) fn auto_scale(value: f64, base: u32) -> (f64, &'static str) {
    const SYMBOLS: [&str; 13] = [
        "a", "f", "p", "n", "u", "m", " ", "k", "M", "G", "T", "P", "E",
    ];
    let (index, mag) = if value == 0.0 || value.is_nan() {
        (0, 1.0)
    } else {
        let base = f64::from(base);
        let index = rrd_clib::cast::int((value.abs().ln() / base.ln()).floor());
        (index, base.powf(f64::from(index)))
    };
    let symbol = if (-6..=6).contains(&index) {
        SYMBOLS[(index + 6) as usize]
    } else {
        "?"
    };
    (mag, symbol)
}

/// `yloglab`: the mantissas of the major lines of each log grid density.
pub(super) const YLOGLAB: [&[f64]; 5] = [
    &[1.0, 10.0],
    &[1.0, 5.0, 10.0],
    &[1.0, 2.0, 5.0, 7.0, 10.0],
    &[1.0, 2.0, 4.0, 6.0, 8.0, 10.0],
    &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
];

/// rrdtool's `frexp10`: mantissa in [1, 10) and decimal exponent.
pub(super) fn frexp10(x: f64) -> (f64, f64) {
    let mut e = rrd_clib::cast::int((x.abs().ln() / 10f64.ln()).floor());
    let mut m = x / 10f64.powf(f64::from(e));
    if m >= 10.0 {
        e += 1;
        m = x / 10f64.powf(f64::from(e));
    }
    (m, f64::from(e))
}

pub(super) fn log_grid(r: &ValueRange, opts: &AxisOptions, area: &GraphArea) -> Result<YGrid> {
    if !(r.min > 0.0 && r.max > r.min) {
        return Err(Error::unsupported(
            "a logarithmic axis over a range that is not positive",
        ));
    }
    let legend = opts.legend_font_size;
    let top = (area.yorigin - area.height) as f64;
    let nex = (r.max / r.min).log10();
    let logscale = area.height as f64 / nex;
    if !(logscale > 0.0 && logscale.is_finite()) {
        // rrdtool's options never allow it; its spacing loop would not end
        return Err(Error::unsupported("a logarithmic axis without height"));
    }
    let mut exfrac: i32 = 1;
    while logscale * f64::from(exfrac) < 3.0 * legend {
        exfrac = if exfrac == 1 { 3 } else { exfrac + 3 };
    }
    // the densest row whose last interval is still wider than 2·legend; when
    // even the densest qualifies, rrdtool walks into its zero sentinel row
    // and steps back to it
    let mut mid = 0;
    while mid < YLOGLAB.len() {
        let row = YLOGLAB[mid];
        let last = row[row.len() - 2];
        if logscale * (10.0 / last).log10() > 2.0 * legend {
            mid += 1;
        } else {
            break;
        }
    }
    let mid = mid.saturating_sub(1);
    let row = YLOGLAB[mid];
    let (mantissa, mut exp) = frexp10(r.min);
    let mut flab = 0;
    while row[flab] < 10.0 && mantissa > row[flab] {
        flab += 1;
    }
    if row[flab] == 10.0 {
        exp += 1.0;
        flab = 0;
    }
    let mut val_exp = rrd_clib::cast::int(exp);
    if val_exp % exfrac != 0 {
        // for positive exponents this is not the next multiple (quirk)
        val_exp += (val_exp.wrapping_neg() % exfrac).abs();
    }
    let mut out = YGrid::default();
    let minor_lines = |out: &mut YGrid, flab: usize, val_exp: i32| {
        let mut push = |value: f64| {
            if value < r.min {
                return true;
            }
            let y = value_to_y(value, r, area);
            if (y + 0.5).floor() <= top {
                return false;
            }
            out.lines.push(GridLine {
                value,
                y,
                major: false,
            });
            true
        };
        if mid < 4 && exfrac == 1 {
            let (min_exp, from, to) = if flab == 0 {
                (val_exp - 1, row[row.len() - 2] as i32 + 1, 10)
            } else {
                (val_exp, row[flab - 1] as i32 + 1, row[flab] as i32)
            };
            for k in from..to {
                if !push(f64::from(k) * 10f64.powf(f64::from(min_exp))) {
                    break;
                }
            }
        } else if exfrac > 1 {
            let mut k = val_exp - exfrac / 3 * 2;
            while k < val_exp {
                if !push(10f64.powf(f64::from(k))) {
                    break;
                }
                k += exfrac / 3;
            }
        }
    };
    let mut previous = f64::NAN;
    loop {
        let value = row[flab] * 10f64.powf(f64::from(val_exp));
        if almost_equal(value, previous) {
            break;
        }
        previous = value;
        let y = value_to_y(value, r, area);
        if (y + 0.5).floor() <= top {
            break;
        }
        out.lines.push(GridLine {
            value,
            y,
            major: true,
        });
        let text = if opts.units_si {
            let scale = rrd_clib::cast::int((f64::from(val_exp) / 3.0).floor());
            let mut pvalue = if value >= 1.0 {
                10f64.powf(f64::from(val_exp % 3))
            } else {
                10f64.powf(f64::from((val_exp + 1) % 3 + 2))
            };
            pvalue *= row[flab];
            let symbol = usize::try_from(scale + SI_CENTER)
                .ok()
                .and_then(|i| SI_SYMBOLS.get(i).copied())
                .unwrap_or('?');
            c_sprintf("%3.0f %c", &[CArg::F(pvalue), CArg::C(symbol)])?
        } else {
            c_sprintf("%3.0e", &[CArg::F(value)])?
        };
        out.labels.push((value, text));
        if let Some(ra) = opts.right_axis {
            let sval = value * ra.scale + ra.shift;
            let text = match opts.right_axis_format.as_deref().filter(|f| !f.is_empty()) {
                Some(f) => c_sprintf(f, &[CArg::F(sval), CArg::S("")])?,
                None if opts.units_si => {
                    let (mag, symbol) = auto_scale(sval, opts.base);
                    c_sprintf("%4.0f %s", &[CArg::F(sval / mag), CArg::S(symbol)])?
                }
                None => c_sprintf("%3.0e", &[CArg::F(sval)])?,
            };
            out.right_labels.push((value, text));
        }
        minor_lines(&mut out, flab, val_exp);
        flab += 1;
        if row[flab] == 10.0 {
            flab = 0;
            val_exp += exfrac;
        }
    }
    minor_lines(&mut out, flab, val_exp);
    Ok(out)
}

// ---------------------------------------------------------------------------
// printf, as glibc does it, for the conversions axis labels use

/// `snprintf(buf, 100, fmt, args...)` as the axis code calls it: NaN signs
/// from the bit, unknown conversions print nothing, precisions up to 1000.
///
/// # Errors
///
/// [`Error::Unsupported`] for a precision above 1000 (the label is cut to
/// 99 bytes long before any digit that depends on it).
pub(super) fn c_sprintf(fmt: &str, args: &[CArg<'_>]) -> Result<String> {
    const AXIS: printf::Sprintf = printf::Sprintf {
        nan: printf::NanSign::FromBit,
        max_len: Some(LABEL_MAX),
        max_width: usize::MAX,
        max_precision: 1000,
        unknown: printf::Unknown::Skip,
    };
    printf::sprintf(fmt, args, &AXIS)
        .map_err(|_| Error::unsupported("an axis format precision above 1000"))
}
