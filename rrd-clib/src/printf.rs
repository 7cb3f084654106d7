//! glibc 2.36's `printf` for doubles, characters and strings, as rrdtool's
//! outputs show it.
//!
//! Rust's float formatting is exact and rounds ties to even, like glibc;
//! what differs is the spelling (exponent sign and width, `nan`/`inf`), the
//! flags and widths, and `%g`'s choice of form, which this module adds:
//!
//! - [`format_f64`]: one `e E f F g G` conversion of a [`Spec`], including
//!   glibc's `%#g` rule (when rounding carries into a new power of ten, the
//!   form is decided on the exponent before rounding: `%#.3g` of 999.95 is
//!   `1.e+03`);
//! - [`sprintf`]: a whole format with its arguments, with the limits a
//!   caller sets in [`Sprintf`];
//! - [`exp`], [`fixed`], [`exp10_or_nan`]: the `%0.10e`/`%lf` shorthands
//!   rrdtool's text outputs use.
//!
//! The sign of a NaN is printed from its sign bit, as glibc does
//! ([`NanSign::FromBit`]); rrdtool's PRINT and GPRINT see every unknown as
//! its negative `DNAN` ([`NanSign::AlwaysNegative`]).

/// How a NaN's sign is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NanSign {
    /// glibc: `-` when the sign bit is set, else `+` or a blank when those
    /// flags ask for one.
    FromBit,
    /// Always `-` (rrdtool's `DNAN`, whatever NaN reached the printer).
    AlwaysNegative,
}

/// One conversion: `%[-+ #0][width][.precision]conv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// `-`: pad on the right.
    pub left: bool,
    /// `+`: a sign on positive values.
    pub plus: bool,
    /// ` `: a blank on positive values.
    pub space: bool,
    /// `#`: keep the point (and `%g`'s zeros).
    pub alt: bool,
    /// `0`: pad finite numbers with zeros.
    pub zero: bool,
    /// The minimum width, in bytes.
    pub width: usize,
    /// The precision; `None` is C's default (6). `.` alone is `Some(0)`.
    pub precision: Option<usize>,
    /// `e`, `E`, `f`, `F`, `g` or `G` (others print as `f`).
    pub conv: u8,
}

impl Spec {
    /// `%.<precision>e`.
    pub const fn e(precision: usize) -> Spec {
        Spec {
            left: false,
            plus: false,
            space: false,
            alt: false,
            zero: false,
            width: 0,
            precision: Some(precision),
            conv: b'e',
        }
    }

    /// `%.<precision>f`.
    pub const fn f(precision: usize) -> Spec {
        Spec {
            conv: b'f',
            ..Spec::e(precision)
        }
    }
}

/// `%0.<prec>e` as glibc prints it: `1.5000000000e+00`, `-nan`, `inf`.
pub fn exp(v: f64, prec: usize) -> String {
    if v.is_finite() {
        if let Some(s) = scaled_exp(v.abs(), prec, v.is_sign_negative()) {
            return s;
        }
    }
    format_f64(&Spec::e(prec), v, NanSign::FromBit)
}

/// `%0.10e` with any NaN spelled `NaN` (rrdtool tests `isnan` first, as
/// `info`, `updatev` and `graphv` print doubles).
pub fn exp10_or_nan(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        exp(v, 10)
    }
}

/// `%.<prec>f` as glibc prints it (`%lf` is `fixed(v, 6)`).
pub fn fixed(v: f64, prec: usize) -> String {
    format_f64(&Spec::f(prec), v, NanSign::FromBit)
}

/// One `e E f F g G` conversion of `v`, padded to the spec's width.
pub fn format_f64(spec: &Spec, v: f64, nan: NanSign) -> String {
    format_capped(spec, v, nan, usize::MAX)
}

