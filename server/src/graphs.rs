//! Charts: the original's `show.png` parameters become one rrdtool
//! argument list, drawn by rrd-graph's front door with DEF files read
//! beneath the catalogue's roots, and nothing else draws.
//!
//! Parameters (all optional but one `dataN`):
//!
//! | name | meaning |
//! |---|---|
//! | `dataN` | a series name, or an aggregate `a\|b\|\|TYPE\|v0\|v1\|\|RPN` (TYPE `average`, `total` or `custom`) |
//! | `legendN`, `colorN`, `dashN`, `thickN`, `tickN` | the plot's legend, `rrggbb`, and `y` flags |
//! | `start`, `end` | `YYYY-MM-DD` (`start_time`, `end_time`: `THH:MM:SS`), in the chart's zone |
//! | `trail` | hours back from now (overrides start and end) |
//! | `step` | minutes per row |
//! | `log`, `upper_limit`, `lower_limit`, `title`, `width`, `height` | as the original |
//! | `from`, `until` | epoch seconds, overriding all the above (zoom) |
//! | `tz`, `theme` (`dark`), `hide` (plot numbers, `,`-separated) | the viewer's choices |
//!
//! User text reaches rrdtool's arguments only as CDEF expressions (checked
//! by rrd-rpn before anything is drawn), legends and titles; file names
//! come only from the catalogue.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jiff::tz::TimeZone;
use rrd_core::FetchRequest;
use rrd_graph::{Env, GraphRequest, InfoValue, Rooted, Source, XportRequest};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::catalogue::{Series, Snapshot};
use crate::error::{AppError, AppResult};
use crate::AppState;

/// The original's eight plot colours, cycled by new plots.
pub const PALETTE: [&str; 8] = [
    "000000", "0000ff", "ff0000", "dda0dd", "800080", "7fff00", "6495ed", "ffff00",
];

/// rrdtool colour tags for the dark theme.
const DARK: &[&str] = &[
    "BACK#1b1d22",
    "CANVAS#101215",
    "SHADEA#1b1d22",
    "SHADEB#1b1d22",
    "GRID#3a3f4a",
    "MGRID#5a6170",
    "FONT#d8dce4",
    "AXIS#aab1bf",
    "ARROW#aab1bf",
    "FRAME#5a6170",
];

/// A chart's parameters: query pairs.
pub type Params = BTreeMap<String, String>;

/// A chart's width and height when the parameters give none.
const DEFAULT_SIZE: (i64, i64) = (800, 200);

/// Longest chart parameter value, bytes (an aggregate of many series).
pub const MAX_PARAM: usize = 16_384;

/// Most values a chart may read: series times rows of the window at one
/// row an hour (a window of ten years for 228 series, of a century for 22).
pub const MAX_VALUES: i64 = 20_000_000;

/// One plot of a chart.
#[derive(Debug, Clone, PartialEq)]
struct Plot {
    n: u32,
    data: String,
    legend: String,
    color: String,
    dash: bool,
    thick: bool,
    tick: bool,
}

/// A chart made into rrdtool arguments.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The graph's arguments after the output name and format.
    pub args: Vec<String>,
    /// The XPORTs matching the drawn plots (for the data endpoint).
    pub xports: Vec<String>,
    /// The DEFs and CDEFs.
    pub defs: Vec<String>,
    /// The files read, with their roots (for ETags).
    pub files: Vec<(usize, String)>,
    /// The resolved window.
    pub start: i64,
    /// The resolved window.
    pub end: i64,
    /// The zone the chart is drawn in.
    pub tz: TimeZone,
}

fn flag(p: &Params, k: &str) -> bool {
    matches!(
        p.get(k).map(String::as_str),
        Some("y" | "on" | "true" | "1")
    )
}

fn get<'a>(p: &'a Params, k: &str) -> Option<&'a str> {
    p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Text safe as an rrdtool legend, which the caller writes as the keyed
/// field `legend=TEXT` (so that `dashes=…`, `STACK` or `vname=…` in it stay
/// text): no backslashes (they start rrdtool's format codes), `:` escaped,
/// control characters dropped.
fn legend_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => {}
            ':' => out.push_str("\\:"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A DEF file name for a series: `ROOT/FILE` with `:` escaped.
fn def_file(s: &Series) -> String {
    format!("{}/{}", s.root, s.file.replace(':', "\\:"))
}

/// `YYYY-MM-DD` plus `THH:MM:SS` (hour not padded) in `tz`; a time with no
/// date is today.
fn parse_when(
    date: Option<&str>,
    time: Option<&str>,
    tz: &TimeZone,
    now: i64,
) -> Result<Option<i64>, String> {
    if date.is_none() && time.is_none() {
        return Ok(None);
    }
    let today = jiff::Timestamp::from_second(now)
        .map_err(|e| e.to_string())?
        .to_zoned(tz.clone())
        .date();
    let d = match date {
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .map_err(|_| format!("{d:?} is not a date YYYY-MM-DD"))?,
        None => today,
    };
    let t = match time {
        Some(t) => {
            let t = t.strip_prefix('T').unwrap_or(t);
            let mut it = t.split(':');
            let mut num = |max: i8| -> Result<i8, String> {
                match it.next() {
                    None => Ok(0),
                    Some(x) => x
                        .parse::<i8>()
                        .ok()
                        .filter(|v| (0..=max).contains(v))
                        .ok_or_else(|| format!("{t:?} is not a time HH:MM:SS")),
                }
            };
            let (h, m, s) = (num(23)?, num(59)?, num(59)?);
            jiff::civil::Time::new(h, m, s, 0).map_err(|e| e.to_string())?
        }
        None => jiff::civil::Time::midnight(),
    };
    let z = d
        .to_datetime(t)
        .to_zoned(tz.clone())
        .map_err(|e| e.to_string())?;
    Ok(Some(z.timestamp().as_second()))
}

fn number(p: &Params, k: &str) -> Result<Option<f64>, AppError> {
    match get(p, k) {
        None => Ok(None),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(format!("{k}={v:?} is not a number"))),
    }
}

