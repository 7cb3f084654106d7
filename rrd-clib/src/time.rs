//! glibc 2.36's broken-down time in the C locale: `struct tm`,
//! `localtime_r`, `gmtime_r`, `mktime` and `strftime`, with the proleptic
//! Gregorian date arithmetic under them.
//!
//! jiff supplies the rules of a time zone (UTC offset, DST flag and
//! abbreviation at an instant); what glibc computes from them is here:
//!
//! - [`localtime`] and [`gmtime`] break a time down for any year that fits
//!   C's `int`, as glibc does, far beyond jiff's years -9999..=9999: there a
//!   zone's rules are taken as repeating every 400 years ([`utc_offset`]).
//!   [`localtime_overflow`] is what glibc leaves in a `tm` when the year
//!   does not fit.
//! - [`mktime`] is glibc's search (at most six probes, its rule for a local
//!   time in a gap, its week-by-week probe for a DST flag the zone does not
//!   have at that time, then an hour's shift). glibc starts it from the
//!   offset its previous call found, hidden state that a caller names with
//!   a [`Guess`]; a [`Domain`] says whether times outside jiff's range are
//!   folded (glibc's domain) or refused.
//! - [`strftime`] with glibc's flags (`_ - 0 ^ #`), widths, `E`/`O`
//!   modifiers, unknown conversions copied through and C `int` numbers.
//!   `%s` asks the caller, because glibc's `%s` is a `mktime` with the hidden
//!   state above ([`percent_s_mktime`] is that `mktime`).
//! - [`days_from_civil`], [`civil_from_days`], [`is_leap`]: the calendar.
//!
//! ```
//! use jiff::tz::TimeZone;
//! use rrd_clib::time::{localtime, mktime, percent_s_mktime, strftime, Domain, Guess};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let berlin = TimeZone::get("Europe/Berlin")?;
//! let mut tm = localtime(1_700_000_000, &berlin).ok_or("year beyond C's int")?;
//! // glibc's %s: a mktime in the zone, from the offset before the time
//! let mut percent_s = percent_s_mktime(&berlin, Guess::Earlier, Domain::Jiff);
//! let text = strftime(b"%F %T %Z %z|%s", &tm, 100, &mut percent_s)?;
//! assert_eq!(
//!     text.as_deref(),
//!     Some(&b"2023-11-14 23:13:20 CET +0100|1700000000"[..])
//! );
//! // mktime normalises: the 32nd of November is the 2nd of December
//! tm.mday += 18;
//! assert_eq!(mktime(&tm, &berlin, Guess::Earlier, Domain::Glibc)?, Some(1_701_555_200));
//! # Ok(())
//! # }
//! ```

use jiff::tz::{AmbiguousOffset, Offset, TimeZone, TimeZoneOffsetInfo};
use jiff::Timestamp;

/// Seconds in a day (C's days have no leap seconds).
pub const SECS_PER_DAY: i64 = 86_400;

/// The Gregorian calendar repeats every 400 years, and so do the rules of a
/// zone's far future (its POSIX TZ string).
const SECS_PER_400_YEARS: i128 = 146_097 * 86_400;

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar
/// (`month` 1..=12; `day` may run past the month's end).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month 1..=12, day 1..=31) of a day counted from
/// 1970-01-01, proleptic Gregorian.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `year` (the year itself, not `tm_year`) has a 29th of February.
pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Whether jiff represents the instant `t` (seconds since the epoch): the
/// years -9999..=9999, a little less at the ends.
pub fn in_jiff_range(t: i64) -> bool {
    Timestamp::from_second(t).is_ok()
}

