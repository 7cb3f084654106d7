//! `rrd` and `rrd-cached` with C rrdtool and C rrdcached 1.7.2 (Debian's
//! packages): create, update, fetch, info, first, last, lastupdate, dump,
//! tune, flushcached, graph, xport and list with `--daemon` or
//! `RRDCACHED_ADDRESS`. The same command lines run by rrdtool against C
//! rrdcached (the reference), by rrd against C rrdcached, by rrdtool
//! against rrd-cached and by rrd against rrd-cached, each over its own
//! UNIX socket and base directory; outputs must agree (the socket path
//! aside) and so must the files once flushed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{have_rrdtool, note, TempDir, RRD};

/// An rrdcached (C's or ours) in the foreground, stopped on drop.
struct Daemon {
    child: Child,
    sock: PathBuf,
}

/// Our daemon, built beside `rrd` (`cargo test --workspace` builds it).
pub(crate) fn rrd_cached() -> PathBuf {
    let p = Path::new(RRD).with_file_name("rrd-cached");
    assert!(
        p.exists(),
        "{} is not built: run the workspace's tests (cargo test --workspace) or cargo build -p rrd-cached",
        p.display()
    );
    p
}

impl Daemon {
    /// C rrdcached on a UNIX socket.
    fn start(dir: &Path) -> Daemon {
        Daemon::start_on(dir, None, Path::new("rrdcached"))
    }

