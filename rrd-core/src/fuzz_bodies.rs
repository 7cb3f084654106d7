//! Bodies of the cargo-fuzz targets in `fuzz/`, kept here so that normal
//! tests run them over the committed seed corpus on stable Rust.

use crate::dump::{dump, DumpHeader};
use crate::info::{format_info, info};
use crate::Rrd;

/// Opens `data` as an RRD held in memory and reads all of it (info, every
/// row through dump). Must never panic, hang or allocate beyond the input's
/// own size.
pub fn open_rrd(data: &[u8]) {
    let Ok(rrd) = Rrd::from_bytes(data.to_vec()) else {
        return;
    };
    let _ = format_info(&info(rrd.header(), "fuzz.rrd", rrd.header_size()));
    let mut sink = std::io::sink();
    let _ = dump(&rrd, &mut sink, DumpHeader::Dtd, &jiff::tz::TimeZone::UTC);
}
