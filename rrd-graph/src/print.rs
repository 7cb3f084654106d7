//! The text of `PRINT` and `GPRINT`: rrdtool 1.7.2's `print_calc` value
//! formatting, as pure functions that know nothing of files or of the
//! graph specification.
//!
//! * [`check_format`]: the regular expression rrdtool checks numeric
//!   formats with (`bad_format_print`), and its error text.
//! * [`format_value`]: the numeric formatter, glibc's `printf` for the one
//!   conversion rrdtool accepts (`%[flag][width][.prec]l[eEfFgG]`), `%%`, and
//!   the SI prefix of `%s`/`%S` with its state ([`SiState`]) carried from
//!   one PRINT/GPRINT to the next.
//! * [`format_time`]: `:strftime`, the VDEF's time in a time zone, or
//!   rrdtool's dashes when the VDEF has no time.
//! * [`format_timestamp`]: `:valstrftime`, the value as a UTC time.
//! * [`format_duration`]: `:valstrfduration`, the value as milliseconds.
//! * [`consolidate`]: the deprecated `PRINT:vname:CF:format` over a series.
//!
//! Formats are taken as rrdtool's parser stores them: `\:` already a
//! colon, cut to 200 bytes (`FMT_LEG_LEN`), which is the caller's part.
//!
//! Numbers and times are spelled as glibc 2.36 spells them in the C locale
//! (the decimal point is always `.`). Unknown values print as `-nan`
//! (`-NAN`): rrdtool's unknown is a NaN with the sign bit set and glibc
//! prints that sign, and every NaN a PRINT can see on x86-64 is one of
//! those, so here every NaN prints with the sign, whatever its bits.
//!
//! Times are formatted by glibc's `strftime` ([`rrd_clib::time`]), not by
//! `jiff::fmt::strtime`: in the C locale jiff spells `%c` and `%x`
//! differently (`2023 M11 14, Tue 23:15:00`), names UTC `UTC` where gmtime
//! says `GMT`, fails on conversions glibc copies through (`%q`, `%5`, a
//! trailing `%`) and on the `E`/`O` modifiers, and pads differently
//! (`%-5d`, `%5z`, `%#a`). jiff supplies the zones' offsets and
//! abbreviations.
//!
//! ```
//! use rrd_graph::{format_value, PrintKind, SiState};
//!
//! # fn main() -> Result<(), rrd_graph::PrintError> {
//! let mut si = SiState::new();
//! let total = format_value("%6.2lf %s", 22_087_500.0, 1000, &mut si, PrintKind::Print)?;
//! assert_eq!(total, " 22.09 M");
//! // `%S` reuses the scale of the previous `%s`
//! let last = format_value("%lf%S", 12144.0, 1000, &mut si, PrintKind::Gprint)?;
//! assert_eq!(last, "0.012144M");
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;
use std::convert::Infallible;

use jiff::tz::TimeZone;
use rrd_clib::printf;
use rrd_clib::time::{self as ct, Domain, Guess, Tm};
use rrd_core::ConsolidationFn;

/// The regular expression rrdtool requires of numeric PRINT and GPRINT
/// formats (`bad_format_print`), as quoted in its error message.
pub const PRINT_FORMAT_PATTERN: &str =
    "^(?:[^%]+|%%)*%[-+ 0#]?[0-9]*(?:[.][0-9]+)?l[eEfFgG](?:[^%]+|%%)*(?:%[sS])?(?:[^%]+|%%)*$";

/// The format `:valstrftime` uses when the given one is empty.
pub const DEFAULT_TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The format `:valstrfduration` uses when the given one is empty.
pub const DEFAULT_DURATION_FORMAT: &str = "%H:%02m:%02s";

/// Most bytes of a numeric GPRINT text (rrdtool writes it with
/// `snprintf(legend, FMT_LEG_LEN - 2, ...)`); a PRINT text has no limit.
pub const GPRINT_NUMERIC_MAX: usize = 197;

/// Most bytes of a time or duration text, and of a GPRINT number printed
/// for a `:valstrftime` value that is not a time (rrdtool's 200-byte
/// buffers, `FMT_LEG_LEN`).
pub const TEXT_MAX: usize = 199;

/// Widths and precisions above this are refused: glibc would print them
/// (up to `INT_MAX`), but nobody means a megabyte of padding.
const MAX_FIELD: usize = 1_000_000;

/// A format or value rrdtool refuses, with rrdtool's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    /// A numeric format that does not match [`PRINT_FORMAT_PATTERN`].
    #[error("invalid format string '{format}' (should match '{pattern}')", pattern = PRINT_FORMAT_PATTERN)]
    BadFormat {
        /// The format as given (after the `%S` rewrite, which does not
        /// change whether it matches).
        format: String,
    },
    /// A `:valstrfduration` format with an unknown conversion or a
    /// negative precision.
    #[error("Wrong duration format")]
    DurationFormat,
    /// A `:valstrftime` format whose text is empty or longer than
    /// [`TEXT_MAX`] bytes. rrdtool then ends the whole graph command
    /// without a message: it prints nothing and exits with status 0.
    #[error("valstrftime text is empty or longer than 199 bytes")]
    TimestampText,
    /// Something where rrdtool's result is undefined (it prints memory it
    /// does not own) or that is too large to be meant.
    #[error("{what} is not supported")]
    Unsupported {
        /// What, naming the case.
        what: String,
    },
}

fn unsupported(what: impl Into<String>) -> PrintError {
    PrintError::Unsupported { what: what.into() }
}

/// Whether a text is for a PRINT (no length limit) or a GPRINT (cut to
/// rrdtool's legend buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintKind {
    /// `PRINT`: the text goes to `print[N]`.
    Print,
    /// `GPRINT`: the text becomes a legend, at most [`GPRINT_NUMERIC_MAX`]
    /// bytes for numbers.
    Gprint,
}

/// The C view of a Rust string: it ends at the first NUL.
fn c_str(s: &str) -> &str {
    s.split('\0').next().unwrap_or("")
}

/// Cuts `s` to at most `max` bytes, at a character boundary (rrdtool cuts
/// bytes, which can split a UTF-8 character; a `String` cannot).
fn truncate_bytes(s: &mut String, max: usize) {
    let kept = rrd_clib::cut_bytes(s, max).len();
    s.truncate(kept);
}

// ---------------------------------------------------------------------------
// Format validation

