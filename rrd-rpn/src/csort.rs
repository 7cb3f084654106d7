//! Sorting exactly as rrdtool 1.7.2 sorts on glibc.
//!
//! rrdtool sorts with C `qsort` and two comparators (`rpn_compare_double`
//! for `SORT`, `MEDIAN`, `PERCENT`, `PREDICTPERC`; `vdef_percent_compar` for
//! the `PERCENT`/`PERCENTNAN` VDEFs) that are not orders: when only the
//! second operand is infinite they return its sign instead of the opposite,
//! so `1` sorts "below" `-inf` while `-inf` also sorts below `1`. What comes
//! out then depends on the sort algorithm: glibc's merge sort,
//! [`rrd_clib::qsort::qsort`], so that `MEDIAN` of `INF,1,NEGINF` is `-inf`,
//! as rrdtool prints it.
//!
//! With finite values and unknowns only, both comparators are plain orders
//! and the result is the usual ascending sort with unknowns first.

use std::cmp::Ordering;

/// `rpn_compare_double`: unknowns first (equal to each other), then an
/// infinite first operand decides by its own sign, then an infinite second
/// operand by its own sign (sic), then the difference.
pub fn rpn_compare(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    if let Some(o) = inf_sign(x).or_else(|| inf_sign(y)) {
        return o;
    }
    let d = x - y;
    if d < 0.0 {
        Ordering::Less
    } else if d > 0.0 {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// `vdef_percent_compar`: like [`rpn_compare`] but never equal: an unknown
/// first operand is always less, and of two equal finite values the first is
/// greater.
pub fn vdef_percent_compare(a: f64, b: f64) -> Ordering {
    if a.is_nan() {
        return Ordering::Less;
    }
    if b.is_nan() {
        return Ordering::Greater;
    }
    if let Some(o) = inf_sign(a).or_else(|| inf_sign(b)) {
        return o;
    }
    if a < b {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// C's `isinf()` as glibc defines it (-1, 1 or 0), as an ordering.
fn inf_sign(v: f64) -> Option<Ordering> {
    if v == f64::INFINITY {
        Some(Ordering::Greater)
    } else if v == f64::NEG_INFINITY {
        Some(Ordering::Less)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(v: &[f64]) -> Vec<f64> {
        let mut v = v.to_vec();
        let mut tmp = vec![0.0; v.len()];
        rrd_clib::qsort::qsort(&mut v, &mut tmp, rpn_compare);
        v
    }

    const INF: f64 = f64::INFINITY;

    #[test]
    fn finite_values_sort_ascending_with_unknowns_first() {
        let v = sorted(&[3.0, f64::NAN, -1.0, 2.5, 0.0, 7.0, f64::NAN]);
        assert!(v[0].is_nan() && v[1].is_nan());
        assert_eq!(&v[2..], &[-1.0, 0.0, 2.5, 3.0, 7.0]);
    }

    #[test]
    fn infinities_land_where_rrdtool_puts_them() {
        // recorded from rrdtool 1.7.2 MEDIAN on Debian 12 (glibc 2.36)
        assert_eq!(sorted(&[INF, 1.0, -INF])[1], -INF);
        assert_eq!(sorted(&[1.0, -INF, 5.0])[1], -INF);
        assert_eq!(sorted(&[-INF, 1.0, INF])[1], INF);
        assert_eq!(sorted(&[INF, 1.0, 5.0])[1], 5.0);
    }

    #[test]
    fn vdef_comparator_is_never_equal() {
        assert_eq!(vdef_percent_compare(1.0, 1.0), Ordering::Greater);
        assert_eq!(vdef_percent_compare(f64::NAN, f64::NAN), Ordering::Less);
        assert_eq!(vdef_percent_compare(2.0, -INF), Ordering::Less);
    }
}
