//! `rrdtool info`: the header as an ordered list of keys and values.

use std::fmt::Write as _;

use crate::model::{cdp_slot, CdefNode, ConsolidationFn, DsParams, Header, RraParams};
use rrd_clib::printf::exp10_or_nan;

/// A value of `info`, typed as rrdtool types it (which decides how it prints).
#[derive(Debug, Clone, PartialEq)]
pub enum InfoValue {
    /// A double, printed `%0.10e` (`NaN` when unknown).
    Val(f64),
    /// A count, printed `%lu`.
    Cnt(u64),
    /// A string, printed in double quotes.
    Str(String),
}

impl std::fmt::Display for InfoValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InfoValue::Val(v) => f.write_str(&exp10_or_nan(*v)),
            InfoValue::Cnt(c) => write!(f, "{c}"),
            InfoValue::Str(s) => write!(f, "\"{s}\""),
        }
    }
}

/// rrdtool's name of each `op_en` code, as `rpn_compact2str` prints it.
pub fn op_name(op: u8) -> Option<&'static str> {
    Some(match op {
        2 => "INF",
        3 => "PREV",
        4 => "NEGINF",
        5 => "UNKN",
        6 => "NOW",
        7 => "TIME",
        8 => "+",
        9 => "%",
        10 => "-",
        11 => "*",
        12 => "/",
        13 => "SIN",
        14 => "DUP",
        15 => "EXC",
        16 => "POP",
        17 => "COS",
        18 => "LOG",
        19 => "EXP",
        20 => "LT",
        21 => "LE",
        22 => "GT",
        23 => "GE",
        24 => "EQ",
        25 => "IF",
        26 => "MIN",
        27 => "MAX",
        28 => "LIMIT",
        29 => "FLOOR",
        30 => "CEIL",
        31 => "UN",
        33 => "LTIME",
        34 => "NE",
        35 => "ISINF",
        37 => "COUNT",
        38 => "ATAN",
        39 => "SQRT",
        40 => "SORT",
        41 => "REV",
        42 => "TREND",
        43 => "TRENDNAN",
        44 => "ATAN2",
        45 => "RAD2DEG",
        46 => "DEG2RAD",
        47 => "PREDICT",
        48 => "PREDICTSIGMA",
        49 => "AVG",
        50 => "ABS",
        51 => "ADDNAN",
        52 => "MINNAN",
        53 => "MAXNAN",
        54 => "MEDIAN",
        55 => "PREDICTPERC",
        56 => "DEPTH",
        57 => "COPY",
        58 => "ROLL",
        59 => "INDEX",
        60 => "STEPWIDTH",
        61 => "NEWDAY",
        62 => "NEWWEEK",
        63 => "NEWMONTH",
        64 => "NEWYEAR",
        65 => "SMIN",
        66 => "SMAX",
        67 => "STDEV",
        68 => "PERCENT",
        69 => "POW",
        _ => return None,
    })
}

/// A COMPUTE expression as rrdtool prints it (`a,b,+,2,/`).
pub fn cdef_to_string(rpn: &[CdefNode], ds_names: &[&str]) -> String {
    let name = |i: i16| {
        usize::try_from(i)
            .ok()
            .and_then(|i| ds_names.get(i))
            .map_or_else(|| format!("?{i}"), |s| s.to_string())
    };
    let mut out = String::new();
    for (i, n) in rpn.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match n.op {
            0 => {
                let _ = write!(out, "{}", n.val);
            }
            1 => out.push_str(&name(n.val)),
            36 => {
                let _ = write!(out, "PREV({})", name(n.val));
            }
            op => match op_name(op) {
                Some(s) => out.push_str(s),
                None => {
                    let _ = write!(out, "?op{op}");
                }
            },
        }
    }
    out
}

