//! The Kinesis collector: the original's `collect_kinesis`, over every
//! shard of the stream.
//!
//! Each Kinesis record holds CIMAA metric JSON (`{"timestamp", "name",
//! "value", "units"}`, or several as an array or JSON lines); it goes to
//! `<metrics root>/<source>/<name mapped>.rrd` (`source` is `cimaa` by
//! default, so series read `cimaa/host/check/metric`), through the same
//! parsing, name mapping, skip-older and same-second rules and write-behind
//! queue as `POST /api/ingest`.
//!
//! - **Every shard**: shards are found with `ListShards` (again every
//!   `list_seconds`, and whenever a shard ends); a shard is read only once
//!   its parents (split or merge) are finished, so a series' records stay in
//!   order across resharding. Each shard is read by its own task.
//! - **Checkpoints that cannot drift from the files**: a shard's position
//!   (the last sequence number, opaque; `END` once a closed shard is read
//!   through) is journaled by the write queue in the same append as the
//!   records it covers ([`crate::queue::WriteQueue::accept`]). A collector
//!   killed at any moment resumes exactly after the last records it
//!   journaled: records are fetched at least once, and applied once.
//! - **Resuming**: `AFTER_SEQUENCE_NUMBER` the checkpoint, `TRIM_HORIZON`
//!   without one, and `TRIM_HORIZON` again (logged) when the service rejects
//!   a stored sequence number, as the original meant to.
//! - **Several collectors** (with a PostgreSQL `database`): the shards are
//!   shared through leases kept there, with their checkpoints
//!   ([`leases`]); a checkpoint moves only once the records it covers
//!   are written to their files (or storage nodes), so a collector that
//!   takes a shard over reads on from where nothing is missing.
//! - **Errors**: throttling and network errors back off exponentially (to
//!   10 s); an expired iterator is renewed from the checkpoint; a malformed
//!   record is counted, logged (the first ones) and skipped.

pub mod api;
#[cfg(feature = "postgres")]
pub mod leases;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use base64::Engine as _;
use serde::Serialize;

use crate::queue::{QueueError, WriteQueue};
use api::{ApiError, Client, Start};

/// Malformed records logged one by one before only the counts go on.
const LOGGED_MALFORMED: u64 = 20;
/// Longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How the collector runs (`[kinesis]`, or `collect-kinesis`'s flags).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The stream.
    pub stream: String,
    /// Its region.
    pub region: String,
    /// Another endpoint than AWS's (kinesalite, a VPC endpoint).
    pub endpoint: Option<String>,
    /// The directory beneath the metrics root the series go to.
    pub source: String,
    /// The wait after a read that found nothing new.
    pub poll: Duration,
    /// The least time between two reads of one shard (AWS allows five a
    /// second).
    pub read_interval: Duration,
    /// How often the shards are listed again.
    pub list_interval: Duration,
    /// Records per read (at most 10,000).
    pub limit: u32,
    /// A PostgreSQL URL and a lease time: share the stream with other
    /// collectors through shard leases there (feature `postgres`).
    pub leases: Option<(String, Duration)>,
}

/// One shard's state.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct ShardStatus {
    /// `waiting for its parents`, `reading` or `finished`.
    pub state: String,
    /// The last sequence number journaled.
    pub checkpoint: Option<String>,
    /// Records read from it since start-up.
    pub records: u64,
}

/// What the collector has done (`GET /kinesis/status.json`).
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Status {
    /// The stream read.
    pub stream: String,
    /// Its shards, by id.
    pub shards: BTreeMap<String, ShardStatus>,
    /// Kinesis records read.
    pub records: u64,
    /// Metric records queued for their files.
    pub written: u64,
    /// Metric records older than their file's last update.
    pub skipped: u64,
    /// Metric records refused (more than a day ahead; a file of another
    /// shape).
    pub refused: u64,
    /// Records that are not metric JSON.
    pub malformed: u64,
    /// Reads answered "throttled".
    pub throttled: u64,
    /// Shard iterators renewed after they expired.
    pub expired_iterators: u64,
    /// Stored sequence numbers the service rejected (read from
    /// TRIM_HORIZON instead).
    pub fallbacks: u64,
    /// Other failed calls.
    pub errors: u64,
    /// The latest failure.
    pub last_error: Option<String>,
}

/// The journal key of a shard's checkpoint.
pub fn checkpoint_key(stream: &str, shard: &str) -> String {
    format!("kinesis/{stream}/{shard}")
}

/// The checkpoint value of a shard read through.
pub const FINISHED: &str = "END";

