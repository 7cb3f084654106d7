//! The fuzz targets' bodies over the committed seed corpus (fuzz/seeds),
//! plus every prefix of each seed, so CI on stable covers them.

use std::path::PathBuf;

#[test]
fn open_rrd_seeds() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/open_rrd");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in (0..=bytes.len()).step_by(7) {
            rrd_core::fuzz_bodies::open_rrd(&bytes[..cut]);
        }
        rrd_core::fuzz_bodies::open_rrd(&bytes);
        n += 1;
    }
    assert!(
        n >= 8,
        "seed corpus missing: {n} files in {}",
        dir.display()
    );
}
