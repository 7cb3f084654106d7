//! Configuration: a TOML file, then environment variables, then flags.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! data_dir = "/var/lib/rrd-server"
//! timezone = "US/Eastern"
//!
//! [metrics]
//! # root = "/var/lib/rrd-server/metrics"     (default: DATA_DIR/metrics)
//! [[metrics.extra_roots]]
//! name = "collectd"
//! path = "/var/lib/collectd/rrd"
//!
//! [auth]
//! mode = "header"                   # dev | header | oidc
//! header = "X-Forwarded-Email"
//! trusted_proxies = ["127.0.0.1"]
//! allowed_email = "@example\\.com$"
//!
//! [[ingest.tokens]]
//! token = "s3cret"
//! source = "cimaa"
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// Everything the server is told at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Where the server keeps its files: `pages.sqlite`, the session key
    /// and, unless `metrics.root` says otherwise, `metrics/`.
    pub data_dir: PathBuf,
    /// The zone in which dates typed into the UI are read and graphs are
    /// labelled, unless the viewer picks another (an IANA name).
    pub timezone: String,
    /// Where the series live.
    pub metrics: MetricsConfig,
    /// Who may log in, and how.
    pub auth: AuthConfig,
    /// Who may post metric records.
    pub ingest: IngestConfig,
    /// The trace-log collector and its files.
    pub tracelogs: TracelogConfig,
    /// The Kinesis collector.
    pub kinesis: KinesisConfig,
    /// Bounds on requests and work.
    pub limits: Limits,
    /// Storage nodes holding the metric files instead of the metrics root.
    pub storage: StorageConfig,
    /// Where saved pages live: unset for `DATA_DIR/pages.sqlite` (one
    /// node), or a `postgres://` URL shared by several web nodes (feature
    /// `postgres`).
    pub database: Option<String>,
}

/// Storage nodes (`[storage]`): rrdcached-protocol daemons holding the
/// metric files, each series on one of them (`storage.rs`). Empty: the
/// files are in the metrics root.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The nodes; every web node and collector lists the same ones.
    pub nodes: Vec<StorageNode>,
}

/// One storage node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageNode {
    /// Its name: what placement hashes (keep it when the address changes).
    pub name: String,
    /// Its daemon: `host:port`, `[v6]:port` or `unix:/path`.
    pub address: String,
}

impl StorageConfig {
    /// The ring of the nodes, if any.
    pub fn ring(&self) -> anyhow::Result<Option<std::sync::Arc<crate::storage::Ring>>> {
        if self.nodes.is_empty() {
            return Ok(None);
        }
        let nodes: Vec<(String, String)> = self
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.address.clone()))
            .collect();
        Ok(Some(std::sync::Arc::new(
            crate::storage::Ring::new(&nodes).map_err(anyhow::Error::msg)?,
        )))
    }
}

/// The trace-log collector (`[tracelogs]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TracelogConfig {
    /// The directory syslog-ng writes trace logs to; when set, the server
    /// runs the collector over it.
    pub logs: Option<PathBuf>,
    /// Where the trace-log RRD files are (default `DATA_DIR/tracelog`);
    /// their series are listed as `HOST/CUSTOMER-z4m/INSTANCE/tracelog/DS`.
    pub rrd: Option<PathBuf>,
    /// The zone of the logs' local times.
    pub timezone: String,
    /// Log names end with this (or this plus `.gz`).
    pub suffix: String,
    /// Seconds between looks when nothing new was read.
    pub poll_seconds: u64,
}

impl Default for TracelogConfig {
    fn default() -> Self {
        TracelogConfig {
            logs: None,
            rrd: None,
            timezone: "US/Eastern".into(),
            suffix: "-z4m.log".into(),
            poll_seconds: 10,
        }
    }
}

