//! The time axis of a graph: rrdtool's x-label table, row choice by seconds
//! per pixel, `-x` custom grids, and the grid and label times
//! (`vertical_grid`, `find_first_time`, `find_next_time`), with labels
//! formatted as glibc's `strftime` does in the C locale.

use jiff::tz::TimeZone;
use rrd_core::time::{local_time, make_time, LocalTime};

/// A calendar unit of the time grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
    /// Weeks.
    Week,
    /// Months.
    Month,
    /// Years.
    Year,
}

impl Unit {
    /// The keyword of `-x`.
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "SECOND" => Unit::Second,
            "MINUTE" => Unit::Minute,
            "HOUR" => Unit::Hour,
            "DAY" => Unit::Day,
            "WEEK" => Unit::Week,
            "MONTH" => Unit::Month,
            "YEAR" => Unit::Year,
            _ => return None,
        })
    }
}

/// One row of the x-label table, or a `-x` specification.
#[derive(Debug, Clone, PartialEq)]
pub struct XGrid {
    /// Minor grid unit and count.
    pub minor: (Unit, i64),
    /// Major grid unit and count.
    pub major: (Unit, i64),
    /// Label unit and count.
    pub label: (Unit, i64),
    /// Label precision in seconds (labels sit in the middle of it).
    pub precis: i64,
    /// strftime format of the labels.
    pub format: String,
}

use Unit::{Day as D, Hour as H, Minute as Mi, Month as Mo, Second as S, Week as W};

/// rrdtool 1.7.2's x-label table: minimum seconds per pixel, minimum
/// span for the row, minor, major, labels, precision, format.
#[allow(clippy::type_complexity)]
const XLAB: [(f64, i64, (Unit, i64), (Unit, i64), (Unit, i64), i64, &str); 37] = [
    (0.0, 0, (S, 1), (S, 5), (S, 1), 0, "%H:%M:%S"),
    (0.015, 0, (S, 1), (S, 5), (S, 5), 0, "%H:%M:%S"),
    (0.08, 0, (S, 1), (S, 5), (S, 10), 0, "%H:%M:%S"),
    (0.15, 0, (S, 5), (S, 15), (S, 30), 0, "%H:%M:%S"),
    (0.4, 0, (S, 10), (Mi, 1), (Mi, 1), 0, "%H:%M"),
    (0.7, 0, (S, 20), (Mi, 1), (Mi, 1), 0, "%H:%M"),
    (1.0, 0, (S, 30), (Mi, 1), (Mi, 2), 0, "%H:%M"),
    (2.0, 0, (Mi, 1), (Mi, 5), (Mi, 5), 0, "%H:%M"),
    (5.0, 0, (Mi, 2), (Mi, 10), (Mi, 10), 0, "%H:%M"),
    (10.0, 0, (Mi, 5), (Mi, 20), (Mi, 20), 0, "%H:%M"),
    (30.0, 0, (Mi, 10), (Mi, 30), (H, 1), 0, "%H:%M"),
    (60.0, 0, (Mi, 30), (H, 1), (H, 2), 0, "%H:%M"),
    (60.0, 86400, (Mi, 30), (H, 1), (H, 3), 0, "%a %H:%M"),
    (140.0, 0, (H, 1), (H, 2), (H, 4), 0, "%a %H:%M"),
    (180.0, 0, (H, 1), (H, 3), (H, 6), 0, "%a %H:%M"),
    (300.0, 0, (H, 2), (H, 6), (H, 12), 0, "%a %H:%M"),
    (600.0, 0, (H, 6), (D, 1), (D, 1), 86400, "%a %d %b"),
    (1200.0, 0, (H, 6), (D, 1), (D, 1), 86400, "%d %b"),
    (1800.0, 0, (H, 12), (D, 1), (D, 2), 86400, "%a %d %b"),
    (2400.0, 0, (H, 12), (D, 1), (D, 2), 86400, "%d %b"),
    (3600.0, 0, (D, 1), (W, 1), (W, 1), 604800, "Week %V"),
    (12000.0, 0, (D, 1), (Mo, 1), (Mo, 1), 2592000, "%B %Y"),
    (18000.0, 0, (D, 2), (Mo, 1), (Mo, 1), 2592000, "%B %Y"),
    (23000.0, 0, (W, 1), (Mo, 1), (Mo, 1), 2592000, "%b %Y"),
    (32000.0, 0, (W, 1), (Mo, 1), (Mo, 1), 2592000, "%b '%g"),
    (42000.0, 0, (W, 1), (Mo, 1), (Mo, 2), 2592000, "%B %Y"),
    (52000.0, 0, (W, 1), (Mo, 1), (Mo, 2), 2592000, "%b %Y"),
    (78000.0, 0, (W, 1), (Mo, 1), (Mo, 2), 2592000, "%b '%g"),
    (84000.0, 0, (W, 2), (Mo, 1), (Mo, 3), 2592000, "%B %Y"),
    (94000.0, 0, (W, 2), (Mo, 1), (Mo, 3), 2592000, "%b %Y"),
    (120000.0, 0, (W, 2), (Mo, 1), (Mo, 3), 2592000, "%b '%g"),
    (130000.0, 0, (Mo, 1), (Mo, 2), (Mo, 4), 0, "%Y-%m-%d"),
    (142000.0, 0, (Mo, 1), (Mo, 3), (Mo, 6), 0, "%Y-%m-%d"),
    (220000.0, 0, (Mo, 1), (Mo, 6), (Mo, 12), 0, "%Y-%m-%d"),
    (400000.0, 0, (Mo, 2), (Mo, 12), (Mo, 12), 31536000, "%Y"),
    (800000.0, 0, (Mo, 4), (Mo, 12), (Mo, 24), 31536000, "%Y"),
    (2000000.0, 0, (Mo, 6), (Mo, 12), (Mo, 24), 31536000, "'%g"),
];

