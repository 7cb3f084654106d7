//! Trace-log lines as syslog-ng writes them (reference §2): the prefix
//! `HOST CUSTOMER INSTANCE`, syslog-ng 3's lone `:`, then
//! `CODE RID DATE TIME ARGS...` (or the one-token `DATETHH:MM:SS` form of
//! Zope 2's ZServer).

/// A local (zone-less) time to the microsecond, as trace logs write it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct LocalTime {
    /// Year, month, day, hour, minute, second.
    pub ymdhms: (i16, i8, i8, i8, i8, i8),
    /// Microseconds.
    pub micros: u32,
}

impl LocalTime {
    /// The minute it falls in (the original's `date + "HH:MM"` key, which
    /// orders as these fields do).
    pub fn minute(&self) -> Minute {
        let (y, mo, d, h, mi, _) = self.ymdhms;
        Minute(y, mo, d, h, mi)
    }

    /// Microseconds since `other` (negative if before), within a day or
    /// so; used for the seconds a request computed.
    pub fn micros_since(&self, other: &LocalTime) -> i64 {
        let days = |t: &LocalTime| {
            let (y, mo, d, ..) = t.ymdhms;
            days_from_civil(y as i64, mo as i64, d as i64)
        };
        let secs = |t: &LocalTime| {
            let (_, _, _, h, mi, s) = t.ymdhms;
            days(t) * 86_400 + h as i64 * 3600 + mi as i64 * 60 + s as i64
        };
        (secs(self) - secs(other)) * 1_000_000 + self.micros as i64 - other.micros as i64
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A local minute: year, month, day, hour, minute.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Minute(pub i16, pub i8, pub i8, pub i8, pub i8);

/// One parsed line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// `HOST__CUSTOMER__INSTANCE`, the RRD file's stem.
    pub host: &'a str,
    /// The customer.
    pub customer: &'a str,
    /// The app-server instance.
    pub instance: &'a str,
    /// The record code (`B I C A E S X D -` or a custom one).
    pub code: &'a str,
    /// The request id.
    pub rid: &'a str,
    /// When.
    pub time: LocalTime,
    /// The first argument, if any (for `A`, the status).
    pub arg0: Option<&'a str>,
}

/// Why a line was not taken (each counted on the status page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// Not UTF-8.
    Binary,
    /// Longer than [`MAX_LINE`].
    TooLong,
    /// Fewer fields than a record has.
    Short,
    /// The date or time is not `YYYY-MM-DD HH:MM:SS[.ffffff]` (or the
    /// one-token form): a line cut inside its time, for one.
    BadTime,
    /// A host, customer or instance that could not name a file (`/`, a
    /// leading dot, a control character, over 100 bytes).
    BadName,
}

impl Skip {
    /// Every cause, for counters.
    pub const ALL: [Skip; 5] = [
        Skip::Binary,
        Skip::TooLong,
        Skip::Short,
        Skip::BadTime,
        Skip::BadName,
    ];

    /// Its name on the status page.
    pub fn name(self) -> &'static str {
        match self {
            Skip::Binary => "binary",
            Skip::TooLong => "too_long",
            Skip::Short => "short",
            Skip::BadTime => "bad_time",
            Skip::BadName => "bad_name",
        }
    }
}

/// Longest line taken, bytes.
pub const MAX_LINE: usize = 16 * 1024;
/// Longest host, customer or instance, bytes.
const MAX_NAME: usize = 100;

fn digits<T: std::str::FromStr>(s: &str, n: usize) -> Option<T> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `YYYY-MM-DD` and `HH:MM:SS[.f{1,6}]` into a checked local time.
pub fn parse_time(date: &str, time: &str) -> Option<LocalTime> {
    let mut d = date.split('-');
    let y: i16 = digits(d.next()?, 4)?;
    let mo: i8 = digits(d.next()?, 2)?;
    let day: i8 = digits(d.next()?, 2)?;
    if d.next().is_some() {
        return None;
    }
    let (hms, frac) = match time.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (time, None),
    };
    let mut t = hms.split(':');
    let h: i8 = digits(t.next()?, 2)?;
    let mi: i8 = digits(t.next()?, 2)?;
    let s: i8 = digits(t.next()?, 2)?;
    if t.next().is_some() {
        return None;
    }
    let micros = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 6 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(6 - f.len() as u32)
        }
        Some(_) => return None,
    };
    // a real calendar date and a real time of day
    jiff::civil::DateTime::new(y, mo, day, h, mi, s, 0).ok()?;
    Some(LocalTime {
        ymdhms: (y, mo, day, h, mi, s),
        micros,
    })
}

