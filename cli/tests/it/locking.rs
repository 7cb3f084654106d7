//! Locks interoperate with C rrdtool: this test process holds rrdtool's
//! fcntl lock through rrd-core while `rrd` and `rrdtool` processes try the
//! same file. (POSIX locks belong to a process, so the other side must be
//! another process.)

use std::path::Path;
use std::process::Command;

use rrd_core::{create, CreateSpec, OpenMode, Rrd};

fn rrd_bin() -> &'static str {
    env!("CARGO_BIN_EXE_rrd")
}

fn run(program: &str, args: &[&str], cwd: &Path) -> (i32, String, String) {
    let o = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn has_rrdtool() -> bool {
    Command::new("rrdtool").arg("--version").output().is_ok()
}

#[test]
fn writer_lock_excludes_readers_and_writers_of_both_tools() {
    let dir = std::env::temp_dir().join(format!("rrd-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = CreateSpec::parse(
        1_000_000_000,
        300,
        &["DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:10"],
    )
    .unwrap();
    create::create_file(&dir.join("l.rrd"), &spec, false).unwrap();

    {
        let _writer = Rrd::open(dir.join("l.rrd"), OpenMode::ReadWrite).unwrap();
        let (code, _, err) = run(rrd_bin(), &["info", "l.rrd"], &dir);
        assert_eq!((code, err.as_str()), (1, "ERROR: could not lock RRD\n"));
        if has_rrdtool() {
            let (code, _, err) = run("rrdtool", &["info", "l.rrd"], &dir);
            assert_eq!((code, err.as_str()), (1, "ERROR: could not lock RRD\n"));
            let (code, _, err) = run("rrdtool", &["update", "l.rrd", "N:1"], &dir);
            assert_eq!((code, err.as_str()), (1, "ERROR: could not lock RRD\n"));
        }
    }
    {
        // a shared lock lets readers in and keeps writers out
        let _reader = Rrd::open_mmap(dir.join("l.rrd"), OpenMode::ReadOnly).unwrap();
        let (code, out, _) = run(rrd_bin(), &["last", "l.rrd"], &dir);
        assert_eq!((code, out.as_str()), (0, "1000000000\n"));
        if has_rrdtool() {
            let (code, out, _) = run("rrdtool", &["last", "l.rrd"], &dir);
            assert_eq!((code, out.as_str()), (0, "1000000000\n"));
            let (code, _, err) = run("rrdtool", &["update", "l.rrd", "1000000300:1"], &dir);
            assert_eq!((code, err.as_str()), (1, "ERROR: could not lock RRD\n"));
        }
    }
    // released: rrdtool can write again
    if has_rrdtool() {
        let (code, _, err) = run("rrdtool", &["update", "l.rrd", "1000000300:1"], &dir);
        assert_eq!((code, err.as_str()), (0, ""));
        let (code, out, _) = run(rrd_bin(), &["last", "l.rrd"], &dir);
        assert_eq!((code, out.as_str()), (0, "1000000300\n"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