/// The table row rrdtool picks for `span` seconds over `xsize` pixels;
/// `week_fmt` replaces the week row's format (`--week-fmt`).
pub fn pick(span: i64, xsize: i64, week_fmt: Option<&str>) -> XGrid {
    let factor = span as f64 / xsize as f64;
    let mut sel = 0;
    while sel + 1 < XLAB.len() && XLAB[sel + 1].0 <= factor {
        sel += 1;
    }
    while sel > 0 && XLAB[sel - 1].0 == XLAB[sel].0 && XLAB[sel].1 > span {
        sel -= 1;
    }
    let r = XLAB[sel];
    let format = match (sel, week_fmt) {
        (20, Some(w)) => w.to_string(),
        _ => r.6.to_string(),
    };
    XGrid {
        minor: r.2,
        major: r.3,
        label: r.4,
        precis: r.5,
        format,
    }
}

/// `find_first_time`.
fn first_time(t: i64, (unit, step): (Unit, i64), tz: &TimeZone) -> Option<i64> {
    let mut lt = local_time(t, tz)?;
    let step32 = step.clamp(1, i64::from(i32::MAX)) as i32;
    match unit {
        Unit::Second => lt.sec -= lt.sec % step32,
        Unit::Minute => {
            lt.sec = 0;
            lt.min -= lt.min % step32;
        }
        Unit::Hour => {
            lt.sec = 0;
            lt.min = 0;
            lt.hour -= lt.hour % step32;
        }
        Unit::Day => {
            lt.sec = 0;
            lt.min = 0;
            lt.hour = 0;
        }
        Unit::Week => {
            // weeks start on Sunday in the C locale
            lt.sec = 0;
            lt.min = 0;
            lt.hour = 0;
            lt.mday -= lt.wday;
        }
        Unit::Month => {
            lt.sec = 0;
            lt.min = 0;
            lt.hour = 0;
            lt.mday = 1;
            lt.mon -= lt.mon % step32;
        }
        Unit::Year => {
            lt.sec = 0;
            lt.min = 0;
            lt.hour = 0;
            lt.mday = 1;
            lt.mon = 0;
            lt.year -= (lt.year + 1900) % step32;
        }
    }
    make_time(&lt, t, tz)
}

