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
