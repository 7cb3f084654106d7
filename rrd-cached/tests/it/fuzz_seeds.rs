//! The `cached_protocol` fuzz target's body over its committed seeds
//! (fuzz/seeds/cached_protocol) and mutations of them, on stable Rust.

use std::path::PathBuf;

use crate::support::TempDir;

#[test]
fn cached_protocol_seeds_and_mutations_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/cached_protocol");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 8, "seed corpus missing in {}", dir.display());
    let tmp = TempDir::new("fuzz-seeds");
    let base = tmp.sub("base");
    // the fixture the target makes: one RRD file
    let fixture = rrd_cached::fuzz_bodies::fixture();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = b"\x00\n \\:./0123456789aAbBNU-";
    let mut inputs = Vec::new();
    for s in &seeds {
        inputs.push(s.clone());
        for _ in 0..16 {
            let mut m = s.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % m.len() as u64) as usize;
                match next() % 3 {
                    0 => m[i] = alphabet[(next() % alphabet.len() as u64) as usize],
                    1 => {
                        m.remove(i);
                    }
                    _ => m.insert(i, alphabet[(next() % alphabet.len() as u64) as usize]),
                }
                if m.is_empty() {
                    break;
                }
            }
            inputs.push(m);
        }
    }
    for input in &inputs {
        for e in std::fs::read_dir(&base).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                std::fs::remove_dir_all(&p).unwrap();
            } else {
                std::fs::remove_file(&p).unwrap();
            }
        }
        std::fs::write(base.join("a.rrd"), &fixture).unwrap();
        rrd_cached::fuzz_bodies::protocol_lines(input, &base);
    }
    eprintln!("note: cached_protocol: {} inputs, no panic", inputs.len());
}