/// `t` as a jiff timestamp; outside jiff's range, moved by whole 400-year
/// cycles into it, which keeps a zone's periodic far-future rules and its
/// constant far-past offset.
fn folded(t: i64) -> Timestamp {
    if let Ok(ts) = Timestamp::from_second(t) {
        return ts;
    }
    let min = i128::from(Timestamp::MIN.as_second()) + 1;
    let max = i128::from(Timestamp::MAX.as_second()) - 1;
    let mut folded = i128::from(t);
    if folded > max {
        folded -= ((folded - max - 1) / SECS_PER_400_YEARS + 1) * SECS_PER_400_YEARS;
    } else if folded < min {
        folded += ((min - folded - 1) / SECS_PER_400_YEARS + 1) * SECS_PER_400_YEARS;
    }
    i64::try_from(folded)
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn offset_info(t: i64, tz: &TimeZone) -> TimeZoneOffsetInfo<'_> {
    tz.to_offset_info(folded(t))
}

/// The UTC offset in seconds and the DST flag of `tz` at `t`; beyond
/// jiff's range, those of the time a whole number of 400-year cycles away
/// inside it.
pub fn utc_offset(t: i64, tz: &TimeZone) -> (i32, bool) {
    let info = offset_info(t, tz);
    (info.offset().seconds(), info.dst().is_dst())
}

/// C's `struct tm` on glibc: fields may be out of range before
/// [`mktime`] normalises them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tm {
    /// Seconds, 0..=59 when broken down.
    pub sec: i32,
    /// Minutes, 0..=59 when broken down.
    pub min: i32,
    /// Hours, 0..=23 when broken down.
    pub hour: i32,
    /// Day of the month, 1..=31 when broken down.
    pub mday: i32,
    /// Month, 0 = January.
    pub mon: i32,
    /// Years since 1900.
    pub year: i32,
    /// Day of the week, 0 = Sunday (ignored by [`mktime`]).
    pub wday: i32,
    /// Day of the year, 0 = January 1st (ignored by [`mktime`]).
    pub yday: i32,
    /// Positive: summer time; 0: standard time; negative: unknown.
    pub isdst: i32,
    /// Seconds east of UTC (`tm_gmtoff`).
    pub gmtoff: i64,
    /// The zone's abbreviation (`tm_zone`).
    pub zone: String,
}

/// `local` (seconds of a UTC-like local clock) broken down, with the given
/// offset, flag and abbreviation; `None` where the year does not fit C's
/// `int`.
fn broken_down(local: i64, isdst: bool, gmtoff: i64, zone: &str) -> Option<Tm> {
    let days = local.div_euclid(SECS_PER_DAY);
    let secs = local.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Some(Tm {
        sec: (secs % 60) as i32,
        min: (secs / 60 % 60) as i32,
        hour: (secs / 3600) as i32,
        mday: day as i32,
        mon: (month - 1) as i32,
        year: i32::try_from(year - 1900).ok()?,
        wday: (days + 4).rem_euclid(7) as i32,
        yday: (days - days_from_civil(year, 1, 1)) as i32,
        isdst: i32::from(isdst),
        gmtoff,
        zone: zone.to_string(),
    })
}

/// glibc's `localtime_r`: `t` in the zone `tz`, for any `t` whose local
/// year fits C's `int` (beyond jiff's years the zone's rules are taken
/// 400-year periodic); `None` where glibc fails with `EOVERFLOW`.
pub fn localtime(t: i64, tz: &TimeZone) -> Option<Tm> {
    let info = offset_info(t, tz);
    let gmtoff = i64::from(info.offset().seconds());
    let local = t.checked_add(gmtoff)?;
    broken_down(local, info.dst().is_dst(), gmtoff, info.abbreviation())
}

