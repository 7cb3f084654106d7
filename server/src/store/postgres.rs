//! [`PageStore`] in PostgreSQL (feature `postgres`): the store several web
//! nodes share. Selected by a `postgres://` URL (`database` in the
//! configuration).
//!
//! The trait's methods block; the connections live on a small runtime of
//! their own, so a method may be called from any thread, a runtime's
//! blocking pool or none. Connections are opened as needed (at most
//! [`PgStore::MAX_CONNECTIONS`]), a closed one is dropped and replaced on
//! the next call, and every call gives up after [`PgStore::CALL_TIMEOUT`]
//! with an error instead of hanging on a database that went away.
//!
//! Ordering matches SQLite's: names are compared byte by byte
//! (`COLLATE "C"`), whatever the database's locale.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, NoTls};

use super::{Claim, Copied, Destroyed, PageStore, Params, StoreError};

/// The schema, one migration per entry, counted in `rrd_server_schema`.
/// Entry 1 is SQLite's schema (`store::MIGRATIONS`) in PostgreSQL's words.
pub const MIGRATIONS: &[&str] = &[
    "CREATE TABLE users (
        name  TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE
     );
     CREATE TABLE charts (
        app        TEXT NOT NULL,
        owner      TEXT NOT NULL,
        page       TEXT NOT NULL,
        imgid      TEXT NOT NULL,
        generation BIGINT NOT NULL,
        params     TEXT NOT NULL,
        PRIMARY KEY (app, owner, page, imgid)
     );",
    // what the nodes sharing the database share: the session key
    "CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
     );",
    // Kinesis shard leases and their checkpoints (kinesis/leases.rs)
    "CREATE TABLE kinesis_leases (
        stream     TEXT NOT NULL,
        shard      TEXT NOT NULL,
        owner      TEXT,
        expires    TIMESTAMPTZ,
        checkpoint TEXT,
        wanted_by  TEXT,
        PRIMARY KEY (stream, shard)
     );
     CREATE TABLE kinesis_collectors (
        stream TEXT NOT NULL,
        id     TEXT NOT NULL,
        seen   TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (stream, id)
     );",
];

/// The advisory lock nodes starting together take to migrate one at a time.
const MIGRATION_LOCK: i64 = 0x7272_645f_7365_7276; // "rrd_serv"

/// Saved pages in PostgreSQL.
pub struct PgStore {
    rt: Option<tokio::runtime::Runtime>,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &redact(&self.pool.url))
            .finish()
    }
}

struct Pool {
    url: String,
    config: tokio_postgres::Config,
    idle: Mutex<Vec<Client>>,
    slots: Arc<Semaphore>,
}

/// A connection taken from the pool; it goes back when dropped, unless
/// it closed.
struct Conn {
    client: Option<Client>,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a taken connection holds a client")
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a taken connection holds a client")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(c) = self.client.take().filter(|c| !c.is_closed()) {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(c);
        }
    }
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A PostgreSQL error with what the server said, if it said something.
fn pg(e: tokio_postgres::Error) -> StoreError {
    StoreError::Pg(match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(inner) = src {
                s.push_str(": ");
                s.push_str(&inner.to_string());
                src = inner.source();
            }
            s
        }
    })
}

impl Pool {
    async fn get(self: &Arc<Self>) -> Result<Conn, StoreError> {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Pg("the connection pool is closed".into()))?;
        loop {
            let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match idle {
                Some(c) if c.is_closed() => continue,
                Some(c) => {
                    return Ok(Conn {
                        client: Some(c),
                        pool: self.clone(),
                        _permit: permit,
                    })
                }
                None => break,
            }
        }
        let (client, connection) = self.config.connect(NoTls).await.map_err(|e| {
            StoreError::Pg(format!(
                "connecting to {}: {}",
                redact(&self.url),
                match pg(e) {
                    StoreError::Pg(m) => m,
                    other => other.to_string(),
                }
            ))
        })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("rrd-server: page store: PostgreSQL connection ended: {e}");
            }
        });
        Ok(Conn {
            client: Some(client),
            pool: self.clone(),
            _permit: permit,
        })
    }
}

impl PgStore {
    /// Connections open at most.
    pub const MAX_CONNECTIONS: usize = 8;
    /// How long one call may take, connecting included.
    pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

