//! rrd-server past one machine, on one machine, on loopback: three web
//! nodes and two Kinesis collectors (all `rrd-server` processes) sharing a
//! PostgreSQL database, two storage daemons (`rrd-server storage-node`),
//! kinesalite with a four-shard stream. A producer puts metric records at
//! a steady rate, clients ask the web nodes for graphs through a small
//! load balancer of their own (the next node when one fails) and save
//! pages. One web node, one collector and one storage daemon are killed
//! (`kill -9`) in turn and started again.
//!
//! Checked: every record Kinesis acknowledged is in its file with its
//! value, every page a web node acknowledged is served by every web node,
//! graphs are served in every phase, and a killed collector's shards are
//! read by the other within the lease time. Throughput and latency
//! percentiles are printed per phase; the last line is
//! `cluster: A acknowledged, L lost, F faults, G graphs served`.
//!
//! `cargo test --release -p rrd-server --features postgres --test cluster`
//! (CI runs it in its debug build of the same features).

// shared with the integration tests, which use more of them
#[allow(dead_code)]
#[path = "support/daemon.rs"]
mod daemon;
#[allow(dead_code)]
#[path = "support/kinesalite.rs"]
mod kinesalite;
#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use daemon::{free_port, Daemon, Kind};
use kinesalite::Kinesalite;
use postgres::Postgres;
use rrd_server::kinesis::api::{Client, Credentials};
use rrd_server::storage::Ring;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_rrd-server");
const SERIES: usize = 40;
const SHARDS: u32 = 4;
/// Seconds a lease lasts: a killed collector's shards move within this
/// (and a renewal round).
const LEASE_SECONDS: f64 = 3.0;
/// The producer's pace: one record for every series per tick.
const TICK: Duration = Duration::from_millis(100);

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rrd-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An `rrd-server` process: a web node or a collector.
struct Node {
    name: String,
    config: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Node {
    fn new(name: &str, dir: &Path, common: &str, extra: &str) -> Node {
        let port = free_port();
        let data = dir.join(name);
        std::fs::create_dir_all(&data).unwrap();
        let config = data.join("rrd-server.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\ntimezone = \"UTC\"\n{common}\n{extra}\n",
                data.join("data").display()
            ),
        )
        .unwrap();
        let mut n = Node {
            name: name.to_string(),
            config,
            port,
            child: None,
        };
        n.start();
        n
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.config.with_file_name("log"))
            .unwrap();
        self.child = Some(
            Command::new(BIN)
                .arg("--config")
                .arg(&self.config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("starting rrd-server"),
        );
        let t = Instant::now();
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let _ = s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n");
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                if out.contains("200 OK") {
                    return;
                }
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "{} did not start: {}",
                self.name,
                std::fs::read_to_string(self.config.with_file_name("log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One graph request's outcome.
struct Sample {
    phase: usize,
    ms: f64,
    ok: bool,
}

/// What the load threads share.
struct Load {
    stop: AtomicBool,
    phase: AtomicU64,
    /// Web node URLs, `None` while killed (the balancer's health view).
    web: Mutex<Vec<String>>,
    samples: Mutex<Vec<Sample>>,
    /// Records Kinesis acknowledged: series → (time, value).
    acked: Mutex<BTreeMap<usize, Vec<(i64, f64)>>>,
    acked_per_phase: Mutex<Vec<u64>>,
    /// Pages a web node acknowledged: (user, page, data0).
    pages: Mutex<Vec<(String, String, String)>>,
    cookie: String,
    csrf: String,
}

fn series_name(s: usize) -> String {
    format!("//host{}.example.com/check/metric{s}", s % 5)
}

fn series_id(s: usize) -> String {
    format!("cimaa/host{}.example.com/check/metric{s}", s % 5)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn cluster() {
    let dir = tempdir();
    let Some(pg) = Postgres::start("cluster") else {
        return;
    };
    let Some(k) = Kinesalite::start(&dir.join("kinesalite"), 0) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let kc = Client::new(
        Some(&k.endpoint()),
        "us-east-1",
        Credentials {
            access_key_id: "AKIDTEST".into(),
            secret_access_key: "test-secret".into(),
            session_token: None,
        },
    )
    .unwrap();
    rt.block_on(kc.call_json(
        "CreateStream",
        json!({"StreamName": "cluster", "ShardCount": SHARDS}),
    ))
    .unwrap();
    let url = pg.database("cluster");
    let mut stores = [
        Daemon::start(Kind::Ours, &dir.join("s0")),
        Daemon::start(Kind::Ours, &dir.join("s1")),
    ];
    let common = format!(
        "database = \"{url}\"\n[storage]\nnodes = [{{ name = \"s0\", address = \"{}\" }}, {{ name = \"s1\", address = \"{}\" }}]\n",
        stores[0].address, stores[1].address
    );
    let kinesis = format!(
        "[kinesis]\nstream = \"cluster\"\nendpoint = \"{}\"\naccess_key_id = \"AKIDTEST\"\nsecret_access_key = \"test-secret\"\npoll_seconds = 0.05\nread_interval_ms = 0\nlist_seconds = 2\nlimit = 500\nlease_seconds = {LEASE_SECONDS}\n",
        k.endpoint()
    );
    let mut web: Vec<Node> = (0..3)
        .map(|i| Node::new(&format!("web{i}"), &dir, &common, ""))
        .collect();
    let mut collectors: Vec<Node> = (0..2)
        .map(|i| Node::new(&format!("collector{i}"), &dir, &common, &kinesis))
        .collect();
    // the nodes' shared session key: a login on one is a login on all
    let key = pg
        .sql(
            "cluster",
            "SELECT value FROM settings WHERE name = 'session_key'",
        )
        .trim()
        .to_string();
    assert!(key.len() >= 32, "no shared session key: {key:?}");
    let sessions = rrd_server::auth::Sessions::new(key.into_bytes(), 86_400, false);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let email = "ops@example.com";
    let load = Arc::new(Load {
        stop: AtomicBool::new(false),
        phase: AtomicU64::new(0),
        web: Mutex::new(web.iter().map(Node::url).collect()),
        samples: Mutex::new(Vec::new()),
        acked: Mutex::new(BTreeMap::new()),
        acked_per_phase: Mutex::new(vec![0; 16]),
        pages: Mutex::new(Vec::new()),
        cookie: format!("rrd_session={}", sessions.mint(email, now)),
        csrf: sessions.csrf(email),
    });
    // record times: aligned, three days back, one step per tick
    let t0 = (now - 3 * 86_400) / 300 * 300;
    let ring = Ring::new(&[
        ("s0".into(), stores[0].address.clone()),
        ("s1".into(), stores[1].address.clone()),
    ])
    .unwrap();

    // the producer: PutRecords of every series each tick; acknowledged
    // records are what must arrive
    let producer = {
        let load = load.clone();
        let kc = kc.clone();
        let handle = rt.handle().clone();
        std::thread::spawn(move || {
            let mut tick = 0i64;
            let mut next = Instant::now();
            while !load.stop.load(Ordering::Relaxed) {
                tick += 1;
                let ts = t0 + tick * 300;
                let recs: Vec<serde_json::Value> = (0..SERIES)
                    .map(|s| {
                        let v = ((tick * 7 + s as i64 * 13) % 1000) as f64 / 4.0;
                        let data = json!({"timestamp": ts, "name": series_name(s), "value": v, "units": "x"});
                        json!({"PartitionKey": series_name(s),
                               "Data": base64::engine::general_purpose::STANDARD.encode(data.to_string())})
                    })
                    .collect();
                let r = handle.block_on(kc.call_json(
                    "PutRecords",
                    json!({"StreamName": "cluster", "Records": recs}),
                ));
                match r {
                    Ok(r) if r["FailedRecordCount"] == 0 => {
                        let mut acked = load.acked.lock().unwrap();
                        for s in 0..SERIES {
                            let v = ((tick * 7 + s as i64 * 13) % 1000) as f64 / 4.0;
                            acked.entry(s).or_default().push((ts, v));
                        }
                        load.acked_per_phase.lock().unwrap()
                            [load.phase.load(Ordering::Relaxed) as usize] += SERIES as u64;
                    }
                    // not acknowledged: tried again as a later tick
                    _ => {}
                }
                next += TICK;
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        })
    };

    // graph clients: a chart of one series and an aggregate of several,
    // through whichever web node answers (the next on failure)
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    // once every series is listed by every web node (they list the
    // storage nodes' files every catalogue::RING_TTL)
    let t = Instant::now();
    for node in &web {
        for s in 0..SERIES {
            loop {
                let ok = rt.block_on(async {
                    http.get(format!(
                        "{}/metrics/ops/p/show.png?data0={}",
                        node.url(),
                        series_id(s)
                    ))
                    .header("cookie", &load.cookie)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
                });
                if ok {
                    break;
                }
                assert!(
                    t.elapsed() < Duration::from_secs(60),
                    "{} does not draw {}",
                    node.name,
                    series_id(s)
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
    let warm_up = t.elapsed();
    let clients: Vec<_> = (0..3)
        .map(|c| {
            let load = load.clone();
            let http = http.clone();
            rt.spawn(async move {
                let mut k = c;
                while !load.stop.load(Ordering::Relaxed) {
                    k += 1;
                    let s = k % SERIES;
                    // every other chart one series, the others an
                    // aggregate of three (likely on both storage nodes)
                    let q = if k % 2 == 0 {
                        format!(
                            "data0={}&trail=30&width={}",
                            series_id(s),
                            400 + (k % 7) * 10
                        )
                    } else {
                        format!(
                            "data0={}&data1={}%7C{}%7C%7Caverage%7Ca%7Cb%7C%7C&trail=30&width={}",
                            series_id(s),
                            series_id((s + 1) % SERIES),
                            series_id((s + 2) % SERIES),
                            400 + (k % 7) * 10
                        )
                    };
                    let nodes = load.web.lock().unwrap().clone();
                    let first = k % nodes.len();
                    for i in 0..nodes.len() {
                        let node = &nodes[(first + i) % nodes.len()];
                        let t = Instant::now();
                        let r = http
                            .get(format!("{node}/metrics/ops/p/show.png?{q}"))
                            .header("cookie", &load.cookie)
                            .send()
                            .await;
                        let ok = match r {
                            Ok(r) if r.status() == 200 => {
                                r.bytes().await.is_ok_and(|b| b.starts_with(b"\x89PNG"))
                            }
                            _ => false,
                        };
                        load.samples.lock().unwrap().push(Sample {
                            phase: load.phase.load(Ordering::Relaxed) as usize,
                            ms: t.elapsed().as_secs_f64() * 1000.0,
                            ok,
                        });
                        if ok {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    // a page saver: a new page every half second through some web node
    let saver = {
        let load = load.clone();
        let http = http.clone();
        rt.spawn(async move {
            let mut k = 0usize;
            while !load.stop.load(Ordering::Relaxed) {
                k += 1;
                let nodes = load.web.lock().unwrap().clone();
                let node = &nodes[k % nodes.len()];
                let page = format!("p{k}");
                let data0 = series_id(k % SERIES);
                let r = http
                    .post(format!("{node}/metrics/ops/{page}/chart.json"))
                    .header("cookie", &load.cookie)
                    .header("x-csrf-token", &load.csrf)
                    .header("content-type", "application/json")
                    .body(
                        json!({"imgid": "1", "params": {"data0": data0, "generation": "1"}})
                            .to_string(),
                    )
                    .send()
                    .await;
                if let Ok(r) = r {
                    if r.status() == 200 {
                        let j: serde_json::Value = r
                            .bytes()
                            .await
                            .ok()
                            .and_then(|b| serde_json::from_slice(&b).ok())
                            .unwrap_or_default();
                        if j["stored"] == true {
                            load.pages.lock().unwrap().push(("ops".into(), page, data0));
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };

    let phases = Mutex::new(vec!["warm-up".to_string()]);
    let next_phase = |name: &str| {
        let mut p = phases.lock().unwrap();
        p.push(name.to_string());
        load.phase.store((p.len() - 1) as u64, Ordering::Relaxed);
    };
    let hold = Duration::from_secs(3);
    next_phase("steady");
    std::thread::sleep(hold);
    let mut faults = 0;

    // 1. a web node
    next_phase("web1 killed");
    load.web.lock().unwrap().retain(|u| *u != web[1].url());
    // the balancer notices a dead node by its failures; the list above is
    // only its view for new requests
    web[1].kill();
    faults += 1;
    std::thread::sleep(hold);
    next_phase("web1 restarted");
    web[1].start();
    *load.web.lock().unwrap() = web.iter().map(Node::url).collect();
    std::thread::sleep(hold);

    // 2. a collector: its shards move to the other within the lease
    next_phase("collector0 killed");
    collectors[0].kill();
    faults += 1;
    let killed = Instant::now();
    let status = |n: &Node| -> serde_json::Value {
        rt.block_on(async {
            match http
                .get(format!("{}/kinesis/status.json", n.url()))
                .header("cookie", &load.cookie)
                .send()
                .await
            {
                Ok(r) => r
                    .bytes()
                    .await
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or_default(),
                Err(_) => serde_json::Value::Null,
            }
        })
    };
    let reading = |j: &serde_json::Value| {
        j["shards"].as_object().map_or(0, |m| {
            m.values().filter(|s| s["state"] == "reading").count()
        })
    };
    while reading(&status(&collectors[1])) < SHARDS as usize {
        assert!(
            killed.elapsed() < Duration::from_secs_f64(LEASE_SECONDS * 3.0),
            "the shards did not move: {}",
            status(&collectors[1])
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // reported, not asserted: a timing (the loop above only bounds the wait)
    let moved = killed.elapsed();
    std::thread::sleep(hold.saturating_sub(moved));
    next_phase("collector0 restarted");
    collectors[0].start();
    let t = Instant::now();
    while reading(&status(&collectors[0])) == 0 && t.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let rebalanced = t.elapsed();
    std::thread::sleep(hold);

    // 3. a storage daemon: its series wait in the collectors, and their
    // graphs fail, until it is back; the others' go on
    next_phase("storage s0 killed");
    stores[0].kill();
    faults += 1;
    std::thread::sleep(hold);
    next_phase("storage s0 restarted");
    stores[0].restart();
    std::thread::sleep(hold);

    next_phase("drain");
    load.stop.store(true, Ordering::Relaxed);
    producer.join().unwrap();
    for c in clients {
        rt.block_on(c).unwrap();
    }
    rt.block_on(saver).unwrap();

    // every acknowledged record arrives: wait until each series' last one
    // is in, then compare every value
    let acked = load.acked.lock().unwrap().clone();
    let a: usize = acked.values().map(Vec::len).sum();
    let t = Instant::now();
    for (s, recs) in &acked {
        let file = format!("{}.rrd", series_id(*s));
        let want = recs.last().unwrap().0;
        loop {
            let last = ring.node_of(&file).last(&file).ok().flatten();
            if last == Some(want) {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(90),
                "{file}: last update {last:?}, want {want}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let caught_up = t.elapsed();
    let mut lost = 0usize;
    for (s, recs) in &acked {
        let file = format!("{}.rrd", series_id(*s));
        let (first, last) = (recs[0].0, recs.last().unwrap().0);
        let f = ring
            .node_of(&file)
            .fetch(&file, "AVERAGE", first - 300, last)
            .unwrap();
        assert_eq!(f.step, 300);
        for &(ts, v) in recs.iter().skip(1) {
            let row = ((ts - f.start) / 300 - 1) as usize;
            let got = (row < f.rows)
                .then(|| f.row(row))
                .map(|(t, vals)| (t, vals[0]));
            if got != Some((ts, v)) {
                lost += 1;
                if lost <= 5 {
                    eprintln!("lost: {file} at {ts}: want {v}, have {got:?}");
                }
            }
        }
    }
    // every acknowledged page, from every web node
    let pages = load.pages.lock().unwrap().clone();
    let mut pages_lost = 0;
    for node in &web {
        for (user, page, data0) in &pages {
            let j: serde_json::Value = rt.block_on(async {
                let b = http
                    .get(format!("{}/metrics/{user}/{page}/load.json", node.url()))
                    .header("cookie", &load.cookie)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                serde_json::from_slice(&b).unwrap()
            });
            if j["charts"][0]["data0"] != data0.as_str() {
                pages_lost += 1;
            }
        }
    }

    // the report
    let names = phases.lock().unwrap().clone();
    let samples = load.samples.lock().unwrap();
    let acked_per_phase = load.acked_per_phase.lock().unwrap().clone();
    eprintln!(
        "{:<22} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>10}",
        "phase", "graphs", "failures", "graphs/s", "p50 ms", "p90 ms", "p99 ms", "records"
    );
    let mut served = 0usize;
    for (p, name) in names.iter().enumerate() {
        let mut ms: Vec<f64> = samples
            .iter()
            .filter(|s| s.phase == p && s.ok)
            .map(|s| s.ms)
            .collect();
        ms.sort_by(f64::total_cmp);
        let failed = samples.iter().filter(|s| s.phase == p && !s.ok).count();
        served += ms.len();
        let secs = match name.as_str() {
            "drain" => 1.0,
            "warm-up" => warm_up.as_secs_f64(),
            _ => hold.as_secs_f64(),
        };
        eprintln!(
            "{name:<22} {:>8} {failed:>8} {:>8.1} {:>9.1} {:>9.1} {:>9.1} {:>10}",
            ms.len(),
            ms.len() as f64 / secs,
            percentile(&ms, 0.5),
            percentile(&ms, 0.9),
            percentile(&ms, 0.99),
            acked_per_phase[p]
        );
        if name != "drain" && name != "warm-up" {
            assert!(!ms.is_empty(), "no graph served while {name}");
        }
    }
    eprintln!(
        "warm-up {warm_up:?}; shards moved {moved:?} after the collector's kill (lease {LEASE_SECONDS} s); the restarted collector read again after {rebalanced:?}; all records in {caught_up:?} after the producer stopped; {} pages saved, {pages_lost} missing",
        pages.len()
    );
    assert!(pages.len() > 10, "pages were saved");
    assert_eq!(pages_lost, 0, "pages lost");
    assert_eq!(lost, 0, "acknowledged records lost");
    drop(collectors);
    drop(web);
    for s in &mut stores {
        s.stop();
    }
    eprintln!("cluster: {a} acknowledged, {lost} lost, {faults} faults, {served} graphs served");
    let _ = std::fs::remove_dir_all(&dir);
}