/// What glibc's `localtime_r` leaves in `prev` when the year of `t` does
/// not fit C's `int` (rrdtool does not check it): the time of day, the
/// weekday, the truncated year, and the DST flag, offset and abbreviation
/// of the zone's last rule; the month, day and day of the year keep
/// their old values.
///
/// This models glibc when the UTC year overflows too. When only the local
/// year does (a few hours at the ends of C's years), glibc also writes the
/// month, day and day of the year of the UTC date (at the top: the 31st
/// of December, day 364); this leaves them (see the tests).
pub fn localtime_overflow(t: i64, tz: &TimeZone, mut prev: Tm) -> Tm {
    let info = offset_info(Timestamp::MAX.as_second(), tz);
    let local = i128::from(t) + i128::from(info.offset().seconds());
    let days = local.div_euclid(i128::from(SECS_PER_DAY));
    let secs = local.rem_euclid(i128::from(SECS_PER_DAY)) as i32;
    prev.hour = secs / 3600;
    prev.min = secs / 60 % 60;
    prev.sec = secs % 60;
    prev.wday = (days + 4).rem_euclid(7) as i32;
    let (year, _, _) = civil_from_days(i64::try_from(days).unwrap_or(0));
    prev.year = (year - 1900) as i32;
    prev.isdst = i32::from(info.dst().is_dst());
    prev.gmtoff = i64::from(info.offset().seconds());
    prev.zone = info.abbreviation().to_string();
    prev
}

/// glibc's `gmtime_r`: `t` in UTC, named `GMT` as glibc names it; `None`
/// where the year does not fit C's `int`.
pub fn gmtime(t: i64) -> Option<Tm> {
    broken_down(t, false, 0, "GMT")
}

/// The local time of `tm` counted in seconds as if it were UTC: months
/// normalised into years, every other field linear, and the seconds
/// clamped to 0..=59 as glibc's `mktime` does before its search.
pub fn local_seconds(tm: &Tm) -> i64 {
    let year = i64::from(tm.year) + 1900 + i64::from(tm.mon.div_euclid(12));
    let month = i64::from(tm.mon.rem_euclid(12)) + 1;
    let days = days_from_civil(year, month, 1) + i64::from(tm.mday) - 1;
    days * SECS_PER_DAY
        + i64::from(tm.hour) * 3600
        + i64::from(tm.min) * 60
        + i64::from(tm.sec.clamp(0, 59))
}

/// Where glibc's `mktime` starts its search: its guess of the UTC offset,
/// which glibc keeps in a static variable from its previous call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// This offset, in seconds east of UTC.
    Offset(i64),
    /// The offset in effect just before the local time: its only offset,
    /// or the earlier one of a gap or fold, which is what the cache holds
    /// in a process whose calls move forward in time.
    Earlier,
}

/// Which instants [`mktime`] may look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// glibc's: any, with the zone's rules folded by 400-year cycles
    /// beyond jiff's range.
    Glibc,
    /// jiff's: looking at an instant outside jiff's range is an error.
    Jiff,
}

/// [`mktime`] in [`Domain::Jiff`] needed an instant outside jiff's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange;

impl std::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a time outside jiff's years -9999..=9999")
    }
}

impl std::error::Error for OutOfRange {}

/// The offset of [`Guess::Earlier`] for the local time `local`.
fn earlier_offset(local: i64, tz: &TimeZone) -> i64 {
    let dt = Offset::UTC.to_datetime(folded(local));
    let offset = match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset,
        AmbiguousOffset::Gap { before, .. } | AmbiguousOffset::Fold { before, .. } => before,
    };
    i64::from(offset.seconds())
}

