//! Locks interoperate with C rrdtool: this test process holds rrdtool's
//! fcntl lock through rrd-core while `rrd` and `rrdtool` processes try the
//! same file. (POSIX locks belong to a process, so the other side must be
//! another process.)

use std::path::{Path, PathBuf};
use std::process::Command;

use rrd_core::{create, CreateSpec, OpenMode, Rrd};

/// A file of one data source and one archive.
const SMALL: [&str; 2] = ["DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:10"];

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

/// A fresh directory `TMPDIR/TAG-PID` holding `file`, made by rrd-core
/// (start 1000000000, `step`, the DS and RRA `defs`), and its spec.
fn setup(tag: &str, file: &str, step: u64, defs: &[&str]) -> (PathBuf, CreateSpec) {
    let dir = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = CreateSpec::parse(1_000_000_000, step, defs).unwrap();
    create::create_file(&dir.join(file), &spec, false).unwrap();
    (dir, spec)
}

/// `program ARGS`, run in `dir`, must be refused for the lock.
#[track_caller]
fn assert_locked(program: &str, args: &[&str], dir: &Path) {
    let (code, _, err) = run(program, args, dir);
    assert_eq!((code, err.as_str()), (1, "ERROR: could not lock RRD\n"));
}

#[test]
fn writer_lock_excludes_readers_and_writers_of_both_tools() {
    let (dir, _) = setup("rrd-lock", "l.rrd", 300, &SMALL);

    {
        let _writer = Rrd::open(dir.join("l.rrd"), OpenMode::ReadWrite).unwrap();
        assert_locked(rrd_bin(), &["info", "l.rrd"], &dir);
        if has_rrdtool() {
            assert_locked("rrdtool", &["info", "l.rrd"], &dir);
            assert_locked("rrdtool", &["update", "l.rrd", "N:1"], &dir);
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
            assert_locked("rrdtool", &["update", "l.rrd", "1000000300:1"], &dir);
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

#[test]
fn a_second_rrd_writer_is_refused() {
    let (dir, _) = setup("rrd-lock2", "w.rrd", 300, &SMALL);
    {
        let _writer = Rrd::open(dir.join("w.rrd"), OpenMode::ReadWrite).unwrap();
        assert_locked(rrd_bin(), &["update", "w.rrd", "1000000300:1"], &dir);
        assert_locked(rrd_bin(), &["fetch", "w.rrd", "AVERAGE"], &dir);
    }
    let (code, _, err) = run(rrd_bin(), &["update", "w.rrd", "1000000300:1"], &dir);
    assert_eq!((code, err.as_str()), (0, ""));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Many processes, ours and rrdtool's, update and read one file at once.
/// Each either does its work or is refused with "could not lock RRD";
/// afterwards both tools read the same, consistent file, and it holds
/// exactly the updates that succeeded.
#[test]
fn concurrent_processes_never_corrupt_a_file() {
    let (dir, spec) = setup(
        "rrd-conc",
        "c.rrd",
        1,
        &[
            "DS:a:GAUGE:600:U:U",
            "RRA:LAST:0.5:1:5000",
            "RRA:AVERAGE:0.5:10:500",
        ],
    );
    let tools: Vec<&str> = if has_rrdtool() {
        vec![rrd_bin(), "rrdtool"]
    } else {
        vec![rrd_bin()]
    };
    // each writer owns a residue class of times, so every update it tries
    // is later than everything applied before it only if it wins the race;
    // a refused or stale update is fine, a corrupt file is not
    let mut children = Vec::new();
    for w in 0..6u64 {
        let tool = tools[(w as usize) % tools.len()].to_string();
        let d = dir.clone();
        children.push(std::thread::spawn(move || {
            let mut applied = Vec::new();
            for k in 0..40u64 {
                let t = 1_000_000_000 + 1 + k * 6 + w;
                let arg = format!("{t}:{}", t % 1000);
                let (code, _, err) = run(&tool, &["update", "c.rrd", &arg], &d);
                if code == 0 {
                    applied.push(t);
                } else {
                    assert!(
                        err == "ERROR: could not lock RRD\n" || err.contains("illegal attempt"),
                        "{tool}: {err}"
                    );
                }
            }
            applied
        }));
    }
    for r in 0..2 {
        let tool = tools[r % tools.len()].to_string();
        let d = dir.clone();
        children.push(std::thread::spawn(move || {
            for _ in 0..40 {
                let (code, out, err) = run(&tool, &["info", "c.rrd"], &d);
                if code == 0 {
                    assert!(out.starts_with("filename = \"c.rrd\""), "{out}");
                } else {
                    assert_eq!(err, "ERROR: could not lock RRD\n", "{tool}");
                }
            }
            Vec::new()
        }));
    }
    let mut applied: Vec<u64> = Vec::new();
    for c in children {
        applied.extend(c.join().unwrap());
    }
    applied.sort_unstable();
    assert!(!applied.is_empty());
    // the file holds exactly the successful updates, in time order:
    // replaying them into a fresh file gives the same rows
    let rrd = Rrd::open(dir.join("c.rrd"), OpenMode::ReadOnly).unwrap();
    assert_eq!(rrd.header().last_up, *applied.last().unwrap() as i64);
    create::create_file(&dir.join("replay.rrd"), &spec, false).unwrap();
    {
        let mut replay = Rrd::open(dir.join("replay.rrd"), OpenMode::ReadWrite).unwrap();
        for &t in &applied {
            replay
                .update(
                    rrd_core::UpdateTime::from_secs(t as i64),
                    &[rrd_core::Value::Num((t % 1000) as f64)],
                )
                .unwrap();
        }
        replay.close().unwrap();
    }
    let replay = Rrd::open(dir.join("replay.rrd"), OpenMode::ReadOnly).unwrap();
    for rra in 0..2 {
        let got: Vec<_> = rrd.rows(rra).unwrap().map(Result::unwrap).collect();
        let want: Vec<_> = replay.rows(rra).unwrap().map(Result::unwrap).collect();
        assert_eq!(format!("{got:?}"), format!("{want:?}"), "archive {rra}");
    }
    drop(replay);
    drop(rrd);
    if has_rrdtool() {
        let (c1, ours, _) = run(rrd_bin(), &["dump", "c.rrd"], &dir);
        let (c2, theirs, _) = run("rrdtool", &["dump", "c.rrd"], &dir);
        assert_eq!((c1, c2), (0, 0));
        assert_eq!(ours, theirs);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