/// [`format_f64`] with at most `pad_cap` bytes of padding: for a caller
/// that cuts the text to fewer bytes, the same text without allocating a
/// huge width.
pub fn format_capped(spec: &Spec, v: f64, nan: NanSign, pad_cap: usize) -> String {
    let upper = spec.conv.is_ascii_uppercase();
    let negative = v.is_sign_negative() || (v.is_nan() && nan == NanSign::AlwaysNegative);
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let finite = v.is_finite();
    let mut body = if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        "inf".to_string()
    } else {
        let a = v.abs();
        let p = spec.precision.unwrap_or(6);
        match spec.conv.to_ascii_lowercase() {
            b'e' => exp_form(a, p, spec.alt),
            b'g' => general(a, p, spec.alt),
            _ => {
                let mut s = format!("{a:.p$}");
                if spec.alt && p == 0 {
                    s.push('.');
                }
                s
            }
        }
    };
    if upper {
        body.make_ascii_uppercase();
    }
    let len = sign.len() + body.len();
    let pad = spec.width.saturating_sub(len).min(pad_cap);
    let mut out = String::with_capacity(len + pad);
    if spec.left {
        out.push_str(sign);
        out.push_str(&body);
        out.extend(std::iter::repeat_n(' ', pad));
    } else if spec.zero && finite {
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', pad));
        out.push_str(&body);
    } else {
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str(sign);
        out.push_str(&body);
    }
    out
}

/// `%.<p>g` of a finite, non-negative `a`, glibc's way.
fn general(a: f64, p: usize, alt: bool) -> String {
    let p = p.max(1);
    let x = exp_of(a, p - 1);
    // glibc decides on the exponent before rounding: when that was p-1 (no
    // decimals) and rounding carries into the next power of ten, it prints
    // e-style without decimals (`%#.3g` of 999.95 is `1.e+03`)
    let x0 = exp_of_unrounded(a);
    let mut s = if i64::from(x0) == p as i64 - 1 && i64::from(x) == p as i64 {
        exp_form(a, 0, alt)
    } else if (x as i64) < p as i64 && x >= -4 {
        format!("{a:.prec$}", prec = (p as i64 - 1 - i64::from(x)) as usize)
    } else {
        exp_form(a, p - 1, alt)
    };
    if !alt {
        strip_fraction_zeros(&mut s);
    } else if !s.contains('.') {
        // %#g keeps the point even without decimals
        match s.find('e') {
            Some(e) => s.insert(e, '.'),
            None => s.push('.'),
        }
    }
    s
}

/// `%.<p>e` of a non-negative finite value: at least two exponent digits.
fn exp_form(a: f64, p: usize, alt: bool) -> String {
    if !(alt && p == 0) {
        if let Some(s) = scaled_exp(a, p, false) {
            return s;
        }
        if let Some(s) = short_exp(a, p) {
            return s;
        }
    }
    exp_form_exact(a, p, alt)
}

/// 10^0 to 10^22, the powers of ten a double holds exactly.
const EXACT_POW10: &[f64] = crate::rrd_snprintf::POW10_UP.split_at(23).0;

