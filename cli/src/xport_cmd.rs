//! `xport`: DEF/CDEF/VDEF/XPORT arguments to rrdtool's XML or JSON table.

use std::io::Write;

use rrd_core::time::proc_start_end;
use rrd_graph::{
    compute, render, xport_table, EvalEnv, Files, GraphSpec, ParseContext, Window, XportFormat,
};

use crate::commands::{
    default_window, open_error, parse_opts_until_error, parse_window_time, write_out,
};
use rrd_clib::getopt::{opt, Arg, Opt};

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// C's `atol`: optional white space and sign, then digits; 0 when none.
pub(crate) fn atol(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.wrapping_mul(10).wrapping_add(i64::from(b - b'0'));
    }
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

/// The `--start`/`--end` pair of xport and graph resolved, with rrdtool's
/// checks and messages.
pub(crate) fn resolve_window(
    start: &rrd_core::time::TimeSpec,
    end: &rrd_core::time::TimeSpec,
    tz: &jiff::tz::TimeZone,
) -> Result<(i64, i64), String> {
    let (start, end) = proc_start_end(start, end, tz).map_err(|e| e.message)?;
    if start < rrd_core::fetch::MIN_START {
        return Err(format!(
            "the first entry to fetch should be after 1980 ({start})"
        ));
    }
    if end < start {
        return Err(format!("start ({start}) should be less than end ({end})"));
    }
    Ok((start, end))
}

/// The graph window: DEFs are fetched at `max(--step, (end - start) /
/// width)`.
pub(crate) fn graph_window(start: i64, end: i64, step: i64, width: i64) -> Window {
    let graph_step = step.max((end - start) / width.max(1));
    Window {
        start,
        end,
        step: graph_step.max(0) as u64,
    }
}

pub(crate) fn graph_error(e: rrd_graph::Error) -> String {
    match e {
        rrd_graph::Error::Open { path, source } | rrd_graph::Error::Fetch { path, source } => {
            open_error(&path, &source)
        }
        other => other.to_string(),
    }
}

/// `rrd xport`.
pub fn cmd_xport(argv: &[String], out: &mut dyn Write) -> Result<(), String> {
    const SPEC: &[Opt] = &[
        opt("start", Some('s'), Arg::Required),
        opt("end", Some('e'), Arg::Required),
        opt("maxrows", Some('m'), Arg::Required),
        opt("step", None, Arg::Required),
        opt("enumds", None, Arg::None),
        opt("json", None, Arg::None),
        opt("showtime", Some('t'), Arg::None),
        opt("daemon", Some('d'), Arg::Required),
    ];
    // rrdtool acts on each option as it reads it: the longest prefix that
    // parses holds exactly the options it acted on before a bad one
    let (p, bad_option) = parse_opts_until_error(argv, SPEC);
    let tz = jiff::tz::TimeZone::system();
    let now = now();
    let (mut start, mut end) = default_window(now);
    let mut width: i64 = 400;
    let mut step: i64 = 0;
    let mut format = XportFormat::default();
    for (name, value) in &p.opts {
        let value = value.as_deref().unwrap_or_default();
        match *name {
            "start" => start = parse_window_time("start", value, now, &tz)?,
            "end" => end = parse_window_time("end", value, now, &tz)?,
            "maxrows" => {
                width = atol(value);
                if width < 10 {
                    return Err("maxrows below 10 rows".into());
                }
            }
            // atoi: the low 32 bits of atol
            "step" => step = i64::from(atol(value) as i32),
            "enumds" => format.enumds = true,
            "json" => format.json = true,
            "showtime" => format.showtime = true,
            "daemon" => return Err("--daemon (rrdcached) is not supported yet".into()),
            _ => {}
        }
    }
    if let Some(e) = bad_option {
        return Err(e);
    }
    let (start, end) = resolve_window(&start, &end, &tz)?;
    let win = graph_window(start, end, step, width);
    let ctx = ParseContext {
        now,
        tz: &tz,
        start,
        end,
    };
    let spec = GraphSpec::parse(&p.args, &ctx).map_err(graph_error)?;
    if spec.elements().is_empty() {
        return Err("can't make an xport without contents".into());
    }
    let env = EvalEnv {
        now,
        tz: &tz,
        missing_as_unknown: false,
    };
    let data = compute(&spec, &win, &env, &mut Files).map_err(graph_error)?;
    let table = xport_table(&spec, &data, &win).map_err(graph_error)?;
    write_out(out, &render(&table, format))
}
