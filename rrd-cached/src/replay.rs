//! Replaying journals at start-up: the values they hold that their files
//! do not (those newer than each file's last update), written in order.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rrd_core::{OpenMode, Rrd, UpdateOptions, UpdateTime};

use crate::protocol::Fields;

/// What a replay did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// Journal lines read.
    pub lines: u64,
    /// Values found newer than their file and written.
    pub applied: u64,
    /// Values already in their file.
    pub skipped: u64,
    /// Values or lines that failed (malformed, file gone, refused).
    pub failed: u64,
}

/// Replays `segments` (oldest first); relative names are taken under
/// `base` as the daemon takes them.
pub fn replay(segments: &[PathBuf], base: Option<&[u8]>) -> Replayed {
    let mut out = Replayed::default();
    // files in first-seen order with their values in journal order
    let mut order: Vec<Vec<u8>> = Vec::new();
    let mut values: HashMap<Vec<u8>, Vec<Vec<u8>>> = HashMap::new();
    for seg in segments {
        let bytes = match std::fs::read(seg) {
            Ok(b) => b,
            Err(e) => {
                crate::log::error(&format!("cannot read journal {}: {e}", seg.display()));
                continue;
            }
        };
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            out.lines += 1;
            // a line cut by a crash was never acknowledged
            let Some(line) = line.strip_suffix(b"\n") else {
                out.failed += 1;
                continue;
            };
            let mut f = Fields::new(line);
            let cmd = f.next_field().unwrap_or_default().to_ascii_lowercase();
            let Some(file) = f.next_field() else {
                out.failed += 1;
                continue;
            };
            let file = crate::daemon::abs_path(base, &file);
            match cmd.as_slice() {
                b"update" => {
                    let v = values.entry(file.clone()).or_insert_with(|| {
                        order.push(file.clone());
                        Vec::new()
                    });
                    while f.has_more() {
                        match f.next_field() {
                            Some(x) => v.push(x),
                            None => break,
                        }
                    }
                }
                b"forget" => {
                    if let Some(v) = values.get_mut(&file) {
                        v.clear();
                    }
                }
                // rrdcached's "wrote" lines: the file's last update says more
                b"wrote" => {}
                _ => out.failed += 1,
            }
        }
    }
    let tz = jiff::tz::TimeZone::system();
    for file in order {
        let v = &values[&file];
        if v.is_empty() {
            continue;
        }
        let path = Path::new(OsStr::from_bytes(&file));
        let mut rrd = match Rrd::open(path, OpenMode::ReadWrite) {
            Ok(r) => r,
            Err(e) => {
                crate::log::error(&format!("replay: {}: {e}", path.display()));
                out.failed += v.len() as u64;
                continue;
            }
        };
        for value in v {
            let text = String::from_utf8_lossy(value);
            let (stamp, used) = rrd_clib::strtod::rrd_strtod(&text);
            if used == 0 {
                out.failed += 1;
                continue;
            }
            let h = rrd.header();
            let last = h.last_up as f64 + h.last_up_usec as f64 / 1e6;
            if stamp <= last {
                out.skipped += 1;
                continue;
            }
            let now = UpdateTime::from_secs(crate::daemon::wall_clock());
            match rrd.update_args(&[&text], &UpdateOptions::default(), now, &tz, None) {
                Ok(()) => out.applied += 1,
                Err(e) => {
                    crate::log::notice(&format!("replay: {}: {e}", path.display()));
                    out.failed += 1;
                }
            }
        }
        if let Err(e) = rrd.close() {
            crate::log::error(&format!("replay: {}: {e}", path.display()));
        }
    }
    out
}
