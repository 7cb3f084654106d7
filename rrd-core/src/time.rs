//! At-style time specifications, as C rrdtool 1.7.2 parses them
//! (`rrd_parsetime` and `rrd_proc_start_end`).
//!
//! The grammar:
//!
//! ```text
//! TIME-SPEC  ::= TIME-REF [OFFSET] | OFFSET | (start|s|end|e|epoch) OFFSET
//! TIME-REF   ::= now | n
//!              | TIME-OF-DAY [DAY]            # 12:30, 5pm, noon, midnight, teatime
//!              | [TIME-OF-DAY] DAY            # yesterday, today, tomorrow, weekday,
//!                                             # MM/DD/[YY]YY, DD.MM.[YY]YY, YYYYMMDD,
//!                                             # Month DD [YYYY], epoch seconds
//! OFFSET     ::= (+|-) NUMBER UNIT { [+|-] NUMBER UNIT }
//! ```
//!
//! [`parse_time`] turns one specification into a [`TimeSpec`]: either an
//! absolute Unix time, or a [`CalendarOffset`] relative to the other end of a
//! start/end pair. [`proc_start_end`] resolves such a pair the way rrdtool does.
//!
//! ```
//! use rrd_core::time::{parse_absolute, parse_time, proc_start_end};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tz = jiff::tz::TimeZone::get("Europe/Zurich")?;
//! let now = 1_700_000_000;
//! assert_eq!(parse_absolute("20240101", now, &tz)?, 1_704_063_600);
//! let start = parse_time("end-1d", now, &tz)?;
//! let end = parse_time("20240101", now, &tz)?;
//! assert_eq!(proc_start_end(&start, &end, &tz)?, (1_703_977_200, 1_704_063_600));
//! # Ok(())
//! # }
//! ```
//!
//! # Fidelity
//!
//! The parser follows rrdtool token for token, including its odd corners,
//! because scripts written against rrdtool depend on them:
//!
//! * Characters that are not letters, digits, blanks, `_`, `,`, `:`, `.`,
//!   `+`, `-` or `/` end the specification silently (`now#x` is `now`).
//! * A date with no time of day (`20240101`, `12/25/2024`, `25.12.2024`)
//!   swallows the token that follows it while looking for a time, so
//!   `20240101 +1d` is an error; `00:00 20240101 +1d` works.
//! * `MM/DD` and `DD.MM` without a year mean the year 30000 (an rrdtool bug);
//!   `Month DD` without a year means the current year.
//! * A non-unit token after an offset number is skipped (`now-5 10` is
//!   `now-5s`, `now+5-3h` is `now+5s+3h`).
//! * Number conversions behave like C's `atoi`/`atol` on a 64-bit system:
//!   saturating to `i64`, then truncated to 32 bits where rrdtool uses an `int`;
//!   calendar fields and offset products wrap at 32 bits.
//! * `epoch+N` yields a time counted from 1899-12-31 00:00 local time, as in
//!   rrdtool 1.7.2 (its `epoch` support is broken there).
//! * Calendar arithmetic reproduces glibc 2.36's `mktime`: a time in a
//!   spring-forward gap is read with the offset from before the gap (02:30
//!   becomes 03:30 summer time), and a time that occurs twice in autumn takes
//!   the offset that `now` has (rrdtool's `mktime` starts from the offset of
//!   its previous result). Day, week, month and year offsets on a date
//!   (`noon 20240330 +1d`) are DST-aware, but `end-1d` and `start+1d` keep
//!   the DST flag of the reference time, so in a zone whose summer time is one
//!   hour ahead they always move by exactly 24 hours.
//!
//! Known differences: rrdtool reads "now" from the wall clock and the zone
//! from `TZ`, both of which are parameters here. glibc's DST rules overflow
//! for local years beyond about five million, which this module does not
//! copy. When `fetch` parses its `-e` after its `-s`, glibc's `mktime` starts
//! from the offset of the start rather than of `now`; the two only differ for
//! an end in the repeated autumn hour.

use std::ops::Range;

use jiff::tz::TimeZone;
use rrd_clib::time::{self as ct, Domain, Guess, Tm};

/// Error from parsing an at-style time; `span` is the byte range of the
/// offending token in the input.
///
/// Messages are rrdtool's own texts. An empty span at the end of the input
/// means that something was missing there. Errors of [`proc_start_end`]
/// concern the pair rather than one input and carry the empty span `0..0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TimeError {
    /// rrdtool's message, without the "start time: " prefix that its
    /// commands add.
    pub message: String,
    /// Byte range of the offending token in the specification.
    pub span: Range<usize>,
}

impl TimeError {
    fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        TimeError {
            message: message.into(),
            span,
        }
    }
}

/// A calendar-aware offset from the other end of a start/end pair.
///
/// rrdtool keeps such an offset as a `struct tm` holding only the year, month
/// and day deltas, plus a number of seconds. The calendar deltas are added
/// to the local broken-down reference time and normalised like `mktime`;
/// the seconds are added to the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CalendarOffset {
    /// Years to add to the reference date.
    pub years: i32,
    /// Months to add to the reference date.
    pub months: i32,
    /// Days to add to the reference date (weeks count as 7 days).
    pub days: i32,
    /// Seconds to add after the calendar step (hours, minutes, seconds).
    pub seconds: i64,
}

/// What a time specification resolved to: absolute, or relative to the
/// other end (start/end) of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// Seconds since the Unix epoch.
    Absolute(i64),
    /// `start` or `s` followed by an offset: relative to the start time.
    RelativeToStart(CalendarOffset),
    /// `end` or `e` followed by an offset: relative to the end time.
    RelativeToEnd(CalendarOffset),
}

/// Parses an at-style time specification such as `now-1d`, `noon yesterday`,
/// `Sep 9 2001`, `20240101`, `end-1w` or `1700000000`.
///
/// `now` stands for rrdtool's wall clock and `tz` for its `TZ` variable.
///
/// # Errors
///
/// rrdtool's message, with the span of the offending token, for anything
/// rrdtool rejects.
pub fn parse_time(spec: &str, now: i64, tz: &TimeZone) -> Result<TimeSpec, TimeError> {
    Parser::new(spec, now, tz).parse().map(|(spec, _)| spec)
}

/// Resolves a start/end pair like rrdtool's `rrd_proc_start_end`: a start
/// relative to the end is counted back from the resolved end, and the other
/// way round.
///
/// # Errors
///
/// Both ends relative to each other, or one relative to itself (rrdtool's
/// messages), and a reference time too far out to break down in local time.
pub fn proc_start_end(
    start: &TimeSpec,
    end: &TimeSpec,
    tz: &TimeZone,
) -> Result<(i64, i64), TimeError> {
    match (start, end) {
        (TimeSpec::RelativeToEnd(_), TimeSpec::RelativeToStart(_)) => Err(TimeError::new(
            "the start and end times cannot be specified relative to each other",
            0..0,
        )),
        (TimeSpec::RelativeToStart(_), _) => Err(TimeError::new(
            "the start time cannot be specified relative to itself",
            0..0,
        )),
        (_, TimeSpec::RelativeToEnd(_)) => Err(TimeError::new(
            "the end time cannot be specified relative to itself",
            0..0,
        )),
        (TimeSpec::RelativeToEnd(offset), TimeSpec::Absolute(end)) => {
            Ok((apply_offset(*end, offset, tz)?, *end))
        }
        (TimeSpec::Absolute(start), TimeSpec::RelativeToStart(offset)) => {
            Ok((*start, apply_offset(*start, offset, tz)?))
        }
        (TimeSpec::Absolute(start), TimeSpec::Absolute(end)) => Ok((*start, *end)),
    }
}

/// Parses a specification that must not refer to `start` or `end`, such as
/// the `--start` of `rrdtool create`.
///
/// # Errors
///
/// Those of [`parse_time`], and rrdtool's message for a specification
/// relative to `start` or `end`, with the span of that keyword.
pub fn parse_absolute(spec: &str, now: i64, tz: &TimeZone) -> Result<i64, TimeError> {
    match Parser::new(spec, now, tz).parse()? {
        (TimeSpec::Absolute(t), _) => Ok(t),
        (_, reference) => Err(TimeError::new(
            "specifying time relative to the 'start' or 'end' makes no sense here",
            reference,
        )),
    }
}

