//! The trace-log collector: the original's `collect_tracelogs` (reference
//! §1.4, §2, §3, §8), reading the directory syslog-ng writes and storing,
//! per app-server instance and per minute, `rpm`, `epm`, `bl`, `spr` and
//! `start` in `<host>__<customer>__<instance>.rrd`.
//!
//! - [`parse`]: lines; [`instance`]: the per-instance aggregation;
//! - [`Collector`]: instances by name, the files they go to, counters;
//! - [`LogDir`]: the directory, its finished files and the one being
//!   written, and the checkpoint that makes a restart exact.
//!
//! Where the original died or threw its state away, this survives; each
//! case is listed in ARCHITECTURE.md ("Trace-log collector").

pub mod instance;
pub mod parse;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rrd_core::{CreateOptions, CreateSpec, OpenMode, Rrd, UpdateTime, Value};
use serde::{Deserialize, Serialize};

use instance::{Instance, Store};
use parse::{parse_line, LocalTime, Minute, Skip};

/// The original's file definition (step 60), after `--start` and `--step`.
pub const CREATE_ARGS: [&str; 8] = [
    "DS:rpm:GAUGE:300:U:U",
    "DS:epm:GAUGE:300:U:U",
    "DS:bl:GAUGE:300:U:U",
    "DS:spr:GAUGE:300:U:U",
    "DS:start:GAUGE:300:U:U",
    "RRA:AVERAGE:0.99:1:1600",
    "RRA:AVERAGE:0.99:5:2880",
    "RRA:AVERAGE:0.99:60:9600",
];

/// Most instances followed (each is a file); past it new ones are
/// counted and ignored.
pub const MAX_INSTANCES: usize = 100_000;

/// What the collector has seen and done.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Lines read.
    pub lines: u64,
    /// Lines not taken, by cause.
    pub skipped: BTreeMap<String, u64>,
    /// Minutes stored.
    pub minutes: u64,
    /// `start=1` stored.
    pub starts: u64,
    /// Values not stored because their time was not after the file's last
    /// update (already stored before a restart, or a restart line at or
    /// before it, which killed the original).
    pub not_after_last: u64,
    /// Files made.
    pub files_created: u64,
    /// Log files finished.
    pub logs_finished: u64,
    /// Log files not read because they appeared after a later one had been
    /// read (their lines would go back in time).
    pub logs_out_of_order: u64,
    /// Log files cut short (a gzip file that ends early) or replaced while
    /// being read.
    pub logs_damaged: u64,
}

/// One instance: its aggregation and the first minute seen (the file's
/// start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Followed {
    first: Minute,
    agg: Instance,
}

/// Instances by file stem, and what they still have to store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Collector {
    instances: BTreeMap<String, Followed>,
    /// Counters since the checkpoint began.
    pub counters: Counters,
    /// Stores not yet written (between [`Collector::feed`] and
    /// [`Collector::write`]); never in a checkpoint.
    #[serde(skip)]
    stores: HashMap<String, Vec<Store>>,
    #[serde(skip)]
    key: String,
}

impl Collector {
    /// Takes one line (without its newline).
    pub fn feed(&mut self, raw: &[u8]) {
        self.counters.lines += 1;
        let line = match parse_line(raw) {
            Ok(l) => l,
            Err(skip) => {
                self.skip(skip);
                return;
            }
        };
        // one key buffer for every line: no allocation for a known instance
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        for (k, part) in [line.host, line.customer, line.instance].iter().enumerate() {
            if k > 0 {
                key.push_str("__");
            }
            key.push_str(part);
        }
        self.take(&key, &line);
        self.key = key;
    }

    fn take(&mut self, key: &str, line: &parse::Line<'_>) {
        let n = self.instances.len();
        let f = match self.instances.get_mut(key) {
            Some(f) => f,
            None if n >= MAX_INSTANCES => {
                *self
                    .counters
                    .skipped
                    .entry("too_many_instances".into())
                    .or_default() += 1;
                return;
            }
            None => self.instances.entry(key.to_string()).or_insert(Followed {
                first: line.time.minute(),
                agg: Instance::default(),
            }),
        };
        let out = match self.stores.get_mut(key) {
            Some(v) => v,
            None => self.stores.entry(key.to_string()).or_default(),
        };
        f.agg.line(line, out);
    }

