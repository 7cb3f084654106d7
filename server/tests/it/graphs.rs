//! Charts: show.png, show.svg, show.json, the RPN check, ETags, errors.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::{have_rrdtool, lines, q, Harness, NOW};

/// Two days of two series, ending at NOW.
async fn with_data(tag: &str) -> Harness {
    let h = Harness::new(tag);
    let mut recs = Vec::new();
    for k in 0..576 {
        let t = NOW - 2 * 86_400 + k * 300;
        recs.push((t, "//h1/cpu", 10.0 + (k % 50) as f64));
        recs.push((t, "//h2/cpu", 20.0 + (k % 30) as f64));
    }
    let r = h.ingest(&lines(&recs)).await;
    assert_eq!(r.json()["written"], 1152);
    h
}

fn chart_query(extra: &[(&str, &str)]) -> String {
    let mut p = vec![
        ("data0", "test/h1/cpu"),
        ("legend0", "h1"),
        ("data1", "test/h1/cpu|test/h2/cpu||average|a|b||"),
        ("trail", "24"),
        ("width", "700"),
    ];
    p.extend_from_slice(extra);
    q(&p)
}

#[tokio::test]
async fn png_svg_and_json() {
    let h = with_data("draw").await;
    let r = h
        .get(
            &format!("/metrics/jim/p/show.png?{}", chart_query(&[])),
            Some("jim"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.header("x-graph-error"));
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(&r.body[..8], b"\x89PNG\r\n\x1a\n");
    let etag = r.header("etag").unwrap().to_string();
    assert!(r.header("last-modified").is_some());
    // asked again, the image comes from the cache, byte for byte
    assert_eq!(h.state.images.usage().0, 1);
    let again = h
        .get(
            &format!("/metrics/jim/p/show.png?{}", chart_query(&[])),
            Some("jim"),
        )
        .await;
    assert_eq!(again.body, r.body);
    assert_eq!(h.state.images.usage().0, 1);
    // the same chart again: 304
    let req = Request::get(format!("/metrics/jim/p/show.png?{}", chart_query(&[])))
        .header(header::COOKIE, h.cookie("jim"))
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(h.send(req).await.status, StatusCode::NOT_MODIFIED);
    // new data: a new tag
    h.ingest(&lines(&[(NOW + 60, "//h1/cpu", 1.0)])).await;
    let r = h
        .get(
            &format!("/metrics/jim/p/show.png?{}", chart_query(&[])),
            Some("jim"),
        )
        .await;
    assert_ne!(r.header("etag").unwrap(), etag);
    assert_ne!(r.body, again.body, "drawn again with the new point");
    assert_eq!(h.state.images.usage().0, 2);

    let r = h
        .get(
            &format!(
                "/metrics/jim/p/show.svg?{}",
                chart_query(&[("theme", "dark")])
            ),
            Some("jim"),
        )
        .await;
    assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    let svg = r.text();
    assert!(svg.contains("<svg"), "{}", &svg[..200.min(svg.len())]);
    assert!(
        svg.to_lowercase().contains("#101215"),
        "the dark canvas colour is drawn"
    );

    let j = h
        .get(
            &format!("/metrics/jim/p/show.json?{}", chart_query(&[])),
            Some("jim"),
        )
        .await
        .json();
    let g = &j["graph"];
    assert_eq!(
        g["graph_width"],
        700 - 111,
        "the original's --width W-111: {g}"
    );
    assert_eq!(g["graph_end"], NOW);
    assert_eq!(g["graph_start"], NOW - 86_400);
    let d = &j["data"];
    assert_eq!(d["legends"].as_array().unwrap().len(), 2);
    let rows = d["rows"].as_u64().unwrap() as usize;
    assert!(rows > 0 && rows <= g["graph_width"].as_u64().unwrap() as usize);
    assert_eq!(d["series"][0].as_array().unwrap().len(), rows);
    assert_eq!(
        g["legend[0]"], "  h1",
        "graphv leaves room for the legend box"
    );
    assert!(g["coords[0]"].as_str().unwrap().split(',').count() == 4);
}

#[tokio::test]
async fn errors_are_drawn_with_a_4xx_and_the_message() {
    let h = with_data("errs").await;
    let bad_rpn = q(&[
        ("data0", "test/h1/cpu|test/h2/cpu||custom|a|b||a,c,+"),
        ("trail", "24"),
    ]);
    let r = h
        .get(&format!("/metrics/jim/p/show.png?{bad_rpn}"), Some("jim"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        &r.body[..4],
        b"\x89PNG",
        "an error image, as the original drew"
    );
    assert!(
        r.header("x-graph-error").unwrap().contains("plot 0"),
        "{:?}",
        r.header("x-graph-error")
    );
    let r = h
        .get(&format!("/metrics/jim/p/show.json?{bad_rpn}"), Some("jim"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"].as_str().unwrap().contains('^'),
        "the caret: {}",
        r.text()
    );
    let r = h
        .get(
            &format!("/metrics/jim/p/show.png?{}", q(&[("data0", "test/nope")])),
            Some("jim"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.header("x-graph-error"), Some("no series \"test/nope\""));
}

#[tokio::test]
async fn the_rpn_check_as_you_type() {
    let h = Harness::new("rpn");
    let j = h
        .get(
            &format!(
                "/metrics/api/check_rpn?{}",
                q(&[("rpn", "a,b,+,2,/"), ("vars", "a,b")])
            ),
            Some("jim"),
        )
        .await
        .json();
    assert_eq!(j["ok"], true);
    let j = h
        .get(
            &format!(
                "/metrics/api/check_rpn?{}",
                q(&[("rpn", "a,b,FOO"), ("vars", "a,b")])
            ),
            Some("jim"),
        )
        .await
        .json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["span"], serde_json::json!([4, 7]));
    assert!(j["caret"].as_str().unwrap().contains("^^^"), "{j}");
    let j = h
        .get(
            &format!(
                "/metrics/api/check_rpn?{}",
                q(&[("rpn", "x"), ("vars", "a;b")])
            ),
            Some("jim"),
        )
        .await
        .json();
    assert!(j["error"].as_str().unwrap().contains("not a variable name"));
}

#[tokio::test]
async fn extra_roots_list_every_data_source() {
    if !have_rrdtool() {
        return;
    }
    let extra = crate::tempdir("extra");
    std::fs::create_dir_all(extra.join("host1")).unwrap();
    let f = extra.join("host1/load.rrd");
    let o = std::process::Command::new("rrdtool")
        .args([
            "create",
            f.to_str().unwrap(),
            "--start",
            "1700000000",
            "--step",
            "60",
            "DS:shortterm:GAUGE:120:0:U",
            "DS:midterm:GAUGE:120:0:U",
            "RRA:AVERAGE:0.5:1:100",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let ex = extra.clone();
    let h = Harness::with("roots", move |c| {
        c.metrics.extra_roots.push(rrd_server::config::ExtraRoot {
            name: "collectd".into(),
            path: ex,
        });
    });
    let j = h
        .get("/metrics/jim/p/get_series.json?q=collectd", Some("jim"))
        .await
        .json();
    assert_eq!(
        j["series"],
        serde_json::json!([
            "collectd/host1/load:midterm",
            "collectd/host1/load:shortterm"
        ])
    );
    let r = h
        .get(
            &format!(
                "/metrics/jim/p/show.png?{}",
                q(&[
                    ("data0", "collectd/host1/load:midterm"),
                    ("from", "1699990000"),
                    ("until", "1700006000")
                ])
            ),
            Some("jim"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.header("x-graph-error"));
    let _ = std::fs::remove_dir_all(&extra);
}

/// The chart's geometry, which the browser's zoom and hover depend on,
/// agrees with rrdtool graphv's for the same arguments; the data agree with
/// rrdtool xport's over the same window.
#[tokio::test]
async fn geometry_and_data_match_rrdtool() {
    if !have_rrdtool() {
        return;
    }
    let h = with_data("geom").await;
    for extra in [
        vec![],
        vec![("log", "y"), ("title", "t: x")],
        vec![
            ("upper_limit", "100"),
            ("lower_limit", "-5"),
            ("step", "30"),
        ],
        vec![("theme", "dark"), ("height", "321")],
    ] {
        let j = h
            .get(
                &format!("/metrics/jim/p/show.json?{}", chart_query(&extra)),
                Some("jim"),
            )
            .await
            .json();
        let snap = h.state.catalogue.snapshot();
        let params: rrd_server::graphs::Params = url_pairs(&chart_query(&extra));
        let chart = rrd_server::graphs::build(
            &params,
            &rrd_server::graphs::Ctx {
                state: &h.state,
                snapshot: &snap,
                now: NOW,
                tracelog: false,
            },
        )
        .unwrap();
        let root = h.metrics();
        let args: Vec<String> = chart
            .args
            .iter()
            .map(|a| a.replace("=0/", &format!("={}/", root.display())))
            .collect();
        let mut cmd = vec![
            "graphv".to_string(),
            "/dev/null".into(),
            "--imgformat".into(),
            "PNG".into(),
        ];
        cmd.extend(args);
        let o = std::process::Command::new("rrdtool")
            .args(&cmd)
            .env("TZ", "UTC")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for key in [
            "graph_left",
            "graph_top",
            "graph_width",
            "graph_height",
            "image_width",
            "image_height",
            "graph_start",
            "graph_end",
        ] {
            let theirs = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = ")))
                .unwrap();
            assert_eq!(j["graph"][key].to_string(), theirs, "{key} with {extra:?}");
        }
        let mut x = vec![
            "xport".to_string(),
            "--start".into(),
            j["graph"]["graph_start"].to_string(),
            "--end".into(),
            j["graph"]["graph_end"].to_string(),
            "--maxrows".into(),
            j["graph"]["graph_width"].to_string(),
            "--json".into(),
        ];
        x.extend(
            chart
                .defs
                .iter()
                .map(|a| a.replace("=0/", &format!("={}/", root.display()))),
        );
        x.extend(chart.xports.iter().cloned());
        let o = std::process::Command::new("rrdtool")
            .args(&x)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let theirs = String::from_utf8_lossy(&o.stdout);
        let step: u64 = theirs
            .split("\"step\": ")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(j["data"]["step"].as_u64().unwrap(), step, "{extra:?}");
    }
}

fn url_pairs(qs: &str) -> rrd_server::graphs::Params {
    qs.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
