//! Locks interoperate with C rrdtool: this test process holds a lock
//! through rrd-core while `rrd` and `rrdtool` processes try the same file,
//! and the reverse; and handles in one process exclude each other as
//! processes do (open-file-description locks, Linux).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rrd_core::{CreateSpec, Error, OpenMode, Rrd};

use crate::support::{have_rrdtool, have_strace, note};

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

/// A fresh directory `TMPDIR/TAG-PID` holding `file`, made by rrd-core
/// (start 1000000000, `step`, the DS and RRA `defs`), and its spec.
fn setup(tag: &str, file: &str, step: u64, defs: &[&str]) -> (PathBuf, CreateSpec) {
    let dir = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = CreateSpec::parse(1_000_000_000, step, defs).unwrap();
    Rrd::create(dir.join(file), &spec, &Default::default()).unwrap();
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
        if have_rrdtool() {
            assert_locked("rrdtool", &["info", "l.rrd"], &dir);
            assert_locked("rrdtool", &["update", "l.rrd", "N:1"], &dir);
        }
    }
    {
        // a shared lock lets readers in and keeps writers out
        // SAFETY: the file is this test's own; every process that touches
        // it takes rrdtool's lock
        let _reader = unsafe { Rrd::open_mmap(dir.join("l.rrd"), OpenMode::ReadOnly) }.unwrap();
        let (code, out, _) = run(rrd_bin(), &["last", "l.rrd"], &dir);
        assert_eq!((code, out.as_str()), (0, "1000000000\n"));
        if have_rrdtool() {
            let (code, out, _) = run("rrdtool", &["last", "l.rrd"], &dir);
            assert_eq!((code, out.as_str()), (0, "1000000000\n"));
            assert_locked("rrdtool", &["update", "l.rrd", "1000000300:1"], &dir);
        }
    }
    // released: rrdtool can write again
    if have_rrdtool() {
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
    let tools: Vec<&str> = if have_rrdtool() {
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
    Rrd::create(dir.join("replay.rrd"), &spec, &Default::default()).unwrap();
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
    if have_rrdtool() {
        let (c1, ours, _) = run(rrd_bin(), &["dump", "c.rrd"], &dir);
        let (c2, theirs, _) = run("rrdtool", &["dump", "c.rrd"], &dir);
        assert_eq!((c1, c2), (0, 0));
        assert_eq!(ours, theirs);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `rrdtool update` holding its classic lock (strace stalls its `close` of
/// the file) keeps out this process's handles, writer and reader; once it
/// exits, its update is there.
#[test]
fn rrdtool_lock_excludes_our_handles() {
    if !have_rrdtool() || !have_strace() {
        note("rrdtool_lock_excludes_our_handles skipped: it needs rrdtool and strace");
        return;
    }
    let (dir, _) = setup("rrd-lock3", "r.rrd", 300, &SMALL);
    let path = dir.join("r.rrd");
    let mut child = Command::new("strace")
        .arg("-P")
        .arg(&path)
        .args(["-e", "trace=fcntl,close", "-e"])
        // 3 s at the close that ends rrdtool's hold of the lock
        .arg("inject=close:delay_enter=3000000")
        .args(["rrdtool", "update"])
        .arg(&path)
        .arg("1000000300:7")
        .env("TZ", "UTC")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // strace prints each traced call as it returns: the F_SETLK line means
    // rrdtool holds its lock
    let mut trace = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert_ne!(trace.read_line(&mut line).unwrap(), 0, "strace: {seen}");
        seen.push_str(&line);
        if line.contains("F_SETLK") {
            assert!(line.trim_end().ends_with("= 0"), "{line}");
            break;
        }
    }
    let e = Rrd::open(&path, OpenMode::ReadWrite).unwrap_err();
    assert!(matches!(e, Error::Locked), "{e:?}");
    let e = Rrd::open(&path, OpenMode::ReadOnly).unwrap_err();
    assert!(matches!(e, Error::Locked), "{e:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut trace, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{seen}{rest}");
    assert!(rest.contains("(DELAYED)"), "{rest}");
    let rrd = Rrd::open(&path, OpenMode::ReadOnly).unwrap();
    assert_eq!(rrd.header().last_up, 1_000_000_300);
    drop(rrd);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Handles in one process exclude each other as processes do: a second
/// writer handle, or a reader, is refused while a writer handle lives; a
/// reader handle opened and closed on another thread does not release a
/// writer's lock, which rrdtool still sees.
#[test]
fn handles_in_one_process_exclude_each_other() {
    if !rrd_core::HANDLE_LOCKS {
        note("handles_in_one_process_exclude_each_other skipped: this platform's locks belong to the process");
        return;
    }
    let (dir, _) = setup("rrd-lock4", "h.rrd", 300, &SMALL);
    let path = dir.join("h.rrd");
    {
        let mut writer = Rrd::open(&path, OpenMode::ReadWrite).unwrap();
        let e = Rrd::open(&path, OpenMode::ReadWrite).unwrap_err();
        assert!(matches!(e, Error::Locked), "{e:?}");
        assert_eq!(e.to_string(), "could not lock RRD");
        // a reader on another thread is refused, and its descriptor's close
        // leaves the writer's lock in place
        let p = path.clone();
        let r = std::thread::spawn(move || Rrd::open(&p, OpenMode::ReadOnly).map(drop))
            .join()
            .unwrap();
        assert!(matches!(r, Err(Error::Locked)), "{r:?}");
        // so is an mmap reader, and a plain descriptor opened and closed
        // (which would drop a classic POSIX lock) changes nothing
        // SAFETY: refused for the lock before anything is mapped
        let e = unsafe { Rrd::open_mmap(&path, OpenMode::ReadOnly) }.unwrap_err();
        assert!(matches!(e, Error::Locked), "{e:?}");
        drop(std::fs::File::open(&path).unwrap());
        assert_locked(rrd_bin(), &["update", "h.rrd", "1000000300:1"], &dir);
        if have_rrdtool() {
            assert_locked("rrdtool", &["update", "h.rrd", "1000000300:1"], &dir);
            assert_locked("rrdtool", &["info", "h.rrd"], &dir);
        }
        // the writer still works and its handle still holds the file
        writer
            .update(
                rrd_core::UpdateTime::from_secs(1_000_000_300),
                &[rrd_core::Value::Num(4.0)],
            )
            .unwrap();
        writer.close().unwrap();
    }
    // readers share
    {
        let a = Rrd::open(&path, OpenMode::ReadOnly).unwrap();
        let b = std::thread::scope(|s| {
            s.spawn(|| Rrd::open(&path, OpenMode::ReadOnly).map(|r| r.header().last_up))
                .join()
                .unwrap()
        })
        .unwrap();
        assert_eq!((a.header().last_up, b), (1_000_000_300, 1_000_000_300));
        let e = Rrd::open(&path, OpenMode::ReadWrite).unwrap_err();
        assert!(matches!(e, Error::Locked), "{e:?}");
    }
    let (code, _, err) = run(rrd_bin(), &["update", "h.rrd", "1000000600:1"], &dir);
    assert_eq!((code, err.as_str()), (0, ""));
    std::fs::remove_dir_all(&dir).unwrap();
}