    fn skip(&mut self, why: Skip) {
        let n = self
            .counters
            .skipped
            .entry(why.name().to_string())
            .or_default();
        *n += 1;
        if *n == 1 {
            // once per cause; the counters say how many followed
            eprintln!(
                "rrd-server: tracelogs: a line skipped ({}); further ones are counted at /tracelogs/status.json",
                why.name()
            );
        }
    }

    /// Requests in flight over all instances.
    pub fn in_flight(&self) -> usize {
        self.instances.values().map(|f| f.agg.in_flight()).sum()
    }

    /// Instances followed.
    pub fn instances(&self) -> usize {
        self.instances.len()
    }

    /// Writes what the lines fed since the last call asked to store, and
    /// makes the files of new instances. An instance's file is opened once
    /// per call.
    pub fn write(&mut self, w: &Writer) -> anyhow::Result<()> {
        // every instance seen gets its file, as the original made it at
        // the first line
        let stems: Vec<String> = self.stores.keys().cloned().collect();
        for stem in stems {
            let stores = self.stores.remove(&stem).unwrap_or_default();
            let Some(f) = self.instances.get(&stem) else {
                continue;
            };
            w.store(&stem, f.first, &stores, &mut self.counters)
                .with_context(|| format!("writing {stem}.rrd"))?;
        }
        Ok(())
    }
}

/// Where and how the values are stored.
#[derive(Debug)]
pub struct Writer {
    /// The RRD directory.
    pub dir: PathBuf,
    /// The zone the logs' local times are in.
    pub tz: jiff::tz::TimeZone,
    /// Each file's last update when this run first opened it (the
    /// original's rule: a minute is stored if it ends after that).
    opened: std::sync::Mutex<HashMap<String, i64>>,
    /// Storage nodes holding the files (as `tracelog/STEM.rrd`) instead of
    /// `dir` (`[storage]`).
    ring: Option<std::sync::Arc<crate::storage::Ring>>,
}

/// Where trace-log files live on storage nodes: beneath this directory of
/// each node's base (a metric source may not have this name there).
pub const STORAGE_DIR: &str = "tracelog";

/// `%.12g`, as the original's Python 2 `str()` wrote floats, read back as
/// rrdtool reads its update arguments (its own `strtod`, which can land an
/// ulp away from the nearest double).
pub fn twelve_digits(v: f64) -> f64 {
    let spec = rrd_clib::printf::Spec {
        conv: b'g',
        ..rrd_clib::printf::Spec::e(12)
    };
    let text = rrd_clib::printf::format_f64(&spec, v, rrd_clib::printf::NanSign::FromBit);
    match rrd_clib::strtod::rrd_strtod(&text) {
        (x, n) if n == text.len() => x,
        _ => v,
    }
}

impl Writer {
    /// A writer into `dir` for logs written in `tz`.
    pub fn new(dir: &Path, tz: jiff::tz::TimeZone) -> Writer {
        Writer {
            dir: dir.to_path_buf(),
            tz,
            opened: Default::default(),
            ring: None,
        }
    }

    /// A writer whose files are on `ring`'s storage nodes; `dir` keeps
    /// only the checkpoint.
    pub fn on_storage(
        dir: &Path,
        tz: jiff::tz::TimeZone,
        ring: std::sync::Arc<crate::storage::Ring>,
    ) -> Writer {
        Writer {
            ring: Some(ring),
            ..Writer::new(dir, tz)
        }
    }

    /// Seconds since the epoch of a local time (whole seconds). A time in
    /// the spring-forward gap is read as after it, one in the fall-back
    /// hour as its first pass (the original died or reset on both).
    pub fn epoch(&self, t: &LocalTime) -> Option<i64> {
        let (y, mo, d, h, mi, s) = t.ymdhms;
        let dt = jiff::civil::DateTime::new(y, mo, d, h, mi, s, 0).ok()?;
        Some(dt.to_zoned(self.tz.clone()).ok()?.timestamp().as_second())
    }

    fn minute_end(&self, m: Minute) -> Option<i64> {
        let Minute(y, mo, d, h, mi) = m;
        self.epoch(&LocalTime {
            ymdhms: (y, mo, d, h, mi, 0),
            micros: 0,
        })
        .map(|t| t + 60)
    }

