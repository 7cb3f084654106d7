//! Hostile input: each a clear 4xx, nothing written, everything escaped.

use serde_json::json;

use axum::http::StatusCode;

use crate::{lines, q, Harness, NOW};

#[tokio::test]
async fn xss_in_legends_titles_and_names_is_escaped() {
    let h = Harness::new("xss");
    let evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>";
    let r = h
        .post(
            "/metrics/jim/p/chart.json",
            "jim",
            json!({"imgid": "1", "params": {"data0": "x", "legend0": evil, "title": evil}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = h.get("/metrics/jim/p/", Some("ann")).await;
    let html = page.text();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains("\\u003c/script\\u003e"),
        "the JSON is escaped for its script element"
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    // page names that could carry markup never reach a page
    for bad in ["%3Cscript%3E", "a%22b", "..", ".x"] {
        let r = h.get(&format!("/metrics/jim/{bad}/"), Some("jim")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(!r.text().contains('<'), "{}", r.text());
    }
}

#[tokio::test]
async fn graph_limits() {
    let h = Harness::new("limits");
    h.ingest(&lines(&[
        (NOW - 600, "//h/x", 1.0),
        (NOW - 300, "//h/x", 2.0),
    ]))
    .await;
    let ask = |extra: Vec<(String, String)>| {
        let mut p: Vec<(String, String)> = vec![("data0".into(), "test/h/x".into())];
        p.extend(extra);
        let pairs: Vec<(&str, &str)> = p.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        format!("/metrics/jim/p/show.png?{}", q(&pairs))
    };
    for (k, v) in [
        ("width", "100000"),
        ("height", "99999"),
        ("width", "-5"),
        ("height", "x"),
        ("step", "-1"),
        ("trail", "1e300"),
        ("from", "5"),
        ("color0", "red"),
        ("tz", "Mars/Olympus"),
        ("start", "2024-02-30"),
        ("upper_limit", "inf"),
    ] {
        let r = h.get(&ask(vec![(k.into(), v.into())]), Some("jim")).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{k}={v}: {:?}",
            r.header("x-graph-error")
        );
    }
    let many: Vec<(String, String)> = (1..40)
        .map(|k| (format!("data{k}"), "test/h/x".to_string()))
        .collect();
    let r = h.get(&ask(many), Some("jim")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.header("x-graph-error").unwrap().contains("plots"));
    let members = vec!["test/h/x"; 300].join("|");
    let r = h
        .get(&ask(vec![("data1".into(), members)]), Some("jim"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.header("x-graph-error").unwrap().contains("series"));
}

#[tokio::test]
async fn series_names_never_reach_files_outside_the_catalogue() {
    let h = Harness::new("trav");
    std::fs::write(h.dir.join("secret.rrd"), b"not for you").unwrap();
    for name in [
        "../secret",
        "../../etc/passwd",
        "/etc/passwd",
        "0/../secret",
        "test/../../secret",
    ] {
        let r = h
            .get(
                &format!("/metrics/jim/p/show.png?{}", q(&[("data0", name)])),
                Some("jim"),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}");
    }
    let r = h
        .get("/metrics/jim/p/get_series.json?q=(", Some("jim"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn oversized_pages_and_parameters() {
    let h = Harness::new("big");
    let huge = "x".repeat(10_000);
    let r = h
        .post(
            "/metrics/jim/p/chart.json",
            "jim",
            json!({"imgid": "1", "params": {"data0": huge}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = h
        .post(
            "/metrics/jim/p/chart.json",
            "jim",
            json!({"imgid": "../1", "params": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let body = "y".repeat(2 << 20);
    let r = h
        .post(
            "/metrics/jim/p/chart.json",
            "jim",
            json!({"imgid": "1", "params": {"data0": body}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let charts: Vec<_> = (0..150).map(|_| json!({"data0": "x"})).collect();
    let r = h
        .post(
            "/metrics/jim/p/save.json",
            "jim",
            json!({"name": "many", "charts": charts}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.get("/metrics/jim/many/load.json", Some("jim"))
            .await
            .json()["charts"],
        json!([])
    );
    let r = h
        .send(
            axum::http::Request::post("/metrics/jim/p/chart.json")
                .header("cookie", h.cookie("jim"))
                .header("x-csrf-token", h.csrf("jim"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
}

/// Found in review: legends that read as rrdtool options, costly RPN,
/// windows that read gigabytes, a login redirect through a tab, far-future
/// records, files created without bound, a doubled login header, a readable
/// session key.
#[tokio::test]
async fn what_the_review_found() {
    let h = Harness::new("review");
    h.ingest(&lines(&[
        (NOW - 600, "//h/x", 1.0),
        (NOW - 300, "//h/x", 2.0),
    ]))
    .await;
    // legends are text, whatever they say
    for legend in ["dashes=1e-7,1e-7", "STACK", "vname=v0#ff0000", "skipscale"] {
        let r = h
            .get(
                &format!(
                    "/metrics/jim/p/show.json?{}",
                    q(&[("data0", "test/h/x"), ("legend0", legend)])
                ),
                Some("jim"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{legend}: {}", r.text());
        assert_eq!(r.json()["data"]["legends"][0], legend);
    }
    // PREDICT's cost is set by the URL: refused in aggregates
    let r = h
        .get(
            &format!(
                "/metrics/jim/p/show.png?{}",
                q(&[(
                    "data0",
                    "test/h/x|test/h/x||custom|a|b||1,-65536,100000000,a,PREDICT"
                )])
            ),
            Some("jim"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.header("x-graph-error").unwrap().contains("PREDICT"));
    // a century of 256 series
    let members = vec!["test/h/x"; 256].join("|");
    let r = h
        .get(
            &format!(
                "/metrics/jim/p/show.png?{}",
                q(&[("data0", &members), ("from", "0"), ("until", "4102444800")])
            ),
            Some("jim"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r
        .header("x-graph-error")
        .unwrap()
        .contains("reads too much"));
    let r = h
        .get(
            &format!(
                "/metrics/jim/p/show.png?{}",
                q(&[("data0", &"x".repeat(20_000))])
            ),
            Some("jim"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // the login never sends the browser off-site, not through a tab either
    let r = h
        .get("/auth/login?came_from=%2F%09%2Fevil.example", None)
        .await;
    assert_eq!(r.header("location"), Some("/metrics/"));
    // records far in the future, and names deeper than the catalogue looks
    let deep = format!("//{}", vec!["d"; 40].join("/"));
    let r = h
        .ingest(&lines(&[
            (NOW + 2 * 86_400, "//h/y", 1.0),
            (NOW, &deep, 1.0),
            (NOW, "//h/z", 1.0),
        ]))
        .await;
    let j = r.json();
    assert_eq!(
        (j["written"].as_u64(), j["refused"].as_u64()),
        (Some(1), Some(2)),
        "{j}"
    );
    assert!(j["refusals"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("ahead"));
    assert!(j["refusals"][1]["reason"]
        .as_str()
        .unwrap()
        .contains("components"));
    // the session key is the server user's alone
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(h.dir.join("session.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}

#[test]
fn new_files_per_request_are_bounded() {
    let dir = crate::tempdir("newfiles");
    let queue = rrd_server::queue::WriteQueue::open(
        &dir,
        &dir.join("journal"),
        rrd_server::queue::Settings {
            delay: std::time::Duration::ZERO,
            journal_sync: false,
            max_pending: 1000,
            storage: None,
        },
    )
    .unwrap();
    let recs: Vec<_> = (0..5)
        .map(|k| {
            (
                k,
                Ok(rrd_server::ingest::Record {
                    ts: NOW,
                    path: format!("h/m{k}"),
                    value: 1.0,
                }),
            )
        })
        .collect();
    let out = rrd_server::ingest::write(&queue, "s", recs, NOW, 2, &mut |_| {}, &[]).unwrap();
    assert_eq!((out.written, out.refused), (2, 3));
    assert!(
        out.refusals[0].reason.contains("new series"),
        "{:?}",
        out.refusals
    );
    assert_eq!(std::fs::read_dir(dir.join("s/h")).unwrap().count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
