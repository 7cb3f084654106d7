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
    rrd_clib::cut_bytes(arg, 127).to_string()
}

/// `%<max>[0-9.e+-]` of sscanf: the length of the run (0..=max).
pub(crate) fn scan_number_chars(s: &[u8], max: usize) -> usize {
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

mod range;
mod time_grid;
mod value_grid;
pub use range::*;
pub use time_grid::*;
pub use value_grid::*;

#[cfg(test)]
mod tests;
