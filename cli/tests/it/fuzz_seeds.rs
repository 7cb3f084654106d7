//! The `cli_args` fuzz target's committed seeds (fuzz/seeds/cli_args), and
//! mutations of them, as command lines of the real binary in a scratch
//! directory: never a panic, never a signal. (The fuzz target runs the same
//! body in-process; here each command line gets its own process and a
//! fresh directory.)

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rrd_cli::fuzz_bodies::command_line;

use crate::support::{TempDir, RRD};

fn fixtures(dir: &Path) {
    let run = |args: &[&str]| {
        let o = Command::new(RRD)
            .args(args)
            .current_dir(dir)
            .env("TZ", "UTC")
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {o:?}");
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
    std::fs::copy(
        dir.join("f.rrd"),
        dir.join(OsString::from_vec(b"f\xff.rrd".to_vec())),
    )
    .unwrap();
}

#[test]
fn cli_args_seeds_and_mutations_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/cli_args");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(
        seeds.len() >= 12,
        "seed corpus missing in {}",
        dir.display()
    );
    let mut x: u64 = 0x5851_f42d_4c95_7f2d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = b"\x00:=,#-0123456789afrsw@N\xff";
    let mut inputs = Vec::new();
    for s in &seeds {
        inputs.push(s.clone());
        for _ in 0..12 {
            let mut m = s.clone();
            for _ in 0..1 + next() % 3 {
                let i = 1 + (next() % (m.len() as u64 - 1)) as usize;
                m[i] = alphabet[(next() % alphabet.len() as u64) as usize];
            }
            inputs.push(m);
        }
    }
    let mut ran = 0;
    for input in &inputs {
        let Some(args) = command_line(input) else {
            continue;
        };
        let scratch = TempDir::new("fuzz-cli");
        fixtures(scratch.path());
        let o = Command::new(RRD)
            .args(args.iter().map(|a| OsString::from_vec(a.clone())))
            .current_dir(scratch.path())
            .env("TZ", "UTC")
            .env_remove("RRDCACHED_ADDRESS")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let shown: Vec<String> = args.iter().map(|a| a.escape_ascii().to_string()).collect();
        assert!(
            o.status.code().is_some_and(|c| c == 0 || c == 1),
            "rrd {}: {:?}\n{}",
            shown.join(" "),
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        ran += 1;
    }
    assert!(ran > 100, "{ran} command lines ran");
}