/// Checks a numeric PRINT/GPRINT format as rrdtool's `bad_format_print`
/// does: text in which `%` appears only as `%%`, exactly one conversion
/// `%[-+ 0#]?[0-9]*(.[0-9]+)?l[eEfFgG]`, then at most one `%s` or `%S`.
///
/// # Errors
///
/// [`PrintError::BadFormat`], whose message is rrdtool's:
/// `invalid format string '%d' (should match '^(?:[^%]+|%%)*%[-+ 0#]?…$')`.
pub fn check_format(fmt: &str) -> Result<(), PrintError> {
    let fmt = c_str(fmt);
    // rrdtool matches with GLib's regex, which refuses a subject that is
    // not UTF-8
    if matches_print_pattern(fmt.as_bytes()) && is_utf8(fmt) {
        Ok(())
    } else {
        Err(PrintError::BadFormat {
            format: fmt.to_string(),
        })
    }
}

/// Whether `s` came from valid UTF-8 (see [`rrd_core::argbytes`]).
pub(crate) fn is_utf8(s: &str) -> bool {
    !s.chars()
        .any(|c| rrd_core::argbytes::escaped_byte(c).is_some())
}

/// [`PRINT_FORMAT_PATTERN`] without a regex engine. The pattern is
/// deterministic: a `%` is either half of `%%`, the start of the one
/// conversion (no flag, digit, `.` or `l` is a `%`), or the `%s`/`%S` after
/// it, so one left-to-right scan decides.
fn matches_print_pattern(b: &[u8]) -> bool {
    let mut i = 0;
    let mut number = false;
    let mut symbol = false;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'%') => i += 2,
            _ if !number => match conversion_len(&b[i..]) {
                Some(n) => {
                    number = true;
                    i += n;
                }
                None => return false,
            },
            Some(b's' | b'S') if !symbol => {
                symbol = true;
                i += 2;
            }
            _ => return false,
        }
    }
    number
}

/// Length of `%[-+ 0#]?[0-9]*(?:[.][0-9]+)?l[eEfFgG]` at the start of `b`.
fn conversion_len(b: &[u8]) -> Option<usize> {
    let mut i = 1;
    if matches!(b.get(i), Some(b'-' | b'+' | b' ' | b'0' | b'#')) {
        i += 1;
    }
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if b.get(i) != Some(&b'l') {
        return None;
    }
    matches!(b.get(i + 1), Some(b'e' | b'E' | b'f' | b'F' | b'g' | b'G')).then_some(i + 2)
}

// ---------------------------------------------------------------------------
// SI prefixes

const SI_SYMBOLS: [&str; 13] = [
    "a", "f", "p", "n", "u", "m", " ", "k", "M", "G", "T", "P", "E",
];

/// The SI scale shared by the PRINT and GPRINT items of one graph, in
/// statement order (`magfact` and `si_symb` in rrdtool's `print_calc`).
///
/// `%s` always picks the prefix for its own value; `%S` reuses the scale
/// and prefix of the item before it, if one set them.
#[derive(Debug, Clone, PartialEq)]
pub struct SiState {
    /// The divisor of the last scaling; negative before the first one and
    /// after a `%S` value that scaled to zero.
    magfact: f64,
    /// The prefix of the last scaling.
    symbol: &'static str,
}

impl Default for SiState {
    fn default() -> SiState {
        SiState {
            magfact: -1.0,
            symbol: "",
        }
    }
}

impl SiState {
    /// The state at the start of a graph: no scale chosen yet.
    pub fn new() -> SiState {
        SiState::default()
    }

    /// rrdtool's `auto_scale`: divides `value` by `base` to the power of
    /// its magnitude and records the divisor and prefix.
    fn auto_scale(&mut self, value: &mut f64, base: f64) {
        let index = if *value == 0.0 || value.is_nan() {
            self.magfact = 1.0;
            0
        } else {
            // natural logarithms and one division, as rrdtool computes it
            let q = (value.abs().ln() / base.ln()).floor();
            // x86 converts a double that fits no int (infinity) to INT_MIN
            let index = rrd_clib::cast::int(q);
            self.magfact = base.powf(f64::from(index));
            *value /= self.magfact;
            index
        };
        self.symbol = usize::try_from(index + 6)
            .ok()
            .and_then(|i| SI_SYMBOLS.get(i))
            .copied()
            .unwrap_or("?");
    }
}

// ---------------------------------------------------------------------------
// Numbers

/// Formats a PRINT/GPRINT value with a numeric format, as `print_calc`
/// does: SI scaling for `%s`/`%S` (updating `si`), the format check, then
/// glibc's `printf(fmt, value, symbol)`. `base` is `--base` (1000 or
/// 1024).
///
/// A `%S` is turned into `%s` before printing (rrdtool rewrites the first
/// `%S` in the stored format), so `%lf %%S` prints a literal `%s`.
///
/// # Errors
///
/// [`PrintError::BadFormat`]; [`PrintError::Unsupported`] for a width or
/// precision above a million, and for a second `%S` hidden behind `%%S`,
/// where rrdtool prints its memory as a wide string.
pub fn format_value(
    fmt: &str,
    value: f64,
    base: u32,
    si: &mut SiState,
    kind: PrintKind,
) -> Result<String, PrintError> {
    let fmt = c_str(fmt);
    let base = f64::from(base);
    let mut value = value;
    let mut fmt = Cow::Borrowed(fmt);
    if let Some(at) = fmt.find("%S") {
        if si.magfact < 0.0 {
            si.auto_scale(&mut value, base);
            if value == 0.0 {
                // a zero tells nothing about the scale: the next %S decides
                si.magfact = -1.0;
            }
        } else {
            value /= si.magfact;
        }
        fmt.to_mut().replace_range(at + 1..at + 2, "s");
    } else if fmt.contains("%s") {
        si.auto_scale(&mut value, base);
    }
    check_format(&fmt)?;
    let mut out = printf(&fmt, value, si.symbol)?;
    if kind == PrintKind::Gprint {
        truncate_bytes(&mut out, GPRINT_NUMERIC_MAX);
    }
    Ok(out)
}

/// `printf(fmt, value, symbol)` for a format that passed [`check_format`]:
/// glibc's conversions, every NaN as rrdtool's negative one (see the module
/// docs).
fn printf(fmt: &str, value: f64, symbol: &str) -> Result<String, PrintError> {
    const PRINT: printf::Sprintf = printf::Sprintf {
        nan: printf::NanSign::AlwaysNegative,
        max_len: None,
        max_width: MAX_FIELD,
        max_precision: MAX_FIELD,
        unknown: printf::Unknown::Refuse,
    };
    printf::sprintf(
        fmt,
        &[printf::Arg::F(value), printf::Arg::S(symbol)],
        &PRINT,
    )
    .map_err(|e| match e {
        printf::SprintfError::Width | printf::SprintfError::Precision => {
            unsupported(format!("a printf width or precision above {MAX_FIELD}"))
        }
        printf::SprintfError::Conversion(b'S') => unsupported(
            "a %S after the one rewritten to %s (rrdtool prints memory as a wide string)",
        ),
        printf::SprintfError::Conversion(_) => {
            unsupported("a printf conversion other than e, f or g")
        }
    })
}

