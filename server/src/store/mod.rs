//! Saved pages: user → page → chart id → parameters, with the original's
//! generation rule, behind [`PageStore`]: SQLite ([`SqliteStore`], one
//! node, the default) or PostgreSQL (`postgres::PgStore`, feature
//! `postgres`, shared by several web nodes).
//!
//! Pages belong to an *app* (`metrics` for `/metrics`, `tracelog` for `/`),
//! as the original kept `root['metrics']` and `root['definitions']` apart.
//! A page exists while it has charts: destroying its last chart deletes it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

/// A chart's parameters, as the browser sends them (`data0`, `color0`, ...).
pub type Params = BTreeMap<String, String>;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("page store: {0}")]
    Db(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed, or could not be reached.
    #[error("page store: PostgreSQL: {0}")]
    Pg(String),
    /// A stored value is not what this version wrote.
    #[error("page store: corrupt chart parameters: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The database was written by a newer rrd-server.
    #[error("page store: schema version {found} is newer than this server's {known}")]
    TooNew {
        /// The database's version.
        found: i64,
        /// The newest this server knows.
        known: i64,
    },
}

/// What `claim_user` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The name is this email's (now or from before).
    Ok,
    /// The name belongs to another email.
    TakenBy(String),
}

/// What destroying a chart did, in the original's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destroyed {
    /// The chart is gone and the page with it (`empty`).
    PageEmpty,
    /// The chart is gone (`destroyed IMGID`).
    Chart,
    /// There was no such chart (`''`).
    Nothing,
}

/// What copying a page did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Copied {
    /// The target has charts and `overwrite` was not given.
    Exists,
    /// The target now holds the charts (or is deleted, for none).
    Done,
}

