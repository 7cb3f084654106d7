//! The trace-log dashboards at `/U/N/`: the instance menu, the original's
//! four chart forms drawn from the collector's files (a pool's sums against
//! its members, the geometry against rrdtool graphv), and their own pages.

use axum::http::StatusCode;

use crate::tracelog::generate;
use crate::{have_rrdtool, q, Harness, NOW};

/// A server whose collector has read three hours of generated trace logs
/// ending at the harness's clock.
async fn with_tracelogs(tag: &str) -> Harness {
    let logs = crate::tempdir(&format!("{tag}-logs"));
    // 2023-12-31 16:00 US/Eastern is 21:00 UTC: three hours to NOW
    let lines = generate(51, "2023-12-31T16:00:00", 3);
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(logs.join("2023-12-31-z4m.log"), text).unwrap();
    std::fs::write(logs.join("2024-01-01-z4m.log"), "").unwrap();
    let h = Harness::with(tag, |c| {
        c.tracelogs.logs = Some(logs.clone());
        c.tracelogs.poll_seconds = 1;
    });
    let t0 = std::time::Instant::now();
    loop {
        let st = h.get("/tracelogs/status.json", Some("jim")).await.json();
        if st["counters"]["lines"] == lines.len() {
            break;
        }
        assert!(t0.elapsed().as_secs() < 30, "{st}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    h
}

const I8080: &str = "app1__acme__instance-8080";
const I8081: &str = "app1__acme__instance-8081";

/// One series of a chart's show.json over a fixed window.
async fn series(h: &Harness, instance: &str, k: usize) -> Vec<Option<f64>> {
    let from = (NOW - 3 * 3600).to_string();
    let until = NOW.to_string();
    let j = h
        .get(
            &format!(
                "/jim/p/show.json?{}",
                q(&[("instance", instance), ("from", &from), ("until", &until)])
            ),
            Some("jim"),
        )
        .await
        .json();
    j["data"]["series"][k]
        .as_array()
        .unwrap_or_else(|| panic!("{instance}: {j}"))
        .iter()
        .map(|v| v.as_f64())
        .collect()
}

#[tokio::test]
async fn the_instance_menu_and_the_four_chart_forms() {
    let h = with_tracelogs("tlp-forms").await;
    let m = h
        .get("/jim/default/get_instances.json", Some("jim"))
        .await
        .json();
    let customers: Vec<&str> = m["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[0].as_str().unwrap())
        .collect();
    assert_eq!(customers, ["acme", "zope"], "{m}");
    let acme = &m["customers"][0][1];
    let group = |name: &str| {
        acme.as_array()
            .unwrap()
            .iter()
            .find(|g| g[0] == name)
            .unwrap_or_else(|| panic!("no group {name}: {acme}"))[1]
            .clone()
    };
    let inst = group("instance-instances");
    let labels: Vec<&str> = inst
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "all",
            "compare rpm",
            "compare max rpm",
            "max headroom",
            "app1 instance-8080",
            "app1 instance-8081"
        ]
    );
    let specs: Vec<String> = inst
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[1].as_str().unwrap().to_string())
        .collect();
    assert_eq!(specs[0], format!("acme-instance-instances,{I8080},{I8081}"));
    assert_eq!(
        specs[1],
        format!(",rpm,acme-instance-instances-rpm,{I8080},{I8081}")
    );
    assert_eq!(group("worker-workers").as_array().unwrap().len(), 1);
    assert!(group("app2").as_array().unwrap().len() == 1);

    // every form draws, as PNG and SVG
    for spec in &specs {
        for fmt in ["png", "svg"] {
            let r = h
                .get(
                    &format!(
                        "/jim/p/show.{fmt}?{}",
                        q(&[("instance", spec), ("trail", "3")])
                    ),
                    Some("jim"),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{spec}: {:?}",
                r.header("x-graph-error")
            );
        }
    }
    // a pool's rpm is the sum of its instances', unknown as zero
    let (a, b, pool) = (
        series(&h, I8080, 0).await,
        series(&h, I8081, 0).await,
        series(&h, &specs[0], 0).await,
    );
    assert_eq!(a.len(), pool.len());
    let mut known = 0;
    for k in 0..pool.len() {
        let want = a[k].unwrap_or(0.0) + b[k].unwrap_or(0.0);
        assert!(
            (pool[k].unwrap() - want).abs() < 1e-9,
            "row {k}: {:?} + {:?} != {:?}",
            a[k],
            b[k],
            pool[k]
        );
        known += usize::from(a[k].is_some());
    }
    assert!(known > 30, "{known}");
    // compare: one line per instance, the instance's own values
    assert_eq!(series(&h, &specs[1], 1).await, b);
    // max headroom: (spr - rpm) / spr * 100 of the sums
    let (sa, sb) = (series(&h, I8080, 3).await, series(&h, I8081, 3).await);
    let mh = series(&h, &specs[3], 0).await;
    for k in 0..mh.len() {
        let (s, r) = (
            sa[k].unwrap_or(0.0) + sb[k].unwrap_or(0.0),
            a[k].unwrap_or(0.0) + b[k].unwrap_or(0.0),
        );
        match mh[k] {
            Some(v) => assert!((v - (s - r) / s * 100.0).abs() < 1e-6, "row {k}"),
            None => assert!(s == 0.0, "row {k}: {s} {r}"),
        }
    }
    // bad instance specs are 400s with the reason
    for bad in ["nope", ",rpm,t", ",xyz,t,a__b__c", "a__b"] {
        let r = h
            .get(
                &format!("/jim/p/show.png?{}", q(&[("instance", bad)])),
                Some("jim"),
            )
            .await;
        assert!(r.status.is_client_error(), "{bad}: {}", r.status);
    }
    let r = h
        .get(
            &format!("/jim/p/show.png?{}", q(&[("instance", "h__c__missing")])),
            Some("jim"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The single-instance form's geometry agrees with rrdtool graphv for the
/// same arguments (the original's W-70 and no right axis).
#[tokio::test]
async fn tracelog_geometry_matches_rrdtool() {
    if !have_rrdtool() {
        return;
    }
    let h = with_tracelogs("tlp-geom").await;
    let params: rrd_server::graphs::Params =
        [("instance", I8080), ("trail", "3"), ("width", "700")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let j = h
        .get(
            &format!(
                "/jim/p/show.json?{}",
                q(&[("instance", I8080), ("trail", "3"), ("width", "700")])
            ),
            Some("jim"),
        )
        .await
        .json();
    assert_eq!(j["graph"]["graph_width"], 700 - 70, "{j}");
    let snap = h.state.catalogue.snapshot();
    let chart = rrd_server::graphs::build(
        &rrd_server::graphs::tracelog_params(&params).unwrap(),
        &rrd_server::graphs::Ctx {
            state: &h.state,
            snapshot: &snap,
            now: NOW,
            tracelog: true,
        },
    )
    .unwrap();
    assert!(!chart.args.iter().any(|a| a == "--right-axis"));
    let root = h.state.catalogue.roots()[1].path.clone();
    let mut cmd = vec!["graphv".to_string(), "/dev/null".into()];
    cmd.extend(
        chart
            .args
            .iter()
            .map(|a| a.replace("=1/", &format!("={}/", root.display()))),
    );
    let o = std::process::Command::new("rrdtool")
        .args(&cmd)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
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
        assert_eq!(j["graph"][key].to_string(), theirs, "{key}");
    }
}

/// Trace-log pages are their own: `/` goes to mine, charts stored at
/// `/U/N/` are not metrics pages, a visitor cannot change them.
#[tokio::test]
async fn tracelog_pages_are_their_own() {
    let h = with_tracelogs("tlp-pages").await;
    let r = h.get("/", Some("jim")).await;
    assert_eq!(r.header("location"), Some("/jim/default/"));
    let r = h.get("/jim/default/", Some("jim")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Tracelog: jim/default"));
    assert!(r.text().contains("\"app\":\"tracelog\""));
    let r = h
        .post(
            "/jim/default/chart.json",
            "jim",
            serde_json::json!({"imgid": "1", "params": {"instance": I8080, "generation": "1", "trail": "24"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let l = h.get("/jim/default/load.json", Some("jim")).await.json();
    assert_eq!(l["charts"][0]["instance"], I8080, "{l}");
    let l = h
        .get("/metrics/jim/default/load.json", Some("jim"))
        .await
        .json();
    assert_eq!(l["charts"], serde_json::json!([]), "{l}");
    // bob sees it, cannot change it, and Browse lists jim
    let r = h.get("/jim/default/", Some("bob")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("read only"));
    let r = h
        .post(
            "/jim/default/chart.json",
            "bob",
            serde_json::json!({"imgid": "1", "params": {"instance": "x", "generation": "9"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h.get("/bob/", Some("bob")).await;
    assert_eq!(r.header("location"), Some("/bob/default/"));
    let m = h
        .get("/bob/default/get_instances.json", Some("bob"))
        .await
        .json();
    assert_eq!(m["saved"], serde_json::json!([]));
}

/// In a real browser: `/` leads to my trace-log page; a new chart is made
/// from the instance menu (a pool's "all"), drawn, stored, and there again
/// after a reload.
#[test]
fn a_pool_chart_from_the_instance_menu_in_a_browser() {
    use crate::webdriver::Driver;
    if !crate::browser::browser_available() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let h = rt.block_on(with_tracelogs("tlp-browser"));
    let addr = crate::serve(&h);
    let base = format!("http://{addr}");
    let driver = Driver::start().unwrap();
    let s = driver.session(1280, 900).unwrap();
    s.goto(&format!("{base}/"));
    assert!(s.url().ends_with("/dev/default/"), "{}", s.url());
    s.click("#first-chart");
    s.wait(
        "the instance menu",
        "return document.querySelector('#inst-customer')?.options.length === 2",
    );
    s.js(
        "const g = document.querySelector('#inst-group');
         g.value = [...g.options].find((o) => o.textContent === 'instance-instances').value;
         g.dispatchEvent(new Event('change'));
         document.querySelector('#inst-entry').value = '0';",
        serde_json::json!([]),
    );
    s.click("#inst-ok");
    let chart_ok = "const i = document.querySelector('.chart img.graph');
         const st = document.querySelector('.chart .status');
         return i && i.complete && i.naturalWidth > 0 && st.textContent === '' ? i.naturalWidth : 0;";
    s.wait("the pool chart", chart_ok);
    let inst = s.js(
        "return window.__rrdCharts[0].params.instance",
        serde_json::json!([]),
    );
    assert_eq!(inst, format!("acme-instance-instances,{I8080},{I8081}"));
    s.screenshot(&crate::browser::shots().join("tracelog-pool.png"));
    // stored: there after a reload
    s.goto(&format!("{base}/dev/default/"));
    s.wait("the stored chart", chart_ok);
    let stored = h.state.store.load("definitions", "dev", "default").unwrap();
    assert_eq!(
        stored[0].1.get("instance").map(String::as_str),
        inst.as_str(),
        "{stored:?}"
    );
}
