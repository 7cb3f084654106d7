//! Hostile clients: names that lead out of the base directory, malformed
//! requests, and floods of updates.

use std::path::Path;

use crate::support::{have, run, Daemon, Rng, TempDir, RRD_CACHED};

fn create(dir: &Path, name: &str) {
    run(
        "rrdtool",
        dir,
        &[
            "create",
            name,
            "--start",
            "1300000000",
            "--step",
            "60",
            "DS:a:GAUGE:300:U:U",
            "RRA:AVERAGE:0.5:1:100",
        ],
    );
}

/// With `-B`, no name reaches a file outside the base directory: not by
/// `..`, not absolute, not through a symbolic link (rrdcached itself
/// follows links out), for any command that takes a file.
#[test]
fn names_stay_inside_the_base_directory() {
    if !have("rrdtool") {
        return;
    }
    let tmp = TempDir::new("confined");
    let (base, outside) = (tmp.sub("base"), tmp.sub("outside"));
    create(&outside, "o.rrd");
    create(&base, "in.rrd");
    std::os::unix::fs::symlink(&outside, base.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.join("o.rrd"), base.join("link.rrd")).unwrap();
    let before = std::fs::read(outside.join("o.rrd")).unwrap();
    let d = Daemon::start(
        RRD_CACHED,
        &tmp.path().join("d.sock"),
        &["-b", base.to_str().unwrap(), "-B", "-R", "-w", "1", "-F"],
    );
    let mut c = d.connect();
    let o = outside.display().to_string();
    let names = [
        "../outside/o.rrd".to_string(),
        format!("{o}/o.rrd"),
        "out/o.rrd".to_string(),
        "link.rrd".to_string(),
        "in.rrd/..".to_string(),
        "sub/../../outside/o.rrd".to_string(),
    ];
    let mut refused = 0;
    for n in &names {
        for req in [
            format!("UPDATE {n} 1300000060:1"),
            format!("INFO {n}"),
            format!("LAST {n}"),
            format!("FIRST {n} 0"),
            format!("FORGET {n}"),
            format!("FLUSH {n}"),
            format!("CREATE {n} -O DS:a:GAUGE:300:U:U RRA:AVERAGE:0.5:1:10"),
        ] {
            let r = c.ask(&req);
            assert!(
                r.starts_with("-1 ") && r.ends_with(": Permission denied\n"),
                "{req}: {r}"
            );
            refused += 1;
        }
        let r = c.ask(&format!("FETCH {n} AVERAGE 1300000000 1300000600"));
        assert!(r.ends_with(": Permission denied\n"), "FETCH {n}: {r}");
    }
    // a source or template read from outside
    for opt in ["-r", "-t"] {
        let r = c.ask(&format!(
            "CREATE copy{opt}.rrd {opt} {o}/o.rrd DS:a:GAUGE:300:U:U RRA:AVERAGE:0.5:1:10"
        ));
        assert!(r.ends_with(": Permission denied\n"), "CREATE {opt}: {r}");
        assert!(!base.join(format!("copy{opt}.rrd")).exists());
    }
    // a new file through the link to the outside directory
    let r = c.ask("CREATE out/new.rrd DS:a:GAUGE:300:U:U RRA:AVERAGE:0.5:1:10");
    assert!(r.ends_with(": Permission denied\n"), "{r}");
    // LIST leaves the links out
    let r = c.ask("LIST RECURSIVE /");
    assert_eq!(r, "1 RRDs\nin.rrd\n");
    // inside is fine
    assert_eq!(
        c.ask("UPDATE in.rrd 1300000060:1"),
        "0 errors, enqueued 1 value(s).\n"
    );
    drop(c);
    assert_eq!(d.terminate(), Some(0));
    assert_eq!(std::fs::read(outside.join("o.rrd")).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        1,
        "nothing created outside"
    );
    eprintln!("note: confinement: {refused} requests naming files outside refused");
}

