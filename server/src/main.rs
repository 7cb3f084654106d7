//! `rrd-server`: serves the dashboards.
//!
//! ```text
//! rrd-server [--config FILE] [--listen ADDR:PORT] [--data-dir DIR] [--database URL]
//! rrd-server --demo [--listen ADDR:PORT]
//! rrd-server collect-tracelogs --logs DIR --rrd DIR [--once] [--tz ZONE]
//! rrd-server collect-kinesis --stream NAME --rrd DIR [--once] [--endpoint URL]
//! rrd-server storage-node RRD-CACHED-OPTIONS...
//! rrd-server copy-pages --from STORE --to STORE [--merge]
//! rrd-server storage-plan --config FILE [--root DIR] [--tracelog DIR]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use rrd_server::config::{AuthMode, IngestToken};
use rrd_server::{app, AppState, Config};

const USAGE: &str = "\
usage: rrd-server [--config FILE] [--listen ADDR:PORT] [--data-dir DIR] [--database URL]
       rrd-server --demo [--listen ADDR:PORT]
       rrd-server collect-tracelogs --logs DIR --rrd DIR [--once] [--tz ZONE]
       rrd-server collect-kinesis --stream NAME --rrd DIR [--once] [--endpoint URL]
       rrd-server storage-node -g -R -l ADDR -b DIR -B -j JOURNAL-DIR [more rrd-cached options]
       rrd-server copy-pages --from STORE --to STORE [--merge]
       rrd-server storage-plan --config FILE [--root DIR] [--tracelog DIR]

  --config FILE      TOML configuration (see the server's README section)
  --listen ADDR:PORT where to listen (default 127.0.0.1:8080; env RRD_SERVER_LISTEN)
  --data-dir DIR     pages, session key and metrics (env RRD_SERVER_DATA_DIR)
  --database URL     saved pages and the session key in PostgreSQL, shared by
                     several web nodes: postgres://USER:PASSWORD@HOST/DB
                     (feature postgres; env RRD_SERVER_DATABASE)
  --demo             a temporary data directory, generated metrics fed through
                     the ingestion endpoint, demo pages and the dev login
  storage-node       a storage node for [storage]: rrd-cached, the rrdcached-
                     protocol daemon, with rrd-cached's options
  copy-pages         saved pages and users from one store into another
                     (pages.sqlite into postgres://...); docs/deploy.md
  storage-plan       which storage node each metric file belongs on
";

struct Flags {
    config: Option<PathBuf>,
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database: Option<String>,
    demo: bool,
}

fn parse_flags(args: &[String]) -> anyhow::Result<Option<Flags>> {
    let mut f = Flags {
        config: None,
        listen: None,
        data_dir: None,
        database: None,
        demo: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |n: &str| -> anyhow::Result<String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .with_context(|| format!("{n} needs a value"))
        };
        match name {
            "--config" | "-c" => f.config = Some(value(name)?.into()),
            "--listen" | "-l" => {
                let v = value(name)?;
                f.listen = Some(
                    v.parse()
                        .with_context(|| format!("--listen {v}: not ADDR:PORT"))?,
                );
            }
            "--data-dir" | "-d" => f.data_dir = Some(value(name)?.into()),
            "--database" => f.database = Some(value(name)?),
            "--demo" => f.demo = true,
            "--help" | "-h" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "--version" | "-V" => {
                println!("rrd-server {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(Some(f))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("copy-pages") {
        return rrd_server::admin::copy_pages_cli(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("storage-plan") {
        return rrd_server::admin::storage_plan_cli(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("storage-node") {
        std::process::exit(rrd_cached::run::main(&args[1..]));
    }
    if args.first().map(String::as_str) == Some("collect-tracelogs") {
        return rrd_server::tracelog::run_cli(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("collect-kinesis") {
        #[cfg(feature = "kinesis")]
        return rrd_server::kinesis::run_cli(&args[1..]);
        #[cfg(not(feature = "kinesis"))]
        anyhow::bail!("this rrd-server was built without the kinesis feature (cargo install --path server --features kinesis)");
    }
    let Some(flags) = parse_flags(&args)? else {
        return Ok(());
    };
    let mut config = match &flags.config {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    config.apply_env(|k| std::env::var(k).ok())?;
    if let Some(l) = flags.listen {
        config.listen = l;
    }
    if let Some(d) = &flags.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(url) = &flags.database {
        config.database = Some(url.clone());
    }
    let mut demo_token = None;
    let mut demo_dir = None;
    if flags.demo {
        let dir = std::env::temp_dir().join(format!("rrd-server-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        config.data_dir = dir.clone();
        config.metrics.root = None;
        config.auth.mode = AuthMode::Dev;
        config.auth.dev_email = "dev@localhost".into();
        let token = rrd_server::auth::random_hex(16)?;
        config.ingest.tokens.push(IngestToken {
            token: token.clone(),
            source: "demo".into(),
        });
        // trace logs as syslog-ng would write them, read by the collector
        let logs = dir.join("tracelogs");
        let tz = jiff::tz::TimeZone::get(&config.tracelogs.timezone)?;
        rrd_server::demo::tracelogs(logs.clone(), tz, std::time::Duration::from_secs(20))
            .context("writing the demo's trace logs")?;
        config.tracelogs.logs = Some(logs);
        config.tracelogs.poll_seconds = 5;
        demo_token = Some(token);
        demo_dir = Some(dir);
    }
    let state = AppState::new(config.clone()).context("starting")?;
    if flags.demo {
        rrd_server::demo::pages(&*state.store, "dev", "demo").context("making the demo pages")?;
        rrd_server::demo::tracelog_pages(&*state.store, "dev")
            .context("making the demo's trace-log pages")?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let result = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let addr = listener.local_addr()?;
        eprintln!("rrd-server: listening on http://{addr}/ (data in {})", config.data_dir.display());
        if let Some(token) = demo_token {
            eprintln!("rrd-server: demo: feeding ten days of generated metrics, then a point every 20 s; log in as dev at http://{addr}/metrics/; trace-log dashboards at http://{addr}/");
            tokio::spawn(async move {
                if let Err(e) =
                    rrd_server::demo::generate(addr, token, rrd_server::system_now, 10, true).await
                {
                    eprintln!("rrd-server: demo generator stopped: {e:#}");
                }
            });
        }
        let queue = state.queue.clone();
        let served = axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                // Ctrl-C, or SIGTERM from a service manager
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
                }
            })
            .await
            .context("serving");
        // a clean stop writes what waits (the journal would replay it anyway)
        let flushed = tokio::task::spawn_blocking(move || {
            queue.stop();
            queue.flush_all()
        })
        .await;
        if !matches!(flushed, Ok(true)) {
            eprintln!("rrd-server: some records could not be written; the journal keeps them");
        }
        served
    });
    if let Some(dir) = demo_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}
