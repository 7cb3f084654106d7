//! The axes of a graph as rrdtool 1.7.2 computes them: the value range, the
//! horizontal (value) grid with its labels, and the vertical (time) grid with
//! its labels. Pure functions of the options, the data range, the canvas
//! size and a time zone; nothing here draws or measures text.
//!
//! * [`value_range`]: the `data_proc` tail, `si_unit` and `expand_range`:
//!   the limits graphv prints as `value_min`/`value_max` and the SI
//!   magnitude of the labels ([`ValueRange`]).
//! * [`y_grid`]: `calc_horizontal_grid` with `draw_horizontal_grid`, or
//!   `horizontal_log_grid` for `-o`: grid lines and left/right label texts
//!   ([`YGrid`]).
//! * [`time_grid`]: `vertical_grid` over the x-label table
//!   ([`X_LABEL_TABLE`]) or a `-x` specification: minor and major grid times
//!   and the label times and texts ([`TimeGrid`]).
//! * [`value_to_y`] and [`time_to_x`]: rrdtool's `ytr` and `xtr`.
//! * Option parsers with rrdtool's error texts ([`parse_y_grid`],
//!   [`parse_x_grid`], [`parse_right_axis`], …) and
//!   [`AxisOptions::validate`] for the checks rrdtool makes after parsing.
//!
//! Labels are formatted as glibc formats them in the C locale, with
//! [`rrd_clib::printf`] for the one floating-point conversion an axis format
//! may hold and [`rrd_clib::time`]'s strftime (jiff's `strtime` differs from
//! glibc in flags, widths, `%c`, `%x`, `%X`, `%r`, `%C`, the `E`/`O`
//! modifiers and unknown conversions, which glibc copies through). Calendar
//! arithmetic for the time grid is glibc's `mktime`, which keeps the
//! daylight-saving flag of the time it started from, so grids across a DST
//! change land where rrdtool puts them; times are limited to jiff's years
//! -9999..=9999.
//!
//! Where rrdtool's behaviour is undefined (it crashes, loops forever or
//! reads uninitialised memory) these functions return
//! [`Error::Unsupported`] naming the case.

use jiff::tz::TimeZone;

use crate::error::{Error, Result};
use rrd_clib::printf::{self, Arg as CArg};
use rrd_clib::strtol;
use rrd_clib::time::{self as ct, Domain, Guess, Tm};

/// Label buffers in rrdtool are `char[100]`: at most 99 bytes of text.
const LABEL_MAX: usize = 99;

/// More grid lines than this in one direction is refused: rrdtool would
/// spend minutes drawing them (or loop for ever on a stuck time step).
const MAX_LINES: usize = 1_000_000;

/// How `--left-axis-formatter`/`--right-axis-formatter` turn a value into a
/// label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueFormatter {
    /// printf-style numbers (the default).
    #[default]
    Numeric,
    /// The value as seconds since the epoch, formatted with strftime in UTC.
    Timestamp,
    /// The value as milliseconds, formatted as a duration (`%H:%02m:%02s`).
    Duration,
}

/// `-y/--y-grid`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum YGridOption {
    /// rrdtool chooses the grid.
    #[default]
    Auto,
    /// `-y none`: no horizontal grid and no value labels.
    None,
    /// `-y STEP:FACTOR`: a line every `step`, a label every `label_factor`
    /// lines.
    Step {
        /// Grid step in data units (not scaled by the SI magnitude).
        step: f64,
        /// Lines per label, at least 1.
        label_factor: i32,
    },
}

/// `-x/--x-grid`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum XGridOption {
    /// rrdtool picks a row of [`X_LABEL_TABLE`] from the seconds per pixel.
    #[default]
    Auto,
    /// `-x none`: no vertical grid and no time labels.
    None,
    /// `-x GTM:GST:MTM:MST:LTM:LST:LPR:LFM`.
    Custom(TimeGridSpec),
}

/// `--right-axis SCALE:SHIFT`: right value = left value · scale + shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RightAxis {
    /// Never 0 (0 disables the axis in rrdtool).
    pub scale: f64,
    /// Added after scaling.
    pub shift: f64,
}

/// The graph options that shape the axes, with rrdtool's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisOptions {
    /// `-u/--upper-limit`.
    pub upper_limit: Option<f64>,
    /// `-l/--lower-limit`.
    pub lower_limit: Option<f64>,
    /// `-r/--rigid`: the limits are used as given.
    pub rigid: bool,
    /// `--allow-shrink` (with `-r`): data inside the limits shrink them.
    pub allow_shrink: bool,
    /// `-A/--alt-autoscale`.
    pub alt_autoscale: bool,
    /// `-J/--alt-autoscale-min`.
    pub alt_autoscale_min: bool,
    /// `-M/--alt-autoscale-max`.
    pub alt_autoscale_max: bool,
    /// `-o/--logarithmic`.
    pub logarithmic: bool,
    /// `-X/--units-exponent` (parsed with `atoi`).
    pub units_exponent: Option<i32>,
    /// `-L/--units-length` (parsed with `atoi`): the left label column in
    /// characters; giving it keeps the column even with `-y none`.
    pub units_length: Option<i32>,
    /// `--units=si`: SI symbols instead of exponents on logarithmic labels.
    pub units_si: bool,
    /// `-b/--base`: 1000 or 1024.
    pub base: u32,
    /// `-y/--y-grid`.
    pub y_grid: YGridOption,
    /// `-Y/--alt-y-grid`.
    pub alt_y_grid: bool,
    /// `-I/--no-minor`.
    pub no_minor: bool,
    /// `--left-axis-formatter`.
    pub left_axis_formatter: ValueFormatter,
    /// `--left-axis-format`.
    pub left_axis_format: Option<String>,
    /// `--right-axis`.
    pub right_axis: Option<RightAxis>,
    /// `--right-axis-formatter`.
    pub right_axis_formatter: ValueFormatter,
    /// `--right-axis-format`.
    pub right_axis_format: Option<String>,
    /// `-x/--x-grid`.
    pub x_grid: XGridOption,
    /// `--week-fmt` (see [`week_format`]); the label format of the weekly
    /// row of [`X_LABEL_TABLE`].
    pub week_format: String,
    /// First day of a week for weekly grids: 0 = Sunday (the C locale, as
    /// rrdtool runs in `C`/`C.UTF-8`), 1 = Monday (e.g. `de_DE`).
    pub first_weekday: u8,
    /// Font size of the AXIS text (7.0; changed by `-n AXIS:…`), which
    /// rrdtool compares with pixel distances when spacing labels.
    pub axis_font_size: f64,
    /// Font size of the LEGEND text (8.0), which spaces logarithmic labels.
    pub legend_font_size: f64,
}