fn integer(p: &Params, k: &str) -> Result<Option<i64>, AppError> {
    match get(p, k) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("{k}={v:?} is not a whole number"))),
    }
}

fn plots(p: &Params, max: usize) -> Result<Vec<Plot>, AppError> {
    let mut ns: Vec<u32> = Vec::new();
    for k in p.keys() {
        if let Some(n) = k.strip_prefix("data") {
            let n: u32 = n
                .parse()
                .map_err(|_| AppError::BadRequest(format!("parameter {k:?} is not dataN")))?;
            if get(p, k).is_some() {
                ns.push(n);
            }
        }
    }
    ns.sort_unstable();
    if ns.len() > max {
        return Err(AppError::BadRequest(format!(
            "{} plots in one chart; at most {max}",
            ns.len()
        )));
    }
    ns.iter()
        .enumerate()
        .map(|(i, &n)| {
            let data = get(p, &format!("data{n}")).unwrap_or_default().to_string();
            let color = match get(p, &format!("color{n}")) {
                None => PALETTE[i % PALETTE.len()].to_string(),
                Some(c) => {
                    let c = c.trim_start_matches('#');
                    if c.len() != 6 || !c.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(AppError::BadRequest(format!(
                            "color{n}={c:?} is not rrggbb"
                        )));
                    }
                    c.to_ascii_lowercase()
                }
            };
            let legend = get(p, &format!("legend{n}")).unwrap_or(&data).to_string();
            Ok(Plot {
                n,
                legend,
                color,
                dash: flag(p, &format!("dash{n}")),
                thick: flag(p, &format!("thick{n}")),
                tick: flag(p, &format!("tick{n}")),
                data,
            })
        })
        .collect()
}

/// A variable name of an aggregate: what the RPN may use.
fn valid_vname(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !v.bytes().all(|b| b.is_ascii_digit())
}

/// The CDEF expression of an aggregate `a|b||TYPE|v0|v1||RPN` over the
/// members' DEF names.
pub fn aggregate_rpn(spec: &str, defs: &[String]) -> Result<String, String> {
    let mut parts = spec.splitn(3, "||");
    let _members = parts.next();
    let kind = parts.next().unwrap_or("");
    let rpn = parts.next().unwrap_or("");
    let mut kp = kind.split('|');
    let ty = kp.next().unwrap_or("").trim();
    let vnames: Vec<&str> = kp.map(str::trim).collect();
    let n = defs.len();
    match ty {
        "" | "average" => Ok(format!("{},{n},AVG", defs.join(","))),
        "total" => {
            let mut s = defs[0].clone();
            for d in &defs[1..] {
                let _ = write!(s, ",{d},ADDNAN");
            }
            Ok(s)
        }
        "custom" => {
            if vnames.len() != n {
                return Err(format!("{} variable names for {n} series", vnames.len()));
            }
            if let Some(bad) = vnames.iter().find(|v| !valid_vname(v)) {
                return Err(format!(
                    "{bad:?} is not a variable name (letters, digits and _)"
                ));
            }
            if rpn.trim().is_empty() {
                return Err("the custom aggregate has no RPN expression".into());
            }
            let map = |tok: &str| {
                vnames
                    .iter()
                    .position(|v| *v == tok.trim())
                    .map(|k| defs[k].clone())
                    .unwrap_or_else(|| tok.trim().to_string())
            };
            Ok(rpn.split(',').map(map).collect::<Vec<_>>().join(","))
        }
        other => Err(format!(
            "unknown aggregate type {other:?} (average, total or custom)"
        )),
    }
}

/// Why an RPN expression was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpnProblem {
    /// rrd-rpn's message.
    pub message: String,
    /// The byte range of the offending token within the expression.
    pub span: Option<(usize, usize)>,
    /// The expression with a caret under that token.
    pub caret: String,
}

/// Checks an aggregate's custom RPN against its variable names; the error
/// carries rrd-rpn's message and the byte span within `rpn`.
pub fn check_custom_rpn(rpn: &str, vnames: &[&str]) -> Result<(), RpnProblem> {
    let resolve = |name: &str| vnames.iter().position(|v| *v == name).map(rrd_rpn::VarId);
    match rrd_rpn::parse(rpn, resolve) {
        Ok(_) => Ok(()),
        Err(e) => {
            let span = e.span().map(|s| (s.start, s.end));
            Err(RpnProblem {
                message: e.to_string(),
                span,
                caret: rrd_rpn::render_error(rpn, &e),
            })
        }
    }
}

/// The shared inputs of a chart: configuration limits, zone, clock.
pub struct Ctx<'a> {
    /// The server's state.
    pub state: &'a AppState,
    /// The catalogue at this moment.
    pub snapshot: &'a Snapshot,
    /// Seconds since the epoch.
    pub now: i64,
    /// A trace-log dashboard's chart (`--width W-70`, no right axis).
    pub tracelog: bool,
}

/// The trace-log series of an instance (`HOST__CUSTOMER__INSTANCE`).
fn tracelog_series(stem: &str, ds: &str) -> AppResult<String> {
    let parts: Vec<&str> = stem.split("__").collect();
    match parts[..] {
        [h, c, i] if !h.is_empty() && !c.is_empty() && !i.is_empty() => {
            Ok(format!("{h}/{c}-z4m/{i}/tracelog/{ds}"))
        }
        _ => Err(AppError::BadRequest(format!(
            "{stem:?} is not an instance (HOST__CUSTOMER__INSTANCE)"
        ))),
    }
}

