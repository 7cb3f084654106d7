//! rrdtool's own `printf` float conversions (`rrd_snprintf`), bit for bit.
//!
//! rrdtool 1.7.2 does not format numbers with the C library. `dump`,
//! `xport` and friends call `rrd_snprintf`, a bundled copy of Holger
//! Weiss's C99 `snprintf` (after Patrick Powell). Its float code is not an
//! exact decimal conversion. It scales the value by powers of ten made by
//! repeated multiplication, cuts it into integer and fraction parts, and
//! rounds the scaled fraction half-up. Each step rounds, so the last printed
//! digit sometimes differs from glibc's correctly rounded output:
//!
//! | value                  | glibc `%0.10e`       | `rrd_snprintf`        |
//! |------------------------|----------------------|-----------------------|
//! | `-0.0`                 | `-0.0000000000e+00`  | `0.0000000000e+00`    |
//! | `209572.015625` (tie)  | `2.0957201562e+05`   | `2.0957201563e+05`    |
//! | `-0.539541253125`      | `-5.3954125313e-01`  | `-5.3954125312e-01`   |
//! | `5e-324`               | `4.9406564584e-324`  | `0.0000000000e-308`   |
//! | NaN, -NaN              | `nan`, `-nan`        | `nan`, `nan`          |
//!
//! The code has a `LDOUBLE` type. Debian's `librrd.so.8` is built without
//! `HAVE_LONG_DOUBLE`, so `LDOUBLE` is plain `double`. Its converter uses
//! only SSE2 `double` instructions (no x87), so every step is one IEEE-754
//! binary64 operation with round-to-nearest-even. Rust's `f64` operations
//! are the same operations, so no extended-precision emulation is needed.
//! Integer conversions match C: `as u64` truncates like a C cast, and
//! `u64 as f64` rounds to nearest like gcc's unsigned-to-double sequence.
//!
//! Checked against the real library by the harness in
//! `tests/data/snprintf/` (see its README).

use crate::text::{TextBuf, DIGIT_PAIRS};

/// Precision cap: the fraction digits must fit in a 64-bit `uintmax_t`, so
/// `rrd_snprintf` prints at most 19 of them (`%0.25e` prints 19).
const MAX_PREC: usize = 19;

/// C's `DBL_MIN_10_EXP` / `DBL_MAX_10_EXP`: [`exponent`] stops searching
/// past these, so subnormals get exponent -308.
const MIN_10_EXP: i32 = -307;
const MAX_10_EXP: i32 = 308;

/// `%0.<prec>e` exactly as rrdtool's `rrd_snprintf` prints it, e.g.
/// `rrd_exp(209572.015625, 10) == "2.0957201563e+05"`.
///
/// NaN of either sign prints `nan`; infinities print `inf` and `-inf`;
/// `-0.0` has no sign. Precision above 19 acts as 19.
pub fn rrd_exp(v: f64, prec: usize) -> String {
    let mut out = String::with_capacity(prec + 8);
    push_rrd_exp(&mut out, v, prec);
    out
}

/// [`rrd_exp`] appended to `out`, without allocating.
pub fn push_rrd_exp(out: &mut String, v: f64, prec: usize) {
    if let Some(a) = convert(v, prec, true) {
        out.push_str(a.as_str());
    }
}

/// [`rrd_exp`] appended to a [`TextBuf`]: for tables of many numbers, such
/// as `xport` output, without a UTF-8 check per number.
pub fn push_rrd_exp_text(out: &mut TextBuf, v: f64, prec: usize) {
    if let Some(a) = convert(v, prec, true) {
        out.push_ascii(&a.buf, a.len);
    }
}

/// `%0.<prec>f` exactly as rrdtool's `rrd_snprintf` prints it.
///
/// If `|v| >= 2^64`, the C code reports overflow: it returns -1 and leaves
/// the buffer empty. This function then returns `""`. Otherwise the special
/// cases are as for [`rrd_exp`].
pub fn rrd_fixed(v: f64, prec: usize) -> String {
    convert(v, prec, false).map_or_else(String::new, |a| a.as_str().to_string())
}

