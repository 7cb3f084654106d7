//! rrd-server: dashboards over RRD files.
//!
//! One binary replaces the original's four Python processes: metric
//! ingestion (`POST /api/ingest`), a catalogue of series, charts drawn by
//! rrd-graph (`show.png`, `show.svg`, `show.json`), pages of charts saved
//! per user, and login. [`app`] builds the router over an [`AppState`];
//! `main.rs` reads the configuration and serves it.
//!
//! ```no_run
//! use rrd_server::{app, AppState, Config};
//!
//! # async fn run() -> anyhow::Result<()> {
//! let config = Config { data_dir: "/tmp/rrd-server".into(), ..Config::default() };
//! let state = AppState::new(config)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod admin;
pub mod auth;
pub mod catalogue;
pub mod config;
pub mod demo;
pub mod error;
pub mod graphs;
pub mod ingest;
#[cfg(feature = "kinesis")]
pub mod kinesis;
pub mod oidc;
pub mod pages;
pub mod pool;
pub mod queue;
pub mod storage;
pub mod store;
pub mod tracelog;
pub mod ui;

use std::collections::HashSet;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub use config::Config;
pub use error::{AppError, AppResult};

use catalogue::{Catalogue, Root};
use store::PageStore;

/// The shared state every handler sees.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    /// The configuration.
    pub config: Config,
    /// The configured zone.
    pub tz: jiff::tz::TimeZone,
    /// Saved pages.
    pub store: Arc<dyn PageStore>,
    /// The series.
    pub catalogue: Catalogue,
    /// Cookie signing.
    pub sessions: auth::Sessions,
    /// Where charts are drawn.
    pub render_pool: pool::Pool,
    /// Charts drawn lately.
    pub images: graphs::ImageCache,
    /// Where ingestion requests write, a few at once.
    pub ingest_pool: pool::Pool,
    /// Accepted records on their way to the files.
    pub queue: Arc<queue::WriteQueue>,
    /// Seconds since the epoch (fixed in tests).
    pub clock: Box<dyn Fn() -> i64 + Send + Sync>,
    /// Emails whose user name is known to be theirs.
    pub claimed: Mutex<HashSet<String>>,
    /// `auth.allowed_email`, compiled.
    pub email_re: regex::Regex,
    /// The OpenID Connect client, in `oidc` mode.
    pub oidc: Option<oidc::Client>,
    /// The trace-log collector's state, when it runs here.
    pub tracelogs: Option<Arc<Mutex<tracelog::Status>>>,
    /// The Kinesis collector's state, when it runs here.
    #[cfg(feature = "kinesis")]
    pub kinesis: Option<Arc<Mutex<kinesis::Status>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Seconds since the epoch by the system clock.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The page store the configuration names: `database`'s PostgreSQL, or
/// `DATA_DIR/pages.sqlite`.
fn open_store(config: &Config) -> anyhow::Result<Arc<dyn PageStore>> {
    match &config.database {
        #[cfg(feature = "postgres")]
        Some(url) => Ok(Arc::new(
            store::postgres::PgStore::open(url).context("opening the page store")?,
        )),
        #[cfg(not(feature = "postgres"))]
        Some(_) => {
            anyhow::bail!("database: this rrd-server was built without the postgres feature")
        }
        None => Ok(Arc::new(
            store::SqliteStore::open(&config.data_dir.join("pages.sqlite"))
                .context("opening the page store")?,
        )),
    }
}

/// The session key: `auth.session_secret`, else the one the nodes sharing
/// the page store share (PostgreSQL), else `DATA_DIR/session.key`, making
/// one first.
fn session_key(config: &Config, store: &dyn PageStore) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = &config.auth.session_secret {
        return Ok(s.as_bytes().to_vec());
    }
    let fresh = || auth::random_hex(32).context("reading /dev/urandom for a session key");
    if let Some(shared) = store
        .shared_session_key(&fresh()?)
        .context("reading the shared session key")?
    {
        return Ok(shared.into_bytes());
    }
    let path = config.data_dir.join("session.key");
    match std::fs::read(&path) {
        Ok(k) if k.len() >= 32 => Ok(k),
        _ => {
            let hex = fresh()?;
            // readable by the server's user only: it signs every session
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::remove_file(&path);
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .and_then(|mut f| f.write_all(hex.as_bytes()))
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(hex.into_bytes())
        }
    }
}

