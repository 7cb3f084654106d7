//! Crash safety: every update the daemon acknowledged is in its file
//! after a `kill -9` and a restart on the same journal, and none is
//! applied twice.

use std::path::Path;

use crate::support::{have, run, Daemon, Rng, TempDir, RRD_CACHED};

const DEFS: &[&str] = &[
    "--start",
    "1300000000",
    "--step",
    "60",
    "DS:a:GAUGE:300:U:U",
    "DS:b:COUNTER:300:U:U",
    "RRA:AVERAGE:0.5:1:200",
    "RRA:MAX:0.5:5:50",
];

fn create(dir: &Path, name: &str) {
    let mut args = vec!["create", name];
    args.extend_from_slice(DEFS);
    run("rrdtool", dir, &args);
}

/// The files of `dir` made again in `refdir` from the same start with
/// `values[i]` applied directly (rrdtool itself, no daemon).
fn reference(refdir: &Path, files: &[String], values: &[Vec<String>]) {
    for (f, v) in files.iter().zip(values) {
        create(refdir, f);
        for chunk in v.chunks(200) {
            let mut args = vec!["update", f.as_str()];
            args.extend(chunk.iter().map(String::as_str));
            run("rrdtool", refdir, &args);
        }
    }
}

fn same_rows(a: &Path, b: &Path) -> bool {
    // the header's row pointers differ between files created apart; the
    // dump lists rows oldest first, so the dumps compare whole
    crate::support::dump(a) == crate::support::dump(b)
}

/// Updates acknowledged and then lost to `kill -9` are written when the
/// daemon starts again on its journal.
#[test]
fn acknowledged_updates_survive_sigkill() {
    if !have("rrdtool") {
        return;
    }
    let tmp = TempDir::new("sigkill");
    let (base, journal, refdir) = (tmp.sub("base"), tmp.sub("journal"), tmp.sub("ref"));
    let files: Vec<String> = (0..5).map(|i| format!("f{i}.rrd")).collect();
    for f in &files {
        create(&base, f);
    }
    let args = [
        "-b",
        base.to_str().unwrap(),
        "-j",
        journal.to_str().unwrap(),
        "-w",
        "3600",
        "-f",
        "7200",
    ];
    let sock = tmp.path().join("d.sock");
    let d = Daemon::start(RRD_CACHED, &sock, &args);
    let mut c = d.connect();
    let mut sent: Vec<Vec<String>> = vec![Vec::new(); files.len()];
    for k in 1..=40u64 {
        let f = (k % files.len() as u64) as usize;
        let v = format!("{}:{}:{}", 1300000000 + 60 * k, k, k * 10);
        let r = c.ask(&format!("UPDATE {} {v}", files[f]));
        assert_eq!(r, "0 errors, enqueued 1 value(s).\n");
        sent[f].push(v);
    }
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(base.join(f)).unwrap())
        .collect();
    d.kill();
    // nothing was written (the write interval is an hour)...
    for (f, b) in files.iter().zip(&before) {
        assert_eq!(
            &std::fs::read(base.join(f)).unwrap(),
            b,
            "{f} written before the kill"
        );
    }
    // ...and everything is, once the daemon is back
    let d = Daemon::start(RRD_CACHED, &sock, &args);
    reference(&refdir, &files, &sent);
    for f in &files {
        assert!(
            same_rows(&base.join(f), &refdir.join(f)),
            "{f} after replay"
        );
    }
    // the replayed journal is gone, a fresh one remains
    let left: Vec<_> = std::fs::read_dir(&journal).unwrap().collect();
    assert_eq!(left.len(), 1, "journal files left: {left:?}");
    assert_eq!(d.terminate(), Some(0));
}