/// The Kinesis collector (`[kinesis]`; needs the `kinesis` feature).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KinesisConfig {
    /// The stream of CIMAA metric records; when set, the server reads it.
    pub stream: Option<String>,
    /// Its AWS region.
    pub region: String,
    /// Another endpoint than `https://kinesis.REGION.amazonaws.com`
    /// (kinesalite, a VPC endpoint).
    pub endpoint: Option<String>,
    /// The directory beneath the metrics root its series go to (their
    /// names start with it).
    pub source: String,
    /// Seconds to wait after a read that found nothing new.
    pub poll_seconds: f64,
    /// The least milliseconds between two reads of one shard (AWS allows
    /// five reads a second per shard).
    pub read_interval_ms: u64,
    /// Seconds between listings of the shards (a split or merge is also
    /// noticed when a shard ends).
    pub list_seconds: u64,
    /// Records per read, at most 10000.
    pub limit: u32,
    /// Credentials; default from `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` or the shared
    /// credentials file.
    pub access_key_id: Option<String>,
    /// See `access_key_id`.
    pub secret_access_key: Option<String>,
    /// See `access_key_id`.
    pub session_token: Option<String>,
    /// With a PostgreSQL `database`, collectors share the stream through
    /// shard leases kept there: the seconds a lease lasts without renewal
    /// (a stopped collector's shards move to the others within this).
    pub lease_seconds: f64,
}

impl std::fmt::Debug for KinesisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KinesisConfig")
            .field("stream", &self.stream)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Default for KinesisConfig {
    fn default() -> Self {
        KinesisConfig {
            stream: None,
            region: "us-east-1".into(),
            endpoint: None,
            source: "cimaa".into(),
            poll_seconds: 1.0,
            read_interval_ms: 200,
            list_seconds: 60,
            limit: 10_000,
            lease_seconds: 20.0,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
        }
    }
}

/// The series roots.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// The directory ingestion writes to (default `DATA_DIR/metrics`).
    pub root: Option<PathBuf>,
    /// Further directories of RRD files, read only: every data source of
    /// every file becomes a series `NAME/path/to/file:ds`.
    pub extra_roots: Vec<ExtraRoot>,
}

/// A read-only directory of RRD files shown as series.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraRoot {
    /// The first component of its series' names.
    pub name: String,
    /// The directory.
    pub path: PathBuf,
}

/// How users log in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// `dev`, `header` or `oidc`.
    pub mode: AuthMode,
    /// dev: the fixed user's email.
    pub dev_email: String,
    /// header: the header a trusted proxy sets to the verified email.
    pub header: String,
    /// header: the proxies whose header is believed (peer addresses).
    pub trusted_proxies: Vec<IpAddr>,
    /// A regular expression every email must match (the original allowed
    /// `@(zope|reachtapp)\.com$`).
    pub allowed_email: String,
    /// Key that signs session cookies, at least 32 characters; default: a
    /// random key kept in `DATA_DIR/session.key`.
    pub session_secret: Option<String>,
    /// Mark cookies `Secure` (set when the server is reached over https).
    pub secure_cookies: bool,
    /// Session lifetime in seconds.
    pub session_seconds: i64,
    /// oidc: the provider.
    pub oidc: Option<OidcConfig>,
}

/// The login mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// A fixed user, for demonstrations and development; loopback only.
    Dev,
    /// A trusted reverse proxy's header.
    Header,
    /// OpenID Connect, authorization code with PKCE.
    Oidc,
}

/// An OpenID Connect provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The issuer URL (discovery at `ISSUER/.well-known/openid-configuration`).
    pub issuer: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret, if the client is confidential.
    pub client_secret: Option<String>,
    /// This server's callback URL, `https://HOST/auth/callback`.
    pub redirect_url: String,
}

/// Bearer tokens for `POST /api/ingest`, and its write-behind queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Each token writes under its own source directory.
    pub tokens: Vec<IngestToken>,
    /// Longest a journaled record waits before its file is written
    /// (charts write their files first anyway); 0 writes each request's
    /// files before answering it.
    pub write_behind_seconds: u64,
    /// `fdatasync` the journal before answering (survives power loss, not
    /// only a killed server).
    pub journal_sync: bool,
    /// Most records waiting at once; past it requests are answered 503.
    pub max_pending: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            tokens: Vec::new(),
            write_behind_seconds: 60,
            journal_sync: false,
            max_pending: 4_000_000,
        }
    }
}

impl IngestConfig {
    /// The queue's settings.
    pub fn queue_settings(&self) -> crate::queue::Settings {
        crate::queue::Settings {
            delay: std::time::Duration::from_secs(self.write_behind_seconds),
            journal_sync: self.journal_sync,
            max_pending: self.max_pending,
            storage: None,
        }
    }
}

/// One ingestion token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestToken {
    /// The secret the client sends as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// The directory under the metrics root its records go to (`cimaa`).
    pub source: String,
}

