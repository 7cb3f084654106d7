//! C `printf` number formats as rrdtool prints them (`%0.10e`, `%lf`).
//!
//! Rust's float formatting is exact like glibc's; only the spelling
//! differs (exponent sign and width, NaN and infinity names).

/// `%0.<prec>e` as glibc prints it: `1.5000000000e+00`, `-nan`, `inf`.
/// The sign of a NaN is printed (`-nan` for rrdtool's DNAN).
pub fn exp(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let s = format!("{v:.prec$e}");
    let (mant, e) = s.split_once('e').expect("exponent present");
    let e: i32 = e.parse().expect("integer exponent");
    format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// `%0.10e` with NaN spelled `NaN` (as `info` and `dump` print doubles).
pub fn exp10_or_nan(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        exp(v, 10)
    }
}

/// `%.<prec>f` as glibc prints it (`%lf` is `fixed(v, 6)`).
pub fn fixed(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    format!("{v:.prec$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_glibc() {
        assert_eq!(exp(1.5, 10), "1.5000000000e+00");
        assert_eq!(exp(0.0, 10), "0.0000000000e+00");
        assert_eq!(exp(-1234.5678, 10), "-1.2345678000e+03");
        assert_eq!(exp(1e-300, 10), "1.0000000000e-300");
        assert_eq!(exp(crate::DNAN, 10), "-nan");
        assert_eq!(exp(f64::NEG_INFINITY, 10), "-inf");
        // exact ties round half to even, as glibc does
        assert_eq!(exp(100000000005.0, 10), "1.0000000000e+11");
        assert_eq!(exp(100000000015.0, 10), "1.0000000002e+11");
        assert_eq!(exp10_or_nan(f64::NAN), "NaN");
    }

    #[test]
    fn fixed_matches_glibc() {
        assert_eq!(fixed(1.0, 6), "1.000000");
        assert_eq!(fixed(0.125, 2), "0.12");
        assert_eq!(fixed(-0.0, 1), "-0.0");
    }
}
