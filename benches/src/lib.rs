//! # rrd-benches
//!
//! The workloads that the criterion benches (`cargo bench -p rrd-benches`)
//! and the `rrd-bench` binary run, so that both measure the same thing and
//! `benches/librrd/bench.c` can repeat it against C librrd 1.7.2.
//!
//! - Workload W: [`create_w`] makes the file of
//!   `create FILE --start 1000000000 --step 1 DS:v:GAUGE:120:U:U
//!   RRA:AVERAGE:0.5:1:3600 RRA:AVERAGE:0.5:60:1440 RRA:MIN:0.5:60:1440
//!   RRA:MAX:0.5:60:1440` ([`W_DEFS`]); update number `i` (from 1) is at
//!   [`w_time`]`(i)` with [`w_value`]`(i)`.
//! - [`update_run`] runs N updates of W in one of the [`UpdateMode`]s.
//! - [`fill_w`] prepares a file for fetching: W after a day of updates, so
//!   that [`day_request`] (rrdtool's `fetch FILE AVERAGE -s 1000086400-1d
//!   -e 1000086400`) reads the 1440 rows of the per-minute archive.
//! - [`collectd_create`] and [`collectd_round`]: many small files updated
//!   once per round, each opened, updated and closed, as collectd's
//!   rrdtool plugin does.
//!
//! ```
//! use rrd_benches::{create_w, update_run, Backend, UpdateMode};
//!
//! # fn main() -> anyhow::Result<()> {
//! let dir = std::env::temp_dir().join(format!("rrd-benches-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("w.rrd");
//! create_w(&path)?;
//! update_run(&path, UpdateMode::Open, Backend::File, 5000)?;
//! let rrd = rrd_core::Rrd::open(&path, rrd_core::OpenMode::ReadOnly)?;
//! assert_eq!(rrd.header().last_up, 1_000_005_000);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
// one `unsafe` call: opening a bench file memory-mapped (`open_rw_mmap`)
#![deny(unsafe_code)]
#![warn(missing_docs)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rrd_core::{ConsolidationFn, CreateSpec, OpenMode, Rrd, Storage, UpdateTime, Value};
use rrd_core::{FetchRequest, FetchResult};

/// Start (`--start`) of workload W: the time of the file's creation.
pub const W_START: i64 = 1_000_000_000;
/// Step (`--step`) of workload W, seconds.
pub const W_STEP: u64 = 1;
/// The data source and archives of workload W.
pub const W_DEFS: [&str; 5] = [
    "DS:v:GAUGE:120:U:U",
    "RRA:AVERAGE:0.5:1:3600",
    "RRA:AVERAGE:0.5:60:1440",
    "RRA:MIN:0.5:60:1440",
    "RRA:MAX:0.5:60:1440",
];
/// Values per call in [`UpdateMode::Batch`] (and librrd's batch mode).
pub const BATCH: usize = 1000;
/// One day, seconds.
pub const DAY: i64 = 86_400;
/// Step of the collectd-style files (collectd's default interval).
pub const COLLECTD_STEP: u64 = 10;

/// Time of update number `i` (from 1) of workload W.
pub fn w_time(i: u64) -> i64 {
    W_START + i as i64
}

/// Value of update number `i` of workload W.
pub fn w_value(i: u64) -> f64 {
    (i % 100) as f64
}

/// Creates (or overwrites) `path` with workload W's definitions.
pub fn create_w(path: &Path) -> Result<()> {
    let spec = CreateSpec::parse(W_START, W_STEP, &W_DEFS).context("parsing workload W")?;
    Rrd::create(path, &spec, &Default::default())
        .with_context(|| format!("creating {}", path.display()))
}

/// Which storage backend of rrd-core an update run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `pread`/`pwrite` ([`Rrd::open`]).
    File,
    /// Memory-mapped ([`Rrd::open_mmap`]).
    Mmap,
}

impl Backend {
    /// Parses `file` or `mmap`.
    pub fn parse(s: &str) -> Option<Backend> {
        match s {
            "file" => Some(Backend::File),
            "mmap" => Some(Backend::Mmap),
            _ => None,
        }
    }
    /// The name [`Backend::parse`] accepts.
    pub fn name(self) -> &'static str {
        match self {
            Backend::File => "file",
            Backend::Mmap => "mmap",
        }
    }
}

/// How an update run calls the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMode {
    /// One handle open for the whole run, one typed value per
    /// [`Rrd::update`] call, closed (flushed) at the end.
    Open,
    /// Open, one typed update, close: for every value (what librrd does
    /// on each `rrd_update_r` call).
    Reopen,
    /// Open, [`BATCH`] `"time:value"` strings through [`Rrd::update_args`],
    /// close (librrd's `rrd_update_r` with 1000 arguments).
    Batch,
}

impl UpdateMode {
    /// Parses `open`, `reopen` or `batch`.
    pub fn parse(s: &str) -> Option<UpdateMode> {
        match s {
            "open" => Some(UpdateMode::Open),
            "reopen" => Some(UpdateMode::Reopen),
            "batch" => Some(UpdateMode::Batch),
            _ => None,
        }
    }
    /// The name [`UpdateMode::parse`] accepts.
    pub fn name(self) -> &'static str {
        match self {
            UpdateMode::Open => "open",
            UpdateMode::Reopen => "reopen",
            UpdateMode::Batch => "batch",
        }
    }
}