/// `%.<p>e` (p <= 12) of a non-negative `a` by one scaling by an exact
/// power of ten, when that provably gives the correctly rounded digits:
/// the scaled value `a * 10^(p - e)` is off by at most half an ulp (one
/// rounding), so when its fraction is farther than a few ulps from one
/// half, rounding it to an integer rounds as the exact decimal would.
/// Values next to a tie, and exponents the exact powers do not reach,
/// are left to the exact formatter. Averages (what fetch and xport print
/// most) otherwise cost the exact formatter's bignum fallback. `negative`
/// puts a minus sign first.
fn scaled_exp(a: f64, p: usize, negative: bool) -> Option<String> {
    if p > 12 || !(1e-200..1e200).contains(&a) {
        return None;
    }
    let scale = |e: i32| {
        let k = p as i32 - e;
        if k >= 0 {
            EXACT_POW10.get(k as usize).map(|&t| a * t)
        } else {
            EXACT_POW10.get((-k) as usize).map(|&t| a / t)
        }
    };
    // floor(log10 a) or one less, from floor(log2 a): the constant is
    // log10(2) * 2^32, good to 1e-10, exact floors for |e2| < 1100
    let e2 = i64::from(((a.to_bits() >> 52) & 0x7ff) as i32 - 1023);
    let mut e = ((e2 * 1_292_913_986) >> 32) as i32;
    let (bottom, top) = (EXACT_POW10[p], EXACT_POW10[p + 1]);
    let mut x = scale(e)?;
    if x >= top {
        e += 1;
        x = scale(e)?;
    }
    if !(bottom..top).contains(&x) {
        return None;
    }
    // below 10^13 < 2^44: the truncation and its fraction are exact
    let whole = x as u64;
    let frac = x - whole as f64;
    let margin = x * 1e-15 + 1e-12; // about ten ulps of x
    if (frac - 0.5).abs() <= margin {
        return None;
    }
    let mut n = whole + u64::from(frac > 0.5);
    if n == top as u64 {
        n = bottom as u64;
        e += 1;
    }
    let unit = bottom as u64;
    let mut out = String::with_capacity(p + 9);
    if negative {
        out.push('-');
    }
    out.push(char::from(b'0' + (n / unit) as u8));
    if p > 0 {
        out.push('.');
        let mut digits = [b'0'; 12];
        let mut rest = n % unit;
        for d in digits[..p].iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        out.extend(digits[..p].iter().map(|&d| char::from(d)));
    }
    push_exponent(&mut out, e);
    Some(out)
}

/// `%.<p>e` of `a` when its decimal digits are few and known exactly: a
/// multiple of 2^-20 below 2^53 with at most `p + 1` significant digits,
/// so that nothing rounds. Integers, halves and the like are what `fetch`
/// and `dump` print most, and exactly the values on which the exact float
/// formatter falls back to its slow bignum arithmetic.
fn short_exp(a: f64, p: usize) -> Option<String> {
    const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !(0.0..LIMIT).contains(&a) {
        return None;
    }
    // a = m / 2^j with m an integer (scaling by two is exact)
    let (mut m, mut j) = (a, 0u32);
    while m.fract() != 0.0 {
        if j == 20 {
            return None;
        }
        m *= 2.0;
        j += 1;
    }
    // = m * 5^j / 10^j: m < 2^73 and 5^20 < 2^47, so this fits
    let digits = (m as u128) * 5u128.pow(j);
    let text = digits.to_string();
    let sig = text.trim_end_matches('0');
    let (lead, rest, exp10) = if sig.is_empty() {
        ("0", "", 0)
    } else {
        (&sig[..1], &sig[1..], text.len() as i32 - 1 - j as i32)
    };
    if rest.len() > p {
        return None;
    }
    let mut out = String::with_capacity(p + 8);
    out.push_str(lead);
    if p > 0 {
        out.push('.');
        out.push_str(rest);
        out.extend(std::iter::repeat_n('0', p - rest.len()));
    }
    push_exponent(&mut out, exp10);
    Some(out)
}

/// [`exp_form`] through Rust's exact formatting (correctly rounded, as
/// glibc's).
fn exp_form_exact(a: f64, p: usize, alt: bool) -> String {
    let s = format!("{a:.p$e}");
    let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let point = if alt && p == 0 { "." } else { "" };
    let mut out = format!("{mantissa}{point}");
    push_exponent(&mut out, e);
    out
}

/// `%e`'s exponent of a double (|e| < 1000): `e`, its sign, at least two
/// digits.
fn push_exponent(out: &mut String, e: i32) {
    out.push('e');
    out.push(if e < 0 { '-' } else { '+' });
    let m = e.unsigned_abs();
    if m >= 100 {
        out.push(char::from(b'0' + (m / 100 % 10) as u8));
    }
    out.push(char::from(b'0' + (m / 10 % 10) as u8));
    out.push(char::from(b'0' + (m % 10) as u8));
}

/// The decimal exponent of `a` once rounded to `p` decimals in `%e` form.
fn exp_of(a: f64, p: usize) -> i32 {
    let s = format!("{a:.p$e}");
    s.split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0)
}

