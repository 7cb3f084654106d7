//! Text built as bytes, for documents of many numbers (xport tables, SVG
//! paths): `&str`s and ASCII are appended without a UTF-8 check each,
//! and the whole is checked once when it becomes a `String`.

/// "00" to "99", for writing numbers two digits at a time (pair `k` is
/// bytes `2k` and `2k + 1`).
pub const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// A text being built: whole `&str`s and ASCII bytes only.
#[derive(Debug, Default, Clone)]
pub struct TextBuf(Vec<u8>);

impl TextBuf {
    /// An empty text with room for `n` bytes.
    #[inline]
    pub fn with_capacity(n: usize) -> TextBuf {
        TextBuf(Vec::with_capacity(n))
    }

    /// Appends `s`.
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    /// Appends `c`.
    #[inline]
    pub fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// Appends the first `n` bytes of `buf`, which must be ASCII (a
    /// non-ASCII byte makes [`TextBuf::into_string`] replace it). The
    /// whole buffer is copied and the text cut back to length: a copy of
    /// fixed size, where a short copy of variable length is a call.
    #[inline]
    pub fn push_ascii<const N: usize>(&mut self, buf: &[u8; N], n: usize) {
        let len = self.0.len();
        self.0.extend_from_slice(buf);
        self.0.truncate(len + n.min(N));
    }

    /// Appends `other`.
    #[inline]
    pub fn append(&mut self, other: &TextBuf) {
        self.0.extend_from_slice(&other.0);
    }

    /// Bytes so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was appended.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text (checked once here; only `&str`s and ASCII went in, so
    /// nothing is replaced).
    pub fn into_string(self) -> String {
        String::from_utf8(self.0)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

impl std::fmt::Write for TextBuf {
    #[inline]
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn pieces_make_the_text() {
        let mut t = TextBuf::with_capacity(4);
        t.push_str("été ");
        t.push('→');
        let _ = write!(t, " {}", 42);
        let mut digits = [0u8; 8];
        digits[..3].copy_from_slice(b"1.5");
        t.push_ascii(&digits, 3);
        let mut u = TextBuf::default();
        u.push_str("!");
        t.append(&u);
        assert_eq!(t.len(), "été → 421.5!".len());
        assert_eq!(t.into_string(), "été → 421.5!");
        let mut bad = TextBuf::default();
        bad.push_ascii(&[b'a', 0xff], 2);
        assert_eq!(bad.into_string(), "a\u{fffd}");
    }
}