fn open_rw_file(path: &Path) -> Result<Rrd> {
    Rrd::open(path, OpenMode::ReadWrite).with_context(|| format!("opening {}", path.display()))
}

#[allow(unsafe_code)]
fn open_rw_mmap(path: &Path) -> Result<Rrd<rrd_core::MmapStorage>> {
    // SAFETY: bench files are made by the bench in its own directory, and
    // nothing truncates them while they are open
    unsafe { Rrd::open_mmap(path, OpenMode::ReadWrite) }
        .with_context(|| format!("opening {}", path.display()))
}

/// Runs updates `first..first+n` of workload W on the existing file
/// `path` (created by [`create_w`], updated up to `first - 1` before).
pub fn update_range(
    path: &Path,
    mode: UpdateMode,
    backend: Backend,
    first: u64,
    n: u64,
) -> Result<()> {
    match backend {
        Backend::File => update_with(path, mode, first, n, open_rw_file),
        Backend::Mmap => update_with(path, mode, first, n, open_rw_mmap),
    }
}

/// Runs updates `1..=n` of workload W on the file `path` that
/// [`create_w`] just made.
pub fn update_run(path: &Path, mode: UpdateMode, backend: Backend, n: u64) -> Result<()> {
    update_range(path, mode, backend, 1, n)
}

fn update_with<S: Storage>(
    path: &Path,
    mode: UpdateMode,
    first: u64,
    n: u64,
    open: impl Fn(&Path) -> Result<Rrd<S>>,
) -> Result<()> {
    let end = first + n;
    match mode {
        UpdateMode::Open => {
            let mut rrd = open(path)?;
            for i in first..end {
                rrd.update(UpdateTime::from_secs(w_time(i)), &[Value::Num(w_value(i))])
                    .with_context(|| format!("update {i}"))?;
            }
            rrd.close().context("closing")?;
        }
        UpdateMode::Reopen => {
            for i in first..end {
                let mut rrd = open(path)?;
                rrd.update(UpdateTime::from_secs(w_time(i)), &[Value::Num(w_value(i))])
                    .with_context(|| format!("update {i}"))?;
                rrd.close().context("closing")?;
            }
        }
        UpdateMode::Batch => {
            let mut batch = Batch::default();
            let mut i = first;
            while i < end {
                let k = (end - i).min(BATCH as u64);
                batch.fill(i, k);
                let mut rrd = open(path)?;
                batch
                    .apply(&mut rrd)
                    .with_context(|| format!("updates {i}..{}", i + k))?;
                rrd.close().context("closing")?;
                i += k;
            }
        }
    }
    Ok(())
}

/// Up to [`BATCH`] `"time:value"` arguments of workload W, formatted into
/// one reused buffer as a client would before calling the library.
#[derive(Debug, Default)]
pub struct Batch {
    text: String,
    ends: Vec<usize>,
}

impl Batch {
    /// Formats updates `first..first+k` of workload W.
    pub fn fill(&mut self, first: u64, k: u64) {
        self.text.clear();
        self.ends.clear();
        for i in first..first + k {
            let _ = write!(self.text, "{}:{}", w_time(i), i % 100);
            self.ends.push(self.text.len());
        }
    }

    /// Applies the formatted arguments in one [`Rrd::update_args`] call.
    pub fn apply<S: Storage>(&self, rrd: &mut Rrd<S>) -> rrd_core::Result<()> {
        let mut args: Vec<&str> = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for &e in &self.ends {
            args.push(&self.text[start..e]);
            start = e;
        }
        // no argument is `N` or at-style, so `now` and the zone are unused
        rrd.update_args(
            &args,
            &Default::default(),
            UpdateTime::from_secs(W_START),
            &jiff::tz::TimeZone::UTC,
            None,
        )
    }
}

/// Creates `path` (step 1, `DS:v:GAUGE:120:U:U`, `RRA:AVERAGE:0.5:1:ROWS`)
/// and updates it every second from `W_START + 1` until every row holds a
/// value (`i % 100 + i / 1000`, so windows differ), for xports of long
/// series.
pub fn create_big(path: &Path, rows: u64) -> Result<()> {
    let rra = format!("RRA:AVERAGE:0.5:1:{rows}");
    let spec = CreateSpec::parse(W_START, 1, &["DS:v:GAUGE:120:U:U", rra.as_str()])
        .context("parsing the big file's definition")?;
    Rrd::create(path, &spec, &Default::default())
        .with_context(|| format!("creating {}", path.display()))?;
    let mut rrd = Rrd::open(path, OpenMode::ReadWrite)
        .with_context(|| format!("opening {}", path.display()))?;
    for i in 1..=rows {
        let v = (i % 100 + i / 1000) as f64;
        rrd.update(UpdateTime::from_secs(w_time(i)), &[Value::Num(v)])
            .with_context(|| format!("updating {}", path.display()))?;
    }
    rrd.close()
        .with_context(|| format!("closing {}", path.display()))
}

