//! Pages of charts at `/metrics/U/N/`: anyone logged in views anyone's
//! page, only its owner changes it, and Save copies a page into the
//! viewer's own namespace (the original's contract).
//!
//! One change from the original: it stored a chart's parameters as a side
//! effect of `GET show.png`, which any page on the web could trigger with
//! an `<img>` tag. Here the browser stores them with
//! `POST chart.json` (CSRF-checked), under the same generation rule.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;

use crate::auth::{check_csrf, User, Viewer};
use crate::error::{AppError, AppResult};
use crate::store::{Copied, Destroyed, Params};
use crate::AppState;

/// Whose pages a request is about: the metrics dashboards at
/// `/metrics/U/N/` or the trace-log dashboards at `/U/N/` (the original's
/// two apps, each with its own pages per user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    /// `/metrics/U/N/`.
    Metrics,
    /// `/U/N/`.
    Tracelog,
}

impl App {
    /// Its name in the page store (the original's ZODB roots were
    /// `metrics` and `definitions`).
    pub fn store_name(self) -> &'static str {
        match self {
            App::Metrics => "metrics",
            App::Tracelog => "definitions",
        }
    }

    /// Where its pages are.
    pub fn prefix(self) -> &'static str {
        match self {
            App::Metrics => "/metrics/",
            App::Tracelog => "/",
        }
    }
}

impl axum::extract::FromRequestParts<AppState> for App {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path();
        Ok(if path == "/metrics" || path.starts_with("/metrics/") {
            App::Metrics
        } else {
            App::Tracelog
        })
    }
}
/// Series per picker page, as the original's.
pub const PICKER_PAGE: usize = 99;
/// Most charts on a page.
pub const MAX_CHARTS: usize = 100;
/// Largest parameter value kept, bytes.
const MAX_VALUE: usize = 8192;

/// A page name as the original's Save dialog took them: `[0-9a-zA-Z_.-]+`,
/// not starting with a dot, at most 100 bytes.
pub fn valid_page(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// A user name (an email's local part).
pub fn valid_user(name: &str) -> bool {
    crate::auth::local_part(&format!("{name}@x")).is_some()
}

fn check_names(user: &str, page: &str) -> AppResult<()> {
    // the names are not echoed: they are whatever a link said
    if !valid_user(user) {
        return Err(AppError::NotFound("no such user".into()));
    }
    if !valid_page(page) {
        return Err(AppError::NotFound("no such page".into()));
    }
    Ok(())
}

/// `GET /`, `/metrics`, `/metrics/`: my default page.
pub(crate) async fn my_default(app: App, Viewer(me): Viewer) -> Redirect {
    Redirect::to(&format!("{}{}/default/", app.prefix(), me.name))
}

/// `GET /metrics/U/`: U's first page (`default` for my own, or when U has
/// it); the Browse menu links here.
pub(crate) async fn first_page(
    app: App,
    me: Viewer,
    State(state): State<AppState>,
    Path(user): Path<String>,
) -> AppResult<Redirect> {
    if !valid_user(&user) {
        return Err(AppError::NotFound("no such user".into()));
    }
    let u = user.clone();
    let pages = state
        .store_call(move |st| Ok(st.pages(app.store_name(), &u)?))
        .await?;
    let page = if pages.iter().any(|p| p == "default") || user == me.0.name {
        "default".to_string()
    } else {
        pages
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound(format!("{user} has no pages")))?
    };
    Ok(Redirect::to(&format!("{}{user}/{page}/", app.prefix())))
}

/// `GET /metrics/U/N`: with the slash.
pub(crate) async fn add_slash(
    app: App,
    Path((user, page)): Path<(String, String)>,
) -> AppResult<Redirect> {
    check_names(&user, &page)?;
    Ok(Redirect::to(&format!("{}{user}/{page}/", app.prefix())))
}

