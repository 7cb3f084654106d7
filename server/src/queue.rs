//! The write-behind queue between ingestion and the metrics root's files.
//!
//! rrdcached's idea, inside the server: an accepted record is appended to a
//! journal and kept in memory, and a file is later written with all of its
//! waiting records at once: one open, one lock and one commit for many
//! records instead of one each. Nothing the server shows is stale: a chart
//! writes its files' waiting records before it reads them.
//!
//! - **Acknowledged means journaled.** A request is answered only after its
//!   records are in the journal (`write(2)`, and `fdatasync(2)` with
//!   `ingest.journal_sync`), so a server killed at any moment loses nothing it
//!   acknowledged. At start-up the journal is replayed before anything is
//!   served. Its timestamps are the effective ones (after the original's
//!   skip and bump rules), so a record already in its file is recognised by
//!   its timestamp and not applied twice.
//! - **Flush cycles.** Every `ingest.write_behind_seconds`, or sooner when
//!   the backlog passes half its bound, the journal moves on to a new
//!   segment, every file with waiting records is written, the records of a
//!   file that could not be written (a full disk, a lock held elsewhere)
//!   are copied into the new segment to wait for the next cycle, and the
//!   older segments are deleted. A request gives its records their times
//!   and journals them under one lock, so the journal holds each file's
//!   records in time order.
//! - **Bounded.** At most `ingest.max_pending` records wait; past that a
//!   request is answered 503 and nothing of it is taken.
//! - **New files** are created when their first record is accepted, so the
//!   catalogue lists them at once.
//!
//! Other programs reading the files directly (rrdtool, `rrd`) see waiting
//! records only after a flush, as with rrdcached; `POST /api/ingest/flush`
//! writes everything now.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use rrd_core::{CreateOptions, CreateSpec, OpenMode, Rrd, UpdateTime, Value};
use serde::Serialize;

use crate::ingest::{Outcome, CREATE_ARGS};

/// Lock stripes (files hash to one of them).
const STRIPES: usize = 64;
/// How often the flusher retries when every record is written at once
/// (`write_behind_seconds = 0`): only records whose file failed wait.
const RETRY: Duration = Duration::from_secs(30);
/// How often records wait for a storage node that could not be reached
/// are tried again.
const STORAGE_RETRY: Duration = Duration::from_secs(2);

/// One file's records from a request: the file (`source/path`) and its
/// records in request order as `(index in the request, time, value)`.
pub type FileRecords = (String, Vec<(usize, i64, f64)>);

/// How the queue behaves (from `[ingest]`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long records may wait; zero writes a request's files before
    /// answering it.
    pub delay: Duration,
    /// `fdatasync` the journal before answering.
    pub journal_sync: bool,
    /// Most records waiting at once.
    pub max_pending: usize,
    /// The storage nodes the files live on (`[storage]`), instead of the
    /// metrics root: records then go through at once (`delay` is ignored;
    /// the daemons write behind) and wait here only while their node
    /// cannot be reached.
    pub storage: Option<Arc<crate::storage::Ring>>,
}

/// Why records were not taken.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// More than `max_pending` records would wait.
    #[error("ingestion backlog full ({0} records waiting); try again shortly")]
    Backlog(usize),
    /// The journal could not be written, nor the files: the records are
    /// not acknowledged.
    #[error("the ingestion journal cannot be written ({0}); records not acknowledged, try again")]
    Journal(String),
    /// A file's storage node cannot be reached to learn its last update:
    /// nothing of the request is taken.
    #[error("{0}; records not acknowledged, try again")]
    Storage(String),
}

/// Why a file's last update is not known.
enum Unknown {
    /// Its records are refused, with this reason.
    Refuse(String),
    /// Its storage node cannot be reached now.
    Unavailable(String),
}

impl From<String> for Unknown {
    fn from(s: String) -> Unknown {
        Unknown::Refuse(s)
    }
}

/// What the queue has done (`GET /api/ingest/status`).
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Status {
    /// Records waiting in memory (and in the journal).
    pub pending: usize,
    /// Files with records waiting.
    pub files_pending: usize,
    /// Records written to files since start-up.
    pub flushed: u64,
    /// Records that could not be written and were given up (their file
    /// was removed or changed by another program; each is logged).
    pub dropped: u64,
    /// Flush cycles completed.
    pub cycles: u64,
    /// Records replayed from the journal at start-up.
    pub replayed: u64,
    /// The current journal segment's size, bytes.
    pub journal_bytes: u64,
}