struct Ctx {
    client: Client,
    settings: Settings,
    queue: Arc<WriteQueue>,
    status: Weak<Mutex<Status>>,
    /// Told when new files were made.
    created: Box<dyn Fn() + Send + Sync>,
    once: bool,
    /// The shared leases, when collectors share the stream.
    lease: Option<LeaseState>,
}

/// What a collector sharing the stream knows of its leases.
struct LeaseState {
    #[cfg(feature = "postgres")]
    table: leases::Leases,
    /// Held shards: the moment their reader must have stopped unless the
    /// lease is renewed.
    deadlines: Mutex<HashMap<String, tokio::time::Instant>>,
    /// Held shards' checkpoints (where an iterator starts).
    starts: Mutex<HashMap<String, Option<String>>>,
}

impl LeaseState {
    fn valid(&self, shard: &str) -> bool {
        lock(&self.deadlines)
            .get(shard)
            .is_some_and(|&d| tokio::time::Instant::now() < d)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Ctx {
    fn with_status(&self, f: impl FnOnce(&mut Status)) {
        if let Some(s) = self.status.upgrade() {
            f(&mut s.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }

    fn failed(&self, what: &str, e: &ApiError) {
        let msg = format!("{what}: {e}");
        eprintln!("rrd-server: kinesis {}: {msg}", self.settings.stream);
        self.with_status(|s| {
            match e {
                ApiError::Throttled(_) => s.throttled += 1,
                ApiError::ExpiredIterator(_) => s.expired_iterators += 1,
                _ => s.errors += 1,
            }
            s.last_error = Some(msg);
        });
    }

    fn key(&self, shard: &str) -> String {
        checkpoint_key(&self.settings.stream, shard)
    }
}

/// Exponential back-off with jitter.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Backoff {
        Backoff(Duration::from_millis(100))
    }
    async fn wait(&mut self) {
        let jitter =
            u64::from(std::process::id() ^ jiff::Timestamp::now().subsec_nanosecond() as u32) % 100;
        tokio::time::sleep(self.0 + Duration::from_millis(jitter)).await;
        self.0 = (self.0 * 2).min(MAX_BACKOFF);
    }
    fn reset(&mut self) {
        self.0 = Duration::from_millis(100);
    }
}

/// The metric records of one Kinesis record: its data base64-decoded and
/// read as `POST /api/ingest` reads a body.
fn decode(data: &str) -> Result<Vec<Result<crate::ingest::Record, String>>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("data is not base64: {e}"))?;
    let recs = crate::ingest::parse_body(&bytes)?;
    if recs.is_empty() {
        return Err("no record in the data".into());
    }
    Ok(recs)
}

