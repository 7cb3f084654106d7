//! rrd-server's integration tests: every route in process
//! (`app(state).oneshot`), with real RRD files in a temporary directory.

mod abuse;
mod auth;
mod browser;
mod demo;
mod fuzz_seeds;
mod graphs;
mod ingest;
#[cfg(feature = "kinesis")]
mod kinesis;
mod pages;
mod queue;
mod storage;
mod store;
mod syslog;
mod tracelog;
mod tracelog_model;
mod tracelog_pages;
mod webdriver;

#[path = "../support/daemon.rs"]
pub mod daemon;
#[cfg(feature = "kinesis")]
#[path = "../support/kinesalite.rs"]
pub mod kinesalite;
#[cfg(feature = "postgres")]
#[path = "../support/postgres.rs"]
pub mod postgres;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use rrd_server::config::{AuthMode, IngestToken};
use rrd_server::store::SqliteStore;
use rrd_server::{app, AppState, Config};
use tower::ServiceExt;

/// The token the harness ingests with (source `test`).
pub const TOKEN: &str = "test-token-0123456789";
/// The harness's clock: 2024-01-01 00:00:00 UTC.
pub const NOW: i64 = 1_704_067_200;

/// A server over a fresh data directory.
pub struct Harness {
    pub state: AppState,
    pub dir: PathBuf,
    pub config: Config,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn tempdir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("rrd-server-it-{}-{tag}-{k}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl Harness {
    pub fn new(tag: &str) -> Harness {
        Self::with(tag, |_| {})
    }

    pub fn with(tag: &str, tweak: impl FnOnce(&mut Config)) -> Harness {
        let dir = tempdir(tag);
        let mut config = Config {
            data_dir: dir.clone(),
            timezone: "UTC".into(),
            ..Config::default()
        };
        config.auth.mode = AuthMode::Dev;
        config.ingest.tokens.push(IngestToken {
            token: TOKEN.into(),
            source: "test".into(),
        });
        config.limits.render_threads = 2;
        tweak(&mut config);
        let state = Self::start(&config);
        Harness { state, dir, config }
    }

    fn start(config: &Config) -> AppState {
        #[cfg(feature = "postgres")]
        if let Some(url) = &config.database {
            let store = Arc::new(rrd_server::store::postgres::PgStore::open(url).unwrap());
            return AppState::with_store(config.clone(), store, Box::new(|| NOW)).unwrap();
        }
        let store = Arc::new(SqliteStore::open(&config.data_dir.join("pages.sqlite")).unwrap());
        AppState::with_store(config.clone(), store, Box::new(|| NOW)).unwrap()
    }

    /// Stops the server as a kill would, without writing what waits, and
    /// starts another over the same directory (which replays the journal).
    pub fn restart(&mut self) {
        self.state.queue.stop();
        let weak = std::sync::Arc::downgrade(&self.state.queue);
        self.state = Self::start(&self.config);
        assert!(weak.upgrade().is_none(), "the old queue is gone");
    }

    /// Writes every waiting record (`POST /api/ingest/flush`); the queue's
    /// counters after.
    pub async fn flush(&self) -> serde_json::Value {
        let req = Request::post("/api/ingest/flush")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap();
        let r = self.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()
    }

    pub fn metrics(&self) -> PathBuf {
        self.dir.join("metrics")
    }

    /// A session cookie for `name@example.com`.
    pub fn cookie(&self, name: &str) -> String {
        format!(
            "rrd_session={}",
            self.state
                .sessions
                .mint(&format!("{name}@example.com"), NOW)
        )
    }

    pub fn csrf(&self, name: &str) -> String {
        self.state.sessions.csrf(&format!("{name}@example.com"))
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let mut req = req;
        if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        }
        let r = app(self.state.clone()).oneshot(req).await.unwrap();
        let (parts, body) = r.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes().to_vec(),
        }
    }

    /// GET as `user` (None: not logged in).
    pub async fn get(&self, path: &str, user: Option<&str>) -> Answer {
        let mut b = Request::get(path).header(header::HOST, "localhost");
        if let Some(u) = user {
            b = b.header(header::COOKIE, self.cookie(u));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// POST JSON as `user`, with that user's CSRF token.
    pub async fn post(&self, path: &str, user: &str, body: serde_json::Value) -> Answer {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, self.cookie(user))
            .header("x-csrf-token", self.csrf(user))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// POST a body to /api/ingest with the harness token.
    pub async fn ingest(&self, body: &str) -> Answer {
        let req = Request::post("/api/ingest")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// JSON lines of records `(timestamp, name, value)`.
pub fn lines(records: &[(i64, &str, f64)]) -> String {
    records
        .iter()
        .map(|(t, n, v)| {
            serde_json::json!({"timestamp": t, "name": n, "value": v}).to_string() + "\n"
        })
        .collect()
}

/// A query string.
pub fn q(pairs: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (k, v) in pairs {
        if !s.is_empty() {
            s.push('&');
        }
        s.push_str(k);
        s.push('=');
        s.push_str(&rrd_server::ui::url_encode(v).replace('/', "%2F"));
    }
    s
}

/// Whether this runs in CI, where a missing real part fails the run
/// (`CI` set, or `RRD_E2E=require` as `.ci/run` sets it).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
        || std::env::var("RRD_E2E").as_deref() == Ok("require")
}

/// Whether rrdtool is on PATH (the differential tests need it; CI has it).
pub fn have_rrdtool() -> bool {
    let ok = std::process::Command::new("rrdtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !in_ci(),
            "rrdtool is not on PATH, and CI must run the differential tests (apt-get install rrdtool)"
        );
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            eprintln!("rrdtool is not on PATH: the differential server tests do not run")
        });
    }
    ok
}

/// Serves `h` on a loopback port from a thread of its own.
pub fn serve(h: &Harness) -> SocketAddr {
    serve_on(h, std::net::TcpListener::bind("127.0.0.1:0").unwrap())
}

/// Serves `h` on `listener` from a thread of its own.
pub fn serve_on(h: &Harness, listener: std::net::TcpListener) -> SocketAddr {
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = rrd_server::app(h.state.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(l, app.into_make_service_with_connect_info::<SocketAddr>())
                .await
                .unwrap();
        });
    });
    addr
}