/// glibc 2.36's `mktime`: the time `t` whose local time in `tz` is `tm`
/// (normalised; `wday` and `yday` ignored), `Ok(None)` where glibc returns
/// -1 (the fields are not written back).
///
/// The search starts from `guess`. When the local time falls in a gap, the
/// result is one of the two readings around it: the one whose DST flag
/// differs from `tm.isdst` (with `isdst` negative, the summer one), or
/// none when both have the requested flag. When the zone's flag at the
/// time is not the requested one, the local time is read with the offset
/// of the nearest time that has it, probing a week (601200 s) further each
/// way up to 457243209/2 s, or else shifted by an hour. Seconds outside
/// 0..=59 are added after the search.
///
/// # Errors
///
/// Only in [`Domain::Jiff`]: the local time or an instant the search looks
/// at is outside jiff's range.
pub fn mktime(
    tm: &Tm,
    tz: &TimeZone,
    guess: Guess,
    domain: Domain,
) -> Result<Option<i64>, OutOfRange> {
    let in_domain = |t: i64| match domain {
        Domain::Jiff if !in_jiff_range(t) => Err(OutOfRange),
        _ => Ok(t),
    };
    let lookup = |t: i64| -> Result<(i64, bool), OutOfRange> {
        let (offset, dst) = utc_offset(in_domain(t)?, tz);
        Ok((i64::from(offset), dst))
    };
    // glibc's convert_time: does `t` break down?
    let converts =
        |t: i64| -> Result<Option<i64>, OutOfRange> { Ok(localtime(in_domain(t)?, tz).map(|_| t)) };
    let local = in_domain(local_seconds(tm))?;
    let clamped_sec = tm.sec.clamp(0, 59);
    // the requested seconds beyond 0..=59, added to the result
    let finish = |t: i64| converts(t + i64::from(tm.sec) - i64::from(clamped_sec));
    let guess = match guess {
        Guess::Offset(offset) => offset,
        Guess::Earlier => earlier_offset(local, tz),
    };
    let mut t = local - guess;
    let (mut t1, mut t2) = (t, t);
    let mut previous_dst = false;
    let mut probes = 6;
    let dst = loop {
        let (offset, dst) = lookup(t)?;
        let error = local - offset - t;
        if error == 0 {
            break dst;
        }
        // oscillating between the two readings of a gap
        let settle = if tm.isdst < 0 {
            previous_dst <= dst
        } else {
            (tm.isdst != 0) != dst
        };
        if t == t1 && t != t2 && settle {
            return finish(t);
        }
        probes -= 1;
        if probes == 0 {
            return Ok(None);
        }
        t1 = t2;
        t2 = t;
        t += error;
        previous_dst = dst;
    };
    if tm.isdst >= 0 && (tm.isdst != 0) != dst {
        // Use the offset of the nearest time with the requested flag:
        // 601200 s is the shortest DST period in tzdata2003a, and
        // 457243209 s the longest period of one flag (TZDB 2021e).
        const STRIDE: i64 = 601_200;
        const BOUND: i64 = 457_243_209 / 2 + STRIDE;
        let mut delta = STRIDE;
        while delta < BOUND {
            for probe in [t - delta, t + delta] {
                let (offset, is_dst) = lookup(probe)?;
                if is_dst == (tm.isdst != 0) {
                    // one that does not break down lets the search go on
                    if let Some(found) = converts(local - offset)? {
                        return finish(found);
                    }
                }
            }
            delta += STRIDE;
        }
        // none: assume summer time is one hour ahead
        t += if tm.isdst == 0 { 3600 } else { -3600 };
        if converts(t)?.is_none() {
            return Ok(None);
        }
    }
    finish(t)
}

/// glibc's `%s`: the [`mktime`] of the fields with their own DST flag,
/// -1 where it fails, for [`strftime`].
pub fn percent_s_mktime(
    tz: &TimeZone,
    guess: Guess,
    domain: Domain,
) -> impl FnMut(&Tm) -> Result<i64, OutOfRange> + '_ {
    move |tm| mktime(tm, tz, guess, domain).map(|t| t.unwrap_or(-1))
}

// ---------------------------------------------------------------------------
// strftime

const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Why the conversion stopped.
enum Stop<E> {
    /// The text and its NUL do not fit (glibc returns 0).
    Full,
    /// `%s` failed.
    Error(E),
}

/// Flags, width and case of one conversion.
#[derive(Debug, Clone, Copy)]
struct Field {
    /// 0, `_`, `-` or `0`.
    pad: u8,
    /// -1 when absent.
    width: i32,
    upper: bool,
    lower: bool,
}

const PLAIN: Field = Field {
    pad: 0,
    width: -1,
    upper: false,
    lower: false,
};

/// The output of one `strftime` call; `maxsize` counts the closing NUL.
struct Out {
    buf: Vec<u8>,
    maxsize: usize,
}