/// `find_next_time`.
fn next_time(t: i64, (unit, step): (Unit, i64), tz: &TimeZone) -> Option<i64> {
    let lt0 = local_time(t, tz)?;
    let step32 = step.clamp(-i64::from(i32::MAX), i64::from(i32::MAX)) as i32;
    let tries = match unit {
        Unit::Second => 7200,
        Unit::Minute => 120,
        _ => 2,
    };
    let mut lt = lt0;
    for _ in 0..=tries {
        let add = |lt: &mut LocalTime| match unit {
            Unit::Second => lt.sec += step32,
            Unit::Minute => lt.min += step32,
            Unit::Hour => lt.hour += step32,
            Unit::Day => lt.mday += step32,
            Unit::Week => lt.mday += 7 * step32,
            Unit::Month => lt.mon += step32,
            Unit::Year => lt.year += step32,
        };
        add(&mut lt);
        if let Some(x) = make_time(&lt, t, tz) {
            return Some(x);
        }
    }
    None
}

/// Grid and label times of a time axis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimeGrid {
    /// Minor line times (not on a major line).
    pub minor: Vec<i64>,
    /// Major line times.
    pub major: Vec<i64>,
    /// Label times and texts.
    pub labels: Vec<(i64, String)>,
}

/// The lines and labels of `g` over `[start, end]`.
pub fn time_grid(g: &XGrid, start: i64, end: i64, tz: &TimeZone) -> TimeGrid {
    let mut out = TimeGrid::default();
    // a bound on the number of steps, against absurd custom grids
    const MAX_LINES: usize = 100_000;
    let mut ti = first_time(start, g.major, tz);
    while let Some(t) = ti.filter(|&t| t < end) {
        if t >= start {
            out.major.push(t);
        }
        if out.major.len() > MAX_LINES {
            break;
        }
        ti = next_time(t, g.major, tz).filter(|&n| n > t);
    }
    let mut ti = first_time(start, g.minor, tz);
    while let Some(t) = ti.filter(|&t| t < end) {
        if t >= start && out.major.binary_search(&t).is_err() {
            out.minor.push(t);
        }
        if out.minor.len() > MAX_LINES {
            break;
        }
        ti = next_time(t, g.minor, tz).filter(|&n| n > t);
    }
    let half = g.precis / 2;
    let mut ti = first_time(start - half, g.label, tz);
    while let Some(t) = ti.filter(|&t| t <= end - half) {
        let tilab = t + half;
        if tilab >= start && tilab <= end {
            out.labels.push((tilab, strftime(&g.format, tilab, tz)));
        }
        if out.labels.len() > MAX_LINES {
            break;
        }
        ti = next_time(t, g.label, tz).filter(|&n| n > t);
    }
    out
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
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

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Day of the year, 0-based.
fn yday(y: i64, mon: i32, mday: i32) -> i64 {
    const CUM: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    CUM[mon as usize] + i64::from(mday) - 1 + i64::from(mon > 1 && is_leap(y))
}

/// ISO 8601 week-based year and week number (`yd` 0-based, `wday` 0 =
/// Sunday).
fn iso_week(y: i64, yd: i64, wday: i32) -> (i64, i64) {
    let wd = i64::from((wday + 6) % 7); // Monday = 0
    let days = |y: i64| if is_leap(y) { 366 } else { 365 };
    // weeks in a year whose 1 January falls on weekday `jan1` (Monday = 0)
    let weeks = |y: i64, jan1: i64| {
        if jan1 == 3 || (is_leap(y) && jan1 == 2) {
            53
        } else {
            52
        }
    };
    let jan1 = (wd - yd).rem_euclid(7);
    let week = (yd - wd + 10) / 7;
    if week < 1 {
        let py = y - 1;
        let pjan1 = (jan1 - days(py)).rem_euclid(7);
        return (py, weeks(py, pjan1));
    }
    if week > weeks(y, jan1) {
        return (y + 1, 1);
    }
    (y, week)
}

/// glibc's `strftime` in the C locale for the conversions graph labels use
/// (others are copied as written).
pub fn strftime(fmt: &str, t: i64, tz: &TimeZone) -> String {
    let Some(lt) = local_time(t, tz) else {
        return String::new();
    };
    let y = i64::from(lt.year) + 1900;
    let yd = yday(y, lt.mon, lt.mday);
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(k) = chars.next() else {
            out.push('%');
            break;
        };
        let day = DAYS[lt.wday.rem_euclid(7) as usize];
        let month = MONTHS[lt.mon.rem_euclid(12) as usize];
        match k {
            'a' => out.push_str(&day[..3]),
            'A' => out.push_str(day),
            'b' | 'h' => out.push_str(&month[..3]),
            'B' => out.push_str(month),
            'd' => out.push_str(&format!("{:02}", lt.mday)),
            'e' => out.push_str(&format!("{:2}", lt.mday)),
            'H' => out.push_str(&format!("{:02}", lt.hour)),
            'I' => out.push_str(&format!("{:02}", (lt.hour + 11) % 12 + 1)),
            'j' => out.push_str(&format!("{:03}", yd + 1)),
            'm' => out.push_str(&format!("{:02}", lt.mon + 1)),
            'M' => out.push_str(&format!("{:02}", lt.min)),
            'p' => out.push_str(if lt.hour < 12 { "AM" } else { "PM" }),
            'S' => out.push_str(&format!("{:02}", lt.sec)),
            'y' => out.push_str(&format!("{:02}", y.rem_euclid(100))),
            'Y' => out.push_str(&y.to_string()),
            'C' => out.push_str(&format!("{:02}", y.div_euclid(100))),
            'u' => out.push_str(&((lt.wday + 6) % 7 + 1).to_string()),
            'w' => out.push_str(&lt.wday.to_string()),
            'U' => out.push_str(&format!("{:02}", (yd + 7 - i64::from(lt.wday)) / 7)),
            'W' => out.push_str(&format!(
                "{:02}",
                (yd + 7 - i64::from((lt.wday + 6) % 7)) / 7
            )),
            'V' => out.push_str(&format!("{:02}", iso_week(y, yd, lt.wday).1)),
            'G' => out.push_str(&iso_week(y, yd, lt.wday).0.to_string()),
            'g' => out.push_str(&format!(
                "{:02}",
                iso_week(y, yd, lt.wday).0.rem_euclid(100)
            )),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            '%' => out.push('%'),
            's' => out.push_str(&t.to_string()),
            'D' => out.push_str(&format!(
                "{:02}/{:02}/{:02}",
                lt.mon + 1,
                lt.mday,
                y.rem_euclid(100)
            )),
            'F' => out.push_str(&format!("{y}-{:02}-{:02}", lt.mon + 1, lt.mday)),
            'R' => out.push_str(&format!("{:02}:{:02}", lt.hour, lt.min)),
            'T' => out.push_str(&format!("{:02}:{:02}:{:02}", lt.hour, lt.min, lt.sec)),
            'c' => out.push_str(&format!(
                "{} {} {:2} {:02}:{:02}:{:02} {y}",
                &day[..3],
                &month[..3],
                lt.mday,
                lt.hour,
                lt.min,
                lt.sec
            )),
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_picked_as_rrdtool_picks_them() {
        // (span, width) -> the label format of the row (graph-axes notes)
        let f = |span: i64, w: i64| pick(span, w, None).format;
        assert_eq!(f(86400, 400), "%a %H:%M");
        assert_eq!(f(3600, 400), "%H:%M");
        assert_eq!(f(7 * 86400, 400), "%d %b");
        assert_eq!(f(21 * 86400, 400), "Week %V");
        assert_eq!(f(365 * 86400, 400), "%b '%g");
        assert_eq!(f(20 * 3600, 1000), "%H:%M");
        assert_eq!(f(86400, 1000), "%a %H:%M");
    }

    #[test]
    fn a_day_has_rrdtools_labels() {
        // rrdtool 1.7.2, TZ=UTC, -s 1600000000 -e 1600086400 (a Sunday 12:26)
        let g = pick(86400, 400, None);
        let tg = time_grid(&g, 1_600_000_000, 1_600_086_400, &TimeZone::UTC);
        let labels: Vec<&str> = tg.labels.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(labels, ["Sun 18:00", "Mon 00:00", "Mon 06:00", "Mon 12:00"]);
    }

    #[test]
    fn iso_weeks() {
        let utc = TimeZone::UTC;
        // 2021-01-03 is in week 53 of 2020; 2024-12-30 in week 1 of 2025
        assert_eq!(strftime("%V %G", 1_609_632_000, &utc), "53 2020");
        assert_eq!(strftime("%V %G", 1_735_516_800, &utc), "01 2025");
        assert_eq!(
            strftime("%a %d %b %Y", 1_600_000_000, &utc),
            "Sun 13 Sep 2020"
        );
    }
}
