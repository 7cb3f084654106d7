//! The daemon's state (the cache of pending values, the write queue, the
//! counters) and every command of the protocol.
//!
//! One lock guards the cache: a map from a file's absolute path to its
//! pending values (kept as one byte buffer, not one allocation each) and
//! the queue of files waiting for a writer. Connection threads add values
//! and answer; writer threads take a file's values out of the cache and
//! apply them with rrd-core while the lock is free. A file is never
//! written by two writers at once (a second request to write it waits
//! until the first is done), so its values reach it in the order they came.
//!
//! Bounded memory: the pending values may take at most
//! [`Config::max_pending`] bytes. A connection that would go past it makes
//! every file with values eligible for writing and waits until writers
//! have made room (back-pressure), answering an error if none comes.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rrd_clib::strerror;
use rrd_core::{OpenMode, Rrd, UpdateOptions, UpdateTime};

use crate::journal::Journal;
use crate::protocol::{self, context, Fields, COMMANDS, REPLY_MAX};

/// How the daemon is set up (rrdcached's options).
#[derive(Debug, Clone)]
pub struct Config {
    /// `-b`: relative names are taken under it; `LIST` lists under it.
    pub base_dir: Option<Vec<u8>>,
    /// `-B`: names outside the base directory are refused.
    pub base_only: bool,
    /// `-R`: `CREATE` may create missing directories.
    pub recursive_mkdir: bool,
    /// `-w`: seconds a file's values wait before they are written.
    pub write_interval: i64,
    /// `-z`: up to this many seconds more, at random per file.
    pub write_jitter: i64,
    /// `-f`: seconds between sweeps for old values and idle files.
    pub flush_interval: i64,
    /// `-F`: write everything at shutdown (always so without a journal).
    pub flush_at_shutdown: bool,
    /// `-O`: `CREATE` never overwrites.
    pub no_overwrite: bool,
    /// `-t`: writer threads.
    pub threads: usize,
    /// Most bytes of pending values held in memory.
    pub max_pending: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_dir: None,
            base_only: false,
            recursive_mkdir: false,
            write_interval: 300,
            write_jitter: 0,
            flush_interval: 3600,
            flush_at_shutdown: false,
            no_overwrite: false,
            threads: 4,
            max_pending: 256 << 20,
        }
    }
}

/// The daemon's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// Taking requests.
    Running = 0,
    /// A signal asked it to stop: connections end, writers finish.
    Flushing = 1,
    /// Writers are done.
    Shutdown = 2,
}

/// Bytes a pending value costs beyond its text (its separator and a share
/// of the buffer), for the memory bound.
const VALUE_OVERHEAD: usize = 1;
/// Bytes a cached file costs beyond its name, for the memory bound.
const ITEM_OVERHEAD: usize = 96;

/// One file's entry in the cache.
#[derive(Debug)]
struct Item {
    /// Pending values, each followed by a NUL byte.
    values: Vec<u8>,
    /// How many values `values` holds.
    count: usize,
    /// Time of the newest value accepted (the file's last update at first).
    last_update: f64,
    /// When its values were last taken for writing (plus jitter).
    last_flush: i64,
    in_queue: bool,
    suspended: bool,
    /// A writer holds values of it.
    writing: bool,
    /// Asked to be written while a writer held it.
    requeue: bool,
    /// Values accepted since the entry was made.
    received: u64,
    /// Values taken by writers whose write has ended.
    written: u64,
    /// The oldest journal segment holding one of its unwritten values.
    segment: Option<u64>,
    /// Tells this entry from one made again for the same name after a
    /// FORGET (a write of the old one must not count for the new).
    id: u64,
}

/// The time at the start of an update value, if a `:` follows it
/// (rrdcached's `rrd_strtodbl(..) == 1 && *end == ':'`).
fn timestamp(value: &[u8]) -> Option<f64> {
    // the common case, an integer of seconds, without the general parser
    if let Some(colon) = value.iter().position(|&b| b == b':') {
        let digits = &value[..colon];
        if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
            let n = digits
                .iter()
                .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
            return Some(n as f64);
        }
    }
    let text = std::str::from_utf8(value).ok()?;
    let (stamp, used) = rrd_clib::strtod::rrd_strtod(text);
    (used > 0 && text.as_bytes().get(used) == Some(&b':')).then_some(stamp)
}

/// A fast keyed hash of file names: a multiply-rotate over 8-byte words
/// (FxHash's), seeded at random per process so that colliding names
/// cannot be prepared in advance, and mixed at the end.
#[derive(Debug, Clone, Copy)]
struct Seeded(u64);

impl Default for Seeded {
    fn default() -> Self {
        use std::hash::{BuildHasher, Hasher};
        Seeded(
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish(),
        )
    }
}

impl std::hash::BuildHasher for Seeded {
    type Hasher = NameHasher;
    fn build_hasher(&self) -> NameHasher {
        NameHasher(self.0)
    }
}

#[derive(Debug)]
struct NameHasher(u64);

impl NameHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ (rest.len() as u64) << 59);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// Shards of the cache: a file's entry lives in the shard its name hashes
/// to, each behind its own lock, so that connections updating different
/// files rarely wait for each other (rrdcached has one lock for all).
const SHARDS: usize = 64;

/// One shard of the cache.
#[derive(Debug, Default)]
struct Shard {
    items: HashMap<Arc<[u8]>, Item, Seeded>,
}

/// The write queue.
#[derive(Debug, Default)]
struct Queue {
    /// Files waiting for a writer, oldest first; an entry whose item is no
    /// longer `in_queue` (or is gone) is stale and skipped.
    files: VecDeque<Arc<[u8]>>,
    /// Items with `in_queue` set (rrdcached's `QueueLength`).
    queued: u64,
}

/// rrdcached's counters.
#[derive(Debug, Default)]
struct Stats {
    updates_received: AtomicU64,
    flush_received: AtomicU64,
    updates_written: AtomicU64,
    data_sets_written: AtomicU64,
}

/// A daemon: shared by every connection and writer thread.
#[derive(Debug)]
pub struct Daemon {
    cfg: Config,
    flush_at_shutdown: AtomicBool,
    shards: Box<[Mutex<Shard>]>,
    /// Per shard: `FLUSH` waits here for writes of its files to end.
    flushed: Box<[Condvar]>,
    /// Picks a name's shard.
    shard_hash: Seeded,
    queue: Mutex<Queue>,
    /// Writers wait here (with `queue`) for work.
    work: Condvar,
    /// The flush thread sleeps here (with `queue`).
    tick: Condvar,
    /// Bytes of pending values and entries, for the memory bound.
    /// Signed: a session adds what it accepted once per read, so a writer
    /// may take values off before they are added; the sum is right once
    /// both are done.
    pending_bytes: AtomicI64,
    /// Writers busy writing a file.
    writing: AtomicUsize,
    /// Connections over the memory bound wait here.
    room_lock: Mutex<()>,
    room: Condvar,
    /// Unwritten values per journal segment: a segment may go once no
    /// segment at or before it holds any.
    segment_refs: Mutex<BTreeMap<u64, usize>>,
    /// The base directory with its links resolved, once (checked against
    /// for every name and every write with `-B`).
    real_base: Option<std::path::PathBuf>,
    state: AtomicU8,
    stats: Stats,
    journal: Option<Journal>,
    /// `CREATE`s one at a time (as rrdcached serializes them).
    create_lock: Mutex<()>,
    tz: jiff::tz::TimeZone,
}

/// What a connection does after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on reading.
    Continue,
    /// Close the connection (`QUIT`, a malformed request).
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rc {
    Ok,
    OkBin,
    Err,
}

