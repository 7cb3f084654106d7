//! NEWDAY, NEWWEEK, NEWMONTH, NEWYEAR and LTIME in three time zones, against
//! golden/calendar.txt (made by golden/make_calendar.sh with C rrdtool 1.7.2).

use rrd_rpn::{eval_series, parse, EvalContext, VarId};

use super::fmt_value;

const START: i64 = 1_514_664_000; // 2017-12-30T20:00:00Z, a Saturday
const STEP: i64 = 3600;
const N: usize = 34;

fn eval_in(tz_name: &str, expr: &str) -> String {
    let tz = jiff::tz::TimeZone::get(tz_name).expect("time zone in the system database");
    let ctx = EvalContext::new(STEP, &tz);
    let times: Vec<i64> = (1..=N as i64).map(|k| START + k * STEP).collect();
    let c = [1.0; N];
    let p = parse(expr, |n| (n == "c").then_some(VarId(0))).expect("parses");
    let mut out = [0.0; N];
    eval_series(&p, &ctx, &[&c], &times, &mut out, &mut Vec::new()).expect("evaluates");
    out.iter()
        .map(|&v| fmt_value(v))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn calendar_operators_match_rrdtool() {
    let mut n = 0;
    for line in include_str!("golden/calendar.txt").lines() {
        let mut parts = line.split('\t');
        let (Some(tz), Some(expr), Some(expected)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("bad golden line {line:?}");
        };
        assert_eq!(eval_in(tz, expr), expected, "{tz} {expr}");
        n += 1;
    }
    assert_eq!(n, 15);
}