/// Malformed and random requests get an error (or end the connection, as
/// rrdcached does for a line it cannot split); the daemon keeps serving.
#[test]
fn malformed_requests_never_take_the_daemon_down() {
    if !have("rrdtool") {
        return;
    }
    let tmp = TempDir::new("malformed");
    let base = tmp.sub("base");
    create(&base, "a.rrd");
    let d = Daemon::start(
        RRD_CACHED,
        &tmp.path().join("d.sock"),
        &["-b", base.to_str().unwrap(), "-B", "-F"],
    );
    let mut rng = Rng(42);
    let words: &[&[u8]] = &[
        b"UPDATE",
        b"FETCH",
        b"FETCHBIN",
        b"INFO",
        b"FIRST",
        b"LAST",
        b"CREATE",
        b"LIST",
        b"PENDING",
        b"FORGET",
        b"QUEUE",
        b"STATS",
        b"HELP",
        b"BATCH",
        b".",
        b"SUSPEND",
        b"RESUME",
        b"a.rrd",
        b"AVERAGE",
        b"-1",
        b"RECURSIVE",
        b"/",
        b"\\",
        b"\\ ",
        b"\0",
        b"1300000060:1",
        b"N:1",
        b"DS:a:GAUGE:1:U:U",
        b"RRA:AVERAGE:0.5:1:1",
        b"-b",
        b"9999999999999999999999",
        b"\xff\xfe",
        b"",
        b" ",
    ];
    let mut lines = 0;
    for _ in 0..200 {
        let mut c = d.connect();
        for _ in 0..20 {
            let mut line = Vec::new();
            for _ in 0..rng.below(6) {
                if rng.below(4) == 0 {
                    let n = rng.below(20);
                    line.extend((0..n).map(|_| rng.below(256) as u8).filter(|&b| b != b'\n'));
                } else {
                    line.extend_from_slice(words[rng.below(words.len() as u64) as usize]);
                }
                line.push(b' ');
            }
            line.pop();
            c.send(&line);
            lines += 1;
            let r = c.reply();
            if r == b"<closed>" {
                break;
            }
            let head = String::from_utf8_lossy(&r);
            let n = head.split(' ').next().unwrap_or("");
            assert!(
                n.parse::<i64>().is_ok(),
                "{:?} -> {head:?}",
                String::from_utf8_lossy(&line)
            );
            // a batch has no per-line replies: leave it
            if head.starts_with("0 Go ahead") {
                break;
            }
        }
    }
    // an over-long line is refused and the connection closed
    let mut c = d.connect();
    c.send(&vec![b'x'; 100_000]);
    assert_eq!(c.reply(), b"-1 Request line too long\n");
    // still serving
    assert_eq!(d.connect().ask("PING"), "0 PONG\n");
    assert_eq!(d.terminate(), Some(0));
    eprintln!("note: malformed: {lines} random request lines answered, daemon alive");
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

/// A flood of updates from several clients to many files, much more than
/// the memory bound: every update is acknowledged (clients wait for room
/// instead of the daemon growing), all are written, and the daemon's
/// memory stays near the bound.
#[test]
fn a_flood_of_updates_is_held_to_the_memory_bound() {
    if !have("rrdtool") {
        return;
    }
    let tmp = TempDir::new("flood");
    let base = tmp.sub("base");
    let files = 200;
    create(&base, "proto.rrd");
    for i in 0..files {
        std::fs::copy(base.join("proto.rrd"), base.join(format!("f{i}.rrd"))).unwrap();
    }
    std::fs::remove_file(base.join("proto.rrd")).unwrap();
    let d = Daemon::start(
        RRD_CACHED,
        &tmp.path().join("d.sock"),
        // an hour's write interval: only the bound makes it write
        &[
            "-b",
            base.to_str().unwrap(),
            "-w",
            "3600",
            "-f",
            "7200",
            "-F",
            "--max-pending",
            "1048576",
        ],
    );
    let pid = d.child.id();
    let start_rss = rss_kib(pid);
    let clients = 4;
    let per_client = 20_000u64;
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (peak, stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        })
    };
    let mut handles = Vec::new();
    for cl in 0..clients {
        let sock = d.sock.clone();
        handles.push(std::thread::spawn(move || {
            let mut c =
                crate::support::Conn::new(std::os::unix::net::UnixStream::connect(sock).unwrap());
            // each client owns files cl, cl+clients, ...; a batch of lines
            // padded to make the values bulky
            let mine: Vec<u64> = (cl..files).step_by(clients as usize).collect();
            let mut acked = 0u64;
            let mut k = 0u64;
            while k < per_client {
                let mut chunk = Vec::new();
                let n = 100.min(per_client - k);
                for j in 0..n {
                    let step = (k + j) / mine.len() as u64 + 1;
                    let f = mine[((k + j) % mine.len() as u64) as usize];
                    chunk.extend_from_slice(
                        format!(
                            "UPDATE f{f}.rrd {}:{}.000000000000\n",
                            1300000000 + 60 * step,
                            k + j
                        )
                        .as_bytes(),
                    );
                }
                c.send(&chunk[..chunk.len() - 1]);
                for _ in 0..n {
                    let r = c.reply();
                    assert_eq!(r, b"0 errors, enqueued 1 value(s).\n");
                    acked += 1;
                }
                k += n;
            }
            acked
        }));
    }
    let acked: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let mut c = d.connect();
    let stats = c.ask("STATS");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap();
    assert_eq!(acked, clients * per_client);
    assert!(
        stats.contains(&format!("UpdatesReceived: {acked}\n")),
        "{stats}"
    );
    let growth = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(start_rss);
    // the values alone are ~3 MB of text; the bound is 1 MiB
    assert!(growth < 16 * 1024, "resident memory grew by {growth} KiB");
    drop(c);
    assert_eq!(d.terminate(), Some(0));
    // every value reached its file
    let mut last_ok = 0;
    for i in 0..files {
        let last: i64 = run("rrdtool", &base, &["last", &format!("f{i}.rrd")])
            .trim()
            .parse()
            .unwrap();
        let per_file = clients * per_client / files;
        assert_eq!(last, 1300000000 + 60 * per_file as i64, "f{i}.rrd");
        last_ok += 1;
    }
    eprintln!(
        "note: flood: {acked} updates from {clients} clients to {files} files under a 1 MiB bound, \
         resident memory grew {growth} KiB, {last_ok} files complete"
    );
}