impl Out {
    /// glibc's `maxsize - i`.
    fn room(&self) -> usize {
        self.maxsize - self.buf.len()
    }

    /// glibc's `add`/`cpy`: `text` right-aligned in the width (zeros with
    /// the `0` flag, else spaces; the `-` flag keeps the width), in the
    /// requested case.
    fn put<E>(&mut self, text: &[u8], f: &Field) -> Result<(), Stop<E>> {
        let fill = (i64::from(f.width) - text.len() as i64).max(0) as usize;
        if text.len() + fill >= self.room() {
            return Err(Stop::Full);
        }
        let pad = if f.pad == b'0' { b'0' } else { b' ' };
        self.buf.extend(std::iter::repeat_n(pad, fill));
        self.buf.extend(text.iter().map(|&c| {
            if f.lower {
                c.to_ascii_lowercase()
            } else if f.upper {
                c.to_ascii_uppercase()
            } else {
                c
            }
        }));
        Ok(())
    }

    /// glibc's `do_number_sign_and_padding`: at least `digits` characters,
    /// zero-padded after the sign unless the `_` (spaces first) or `-`
    /// (no padding, but still the width) flag says otherwise.
    fn number<E>(
        &mut self,
        f: &Field,
        digits: i32,
        negative: bool,
        magnitude: u64,
    ) -> Result<(), Stop<E>> {
        let mut f = *f;
        let mut text = magnitude.to_string().into_bytes();
        if negative {
            text.insert(0, b'-');
        }
        if f.pad != b'-' {
            let padding = i64::from(digits) - text.len() as i64;
            if padding > 0 {
                if f.pad == b'_' {
                    if padding as usize >= self.room() {
                        return Err(Stop::Full);
                    }
                    self.buf.extend(std::iter::repeat_n(b' ', padding as usize));
                    f.width = if i64::from(f.width) > padding {
                        f.width - padding as i32
                    } else {
                        0
                    };
                } else {
                    if digits as usize >= self.room() {
                        return Err(Stop::Full);
                    }
                    if negative {
                        self.buf.push(b'-');
                        text.remove(0);
                    }
                    self.buf.extend(std::iter::repeat_n(b'0', padding as usize));
                    f.width = 0;
                }
            }
        }
        self.put(&text, &f)
    }
}

/// glibc's `iso_week_days`: days from the Monday of ISO week 1 of the
/// year of `yday` to that day (negative: it is in the previous year's
/// weeks). C ints, wrapping; `thursday_mod_7` is the day of the year of
/// the week's Thursday, modulo 7.
fn iso_week_days(yday: i32, wday: i32) -> i32 {
    const BIG_ENOUGH_MULTIPLE_OF_7: i32 = (366 / 7 + 2) * 7;
    let thursday_mod_7 = yday
        .wrapping_sub(wday)
        .wrapping_add(4 + BIG_ENOUGH_MULTIPLE_OF_7)
        % 7;
    yday.wrapping_sub(thursday_mod_7).wrapping_add(3)
}

/// glibc's `__isleap` of a C `int` year, as 0 or 1.
fn leap_days(year: i32) -> i32 {
    i32::from(is_leap(i64::from(year)))
}

/// glibc 2.36's `strftime(s, maxsize, fmt, tm)` in the C locale.
///
/// `maxsize` counts the closing NUL: `Ok(None)` where glibc returns 0
/// because the text and its NUL do not fit (always, for `maxsize` 0).
/// Numbers are C `int`s, so they wrap as glibc's do (`%Y` of `tm_year`
/// `i32::MAX` is -2147481749). `%s` is whatever `percent_s` says (glibc's
/// is a `mktime` of a copy of `tm`, see [`percent_s_mktime`]); its error is
/// returned. The format is taken whole: a NUL byte in it is copied, or
/// after a `%` printed as an unknown conversion (glibc would stop there).
/// `%Z` of a `tm` with an empty `zone` prints nothing, where glibc prints
/// the process's `tzname`; [`localtime`] and [`gmtime`] always set it.
///
/// # Errors
///
/// The error of `percent_s`.
pub fn strftime<E>(
    fmt: &[u8],
    tm: &Tm,
    maxsize: usize,
    percent_s: &mut dyn FnMut(&Tm) -> Result<i64, E>,
) -> Result<Option<Vec<u8>>, E> {
    if maxsize == 0 {
        return Ok(None);
    }
    let mut out = Out {
        buf: Vec::new(),
        maxsize,
    };
    match strftime_into(&mut out, fmt, tm, percent_s) {
        Ok(()) => Ok(Some(out.buf)),
        Err(Stop::Full) => Ok(None),
        Err(Stop::Error(e)) => Err(e),
    }
}

