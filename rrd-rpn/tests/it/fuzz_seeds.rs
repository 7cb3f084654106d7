//! The fuzz target's body over the committed seed corpus (fuzz/seeds/rpn)
//! and every prefix of each seed, so CI on stable covers it.

#[test]
fn rpn_seeds() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/rpn");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in 0..=bytes.len() {
            rrd_rpn::fuzz_bodies::parse_eval(&bytes[..cut]);
        }
        n += 1;
    }
    assert!(
        n >= 40,
        "seed corpus missing: {n} files in {}",
        dir.display()
    );
}
