//! C's conversions of a `double` to an integer type, as x86-64 does them
//! (`cvttsd2si`): truncation toward zero, and for NaN or a value outside the
//! type's range (undefined in C) the "integer indefinite" value, the type's
//! minimum. rrdtool's outputs show it wherever an infinity or NaN reaches
//! an `int` or `long` (`MEDIAN` counts, SI prefixes of infinite values,
//! update times).

/// `(int) v`.
pub fn int(v: f64) -> i32 {
    // -2^31 - 1 < v < 2^31: the values that truncate into range
    if v > -2_147_483_649.0 && v < 2_147_483_648.0 {
        v as i32
    } else {
        i32::MIN
    }
}

/// `(long) v` on a 64-bit `long`.
pub fn long(v: f64) -> i64 {
    // -2^63 converts exactly; 2^63 and beyond do not fit (NaN is in no range)
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        v as i64
    } else {
        i64::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As gcc's `(int)`/`(long)` casts run on x86-64.
    #[test]
    fn like_x86_64() {
        assert_eq!(int(-1.9), -1);
        assert_eq!(int(2_147_483_647.9), i32::MAX);
        assert_eq!(int(-2_147_483_648.9), i32::MIN);
        assert_eq!(int(2_147_483_648.0), i32::MIN);
        assert_eq!(int(f64::INFINITY), i32::MIN);
        assert_eq!(int(f64::NAN), i32::MIN);
        assert_eq!(long(-1.5), -1);
        assert_eq!(long(9_223_372_036_854_774_784.0), 9_223_372_036_854_774_784);
        assert_eq!(long(-9_223_372_036_854_775_808.0), i64::MIN);
        assert_eq!(long(9_223_372_036_854_775_808.0), i64::MIN);
        assert_eq!(long(f64::NEG_INFINITY), i64::MIN);
        assert_eq!(long(f64::NAN), i64::MIN);
    }
}
