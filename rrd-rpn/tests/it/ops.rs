//! Hand-written operator cases: unknowns, infinities, stack errors and the
//! places where we deliberately differ from rrdtool's undefined behaviour.
//! Cases marked [rrdtool] were checked against C rrdtool 1.7.2 via xport.

use super::check;

const U8: &str = "NaN NaN NaN NaN NaN NaN NaN NaN";

#[test]
fn arithmetic_with_unknown_and_infinity() {
    check("UNKN,a,+", U8);
    check("INF,NEGINF,+,a,POP", U8);
    check("INF,a,POP,0,*", U8);
    check("1,0,/,a,POP", "inf inf inf inf inf inf inf inf"); // [rrdtool] §4.2
    check("-1,0,/,a,POP", "-inf -inf -inf -inf -inf -inf -inf -inf");
    check("INF,2,%,a,POP", U8); // fmod(inf, 2)
    check("5,INF,%,a,POP", "5.0000000000e+00 5.0000000000e+00 5.0000000000e+00 5.0000000000e+00 5.0000000000e+00 5.0000000000e+00 5.0000000000e+00 5.0000000000e+00");
    check("-7,2,%,a,POP", "-1.0000000000e+00 -1.0000000000e+00 -1.0000000000e+00 -1.0000000000e+00 -1.0000000000e+00 -1.0000000000e+00 -1.0000000000e+00 -1.0000000000e+00");
}

#[test]
fn comparisons_and_if() {
    check("UNKN,INF,LT,a,POP", U8);
    check("INF,INF,EQ,a,POP", "1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00");
    check("NEGINF,INF,LT,a,POP", "1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00");
    check("INF,1,2,IF,a,POP", "1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00 1.0000000000e+00");
    check("0,1,2,IF,a,POP", "2.0000000000e+00 2.0000000000e+00 2.0000000000e+00 2.0000000000e+00 2.0000000000e+00 2.0000000000e+00 2.0000000000e+00 2.0000000000e+00");
    check("UNKN,UNKN,MINNAN,a,POP", U8);
    check("UNKN,INF,MAXNAN,a,POP", "inf inf inf inf inf inf inf inf");
    check("UNKN,INF,MAX,a,POP", U8);
}

#[test]
fn stack_underflow() {
    check("+", "ERROR: RPN stack underflow");
    check("a,+", "ERROR: RPN stack underflow"); // [rrdtool]
    check("a,SORT", "ERROR: RPN stack underflow"); // [rrdtool]
    check("a,0,4,PERCENT", "ERROR: RPN stack underflow"); // [rrdtool]
    check("a,5,INDEX", "ERROR: RPN stack underflow"); // [rrdtool]
    check("a,2,COPY", "ERROR: RPN stack underflow");
    check("a,1,2,4,1,ROLL", "ERROR: RPN stack underflow");
    check("a,b", "ERROR: RPN final stack size != 1"); // [rrdtool]
    check("a,0,INDEX", "ERROR: RPN final stack size != 1"); // [rrdtool]
    check("a,POP", "ERROR: RPN final stack size != 1");
    // counts that come from the data are checked at evaluation: a=1 sorts
    // one value, a=2 underflows
    check("b,a,SORT", "ERROR: RPN stack underflow"); // [rrdtool]
    check("a,a,2,+,COPY", "ERROR: RPN stack underflow"); // [rrdtool]
}

#[test]
fn zero_index_pushes_the_count_back() {
    // rrdtool reads the slot the count was popped from
    check("0.5,0,INDEX,+,a,POP", "5.0000000000e-01 5.0000000000e-01 5.0000000000e-01 5.0000000000e-01 5.0000000000e-01 5.0000000000e-01 5.0000000000e-01 5.0000000000e-01");
}

#[test]
fn roll_follows_the_documentation() {
    // a,b,c,d,3,1,ROLL -> a,d,b,c; read back as a*1000+d*100+b*10+c.
    // DIVERGENCE: rrdtool 1.7.2 gives 1413 here (its ROLL copies from the
    // wrong offset); we follow its documentation, as the reference says.
    let e = "1,2,3,4,3,1,ROLL,EXC,10,*,+,EXC,100,*,+,EXC,1000,*,+,a,POP";
    check(e, "1.4230000000e+03 1.4230000000e+03 1.4230000000e+03 1.4230000000e+03 1.4230000000e+03 1.4230000000e+03 1.4230000000e+03 1.4230000000e+03");
    let e = "1,2,3,4,3,-1,ROLL,EXC,10,*,+,EXC,100,*,+,EXC,1000,*,+,a,POP";
    check(e, "1.3420000000e+03 1.3420000000e+03 1.3420000000e+03 1.3420000000e+03 1.3420000000e+03 1.3420000000e+03 1.3420000000e+03 1.3420000000e+03");
    check("a,0,5,ROLL", "1.0000000000e+00 2.0000000000e+00 NaN 4.0000000000e+00 5.0000000000e+00 6.0000000000e+00 7.0000000000e+00 8.0000000000e+00");
}