/// Queues a batch's metric records with the shard's new checkpoint; tries
/// again while the queue is full or its journal cannot be written. With
/// shared leases, waits until the records are in their files (or storage
/// nodes) and then stores the checkpoint with the lease.
async fn apply(
    ctx: &Arc<Ctx>,
    shard: &str,
    batch: &[api::KRecord],
    checkpoint: &str,
) -> Result<(), Ended> {
    let mut records = Vec::new();
    let mut malformed = Vec::new();
    for r in batch {
        match decode(&r.data) {
            Ok(recs) => {
                for rec in recs {
                    match rec {
                        Ok(rec) => records.push((records.len(), Ok(rec))),
                        Err(why) => malformed.push((r.sequence_number.clone(), why)),
                    }
                }
            }
            Err(why) => malformed.push((r.sequence_number.clone(), why)),
        }
    }
    if !malformed.is_empty() {
        let before = ctx
            .status
            .upgrade()
            .map_or(0, |s| s.lock().unwrap_or_else(|p| p.into_inner()).malformed);
        for (i, (seq, why)) in malformed.iter().enumerate() {
            let n = before + i as u64;
            if n < LOGGED_MALFORMED {
                eprintln!(
                    "rrd-server: kinesis {} {shard}: record {seq} skipped: {why}",
                    ctx.settings.stream
                );
            } else if n == LOGGED_MALFORMED {
                eprintln!(
                    "rrd-server: kinesis {}: more malformed records; only counted from now on (see /kinesis/status.json)",
                    ctx.settings.stream
                );
            }
        }
    }
    // with leases the checkpoint goes with the lease, not the journal
    let marks = match ctx.lease {
        Some(_) => Vec::new(),
        None => vec![(ctx.key(shard), checkpoint.to_string())],
    };
    let mut backoff = Backoff::new();
    loop {
        if ctx.lease.as_ref().is_some_and(|l| !l.valid(shard)) {
            return Err(Ended::LeaseLost);
        }
        let c = ctx.clone();
        let recs = records.clone();
        let m = marks.clone();
        let res = tokio::task::spawn_blocking(move || {
            let mut made = false;
            let out = crate::ingest::write(
                &c.queue,
                &c.settings.source,
                recs,
                jiff::Timestamp::now().as_second(),
                crate::ingest::MAX_NEW_FILES,
                &mut |_| made = true,
                &m,
            );
            if made {
                (c.created)();
            }
            out
        })
        .await;
        match res {
            Ok(Ok(out)) => {
                for r in &out.refusals {
                    eprintln!(
                        "rrd-server: kinesis {} {shard}: record refused: {}",
                        ctx.settings.stream, r.reason
                    );
                }
                ctx.with_status(|s| {
                    s.records += batch.len() as u64;
                    s.written += out.written as u64;
                    s.skipped += out.skipped as u64;
                    s.refused += out.refused as u64;
                    s.malformed += malformed.len() as u64;
                    let st = s.shards.entry(shard.to_string()).or_default();
                    st.records += batch.len() as u64;
                });
                if ctx.lease.is_some() {
                    settle(ctx, shard, &out.files, checkpoint).await?;
                }
                ctx.with_status(|s| {
                    s.shards.entry(shard.to_string()).or_default().checkpoint =
                        Some(checkpoint.to_string());
                });
                return Ok(());
            }
            Ok(Err(
                e @ (QueueError::Backlog(_) | QueueError::Journal(_) | QueueError::Storage(_)),
            )) => {
                let msg = format!("queueing records of {shard}: {e}");
                eprintln!("rrd-server: kinesis {}: {msg}", ctx.settings.stream);
                ctx.with_status(|s| s.last_error = Some(msg));
                backoff.wait().await;
            }
            Err(e) => {
                eprintln!("rrd-server: kinesis {}: {e}", ctx.settings.stream);
                return Err(Ended::Stopped);
            }
        }
    }
}

/// With shared leases: waits until `files` have nothing waiting (their
/// storage node may be down for a while), then stores the checkpoint with
/// the lease. Gives up when the lease ends.
async fn settle(
    ctx: &Arc<Ctx>,
    shard: &str,
    files: &[String],
    checkpoint: &str,
) -> Result<(), Ended> {
    let Some(lease) = &ctx.lease else {
        return Ok(());
    };
    let mut backoff = Backoff::new();
    loop {
        let (q, f) = (ctx.queue.clone(), files.to_vec());
        match tokio::task::spawn_blocking(move || q.flush_named(&f)).await {
            Ok(true) => break,
            Ok(false) => {}
            Err(_) => return Err(Ended::Stopped),
        }
        if !lease.valid(shard) {
            return Err(Ended::LeaseLost);
        }
        backoff.wait().await;
    }
    #[cfg(feature = "postgres")]
    loop {
        if !lease.valid(shard) {
            return Err(Ended::LeaseLost);
        }
        match lease.table.checkpoint(shard, checkpoint).await {
            Ok(true) => {
                lock(&lease.starts).insert(shard.to_string(), Some(checkpoint.to_string()));
                return Ok(());
            }
            Ok(false) => return Err(Ended::LeaseLost),
            Err(e) => {
                let msg = format!("checkpoint of {shard}: {e}");
                eprintln!("rrd-server: kinesis {}: {msg}", ctx.settings.stream);
                ctx.with_status(|s| s.last_error = Some(msg));
                backoff.wait().await;
            }
        }
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = checkpoint;
        Err(Ended::Stopped)
    }
}

/// How a shard's reading ended.
#[derive(Debug, PartialEq)]
enum Ended {
    /// Closed and read through: its children may start.
    Finished,
    /// `--once`: nothing more to read now.
    CaughtUp,
    /// The shard is not there (any more).
    Gone,
    /// The queue went away (the server is stopping).
    Stopped,
    /// Its lease ended (another collector may read it now).
    LeaseLost,
}

