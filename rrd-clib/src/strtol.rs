//! glibc 2.36's integer parsing: `strtol`, `strtoul`, `atol`, `atoi` and
//! `sscanf`'s `%d`/`%ld`, on a 64-bit `long`.
//!
//! - White space is C's `isspace` in the C locale: blank, `\t`, `\n`,
//!   `\v`, `\f`, `\r` (no other Unicode space).
//! - `strtol` saturates at `LONG_MIN`/`LONG_MAX` and flags `ERANGE`;
//!   `strtoul` negates a `-` value modulo 2^64 and saturates at
//!   `ULONG_MAX`.
//! - Base 0 reads `0x`/`0X` as hexadecimal when a hexadecimal digit follows,
//!   a leading `0` as octal, anything else as decimal.
//! - `atoi` is `strtol` cut to `int` (`atoi("4294967297")` is 1), as are
//!   `sscanf`'s `%d` conversions.

/// C's `isspace` in the C locale.
pub const fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// What a conversion read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed<T> {
    /// The value, saturated on overflow.
    pub value: T,
    /// The bytes used; 0 when nothing was converted (C's `endptr == nptr`).
    pub end: usize,
    /// Whether the value was out of range (`errno == ERANGE`).
    pub erange: bool,
}

/// The magnitude of the number at the start of `s`: whether a `-` came
/// before it, the bytes used (0 for none), and whether it overflowed
/// 64 bits (the magnitude is then `u64::MAX`).
fn magnitude(s: &[u8], base: u32) -> (u64, bool, usize, bool) {
    let mut p = 0;
    while s.get(p).copied().is_some_and(is_space) {
        p += 1;
    }
    let negative = match s.get(p) {
        Some(b'-') => {
            p += 1;
            true
        }
        Some(b'+') => {
            p += 1;
            false
        }
        _ => false,
    };
    let hex_prefix = matches!(s.get(p..p + 2), Some(b"0x" | b"0X"))
        && s.get(p + 2).is_some_and(u8::is_ascii_hexdigit);
    let base = match base {
        0 if hex_prefix => 16,
        0 if s.get(p) == Some(&b'0') => 8,
        0 => 10,
        b => b,
    };
    if base == 16 && hex_prefix {
        p += 2;
    }
    let start = p;
    let (mut v, mut overflow) = (0u64, false);
    while let Some(d) = s.get(p).and_then(|&c| char::from(c).to_digit(base)) {
        match v
            .checked_mul(u64::from(base))
            .and_then(|x| x.checked_add(u64::from(d)))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        p += 1;
    }
    if p == start {
        return (0, false, 0, false);
    }
    (if overflow { u64::MAX } else { v }, negative, p, overflow)
}

/// `strtol(s, &end, base)`: base 0 or 2 to 36 (others read as 10).
pub fn strtol(s: &[u8], base: u32) -> Parsed<i64> {
    let base = if base == 0 || (2..=36).contains(&base) {
        base
    } else {
        10
    };
    let (m, negative, end, overflow) = magnitude(s, base);
    let (value, erange) = if negative {
        if overflow || m > 1 << 63 {
            (i64::MIN, true)
        } else {
            ((m as i64).wrapping_neg(), false)
        }
    } else if overflow || m > i64::MAX as u64 {
        (i64::MAX, true)
    } else {
        (m as i64, false)
    };
    Parsed { value, end, erange }
}

/// `strtoul(s, &end, base)`: a `-` negates the value modulo 2^64.
pub fn strtoul(s: &[u8], base: u32) -> Parsed<u64> {
    let base = if base == 0 || (2..=36).contains(&base) {
        base
    } else {
        10
    };
    let (m, negative, end, overflow) = magnitude(s, base);
    let value = if overflow {
        u64::MAX
    } else if negative {
        m.wrapping_neg()
    } else {
        m
    };
    Parsed {
        value,
        end,
        erange: overflow,
    }
}

/// `atol(s)`: `strtol(s, NULL, 10)`, 0 when there is no number.
pub fn atol(s: &str) -> i64 {
    strtol(s.as_bytes(), 10).value
}

/// `atoi(s)`: `strtol` cut to `int`.
pub fn atoi(s: &str) -> i32 {
    atol(s) as i32
}

/// `sscanf(s, "%d%n", &v, &n)`: the value and the bytes read, `None` when
/// there is no number.
pub fn sscanf_d(s: &[u8]) -> Option<(i32, usize)> {
    sscanf_ld(s).map(|(v, n)| (v as i32, n))
}

/// `sscanf(s, "%ld%n", &v, &n)`.
pub fn sscanf_ld(s: &[u8]) -> Option<(i64, usize)> {
    let p = strtol(s, 10);
    (p.end > 0).then_some((p.value, p.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row is what glibc 2.36 returns (value, end, errno == ERANGE).
    #[test]
    fn strtol_like_glibc() {
        for (s, base, want) in [
            ("300", 10, (300, 3, false)),
            ("  -42x", 10, (-42, 5, false)),
            ("\x0b\x0c+7", 10, (7, 4, false)),
            ("\u{a0}5", 10, (0, 0, false)),
            ("- 5", 10, (0, 0, false)),
            ("x", 10, (0, 0, false)),
            ("9223372036854775807", 10, (i64::MAX, 19, false)),
            ("9223372036854775808", 10, (i64::MAX, 19, true)),
            ("-9223372036854775808", 10, (i64::MIN, 20, false)),
            ("-9223372036854775809", 10, (i64::MIN, 20, true)),
            ("99999999999999999999999", 10, (i64::MAX, 23, true)),
            ("0x12c", 0, (300, 5, false)),
            ("0X1f", 16, (31, 4, false)),
            ("0x", 0, (0, 1, false)),
            ("0xg", 16, (0, 1, false)),
            ("012", 0, (10, 3, false)),
            ("08", 0, (0, 1, false)),
            ("-010", 0, (-8, 4, false)),
            ("zz", 36, (1295, 2, false)),
        ] {
            let p = strtol(s.as_bytes(), base);
            assert_eq!((p.value, p.end, p.erange), want, "strtol({s:?}, {base})");
        }
    }

    #[test]
    fn strtoul_like_glibc() {
        for (s, want) in [
            ("18446744073709551615", (u64::MAX, 20, false)),
            ("18446744073709551616", (u64::MAX, 20, true)),
            ("-1", (u64::MAX, 2, false)),
            ("-5", (u64::MAX - 4, 2, false)),
            ("0x12c", (300, 5, false)),
            ("abc", (0, 0, false)),
        ] {
            let p = strtoul(s.as_bytes(), 0);
            assert_eq!((p.value, p.end, p.erange), want, "strtoul({s:?}, 0)");
        }
    }

    #[test]
    fn atoi_and_sscanf_cut_to_int() {
        assert_eq!(atol(" -4x"), -4);
        assert_eq!((atoi(" -4x"), atoi("x"), atoi("+12")), (-4, 0, 12));
        assert_eq!(atoi("4294967297"), 1);
        assert_eq!(atoi("99999999999999999999"), -1);
        assert_eq!(atol("99999999999999999999"), i64::MAX);
        assert_eq!(sscanf_d(b" 12:3"), Some((12, 3)));
        assert_eq!(sscanf_d(b"2147483648"), Some((i32::MIN, 10)));
        assert_eq!(sscanf_d(b":3"), None);
        assert_eq!(sscanf_ld(b"-77 "), Some((-77, 3)));
    }
}
