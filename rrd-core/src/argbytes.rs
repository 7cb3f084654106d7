//! Arguments as rrdtool takes them: bytes, UTF-8 or not.
//!
//! rrdtool passes file names, titles, legends and update strings through as
//! C strings, so a byte that is not UTF-8 reaches a file name, an output or
//! an error message unchanged. This workspace works on `str`; it carries such
//! bytes through losslessly with [`encode`], which maps every byte that is
//! not part of valid UTF-8 to one character of a private range (U+10FF80 to
//! U+10FFFF, byte `b` to U+10FF00 + `b`). Valid characters of that range in
//! the input are themselves mapped byte by byte, so the mapping is
//! injective and [`decode`] restores the exact bytes. Where text leaves the
//! program it is decoded: [`to_path`] for file names, [`decode`] for output,
//! [`display`] for text drawn into an image (each such byte is one U+FFFD,
//! as pango draws it).
//!
//! ```
//! use std::ffi::OsStr;
//! use std::os::unix::ffi::OsStrExt;
//! use rrd_core::argbytes;
//!
//! let raw = OsStr::from_bytes(b"caf\xe9.rrd");
//! let s = argbytes::encode(raw);
//! assert!(s.ends_with(".rrd"));
//! assert_eq!(&*argbytes::decode(&s), b"caf\xe9.rrd");
//! assert_eq!(argbytes::to_path(&s).as_os_str(), raw);
//! assert_eq!(argbytes::display(&s), "caf\u{fffd}.rrd");
//! ```

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

const BASE: u32 = 0x10_FF00;

fn escape(b: u8) -> char {
    char::from_u32(BASE + u32::from(b)).expect("U+10FF80..U+10FFFF are characters")
}

/// The byte an escape character stands for, if `c` is one.
pub fn escaped_byte(c: char) -> Option<u8> {
    let v = c as u32;
    (BASE + 0x80..=BASE + 0xFF)
        .contains(&v)
        .then(|| (v - BASE) as u8)
}

/// Bytes (an argument, a line of a file) as a `String` that [`decode`]
/// turns back into the same bytes.
pub fn encode_bytes(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        return String::from_utf8(bytes.to_vec()).expect("ASCII is UTF-8");
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if valid.chars().any(|c| escaped_byte(c).is_some()) {
            for c in valid.chars() {
                if escaped_byte(c).is_some() {
                    let mut b = [0u8; 4];
                    out.extend(c.encode_utf8(&mut b).bytes().map(escape));
                } else {
                    out.push(c);
                }
            }
        } else {
            out.push_str(valid);
        }
        out.extend(chunk.invalid().iter().copied().map(escape));
    }
    out
}

/// An argument as a `String` that [`decode`] turns back into its bytes.
pub fn encode(arg: &OsStr) -> String {
    encode_bytes(arg.as_bytes())
}

/// The bytes a `String` made by [`encode`] stands for.
pub fn decode(s: &str) -> Cow<'_, [u8]> {
    if !s.chars().any(|c| escaped_byte(c).is_some()) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        match escaped_byte(c) {
            Some(b) => out.push(b),
            None => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    Cow::Owned(out)
}

/// The file a name made by [`encode`] stands for.
pub fn to_path(s: &str) -> Cow<'_, Path> {
    match decode(s) {
        Cow::Borrowed(b) => Cow::Borrowed(Path::new(OsStr::from_bytes(b))),
        Cow::Owned(b) => Cow::Owned(std::ffi::OsString::from_vec(b).into()),
    }
}

/// Text to draw: every byte that was not UTF-8 becomes U+FFFD, one per
/// byte, as pango draws invalid UTF-8.
pub fn display(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| escaped_byte(c).is_some()) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(glyph).collect())
}

/// The character drawn for `c` (see [`display`]).
pub fn glyph(c: char) -> char {
    if escaped_byte(c).is_some() {
        char::REPLACEMENT_CHARACTER
    } else {
        c
    }
}

/// Length in bytes of what `s` stands for (C's `strlen` of the argument).
pub fn byte_len(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if escaped_byte(c).is_some() {
                1
            } else {
                c.len_utf8()
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_string_round_trips() {
        let cases: &[&[u8]] = &[
            b"",
            b"plain ascii",
            b"\xff",
            b"a\xc3",
            b"\xc3\xa9 valid",
            b"\xe2\x82",
            b"\xed\xa0\x80", // a surrogate: not UTF-8
            "\u{10FF80}\u{10FFFF}\u{10FF7F}".as_bytes(),
            b"\xf4\x8f\xbe\x80\xff",
        ];
        for c in cases {
            let s = encode_bytes(c);
            assert_eq!(&*decode(&s), *c, "{c:?}");
            assert_eq!(byte_len(&s), c.len(), "{c:?}");
        }
        // exhaustively for two bytes
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let c = [a, b];
                assert_eq!(&*decode(&encode_bytes(&c)), &c[..]);
            }
        }
    }

    #[test]
    fn valid_text_is_kept_as_is() {
        assert_eq!(encode_bytes("héllo".as_bytes()), "héllo");
        assert!(matches!(decode("héllo"), Cow::Borrowed(_)));
        assert!(matches!(display("héllo"), Cow::Borrowed(_)));
    }

    #[test]
    fn display_has_one_replacement_per_byte() {
        // pango draws "\xe2\x82" as two glyphs
        assert_eq!(display(&encode_bytes(b"x\xe2\x82y")), "x\u{fffd}\u{fffd}y");
    }
}
