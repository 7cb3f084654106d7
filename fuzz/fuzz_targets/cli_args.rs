//! Any bytes as an `rrd` command line (the first byte picks the command),
//! run in a scratch directory that holds a few RRD files and a dump.
#![no_main]

use std::sync::OnceLock;

/// The scratch directory's files, made once.
fn fixtures() -> &'static [(&'static str, Vec<u8>)] {
    static FILES: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rrd-fuzz-cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        std::env::set_current_dir(&dir).expect("entering the scratch directory");
        // SAFETY: plain libc calls with valid arguments, made once before
        // anything else runs: writes past 16 MiB fail with EFBIG instead of
        // filling the disk, and nothing reads a terminal.
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 16 << 20,
                rlim_max: 16 << 20,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            libc::dup2(null, 0);
        }
        std::env::remove_var("RRDCACHED_ADDRESS");
        let run = |args: &[&str]| {
            let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            rrd_cli::run(&argv, &mut Vec::new()).expect("making the fixtures");
        };
        run(&[
            "create",
            "f.rrd",
            "--start",
            "1000000000",
            "--step",
            "300",
            "DS:a:GAUGE:600:U:U",
            "DS:b:COUNTER:600:0:U",
            "RRA:AVERAGE:0.5:1:20",
            "RRA:MAX:0.5:3:10",
        ]);
        run(&[
            "update",
            "f.rrd",
            "1000000300:1:10",
            "1000000600:2:20",
            "1000003000:5:90",
        ]);
        run(&["dump", "f.rrd", "d.xml"]);
        let files = ["f.rrd", "d.xml"]
            .iter()
            .map(|n| (*n, std::fs::read(n).expect("a fixture")))
            .collect();
        files
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let files = fixtures();
    // a fresh scratch directory for every input
    for e in std::fs::read_dir(".")
        .expect("the scratch directory")
        .flatten()
    {
        let _ = std::fs::remove_file(e.path());
    }
    for (name, bytes) in files {
        std::fs::write(name, bytes).expect("a fixture");
    }
    rrd_cli::fuzz_bodies::cli_args(data);
});
