//! rrdtool's `strfduration` (rrd_graph.c): a duration in milliseconds
//! formatted by `%[0][width][.precision]X` conversions, `X` one of `W`
//! (weeks), `D`/`d` (days, in all / within the week), `H`/`h` (hours),
//! `M`/`m` (minutes), `S`/`s` (seconds), `f` (milliseconds within the
//! second) or `%`. Each number is cut (not rounded) to the precision and
//! printed with glibc's `%[0][width].[precision]f`; a negative duration
//! starts with `-`. PRINT/GPRINT (`:valstrfduration`) and the axis'
//! `duration` formatter call it with their own buffers and limits.

use rrd_clib::printf::{self, NanSign};
use rrd_clib::strtol;

/// A caller's buffer and limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DurationCfg {
    /// How NaNs (a precision of 309 or more makes every number one) are
    /// signed.
    pub(crate) nan: NanSign,
    /// The text is cut to this many bytes (the caller's buffer less one).
    pub(crate) max_len: usize,
    /// `Some(n)`: widths and precisions above `n` fail with
    /// [`DurationError::TooLarge`]; `None`: they are taken, padding capped
    /// past the cut and precisions past 400 (all NaN anyway) clamped.
    pub(crate) limit: Option<usize>,
}

/// What `strfduration` refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DurationError {
    /// rrdtool's "Wrong duration format": an unknown conversion or a
    /// negative precision.
    Format,
    /// A width or precision above the caller's limit.
    TooLarge,
}

/// `strfduration(fmt, duration)` under `cfg`.
pub(crate) fn strfduration(
    fmt: &str,
    duration: f64,
    cfg: &DurationCfg,
) -> Result<String, DurationError> {
    let seconds = duration.abs() / 1000.0;
    let minutes = seconds / 60.0;
    let hours = minutes / 60.0;
    let days = hours / 24.0;
    let weeks = days / 7.0;
    let mut out = String::new();
    if duration < 0.0 {
        out.push('-');
    }
    let too_large = |v: u64| cfg.limit.is_some_and(|l| v > l as u64);
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
        let zero = f.get(p) == Some(&b'0');
        if zero {
            p += 1;
        }
        let mut width = 0;
        if f.get(p).is_some_and(u8::is_ascii_digit) {
            let r = strtol::strtol(&f[p..], 10);
            if too_large(r.value.unsigned_abs()) {
                return Err(DurationError::TooLarge);
            }
            width = r.value.max(0) as usize;
            p += r.end;
        }
        let mut precision = 0;
        if f.get(p) == Some(&b'.') {
            p += 1;
            // sscanf("%d"): white space, a sign and digits, or nothing
            let r = strtol::strtol(&f[p..], 10);
            if r.end > 0 {
                if too_large(r.value.unsigned_abs()) {
                    return Err(DurationError::TooLarge);
                }
                if r.value < 0 {
                    return Err(DurationError::Format);
                }
                // beyond 308, pow(10, p) is infinite and every number NaN
                precision = match cfg.limit {
                    Some(_) => r.value as usize,
                    None => r.value.min(400) as usize,
                };
                p += r.end;
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
            _ => return Err(DurationError::Format),
        };
        p += 1;
        literal_start = p;
        let scale = 10f64.powf(precision as f64);
        let cut = (value * scale).trunc() / scale;
        let spec = printf::Spec {
            zero,
            width,
            ..printf::Spec::f(precision)
        };
        let pad_cap = match cfg.limit {
            Some(_) => usize::MAX,
            None => cfg.max_len.saturating_add(1),
        };
        out.push_str(&printf::format_capped(&spec, cut, cfg.nan, pad_cap));
    }
    out.push_str(&fmt[literal_start..]);
    Ok(rrd_clib::cut_bytes(&out, cfg.max_len).to_string())
}