/// A page's charts, my page names and the users with pages; a page with
/// no charts exists only for its owner (a new page).
async fn page_view(
    app: App,
    state: &AppState,
    me: &User,
    user: &str,
    page: &str,
) -> AppResult<PageView> {
    check_names(user, page)?;
    let (u, n, m) = (user.to_string(), page.to_string(), me.name.clone());
    let a = app.store_name();
    let view = state
        .store_call(move |st| {
            Ok(PageView {
                charts: st.load(a, &u, &n)?,
                mine: st.pages(a, &m)?,
                owners: st.owners(a)?,
            })
        })
        .await?;
    if view.charts.is_empty() && user != me.name {
        return Err(AppError::NotFound(format!("{user} has no page {page}")));
    }
    Ok(view)
}

struct PageView {
    charts: Vec<(String, Params)>,
    mine: Vec<String>,
    owners: Vec<String>,
}

/// `GET /metrics/U/N/`: the page.
pub(crate) async fn page(
    app: App,
    Viewer(me): Viewer,
    State(state): State<AppState>,
    Path((user, page)): Path<(String, String)>,
) -> AppResult<Response> {
    let v = page_view(app, &state, &me, &user, &page).await?;
    Ok(crate::ui::page(
        app, &state, &me, &user, &page, &v.charts, &v.mine, &v.owners,
    )
    .into_response())
}

/// `GET /metrics/U/N/load.json`.
pub(crate) async fn load(
    app: App,
    me: User,
    State(state): State<AppState>,
    Path((user, page)): Path<(String, String)>,
) -> AppResult<Json<serde_json::Value>> {
    let PageView {
        charts,
        mine,
        owners,
    } = page_view(app, &state, &me, &user, &page).await?;
    Ok(Json(serde_json::json!({
        "charts": charts.iter().map(|(_, p)| p).collect::<Vec<_>>(),
        "imgids": charts.iter().map(|(id, _)| id).collect::<Vec<_>>(),
        "owner": user == me.name,
        "saved": mine,
        "others": owners,
    })))
}

fn owner_only(me: &User, user: &str, page: &str) -> AppResult<()> {
    check_names(user, page)?;
    if me.name != user {
        return Err(AppError::Forbidden(format!(
            "{user}/{page} belongs to {user}; Save copies it to your own pages"
        )));
    }
    Ok(())
}