/// The C `fmtflt` for `%e` (`estyle`) and `%f` with no flags and no width.
/// `None` where C reports overflow (and prints nothing).
fn convert(v: f64, prec: usize, estyle: bool) -> Option<Ascii> {
    let mut a = Ascii::default();
    // NaN fails every comparison, so it never gets a sign, not even -NaN.
    if v.is_nan() {
        a.bytes(b"nan");
        return Some(a);
    }
    // C's test is `(x < -1 || x > 1) && x + x == x`. Only ±inf passes:
    // for DBL_MAX, x + x overflows to inf, which is not equal to x.
    if v.is_infinite() {
        a.bytes(if v < 0.0 { b"-inf" } else { b"inf" });
        return Some(a);
    }
    let negative = v < 0.0; // false for -0.0
    let prec = prec.min(MAX_PREC);

    let mut exponent = if estyle { decimal_exponent(v) } else { 0 };
    let mut u = v.abs();
    if estyle {
        // One division by a rounded power of ten. It can leave u just
        // below 1 or at/above 10; C does not correct that, and neither do
        // we (the integer part is then printed as 0 or 10).
        u /= pow10(exponent);
    }
    let mut intpart = cast(u);
    if intpart == u64::MAX {
        return None;
    }
    // mask = 10^prec is exact for prec <= 19 (also as an f64: 5^19 < 2^53).
    let mask = pow10(prec as i32) as u64;
    // The fraction is scaled in f64 (two roundings: the subtraction is exact
    // here, the product is not) and then rounded half-up.
    let mut fracpart = round_half_up(mask as f64 * (u - intpart as f64));
    if fracpart >= mask {
        // Rounding carried into the integer part (e.g. 2.9996 at prec 3).
        intpart += 1;
        fracpart = 0;
        if estyle && intpart == 10 {
            intpart = 1;
            exponent += 1;
        }
    }

    // built in a small buffer and appended once: one capacity check per
    // number, not per digit
    if negative {
        a.push(b'-');
    }
    a.digits(intpart, 1);
    if prec > 0 {
        a.push(b'.');
        // fracpart < 10^prec, so it fits in `prec` digits.
        a.digits(fracpart, prec);
    }
    if estyle {
        a.push(b'e');
        a.push(if exponent < 0 { b'-' } else { b'+' });
        a.digits(u64::from(exponent.unsigned_abs()), 2);
    }
    Some(a)
}

/// One number's text: at most a sign, 20 integer digits, a point, 19
/// fraction digits and `e-308`.
struct Ascii {
    buf: [u8; 48],
    len: usize,
}

impl Default for Ascii {
    fn default() -> Self {
        Ascii {
            buf: [0; 48],
            len: 0,
        }
    }
}

impl Ascii {
    fn bytes(&mut self, s: &[u8]) {
        for &b in s {
            self.push(b);
        }
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// `n` in decimal, zero-padded to at least `width` digits.
    fn digits(&mut self, mut n: u64, width: usize) {
        let width = width.min(20);
        // below 10^width (the fraction, the exponent) no count is needed
        let nd = if width >= 20 || n < POW10_U64[width] {
            width.max(1)
        } else {
            n.checked_ilog10().unwrap_or(0) as usize + 1
        };
        let Some(b) = self.buf.get_mut(self.len..self.len + nd) else {
            return;
        };
        // two digits at a time from the right
        let mut at = nd;
        while at >= 2 {
            let d = (n % 100) as usize * 2;
            n /= 100;
            b[at - 2..at].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
            at -= 2;
        }
        if at == 1 {
            b[0] = b'0' + (n % 10) as u8;
        }
        self.len += nd;
    }

    fn as_str(&self) -> &str {
        // only ASCII was pushed
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// 10^0 to 10^19.
const POW10_U64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `n` in decimal, zero-padded to at least `width` digits.
#[cfg(test)]
fn push_digits(out: &mut String, n: u64, width: usize) {
    let mut a = Ascii::default();
    a.digits(n, width);
    out.push_str(a.as_str());
}

/// C `getexponent`: the decimal exponent, found by multiplying (or
/// dividing) a copy of `|v|` by ten until it lies in [1, 10).
/// Each step rounds, so near powers of ten the result can be off by one
/// from the true exponent. The search stops at `MIN_10_EXP - 1` = -308
/// (the decrement happens before the bound test) and at `MAX_10_EXP`. Zero
/// gives 0.
///
/// Away from powers of ten the steps' rounding (at most 309 half-ulps,
/// under 4e-14 relative) cannot move the value across one, so the answer
/// is the true exponent, found from the binary exponent and one
/// multiplication; within 1e-12 of a power (and for values the loop stops
/// early on) the loop runs as C's does.
fn decimal_exponent(v: f64) -> i32 {
    let a = v.abs();
    if (1e-300..1e300).contains(&a) {
        // floor(log10 a) or one less, from floor(log2 a) (78913 / 2^18
        // is log10 2 to 6 digits: exact floors for |e2| < 1024)
        let e2 = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
        let mut e = (e2 * 78_913) >> 18;
        let mut r = a * pow10(-e);
        if r >= 10.0 {
            e += 1;
            r = a * pow10(-e);
        }
        const MARGIN: f64 = 1e-12;
        if r > 1.0 + MARGIN && r < 10.0 * (1.0 - MARGIN) {
            return e;
        }
    }
    decimal_exponent_by_steps(v)
}

/// [`decimal_exponent`] as C's loop computes it.
fn decimal_exponent_by_steps(v: f64) -> i32 {
    let mut tmp = v.abs();
    let mut exponent = 0;
    while tmp < 1.0 && tmp > 0.0 {
        exponent -= 1;
        if exponent < MIN_10_EXP {
            break;
        }
        tmp *= 10.0;
    }
    while tmp >= 10.0 {
        exponent += 1;
        if exponent > MAX_10_EXP {
            break;
        }
        tmp /= 10.0;
    }
    exponent
}

/// C `mypow10`: 10^e by |e| repeated multiplications (or divisions) of 1.0
/// by ten, each rounded. Exact for 0 <= e <= 22; otherwise it may differ
/// from the correctly rounded power, and C relies on that rounding.
fn pow10(e: i32) -> f64 {
    if let Some(&p) = usize::try_from(e).ok().and_then(|i| POW10_UP.get(i)) {
        return p;
    }
    if let Some(&p) = usize::try_from(-i64::from(e))
        .ok()
        .and_then(|i| POW10_DOWN.get(i))
    {
        return p;
    }
    let mut result = 1.0_f64;
    for _ in 0..e.max(0) {
        result *= 10.0;
    }
    for _ in 0..(-e).max(0) {
        result /= 10.0;
    }
    result
}

/// [`pow10`] of 0 to 309 (309: inf), made by the same multiplications
/// (exact up to 10^22, which a double holds exactly).
pub(crate) const POW10_UP: [f64; 310] = {
    let mut t = [1.0_f64; 310];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] * 10.0;
        i += 1;
    }
    t
};

/// [`pow10`] of 0 to -309, made by the same divisions.
const POW10_DOWN: [f64; 310] = {
    let mut t = [1.0_f64; 310];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] / 10.0;
        i += 1;
    }
    t
};

