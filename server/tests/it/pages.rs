//! Pages: the original's load/save/destroy contract, owners and visitors.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::Harness;

async fn store(
    h: &Harness,
    user: &str,
    page: &str,
    imgid: &str,
    gen: i64,
    data: &str,
) -> crate::Answer {
    h.post(
        &format!("/metrics/{user}/{page}/chart.json"),
        user,
        json!({"imgid": imgid, "params": {"data0": data, "generation": gen.to_string(), "width": "900", "bust": "1", "legend0": ""}}),
    )
    .await
}

#[tokio::test]
async fn owners_store_charts_under_the_generation_rule() {
    let h = Harness::new("gen");
    assert_eq!(
        store(&h, "jim", "p", "1", 1, "a").await.json()["stored"],
        true
    );
    assert_eq!(
        store(&h, "jim", "p", "1", 1, "b").await.json()["stored"],
        false
    );
    assert_eq!(
        store(&h, "jim", "p", "1", 2, "c").await.json()["stored"],
        true
    );
    assert_eq!(
        store(&h, "jim", "p", "10", 1, "d").await.json()["stored"],
        true
    );
    assert_eq!(
        store(&h, "jim", "p", "9", 1, "e").await.json()["stored"],
        true
    );
    let j = h.get("/metrics/jim/p/load.json", Some("jim")).await.json();
    assert_eq!(j["imgids"], json!(["1", "10", "9"]), "sorted as strings");
    // width, bust and empty values are not stored
    assert_eq!(j["charts"][0], json!({"data0": "c", "generation": "2"}));
    assert_eq!(j["owner"], true);
    assert_eq!(j["saved"], json!(["p"]));
}