#[derive(Debug, Default)]
struct Entry {
    /// The file's last update, counting the records waiting.
    last: i64,
    /// On storage nodes, until this process adds a record: the value the
    /// node has at `last`. A record of that second and value is the one
    /// already there (read again after a collector took its shard over),
    /// not a new one to move on by a second.
    there: Option<f64>,
    /// Records waiting, in time order (effective timestamps).
    values: Vec<(i64, f64)>,
}

#[derive(Debug)]
struct Journal {
    dir: PathBuf,
    seq: u64,
    file: File,
    bytes: u64,
}

fn segment_name(seq: u64) -> String {
    format!("ingest-{seq:016}.journal")
}

fn segment_seq(name: &str) -> Option<u64> {
    name.strip_prefix("ingest-")?
        .strip_suffix(".journal")?
        .parse()
        .ok()
}

impl Journal {
    fn open(dir: &Path, seq: u64, sync: bool) -> std::io::Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(segment_name(seq)))?;
        if sync {
            // the new name itself must survive a power loss
            File::open(dir)?.sync_all()?;
        }
        let bytes = file.metadata()?.len();
        Ok(Journal {
            dir: dir.to_path_buf(),
            seq,
            file,
            bytes,
        })
    }

    /// Appends `lines` whole, or cuts off what part of them was written.
    fn append(&mut self, lines: &str, sync: bool) -> std::io::Result<()> {
        let r = self.file.write_all(lines.as_bytes()).and_then(|()| {
            if sync {
                self.file.sync_data()
            } else {
                Ok(())
            }
        });
        match r {
            Ok(()) => {
                self.bytes += lines.len() as u64;
                Ok(())
            }
            Err(e) => {
                // a torn line would glue onto the next request's first one
                if let Err(t) = self.file.set_len(self.bytes) {
                    eprintln!(
                        "rrd-server: cutting {} back to {} bytes: {t}",
                        self.path().display(),
                        self.bytes
                    );
                }
                Err(e)
            }
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.join(segment_name(self.seq))
    }

    /// The segments in the directory, oldest first.
    fn segments(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
        let mut v: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let seq = segment_seq(e.file_name().to_str()?)?;
                Some((seq, e.path()))
            })
            .collect();
        v.sort();
        Ok(v)
    }
}

#[derive(Debug, Default)]
struct Signal {
    /// (woken, stopping)
    state: Mutex<(bool, bool)>,
    cv: Condvar,
}

/// What writing a file's waiting records came to.
enum Written {
    /// In the file; `given_up` of them refused by it (logged).
    Done { given_up: usize },
    /// The file is gone or unusable: its records are dropped (logged).
    Gone(String),
    /// A failure that may pass (I/O, a lock held elsewhere): they wait.
    Retry(String),
}

/// The queue. Shared through an `Arc`; dropping the last one stops the
/// flusher without flushing (the journal keeps what waits): call
/// [`WriteQueue::flush_all`] first for a clean stop.
///
/// Locks, always taken in this order: `journal`, a `writers` stripe, a
/// `files` stripe, `drop_marks`. A request gives every record its
/// effective time and journals it under `journal`, so the journal holds
/// each file's records in time order, and a segment closed under
/// `journal` holds only records already in memory.
#[derive(Debug)]
pub struct WriteQueue {
    root: PathBuf,
    settings: Settings,
    /// Waiting records by file (`source/path`, without `.rrd`).
    files: Vec<Mutex<HashMap<String, Entry>>>,
    /// Held while a file is read for its last update or written.
    writers: Vec<Mutex<()>>,
    journal: Mutex<Journal>,
    /// Files whose records were dropped (removed meanwhile): the next
    /// journal write records it, so that a replay does not bring them back
    /// if the file is made again.
    drop_marks: Mutex<Vec<String>>,
    /// Checkpoints journaled with records (`K key value` lines), latest
    /// per key: a collector's position in its source, written in the same
    /// append as the records it covers, and copied into every new segment.
    /// Taken only under `journal`.
    marks: Mutex<BTreeMap<String, String>>,
    /// One flush cycle at a time.
    flushing: Mutex<()>,
    pending: AtomicUsize,
    flushed: AtomicU64,
    dropped: AtomicU64,
    cycles: AtomicU64,
    replayed: AtomicU64,
    signal: Arc<Signal>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn stripe(rel: &str) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    rel.hash(&mut h);
    (h.finish() % STRIPES as u64) as usize
}