#[test]
fn invalid_arguments_where_rrdtool_crashes_or_reads_garbage() {
    check("a,-1,SORT", "ERROR: invalid argument -1 for SORT"); // rrdtool: segfault
    check("a,-1,SMIN", "ERROR: invalid argument -1 for SMIN"); // rrdtool: segfault
    check("a,-1,COPY", "ERROR: invalid argument -1 for COPY"); // rrdtool: segfault
                                                               // [rrdtool] negative counts that rrdtool survives
    check("a,-2,REV", "1.0000000000e+00 2.0000000000e+00 NaN 4.0000000000e+00 5.0000000000e+00 6.0000000000e+00 7.0000000000e+00 8.0000000000e+00");
    check("a,-1,AVG,+", "NaN NaN NaN NaN NaN NaN NaN NaN");
    check("a,b,-1,AVG,POP,+", "6.0000000000e+00 NaN NaN 2.0000000000e+00 5.0000000000e+00 1.3000000000e+01 8.0000000000e+00 1.0000000000e+01");
    check("a,b,TREND", "ERROR: invalid argument NaN for TREND"); // rrdtool: segfault
    check(
        "a,2,3,4,0,4,PERCENT",
        "ERROR: invalid argument 0 for PERCENT",
    ); // rrdtool: reads below the window
    check(
        "a,2,3,4,101,4,PERCENT",
        "ERROR: percentile argument must be between 0 and 100",
    ); // [rrdtool]
       // an unknown count: (int)NaN is INT_MIN and rrdtool's check reports underflow
    check("a,UNKN,AVG", "ERROR: RPN stack underflow");
    check("a,a,0,/,AVG", "ERROR: RPN stack underflow");
}

#[test]
fn trend_needs_a_variable_two_tokens_before() {
    check("1,a,TREND", "ERROR: malformed trend arguments"); // [rrdtool]
    check("a,TREND", "ERROR: RPN stack underflow"); // depth is checked first, as in rrdtool
    check("a,60,TREND", "1.0000000000e+00 2.0000000000e+00 NaN 4.0000000000e+00 5.0000000000e+00 6.0000000000e+00 7.0000000000e+00 8.0000000000e+00");
    // rrdtool walks back through memory until it crashes (segfault)
    check(
        "a,1e30,TREND",
        "ERROR: input 0 would be read outside its data (rrdtool reads unrelated memory there)",
    );
    // a window of zero or fewer seconds is the current row [rrdtool]
    check("a,-60,TREND", "1.0000000000e+00 2.0000000000e+00 NaN 4.0000000000e+00 5.0000000000e+00 6.0000000000e+00 7.0000000000e+00 8.0000000000e+00");
}

#[test]
fn stack_depth_is_bounded() {
    let doubling = "DEPTH,COPY,".repeat(22);
    check(&format!("a,{doubling}POP"), "ERROR: RPN stack overflow");
    // the same with counts only known at evaluation time
    let doubling = "DEPTH,a,a,-,UN,+,COPY,".repeat(22);
    check(&format!("a,{doubling}POP"), "ERROR: RPN stack overflow");
}

#[test]
fn now_comes_from_the_context() {
    use rrd_rpn::{eval_series, parse, EvalContext};
    let tz = jiff::tz::TimeZone::UTC;
    let mut ctx = EvalContext::new(60, &tz);
    ctx.now = 1234;
    let p = parse("NOW,a,POP", super::resolve).expect("parses");
    let mut out = [0.0; 2];
    eval_series(
        &p,
        &ctx,
        &[&[1.0, 2.0]],
        &[60, 120],
        &mut out,
        &mut Vec::new(),
    )
    .expect("evaluates");
    assert_eq!(out, [1234.0, 1234.0]);
}

#[test]
fn bad_inputs_are_errors() {
    use rrd_rpn::{eval_series, parse, Error, EvalContext};
    let tz = jiff::tz::TimeZone::UTC;
    let ctx = EvalContext::new(60, &tz);
    let p = parse("a,b,+", super::resolve).expect("parses");
    let mut out = [0.0; 2];
    let err = eval_series(
        &p,
        &ctx,
        &[&[1.0, 2.0]],
        &[60, 120],
        &mut out,
        &mut Vec::new(),
    );
    assert!(matches!(err, Err(Error::BadInput { index: 1, .. })));
    let err = eval_series(
        &p,
        &ctx,
        &[&[1.0, 2.0], &[1.0]],
        &[60, 120],
        &mut out,
        &mut Vec::new(),
    );
    assert!(matches!(err, Err(Error::BadInput { index: 1, .. })));
    let zero = EvalContext::new(0, &tz);
    let err = eval_series(
        &p,
        &zero,
        &[&[1.0, 2.0], &[1.0, 2.0]],
        &[60, 120],
        &mut out,
        &mut Vec::new(),
    );
    assert!(matches!(err, Err(Error::BadInput { .. })));
}