#[tokio::test]
async fn visitors_view_but_cannot_change() {
    let h = Harness::new("visit");
    store(&h, "jim", "p", "1", 1, "a").await;
    // ann sees jim's page
    let r = h.get("/metrics/jim/p/", Some("ann")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("jim's page, read only"), "{}", r.text());
    let j = h.get("/metrics/jim/p/load.json", Some("ann")).await.json();
    assert_eq!(j["owner"], false);
    assert_eq!(j["others"], json!(["jim"]));
    // and cannot change it
    let r = store(&h, "ann", "p", "1", 5, "evil").await; // posts to /metrics/ann/p: her own, allowed
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .post(
            "/metrics/jim/p/chart.json",
            "ann",
            json!({"imgid": "1", "params": {"data0": "evil", "generation": "9"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .post("/metrics/jim/p/destroy", "ann", json!({"imgid": "1"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let j = h.get("/metrics/jim/p/load.json", Some("jim")).await.json();
    assert_eq!(j["charts"][0]["data0"], "a", "unchanged");
    // unknown users and pages are 404 to visitors
    assert_eq!(
        h.get("/metrics/nobody/p/load.json", Some("ann"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.get("/metrics/jim/nope/", Some("ann")).await.status,
        StatusCode::NOT_FOUND
    );
    // but my own new page is simply empty
    assert_eq!(
        h.get("/metrics/ann/new/load.json", Some("ann"))
            .await
            .json()["charts"],
        json!([])
    );
}

#[tokio::test]
async fn save_copies_into_my_pages() {
    let h = Harness::new("save");
    store(&h, "jim", "p", "1", 1, "a").await;
    store(&h, "jim", "p", "2", 1, "b").await;
    let r = h
        .post("/metrics/jim/p/save.json", "ann", json!({"name": "copy"}))
        .await;
    assert_eq!(r.json(), json!({"url": "../../ann/copy/"}));
    let j = h
        .get("/metrics/ann/copy/load.json", Some("ann"))
        .await
        .json();
    assert_eq!(j["charts"].as_array().unwrap().len(), 2);
    // a taken name asks first
    let r = h
        .post(
            "/metrics/jim/p/save.json",
            "ann",
            json!({"name": "copy", "charts": [{"data0": "x"}]}),
        )
        .await;
    assert_eq!(r.json(), json!({"exists": true}));
    let r = h
        .post(
            "/metrics/jim/p/save.json",
            "ann",
            json!({"name": "copy", "overwrite": "y", "charts": [{"data0": "x"}]}),
        )
        .await;
    assert_eq!(r.json(), json!({"url": "../../ann/copy/"}));
    let j = h
        .get("/metrics/ann/copy/load.json", Some("ann"))
        .await
        .json();
    assert_eq!(j["charts"], json!([{"data0": "x"}]));
    // saving an empty page deletes the target
    h.post(
        "/metrics/jim/p/save.json",
        "ann",
        json!({"name": "copy", "charts": []}),
    )
    .await;
    assert_eq!(
        h.get("/metrics/ann/copy/load.json", Some("ann"))
            .await
            .json()["charts"],
        json!([])
    );
    // jim's page is untouched
    assert_eq!(
        h.get("/metrics/jim/p/load.json", Some("jim")).await.json()["charts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // names as the original's Save dialog allowed
    for bad in ["", "a/b", "../x", ".hidden", "a b", "<script>"] {
        let r = h
            .post("/metrics/jim/p/save.json", "ann", json!({"name": bad}))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
}

#[tokio::test]
async fn destroy_answers_as_the_original() {
    let h = Harness::new("destroy");
    store(&h, "jim", "p", "1", 1, "a").await;
    store(&h, "jim", "p", "2", 1, "b").await;
    assert_eq!(
        h.post("/metrics/jim/p/destroy", "jim", json!({"imgid": "1"}))
            .await
            .text(),
        "destroyed 1"
    );
    assert_eq!(
        h.post("/metrics/jim/p/destroy", "jim", json!({"imgid": "1"}))
            .await
            .text(),
        ""
    );
    assert_eq!(
        h.post("/metrics/jim/p/destroy", "jim", json!({"imgid": "2"}))
            .await
            .text(),
        "empty"
    );
    assert_eq!(
        h.get("/metrics/jim/p/load.json", Some("jim")).await.json()["saved"],
        json!([])
    );
}

#[tokio::test]
async fn posts_need_the_csrf_token_and_our_origin() {
    let h = Harness::new("csrf");
    let req = |token: Option<String>, origin: Option<&str>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/metrics/jim/p/chart.json")
            .header(header::HOST, "localhost")
            .header(header::COOKIE, h.cookie("jim"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            b = b.header("x-csrf-token", t);
        }
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        b.body(Body::from(
            json!({"imgid": "1", "params": {"data0": "a"}}).to_string(),
        ))
        .unwrap()
    };
    assert_eq!(h.send(req(None, None)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        h.send(req(Some(h.csrf("ann")), None)).await.status,
        StatusCode::FORBIDDEN,
        "another user's token"
    );
    assert_eq!(
        h.send(req(Some(h.csrf("jim")), Some("https://evil.example")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.get("/metrics/jim/p/load.json", Some("jim")).await.json()["charts"],
        json!([]),
        "nothing stored"
    );
    assert_eq!(
        h.send(req(Some(h.csrf("jim")), Some("http://localhost")))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn redirects_of_the_original() {
    let h = Harness::new("redir");
    assert_eq!(
        h.get("/metrics/", Some("jim")).await.header("location"),
        Some("/metrics/jim/default/")
    );
    assert_eq!(
        h.get("/metrics/jim/p", Some("jim"))
            .await
            .header("location"),
        Some("/metrics/jim/p/")
    );
    // `/` is the trace-log dashboards', as in the original
    assert_eq!(
        h.get("/", Some("jim")).await.header("location"),
        Some("/jim/default/")
    );
    // a user's first page: default if it exists (and always for me), else the first by name
    store(&h, "ann", "zeta", "1", 1, "a").await;
    store(&h, "ann", "alpha", "1", 1, "a").await;
    let first = |r: crate::Answer| r.header("location").map(str::to_string);
    assert_eq!(
        first(h.get("/metrics/ann/", Some("jim")).await).as_deref(),
        Some("/metrics/ann/alpha/")
    );
    assert_eq!(
        first(h.get("/metrics/jim/", Some("jim")).await).as_deref(),
        Some("/metrics/jim/default/")
    );
    assert_eq!(
        h.get("/metrics/nobody/", Some("jim")).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Two web nodes on one PostgreSQL database: a page saved through one is
/// served by the other, and a login on one is a login on both.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn web_nodes_share_pages_and_logins_through_postgres() {
    let Some(pg) = crate::postgres::Postgres::start("nodes") else {
        return;
    };
    let url = pg.database("pages");
    let a = Harness::with("node-a", |c| c.database = Some(url.clone()));
    let b = Harness::with("node-b", |c| c.database = Some(url.clone()));
    assert_eq!(
        store(&a, "jim", "p", "1", 1, "x").await.json()["stored"],
        true
    );
    assert_eq!(
        store(&a, "jim", "p", "2", 1, "y").await.json()["stored"],
        true
    );
    // a's cookie, b's answer
    let req = axum::http::Request::get("/metrics/jim/p/load.json")
        .header(axum::http::header::HOST, "localhost")
        .header(axum::http::header::COOKIE, a.cookie("jim"))
        .body(axum::body::Body::empty())
        .unwrap();
    let j = b.send(req).await.json();
    assert_eq!(j["imgids"], json!(["1", "2"]));
    assert_eq!(j["charts"][1], json!({"data0": "y", "generation": "1"}));
    assert_eq!(j["owner"], true, "a login on node a is one on node b");
    // b's newer generation is what a serves next
    assert_eq!(
        store(&b, "jim", "p", "2", 2, "z").await.json()["stored"],
        true
    );
    let j = a.get("/metrics/jim/p/load.json", Some("ann")).await.json();
    assert_eq!(j["charts"][1]["data0"], "z");
    assert_eq!(j["owner"], false);
    // a copy made on b, listed on a
    let r = b
        .post("/metrics/jim/p/save.json", "ann", json!({"name": "mine"}))
        .await;
    assert_eq!(r.json(), json!({"url": "../../ann/mine/"}));
    assert_eq!(
        a.get("/metrics/ann/mine/load.json", Some("ann"))
            .await
            .json()["charts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