/// Whether an rrd-core error may pass if tried again.
fn transient(e: &rrd_core::Error) -> bool {
    matches!(
        e,
        rrd_core::Error::Io { .. } | rrd_core::Error::Storage(_) | rrd_core::Error::Locked
    )
}

fn not_found(e: &rrd_core::Error) -> bool {
    matches!(e, rrd_core::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
}

impl WriteQueue {
    /// Opens the queue over `root` with its journal in `journal_dir`:
    /// replays and writes what a previous run left there, then starts the
    /// flusher thread. Blocks.
    pub fn open(
        root: &Path,
        journal_dir: &Path,
        settings: Settings,
    ) -> anyhow::Result<Arc<WriteQueue>> {
        use anyhow::Context;
        std::fs::create_dir_all(journal_dir)
            .with_context(|| format!("creating the journal directory {}", journal_dir.display()))?;
        let old = Journal::segments(journal_dir)
            .with_context(|| format!("reading {}", journal_dir.display()))?;
        let seq = old.last().map_or(1, |(s, _)| s + 1);
        let journal = Journal::open(journal_dir, seq, settings.journal_sync)
            .with_context(|| format!("opening a journal segment in {}", journal_dir.display()))?;
        let q = Arc::new(WriteQueue {
            root: root.to_path_buf(),
            settings,
            files: (0..STRIPES).map(|_| Mutex::default()).collect(),
            writers: (0..STRIPES).map(|_| Mutex::default()).collect(),
            journal: Mutex::new(journal),
            drop_marks: Mutex::default(),
            marks: Mutex::default(),
            flushing: Mutex::new(()),
            pending: AtomicUsize::new(0),
            flushed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            cycles: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
            signal: Arc::default(),
            thread: Mutex::default(),
        });
        if !old.is_empty() {
            let paths: Vec<PathBuf> = old.iter().map(|(_, p)| p.clone()).collect();
            q.replay(&paths)
                .context("replaying the ingestion journal")?;
            let n = q.replayed.load(Ordering::Relaxed);
            eprintln!(
                "rrd-server: replayed {n} journaled record(s) from {} segment(s)",
                old.len()
            );
            if !q.flush_all() {
                eprintln!("rrd-server: some replayed records could not be written yet; they wait");
            }
        }
        let weak = Arc::downgrade(&q);
        let signal = q.signal.clone();
        let period = if q.settings.storage.is_some() {
            STORAGE_RETRY
        } else if q.settings.delay.is_zero() {
            RETRY
        } else {
            q.settings.delay
        };
        let handle = std::thread::Builder::new()
            .name("rrd-flush".into())
            .spawn(move || flusher(weak, signal, period))
            .context("starting the flusher thread")?;
        *lock(&q.thread) = Some(handle);
        Ok(q)
    }

    /// Queues the records of one request, grouped by file, applying the
    /// original's rules; counts into `out`. `created` hears of each new
    /// file; at most `max_new_files` are made. Returns once the records
    /// are journaled (and, with no write-behind delay, written).
    ///
    /// `marks` are checkpoints (key, value) journaled in the same append as
    /// the records, so that after a crash a collector finds its position
    /// exactly where its records end (see [`WriteQueue::mark`]). Keys and
    /// values hold no whitespace.
    pub fn accept(
        &self,
        groups: Vec<FileRecords>,
        max_new_files: usize,
        out: &mut Outcome,
        created: &mut dyn FnMut(&str),
        marks: &[(String, String)],
    ) -> Result<(), QueueError> {
        for (k, v) in marks {
            let bad = |s: &str| s.is_empty() || s.chars().any(char::is_whitespace);
            if bad(k) || bad(v) {
                return Err(QueueError::Journal(format!(
                    "checkpoint {k:?} = {v:?} is empty or holds whitespace"
                )));
            }
        }
        let n: usize = groups.iter().map(|(_, r)| r.len()).sum();
        let full = |waiting: usize| waiting + n > self.settings.max_pending;
        let waiting = self.pending.load(Ordering::Relaxed);
        if full(waiting) {
            self.wake();
            return Err(QueueError::Backlog(waiting));
        }
        let made = std::cell::Cell::new(0usize);
        let mut count = |r: &str| {
            made.set(made.get() + 1);
            created(r)
        };
        // first every file known (made, or its last update read), without
        // holding the journal
        let mut ready = Vec::new();
        for (rel, recs) in &groups {
            let may_create = made.get() < max_new_files;
            match self.know(rel, recs[0].1, may_create, max_new_files, &mut count) {
                Ok(()) => ready.push((rel.as_str(), recs)),
                Err(Unknown::Refuse(reason)) => {
                    for &(index, _, _) in recs {
                        out.refuse(index, reason.clone());
                    }
                }
                Err(Unknown::Unavailable(why)) => return Err(QueueError::Storage(why)),
            }
        }
        // then times and journal lines, one request at a time
        let mut j = lock(&self.journal);
        let waiting = self.pending.load(Ordering::Relaxed);
        if full(waiting) {
            drop(j);
            self.wake();
            return Err(QueueError::Backlog(waiting));
        }
        let marks_given = marks;
        let marks = std::mem::take(&mut *lock(&self.drop_marks));
        let mut lines = String::new();
        for rel in &marks {
            let _ = writeln!(lines, "D {rel}");
        }
        let checkpoints = marks_given;
        let mut touched = Vec::new();
        for (rel, recs) in ready {
            let k = stripe(rel);
            if !lock(&self.files[k]).contains_key(rel) {
                // written and forgotten since: read it again
                // (on storage nodes entries are kept: this is local files)
                if let Err(Unknown::Refuse(reason) | Unknown::Unavailable(reason)) =
                    self.know(rel, recs[0].1, false, max_new_files, &mut count)
                {
                    for &(index, _, _) in recs {
                        out.refuse(index, reason.clone());
                    }
                    continue;
                }
            }
            let mut files = lock(&self.files[k]);
            let Some(e) = files.get_mut(rel) else {
                continue;
            };
            let mut added = 0;
            for &(_, ts, value) in recs.iter() {
                let ts = match ts.cmp(&e.last) {
                    std::cmp::Ordering::Less => {
                        out.skipped += 1;
                        continue;
                    }
                    std::cmp::Ordering::Equal if e.there == Some(value) => {
                        // the node's own last record, read again
                        out.skipped += 1;
                        continue;
                    }
                    std::cmp::Ordering::Equal => ts + 1,
                    std::cmp::Ordering::Greater => ts,
                };
                e.values.push((ts, value));
                e.last = ts;
                e.there = None;
                added += 1;
                let _ = writeln!(lines, "{ts} {value} {rel}");
            }
            self.pending.fetch_add(added, Ordering::Relaxed);
            out.written += added;
            if added > 0 {
                touched.push(rel);
            }
        }
        // the checkpoints last: a torn append loses them with the records
        for (k, v) in checkpoints {
            let _ = writeln!(lines, "K {k} {v}");
        }
        if !lines.is_empty() {
            if let Err(e) = j.append(&lines, self.settings.journal_sync) {
                let path = j.path();
                drop(j);
                lock(&self.drop_marks).extend(marks);
                eprintln!("rrd-server: journal {}: {e}", path.display());
                // not journaled: acknowledged only if in their files now
                let mut ok = true;
                for rel in &touched {
                    ok &= self.flush_file(rel);
                }
                if ok {
                    // the records are in their files: their checkpoints
                    // hold, and the next segment carries them
                    let j = lock(&self.journal);
                    lock(&self.marks).extend(checkpoints.iter().cloned());
                    drop(j);
                }
                return if ok {
                    Ok(())
                } else {
                    Err(QueueError::Journal(e.to_string()))
                };
            }
            lock(&self.marks).extend(checkpoints.iter().cloned());
        }
        drop(j);
        out.files.extend(touched.iter().map(|r| r.to_string()));
        if self.settings.delay.is_zero() || self.settings.storage.is_some() {
            // journaled: a failure here waits for the next cycle
            for rel in &touched {
                self.flush_file(rel);
            }
        } else if self.pending.load(Ordering::Relaxed) * 2 > self.settings.max_pending {
            self.wake();
        }
        Ok(())
    }

    /// Makes sure the queue knows `rel`'s last update, reading it under
    /// the file's writer lock (so no flush changes it meanwhile), and
    /// creating the file with the original's definition if it is missing.
    fn know(
        &self,
        rel: &str,
        first_ts: i64,
        may_create: bool,
        max_new_files: usize,
        created: &mut dyn FnMut(&str),
    ) -> Result<(), Unknown> {
        let k = stripe(rel);
        if lock(&self.files[k]).contains_key(rel) {
            return Ok(());
        }
        let _w = lock(&self.writers[k]);
        if lock(&self.files[k]).contains_key(rel) {
            return Ok(());
        }
        let (last, there) = self.first_sight(rel, first_ts, may_create, max_new_files, created)?;
        lock(&self.files[k]).insert(
            rel.to_string(),
            Entry {
                last,
                there,
                values: Vec::new(),
            },
        );
        Ok(())
    }

    /// A file's last update, creating the file with the original's
    /// definition if it is missing.
    fn first_sight(
        &self,
        rel: &str,
        first_ts: i64,
        may_create: bool,
        max_new_files: usize,
        created: &mut dyn FnMut(&str),
    ) -> Result<(i64, Option<f64>), Unknown> {
        let Some(ring) = &self.settings.storage else {
            return self
                .first_sight_local(rel, first_ts, may_create, max_new_files, created)
                .map(|last| (last, None))
                .map_err(Unknown::Refuse);
        };
        use crate::storage::StorageError;
        let file = format!("{rel}.rrd");
        let node = ring.node_of(&file);
        let fail = |e: StorageError| match e {
            StorageError::Unreachable { .. } => Unknown::Unavailable(e.to_string()),
            e => Unknown::Refuse(format!("{rel}: {e}")),
        };
        if let Some(known) = node.last_known(&file).map_err(fail)? {
            return Ok(known);
        }
        if !may_create {
            return Err(Unknown::Refuse(format!(
                "{rel}: more than {max_new_files} new series in one request"
            )));
        }
        let start = (first_ts - 60).div_euclid(300) * 300;
        if node.create(&file, start, 300, &CREATE_ARGS).map_err(fail)? {
            created(rel);
            return Ok((start, None));
        }
        // made meanwhile by another writer
        node.last_known(&file)
            .map_err(fail)?
            .ok_or_else(|| Unknown::Refuse(format!("{rel}: made and gone at once")))
    }

    /// [`Self::first_sight`] in the metrics root.
    fn first_sight_local(
        &self,
        rel: &str,
        first_ts: i64,
        may_create: bool,
        max_new_files: usize,
        created: &mut dyn FnMut(&str),
    ) -> Result<i64, String> {
        let path = self.root.join(format!("{rel}.rrd"));
        match Rrd::open(&path, OpenMode::ReadOnly) {
            Ok(rrd) => {
                let h = rrd.header();
                if h.ds.len() != 1 {
                    return Err(format!(
                        "{rel}: the file has {} data sources; records go to files of one",
                        h.ds.len()
                    ));
                }
                Ok(h.last_up)
            }
            Err(e) if not_found(&e) => {
                if !may_create {
                    return Err(format!(
                        "{rel}: more than {max_new_files} new series in one request"
                    ));
                }
                let fail = |e: &dyn std::fmt::Display| format!("{rel}: {e}");
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
                }
                let start = (first_ts - 60).div_euclid(300) * 300;
                let spec = CreateSpec::parse(start, 300, &CREATE_ARGS).map_err(|e| fail(&e))?;
                match Rrd::create(&path, &spec, &CreateOptions { no_overwrite: true }) {
                    Ok(()) => {
                        created(rel);
                        let _ = std::fs::write(self.root.join(".updated"), rel);
                        Ok(start)
                    }
                    // made meanwhile by another program: read it
                    Err(rrd_core::Error::Exists { .. }) => Rrd::open(&path, OpenMode::ReadOnly)
                        .map(|r| r.header().last_up)
                        .map_err(|e| fail(&e)),
                    Err(e) => Err(fail(&e)),
                }
            }
            Err(e) => Err(format!("{rel}: {e}")),
        }
    }

    /// Writes the records waiting for `rel` (`source/path`). False if they
    /// could not be written and wait on.
    pub fn flush_file(&self, rel: &str) -> bool {
        let k = stripe(rel);
        let _w = lock(&self.writers[k]);
        let values = {
            let mut files = lock(&self.files[k]);
            match files.get_mut(rel) {
                Some(e) if !e.values.is_empty() => std::mem::take(&mut e.values),
                // nothing waits: forget the file, and read its last update
                // afresh next time (another program may write it); on
                // storage nodes the entry stays (their refusals say when
                // another writer went further)
                Some(_) => {
                    if self.settings.storage.is_none() {
                        files.remove(rel);
                    }
                    return true;
                }
                None => return true,
            }
        };
        let n = values.len();
        let path = self.root.join(format!("{rel}.rrd"));
        let written = self.write_file(rel, &path, &values);
        let mut files = lock(&self.files[k]);
        match written {
            Written::Done { given_up } => {
                self.flushed
                    .fetch_add((n - given_up) as u64, Ordering::Relaxed);
                self.dropped.fetch_add(given_up as u64, Ordering::Relaxed);
                self.pending.fetch_sub(n, Ordering::Relaxed);
                if self.settings.storage.is_none()
                    && files.get(rel).is_some_and(|e| e.values.is_empty())
                {
                    files.remove(rel);
                }
                true
            }
            Written::Gone(why) => {
                // this file's records are dropped, newer ones too: the next
                // record makes the file again
                let newer = files.remove(rel).map_or(0, |e| e.values.len());
                eprintln!(
                    "rrd-server: {rel}: {why}: {} waiting record(s) dropped",
                    n + newer
                );
                self.dropped
                    .fetch_add((n + newer) as u64, Ordering::Relaxed);
                self.pending.fetch_sub(n + newer, Ordering::Relaxed);
                lock(&self.drop_marks).push(rel.to_string());
                true
            }
            Written::Retry(why) => {
                eprintln!("rrd-server: {rel}: {why}; {n} record(s) wait for the next cycle");
                let e = files.entry(rel.to_string()).or_default();
                let newer = std::mem::replace(&mut e.values, values);
                e.values.extend(newer);
                if let Some(&(ts, _)) = e.values.last() {
                    e.last = e.last.max(ts);
                }
                false
            }
        }
    }

    /// Applies `values` to the file at `path` in one open, or sends them
    /// to its storage node.
    fn write_file(&self, rel: &str, path: &Path, values: &[(i64, f64)]) -> Written {
        if let Some(ring) = &self.settings.storage {
            use crate::storage::StorageError;
            let file = format!("{rel}.rrd");
            return match ring.node_of(&file).update(&file, values) {
                Ok(u) => {
                    if u.stale > 0 {
                        eprintln!(
                            "rrd-server: {rel}: {} record(s) not later than the file's last update on its storage node",
                            u.stale
                        );
                    }
                    Written::Done { given_up: u.stale }
                }
                Err(e @ StorageError::Unreachable { .. }) => Written::Retry(e.to_string()),
                Err(e @ StorageError::NoSuchFile { .. }) => Written::Gone(e.to_string()),
                Err(e) => Written::Gone(e.to_string()),
            };
        }
        let mut rrd = match Rrd::open(path, OpenMode::ReadWrite) {
            Ok(r) => r,
            Err(e) if not_found(&e) => return Written::Gone("the file was removed".into()),
            Err(e) if transient(&e) => return Written::Retry(e.to_string()),
            Err(e) => return Written::Gone(e.to_string()),
        };
        let mut given_up = 0;
        let mut first_refusal = None;
        for &(ts, v) in values {
            match rrd.update(UpdateTime::from_secs(ts), &[Value::Num(v)]) {
                Ok(()) => {}
                // what was applied before stays; a retry finds it in the
                // file (not later than its last update) and skips it
                Err(e) if transient(&e) => return Written::Retry(e.to_string()),
                Err(e) => {
                    given_up += 1;
                    first_refusal.get_or_insert(e.to_string());
                }
            }
        }
        if let Err(e) = rrd.close() {
            return Written::Retry(e.to_string());
        }
        if self.settings.journal_sync {
            // the journal goes once this is written: make it durable first
            if let Err(e) = File::open(path).and_then(|f| f.sync_data()) {
                return Written::Retry(format!("syncing: {e}"));
            }
        }
        if let Some(why) = first_refusal {
            eprintln!("rrd-server: {rel}: {given_up} record(s) refused by the file, first: {why}");
        }
        Written::Done { given_up }
    }

    /// A flush cycle: moves the journal to a new segment, writes every
    /// file the queue holds, copies the records of files that could not be
    /// written into the new segment, and deletes the older segments. False
    /// if some file could not be written.
    pub fn flush_all(&self) -> bool {
        let _one = lock(&self.flushing);
        let (keys, old) = {
            let mut j = lock(&self.journal);
            let old = j.seq;
            let rotated = match Journal::open(&j.dir, old + 1, self.settings.journal_sync) {
                Ok(next) => {
                    *j = next;
                    // the checkpoints go on in the new segment before the
                    // old ones can go
                    let mut lines = String::new();
                    for (k, v) in lock(&self.marks).iter() {
                        let _ = writeln!(lines, "K {k} {v}");
                    }
                    match j.append(&lines, self.settings.journal_sync) {
                        Ok(()) => true,
                        Err(e) => {
                            eprintln!(
                                "rrd-server: journal {}: {e}; older segments kept",
                                j.path().display()
                            );
                            false
                        }
                    }
                }
                Err(e) => {
                    eprintln!("rrd-server: starting a journal segment: {e}");
                    false
                }
            };
            // every file, also those a chart is writing right now (their
            // records are taken but not yet in the file): flush_file waits
            // for that write and retries what failed
            let keys: Vec<String> = self
                .files
                .iter()
                .flat_map(|s| lock(s).keys().cloned().collect::<Vec<_>>())
                .collect();
            (keys, rotated.then_some(old))
        };
        let mut failed = Vec::new();
        for rel in keys {
            if !self.flush_file(&rel) {
                failed.push(rel);
            }
        }
        let mut old = old;
        if !failed.is_empty() {
            // the old segments can go once these wait in the current one
            let mut j = lock(&self.journal);
            let mut lines = String::new();
            for rel in &failed {
                if let Some(e) = lock(&self.files[stripe(rel)]).get(rel) {
                    for &(ts, v) in &e.values {
                        let _ = writeln!(lines, "{ts} {v} {rel}");
                    }
                }
            }
            if let Err(e) = j.append(&lines, self.settings.journal_sync) {
                eprintln!(
                    "rrd-server: journal {}: {e}; older segments kept",
                    j.path().display()
                );
                old = None;
            }
        }
        if let Some(old) = old {
            let dir = lock(&self.journal).dir.clone();
            if let Ok(segs) = Journal::segments(&dir) {
                for (seq, path) in segs {
                    if seq <= old {
                        if let Err(e) = std::fs::remove_file(&path) {
                            eprintln!("rrd-server: removing {}: {e}", path.display());
                        }
                    }
                }
            }
        }
        self.cycles.fetch_add(1, Ordering::Relaxed);
        failed.is_empty()
    }

    /// Writes the waiting records of these files (before a chart reads
    /// them).
    pub fn flush_files<'a>(&self, rels: impl IntoIterator<Item = &'a str>) {
        if self.pending.load(Ordering::Relaxed) == 0 {
            return;
        }
        for rel in rels {
            self.flush_file(rel);
        }
    }

    /// Writes the waiting records of these files now; whether none of
    /// them has records waiting after.
    pub fn flush_named(&self, rels: &[String]) -> bool {
        let mut ok = true;
        for rel in rels {
            ok &= self.flush_file(rel);
        }
        ok
    }

    /// The checkpoint journaled last under `key` (by [`WriteQueue::accept`]),
    /// also across restarts.
    pub fn mark(&self, key: &str) -> Option<String> {
        lock(&self.marks).get(key).cloned()
    }

    /// What the queue holds and has done.
    pub fn status(&self) -> Status {
        let files_pending = self
            .files
            .iter()
            .map(|s| lock(s).values().filter(|e| !e.values.is_empty()).count())
            .sum();
        Status {
            pending: self.pending.load(Ordering::Relaxed),
            files_pending,
            flushed: self.flushed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            cycles: self.cycles.load(Ordering::Relaxed),
            replayed: self.replayed.load(Ordering::Relaxed),
            journal_bytes: lock(&self.journal).bytes,
        }
    }

    fn wake(&self) {
        lock(&self.signal.state).0 = true;
        self.signal.cv.notify_one();
    }

    /// Stops the flusher thread and waits for it (a cycle under way ends
    /// first). Nothing is flushed.
    pub fn stop(&self) {
        lock(&self.signal.state).1 = true;
        self.signal.cv.notify_one();
        let handle = lock(&self.thread).take();
        if let Some(h) = handle {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }

    /// Queues the segments' records again. Each file's records are sorted
    /// by time and those not later than its last update skipped (already
    /// written); a `D` line forgets the file's records before it (they
    /// were dropped). A torn last line is ignored.
    fn replay(&self, segments: &[PathBuf]) -> anyhow::Result<()> {
        let mut by_file: HashMap<String, Vec<(i64, f64)>> = HashMap::new();
        for path in segments {
            let bytes = std::fs::read(path)?;
            let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            for raw in bytes[..whole].split(|&b| b == b'\n') {
                if raw.is_empty() {
                    continue;
                }
                let line = String::from_utf8_lossy(raw);
                if let Some(rel) = line.strip_prefix("D ") {
                    by_file.remove(rel);
                    continue;
                }
                if let Some(kv) = line.strip_prefix("K ") {
                    match kv.split_once(' ') {
                        Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                            lock(&self.marks).insert(k.to_string(), v.to_string());
                        }
                        _ => eprintln!(
                            "rrd-server: {}: unreadable checkpoint skipped: {line:?}",
                            path.display()
                        ),
                    }
                    continue;
                }
                let mut it = line.splitn(3, ' ');
                let parsed = (|| {
                    let ts: i64 = it.next()?.parse().ok()?;
                    let v: f64 = it.next()?.parse().ok()?;
                    let rel = it.next()?;
                    (v.is_finite() && crate::ingest::check_rel(rel).is_ok())
                        .then(|| (ts, v, rel.to_string()))
                })();
                match parsed {
                    Some((ts, v, rel)) => by_file.entry(rel).or_default().push((ts, v)),
                    None => eprintln!(
                        "rrd-server: {}: unreadable line skipped: {line:?}",
                        path.display()
                    ),
                }
            }
        }
        for (rel, mut values) in by_file {
            values.sort_by_key(|&(ts, _)| ts);
            values.dedup_by_key(|&mut (ts, _)| ts);
            let p = self.root.join(format!("{rel}.rrd"));
            let last = match &self.settings.storage {
                // the nodes refuse what they have (and say so): send all
                Some(_) => i64::MIN,
                None => match Rrd::open(&p, OpenMode::ReadOnly) {
                    Ok(r) => r.header().last_up,
                    Err(e) if not_found(&e) => {
                        eprintln!(
                        "rrd-server: journal names {rel}.rrd, which is gone: {} record(s) dropped",
                        values.len()
                    );
                        self.dropped
                            .fetch_add(values.len() as u64, Ordering::Relaxed);
                        continue;
                    }
                    // keep them: the cycles retry the file, and keep them journaled
                    Err(e) if transient(&e) => {
                        eprintln!("rrd-server: {rel}.rrd: {e}; its journaled records wait");
                        i64::MIN
                    }
                    Err(e) => {
                        eprintln!(
                            "rrd-server: {rel}.rrd: {e}: {} journaled record(s) dropped",
                            values.len()
                        );
                        self.dropped
                            .fetch_add(values.len() as u64, Ordering::Relaxed);
                        continue;
                    }
                },
            };
            values.retain(|&(ts, _)| ts > last);
            if values.is_empty() {
                continue;
            }
            let n = values.len();
            let entry = Entry {
                last: values[n - 1].0,
                there: None,
                values,
            };
            lock(&self.files[stripe(&rel)]).insert(rel, entry);
            self.pending.fetch_add(n, Ordering::Relaxed);
            self.replayed.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(())
    }
}

impl Drop for WriteQueue {
    fn drop(&mut self) {
        lock(&self.signal.state).1 = true;
        self.signal.cv.notify_one();
    }
}

/// The flusher thread: a cycle every `period`, or when woken.
fn flusher(queue: Weak<WriteQueue>, signal: Arc<Signal>, period: Duration) {
    loop {
        {
            let mut st = lock(&signal.state);
            if !st.0 && !st.1 {
                st = signal
                    .cv
                    .wait_timeout(st, period)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            if st.1 {
                return;
            }
            st.0 = false;
        }
        let Some(q) = queue.upgrade() else {
            return;
        };
        let work = q.pending.load(Ordering::Relaxed) > 0
            || lock(&q.journal).bytes > 0
            || !lock(&q.drop_marks).is_empty();
        if work {
            // a panic must not end the cycles for good
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.flush_all()));
            if r.is_err() {
                eprintln!("rrd-server: a flush cycle panicked; the next one retries");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_sort_by_number() {
        assert_eq!(segment_seq(&segment_name(42)), Some(42));
        assert!(segment_name(9) < segment_name(10));
        assert_eq!(segment_seq("ingest-x.journal"), None);
        assert_eq!(segment_seq("pages.sqlite"), None);
    }
}
