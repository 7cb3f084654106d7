//! Any bytes as request lines to rrd-cached (a daemon without sockets,
//! confined to a scratch base directory that holds one RRD file).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

/// The scratch base directory and its file, made once.
fn fixture() -> &'static (PathBuf, Vec<u8>) {
    static DIR: OnceLock<(PathBuf, Vec<u8>)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rrd-fuzz-cached-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let dir = std::fs::canonicalize(&dir).expect("its real path");
        // SAFETY: plain libc calls with valid arguments, made once before
        // anything else runs: writes past 16 MiB fail with EFBIG instead of
        // filling the disk.
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 16 << 20,
                rlim_max: 16 << 20,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
        }
        let bytes = rrd_cached::fuzz_bodies::fixture();
        (dir, bytes)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (dir, bytes) = fixture();
    // a fresh base directory for every input
    for e in std::fs::read_dir(dir).expect("the scratch directory").flatten() {
        let p = e.path();
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
    std::fs::write(dir.join("a.rrd"), bytes).expect("the fixture");
    rrd_cached::fuzz_bodies::protocol_lines(data, dir);
});