/// The original's sum over instances, unknown counted as zero
/// (`a0,UN,0,a0,IF,a1,UN,0,a1,IF,+,...`), over the vnames `NAME0..`.
fn sum_rpn(name: &str, n: usize) -> String {
    (0..n)
        .map(|k| {
            let v = format!("{name}{k}");
            let term = format!("{v},UN,0,{v},IF");
            if k == 0 {
                term
            } else {
                format!("{term},+")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A custom aggregate over `members` named `NAME0..` with `rpn`.
fn aggregate(members: &[String], names: &[String], rpn: &str) -> String {
    format!("{}||custom|{}||{rpn}", members.join("|"), names.join("|"))
}

/// The trace-log dashboards' `instance` parameter (reference §5.1) as
/// plots of the trace-log series, which [`build`] then draws:
/// * `H__C__I`: rpm, epm, waiting (bl), max rpm (spr), and restarts as
///   ticks;
/// * `TITLE,I1,I2,...`: the same over the sum of the instances (unknown
///   as zero), restarts averaged;
/// * `,DS,TITLE,I1,...`: one line of DS per instance, in the 16 styles;
/// * `,mh,TITLE,I1,...`: max headroom `(spr-rpm)/spr*100` of the sums,
///   with the errors and the waiting.
pub fn tracelog_params(p: &Params) -> AppResult<Params> {
    let spec = get(p, "instance")
        .ok_or_else(|| AppError::BadRequest("the chart has no instance".into()))?;
    let mut out: Params = p
        .iter()
        .filter(|(k, _)| {
            k.as_str() != "instance"
                && !["data", "legend", "color", "dash", "thick", "tick"]
                    .iter()
                    .any(|pre| k.starts_with(pre))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut n = 0;
    let mut plot =
        |out: &mut Params, data: String, legend: &str, color: &str, style: (bool, bool, bool)| {
            out.insert(format!("data{n}"), data);
            out.insert(format!("legend{n}"), legend.to_string());
            out.insert(format!("color{n}"), color.to_string());
            for (key, on) in [("dash", style.0), ("thick", style.1), ("tick", style.2)] {
                if on {
                    out.insert(format!("{key}{n}"), "1".into());
                }
            }
            n += 1;
        };
    let plain = (false, false, false);
    let title;
    if let Some(rest) = spec.strip_prefix(',') {
        let parts: Vec<&str> = rest.split(',').collect();
        let [ds, t, instances @ ..] = &parts[..] else {
            return Err(AppError::BadRequest(format!(
                "instance {spec:?}: compare mode is ,DS,TITLE,INSTANCE,..."
            )));
        };
        if instances.is_empty() {
            return Err(AppError::BadRequest(format!(
                "instance {spec:?} names no instances"
            )));
        }
        title = t.replace('-', " ");
        if *ds == "mh" {
            let m = instances.len();
            let spr: Vec<String> = instances
                .iter()
                .map(|i| tracelog_series(i, "spr"))
                .collect::<AppResult<_>>()?;
            let rpm: Vec<String> = instances
                .iter()
                .map(|i| tracelog_series(i, "rpm"))
                .collect::<AppResult<_>>()?;
            let mut members = spr.clone();
            members.extend(rpm);
            let mut names: Vec<String> = (0..m).map(|k| format!("s{k}")).collect();
            names.extend((0..m).map(|k| format!("r{k}")));
            let (ss, rr) = (sum_rpn("s", m), sum_rpn("r", m));
            plot(
                &mut out,
                aggregate(&members, &names, &format!("{ss},{rr},-,{ss},/,100,*")),
                "max headroom %",
                "0000ff",
                plain,
            );
            for (ds, legend, color) in [("epm", "epm", "ff0000"), ("bl", "waiting", "e082e6")] {
                let members: Vec<String> = instances
                    .iter()
                    .map(|i| tracelog_series(i, ds))
                    .collect::<AppResult<_>>()?;
                let names: Vec<String> = (0..m).map(|k| format!("a{k}")).collect();
                plot(
                    &mut out,
                    aggregate(&members, &names, &sum_rpn("a", m)),
                    legend,
                    color,
                    plain,
                );
            }
        } else {
            if !crate::catalogue::TRACELOG_DS.contains(ds) {
                return Err(AppError::BadRequest(format!(
                    "instance {spec:?}: no data source {ds:?}"
                )));
            }
            for (k, i) in instances.iter().enumerate() {
                // the original's 16 styles: 8 colours, then dashed, then thick
                let color = PALETTE_DEFAULTS[k % 8];
                plot(
                    &mut out,
                    tracelog_series(i, ds)?,
                    &i.replace("__", " "),
                    color,
                    (k % 16 >= 8, k >= 16, false),
                );
            }
        }
    } else if spec.contains(',') {
        let parts: Vec<&str> = spec.split(',').collect();
        let (t, instances) = (parts[0], &parts[1..]);
        if instances.is_empty() {
            return Err(AppError::BadRequest(format!(
                "instance {spec:?} names no instances"
            )));
        }
        title = t.replace('-', " ");
        let m = instances.len();
        let names: Vec<String> = (0..m).map(|k| format!("a{k}")).collect();
        for (ds, legend, color) in [
            ("rpm", "rpm", "00ff00"),
            ("epm", "epm", "ff0000"),
            ("bl", "waiting", "e082e6"),
            ("spr", "max rpm", "93f9fb"),
        ] {
            let members: Vec<String> = instances
                .iter()
                .map(|i| tracelog_series(i, ds))
                .collect::<AppResult<_>>()?;
            plot(
                &mut out,
                aggregate(&members, &names, &sum_rpn("a", m)),
                legend,
                color,
                plain,
            );
        }
        let members: Vec<String> = instances
            .iter()
            .map(|i| tracelog_series(i, "start"))
            .collect::<AppResult<_>>()?;
        plot(
            &mut out,
            format!("{}||average|{}||", members.join("|"), names.join("|")),
            "start",
            "000000",
            (false, false, true),
        );
    } else {
        title = spec.replace("__", " ");
        for (ds, legend, color) in [
            ("rpm", "rpm", "00ff00"),
            ("epm", "epm", "ff0000"),
            ("bl", "waiting", "e082e6"),
            ("spr", "max rpm", "93f9fb"),
        ] {
            plot(&mut out, tracelog_series(spec, ds)?, legend, color, plain);
        }
        plot(
            &mut out,
            tracelog_series(spec, "start")?,
            "start",
            "000000",
            (false, false, true),
        );
    }
    out.entry("title".into()).or_insert(title);
    Ok(out)
}

/// The original's eight default plot colours.
const PALETTE_DEFAULTS: [&str; 8] = [
    "000000", "0000ff", "ff0000", "dda0dd", "800080", "7fff00", "6495ed", "ffff00",
];

/// Makes a chart's rrdtool arguments.
pub fn build(p: &Params, ctx: &Ctx<'_>) -> AppResult<Chart> {
    let limits = &ctx.state.config.limits;
    if let Some((k, _)) = p.iter().find(|(k, v)| k.len() > 64 || v.len() > MAX_PARAM) {
        return Err(AppError::BadRequest(format!(
            "parameter {:?} is longer than {MAX_PARAM} bytes",
            k.chars().take(64).collect::<String>()
        )));
    }
    let tz = match get(p, "tz") {
        None => ctx.state.tz.clone(),
        Some(name) => TimeZone::get(name)
            .map_err(|_| AppError::BadRequest(format!("unknown time zone {name:?}")))?,
    };
    let dark = get(p, "theme") == Some("dark");
    let width = integer(p, "width")?.unwrap_or(DEFAULT_SIZE.0);
    let height = integer(p, "height")?.unwrap_or(DEFAULT_SIZE.1);
    if !(200..=limits.max_width as i64).contains(&width) {
        return Err(AppError::BadRequest(format!(
            "width {width} is outside 200..={}",
            limits.max_width
        )));
    }
    if !(50..=limits.max_height as i64).contains(&height) {
        return Err(AppError::BadRequest(format!(
            "height {height} is outside 50..={}",
            limits.max_height
        )));
    }
    // the window: from/until, else trail, else start/end, else the last day
    let bad = AppError::BadRequest;
    let mut end = parse_when(get(p, "end"), get(p, "end_time"), &tz, ctx.now)
        .map_err(bad)?
        .unwrap_or(ctx.now);
    let mut start = parse_when(get(p, "start"), get(p, "start_time"), &tz, ctx.now)
        .map_err(AppError::BadRequest)?
        .unwrap_or(end - 86_400);
    if let Some(h) = number(p, "trail")? {
        if !(h > 0.0 && h <= 24.0 * 366.0 * 20.0) {
            return Err(AppError::BadRequest(format!(
                "trail {h} hours is out of range"
            )));
        }
        end = ctx.now;
        start = end - (h * 3600.0) as i64;
    }
    if let Some(f) = integer(p, "from")? {
        start = f;
    }
    if let Some(u) = integer(p, "until")? {
        end = u;
    }
    if start >= end {
        return Err(AppError::BadRequest(
            "the chart starts after it ends".into(),
        ));
    }
    if !(0..=4_102_444_800).contains(&start) || end > 4_102_444_800 {
        return Err(AppError::BadRequest(
            "the chart's window is outside 1970..2100".into(),
        ));
    }
    let hidden: Vec<u32> = get(p, "hide")
        .unwrap_or("")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();

    // the original's graph widths: W-111 with a right axis for metrics,
    // W-70 without for trace logs
    let mut args: Vec<String> = vec![
        "--start".into(),
        start.to_string(),
        "--end".into(),
        end.to_string(),
        "--width".into(),
        (width - if ctx.tracelog { 70 } else { 111 })
            .max(100)
            .to_string(),
        "--height".into(),
        height.to_string(),
    ];
    if !ctx.tracelog {
        args.extend(["--right-axis".into(), "1:0".into()]);
    }
    if let Some(t) = get(p, "title") {
        args.push("--title".into());
        args.push(t.chars().filter(|c| !c.is_control()).take(200).collect());
    }
    if let Some(s) = number(p, "step")? {
        if !(s > 0.0 && s <= 525_600.0) {
            return Err(AppError::BadRequest(format!(
                "step {s} minutes is out of range"
            )));
        }
        args.push("--step".into());
        args.push(((s * 60.0) as i64).max(1).to_string());
    }
    if flag(p, "log") {
        args.push("--logarithmic".into());
    }
    let upper = number(p, "upper_limit")?;
    let lower = number(p, "lower_limit")?;
    if let Some(u) = upper {
        args.extend(["--upper-limit".into(), u.to_string()]);
    }
    if let Some(l) = lower {
        args.extend(["--lower-limit".into(), l.to_string()]);
    }
    if upper.is_some() || lower.is_some() {
        args.push("--rigid".into());
    }
    if dark {
        for c in DARK {
            args.push("--color".into());
            args.push((*c).into());
        }
    }

    let plots = plots(p, limits.max_plots)?;
    if plots.is_empty() {
        return Err(AppError::BadRequest(
            "the chart has no plots (data0=SERIES)".into(),
        ));
    }
    let mut defs = Vec::new();
    let mut draws = Vec::new();
    let mut xports = Vec::new();
    let mut files = Vec::new();
    let mut members_total = 0;
    let check_members = |n: usize| {
        if n > limits.max_series {
            return Err(AppError::BadRequest(format!(
                "more than {} series in one chart",
                limits.max_series
            )));
        }
        Ok(())
    };
    for plot in &plots {
        let v = format!("v{}", plot.n);
        let lookup = |name: &str| {
            ctx.snapshot
                .get(name.trim())
                .ok_or_else(|| AppError::NotFound(format!("no series {:?}", name.trim())))
        };
        if plot.data.contains('|') {
            let members: Vec<&str> = plot
                .data
                .split("||")
                .next()
                .unwrap_or("")
                .split('|')
                .collect();
            members_total += members.len();
            check_members(members_total)?;
            let mut names = Vec::new();
            for (i, m) in members.iter().enumerate() {
                let s = lookup(m)?;
                let name = format!("{v}_{i}");
                defs.push(format!("DEF:{name}={}:{}:AVERAGE", def_file(s), s.ds));
                files.push((s.root, s.file.clone()));
                names.push(name);
            }
            if let Some(op) = ["PREDICTPERC", "PREDICTSIGMA", "PREDICT"]
                .iter()
                .find(|op| {
                    plot.data
                        .split("||")
                        .nth(2)
                        .unwrap_or("")
                        .split(',')
                        .any(|t| t.trim() == **op)
                })
            {
                return Err(AppError::BadRequest(format!(
                    "plot {}: {op} is not available in dashboard aggregates (its cost grows with its shift count, \
                     which a URL could set to 65536)",
                    plot.n
                )));
            }
            let rpn = aggregate_rpn(&plot.data, &names)
                .map_err(|e| AppError::BadRequest(format!("plot {}: {e}", plot.n)))?;
            // check the expression before rrdtool sees it, so the error names the plot
            if let Err(RpnProblem {
                message: msg,
                caret,
                ..
            }) = check_custom_rpn(&rpn, &names.iter().map(String::as_str).collect::<Vec<_>>())
            {
                return Err(AppError::BadRequest(format!(
                    "plot {}: {msg}\n{caret}",
                    plot.n
                )));
            }
            defs.push(format!("CDEF:{v}={rpn}"));
        } else {
            members_total += 1;
            check_members(members_total)?;
            let s = lookup(&plot.data)?;
            defs.push(format!("DEF:{v}={}:{}:AVERAGE", def_file(s), s.ds));
            files.push((s.root, s.file.clone()));
        }
        let mut legend: String = plot.legend.chars().filter(|c| !c.is_control()).collect();
        if plot.dash {
            legend = format!("- {legend}");
        }
        if legend.chars().count() > 50 {
            legend = legend.chars().take(47).collect::<String>() + "...";
        }
        let legend = legend_text(&legend);
        let mut color = plot.color.clone();
        if dark && color == "000000" {
            color = "f0f0f0".into();
        }
        let alpha = if hidden.contains(&plot.n) { "00" } else { "" };
        if plot.tick {
            let a = if alpha.is_empty() { "55" } else { alpha };
            draws.push(format!("TICK:{v}#{color}{a}:1:legend={legend}"));
        } else {
            let w = if plot.thick { 2 } else { 1 };
            let dashes = if plot.dash { ":dashes" } else { "" };
            draws.push(format!(
                "LINE{w}:{v}#{color}{alpha}:legend={legend}{dashes}"
            ));
        }
        // XPORT takes the rest of its argument as the legend, options and all
        xports.push(format!("XPORT:{v}:{legend}"));
    }
    let hours = (end - start) / 3600 + 1;
    if hours.saturating_mul(members_total as i64) > MAX_VALUES {
        return Err(AppError::BadRequest(format!(
            "the chart reads too much: {members_total} series over {} days; narrow the window or use fewer series",
            (end - start) / 86_400
        )));
    }
    args.extend(defs.iter().cloned());
    args.extend(draws);
    Ok(Chart {
        args,
        xports,
        defs,
        files,
        start,
        end,
        tz,
    })
}

/// DEF files beneath the catalogue's roots, by root index; the metrics
/// root's through its storage nodes when it has them.
struct Roots {
    dirs: Vec<Option<Rooted>>,
    ring: Option<std::sync::Arc<crate::storage::Ring>>,
    roots: Vec<crate::catalogue::Root>,
}

/// The name on the storage nodes of file `rel` of root `root`, when that
/// root's files are on them: the metrics root's as they are, the
/// trace-log root's beneath `tracelog/`.
fn on_storage(roots: &[crate::catalogue::Root], root: usize, rel: &str) -> Option<String> {
    match roots.get(root) {
        _ if root == 0 => Some(rel.to_string()),
        Some(r) if r.tracelog => Some(format!("{}/{rel}", crate::tracelog::STORAGE_DIR)),
        _ => None,
    }
}

impl Roots {
    fn open(state: &AppState) -> Roots {
        Roots {
            dirs: state
                .catalogue
                .roots()
                .iter()
                .map(|r| Rooted::new(&r.path).ok())
                .collect(),
            ring: state.catalogue.ring().cloned(),
            roots: state.catalogue.roots().to_vec(),
        }
    }
}

impl Source for Roots {
    fn fetch(
        &mut self,
        file: &str,
        req: &FetchRequest,
    ) -> rrd_graph::Result<rrd_core::FetchResult> {
        let (k, rel) = file.split_once('/').unwrap_or(("", file));
        let remote = k
            .parse::<usize>()
            .ok()
            .and_then(|k| on_storage(&self.roots, k, rel));
        if let (Some(ring), Some(name)) = (&self.ring, remote) {
            // names come from the catalogue, which lists only what the
            // nodes hold
            return ring
                .node_of(&name)
                .fetch(&name, req.cf.as_str(), req.start, req.end)
                .map_err(|e| rrd_graph::Error::Fetch {
                    path: file.to_string(),
                    source: rrd_core::Error::Request(e.to_string()),
                });
        }
        match k
            .parse::<usize>()
            .ok()
            .and_then(|k| self.dirs.get_mut(k))
            .and_then(Option::as_mut)
        {
            Some(root) => root.fetch(rel, req),
            None => Err(rrd_graph::Error::Open {
                path: file.to_string(),
                source: rrd_core::Error::Io {
                    op: "opening",
                    path: file.into(),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                },
            }),
        }
    }
}

/// Drawn images by ETag, within a byte budget, the least recently used
/// dropped first. The tag covers the arguments and the files' sizes and
/// modification times, so a cached image is never stale.
#[derive(Debug)]
pub struct ImageCache {
    budget: usize,
    inner: std::sync::Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    map: std::collections::HashMap<String, (axum::body::Bytes, u64)>,
    bytes: usize,
    tick: u64,
}

impl ImageCache {
    /// A cache of at most `budget` bytes of images (0: none).
    pub fn new(budget: usize) -> ImageCache {
        ImageCache {
            budget,
            inner: Default::default(),
        }
    }

    fn get(&self, etag: &str) -> Option<axum::body::Bytes> {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        c.tick += 1;
        let tick = c.tick;
        let e = c.map.get_mut(etag)?;
        e.1 = tick;
        Some(e.0.clone())
    }

    fn put(&self, etag: &str, bytes: axum::body::Bytes) {
        if bytes.len() > self.budget / 4 {
            return;
        }
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        c.tick += 1;
        let tick = c.tick;
        c.bytes += bytes.len();
        if let Some((old, _)) = c.map.insert(etag.to_string(), (bytes, tick)) {
            c.bytes -= old.len();
        }
        while c.bytes > self.budget {
            let Some(oldest) = c
                .map
                .iter()
                .min_by_key(|(_, v)| v.1)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((b, _)) = c.map.remove(&oldest) {
                c.bytes -= b.len();
            }
        }
    }

    /// Images and bytes held.
    pub fn usage(&self) -> (usize, usize) {
        let c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (c.map.len(), c.bytes)
    }
}

/// Writes the ingestion queue's waiting records into the chart's files of
/// the metrics root, so that it shows everything acknowledged.
fn flush_waiting(state: &AppState, chart: &Chart) {
    state.queue.flush_files(
        chart
            .files
            .iter()
            .filter(|(root, _)| *root == 0)
            .filter_map(|(_, f)| f.strip_suffix(".rrd")),
    );
}

/// The ETag and Last-Modified of a chart: its arguments and its files'
/// sizes and modification times.
fn validators(
    state: &AppState,
    chart: &Chart,
    format: &str,
) -> (String, Option<std::time::SystemTime>) {
    let mut h = Sha256::new();
    h.update(format.as_bytes());
    for a in &chart.args {
        h.update(a.as_bytes());
        h.update([0]);
    }
    h.update(chart.tz.iana_name().unwrap_or("").as_bytes());
    let mut newest = None;
    for (root, file) in &chart.files {
        let remote = on_storage(state.catalogue.roots(), *root, file);
        if let (Some(ring), Some(name)) = (state.catalogue.ring(), remote) {
            // on a storage node: its last update (to the step, which is
            // when a graph can change); unknown, the image is not reused
            match ring.node_of(&name).last(&name) {
                Ok(last) => h.update(last.unwrap_or(-1).to_le_bytes()),
                Err(_) => h.update(crate::auth::random_hex(16).unwrap_or_default()),
            }
            continue;
        }
        let path = state.catalogue.roots()[*root].path.join(file);
        if let Ok(m) = std::fs::metadata(&path) {
            h.update(m.len().to_le_bytes());
            if let Ok(t) = m.modified() {
                let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                h.update(d.as_nanos().to_le_bytes());
                newest = newest.max(Some(t));
            }
        }
    }
    let digest = h.finalize();
    let tag: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    (format!("\"{tag}\""), newest)
}

fn http_date(t: std::time::SystemTime) -> Option<String> {
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    let ts = jiff::Timestamp::from_second(secs).ok()?;
    Some(ts.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

/// The chart's PNG or SVG, or an error image for a failed render.
struct Drawn {
    bytes: axum::body::Bytes,
    /// The failure the image shows, and the status it is answered with.
    error: Option<(StatusCode, String)>,
    etag: String,
    modified: Option<std::time::SystemTime>,
}

fn env_for(chart: &Chart, now: i64) -> Env {
    Env {
        now,
        tz: chart.tz.clone(),
        default_font: None,
    }
}

/// Renders `args` (after the output name) with the chart's sources.
fn render(
    state: &AppState,
    chart: &Chart,
    format: &str,
    now: i64,
) -> Result<rrd_graph::Rendered, String> {
    let mut args = vec!["-".to_string(), "--imgformat".into(), format.into()];
    args.extend(chart.args.iter().cloned());
    let req = GraphRequest::parse(&args, &env_for(chart, now)).map_err(|e| e.to_string())?;
    let mut src = Roots::open(state);
    let r = req.render(&mut src, None).map_err(|e| e.to_string())?;
    if let Some(e) = &r.error {
        return Err(e.clone());
    }
    Ok(r)
}

/// The original's error image: the window with a rule at 1, titled with
/// the message.
/// `window` is `(start, end)`; the size comes from the chart's `width`
/// and `height` parameters, clamped.
pub fn error_image(
    message: &str,
    format: &str,
    params: &Params,
    (start, end): (i64, i64),
    tz: &TimeZone,
    now: i64,
) -> Vec<u8> {
    let (width, height) = dims(params);
    let title: String = message
        .lines()
        .next()
        .unwrap_or(message)
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let args: Vec<String> = vec![
        "-".into(),
        "--imgformat".into(),
        format.into(),
        "--start".into(),
        start.to_string(),
        "--end".into(),
        end.max(start + 1).to_string(),
        "--width".into(),
        (width - 111).clamp(100, 4000).to_string(),
        "--height".into(),
        height.clamp(50, 2000).to_string(),
        "--title".into(),
        format!("Error: {title}"),
        "HRULE:1#ff0000".into(),
    ];
    GraphRequest::parse(
        &args,
        &Env {
            now,
            tz: tz.clone(),
            default_font: None,
        },
    )
    .and_then(|r| {
        r.render(
            &mut Roots {
                dirs: Vec::new(),
                ring: None,
                roots: Vec::new(),
            },
            None,
        )
    })
    .ok()
    .and_then(|r| r.output)
    .unwrap_or_default()
}

/// The clock a chart is drawn at: whole ten seconds, so that a live chart
/// asked for by many viewers (or refreshed by one) within ten seconds is
/// the same chart, drawn once.
pub fn chart_now(state: &AppState) -> i64 {
    (state.clock)().div_euclid(10) * 10
}

async fn draw(
    state: &AppState,
    app: crate::pages::App,
    params: Params,
    format: &'static str,
) -> AppResult<Drawn> {
    let tracelog = app == crate::pages::App::Tracelog;
    let st = state.clone();
    let now = chart_now(state);
    state
        .render_pool
        .run(move || {
            let snapshot = st.catalogue.snapshot();
            let ctx = Ctx {
                state: &st,
                snapshot: &snapshot,
                now,
                tracelog,
            };
            let built = if tracelog {
                tracelog_params(&params).and_then(|p| build(&p, &ctx))
            } else {
                build(&params, &ctx)
            };
            match built {
                Ok(chart) => {
                    flush_waiting(&st, &chart);
                    let (etag, modified) = validators(&st, &chart, format);
                    if let Some(bytes) = st.images.get(&etag) {
                        return Ok(Drawn {
                            bytes,
                            error: None,
                            etag,
                            modified,
                        });
                    }
                    match render(&st, &chart, format, now) {
                        Ok(r) => {
                            let bytes = axum::body::Bytes::from(r.output.unwrap_or_default());
                            st.images.put(&etag, bytes.clone());
                            Ok(Drawn {
                                bytes,
                                error: None,
                                etag,
                                modified,
                            })
                        }
                        Err(e) => {
                            let window = (chart.start, chart.end);
                            let bytes = error_image(&e, format, &params, window, &chart.tz, now);
                            Ok(Drawn {
                                bytes: bytes.into(),
                                error: Some((StatusCode::BAD_REQUEST, e)),
                                etag,
                                modified,
                            })
                        }
                    }
                }
                // bad parameters are drawn too, as the original drew rrdtool's
                // failures, with a 4xx status and the message in X-Graph-Error
                Err(e @ (AppError::BadRequest(_) | AppError::NotFound(_))) => {
                    let window = (now - 86_400, now);
                    let bytes = error_image(&e.to_string(), format, &params, window, &st.tz, now);
                    Ok(Drawn {
                        bytes: bytes.into(),
                        error: Some((e.status(), e.to_string())),
                        etag: String::new(),
                        modified: None,
                    })
                }
                Err(e) => Err(e),
            }
        })
        .await?
}

/// The size of a chart's error image: its parameters', clamped to what draws.
fn dims(p: &Params) -> (i64, i64) {
    let w = p
        .get("width")
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SIZE.0)
        .clamp(200, 4000);
    let h = p
        .get("height")
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SIZE.1)
        .clamp(50, 2000);
    (w, h)
}

fn image_response(d: Drawn, mime: &'static str, headers: &HeaderMap) -> Response {
    if let Some((status, e)) = d.error {
        let mut r = (
            status,
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "no-store"),
            ],
            d.bytes,
        )
            .into_response();
        let msg: String = e
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .take(300)
            .collect();
        if let Ok(v) = HeaderValue::from_str(&msg) {
            r.headers_mut().insert("x-graph-error", v);
        }
        return r;
    }
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == d.etag));
    let mut r = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, mime)],
            Body::from(d.bytes),
        )
            .into_response()
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&d.etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(v) = d
        .modified
        .and_then(http_date)
        .and_then(|s| HeaderValue::from_str(&s).ok())
    {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    r
}

