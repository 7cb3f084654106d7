//! The fuzz target's body over the committed seed corpus
//! (fuzz/seeds/metric_records), whole and cut at every length.

#[test]
fn metric_records_seeds() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/metric_records");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        for cut in 0..=bytes.len() {
            rrd_server::fuzz_bodies::metric_records(&bytes[..cut]);
        }
        n += 1;
    }
    assert!(n >= 3, "seeds in {}", dir.display());
}