/// rrdtool's message when `mktime` gives up.
/// rrdtool's default `--start`/`--end` window (fetch, xport, graph): from
/// `end-24h` to now.
pub fn default_window(now: i64) -> (TimeSpec, TimeSpec) {
    let start = TimeSpec::RelativeToEnd(CalendarOffset {
        seconds: -86400,
        ..Default::default()
    });
    (start, TimeSpec::Absolute(now))
}

/// A `--start`/`--end` value (`which` is `start` or `end`), failing with
/// rrdtool's message (`start time: ...`).
pub fn parse_window_time(
    which: &str,
    value: &str,
    now: i64,
    tz: &TimeZone,
) -> Result<TimeSpec, String> {
    parse_time(value, now, tz).map_err(|e| format!("{which} time: {}", e.message))
}

const OUT_OF_RANGE: &str = "the specified time is incorrect (out of range?)";

/// Adds a calendar offset to a reference time: the reference is broken down
/// in local time (keeping its DST flag), the calendar fields are shifted and
/// normalised, and the seconds are added.
fn apply_offset(reference: i64, offset: &CalendarOffset, tz: &TimeZone) -> Result<i64, TimeError> {
    let mut tm = ct::localtime(reference, tz).ok_or_else(|| TimeError::new(OUT_OF_RANGE, 0..0))?;
    tm.mday = tm.mday.wrapping_add(offset.days);
    tm.mon = tm.mon.wrapping_add(offset.months);
    tm.year = tm.year.wrapping_add(offset.years);
    let guess = i64::from(ct::utc_offset(reference, tz).0);
    // rrdtool does not check this mktime; its -1 error value flows on.
    let t = mktime(&tm, guess, tz).unwrap_or(-1);
    Ok(t.wrapping_add(offset.seconds))
}

// ---------------------------------------------------------------------------
// Calendar arithmetic: C's struct tm, localtime and glibc's mktime are
// rrd_clib::time's; what is rrdtool's is the offset its mktime starts from.

/// The UTC offset glibc's `mktime` starts from when rrdtool parses a
/// specification: `fetch`, `graph` and friends have just resolved their
/// default end, `now`, starting from offset 0. This only matters for a
/// local time that occurs twice.
fn now_guess(now: i64, tz: &TimeZone) -> i64 {
    let Some(mut tm) = ct::localtime(now, tz) else {
        return 0;
    };
    tm.isdst = -1;
    mktime(&tm, 0, tz).map_or(0, |t| ct::local_seconds(&tm) - t)
}

/// glibc's `mktime` from the UTC offset `guess`, in glibc's domain (any
/// year); `None` where glibc returns an error.
fn mktime(tm: &Tm, guess: i64, tz: &TimeZone) -> Option<i64> {
    ct::mktime(tm, tz, Guess::Offset(guess), Domain::Glibc)
        .ok()
        .flatten()
}

// ---------------------------------------------------------------------------
// Scanner.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
    /// `m`: months or minutes, decided by context.
    MonthsMinutes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// End of input, or a character the scanner does not know.
    Eof,
    Number,
    Colon,
    Dot,
    Plus,
    Minus,
    Slash,
    /// A word that is not special in the current context.
    Id,
    Midnight,
    Noon,
    Teatime,
    Am,
    Pm,
    Yesterday,
    Today,
    Tomorrow,
    Now,
    Start,
    End,
    Epoch,
    /// January = 0.
    Month(i32),
    /// Sunday = 0.
    Weekday(i32),
    Unit(Unit),
}

/// Which words are special: rrdtool switches tables when the offset starts,
/// so that `mon` and `s` mean Monday and start before it, month and
/// seconds after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Words {
    TimeReference,
    Offset,
}

fn classify(word: &str, words: Words) -> Kind {
    let w = word.to_ascii_lowercase();
    match words {
        Words::TimeReference => {
            const MONTHS: [&str; 12] = [
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ];
            const WEEKDAYS: [&str; 7] = [
                "sunday",
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
            ];
            let kind = match w.as_str() {
                "midnight" => Kind::Midnight,
                "noon" => Kind::Noon,
                "teatime" => Kind::Teatime,
                "am" => Kind::Am,
                "pm" => Kind::Pm,
                "tomorrow" => Kind::Tomorrow,
                "yesterday" => Kind::Yesterday,
                "today" => Kind::Today,
                "now" | "n" => Kind::Now,
                "start" | "s" => Kind::Start,
                "end" | "e" => Kind::End,
                "epoch" => Kind::Epoch,
                _ => Kind::Id,
            };
            if kind != Kind::Id {
                return kind;
            }
            // Full names or their first three letters.
            let abbreviation_of =
                |name: &&str| w == **name || (w.len() == 3 && name.starts_with(&w));
            if let Some(i) = MONTHS.iter().position(abbreviation_of) {
                return Kind::Month(i as i32);
            }
            if let Some(i) = WEEKDAYS.iter().position(abbreviation_of) {
                return Kind::Weekday(i as i32);
            }
            Kind::Id
        }
        Words::Offset => match w.as_str() {
            "second" | "seconds" | "sec" | "s" => Kind::Unit(Unit::Seconds),
            "minute" | "minutes" | "min" => Kind::Unit(Unit::Minutes),
            "m" => Kind::Unit(Unit::MonthsMinutes),
            "hour" | "hours" | "hr" | "h" => Kind::Unit(Unit::Hours),
            "day" | "days" | "d" => Kind::Unit(Unit::Days),
            "week" | "weeks" | "wk" | "w" => Kind::Unit(Unit::Weeks),
            "month" | "months" | "mon" => Kind::Unit(Unit::Months),
            "year" | "years" | "yr" | "y" => Kind::Unit(Unit::Years),
            _ => Kind::Id,
        },
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    span: Range<usize>,
    /// rrdtool's token buffer: the token's text, the unknown character for
    /// a stray `Eof`, or a number re-printed after backtracking.
    text: String,
}

impl Token {
    /// `strlen` of rrdtool's token buffer, which holds one byte of a stray
    /// character.
    fn c_len(&self) -> usize {
        if self.kind == Kind::Eof {
            self.text.len().min(1)
        } else {
            self.text.len()
        }
    }
}

fn is_blank(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | b'_' | b','
    )
}

// ---------------------------------------------------------------------------
// Parser.

/// The kind of reference a specification starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reference {
    Absolute,
    Start,
    End,
    Epoch,
}

struct Parser<'a> {
    /// The specification, cut at a NUL as C would see it.
    src: &'a str,
    /// Scanner position (rrdtool's `sct`): after the current token, or at a
    /// stray character.
    pos: usize,
    words: Words,
    tok: Token,
    tz: &'a TimeZone,
    now: i64,
    tm: Tm,
    /// Seconds offset (hours, minutes, seconds).
    offset: i64,
    /// Sign of the current offset group.
    plus: bool,
    /// The unit of the previous offset term, for guessing what `m` means.
    previous_unit: Option<Unit>,
}

impl<'a> Parser<'a> {
    fn new(spec: &'a str, now: i64, tz: &'a TimeZone) -> Self {
        let src = spec.find('\0').map_or(spec, |nul| &spec[..nul]);
        Parser {
            src,
            pos: 0,
            words: Words::TimeReference,
            tok: Token {
                kind: Kind::Eof,
                span: 0..0,
                text: String::new(),
            },
            tz,
            now,
            tm: Tm {
                isdst: -1,
                ..Tm::default()
            },
            offset: 0,
            plus: true,
            previous_unit: None,
        }
    }

