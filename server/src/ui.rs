//! The HTML shells and the embedded assets (plain ES modules and CSS: no
//! CDN, no build chain). Everything user-supplied is escaped here.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::auth::User;
use crate::config::AuthMode;
use crate::store::Params;
use crate::AppState;

/// `(name, content type, bytes)` of each embedded asset.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "metrics.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/metrics.js"),
    ),
    (
        "chart.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/chart.js"),
    ),
    (
        "dialogs.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/dialogs.js"),
    ),
    (
        "util.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/util.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../assets/style.css"),
    ),
];

/// `GET /static/FILE`.
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == file) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    }
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// JSON that can sit inside a `<script type="application/json">`.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A page shell (metrics or trace-log): the bar, the page's data for the
/// module, and an empty chart list the module fills.
#[allow(clippy::too_many_arguments)]
pub fn page(
    app: crate::pages::App,
    state: &AppState,
    me: &User,
    owner: &str,
    page: &str,
    charts: &[(String, Params)],
    mine: &[String],
    owners: &[String],
) -> Html<String> {
    let prefix = app.prefix();
    let (kind, brand) = match app {
        crate::pages::App::Metrics => ("metrics", "rrd metrics"),
        crate::pages::App::Tracelog => ("tracelog", "rrd tracelogs"),
    };
    let data = serde_json::json!({
        "app": kind,
        "prefix": prefix,
        "me": me.name,
        "owner": owner,
        "page": page,
        "mine": me.name == owner,
        "csrf": me.csrf,
        "tz": state.config.timezone,
        "charts": charts.iter().map(|(id, p)| serde_json::json!({"imgid": id, "params": p})).collect::<Vec<_>>(),
        "saved": mine,
        "others": owners,
        "palette": crate::graphs::PALETTE,
        "limits": {
            "plots": state.config.limits.max_plots,
            "series": state.config.limits.max_series,
            "width": state.config.limits.max_width,
            "height": state.config.limits.max_height,
        },
    });
    let saved: String = mine
        .iter()
        .map(|p| {
            format!(
                "<li><a href=\"{3}{0}/{1}/\">{2}</a></li>",
                url_encode(&me.name),
                url_encode(p),
                escape(p),
                prefix
            )
        })
        .collect();
    let others: String = owners
        .iter()
        .filter(|o| **o != me.name)
        .map(|o| {
            format!(
                "<li><a href=\"{2}{0}/\" data-owner=\"{1}\">{1}</a></li>",
                url_encode(o),
                escape(o),
                prefix
            )
        })
        .collect();
    let ro = if me.name == owner {
        String::new()
    } else {
        format!(
            "<span class=\"badge\" title=\"Only {0} can change this page; Save copies it to your pages\">{0}'s page, read only</span>",
            escape(owner)
        )
    };
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: {owner_e}/{page_e}</title>
<link rel="stylesheet" href="/static/style.css">
<script type="module" src="/static/metrics.js"></script>
</head>
<body>
<header class="bar">
  <a class="brand" href="{prefix}">{brand}</a>
  <a class="switch" href="{other}">{other_name}</a>{collector}
  <span class="where"><a href="{prefix}{owner_u}/default/">{owner_e}</a> / {page_e}</span>
  {ro}
  <button id="new-chart" type="button" title="New chart">+ Chart</button>
  <button id="save" type="button" title="Save this page under a name of yours">Save</button>
  <details class="menu" id="saved-menu"><summary>Saved</summary><ul>{saved}</ul></details>
  <details class="menu" id="browse-menu"><summary>Browse</summary><ul>{others}</ul></details>
  <span class="spacer"></span>
  <label class="tzpick">Zone <select id="tz"></select></label>
  <button id="theme" type="button" title="Dark mode">Dark</button>
  <span class="me">{me_e}</span>
  <a class="logout" href="/auth/logout">Log out</a>
</header>
<main id="charts" aria-live="polite"></main>
<p id="empty" class="empty" hidden>No charts yet. <button id="first-chart" type="button">Add a chart</button></p>
<script type="application/json" id="page-data">{data}</script>
</body>
</html>
"#,
        title = if kind == "metrics" {
            "Metrics"
        } else {
            "Tracelog"
        },
        other = if kind == "metrics" { "/" } else { "/metrics/" },
        collector = if kind == "tracelog" && state.tracelogs.is_some() {
            "\n  <a class=\"switch\" href=\"/tracelogs/status\">Collector</a>"
        } else {
            ""
        },
        other_name = if kind == "metrics" {
            "Tracelogs"
        } else {
            "Metrics"
        },
        owner_e = escape(owner),
        owner_u = url_encode(owner),
        page_e = escape(page),
        me_e = escape(&me.name),
        data = script_json(&data),
    ))
}

/// `/tracelogs/status`: the trace-log collector's state and counters.
pub fn tracelog_status_page(st: &crate::tracelog::Status) -> Html<String> {
    let c = &st.counters;
    let mut rows: Vec<(String, String)> = vec![
        ("log directory".into(), st.logs.display().to_string()),
        ("RRD directory".into(), st.rrd.display().to_string()),
        (
            "reading".into(),
            st.current
                .as_ref()
                .map_or("nothing yet".into(), |(n, o)| format!("{n} at byte {o}")),
        ),
        ("logs finished".into(), st.finished.to_string()),
        ("instances".into(), st.instances.to_string()),
        ("requests in flight".into(), st.in_flight.to_string()),
        ("lines read".into(), c.lines.to_string()),
        ("minutes stored".into(), c.minutes.to_string()),
        ("restarts stored".into(), c.starts.to_string()),
        (
            "values not after their file's last update".into(),
            c.not_after_last.to_string(),
        ),
        ("files made".into(), c.files_created.to_string()),
        (
            "logs out of order (not read)".into(),
            c.logs_out_of_order.to_string(),
        ),
        (
            "logs damaged (cut short, truncated, replaced)".into(),
            c.logs_damaged.to_string(),
        ),
    ];
    for (cause, n) in &c.skipped {
        rows.push((format!("lines skipped: {cause}"), n.to_string()));
    }
    rows.push((
        "last failure".into(),
        st.last_error.clone().unwrap_or_else(|| "none".into()),
    ));
    let body: String = rows
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)))
        .collect();
    let when = jiff::Timestamp::from_second(st.updated)
        .map(|t| t.to_string())
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Trace-log collector</title>\
<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body class=\"plain\"><h1>Trace-log collector</h1>\
<p>As of {} (UTC). <a href=\"/\">Trace-log dashboards</a> · <a href=\"/tracelogs/status.json\">JSON</a></p>\
<table class=\"status\">{body}</table></body></html>",
        escape(&when)
    ))
}

/// What `/auth/logout` shows.
pub fn logged_out_page(mode: AuthMode) -> Html<String> {
    let again = match mode {
        AuthMode::Header => "Sign out at your login proxy too.",
        _ => "",
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Logged out</title>\
<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body class=\"plain\"><h1>Logged out</h1>\
<p>{again}</p><p><a href=\"/auth/login\">Log in again</a></p></body></html>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<img src=x onerror=\"a\">&'"),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;"
        );
        assert_eq!(url_encode("/a b?c=d&e"), "/a%20b%3Fc%3Dd%26e");
        let j = script_json(&serde_json::json!({"t": "</script><script>alert(1)</script>"}));
        assert!(!j.contains("</script>"), "{j}");
    }
}