/// C `cast`: truncate a non-negative double to `uintmax_t`. Returns
/// `u64::MAX` (C's overflow marker) for values >= `UINTMAX_MAX`. That
/// constant converts to the double 2^64.
fn cast(v: f64) -> u64 {
    // below 2^63 the signed conversion (one instruction) truncates the same
    if (0.0..9_223_372_036_854_775_808.0).contains(&v) {
        return v as i64 as u64;
    }
    if v >= u64::MAX as f64 {
        return u64::MAX;
    }
    // Truncation, as a C cast does on x86-64.
    let result = v as u64;
    // C's guard against platforms that round instead of truncate. It never
    // fires here, but it is kept so the code matches C step for step.
    if result as f64 <= v {
        result
    } else {
        result - 1
    }
}

/// C `myround`: round a non-negative double half-up to an integer. The
/// fraction `v - trunc(v)` is exact in f64.
fn round_half_up(v: f64) -> u64 {
    let intpart = cast(v);
    if v - (intpart as f64) < 0.5 {
        intpart
    } else {
        intpart + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Apply one oracle line `<bits hex>\t<format>\t<expected>`. Returns
    /// an error message if it does not match.
    fn check_line(line: &str) -> Result<(), String> {
        let mut it = line.splitn(3, '\t');
        let (bits, fmt, want) = match (it.next(), it.next(), it.next()) {
            (Some(b), Some(f), Some(w)) => (b, f, w),
            _ => return Err(format!("malformed line {line:?}")),
        };
        let v = f64::from_bits(u64::from_str_radix(bits, 16).map_err(|e| e.to_string())?);
        let spec = fmt
            .strip_prefix("%0.")
            .ok_or_else(|| format!("unexpected format {fmt:?}"))?;
        let (digits, conv) = spec.split_at(spec.len() - 1);
        let prec: usize = digits.parse().map_err(|_| format!("bad format {fmt:?}"))?;
        let got = match conv {
            "e" => rrd_exp(v, prec),
            "f" => rrd_fixed(v, prec),
            _ => return Err(format!("unexpected format {fmt:?}")),
        };
        if got == want {
            Ok(())
        } else {
            Err(format!("{bits} ({v:e}) {fmt}: want {want:?}, got {got:?}"))
        }
    }

    /// Compare every line of an oracle file. Panics listing the first few
    /// mismatches; returns the number of lines compared.
    fn check_file(text: &str) -> usize {
        let mut count = 0;
        let mut bad = Vec::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            count += 1;
            if let Err(e) = check_line(line) {
                bad.push(e);
            }
        }
        assert!(
            bad.is_empty(),
            "{} of {count} lines differ from rrd_snprintf, first ones:\n{}",
            bad.len(),
            bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
        );
        count
    }

    /// The exponent's short path gives what C's loop gives: at and next to
    /// every power of ten (up to 4,000 ulps either side), the extremes,
    /// and 200,000 random values over the whole range.
    #[test]
    fn decimal_exponent_is_the_loop() {
        let mut cases = vec![
            0.0,
            5e-324,
            1e-310,
            f64::MIN_POSITIVE,
            f64::MAX,
            1e-300,
            1e300,
        ];
        for e in -330..=310 {
            let p = pow10(e);
            let q = format!("1e{e}").parse::<f64>().unwrap_or(p);
            for base in [p, q] {
                if base == 0.0 || !base.is_finite() {
                    continue;
                }
                for k in (0..4000u64).step_by(7).chain(0..16) {
                    cases.push(f64::from_bits(base.to_bits() + k));
                    cases.push(f64::from_bits(base.to_bits().saturating_sub(k)));
                }
            }
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let v = f64::from_bits(seed & 0x7fef_ffff_ffff_ffff);
            cases.push(v);
            cases.push(-v);
        }
        for v in cases {
            assert_eq!(decimal_exponent(v), decimal_exponent_by_steps(v), "{v:e}");
        }
    }

    /// The tables give what C's loop gives, bit for bit, at every exponent.
    #[test]
    fn pow10_tables_are_the_loop() {
        for e in -320..=320 {
            let mut r = 1.0_f64;
            for _ in 0..e.max(0) {
                r *= 10.0;
            }
            for _ in 0..(-e).max(0) {
                r /= 10.0;
            }
            assert_eq!(pow10(e).to_bits(), r.to_bits(), "10^{e}");
        }
    }

    #[test]
    fn digits_pad_to_their_width() {
        let mut n = 1u64;
        let mut cases = vec![0, 9, 10, 99, 100, 101, 999, u64::MAX, u64::MAX / 10];
        while n < u64::MAX / 7 {
            cases.extend([n, n - 1, n + 1, n * 7]);
            n *= 10;
        }
        for &v in &cases {
            for width in [1, 2, 3, 10, 19, 20] {
                let mut s = String::new();
                push_digits(&mut s, v, width);
                assert_eq!(s, format!("{v:0width$}"), "{v} at width {width}");
            }
        }
    }

    #[test]
    fn documented_examples() {
        assert_eq!(rrd_exp(0.0, 10), "0.0000000000e+00");
        assert_eq!(rrd_exp(-0.0, 10), "0.0000000000e+00");
        assert_eq!(rrd_exp(209572.015625, 10), "2.0957201563e+05");
        assert_eq!(rrd_exp(-0.539541253125, 10), "-5.3954125312e-01");
        assert_eq!(rrd_exp(5e-324, 10), "0.0000000000e-308");
        assert_eq!(rrd_exp(f64::MAX, 10), "1.7976931349e+308");
        assert_eq!(rrd_exp(9.999999999949999, 10), "9.9999999999e+00");
        assert_eq!(rrd_exp(f64::NAN, 10), "nan");
        assert_eq!(rrd_exp(-f64::NAN, 10), "nan");
        assert_eq!(rrd_exp(f64::INFINITY, 10), "inf");
        assert_eq!(rrd_exp(f64::NEG_INFINITY, 10), "-inf");
        assert_eq!(rrd_exp(1.5, 0), "2e+00");
        assert_eq!(rrd_exp(1.0, 25), "1.0000000000000000000e+00");
        assert_eq!(rrd_fixed(-0.539541253125, 10), "-0.5395412531");
        assert_eq!(rrd_fixed(2.5, 0), "3");
        assert_eq!(rrd_fixed(1e300, 2), "");
        assert_eq!(rrd_fixed(f64::NEG_INFINITY, 2), "-inf");
    }

    /// The committed oracle sample made by `tests/data/snprintf/gen.sh`,
    /// and, when `RRD_SNPRINTF_FULL` names a file made by `gen.sh full FILE`,
    /// that larger local comparison too.
    #[test]
    fn golden_matches_librrd() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/snprintf/golden.tsv"
        );
        let text = std::fs::read_to_string(path).expect("read golden.tsv");
        assert!(check_file(&text) > 10_000);
        if let Ok(full) = std::env::var("RRD_SNPRINTF_FULL") {
            let text = std::fs::read_to_string(&full).expect("read full oracle file");
            let n = check_file(&text);
            eprintln!("{n} lines agree with rrd_snprintf");
        }
    }
}
