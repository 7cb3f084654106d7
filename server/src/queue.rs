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
//!   segment, every file with waiting records is written, and the older
//!   segments are deleted once all of that succeeded. A file that cannot be
//!   written (a full disk, a lock held elsewhere) keeps its records for the
//!   next cycle, and the segments stay.
//! - **Bounded.** At most `ingest.max_pending` records wait; past that a
//!   request is answered 503 and nothing of it is taken.
//! - **New files** are created when their first record is accepted, so the
//!   catalogue lists them at once.
//!
//! Other programs reading the files directly (rrdtool, `rrd`) see waiting
//! records only after a flush, as with rrdcached; `POST /api/ingest/flush`
//! writes everything now.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, Weak};
use std::time::Duration;

use rrd_core::{CreateOptions, CreateSpec, OpenMode, Rrd, UpdateTime, Value};
use serde::Serialize;

use crate::ingest::{Outcome, CREATE_ARGS};

/// Lock stripes (files hash to one of them).
const STRIPES: usize = 64;
/// How often the flusher retries when every record is written at once
/// (`write_behind_seconds = 0`): only records whose file failed wait.
const RETRY: Duration = Duration::from_secs(30);

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
}

/// Why records were not taken.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// More than `max_pending` records would wait.
    #[error("ingestion backlog full ({0} records waiting); try again shortly")]
    Backlog(usize),
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
    fn open(dir: &Path, seq: u64) -> std::io::Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(segment_name(seq)))?;
        let bytes = file.metadata()?.len();
        Ok(Journal {
            dir: dir.to_path_buf(),
            seq,
            file,
            bytes,
        })
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