/// An iterator from the checkpoint, or TRIM_HORIZON when there is none or
/// the service rejects it.
async fn iterator(ctx: &Ctx, shard: &str, backoff: &mut Backoff) -> Result<String, Ended> {
    loop {
        let checkpoint = match &ctx.lease {
            Some(l) => lock(&l.starts).get(shard).cloned().flatten(),
            None => ctx.queue.mark(&ctx.key(shard)),
        };
        let start = match checkpoint {
            Some(seq) if seq != FINISHED => Start::After(seq),
            _ => Start::TrimHorizon,
        };
        match ctx
            .client
            .shard_iterator(&ctx.settings.stream, shard, &start)
            .await
        {
            Ok(it) => return Ok(it),
            Err(ApiError::Invalid { kind, message }) if start != Start::TrimHorizon => {
                let msg = format!(
                    "{shard}: stored sequence number rejected ({kind}: {message}); reading from TRIM_HORIZON"
                );
                eprintln!("rrd-server: kinesis {}: {msg}", ctx.settings.stream);
                ctx.with_status(|s| {
                    s.fallbacks += 1;
                    s.last_error = Some(msg);
                });
                match ctx
                    .client
                    .shard_iterator(&ctx.settings.stream, shard, &Start::TrimHorizon)
                    .await
                {
                    Ok(it) => return Ok(it),
                    Err(e) => {
                        ctx.failed(&format!("GetShardIterator {shard}"), &e);
                        if matches!(e, ApiError::NotFound(_)) {
                            return Err(Ended::Gone);
                        }
                        backoff.wait().await;
                    }
                }
            }
            Err(e) => {
                ctx.failed(&format!("GetShardIterator {shard}"), &e);
                if matches!(e, ApiError::NotFound(_)) {
                    return Err(Ended::Gone);
                }
                backoff.wait().await;
            }
        }
    }
}

/// Reads one shard from its checkpoint until it ends.
async fn read_shard(ctx: Arc<Ctx>, shard: String) -> Ended {
    let mut backoff = Backoff::new();
    let mut it = match iterator(&ctx, &shard, &mut backoff).await {
        Ok(it) => it,
        Err(end) => return end,
    };
    let mut last_read = tokio::time::Instant::now() - ctx.settings.read_interval;
    loop {
        if Arc::strong_count(&ctx.queue) <= 1 {
            return Ended::Stopped;
        }
        tokio::time::sleep_until(last_read + ctx.settings.read_interval).await;
        if ctx.lease.as_ref().is_some_and(|l| !l.valid(&shard)) {
            return Ended::LeaseLost;
        }
        last_read = tokio::time::Instant::now();
        match ctx.client.records(&it, ctx.settings.limit).await {
            Ok(r) => {
                backoff.reset();
                let empty = r.records.is_empty();
                if let Some(last) = r.records.last() {
                    let seq = last.sequence_number.clone();
                    if let Err(end) = apply(&ctx, &shard, &r.records, &seq).await {
                        return end;
                    }
                }
                match r.next_shard_iterator {
                    Some(next) => it = next,
                    None => {
                        // read through: the children may start
                        if let Err(end) = apply(&ctx, &shard, &[], FINISHED).await {
                            return end;
                        }
                        ctx.with_status(|s| {
                            s.shards.entry(shard.clone()).or_default().state = "finished".into();
                        });
                        return Ended::Finished;
                    }
                }
                if empty {
                    if ctx.once && r.millis_behind_latest.unwrap_or(0) == 0 {
                        return Ended::CaughtUp;
                    }
                    tokio::time::sleep(ctx.settings.poll).await;
                }
            }
            Err(e @ ApiError::ExpiredIterator(_)) => {
                ctx.failed(&format!("GetRecords {shard}"), &e);
                it = match iterator(&ctx, &shard, &mut backoff).await {
                    Ok(it) => it,
                    Err(end) => return end,
                };
            }
            Err(e @ ApiError::NotFound(_)) => {
                ctx.failed(&format!("GetRecords {shard}"), &e);
                return Ended::Gone;
            }
            Err(e @ ApiError::Invalid { .. }) => {
                // an iterator the service does not take: start again from
                // the checkpoint
                ctx.failed(&format!("GetRecords {shard}"), &e);
                backoff.wait().await;
                it = match iterator(&ctx, &shard, &mut backoff).await {
                    Ok(it) => it,
                    Err(end) => return end,
                };
            }
            Err(e) => {
                ctx.failed(&format!("GetRecords {shard}"), &e);
                backoff.wait().await;
            }
        }
    }
}