/// Bounds on requests and work.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body (ingestion), bytes.
    pub max_body: usize,
    /// Largest graph width, pixels.
    pub max_width: u32,
    /// Largest graph height, pixels.
    pub max_height: u32,
    /// Most plots in one chart.
    pub max_plots: usize,
    /// Most series in one chart, counting every aggregate's members.
    pub max_series: usize,
    /// Graphs rendered at once (default: the number of cores).
    pub render_threads: usize,
    /// Renders waiting for a thread before the server answers 503.
    pub render_queue: usize,
    /// Memory for drawn images kept for viewers asking again, bytes.
    pub image_cache_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("rrd-server-data"),
            timezone: std::env::var("TZ")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "US/Eastern".into()),
            metrics: MetricsConfig::default(),
            auth: AuthConfig::default(),
            ingest: IngestConfig::default(),
            tracelogs: TracelogConfig::default(),
            kinesis: KinesisConfig::default(),
            limits: Limits::default(),
            database: None,
            storage: StorageConfig::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            mode: AuthMode::Dev,
            dev_email: "dev@localhost".into(),
            header: "X-Forwarded-Email".into(),
            trusted_proxies: vec![IpAddr::from([127, 0, 0, 1])],
            allowed_email: String::new(),
            session_secret: None,
            secure_cookies: false,
            session_seconds: 7 * 86_400,
            oidc: None,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 16 << 20,
            max_width: 4000,
            max_height: 2000,
            max_plots: 32,
            max_series: 256,
            render_threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            render_queue: 256,
            image_cache_bytes: 64 << 20,
        }
    }
}