/// Saved pages. Methods block: call them from a blocking task.
pub trait PageStore: Send + Sync + 'static {
    /// The session-signing key every node sharing this store uses:
    /// `candidate` is kept if no node kept one before. `None` where the
    /// store is one node's own (SQLite: the key lives in the data
    /// directory).
    fn shared_session_key(&self, candidate: &str) -> Result<Option<String>, StoreError> {
        let _ = candidate;
        Ok(None)
    }
    /// Every claimed user name with its email, sorted by name.
    fn users(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Binds a user name (an email's local part) to its email on first
    /// login; two emails with the same local part are refused, not merged.
    fn claim_user(&self, name: &str, email: &str) -> Result<Claim, StoreError>;
    /// The users who have pages in `app`, sorted.
    fn owners(&self, app: &str) -> Result<Vec<String>, StoreError>;
    /// `owner`'s page names in `app`, sorted.
    fn pages(&self, app: &str, owner: &str) -> Result<Vec<String>, StoreError>;
    /// A page's charts, by chart id sorted as strings (the original's order).
    fn load(&self, app: &str, owner: &str, page: &str)
        -> Result<Vec<(String, Params)>, StoreError>;
    /// Stores a chart's parameters if it is new, or if they differ and
    /// `generation` is higher than the stored one. Returns whether it wrote.
    fn save_chart(
        &self,
        app: &str,
        owner: &str,
        page: &str,
        imgid: &str,
        generation: i64,
        params: &Params,
    ) -> Result<bool, StoreError>;
    /// Deletes a chart, and the page when it was the last.
    fn destroy(
        &self,
        app: &str,
        owner: &str,
        page: &str,
        imgid: &str,
    ) -> Result<Destroyed, StoreError>;
    /// Makes `to_owner`'s page `to_page` hold exactly `charts`; with no
    /// charts the target is deleted. Refuses to replace a page that has
    /// charts unless `overwrite`.
    fn replace_page(
        &self,
        app: &str,
        to_owner: &str,
        to_page: &str,
        charts: &[(String, i64, Params)],
        overwrite: bool,
    ) -> Result<Copied, StoreError>;
}

#[cfg(feature = "postgres")]
pub mod postgres;

/// The schema, one migration per entry; `PRAGMA user_version` counts the
/// ones applied. `postgres::MIGRATIONS` is the same schema in PostgreSQL's
/// words, entry for entry.
const MIGRATIONS: &[&str] = &["CREATE TABLE users (
        name  TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE
     );
     CREATE TABLE charts (
        app        TEXT NOT NULL,
        owner      TEXT NOT NULL,
        page       TEXT NOT NULL,
        imgid      TEXT NOT NULL,
        generation INTEGER NOT NULL,
        params     TEXT NOT NULL,
        PRIMARY KEY (app, owner, page, imgid)
     );"];

/// [`PageStore`] in one SQLite file (WAL mode).
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Self::migrate(conn)
    }

    /// A database in memory (tests).
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        Self::migrate(Connection::open_in_memory()?)
    }

    fn migrate(mut conn: Connection) -> Result<SqliteStore, StoreError> {
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (k, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", k as i64 + 1)?;
            tx.commit()?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // a panic while holding the lock leaves a usable connection: every
        // write is one statement or one transaction
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl PageStore for SqliteStore {
    fn users(&self) -> Result<Vec<(String, String)>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare_cached("SELECT name, email FROM users ORDER BY name")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn claim_user(&self, name: &str, email: &str) -> Result<Claim, StoreError> {
        let c = self.conn();
        c.execute(
            "INSERT INTO users (name, email) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![name, email],
        )?;
        let owner: String =
            c.query_row("SELECT email FROM users WHERE name = ?1", [name], |r| {
                r.get(0)
            })?;
        Ok(if owner == email {
            Claim::Ok
        } else {
            Claim::TakenBy(owner)
        })
    }

    fn owners(&self, app: &str) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut st =
            c.prepare_cached("SELECT DISTINCT owner FROM charts WHERE app = ?1 ORDER BY owner")?;
        let rows = st.query_map([app], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pages(&self, app: &str, owner: &str) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare_cached(
            "SELECT DISTINCT page FROM charts WHERE app = ?1 AND owner = ?2 ORDER BY page",
        )?;
        let rows = st.query_map([app, owner], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn load(
        &self,
        app: &str,
        owner: &str,
        page: &str,
    ) -> Result<Vec<(String, Params)>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare_cached(
            "SELECT imgid, params FROM charts WHERE app = ?1 AND owner = ?2 AND page = ?3 ORDER BY imgid",
        )?;
        let rows = st.query_map([app, owner, page], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            out.push((id, serde_json::from_str(&json)?));
        }
        Ok(out)
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
        let n = self.conn().execute(
            "INSERT INTO charts (app, owner, page, imgid, generation, params) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (app, owner, page, imgid) DO UPDATE
                SET generation = excluded.generation, params = excluded.params
              WHERE excluded.generation > charts.generation AND excluded.params <> charts.params",
            params![app, owner, page, imgid, generation, json],
        )?;
        Ok(n > 0)
    }

    fn destroy(
        &self,
        app: &str,
        owner: &str,
        page: &str,
        imgid: &str,
    ) -> Result<Destroyed, StoreError> {
        let c = self.conn();
        let n = c.execute(
            "DELETE FROM charts WHERE app = ?1 AND owner = ?2 AND page = ?3 AND imgid = ?4",
            params![app, owner, page, imgid],
        )?;
        if n == 0 {
            return Ok(Destroyed::Nothing);
        }
        let left: Option<i64> = c
            .query_row(
                "SELECT 1 FROM charts WHERE app = ?1 AND owner = ?2 AND page = ?3 LIMIT 1",
                params![app, owner, page],
                |r| r.get(0),
            )
            .optional()?;
        Ok(if left.is_some() {
            Destroyed::Chart
        } else {
            Destroyed::PageEmpty
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
        let mut c = self.conn();
        let tx = c.transaction()?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM charts WHERE app = ?1 AND owner = ?2 AND page = ?3 LIMIT 1",
                params![app, to_owner, to_page],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() && !overwrite && !charts.is_empty() {
            return Ok(Copied::Exists);
        }
        tx.execute(
            "DELETE FROM charts WHERE app = ?1 AND owner = ?2 AND page = ?3",
            params![app, to_owner, to_page],
        )?;
        for (imgid, generation, p) in charts {
            tx.execute(
                "INSERT INTO charts (app, owner, page, imgid, generation, params) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![app, to_owner, to_page, imgid, generation, serde_json::to_string(p)?],
            )?;
        }
        tx.commit()?;
        Ok(Copied::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    // what every store must do is in tests/it/store.rs, run over SQLite
    // and PostgreSQL alike

    #[test]
    fn migrations_survive_reopening_and_refuse_newer_schemas() {
        let dir = std::env::temp_dir().join(format!("rrd-server-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pages.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let s = SqliteStore::open(&path).unwrap();
            s.save_chart("metrics", "jim", "p", "1", 1, &p(&[("a", "b")]))
                .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.load("metrics", "jim", "p").unwrap().len(), 1);
        drop(s);
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        assert!(matches!(
            SqliteStore::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
