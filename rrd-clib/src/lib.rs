//! The C runtime as rrdtool 1.7.2 sees it on Debian 12 (glibc 2.36), each
//! behaviour written once, in safe Rust.
//!
//! rrdtool's outputs depend on the C library as much as on rrdtool itself:
//! how glibc's `printf` spells and rounds numbers, how `strtol` saturates,
//! the order glibc's merge-sort `qsort` leaves a comparator that is not an
//! order, and rrdtool's own bundled routines (`rrd_strtod`, `rrd_snprintf`,
//! its `optparse`). The other crates of the workspace call these and
//! never reimplement them.
//!
//! - [`printf`]: glibc `printf` float conversions;
//! - [`rrd_snprintf`]: rrdtool's bundled `snprintf` float conversions;
//! - [`strtod`]: rrdtool's `rrd_strtod` and `rrd_strtodbl`;
//! - [`strtol`]: glibc's `strtol`, `strtoul`, `atol`, `atoi`, `sscanf` `%d`;
//! - [`cast`]: x86-64's `(int)`/`(long)` of a double;
//! - [`qsort`]: glibc's `qsort` (a top-down merge sort);
//! - [`time`]: glibc's `struct tm`, `localtime`, `gmtime`, `mktime` and
//!   `strftime`, over jiff's time-zone rules;
//! - [`getopt`]: rrdtool's option parser;
//! - [`text`]: text built as bytes for documents of many numbers.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cast;
pub mod getopt;
pub mod printf;
pub mod qsort;
pub mod rrd_snprintf;
pub mod strtod;
pub mod strtol;
pub mod text;
pub mod time;

/// Text cut to at most `max` bytes, as C cuts it into a fixed buffer
/// (`snprintf`, `strncpy`, rrdtool's `char[100]` labels), but on a
/// character boundary: C can split a UTF-8 character, a `str` cannot.
pub fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The NaN C produces for `0.0 / 0.0` on x86-64 and that glibc's `strtod`
/// returns for `-nan`: sign bit set, so glibc prints it `-nan`. rrdtool's
/// `DNAN`.
pub const DNAN: f64 = f64::from_bits(0xFFF8_0000_0000_0000);

/// C's `strerror` text of an I/O error (Rust's own text appends
/// " (os error N)").
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
