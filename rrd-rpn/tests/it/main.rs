//! Integration tests for rrd-rpn. Most tests go through [`check`], which
//! evaluates an expression over two fixed series and compares the result,
//! formatted the way `rrdtool xport` prints values, with the expected text.

mod calendar;
mod differential;
mod fuzz;
mod fuzz_seeds;
mod golden;
mod nan_sign;
mod ops;
mod parse;
mod predict;

use rrd_rpn::{eval_series, parse, EvalContext, VarId};

/// Series `a`, as stored in golden/make_golden.sh's RRD.
pub const A: [f64; 8] = [1.0, 2.0, f64::NAN, 4.0, 5.0, 6.0, 7.0, 8.0];
/// Series `b`, likewise.
pub const B: [f64; 8] = [5.0, f64::NAN, 3.0, -2.0, 0.0, 7.0, 1.0, 2.0];
/// End time of the first step.
pub const T0: i64 = 1_000_000_020;
/// Step in seconds.
pub const STEP: i64 = 60;

pub fn resolve(name: &str) -> Option<VarId> {
    match name {
        "a" => Some(VarId(0)),
        "b" => Some(VarId(1)),
        _ => None,
    }
}

/// `%0.10e` as C prints it (exponent with sign and at least two digits),
/// `NaN`, `inf`, `-inf` as rrdtool xport prints them.
pub fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let v = if v == 0.0 { 0.0 } else { v };
    let s = format!("{v:.10e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Evaluates `expr` over [`A`] and [`B`] in UTC; the values separated by
/// spaces, or `ERROR: message` as rrdtool prints it.
pub fn eval_text(expr: &str) -> String {
    let times: Vec<i64> = (0..A.len() as i64).map(|k| T0 + k * STEP).collect();
    let tz = jiff::tz::TimeZone::UTC;
    let ctx = EvalContext::new(STEP, &tz);
    let mut out = vec![0.0; times.len()];
    let result = parse(expr, resolve)
        .and_then(|p| eval_series(&p, &ctx, &[&A, &B], &times, &mut out, &mut Vec::new()));
    match result {
        Ok(()) => out
            .iter()
            .map(|&v| fmt_value(v))
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("ERROR: {e}"),
    }
}

#[track_caller]
pub fn check(expr: &str, expected: &str) {
    assert_eq!(eval_text(expr), expected, "expression {expr:?}");
}