/// `%.<p>f` of any double, NaN as `-nan` (rrdtool's `"%f"`, `"%.0f"`).
fn c_f(v: f64, p: usize) -> String {
    printf::format_f64(&printf::Spec::f(p), v, printf::NanSign::AlwaysNegative)
}

// ---------------------------------------------------------------------------
// Durations

/// Formats a `:valstrfduration` value, a duration in milliseconds, as
/// rrdtool's `strfduration` does; an empty format means
/// [`DEFAULT_DURATION_FORMAT`].
///
/// Conversions are `%[0][width][.prec]X` with `X` one of `W` (weeks),
/// `D`/`d` (days, in all / within the week), `H`/`h` (hours), `M`/`m`
/// (minutes), `S`/`s` (seconds), `f` (milliseconds within the second) and
/// `%%`. Each value is cut (not rounded) to the precision and printed with
/// `%[0][width].[prec]f`. A negative duration starts with `-`. Values that
/// are not finite print as `%f` does (`-nan`, `inf`, `-inf`). The text is
/// cut to [`TEXT_MAX`] bytes.
///
/// # Errors
///
/// [`PrintError::DurationFormat`] (`Wrong duration format`) for any other
/// conversion or a negative precision; [`PrintError::Unsupported`] for a
/// width or precision above a million.
pub fn format_duration(fmt: &str, value: f64) -> Result<String, PrintError> {
    if !value.is_finite() {
        return Ok(c_f(value, 6));
    }
    let fmt = match c_str(fmt) {
        "" => DEFAULT_DURATION_FORMAT,
        f => f,
    };
    let cfg = crate::duration::DurationCfg {
        nan: printf::NanSign::AlwaysNegative,
        max_len: TEXT_MAX,
        limit: Some(MAX_FIELD),
    };
    crate::duration::strfduration(fmt, value, &cfg).map_err(|e| match e {
        crate::duration::DurationError::Format => PrintError::DurationFormat,
        crate::duration::DurationError::TooLarge => {
            unsupported(format!("a printf width or precision above {MAX_FIELD}"))
        }
    })
}

// ---------------------------------------------------------------------------
// Times

/// Formats a `:strftime` PRINT/GPRINT: the time `time` in the time zone
/// `tz` with glibc's `strftime` in the C locale, or, when the VDEF has no
/// time (`None`: a VDEF like AVERAGE, or no valid value), rrdtool's
/// `time_clean` of the format, which stands dashes in for the fields
/// (`%Y-%m-%d %H:%M` gives `---------- --:--`).
///
/// Which time to pass is the caller's business: rrdtool uses the VDEF's
/// time, and for the deprecated `vname:CF` form the time of the last VDEF
/// printed before, or the current time if there was none.
///
/// # Errors
///
/// [`PrintError::Unsupported`] for a text longer than [`TEXT_MAX`] bytes
/// (rrdtool's is then undefined) and for a time outside jiff's range.
pub fn format_time(fmt: &str, time: Option<i64>, tz: &TimeZone) -> Result<String, PrintError> {
    let fmt = c_str(fmt);
    let Some(time) = time else {
        return Ok(time_clean(fmt));
    };
    if !ct::in_jiff_range(time) {
        return Err(unsupported(format!(
            "the time {time}, outside jiff's range,"
        )));
    }
    let tm = ct::localtime(time, tz).expect("a time in jiff's range breaks down");
    // glibc's %s is the mktime of the fields, which is the time itself but
    // in a fold of one DST flag, where it follows glibc's cached offset
    let mut percent_s = |_: &Tm| Ok::<i64, Infallible>(time);
    match ct::strftime(fmt.as_bytes(), &tm, TEXT_MAX + 1, &mut percent_s) {
        Ok(Some(text)) => Ok(String::from_utf8_lossy(&text).into_owned()),
        Ok(None) => Err(unsupported(
            "a strftime text longer than 199 bytes (rrdtool's is undefined)",
        )),
        Err(never) => match never {},
    }
}

/// Formats a `:valstrftime` PRINT/GPRINT: the value, truncated to whole
/// seconds, as a UTC time (rrdtool uses `gmtime`, so `%Z` is `GMT` and
/// `%z` is `+0000`); an empty format means [`DEFAULT_TIMESTAMP_FORMAT`].
/// `local` is the time zone of the process: glibc's `%s` reads the UTC
/// fields as local standard time (with `TZ=Europe/Berlin`, 0 prints
/// `-3600`).
///
/// A value that is not finite or beyond ±2^63 prints as `%.0f` (`-nan`,
/// `inf`, all the digits of `1e30`), cut to [`TEXT_MAX`] bytes for a
/// GPRINT.
///
/// # Errors
///
/// [`PrintError::TimestampText`] when the text is empty or longer than
/// [`TEXT_MAX`] bytes (rrdtool then stops without a message);
/// [`PrintError::Unsupported`] for a year beyond what glibc's `gmtime`
/// represents (rrdtool formats an uninitialised time then), and for `%s`
/// of a time outside jiff's range.
pub fn format_timestamp(
    fmt: &str,
    value: f64,
    local: &TimeZone,
    kind: PrintKind,
) -> Result<String, PrintError> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63, LLONG_MAX as a double
    if !value.is_finite() || !(-LIMIT..=LIMIT).contains(&value) {
        let mut s = c_f(value, 0);
        if kind == PrintKind::Gprint {
            truncate_bytes(&mut s, TEXT_MAX);
        }
        return Ok(s);
    }
    let fmt = match c_str(fmt) {
        "" => DEFAULT_TIMESTAMP_FORMAT,
        f => f,
    };
    // rrdtool truncates toward zero; 2^63 itself is out of gmtime's range
    let t = value as i64;
    // gmtime fails beyond an int tm_year; beyond the year i32::MAX, %Y
    // wraps (glibc prints the year 2^31 as -2147483648)
    let tm = ct::gmtime(t)
        .filter(|tm| tm.year <= i32::MAX - 1900)
        .ok_or_else(|| unsupported(format!("the valstrftime value {t}, beyond gmtime's years,")))?;
    // %s: the UTC fields as local standard time. A zone of one offset
    // reads any year; otherwise only jiff's years, where its rules are
    // known (glibc's own DST rules stop after about five million years).
    let any_year = local.to_fixed_offset().is_ok();
    let mut percent_s = |tm: &Tm| {
        if !any_year && !(-9999..=9999).contains(&(i64::from(tm.year) + 1900)) {
            return Err(unsupported(
                "%s of a time outside jiff's range in the local time zone",
            ));
        }
        let made = ct::mktime(tm, local, Guess::Earlier, Domain::Glibc);
        Ok(made
            .expect("glibc's domain has no range error")
            .unwrap_or(-1))
    };
    match ct::strftime(fmt.as_bytes(), &tm, TEXT_MAX + 1, &mut percent_s)? {
        Some(text) if !text.is_empty() => Ok(String::from_utf8_lossy(&text).into_owned()),
        _ => Err(PrintError::TimestampText),
    }
}

