//! Real syslog-ng end to end: Debian's syslog-ng, started in the
//! foreground with the configuration in server/tests/syslog-ng, receives
//! trace-log lines over TCP and UDP from several hosts and writes the
//! date-named files; `rrd-server collect-tracelogs` tails the directory;
//! the RRD files equal the independent model's over the same lines.

use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tracelog::{assert_files_like_model, generate};
use crate::tracelog_model::Model;
use crate::{have_rrdtool, in_ci};

/// A child process killed when dropped (also when a test fails).
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have_syslog_ng() -> bool {
    let ok = Command::new("syslog-ng")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !in_ci(),
            "syslog-ng is not installed, and CI must run the trace-log end-to-end test (apt-get install syslog-ng-core)"
        );
        eprintln!("syslog-ng is not installed: the trace-log end-to-end test does not run");
    }
    ok
}

fn free_port() -> u16 {
    let t = TcpListener::bind("127.0.0.1:0").unwrap();
    let p = t.local_addr().unwrap().port();
    // the same number must be free for UDP too
    UdpSocket::bind(("127.0.0.1", p))
        .map(|_| p)
        .unwrap_or_else(|_| free_port())
}

/// An RFC 5424 message: the host, the customer as app-name, the trace-log
/// line (instance first) as the message; stamped with the line's own
/// local date and time, so syslog-ng (in UTC) files it under that date.
fn rfc5424(line: &str) -> String {
    let mut tok = line.split_whitespace();
    let (host, customer) = (tok.next().unwrap(), tok.next().unwrap());
    let rest: Vec<&str> = tok.filter(|t| *t != ":").collect();
    let date = rest[3];
    let time = &rest[4][..8];
    format!(
        "<134>1 {date}T{time}Z {host} {customer} - - - {}",
        rest.join(" ")
    )
}

fn count_lines(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with("-z4m.log"))
                .map(|e| {
                    std::fs::read(e.path()).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
                })
                .sum()
        })
        .unwrap_or(0)
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn syslog_ng_to_the_collector_to_rrd_files() {
    if !have_syslog_ng() || !have_rrdtool() {
        return;
    }
    let base = crate::tempdir("syslog");
    let logs = base.join("logs");
    let rrd = base.join("rrd");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(&rrd).unwrap();
    let (tcp, udp) = (free_port(), free_port());
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/syslog-ng/tracelogs.conf");
    let _syslog = Proc(
        Command::new("syslog-ng")
            .args(["-F", "--no-caps", "-f"])
            .arg(&conf)
            .arg("-R")
            .arg(base.join("persist"))
            .arg("-p")
            .arg(base.join("pid"))
            .arg("-c")
            .arg(base.join("ctl"))
            .env("TZ", "UTC")
            .env("TRACELOG_DIR", &logs)
            .env("TRACELOG_TCP_PORT", tcp.to_string())
            .env("TRACELOG_UDP_PORT", udp.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting syslog-ng"),
    );
    wait_for("syslog-ng to listen", 20, || {
        TcpStream::connect(("127.0.0.1", tcp)).is_ok()
    });
    // the collector tails the directory from the start
    let _collector = Proc(
        Command::new(env!("CARGO_BIN_EXE_rrd-server"))
            .args([
                "collect-tracelogs",
                "--tz",
                "US/Eastern",
                "--poll",
                "1",
                "--logs",
            ])
            .arg(&logs)
            .arg("--rrd")
            .arg(&rrd)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // an hour across midnight from four instances on two hosts: app1's
    // lines over TCP (octet-counted frames), app2's over UDP (a datagram
    // each), so each instance's lines keep their order
    let lines: Vec<String> = generate(31, "2024-06-01T23:30:00", 1)
        .into_iter()
        .map(|(_, l)| {
            l.split_whitespace()
                .filter(|t| *t != ":")
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let mut model = Model::new("US/Eastern");
    for l in &lines {
        model.line(l);
    }
    let mut stream = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut sent = 0;
    // one day, then the next, so that the first file is whole before the
    // collector sees a later one and takes it as finished
    for day in ["2024-06-01", "2024-06-02"] {
        let mut udp_n = 0;
        for l in lines.iter().filter(|l| l.contains(day)) {
            let m = rfc5424(l);
            if l.starts_with("app1 ") {
                write!(stream, "{} {m}", m.len()).unwrap();
            } else {
                sock.send_to(m.as_bytes(), ("127.0.0.1", udp)).unwrap();
                udp_n += 1;
            }
            sent += 1;
            if udp_n == 200 {
                // a window at a time: UDP has no flow control, and a busy
                // machine would let the socket's receive buffer overflow
                udp_n = 0;
                stream.flush().unwrap();
                wait_for("syslog-ng to write a window of lines", 60, || {
                    count_lines(&logs) == sent
                });
            }
        }
        stream.flush().unwrap();
        wait_for("syslog-ng to write every line", 60, || {
            count_lines(&logs) == sent
        });
    }
    assert_eq!(sent, lines.len());
    let files: Vec<String> = {
        let mut v: Vec<String> = std::fs::read_dir(&logs)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(files, ["2024-06-01-z4m.log", "2024-06-02-z4m.log"]);
    // the collector has read every line (its checkpoint says so)
    let cp = rrd.join("logs.tracelog-checkpoint.json");
    wait_for("the collector to read every line", 60, || {
        std::fs::read(&cp)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|j| j["collector"]["counters"]["lines"] == sent)
    });
    drop(_collector);
    let work = base.join("model");
    std::fs::create_dir_all(&work).unwrap();
    let n = assert_files_like_model(&model, &rrd, &work);
    assert_eq!(n, 4);
    eprintln!("syslog-ng end to end: {sent} lines over TCP and UDP, {n} files equal to the model");
    let _ = std::fs::remove_dir_all(&base);
}
