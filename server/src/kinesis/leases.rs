//! Shard leases in the shared PostgreSQL database (features `kinesis` and
//! `postgres`), as the Kinesis Client Library keeps them in its lease
//! table: several collectors read one stream, each shard by one of them.
//!
//! - **A lease** is a row `(stream, shard, owner, expires, checkpoint,
//!   wanted_by)` in `kinesis_leases`. Its owner renews it every third of
//!   the lease time; `expires` is the database's clock plus the lease
//!   time, so collectors' clocks never matter.
//! - **Never two readers**: a collector reads a shard only until half the
//!   lease time after it last sent a renewal that succeeded (its *local
//!   deadline*); readers still running then are stopped. Another
//!   collector can take the shard only once the row has expired by the
//!   database's clock, which is later than that.
//! - **Checkpoints live with the leases**, written only by the owner
//!   (`... WHERE owner = me`) and only once the records they cover are in
//!   their storage nodes' hands; a reader that finds its lease gone stops.
//! - **Fair shares**: every collector heartbeats in `kinesis_collectors`;
//!   one that holds fewer than `ceil(open shards / live collectors)`
//!   takes free or expired leases, and else asks (`wanted_by`) for one of
//!   the collector holding the most, which stops its reader and lets it
//!   go at its next renewal.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

/// What one renewal round found.
#[derive(Debug, Default)]
pub struct Round {
    /// Shards this collector holds now (renewed).
    pub held: HashSet<String>,
    /// Shards others asked for: stop reading them, then [`Leases::release`].
    pub wanted: HashSet<String>,
    /// Every lease of the stream: shard → (owner if unexpired, checkpoint).
    pub all: HashMap<String, (Option<String>, Option<String>)>,
    /// Collectors heard from within the lease time, this one included.
    pub live: usize,
}

/// This collector's handle on the lease table.
pub struct Leases {
    config: tokio_postgres::Config,
    client: tokio::sync::Mutex<Option<Client>>,
    stream: String,
    /// This collector's id.
    pub me: String,
    /// How long a lease lasts without renewal.
    pub timeout: Duration,
}

impl std::fmt::Debug for Leases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leases")
            .field("stream", &self.stream)
            .field("me", &self.me)
            .finish()
    }
}

fn pg(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("PostgreSQL: {}", db.message()),
        None => format!("PostgreSQL: {e}"),
    }
}

