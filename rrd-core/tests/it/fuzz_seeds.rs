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

#[test]
fn update_args_seeds_and_mutations() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/update_args");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 4, "seed corpus missing in {}", dir.display());
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = b"0123456789:.e-+@NUnaif \n\xff";
    for s in &seeds {
        rrd_core::fuzz_bodies::update_args(s);
        for _ in 0..200 {
            let mut m = s.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % m.len() as u64) as usize;
                m[i] = alphabet[(next() % alphabet.len() as u64) as usize];
            }
            rrd_core::fuzz_bodies::update_args(&m);
        }
    }
}
