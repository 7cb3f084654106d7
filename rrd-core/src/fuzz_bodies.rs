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

/// Update arguments, one per line (any bytes, as the command line takes
/// them): applied to a small RRD in memory with every data source kind and
/// archives of several steps (inputs of odd length: with Holt-Winters
/// archives too, whose short season makes the smoother run), committed,
/// then read back whole through a new handle (which meets the journal
/// tail). Must never panic or hang.
pub fn update_args(data: &[u8]) {
    static BASE: std::sync::OnceLock<[Vec<u8>; 2]> = std::sync::OnceLock::new();
    let bases = BASE.get_or_init(|| {
        let mut defs = vec![
            "DS:g:GAUGE:120:U:U",
            "DS:c:COUNTER:120:0:U",
            "DS:d:DERIVE:600:-10:10",
            "DS:a:ABSOLUTE:120:U:U",
            "RRA:AVERAGE:0.5:1:10",
            "RRA:MAX:0.5:3:5",
            "RRA:LAST:0.9:7:4",
        ];
        let make = |defs: &[&str]| {
            let spec =
                crate::CreateSpec::parse(1_000_000_000, 60, defs).expect("a valid definition");
            let mut bytes = Vec::new();
            crate::create::write_rrd(&mut bytes, &spec.to_header(|_| 0), None)
                .expect("writing to memory");
            bytes
        };
        let plain = make(&defs);
        defs.push("RRA:HWPREDICT:12:0.3:0.1:4");
        defs.push("RRA:SEASONAL:3:0.2:8:smoothing-window=0.7");
        [plain, make(&defs)]
    });
    let base = &bases[data.len() % 2];
    let text = crate::argbytes::encode_bytes(data);
    let args: Vec<&str> = text.lines().take(64).collect();
    let Ok(mut rrd) = Rrd::from_bytes(base.clone()) else {
        return;
    };
    let now = crate::UpdateTime {
        sec: 1_000_100_000,
        usec: 250_000,
    };
    let _ = rrd.update_args(
        &args,
        &Default::default(),
        now,
        &jiff::tz::TimeZone::UTC,
        None,
    );
    if rrd.flush().is_err() {
        return;
    }
    let bytes = rrd.storage().as_bytes().to_vec();
    drop(rrd);
    open_rrd(&bytes);
}
