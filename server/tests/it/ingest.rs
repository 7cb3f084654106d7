//! POST /api/ingest: the original's mapping, definition and rules.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use rrd_core::{OpenMode, Rrd};

use crate::{have_rrdtool, lines, Harness, TOKEN};

#[tokio::test]
async fn tokens_are_required() {
    let h = Harness::new("tok");
    let body = lines(&[(1_000_000_000, "//a/b", 1.0)]);
    let r = h
        .send(
            Request::post("/api/ingest")
                .body(Body::from(body.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = h
        .send(
            Request::post("/api/ingest")
                .header(header::AUTHORIZATION, "Bearer nope-nope-nope-nope")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!h.metrics().join("test").exists(), "nothing written");
}

#[tokio::test]
async fn files_get_the_originals_definition_and_rules() {
    let h = Harness::new("def");
    let t0 = 1_418_487_287; // 2014-12-13T16:14:47
    let body = format!(
        "{}\n{}",
        r#"{"timestamp": "2014-12-13T16:14:47.820000", "name": "//test.example.com/test/foo.txt#speed", "value": 99, "units": "rpm"}"#,
        lines(&[
            (t0 + 300, "//test.example.com/test/foo.txt#speed", 100.0),
            (t0 + 100, "//test.example.com/test/foo.txt#speed", 5.0),
            (t0 + 300, "//test.example.com/test/foo.txt#speed", 101.0)
        ])
    );
    let r = h.ingest(&body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let j = r.json();
    assert_eq!(
        (
            j["written"].as_u64(),
            j["skipped"].as_u64(),
            j["refused"].as_u64()
        ),
        (Some(3), Some(1), Some(0)),
        "{j}"
    );
    let path = h
        .metrics()
        .join("test/test.example.com/test/foo.txt/speed.rrd");
    // made at once, written once flushed
    let start = (t0 - 60).div_euclid(300) * 300;
    let rrd = Rrd::open(&path, OpenMode::ReadOnly).unwrap();
    assert_eq!(rrd.header().last_up, start);
    drop(rrd);
    let st = h.flush().await;
    assert_eq!(
        (st["pending"].as_u64(), st["flushed"].as_u64()),
        (Some(0), Some(3)),
        "{st}"
    );
    let rrd = Rrd::open(&path, OpenMode::ReadOnly).unwrap();
    let hd = rrd.header();
    assert_eq!(hd.step, 300);
    assert_eq!(hd.ds.len(), 1);
    assert_eq!(hd.ds[0].name, "data");
    assert_eq!(
        hd.rra
            .iter()
            .map(|r| (r.rows, r.pdp_cnt))
            .collect::<Vec<_>>(),
        [(2880, 1), (9600, 12)]
    );
    // the equal timestamp was moved one second on
    assert_eq!(hd.last_up, t0 + 301);
    assert_eq!(
        std::fs::read_to_string(h.metrics().join(".updated")).unwrap(),
        "test/test.example.com/test/foo.txt/speed"
    );
    // and the catalogue lists it
    let r = h
        .get(
            "/metrics/dev/default/get_series.json?q=foo%20speed",
            Some("dev"),
        )
        .await;
    assert_eq!(
        r.json()["series"],
        serde_json::json!(["test/test.example.com/test/foo.txt/speed"])
    );
}

#[tokio::test]
async fn bad_records_are_refused_one_by_one_and_good_ones_written() {
    let h = Harness::new("bad");
    let body = [
        r#"{"timestamp": 1000000000, "name": "//h/ok", "value": 1}"#,
        r#"{"timestamp": 1000000000, "name": "//../../etc/passwd", "value": 1}"#,
        r#"{"timestamp": 1000000000, "name": "/abs/path", "value": 1}"#,
        r#"{"timestamp": 1000000000, "name": "//h/a\u0000b", "value": 1}"#,
        r#"{"timestamp": 1000000000, "name": "//h/x", "value": "ten"}"#,
        r#"{"timestamp": "soon", "name": "//h/x", "value": 1}"#,
        r#"{"name": "//h/x", "value": 1}"#,
        r#"{"timestamp": 1000000000, "name": "//h/:/x", "value": 1}"#,
        r#"not json at all"#,
        r#"{"timestamp": 1000000300, "name": "//h/ok", "value": 2}"#,
    ]
    .join("\n");
    let r = h.ingest(&body).await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert_eq!(j["written"], 2, "{j}");
    assert_eq!(j["refused"], 8, "{j}");
    let reasons: Vec<(u64, String)> = j["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reasons.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
    assert!(reasons[0].1.contains(".."), "{reasons:?}");
    assert!(reasons[3].1.contains("not a number"), "{reasons:?}");
    assert!(reasons[5].1.contains("missing timestamp"), "{reasons:?}");
    assert!(reasons[7].1.contains("malformed JSON"), "{reasons:?}");
    h.flush().await;
    // nothing but test/h/ok.rrd exists (and the journal's next segment)
    let mut found = Vec::new();
    for e in walk(&h.dir) {
        found.push(
            e.strip_prefix(&h.dir)
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
    }
    found.sort();
    assert_eq!(
        found,
        [
            "journal/ingest-0000000000000002.journal",
            "metrics/.updated",
            "metrics/test/h/ok.rrd",
            "pages.sqlite",
            "pages.sqlite-shm",
            "pages.sqlite-wal",
            "session.key"
        ]
    );
}

fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[tokio::test]
async fn a_malformed_array_is_a_400_and_writes_nothing() {
    let h = Harness::new("arr");
    let r = h
        .ingest(r#"[{"timestamp": 1000000000, "name": "//h/ok", "value": 1}, {"#)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("malformed JSON array"));
    assert!(!h.metrics().join("test").exists());
    let r = h
        .ingest(r#"[{"timestamp": 1000000000, "name": "//h/ok", "value": 1}]"#)
        .await;
    assert_eq!(r.json()["written"], 1);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let h = Harness::with("big", |c| c.limits.max_body = 1000);
    let body = lines(
        &(0..100)
            .map(|k| (1_000_000_000 + k * 300, "//h/x", 1.0))
            .collect::<Vec<_>>(),
    );
    assert!(body.len() > 1000);
    let r = h
        .send(
            Request::post("/api/ingest")
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(!h.metrics().join("test").exists());
}

/// The same records through rrd-server and through rrdtool (create with the
/// original's arguments, update with its rules): the files fetch alike.
#[tokio::test]
async fn files_match_rrdtools() {
    if !have_rrdtool() {
        return;
    }
    let h = Harness::new("diff");
    let recs = random_records(12345, 600);
    let r = h.ingest(&lines(&named(&recs))).await;
    assert_eq!(r.status, StatusCode::OK);
    h.flush().await;
    assert_like_rrdtool(&h, &recs);
}

/// The series the differential tests write.
pub const SERIES: &str = "//host.example.com/check#m";

/// `n` records for [`SERIES`]: mostly forward, sometimes the same second,
/// sometimes backwards.
pub fn random_records(mut seed: u64, n: usize) -> Vec<(i64, f64)> {
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut t = 1_700_000_123i64;
    let mut recs = Vec::new();
    for _ in 0..n {
        match rnd() % 10 {
            0 => {}
            1 => t -= 200,
            _ => t += (rnd() % 400) as i64,
        }
        recs.push((t, (rnd() % 10_000) as f64 / 7.0));
    }
    recs
}

pub fn named(recs: &[(i64, f64)]) -> Vec<(i64, &'static str, f64)> {
    recs.iter().map(|&(t, v)| (t, SERIES, v)).collect()
}

/// Runs rrdtool; its standard output.
fn rrdtool(args: &[String]) -> String {
    let o = std::process::Command::new("rrdtool")
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "rrdtool {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Feeds `recs` to rrdtool with the original's rules and checks that the
/// server's file for [`SERIES`] fetches the same at both resolutions.
pub fn assert_like_rrdtool(h: &Harness, recs: &[(i64, f64)]) {
    let dir = crate::tempdir("rrdtool");
    let file = dir.join("m.rrd");
    let f = file.to_str().unwrap();
    // the file starts at the first record's time, as the server creates it
    let start = (recs[0].0 - 60).div_euclid(300) * 300;
    let mut args: Vec<String> = vec![
        "create".into(),
        f.into(),
        "--start".into(),
        start.to_string(),
        "--step".into(),
        "300".into(),
    ];
    args.extend(
        rrd_server::ingest::CREATE_ARGS
            .iter()
            .map(|s| s.to_string()),
    );
    rrdtool(&args);
    let mut last = start;
    let mut updates = vec!["update".to_string(), f.to_string()];
    for &(t, v) in recs {
        let mut t = t;
        if t < last {
            continue;
        }
        if t == last {
            t += 1;
        }
        last = t;
        updates.push(format!("{t}:{v}"));
    }
    for chunk in updates[2..].chunks(200) {
        let mut a = updates[..2].to_vec();
        a.extend(chunk.iter().cloned());
        rrdtool(&a);
    }
    let ours = h.metrics().join("test/host.example.com/check/m.rrd");
    for (cf, res) in [("AVERAGE", "300"), ("AVERAGE", "3600")] {
        let fetch = |p: &str| {
            rrdtool(&[
                "fetch".into(),
                p.into(),
                cf.into(),
                "-r".into(),
                res.into(),
                "-s".into(),
                start.to_string(),
                "-e".into(),
                (last + 3600).to_string(),
            ])
        };
        assert_eq!(
            fetch(ours.to_str().unwrap()),
            fetch(f),
            "fetch {cf} -r {res}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