impl Default for AxisOptions {
    fn default() -> Self {
        AxisOptions {
            upper_limit: None,
            lower_limit: None,
            rigid: false,
            allow_shrink: false,
            alt_autoscale: false,
            alt_autoscale_min: false,
            alt_autoscale_max: false,
            logarithmic: false,
            units_exponent: None,
            units_length: None,
            units_si: false,
            base: 1000,
            y_grid: YGridOption::Auto,
            alt_y_grid: false,
            no_minor: false,
            left_axis_formatter: ValueFormatter::Numeric,
            left_axis_format: None,
            right_axis: None,
            right_axis_formatter: ValueFormatter::Numeric,
            right_axis_format: None,
            x_grid: XGridOption::Auto,
            week_format: DEFAULT_WEEK_FORMAT.to_string(),
            first_weekday: 0,
            axis_font_size: 7.0,
            legend_font_size: 8.0,
        }
    }
}

/// The weekly label format rrdtool starts with.
pub const DEFAULT_WEEK_FORMAT: &str = "Week %V";

/// The pattern `--left-axis-format` and `--right-axis-format` must match
/// (for the numeric formatter), as rrdtool prints it in its error.
pub const AXIS_FORMAT_PATTERN: &str =
    "^(?:[^%]+|%%)*%[-+ 0#]?[0-9]*(?:[.][0-9]+)?l[eEfFgG](?:[^%]+|%%)*$";

impl AxisOptions {
    /// The checks rrdtool makes once all options are parsed, in its order:
    /// the left and right axis formats against [`AXIS_FORMAT_PATTERN`]
    /// (numeric formatter only), then a logarithmic axis' lower limit.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with rrdtool's message.
    pub fn validate(&self) -> Result<()> {
        for (format, formatter) in [
            (&self.left_axis_format, self.left_axis_formatter),
            (&self.right_axis_format, self.right_axis_formatter),
        ] {
            if let Some(f) = format.as_deref().filter(|f| !f.is_empty()) {
                if formatter == ValueFormatter::Numeric {
                    check_axis_format(f)?;
                }
            }
        }
        if self.logarithmic && self.lower_limit.is_some_and(|l| l <= 0.0) {
            return Err(Error::refused(
                "for a logarithmic yaxis you must specify a lower-limit > 0",
            ));
        }
        Ok(())
    }

    /// `--units ARG`: only `si` is known, and only once.
    ///
    /// # Errors
    ///
    /// rrdtool's messages for a second `--units` and for other arguments.
    pub fn set_units(&mut self, arg: &str) -> Result<()> {
        if self.units_si {
            return Err(Error::refused("--units can only be used once!"));
        }
        if arg != "si" {
            return Err(Error::refused(format!(
                "invalid argument for --units: {arg}"
            )));
        }
        self.units_si = true;
        Ok(())
    }

    /// The width of the left label column in characters (`-L`, default
    /// 6), or `None` when there is no column (`-y none` without `-L`).
    /// rrdtool makes it `width("0") · chars` pixels wide, plus spacing.
    #[cfg(test)]
    pub fn y_label_chars(&self) -> Option<i32> {
        if self.y_grid != YGridOption::None || self.units_length.is_some() {
            Some(self.units_length.unwrap_or(6))
        } else {
            None
        }
    }
}

/// A number option (`-u`, `-l`, `-T`, `-m`) in rrdtool's syntax (`rrd_strtodbl`).
///
/// # Errors
///
/// rrdtool's message, e.g. `option -u - Cannot convert 'x' to float`.
pub fn option_float(arg: &str, option: char) -> Result<f64> {
    rrd_clib::strtod::strtodbl(arg, Some(&format!("option -{option}"))).map_err(Error::refused)
}

/// `-b/--base`: parsed with `atol`; only 1000 and 1024 are accepted.
///
/// # Errors
///
/// `the only sensible value for base apart from 1000 is 1024`.
pub fn parse_base(arg: &str) -> Result<u32> {
    match strtol::atol(arg) {
        1000 => Ok(1000),
        1024 => Ok(1024),
        _ => Err(Error::refused(
            "the only sensible value for base apart from 1000 is 1024",
        )),
    }
}

/// Which axis a formatter or format belongs to (for error texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisSide {
    /// The left (primary) axis.
    Left,
    /// The right (second) axis.
    Right,
}