/// `kill -9` at random moments while writer threads are busy: after a
/// restart on the journal and a flush, each file holds exactly the
/// acknowledged values (and perhaps the one in flight), none twice.
#[test]
fn sigkill_while_writing_loses_nothing_and_repeats_nothing() {
    if !have("rrdtool") {
        return;
    }
    let rounds: usize = std::env::var("RRD_CACHED_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let mut rng = Rng(0x5EED_1234_9876_ABCD);
    let mut total_acked = 0;
    let mut pending_at_kill = 0;
    for round in 0..rounds {
        let tmp = TempDir::new(&format!("sigkill-writes-{round}"));
        let (base, journal, refdir) = (tmp.sub("base"), tmp.sub("journal"), tmp.sub("ref"));
        let files: Vec<String> = (0..8).map(|i| format!("w{i}.rrd")).collect();
        for f in &files {
            create(&base, f);
        }
        // written every second (-w 1) by two writers
        let args = [
            "-b",
            base.to_str().unwrap(),
            "-j",
            journal.to_str().unwrap(),
            "-w",
            "1",
            "-f",
            "7200",
            "-t",
            "2",
        ];
        let sock = tmp.path().join("d.sock");
        let d = Daemon::start(RRD_CACHED, &sock, &args);
        let mut c = d.connect();
        let mut acked: Vec<Vec<String>> = vec![Vec::new(); files.len()];
        // updates until the kill cuts them off
        let n = 200_000;
        let mut in_flight: Option<(usize, String)> = None;
        // the kill comes from another thread after a random delay
        let pid = nix::unistd::Pid::from_raw(d.child.id() as i32);
        let delay = std::time::Duration::from_millis(300 + rng.below(2000));
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        });
        for k in 1..=n {
            let f = rng.below(files.len() as u64) as usize;
            let v = format!("{}:{}:{}", 1300000000 + 60 * k, rng.below(1000), k * 7);
            c.send(format!("UPDATE {} {v}", files[f]).as_bytes());
            in_flight = Some((f, v.clone()));
            let r = String::from_utf8_lossy(&c.reply()).into_owned();
            if r == "<closed>" {
                break;
            }
            assert_eq!(r, "0 errors, enqueued 1 value(s).\n");
            acked[f].push(v);
            in_flight = None;
        }
        killer.join().unwrap();
        d.kill();
        // how many acknowledged updates the files lacked at the kill
        for (f, v) in files.iter().zip(&acked) {
            let last: i64 = run("rrdtool", &base, &["last", f]).trim().parse().unwrap();
            pending_at_kill += v
                .iter()
                .filter(|u| u.split(':').next().unwrap().parse::<i64>().unwrap() > last)
                .count();
        }
        // back on the same journal, then everything written
        let d = Daemon::start(RRD_CACHED, &sock, &args);
        assert_eq!(d.terminate(), Some(0));
        reference(&refdir, &files, &acked);
        for (i, f) in files.iter().enumerate() {
            if same_rows(&base.join(f), &refdir.join(f)) {
                continue;
            }
            // the update in flight may have been journaled before the kill
            let flight = in_flight.as_ref().filter(|(fi, _)| *fi == i);
            let Some((_, v)) = flight else {
                panic!("round {round}: {f} differs from its acknowledged updates");
            };
            run("rrdtool", &refdir, &["update", f, v]);
            assert!(
                same_rows(&base.join(f), &refdir.join(f)),
                "round {round}: {f} differs with or without the update in flight"
            );
        }
        total_acked += acked.iter().map(Vec::len).sum::<usize>();
    }
    // the kills did catch acknowledged updates not yet in their files
    assert!(pending_at_kill > 0, "no kill caught pending updates");
    eprintln!(
        "note: crash: {rounds} kills while writing, {total_acked} acknowledged updates \
         ({pending_at_kill} not yet in their files at the kill), none lost or repeated"
    );
}

/// Without a journal the daemon writes everything at SIGTERM (rrdcached's
/// `-F` is implied): updates younger than the write interval included.
#[test]
fn sigterm_without_a_journal_writes_everything() {
    if !have("rrdtool") {
        return;
    }
    let tmp = TempDir::new("sigterm");
    let (base, refdir) = (tmp.sub("base"), tmp.sub("ref"));
    let files: Vec<String> = (0..3).map(|i| format!("t{i}.rrd")).collect();
    for f in &files {
        create(&base, f);
    }
    let d = Daemon::start(
        RRD_CACHED,
        &tmp.path().join("d.sock"),
        &["-b", base.to_str().unwrap(), "-w", "3600", "-f", "7200"],
    );
    let mut c = d.connect();
    let mut sent: Vec<Vec<String>> = vec![Vec::new(); files.len()];
    for k in 1..=30u64 {
        let f = (k % 3) as usize;
        let v = format!("{}:{k}:{}", 1300000000 + 60 * k, k * 3);
        assert_eq!(
            c.ask(&format!("UPDATE {} {v}", files[f])),
            "0 errors, enqueued 1 value(s).\n"
        );
        sent[f].push(v);
    }
    drop(c);
    assert_eq!(d.terminate(), Some(0));
    reference(&refdir, &files, &sent);
    for f in &files {
        assert!(
            same_rows(&base.join(f), &refdir.join(f)),
            "{f} after SIGTERM"
        );
    }
}
