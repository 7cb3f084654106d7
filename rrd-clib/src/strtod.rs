//! rrdtool's own number parser (`rrd_strtod`), reproduced bit for bit.
//!
//! rrdtool does not use the C library's correctly rounded `strtod`: it
//! accumulates every digit into a double (`n = n*10 + d`) and then scales by
//! powers of ten with repeated multiplication or division. Long mantissas
//! and large exponents therefore round differently from Rust's `parse`, and
//! to store the same bits we must parse the same way.

/// Parses the longest numeric prefix of `s` as rrdtool does; returns the
/// value and the number of bytes consumed (0 when nothing was converted).
pub fn rrd_strtod(s: &str) -> (f64, usize) {
    let b = s.as_bytes();
    let mut p = 0;
    while p < b.len() && crate::strtol::is_space(b[p]) {
        p += 1;
    }
    let mut negative = false;
    match b.get(p) {
        Some(b'-') => {
            negative = true;
            p += 1;
        }
        Some(b'+') => p += 1,
        _ => {}
    }
    let mut number = 0.0f64;
    let mut exponent: i64 = 0;
    let mut digits = 0;
    while let Some(d) = b.get(p).filter(|c| c.is_ascii_digit()) {
        number = number * 10.0 + f64::from(d - b'0');
        p += 1;
        digits += 1;
    }
    if b.get(p) == Some(&b'.') {
        p += 1;
        let mut decimals = 0;
        while let Some(d) = b.get(p).filter(|c| c.is_ascii_digit()) {
            number = number * 10.0 + f64::from(d - b'0');
            p += 1;
            digits += 1;
            decimals += 1;
        }
        exponent -= decimals;
    }
    if digits == 0 {
        return (0.0, 0);
    }
    if negative {
        number = -number;
    }
    if matches!(b.get(p), Some(b'e' | b'E')) {
        p += 1;
        let mut neg_exp = false;
        match b.get(p) {
            Some(b'-') => {
                neg_exp = true;
                p += 1;
            }
            Some(b'+') => p += 1,
            _ => {}
        }
        let mut n: i64 = 0;
        while let Some(d) = b.get(p).filter(|c| c.is_ascii_digit()) {
            // C's int overflows here; saturating keeps the range check failing
            n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
            p += 1;
        }
        exponent = if neg_exp {
            exponent.saturating_sub(n)
        } else {
            exponent.saturating_add(n)
        };
    }
    // DBL_MIN_EXP = -1021, DBL_MAX_EXP = 1024
    if !(-1021..=1024).contains(&exponent) {
        return (f64::INFINITY, 0);
    }
    let mut p10 = 10.0f64;
    let mut n = exponent.unsigned_abs();
    while n != 0 {
        if n & 1 == 1 {
            if exponent < 0 {
                number /= p10;
            } else {
                number *= p10;
            }
        }
        n >>= 1;
        p10 *= p10;
    }
    (number, p)
}

/// rrdtool's `rrd_strtodbl`: the whole string must be a number, or one of
/// `nan`, `-nan`, `inf`, `-inf` (any case). The error text is rrdtool's,
/// prefixed with `context` (e.g. `parsing min val`).
pub fn strtodbl(s: &str, context: Option<&str>) -> Result<f64, String> {
    let (v, used) = rrd_strtod(s);
    if used == s.len() && used > 0 {
        return Ok(v);
    }
    let prefix = context.map(|c| format!("{c} - ")).unwrap_or_default();
    if used == 0 {
        match s.to_ascii_lowercase().as_str() {
            "nan" => return Ok(f64::NAN),
            "-nan" => return Ok(crate::DNAN),
            "inf" => return Ok(f64::INFINITY),
            "-inf" => return Ok(f64::NEG_INFINITY),
            _ => {}
        }
        return Err(format!("{prefix}Cannot convert '{s}' to float"));
    }
    if used < s.len() {
        return Err(format!(
            "{prefix}Converted '{s}' to {}, but cannot convert '{}'",
            crate::printf::fixed(v, 6),
            &s[used..]
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_rrdtool() {
        assert_eq!(rrd_strtod("1.5"), (1.5, 3));
        assert_eq!(rrd_strtod("  -2e3x"), (-2000.0, 6));
        assert_eq!(rrd_strtod("abc"), (0.0, 0));
        assert_eq!(rrd_strtod("1e9999"), (f64::INFINITY, 0));
        // 0.1 accumulates as 1 / 10, which is the correctly rounded value
        assert_eq!(rrd_strtod("0.1").0, 0.1);
        // a long mantissa loses bits the correctly rounded parse keeps
        let (v, _) = rrd_strtod("0.30000000000000004");
        assert_eq!(v, 3.0000000000000004e16 / 1e17);
    }

    #[test]
    fn whole_string_rule() {
        assert_eq!(strtodbl("42", None), Ok(42.0));
        assert!(strtodbl("nan", None).unwrap().is_nan());
        assert_eq!(strtodbl("-INF", None), Ok(f64::NEG_INFINITY));
        assert_eq!(
            strtodbl("1x", Some("parsing min val")),
            Err("parsing min val - Converted '1x' to 1.000000, but cannot convert 'x'".into())
        );
        assert_eq!(
            strtodbl("abc", Some("parsing max val")),
            Err("parsing max val - Cannot convert 'abc' to float".into())
        );
    }
}
