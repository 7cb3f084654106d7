//! `--demo`: the generator feeds the real endpoint over HTTP, and every
//! chart of the demo pages draws.

use axum::http::StatusCode;

use crate::{serve, Harness, NOW, TOKEN};

#[test]
fn the_demo_pages_draw_from_generated_data() {
    let h = Harness::new("demo");
    rrd_server::demo::pages(&*h.state.store, "dev", "test").unwrap();
    let addr = serve(&h);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(rrd_server::demo::generate(
        addr,
        TOKEN.into(),
        || NOW,
        4,
        false,
    ))
    .unwrap();
    let snap = h.state.catalogue.snapshot();
    assert_eq!(snap.series.len(), 42, "seven hosts, six checks");
    let mut drawn = 0;
    for (owner, page) in [("dev", "default"), ("dev", "ops"), ("alice", "databases")] {
        for (id, params) in h.state.store.load("metrics", owner, page).unwrap() {
            let mut p = params.clone();
            // four days of history (web4 retired three days ago): look at the last
            p.insert("trail".into(), "24".into());
            let q: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = rt.block_on(h.get(
                &format!("/metrics/{owner}/{page}/show.json?{}", crate::q(&q)),
                Some("dev"),
            ));
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{owner}/{page} chart {id}: {}",
                r.text()
            );
            let j = r.json();
            let series = j["data"]["series"].as_array().unwrap();
            assert!(!series.is_empty());
            for (k, s) in series.iter().enumerate() {
                let known = s
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|v| !v.is_null())
                    .count();
                let retired = j["data"]["legends"][k]
                    .as_str()
                    .unwrap()
                    .contains("retired");
                assert_eq!(
                    known == 0,
                    retired,
                    "{owner}/{page} chart {id} plot {k}: {known} known values"
                );
            }
            drawn += 1;
        }
    }
    assert_eq!(drawn, 6);
}

/// The demo's trace logs, read by the server's collector, fill every chart
/// of the demo's trace-log page.
#[tokio::test]
async fn the_demo_trace_log_page_draws_from_generated_logs() {
    let logs = crate::tempdir("demo-logs");
    let tz = jiff::tz::TimeZone::get("US/Eastern").unwrap();
    let lines = rrd_server::demo::tracelog_lines(NOW - 86_400, NOW, &tz, 1);
    let mut text = std::collections::BTreeMap::<String, String>::new();
    for (_, day, line) in &lines {
        let t = text.entry(day.clone()).or_default();
        t.push_str(line);
        t.push('\n');
    }
    for (day, t) in &text {
        std::fs::write(logs.join(format!("{day}-z4m.log")), t).unwrap();
    }
    std::fs::write(logs.join("9999-12-31-z4m.log"), "").unwrap();
    let h = Harness::with("demo-tl", |c| {
        c.tracelogs.logs = Some(logs.clone());
        c.tracelogs.poll_seconds = 1;
    });
    let t0 = std::time::Instant::now();
    loop {
        let st = h.get("/tracelogs/status.json", Some("dev")).await.json();
        if st["counters"]["lines"] == lines.len() {
            assert_eq!(st["counters"]["skipped"], serde_json::json!({}), "{st}");
            break;
        }
        assert!(t0.elapsed().as_secs() < 60, "{st}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    rrd_server::demo::tracelog_pages(&*h.state.store, "dev").unwrap();
    let charts = h.state.store.load("definitions", "dev", "default").unwrap();
    assert_eq!(charts.len(), 4);
    for (id, params) in charts {
        let q: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = h
            .get(
                &format!("/dev/default/show.json?{}", crate::q(&q)),
                Some("dev"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "chart {id}: {}", r.text());
        let j = r.json();
        for (k, s) in j["data"]["series"].as_array().unwrap().iter().enumerate() {
            let legend = j["data"]["legends"][k].as_str().unwrap_or("");
            let known = s
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| !v.is_null())
                .count();
            // restarts are single points; every other line has values
            if !legend.contains("start") {
                assert!(
                    known > 10,
                    "chart {id} plot {k} ({legend}): {known} known values"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(logs);
}