/// `--left-axis-formatter`/`--right-axis-formatter`.
///
/// # Errors
///
/// `Unknown left axis formatter` / `Unknown right axis formatter`.
pub fn parse_value_formatter(arg: &str, side: AxisSide) -> Result<ValueFormatter> {
    match arg {
        "numeric" => Ok(ValueFormatter::Numeric),
        "timestamp" => Ok(ValueFormatter::Timestamp),
        "duration" => Ok(ValueFormatter::Duration),
        _ => Err(Error::refused(match side {
            AxisSide::Left => "Unknown left axis formatter",
            AxisSide::Right => "Unknown right axis formatter",
        })),
    }
}

/// `--week-fmt`: rrdtool keeps it in a 128-byte buffer, so at most 127
/// bytes survive (cut back to a character boundary here).
pub fn week_format(arg: &str) -> String {
    truncate_bytes(arg, 127).to_string()
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `%<max>[0-9.e+-]` of sscanf: the length of the run (0..=max).
fn scan_number_chars(s: &[u8], max: usize) -> usize {
    s.iter()
        .take(max)
        .take_while(|&&c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
        .count()
}

/// `-y/--y-grid`: `none`, or `STEP:FACTOR` as rrdtool scans it
/// (`%40[0-9.e+-]:%d`, trailing text ignored).
///
/// # Errors
///
/// `invalid y-grid format`, rrdtool's number errors (`option -y - …`),
/// `grid step must be > 0`, `label factor must be > 0`.
pub fn parse_y_grid(arg: &str) -> Result<YGridOption> {
    if arg == "none" {
        return Ok(YGridOption::None);
    }
    let b = arg.as_bytes();
    let invalid = || Error::refused("invalid y-grid format");
    let n = scan_number_chars(b, 40);
    if n == 0 || b.get(n) != Some(&b':') {
        return Err(invalid());
    }
    let Some((label_factor, _)) = strtol::sscanf_d(&b[n + 1..]) else {
        return Err(invalid());
    };
    let step = rrd_clib::strtod::strtodbl(&arg[..n], Some("option -y")).map_err(Error::refused)?;
    if step <= 0.0 {
        return Err(Error::refused("grid step must be > 0"));
    }
    if label_factor < 1 {
        return Err(Error::refused("label factor must be > 0"));
    }
    Ok(YGridOption::Step { step, label_factor })
}

/// `--right-axis SCALE:SHIFT` (`%40[0-9.e+-]:%40[0-9.e+-]`, trailing text
/// ignored).
///
/// # Errors
///
/// `invalid right-axis format expected scale:shift`,
/// `the second_axis_scale  must not be 0` (two spaces, as rrdtool has it).
pub fn parse_right_axis(arg: &str) -> Result<RightAxis> {
    let b = arg.as_bytes();
    let invalid = || Error::refused("invalid right-axis format expected scale:shift");
    let n1 = scan_number_chars(b, 40);
    if n1 == 0 || b.get(n1) != Some(&b':') {
        return Err(invalid());
    }
    let n2 = scan_number_chars(&b[n1 + 1..], 40);
    if n2 == 0 {
        return Err(invalid());
    }
    let scale = rrd_clib::strtod::strtodbl(&arg[..n1], None).map_err(|_| invalid())?;
    let shift =
        rrd_clib::strtod::strtodbl(&arg[n1 + 1..n1 + 1 + n2], None).map_err(|_| invalid())?;
    if scale == 0.0 {
        return Err(Error::refused("the second_axis_scale  must not be 0"));
    }
    Ok(RightAxis { scale, shift })
}

/// Checks an axis format against [`AXIS_FORMAT_PATTERN`]: literal text,
/// `%%`, and exactly one `l`-modified floating-point conversion.
///
/// # Errors
///
/// `invalid format string '<fmt>' (should match '<pattern>')`.
pub fn check_axis_format(fmt: &str) -> Result<()> {
    if matches_axis_format(fmt) && crate::print::is_utf8(fmt) {
        Ok(())
    } else {
        Err(Error::refused(format!(
            "invalid format string '{fmt}' (should match '{AXIS_FORMAT_PATTERN}')"
        )))
    }
}

/// Whether `fmt` matches [`AXIS_FORMAT_PATTERN`]. The match is
/// deterministic: `%%` can never start the conversion, so literal `%%`
/// pairs are taken greedily.
fn matches_axis_format(fmt: &str) -> bool {
    let b = fmt.as_bytes();
    let literal_run = |mut p: usize| -> usize {
        while p < b.len() {
            match (b[p], b.get(p + 1)) {
                (b'%', Some(b'%')) => p += 2,
                (b'%', _) => break,
                _ => p += 1,
            }
        }
        p
    };
    let start = literal_run(0);
    if start >= b.len() {
        return false;
    }
    let mut p = start + 1;
    if matches!(b.get(p), Some(b'-' | b'+' | b' ' | b'0' | b'#')) {
        p += 1;
    }
    while b.get(p).is_some_and(u8::is_ascii_digit) {
        p += 1;
    }
    if b.get(p) == Some(&b'.') {
        p += 1;
        let d = p;
        while b.get(p).is_some_and(u8::is_ascii_digit) {
            p += 1;
        }
        if p == d {
            return false;
        }
    }
    b.get(p) == Some(&b'l')
        && matches!(b.get(p + 1), Some(b'e' | b'E' | b'f' | b'F' | b'g' | b'G'))
        && literal_run(p + 2) == b.len()
}

// ---------------------------------------------------------------------------
// Value range

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
const SI_SYMBOLS: [char; 17] = [
    'y', 'z', 'a', 'f', 'p', 'n', 'u', 'm', ' ', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y',
];
const SI_CENTER: i32 = 8;

/// expand_range's "sensible values", ending in its 0 and -1 sentinels.
const SENSIBLE_VALUES: [f64; 48] = [
    1000.0, 900.0, 800.0, 750.0, 700.0, 600.0, 500.0, 400.0, 300.0, 250.0, 200.0, 125.0, 100.0,
    90.0, 80.0, 75.0, 70.0, 60.0, 50.0, 40.0, 30.0, 25.0, 20.0, 10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0,
    3.5, 3.0, 2.5, 2.0, 1.8, 1.5, 1.2, 1.0, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, -1.0,
];

/// rrdtool's `max()` macro.
fn c_max(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// C's conversion of a double to `int` where rrdtool assigns one; values
/// outside the range are undefined in C and saturate here.
fn c_int(v: f64) -> i32 {
    v as i32
}

/// rrdtool's `AlmostEqual2sComplement(a, b, 4)`: both rounded to `float`
/// and compared as sign-magnitude integers within 4 units in the last place.
fn almost_equal(a: f64, b: f64) -> bool {
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

fn si_unit(r: &mut ValueRange, opts: &AxisOptions) {
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

fn expand_range(r: &mut ValueRange, opts: &AxisOptions) {
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

// ---------------------------------------------------------------------------
// Horizontal grid

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
const YLAB: [(f64, [i32; 4]); 12] = [
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
struct LinearGrid {
    step: f64,
    label_factor: i32,
    /// The `-Y` label format; empty when `-y` gave the step (rrdtool never
    /// builds it then, and prints empty labels).
    alt_format: String,
}

fn calc_horizontal_grid(r: &ValueRange, opts: &AxisOptions, ysize: i64) -> Option<LinearGrid> {
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
        let mut decimals = c_int(
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
        let fractionals = c_int(
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

fn linear_grid(
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
fn timestamp_label(value: f64, format: Option<&str>, tz: &TimeZone) -> Result<String> {
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

/// A `--…-axis-formatter duration` label (the value in milliseconds); a bad
/// format leaves the label empty and rrdtool's error in `error`.
fn duration_label(value: f64, format: Option<&str>, error: &mut Option<String>) -> String {
    let fmt = format.filter(|f| !f.is_empty()).unwrap_or("%H:%02m:%02s");
    strfduration(fmt, value).unwrap_or_else(|| {
        *error = Some("Wrong duration format".to_string());
        String::new()
    })
}

/// rrdtool's `auto_scale` (used by the right axis): the magnitude of a value
/// in powers of the base and its SI prefix (atto to exa).
fn auto_scale(value: f64, base: u32) -> (f64, &'static str) {
    const SYMBOLS: [&str; 13] = [
        "a", "f", "p", "n", "u", "m", " ", "k", "M", "G", "T", "P", "E",
    ];
    let (index, mag) = if value == 0.0 || value.is_nan() {
        (0, 1.0)
    } else {
        let base = f64::from(base);
        let index = c_int((value.abs().ln() / base.ln()).floor());
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
const YLOGLAB: [&[f64]; 5] = [
    &[1.0, 10.0],
    &[1.0, 5.0, 10.0],
    &[1.0, 2.0, 5.0, 7.0, 10.0],
    &[1.0, 2.0, 4.0, 6.0, 8.0, 10.0],
    &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
];

/// rrdtool's `frexp10`: mantissa in [1, 10) and decimal exponent.
fn frexp10(x: f64) -> (f64, f64) {
    let mut e = c_int((x.abs().ln() / 10f64.ln()).floor());
    let mut m = x / 10f64.powf(f64::from(e));
    if m >= 10.0 {
        e += 1;
        m = x / 10f64.powf(f64::from(e));
    }
    (m, f64::from(e))
}

fn log_grid(r: &ValueRange, opts: &AxisOptions, area: &GraphArea) -> Result<YGrid> {
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
    let mut val_exp = c_int(exp);
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
            let scale = c_int((f64::from(val_exp) / 3.0).floor());
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

/// rrdtool's `strfduration`: `value` milliseconds formatted by `fmt` with
/// `%[0][width][.precision]` followed by `W d D h H m M s S f` or `%`;
/// numbers are truncated, not rounded. `None` for a bad conversion
/// ("Wrong duration format"); the result is cut to 99 bytes.
fn strfduration(fmt: &str, duration: f64) -> Option<String> {
    let seconds = duration.abs() / 1000.0;
    let minutes = seconds / 60.0;
    let hours = minutes / 60.0;
    let days = hours / 24.0;
    let weeks = days / 7.0;
    let mut out = String::new();
    if duration < 0.0 {
        out.push('-');
    }
    let f = fmt.as_bytes();
    let mut p = 0;
    let mut literal_start = 0;
    while p < f.len() {
        if f[p] != b'%' {
            p += 1;
            continue;
        }
        out.push_str(&fmt[literal_start..p]);
        p += 1;
        let zero_pad = f.get(p) == Some(&b'0');
        if zero_pad {
            p += 1;
        }
        let mut width = 0;
        if f.get(p).is_some_and(u8::is_ascii_digit) {
            let r = strtol::strtol(&f[p..], 10);
            let (w, used) = (r.value, r.end);
            width = w.max(0) as usize;
            p += used;
        }
        let mut precision = 0;
        if f.get(p) == Some(&b'.') {
            p += 1;
            let r = strtol::strtol(&f[p..], 10);
            let (v, used) = (r.value, r.end);
            if used > 0 {
                if v < 0 {
                    return None;
                }
                // beyond 308 pow(10, p) is infinite and the value NaN either way
                precision = v.min(400) as i32;
                p += used;
            }
        }
        let value = match f.get(p) {
            Some(b'%') => {
                out.push('%');
                p += 1;
                literal_start = p;
                continue;
            }
            Some(b'W') => weeks,
            Some(b'd') => days - weeks.trunc() * 7.0,
            Some(b'D') => days,
            Some(b'h') => hours - days.trunc() * 24.0,
            Some(b'H') => hours,
            Some(b'm') => minutes - hours.trunc() * 60.0,
            Some(b'M') => minutes,
            Some(b's') => seconds - minutes.trunc() * 60.0,
            Some(b'S') => seconds,
            Some(b'f') => duration.abs() - seconds.trunc() * 1000.0,
            _ => return None,
        };
        let scale = 10f64.powf(f64::from(precision));
        let truncated = (value * scale).trunc() / scale;
        let spec = printf::Spec {
            zero: zero_pad,
            width,
            ..printf::Spec::f(precision as usize)
        };
        out.push_str(&printf::format_capped(
            &spec,
            truncated,
            printf::NanSign::FromBit,
            LABEL_MAX + 1,
        ));
        p += 1;
        literal_start = p;
    }
    out.push_str(&fmt[literal_start..]);
    Some(truncate_bytes(&out, LABEL_MAX).to_string())
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
fn c_sprintf(fmt: &str, args: &[CArg<'_>]) -> Result<String> {
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

// ---------------------------------------------------------------------------
// Time grid

/// A calendar unit of the time grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// `SECOND`.
    Second,
    /// `MINUTE`.
    Minute,
    /// `HOUR`.
    Hour,
    /// `DAY`: grids start at local midnight whatever the count.
    Day,
    /// `WEEK`: grids start on the first weekday whatever the count.
    Week,
    /// `MONTH`.
    Month,
    /// `YEAR`.
    Year,
}

impl TimeUnit {
    /// The unit of a `-x` keyword (`SECOND` … `YEAR`).
    pub fn from_keyword(word: &str) -> Option<TimeUnit> {
        Some(match word {
            "SECOND" => TimeUnit::Second,
            "MINUTE" => TimeUnit::Minute,
            "HOUR" => TimeUnit::Hour,
            "DAY" => TimeUnit::Day,
            "WEEK" => TimeUnit::Week,
            "MONTH" => TimeUnit::Month,
            "YEAR" => TimeUnit::Year,
            _ => return None,
        })
    }
}

/// `count` calendar `unit`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeStep {
    /// The unit.
    pub unit: TimeUnit,
    /// How many; rrdtool accepts any `long`, this crate computes grids for
    /// 1..=100000000.
    pub count: i64,
}

/// What a time grid is made of: one row of [`X_LABEL_TABLE`], or `-x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeGridSpec {
    /// Minor grid lines.
    pub minor: TimeStep,
    /// Major grid lines.
    pub major: TimeStep,
    /// Labels.
    pub label: TimeStep,
    /// Seconds a label stands for: labels sit `precision / 2` after the
    /// time they name (the middle of a day, week, month or year).
    pub precision: i64,
    /// strftime format of the labels.
    pub format: String,
}

/// One row of rrdtool's x-label table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct XLabelRow {
    /// The row applies from this many seconds per pixel on.
    pub min_sec_per_px: f64,
    /// If non-zero, graphs shorter than this many seconds prefer the row
    /// before (same `min_sec_per_px`).
    pub length: i64,
    /// Minor grid lines.
    pub minor: TimeStep,
    /// Major grid lines.
    pub major: TimeStep,
    /// Labels.
    pub label: TimeStep,
    /// Label precision in seconds (see [`TimeGridSpec::precision`]).
    pub precision: i64,
    /// strftime format; `None` for the weekly row, which uses `--week-fmt`.
    pub format: Option<&'static str>,
}

const fn row(
    min_sec_per_px: f64,
    length: i64,
    minor: (TimeUnit, i64),
    major: (TimeUnit, i64),
    label: (TimeUnit, i64),
    precision: i64,
    format: Option<&'static str>,
) -> XLabelRow {
    XLabelRow {
        min_sec_per_px,
        length,
        minor: TimeStep {
            unit: minor.0,
            count: minor.1,
        },
        major: TimeStep {
            unit: major.0,
            count: major.1,
        },
        label: TimeStep {
            unit: label.0,
            count: label.1,
        },
        precision,
        format,
    }
}

const DAY: i64 = 86_400;

/// rrdtool 1.7.2's x-label table (`xlab[]` without its sentinel), picked
/// by seconds per pixel.
pub const X_LABEL_TABLE: [XLabelRow; 37] = {
    use TimeUnit::{Day as D, Hour as H, Minute as Mi, Month as Mo, Second as S, Week as W};
    const HMS: Option<&str> = Some("%H:%M:%S");
    const HM: Option<&str> = Some("%H:%M");
    const AHM: Option<&str> = Some("%a %H:%M");
    const MONTH: i64 = 30 * DAY;
    const YEAR: i64 = 365 * DAY;
    [
        row(0.0, 0, (S, 1), (S, 5), (S, 1), 0, HMS),
        row(0.015, 0, (S, 1), (S, 5), (S, 5), 0, HMS),
        row(0.08, 0, (S, 1), (S, 5), (S, 10), 0, HMS),
        row(0.15, 0, (S, 5), (S, 15), (S, 30), 0, HMS),
        row(0.4, 0, (S, 10), (Mi, 1), (Mi, 1), 0, HM),
        row(0.7, 0, (S, 20), (Mi, 1), (Mi, 1), 0, HM),
        row(1.0, 0, (S, 30), (Mi, 1), (Mi, 2), 0, HM),
        row(2.0, 0, (Mi, 1), (Mi, 5), (Mi, 5), 0, HM),
        row(5.0, 0, (Mi, 2), (Mi, 10), (Mi, 10), 0, HM),
        row(10.0, 0, (Mi, 5), (Mi, 20), (Mi, 20), 0, HM),
        row(30.0, 0, (Mi, 10), (Mi, 30), (H, 1), 0, HM),
        row(60.0, 0, (Mi, 30), (H, 1), (H, 2), 0, HM),
        row(60.0, DAY, (Mi, 30), (H, 1), (H, 3), 0, AHM),
        row(140.0, 0, (H, 1), (H, 2), (H, 4), 0, AHM),
        row(180.0, 0, (H, 1), (H, 3), (H, 6), 0, AHM),
        row(300.0, 0, (H, 2), (H, 6), (H, 12), 0, AHM),
        row(600.0, 0, (H, 6), (D, 1), (D, 1), DAY, Some("%a %d %b")),
        row(1200.0, 0, (H, 6), (D, 1), (D, 1), DAY, Some("%d %b")),
        row(1800.0, 0, (H, 12), (D, 1), (D, 2), DAY, Some("%a %d %b")),
        row(2400.0, 0, (H, 12), (D, 1), (D, 2), DAY, Some("%d %b")),
        row(3600.0, 0, (D, 1), (W, 1), (W, 1), 7 * DAY, None),
        row(12000.0, 0, (D, 1), (Mo, 1), (Mo, 1), MONTH, Some("%B %Y")),
        row(18000.0, 0, (D, 2), (Mo, 1), (Mo, 1), MONTH, Some("%B %Y")),
        row(23000.0, 0, (W, 1), (Mo, 1), (Mo, 1), MONTH, Some("%b %Y")),
        row(32000.0, 0, (W, 1), (Mo, 1), (Mo, 1), MONTH, Some("%b '%g")),
        row(42000.0, 0, (W, 1), (Mo, 1), (Mo, 2), MONTH, Some("%B %Y")),
        row(52000.0, 0, (W, 1), (Mo, 1), (Mo, 2), MONTH, Some("%b %Y")),
        row(78000.0, 0, (W, 1), (Mo, 1), (Mo, 2), MONTH, Some("%b '%g")),
        row(84000.0, 0, (W, 2), (Mo, 1), (Mo, 3), MONTH, Some("%B %Y")),
        row(94000.0, 0, (W, 2), (Mo, 1), (Mo, 3), MONTH, Some("%b %Y")),
        row(120000.0, 0, (W, 2), (Mo, 1), (Mo, 3), MONTH, Some("%b '%g")),
        row(130000.0, 0, (Mo, 1), (Mo, 2), (Mo, 4), 0, Some("%Y-%m-%d")),
        row(142000.0, 0, (Mo, 1), (Mo, 3), (Mo, 6), 0, Some("%Y-%m-%d")),
        row(220000.0, 0, (Mo, 1), (Mo, 6), (Mo, 12), 0, Some("%Y-%m-%d")),
        row(400000.0, 0, (Mo, 2), (Mo, 12), (Mo, 12), YEAR, Some("%Y")),
        row(800000.0, 0, (Mo, 4), (Mo, 12), (Mo, 24), YEAR, Some("%Y")),
        row(2000000.0, 0, (Mo, 6), (Mo, 12), (Mo, 24), YEAR, Some("'%g")),
    ]
};

/// The index into [`X_LABEL_TABLE`] rrdtool uses for a graph of `width`
/// pixels from `start` to `end`: the last row whose seconds per pixel do
/// not exceed the graph's, stepping back over rows with the same value while
/// the graph is shorter than the row's `length`.
pub fn select_x_label_row(start: i64, end: i64, width: i64) -> usize {
    let factor = (end - start) as f64 / width as f64;
    let t = &X_LABEL_TABLE;
    let mut sel = 0;
    while sel + 1 < t.len() && t[sel + 1].min_sec_per_px <= factor {
        sel += 1;
    }
    while sel > 0
        && t[sel - 1].min_sec_per_px == t[sel].min_sec_per_px
        && t[sel].length > end - start
    {
        sel -= 1;
    }
    sel
}

impl TimeGridSpec {
    /// Row `index` of [`X_LABEL_TABLE`], with `week_format` for the weekly
    /// row. `None` when `index` is past the table.
    pub fn from_table(index: usize, week_format: &str) -> Option<TimeGridSpec> {
        let r = X_LABEL_TABLE.get(index)?;
        Some(TimeGridSpec {
            minor: r.minor,
            major: r.major,
            label: r.label,
            precision: r.precision,
            format: r.format.unwrap_or(week_format).to_string(),
        })
    }
}

/// `-x/--x-grid`: `none`, or `GTM:GST:MTM:MST:LTM:LST:LPR:LFM` scanned as
/// rrdtool scans it (`%10[A-Z]:%ld:%10[A-Z]:%ld:%10[A-Z]:%ld:%ld:`, the
/// rest of the argument being the label format, colons and all).
///
/// # Errors
///
/// `invalid x-grid format`, `unknown keyword <WORD>`; [`Error::Unsupported`]
/// when the seven fields are there but the `:` before the format is not
/// (rrdtool then reads an uninitialised offset and crashes).
pub fn parse_x_grid(arg: &str) -> Result<XGridOption> {
    if arg == "none" {
        return Ok(XGridOption::None);
    }
    let b = arg.as_bytes();
    let invalid = || Error::refused("invalid x-grid format");
    let mut p = 0;
    let mut words = [""; 3];
    let mut numbers = [0i64; 4];
    for field in 0..7 {
        if field > 0 {
            if b.get(p) != Some(&b':') {
                return Err(invalid());
            }
            p += 1;
        }
        if field % 2 == 0 && field < 6 {
            let n = b[p..]
                .iter()
                .take(10)
                .take_while(|c| c.is_ascii_uppercase())
                .count();
            if n == 0 {
                return Err(invalid());
            }
            words[field / 2] = &arg[p..p + n];
            p += n;
        } else {
            let Some((v, used)) = strtol::sscanf_ld(&b[p..]) else {
                return Err(invalid());
            };
            numbers[field / 2] = v;
            p += used;
        }
    }
    if b.get(p) != Some(&b':') {
        return Err(Error::unsupported(
            "-x without the ':' before the label format (rrdtool 1.7.2 crashes)",
        ));
    }
    let mut units = [TimeUnit::Second; 3];
    for (unit, word) in units.iter_mut().zip(words) {
        *unit = TimeUnit::from_keyword(word)
            .ok_or_else(|| Error::refused(format!("unknown keyword {word}")))?;
    }
    Ok(XGridOption::Custom(TimeGridSpec {
        minor: TimeStep {
            unit: units[0],
            count: numbers[0],
        },
        major: TimeStep {
            unit: units[1],
            count: numbers[1],
        },
        label: TimeStep {
            unit: units[2],
            count: numbers[2],
        },
        precision: numbers[3],
        format: arg[p + 1..].to_string(),
    }))
}

/// The vertical grid and the time labels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeGrid {
    /// Minor grid line times (none with `-I`; never on a major line).
    pub minor: Vec<i64>,
    /// Major grid line times.
    pub major: Vec<i64>,
    /// Label times and texts: drawn centred on [`time_to_x`] of the time,
    /// top-aligned 3 px below the graph.
    pub labels: Vec<(i64, String)>,
}

/// The vertical grid of a graph from `start` to `end`, `width` pixels wide,
/// with calendar arithmetic in `tz` (rrdtool's local time zone), as
/// rrdtool's `vertical_grid` computes it. Empty for `-x none`.
///
/// # Errors
///
/// [`Error::Unsupported`] where rrdtool misbehaves: grid step counts
/// outside 1..=100000000 (rrdtool divides by zero or loops for ever), more
/// than a million lines of one kind, a label longer than 98 bytes (rrdtool
/// prints uninitialised memory), or times outside the years -9999..=9999.
pub fn time_grid(
    start: i64,
    end: i64,
    width: i64,
    opts: &AxisOptions,
    tz: &TimeZone,
) -> Result<TimeGrid> {
    let spec = match &opts.x_grid {
        XGridOption::None => return Ok(TimeGrid::default()),
        XGridOption::Custom(spec) => spec.clone(),
        XGridOption::Auto => {
            TimeGridSpec::from_table(select_x_label_row(start, end, width), &opts.week_format)
                .expect("the selected row is in the table")
        }
    };
    for step in [spec.minor, spec.major, spec.label] {
        if !(1..=100_000_000).contains(&step.count) {
            return Err(Error::unsupported(format!(
                "a time grid step of {} (rrdtool divides by zero or loops)",
                step.count
            )));
        }
    }
    let cal = Calendar {
        tz,
        first_weekday: i32::from(opts.first_weekday),
    };
    let too_many = || Error::unsupported("a time grid of more than a million lines");
    let mut grid = TimeGrid::default();
    if !opts.no_minor {
        let mut ti = cal.first(start, spec.minor)?;
        let mut major = cal.first(start, spec.major)?;
        let mut steps = 0;
        while let Some(t) = ti.filter(|&t| t < end) {
            steps += 1;
            if steps > MAX_LINES {
                return Err(too_many());
            }
            if t >= start {
                while let Some(m) = major.filter(|&m| m < t) {
                    steps += 1;
                    if steps > 2 * MAX_LINES {
                        return Err(too_many());
                    }
                    major = cal.next(m, spec.major)?;
                }
                let Some(m) = major else { break };
                if t != m {
                    grid.minor.push(t);
                }
            }
            ti = cal.next(t, spec.minor)?;
        }
    }
    let mut ti = cal.first(start, spec.major)?;
    let mut steps = 0;
    while let Some(t) = ti.filter(|&t| t < end) {
        steps += 1;
        if steps > MAX_LINES {
            return Err(too_many());
        }
        if t >= start {
            grid.major.push(t);
        }
        ti = cal.next(t, spec.major)?;
    }
    let half = spec.precision / 2;
    let shifted = |t: i64, by: i64| {
        t.checked_add(by)
            .ok_or_else(|| Error::unsupported("a time label precision beyond the time range"))
    };
    let mut ti = cal.first(shifted(start, -half)?, spec.label)?;
    let last = shifted(end, -half)?;
    let mut steps = 0;
    while let Some(t) = ti.filter(|&t| t <= last) {
        steps += 1;
        if steps > MAX_LINES {
            return Err(too_many());
        }
        let at = shifted(t, half)?;
        if (start..=end).contains(&at) {
            let tm = localtime(at, tz).ok_or_else(out_of_range)?;
            let text = strftime(&spec.format, &tm, tz, LABEL_MAX)?
                .ok_or_else(|| Error::unsupported("a time label longer than 98 bytes"))?;
            grid.labels.push((at, text));
        }
        ti = cal.next(t, spec.label)?;
    }
    Ok(grid)
}

fn out_of_range() -> Error {
    Error::unsupported("a time outside the years -9999..=9999")
}

/// `strftime` of `t` as local time in `tz` (rrdtool's data-format time
/// columns); empty where C would print nothing.
pub fn format_local_time(fmt: &str, t: i64, tz: &TimeZone) -> String {
    localtime(t, tz)
        .and_then(|tm| strftime(fmt, &tm, tz, 4096).ok().flatten())
        .unwrap_or_default()
}

/// `localtime_r` in `tz`; `None` outside jiff's years -9999..=9999.
fn localtime(t: i64, tz: &TimeZone) -> Option<Tm> {
    ct::in_jiff_range(t).then(|| ct::localtime(t, tz)).flatten()
}

/// glibc's `mktime` of a `tm` whose `tm_isdst` is set (rrdtool never
/// resets it to -1), from the offset before the local time, which is what
/// glibc has cached while a grid moves forward. `Ok(None)` where glibc
/// returns -1; an error for times outside the years -9999..=9999, which
/// glibc handles and jiff does not.
fn mktime(tm: &Tm, tz: &TimeZone) -> Result<Option<i64>> {
    ct::mktime(tm, tz, Guess::Earlier, Domain::Jiff).map_err(|_| out_of_range())
}

/// `strftime(buf, maxsize, fmt, tm)` in the C locale, with `%s` a
/// [`mktime`] in `tz`; `None` where glibc returns 0 because the text and
/// its NUL do not fit.
///
/// # Errors
///
/// `%s` outside the years -9999..=9999.
fn strftime(fmt: &str, tm: &Tm, tz: &TimeZone, maxsize: usize) -> Result<Option<String>> {
    let mut percent_s = |tm: &Tm| mktime(tm, tz).map(|t| t.unwrap_or(-1));
    let text = ct::strftime(fmt.as_bytes(), tm, maxsize, &mut percent_s)?;
    Ok(text.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// rrdtool's `find_first_time`/`find_next_time` in one time zone.
struct Calendar<'a> {
    tz: &'a TimeZone,
    first_weekday: i32,
}

impl Calendar<'_> {
    /// `find_first_time`: `t` rounded down to the step (DAY and WEEK ignore
    /// the count). `Ok(None)` where rrdtool gets -1.
    fn first(&self, t: i64, step: TimeStep) -> Result<Option<i64>> {
        let mut tm = localtime(t, self.tz).ok_or_else(out_of_range)?;
        // C ints, as rrdtool's; the grid checked the count to 1..=1e8
        let n = step.count as i32;
        match step.unit {
            TimeUnit::Second => tm.sec -= tm.sec % n,
            TimeUnit::Minute => {
                tm.sec = 0;
                tm.min -= tm.min % n;
            }
            TimeUnit::Hour => {
                (tm.sec, tm.min) = (0, 0);
                tm.hour -= tm.hour % n;
            }
            TimeUnit::Day => (tm.sec, tm.min, tm.hour) = (0, 0, 0),
            TimeUnit::Week => {
                (tm.sec, tm.min, tm.hour) = (0, 0, 0);
                tm.mday -= tm.wday - self.first_weekday;
                if tm.wday == 0 && self.first_weekday > 0 {
                    tm.mday -= 7;
                }
            }
            TimeUnit::Month => {
                (tm.sec, tm.min, tm.hour, tm.mday) = (0, 0, 0, 1);
                tm.mon -= tm.mon % n;
            }
            TimeUnit::Year => {
                (tm.sec, tm.min, tm.hour, tm.mday, tm.mon) = (0, 0, 0, 1, 0);
                tm.year -= (tm.year + 1900) % n;
            }
        }
        mktime(&tm, self.tz)
    }

    /// `find_next_time`: the step added to the local time fields, retried
    /// (adding again) while `mktime` fails, as rrdtool does.
    fn next(&self, t: i64, step: TimeStep) -> Result<Option<i64>> {
        let mut tm = localtime(t, self.tz).ok_or_else(out_of_range)?;
        let n = step.count as i32;
        let mut retries: i32 = match step.unit {
            TimeUnit::Second => 7200,
            TimeUnit::Minute => 120,
            _ => 2,
        };
        loop {
            match step.unit {
                TimeUnit::Second => tm.sec = tm.sec.wrapping_add(n),
                TimeUnit::Minute => tm.min = tm.min.wrapping_add(n),
                TimeUnit::Hour => tm.hour = tm.hour.wrapping_add(n),
                TimeUnit::Day => tm.mday = tm.mday.wrapping_add(n),
                TimeUnit::Week => tm.mday = tm.mday.wrapping_add(7 * n),
                TimeUnit::Month => tm.mon = tm.mon.wrapping_add(n),
                TimeUnit::Year => tm.year = tm.year.wrapping_add(n),
            }
            if let Some(made) = mktime(&tm, self.tz)? {
                return Ok(Some(made));
            }
            if retries < 0 {
                return Ok(None);
            }
            retries -= 1;
        }
    }
}

#[cfg(test)]
mod tests;
