//! End to end in a real browser: Debian's chromium driven through
//! chromedriver against the server on a loopback socket.
//!
//! The browser must be there in CI (`CI` set, or `RRD_E2E=require` as
//! `.ci/run` sets it): then a missing chromium or chromedriver fails the
//! run, as a missing rrdtool fails the differential tests. Elsewhere the
//! tests say once that they did not run.
//!
//! Screenshots go to `target/browser-screenshots/` (docs/ holds copies).

use std::path::PathBuf;

use serde_json::json;

#[cfg(feature = "oidc")]
use crate::serve_on;
use crate::webdriver::{Driver, Session};
use crate::{lines, serve, Harness, NOW};

/// Whether the browser tests can run; panics when they must and cannot.
pub fn browser_available() -> bool {
    let have = |c: &str| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let ok = have("chromium") && have("chromedriver");
    if !ok {
        assert!(
            !crate::in_ci(),
            "in CI, but chromium or chromedriver is missing (apt-get install chromium chromium-driver)"
        );
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            eprintln!("chromium/chromedriver are not installed: the browser tests do not run")
        });
    }
    ok
}

pub fn shots() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Two hosts' cpu and load over two days before the harness clock.
fn data(h: &Harness) {
    let mut recs = Vec::new();
    for k in 0..576 {
        let t = NOW - 2 * 86_400 + k * 300;
        let day = (t as f64 / 86_400.0 * std::f64::consts::TAU).sin();
        recs.push((
            t,
            "//web1.example.com/cpu#user",
            40.0 + 25.0 * day + (k % 7) as f64,
        ));
        recs.push((
            t,
            "//web2.example.com/cpu#user",
            30.0 + 20.0 * day + (k % 5) as f64,
        ));
        recs.push((t, "//web1.example.com/load#load1", 1.5 + day));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = rt.block_on(h.ingest(&lines(&recs)));
    assert_eq!(r.json()["written"], 1728, "{}", r.text());
}

fn login(s: &Session, base: &str, h: &Harness, user: &str) {
    s.goto(&format!("{base}/healthz"));
    s.delete_cookies();
    let cookie = h.cookie(user);
    let (name, value) = cookie.split_once('=').unwrap();
    s.add_cookie(name, value);
}

fn image_loaded(s: &Session, nth: usize) {
    s.wait(
        "the chart image",
        &format!(
            "const i = document.querySelectorAll('.chart img.graph')[{nth}];
             const st = document.querySelectorAll('.chart .status')[{nth}];
             return i && i.complete && i.naturalWidth > 0 && st.textContent === '' ? i.naturalWidth : 0;"
        ),
    );
}

fn chart_meta(s: &Session) {
    s.wait("the chart's geometry", "return document.querySelector('.chart') && window.__rrdCharts && window.__rrdCharts[0].meta ? 1 : 0");
}

#[test]
fn build_save_share_zoom_and_dark_mode() {
    if !browser_available() {
        return;
    }
    let h = Harness::new("browser");
    data(&h);
    let addr = serve(&h);
    let base = format!("http://{addr}");
    let driver = Driver::start().unwrap();
    let s = driver.session(1280, 1000).unwrap();

    // log in through the dev login: the browser follows the redirects
    s.goto(&format!("{base}/metrics/"));
    assert!(s.url().ends_with("/metrics/dev/default/"), "{}", s.url());

    // an empty page offers a first chart; build it in the plot dialog
    s.click("#first-chart");
    s.type_into("dialog.plotdialog input.filter", "web1 cpu");
    s.wait("the filtered series", "return document.querySelector('dialog.plotdialog select.serieslist')?.options.length === 1");
    s.js("const l = document.querySelector('dialog.plotdialog select.serieslist'); l.options[0].selected = true;", json!([]));
    s.click("dialog.plotdialog .picker button.primary");
    s.wait(
        "the new plot row",
        "return document.querySelectorAll('dialog.plotdialog tbody tr').length === 1",
    );

    // an aggregate with a custom RPN, checked as it is typed
    s.click("#add-aggregate");
    s.type_into("dialog.aggdialog input.filter", "cpu");
    s.wait(
        "two cpu series",
        "return document.querySelector('dialog.aggdialog select.serieslist')?.options.length === 2",
    );
    s.click("dialog.aggdialog .picker .row:last-child button:nth-child(2)");
    s.click("dialog.aggdialog input[value=custom]");
    s.type_into("dialog.aggdialog input.wide", "v0,v9,+");
    let caret = s.wait("the RPN check", "const p = document.querySelector('dialog.aggdialog pre.rpncheck'); return p.classList.contains('error') && p.textContent.includes('^') ? p.textContent : ''");
    assert!(caret.as_str().unwrap().contains("v9"), "{caret}");
    s.type_into("dialog.aggdialog input.wide", "v0,v1,MAXNAN");
    s.wait("a valid RPN", "return document.querySelector('dialog.aggdialog pre.rpncheck').textContent.includes('valid')");
    s.click("#agg-ok");
    s.wait(
        "the aggregate row",
        "return document.querySelectorAll('dialog.plotdialog tbody tr').length === 2",
    );
    s.type_into("dialog.plotdialog label input.wide", "CPU <b>busy</b>");
    s.click("#plot-ok");
    image_loaded(&s, 0);

    // the owner's chart is stored at once
    let stored = h.state.store.load("metrics", "dev", "default").unwrap();
    assert_eq!(stored.len(), 1);
    let p = &stored[0].1;
    assert_eq!(p["data0"], "test/web1.example.com/cpu/user");
    assert_eq!(
        p["data1"],
        "test/web1.example.com/cpu/user|test/web2.example.com/cpu/user||custom|v0|v1||v0,v1,MAXNAN"
    );
    assert_eq!(p["title"], "CPU <b>busy</b>");
    s.screenshot(&shots().join("metrics-chart.png"));

    // hover: the readout shows every plot's value under the pointer
    chart_meta(&s);
    let g = s.js("return window.__rrdCharts[0].meta.graph", json!([]));
    let (left, top, width, height) = (
        g["graph_left"].as_i64().unwrap(),
        g["graph_top"].as_i64().unwrap(),
        g["graph_width"].as_i64().unwrap(),
        g["graph_height"].as_i64().unwrap(),
    );
    // image pixels to CSS pixels: the image may be scaled to fit
    let scale = s.js("const i = document.querySelector('.chart img.graph'); return i.clientWidth / i.naturalWidth", json!([])).as_f64().unwrap();
    let css = |px: i64| (px as f64 * scale).round() as i64;
    s.hover(
        ".chart .overlay",
        css(left + width / 2),
        css(top + height / 2),
    );
    let tip = s.wait("the hover readout", "const t = document.querySelector('.chart .tip'); return !t.hidden && t.querySelectorAll('.row').length === 2 ? t.textContent : ''");
    assert!(tip.as_str().unwrap().contains("2023-12-31"), "{tip}");
    assert!(!tip.as_str().unwrap().contains("unknown"), "{tip}");
    s.screenshot(&shots().join("metrics-hover.png"));

    // drag to zoom: the window narrows, the URL keeps it, undo restores it
    s.drag(
        ".chart .overlay",
        css(left + width / 4),
        css(left + width / 2),
        css(top + height / 2),
    );
    let z = s.wait(
        "the zoomed URL",
        "return new URLSearchParams(location.search).get('z1') || ''",
    );
    let (from, until): (i64, i64) = {
        let z = z.as_str().unwrap();
        let (a, b) = z.split_once('-').unwrap();
        (a.parse().unwrap(), b.parse().unwrap())
    };
    let (gs, ge) = (
        g["graph_start"].as_i64().unwrap(),
        g["graph_end"].as_i64().unwrap(),
    );
    let quarter = (ge - gs) / 4;
    // within two pixels' worth of time of where the pointer went
    let slack = 2 * (ge - gs) / width;
    assert!(
        (from - (gs + quarter)).abs() < slack && (until - (gs + 2 * quarter)).abs() < slack,
        "{from}-{until} in {gs}-{ge}"
    );
    image_loaded(&s, 0);
    s.wait(
        "the zoomed geometry",
        &format!("return window.__rrdCharts[0].meta?.graph.graph_start === {from}"),
    );
    // a reload keeps the zoom (the URL is the state)
    let url = s.url();
    s.goto(&url);
    image_loaded(&s, 0);
    s.wait(
        "the zoom after reload",
        &format!("return window.__rrdCharts[0].zoom?.from === {from}"),
    );
    s.click(".chart button.zoomout");
    s.wait("zoomed out", &format!("return window.__rrdCharts[0].zoom.until - window.__rrdCharts[0].zoom.from === 2 * ({until} - {from})"));
    s.click(".chart button.undo");
    s.wait(
        "undone",
        &format!("return window.__rrdCharts[0].zoom?.from === {from}"),
    );

    // dark mode themes the page and the graph itself
    s.click("#theme");
    s.wait(
        "dark page",
        "return document.documentElement.dataset.theme === 'dark'",
    );
    image_loaded(&s, 0);
    let px = s.js(
        "const i = document.querySelector('.chart img.graph'); const c = document.createElement('canvas');
         c.width = i.naturalWidth; c.height = i.naturalHeight; const x = c.getContext('2d'); x.drawImage(i, 0, 0);
         return Array.from(x.getImageData(5, 5, 1, 1).data);",
        json!([]),
    );
    assert_eq!(
        px,
        json!([0x1b, 0x1d, 0x22, 255]),
        "the graph's background is the dark theme's"
    );
    s.screenshot(&shots().join("metrics-dark.png"));

    // save under a new name; the browser goes there
    s.click("#save");
    s.type_into("dialog.savedialog input", "shared");
    s.click("#save-ok");
    s.wait(
        "the saved page",
        "return location.pathname === '/metrics/dev/shared/'",
    );
    assert_eq!(
        h.state
            .store
            .load("metrics", "dev", "shared")
            .unwrap()
            .len(),
        1
    );

    // another user views it, read only, and cannot change it
    login(&s, &base, &h, "ann");
    s.goto(&format!("{base}/metrics/dev/shared/"));
    image_loaded(&s, 0);
    let badge = s.js(
        "return document.querySelector('.badge')?.textContent",
        json!([]),
    );
    assert_eq!(badge, json!("dev's page, read only"));
    let visible = s.js(
        "return getComputedStyle(document.querySelector('.chart .remove')).display",
        json!([]),
    );
    assert_eq!(visible, json!("none"));
    let status = s.js(
        "const done = arguments[0];
         return fetch('chart.json', {method: 'POST', headers: {'Content-Type': 'application/json',
             'X-CSRF-Token': JSON.parse(document.getElementById('page-data').textContent).csrf},
             body: JSON.stringify({imgid: '0', params: {data0: 'x', generation: '99'}})}).then(r => r.status)",
        json!([]),
    );
    assert_eq!(status, json!(403));
    assert_eq!(
        h.state.store.load("metrics", "dev", "shared").unwrap()[0].1["generation"],
        "1"
    );
    // the title went through as text, never as markup
    let bold = s.js("return document.querySelectorAll('b').length", json!([]));
    assert_eq!(bold, json!(0));
    s.screenshot(&shots().join("metrics-visitor.png"));
}

#[test]
fn phone_layout_is_one_column() {
    if !browser_available() {
        return;
    }
    let h = Harness::new("phone");
    data(&h);
    let charts = vec![(
        "1".to_string(),
        1,
        [
            ("data0", "test/web1.example.com/cpu/user"),
            ("data1", "test/web2.example.com/cpu/user"),
            ("title", "CPU"),
            ("trail", "24"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    )];
    h.state
        .store
        .replace_page("metrics", "dev", "default", &charts, true)
        .unwrap();
    let addr = serve(&h);
    let driver = Driver::start().unwrap();
    let s = driver.session(412, 900).unwrap();
    s.goto(&format!("http://{addr}/metrics/"));
    image_loaded(&s, 0);
    let w = s.js("return [document.querySelector('.chart img.graph').getBoundingClientRect().width, document.documentElement.clientWidth, document.documentElement.scrollWidth]", json!([]));
    let (img, client, scroll) = (
        w[0].as_f64().unwrap(),
        w[1].as_f64().unwrap(),
        w[2].as_f64().unwrap(),
    );
    assert!(
        img <= client && scroll <= client + 1.0,
        "no sideways scrolling: {w}"
    );
    assert!(img > client * 0.8, "the chart fills the width: {w}");
    s.screenshot(&shots().join("metrics-phone.png"));
}

/// Two charts: hovering one draws the crosshair on the other at the same
/// time; clicking a legend entry hides that plot (and the URL says so).
#[test]
fn crosshair_across_charts_and_legend_toggle() {
    if !browser_available() {
        return;
    }
    let h = Harness::new("cross");
    data(&h);
    let chart = |title: &str, series: &[&str]| -> rrd_server::store::Params {
        let mut p: rrd_server::store::Params = [("title", title), ("trail", "24")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, s) in series.iter().enumerate() {
            p.insert(format!("data{k}"), s.to_string());
        }
        p
    };
    let charts = vec![
        (
            "1".to_string(),
            1,
            chart(
                "CPU",
                &[
                    "test/web1.example.com/cpu/user",
                    "test/web2.example.com/cpu/user",
                ],
            ),
        ),
        (
            "2".to_string(),
            1,
            chart("Load", &["test/web1.example.com/load/load1"]),
        ),
    ];
    h.state
        .store
        .replace_page("metrics", "dev", "default", &charts, true)
        .unwrap();
    let addr = serve(&h);
    let driver = Driver::start().unwrap();
    let s = driver.session(1200, 1000).unwrap();
    s.goto(&format!("http://{addr}/metrics/"));
    image_loaded(&s, 0);
    image_loaded(&s, 1);
    s.wait(
        "both charts' geometry",
        "return window.__rrdCharts.every(c => c.meta) ? 1 : 0",
    );
    let g = s.js("return window.__rrdCharts[0].meta.graph", json!([]));
    let scale = s.js("const i = document.querySelector('.chart img.graph'); return i.clientWidth / i.naturalWidth", json!([])).as_f64().unwrap();
    let css = |px: f64| (px * scale).round() as i64;
    let (left, top, width, height) = (
        g["graph_left"].as_f64().unwrap(),
        g["graph_top"].as_f64().unwrap(),
        g["graph_width"].as_f64().unwrap(),
        g["graph_height"].as_f64().unwrap(),
    );
    s.hover(
        ".chart[data-imgid='1'] .overlay",
        css(left + width * 0.3),
        css(top + height / 2.0),
    );
    // the second chart shows the crosshair at the same x (both span the same day)
    let xs = s.wait(
        "the crosshair on the other chart",
        "const c = document.querySelector(\".chart[data-imgid='2'] .cross\"); return c.hidden ? 0 : [parseFloat(c.style.left), window.__rrdCharts[1].xAt(window.__rrdCharts[0].timeAt(window.__rrdCharts[1].meta.graph.graph_left + 0.3 * window.__rrdCharts[1].meta.graph.graph_width))]",
    );
    let (drawn, expected) = (xs[0].as_f64().unwrap(), xs[1].as_f64().unwrap() * scale);
    assert!((drawn - expected).abs() < 3.0 * scale + 1.0, "{xs}");
    // click the second legend entry of the first chart: plot 1 is hidden
    let coords = g["coords[1]"]
        .as_str()
        .unwrap()
        .split(',')
        .map(|v| v.parse::<f64>().unwrap())
        .collect::<Vec<_>>();
    s.click_at(
        ".chart[data-imgid='1'] .overlay",
        css((coords[0] + coords[2]) / 2.0),
        css((coords[1] + coords[3]) / 2.0),
    );
    let hidden = s.wait(
        "the hidden plot in the URL",
        "return new URLSearchParams(location.search).get('h1') || ''",
    );
    assert_eq!(hidden, json!("1"));
    image_loaded(&s, 0);
    s.screenshot(&shots().join("metrics-crosshair.png"));
}

/// npm's oidc-provider, started by the test (server/tests/oidc).
#[cfg(feature = "oidc")]
struct Provider(std::process::Child, u16);

#[cfg(feature = "oidc")]
impl Provider {
    fn start(redirect: &str) -> Provider {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the OpenID Connect provider is not installed: npm ci --prefix server/tests/oidc"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // its output goes to a file: a closed pipe would kill it at its next write
        let log = crate::tempdir("oidc-provider").join("provider.log");
        let child = std::process::Command::new("node")
            .current_dir(&dir)
            .args(["provider.mjs", &port.to_string(), redirect])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting node");
        let t = std::time::Instant::now();
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("ready")
        {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(20),
                "the provider did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Provider(child, port)
    }
}

#[cfg(feature = "oidc")]
impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Logs in through a real OpenID Connect provider in the browser: the
/// authorization-code flow with PKCE, the email from the userinfo
/// endpoint, and a refusal for an email the provider has not verified.
#[cfg(feature = "oidc")]
#[test]
fn oidc_login_through_a_real_provider() {
    if !browser_available() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let redirect = format!("http://127.0.0.1:{port}/auth/callback");
    let provider = Provider::start(&redirect);
    let h = Harness::with("oidc", |c| {
        c.auth.mode = rrd_server::config::AuthMode::Oidc;
        c.auth.oidc = Some(rrd_server::config::OidcConfig {
            issuer: format!("http://127.0.0.1:{}", provider.1),
            client_id: "rrd-server".into(),
            client_secret: Some("rrd-server-test-secret".into()),
            redirect_url: redirect.clone(),
        });
    });
    // the provider's clock is the real one; sessions must be too
    let addr = serve_on(&h, listener);
    let base = format!("http://{addr}");
    let driver = Driver::start().unwrap();
    let s = driver.session(1100, 900).unwrap();

    let login_as = |name: &str| {
        s.delete_cookies();
        s.goto(&format!("{base}/metrics/"));
        s.wait(
            "the provider's login form",
            "return location.port !== '' && document.querySelector('input[name=login]') ? 1 : 0",
        );
        assert!(
            s.url().contains(&format!(":{}/", provider.1)),
            "at the provider: {}",
            s.url()
        );
        s.type_into("input[name=login]", name);
        s.type_into("input[name=password]", "anything");
        s.click("button[type=submit]");
        // the consent screen, then back to rrd-server
        s.wait("consent or done", "return document.querySelector('button[autofocus], form button[type=submit]') || location.pathname.startsWith('/metrics/') ? 1 : 0");
        if !s.url().contains("/metrics/") && !s.url().contains("/auth/callback") {
            s.click("button[type=submit]");
        }
    };

    login_as("carol@example.com");
    s.wait(
        "carol's page",
        "return location.pathname === '/metrics/carol/default/'",
    );
    let me = s.js(
        "return document.querySelector('.me').textContent",
        json!([]),
    );
    assert_eq!(me, json!("carol"));
    s.screenshot(&shots().join("oidc-logged-in.png"));

    login_as("unverified-dan@example.com");
    let body = s.wait(
        "the refusal",
        "return document.body.innerText.includes('not verified') ? document.body.innerText : ''",
    );
    assert!(
        body.as_str()
            .unwrap()
            .contains("unverified-dan@example.com"),
        "{body}"
    );
    assert!(s.url().contains("/auth/callback"), "{}", s.url());
    // the refused login left no session behind
    s.goto(&format!("{base}/metrics/carol/default/load.json"));
    let text = s.js("return document.body.innerText", json!([]));
    assert!(text.as_str().unwrap().contains("not logged in"), "{text}");
}