    /// Connects to `url` (`postgres://user:password@host:port/database`,
    /// or `host=/run/postgresql` for a socket), creating and migrating the
    /// schema. Refuses a schema newer than this server's.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Pg(format!("{}: {e}", redact(url))))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("rrd-server");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rrd-server-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Pg(format!("starting its runtime: {e}")))?;
        let store = PgStore {
            rt: Some(rt),
            pool: Arc::new(Pool {
                url: url.to_string(),
                config,
                idle: Mutex::new(Vec::new()),
                slots: Arc::new(Semaphore::new(Self::MAX_CONNECTIONS)),
            }),
        };
        store.call(|pool| async move {
            let mut c = pool.get().await?;
            migrate(&mut c).await
        })?;
        Ok(store)
    }

    /// Runs `f` on the store's runtime and waits for it, at most
    /// [`Self::CALL_TIMEOUT`].
    fn call<T, F>(&self, f: impl FnOnce(Arc<Pool>) -> F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let rt = self
            .rt
            .as_ref()
            .expect("the runtime lives as long as the store");
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let fut = f(self.pool.clone());
        rt.spawn(async move {
            let r = match tokio::time::timeout(Self::CALL_TIMEOUT, fut).await {
                Ok(r) => r,
                Err(_) => Err(StoreError::Pg(format!(
                    "no answer within {} s",
                    Self::CALL_TIMEOUT.as_secs()
                ))),
            };
            let _ = tx.send(r);
        });
        rx.recv()
            .map_err(|_| StoreError::Pg("the call was abandoned".into()))?
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // may be dropped on an async thread, where a runtime must not block
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

async fn migrate(c: &mut Client) -> Result<(), StoreError> {
    let tx = c.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS rrd_server_schema (version BIGINT NOT NULL)")
        .await
        .map_err(pg)?;
    let version: i64 = match tx
        .query_opt("SELECT version FROM rrd_server_schema", &[])
        .await
        .map_err(pg)?
    {
        Some(row) => row.get(0),
        None => {
            tx.execute("INSERT INTO rrd_server_schema (version) VALUES (0)", &[])
                .await
                .map_err(pg)?;
            0
        }
    };
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for sql in MIGRATIONS.iter().skip(version as usize) {
        tx.batch_execute(sql).await.map_err(pg)?;
    }
    tx.execute("UPDATE rrd_server_schema SET version = $1", &[&known])
        .await
        .map_err(pg)?;
    tx.commit().await.map_err(pg)
}

fn decode(json: &str) -> Result<Params, StoreError> {
    Ok(serde_json::from_str(json)?)
}

impl PageStore for PgStore {
    fn shared_session_key(&self, candidate: &str) -> Result<Option<String>, StoreError> {
        let candidate = candidate.to_string();
        self.call(|pool| async move {
            let c = pool.get().await?;
            c.execute(
                "INSERT INTO settings (name, value) VALUES ('session_key', $1) ON CONFLICT DO NOTHING",
                &[&candidate],
            )
            .await
            .map_err(pg)?;
            let row = c
                .query_one("SELECT value FROM settings WHERE name = 'session_key'", &[])
                .await
                .map_err(pg)?;
            Ok(Some(row.get(0)))
        })
    }

    fn users(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.call(|pool| async move {
            let c = pool.get().await?;
            let rows = c
                .query(
                    "SELECT name, email FROM users ORDER BY name COLLATE \"C\"",
                    &[],
                )
                .await
                .map_err(pg)?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn claim_user(&self, name: &str, email: &str) -> Result<Claim, StoreError> {
        let (name, email) = (name.to_string(), email.to_string());
        self.call(|pool| async move {
            let c = pool.get().await?;
            c.execute(
                "INSERT INTO users (name, email) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&name, &email],
            )
            .await
            .map_err(pg)?;
            // no row: the email is another name's (the UNIQUE email)
            let owner: Option<String> = c
                .query_opt("SELECT email FROM users WHERE name = $1", &[&name])
                .await
                .map_err(pg)?
                .map(|r| r.get(0));
            Ok(match owner {
                Some(o) if o == email => Claim::Ok,
                Some(o) => Claim::TakenBy(o),
                None => Claim::TakenBy(email),
            })
        })
    }

    fn owners(&self, app: &str) -> Result<Vec<String>, StoreError> {
        let app = app.to_string();
        self.call(|pool| async move {
            let c = pool.get().await?;
            let rows = c
                .query(
                    "SELECT DISTINCT owner COLLATE \"C\" AS o FROM charts WHERE app = $1 ORDER BY o",
                    &[&app],
                )
                .await
                .map_err(pg)?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn pages(&self, app: &str, owner: &str) -> Result<Vec<String>, StoreError> {
        let (app, owner) = (app.to_string(), owner.to_string());
        self.call(|pool| async move {
            let c = pool.get().await?;
            let rows = c
                .query(
                    "SELECT DISTINCT page COLLATE \"C\" AS p FROM charts \
                     WHERE app = $1 AND owner = $2 ORDER BY p",
                    &[&app, &owner],
                )
                .await
                .map_err(pg)?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn load(
        &self,
        app: &str,
        owner: &str,
        page: &str,
    ) -> Result<Vec<(String, Params)>, StoreError> {
        let (app, owner, page) = (app.to_string(), owner.to_string(), page.to_string());
        self.call(|pool| async move {
            let c = pool.get().await?;
            let rows = c
                .query(
                    "SELECT imgid, params FROM charts WHERE app = $1 AND owner = $2 AND page = $3 \
                     ORDER BY imgid COLLATE \"C\"",
                    &[&app, &owner, &page],
                )
                .await
                .map_err(pg)?;
            rows.iter()
                .map(|r| Ok((r.get::<_, String>(0), decode(r.get(1))?)))
                .collect()
        })
    }

    fn save_chart(
        &self,
        app: &str,
        owner: &str,
        page: &str,
        imgid: &str,
        generation: i64,
        params: &Params,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(params)?;
        let keys = [app, owner, page, imgid].map(str::to_string);
        self.call(|pool| async move {
            let c = pool.get().await?;
            let [app, owner, page, imgid] = &keys;
            let n = c
                .execute(
                    "INSERT INTO charts (app, owner, page, imgid, generation, params) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (app, owner, page, imgid) DO UPDATE \
                        SET generation = excluded.generation, params = excluded.params \
                      WHERE excluded.generation > charts.generation AND excluded.params <> charts.params",
                    &[app, owner, page, imgid, &generation, &json],
                )
                .await
                .map_err(pg)?;
            Ok(n > 0)
        })
    }

    fn destroy(
        &self,
        app: &str,
        owner: &str,
        page: &str,
        imgid: &str,
    ) -> Result<Destroyed, StoreError> {
        let keys = [app, owner, page, imgid].map(str::to_string);
        self.call(|pool| async move {
            let mut c = pool.get().await?;
            let [app, owner, page, imgid] = &keys;
            // one transaction: "the last chart" is decided with the delete
            let tx = c.transaction().await.map_err(pg)?;
            let n = tx
                .execute(
                    "DELETE FROM charts WHERE app = $1 AND owner = $2 AND page = $3 AND imgid = $4",
                    &[app, owner, page, imgid],
                )
                .await
                .map_err(pg)?;
            let left = tx
                .query_opt(
                    "SELECT 1 FROM charts WHERE app = $1 AND owner = $2 AND page = $3 LIMIT 1",
                    &[app, owner, page],
                )
                .await
                .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(match (n, left) {
                (0, _) => Destroyed::Nothing,
                (_, Some(_)) => Destroyed::Chart,
                (_, None) => Destroyed::PageEmpty,
            })
        })
    }

    fn replace_page(
        &self,
        app: &str,
        to_owner: &str,
        to_page: &str,
        charts: &[(String, i64, Params)],
        overwrite: bool,
    ) -> Result<Copied, StoreError> {
        let keys = [app, to_owner, to_page].map(str::to_string);
        let rows = charts
            .iter()
            .map(|(id, g, p)| Ok((id.clone(), *g, serde_json::to_string(p)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.call(|pool| async move {
            let mut c = pool.get().await?;
            let [app, owner, page] = &keys;
            let tx = c.transaction().await.map_err(pg)?;
            // two copies to one page at once: the second waits for the first
            let lock_key = format!("{}/{}/{app}{owner}{page}", app.len(), owner.len());
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[&lock_key],
            )
            .await
            .map_err(pg)?;
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM charts WHERE app = $1 AND owner = $2 AND page = $3 LIMIT 1",
                    &[app, owner, page],
                )
                .await
                .map_err(pg)?;
            if exists.is_some() && !overwrite && !rows.is_empty() {
                return Ok(Copied::Exists);
            }
            tx.execute(
                "DELETE FROM charts WHERE app = $1 AND owner = $2 AND page = $3",
                &[app, owner, page],
            )
            .await
            .map_err(pg)?;
            for (imgid, generation, json) in &rows {
                tx.execute(
                    "INSERT INTO charts (app, owner, page, imgid, generation, params) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[app, owner, page, imgid, generation, json],
                )
                .await
                .map_err(pg)?;
            }
            tx.commit().await.map_err(pg)?;
            Ok(Copied::Done)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://rrd:s3cret@db:5432/pages"),
            "postgres://rrd:***@db:5432/pages"
        );
        assert_eq!(redact("postgres://rrd@db/pages"), "postgres://rrd@db/pages");
        assert_eq!(redact("host=/run/postgresql"), "host=/run/postgresql");
    }
}
