//! Metric files on storage nodes (`[storage]`): ours and C rrdcached side
//! by side, placement by name, the same charts as from local files, a node
//! killed and started again without losing acknowledged records.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use rrd_server::config::StorageNode;

use crate::daemon::{have_c_rrdcached, Daemon, Kind};
use crate::{lines, q, Harness, NOW};

fn nodes(daemons: &[&Daemon]) -> Vec<StorageNode> {
    daemons
        .iter()
        .enumerate()
        .map(|(k, d)| StorageNode {
            name: format!("s{k}"),
            address: d.address.clone(),
        })
        .collect()
}

/// Two days of 40 series, ending at NOW.
fn records() -> Vec<(i64, String, f64)> {
    let mut recs = Vec::new();
    for k in 0..576 {
        let t = NOW - 2 * 86_400 + k * 300;
        for s in 0..40 {
            recs.push((t, format!("//h{s}/cpu"), (s * 7 + k % 50) as f64 * 0.25));
        }
    }
    recs
}

async fn ingest(h: &Harness, recs: &[(i64, String, f64)]) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for chunk in recs.chunks(5000) {
        let v: Vec<(i64, &str, f64)> = chunk.iter().map(|(t, n, v)| (*t, n.as_str(), *v)).collect();
        let r = h.ingest(&lines(&v)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        last = r.json();
    }
    last
}

fn chart(s: usize) -> String {
    q(&[
        ("data0", &format!("test/h{s}/cpu")),
        (
            "data1",
            "test/h1/cpu|test/h2/cpu|test/h3/cpu||average|a|b||",
        ),
        ("trail", "36"),
        ("width", "500"),
    ])
}

#[tokio::test]
async fn series_on_two_kinds_of_nodes_chart_as_local_files_do() {
    if !have_c_rrdcached() {
        return;
    }
    let dir = crate::tempdir("storage-nodes");
    let ours = Daemon::start(Kind::Ours, &dir.join("ours"));
    let theirs = Daemon::start(Kind::C, &dir.join("c"));
    let ring_nodes = nodes(&[&ours, &theirs]);
    let ring = Harness::with("ring", |c| c.storage.nodes = ring_nodes.clone());
    let local = Harness::new("local");
    let recs = records();
    ingest(&ring, &recs).await;
    ingest(&local, &recs).await;
    local.flush().await;

    // every series is listed, each file on the node placement names
    let snap = ring.state.catalogue.snapshot();
    assert_eq!(snap.series.len(), 40);
    let placed = ring.state.catalogue.ring().unwrap();
    let mut per_node = [0usize; 2];
    for s in snap.series.iter() {
        let node = placed.node_of(&s.file);
        let k = placed
            .nodes()
            .iter()
            .position(|n| std::ptr::eq(n, node))
            .unwrap();
        per_node[k] += 1;
        let on = [&ours, &theirs][k].base.join(&s.file);
        let off = [&theirs, &ours][k].base.join(&s.file);
        assert!(on.is_file() && !off.exists(), "{} on {}", s.file, node.name);
    }
    assert!(per_node[0] > 5 && per_node[1] > 5, "{per_node:?}");
    assert!(
        !ring.metrics().join("test").exists(),
        "nothing in the local root"
    );

    // the same data, graph geometry and values as from local files
    for s in [0, 7, 13, 21, 39] {
        let path = format!("/metrics/jim/p/show.json?{}", chart(s));
        let a = ring.get(&path, Some("jim")).await;
        let b = local.get(&path, Some("jim")).await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.header("x-graph-error"));
        let j = a.json();
        // known values in both plots, not an empty chart
        for plot in 0..2 {
            let known = j["data"]["series"][plot]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v.is_number())
                .count();
            assert!(known > 100, "h{s} plot {plot}: {known} known values");
        }
        assert_eq!(j, b.json(), "series h{s}");
        let png = ring
            .get(
                &format!("/metrics/jim/p/show.png?{}", chart(s)),
                Some("jim"),
            )
            .await;
        assert_eq!(
            png.status,
            StatusCode::OK,
            "{:?}",
            png.header("x-graph-error")
        );
    }
}