    fn store(
        &self,
        stem: &str,
        first: Minute,
        stores: &[Store],
        counters: &mut Counters,
    ) -> anyhow::Result<()> {
        if let Some(ring) = &self.ring {
            return self.store_on(ring, stem, first, stores, counters);
        }
        let path = self.dir.join(format!("{stem}.rrd"));
        let mut rrd = match Rrd::open(&path, OpenMode::ReadWrite) {
            Ok(r) => r,
            Err(rrd_core::Error::Io { ref source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                let start = self
                    .minute_end(first)
                    .context("the first minute has no time in the zone")?
                    - 120;
                let spec = CreateSpec::parse(start, 60, &CREATE_ARGS)?;
                match Rrd::create(&path, &spec, &CreateOptions { no_overwrite: true }) {
                    Ok(()) | Err(rrd_core::Error::Exists { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                counters.files_created += 1;
                let _ = std::fs::write(self.dir.join(".updated"), stem);
                Rrd::open(&path, OpenMode::ReadWrite)?
            }
            Err(e) => return Err(e.into()),
        };
        let at_open = *self
            .opened
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(stem.to_string())
            .or_insert(rrd.header().last_up);
        for s in stores {
            let Some((ts, values)) = self.row(s) else {
                continue;
            };
            if ts <= at_open || ts <= rrd.header().last_up {
                counters.not_after_last += 1;
                continue;
            }
            rrd.update(UpdateTime::from_secs(ts), &values)?;
            match s {
                Store::Start(_) => counters.starts += 1,
                Store::Minute { .. } => counters.minutes += 1,
            }
        }
        rrd.close()?;
        Ok(())
    }

    /// [`Writer::store`] on the file's storage node: its exact last update
    /// asked for once, the file made there if missing, the rows sent in
    /// one round trip. Rows the node already has count as not after the
    /// last update (a pass retried after a failure sends them again).
    fn store_on(
        &self,
        ring: &crate::storage::Ring,
        stem: &str,
        first: Minute,
        stores: &[Store],
        counters: &mut Counters,
    ) -> anyhow::Result<()> {
        let file = format!("{STORAGE_DIR}/{stem}.rrd");
        let node = ring.node_of(&file);
        let last = match node.last_known(&file)? {
            Some((t, _)) => t,
            None => {
                let start = self
                    .minute_end(first)
                    .context("the first minute has no time in the zone")?
                    - 120;
                if node.create(&file, start, 60, &CREATE_ARGS)? {
                    counters.files_created += 1;
                    let _ = std::fs::write(self.dir.join(".updated"), stem);
                    start
                } else {
                    node.last_known(&file)?.map_or(start, |(t, _)| t)
                }
            }
        };
        let at_open = *self
            .opened
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(stem.to_string())
            .or_insert(last);
        let mut rows = Vec::new();
        let mut is_start = Vec::new();
        let mut newest = last;
        for s in stores {
            let Some((ts, values)) = self.row(s) else {
                continue;
            };
            if ts <= at_open || ts <= newest {
                counters.not_after_last += 1;
                continue;
            }
            newest = ts;
            let text: Vec<String> = values
                .iter()
                .map(|v| match v {
                    Value::Num(x) => crate::storage::value_text(*x),
                    _ => "U".to_string(),
                })
                .collect();
            rows.push((ts, text.join(":")));
            is_start.push(matches!(s, Store::Start(_)));
        }
        let done = node.update_texts(&file, &rows)?;
        // what the node had already (the oldest rows) is not counted as
        // stored
        counters.not_after_last += done.stale as u64;
        for &start in is_start.iter().skip(done.stale) {
            if start {
                counters.starts += 1;
            } else {
                counters.minutes += 1;
            }
        }
        Ok(())
    }

    /// A store's time and values (rpm, epm, bl, spr, start), or `None` for
    /// a time the zone does not have.
    fn row(&self, s: &Store) -> Option<(i64, [Value<'static>; 5])> {
        Some(match *s {
            Store::Start(t) => (
                self.epoch(&t)?,
                [
                    Value::Unknown,
                    Value::Unknown,
                    Value::Unknown,
                    Value::Unknown,
                    Value::Num(1.0),
                ],
            ),
            Store::Minute {
                minute,
                rpm,
                epm,
                bl,
                spr,
            } => (
                self.minute_end(minute)?,
                [
                    Value::Num(rpm as f64),
                    Value::Num(epm as f64),
                    Value::Num(bl as f64),
                    spr.map_or(Value::Unknown, |v| Value::Num(twelve_digits(v))),
                    Value::Unknown,
                ],
            ),
        })
    }
}

/// Reads `data` line by line into `c`; returns the bytes consumed (up to
/// the last newline, or all of it when `to_end`).
pub fn feed_bytes(c: &mut Collector, data: &[u8], to_end: bool) -> usize {
    let mut used = 0;
    for line in data.split_inclusive(|&b| b == b'\n') {
        match line.strip_suffix(b"\n") {
            Some(l) => c.feed(l.strip_suffix(b"\r").unwrap_or(l)),
            None if to_end => c.feed(line),
            None => break,
        }
        used += line.len();
    }
    used
}

/// The checkpoint: the collector and where the directory stands.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The aggregation state.
    pub collector: Collector,
    /// Logs read to their end (names without `.gz`).
    pub done: BTreeSet<String>,
    /// The log being read (name without `.gz`), how far (bytes of its
    /// uncompressed text), and its inode (a replaced file starts over).
    pub current: Option<(String, u64, u64)>,
}

/// A directory of trace logs and its checkpoint.
#[derive(Debug)]
pub struct LogDir {
    /// The directory syslog-ng writes.
    pub logs: PathBuf,
    /// Names end with this (or this plus `.gz`).
    pub suffix: String,
    /// Where the checkpoint is kept.
    pub checkpoint: PathBuf,
    /// The state.
    pub state: Checkpoint,
}

/// How often the checkpoint is saved while a log is read (and at its end).
const SAVE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Largest piece of a log read at once.
const CHUNK: usize = 1 << 20;

impl LogDir {
    /// Opens `logs` with its checkpoint in `rrd_dir`
    /// (`<basename(logs)>.tracelog-checkpoint.json`).
    pub fn open(logs: &Path, rrd_dir: &Path, suffix: &str) -> anyhow::Result<LogDir> {
        let base = logs
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "logs".into());
        let checkpoint = rrd_dir.join(format!("{base}.tracelog-checkpoint.json"));
        let state = match std::fs::read(&checkpoint) {
            Ok(b) => serde_json::from_slice(&b)
                .with_context(|| format!("reading the checkpoint {}", checkpoint.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Checkpoint::default(),
            Err(e) => return Err(e).context(format!("reading {}", checkpoint.display())),
        };
        Ok(LogDir {
            logs: logs.to_path_buf(),
            suffix: suffix.to_string(),
            checkpoint,
            state,
        })
    }

    /// The logs in name order: (name without `.gz`, path, compressed).
    pub fn list(&self) -> anyhow::Result<Vec<(String, PathBuf, bool)>> {
        let gz = format!("{}.gz", self.suffix);
        let mut by_name: BTreeMap<String, (PathBuf, bool)> = BTreeMap::new();
        for e in std::fs::read_dir(&self.logs)
            .with_context(|| format!("listing {}", self.logs.display()))?
        {
            let e = e?;
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if name.ends_with(&self.suffix) {
                // the plain file wins over its compressed copy
                by_name.insert(name, (e.path(), false));
            } else if let Some(stem) = name.strip_suffix(".gz").filter(|_| name.ends_with(&gz)) {
                by_name.entry(stem.to_string()).or_insert((e.path(), true));
            }
        }
        Ok(by_name.into_iter().map(|(k, (p, z))| (k, p, z)).collect())
    }

    /// Saves the checkpoint (written whole, then renamed over the old).
    pub fn save(&self) -> anyhow::Result<()> {
        let tmp = self.checkpoint.with_extension("json.tmp");
        let bytes = serde_json::to_vec(&self.state)?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_data()?;
        }
        std::fs::rename(&tmp, &self.checkpoint)
            .with_context(|| format!("saving {}", self.checkpoint.display()))?;
        Ok(())
    }

    /// One pass: every finished log not yet read is read to its end, then
    /// the newest one up to its last newline (the rest is a line still
    /// being written). The files are written before the checkpoint is
    /// saved. Returns the lines read.
    pub fn pass(&mut self, w: &Writer) -> anyhow::Result<u64> {
        let before = self.state.collector.counters.lines;
        let logs = self.list()?;
        let Some(newest) = logs.last().map(|l| l.0.clone()) else {
            return Ok(0);
        };
        for (name, path, gz) in &logs {
            if self.state.done.contains(name) {
                continue;
            }
            let finished = *name != newest;
            if let Some((cur, _, _)) = &self.state.current {
                if name < cur {
                    // appeared after a later log was read
                    eprintln!("rrd-server: tracelogs: {name} appeared after {cur}; not read");
                    self.state.collector.counters.logs_out_of_order += 1;
                    self.state.done.insert(name.clone());
                    continue;
                }
            }
            self.read_log(w, name, path, *gz, finished)?;
            if finished {
                self.state.done.insert(name.clone());
                self.state.current = None;
                self.state.collector.counters.logs_finished += 1;
                self.save()?;
            }
        }
        Ok(self.state.collector.counters.lines - before)
    }

    fn read_log(
        &mut self,
        w: &Writer,
        name: &str,
        path: &Path,
        gz: bool,
        to_end: bool,
    ) -> anyhow::Result<()> {
        use std::os::unix::fs::MetadataExt;
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let inode = file.metadata()?.ino();
        let mut offset = match &self.state.current {
            Some((cur, off, ino)) if cur == name => {
                if !gz && *ino != inode {
                    eprintln!(
                        "rrd-server: tracelogs: {name} was replaced; reading it from the start"
                    );
                    self.state.collector.counters.logs_damaged += 1;
                    0
                } else {
                    *off
                }
            }
            _ => 0,
        };
        let mut reader: Box<dyn Read> = if gz {
            Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                file,
            )))
        } else {
            let len = file.metadata()?.len();
            if len < offset {
                eprintln!("rrd-server: tracelogs: {name} was truncated; reading it from the start");
                self.state.collector.counters.logs_damaged += 1;
                offset = 0;
            }
            use std::io::Seek;
            let mut f = file;
            f.seek(std::io::SeekFrom::Start(offset))?;
            Box::new(f)
        };
        if gz && offset > 0 {
            // the compressed copy of a log partly read: skip what was read
            let skipped = std::io::copy(&mut (&mut reader).take(offset), &mut std::io::sink());
            match skipped {
                Ok(n) if n == offset => {}
                _ => {
                    eprintln!("rrd-server: tracelogs: {name}: shorter than what was read of it");
                    self.state.collector.counters.logs_damaged += 1;
                    return Ok(());
                }
            }
        }
        let mut buf = vec![0u8; CHUNK];
        let mut have = 0usize;
        let mut saved = std::time::Instant::now();
        loop {
            let n = match reader.read(&mut buf[have..]) {
                Ok(n) => n,
                Err(e) if gz => {
                    // a gzip file cut short: what came out of it counts
                    eprintln!("rrd-server: tracelogs: {name}: {e}; read up to there");
                    self.state.collector.counters.logs_damaged += 1;
                    0
                }
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            };
            have += n;
            let end = n == 0;
            // a line longer than the buffer: its bytes up to the buffer's
            // end are one (too long) line
            let full = have == buf.len();
            let used = if full && !buf[..have].contains(&b'\n') {
                self.state.collector.feed(&buf[..have]);
                have
            } else {
                feed_bytes(&mut self.state.collector, &buf[..have], end && to_end)
            };
            buf.copy_within(used..have, 0);
            have -= used;
            offset += used as u64;
            self.state.current = Some((name.to_string(), offset, inode));
            if end || saved.elapsed() >= SAVE_EVERY {
                // the files first, then the checkpoint: lines whose values
                // are not yet stored are never counted as read (each file
                // is opened once per checkpoint, not once per piece)
                self.state.collector.write(w)?;
                self.save()?;
                saved = std::time::Instant::now();
            }
            if end {
                return Ok(());
            }
        }
    }
}

/// `rrd-server collect-tracelogs`'s usage.
pub const USAGE: &str = "\
usage: rrd-server collect-tracelogs --logs DIR --rrd DIR [--once] [--tz ZONE]
                                    [--suffix SUFFIX] [--poll SECONDS]