/// `GET /metrics/U/N/show.png`.
pub(crate) async fn show_png(
    app: crate::pages::App,
    _user: crate::auth::User,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let d = draw(&state, app, p, "PNG").await?;
    Ok(image_response(d, "image/png", &headers))
}

/// `GET /metrics/U/N/show.svg`.
pub(crate) async fn show_svg(
    app: crate::pages::App,
    _user: crate::auth::User,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let d = draw(&state, app, p, "SVG").await?;
    Ok(image_response(d, "image/svg+xml", &headers))
}

/// `GET /metrics/U/N/show.json`: the chart's geometry (graphv's keys) and
/// data (xport over the drawn window, one row per pixel column at most).
pub(crate) async fn show_json(
    app: crate::pages::App,
    _user: crate::auth::User,
    State(state): State<AppState>,
    Query(p): Query<Params>,
) -> AppResult<Json<serde_json::Value>> {
    let tracelog = app == crate::pages::App::Tracelog;
    let p = if tracelog { tracelog_params(&p)? } else { p };
    let st = state.clone();
    let now = chart_now(&state);
    state
        .render_pool
        .run(move || -> AppResult<Json<serde_json::Value>> {
            let snapshot = st.catalogue.snapshot();
            let chart = build(
                &p,
                &Ctx {
                    state: &st,
                    snapshot: &snapshot,
                    now,
                    tracelog,
                },
            )?;
            flush_waiting(&st, &chart);
            let r = render(&st, &chart, "PNG", now).map_err(AppError::BadRequest)?;
            let mut geom = serde_json::Map::new();
            for (k, v) in &r.info {
                let v = match v {
                    InfoValue::Int(i) => serde_json::json!(i),
                    InfoValue::Float(f) if f.is_finite() => serde_json::json!(f),
                    InfoValue::Float(_) => serde_json::Value::Null,
                    InfoValue::Text(s) => serde_json::json!(s),
                    InfoValue::Blob(n) => serde_json::json!(n),
                };
                geom.insert(k.clone(), v);
            }
            let int = |k: &str| geom.get(k).and_then(|v| v.as_i64()).unwrap_or(0);
            let (gs, ge, gw) = (
                int("graph_start"),
                int("graph_end"),
                int("graph_width").max(1),
            );
            let mut xargs = vec![
                "--start".to_string(),
                gs.to_string(),
                "--end".into(),
                ge.to_string(),
                "--maxrows".into(),
                gw.to_string(),
            ];
            xargs.extend(chart.defs.iter().cloned());
            xargs.extend(chart.xports.iter().cloned());
            let xreq = XportRequest::parse(&xargs, &env_for(&chart, now))
                .map_err(|e| AppError::BadRequest(e.to_string()))?;
            let mut src = Roots::open(&st);
            let tz = chart.tz.clone();
            let data = rrd_graph::compute(
                xreq.spec(),
                &xreq.window(),
                &rrd_graph::EvalEnv {
                    now,
                    tz: &tz,
                    missing_as_unknown: false,
                },
                &mut src,
            )
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
            let table = rrd_graph::xport_table(xreq.spec(), &data, &xreq.window())
                .map_err(|e| AppError::BadRequest(e.to_string()))?;
            let cols = table.legends.len();
            let mut series: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(table.rows); cols];
            for i in 0..table.rows {
                let (_, row) = table.row(i);
                for (c, v) in row.iter().enumerate() {
                    series[c].push(v.is_finite().then_some(*v));
                }
            }
            let legends: Vec<String> = table
                .legends
                .iter()
                .map(|l| l.replace("\\:", ":"))
                .collect();
            Ok(Json(serde_json::json!({
                "graph": geom,
                "tz": tz.iana_name(),
                "data": {
                    "start": table.start,
                    "step": table.step,
                    "rows": table.rows,
                    "legends": legends,
                    "series": series,
                }
            })))
        })
        .await?
}