#[tokio::test]
async fn a_storage_node_killed_and_restarted_loses_nothing_acknowledged() {
    let dir = crate::tempdir("storage-kill");
    let mut a = Daemon::start(Kind::Ours, &dir.join("a"));
    let b = Daemon::start(Kind::Ours, &dir.join("b"));
    let ring_nodes = nodes(&[&a, &b]);
    let h = Harness::with("ring-kill", |c| c.storage.nodes = ring_nodes.clone());
    let recs = records();
    ingest(&h, &recs[..40 * 100]).await;
    a.kill();
    // known series keep being acknowledged while their node is down
    let later: Vec<_> = recs[40 * 100..40 * 200].to_vec();
    let j = ingest(&h, &later).await;
    assert_eq!(j["written"], 4000, "{j}");
    let status = h.state.queue.status();
    assert!(
        status.pending > 0,
        "records for the killed node wait: {status:?}"
    );
    // a new series placed on the dead node is refused whole, nothing taken
    let ring = h.state.catalogue.ring().unwrap().clone();
    let name = (0..)
        .map(|k| format!("new{k}"))
        .find(|n| std::ptr::eq(ring.node_of(&format!("test/{n}.rrd")), &ring.nodes()[0]))
        .unwrap();
    let r = h.ingest(&lines(&[(NOW, &format!("//{name}"), 1.0)])).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    // started again: what waited goes through within seconds
    a.restart();
    let t0 = Instant::now();
    while h.state.queue.status().pending > 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{:?}",
            h.state.queue.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // every acknowledged value is in its file, on both nodes
    for s in 0..40 {
        let file = format!("test/h{s}/cpu.rrd");
        let node = ring.node_of(&file);
        let got = node
            .fetch(
                &file,
                "AVERAGE",
                NOW - 2 * 86_400,
                NOW - 2 * 86_400 + 200 * 300,
            )
            .unwrap();
        let values = got.values;
        let want: Vec<f64> = recs
            .iter()
            .filter(|(_, n, _)| n == &format!("//h{s}/cpu"))
            .take(200)
            .skip(1)
            .map(|(_, _, v)| *v)
            .collect();
        let found = want.iter().filter(|v| values.contains(v)).count();
        assert_eq!(found, want.len(), "h{s} on {}", node.name);
    }
    assert_eq!(h.state.queue.status().dropped, 0);
}