  --logs DIR       the directory syslog-ng writes the trace logs to
  --rrd DIR        where the RRD files and the checkpoint go
  --once           read the directory as it stands, save the checkpoint, exit
  --tz ZONE        the zone of the logs' local times (default US/Eastern)
  --suffix SUFFIX  log names end with this, or this plus .gz (default -z4m.log)
  --poll SECONDS   how long to wait when nothing new was read (default 10)
";

/// Runs `rrd-server collect-tracelogs ARGS`.
pub fn run_cli(args: &[String]) -> anyhow::Result<()> {
    let mut logs = None;
    let mut rrd = None;
    let mut once = false;
    let mut tz = "US/Eastern".to_string();
    let mut suffix = "-z4m.log".to_string();
    let mut poll = 10u64;
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
            "--logs" => logs = Some(PathBuf::from(value(name)?)),
            "--rrd" => rrd = Some(PathBuf::from(value(name)?)),
            "--once" => once = true,
            "--tz" => tz = value(name)?,
            "--suffix" => suffix = value(name)?,
            "--poll" => {
                let v = value(name)?;
                poll = v
                    .parse()
                    .ok()
                    .filter(|&p| p > 0)
                    .with_context(|| format!("--poll {v}: not a whole number of seconds"))?;
            }
            "--help" | "-h" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let (Some(logs), Some(rrd)) = (logs, rrd) else {
        anyhow::bail!("--logs and --rrd are needed\n{USAGE}");
    };
    anyhow::ensure!(!suffix.is_empty(), "--suffix cannot be empty");
    let tz = jiff::tz::TimeZone::get(&tz).with_context(|| format!("unknown time zone {tz:?}"))?;
    std::fs::create_dir_all(&rrd).with_context(|| format!("creating {}", rrd.display()))?;
    let w = Writer::new(&rrd, tz);
    let mut dir = LogDir::open(&logs, &rrd, &suffix)?;
    loop {
        let n = dir.pass(&w)?;
        if once {
            dir.save()?;
            let c = &dir.state.collector.counters;
            eprintln!(
                "rrd-server: tracelogs: {} lines, {} minutes and {} restarts stored, {} instances, {} requests in flight; skipped {:?}",
                c.lines,
                c.minutes,
                c.starts,
                dir.state.collector.instances(),
                dir.state.collector.in_flight(),
                c.skipped
            );
            return Ok(());
        }
        if n == 0 {
            std::thread::sleep(std::time::Duration::from_secs(poll));
        }
    }
}

/// What the server's collector task shows at `/tracelogs/status.json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// The log directory.
    pub logs: PathBuf,
    /// The RRD directory.
    pub rrd: PathBuf,
    /// Instances followed.
    pub instances: usize,
    /// Requests in flight over all instances.
    pub in_flight: usize,
    /// The log being read and how far (bytes).
    pub current: Option<(String, u64)>,
    /// Logs read to their end.
    pub finished: usize,
    /// The counters (since the checkpoint began).
    pub counters: Counters,
    /// The last failure, if the last pass failed (it is retried from the
    /// checkpoint).
    pub last_error: Option<String>,
    /// When the last pass ended (seconds since the epoch).
    pub updated: i64,
}