impl Config {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the configuration {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("parsing the configuration {}", path.display()))
    }

    /// Applies `RRD_SERVER_LISTEN`, `RRD_SERVER_DATA_DIR`, `RRD_SERVER_DATABASE`,
    /// `RRD_SERVER_TIMEZONE` and `RRD_SERVER_INGEST_TOKEN` (a token for the
    /// source `ingest`).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get("RRD_SERVER_LISTEN") {
            self.listen = v
                .parse()
                .with_context(|| format!("RRD_SERVER_LISTEN={v}"))?;
        }
        if let Some(v) = get("RRD_SERVER_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("RRD_SERVER_DATABASE") {
            self.database = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("RRD_SERVER_TIMEZONE") {
            self.timezone = v;
        }
        if let Some(v) = get("RRD_SERVER_INGEST_TOKEN") {
            self.ingest.tokens.push(IngestToken {
                token: v,
                source: "ingest".into(),
            });
        }
        Ok(())
    }

    /// The trace-log RRD directory.
    pub fn tracelog_root(&self) -> PathBuf {
        self.tracelogs
            .rrd
            .clone()
            .unwrap_or_else(|| self.data_dir.join("tracelog"))
    }

    /// The directory ingestion writes to.
    pub fn metrics_root(&self) -> PathBuf {
        self.metrics
            .root
            .clone()
            .unwrap_or_else(|| self.data_dir.join("metrics"))
    }

    /// Checks what can be checked before anything starts.
    pub fn validate(&self) -> anyhow::Result<()> {
        jiff::tz::TimeZone::get(&self.timezone)
            .with_context(|| format!("unknown time zone {:?}", self.timezone))?;
        jiff::tz::TimeZone::get(&self.tracelogs.timezone)
            .with_context(|| format!("unknown tracelogs.timezone {:?}", self.tracelogs.timezone))?;
        if self.tracelogs.suffix.is_empty() || self.tracelogs.poll_seconds == 0 {
            bail!(
                "tracelogs.suffix must not be empty and tracelogs.poll_seconds must be at least 1"
            );
        }
        if self.storage.ring()?.is_some() {
            // on storage nodes the trace-log files are beneath this name
            let reserved = crate::tracelog::STORAGE_DIR;
            let sources = self
                .ingest
                .tokens
                .iter()
                .map(|t| t.source.as_str())
                .chain(std::iter::once(self.kinesis.source.as_str()));
            for s in sources {
                if s == reserved {
                    bail!("with [storage], no metric source may be called {reserved:?} (the trace-log files are there)");
                }
            }
        }
        if let Some(url) = &self.database {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                bail!("database must be a postgres:// URL (or unset for DATA_DIR/pages.sqlite), not {url:?}");
            }
            if !cfg!(feature = "postgres") {
                bail!(
                    "database is a PostgreSQL URL, but this rrd-server was built without the \
                     postgres feature (cargo install --path server --features postgres)"
                );
            }
        }
        if let Some(stream) = &self.kinesis.stream {
            if !cfg!(feature = "kinesis") {
                bail!(
                    "kinesis.stream {stream:?} is set, but this rrd-server was built without the \
                     kinesis feature (cargo install --path server --features kinesis)"
                );
            }
            if !(0.0..=3600.0).contains(&self.kinesis.poll_seconds)
                || self.kinesis.list_seconds == 0
                || self.kinesis.read_interval_ms > 60_000
                || !(1..=10_000).contains(&self.kinesis.limit)
                || !(1.0..=3600.0).contains(&self.kinesis.lease_seconds)
            {
                bail!(
                    "kinesis: poll_seconds must be 0 to 3600, list_seconds at least 1, \
                     read_interval_ms at most 60000, limit 1 to 10000 and lease_seconds 1 to 3600"
                );
            }
        }
        if self.ingest.max_pending == 0 {
            bail!("ingest.max_pending must be at least 1");
        }
        if self.ingest.write_behind_seconds > 86_400 {
            bail!("ingest.write_behind_seconds must be at most 86400 (a day)");
        }
        regex::Regex::new(&self.auth.allowed_email)
            .with_context(|| format!("auth.allowed_email {:?}", self.auth.allowed_email))?;
        if self.auth.mode == AuthMode::Dev && !self.listen.ip().is_loopback() {
            bail!(
                "the dev login lets anyone in as {}: it listens only on a loopback address, not {}",
                self.auth.dev_email,
                self.listen
            );
        }
        if self.auth.mode == AuthMode::Oidc && self.auth.oidc.is_none() {
            bail!("auth.mode = \"oidc\" needs an [auth.oidc] section (issuer, client_id, redirect_url)");
        }
        if let Some(s) = &self.auth.session_secret {
            if s.len() < 32 {
                bail!("auth.session_secret must be at least 32 characters");
            }
        }
        for t in &self.ingest.tokens {
            if t.token.len() < 16 {
                bail!(
                    "ingest token for source {:?} is shorter than 16 characters",
                    t.source
                );
            }
            crate::ingest::check_component(&t.source)
                .map_err(|why| anyhow::anyhow!("ingest source {:?}: {why}", t.source))?;
        }
        for r in &self.metrics.extra_roots {
            crate::ingest::check_component(&r.name)
                .map_err(|why| anyhow::anyhow!("extra root name {:?}: {why}", r.name))?;
        }
        if self.limits.render_threads == 0 {
            bail!("limits.render_threads must be at least 1");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
listen = "127.0.0.1:9000"
data_dir = "/tmp/x"
timezone = "UTC"
[metrics]
[[metrics.extra_roots]]
name = "collectd"
path = "/var/lib/collectd/rrd"
[auth]
mode = "header"
trusted_proxies = ["127.0.0.1", "::1"]
allowed_email = "@example\\.com$"
[[ingest.tokens]]
token = "0123456789abcdef"
source = "cimaa"
"#;
        let c: Config = toml::from_str(text).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.auth.mode, AuthMode::Header);
        assert_eq!(c.auth.trusted_proxies.len(), 2);
        assert_eq!(c.metrics.extra_roots[0].name, "collectd");
        assert_eq!(c.ingest.tokens[0].source, "cimaa");
        assert_eq!(c.metrics_root(), PathBuf::from("/tmp/x/metrics"));
        c.validate().unwrap();
    }

    #[test]
    fn refuses_unknown_keys_and_a_public_dev_login() {
        assert!(toml::from_str::<Config>("listn = \"1.2.3.4:5\"").is_err());
        let c: Config = toml::from_str("listen = \"0.0.0.0:8080\"").unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("loopback"), "{e}");
    }

    #[test]
    fn environment_overrides() {
        let mut c = Config::default();
        c.apply_env(|k| match k {
            "RRD_SERVER_LISTEN" => Some("127.0.0.1:1234".into()),
            "RRD_SERVER_INGEST_TOKEN" => Some("abcdefghijklmnopq".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.listen.port(), 1234);
        assert_eq!(c.ingest.tokens[0].source, "ingest");
        assert!(c.apply_env(|_| Some("nonsense".into())).is_err());
    }
}
