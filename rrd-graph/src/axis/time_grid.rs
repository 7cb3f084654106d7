//! The vertical (time) grid and its labels: the x-label table, `-x`
//! specifications, `vertical_grid`, glibc's calendar arithmetic.

use super::*;

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

pub(super) const fn row(
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

pub(super) const DAY: i64 = 86_400;

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

pub(super) fn out_of_range() -> Error {
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
pub(super) fn localtime(t: i64, tz: &TimeZone) -> Option<Tm> {
    ct::in_jiff_range(t).then(|| ct::localtime(t, tz)).flatten()
}

/// glibc's `mktime` of a `tm` whose `tm_isdst` is set (rrdtool never
/// resets it to -1), from the offset before the local time, which is what
/// glibc has cached while a grid moves forward. `Ok(None)` where glibc
/// returns -1; an error for times outside the years -9999..=9999, which
/// glibc handles and jiff does not.
pub(super) fn mktime(tm: &Tm, tz: &TimeZone) -> Result<Option<i64>> {
    ct::mktime(tm, tz, Guess::Earlier, Domain::Jiff).map_err(|_| out_of_range())
}

/// `strftime(buf, maxsize, fmt, tm)` in the C locale, with `%s` a
/// [`mktime`] in `tz`; `None` where glibc returns 0 because the text and
/// its NUL do not fit.
///
/// # Errors
///
/// `%s` outside the years -9999..=9999.
pub(super) fn strftime(
    fmt: &str,
    tm: &Tm,
    tz: &TimeZone,
    maxsize: usize,
) -> Result<Option<String>> {
    let mut percent_s = |tm: &Tm| mktime(tm, tz).map(|t| t.unwrap_or(-1));
    let text = ct::strftime(fmt.as_bytes(), tm, maxsize, &mut percent_s)?;
    Ok(text.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// rrdtool's `find_first_time`/`find_next_time` in one time zone.
pub(super) struct Calendar<'a> {
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