fn strftime_into<E>(
    out: &mut Out,
    fmt: &[u8],
    tm: &Tm,
    percent_s: &mut dyn FnMut(&Tm) -> Result<i64, E>,
) -> Result<(), Stop<E>> {
    let hour12 = match tm.hour {
        h if h > 12 => h - 12,
        0 => 12,
        h => h,
    };
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            out.put(&fmt[i..=i], &PLAIN)?;
            i += 1;
            continue;
        }
        let start = i;
        let mut f = PLAIN;
        let mut change_case = false;
        i += 1;
        loop {
            match fmt.get(i) {
                Some(&c @ (b'_' | b'-' | b'0')) => f.pad = c,
                Some(b'^') => f.upper = true,
                Some(b'#') => change_case = true,
                _ => break,
            }
            i += 1;
        }
        if fmt.get(i).is_some_and(u8::is_ascii_digit) {
            let mut w: i32 = 0;
            while let Some(&c) = fmt.get(i).filter(|c| c.is_ascii_digit()) {
                w = w
                    .checked_mul(10)
                    .and_then(|w| w.checked_add(i32::from(c - b'0')))
                    .unwrap_or(i32::MAX);
                i += 1;
            }
            f.width = w;
        }
        let modifier = match fmt.get(i) {
            Some(&m @ (b'E' | b'O')) => {
                i += 1;
                m
            }
            _ => 0,
        };
        let e = modifier == b'E';
        let o = modifier == b'O';
        // what glibc does not know prints as itself, from the last '%' up
        // to the conversion (so `%E%` prints `%`; at the end of the format:
        // up to the end)
        let bad = |out: &mut Out, f: &Field, last: usize| {
            let from = fmt[start..=last]
                .iter()
                .rposition(|&c| c == b'%')
                .map_or(start, |p| start + p);
            out.put(&fmt[from..=last], f)
        };
        let Some(&conv) = fmt.get(i) else {
            bad(out, &f, fmt.len() - 1)?;
            break;
        };
        // DO_NUMBER: at least `d` digits, or the width
        let num = |out: &mut Out, f: &Field, d: i32, v: i32| {
            out.number(f, d.max(f.width), v < 0, u64::from(v.unsigned_abs()))
        };
        // DO_NUMBER_SPACEPAD
        let spacepad = |out: &mut Out, f: &Field, d: i32, v: i32| {
            let mut f = *f;
            if f.pad != b'0' && f.pad != b'-' {
                f.pad = b'_';
            }
            out.number(&f, d.max(f.width), v < 0, u64::from(v.unsigned_abs()))
        };
        let mut sub = |out: &mut Out, f: &Field, sub_fmt: &str| -> Result<(), Stop<E>> {
            let mut inner = Out {
                buf: Vec::new(),
                maxsize: usize::MAX,
            };
            strftime_into(&mut inner, sub_fmt.as_bytes(), tm, percent_s)?;
            // the width pads the whole; only '^' changes the case
            let plain = Field {
                upper: false,
                lower: false,
                ..*f
            };
            let before = out.buf.len();
            out.put(&inner.buf, &plain)?;
            if f.upper {
                out.buf[before..].make_ascii_uppercase();
            }
            Ok(())
        };
        let year = tm.year.wrapping_add(1900);
        match conv {
            b'%' if modifier == 0 => out.put(b"%", &f)?,
            b'a' | b'A' if modifier == 0 => {
                if change_case {
                    f.upper = true;
                    f.lower = false;
                }
                let name = usize::try_from(tm.wday)
                    .ok()
                    .and_then(|d| DAY_NAMES.get(d))
                    .map_or("?", |name| if conv == b'a' { &name[..3] } else { name });
                out.put(name.as_bytes(), &f)?;
            }
            b'b' | b'h' | b'B' => {
                // %b checks the case flag before the modifier, %B after;
                // in the C locale the O (alternative) names are the same
                if change_case && (conv != b'B' || !e) {
                    f.upper = true;
                    f.lower = false;
                }
                if e {
                    bad(out, &f, i)?;
                } else {
                    let name = usize::try_from(tm.mon)
                        .ok()
                        .and_then(|m| MONTH_NAMES.get(m))
                        .map_or("?", |name| if conv == b'B' { name } else { &name[..3] });
                    out.put(name.as_bytes(), &f)?;
                }
            }
            b'c' if !o => sub(out, &f, "%a %b %e %H:%M:%S %Y")?,
            b'C' => num(out, &f, 1, year / 100 - i32::from(year % 100 < 0))?,
            b'x' if !o => sub(out, &f, "%m/%d/%y")?,
            b'D' if modifier == 0 => sub(out, &f, "%m/%d/%y")?,
            b'd' if !e => num(out, &f, 2, tm.mday)?,
            b'e' if !e => spacepad(out, &f, 2, tm.mday)?,
            b'F' if modifier == 0 => sub(out, &f, "%Y-%m-%d")?,
            b'H' if !e => num(out, &f, 2, tm.hour)?,
            b'I' if !e => num(out, &f, 2, hour12)?,
            b'k' if !e => spacepad(out, &f, 2, tm.hour)?,
            b'l' if !e => spacepad(out, &f, 2, hour12)?,
            b'j' if !e => num(out, &f, 3, tm.yday.wrapping_add(1))?,
            b'M' if !e => num(out, &f, 2, tm.min)?,
            b'm' if !e => num(out, &f, 2, tm.mon.wrapping_add(1))?,
            b'n' => out.put(b"\n", &f)?,
            b't' => out.put(b"\t", &f)?,
            b'p' | b'P' => {
                if conv == b'P' {
                    f.lower = true;
                }
                if change_case {
                    f.upper = false;
                    f.lower = true;
                }
                out.put(if tm.hour > 11 { b"PM" } else { b"AM" }, &f)?;
            }
            b'R' => sub(out, &f, "%H:%M")?,
            b'r' => sub(out, &f, "%I:%M:%S %p")?,
            b'S' if !e => num(out, &f, 2, tm.sec)?,
            b's' => {
                let t = percent_s(tm).map_err(Stop::Error)?;
                out.number(&f, 1, t < 0, t.unsigned_abs())?;
            }
            b'X' if !o => sub(out, &f, "%H:%M:%S")?,
            b'T' => sub(out, &f, "%H:%M:%S")?,
            b'u' => num(
                out,
                &f,
                1,
                (tm.wday.wrapping_sub(1).wrapping_add(7)) % 7 + 1,
            )?,
            b'U' if !e => num(
                out,
                &f,
                2,
                tm.yday.wrapping_sub(tm.wday).wrapping_add(7) / 7,
            )?,
            b'V' | b'g' | b'G' if !e => {
                let mut iso_year = year;
                let mut days = iso_week_days(tm.yday, tm.wday);
                if days < 0 {
                    // the week belongs to the previous year
                    iso_year = iso_year.wrapping_sub(1);
                    days = iso_week_days(tm.yday.wrapping_add(365 + leap_days(iso_year)), tm.wday);
                } else {
                    let d = iso_week_days(tm.yday.wrapping_sub(365 + leap_days(iso_year)), tm.wday);
                    if d >= 0 {
                        // the week belongs to the next year
                        iso_year = iso_year.wrapping_add(1);
                        days = d;
                    }
                }
                match conv {
                    b'g' => num(out, &f, 2, (iso_year % 100 + 100) % 100)?,
                    b'G' => num(out, &f, 1, iso_year)?,
                    _ => num(out, &f, 2, days / 7 + 1)?,
                }
            }
            b'W' if !e => num(
                out,
                &f,
                2,
                tm.yday
                    .wrapping_sub(tm.wday.wrapping_sub(1).wrapping_add(7) % 7)
                    .wrapping_add(7)
                    / 7,
            )?,
            b'w' if !e => num(out, &f, 1, tm.wday)?,
            b'Y' if !o => num(out, &f, 1, year)?,
            b'y' => num(out, &f, 2, (tm.year % 100 + 100) % 100)?,
            b'Z' => {
                if change_case {
                    f.upper = false;
                    f.lower = true;
                }
                let zone = match tm.zone.as_str() {
                    "" if tm.isdst > 1 => "?",
                    zone => zone,
                };
                out.put(zone.as_bytes(), &f)?;
            }
            // glibc prints nothing for an unknown DST flag
            b'z' if tm.isdst < 0 => {}
            b'z' => {
                // glibc's `int diff`, negated after the sign (gcc's code
                // then divides it unsigned, so INT_MIN prints -59652314)
                let diff = tm.gmtoff as i32;
                out.put(if diff < 0 { b"-" } else { b"+" }, &f)?;
                let minutes = diff.unsigned_abs() / 60;
                num(out, &f, 4, (minutes / 60 * 100 + minutes % 60) as i32)?;
            }
            _ => bad(out, &f, i)?,
        }
        i += 1;
    }
    Ok(())
}