/// rrdtool's `time_clean`: the format with each conversion replaced by
/// dashes of about its width. Only the first 199 bytes are read.
fn time_clean(fmt: &str) -> String {
    /// FMT_LEG_LEN: rrdtool's format and legend buffers.
    const LEN: usize = 200;
    let src = fmt.as_bytes();
    // the stored format is zero-padded, and the scan can step past its end
    let at = |j: usize| src.get(j).copied().unwrap_or(0);
    let mut out: Vec<u8> = Vec::new();
    let mut j = 0;
    while j < LEN - 1 && out.len() < LEN {
        let c = at(j);
        if c != b'%' {
            out.push(c);
            j += 1;
            continue;
        }
        let next = at(j + 1);
        // (dashes always written, more dashes if out.len() is below this, the rest)
        let (first, room, rest): (&[u8], usize, &[u8]) = match next {
            b'E' | b'O' => {
                out.push(b'-');
                j += 3;
                continue;
            }
            b'C' | b'd' | b'g' | b'H' | b'I' | b'm' | b'M' | b'S' | b'U' | b'V' | b'W' | b'y' => {
                (b"-", LEN, b"-")
            }
            b'j' => (b"-", LEN - 1, b"--"),
            b'G' | b'Y' => (b"-", LEN - 2, b"---"),
            b'R' => (b"-", LEN - 3, b"-:--"),
            b'T' => (b"-", LEN - 6, b"-:--:--"),
            b'F' => (b"-", LEN - 8, b"---------"),
            b'D' => (b"-", LEN - 6, b"-/--/--"),
            b'n' => (b"\r\n", 0, b""),
            b't' => (b"\t", 0, b""),
            b'%' => (b"%", 0, b""),
            b' ' | b'.' | b'@' => {
                if out.len() < LEN - 1 {
                    out.extend_from_slice(&[b'%', next]);
                }
                j += 2;
                continue;
            }
            _ => (b"-", 0, b""),
        };
        out.extend_from_slice(first);
        if out.len() < room {
            out.extend_from_slice(rest);
        }
        j += 2;
    }
    if let Some(nul) = out.iter().position(|&c| c == 0) {
        out.truncate(nul);
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// Consolidation

/// The value of a deprecated `PRINT:vname:CF:format` (or GPRINT) over the
/// rows of a DEF or CDEF, as `print_calc` computes it: only finite values
/// count (unknown and infinite ones are skipped); AVERAGE (and the
/// Holt-Winters functions) is their mean, MIN and MAX (and FAILURES) their
/// extremes, LAST the last one. No finite value gives unknown
/// ([`rrd_core::DNAN`]).
pub fn consolidate(cf: ConsolidationFn, values: &[f64]) -> f64 {
    let mut finite = values.iter().copied().filter(|v| v.is_finite());
    let Some(mut acc) = finite.next() else {
        return rrd_core::DNAN;
    };
    let mut count: u64 = 1;
    for v in finite {
        match cf {
            ConsolidationFn::Min => acc = if acc < v { acc } else { v },
            ConsolidationFn::Max | ConsolidationFn::Failures => acc = if acc > v { acc } else { v },
            ConsolidationFn::Last => acc = v,
            ConsolidationFn::Average
            | ConsolidationFn::HwPredict
            | ConsolidationFn::MhwPredict
            | ConsolidationFn::Seasonal
            | ConsolidationFn::DevSeasonal
            | ConsolidationFn::DevPredict => {
                acc += v;
                count += 1;
            }
        }
    }
    let divides = !matches!(
        cf,
        ConsolidationFn::Min | ConsolidationFn::Max | ConsolidationFn::Last
    );
    if divides && count > 1 {
        acc /= count as f64;
    }
    acc
}

#[cfg(test)]
mod tests {
    //! Expected texts were recorded from the real rrdtool 1.7.2 (Debian
    //! 1.7.2-4 on glibc 2.36, LANG=C.UTF-8, TZ unset unless a zone is
    //! named, which then was the process's TZ) by scripts that also ran
    //! each case through this module and required the same text:
    //!
    //! * numbers, rejected formats, SI sequences (one `rrdtool graph` per
    //!   sequence, `--base` as given), `:valstrftime`, `:valstrfduration`:
    //!   `rrdtool graph /dev/null -s 1699999800 -e 1700003400
    //!   DEF:a=t.rrd:a:AVERAGE CDEF:c=a,POP,<value> VDEF:v=c,LAST
    //!   PRINT:v:<format>[:valstrftime|:valstrfduration]`, the value written
    //!   as an RPN division or product of integers (`73625,11,/`, `UNKN`,
    //!   `INF`) so that it has the bits of the Rust literal here;
    //! * `:strftime`: the same over `l<T>.rrd` (`rrdtool create l<T>.rrd
    //!   --start <T-100> --step 10 DS:a:GAUGE:20:U:U RRA:LAST:0.5:1:20`,
    //!   updated with `<T-10>:1 <T>:2`), `-s <T-50> -e <T>`,
    //!   `DEF:a=l<T>.rrd:a:LAST VDEF:v=a,LAST` (time T) or `v=a,AVERAGE`
    //!   (no time, for the dashes);
    //! * the deprecated form: `PRINT:<vname>:<CF>:%.17le` with `a` as above,
    //!   `CDEF:c=a,5000,GT,INF,a,IF CDEF:n=a,UNKN,+ CDEF:i=a,0,/`;
    //! * the GPRINT limits: the lengths of `graphv` legends (`LINE1:a#ff0000`
    //!   added so that legends are made).
    //!
    //! t.rrd: `rrdtool create t.rrd --start 1699999800 --step 300
    //! DS:a:GAUGE:600:U:U RRA:AVERAGE:0.5:1:100 …`, updated at
    //! 1699999800 + 300·i with i·1000 + i² for i = 1..12, unknown for i = 5
    //! (`SERIES` is what the DEF holds).

    use super::*;
    use rrd_core::DNAN;

    fn zone(name: &str) -> TimeZone {
        match name {
            "UTC" => TimeZone::UTC,
            _ => TimeZone::get(name).expect("time zone in /usr/share/zoneinfo"),
        }
    }

    fn check_value(fmt: &str, value: f64, expected: &str) {
        let got = format_value(fmt, value, 1000, &mut SiState::new(), PrintKind::Print);
        assert_eq!(
            got.as_deref(),
            Ok(expected),
            "format {fmt:?}, value {value:?}"
        );
    }

    #[test]
    fn numbers_as_rrdtool_prints_them() {
        let cases: &[(&str, f64, &str)] = &[
            ("%lf", 6693.181818181818, "6693.181818"),
            ("%6.2lf", 6693.181818181818, "6693.18"),
            ("%le", 6693.181818181818, "6.693182e+03"),
            ("%lg", 6693.181818181818, "6693.18"),
            ("%lE", 6693.181818181818, "6.693182E+03"),
            ("%lG", 1e+22, "1E+22"),
            ("%lF", 6693.181818181818, "6693.181818"),
            ("%-10.3lf|", 6693.181818181818, "6693.182  |"),
            ("%+lf", 6693.181818181818, "+6693.181818"),
            ("% lf", 6693.181818181818, " 6693.181818"),
            ("%#lg", 6693.181818181818, "6693.18"),
            ("%0lf", 6693.181818181818, "6693.181818"),
            ("%010.2lf", 6693.181818181818, "0006693.18"),
            ("%010.2lf", -1234.567, "-001234.57"),
            ("%+010.1lf", 6693.181818181818, "+0006693.2"),
            ("%-010.1lf|", 6693.181818181818, "6693.2    |"),
            ("%#.0lf", 6693.181818181818, "6693."),
            ("%#.0le", 6693.181818181818, "7.e+03"),
            // glibc's %#g rule: rounding carries into a new power of ten,
            // the form follows the exponent before rounding (rrdtool 1.7.2
            // prints `1.e+03` for PRINT:v:%#.3lg of 999.95)
            ("%#.3lg", 999.95, "1.e+03"),
            ("%#.2lG", 99.5, "1.E+02"),
            ("%.0lf", 0.5, "0"),
            ("%.0lf", 1.5, "2"),
            ("%.0lf", 2.5, "2"),
            ("%.0lf", -2.5, "-2"),
            ("%.2lf", 0.125, "0.12"),
            ("%.0le", 9.5, "1e+01"),
            ("%lf", 1e-05, "0.000010"),
            ("%le", 1e-05, "1.000000e-05"),
            ("%lg", 1e-05, "1e-05"),
            ("%lg", 0.0001, "0.0001"),
            ("%lg", 123456.0, "123456"),
            ("%lg", 999999.5, "1e+06"),
            ("%.3lg", 1.234e-05, "1.23e-05"),
            ("%#.3lg", 12144.0, "1.21e+04"),
            ("%.10lg", 0.3333333333333333, "0.3333333333"),
            ("%.20lf", 0.3333333333333333, "0.33333333333333331483"),
            ("%.17le", 0.3333333333333333, "3.33333333333333315e-01"),
            ("%lf", 1e+22, "10000000000000000000000.000000"),
            ("%le", 1e+22, "1.000000e+22"),
            ("%lg", 1e+22, "1e+22"),
            ("%le", 1e-22, "1.000000e-22"),
            ("%.30lf", 1e-22, "0.000000000000000000000100000000"),
            ("%lg", 9007199254740992.0, "9.0072e+15"),
            ("%.0lf", 9007199254740992.0, "9007199254740992"),
            ("%lf", 0.0, "0.000000"),
            ("%le", 0.0, "0.000000e+00"),
            ("%lg", 0.0, "0"),
            ("%#lg", 0.0, "0.00000"),
            ("%lf", -0.0, "-0.000000"),
            ("%+le", -0.0, "-0.000000e+00"),
            ("%lg", 1000000000000000.0, "1e+15"),
            ("%20.10le|", -1234.567, "   -1.2345670000e+03|"),
            ("%-20lG|", -1234.567, "-1234.57            |"),
            ("%.1lG", 1000000000000000.0, "1E+15"),
            ("[%lf]", DNAN, "[-nan]"),
            ("[%5.2lf]", DNAN, "[ -nan]"),
            ("[%+lf]", DNAN, "[-nan]"),
            ("[%010lf]", DNAN, "[      -nan]"),
            ("[%-8lf]", DNAN, "[-nan    ]"),
            ("[%lE]", DNAN, "[-NAN]"),
            ("[%lG]", DNAN, "[-NAN]"),
            ("[%le]", f64::INFINITY, "[inf]"),
            ("[%+lf]", f64::INFINITY, "[+inf]"),
            ("[% lf]", f64::INFINITY, "[ inf]"),
            ("[%010lf]", f64::INFINITY, "[       inf]"),
            ("[%lF]", f64::INFINITY, "[INF]"),
            ("[%#.0lf]", f64::INFINITY, "[inf]"),
            ("[%lg]", f64::NEG_INFINITY, "[-inf]"),
            ("[%-6lf]", f64::NEG_INFINITY, "[-inf  ]"),
            ("%lf %%", 6693.181818181818, "6693.181818 %"),
            ("%% %lf", 6693.181818181818, "% 6693.181818"),
            ("100%% %lf%%", 6693.181818181818, "100% 6693.181818%"),
            ("%lf\\n", 6693.181818181818, "6693.181818\\n"),
            ("%lf\\l", 6693.181818181818, "6693.181818\\l"),
        ];
        for &(fmt, value, expected) in cases {
            check_value(fmt, value, expected);
        }
    }

    #[test]
    fn any_nan_prints_as_rrdtools_unknown() {
        check_value("%lf", f64::NAN, "-nan");
        check_value("%lG", -f64::NAN, "-NAN");
    }

    #[test]
    fn rejected_formats_with_rrdtools_message() {
        let cases: &[&str] = &[
            "%f",
            "%d",
            "%.lf",
            "%5.lf",
            "%Lf",
            "%llf",
            "%-+lf",
            "%s%lf",
            "%lf%lf",
            "x %lf %s %s",
            "%lf %c",
            "%lf %5s",
            "%*lf",
            "%1$lf",
            "abc",
            "",
            "%lf%",
            "%lfx%",
            "%lf %p",
            "%s %lf",
            "%lf %S%S",
            "%%lf",
            "%l",
            "%lh",
        ];
        let message = |f: &str| {
            format!(
                "invalid format string '{f}' (should match '^(?:[^%]+|%%)*%[-+ 0#]?[0-9]*(?:[.][0-9]+)?l[eEfFgG](?:[^%]+|%%)*(?:%[sS])?(?:[^%]+|%%)*$')"
            )
        };
        for &fmt in cases {
            let err = check_format(fmt).expect_err(fmt);
            assert_eq!(err.to_string(), message(fmt));
            // format_value reports the format after its first %S became %s
            let err = format_value(fmt, 1.0, 1000, &mut SiState::new(), PrintKind::Print);
            let rewritten = fmt.replacen("%S", "%s", 1);
            assert_eq!(err.map_err(|e| e.to_string()), Err(message(&rewritten)));
        }
        for fmt in [
            "%lf",
            "%5.2lf",
            "%-10.3lf|",
            "% lf",
            "%#lg",
            "%010.2lf",
            "%lf %S",
            "100%% %lf%s%%",
        ] {
            assert_eq!(check_format(fmt), Ok(()), "{fmt}");
        }
    }

    #[test]
    fn si_prefixes_carry_from_item_to_item() {
        /// (format, value, text) of the items of one graph, in order
        type Items = &'static [(&'static str, f64, &'static str)];
        let sequences: &[(u32, Items)] = &[
            (
                1000,
                &[
                    ("%lf %s", 22087500.0, "22.087500 M"),
                    ("%lf%S", 12144.0, "0.012144M"),
                    ("%6.2lf %s", 6693.181818181818, "  6.69 k"),
                    ("%6.2lf%S", 12144.0, " 12.14k"),
                ],
            ),
            (
                1000,
                &[
                    ("[%lf%S]", 0.0, "[0.000000 ]"),
                    ("[%lf%S]", 6036.0, "[6.036000k]"),
                    ("[%lf%S]", 6036000.0, "[6036.000000k]"),
                    ("[%lf]", 6036.0, "[6036.000000]"),
                    ("[%lf%s]", 6036000.0, "[6.036000M]"),
                    ("[%lf%S]", 6036.0, "[0.006036M]"),
                ],
            ),
            (
                1000,
                &[
                    ("[%lf%S]", DNAN, "[-nan ]"),
                    ("[%lf%S]", 6036.0, "[6036.000000 ]"),
                    ("[%lf %s]", DNAN, "[-nan  ]"),
                ],
            ),
            (
                1000,
                &[
                    ("[%lf%s]", f64::INFINITY, "[inf?]"),
                    ("[%lf%S]", 6036.0, "[inf?]"),
                    ("[%lf%S]", 0.0, "[-nan?]"),
                    ("[%lf%s]", 6036.0, "[6.036000k]"),
                    ("[%lf%s]", f64::NEG_INFINITY, "[-inf?]"),
                ],
            ),
            (
                1000,
                &[
                    ("%lf %%S", 6036.0, "6.036000 %s"),
                    ("%lf %%s", 6036.0, "6.036000 %s"),
                    ("%%S %lf", 6036.0, "%s 6.036000"),
                    ("%lf %%s %s", 6036.0, "6.036000 %s k"),
                ],
            ),
            (
                1000,
                &[
                    ("%lg|%s|", 1e+18, "1|E|"),
                    ("%lg|%s|", 1e+19, "10|E|"),
                    ("%lg|%s|", 1e+21, "1|?|"),
                    ("%lg|%s|", 1e+24, "1|?|"),
                    ("%lg|%s|", 0.001, "1|m|"),
                    ("%lg|%s|", 1e-18, "1|a|"),
                    ("%lg|%s|", 1e-19, "100|?|"),
                    ("%lg|%s|", -1500.0, "-1.5|k|"),
                    ("%lg|%s|", -0.002, "-2|m|"),
                    ("%lg|%s|", 1048576.0, "1.04858|M|"),
                    ("%lg|%s|", 0.5, "500|m|"),
                    ("%lg|%s|", 999.0, "999| |"),
                ],
            ),
            (
                1024,
                &[
                    ("%lg|%s|", 1000.0, "1000| |"),
                    ("%lg|%s|", 1000000.0, "976.562|k|"),
                    ("%lg|%s|", 1e+18, "888.178|P|"),
                    ("%lg|%s|", 1e+24, "847.033|?|"),
                    ("%lg|%s|", 0.001, "1.024|m|"),
                    ("%lg|%s|", 1e-18, "1.15292|a|"),
                    ("%lg|%s|", 1e-19, "118.059|?|"),
                    ("%lg|%s|", -1500.0, "-1.46484|k|"),
                    ("%lg|%s|", 1048576.0, "1|M|"),
                    ("%lg|%s|", 0.5, "512|m|"),
                    ("%lg|%s|", 1024.0, "1|k|"),
                    ("%lg|%s|", 1023.0, "1023| |"),
                ],
            ),
            (
                1024,
                &[
                    ("%.1lf %S", 1536.0, "1.5 k"),
                    ("%.1lf %S", 3145728.0, "3072.0 k"),
                    ("%.1lf %s", 3145728.0, "3.0 M"),
                    ("%.3lf %S", 1536.0, "0.001 M"),
                ],
            ),
        ];
        for &(base, items) in sequences {
            let mut si = SiState::new();
            for &(fmt, value, expected) in items {
                let got = format_value(fmt, value, base, &mut si, PrintKind::Print);
                assert_eq!(
                    got.as_deref(),
                    Ok(expected),
                    "base {base}, {fmt:?} of {value:?}"
                );
            }
        }
    }

    #[test]
    fn a_percent_s_behind_percent_percent_s_is_refused() {
        // rrdtool rewrites the %S of "%%S" and prints memory for the real one
        let got = format_value(
            "%lf %%S %S",
            6036.0,
            1000,
            &mut SiState::new(),
            PrintKind::Print,
        );
        assert!(matches!(got, Err(PrintError::Unsupported { .. })));
    }

    #[test]
    fn gprint_texts_are_cut_to_rrdtools_buffers() {
        // graphv legends: 197 bytes for numbers, 199 for the %.0f of a
        // valstrftime value that is no time; PRINT has no limit
        let fmt = format!("{}%lf", "x".repeat(190));
        // the bits rrdtool's own parser gives "1e300" (not the nearest double)
        let big = rrd_clib::strtod::rrd_strtod("1e300").0;
        let mut si = SiState::new();
        let g = format_value(&fmt, big, 1000, &mut si, PrintKind::Gprint).unwrap();
        assert_eq!((g.len(), &g[185..]), (197, "xxxxx1000000"));
        let p = format_value("%lf", big, 1000, &mut si, PrintKind::Print).unwrap();
        assert_eq!((p.len(), &p[297..]), (308, "3824.000000"));
        let g = format_value("%lf", big, 1000, &mut si, PrintKind::Gprint).unwrap();
        assert_eq!((g.len(), &g[186..]), (197, "87376671339"));
        let tz = TimeZone::UTC;
        let g = format_timestamp("%H", big, &tz, PrintKind::Gprint).unwrap();
        assert_eq!((g.len(), &g[188..]), (199, "37667133932"));
    }

    #[test]
    fn strftime_in_a_time_zone() {
        let cases: &[(&str, i64, &str, &str)] = &[
        ("%a %A %b %B %c|%d %e %H %I %j %m %M %p %S|%U %W %V %y %Y %Z %z %s %%", 1700003700, "UTC", "Tue Tuesday Nov November Tue Nov 14 23:15:00 2023|14 14 23 11 318 11 15 PM 00|46 46 46 23 2023 UTC +0000 1700003700 %"),
        ("%n%t|%D %F %T %R %r %x %X|%C %g %G %u %w %k %l %P %h", 1700003700, "UTC", "\n\t|11/14/23 2023-11-14 23:15:00 23:15 11:15:00 PM 11/14/23 23:15:00|20 23 2023 2 2 23 11 pm Nov"),
        ("%-d|%_H|%^a|%#Z|%10Y|%-5d|%_5M|%5z|%#a|%^B|%010d|%Ey|%Od|%q|%5|%E|%:z|%^#p|%^c", 1700003700, "UTC", "14|23|TUE|utc|0000002023|   14|   15|    +00000|TUE|NOVEMBER|0000000014|23|14|%q|  %5|%E|%:z|pm|TUE NOV 14 23:15:00 2023"),
        ("%Y-%m-%d %H:%M:%S", 1700003700, "UTC", "2023-11-14 23:15:00"),
        ("", 1700003700, "UTC", ""),
        ("%e.%m. %l%P", 1700003700, "UTC", "14.11. 11pm"),
        ("week %V of %G, day %j", 1700003700, "UTC", "week 46 of 2023, day 318"),
        ("%H:%M %Z %z %s", 1720000000, "Europe/Berlin", "11:46 CEST +0200 1720000000"),
        ("%c", 1720000000, "Europe/Berlin", "Wed Jul  3 11:46:40 2024"),
        ("%a %A %b %B %c|%d %e %H %I %j %m %M %p %S|%U %W %V %y %Y %Z %z %s %%", 1720000000, "Europe/Berlin", "Wed Wednesday Jul July Wed Jul  3 11:46:40 2024|03  3 11 11 185 07 46 AM 40|26 27 27 24 2024 CEST +0200 1720000000 %"),
        ("%Y-%m-%d %H:%M:%S %Z", 1700003700, "Europe/Berlin", "2023-11-15 00:15:00 CET"),
        ("%z", 1700003700, "Europe/Berlin", "+0100"),
        ("%T %Z %s", 1711846800, "Europe/Berlin", "03:00:00 CEST 1711846800"),
        ("%T %Z %s", 1729990800, "Europe/Berlin", "02:00:00 CET 1729990800"),
        ("%T %Z %s", 1729994400, "Europe/Berlin", "03:00:00 CET 1729994400"),
        ("%c %Z %z", 1720000000, "America/New_York", "Wed Jul  3 05:46:40 2024 EDT -0400"),
        ("%R %Z %z %_10z", 1720000000, "Asia/Kolkata", "15:16 IST +0530          +       530"),
        ("%R %Z %z", 1720000000, "America/St_Johns", "07:16 NDT -0230"),
        ("%G-W%V-%u %g %U %W %j %a", 1230768000, "UTC", "2009-W01-4 09 00 00 001 Thu"),
        ("%F %j %a %U %W %V", 951782400, "UTC", "2000-02-29 060 Tue 09 09 09"),
        ("%F %T %Z %z", 4102444800, "Australia/Lord_Howe", "2100-01-01 11:00:00 +11 +1100"),
        ];
        for &(fmt, time, tz, expected) in cases {
            let got = format_time(fmt, Some(time), &zone(tz));
            assert_eq!(got.as_deref(), Ok(expected), "{fmt:?} at {time} in {tz}");
        }
    }

    #[test]
    fn strftime_without_a_time_gives_dashes() {
        let cases: &[(&str, &str)] = &[
        ("%Y-%m-%d %H:%M:%S %j %T %F %D %R %n %t %% %a %Ey %Oz %. %@ % x", "---------- --:--:-- --- --:--:-- ---------- --/--/-- --:-- \r\n \t % - - - %. %@ % x"),
        ("%lf", "-f"),
        ("at %H:%M", "at --:--"),
        ("%c %s %Z", "- - -"),
        ("%U%V%W%C%g%G%I%y", "------------------"),
        ("x %", "x -"),
        ("x %E", "x -"),
        ("%Ex", "-"),
        ];
        for &(fmt, expected) in cases {
            let got = format_time(fmt, None, &TimeZone::UTC);
            assert_eq!(got.as_deref(), Ok(expected), "{fmt:?}");
        }
    }

    #[test]
    fn strftime_text_too_long_for_rrdtool_is_refused() {
        let fmt = format!("{}%Y", "x".repeat(196));
        let got = format_time(&fmt, Some(1_700_000_000), &TimeZone::UTC);
        assert!(matches!(got, Err(PrintError::Unsupported { .. })));
        let fmt = format!("{}%Y", "x".repeat(195));
        assert_eq!(
            format_time(&fmt, Some(1_700_000_000), &TimeZone::UTC).map(|s| s.len()),
            Ok(199)
        );
    }

    #[test]
    fn valstrftime_values_as_utc_times() {
        let cases: &[(&str, f64, &str, &str)] = &[
            ("", 1700000000.0, "UTC", "2023-11-14 22:13:20"),
            (
                "%H:%M %Z %z",
                1700000000.0,
                "Europe/Berlin",
                "22:13 GMT +0000",
            ),
            ("%lf", 1700000000.0, "UTC", "10f"),
            ("%c", -1.5, "UTC", "Wed Dec 31 23:59:59 1969"),
            ("%s", 0.7, "Europe/Berlin", "-3600"),
            ("%s %Z", 1720000000.0, "Europe/Berlin", "1719996400 GMT"),
            ("%s", 1711850400.0, "Europe/Berlin", "1711846800"),
            ("%s", 1729996200.0, "Europe/Berlin", "1729992600"),
            ("%s", 1720000000.0, "America/New_York", "1720018000"),
            ("%Y|%C|%y|%G|%g", -62167219201.0, "UTC", "-1|-1|99|-1|99"),
            ("%F %T", 253402300799.0, "UTC", "9999-12-31 23:59:59"),
            ("%F %a", 100000000000000.0, "UTC", "3170843-11-07 Sat"),
            ("", DNAN, "UTC", "-nan"),
            ("%H", f64::INFINITY, "UTC", "inf"),
            ("", f64::NEG_INFINITY, "UTC", "-inf"),
            ("", 1e+30, "UTC", "1000000000000000019884624838656"),
            ("%s", 0.0, "UTC", "0"),
        ];
        for &(fmt, value, tz, expected) in cases {
            let got = format_timestamp(fmt, value, &zone(tz), PrintKind::Print);
            assert_eq!(got.as_deref(), Ok(expected), "{fmt:?} of {value:?} in {tz}");
        }
        // 201 bytes of text: rrdtool prints nothing at all and exits with 0
        let fmt = format!("{}%H", "x".repeat(199));
        let got = format_timestamp(&fmt, 1_700_000_000.0, &TimeZone::UTC, PrintKind::Print);
        assert_eq!(got, Err(PrintError::TimestampText));
    }

    /// `%s` of a `:valstrftime` is glibc's `mktime` of the UTC fields as
    /// local standard time, with glibc's rules where the zone has no such
    /// time (`TZ=… rrdtool graph … PRINT:v:%s:valstrftime`, and a C program
    /// calling mktime after one from the day before).
    #[test]
    fn valstrftime_percent_s_is_glibcs_mktime() {
        let cases: &[(f64, TimeZone, &str)] = &[
            // Moscow's 2011 gap has standard time on both sides: glibc
            // gives up, whatever its state (was 1301182200)
            (1301193000.0, zone("Europe/Moscow"), "-1"),
            // a zone always on summer time: an hour later (was 1719828000)
            (
                1719835200.0,
                TimeZone::posix("XST-1XDT,0/0,J365/25").unwrap(),
                "1719831600",
            ),
            // London's 1947 gap from summer to double summer time: the
            // earlier reading, as glibc gives it after a mktime from
            // before the gap (-717031800 from one in winter; was
            // -717024600)
            (-717024600.0, zone("Europe/London"), "-717028200"),
        ];
        for (value, tz, expected) in cases {
            let got = format_timestamp("%s", *value, tz, PrintKind::Print);
            assert_eq!(got.as_deref(), Ok(*expected), "{value}");
        }
    }

    #[test]
    fn valstrfduration_values_as_milliseconds() {
        let cases: &[(&str, f64, Result<&str, PrintError>)] = &[
            ("", 3723456.0, Ok("1:02:03")),
            ("", -3723456.0, Ok("-1:02:03")),
            (
                "%W w %d d %h h %m m %s s %f ms",
                90061001.0,
                Ok("0 w 1 d 1 h 1 m 1 s 1 ms"),
            ),
            (
                "%D|%H|%M|%S|%.2D|%05.1H|%3m|%%",
                90061001.0,
                Ok("1|25|1501|90061|1.04|025.0|  1|%"),
            ),
            ("%W %.3W %D", 691200000.0, Ok("1 1.142 8")),
            ("", 0.7, Ok("0:00:00")),
            ("%.3s|%.1f|%010.4S", 90061001.0, Ok("1.001|1.0|90061.0010")),
            ("%H", f64::INFINITY, Ok("inf")),
            ("", DNAN, Ok("-nan")),
            ("%S", f64::NEG_INFINITY, Ok("-inf")),
            ("%.H|%. 2S|%.+1M", 90061001.0, Ok("25|90061.00|1501.0")),
            ("%.400S|%0.2f", 1500.0, Ok("-nan|500.00")),
            ("%f", 1234.567, Ok("234")),
            ("%02h:%02m:%06.3s", 45296789.0, Ok("12:34:56.788")),
            ("%H", -0.0, Ok("0")),
            ("%x", 1000.0, Err(PrintError::DurationFormat)), // ERROR: Wrong duration format
            ("%.-1H", 1000.0, Err(PrintError::DurationFormat)), // ERROR: Wrong duration format
            ("%", 1000.0, Err(PrintError::DurationFormat)),  // ERROR: Wrong duration format
            ("abc %", 1000.0, Err(PrintError::DurationFormat)), // ERROR: Wrong duration format
            ("%5", 1000.0, Err(PrintError::DurationFormat)), // ERROR: Wrong duration format
            ("%0.3q", 1000.0, Err(PrintError::DurationFormat)), // ERROR: Wrong duration format
        ];
        for (fmt, value, expected) in cases {
            let got = format_duration(fmt, *value);
            assert_eq!(
                got.as_deref(),
                expected.as_ref().map(|s| *s),
                "{fmt:?} of {value:?}"
            );
        }
        assert_eq!(
            PrintError::DurationFormat.to_string(),
            "Wrong duration format"
        );
    }

    /// t.rrd's `a` as `DEF:a=t.rrd:a:AVERAGE` over -s 1699999800 -e 1700003400
    /// holds it (the row after the end included).
    const SERIES: [f64; 13] = [
        1001.0, 2004.0, 3009.0, 4016.0, DNAN, 6036.0, 7049.0, 8064.0, 9081.0, 10100.0, 11121.0,
        12144.0, DNAN,
    ];

    #[test]
    fn deprecated_cf_form_over_finite_values() {
        // c = a,5000,GT,INF,a,IF; n = a,UNKN,+; i = a,0,/
        let c: Vec<f64> = SERIES
            .iter()
            .map(|&v| if v > 5000.0 { f64::INFINITY } else { v })
            .collect();
        let n = [DNAN; 13];
        let i: Vec<f64> = SERIES.iter().map(|&v| v / 0.0).collect();
        let cases: &[(&str, ConsolidationFn, &str)] = &[
            ("a", ConsolidationFn::Average, "6.69318181818181802e+03"),
            ("a", ConsolidationFn::Min, "1.00100000000000000e+03"),
            ("a", ConsolidationFn::Max, "1.21440000000000000e+04"),
            ("a", ConsolidationFn::Last, "1.21440000000000000e+04"),
            ("a", ConsolidationFn::HwPredict, "6.69318181818181802e+03"),
            ("a", ConsolidationFn::Failures, "1.21440000000000000e+04"),
            ("c", ConsolidationFn::Average, "2.50750000000000000e+03"),
            ("c", ConsolidationFn::Max, "4.01600000000000000e+03"),
            ("c", ConsolidationFn::Last, "4.01600000000000000e+03"),
            ("n", ConsolidationFn::Average, "-nan"),
            ("n", ConsolidationFn::Min, "-nan"),
            ("i", ConsolidationFn::Max, "-nan"),
        ];
        for &(series, cf, expected) in cases {
            let values: &[f64] = match series {
                "a" => &SERIES,
                "c" => &c,
                "n" => &n,
                _ => &i,
            };
            let v = consolidate(cf, values);
            check_value("%.17le", v, expected);
        }
    }
}