/// A connection's state: its permissions, `BATCH`, and what waits to be
/// sent and journaled.
#[derive(Debug)]
pub struct Session {
    perms: u32,
    /// When `BATCH` began (0: not in a batch).
    batch_start: i64,
    batch_cmd: u64,
    /// Lines after the status line (or, in a batch, the errors).
    wbuf: Vec<u8>,
    /// Bytes to send.
    pub out: Vec<u8>,
    /// Journal lines to write before `out` is sent.
    pub journal: Vec<u8>,
    /// The times of an update's values (kept between requests).
    stamps: Vec<f64>,
    /// UPDATEs and pending bytes not yet added to the daemon's counters
    /// (added once per read, not per request: shared counters cost).
    updates: u64,
    added: usize,
}

impl Session {
    /// A connection allowed the commands of `perms` (bit i: `COMMANDS[i]`).
    pub fn new(perms: u32) -> Self {
        Session {
            perms,
            batch_start: 0,
            batch_cmd: 0,
            wbuf: Vec::new(),
            out: Vec::new(),
            journal: Vec::new(),
            stamps: Vec::new(),
            updates: 0,
            added: 0,
        }
    }

    /// Bytes of error lines a BATCH has gathered.
    pub fn batch_errors(&self) -> usize {
        if self.batch_start != 0 {
            self.wbuf.len()
        } else {
            0
        }
    }

    /// The time requests of this read count as now: a batch's start.
    pub fn now(&self, wall: i64) -> i64 {
        if self.batch_start != 0 {
            self.batch_start
        } else {
            wall
        }
    }

    /// `add_response_info`: a line after the status line (none in a batch).
    fn info(&mut self, text: &[u8]) {
        if self.batch_start != 0 {
            return;
        }
        push_cut(&mut self.wbuf, text);
    }

    fn info_str(&mut self, text: &str) {
        self.info(text.as_bytes());
    }

    /// `send_response`: the status line and what `info` gathered.
    fn respond(&mut self, rc: Rc, msg: &[u8]) {
        if self.batch_start != 0 {
            if rc == Rc::Ok {
                return;
            }
            let mut line = format!("{} ", self.batch_cmd).into_bytes();
            line.extend_from_slice(msg);
            push_cut(&mut self.wbuf, &line);
            return;
        }
        let head: &[u8] = match rc {
            Rc::Ok if self.wbuf.is_empty() => b"0 ",
            Rc::OkBin => b"",
            Rc::Err => b"-1 ",
            Rc::Ok => b"",
        };
        if rc == Rc::Ok && !self.wbuf.is_empty() {
            let n = format!("{} ", count_lines(&self.wbuf));
            self.out.extend_from_slice(n.as_bytes());
        }
        if head.len() + msg.len() <= REPLY_MAX {
            self.out.extend_from_slice(head);
            self.out.extend_from_slice(msg);
        } else {
            push_cut(&mut self.out, &[head, msg].concat());
        }
        if rc != Rc::Err {
            self.out.extend_from_slice(&self.wbuf);
        }
        self.wbuf.clear();
    }

    fn ok(&mut self, msg: &str) -> Flow {
        self.respond(Rc::Ok, msg.as_bytes());
        Flow::Continue
    }

    fn err(&mut self, msg: &str) -> Flow {
        self.respond(Rc::Err, msg.as_bytes());
        Flow::Continue
    }

    fn err_bytes(&mut self, msg: Vec<u8>) -> Flow {
        self.respond(Rc::Err, &msg);
        Flow::Continue
    }
}

/// Appends `text` cut to a reply line's length, its newline kept.
fn push_cut(out: &mut Vec<u8>, text: &[u8]) {
    if text.len() <= REPLY_MAX {
        out.extend_from_slice(text);
        return;
    }
    out.extend_from_slice(&text[..REPLY_MAX - 1]);
    if text.ends_with(b"\n") {
        out.push(b'\n');
    }
}

fn count_lines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// Seconds since the epoch.
pub fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn precise_now() -> UpdateTime {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    UpdateTime {
        sec: d.as_secs() as i64,
        usec: i64::from(d.subsec_micros()),
    }
}

/// rrdcached's `get_abs_path`: a relative `file` under `base`.
pub(crate) fn abs_path(base: Option<&[u8]>, file: &[u8]) -> Vec<u8> {
    match base {
        Some(base) if file.first() != Some(&b'/') => [base, b"/", file].concat(),
        _ => file.to_vec(),
    }
}

/// `name` followed by `rest` (the common "file: message" shapes).
fn cat(name: &[u8], rest: &str) -> Vec<u8> {
    let mut v = name.to_vec();
    v.extend_from_slice(rest.as_bytes());
    v
}

fn os(path: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(path))
}

/// Entry ids.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A small xorshift for the write jitter (no cryptography needed).
fn jitter(max: i64) -> i64 {
    if max <= 0 {
        return 0;
    }
    static SEED: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let mut x = SEED.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    SEED.store(x, Ordering::Relaxed);
    (x % max as u64) as i64
}