/// Adding a storage node: `storage-plan` lists exactly the files the new
/// node wins (about a third of them, all to it), and the files of a
/// one-machine metrics root each with its node.
#[tokio::test]
async fn a_third_node_takes_only_its_share() {
    let dir = crate::tempdir("storage-plan");
    let a = Daemon::start(Kind::Ours, &dir.join("a"));
    let b = Daemon::start(Kind::Ours, &dir.join("b"));
    let c = Daemon::start(Kind::Ours, &dir.join("c"));
    let h = Harness::with("ring-plan", |cfg| cfg.storage.nodes = nodes(&[&a, &b]));
    let recs: Vec<_> = records().into_iter().take(40 * 3).collect();
    ingest(&h, &recs).await;
    let three = rrd_server::storage::Ring::new(
        &nodes(&[&a, &b, &c])
            .into_iter()
            .map(|n| (n.name, n.address))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let moves = rrd_server::admin::misplaced(&three).unwrap();
    assert!(
        (6..=22).contains(&moves.len()),
        "{} of 40 move",
        moves.len()
    );
    for (from, to, file) in &moves {
        assert_eq!(to, "s2", "{file} moves from {from} to {to}");
        assert_eq!(three.node_of(file).name, "s2");
    }
    // files that stay are not listed
    let two = h.state.catalogue.ring().unwrap();
    assert!(rrd_server::admin::misplaced(two).unwrap().is_empty());

    // a one-machine root, planned for the three nodes
    let local = Harness::new("plan-local");
    ingest(&local, &recs).await;
    local.flush().await;
    let config = dir.join("three.toml");
    let list: Vec<String> = nodes(&[&a, &b, &c])
        .iter()
        .map(|n| format!("{{ name = \"{}\", address = \"{}\" }}", n.name, n.address))
        .collect();
    std::fs::write(
        &config,
        format!("[storage]\nnodes = [{}]\n", list.join(", ")),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_rrd-server"))
        .args(["storage-plan", "--config"])
        .arg(&config)
        .arg("--root")
        .arg(local.metrics())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 40, "{out}");
    for l in lines {
        let (node, file) = l.split_once('\t').unwrap();
        assert_eq!(three.node_of(file).name, node, "{l}");
        assert!(local.metrics().join(file).is_file(), "{l}");
    }
}

/// The trace-log collector on storage nodes: its files go to the nodes
/// (beneath `tracelog/`), and the `/` dashboards draw from them exactly
/// what they draw from local files.
#[tokio::test]
async fn trace_logs_on_storage_nodes_chart_as_local_files_do() {
    let dir = crate::tempdir("storage-tracelogs");
    let a = Daemon::start(Kind::Ours, &dir.join("a"));
    let b = Daemon::start(Kind::Ours, &dir.join("b"));
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let lines = crate::tracelog::generate(51, "2023-12-31T16:00:00", 3);
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(logs.join("2023-12-31-z4m.log"), text).unwrap();
    std::fs::write(logs.join("2024-01-01-z4m.log"), "").unwrap();
    let with_logs = |c: &mut rrd_server::Config| {
        c.tracelogs.logs = Some(logs.clone());
        c.tracelogs.poll_seconds = 1;
    };
    let ring_nodes = nodes(&[&a, &b]);
    let ring = Harness::with("tl-ring", |c| {
        with_logs(c);
        c.storage.nodes = ring_nodes.clone();
    });
    let local = Harness::with("tl-local", with_logs);
    for h in [&ring, &local] {
        let t0 = Instant::now();
        loop {
            let st = h.get("/tracelogs/status.json", Some("jim")).await.json();
            if st["counters"]["lines"] == lines.len() {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "{st}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // the files are on the nodes, by placement
    let placed = ring.state.catalogue.ring().unwrap().clone();
    let mut on_nodes = 0;
    for d in [&a, &b] {
        let tl = d.base.join("tracelog");
        for e in std::fs::read_dir(&tl).into_iter().flatten().flatten() {
            let name = format!("tracelog/{}", e.file_name().to_string_lossy());
            assert_eq!(placed.node_of(&name).address, d.address, "{name}");
            on_nodes += 1;
        }
    }
    let local_files = std::fs::read_dir(local.dir.join("tracelog"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".rrd"))
        .count();
    assert!(
        on_nodes > 3 && on_nodes == local_files,
        "{on_nodes} on the nodes, {local_files} locally"
    );
    // the same instance menu and the same charts
    let menu = "/jim/default/get_instances.json";
    assert_eq!(
        ring.get(menu, Some("jim")).await.json()["customers"],
        local.get(menu, Some("jim")).await.json()["customers"]
    );
    let from = (NOW - 3 * 3600).to_string();
    let until = NOW.to_string();
    for instance in ["app1__acme__instance-8080", "app1__acme__instance-8081"] {
        let path = format!(
            "/jim/p/show.json?{}",
            q(&[("instance", instance), ("from", &from), ("until", &until)])
        );
        let x = ring.get(&path, Some("jim")).await;
        assert_eq!(x.status, StatusCode::OK, "{:?}", x.header("x-graph-error"));
        let x = x.json();
        let known = x["data"]["series"][0]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v.is_number())
            .count();
        assert!(known > 60, "{instance}: {known} known values");
        // `%.12g` values go as text and rrdtool's parser reads some of
        // them an ulp or two off: equal to 1e-12
        let y = local.get(&path, Some("jim")).await.json();
        assert!(close(&x, &y), "{instance}:\n{x}\n{y}");
    }
}

/// JSON equal but for numbers, which may differ by a relative 1e-12.
fn close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(p, q))
        }
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
        }
        _ => a == b,
    }
}
