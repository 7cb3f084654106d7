//! Bodies of the cargo-fuzz targets in `fuzz/`, kept here so that normal
//! tests run them over the committed seed corpus on stable Rust.

use crate::{eval_series, parse, render_error, EvalContext, VarId};

/// Parses arbitrary bytes as an RPN expression over three variables
/// `a`, `b`, `c` and, if it parses, evaluates it over short series with
/// unknown and infinite values. Must never panic, hang, or grow the stack
/// without bound.
pub fn parse_eval(data: &[u8]) {
    let Ok(expr) = std::str::from_utf8(data) else {
        return;
    };
    let resolve = |name: &str| match name {
        "a" => Some(VarId(0)),
        "b" => Some(VarId(1)),
        "c" => Some(VarId(2)),
        _ => None,
    };
    let program = match parse(expr, resolve) {
        Ok(p) => p,
        Err(e) => {
            let _ = render_error(expr, &e);
            return;
        }
    };
    let a = [1.0, f64::NAN, -3.5, f64::INFINITY, 0.0, 1e300, -0.0, 7.0];
    let b = [
        2.0,
        5.0,
        f64::NEG_INFINITY,
        f64::NAN,
        0.0,
        -1e-300,
        3.0,
        8.0,
    ];
    let c = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let times: Vec<i64> = (0..8).map(|i| 1_000_000_000 + 300 * i).collect();
    let tz = jiff::tz::TimeZone::UTC;
    let mut ctx = EvalContext::new(300, &tz);
    ctx.now = 1_000_003_000;
    let mut out = [0.0; 8];
    let mut stack = Vec::new();
    let _ = eval_series(&program, &ctx, &[&a, &b, &c], &times, &mut out, &mut stack);
}
