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

/// glibc's `strtod` (as `sscanf("%lf")` and `atof` use it) on a prefix of
/// `s`: leading blanks, then the longest decimal number, `inf`/`infinity`
/// or `nan` (any case); `None` when no number starts `s`. (Hexadecimal
/// numbers are not read.)
pub fn strtod_prefix(s: &str) -> Option<f64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let lower = t[i..].to_ascii_lowercase();
    for word in ["infinity", "inf", "nan"] {
        if lower.starts_with(word) {
            let v = if word == "nan" {
                f64::NAN
            } else {
                f64::INFINITY
            };
            return Some(if b[0] == b'-' { -v } else { v });
        }
    }
    let digits = |mut j: usize| {
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let int_end = digits(i);
    let mut end = int_end;
    if b.get(end) == Some(&b'.') {
        end = digits(end + 1);
    }
    if end == i || (end == i + 1 && b.get(i) == Some(&b'.')) {
        return None;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let k = digits(j);
        if k > j {
            end = k;
        }
    }
    t[..end].parse().ok()
}

/// rrdtool's `rrd_strtodbl`: the whole string must be a number, or one of
/// `nan`, `-nan`, `inf`, `-inf` (any case). The error text is rrdtool's,
/// prefixed with `context` (e.g. `parsing min val`).
pub fn strtodbl(s: &str, context: Option<&str>) -> Result<f64, String> {
    let (code, v) = strtodbl_code(s);
    let prefix = context.map(|c| format!("{c} - ")).unwrap_or_default();
    match code {
        2 => Ok(v),
        0 => Err(format!("{prefix}Cannot convert '{s}' to float")),
        _ => {
            let used = rrd_strtod(s).1;
            Err(format!(
                "{prefix}Converted '{s}' to {}, but cannot convert '{}'",
                crate::printf::fixed(v, 6),
                &s[used..]
            ))
        }
    }
}

/// `rrd_strtodbl`'s return code with the value it read: 2 when all of `s`
/// is a number (or `nan`, `-nan`, `inf`, `-inf`), 1 when text follows the
/// number, 0 when no number starts `s`.
pub fn strtodbl_code(s: &str) -> (u8, f64) {
    let (v, used) = rrd_strtod(s);
    if used == 0 {
        return match s.to_ascii_lowercase().as_str() {
            "nan" => (2, f64::NAN),
            "-nan" => (2, crate::DNAN),
            "inf" => (2, f64::INFINITY),
            "-inf" => (2, f64::NEG_INFINITY),
            _ => (0, v),
        };
    }
    if used < s.len() {
        (1, v)
    } else {
        (2, v)
    }
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