impl AppState {
    /// Runs `f` on the page store from a blocking thread (SQLite blocks).
    pub async fn store_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn PageStore) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&*store)).await?
    }

    /// Opens everything the configuration names: the data directory, the
    /// page store (`DATA_DIR/pages.sqlite`, or `database`'s PostgreSQL),
    /// the roots.
    pub fn new(config: Config) -> anyhow::Result<AppState> {
        config.validate()?;
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let store = open_store(&config)?;
        Self::with_store(config, store, Box::new(system_now))
    }

    /// The state over a given store and clock (tests).
    pub fn with_store(
        config: Config,
        store: Arc<dyn PageStore>,
        clock: Box<dyn Fn() -> i64 + Send + Sync>,
    ) -> anyhow::Result<AppState> {
        config.validate()?;
        let metrics_root = config.metrics_root();
        std::fs::create_dir_all(&metrics_root)
            .with_context(|| format!("creating the metrics root {}", metrics_root.display()))?;
        let mut roots = vec![Root {
            name: None,
            path: metrics_root,
            tracelog: false,
        }];
        for r in &config.metrics.extra_roots {
            anyhow::ensure!(
                r.path.is_dir(),
                "extra root {} is not a directory",
                r.path.display()
            );
            roots.push(Root {
                name: Some(r.name.clone()),
                path: r.path.clone(),
                tracelog: false,
            });
        }
        let tracelog_root = config.tracelog_root();
        std::fs::create_dir_all(&tracelog_root).with_context(|| {
            format!(
                "creating the trace-log directory {}",
                tracelog_root.display()
            )
        })?;
        roots.push(Root {
            name: None,
            path: tracelog_root,
            tracelog: true,
        });
        std::fs::create_dir_all(&config.data_dir)?;
        let key = session_key(&config, &*store)?;
        let tz = jiff::tz::TimeZone::get(&config.timezone)?;
        let email_re = regex::Regex::new(&config.auth.allowed_email)?;
        let oidc = match (&config.auth.mode, &config.auth.oidc) {
            (config::AuthMode::Oidc, Some(o)) => Some(oidc::Client::new(o.clone())?),
            _ => None,
        };
        let ring = config.storage.ring()?;
        let queue = queue::WriteQueue::open(
            &roots[0].path,
            &config.data_dir.join("journal"),
            crate::queue::Settings {
                storage: ring.clone(),
                ..config.ingest.queue_settings()
            },
        )
        .context("opening the ingestion journal")?;
        let tracelogs = match &config.tracelogs.logs {
            Some(logs) => {
                let status = Arc::new(Mutex::new(tracelog::Status::default()));
                tracelog::spawn(
                    logs.clone(),
                    config.tracelog_root(),
                    jiff::tz::TimeZone::get(&config.tracelogs.timezone)?,
                    config.tracelogs.suffix.clone(),
                    std::time::Duration::from_secs(config.tracelogs.poll_seconds),
                    Arc::downgrade(&status),
                    ring.clone(),
                )?;
                Some(status)
            }
            None => None,
        };
        #[cfg(feature = "kinesis")]
        let kinesis = config
            .kinesis
            .stream
            .as_ref()
            .map(|_| Arc::new(Mutex::new(kinesis::Status::default())));
        let state = AppState(Arc::new(Inner {
            #[cfg(feature = "kinesis")]
            kinesis: kinesis.clone(),
            tracelogs,
            sessions: auth::Sessions::new(
                key,
                config.auth.session_seconds,
                config.auth.secure_cookies,
            ),
            render_pool: pool::Pool::new(config.limits.render_threads, config.limits.render_queue),
            images: graphs::ImageCache::new(config.limits.image_cache_bytes),
            ingest_pool: pool::Pool::new(config.limits.render_threads, config.limits.render_queue),
            queue,
            catalogue: Catalogue::new(roots, ring),
            claimed: Mutex::new(HashSet::new()),
            tz,
            store,
            clock,
            email_re,
            oidc,
            config,
        }));
        #[cfg(feature = "kinesis")]
        if let (Some(stream), Some(status)) = (&state.config.kinesis.stream, &kinesis) {
            let k = &state.config.kinesis;
            let creds = match (&k.access_key_id, &k.secret_access_key) {
                (Some(id), Some(secret)) => kinesis::api::Credentials {
                    access_key_id: id.clone(),
                    secret_access_key: secret.clone(),
                    session_token: k.session_token.clone(),
                },
                _ => kinesis::api::Credentials::from_env(|v| std::env::var(v).ok())
                    .map_err(|e| anyhow::anyhow!("kinesis: {e}"))?,
            };
            let settings = kinesis::Settings {
                stream: stream.clone(),
                region: k.region.clone(),
                endpoint: k.endpoint.clone(),
                source: k.source.clone(),
                poll: std::time::Duration::from_secs_f64(k.poll_seconds),
                read_interval: std::time::Duration::from_millis(k.read_interval_ms),
                list_interval: std::time::Duration::from_secs(k.list_seconds),
                limit: k.limit,
                leases: state
                    .config
                    .database
                    .clone()
                    .map(|url| (url, std::time::Duration::from_secs_f64(k.lease_seconds))),
            };
            let weak = Arc::downgrade(&state.0);
            kinesis::spawn(
                settings,
                creds,
                &state.queue,
                Arc::downgrade(status),
                Box::new(move || {
                    if let Some(s) = weak.upgrade() {
                        s.catalogue.invalidate();
                    }
                }),
            )
            .context("starting the Kinesis collector")?;
        }
        Ok(state)
    }
}