impl Leases {
    /// A handle for collector `me` on `stream`'s leases in the database at
    /// `url` (its schema made by the page store's migrations).
    pub fn new(url: &str, stream: &str, me: &str, timeout: Duration) -> Result<Leases, String> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
        config.connect_timeout(Duration::from_secs(5));
        config.application_name("rrd-server kinesis");
        Ok(Leases {
            config,
            client: tokio::sync::Mutex::new(None),
            stream: stream.to_string(),
            me: me.to_string(),
            timeout,
        })
    }

    /// Runs `f` on the connection (made again if it closed).
    async fn with<T>(
        &self,
        f: impl AsyncFnOnce(&mut Client) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, String> {
        let mut slot = self.client.lock().await;
        if slot.as_ref().is_none_or(Client::is_closed) {
            let (client, conn) = self.config.connect(NoTls).await.map_err(pg)?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            *slot = Some(client);
        }
        let c = slot.as_mut().expect("connected above");
        // a statement that takes longer than a third of the lease is a
        // failure of the round, not a wait
        match tokio::time::timeout(self.timeout / 3, f(c)).await {
            Ok(r) => r.map_err(pg),
            Err(_) => {
                *slot = None;
                Err("PostgreSQL: no answer in time".into())
            }
        }
    }

    fn millis(&self) -> f64 {
        self.timeout.as_secs_f64() * 1000.0
    }

    /// One round: the heartbeat, a lease row for every listed shard, the
    /// renewal of this collector's leases (except those asked for), and a
    /// look at all of them.
    pub async fn round(&self, listed: &[String]) -> Result<Round, String> {
        let (stream, me, ms) = (self.stream.clone(), self.me.clone(), self.millis());
        let listed = listed.to_vec();
        self.with(async move |c| {
            let tx = c.transaction().await?;
            tx.execute(
                "INSERT INTO kinesis_collectors (stream, id, seen) VALUES ($1, $2, clock_timestamp())
                 ON CONFLICT (stream, id) DO UPDATE SET seen = clock_timestamp()",
                &[&stream, &me],
            )
            .await?;
            tx.execute(
                "INSERT INTO kinesis_leases (stream, shard)
                 SELECT $1, s FROM unnest($2::text[]) AS s ON CONFLICT DO NOTHING",
                &[&stream, &listed],
            )
            .await?;
            let held: HashSet<String> = tx
                .query(
                    "UPDATE kinesis_leases
                        SET expires = clock_timestamp() + $3 * interval '1 millisecond'
                      WHERE stream = $1 AND owner = $2 AND expires > clock_timestamp()
                        AND wanted_by IS NULL
                  RETURNING shard",
                    &[&stream, &me, &ms],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let rows = tx
                .query(
                    "SELECT shard, CASE WHEN expires > clock_timestamp() THEN owner END,
                            checkpoint, owner = $2 AND wanted_by IS NOT NULL
                       FROM kinesis_leases WHERE stream = $1",
                    &[&stream, &me],
                )
                .await?;
            let live: i64 = tx
                .query_one(
                    "SELECT count(*) FROM kinesis_collectors
                      WHERE stream = $1 AND seen > clock_timestamp() - $2 * interval '1 millisecond'",
                    &[&stream, &ms],
                )
                .await?
                .get(0);
            tx.commit().await?;
            let mut round = Round {
                held,
                live: live.max(1) as usize,
                ..Round::default()
            };
            for r in rows {
                let shard: String = r.get(0);
                if r.get::<_, Option<bool>>(3) == Some(true) {
                    round.wanted.insert(shard.clone());
                }
                round.all.insert(shard, (r.get(1), r.get(2)));
            }
            Ok(round)
        })
        .await
    }

    /// Takes `shard` if nobody holds it (or its lease expired): its
    /// checkpoint if taken (`Some(None)`: none yet).
    pub async fn take(&self, shard: &str) -> Result<Option<Option<String>>, String> {
        let (stream, me, ms, shard) = (
            self.stream.clone(),
            self.me.clone(),
            self.millis(),
            shard.to_string(),
        );
        self.with(async move |c| {
            let row = c
                .query_opt(
                    "UPDATE kinesis_leases
                        SET owner = $3, wanted_by = NULL,
                            expires = clock_timestamp() + $4 * interval '1 millisecond'
                      WHERE stream = $1 AND shard = $2
                        AND (owner IS NULL OR expires IS NULL OR expires <= clock_timestamp())
                  RETURNING checkpoint",
                    &[&stream, &shard, &me, &ms],
                )
                .await?;
            Ok(row.map(|r| r.get(0)))
        })
        .await
    }

    /// Stores `shard`'s checkpoint if this collector still holds it;
    /// whether it did.
    pub async fn checkpoint(&self, shard: &str, seq: &str) -> Result<bool, String> {
        let (stream, me, shard, seq) = (
            self.stream.clone(),
            self.me.clone(),
            shard.to_string(),
            seq.to_string(),
        );
        self.with(async move |c| {
            let n = c
                .execute(
                    "UPDATE kinesis_leases SET checkpoint = $4
                      WHERE stream = $1 AND shard = $2 AND owner = $3
                        AND expires > clock_timestamp()",
                    &[&stream, &shard, &me, &seq],
                )
                .await?;
            Ok(n == 1)
        })
        .await
    }

    /// Lets `shard` go (its reader has stopped).
    pub async fn release(&self, shard: &str) -> Result<(), String> {
        let (stream, me, shard) = (self.stream.clone(), self.me.clone(), shard.to_string());
        self.with(async move |c| {
            c.execute(
                "UPDATE kinesis_leases SET owner = NULL, expires = NULL
                  WHERE stream = $1 AND shard = $2 AND owner = $3",
                &[&stream, &shard, &me],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Asks the holder of `shard` to let it go.
    pub async fn ask(&self, shard: &str) -> Result<(), String> {
        let (stream, me, shard) = (self.stream.clone(), self.me.clone(), shard.to_string());
        self.with(async move |c| {
            c.execute(
                "UPDATE kinesis_leases SET wanted_by = $3
                  WHERE stream = $1 AND shard = $2 AND owner <> $3 AND wanted_by IS NULL",
                &[&stream, &shard, &me],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Lets every lease of this collector go (a clean stop).
    pub async fn release_all(&self) -> Result<(), String> {
        let (stream, me) = (self.stream.clone(), self.me.clone());
        self.with(async move |c| {
            c.execute(
                "UPDATE kinesis_leases SET owner = NULL, expires = NULL
                  WHERE stream = $1 AND owner = $2",
                &[&stream, &me],
            )
            .await?;
            c.execute(
                "DELETE FROM kinesis_collectors WHERE stream = $1 AND id = $2",
                &[&stream, &me],
            )
            .await?;
            Ok(())
        })
        .await
    }
}

/// This collector's share: open shards over live collectors, rounded up.
pub fn fair_share(open: usize, live: usize) -> usize {
    open.div_ceil(live.max(1))
}