fn clean_params(params: &Params) -> AppResult<Params> {
    if params.len() > 400 {
        return Err(AppError::BadRequest("too many chart parameters".into()));
    }
    let mut out = Params::new();
    for (k, v) in params {
        if k.len() > 64 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(AppError::BadRequest(format!("bad parameter name {k:?}")));
        }
        if v.len() > MAX_VALUE {
            return Err(AppError::BadRequest(format!(
                "parameter {k} longer than {MAX_VALUE} bytes"
            )));
        }
        // the original kept what was non-empty, and not width, bust or imgid
        if v.is_empty() || matches!(k.as_str(), "width" | "bust" | "imgid") {
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}

/// A chart's `generation` parameter (0 when absent).
/// A chart's generation, as its parameters carry it (0 without one).
pub fn generation(p: &Params) -> i64 {
    p.get("generation")
        .and_then(|g| g.parse().ok())
        .unwrap_or(0)
}

fn valid_imgid(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
}

/// The body of `chart.json`.
#[derive(Debug, Deserialize)]
pub(crate) struct ChartBody {
    imgid: String,
    params: Params,
}

/// `POST /metrics/U/N/chart.json`: stores a chart under the generation rule.
pub(crate) async fn store_chart(
    app: App,
    me: User,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((user, page)): Path<(String, String)>,
    Json(body): Json<ChartBody>,
) -> AppResult<Json<serde_json::Value>> {
    check_csrf(&headers, &me)?;
    owner_only(&me, &user, &page)?;
    if !valid_imgid(&body.imgid) {
        return Err(AppError::BadRequest(format!(
            "bad chart id {:?}",
            body.imgid
        )));
    }
    let params = clean_params(&body.params)?;
    let stored = state
        .store_call(move |st| {
            let existing = st.load(app.store_name(), &user, &page)?;
            if existing.len() >= MAX_CHARTS && !existing.iter().any(|(id, _)| *id == body.imgid) {
                return Err(AppError::BadRequest(format!(
                    "a page holds at most {MAX_CHARTS} charts"
                )));
            }
            Ok(st.save_chart(
                app.store_name(),
                &user,
                &page,
                &body.imgid,
                generation(&params),
                &params,
            )?)
        })
        .await?;
    Ok(Json(serde_json::json!({ "stored": stored })))
}

/// The body of `destroy`.
#[derive(Debug, Deserialize)]
pub(crate) struct DestroyBody {
    imgid: String,
}

/// `POST /metrics/U/N/destroy`: the original's answers (`empty`,
/// `destroyed IMGID`, ``).
pub(crate) async fn destroy(
    app: App,
    me: User,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((user, page)): Path<(String, String)>,
    Json(body): Json<DestroyBody>,
) -> AppResult<String> {
    check_csrf(&headers, &me)?;
    owner_only(&me, &user, &page)?;
    let id = body.imgid.clone();
    let d = state
        .store_call(move |st| Ok(st.destroy(app.store_name(), &user, &page, &id)?))
        .await?;
    Ok(match d {
        Destroyed::PageEmpty => "empty".into(),
        Destroyed::Chart => format!("destroyed {}", body.imgid),
        Destroyed::Nothing => String::new(),
    })
}

/// The body of `save.json`.
#[derive(Debug, Deserialize)]
pub(crate) struct SaveBody {
    name: String,
    #[serde(default)]
    overwrite: Option<String>,
    /// The charts as the viewer sees them; without, the stored page is
    /// copied (the original's behaviour).
    #[serde(default)]
    charts: Option<Vec<Params>>,
}

/// `POST /metrics/U/N/save.json`: copies page U/N (anyone's) into my pages.
pub(crate) async fn save(
    app: App,
    me: User,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((user, page)): Path<(String, String)>,
    Json(body): Json<SaveBody>,
) -> AppResult<Json<serde_json::Value>> {
    check_csrf(&headers, &me)?;
    check_names(&user, &page)?;
    if !valid_page(&body.name) {
        return Err(AppError::BadRequest(format!(
            "{:?} is not a page name: letters, digits, _ . and -, not starting with a dot",
            body.name
        )));
    }
    let overwrite = matches!(body.overwrite.as_deref(), Some("y" | "true"));
    let given = match body.charts {
        Some(c) if c.len() > MAX_CHARTS => {
            return Err(AppError::BadRequest(format!(
                "a page holds at most {MAX_CHARTS} charts"
            )))
        }
        Some(c) => Some(c.iter().map(clean_params).collect::<AppResult<Vec<_>>>()?),
        None => None,
    };
    let (me_name, name) = (me.name.clone(), body.name.clone());
    let copied = state
        .store_call(move |st| {
            let charts: Vec<(String, i64, Params)> = match given {
                Some(list) => list
                    .into_iter()
                    .enumerate()
                    .map(|(k, p)| (k.to_string(), generation(&p), p))
                    .collect(),
                None => st
                    .load(app.store_name(), &user, &page)?
                    .into_iter()
                    .map(|(id, p)| (id, generation(&p), p))
                    .collect(),
            };
            Ok(st.replace_page(app.store_name(), &me_name, &name, &charts, overwrite)?)
        })
        .await?;
    Ok(Json(match copied {
        Copied::Exists => serde_json::json!({ "exists": true }),
        Copied::Done => serde_json::json!({ "url": format!("../../{}/{}/", me.name, body.name) }),
    }))
}

/// The query of `get_series.json`.
#[derive(Debug, Deserialize)]
pub(crate) struct SeriesQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: usize,
}

/// `GET /metrics/U/N/get_series.json?q=..&page=..`: the picker's list,
/// 99 per page.
pub(crate) async fn series(
    _me: User,
    State(state): State<AppState>,
    Query(q): Query<SeriesQuery>,
) -> AppResult<Json<serde_json::Value>> {
    if q.q.len() > 1000 {
        return Err(AppError::BadRequest("filter longer than 1000 bytes".into()));
    }
    let re = crate::catalogue::filter_regex(&q.q).map_err(AppError::BadRequest)?;
    let st = state.clone();
    // on the bounded pool: a slow pattern over a large catalogue takes a
    // slot, not a thread per request
    let (total, names) = state
        .render_pool
        .run(move || {
            let snap = st.catalogue.snapshot();
            let matching: Vec<&str> = snap
                .series
                .iter()
                .map(|s| s.name.as_str())
                .filter(|n| re.is_match(n))
                .collect();
            let names: Vec<String> = matching
                .iter()
                .skip(q.page.saturating_mul(PICKER_PAGE))
                .take(PICKER_PAGE)
                .map(|s| s.to_string())
                .collect();
            (matching.len(), names)
        })
        .await?;
    Ok(Json(
        serde_json::json!({ "total": total, "page": q.page, "per_page": PICKER_PAGE, "series": names }),
    ))
}