/// The `info` keys of a header, in rrdtool's order. `filename` is shown as
/// given; `header_size` is the file's actual header size.
pub fn info(hdr: &Header, filename: &str, header_size: u64) -> Vec<(String, InfoValue)> {
    use InfoValue::*;
    let mut out: Vec<(String, InfoValue)> = Vec::new();
    let mut push = |k: String, v: InfoValue| out.push((k, v));
    push("filename".into(), Str(filename.into()));
    push("rrd_version".into(), Str(format!("{:04}", hdr.version)));
    push("step".into(), Cnt(hdr.step));
    push("last_update".into(), Cnt(hdr.last_up as u64));
    push("header_size".into(), Cnt(header_size));
    let names: Vec<&str> = hdr.ds.iter().map(|d| d.name.as_str()).collect();
    for (i, ds) in hdr.ds.iter().enumerate() {
        let k = |f: &str| format!("ds[{}].{f}", ds.name);
        push(k("index"), Cnt(i as u64));
        push(k("type"), Str(ds.kind.as_str().into()));
        match &ds.params {
            DsParams::Compute { rpn } => push(k("cdef"), Str(cdef_to_string(rpn, &names))),
            DsParams::Standard {
                heartbeat,
                min,
                max,
            } => {
                push(k("minimal_heartbeat"), Cnt(*heartbeat));
                push(k("min"), Val(*min));
                push(k("max"), Val(*max));
            }
        }
        let p = &hdr.pdp[i];
        push(k("last_ds"), Str(p.last_ds.clone()));
        push(k("value"), Val(p.value));
        push(k("unknown_sec"), Cnt(p.unknown_sec));
    }
    for (i, rra) in hdr.rra.iter().enumerate() {
        let k = |f: &str| format!("rra[{i}].{f}");
        push(k("cf"), Str(rra.cf.as_str().into()));
        push(k("rows"), Cnt(rra.rows));
        push(k("cur_row"), Cnt(hdr.cur_row[i]));
        push(k("pdp_per_row"), Cnt(rra.pdp_cnt));
        match rra.params {
            RraParams::Plain { xff } => push(k("xff"), Val(xff)),
            RraParams::HoltWinters { alpha, beta, .. } => {
                push(k("alpha"), Val(alpha));
                push(k("beta"), Val(beta));
            }
            RraParams::Seasonal {
                gamma,
                smoothing_window,
                ..
            } => {
                push(k("gamma"), Val(gamma));
                if hdr.version >= 4 {
                    push(k("smoothing_window"), Val(smoothing_window));
                }
            }
            RraParams::Failures {
                delta_pos,
                delta_neg,
                window_len,
                threshold,
                ..
            } => {
                push(k("delta_pos"), Val(delta_pos));
                push(k("delta_neg"), Val(delta_neg));
                push(k("failure_threshold"), Cnt(threshold));
                push(k("window_length"), Cnt(window_len));
            }
            RraParams::DevPredict { .. } => {}
        }
        for j in 0..hdr.ds.len() {
            let c = hdr.cdp(i, j);
            let k = |f: &str| format!("rra[{i}].cdp_prep[{j}].{f}");
            match rra.cf {
                ConsolidationFn::HwPredict | ConsolidationFn::MhwPredict => {
                    push(k("intercept"), Val(c.val(cdp_slot::HW_INTERCEPT)));
                    push(k("slope"), Val(c.val(cdp_slot::HW_SLOPE)));
                    push(k("NaN_count"), Cnt(c.cnt(cdp_slot::NULL_COUNT)));
                }
                ConsolidationFn::Seasonal => {
                    push(k("seasonal"), Val(c.val(cdp_slot::HW_INTERCEPT)))
                }
                ConsolidationFn::DevSeasonal => {
                    push(k("deviation"), Val(c.val(cdp_slot::HW_INTERCEPT)))
                }
                ConsolidationFn::DevPredict => {}
                ConsolidationFn::Failures => {
                    let len = match rra.params {
                        RraParams::Failures { window_len, .. } => window_len as usize,
                        _ => 0,
                    };
                    push(k("history"), Str(history_string(&c.history(len))));
                }
                _ => {
                    push(k("value"), Val(c.val(cdp_slot::VAL)));
                    push(k("unknown_datapoints"), Cnt(c.cnt(cdp_slot::UNKN_PDP_CNT)));
                }
            }
        }
    }
    out
}

/// FAILURES history bytes as rrdtool prints them: one digit per byte.
pub fn history_string(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| char::from(b'0'.wrapping_add(b)))
        .collect()
}

/// `info` as rrdtool prints it: `key = value` lines.
pub fn format_info(items: &[(String, InfoValue)]) -> String {
    let mut s = String::new();
    for (k, v) in items {
        let _ = writeln!(s, "{k} = {v}");
    }
    s
}