/// Takes the readers that have ended out of `running`, with how each
/// ended (`None`: it failed, logged here, or was stopped).
async fn reap(
    running: &mut HashMap<String, tokio::task::JoinHandle<Ended>>,
) -> Vec<(String, Option<Ended>)> {
    let ended: Vec<String> = running
        .iter()
        .filter(|(_, h)| h.is_finished())
        .map(|(id, _)| id.clone())
        .collect();
    let mut out = Vec::with_capacity(ended.len());
    for id in ended {
        if let Some(h) = running.remove(&id) {
            let end = match h.await {
                Ok(end) => Some(end),
                Err(e) if e.is_cancelled() => None,
                Err(e) => {
                    eprintln!("rrd-server: kinesis reader of {id} failed: {e}");
                    None
                }
            };
            out.push((id, end));
        }
    }
    out
}

/// Reads the stream until the queue goes away (or, with `once`, until
/// every shard is caught up).
async fn run(ctx: Arc<Ctx>) {
    #[cfg(feature = "postgres")]
    if ctx.lease.is_some() {
        return run_leased(ctx).await;
    }
    let mut running: HashMap<String, tokio::task::JoinHandle<Ended>> = HashMap::new();
    let mut gone: HashSet<String> = HashSet::new();
    // --once: shards read up to their tip, not started again
    let mut caught_up: HashSet<String> = HashSet::new();
    let mut backoff = Backoff::new();
    loop {
        if Arc::strong_count(&ctx.queue) <= 1 {
            return;
        }
        let shards = match ctx.client.list_shards(&ctx.settings.stream).await {
            Ok(s) => {
                backoff.reset();
                s
            }
            Err(e) => {
                ctx.failed("ListShards", &e);
                if ctx.once && !e.retryable() {
                    return;
                }
                backoff.wait().await;
                continue;
            }
        };
        let listed: HashSet<&str> = shards.iter().map(|s| s.shard_id.as_str()).collect();
        let finished = |id: &str| ctx.queue.mark(&ctx.key(id)).as_deref() == Some(FINISHED);
        // finished tasks out
        for (id, end) in reap(&mut running).await {
            match end {
                Some(Ended::Gone) => {
                    gone.insert(id);
                }
                Some(Ended::Stopped) => return,
                Some(Ended::CaughtUp) => {
                    caught_up.insert(id);
                }
                Some(Ended::Finished | Ended::LeaseLost) | None => {}
            }
        }
        let mut waiting = 0;
        for s in &shards {
            let id = s.shard_id.as_str();
            if finished(id) || running.contains_key(id) || gone.contains(id) {
                continue;
            }
            if caught_up.contains(id) {
                continue;
            }
            // parents the stream no longer lists have expired: nothing of
            // them is left to read
            let parents_done = [&s.parent_shard_id, &s.adjacent_parent_shard_id]
                .into_iter()
                .flatten()
                .all(|p| !listed.contains(p.as_str()) || finished(p) || gone.contains(p));
            ctx.with_status(|st| {
                let e = st.shards.entry(id.to_string()).or_default();
                e.state = if parents_done {
                    "reading"
                } else {
                    "waiting for its parents"
                }
                .into();
                if e.checkpoint.is_none() {
                    e.checkpoint = ctx.queue.mark(&ctx.key(id));
                }
            });
            if !parents_done {
                waiting += 1;
                continue;
            }
            running.insert(
                id.to_string(),
                tokio::spawn(read_shard(ctx.clone(), id.to_string())),
            );
        }
        for s in &shards {
            if finished(&s.shard_id) {
                ctx.with_status(|st| {
                    st.shards.entry(s.shard_id.clone()).or_default().state = "finished".into();
                });
            }
        }
        if ctx.once && running.is_empty() && waiting == 0 {
            return;
        }
        // list again when a shard ends, or every list_interval
        let deadline = tokio::time::Instant::now() + ctx.settings.list_interval;
        while tokio::time::Instant::now() < deadline && !running.values().any(|h| h.is_finished()) {
            if Arc::strong_count(&ctx.queue) <= 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// This collector's id in the lease table: host, process and a random
/// part (a restarted collector is a new one; the old one's leases expire).
#[cfg(feature = "postgres")]
fn collector_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let tail = crate::auth::random_hex(4).unwrap_or_default();
    format!("{host}-{}-{tail}", std::process::id())
}

/// [`run`] with shared leases: a round every third of the lease time
/// renews this collector's leases, stops readers of shards it no longer
/// holds (lost, or asked for: then let go), starts readers of held
/// shards, takes free or expired ones up to a fair share, and asks for
/// one when it holds too few.
#[cfg(feature = "postgres")]
async fn run_leased(ctx: Arc<Ctx>) {
    let lease = ctx.lease.as_ref().expect("run_leased runs with leases");
    let timeout = lease.table.timeout;
    let period = timeout / 3;
    let mut running: HashMap<String, tokio::task::JoinHandle<Ended>> = HashMap::new();
    let mut gone: HashSet<String> = HashSet::new();
    let mut shards: Vec<api::Shard> = Vec::new();
    let mut listed_at: Option<tokio::time::Instant> = None;
    let mut backoff = Backoff::new();
    let stop = |running: &mut HashMap<String, tokio::task::JoinHandle<Ended>>, id: &str| {
        if let Some(h) = running.remove(id) {
            h.abort();
        }
        lock(&lease.deadlines).remove(id);
    };
    loop {
        if Arc::strong_count(&ctx.queue) <= 1 {
            for (_, h) in running.drain() {
                h.abort();
            }
            let _ = lease.table.release_all().await;
            return;
        }
        // readers that ended
        let ended = reap(&mut running).await;
        let any_ended = !ended.is_empty();
        for (id, end) in ended {
            match end {
                Some(Ended::Gone) => {
                    gone.insert(id);
                }
                Some(Ended::Stopped) => return,
                _ => {}
            }
        }
        if listed_at.is_none_or(|t| t.elapsed() >= ctx.settings.list_interval) || any_ended {
            match ctx.client.list_shards(&ctx.settings.stream).await {
                Ok(s) => {
                    backoff.reset();
                    shards = s;
                    listed_at = Some(tokio::time::Instant::now());
                }
                Err(e) => {
                    ctx.failed("ListShards", &e);
                    if shards.is_empty() {
                        backoff.wait().await;
                        continue;
                    }
                }
            }
        }
        let ids: Vec<String> = shards.iter().map(|s| s.shard_id.clone()).collect();
        let sent = tokio::time::Instant::now();
        let round = match lease.table.round(&ids).await {
            Ok(r) => r,
            Err(e) => {
                // not renewed: readers stop at their deadlines
                let msg = format!("lease round: {e}");
                eprintln!("rrd-server: kinesis {}: {msg}", ctx.settings.stream);
                ctx.with_status(|s| s.last_error = Some(msg));
                let now = tokio::time::Instant::now();
                let late: Vec<String> = lock(&lease.deadlines)
                    .iter()
                    .filter(|(_, &d)| d <= now)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in late {
                    stop(&mut running, &id);
                }
                tokio::time::sleep(period.min(Duration::from_secs(1))).await;
                continue;
            }
        };
        let deadline = sent + timeout / 2;
        for id in &round.held {
            lock(&lease.deadlines).insert(id.clone(), deadline);
        }
        // lost leases: their readers stop now
        let lost: Vec<String> = running
            .keys()
            .filter(|id| !round.held.contains(*id))
            .cloned()
            .collect();
        for id in lost {
            stop(&mut running, &id);
        }
        // asked for: stop, then let go
        for id in &round.wanted {
            stop(&mut running, id);
            if let Err(e) = lease.table.release(id).await {
                eprintln!(
                    "rrd-server: kinesis {}: letting {id} go: {e}",
                    ctx.settings.stream
                );
            }
        }
        let listed: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let checkpoint = |id: &str| round.all.get(id).and_then(|(_, c)| c.clone());
        let finished = |id: &str| checkpoint(id).as_deref() == Some(FINISHED);
        let ready = |s: &api::Shard| {
            !finished(&s.shard_id)
                && !gone.contains(&s.shard_id)
                && [&s.parent_shard_id, &s.adjacent_parent_shard_id]
                    .into_iter()
                    .flatten()
                    .all(|p| !listed.contains(p.as_str()) || finished(p) || gone.contains(p))
        };
        let open = shards
            .iter()
            .filter(|s| !finished(&s.shard_id) && !gone.contains(&s.shard_id))
            .count();
        let share = leases::fair_share(open, round.live);
        let mut held: HashSet<String> = round
            .held
            .iter()
            .filter(|id| !round.wanted.contains(*id))
            .cloned()
            .collect();
        // take free or expired leases up to the share
        for s in shards.iter().filter(|s| ready(s)) {
            if held.len() >= share {
                break;
            }
            let id = &s.shard_id;
            if held.contains(id) || round.all.get(id).is_some_and(|(o, _)| o.is_some()) {
                continue;
            }
            let t = tokio::time::Instant::now();
            match lease.table.take(id).await {
                Ok(Some(cp)) => {
                    lock(&lease.deadlines).insert(id.clone(), t + timeout / 2);
                    lock(&lease.starts).insert(id.clone(), cp);
                    held.insert(id.clone());
                }
                Ok(None) => {}
                Err(e) => eprintln!(
                    "rrd-server: kinesis {}: taking {id}: {e}",
                    ctx.settings.stream
                ),
            }
        }
        // too few: ask the collector holding the most for one
        if held.len() < share {
            let mut per_owner: HashMap<&str, Vec<&str>> = HashMap::new();
            for s in shards.iter().filter(|s| ready(s)) {
                if let Some((Some(owner), _)) = round.all.get(&s.shard_id) {
                    if owner != &lease.table.me {
                        per_owner.entry(owner).or_default().push(&s.shard_id);
                    }
                }
            }
            if let Some((_, theirs)) = per_owner
                .iter()
                .filter(|(_, v)| v.len() > share)
                .max_by_key(|(o, v)| (v.len(), std::cmp::Reverse(**o)))
            {
                if let Err(e) = lease.table.ask(theirs[0]).await {
                    eprintln!(
                        "rrd-server: kinesis {}: asking for {}: {e}",
                        ctx.settings.stream, theirs[0]
                    );
                }
            }
        }
        // readers for every held, ready shard
        for s in shards
            .iter()
            .filter(|s| ready(s) && held.contains(&s.shard_id))
        {
            let id = &s.shard_id;
            if !running.contains_key(id) {
                if !lock(&lease.starts).contains_key(id) {
                    lock(&lease.starts).insert(id.clone(), checkpoint(id));
                }
                running.insert(
                    id.clone(),
                    tokio::spawn(read_shard(ctx.clone(), id.clone())),
                );
            }
        }
        lock(&lease.starts).retain(|id, _| held.contains(id));
        ctx.with_status(|st| {
            for s in &shards {
                let id = &s.shard_id;
                let e = st.shards.entry(id.clone()).or_default();
                e.state = if finished(id) {
                    "finished".into()
                } else if running.contains_key(id) {
                    "reading".into()
                } else if let Some((Some(owner), _)) = round.all.get(id) {
                    format!("read by {owner}")
                } else if ready(s) {
                    "free".into()
                } else {
                    "waiting for its parents".into()
                };
                if !running.contains_key(id) {
                    e.checkpoint = checkpoint(id);
                }
            }
        });
        // the next round: a third of the lease on, or sooner when a reader ends
        let next = sent + period;
        while tokio::time::Instant::now() < next && !running.values().any(|h| h.is_finished()) {
            if Arc::strong_count(&ctx.queue) <= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Starts the collector on its own thread (with its own small runtime),
/// writing through `queue`. `created` is called when new files were
/// made. The thread ends when the queue is dropped elsewhere.
pub fn spawn(
    settings: Settings,
    creds: api::Credentials,
    queue: &Arc<WriteQueue>,
    status: Weak<Mutex<Status>>,
    created: Box<dyn Fn() + Send + Sync>,
) -> anyhow::Result<()> {
    let ctx = context(settings, creds, queue, status, created, false)?;
    let rt = runtime()?;
    std::thread::Builder::new()
        .name("rrd-kinesis".into())
        .spawn(move || rt.block_on(run(ctx)))?;
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("rrd-kinesis-io")
        .enable_all()
        .build()?)
}

fn context(
    settings: Settings,
    creds: api::Credentials,
    queue: &Arc<WriteQueue>,
    status: Weak<Mutex<Status>>,
    created: Box<dyn Fn() + Send + Sync>,
    once: bool,
) -> anyhow::Result<Arc<Ctx>> {
    anyhow::ensure!(
        (1..=10_000).contains(&settings.limit),
        "kinesis.limit must be 1 to 10000"
    );
    crate::ingest::check_component(&settings.source)
        .map_err(|e| anyhow::anyhow!("kinesis.source {:?} {e}", settings.source))?;
    anyhow::ensure!(
        !settings.stream.is_empty()
            && settings
                .stream
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)),
        "kinesis.stream {:?} is not a stream name",
        settings.stream
    );
    let client = Client::new(settings.endpoint.as_deref(), &settings.region, creds)
        .map_err(|e| anyhow::anyhow!(e))?;
    if let Some(s) = status.upgrade() {
        s.lock().unwrap_or_else(|p| p.into_inner()).stream = settings.stream.clone();
    }
    let lease = match &settings.leases {
        None => None,
        #[cfg(feature = "postgres")]
        Some((url, time)) => Some(LeaseState {
            table: leases::Leases::new(url, &settings.stream, &collector_id(), *time)
                .map_err(|e| anyhow::anyhow!("kinesis leases: {e}"))?,
            deadlines: Mutex::default(),
            starts: Mutex::default(),
        }),
        #[cfg(not(feature = "postgres"))]
        Some(_) => anyhow::bail!(
            "kinesis: shared leases need the postgres feature (cargo install --path server --features postgres)"
        ),
    };
    Ok(Arc::new(Ctx {
        client,
        settings,
        queue: queue.clone(),
        status,
        created,
        once,
        lease,
    }))
}

const CLI_USAGE: &str = "usage: rrd-server collect-kinesis --stream NAME --rrd DIR [--source cimaa]
                                  [--region us-east-1] [--endpoint URL] [--once]
                                  [--poll SECONDS] [--read-interval-ms 200] [--limit 10000]
  Reads every shard of the Kinesis stream NAME and writes its CIMAA metric
  records to DIR/SOURCE/<host>/<check>/<metric>.rrd. Checkpoints are
  journaled in DIR/.kinesis-journal with the records. With --once, reads
  until every shard is caught up, writes everything and exits.
  Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
  AWS_SESSION_TOKEN), or the shared credentials file.
";

/// `rrd-server collect-kinesis ...`.
pub fn run_cli(args: &[String]) -> anyhow::Result<()> {
    use anyhow::{bail, Context};
    let mut settings = Settings {
        stream: String::new(),
        region: "us-east-1".into(),
        endpoint: None,
        source: "cimaa".into(),
        poll: Duration::from_secs(1),
        read_interval: Duration::from_millis(200),
        list_interval: Duration::from_secs(60),
        limit: 10_000,
        leases: None,
    };
    let mut rrd = None;
    let mut once = false;
    let mut i = 0;
    while i < args.len() {
        let name = args[i].as_str();
        let mut value = || -> anyhow::Result<String> {
            i += 1;
            args.get(i)
                .cloned()
                .with_context(|| format!("{name} needs a value\n{CLI_USAGE}"))
        };
        match name {
            "--stream" => settings.stream = value()?,
            "--rrd" => rrd = Some(std::path::PathBuf::from(value()?)),
            "--source" => settings.source = value()?,
            "--region" => settings.region = value()?,
            "--endpoint" => settings.endpoint = Some(value()?),
            "--once" => once = true,
            "--poll" => {
                let v = value()?;
                let s: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| (0.0..=3600.0).contains(s))
                    .with_context(|| format!("--poll {v:?}: not 0 to 3600 seconds"))?;
                settings.poll = Duration::from_secs_f64(s);
            }
            "--read-interval-ms" => {
                let v = value()?;
                settings.read_interval = Duration::from_millis(
                    v.parse()
                        .ok()
                        .filter(|&m: &u64| m <= 60_000)
                        .with_context(|| format!("--read-interval-ms {v:?}: not 0 to 60000"))?,
                );
            }
            "--limit" => {
                let v = value()?;
                settings.limit = v
                    .parse()
                    .with_context(|| format!("--limit {v:?}: not a number"))?;
            }
            "--help" | "-h" => {
                print!("{CLI_USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n{CLI_USAGE}"),
        }
        i += 1;
    }
    let Some(rrd) = rrd else {
        bail!("--rrd is required\n{CLI_USAGE}");
    };
    if settings.stream.is_empty() {
        bail!("--stream is required\n{CLI_USAGE}");
    }
    let creds =
        api::Credentials::from_env(|k| std::env::var(k).ok()).map_err(|e| anyhow::anyhow!(e))?;
    std::fs::create_dir_all(&rrd).with_context(|| format!("creating {}", rrd.display()))?;
    let queue = WriteQueue::open(
        &rrd,
        &rrd.join(".kinesis-journal"),
        crate::queue::Settings {
            delay: Duration::from_secs(60),
            journal_sync: false,
            max_pending: 4_000_000,
            storage: None,
        },
    )?;
    let status = Arc::new(Mutex::new(Status::default()));
    let ctx = context(
        settings,
        creds,
        &queue,
        Arc::downgrade(&status),
        Box::new(|| {}),
        once,
    )?;
    runtime()?.block_on(run(ctx));
    let ok = queue.flush_all();
    queue.stop();
    let st = status.lock().unwrap_or_else(|p| p.into_inner()).clone();
    eprintln!(
        "rrd-server: kinesis {}: {} record(s) read, {} written, {} skipped, {} refused, {} malformed",
        st.stream, st.records, st.written, st.skipped, st.refused, st.malformed
    );
    anyhow::ensure!(
        ok,
        "some files could not be written; the journal keeps their records"
    );
    Ok(())
}