/// The instance menu's groups of one customer's instances (the
/// original's): `NAME-instances` for port-style names (`instance-8080`),
/// `PREFIX-workers` for worker-style ones (`worker3`), and one per host.
pub fn instance_menu(stems: &[String]) -> serde_json::Value {
    use std::collections::BTreeMap;
    /// Group or host -> [(label, spec)].
    type Groups = BTreeMap<String, Vec<(String, String)>>;
    let mut by_customer: BTreeMap<&str, Groups> = BTreeMap::new();
    for stem in stems {
        let parts: Vec<&str> = stem.split("__").collect();
        let [host, customer, instance] = parts[..] else {
            continue;
        };
        let groups = by_customer.entry(customer).or_default();
        let port = instance
            .rsplit_once('-')
            .filter(|(_, p)| p.len() >= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        let kind = match port {
            Some((name, _)) => Some(format!("{name}-instances")),
            None => {
                let prefix = instance.trim_end_matches(|c: char| c.is_ascii_digit());
                (!prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
                    .then(|| format!("{prefix}-workers"))
            }
        };
        if let Some(g) = kind {
            groups
                .entry(g)
                .or_default()
                .push((format!("{host} {instance}"), stem.clone()));
        }
        groups
            .entry(host.to_string())
            .or_default()
            .push((instance.to_string(), stem.clone()));
    }
    let customers: Vec<serde_json::Value> = by_customer
        .into_iter()
        .map(|(customer, groups)| {
            let groups: Vec<serde_json::Value> = groups
                .into_iter()
                .map(|(label, mut entries)| {
                    entries.sort();
                    let specs: Vec<&str> = entries.iter().map(|(_, s)| s.as_str()).collect();
                    let mut list: Vec<serde_json::Value> = Vec::new();
                    if specs.len() > 1 {
                        let all = specs.join(",");
                        let t = format!("{customer}-{label}");
                        list.push(serde_json::json!(["all", format!("{t},{all}")]));
                        list.push(serde_json::json!([
                            "compare rpm",
                            format!(",rpm,{t}-rpm,{all}")
                        ]));
                        list.push(serde_json::json!([
                            "compare max rpm",
                            format!(",spr,{t}-max-rpm,{all}")
                        ]));
                        list.push(serde_json::json!([
                            "max headroom",
                            format!(",mh,{t}-max-headroom,{all}")
                        ]));
                    }
                    list.extend(entries.iter().map(|(l, s)| serde_json::json!([l, s])));
                    serde_json::json!([label, list])
                })
                .collect();
            serde_json::json!([customer, groups])
        })
        .collect();
    serde_json::Value::Array(customers)
}

/// `GET /U/N/get_instances.json`: the instance menu and my pages.
pub(crate) async fn instances(
    me: User,
    State(state): State<AppState>,
) -> AppResult<Json<serde_json::Value>> {
    let st = state.clone();
    let stems = state
        .render_pool
        .run(move || {
            let snap = st.catalogue.snapshot();
            let roots = st.catalogue.roots();
            let mut stems: Vec<String> = snap
                .series
                .iter()
                .filter(|s| roots[s.root].tracelog && s.ds == "rpm")
                .filter_map(|s| s.file.strip_suffix(".rrd").map(str::to_string))
                .collect();
            stems.sort();
            stems
        })
        .await?;
    let name = me.name.clone();
    let saved = state
        .store_call(move |st| Ok(st.pages(App::Tracelog.store_name(), &name)?))
        .await?;
    Ok(Json(serde_json::json!({
        "customers": instance_menu(&stems),
        "saved": saved,
    })))
}