/// The decimal exponent of `a` itself (0 for zero).
fn exp_of_unrounded(a: f64) -> i32 {
    let s = format!("{a:e}");
    s.split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0)
}

/// `%g` drops trailing zeros of the fraction, and the point with them.
fn strip_fraction_zeros(s: &mut String) {
    let (number, exponent) = match s.find('e') {
        Some(i) => (s[..i].to_string(), s[i..].to_string()),
        None => (s.clone(), String::new()),
    };
    if !number.contains('.') {
        return;
    }
    let number = number.trim_end_matches('0').trim_end_matches('.');
    *s = format!("{number}{exponent}");
}

/// An argument of [`sprintf`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg<'a> {
    /// For `e E f F g G`.
    F(f64),
    /// For `c`.
    C(char),
    /// For `s`.
    S(&'a str),
}

/// What [`sprintf`] does with a conversion it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// Prints nothing for it (and consumes no argument).
    Skip,
    /// Fails with [`SprintfError::Conversion`].
    Refuse,
}

/// A caller's limits for [`sprintf`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sprintf {
    /// How NaNs are signed.
    pub nan: NanSign,
    /// `snprintf`'s size less one: the text is cut to this many bytes (at
    /// a character boundary); `None` for no cut.
    pub max_len: Option<usize>,
    /// Widths above this fail with [`SprintfError::Width`].
    pub max_width: usize,
    /// Precisions above this fail with [`SprintfError::Precision`].
    pub max_precision: usize,
    /// Unknown conversions.
    pub unknown: Unknown,
}

/// A format [`sprintf`] refuses under its caller's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SprintfError {
    /// A width above [`Sprintf::max_width`].
    Width,
    /// A precision above [`Sprintf::max_precision`].
    Precision,
    /// A conversion other than `% e E f F g G c s` under [`Unknown::Refuse`].
    Conversion(u8),
}