    /// A daemon (`exe`: C rrdcached or rrd-cached) on a UNIX socket, or on
    /// `tcp` (`127.0.0.1:PORT`) too.
    fn start_on(dir: &Path, tcp: Option<&str>, exe: &Path) -> Daemon {
        let base = dir.join("base");
        let journal = dir.join("journal");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::create_dir_all(&journal).unwrap();
        let sock = dir.join("d.sock");
        let child = Command::new(exe)
            .args(["-g", "-B", "-w", "3600", "-z", "1", "-f", "7200"])
            .arg("-p")
            .arg(dir.join("d.pid"))
            .arg("-l")
            .arg(format!("unix:{}", sock.display()))
            .args(tcp.map(|t| ["-l", t]).into_iter().flatten())
            .arg("-b")
            .arg(&base)
            .arg("-j")
            .arg(&journal)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
        let t = Instant::now();
        while !sock.exists() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "rrdcached did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Daemon { child, sock }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether rrdcached can run here; in CI (`CI` or `RRD_E2E=require`) its
/// absence fails the test.
fn have_rrdcached() -> bool {
    let found = Command::new("rrdcached")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found || !crate::support::required_parts(),
        "rrdcached is not installed (apt-get install rrdcached)"
    );
    if !found {
        note("rrdcached tests skipped: rrdcached is not on PATH");
    }
    found
}

fn run_line(program: &str, cwd: &Path, env: &[(&str, String)], args: &[String]) -> String {
    let mut c = Command::new(program);
    c.args(args)
        .current_dir(cwd)
        .env("TZ", "UTC")
        .env_remove("RRDCACHED_ADDRESS");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    format!(
        "{}{}status {}\n",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        o.status.code().unwrap_or(-1)
    )
}

#[test]
fn commands_through_c_rrdcached_as_rrdtools() {
    if !have_rrdtool() || !have_rrdcached() {
        return;
    }
    let tmp = TempDir::new("rrdcached");
    let ours = rrd_cached();
    let (ta, tc, tb, td) = (tmp.sub("a"), tmp.sub("c"), tmp.sub("b"), tmp.sub("d"));
    let (da, dc) = (Daemon::start(&ta), Daemon::start(&tc));
    let (db, dd) = (
        Daemon::start_on(&tb, None, &ours),
        Daemon::start_on(&td, None, &ours),
    );
    let script: Vec<(Vec<&str>, bool)> = vec![
        (
            vec![
                "create",
                "x.rrd",
                "--start",
                "1300000000",
                "--step",
                "60",
                "DS:a:GAUGE:120:U:U",
                "DS:b:COUNTER:120:U:U",
                "RRA:AVERAGE:0.5:1:10",
                "RRA:MAX:0.5:2:10",
            ],
            false,
        ),
        (
            vec![
                "update",
                "--daemon",
                "SOCK",
                "x.rrd",
                "1300000060:1:10",
                "1300000120:2:20",
            ],
            false,
        ),
        (vec!["lastupdate", "x.rrd"], false),
        (vec!["lastupdate", "--daemon", "SOCK", "x.rrd"], false),
        (
            vec!["update", "--daemon", "SOCK", "x.rrd", "1300000100:5:5"],
            false,
        ),
        (
            vec![
                "update",
                "--daemon",
                "SOCK",
                "-t",
                "b:a",
                "x.rrd",
                "1300000180:40:7",
            ],
            false,
        ),
        (
            vec![
                "update",
                "--daemon",
                "SOCK",
                "-t",
                "b",
                "x.rrd",
                "1300000240:50",
            ],
            false,
        ),
        (
            vec![
                "update",
                "--daemon",
                "SOCK",
                "-t",
                "b:zz",
                "x.rrd",
                "1300000300:1:2",
            ],
            false,
        ),
        (
            vec![
                "update",
                "--daemon",
                "SOCK",
                "-t",
                "a",
                "x.rrd",
                "1300000300:1:2",
            ],
            false,
        ),
        (
            vec![
                "update",
                "--daemon",
                "SOCK",
                "-t",
                "a",
                "-s",
                "x.rrd",
                "1300000300:1",
            ],
            false,
        ),
        (
            vec!["update", "--daemon", "SOCK", "nosuch.rrd", "1300000180:5:5"],
            false,
        ),
        (vec!["update", "x.rrd", "1300000300:7:70"], true),
        (vec!["dump", "--daemon", "SOCK", "x.rrd"], false),
        (vec!["flushcached", "x.rrd"], false),
        (vec!["flushcached", "--daemon", "SOCK", "x.rrd"], false),
        (
            vec!["flushcached", "--daemon", "SOCK", "nosuch.rrd", "x.rrd"],
            false,
        ),
        (
            vec![
                "update",
                "--daemon",
                "unix:/nonexistent/sock",
                "x.rrd",
                "1300000400:1:1",
            ],
            false,
        ),
        (
            vec!["update", "--daemon", "SOCK", "../x.rrd", "1300000400:1:1"],
            false,
        ),
        (
            vec![
                "update",
                "--daemon",
                "SOCK",
                "x.rrd",
                "1300000420:3:30",
                "1300000480:4:40",
            ],
            false,
        ),
        (vec!["lastupdate", "--daemon", "SOCK", "x.rrd"], false),
        (
            vec!["update", "--daemon", "SOCK", "x.rrd", "1300000540:9:90"],
            false,
        ),
        (vec!["last", "x.rrd"], false),
        (vec!["last", "--daemon", "SOCK", "x.rrd"], false),
        (vec!["last", "x.rrd"], true),
        (vec!["last", "--daemon", "SOCK", "nosuch.rrd"], false),
        (
            vec!["last", "--daemon", "unix:/nonexistent/sock", "x.rrd"],
            false,
        ),
        (vec!["first", "--daemon", "SOCK", "x.rrd"], false),
        (
            vec!["first", "--daemon", "SOCK", "--rraindex", "1", "x.rrd"],
            false,
        ),
        (
            vec!["first", "--daemon", "SOCK", "--rraindex", "7", "x.rrd"],
            false,
        ),
        (
            vec!["first", "--daemon", "SOCK", "--rraindex", "-1", "x.rrd"],
            false,
        ),
        (
            vec!["first", "--daemon", "unix:/nonexistent/sock", "x.rrd"],
            false,
        ),
        (
            vec!["update", "--daemon", "SOCK", "x.rrd", "1300000600:11:110"],
            false,
        ),
        (
            vec!["info", "--daemon", "SOCK", "--noflush", "x.rrd"],
            false,
        ),
        (vec!["info", "--daemon", "SOCK", "x.rrd"], false),
        (vec!["info", "x.rrd"], true),
        (vec!["info", "--daemon", "SOCK", "nosuch.rrd"], false),
        (
            vec![
                "create",
                "--daemon",
                "SOCK",
                "y.rrd",
                "--start",
                "1300000000",
                "DS:v:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:1:5",
            ],
            false,
        ),
        (
            vec![
                "create",
                "y.rrd",
                "-O",
                "--start",
                "1300000000",
                "DS:v:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:1:5",
            ],
            true,
        ),
        (
            vec!["create", "--daemon", "SOCK", "z.rrd", "DS:v:GAUGE:600:U:U"],
            false,
        ),
        (
            vec!["update", "--daemon", "SOCK", "y.rrd", "1300000300:1"],
            false,
        ),
        (
            vec!["tune", "--daemon", "SOCK", "y.rrd", "--heartbeat", "v:900"],
            false,
        ),
        (vec!["info", "y.rrd"], false),
        (
            vec![
                "tune",
                "--daemon",
                "unix:/nonexistent/sock",
                "y.rrd",
                "--heartbeat",
                "v:90",
            ],
            false,
        ),
        (vec!["tune", "y.rrd", "RRA#0:+3"], true),
        (
            vec!["update", "--daemon", "SOCK", "y.rrd", "1300000600:2"],
            false,
        ),
        (vec!["dump", "--daemon", "SOCK", "y.rrd"], false),
        (
            vec!["update", "--daemon", "SOCK", "x.rrd", "1300000660:12:120"],
            false,
        ),
        (
            vec![
                "fetch",
                "--daemon",
                "SOCK",
                "x.rrd",
                "AVERAGE",
                "-s",
                "1300000000",
                "-e",
                "1300000700",
            ],
            false,
        ),
        (
            vec![
                "fetch",
                "x.rrd",
                "MAX",
                "-s",
                "1300000000",
                "-e",
                "1300000700",
                "-r",
                "120",
            ],
            true,
        ),
        (
            vec![
                "fetch",
                "--daemon",
                "SOCK",
                "x.rrd",
                "LAST",
                "-s",
                "1300000000",
                "-e",
                "1300000700",
            ],
            false,
        ),
        (
            vec![
                "fetch",
                "--daemon",
                "SOCK",
                "nosuch.rrd",
                "AVERAGE",
                "-s",
                "1300000000",
            ],
            false,
        ),
        (
            vec![
                "fetch",
                "--daemon",
                "unix:/nonexistent/sock",
                "x.rrd",
                "AVERAGE",
                "-s",
                "1300000000",
                "-e",
                "1300000700",
            ],
            false,
        ),
        (
            vec!["lastupdate", "--daemon", "unix:/nonexistent/sock", "x.rrd"],
            false,
        ),
        (
            vec![
                "dump",
                "--daemon",
                "unix:/nonexistent/sock",
                "x.rrd",
                "d.xml",
            ],
            false,
        ),
        (
            vec!["info", "--daemon", "unix:/nonexistent/sock", "x.rrd"],
            false,
        ),
        // graph and xport read DEFs through the daemon's FETCH, which
        // writes the file's pending values first
        (
            vec!["update", "--daemon", "SOCK", "x.rrd", "1300000720:13:130"],
            false,
        ),
        (
            vec![
                "graph",
                "g.png",
                "--daemon",
                "SOCK",
                "--start",
                "1300000000",
                "--end",
                "1300000800",
                "DEF:a=x.rrd:a:AVERAGE",
                "PRINT:a:MAX:%lf",
                "PRINT:a:LAST:%lf",
            ],
            false,
        ),
        (
            vec!["update", "--daemon", "SOCK", "x.rrd", "1300000780:14:140"],
            false,
        ),
        (
            vec![
                "xport",
                "--daemon",
                "SOCK",
                "--start",
                "1300000000",
                "--end",
                "1300000800",
                "DEF:a=x.rrd:a:AVERAGE",
                "DEF:b=x.rrd:b:AVERAGE",
                "XPORT:a",
                "XPORT:b",
            ],
            false,
        ),
        (
            vec!["update", "--daemon", "SOCK", "x.rrd", "1300000840:15:150"],
            false,
        ),
        (
            vec![
                "xport",
                "--json",
                "--start",
                "1300000000",
                "--end",
                "1300000900",
                "DEF:a=x.rrd:a:AVERAGE",
                "XPORT:a",
            ],
            true,
        ),
        (
            vec!["update", "--daemon", "SOCK", "x.rrd", "1300000900:16:160"],
            false,
        ),
        (
            vec![
                "graph",
                "h.png",
                "--start",
                "1300000000",
                "--end",
                "1300000960",
                "DEF:a=x.rrd:a:AVERAGE:daemon=ESCSOCK",
                "PRINT:a:LAST:%lf",
                "LINE1:a#ff0000",
            ],
            false,
        ),
        (
            vec![
                "graph",
                "i.png",
                "--daemon",
                "unix:/nonexistent/sock",
                "--start",
                "1300000000",
                "--end",
                "1300000960",
                "DEF:a=x.rrd:a:AVERAGE",
                "PRINT:a:LAST:%lf",
            ],
            false,
        ),
        (
            vec![
                "xport",
                "--daemon",
                "unix:/nonexistent/sock",
                "DEF:a=x.rrd:a:AVERAGE",
                "XPORT:a",
            ],
            false,
        ),
        // list: names under the daemon's base directory
        (vec!["list", "--daemon", "SOCK", "/"], false),
        (vec!["list", "--daemon", "SOCK", "--recursive", "/"], false),
        (
            vec!["list", "--daemon", "SOCK", "--noflush", "/x.rrd"],
            false,
        ),
        (vec!["list", "--daemon", "SOCK", "."], false),
        (vec!["list", "/"], true),
        (vec!["list", "--daemon", "SOCK", "/nosuch"], false),
    ];
    let mut compared = 0;
    let runs = [
        ("rrdtool", &ta, &da),
        (RRD, &tc, &dc),
        ("rrdtool", &tb, &db),
        (RRD, &td, &dd),
    ];
    let who = [
        "rrdtool with rrdcached",
        "rrd with rrdcached",
        "rrdtool with rrd-cached",
        "rrd with rrd-cached",
    ];
    for (words, via_env) in &script {
        let mut outs = Vec::new();
        for (program, dir, d) in runs {
            let sock = format!("unix:{}", d.sock.display());
            let args: Vec<String> = words
                .iter()
                .map(|w| {
                    if *w == "SOCK" {
                        sock.clone()
                    } else {
                        // a DEF field: its colons escaped
                        w.replace("ESCSOCK", &sock.replace(':', "\\:"))
                    }
                })
                .collect();
            let env = if *via_env {
                vec![("RRDCACHED_ADDRESS", sock.clone())]
            } else {
                Vec::new()
            };
            let out = run_line(program, &dir.join("base"), &env, &args);
            // the daemons' sockets and directories differ
            // (archive pointers are picked at random at create)
            outs.push(
                crate::support::mask_cur_row(&out)
                    .replace(&d.sock.display().to_string(), "SOCK")
                    .replace(&dir.display().to_string(), "DIR")
                    // a message cut by rrdtool's overlapping format keeps
                    // only the tail of the socket path
                    .replace("/a/d.sock", "/X/d.sock")
                    .replace("/c/d.sock", "/X/d.sock")
                    .replace("/b/d.sock", "/X/d.sock")
                    .replace("/d/d.sock", "/X/d.sock"),
            );
        }
        for k in 1..outs.len() {
            assert_eq!(outs[0], outs[k], "{}: {}", who[k], words.join(" "));
        }
        compared += 1;
    }
    for f in ["x.rrd", "y.rrd"] {
        let fa = std::fs::read(ta.join("base").join(f)).unwrap();
        for (k, t) in [(1, &tc), (2, &tb), (3, &td)] {
            let other = std::fs::read(t.join("base").join(f)).unwrap();
            let diff = crate::support::rrd_file_diff(&fa, &other);
            assert!(
                diff.is_none(),
                "{f} after the session, {}: {diff:?}",
                who[k]
            );
        }
    }
    note(&format!(
        "rrdcached: {compared} command lines agree four ways (rrdtool/rrd with C rrdcached 1.7.2 \
         and with rrd-cached), files equal"
    ));
}

/// A free TCP port on the loopback interface.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Over TCP, names are relative to the daemon's base directory and
/// absolute ones refused, as rrdtool's client does.
#[test]
fn commands_through_c_rrdcached_over_tcp() {
    if !have_rrdtool() || !have_rrdcached() {
        return;
    }
    let tmp = TempDir::new("rrdcached-tcp");
    let (ta, tc) = (tmp.sub("a"), tmp.sub("c"));
    let (pa, pc) = (free_port(), free_port());
    let (aa, ac) = (format!("127.0.0.1:{pa}"), format!("127.0.0.1:{pc}"));
    let (_da, _dc) = (
        Daemon::start_on(&ta, Some(&aa), Path::new("rrdcached")),
        Daemon::start_on(&tc, Some(&ac), Path::new("rrdcached")),
    );
    let t = Instant::now();
    while std::net::TcpStream::connect(&aa).is_err() || std::net::TcpStream::connect(&ac).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "rrdcached did not listen on TCP"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let script: Vec<Vec<&str>> = vec![
        vec![
            "create",
            "--daemon",
            "ADDR",
            "t.rrd",
            "--start",
            "1300000000",
            "--step",
            "60",
            "DS:v:GAUGE:120:U:U",
            "RRA:AVERAGE:0.5:1:10",
        ],
        vec![
            "update",
            "--daemon",
            "ADDR",
            "t.rrd",
            "1300000060:1",
            "1300000120:2",
        ],
        vec!["update", "--daemon", "ADDR", "/etc/t.rrd", "1300000180:3"],
        vec!["last", "--daemon", "ADDR", "t.rrd"],
        vec![
            "fetch",
            "--daemon",
            "ADDR",
            "t.rrd",
            "AVERAGE",
            "-s",
            "1300000000",
            "-e",
            "1300000180",
        ],
        vec!["flushcached", "--daemon", "ADDR", "t.rrd"],
        vec!["lastupdate", "t.rrd"],
        vec!["update", "--daemon", "127.0.0.1:1", "t.rrd", "1300000240:4"],
    ];
    for words in &script {
        let mut outs = Vec::new();
        for (program, dir, addr) in [("rrdtool", &ta, &aa), (RRD, &tc, &ac)] {
            let args: Vec<String> = words
                .iter()
                .map(|w| {
                    if *w == "ADDR" {
                        addr.clone()
                    } else {
                        (*w).to_string()
                    }
                })
                .collect();
            let out = run_line(program, &dir.join("base"), &[], &args);
            outs.push(out.replace(addr.as_str(), "ADDR"));
        }
        assert_eq!(outs[0], outs[1], "rrd {}", words.join(" "));
    }
}