/// Runs the collector over `logs` into `rrd` on a thread of its own, as
/// long as `status` is alive, publishing its state there after each pass.
/// A failed pass is logged and retried from the checkpoint after `poll`.
pub fn spawn(
    logs: PathBuf,
    rrd: PathBuf,
    tz: jiff::tz::TimeZone,
    suffix: String,
    poll: std::time::Duration,
    status: std::sync::Weak<std::sync::Mutex<Status>>,
    ring: Option<std::sync::Arc<crate::storage::Ring>>,
) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("rrd-tracelogs".into())
        .spawn(move || {
            let w = match ring {
                Some(ring) => Writer::on_storage(&rrd, tz, ring),
                None => Writer::new(&rrd, tz),
            };
            let mut dir: Option<LogDir> = None;
            loop {
                let result = (|| {
                    let d = match dir.as_mut() {
                        Some(d) => d,
                        None => dir.insert(LogDir::open(&logs, &rrd, &suffix)?),
                    };
                    d.pass(&w)
                })();
                let Some(status) = status.upgrade() else {
                    return;
                };
                let mut st = status.lock().unwrap_or_else(|p| p.into_inner());
                st.logs = logs.clone();
                st.rrd = rrd.clone();
                st.updated = crate::system_now();
                let mut idle = true;
                match result {
                    Ok(n) => {
                        st.last_error = None;
                        idle = n == 0;
                    }
                    Err(e) => {
                        eprintln!("rrd-server: tracelogs: {e:#}; retrying from the checkpoint");
                        st.last_error = Some(format!("{e:#}"));
                        // what is in memory may be ahead of the files
                        dir = None;
                    }
                }
                if let Some(d) = &dir {
                    st.instances = d.state.collector.instances();
                    st.in_flight = d.state.collector.in_flight();
                    st.current = d.state.current.as_ref().map(|(n, o, _)| (n.clone(), *o));
                    st.finished = d.state.done.len();
                    st.counters = d.state.collector.counters.clone();
                }
                drop(st);
                drop(status);
                if idle {
                    std::thread::sleep(poll);
                }
            }
        })
        .context("starting the trace-log collector")?;
    Ok(())
}
