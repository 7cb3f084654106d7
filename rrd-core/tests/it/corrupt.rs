//! Damaged files give errors, never panics: every byte flipped, every
//! length cut, absurd counts.

use rrd_core::DumpHeader;
use rrd_core::{Error, Rrd};

fn native_file() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/foreign/0003l648.rrd"
    ))
    .unwrap()
}

/// Opens and fully reads `bytes`; whatever happens, no panic.
fn exercise(bytes: Vec<u8>) -> Result<(), Error> {
    let rrd = Rrd::from_bytes(bytes)?;
    let mut sink = Vec::new();
    rrd.dump(&mut sink, DumpHeader::Dtd, &jiff::tz::TimeZone::UTC)?;
    Ok(())
}

#[test]
fn every_truncation_is_an_error() {
    let full = native_file();
    // the fixture carries 8 bytes past its data, which rrdtool accepts too
    let needed = 1184 + 8 * 2 * 34;
    assert_eq!(full.len(), needed + 8);
    for len in 0..needed {
        let r = exercise(full[..len].to_vec());
        assert!(r.is_err(), "cut at {len} opened");
    }
    assert!(exercise(full[..needed].to_vec()).is_ok());
}

#[test]
fn every_flipped_byte_is_handled() {
    let full = native_file();
    let mut errors = 0;
    for i in 0..full.len() {
        let mut b = full.clone();
        b[i] ^= 0xff;
        if exercise(b).is_err() {
            errors += 1;
        }
    }
    // flips in the magic, version, cookie, counts, names and cur_row are caught
    assert!(errors > 60, "only {errors} flips detected");
}

#[test]
fn absurd_counts_do_not_allocate() {
    let mut b = native_file();
    // ds_cnt at offset 24 (x86-64 layout) set to 2^40
    b[24..32].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let e = exercise(b).unwrap_err();
    assert!(matches!(e, Error::HeaderTruncated { .. }), "{e:?}");
    let mut b = native_file();
    // rows of the first archive (rra_def at 128 + 2*120, row_cnt at +24)
    b[392..400].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(exercise(b).is_err());
}

#[test]
fn wrong_magic_and_version() {
    let mut b = native_file();
    b[0] = b'X';
    assert!(matches!(exercise(b).unwrap_err(), Error::NotRrd));
    let mut b = native_file();
    b[4..8].copy_from_slice(b"0009");
    let e = exercise(b).unwrap_err();
    assert!(
        matches!(e, Error::UnsupportedVersion { ref found } if found == "0009"),
        "{e:?}"
    );
}