    /// Scans the next token into `self.tok` and returns its kind.
    fn next(&mut self) -> Kind {
        let bytes = self.src.as_bytes();
        while bytes.get(self.pos).is_some_and(|&c| is_blank(c)) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&first) = bytes.get(start) else {
            self.tok = Token {
                kind: Kind::Eof,
                span: start..start,
                text: String::new(),
            };
            return Kind::Eof;
        };
        let run =
            |pred: fn(&u8) -> bool| start + bytes[start..].iter().take_while(|c| pred(c)).count();
        let (kind, end) = if first.is_ascii_digit() {
            (Kind::Number, run(u8::is_ascii_digit))
        } else if first.is_ascii_alphabetic() {
            let end = run(u8::is_ascii_alphabetic);
            (classify(&self.src[start..end], self.words), end)
        } else {
            let kind = match first {
                b':' => Kind::Colon,
                b'.' => Kind::Dot,
                b'+' => Kind::Plus,
                b'-' => Kind::Minus,
                b'/' => Kind::Slash,
                _ => Kind::Eof,
            };
            let width = self.src[start..].chars().next().map_or(1, char::len_utf8);
            (kind, start + width)
        };
        self.tok = Token {
            kind,
            span: start..end,
            text: self.src[start..end].to_string(),
        };
        // rrdtool does not move past a character it does not know, so every
        // later token is the same `Eof`.
        if kind != Kind::Eof {
            self.pos = end;
        }
        kind
    }

    /// The current token's text followed by the rest of the input, as
    /// rrdtool quotes it in its messages.
    fn rest(&self) -> String {
        format!("{}{}", self.tok.text, &self.src[self.pos..])
    }

    fn error(&self, message: impl Into<String>) -> TimeError {
        TimeError::new(message, self.tok.span.clone())
    }

    fn expect_number(&mut self, message: impl FnOnce() -> String) -> Result<(), TimeError> {
        if self.next() == Kind::Number {
            Ok(())
        } else {
            Err(self.error(message()))
        }
    }

    /// Parses the whole specification; also returns the span of its first
    /// token (the `start`/`end` keyword for relative specifications).
    fn parse(mut self) -> Result<(TimeSpec, Range<usize>), TimeError> {
        let whole = 0..self.src.len();
        self.tm = ct::localtime(self.now, self.tz)
            .ok_or_else(|| TimeError::new(OUT_OF_RANGE, whole.clone()))?;
        self.tm.isdst = -1;
        let mut reference = Reference::Absolute;

        let first = self.next();
        let first_span = self.tok.span.clone();
        match first {
            Kind::Plus | Kind::Minus => {}
            Kind::Now | Kind::Start | Kind::End | Kind::Epoch => {
                if first != Kind::Now {
                    reference = match first {
                        Kind::Start => Reference::Start,
                        Kind::End => Reference::End,
                        _ => Reference::Epoch,
                    };
                    let tm = &mut self.tm;
                    (tm.sec, tm.min, tm.hour) = (0, 0, 0);
                    (tm.mday, tm.mon, tm.year) = (0, 0, 0);
                }
                let after = self.next();
                if after != Kind::Plus && after != Kind::Minus {
                    if first != Kind::Now {
                        return Err(self.error("'start' or 'end' MUST be followed by +|- offset"));
                    } else if after != Kind::Eof {
                        return Err(
                            self.error("if 'now' is followed by a token it must be +|- offset")
                        );
                    }
                }
            }
            Kind::Number => {
                let (hour_saved, year_saved) = (self.tm.hour, self.tm.year);
                // Markers: still there afterwards means "not given".
                self.tm.hour = 30;
                self.tm.year = 30_000;
                self.time_of_day()?;
                self.day()?;
                if self.tm.hour == 30 && self.tm.year != 30_000 {
                    self.time_of_day()?;
                }
                if self.tm.hour == 30 {
                    self.tm.hour = hour_saved;
                }
                if self.tm.year == 30_000 {
                    self.tm.year = year_saved;
                }
            }
            Kind::Month(_) => {
                self.day()?;
                if self.tok.kind == Kind::Number {
                    self.time_of_day()?;
                }
            }
            Kind::Teatime | Kind::Noon | Kind::Midnight => {
                self.tm.hour = match first {
                    Kind::Teatime => 16,
                    Kind::Noon => 12,
                    _ => 0,
                };
                self.tm.min = 0;
                self.tm.sec = 0;
                self.next();
                self.day()?;
            }
            _ => return Err(self.error(format!("unparsable time: {}", self.rest()))),
        }

        if matches!(self.tok.kind, Kind::Plus | Kind::Minus) {
            self.words = Words::Offset;
            while matches!(self.tok.kind, Kind::Plus | Kind::Minus | Kind::Number) {
                let sign = match self.tok.kind {
                    Kind::Plus => Some(true),
                    Kind::Minus => Some(false),
                    _ => None,
                };
                self.offset_term(sign)?;
                self.next();
            }
        }

        if self.tok.kind != Kind::Eof {
            return Err(self.error(format!("unparsable trailing text: '...{}'", self.rest())));
        }

        let relative = |tm: &Tm, seconds| CalendarOffset {
            years: tm.year,
            months: tm.mon,
            days: tm.mday,
            seconds,
        };
        let spec = match reference {
            Reference::Absolute => {
                let guess = now_guess(self.now, self.tz);
                match mktime(&self.tm, guess, self.tz) {
                    Some(t) if t != -1 => TimeSpec::Absolute(t.wrapping_add(self.offset)),
                    _ => return Err(TimeError::new(OUT_OF_RANGE, whole)),
                }
            }
            // rrdtool 1.7.2 never adds the epoch: the zeroed struct tm is
            // 1899-12-31 00:00 local time, and nothing checks its mktime.
            Reference::Epoch => {
                let guess = now_guess(self.now, self.tz);
                let t = mktime(&self.tm, guess, self.tz).unwrap_or(-1);
                TimeSpec::Absolute(t.wrapping_add(self.offset))
            }
            Reference::Start => TimeSpec::RelativeToStart(relative(&self.tm, self.offset)),
            Reference::End => TimeSpec::RelativeToEnd(relative(&self.tm, self.offset)),
        };
        Ok((spec, first_span))
    }

    /// One `NUMBER UNIT` term of the offset; `sign` is given when the term
    /// starts with `+` or `-`, otherwise the previous sign repeats.
    fn offset_term(&mut self, sign: Option<bool>) -> Result<(), TimeError> {
        if let Some(plus) = sign {
            self.plus = plus;
            let op = if plus { '+' } else { '-' };
            self.expect_number(|| format!("There should be number after '{op}'"))?;
            self.previous_unit = None;
        }
        let mut delta = rrd_clib::strtol::atoi(&self.tok.text);
        let unit = match self.next() {
            Kind::Unit(Unit::MonthsMinutes) => Some(match self.previous_unit {
                Some(Unit::Days | Unit::Weeks | Unit::Months | Unit::Years) => Unit::Months,
                Some(Unit::Seconds | Unit::Minutes | Unit::Hours) => Unit::Minutes,
                // "In the context of RRD who needs less than 6 min deltas?"
                _ if delta < 6 => Unit::Months,
                _ => Unit::Minutes,
            }),
            Kind::Unit(unit) => Some(unit),
            // Anything else counts as seconds and is then skipped.
            _ => None,
        };
        self.previous_unit = unit;
        let signed = |v: i32| if self.plus { v } else { v.wrapping_neg() };
        let tm = &mut self.tm;
        match unit {
            Some(Unit::Years) => tm.year = tm.year.wrapping_add(signed(delta)),
            Some(Unit::Months) => tm.mon = tm.mon.wrapping_add(signed(delta)),
            Some(Unit::Weeks | Unit::Days) => {
                if unit == Some(Unit::Weeks) {
                    delta = delta.wrapping_mul(7);
                }
                tm.mday = tm.mday.wrapping_add(signed(delta));
            }
            Some(Unit::Hours) => {
                let secs = signed(delta).wrapping_mul(3600);
                self.offset = self.offset.wrapping_add(i64::from(secs));
            }
            Some(Unit::Minutes) => {
                let secs = signed(delta).wrapping_mul(60);
                self.offset = self.offset.wrapping_add(i64::from(secs));
            }
            Some(Unit::Seconds | Unit::MonthsMinutes) | None => {
                self.offset = self.offset.wrapping_add(i64::from(signed(delta)));
            }
        }
        Ok(())
    }

    /// TIME-OF-DAY: `HH[:MM][am|pm]`. Called on whatever the current token
    /// is; a token of up to two characters is taken as the hour (a word
    /// counts as 0), and the scanner backtracks when it turns out to be a
    /// date or an hour above 23.
    fn time_of_day(&mut self) -> Result<(), TimeError> {
        if self.tok.c_len() > 2 {
            return Ok(());
        }
        let (saved_pos, saved_tok) = (self.pos, self.tok.clone());
        let mut hour = rrd_clib::strtol::atoi(&self.tok.text);
        let mut minute = 0;
        let backtrack = |p: &mut Self, hour: i32| {
            p.pos = saved_pos;
            p.tok = Token {
                text: hour.to_string(),
                ..saved_tok.clone()
            };
        };

        let kind = self.next();
        if kind == Kind::Slash || kind == Kind::Dot {
            backtrack(self, hour);
            return Ok(());
        }
        if kind == Kind::Colon {
            self.expect_number(|| {
                "Parsing HH:MM syntax, expecting MM as number, got none".to_string()
            })?;
            minute = rrd_clib::strtol::atoi(&self.tok.text);
            if minute > 59 {
                return Err(self.error(format!("parsing HH:MM syntax, got MM = {minute} (>59!)")));
            }
            self.next();
        }
        if self.tok.kind == Kind::Am || self.tok.kind == Kind::Pm {
            if hour > 12 {
                return Err(TimeError::new(
                    "there cannot be more than 12 AM or PM hours",
                    saved_tok.span.start..self.tok.span.end,
                ));
            }
            if self.tok.kind == Kind::Pm {
                if hour != 12 {
                    hour += 12;
                }
            } else if hour == 12 {
                hour = 0;
            }
            self.next();
        } else if hour > 23 {
            backtrack(self, hour);
            return Ok(());
        }
        self.tm.hour = hour;
        self.tm.min = minute;
        self.tm.sec = 0;
        Ok(())
    }

    /// DAY: `yesterday|today|tomorrow`, a weekday, `Month DD [YY]YY`, epoch
    /// seconds, `YYYYMMDD`, `MM/DD[/YY]YY` or `DD.MM[.YY]YY`. Anything else
    /// is left for the caller.
    fn day(&mut self) -> Result<(), TimeError> {
        match self.tok.kind {
            Kind::Yesterday => {
                self.tm.mday = self.tm.mday.wrapping_sub(1);
                self.next();
            }
            Kind::Today => {
                self.next();
            }
            Kind::Tomorrow => {
                self.tm.mday = self.tm.mday.wrapping_add(1);
                self.next();
            }
            Kind::Month(mon) => {
                self.expect_number(|| "the day of the month should follow month name".to_string())?;
                let mday = rrd_clib::strtol::atol(&self.tok.text);
                let mut year_span = self.tok.span.clone();
                let year = if self.next() == Kind::Number {
                    year_span = self.tok.span.clone();
                    let year = rrd_clib::strtol::atol(&self.tok.text);
                    self.next();
                    year
                } else {
                    i64::from(self.tm.year)
                };
                self.assign_date(mday, i64::from(mon), year, year_span)?;
            }
            Kind::Weekday(wday) => {
                self.tm.mday = self.tm.mday.wrapping_add(wday - self.tm.wday);
                self.next();
            }
            Kind::Number => self.numeric_day()?,
            _ => {}
        }
        Ok(())
    }

    fn numeric_day(&mut self) -> Result<(), TimeError> {
        let number = self.tok.clone();
        let mut mon = rrd_clib::strtol::atol(&number.text);
        if mon > 10 * 365 * 24 * 60 * 60 {
            // Seconds since the epoch, taken with their own DST flag.
            self.tm = match ct::localtime(mon, self.tz) {
                Some(tm) => tm,
                None => ct::localtime_overflow(mon, self.tz, std::mem::take(&mut self.tm)),
            };
            self.next();
            return Ok(());
        }
        let mut mday = 0;
        let mut year = i64::from(self.tm.year);
        let (mut mon_span, mut mday_span) = (number.span.clone(), number.span.clone());
        let mut year_span = number.span.clone();
        if mon > 19_700_101 && mon < 24_000_101 {
            // YYYYMMDD, read by position from the digits as written.
            let part =
                |range: Range<usize>| rrd_clib::strtol::atol(number.text.get(range).unwrap_or(""));
            year = part(0..4);
            mon = part(4..6);
            mday = part(6..8);
            self.next();
        } else {
            let separator = self.next();
            if mon <= 31 && (separator == Kind::Slash || separator == Kind::Dot) {
                let (what, sep) = if separator == Kind::Dot {
                    ("month", '.')
                } else {
                    ("day", '/')
                };
                self.expect_number(|| format!("there should be {what} number after '{sep}'"))?;
                mday = rrd_clib::strtol::atol(&self.tok.text);
                mday_span = self.tok.span.clone();
                year_span = self.tok.span.clone();
                if self.next() == separator {
                    self.expect_number(|| format!("there should be year number after '{sep}'"))?;
                    year = rrd_clib::strtol::atol(&self.tok.text);
                    year_span = self.tok.span.clone();
                    self.next();
                }
                if separator == Kind::Dot {
                    std::mem::swap(&mut mday, &mut mon);
                    std::mem::swap(&mut mday_span, &mut mon_span);
                }
            }
        }
        mon -= 1;
        if !(0..=11).contains(&mon) {
            // rrdtool prints these longs with %d.
            let shown = mon.wrapping_add(1) as i32;
            return Err(TimeError::new(
                format!("did you really mean month {shown}?"),
                mon_span,
            ));
        }
        if !(1..=31).contains(&mday) {
            return Err(TimeError::new(
                format!(
                    "I'm afraid that {} is not a valid day of the month",
                    mday as i32
                ),
                mday_span,
            ));
        }
        self.assign_date(mday, mon, year, year_span)
    }

    /// Stores a date, applying rrdtool's year rules: 0-37 mean 2000-2037,
    /// 70-138 mean 1970-2038 (as years since 1900), above 1970 as given.
    fn assign_date(
        &mut self,
        mday: i64,
        mon: i64,
        mut year: i64,
        year_span: Range<usize>,
    ) -> Result<(), TimeError> {
        if year > 138 {
            if year > 1970 {
                year -= 1900;
            } else {
                return Err(TimeError::new(
                    format!(
                        "invalid year {} (should be either 00-99 or >1900)",
                        year as i32
                    ),
                    year_span,
                ));
            }
        } else if (0..38).contains(&year) {
            year += 100;
        }
        if year < 70 {
            return Err(TimeError::new(
                "won't handle dates before epoch (01/01/1970), sorry",
                year_span,
            ));
        }
        self.tm.mday = mday as i32;
        self.tm.mon = mon as i32;
        self.tm.year = year as i32;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZURICH: &str = "Europe/Zurich";
    /// 2026-11-25 12:34:00 CET, a Wednesday.
    const NOW_2026: i64 = 1_795_606_440;
    /// 2024-07-01 02:00:00 CEST.
    const SUMMER_2024: i64 = 1_719_792_000;
    /// 2024-03-31 03:00:00 CEST, the instant summer time started.
    const SPRING_FORWARD_2024: i64 = 1_711_846_800;
    /// 2024-10-27 02:00:00 CET, the instant summer time ended.
    const FALL_BACK_2024: i64 = 1_729_990_800;
    /// 2024-02-29 01:00:00 CET.
    const LEAP_DAY_2024: i64 = 1_709_164_800;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).expect("time zone in /usr/share/zoneinfo")
    }

    /// The harness's notation (see tests/data/time/harness.c).
    fn render_one(result: Result<TimeSpec, TimeError>) -> String {
        match result {
            Ok(TimeSpec::Absolute(t)) => t.to_string(),
            Ok(TimeSpec::RelativeToStart(o)) => {
                format!("START {} {} {} {}", o.years, o.months, o.days, o.seconds)
            }
            Ok(TimeSpec::RelativeToEnd(o)) => {
                format!("END {} {} {} {}", o.years, o.months, o.days, o.seconds)
            }
            Err(e) => format!("ERR {}", e.message),
        }
    }

    fn render_pair(start: &str, end: &str, now: i64, tz: &TimeZone) -> String {
        let start = match parse_time(start, now, tz) {
            Ok(spec) => spec,
            Err(e) => return format!("ERR start: {}", e.message),
        };
        let end = match parse_time(end, now, tz) {
            Ok(spec) => spec,
            Err(e) => return format!("ERR end: {}", e.message),
        };
        match proc_start_end(&start, &end, tz) {
            Ok((s, e)) => format!("{s} {e}"),
            Err(e) => format!("ERR {}", e.message),
        }
    }

    /// `expected` is rrdtool's answer in the harness's notation.
    #[track_caller]
    fn check(spec: &str, now: i64, tz: &str, expected: &str) {
        let got = render_one(parse_time(spec, now, &zone(tz)));
        assert_eq!(got, expected, "spec {spec:?}, now {now}, TZ {tz}");
    }

    #[track_caller]
    fn check_pair(start: &str, end: &str, now: i64, tz: &str, expected: &str) {
        let got = render_pair(start, end, now, &zone(tz));
        assert_eq!(
            got, expected,
            "start {start:?}, end {end:?}, now {now}, TZ {tz}"
        );
    }

    #[track_caller]
    fn check_error(spec: &str, message: &str, span: Range<usize>) {
        let err = parse_time(spec, NOW_2026, &zone(ZURICH)).expect_err(spec);
        assert_eq!(
            (err.message.as_str(), err.span),
            (message, span),
            "spec {spec:?}"
        );
    }

    #[test]
    fn now_and_offsets() {
        check("now", NOW_2026, ZURICH, "1795606440");
        check("n", NOW_2026, ZURICH, "1795606440");
        check("NOW", NOW_2026, ZURICH, "1795606440");
        check("Now-1H", NOW_2026, ZURICH, "1795602840");
        check("now-1h", NOW_2026, ZURICH, "1795602840");
        check("now - 1 hour", NOW_2026, ZURICH, "1795602840");
        check("now-1d", NOW_2026, ZURICH, "1795520040");
        check("-1d", NOW_2026, ZURICH, "1795520040");
        check("-1h", NOW_2026, ZURICH, "1795602840");
        check("+1h", NOW_2026, ZURICH, "1795610040");
        check("-2weeks", NOW_2026, ZURICH, "1794396840");
        check("now-1mon", NOW_2026, ZURICH, "1792928040");
        check("-1y", NOW_2026, ZURICH, "1764070440");
        check("now+1year", NOW_2026, ZURICH, "1827142440");
        check("now-5m", NOW_2026, ZURICH, "1782383640");
        check("now-6m", NOW_2026, ZURICH, "1795606080");
        check("now-25m", NOW_2026, ZURICH, "1795604940");
        check("now-1h5m", NOW_2026, ZURICH, "1795602540");
        check("now-1h-5m", NOW_2026, ZURICH, "1782380040");
        check("now-1y6m", NOW_2026, ZURICH, "1748169240");
        check("now-3w1m", NOW_2026, ZURICH, "1791110040");
        check("now-5s2m", NOW_2026, ZURICH, "1795606315");
        check("now-1d12h", NOW_2026, ZURICH, "1795476840");
        check("-1d_12h", NOW_2026, ZURICH, "1795476840");
        check("now,-1,d", NOW_2026, ZURICH, "1795520040");
        check("N-1D", NOW_2026, ZURICH, "1795520040");
        check("now-2months", NOW_2026, ZURICH, "1790332440");
        check("now-1minute", NOW_2026, ZURICH, "1795606380");
        check("now-90seconds", NOW_2026, ZURICH, "1795606350");
        check("now-1sec", NOW_2026, ZURICH, "1795606439");
        check("now-1hr", NOW_2026, ZURICH, "1795602840");
        check("now-1wk", NOW_2026, ZURICH, "1795001640");
        check("now-1yr", NOW_2026, ZURICH, "1764070440");
        check("now-10 years", NOW_2026, ZURICH, "1480073640");
        check("now+5-3h", NOW_2026, ZURICH, "1795617245");
        check("now-5foo", NOW_2026, ZURICH, "1795606435");
        check("now-5 10", NOW_2026, ZURICH, "1795606435");
        check("now#x", NOW_2026, ZURICH, "1795606440");
        check("now-1d#comment", NOW_2026, ZURICH, "1795520040");
        check("now-300", NOW_2026, ZURICH, "1795606140");
        check("now-1mon", SPRING_FORWARD_2024, ZURICH, "1709344800");
        check("now-1d", SPRING_FORWARD_2024, ZURICH, "1711764000");
        check("now-24h", SPRING_FORWARD_2024, ZURICH, "1711760400");
        check("now+1y", LEAP_DAY_2024, ZURICH, "1740787200");
    }

    #[test]
    fn epoch_seconds() {
        check("1000000000", NOW_2026, ZURICH, "1000000000");
        check("315360001", NOW_2026, ZURICH, "315360001");
        check(
            "315360000",
            NOW_2026,
            ZURICH,
            "ERR did you really mean month 315360000?",
        );
        check("1711846800 +1d", NOW_2026, ZURICH, "1711933200");
        check("1711846800-1h", NOW_2026, ZURICH, "1711843200");
        check("1711846800 -1mon", NOW_2026, ZURICH, "1709341200");
    }

    #[test]
    fn time_of_day() {
        check("12:30", NOW_2026, ZURICH, "1795606200");
        check("12:30pm", NOW_2026, ZURICH, "1795606200");
        check("12:30 pm", NOW_2026, ZURICH, "1795606200");
        check("12am", NOW_2026, ZURICH, "1795561200");
        check("12pm", NOW_2026, ZURICH, "1795604400");
        check("0:00", NOW_2026, ZURICH, "1795561200");
        check("23:59", NOW_2026, ZURICH, "1795647540");
        check("9am", NOW_2026, ZURICH, "1795593600");
        check("9:15AM", NOW_2026, ZURICH, "1795594500");
        check("7", NOW_2026, ZURICH, "1795586400");
        check("07:05", NOW_2026, ZURICH, "1795586700");
        check(
            "24:00",
            NOW_2026,
            ZURICH,
            "ERR did you really mean month 24?",
        );
        check(
            "13pm",
            NOW_2026,
            ZURICH,
            "ERR there cannot be more than 12 AM or PM hours",
        );
        check(
            "12:60",
            NOW_2026,
            ZURICH,
            "ERR parsing HH:MM syntax, got MM = 60 (>59!)",
        );
        check(
            "12:",
            NOW_2026,
            ZURICH,
            "ERR Parsing HH:MM syntax, expecting MM as number, got none",
        );
        check(
            "12:x",
            NOW_2026,
            ZURICH,
            "ERR Parsing HH:MM syntax, expecting MM as number, got none",
        );
        check("noon", NOW_2026, ZURICH, "1795604400");
        check("midnight", NOW_2026, ZURICH, "1795561200");
        check("teatime", NOW_2026, ZURICH, "1795618800");
        check("NOON", NOW_2026, ZURICH, "1795604400");
        check("noon yesterday", NOW_2026, ZURICH, "1795518000");
        check("noon tomorrow", NOW_2026, ZURICH, "1795690800");
        check("midnight yesterday", NOW_2026, ZURICH, "1795474800");
        check("midnight today", NOW_2026, ZURICH, "1795561200");
        check("teatime tomorrow", NOW_2026, ZURICH, "1795705200");
        check("noon friday", NOW_2026, ZURICH, "1795777200");
        check("noon sunday", NOW_2026, ZURICH, "1795345200");
        check("midnight mon", NOW_2026, ZURICH, "1795388400");
        check("noon Saturday", NOW_2026, ZURICH, "1795863600");
        check("9am tomorrow", NOW_2026, ZURICH, "1795680000");
        check("12:30 yesterday", NOW_2026, ZURICH, "1795519800");
        check("noon yesterday -1h", NOW_2026, ZURICH, "1795514400");
        check("midnight -1d", NOW_2026, ZURICH, "1795474800");
    }

    #[test]
    fn dates() {
        check("midnight yesterday+3h", NOW_2026, ZURICH, "1795485600");
        check("20240101", NOW_2026, ZURICH, "1704063600");
        check("20240229", NOW_2026, ZURICH, "1709161200");
        check("20240231", NOW_2026, ZURICH, "1709334000");
        check(
            "19700102",
            NOW_2026,
            ZURICH,
            "ERR invalid year 1970 (should be either 00-99 or >1900)",
        );
        check(
            "24000100",
            NOW_2026,
            ZURICH,
            "ERR I'm afraid that 0 is not a valid day of the month",
        );
        check(
            "24000101",
            NOW_2026,
            ZURICH,
            "ERR did you really mean month 24000101?",
        );
        check(
            "19700101",
            NOW_2026,
            ZURICH,
            "ERR did you really mean month 19700101?",
        );
        check(
            "020240101",
            NOW_2026,
            ZURICH,
            "ERR did you really mean month 40?",
        );
        check("12/25/2024", NOW_2026, ZURICH, "1735081200");
        check("12/25/24", NOW_2026, ZURICH, "1735081200");
        check("12/25/99", NOW_2026, ZURICH, "946076400");
        check("12/25/70", NOW_2026, ZURICH, "30927600");
        check(
            "12/25/69",
            NOW_2026,
            ZURICH,
            "ERR won't handle dates before epoch (01/01/1970), sorry",
        );
        check("12/25/37", NOW_2026, ZURICH, "2145308400");
        check(
            "12/25/38",
            NOW_2026,
            ZURICH,
            "ERR won't handle dates before epoch (01/01/1970), sorry",
        );
        check(
            "12/25/1970",
            NOW_2026,
            ZURICH,
            "ERR invalid year 1970 (should be either 00-99 or >1900)",
        );
        check("12/25/1971", NOW_2026, ZURICH, "62463600");
        check("12/25/2100", NOW_2026, ZURICH, "4133372400");
        check(
            "12/25/1900",
            NOW_2026,
            ZURICH,
            "ERR invalid year 1900 (should be either 00-99 or >1900)",
        );
        check("12/25", NOW_2026, ZURICH, "884572354800");
        check("25.12.2024", NOW_2026, ZURICH, "1735081200");
        check("25.12.24", NOW_2026, ZURICH, "1735081200");
        check("25.12", NOW_2026, ZURICH, "884572354800");
        check("31.03.2024", NOW_2026, ZURICH, "1711839600");
        check(
            "13/01/2024",
            NOW_2026,
            ZURICH,
            "ERR did you really mean month 13?",
        );
        check(
            "01/32/2024",
            NOW_2026,
            ZURICH,
            "ERR I'm afraid that 32 is not a valid day of the month",
        );
        check(
            "01/00/2024",
            NOW_2026,
            ZURICH,
            "ERR I'm afraid that 0 is not a valid day of the month",
        );
        check(
            "99/1/2024",
            NOW_2026,
            ZURICH,
            "ERR did you really mean month 99?",
        );
        check(
            "1/",
            NOW_2026,
            ZURICH,
            "ERR there should be day number after '/'",
        );
        check(
            "1/x",
            NOW_2026,
            ZURICH,
            "ERR there should be day number after '/'",
        );
        check(
            "1/2/",
            NOW_2026,
            ZURICH,
            "ERR there should be year number after '/'",
        );
        check(
            "1.",
            NOW_2026,
            ZURICH,
            "ERR there should be month number after '.'",
        );
        check(
            "1.2.x",
            NOW_2026,
            ZURICH,
            "ERR there should be year number after '.'",
        );
        check("12/25/2024 12:00", NOW_2026, ZURICH, "1735124400");
        check("12:00 12/25/2024", NOW_2026, ZURICH, "1735124400");
        check(
            "12/25/2024 +1d",
            NOW_2026,
            ZURICH,
            "ERR unparsable trailing text: '...1d'",
        );
        check("00:00 12/25/2024 +1d", NOW_2026, ZURICH, "1735167600");
        check(
            "20240101 +1h",
            NOW_2026,
            ZURICH,
            "ERR unparsable trailing text: '...1h'",
        );
        check("20240101 12:00", NOW_2026, ZURICH, "1704106800");
        check("20240101 9am", NOW_2026, ZURICH, "1704096000");
        check("20240101 am", NOW_2026, ZURICH, "1704063600");
        check(
            "20240101 xy/",
            NOW_2026,
            ZURICH,
            "ERR unparsable trailing text: '...0/'",
        );
        check("Sep 9 2001", NOW_2026, ZURICH, "1000031640");
        check("sep 9 2001", NOW_2026, ZURICH, "1000031640");
        check("SEPTEMBER 9 2001", NOW_2026, ZURICH, "1000031640");
        check("Sep 9 01", NOW_2026, ZURICH, "1000031640");
        check("Sep 9", NOW_2026, ZURICH, "1788950040");
        check("Dec 25 2024 12:00", NOW_2026, ZURICH, "1735124400");
        check("Dec 25 2024 10:30 pm", NOW_2026, ZURICH, "1735162200");
        check(
            "Jan 1 1970",
            NOW_2026,
            ZURICH,
            "ERR invalid year 1970 (should be either 00-99 or >1900)",
        );
        check(
            "Jan 1 1969",
            NOW_2026,
            ZURICH,
            "ERR invalid year 1969 (should be either 00-99 or >1900)",
        );
        check("Feb 30 2024", NOW_2026, ZURICH, "1709292840");
        check("Sep 9 2001 +1d", NOW_2026, ZURICH, "1000118040");
        check(
            "Sep",
            NOW_2026,
            ZURICH,
            "ERR the day of the month should follow month name",
        );
        check(
            "Sep x",
            NOW_2026,
            ZURICH,
            "ERR the day of the month should follow month name",
        );
        check(
            "Sep 9 12:30",
            NOW_2026,
            ZURICH,
            "ERR unparsable trailing text: '...:30'",
        );
        check("May 1 2024", NOW_2026, ZURICH, "1714559640");
        check("march 31 2024", NOW_2026, ZURICH, "1711881240");
        check(
            "1 Jan",
            NOW_2026,
            ZURICH,
            "ERR the day of the month should follow month name",
        );
        check("monday", NOW_2026, ZURICH, "ERR unparsable time: monday");
        check("noon mon", NOW_2026, ZURICH, "1795431600");
        check("noon tue", NOW_2026, ZURICH, "1795518000");
        check("start+1h", NOW_2026, ZURICH, "START 0 0 0 3600");
    }

    #[test]
    fn relative_references() {
        check("end-1d", NOW_2026, ZURICH, "END 0 0 -1 0");
        check("e-1w", NOW_2026, ZURICH, "END 0 0 -7 0");
        check("s+1mon", NOW_2026, ZURICH, "START 0 1 0 0");
        check("end-1y", NOW_2026, ZURICH, "END -1 0 0 0");
        check("end-36h", NOW_2026, ZURICH, "END 0 0 0 -129600");
        check("end-1d2h", NOW_2026, ZURICH, "END 0 0 -1 -7200");
        check("end-5m", NOW_2026, ZURICH, "END 0 -5 0 0");
        check("end-6m", NOW_2026, ZURICH, "END 0 0 0 -360");
        check("end+1", NOW_2026, ZURICH, "END 0 0 0 1");
        check(
            "end",
            NOW_2026,
            ZURICH,
            "ERR 'start' or 'end' MUST be followed by +|- offset",
        );
        check(
            "start 1d",
            NOW_2026,
            ZURICH,
            "ERR 'start' or 'end' MUST be followed by +|- offset",
        );
        check("epoch+1d", NOW_2026, ZURICH, "-2208992400");
        check("epoch+100y", NOW_2026, ZURICH, "946594800");
        check("epoch+1000000000s", NOW_2026, ZURICH, "-1209078800");
        check(
            "epoch",
            NOW_2026,
            ZURICH,
            "ERR 'start' or 'end' MUST be followed by +|- offset",
        );
        check("garbage", NOW_2026, ZURICH, "ERR unparsable time: garbage");
        check("", NOW_2026, ZURICH, "ERR unparsable time: ");
        check("   ", NOW_2026, ZURICH, "ERR unparsable time: ");
        check("#abc", NOW_2026, ZURICH, "ERR unparsable time: ##abc");
    }

    #[test]
    fn errors() {
        check(
            "yesterday",
            NOW_2026,
            ZURICH,
            "ERR unparsable time: yesterday",
        );
        check(
            "tomorrow",
            NOW_2026,
            ZURICH,
            "ERR unparsable time: tomorrow",
        );
        check("today", NOW_2026, ZURICH, "ERR unparsable time: today");
        check("friday", NOW_2026, ZURICH, "ERR unparsable time: friday");
        check(
            "now 5",
            NOW_2026,
            ZURICH,
            "ERR if 'now' is followed by a token it must be +|- offset",
        );
        check(
            "now foo",
            NOW_2026,
            ZURICH,
            "ERR if 'now' is followed by a token it must be +|- offset",
        );
        check(
            "noon foo",
            NOW_2026,
            ZURICH,
            "ERR unparsable trailing text: '...foo'",
        );
        check(
            "now+",
            NOW_2026,
            ZURICH,
            "ERR There should be number after '+'",
        );
        check(
            "now+h",
            NOW_2026,
            ZURICH,
            "ERR There should be number after '+'",
        );
        check(
            "now-1d+",
            NOW_2026,
            ZURICH,
            "ERR There should be number after '+'",
        );
        check(
            "123",
            NOW_2026,
            ZURICH,
            "ERR did you really mean month 123?",
        );
        check(
            "12:00 foo",
            NOW_2026,
            ZURICH,
            "ERR unparsable trailing text: '...foo'",
        );
        check("now+1000000h", NOW_2026, ZURICH, "1100639144");
        check("now-1000000h", NOW_2026, ZURICH, "2490573736");
        check("now+2147483648s", NOW_2026, ZURICH, "-351877208");
        check("now+4294967296s", NOW_2026, ZURICH, "1795606440");
        check("99999999999", NOW_2026, ZURICH, "99999999999");
        check("midnight 20240331 +1d", NOW_2026, ZURICH, "1711922400");
    }

    #[test]
    fn c_integer_wrapping() {
        check("midnight 20240331 +24h", NOW_2026, ZURICH, "1711926000");
        check("noon 20240330 +1d", NOW_2026, ZURICH, "1711879200");
        check("noon 20240330 +24h", NOW_2026, ZURICH, "1711882800");
        check("02:30 31.03.2024", NOW_2026, ZURICH, "1711848600");
        check("02:00 31.03.2024", NOW_2026, ZURICH, "1711846800");
    }

    #[test]
    fn dst_transitions() {
        check("03:00 31.03.2024", NOW_2026, ZURICH, "1711846800");
        check("01:59 31.03.2024", NOW_2026, ZURICH, "1711846740");
        check("02:30 27.10.2024", NOW_2026, ZURICH, "1729992600");
        check("02:30 27.10.2024", SUMMER_2024, ZURICH, "1729989000");
        check("02:30 27.10.2024", FALL_BACK_2024, ZURICH, "1729992600");
        check("midnight 20241027 +1d", NOW_2026, ZURICH, "1730070000");
        check("midnight 20241027 +24h", NOW_2026, ZURICH, "1730066400");
        check("now", SPRING_FORWARD_2024, ZURICH, "1711846800");
        check("now", FALL_BACK_2024, ZURICH, "1729990800");
        check("midnight", FALL_BACK_2024, ZURICH, "1729980000");
        check(
            "midnight tomorrow",
            SPRING_FORWARD_2024,
            ZURICH,
            "1711922400",
        );
        check_pair(
            "end-1d",
            "noon 20240331",
            NOW_2026,
            ZURICH,
            "1711792800 1711879200",
        );
        check_pair(
            "end-1d",
            "noon 20240401",
            NOW_2026,
            ZURICH,
            "1711879200 1711965600",
        );
        check_pair(
            "end-24h",
            "noon 20240331",
            NOW_2026,
            ZURICH,
            "1711792800 1711879200",
        );
        check_pair(
            "noon 20240330",
            "start+1d",
            NOW_2026,
            ZURICH,
            "1711796400 1711882800",
        );
        check_pair(
            "noon 20241026",
            "start+1d",
            NOW_2026,
            ZURICH,
            "1729936800 1730023200",
        );
    }

    #[test]
    fn start_end_pairs() {
        check_pair(
            "end-1w",
            "noon 20241101",
            NOW_2026,
            ZURICH,
            "1729854000 1730458800",
        );
        check_pair(
            "end-1mon",
            "midnight 20240430",
            NOW_2026,
            ZURICH,
            "1711749600 1714428000",
        );
        check_pair(
            "end-1y",
            "20240229",
            NOW_2026,
            ZURICH,
            "1677625200 1709161200",
        );
        check_pair(
            "end-1d",
            "1711846800",
            NOW_2026,
            ZURICH,
            "1711760400 1711846800",
        );
        check_pair(
            "end-2h",
            "20240101 12:00",
            NOW_2026,
            ZURICH,
            "1704099600 1704106800",
        );
        check_pair(
            "end-1w",
            "12:00 12/25/2024",
            NOW_2026,
            ZURICH,
            "1734519600 1735124400",
        );
        check_pair(
            "Sep 9 2001",
            "start+1d",
            NOW_2026,
            ZURICH,
            "1000031640 1000118040",
        );
        check_pair("-1d", "now", NOW_2026, ZURICH, "1795520040 1795606440");
        check_pair("end-1d", "now", NOW_2026, ZURICH, "1795520040 1795606440");
        check_pair("now-1h", "now", NOW_2026, ZURICH, "1795602840 1795606440");
        check_pair(
            "midnight",
            "start+1d",
            NOW_2026,
            ZURICH,
            "1795561200 1795647600",
        );
        check_pair(
            "end-1d",
            "start+1d",
            NOW_2026,
            ZURICH,
            "ERR the start and end times cannot be specified relative to each other",
        );
        check_pair(
            "start-1d",
            "now",
            NOW_2026,
            ZURICH,
            "ERR the start time cannot be specified relative to itself",
        );
        check_pair(
            "now",
            "end-1d",
            NOW_2026,
            ZURICH,
            "ERR the end time cannot be specified relative to itself",
        );
        check_pair(
            "start-1d",
            "end+1d",
            NOW_2026,
            ZURICH,
            "ERR the start time cannot be specified relative to itself",
        );
        check_pair(
            "epoch+1d",
            "start+1d",
            NOW_2026,
            ZURICH,
            "-2208992400 -2208906000",
        );
        check_pair(
            "end-1h",
            "epoch+3600s",
            NOW_2026,
            ZURICH,
            "-2209078800 -2209075200",
        );
        check("20240101", NOW_2026, "UTC", "1704067200");
        check("noon", NOW_2026, "UTC", "1795608000");
        check("now-1d", NOW_2026, "UTC", "1795520040");
        check("Sep 9 2001", NOW_2026, "UTC", "1000035240");
        check("12/25/2024 12:00", NOW_2026, "UTC", "1735128000");
    }

    #[test]
    fn other_zones() {
        check("epoch+1d", NOW_2026, "UTC", "-2208988800");
        check_pair(
            "end-1d",
            "20240331",
            NOW_2026,
            "UTC",
            "1711756800 1711843200",
        );
        check(
            "02:30 03/10/2024",
            NOW_2026,
            "America/New_York",
            "1710055800",
        );
        check(
            "01:30 11/03/2024",
            NOW_2026,
            "America/New_York",
            "1730615400",
        );
        check(
            "01:30 11/03/2024",
            SUMMER_2024,
            "America/New_York",
            "1730611800",
        );
        check(
            "midnight 03/10/2024 +1d",
            NOW_2026,
            "America/New_York",
            "1710129600",
        );
        check_pair(
            "end-1d",
            "noon 03/10/2024",
            NOW_2026,
            "America/New_York",
            "1710000000 1710086400",
        );
        check_pair(
            "end-1d",
            "noon 11/03/2024",
            NOW_2026,
            "America/New_York",
            "1730566800 1730653200",
        );
        check(
            "02:15 10/06/2024",
            NOW_2026,
            "Australia/Lord_Howe",
            "1728143100",
        );
        check(
            "noon 10/06/2024 -1d",
            NOW_2026,
            "Australia/Lord_Howe",
            "1728091800",
        );
        check_pair(
            "end-1d",
            "noon 10/06/2024",
            NOW_2026,
            "Australia/Lord_Howe",
            "1728090000 1728176400",
        );
        check_pair(
            "end-1d",
            "noon 04/07/2024",
            NOW_2026,
            "Australia/Lord_Howe",
            "1712367000 1712453400",
        );
        check(
            "midnight 11/04/2018",
            NOW_2026,
            "America/Sao_Paulo",
            "1541300400",
        );
        check(
            "noon 11/03/2018 +1d",
            NOW_2026,
            "America/Sao_Paulo",
            "1541340000",
        );
        check_pair(
            "end-1d",
            "noon 11/04/2018",
            NOW_2026,
            "America/Sao_Paulo",
            "1541253600 1541340000",
        );
        check("20240101", NOW_2026, "Asia/Kolkata", "1704047400");
        check("noon yesterday", NOW_2026, "Asia/Kolkata", "1795501800");
    }

    #[test]
    fn golden_corpus() {
        let data = include_str!("../tests/data/time/golden.tsv");
        let mut cases = 0;
        for line in data
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let fields: Vec<&str> = line.split('\t').collect();
            let [kind, tz, now, spec, end, expected] = fields[..] else {
                panic!("malformed golden line {line:?}");
            };
            let now: i64 = now.parse().expect("now");
            let tz_zone = zone(tz);
            let got = if kind == "one" {
                render_one(parse_time(spec, now, &tz_zone))
            } else {
                render_pair(spec, end, now, &tz_zone)
            };
            assert_eq!(got, expected, "{kind} {spec:?} {end:?}, now {now}, TZ {tz}");
            cases += 1;
        }
        assert!(cases > 1000, "only {cases} golden cases");
    }

    #[test]
    fn parse_absolute_rejects_relative_specs() {
        let tz = zone(ZURICH);
        assert_eq!(
            parse_absolute("Sep 9 2001", NOW_2026, &tz),
            Ok(1_000_031_640)
        );
        // rrdtool's create prints the same time for epoch+1d (then rejects it
        // as before 1980).
        assert_eq!(
            parse_absolute("epoch+1d", NOW_2026, &tz),
            Ok(-2_208_992_400)
        );
        let message = "specifying time relative to the 'start' or 'end' makes no sense here";
        let err = parse_absolute("  end-1d", NOW_2026, &tz).unwrap_err();
        assert_eq!((err.message.as_str(), err.span), (message, 2..5));
        let err = parse_absolute("s+1h", NOW_2026, &tz).unwrap_err();
        assert_eq!((err.message.as_str(), err.span), (message, 0..1));
        let err = parse_absolute("garbage", NOW_2026, &tz).unwrap_err();
        assert_eq!(err.message, "unparsable time: garbage");
    }

    #[test]
    fn relative_payload() {
        let tz = zone(ZURICH);
        let spec = parse_time("end-1y2mon3w4d5h6m7s", NOW_2026, &tz);
        let offset = CalendarOffset {
            years: -1,
            months: -2,
            days: -25,
            seconds: -(5 * 3600 + 6 * 60 + 7),
        };
        assert_eq!(spec, Ok(TimeSpec::RelativeToEnd(offset)));
        let end = TimeSpec::Absolute(1_000_000_000);
        let start = TimeSpec::RelativeToEnd(offset);
        // rrdtool: 2001-09-09 03:46:40 CEST less 1 year 2 months 25 days,
        // then 5:06:07 earlier.
        assert_eq!(
            proc_start_end(&start, &end, &tz),
            Ok((960_928_833, 1_000_000_000))
        );
    }

    #[test]
    fn error_spans() {
        check_error("garbage", "unparsable time: garbage", 0..7);
        check_error("", "unparsable time: ", 0..0);
        check_error("  #x", "unparsable time: ##x", 2..3);
        check_error("yesterday", "unparsable time: yesterday", 0..9);
        check_error(
            "noon foo bar",
            "unparsable trailing text: '...foo bar'",
            5..8,
        );
        check_error("20240101 +1h", "unparsable trailing text: '...1h'", 10..11);
        check_error(
            "now 5",
            "if 'now' is followed by a token it must be +|- offset",
            4..5,
        );
        check_error(
            "end",
            "'start' or 'end' MUST be followed by +|- offset",
            3..3,
        );
        check_error(
            "start x",
            "'start' or 'end' MUST be followed by +|- offset",
            6..7,
        );
        check_error("now-1d+h", "There should be number after '+'", 7..8);
        check_error("now-", "There should be number after '-'", 4..4);
        check_error(
            "12:x",
            "Parsing HH:MM syntax, expecting MM as number, got none",
            3..4,
        );
        check_error("12:75", "parsing HH:MM syntax, got MM = 75 (>59!)", 3..5);
        check_error(
            "13:00pm",
            "there cannot be more than 12 AM or PM hours",
            0..7,
        );
        check_error(
            "Sep x",
            "the day of the month should follow month name",
            4..5,
        );
        check_error("1/x", "there should be day number after '/'", 2..3);
        check_error("1.", "there should be month number after '.'", 2..2);
        check_error("1/2/", "there should be year number after '/'", 4..4);
        check_error("13/01/2024", "did you really mean month 13?", 0..2);
        check_error("01.13.2024", "did you really mean month 13?", 3..5);
        check_error("20241301", "did you really mean month 13?", 0..8);
        check_error(
            "01/32/2024",
            "I'm afraid that 32 is not a valid day of the month",
            3..5,
        );
        check_error(
            "00.01.2024",
            "I'm afraid that 0 is not a valid day of the month",
            0..2,
        );
        check_error(
            "12/25/1950",
            "invalid year 1950 (should be either 00-99 or >1900)",
            6..10,
        );
        check_error(
            "noon Jan 1 69",
            "won't handle dates before epoch (01/01/1970), sorry",
            11..13,
        );
        check_error(
            "now+2147483000y+12000mon",
            "the specified time is incorrect (out of range?)",
            0..24,
        );
    }

    #[test]
    fn proc_start_end_errors_have_empty_spans() {
        let tz = zone(ZURICH);
        let rel = TimeSpec::RelativeToEnd(CalendarOffset::default());
        let err = proc_start_end(&rel, &rel, &tz).unwrap_err();
        assert_eq!(
            err.message,
            "the end time cannot be specified relative to itself"
        );
        assert_eq!(err.span, 0..0);
        // Absolute times far outside what localtime handles are errors, not panics.
        let far = TimeSpec::Absolute(i64::MAX);
        let err = proc_start_end(&rel, &far, &tz).unwrap_err();
        assert_eq!(
            err.message,
            "the specified time is incorrect (out of range?)"
        );
        let start = TimeSpec::Absolute(i64::MIN);
        let end = TimeSpec::RelativeToStart(CalendarOffset::default());
        assert!(proc_start_end(&start, &end, &tz).is_err());
    }

    #[test]
    fn nul_ends_the_spec_like_a_c_string() {
        check("now-1h\0+5d", NOW_2026, ZURICH, "1795602840");
    }

    /// A fuzz-like sweep: 10,000 pseudo-random short strings from an alphabet
    /// that reaches every branch must never panic.
    #[test]
    fn random_input_never_panics() {
        const PIECES: &[&str] = &[
            "now",
            "n",
            "start",
            "s",
            "end",
            "e",
            "epoch",
            "noon",
            "midnight",
            "teatime",
            "am",
            "pm",
            "yesterday",
            "today",
            "tomorrow",
            "jan",
            "sep",
            "december",
            "mon",
            "friday",
            "m",
            "h",
            "d",
            "w",
            "y",
            "min",
            "sec",
            "months",
            "0",
            "1",
            "5",
            "6",
            "12",
            "24",
            "59",
            "60",
            "99",
            "1970",
            "2024",
            "20240331",
            "315360001",
            "99999999999",
            "2147483648",
            "4294967295",
            "9999999999999999999999",
            ":",
            ".",
            "+",
            "-",
            "/",
            " ",
            "_",
            ",",
            "#",
            "é",
            "\0",
            "\t",
        ];
        let zones = [
            zone(ZURICH),
            zone("America/New_York"),
            zone("Australia/Lord_Howe"),
            TimeZone::UTC,
        ];
        let nows = [
            NOW_2026,
            SPRING_FORWARD_2024,
            FALL_BACK_2024,
            0,
            -1,
            i64::MAX,
            i64::MIN,
        ];
        // xorshift64*, fixed seed: reproducible without a dependency.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: usize| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
        };
        for _ in 0..10_000 {
            let spec: String = (0..1 + next(7))
                .map(|_| PIECES[next(PIECES.len())])
                .collect();
            let tz = &zones[next(zones.len())];
            let now = nows[next(nows.len())];
            let start = parse_time(&spec, now, tz);
            let _ = parse_absolute(&spec, now, tz);
            if let Err(e) = &start {
                assert!(
                    e.span.start <= e.span.end && e.span.end <= spec.len(),
                    "{spec:?}: {e:?}"
                );
                assert!(spec.is_char_boundary(e.span.start) && spec.is_char_boundary(e.span.end));
            }
            if let Ok(start) = start {
                let end = TimeSpec::RelativeToStart(CalendarOffset {
                    years: i32::MAX,
                    months: i32::MIN,
                    days: 1,
                    seconds: i64::MAX,
                });
                let _ = proc_start_end(&start, &end, tz);
                let _ = proc_start_end(&start, &TimeSpec::Absolute(now), tz);
            }
        }
    }
}