impl Daemon {
    /// A daemon with `cfg`, journaling into `journal` if given.
    pub fn new(cfg: Config, journal: Option<Journal>) -> Arc<Daemon> {
        let flush = cfg.flush_at_shutdown || journal.is_none();
        let real_base = cfg
            .base_dir
            .as_ref()
            .and_then(|b| std::fs::canonicalize(os(b)).ok());
        Arc::new(Daemon {
            real_base,
            cfg,
            flush_at_shutdown: AtomicBool::new(flush),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            flushed: (0..SHARDS).map(|_| Condvar::new()).collect(),
            shard_hash: Seeded::default(),
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            tick: Condvar::new(),
            pending_bytes: AtomicI64::new(0),
            writing: AtomicUsize::new(0),
            room_lock: Mutex::new(()),
            room: Condvar::new(),
            segment_refs: Mutex::new(BTreeMap::new()),
            state: AtomicU8::new(State::Running as u8),
            stats: Stats::default(),
            journal,
            create_lock: Mutex::new(()),
            tz: jiff::tz::TimeZone::system(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The journal, if any.
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    /// The current state.
    pub fn state(&self) -> State {
        match self.state.load(Ordering::Acquire) {
            0 => State::Running,
            1 => State::Flushing,
            _ => State::Shutdown,
        }
    }

    /// Stops taking requests (`SIGTERM`, `SIGINT`); `flush` overrides
    /// whether everything is written first (`SIGUSR1`: yes, `SIGUSR2`: no).
    pub fn stop(&self, flush: Option<bool>) {
        if let Some(f) = flush {
            self.flush_at_shutdown.store(f, Ordering::Release);
        }
        let _ = self.state.compare_exchange(
            State::Running as u8,
            State::Flushing as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        self.wake_all();
    }

    /// Wakes every waiting thread (to see a new state).
    fn wake_all(&self) {
        {
            let _q = self.lock_queue();
            self.work.notify_all();
            self.tick.notify_all();
        }
        {
            let _r = self.room_lock.lock().unwrap_or_else(|e| e.into_inner());
            self.room.notify_all();
        }
        for (i, c) in self.flushed.iter().enumerate() {
            let _g = self.lock_shard(i);
            c.notify_all();
        }
    }

    /// Whether everything is to be written before the daemon exits.
    pub fn flushes_at_shutdown(&self) -> bool {
        self.flush_at_shutdown.load(Ordering::Acquire)
    }

    /// The shard `file` lives in.
    fn shard_of(&self, file: &[u8]) -> usize {
        use std::hash::BuildHasher;
        (self.shard_hash.hash_one(file) % SHARDS as u64) as usize
    }

    fn lock_shard(&self, i: usize) -> MutexGuard<'_, Shard> {
        // a panicking thread must not take the daemon down with it
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add_ref(&self, seg: u64) {
        *self
            .segment_refs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(seg)
            .or_insert(0) += 1;
    }

    fn release_segment(&self, seg: u64) {
        let mut refs = self.segment_refs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = refs.get_mut(&seg) {
            *n -= 1;
            if *n == 0 {
                refs.remove(&seg);
            }
        }
    }

    fn sub_pending(&self, n: usize) {
        self.pending_bytes.fetch_sub(n as i64, Ordering::AcqRel);
    }

    fn add_pending(&self, n: usize) {
        self.pending_bytes.fetch_add(n as i64, Ordering::AcqRel);
    }

    /// Whether the pending values have reached the memory bound.
    fn over_bound(&self) -> bool {
        self.pending_bytes.load(Ordering::Acquire) >= self.cfg.max_pending as i64
    }

    /// `get_abs_path`: relative names under the base directory.
    fn abs_path(&self, file: &[u8]) -> Vec<u8> {
        abs_path(self.cfg.base_dir.as_deref(), file)
    }

    /// `check_file_access`, and more: with `-B`, `path` must lie under the
    /// base directory, with no `..` component, and no link on the way may
    /// lead out of it.
    pub fn allowed(&self, path: &[u8]) -> bool {
        let Some(base) = self.cfg.base_dir.as_ref().filter(|_| self.cfg.base_only) else {
            return true;
        };
        if path.split(|&b| b == b'/').any(|c| c == b"..") {
            return false;
        }
        if path.len() <= base.len() + 1 || !path.starts_with(base) || path[base.len()] != b'/' {
            return false;
        }
        // the deepest part of the path that exists, links resolved, must
        // still be under the (real) base directory
        let Some(real_base) = &self.real_base else {
            return false;
        };
        let mut p = os(path).to_path_buf();
        loop {
            match std::fs::canonicalize(&p) {
                Ok(real) => return real.starts_with(real_base),
                Err(_) => {
                    // a dangling link is refused; a missing name is fine
                    if std::fs::symlink_metadata(&p).is_ok() {
                        return false;
                    }
                    if !p.pop() {
                        return false;
                    }
                }
            }
        }
    }

    /// Adds what `s` counted to the daemon's counters: after every read,
    /// before its replies go out.
    pub fn settle(&self, s: &mut Session) {
        if s.updates > 0 {
            self.stats
                .updates_received
                .fetch_add(std::mem::take(&mut s.updates), Ordering::Relaxed);
        }
        if s.added > 0 {
            self.add_pending(std::mem::take(&mut s.added));
        }
    }

    /// One request line. What it answers is appended to `s.out`.
    pub fn handle(&self, s: &mut Session, now: i64, line: &[u8]) -> Flow {
        let mut f = Fields::new(line);
        let Some(cmd_str) = f.next_cow() else {
            return Flow::Close;
        };
        if s.batch_start != 0 {
            s.batch_cmd += 1;
        }
        let Some(idx) = protocol::find(&cmd_str) else {
            return s.err_bytes([b"Unknown command: ".as_slice(), &cmd_str, b"\n"].concat());
        };
        let cmd = &COMMANDS[idx];
        // QUIT and HELP are always allowed; "." needs BATCH
        let bit = match cmd.name {
            "QUIT" | "HELP" => None,
            "." => protocol::find(b"BATCH"),
            _ => Some(idx),
        };
        if bit.is_some_and(|b| s.perms & (1 << b) == 0) {
            return s.err("Permission denied.\n");
        }
        let ctx = if s.batch_start != 0 {
            context::BATCH
        } else {
            context::CLIENT
        };
        if cmd.context & ctx == 0 {
            return s.err_bytes([b"Can't use '".as_slice(), &cmd_str, b"' here.\n"].concat());
        }
        match cmd.name {
            "UPDATE" => self.update(s, now, &mut f),
            "FLUSH" => self.flush(s, &mut f),
            "FLUSHALL" => {
                self.flush_old_values(-1, wall_clock());
                s.ok("Started flush.\n")
            }
            "PENDING" => self.pending(s, &mut f),
            "FORGET" => self.forget(s, &mut f),
            "QUEUE" => self.queue(s),
            "STATS" => self.stats(s),
            "HELP" => help(s, &mut f),
            "PING" => s.ok("PONG\n"),
            "BATCH" => {
                if s.batch_start != 0 {
                    return s.err("Already in BATCH\n");
                }
                s.ok("Go ahead.  End with dot '.' on its own line.\n");
                s.batch_start = wall_clock().max(1);
                s.batch_cmd = 0;
                Flow::Continue
            }
            "." => {
                s.batch_start = 0;
                s.batch_cmd = 0;
                s.ok("errors\n")
            }
            "FETCH" => self.fetch(s, &mut f, false),
            "FETCHBIN" => self.fetch(s, &mut f, true),
            "INFO" => self.info(s, &mut f),
            "FIRST" => self.first(s, &mut f),
            "LAST" => self.last(s, &mut f),
            "CREATE" => self.create(s, &mut f),
            "LIST" => self.list(s, &mut f),
            "SUSPEND" | "RESUME" => self.suspend(s, &mut f, cmd.name == "SUSPEND"),
            "SUSPENDALL" | "RESUMEALL" => {
                let suspend = cmd.name == "SUSPENDALL";
                let mut n = 0;
                for i in 0..SHARDS {
                    for it in self.lock_shard(i).items.values_mut() {
                        if it.suspended != suspend {
                            it.suspended = suspend;
                            n += 1;
                        }
                    }
                }
                if suspend {
                    s.ok(&format!("{n} rrds suspend\n"))
                } else {
                    s.ok(&format!("{n} rrds resumed\n"))
                }
            }
            "QUIT" => Flow::Close,
            // WROTE is for journals only: refused by its context above
            _ => Flow::Close,
        }
    }

    fn syntax_error(s: &mut Session, name: &str) -> Flow {
        let syntax = COMMANDS
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.syntax)
            .unwrap_or("Syntax error.\n");
        s.err(&format!("Usage: {syntax}"))
    }

    /// The file field of a request, made absolute and checked; `Err` holds
    /// the flow after the error was answered.
    fn file_field(&self, s: &mut Session, f: &mut Fields<'_>, name: &str) -> Result<Vec<u8>, Flow> {
        let Some(file) = f.next_field() else {
            return Err(Self::syntax_error(s, name));
        };
        let file = self.abs_path(&file);
        if !self.allowed(&file) {
            return Err(s.err_bytes(cat(&file, ": Permission denied\n")));
        }
        Ok(file)
    }

    fn update(&self, s: &mut Session, now: i64, f: &mut Fields<'_>) -> Flow {
        let Some(name) = f.next_cow() else {
            return Self::syntax_error(s, "UPDATE");
        };
        s.updates += 1;
        let file = self.abs_path(&name);
        // the values' times are read before the lock is taken (and the
        // values read again under it, from a copy of the field reader)
        let values = f.clone();
        let mut stamps = std::mem::take(&mut s.stamps);
        stamps.clear();
        let mut bad: Option<Vec<u8>> = None;
        while f.has_more() {
            let Some(value) = f.next_cow() else {
                break;
            };
            match timestamp(&value) {
                Some(t) => stamps.push(t),
                None => {
                    bad = Some(value.into_owned());
                    break;
                }
            }
        }
        if self.over_bound() {
            if let Err(msg) = self.wait_for_room() {
                return s.err(&msg);
            }
        }
        let shard = self.shard_of(&file);
        let mut c = self.lock_shard(shard);
        if !c.items.contains_key(file.as_slice()) {
            drop(c);
            // a new file is checked without the lock (stat and open may
            // block); names are checked against the base directory here
            // and again before every write
            if !self.allowed(&file) {
                return s.err_bytes(cat(&file, ": Permission denied\n"));
            }
            let last_up = match self.check_new_file(&file) {
                Ok(t) => t,
                Err(msg) => return s.err_bytes(msg),
            };
            c = self.lock_shard(shard);
            if !c.items.contains_key(file.as_slice()) {
                let key: Arc<[u8]> = Arc::from(file.as_slice());
                self.add_pending(key.len() + ITEM_OVERHEAD);
                c.items.insert(
                    key,
                    Item {
                        values: Vec::new(),
                        count: 0,
                        last_update: last_up as f64,
                        last_flush: now + jitter(self.cfg.write_jitter),
                        in_queue: false,
                        suspended: false,
                        writing: false,
                        requeue: false,
                        received: 0,
                        written: 0,
                        segment: None,
                        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                    },
                );
            }
        }
        let segment = self.journal.as_ref().map(Journal::current);
        let journal_mark = s.journal.len();
        s.journal.extend_from_slice(b"update ");
        protocol::escape(&file, &mut s.journal);
        let mut accepted = 0usize;
        let mut stale: Option<(f64, f64)> = None;
        let mut added_bytes = 0usize;
        let mut new_ref: Option<u64> = None;
        let Some(item) = c.items.get_mut(file.as_slice()) else {
            // forgotten while we waited
            s.journal.truncate(journal_mark);
            drop(c);
            return s.err_bytes(cat(&file, " - No such file or directory\n"));
        };
        let mut values = values;
        for &stamp in &stamps {
            let Some(value) = values.next_cow() else {
                break;
            };
            if stamp <= item.last_update {
                stale = Some((stamp, item.last_update));
                break;
            }
            item.last_update = stamp;
            item.values.extend_from_slice(&value);
            item.values.push(0);
            item.count += 1;
            item.received += 1;
            added_bytes += value.len() + VALUE_OVERHEAD;
            s.journal.push(b' ');
            protocol::escape(&value, &mut s.journal);
            accepted += 1;
        }
        s.stamps = stamps;
        if accepted > 0 && item.segment.is_none() {
            item.segment = segment;
            new_ref = segment;
        }
        let due = now - item.last_flush >= self.cfg.write_interval
            && !item.in_queue
            && !item.suspended
            && item.count > 0;
        if due {
            self.enqueue(&mut c, &file, false);
        }
        // counted before the lock goes, so that no writer can release the
        // segment before it is counted
        if let Some(seg) = new_ref {
            self.add_ref(seg);
        }
        drop(c);
        s.added += added_bytes;
        // counted at once when near the bound, else with the read
        if s.added > 1 << 16 {
            self.settle(s);
        }
        if accepted > 0 {
            s.journal.push(b'\n');
        } else {
            s.journal.truncate(journal_mark);
        }
        if let Some((stamp, last)) = stale {
            return s.err(&format!(
                "illegal attempt to update using time {} when last update time is {} \
                 (minimum one second step)\n",
                rrd_clib::printf::fixed(stamp, 6),
                rrd_clib::printf::fixed(last, 6)
            ));
        }
        if let Some(v) = bad {
            return s.err(&format!(
                "Cannot find timestamp in '{}'!\n",
                String::from_utf8_lossy(&v)
            ));
        }
        if accepted == 0 {
            return s.err("No values updated.\n");
        }
        if s.batch_start != 0 {
            // no reply on success inside a batch
            return Flow::Continue;
        }
        if accepted == 1 {
            return s.ok("errors, enqueued 1 value(s).\n");
        }
        s.ok(&format!("errors, enqueued {accepted} value(s).\n"))
    }

    /// What rrdcached checks before it caches a new file: it exists, is a
    /// regular file we may read and write, opens as an RRD, and has a last
    /// update. Its last update, or the error to answer.
    fn check_new_file(&self, file: &[u8]) -> Result<i64, Vec<u8>> {
        let path = os(file);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err([b"No such file: ".as_slice(), file, b"\n"].concat())
            }
            Err(e) => {
                return Err(format!(
                    "stat failed with error {}.\n",
                    e.raw_os_error().unwrap_or(0)
                )
                .into_bytes())
            }
        };
        if !meta.is_file() {
            return Err([b"Not a regular file: ".as_slice(), file, b"\n"].concat());
        }
        if let Err(e) = nix::unistd::access(
            path,
            nix::unistd::AccessFlags::R_OK | nix::unistd::AccessFlags::W_OK,
        ) {
            let e = std::io::Error::from_raw_os_error(e as i32);
            return Err([
                b"Cannot read/write ".as_slice(),
                file,
                format!(": {}\n", strerror(&e)).as_bytes(),
            ]
            .concat());
        }
        let name = String::from_utf8_lossy(file);
        let rrd = Rrd::open(path, OpenMode::ReadOnly).map_err(|e| {
            format!("RRD Error: {}\n", rrd_core::open_message(&name, &e)).into_bytes()
        })?;
        let t = rrd.header().last_up;
        if t < 1 {
            return Err(b"Error: rrdcached: Invalid timestamp returned\n".to_vec());
        }
        Ok(t)
    }

    /// Waits until the pending values fit the memory bound again, making
    /// every file with values due for writing.
    fn wait_for_room(&self) -> Result<(), String> {
        self.flush_old_values(-1, wall_clock());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut g = self.room_lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if !self.over_bound() {
                return Ok(());
            }
            let pending = self.pending_bytes.load(Ordering::Acquire);
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() || self.state() != State::Running {
                return Err(format!(
                    "Cache full: {pending} bytes of updates are waiting to be written; try again later\n"
                ));
            }
            let busy = self.lock_queue().queued > 0 || self.writing.load(Ordering::Acquire) > 0;
            if !busy {
                // nothing can drain it (the files are suspended)
                return Err(format!(
                    "Cache full: {pending} bytes of updates are waiting to be written and \
                     writing is suspended\n"
                ));
            }
            g = self
                .room
                .wait_timeout(g, left.min(Duration::from_millis(200)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// `enqueue_cache_item`: at the tail (unless queued already) or the
    /// head of the queue. `shard` is the file's, locked.
    fn enqueue(&self, shard: &mut Shard, file: &[u8], head: bool) {
        let Some((key, item)) = shard.items.get_key_value(file) else {
            return;
        };
        if item.count == 0 {
            return;
        }
        let key = key.clone();
        let was_queued = item.in_queue;
        {
            let mut q = self.lock_queue();
            if head {
                if was_queued && q.files.front().is_some_and(|f| **f == *file) {
                    return;
                }
                q.files.push_front(key);
            } else {
                if was_queued {
                    return;
                }
                q.files.push_back(key);
            }
            if !was_queued {
                q.queued += 1;
            }
            self.work.notify_one();
        }
        if let Some(item) = shard.items.get_mut(file) {
            item.in_queue = true;
        }
    }

    /// `flush_old_values`: queues the files whose values are older than
    /// `max_age` seconds (all with -1), and drops files idle for the flush
    /// interval.
    fn flush_old_values(&self, max_age: i64, now: i64) {
        let limit = if max_age > 0 {
            now - max_age
        } else {
            now + 2 * self.cfg.write_jitter + 1
        };
        let stopping = self.state() != State::Running;
        for i in 0..SHARDS {
            let mut c = self.lock_shard(i);
            let mut due = Vec::new();
            let mut idle = Vec::new();
            for (k, it) in &c.items {
                if it.in_queue {
                    continue;
                }
                if it.count > 0 && (it.last_flush <= limit || stopping) && !it.suspended {
                    due.push(k.clone());
                } else if now - it.last_flush >= self.cfg.flush_interval
                    && it.count == 0
                    && !it.writing
                {
                    idle.push(k.clone());
                }
            }
            for k in due {
                self.enqueue(&mut c, &k, false);
            }
            for k in idle {
                if c.items.remove(&k).is_some() {
                    self.sub_pending(k.len() + ITEM_OVERHEAD);
                }
            }
        }
    }

    fn flush(&self, s: &mut Session, f: &mut Fields<'_>) -> Flow {
        let Some(file) = f.next_field() else {
            return Self::syntax_error(s, "FLUSH");
        };
        self.stats.flush_received.fetch_add(1, Ordering::Relaxed);
        let file = self.abs_path(&file);
        if !self.allowed(&file) {
            return s.err_bytes(cat(&file, ": Permission denied\n"));
        }
        if self.flush_file(&file) {
            s.respond(
                Rc::Ok,
                &[b"Successfully flushed ".as_slice(), &file, b".\n"].concat(),
            );
            return Flow::Continue;
        }
        if std::fs::metadata(os(&file)).is_ok_and(|m| m.is_file()) {
            s.respond(
                Rc::Ok,
                &[b"Nothing to flush: ".as_slice(), &file, b".\n"].concat(),
            );
            Flow::Continue
        } else {
            s.err_bytes([b"No such file: ".as_slice(), &file, b".\n"].concat())
        }
    }

    /// `flush_file`: writes `file`'s values now and waits until they are
    /// in it. `false` when the file is not in the cache.
    pub fn flush_file(&self, file: &[u8]) -> bool {
        let shard = self.shard_of(file);
        let mut c = self.lock_shard(shard);
        let Some(item) = c.items.get(file) else {
            return false;
        };
        if item.count == 0 && !item.writing || item.suspended {
            return true;
        }
        let target = item.received;
        self.enqueue(&mut c, file, true);
        loop {
            match c.items.get(file) {
                Some(it) if it.written < target && it.received >= target => {}
                _ => return true,
            }
            // no writer will come: stopping without writing, or stopped
            let st = self.state();
            if st == State::Shutdown || st == State::Flushing && !self.flushes_at_shutdown() {
                return true;
            }
            c = self.flushed[shard]
                .wait_timeout(c, Duration::from_millis(500))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn pending(&self, s: &mut Session, f: &mut Fields<'_>) -> Flow {
        let Some(file) = f.next_field() else {
            return Self::syntax_error(s, "PENDING");
        };
        let file = self.abs_path(&file);
        let c = self.lock_shard(self.shard_of(&file));
        if let Some(it) = c.items.get(file.as_slice()) {
            for v in it.values.split(|&b| b == 0).take(it.count) {
                let mut line = v.to_vec();
                line.push(b'\n');
                s.info(&line);
            }
        }
        drop(c);
        s.ok("updates pending\n")
    }

    fn forget(&self, s: &mut Session, f: &mut Fields<'_>) -> Flow {
        let file = match self.file_field(s, f, "FORGET") {
            Ok(p) => p,
            Err(flow) => return flow,
        };
        let shard = self.shard_of(&file);
        let mut c = self.lock_shard(shard);
        let Some(it) = c.items.remove(file.as_slice()) else {
            drop(c);
            return s.err("No such file or directory\n");
        };
        if it.in_queue {
            self.lock_queue().queued -= 1;
        }
        self.flushed[shard].notify_all();
        drop(c);
        self.sub_pending(it.values.len() + file.len() + ITEM_OVERHEAD);
        if let Some(seg) = it.segment {
            self.release_segment(seg);
        }
        self.room.notify_all();
        let mut line = b"forget ".to_vec();
        protocol::escape(&file, &mut line);
        line.push(b'\n');
        s.journal.extend_from_slice(&line);
        s.ok("Gone!\n")
    }

    fn queue(&self, s: &mut Session) -> Flow {
        let files: Vec<Arc<[u8]>> = self.lock_queue().files.iter().cloned().collect();
        let mut seen: HashSet<&[u8]> = HashSet::new();
        let mut lines = Vec::new();
        for k in &files {
            let c = self.lock_shard(self.shard_of(k));
            if let Some(it) = c.items.get(k) {
                if it.in_queue && seen.insert(k) {
                    lines.push([format!("{} ", it.count).as_bytes(), k, b"\n"].concat());
                }
            }
        }
        for l in lines {
            s.info(&l);
        }
        s.ok("in queue.\n")
    }

    fn stats(&self, s: &mut Session) -> Flow {
        self.settle(s);
        let queued = self.lock_queue().queued;
        let nodes: u64 = (0..SHARDS)
            .map(|i| self.lock_shard(i).items.len() as u64)
            .sum();
        // the height of a balanced tree of that many nodes (rrdcached
        // keeps a balanced tree; we keep a hash map)
        let depth = if nodes == 0 {
            0
        } else {
            64 - u64::from(nodes.leading_zeros())
        };
        let (jbytes, jrot) = self
            .journal
            .as_ref()
            .map_or((0, 0), |j| (j.bytes_written(), j.rotations()));
        let st = &self.stats;
        let text = format!(
            "QueueLength: {queued}\nUpdatesReceived: {}\nFlushesReceived: {}\n\
             UpdatesWritten: {}\nDataSetsWritten: {}\nTreeNodesNumber: {nodes}\n\
             TreeDepth: {depth}\nJournalBytes: {jbytes}\nJournalRotate: {jrot}\n",
            st.updates_received.load(Ordering::Relaxed),
            st.flush_received.load(Ordering::Relaxed),
            st.updates_written.load(Ordering::Relaxed),
            st.data_sets_written.load(Ordering::Relaxed),
        );
        for l in text.split_inclusive('\n') {
            s.info_str(l);
        }
        s.ok("Statistics follow\n")
    }

    fn fetch(&self, s: &mut Session, f: &mut Fields<'_>, bin: bool) -> Flow {
        let name = if bin { "FETCHBIN" } else { "FETCH" };
        let (Some(file), Some(cf)) = (f.next_field(), f.next_field()) else {
            return Self::syntax_error(s, name);
        };
        let start_str = f.next_field();
        let end_str = if start_str.is_some() {
            f.next_field()
        } else {
            None
        };
        let file = self.abs_path(&file);
        if !self.allowed(&file) {
            return s.err_bytes(cat(&file, ": Permission denied\n"));
        }
        self.flush_file(&file);
        let t = wall_clock();
        let parse = |v: &Option<Vec<u8>>, what: &str, default: i64| -> Result<i64, String> {
            let Some(v) = v else { return Ok(default) };
            let p = rrd_clib::strtol::strtol(v, 0);
            if p.end == 0 || p.erange {
                return Err(format!(
                    "Cannot parse {what} time `{}': Only simple integers are allowed.\n",
                    String::from_utf8_lossy(v)
                ));
            }
            Ok(if p.value > 0 { p.value } else { t + p.value })
        };
        let start = match parse(&start_str, "start", t - 86400) {
            Ok(v) => v,
            Err(m) => return s.err(&m),
        };
        let end = match parse(&end_str, "end", t) {
            Ok(v) => v,
            Err(m) => return s.err(&m),
        };
        let fname = String::from_utf8_lossy(&file).into_owned();
        let cf_text = String::from_utf8_lossy(&cf).into_owned();
        let result = (|| -> Result<rrd_core::FetchResult, String> {
            if start > end {
                // rrd_fetch_r does not check the window: the negative row
                // count it computes makes its allocation fail
                return Err("malloc fetch data area".into());
            }
            let cf = rrd_core::parse_cf(&cf_text).map_err(|e| e.to_string())?;
            let rrd = Rrd::open(os(&file), OpenMode::ReadOnly)
                .map_err(|e| rrd_core::open_message(&fname, &e))?;
            rrd.fetch(&rrd_core::FetchRequest {
                cf,
                start,
                end,
                resolution: u64::MAX,
            })
            .map_err(|e| e.to_string())
        })();
        let r = match result {
            Ok(r) => r,
            Err(m) => return s.err(&format!("rrd_fetch_r failed: {m}\n")),
        };
        // the columns asked for, by name, each once
        let mut cols: Vec<usize> = Vec::new();
        while let Some(field) = f.next_field() {
            if cols.len() >= r.ds_names.len() {
                return s.err("too many fields given - duplicates!\n");
            }
            if field.is_empty() {
                continue;
            }
            let Some(i) = r
                .ds_names
                .iter()
                .position(|n| n.as_bytes() == field.as_slice())
            else {
                return s.err_bytes(
                    [
                        b"field ".as_slice(),
                        &field,
                        b" not found in ",
                        &file,
                        b"\n",
                    ]
                    .concat(),
                );
            };
            if cols.contains(&i) {
                return s.err_bytes([b"field ".as_slice(), &field, b" already used\n"].concat());
            }
            cols.push(i);
        }
        if cols.is_empty() {
            cols = (0..r.ds_names.len()).collect();
        }
        let d = r.ds_names.len();
        let step = r.step as i64;
        s.info_str("FlushVersion: 1\n");
        s.info_str(&format!("Start: {}\n", r.start));
        s.info_str(&format!("End: {}\n", r.end));
        s.info_str(&format!("Step: {}\n", r.step));
        s.info_str(&format!("DSCount: {}\n", cols.len()));
        // the rows after the start up to the end, as rrdcached counts them
        // (wrapping: a hostile window must not overflow)
        let rows =
            ((r.end.wrapping_sub(r.start) as u64) / r.step.max(1)).min(r.rows as u64) as usize;
        if bin {
            for &c in &cols {
                let mut data = Vec::with_capacity(rows * 8);
                for j in 0..rows {
                    let v = r.values.get(j * d + c).copied().unwrap_or(f64::NAN);
                    data.extend_from_slice(&v.to_ne_bytes());
                }
                let endian = if cfg!(target_endian = "big") {
                    "BIG"
                } else {
                    "LITTLE"
                };
                s.info_str(&format!(
                    "DSName-{}: BinaryData {rows} 8 {endian}\n",
                    r.ds_names[c]
                ));
                // binary data is not cut to a line's length
                s.wbuf.extend_from_slice(&data);
                s.wbuf.push(b'\n');
            }
            s.respond(
                Rc::OkBin,
                format!("{} Success\n", cols.len() + 5).as_bytes(),
            );
            return Flow::Continue;
        }
        // piece by piece, as rrdcached adds them (no piece near a line's
        // length, however many data sources)
        s.info_str("DSName: ");
        for (i, &c) in cols.iter().enumerate() {
            if i > 0 {
                s.info_str(" ");
            }
            s.info_str(&r.ds_names[c]);
        }
        s.info_str("\n");
        let mut t = r.start.wrapping_add(step);
        for j in 0..rows {
            s.info_str(&format!("{t:10}:"));
            for &c in &cols {
                let v = r.values.get(j * d + c).copied().unwrap_or(f64::NAN);
                s.info_str(&format!(" {}", rrd_clib::printf::exp(v, 17)));
            }
            s.info_str("\n");
            t = t.wrapping_add(step);
        }
        s.ok("Success\n")
    }

    fn info(&self, s: &mut Session, f: &mut Fields<'_>) -> Flow {
        let file = match self.file_field(s, f, "INFO") {
            Ok(p) => p,
            Err(flow) => return flow,
        };
        let name = String::from_utf8_lossy(&file).into_owned();
        let rrd = match Rrd::open(os(&file), OpenMode::ReadOnly) {
            Ok(r) => r,
            Err(e) => {
                return s.err(&format!(
                    "RRD Error: {}\n",
                    rrd_core::open_message(&name, &e)
                ))
            }
        };
        for (key, v) in rrd.info(&name) {
            let line = match v {
                rrd_core::InfoValue::Val(x) if x.is_nan() => format!("{key} 0 NaN\n"),
                rrd_core::InfoValue::Val(x) => {
                    format!("{key} 0 {}\n", rrd_clib::printf::exp(x, 10))
                }
                rrd_core::InfoValue::Cnt(n) => format!("{key} 1 {n}\n"),
                rrd_core::InfoValue::Str(t) => format!("{key} 2 {t}\n"),
            };
            s.info_str(&line);
        }
        s.respond(
            Rc::Ok,
            &[b"Info for ".as_slice(), &file, b" follows\n"].concat(),
        );
        Flow::Continue
    }

    fn first(&self, s: &mut Session, f: &mut Fields<'_>) -> Flow {
        let file = match self.file_field(s, f, "FIRST") {
            Ok(p) => p,
            Err(flow) => return flow,
        };
        let Some(i) = f.next_field() else {
            return Self::syntax_error(s, "FIRST");
        };
        let idx = rrd_clib::strtol::atoi(&String::from_utf8_lossy(&i));
        if idx < 0 {
            return s.err(&format!("Invalid index specified ({idx})\n"));
        }
        let name = String::from_utf8_lossy(&file).into_owned();
        let t = match Rrd::open(os(&file), OpenMode::ReadOnly) {
            Ok(rrd) => {
                let h = rrd.header();
                if idx as usize >= h.rra.len() {
                    return s.err("RRD Error: invalid rraindex number\n");
                }
                h.rra_first_time(idx as usize)
            }
            Err(e) => {
                return s.err(&format!(
                    "RRD Error: {}\n",
                    rrd_core::open_message(&name, &e)
                ))
            }
        };
        if t < 1 {
            return s.err("RRD Error: \n");
        }
        s.ok(&format!("{}\n", t as u32))
    }

    fn last(&self, s: &mut Session, f: &mut Fields<'_>) -> Flow {
        let file = match self.file_field(s, f, "LAST") {
            Ok(p) => p,
            Err(flow) => return flow,
        };
        let name = String::from_utf8_lossy(&file).into_owned();
        let (from_file, step) = match Rrd::open(os(&file), OpenMode::ReadOnly) {
            Ok(rrd) => (rrd.header().last_up, rrd.header().step as i64),
            Err(e) => {
                return s.err(&format!(
                    "RRD Error: {}\n",
                    rrd_core::open_message(&name, &e)
                ))
            }
        };
        let cached = self
            .lock_shard(self.shard_of(&file))
            .items
            .get(file.as_slice())
            .map(|it| it.last_update as i64);
        let mut t = cached.unwrap_or(from_file);
        if step > 0 {
            t -= t % step;
        }
        if t < 1 {
            return s.err("Error: rrdcached: Invalid timestamp returned\n");
        }
        s.ok(&format!("{}\n", t as u32))
    }

    fn create(&self, s: &mut Session, f: &mut Fields<'_>) -> Flow {
        let file = match self.file_field(s, f, "CREATE") {
            Ok(p) => p,
            Err(flow) => return flow,
        };
        {
            let _g = self.create_lock.lock().unwrap_or_else(|e| e.into_inner());
            let dir = match file.iter().rposition(|&b| b == b'/') {
                Some(0) => b"/".to_vec(),
                Some(i) => file[..i].to_vec(),
                None => b".".to_vec(),
            };
            if let Err(e) = std::fs::canonicalize(os(&dir)) {
                if e.kind() == std::io::ErrorKind::NotFound {
                    if !self.cfg.recursive_mkdir {
                        return s.err_bytes(
                            [
                                b"No permission to recursively create: ".as_slice(),
                                &dir,
                                b"\nDid you pass -R to the daemon?\n",
                            ]
                            .concat(),
                        );
                    }
                    if let Err(e) = std::fs::create_dir_all(os(&dir)) {
                        return s.err_bytes(
                            [
                                b"Cannot create ".as_slice(),
                                &dir,
                                format!(": {}\n", strerror(&e)).as_bytes(),
                            ]
                            .concat(),
                        );
                    }
                }
            }
        }
        let mut last_up: i64 = -1;
        let mut step: u64 = 0;
        let mut no_overwrite = self.cfg.no_overwrite;
        let mut sources: Vec<String> = Vec::new();
        let mut template: Option<String> = None;
        let mut defs: Vec<String> = Vec::new();
        while let Some(tok) = f.next_field() {
            let text = String::from_utf8_lossy(&tok).into_owned();
            let mut value = || {
                f.next_field()
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
            };
            if text.starts_with("-b") {
                let Some(v) = value() else {
                    return Self::syntax_error(s, "CREATE");
                };
                last_up = rrd_clib::strtol::atol(&v);
            } else if text.starts_with("-s") {
                let Some(v) = value() else {
                    return Self::syntax_error(s, "CREATE");
                };
                step = rrd_clib::strtol::atol(&v) as u64;
            } else if text.starts_with("-r") {
                let Some(v) = value() else {
                    return Self::syntax_error(s, "CREATE");
                };
                // a source is read: it must be inside the base directory too
                if !self.allowed(&self.abs_path(v.as_bytes())) {
                    return s.err(&format!("{v}: Permission denied\n"));
                }
                self.flush_file(v.as_bytes());
                sources.push(v);
            } else if text.starts_with("-t") {
                let Some(v) = value() else {
                    return Self::syntax_error(s, "CREATE");
                };
                if !self.allowed(&self.abs_path(v.as_bytes())) {
                    return s.err(&format!("{v}: Permission denied\n"));
                }
                self.flush_file(v.as_bytes());
                template = Some(v);
            } else if text.starts_with("-O") {
                no_overwrite = true;
            } else if text.starts_with("DS:") || text.starts_with("RRA:") {
                defs.push(text);
            } else {
                return Self::syntax_error(s, "CREATE");
            }
        }
        if last_up != -1 && last_up < 3600 * 24 * 365 * 10 {
            return s.err("The first entry must be after 1980.\n");
        }
        let name = String::from_utf8_lossy(&file).into_owned();
        let args = rrd_core::create_args::CreateArgs {
            start: (last_up != -1).then_some(last_up),
            step: (step != 0).then_some(step),
            no_overwrite,
            sources: sources.iter().map(String::as_str).collect(),
            template: template.as_deref(),
            defs: defs.iter().map(String::as_str).collect(),
            now: wall_clock(),
        };
        let _g = self.create_lock.lock().unwrap_or_else(|e| e.into_inner());
        let r = rrd_core::create_args::build(&name, &args)
            .and_then(|b| b.write(os(&file), &name, no_overwrite));
        match r {
            Ok(()) => {
                // a replay must not bring the old file's values to the new one
                s.journal.extend_from_slice(b"forget ");
                protocol::escape(&file, &mut s.journal);
                s.journal.push(b'\n');
                s.ok("RRD created OK\n")
            }
            Err(m) => s.err(&format!("RRD Error: {m}\n")),
        }
    }

    fn list(&self, s: &mut Session, f: &mut Fields<'_>) -> Flow {
        let Some(base) = self.cfg.base_dir.clone() else {
            return s.err("No base directory defined\n");
        };
        let mut recursive = false;
        let mut name = None;
        if let Some(first) = f.next_field() {
            if first.first() != Some(&b'/') && first != b"RECURSIVE" {
                return Self::syntax_error(s, "LIST");
            }
            if first.first() == Some(&b'/') {
                name = Some(first);
            } else {
                recursive = true;
            }
        }
        let name = match name {
            Some(n) => n,
            None => match f.next_field() {
                Some(n) => n,
                None => return Self::syntax_error(s, "LIST"),
            },
        };
        let mut full = base.clone();
        if name.first() != Some(&b'/') {
            full.push(b'/');
        }
        full.extend_from_slice(&name);
        // "/" is the base directory itself
        let is_base = full.len() == base.len() + 1 && full.ends_with(b"/");
        if !(is_base || self.allowed(&full)) {
            return s.err_bytes([b"Cannot read: ".as_slice(), &full, b"\n"].concat());
        }
        let real_base = match std::fs::canonicalize(os(&base)) {
            Ok(p) => p,
            Err(e) => {
                return s.err_bytes(
                    [
                        b"stat ".as_slice(),
                        &base,
                        format!(": {}\n", strerror(&e)).as_bytes(),
                    ]
                    .concat(),
                )
            }
        };
        let listing = match rrd_core::list::list_r(recursive, &full) {
            Ok(l) => l,
            Err(e) => {
                return s.err_bytes(
                    [
                        b"List ".as_slice(),
                        &full,
                        format!(": {}\n", strerror(&e)).as_bytes(),
                    ]
                    .concat(),
                )
            }
        };
        let single = rrd_core::list::ends_with_rrd(&full);
        for entry in listing.split(|&b| b == b'\n').filter(|e| !e.is_empty()) {
            let absolute = if single {
                full.clone()
            } else {
                [full.as_slice(), b"/", entry].concat()
            };
            if !self.allowed(&absolute) {
                continue;
            }
            // an entry that leads out of the base directory is left out
            match std::fs::canonicalize(os(&absolute)) {
                Ok(real) if real.starts_with(&real_base) => {}
                _ => continue,
            }
            let mut line = entry.to_vec();
            line.push(b'\n');
            s.info(&line);
        }
        s.ok("RRDs\n")
    }

    fn suspend(&self, s: &mut Session, f: &mut Fields<'_>, suspend: bool) -> Flow {
        let Some(file) = f.next_field() else {
            // rrdcached ends the connection after this error too
            Self::syntax_error(s, if suspend { "SUSPEND" } else { "RESUME" });
            return Flow::Close;
        };
        let file = self.abs_path(&file);
        let mut c = self.lock_shard(self.shard_of(&file));
        let Some(it) = c.items.get_mut(file.as_slice()) else {
            drop(c);
            // rrdcached ends the connection after this error
            s.err_bytes(cat(&file, " - No such file or directory\n"));
            return Flow::Close;
        };
        let msg: &[u8] = match (suspend, it.suspended) {
            (true, true) => b" already suspended\n",
            (true, false) => b" suspended\n",
            (false, false) => b" not suspended\n",
            (false, true) => b" resumed\n",
        };
        it.suspended = suspend;
        drop(c);
        s.respond(Rc::Ok, &[file.as_slice(), msg].concat());
        Flow::Continue
    }

    /// A writer thread: takes files off the queue and writes their values
    /// until the daemon stops (and, when it flushes at shutdown, the queue
    /// is empty).
    pub fn writer(&self) {
        loop {
            let key = {
                let mut q = self.lock_queue();
                loop {
                    // stopping: without writing, at once; else once the last
                    // sweep is queued (Shutdown) and the queue is empty
                    let done = match self.state() {
                        State::Running => false,
                        State::Flushing => !self.flushes_at_shutdown(),
                        State::Shutdown => q.files.is_empty() || !self.flushes_at_shutdown(),
                    };
                    if done {
                        self.work.notify_all();
                        return;
                    }
                    if let Some(k) = q.files.pop_front() {
                        break k;
                    }
                    q = self
                        .work
                        .wait_timeout(q, Duration::from_millis(500))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            };
            let now = wall_clock();
            let jit = jitter(self.cfg.write_jitter);
            let shard = self.shard_of(&key);
            let mut c = self.lock_shard(shard);
            let Some(item) = c.items.get_mut(&key) else {
                continue;
            };
            if !item.in_queue {
                continue;
            }
            item.in_queue = false;
            if item.writing {
                // written again once the write in progress ends
                item.requeue = true;
                self.lock_queue().queued -= 1;
                continue;
            }
            let values = std::mem::take(&mut item.values);
            let n = item.count;
            item.count = 0;
            item.writing = true;
            item.last_flush = now + jit;
            let segment = item.segment.take();
            let id = item.id;
            self.lock_queue().queued -= 1;
            self.writing.fetch_add(1, Ordering::AcqRel);
            drop(c);
            // the name was checked when the file was cached; a link swapped
            // in since must not lead the write out of the base directory
            let ok = if self.allowed(&key) {
                self.write_values(&key, &values, n)
            } else {
                crate::log::error(&format!(
                    "{} now leads out of the base directory: its updates are dropped",
                    String::from_utf8_lossy(&key)
                ));
                false
            };
            let mut c = self.lock_shard(shard);
            // given back before the lock goes: a FLUSH that sees the values
            // written also sees their bytes gone
            self.sub_pending(values.len());
            if let Some(item) = c.items.get_mut(&key).filter(|it| it.id == id) {
                item.writing = false;
                item.written += n as u64;
                if item.values.is_empty() {
                    // its buffer serves the next values
                    let mut v = values;
                    v.clear();
                    item.values = v;
                }
                if std::mem::take(&mut item.requeue) {
                    self.enqueue(&mut c, &key, true);
                }
            }
            self.flushed[shard].notify_all();
            drop(c);
            self.writing.fetch_sub(1, Ordering::AcqRel);
            if let Some(seg) = segment {
                self.release_segment(seg);
            }
            if ok {
                self.stats.updates_written.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .data_sets_written
                    .fetch_add(n as u64, Ordering::Relaxed);
            }
            self.room.notify_all();
        }
    }

    /// `rrd_update_r` of one file's values (NUL-separated).
    fn write_values(&self, file: &[u8], values: &[u8], n: usize) -> bool {
        let texts: Vec<String> = values
            .split(|&b| b == 0)
            .take(n)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        let args: Vec<&str> = texts.iter().map(String::as_str).collect();
        let r = (|| -> rrd_core::Result<()> {
            let mut rrd = Rrd::open(os(file), OpenMode::ReadWrite)?;
            let r = rrd.update_args(
                &args,
                &UpdateOptions::default(),
                precise_now(),
                &self.tz,
                None,
            );
            let closed = rrd.close();
            r?;
            closed
        })();
        if let Err(e) = &r {
            crate::log::notice(&format!(
                "writing {} failed: {e}",
                String::from_utf8_lossy(file)
            ));
        }
        r.is_ok()
    }

    /// The flush thread: every flush interval, queues old values, drops
    /// idle files and starts a new journal segment.
    pub fn flusher(&self) {
        let mut next = wall_clock() + self.cfg.flush_interval;
        while self.state() == State::Running {
            let now = wall_clock();
            if now >= next {
                next = now + self.cfg.flush_interval;
                self.flush_old_values(self.cfg.write_interval, now);
                self.rotate_journal();
            }
            let q = self.lock_queue();
            if self.state() != State::Running {
                break;
            }
            let _ = self
                .tick
                .wait_timeout(q, Duration::from_secs(1))
                .unwrap_or_else(|e| e.into_inner());
        }
        // the last sweep is the caller's (`finish`), once connections are
        // done
    }

    /// Starts a new journal segment and removes those no unwritten value
    /// needs any more.
    pub fn rotate_journal(&self) {
        let Some(j) = &self.journal else { return };
        j.rotate();
        self.trim_journal();
    }

    /// Removes the journal segments no unwritten value needs.
    pub fn trim_journal(&self) {
        let Some(j) = &self.journal else { return };
        // the current segment is read first: a value counted after the
        // snapshot below sits in it or a later one
        let current = j.current();
        // a value counted against segment k may sit in any segment from k
        // on: everything before the oldest such k can go
        let oldest = self
            .segment_refs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .next()
            .copied();
        j.remove_before(oldest.unwrap_or(u64::MAX).min(current));
    }

    /// At shutdown, once no connection is left: queues every value if the
    /// daemon writes everything at shutdown, then lets the writers end
    /// (after draining the queue).
    pub fn finish(&self) {
        if self.flushes_at_shutdown() {
            self.flush_old_values(-1, wall_clock());
        }
        self.mark_shutdown();
    }

    /// The state after the writers (they end once the queue is empty).
    pub fn mark_shutdown(&self) {
        self.state.store(State::Shutdown as u8, Ordering::Release);
        self.wake_all();
    }

    /// Values waiting in memory (for tests and the benchmark).
    pub fn pending_values(&self) -> usize {
        (0..SHARDS)
            .map(|i| {
                self.lock_shard(i)
                    .items
                    .values()
                    .map(|it| it.count)
                    .sum::<usize>()
            })
            .sum()
    }
}

fn help(s: &mut Session, f: &mut Fields<'_>) -> Flow {
    let topic = f
        .next_field()
        .and_then(|n| protocol::find(&n))
        .map(|i| &COMMANDS[i])
        .filter(|c| c.syntax.is_some() || c.help.is_some());
    match topic {
        Some(c) => {
            if let Some(syn) = c.syntax {
                s.info_str(&format!("Usage: {syn}\n"));
            }
            if let Some(h) = c.help {
                s.info_str(&format!("{h}\n"));
            }
            s.ok(&format!("Help for {}\n", c.name))
        }
        None => {
            for c in COMMANDS {
                if let Some(syn) = c.syntax {
                    s.info_str(syn);
                }
            }
            s.ok("Command overview\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory holding `a.rrd`, removed on drop.
    struct Scratch(std::path::PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn scratch(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("rrd-cached-unit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let dir = std::fs::canonicalize(&dir).unwrap();
        let spec = rrd_core::CreateSpec::parse(
            1_300_000_000,
            60,
            &["DS:a:GAUGE:300:U:U", "RRA:AVERAGE:0.5:1:100"],
        )
        .unwrap();
        Rrd::create(
            dir.join("a.rrd"),
            &spec,
            &rrd_core::CreateOptions::default(),
        )
        .unwrap();
        Scratch(dir)
    }

    #[test]
    fn cut_reply_lines_keep_their_newline() {
        let mut out = Vec::new();
        let mut long = vec![b'x'; REPLY_MAX + 50];
        long.push(b'\n');
        push_cut(&mut out, &long);
        assert_eq!(out.len(), REPLY_MAX);
        assert!(out.ends_with(b"x\n"));
        out.clear();
        push_cut(&mut out, b"short\n");
        assert_eq!(out, b"short\n");
    }

    /// Regression: sessions add what they accepted once per read, so a
    /// writer can take values off first; the count must come back to the
    /// entries alone once everything is written (it used to stop at zero
    /// on the way and drift up for good).
    #[test]
    fn pending_bytes_come_back_once_written() {
        let dir = scratch("pending");
        let cfg = Config {
            base_dir: Some(dir.0.to_string_lossy().as_bytes().to_vec()),
            write_interval: 3600,
            ..Config::default()
        };
        let d = Daemon::new(cfg, None);
        let writer = {
            let d = d.clone();
            std::thread::spawn(move || d.writer())
        };
        let mut s = Session::new(protocol::ALL);
        for k in 1..=200u64 {
            let line = format!("UPDATE a.rrd {}:{k}", 1_300_000_000 + 60 * k);
            d.handle(&mut s, 0, line.as_bytes());
            if k % 7 == 0 {
                // written before this session's count is settled
                d.handle(&mut s, 0, b"FLUSH a.rrd");
            }
        }
        d.handle(&mut s, 0, b"FLUSH a.rrd");
        d.settle(&mut s);
        let entry = dir.0.join("a.rrd").as_os_str().len() + ITEM_OVERHEAD;
        assert_eq!(d.pending_bytes.load(Ordering::Acquire), entry as i64);
        assert_eq!(d.pending_values(), 0);
        let last = Rrd::open(dir.0.join("a.rrd"), OpenMode::ReadOnly)
            .unwrap()
            .header()
            .last_up;
        assert_eq!(last, 1_300_000_000 + 60 * 200);
        d.stop(Some(false));
        d.mark_shutdown();
        writer.join().unwrap();
    }
}
