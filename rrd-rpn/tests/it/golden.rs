//! Every line of golden/golden.txt was produced by C rrdtool 1.7.2
//! (`golden/make_golden.sh`: `rrdtool xport` of `CDEF:x=<expr>`, TZ=UTC).

use super::{check, eval_text};

#[test]
fn golden_from_rrdtool_xport() {
    let golden = include_str!("golden/golden.txt");
    let mut n = 0;
    let mut bad = Vec::new();
    for line in golden.lines() {
        let (expr, expected) = line.split_once('\t').expect("tab-separated golden line");
        let got = eval_text(expr);
        if got != expected {
            bad.push(format!("{expr}\n  rrdtool: {expected}\n  we:      {got}"));
        }
        n += 1;
    }
    assert!(n > 100, "golden file too short: {n}");
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
    check(
        "a",
        golden
            .lines()
            .next()
            .and_then(|l| l.split_once('\t'))
            .map_or("", |(_, v)| v),
    );
}

#[test]
fn fmt_matches_c_printf() {
    assert_eq!(super::fmt_value(1.0), "1.0000000000e+00");
    assert_eq!(super::fmt_value(0.2), "2.0000000000e-01");
    assert_eq!(super::fmt_value(-279936.0), "-2.7993600000e+05");
    assert_eq!(super::fmt_value(-0.0), "0.0000000000e+00");
    assert_eq!(super::fmt_value(f64::NEG_INFINITY), "-inf");
}