/// The process's time zone, as `tzset` finds it: `TZ`, else
/// `/etc/localtime`. Equal to jiff's `TimeZone::system()` but without its
/// walk of the whole zone database to learn every name (most of a short
/// process's start-up): the common forms are read straight from their
/// file — `TZ` unset with `/etc/localtime` a link into a `zoneinfo`
/// directory, `TZ` empty (UTC), a POSIX rule, or a plain zone name — and
/// anything else (`TZDIR`, paths, names that are not files) is left to
/// jiff.
pub fn system_zone() -> TimeZone {
    system_zone_from(
        std::env::var_os("TZ").as_deref(),
        std::env::var_os("TZDIR").is_some(),
        Path::new("/etc/localtime"),
        Path::new("/usr/share/zoneinfo"),
    )
    .unwrap_or_else(TimeZone::system)
}

use std::path::Path;

/// [`system_zone`]'s fast path over given inputs; `None`: ask jiff.
fn system_zone_from(
    tz: Option<&std::ffi::OsStr>,
    tzdir: bool,
    localtime: &Path,
    zoneinfo: &Path,
) -> Option<TimeZone> {
    if tzdir {
        return None;
    }
    let named = |name: &str| -> Option<TimeZone> {
        let plain = !name.is_empty()
            && !name.starts_with('/')
            && name
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..")
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+-/".contains(&b));
        if !plain {
            return None;
        }
        let data = std::fs::read(zoneinfo.join(name)).ok()?;
        TimeZone::tzif(name, &data).ok()
    };
    match tz {
        Some(v) if v.is_empty() => Some(TimeZone::UTC),
        Some(v) => {
            let v = v.to_str()?;
            match v.strip_prefix(':') {
                Some(name) => named(name),
                // a POSIX rule comes first, as jiff and glibc read TZ
                None => TimeZone::posix(v).ok().or_else(|| named(v)),
            }
        }
        None => {
            let target = std::fs::read_link(localtime).ok()?;
            let target = target.to_str()?;
            let name = &target[target.rfind("zoneinfo/")? + "zoneinfo/".len()..];
            named(name)
        }
    }
}

#[cfg(test)]
mod tests;