#[derive(Debug, Deserialize)]
pub(crate) struct RpnQuery {
    rpn: String,
    #[serde(default)]
    vars: String,
}

/// `GET /metrics/api/check_rpn?rpn=..&vars=a,b`: the aggregate dialog's
/// check as you type.
pub(crate) async fn check_rpn(
    _user: crate::auth::User,
    Query(q): Query<RpnQuery>,
) -> AppResult<Json<serde_json::Value>> {
    if q.rpn.len() > 10_000 || q.vars.len() > 10_000 {
        return Err(AppError::BadRequest("expression too long".into()));
    }
    let vars: Vec<&str> = q
        .vars
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if let Some(bad) = vars.iter().find(|v| !valid_vname(v)) {
        return Ok(Json(
            serde_json::json!({"ok": false, "error": format!("{bad:?} is not a variable name (letters, digits and _)")}),
        ));
    }
    Ok(Json(match check_custom_rpn(&q.rpn, &vars) {
        Ok(()) => serde_json::json!({"ok": true}),
        Err(RpnProblem {
            message: error,
            span,
            caret,
        }) => {
            serde_json::json!({"ok": false, "error": error, "span": span, "caret": caret})
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_as_the_original() {
        let defs = vec!["v0_0".to_string(), "v0_1".to_string(), "v0_2".to_string()];
        assert_eq!(
            aggregate_rpn("a|b|c||average|x|y|z||", &defs).unwrap(),
            "v0_0,v0_1,v0_2,3,AVG"
        );
        assert_eq!(
            aggregate_rpn("a|b|c", &defs).unwrap(),
            "v0_0,v0_1,v0_2,3,AVG"
        );
        assert_eq!(
            aggregate_rpn("a|b|c||total|x|y|z||", &defs).unwrap(),
            "v0_0,v0_1,ADDNAN,v0_2,ADDNAN"
        );
        assert_eq!(
            aggregate_rpn("a|b|c||custom|x|y|z||x,y,+,z,MAX", &defs).unwrap(),
            "v0_0,v0_1,+,v0_2,MAX"
        );
        assert!(aggregate_rpn("a|b|c||custom|x|y||x", &defs).is_err());
        assert!(aggregate_rpn("a|b|c||median|x|y|z||", &defs).is_err());
        assert!(aggregate_rpn("a|b|c||custom|x|y|a:b||x", &defs).is_err());
    }

    #[test]
    fn rpn_errors_carry_a_caret() {
        assert!(check_custom_rpn("a,b,+", &["a", "b"]).is_ok());
        let RpnProblem {
            message: msg,
            span,
            caret,
        } = check_custom_rpn("a,c,+", &["a", "b"]).unwrap_err();
        assert!(!msg.is_empty());
        assert_eq!(span, Some((2, 3)));
        assert!(caret.contains('^'), "{caret}");
    }

    #[test]
    fn legends_cannot_smuggle_arguments() {
        assert_eq!(legend_text("a:b\\n"), "a\\:bn");
        assert_eq!(legend_text("x\ny"), "xy");
    }

    #[test]
    fn dates_and_times_in_the_zone() {
        let tz = TimeZone::get("US/Eastern").unwrap();
        let now = 1_700_000_000; // 2023-11-14 17:13:20 EST
        assert_eq!(
            parse_when(Some("2023-11-01"), Some("T9:05:00"), &tz, now).unwrap(),
            Some(1_698_843_900)
        );
        assert_eq!(
            parse_when(None, Some("T0:00:00"), &tz, now).unwrap(),
            Some(1_699_938_000)
        );
        assert_eq!(parse_when(None, None, &tz, now).unwrap(), None);
        assert!(parse_when(Some("2023-13-01"), None, &tz, now).is_err());
        assert!(parse_when(None, Some("T25:00:00"), &tz, now).is_err());
    }
}
