//! The sign of unknown results, which fetch shows (`-nan` vs `nan`) and
//! COMPUTE sources store: rrdtool makes new unknowns as its negative DNAN
//! and passes a NaN operand through unchanged. The DNAN cases were checked
//! by storing the expression in a COMPUTE source of rrdtool 1.7.2 and
//! fetching it (`UNKN,b,+`, `b,5,10,LIMIT` and `b,UNKN,MIN` give `-nan`);
//! the pass-through of a positive NaN follows rrd_rpncalc.c, since rrdtool's
//! own data never hands a positive NaN to an expression.

use rrd_rpn::{eval_series, parse, EvalContext, VarId, DNAN};

/// Evaluates `expr` over one point with `a` = +NaN (positive) and `b` = 1.
fn sign_of(expr: &str) -> &'static str {
    let p = parse(expr, |n| match n {
        "a" => Some(VarId(0)),
        "b" => Some(VarId(1)),
        _ => None,
    })
    .unwrap();
    let tz = jiff::tz::TimeZone::UTC;
    let ctx = EvalContext::new(60, &tz);
    let mut out = [0.0];
    eval_series(
        &p,
        &ctx,
        &[&[f64::NAN], &[1.0]],
        &[1_000_000_000],
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    match (out[0].is_nan(), out[0].is_sign_negative()) {
        (true, true) => "-nan",
        (true, false) => "nan",
        _ => "number",
    }
}

#[test]
fn new_unknowns_are_dnan_and_operands_pass_through() {
    assert_eq!(DNAN.to_bits(), 0xFFF8_0000_0000_0000);
    assert_eq!(sign_of("UNKN,b,+"), "-nan");
    assert_eq!(sign_of("b,UNKN,*"), "-nan");
    // comparisons and MIN/MAX hand back the NaN operand itself
    assert_eq!(sign_of("a,b,LT"), "nan");
    assert_eq!(sign_of("b,a,MAX"), "nan");
    assert_eq!(sign_of("UNKN,b,MIN"), "-nan");
    // LIMIT: the value, then the bounds, whichever is unknown first
    assert_eq!(sign_of("a,0,10,LIMIT"), "nan");
    assert_eq!(sign_of("b,UNKN,10,LIMIT"), "-nan");
    assert_eq!(sign_of("b,5,10,LIMIT"), "-nan");
}