/// Value of data source `k` in update `i` of a [`shape_create`] file.
pub fn shape_value(i: u64, k: usize) -> f64 {
    ((i + k as u64) % 100) as f64
}

/// Creates (or overwrites) `path` from rrdtool `create` definitions
/// (`DS:...`, `RRA:...`) at workload W's start and step, for the growth
/// curves (`benches/curves.sh`): updates per second against the number of
/// archives and of data sources.
pub fn shape_create(path: &Path, defs: &[&str]) -> Result<()> {
    let spec = CreateSpec::parse(W_START, W_STEP, defs).context("parsing the definitions")?;
    Rrd::create(path, &spec, &Default::default())
        .with_context(|| format!("creating {}", path.display()))
}

/// Runs `n` updates on one open handle of a [`shape_create`] file, update
/// `i` (from 1) at [`w_time`]`(i)` giving data source `k`
/// [`shape_value`]`(i, k)`; returns the number of data sources.
pub fn shape_update(path: &Path, n: u64) -> Result<usize> {
    let mut rrd = open_rw_file(path)?;
    let d = rrd.header().ds.len();
    let mut vals = vec![Value::Unknown; d];
    for i in 1..=n {
        for (k, v) in vals.iter_mut().enumerate() {
            *v = Value::Num(shape_value(i, k));
        }
        rrd.update(UpdateTime::from_secs(w_time(i)), &vals)
            .with_context(|| format!("update {i}"))?;
    }
    rrd.close().context("closing")?;
    Ok(d)
}

/// rrdtool's `fetch FILE AVERAGE -s LAST-ROWS -e LAST`: on a file of
/// [`create_big`], `rows + 1` one-second rows.
pub fn window_request(last: i64, rows: u64) -> FetchRequest {
    FetchRequest {
        cf: ConsolidationFn::Average,
        start: last - rows as i64,
        end: last,
        resolution: 1,
    }
}

/// Creates `path` with workload W and runs its first `updates` updates
/// (one open handle), for fetch, info and dump.
pub fn fill_w(path: &Path, updates: u64) -> Result<()> {
    create_w(path)?;
    update_run(path, UpdateMode::Open, Backend::File, updates)
}

/// rrdtool's `fetch FILE AVERAGE -s END-1d -e END` with the default
/// resolution (1): on a file of workload W last updated at `end`, the 1440
/// rows of `RRA:AVERAGE:0.5:60:1440` (plus the one after `end` that
/// rrdtool always adds).
pub fn day_request(end: i64) -> FetchRequest {
    FetchRequest {
        cf: ConsolidationFn::Average,
        start: end - DAY,
        end,
        resolution: 1,
    }
}

/// One fetch as `rrd_fetch_r` does it: open (shared lock), read, close.
pub fn fetch_once(path: &Path, req: &FetchRequest) -> Result<FetchResult> {
    let rrd = Rrd::open(path, OpenMode::ReadOnly)
        .with_context(|| format!("opening {}", path.display()))?;
    rrd.fetch(req)
        .with_context(|| format!("fetching from {}", path.display()))
}

/// The data source and archives of the collectd-style files: workload W's
/// at collectd's step of [`COLLECTD_STEP`] seconds.
pub const COLLECTD_DEFS: [&str; 5] = W_DEFS;

/// Path of collectd-style file number `k` in `dir`.
pub fn collectd_path(dir: &Path, k: usize) -> PathBuf {
    dir.join(format!("f{k:05}.rrd"))
}

/// Time of collectd round `r` (from 1).
pub fn collectd_time(r: u64) -> i64 {
    W_START + (r * COLLECTD_STEP) as i64
}

/// Creates `files` collectd-style files in `dir` (which must exist), then
/// `sync`s so that the rounds start on clean pages, as on a host whose files
/// were made long ago (and so that the creation's writeback does not run
/// during the rounds).
pub fn collectd_create(dir: &Path, files: usize) -> Result<()> {
    let spec = CreateSpec::parse(W_START, COLLECTD_STEP, &COLLECTD_DEFS)
        .context("parsing the collectd-style definitions")?;
    for k in 0..files {
        let p = collectd_path(dir, k);
        Rrd::create(&p, &spec, &Default::default())
            .with_context(|| format!("creating {}", p.display()))?;
    }
    rustix::fs::sync();
    Ok(())
}

/// Round `r` (from 1): every file opened, updated with one value at
/// [`collectd_time`]`(r)`, closed.
pub fn collectd_round(dir: &Path, files: usize, r: u64) -> Result<()> {
    let t = UpdateTime::from_secs(collectd_time(r));
    for k in 0..files {
        let p = collectd_path(dir, k);
        let mut rrd = open_rw_file(&p)?;
        rrd.update(t, &[Value::Num(((r + k as u64) % 100) as f64)])
            .with_context(|| format!("updating {}", p.display()))?;
        rrd.close()
            .with_context(|| format!("closing {}", p.display()))?;
    }
    Ok(())
}
