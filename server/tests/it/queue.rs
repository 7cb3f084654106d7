//! The write-behind queue: records journaled before the answer, written to
//! their files in batches, before a chart reads them, and after a kill.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use rrd_core::{ConsolidationFn, FetchRequest, OpenMode, Rrd};

use crate::ingest::{assert_like_rrdtool, named, random_records};
use crate::{have_rrdtool, lines, q, Harness, NOW, TOKEN};

async fn status(h: &Harness) -> serde_json::Value {
    let r = h
        .send(
            Request::get("/api/ingest/status")
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn last_up(h: &Harness, rel: &str) -> i64 {
    Rrd::open(h.metrics().join(rel), OpenMode::ReadOnly)
        .unwrap()
        .header()
        .last_up
}

#[tokio::test]
async fn charts_show_records_still_waiting() {
    let h = Harness::new("waiting");
    let recs: Vec<(i64, &str, f64)> = (0..12)
        .map(|k| (NOW - 3300 + 300 * k, "//h/cpu", 10.0 * k as f64))
        .collect();
    let r = h.ingest(&lines(&recs)).await;
    assert_eq!(r.json()["written"], 12);
    // the file is made, but nothing is written to it yet
    let start = NOW - 3600;
    assert_eq!(last_up(&h, "test/h/cpu.rrd"), start);
    let st = status(&h).await;
    assert_eq!(
        (st["pending"].as_u64(), st["files_pending"].as_u64()),
        (Some(12), Some(1)),
        "{st}"
    );
    // the status needs a token
    let r = h.get("/api/ingest/status", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // a chart of the series writes it first and shows every value
    let j = h
        .get(
            &format!("/metrics/jim/p/show.json?{}", q(&[("data0", "test/h/cpu")])),
            Some("jim"),
        )
        .await
        .json();
    let shown: Vec<f64> = j["data"]["series"][0]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert!(shown.len() >= 11, "{shown:?}");
    assert!(
        shown.iter().all(|v| recs.iter().any(|r| r.2 == *v)),
        "{shown:?}"
    );
    assert!(shown.contains(&100.0), "{shown:?}");
    assert_eq!(last_up(&h, "test/h/cpu.rrd"), NOW);
    assert_eq!(status(&h).await["pending"], 0);
}

#[tokio::test]
async fn write_through_when_there_is_no_delay() {
    let h = Harness::with("through", |c| c.ingest.write_behind_seconds = 0);
    let r = h
        .ingest(&lines(&[(NOW - 300, "//h/x", 1.0), (NOW, "//h/x", 2.0)]))
        .await;
    assert_eq!(r.json()["written"], 2);
    assert_eq!(last_up(&h, "test/h/x.rrd"), NOW);
    let st = status(&h).await;
    assert_eq!(
        (st["pending"].as_u64(), st["flushed"].as_u64()),
        (Some(0), Some(2))
    );
}

#[tokio::test]
async fn the_backlog_is_bounded() {
    let h = Harness::with("backlog", |c| c.ingest.max_pending = 10);
    let recs = |n: usize, t: i64| -> String {
        let names: Vec<String> = (0..n).map(|k| format!("//h/n{k}")).collect();
        lines(
            &names
                .iter()
                .map(|s| (t, s.as_str(), 1.0))
                .collect::<Vec<_>>(),
        )
    };
    let r = h.ingest(&recs(11, NOW - 600)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert!(r.text().contains("backlog"), "{}", r.text());
    assert!(!h.metrics().join("test").exists(), "nothing taken");
    let r = h.ingest(&recs(10, NOW - 600)).await;
    assert_eq!(r.json()["written"], 10);
    // past half the bound the flusher starts at once, not a minute later
    let t = std::time::Instant::now();
    loop {
        let st = status(&h).await;
        if st["pending"] == 0 {
            assert_eq!(st["flushed"], 10, "{st}");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "{st}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = h.ingest(&recs(1, NOW - 300)).await;
    assert_eq!(r.json()["written"], 1);
}

/// Kills (without a flush) after the first request, lets a chart write part
/// of the second, kills again after the third: every acknowledged record is
/// in the file once, exactly as rrdtool makes it from the same records.
#[tokio::test]
async fn a_restart_replays_the_journal_once() {
    if !have_rrdtool() {
        return;
    }
    let mut h = Harness::new("replay");
    let recs = random_records(777, 900);
    let written = |r: &crate::Answer| r.json()["written"].as_u64().unwrap();

    let first = written(&h.ingest(&lines(&named(&recs[..300]))).await);
    h.restart();
    assert_eq!(status(&h).await["replayed"].as_u64(), Some(first));

    h.ingest(&lines(&named(&recs[300..600]))).await;
    let r = h
        .get(
            &format!(
                "/metrics/jim/p/show.png?{}",
                q(&[("data0", "test/host.example.com/check/m")])
            ),
            Some("jim"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let third = written(&h.ingest(&lines(&named(&recs[600..]))).await);
    h.restart();
    // the second request's records were in the file: not replayed
    assert_eq!(status(&h).await["replayed"].as_u64(), Some(third));
    let st = h.flush().await;
    assert_eq!(st["dropped"], 0, "{st}");
    assert_like_rrdtool(&h, &recs);
}

/// Concurrent requests for one file: the journal holds its records in the
/// order they were given their times, so a replay takes every one.
#[tokio::test]
async fn concurrent_requests_replay_whole() {
    let mut h = Harness::new("concurrent");
    let t0 = NOW - 86_400;
    let mut tasks = Vec::new();
    for r in 0..8i64 {
        let state = h.state.clone();
        tasks.push(tokio::spawn(async move {
            let recs: Vec<(i64, &str, f64)> = (0..50)
                .map(|i| (t0 + 300 * (r + 8 * i), "//h/busy", (r * 100 + i) as f64))
                .collect();
            let body = axum::body::Bytes::from(lines(&recs));
            rrd_server::ingest::ingest_body(&state, "test", body)
                .await
                .unwrap()
                .written
        }));
    }
    let mut written = 0;
    for t in tasks {
        written += t.await.unwrap() as u64;
    }
    assert!(written >= 50, "{written}");
    h.restart();
    let st = status(&h).await;
    assert_eq!(st["replayed"].as_u64(), Some(written), "{st}");
    assert_eq!(st["dropped"], 0, "{st}");
}

/// A file removed while records wait loses them; made again by older
/// records, it gets only those, also after a replay.
#[tokio::test]
async fn a_removed_file_is_not_resurrected_by_a_replay() {
    let mut h = Harness::new("removed");
    h.ingest(&lines(&[(NOW - 300, "//h/gone", 1.0)])).await;
    h.ingest(&lines(&[(NOW, "//h/gone", 2.0)])).await;
    // removed under the queue
    std::fs::remove_file(h.metrics().join("test/h/gone.rrd")).unwrap();
    // a chart's flush (the call graphs::flush_waiting makes) finds it
    // gone: dropped, outside a cycle, so the segment stays
    h.state.queue.flush_files(["test/h/gone"]);
    let st = status(&h).await;
    assert_eq!(
        (st["dropped"].as_u64(), st["cycles"].as_u64()),
        (Some(2), Some(0)),
        "{st}"
    );
    // older records make it again
    let r = h.ingest(&lines(&[(NOW - 3000, "//h/gone", 3.0)])).await;
    assert_eq!(r.json()["written"], 1);
    h.restart();
    assert_eq!(status(&h).await["replayed"], 1);
    assert_eq!(last_up(&h, "test/h/gone.rrd"), NOW - 3000);
}

/// One HTTP/1.1 request on a fresh connection; status and body.
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map_or("", |p| p.1).to_string();
    Ok((status, body))
}

/// The server process, killed (SIGKILL) when dropped, also when a test
/// fails.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(config: &std::path::Path, addr: SocketAddr) -> Server {
    let child = Server(
        std::process::Command::new(env!("CARGO_BIN_EXE_rrd-server"))
            .arg("--config")
            .arg(config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let t = Instant::now();
    while http(addr, "GET", "/healthz", "").map_or(0, |r| r.0) != 200 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "rrd-server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The real binary, killed with SIGKILL while everything it acknowledged
/// waits in memory: restarted, it has written every record.
#[test]
fn a_sigkill_loses_nothing_acknowledged() {
    let dir = crate::tempdir("sigkill");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let config = dir.join("server.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"{addr}\"\ndata_dir = \"{}\"\ntimezone = \"UTC\"\n\
             [ingest]\nwrite_behind_seconds = 3600\n\
             [[ingest.tokens]]\ntoken = \"{TOKEN}\"\nsource = \"test\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let server = start_server(&config, addr);
    // 3 requests × 40 series × 4 points, five minutes apart
    let t0 = 1_700_000_100;
    let mut acknowledged = 0;
    for r in 0..3i64 {
        let mut recs = Vec::new();
        let names: Vec<String> = (0..40).map(|k| format!("//h{}/m{k}", k % 4)).collect();
        for p in 0..4 {
            for n in &names {
                recs.push((t0 + 300 * (4 * r + p), n.as_str(), (r * 4 + p) as f64));
            }
        }
        let (status, body) = http(addr, "POST", "/api/ingest", &lines(&recs)).unwrap();
        assert_eq!(status, 200, "{body}");
        let j: serde_json::Value = serde_json::from_str(&body).unwrap();
        acknowledged += j["written"].as_u64().unwrap();
    }
    assert_eq!(acknowledged, 480);
    drop(server); // SIGKILL
    let file = |k: usize| dir.join(format!("metrics/test/h{}/m{k}.rrd", k % 4));
    let start = (t0 - 60).div_euclid(300) * 300;
    for k in 0..40 {
        let h = Rrd::open(file(k), OpenMode::ReadOnly).unwrap();
        assert_eq!(
            h.header().last_up,
            start,
            "nothing was written before the kill"
        );
    }

    let server = start_server(&config, addr);
    let (_, body) = http(addr, "GET", "/api/ingest/status", "").unwrap();
    let st: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(st["replayed"].as_u64(), Some(acknowledged), "{st}");
    for k in 0..40 {
        let rrd = Rrd::open(file(k), OpenMode::ReadOnly).unwrap();
        assert_eq!(rrd.header().last_up, t0 + 300 * 11);
        let f = rrd
            .fetch(&FetchRequest {
                cf: ConsolidationFn::Average,
                start,
                end: t0 + 300 * 11,
                resolution: 300,
            })
            .unwrap();
        let known: Vec<f64> = f.values.iter().copied().filter(|v| !v.is_nan()).collect();
        assert_eq!(known, (0..12).map(f64::from).collect::<Vec<_>>(), "{k}");
    }
    // the replayed segments are gone; one empty segment is left
    let segs: Vec<_> = std::fs::read_dir(dir.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(segs.len(), 1, "{segs:?}");
    assert_eq!(std::fs::metadata(&segs[0]).unwrap().len(), 0);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