fn good_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && !s.starts_with('.')
        && !s.contains("__")
        && s.bytes()
            .all(|b| b > 0x20 && b != 0x7f && b != b'/' && b != b'\\')
}

/// Parses one line (without its newline).
pub fn parse_line(raw: &[u8]) -> Result<Line<'_>, Skip> {
    if raw.len() > MAX_LINE {
        return Err(Skip::TooLong);
    }
    let text = std::str::from_utf8(raw).map_err(|_| Skip::Binary)?;
    let mut it = text.split_ascii_whitespace();
    let (Some(host), Some(customer), Some(instance)) = (it.next(), it.next(), it.next()) else {
        return Err(Skip::Short);
    };
    let mut code = it.next().ok_or(Skip::Short)?;
    if code == ":" {
        // syslog-ng 3
        code = it.next().ok_or(Skip::Short)?;
    }
    let rid = it.next().ok_or(Skip::Short)?;
    let date = it.next().ok_or(Skip::Short)?;
    let time = match date.split_once('T') {
        // Zope 2's one-token form
        Some((d, t)) => parse_time(d, t),
        None => parse_time(date, it.next().ok_or(Skip::Short)?),
    }
    .ok_or(Skip::BadTime)?;
    if !(good_name(host) && good_name(customer) && good_name(instance)) {
        return Err(Skip::BadName);
    }
    Ok(Line {
        host,
        customer,
        instance,
        code,
        rid,
        time,
        arg0: it.next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_prefixes_and_both_time_forms() {
        let l = parse_line(
            b"app3.zope.net acme instance-8080 : A 23423600 2010-08-27 10:54:08.123456 200 1234",
        )
        .unwrap();
        assert_eq!(
            (l.host, l.customer, l.instance, l.code, l.rid, l.arg0),
            (
                "app3.zope.net",
                "acme",
                "instance-8080",
                "A",
                "23423600",
                Some("200")
            )
        );
        assert_eq!(l.time.ymdhms, (2010, 8, 27, 10, 54, 8));
        assert_eq!(l.time.micros, 123_456);
        let l = parse_line(b"h c i B 7 2008-08-26T11:55:00 GET /x").unwrap();
        assert_eq!((l.code, l.time.micros, l.arg0), ("B", 0, Some("GET")));
        let l = parse_line(b"h c i E 7 2008-08-26 11:55:00.5").unwrap();
        assert_eq!((l.time.micros, l.arg0), (500_000, None));
    }

    #[test]
    fn what_is_skipped() {
        assert_eq!(parse_line(b"h c i A 7"), Err(Skip::Short));
        assert_eq!(parse_line(b"h c i A 7 2010-08-27 11"), Err(Skip::BadTime));
        assert_eq!(parse_line(b"h c i A 7 2010-08-27"), Err(Skip::Short));
        assert_eq!(
            parse_line(b"h c i A 7 2010-02-30 11:00:00"),
            Err(Skip::BadTime)
        );
        assert_eq!(
            parse_line(b"h c i A 7 2010-08-27 11:00:00.1234567"),
            Err(Skip::BadTime)
        );
        assert_eq!(
            parse_line(b"/etc c i A 7 2010-08-27 11:00:00"),
            Err(Skip::BadName)
        );
        assert_eq!(
            parse_line(b"a/b c i A 7 2010-08-27 11:00:00"),
            Err(Skip::BadName)
        );
        assert_eq!(
            parse_line(b"h c a__b A 7 2010-08-27 11:00:00"),
            Err(Skip::BadName)
        );
        assert_eq!(parse_line(b"h c i A 7 \xff 11:00:00"), Err(Skip::Binary));
        assert_eq!(parse_line(&[b'x'; MAX_LINE + 1]), Err(Skip::TooLong));
    }

    #[test]
    fn microseconds_between_times() {
        let a = parse_time("2009-07-30", "15:48:22.729198").unwrap();
        let b = parse_time("2009-07-30", "15:49:25.147638").unwrap();
        assert_eq!(b.micros_since(&a), 62_418_440);
        let c = parse_time("2009-07-31", "00:00:00").unwrap();
        assert_eq!(
            c.micros_since(&b),
            (8 * 3600 + 10 * 60 + 34) * 1_000_000 + 852_362
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