/// `GET /tracelogs/status.json`: the collector's counters (logged in).
async fn tracelog_status(
    axum::extract::State(state): axum::extract::State<AppState>,
    _me: auth::User,
) -> AppResult<axum::Json<tracelog::Status>> {
    let st = state
        .tracelogs
        .as_ref()
        .ok_or_else(|| AppError::NotFound("the trace-log collector does not run here".into()))?;
    Ok(axum::Json(
        st.lock().unwrap_or_else(|p| p.into_inner()).clone(),
    ))
}

/// `GET /tracelogs/status`: the same as a page.
async fn tracelog_status_page(
    axum::extract::State(state): axum::extract::State<AppState>,
    me: auth::User,
) -> AppResult<axum::response::Html<String>> {
    let axum::Json(st) = tracelog_status(axum::extract::State(state), me).await?;
    Ok(ui::tracelog_status_page(&st))
}

/// `GET /kinesis/status.json`: the Kinesis collector's shards and counters
/// (logged in).
#[cfg(feature = "kinesis")]
async fn kinesis_status(
    axum::extract::State(state): axum::extract::State<AppState>,
    _me: auth::User,
) -> AppResult<axum::Json<kinesis::Status>> {
    let st = state
        .kinesis
        .as_ref()
        .ok_or_else(|| AppError::NotFound("the Kinesis collector does not run here".into()))?;
    Ok(axum::Json(
        st.lock().unwrap_or_else(|p| p.into_inner()).clone(),
    ))
}

/// The Content-Security-Policy of every response: only this server's own
/// scripts, styles and images.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

async fn security_headers(req: Request<axum::body::Body>, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// The whole server's routes.
pub fn app(state: AppState) -> Router {
    let small = DefaultBodyLimit::max(1 << 20);
    let mut r = Router::new()
        .route("/", get(pages::my_default))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/auth/login", get(auth::login))
        .route("/auth/logout", get(auth::logout))
        .route("/auth/callback", get(oidc::callback))
        .route("/static/{file}", get(ui::asset))
        .route(
            "/api/ingest",
            post(ingest::ingest).layer(DefaultBodyLimit::max(state.config.limits.max_body)),
        )
        .route("/api/ingest/status", get(ingest::status))
        .route("/tracelogs/status.json", get(tracelog_status))
        .route("/tracelogs/status", get(tracelog_status_page))
        .route("/api/ingest/flush", post(ingest::flush))
        .route("/metrics", get(pages::my_default))
        .route("/metrics/", get(pages::my_default))
        .route("/metrics/{user}/", get(pages::first_page))
        .route("/{user}/", get(pages::first_page))
        .route("/metrics/api/check_rpn", get(graphs::check_rpn));
    #[cfg(feature = "kinesis")]
    {
        r = r.route("/kinesis/status.json", get(kinesis_status));
    }
    // the same page routes for both apps (pages::App tells them apart)
    for page in ["/metrics/{user}/{page}", "/{user}/{page}"] {
        r = r
            .route(page, get(pages::add_slash))
            .route(&format!("{page}/"), get(pages::page))
            .route(&format!("{page}/load.json"), get(pages::load))
            .route(&format!("{page}/show.png"), get(graphs::show_png))
            .route(&format!("{page}/show.svg"), get(graphs::show_svg))
            .route(&format!("{page}/show.json"), get(graphs::show_json))
            .route(
                &format!("{page}/chart.json"),
                post(pages::store_chart).layer(small),
            )
            .route(
                &format!("{page}/destroy"),
                post(pages::destroy).layer(small),
            )
            .route(&format!("{page}/save.json"), post(pages::save).layer(small));
    }
    r.route("/metrics/{user}/{page}/get_series.json", get(pages::series))
        .route("/{user}/{page}/get_instances.json", get(pages::instances))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// The fuzz targets' bodies, also run over the committed seeds by the
/// tests.
#[doc(hidden)]
pub mod fuzz_bodies {
    /// Parses arbitrary bytes as an ingestion body: never a panic, and
    /// every accepted record names a path that stays beneath the root.
    pub fn metric_records(data: &[u8]) {
        let Ok(records) = crate::ingest::parse_body(data) else {
            return;
        };
        for r in records.into_iter().flatten() {
            assert!(
                !r.path.is_empty() && !r.path.starts_with('/'),
                "{:?}",
                r.path
            );
            assert!(
                r.path
                    .split('/')
                    .all(|c| !c.is_empty() && !c.starts_with('.') && !c.contains('\0')),
                "{:?}",
                r.path
            );
            assert!(r.value.is_finite());
        }
    }
}
