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