/// The queue. Shared through an `Arc`; dropping the last one stops the
/// flusher without flushing (the journal keeps what waits): call
/// [`WriteQueue::flush_all`] first for a clean stop.
#[derive(Debug)]
pub struct WriteQueue {
    root: PathBuf,
    settings: Settings,
    /// Waiting records by file (`source/path`, without `.rrd`).
    files: Vec<Mutex<HashMap<String, Entry>>>,
    /// Held while a file is read for its last update or written.
    writers: Vec<Mutex<()>>,
    journal: Mutex<Journal>,
    /// Taken shared by each request while it queues and journals, and
    /// exclusively to move the journal to a new segment: everything in an
    /// old segment is in memory when the segment is closed.
    cycle: RwLock<()>,
    /// One flush cycle at a time.
    flushing: Mutex<()>,
    pending: AtomicUsize,
    flushed: AtomicU64,
    dropped: AtomicU64,
    cycles: AtomicU64,
    replayed: AtomicU64,
    signal: Arc<Signal>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn stripe(rel: &str) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    rel.hash(&mut h);
    (h.finish() % STRIPES as u64) as usize
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
        let journal = Journal::open(journal_dir, seq)
            .with_context(|| format!("opening a journal segment in {}", journal_dir.display()))?;
        let q = Arc::new(WriteQueue {
            root: root.to_path_buf(),
            settings,
            files: (0..STRIPES).map(|_| Mutex::default()).collect(),
            writers: (0..STRIPES).map(|_| Mutex::default()).collect(),
            journal: Mutex::new(journal),
            cycle: RwLock::new(()),
            flushing: Mutex::new(()),
            pending: AtomicUsize::new(0),
            flushed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            cycles: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
            signal: Arc::default(),
        });
        for (_, path) in &old {
            q.replay(path)
                .with_context(|| format!("replaying {}", path.display()))?;
        }
        if !old.is_empty() {
            let n = q.replayed.load(Ordering::Relaxed);
            eprintln!(
                "rrd-server: replayed {n} journaled record(s) from {} segment(s)",
                old.len()
            );
            anyhow::ensure!(
                q.flush_all(),
                "writing the replayed records failed (see above); the journal is kept"
            );
        }
        let weak = Arc::downgrade(&q);
        let signal = q.signal.clone();
        let period = if q.settings.delay.is_zero() {
            RETRY
        } else {
            q.settings.delay
        };
        std::thread::Builder::new()
            .name("rrd-flush".into())
            .spawn(move || flusher(weak, signal, period))
            .context("starting the flusher thread")?;
        Ok(q)
    }

    /// Queues the records of one request, grouped by file (`source/path`)
    /// with each file's records in request order as `(index, time, value)`,
    /// applying the original's rules; counts into `out`. `created` hears of
    /// each new file; at most `max_new_files` are made. Returns once the
    /// records are journaled (and, with no write-behind delay, written).
    pub fn accept(
        &self,
        groups: Vec<FileRecords>,
        max_new_files: usize,
        out: &mut Outcome,
        created: &mut dyn FnMut(&str),
    ) -> Result<(), QueueError> {
        let n: usize = groups.iter().map(|(_, r)| r.len()).sum();
        let waiting = self.pending.load(Ordering::Relaxed);
        if waiting + n > self.settings.max_pending {
            self.wake();
            return Err(QueueError::Backlog(waiting));
        }
        let mut lines = String::new();
        let mut touched = Vec::new();
        let mut made = 0;
        {
            let _cycle = self.cycle.read().unwrap_or_else(|p| p.into_inner());
            for (rel, recs) in &groups {
                let before = out.written;
                let may_create = made < max_new_files;
                let mut count = |r: &str| {
                    made += 1;
                    created(r)
                };
                self.enqueue(rel, recs, may_create, out, &mut lines, &mut count);
                if out.written > before {
                    touched.push(rel.as_str());
                }
            }
            if !lines.is_empty() {
                let mut j = lock(&self.journal);
                let r = j.file.write_all(lines.as_bytes()).and_then(|()| {
                    if self.settings.journal_sync {
                        j.file.sync_data()
                    } else {
                        Ok(())
                    }
                });
                match r {
                    Ok(()) => j.bytes += lines.len() as u64,
                    Err(e) => {
                        // the files do not need new space: write them now
                        eprintln!(
                            "rrd-server: journal {}: {e}; writing this request's files at once",
                            j.dir.join(segment_name(j.seq)).display()
                        );
                        drop(j);
                        for rel in &touched {
                            self.flush_file(rel);
                        }
                        return Ok(());
                    }
                }
            }
        }
        if self.settings.delay.is_zero() {
            for rel in &touched {
                self.flush_file(rel);
            }
        } else if self.pending.load(Ordering::Relaxed) * 2 > self.settings.max_pending {
            self.wake();
        }
        Ok(())
    }

    /// Queues one file's records.
    fn enqueue(
        &self,
        rel: &str,
        recs: &[(usize, i64, f64)],
        may_create: bool,
        out: &mut Outcome,
        lines: &mut String,
        created: &mut dyn FnMut(&str),
    ) {
        let k = stripe(rel);
        let mut files = lock(&self.files[k]);
        if !files.contains_key(rel) {
            drop(files);
            // whoever first sees a file reads it under its writer lock, so
            // no flush can change it in between
            let _w = lock(&self.writers[k]);
            if !lock(&self.files[k]).contains_key(rel) {
                match self.first_sight(rel, recs[0].1, may_create, created) {
                    Ok(last) => {
                        lock(&self.files[k]).insert(
                            rel.to_string(),
                            Entry {
                                last,
                                values: Vec::new(),
                            },
                        );
                    }
                    Err(reason) => {
                        for &(index, _, _) in recs {
                            out.refuse(index, reason.clone());
                        }
                        return;
                    }
                }
            }
            files = lock(&self.files[k]);
        }
        let Some(e) = files.get_mut(rel) else {
            return;
        };
        let mut added = 0;
        for &(_, ts, value) in recs {
            let ts = match ts.cmp(&e.last) {
                std::cmp::Ordering::Less => {
                    out.skipped += 1;
                    continue;
                }
                std::cmp::Ordering::Equal => ts + 1,
                std::cmp::Ordering::Greater => ts,
            };
            e.values.push((ts, value));
            e.last = ts;
            added += 1;
            let _ = writeln!(lines, "{ts} {value} {rel}");
        }
        self.pending.fetch_add(added, Ordering::Relaxed);
        out.written += added;
    }

    /// A file's last update, creating the file with the original's
    /// definition if it is missing.
    fn first_sight(
        &self,
        rel: &str,
        first_ts: i64,
        may_create: bool,
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
            Err(rrd_core::Error::Io { ref source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                if !may_create {
                    return Err(format!(
                        "{rel}: more than {} new series in one request",
                        crate::ingest::MAX_NEW_FILES
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
        let values = match lock(&self.files[k]).get_mut(rel) {
            Some(e) if !e.values.is_empty() => std::mem::take(&mut e.values),
            _ => return true,
        };
        let n = values.len();
        let path = self.root.join(format!("{rel}.rrd"));
        let result = (|| {
            let mut rrd = Rrd::open(&path, OpenMode::ReadWrite)?;
            let mut given_up = 0;
            for &(ts, v) in &values {
                if let Err(e) = rrd.update(UpdateTime::from_secs(ts), &[Value::Num(v)]) {
                    eprintln!("rrd-server: {rel}: record at {ts} not written: {e}");
                    given_up += 1;
                }
            }
            rrd.close()?;
            Ok::<usize, rrd_core::Error>(given_up)
        })();
        let mut files = lock(&self.files[k]);
        match result {
            Ok(given_up) => {
                self.flushed
                    .fetch_add((n - given_up) as u64, Ordering::Relaxed);
                self.dropped.fetch_add(given_up as u64, Ordering::Relaxed);
                self.pending.fetch_sub(n, Ordering::Relaxed);
                // forget a file with nothing waiting: the next record reads
                // its last update afresh (another program may write it)
                if files.get(rel).is_some_and(|e| e.values.is_empty()) {
                    files.remove(rel);
                }
                true
            }
            Err(rrd_core::Error::Io { ref source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                eprintln!("rrd-server: {rel}.rrd was removed: {n} waiting record(s) dropped");
                self.dropped.fetch_add(n as u64, Ordering::Relaxed);
                self.pending.fetch_sub(n, Ordering::Relaxed);
                if files.get(rel).is_some_and(|e| e.values.is_empty()) {
                    files.remove(rel);
                }
                true
            }
            Err(e) => {
                eprintln!("rrd-server: {rel}: {e}; {n} record(s) wait for the next cycle");
                let e = files.entry(rel.to_string()).or_default();
                let newer = std::mem::replace(&mut e.values, values);
                e.values.extend(newer);
                false
            }
        }
    }

    /// A flush cycle: moves the journal to a new segment, writes every
    /// file with records waiting, and deletes the older segments if all of
    /// them were written. False if some file could not be written.
    pub fn flush_all(&self) -> bool {
        let _one = lock(&self.flushing);
        let (keys, old) = {
            let _cycle = self.cycle.write().unwrap_or_else(|p| p.into_inner());
            let mut j = lock(&self.journal);
            let old = j.seq;
            match Journal::open(&j.dir, old + 1) {
                Ok(next) => *j = next,
                Err(e) => eprintln!("rrd-server: starting a journal segment: {e}"),
            }
            let keys: Vec<String> = self
                .files
                .iter()
                .flat_map(|s| {
                    lock(s)
                        .iter()
                        .filter(|(_, e)| !e.values.is_empty())
                        .map(|(k, _)| k.clone())
                        .collect::<Vec<_>>()
                })
                .collect();
            (keys, old)
        };
        let mut ok = true;
        for rel in &keys {
            ok &= self.flush_file(rel);
        }
        let j = lock(&self.journal);
        if ok && j.seq > old {
            if let Ok(segs) = Journal::segments(&j.dir) {
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
        ok
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

    /// Queues a segment's records again (no journal lines: the segment
    /// stays until they are written). A torn last line is ignored.
    fn replay(&self, path: &Path) -> std::io::Result<()> {
        let mut text = String::new();
        File::open(path)?.read_to_string(&mut text).or_else(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                // a torn multi-byte name at the end: read what is whole
                let bytes = std::fs::read(path)?;
                let upto = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
                text = String::from_utf8_lossy(&bytes[..upto]).into_owned();
                Ok(0)
            } else {
                Err(e)
            }
        })?;
        let whole = text.rfind('\n').map_or(0, |p| p + 1);
        let mut missing = HashSet::new();
        for line in text[..whole].lines() {
            let mut it = line.splitn(3, ' ');
            let parsed = (|| {
                let ts: i64 = it.next()?.parse().ok()?;
                let v: f64 = it.next()?.parse().ok()?;
                let rel = it.next()?;
                crate::ingest::check_rel(rel).ok()?;
                Some((ts, v, rel))
            })();
            let Some((ts, v, rel)) = parsed else {
                eprintln!(
                    "rrd-server: {}: unreadable line skipped: {line:?}",
                    path.display()
                );
                continue;
            };
            if missing.contains(rel) {
                continue;
            }
            let k = stripe(rel);
            let mut files = lock(&self.files[k]);
            if !files.contains_key(rel) {
                let p = self.root.join(format!("{rel}.rrd"));
                match Rrd::open(&p, OpenMode::ReadOnly) {
                    Ok(r) => {
                        files.insert(
                            rel.to_string(),
                            Entry {
                                last: r.header().last_up,
                                values: Vec::new(),
                            },
                        );
                    }
                    Err(e) => {
                        eprintln!(
                            "rrd-server: journal names {rel}.rrd: {e}; its records are dropped"
                        );
                        missing.insert(rel.to_string());
                        continue;
                    }
                }
            }
            let e = files.get_mut(rel).expect("inserted above");
            // written before the stop: already in the file
            if ts > e.last {
                e.values.push((ts, v));
                e.last = ts;
                self.pending.fetch_add(1, Ordering::Relaxed);
                self.replayed.fetch_add(1, Ordering::Relaxed);
            }
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
        if q.pending.load(Ordering::Relaxed) > 0 {
            q.flush_all();
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