/// `snprintf(buf, max_len + 1, fmt, args...)` for the conversions `% e E f
/// F g G c s`, with flags, width, precision and ignored length modifiers
/// (`h l L q j z t`). Arguments are taken in order; a conversion whose
/// argument is missing or of another kind prints nothing (the argument is
/// still used up), as does a `%` at the end of the format.
///
/// # Errors
///
/// [`SprintfError`] as the limits in `cfg` say.
pub fn sprintf(fmt: &str, args: &[Arg<'_>], cfg: &Sprintf) -> Result<String, SprintfError> {
    let f = fmt.as_bytes();
    // bytes: a conversion character outside ASCII must not split a char
    let mut out: Vec<u8> = Vec::new();
    let mut args = args.iter();
    let mut p = 0;
    let mut literal_start = 0;
    // padding past the cut would be cut anyway
    let pad_cap = cfg.max_len.map_or(usize::MAX, |m| m.saturating_add(1));
    while p < f.len() {
        if f[p] != b'%' {
            p += 1;
            continue;
        }
        out.extend_from_slice(&f[literal_start..p]);
        p += 1;
        let mut spec = Spec::f(0);
        spec.precision = None;
        while let Some(&c) = f.get(p) {
            match c {
                b'-' => spec.left = true,
                b'+' => spec.plus = true,
                b' ' => spec.space = true,
                b'#' => spec.alt = true,
                b'0' => spec.zero = true,
                _ => break,
            }
            p += 1;
        }
        let (w, used) = digits(&f[p..]);
        if w > cfg.max_width {
            return Err(SprintfError::Width);
        }
        spec.width = w;
        p += used;
        if f.get(p) == Some(&b'.') {
            p += 1;
            let (v, used) = digits(&f[p..]);
            if v > cfg.max_precision {
                return Err(SprintfError::Precision);
            }
            spec.precision = Some(v);
            p += used;
        }
        while matches!(
            f.get(p),
            Some(b'h' | b'l' | b'L' | b'q' | b'j' | b'z' | b't')
        ) {
            p += 1;
        }
        let Some(&conv) = f.get(p) else {
            literal_start = f.len();
            break;
        };
        p += 1;
        literal_start = p;
        let pad = |s: &str, spec: &Spec| {
            let n = spec.width.saturating_sub(s.len()).min(pad_cap);
            let fill: String = std::iter::repeat_n(' ', n).collect();
            if spec.left {
                format!("{s}{fill}")
            } else {
                format!("{fill}{s}")
            }
        };
        match conv {
            b'%' => out.push(b'%'),
            b'f' | b'F' | b'e' | b'E' | b'g' | b'G' => {
                if let Some(Arg::F(v)) = args.next() {
                    spec.conv = conv;
                    out.extend_from_slice(format_capped(&spec, *v, cfg.nan, pad_cap).as_bytes());
                }
            }
            b'c' => {
                if let Some(Arg::C(c)) = args.next() {
                    out.extend_from_slice(pad(c.encode_utf8(&mut [0; 4]), &spec).as_bytes());
                }
            }
            b's' => {
                if let Some(Arg::S(s)) = args.next() {
                    let s = match spec.precision {
                        Some(n) => crate::cut_bytes(s, n),
                        None => s,
                    };
                    out.extend_from_slice(pad(s, &spec).as_bytes());
                }
            }
            c if cfg.unknown == Unknown::Refuse => return Err(SprintfError::Conversion(c)),
            _ => {}
        }
    }
    out.extend_from_slice(&f[literal_start..]);
    let out = String::from_utf8_lossy(&out);
    Ok(match cfg.max_len {
        Some(m) => crate::cut_bytes(&out, m).to_string(),
        None => out.into_owned(),
    })
}

/// The value of the decimal digits at the start of `b` (saturating) and
/// their count.
fn digits(b: &[u8]) -> (usize, usize) {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let v = b[..n].iter().fold(0usize, |v, &c| {
        v.saturating_mul(10).saturating_add(usize::from(c - b'0'))
    });
    (v, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short path prints what the exact formatter prints, wherever it
    /// answers: integers, binary fractions, long and rounding cases (which
    /// it must leave to the formatter), at every precision.
    #[test]
    fn short_exponent_form_is_the_exact_one() {
        let mut values = vec![
            0.0, 0.5, 1.0, 9.5, 10.0, 99.5, 100.0, 0.25, 0.125, 1e15, 9e15,
        ];
        values.extend((0..2000).map(f64::from));
        values.extend((0..2000).map(|k| f64::from(k) / 64.0));
        values.extend([(1u64 << 53) - 1, 123_456_789_012_345, 99_999_999_999].map(|v| v as f64));
        values.extend([
            1.0 / 3.0,
            0.1,
            2.0f64.powi(-20),
            2.0f64.powi(-21),
            49.516_666,
            5e-7,
        ]);
        let mut seed = 0x853c_49e6_748f_ea9bu64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bits = (seed >> 11) % (1 << 40);
            let shift = (seed % 24) as i32;
            values.push(bits as f64 / 2f64.powi(shift));
        }
        let mut short = 0;
        for &v in &values {
            for p in [0, 1, 2, 3, 6, 10, 15, 17, 20] {
                let got = exp_form(v, p, false);
                assert_eq!(got, exp_form_exact(v, p, false), "{v:e} at precision {p}");
                short += usize::from(short_exp(v, p).is_some());
            }
        }
        // the short path took most of them, and left some
        assert!(short > values.len() && short < values.len() * 9, "{short}");
    }

    /// The scaled path prints what the exact formatter prints wherever it
    /// answers: random doubles of every magnitude, values at and a few ulps
    /// from decimal ties, powers of ten and their neighbours, at every
    /// precision it takes; and it answers for nearly all plain values.
    #[test]
    fn scaled_exponent_form_is_the_exact_one() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut values: Vec<f64> = Vec::new();
        for _ in 0..100_000 {
            values.push(f64::from_bits(next() & 0x7fef_ffff_ffff_ffff));
            // plain magnitudes, where the path answers
            values.push(
                (next() >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((next() % 40) as i32 - 20),
            );
        }
        for e in -25..25 {
            let t = 10f64.powi(e);
            for k in 0..8u64 {
                values.extend([
                    f64::from_bits(t.to_bits() + k),
                    f64::from_bits(t.to_bits() - k),
                ]);
            }
            // ties of the 11th and 7th digits, and their neighbours
            for digits in [10, 6] {
                let tie = (12_345_678_901_234u64 % 10u64.pow(digits + 1) * 10 + 5) as f64
                    * 10f64.powi(e - digits as i32 - 1);
                for k in 0..4u64 {
                    values.extend([
                        f64::from_bits(tie.to_bits() + k),
                        f64::from_bits(tie.to_bits() - k),
                    ]);
                }
            }
        }
        let mut answered = 0usize;
        let mut tried = 0usize;
        for &v in &values {
            for p in [0, 1, 2, 5, 6, 10, 12] {
                if let Some(s) = scaled_exp(v, p, false) {
                    assert_eq!(s, exp_form_exact(v, p, false), "{v:e} at precision {p}");
                    answered += 1;
                }
                tried += usize::from((1e-5..1e5).contains(&v));
            }
        }
        // plain magnitudes are nearly all answered here
        assert!(answered >= tried * 9 / 10, "{answered} of {tried}");
    }

    #[test]
    fn exp_matches_glibc() {
        assert_eq!(exp(1.5, 10), "1.5000000000e+00");
        assert_eq!(exp(0.0, 10), "0.0000000000e+00");
        assert_eq!(exp(-1234.5678, 10), "-1.2345678000e+03");
        assert_eq!(exp(-0.1, 10), "-1.0000000000e-01");
        assert_eq!(exp(-0.0, 10), "-0.0000000000e+00");
        assert_eq!(exp(-7.123456789012345e-5, 3), "-7.123e-05");
        assert_eq!(exp(1e-300, 10), "1.0000000000e-300");
        assert_eq!(exp(crate::DNAN, 10), "-nan");
        assert_eq!(exp(f64::NEG_INFINITY, 10), "-inf");
        // exact ties round half to even, as glibc does
        assert_eq!(exp(100000000005.0, 10), "1.0000000000e+11");
        assert_eq!(exp(100000000015.0, 10), "1.0000000002e+11");
        assert_eq!(exp10_or_nan(f64::NAN), "NaN");
        assert_eq!(exp10_or_nan(f64::INFINITY), "inf");
    }

    #[test]
    fn fixed_matches_glibc() {
        assert_eq!(fixed(1.0, 6), "1.000000");
        assert_eq!(fixed(0.125, 2), "0.12");
        assert_eq!(fixed(-0.0, 1), "-0.0");
        assert_eq!(fixed(f64::NAN, 0), "nan");
        assert_eq!(fixed(crate::DNAN, 0), "-nan");
    }

    const PLAIN: Sprintf = Sprintf {
        nan: NanSign::FromBit,
        max_len: None,
        max_width: usize::MAX,
        max_precision: usize::MAX,
        unknown: Unknown::Skip,
    };

    fn one(fmt: &str, v: f64) -> String {
        sprintf(fmt, &[Arg::F(v)], &PLAIN).unwrap()
    }

    /// Each line printed by glibc 2.36's `snprintf` on Debian 12.
    #[test]
    fn conversions_like_glibc() {
        for (fmt, v, want) in [
            ("%f", 2.41421, "2.414210"),
            ("%.2f", 2.675, "2.67"),
            ("%8.3f", -1.5, "  -1.500"),
            ("%-8.1f|", 2.25, "2.2     |"),
            ("%+.1f", 0.05, "+0.1"),
            ("% .0f", 2.5, " 2"),
            ("%08.2f", -2.41421, "-0002.41"),
            ("%#.0f", 3.0, "3."),
            ("%e", 12345.678, "1.234568e+04"),
            ("%.0e", 5e-310, "5e-310"),
            ("%#.0E", 1e100, "1.E+100"),
            ("%g", 0.0001, "0.0001"),
            ("%g", 0.00001, "1e-05"),
            ("%g", 123456.0, "123456"),
            ("%g", 1234567.0, "1.23457e+06"),
            ("%.3g", 999.95, "1e+03"),
            ("%#.3g", 999.95, "1.e+03"),
            ("%#.3lg", 1.0, "1.00"),
            ("%#g", 999999.5, "1.e+06"),
            ("%#.2g", 99.5, "1.e+02"),
            ("%.0g", 0.5, "0.5"),
            ("%G", 1e-10, "1E-10"),
            ("%10.4G|", 0.000123456, " 0.0001235|"),
            ("%5.1f", f64::INFINITY, "  inf"),
            ("%05.1f", f64::NEG_INFINITY, " -inf"),
            ("%+F", f64::INFINITY, "+INF"),
            ("%f", f64::NAN, "nan"),
            ("%+f", f64::NAN, "+nan"),
            ("%F", crate::DNAN, "-NAN"),
            ("%lf%%", 50.0, "50.000000%"),
        ] {
            assert_eq!(one(fmt, v), want, "{fmt} of {v}");
        }
    }

    #[test]
    fn nan_sign_as_the_caller_wants() {
        let always = Sprintf {
            nan: NanSign::AlwaysNegative,
            ..PLAIN
        };
        for (fmt, from_bit, negative) in [
            ("%f", "nan", "-nan"),
            ("%+.2f", "+nan", "-nan"),
            ("%6.1E", "   NAN", "  -NAN"),
        ] {
            assert_eq!(sprintf(fmt, &[Arg::F(f64::NAN)], &PLAIN).unwrap(), from_bit);
            assert_eq!(
                sprintf(fmt, &[Arg::F(f64::NAN)], &always).unwrap(),
                negative
            );
        }
    }

    #[test]
    fn characters_strings_and_missing_arguments() {
        let args = [Arg::F(1500.0), Arg::C('k'), Arg::S("bytes")];
        assert_eq!(
            sprintf("%4.1f %c|%-7s|%.3s|", &args, &PLAIN).unwrap(),
            "1500.0 k|bytes  ||"
        );
        // the %.3s had no argument left; a wrong kind uses one up
        assert_eq!(
            sprintf("%s %f", &[Arg::F(1.0), Arg::F(2.0)], &PLAIN).unwrap(),
            " 2.000000"
        );
        assert_eq!(sprintf("100%", &[], &PLAIN).unwrap(), "100");
        assert_eq!(
            sprintf("%d%lf", &[Arg::F(1.0)], &PLAIN).unwrap(),
            "1.000000"
        );
    }

    #[test]
    fn limits() {
        let strict = Sprintf {
            max_len: Some(9),
            max_width: 100,
            max_precision: 10,
            unknown: Unknown::Refuse,
            ..PLAIN
        };
        assert_eq!(
            sprintf("%f", &[Arg::F(123456.5)], &strict).unwrap(),
            "123456.50"
        );
        assert_eq!(
            sprintf("é%9.1f", &[Arg::F(1.0)], &strict).unwrap(),
            "é      1"
        );
        assert_eq!(
            sprintf("%101f", &[Arg::F(1.0)], &strict),
            Err(SprintfError::Width)
        );
        assert_eq!(
            sprintf("%.11f", &[Arg::F(1.0)], &strict),
            Err(SprintfError::Precision)
        );
        assert_eq!(
            sprintf("%lf %S", &[Arg::F(1.0)], &strict),
            Err(SprintfError::Conversion(b'S'))
        );
        // a huge width is cut with the text, not allocated
        let wide = Sprintf {
            max_len: Some(99),
            ..PLAIN
        };
        assert_eq!(
            sprintf("%2000000000.1lf", &[Arg::F(1.0)], &wide).unwrap(),
            " ".repeat(99)
        );
    }
}
