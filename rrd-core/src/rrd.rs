//! [`Rrd`]: an open RRD on some [`Storage`].

use std::collections::VecDeque;
use std::path::Path;

use crate::error::{Error, Result};
use crate::format::{self, decode_value, encode_value, Detected, Endian, Layout, DETECT_BYTES};
use crate::journal;
use crate::model::{Header, DNAN};
use crate::storage::{FileStorage, MemStorage, OpenMode, Storage};
use crate::update::{self, RowWrite, Scratch, UpdateTime, Value};

/// An open RRD: its decoded header, access to its rows, and updates.
///
/// `Rrd<S>` is `Send` and `Sync` when `S` is (all backends of this crate
/// are); reading needs `&self`, updating `&mut self`.
///
/// Updates are applied to the in-memory header at once and reach the
/// storage when they are committed: at [`Rrd::flush`], [`Rrd::close`] or
/// drop, and on the way whenever the rows waiting reach 64 KiB (always
/// between two updates, never inside one). While a writer is open it holds
/// rrdtool's exclusive lock, so no cooperating process observes the file in
/// between.
///
/// # Crash consistency
///
/// A commit is journaled (see docs/format.md, "The journal tail"): a process
/// killed at any instant leaves a file that the next rrd-core handle reads
/// exactly as it was before the commit or as after it (writers complete the
/// commit, readers see it completed), and that rrdtool reads without any
/// value at a wrong time (rows in flight read as unknown until the next
/// rrd-core writer completes them). The journal lives after the archives,
/// where rrdtool does not look, so files stay readable and writable by
/// rrdtool; the first journaled commit grows a file by a few KiB.
#[derive(Debug)]
pub struct Rrd<S: Storage = FileStorage> {
    storage: S,
    layout: Layout,
    header: Header,
    header_size: u64,
    /// Byte offset of each archive's first row.
    rra_offsets: Vec<u64>,
    /// Where the live part of the header begins.
    live_off: u64,
    /// Where the last archive ends (the size rrdtool expects).
    data_end: u64,
    /// Hash of the static part of the header (definitions) as on disk.
    static_hash: u64,
    /// State hash of the header as on disk after the last commit.
    disk_state: u64,
    /// The live part of the header as on disk after the last commit.
    disk_live: Vec<u8>,
    /// Header state changed since the last commit.
    dirty: bool,
    /// Rows written by updates and not committed yet, per archive.
    pending: Vec<PendingRows>,
    /// A completed-but-unapplied commit a read-only handle found in the
    /// journal: every read sees through it.
    overlay: Option<Overlay>,
    journal: journal::Builder,
    /// Bytes gathered for one write.
    io_buf: Vec<u8>,
    /// The header encoded at the last commit (its buffer reused).
    header_buf: Vec<u8>,
    scratch: Scratch,
}

/// What [`Rrd::update_args`] calls for every row written: the header after
/// the pass and the row.
pub type RowObserver<'a> = dyn FnMut(&Header, &RowWrite<'_>) + 'a;

/// Rows of one archive waiting to be committed, as runs: a run covers
/// physical rows `first..first + rows * count` with `rows` distinct rows
/// (from `values[at..]`) repeated `count` times. Updates write rows one
/// after the other around the ring, so runs never overlap: once they cover
/// more than the ring, the oldest rows (overwritten before they were ever
/// committed) are dropped. Each row is then written once per commit, which
/// the crash-safe order relies on, and memory stays within the archive.
#[derive(Debug, Default, Clone)]
struct PendingRows {
    /// Rows of the archive.
    ring: u64,
    runs: VecDeque<Run>,
    values: Vec<f64>,
    /// Rows the runs cover.
    covered: u64,
    /// The row pushed last.
    last_row: Option<u64>,
    /// Some push did not follow the one before it round the ring (a
    /// Holt-Winters bulk update moves past seasonal rows without writing
    /// them; the smoother rewrites a whole archive): older rows are then
    /// not known to be overwritten, and none is dropped.
    gaps: bool,
}

#[derive(Debug, Clone, Copy)]
struct Run {
    first: u64,
    rows: u64,
    count: u64,
    /// Index of the run's first value in `values`.
    at: usize,
}

impl PendingRows {
    fn new(ring: u64) -> Self {
        PendingRows {
            ring,
            ..PendingRows::default()
        }
    }

    fn push(&mut self, row: u64, values: &[f64]) {
        let d = values.len();
        self.covered += 1;
        if self
            .last_row
            .is_some_and(|l| crate::update::rem_small(l + 1, self.ring.max(1)) != row)
        {
            self.gaps = true;
        }
        self.last_row = Some(row);
        if !self.extend(row, values) {
            self.runs.push_back(Run {
                first: row,
                rows: 1,
                count: 1,
                at: self.values.len(),
            });
            self.values.extend_from_slice(values);
        }
        if self.covered > self.ring && !self.gaps {
            self.trim(self.covered - self.ring, d);
        }
    }

    /// Adds the row to the last run if it continues it.
    fn extend(&mut self, row: u64, values: &[f64]) -> bool {
        let d = values.len();
        let Some(last) = self.runs.back_mut() else {
            return false;
        };
        if row != last.first + last.rows * last.count {
            return false;
        }
        let tail = last.at + (last.rows as usize - 1) * d;
        let repeats = self.values[tail..tail + d]
            .iter()
            .zip(values)
            .all(|(x, y)| x.to_bits() == y.to_bits());
        match (last.rows, last.count, repeats) {
            // a single row or a repeat run, repeated again
            (1, _, true) => last.count += 1,
            // a repeat run that the row does not repeat
            (1, 2.., false) => return false,
            // a block of distinct rows, one more
            (_, 1, false) => {
                last.rows += 1;
                self.values.extend_from_slice(values);
            }
            // the block's last row starts a repeat run
            (_, _, true) => {
                last.rows -= 1;
                self.runs.push_back(Run {
                    first: row - 1,
                    rows: 1,
                    count: 2,
                    at: tail,
                });
            }
            _ => return false,
        }
        true
    }

    /// Drops the oldest `excess` rows.
    fn trim(&mut self, mut excess: u64, d: usize) {
        while excess > 0 {
            let Some(r) = self.runs.front_mut() else {
                break;
            };
            let covered = r.rows * r.count;
            let n = covered.min(excess);
            if n == covered {
                self.runs.pop_front();
            } else if r.rows == 1 {
                r.count -= n;
                r.first += n;
            } else {
                r.rows -= n;
                r.first += n;
                r.at += n as usize * d;
            }
            self.covered -= n;
            excess -= n;
        }
    }

    fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    fn bytes(&self) -> usize {
        self.values.len() * 8 + self.runs.len() * 32
    }

    fn clear(&mut self) {
        self.runs.clear();
        self.values.clear();
        self.covered = 0;
        self.last_row = None;
        self.gaps = false;
    }
}

/// Most values of a SEASONAL or DEVSEASONAL archive that Holt-Winters
/// updates and `tune --aberrant-reset` hold in memory.
const SEASONAL_VALUES: usize = 1 << 27;

/// A journal record found pending by a read-only handle.
#[derive(Debug)]
struct Overlay {
    body: Vec<u8>,
    entries: Vec<journal::Entry>,
}

/// Bytes read at open before the header size is known.
const HEADER_READ_BYTES: u64 = 4096;

/// Rows waiting (in bytes) that make the next update commit first.
const COMMIT_BYTES: usize = 64 * 1024;

/// Largest single read of archive rows (a multiple of 8).
const READ_CHUNK: usize = 64 * 1024;

/// Largest single write.
const WRITE_CHUNK: usize = 1 << 20;

/// Options of `rrdtool update` ([`Rrd::update_args`], [`Rrd::update_parsed`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateOptions<'a> {
    /// `--template`: the data source index each value of an argument goes
    /// to, in order; `None` for every non-COMPUTE source in file order.
    pub template: Option<&'a [usize]>,
    /// `--skip-past-updates`: arguments not later than the last update are
    /// skipped instead of failing.
    pub skip_past_updates: bool,
}

impl Rrd<FileStorage> {
    /// Opens a file with `pread`/`pwrite`, taking rrdtool's lock (shared
    /// for [`OpenMode::ReadOnly`], exclusive for [`OpenMode::ReadWrite`]).
    pub fn open(path: impl AsRef<Path>, mode: OpenMode) -> Result<Self> {
        Rrd::from_storage(FileStorage::open(path.as_ref(), mode)?)
    }

    /// `rrdtool create`: a new file from `spec`, every value unknown. The
    /// file appears complete or not at all.
    pub fn create(
        path: impl AsRef<Path>,
        spec: &crate::CreateSpec,
        opts: &crate::create::CreateOptions,
    ) -> Result<()> {
        crate::create::create_file(path.as_ref(), spec, opts)
    }

    /// `rrdtool restore`: a new file from the XML of a dump read from
    /// `input`, with memory bounded whatever its size.
    pub fn restore<R: std::io::Read>(
        input: R,
        path: impl AsRef<Path>,
        opts: &crate::restore::RestoreOptions,
    ) -> Result<()> {
        crate::restore::restore(input, path.as_ref(), opts)
    }
}

impl<S: Storage> Rrd<S> {
    /// `rrdtool fetch`: the rows of the archive that best serves `req`.
    pub fn fetch(&self, req: &crate::fetch::FetchRequest) -> Result<crate::fetch::FetchResult> {
        crate::fetch::fetch(self, req)
    }

    /// `rrdtool info`: the keys in rrdtool's order (`filename` as given);
    /// [`crate::info::format_info`] prints them.
    pub fn info(&self, filename: &str) -> Vec<(String, crate::info::InfoValue)> {
        crate::info::info(self.header(), filename, self.header_size())
    }

    /// `rrdtool dump`: the XML to `w`, row times commented in `tz`.
    pub fn dump<W: std::io::Write + ?Sized>(
        &self,
        w: &mut W,
        header: crate::dump::DumpHeader,
        tz: &jiff::tz::TimeZone,
    ) -> Result<()> {
        crate::dump::dump(self, w, header, tz)
    }
}

impl Rrd<MemStorage> {
    /// Opens an RRD held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        Rrd::from_storage(MemStorage::new(bytes))
    }
}

/// An I/O error of `storage`, naming its file when it has one.
fn io_error<S: Storage>(storage: &S, op: &'static str, e: std::io::Error) -> Error {
    match storage.path() {
        Some(p) => Error::io(op, p, e),
        None => Error::Storage(e),
    }
}

impl<S: Storage> Rrd<S> {
    /// Decodes the header of `storage` in whatever layout it was written,
    /// and completes (writable storage) or overlays (read-only) a commit
    /// that a killed writer left in the journal.
    pub fn from_storage(storage: S) -> Result<Self> {
        let len = storage.len();
        // one read serves detection and, for most files, the whole header
        let first = len.min(HEADER_READ_BYTES) as usize;
        let mut hbytes = vec![0u8; first];
        storage
            .read_at(0, &mut hbytes)
            .map_err(|e| io_error(&storage, "reading", e))?;
        let det: Detected = format::detect(&hbytes[..first.min(DETECT_BYTES)], len)?;
        if det.header_size > first as u64 {
            // detect() checked header_size <= len, so this allocation is bounded
            hbytes.resize(det.header_size as usize, 0);
            storage
                .read_at(first as u64, &mut hbytes[first..])
                .map_err(|e| io_error(&storage, "reading", e))?;
        }
        hbytes.truncate(det.header_size as usize);
        let mut header = format::decode_header(&hbytes, &det)?;
        let d = header.ds.len() as u64;
        let mut rra_offsets = Vec::with_capacity(header.rra.len());
        let mut off = det.header_size;
        for a in &header.rra {
            rra_offsets.push(off);
            off = a
                .rows
                .checked_mul(d)
                .and_then(|v| v.checked_mul(8))
                .and_then(|v| v.checked_add(off))
                .ok_or_else(|| Error::corrupt(det.header_size, "archive sizes overflow"))?;
        }
        if off > len {
            return Err(Error::TooSmall {
                expected: off,
                actual: len,
            });
        }
        let data_end = off;
        let live_off =
            format::live_head_offset(det.layout, d, header.rra.len() as u64).min(det.header_size);
        let static_hash = journal::hash(&hbytes[..live_off as usize]);
        let mut disk_state = journal::state(static_hash, &hbytes[live_off as usize..]);

        let found = read_journal(
            &storage,
            data_end,
            live_off,
            det.header_size,
            disk_state,
            static_hash,
            &hbytes[live_off as usize..],
        )?;
        let mut overlay = None;
        let mut redo = None;
        let mut stale = false;
        match found {
            Found::Nothing => {}
            Found::Stale => stale = storage.is_writable(),
            Found::Pending {
                post,
                body,
                entries,
            } => {
                journal::overlay(&entries, &body, 0, &mut hbytes);
                header = format::decode_header(&hbytes, &det)?;
                disk_state = post;
                let o = Overlay { body, entries };
                if storage.is_writable() {
                    redo = Some(o);
                } else {
                    overlay = Some(o);
                }
            }
        }
        let pending = header
            .rra
            .iter()
            .map(|a| PendingRows::new(a.rows))
            .collect();
        let mut rrd = Rrd {
            storage,
            layout: det.layout,
            header,
            header_size: det.header_size,
            rra_offsets,
            live_off,
            data_end,
            static_hash,
            disk_state,
            disk_live: hbytes[live_off as usize..].to_vec(),
            dirty: false,
            pending,
            overlay,
            journal: journal::Builder::default(),
            io_buf: Vec::new(),
            header_buf: Vec::new(),
            scratch: Scratch::default(),
        };
        if let Some(o) = redo {
            rrd.apply(&o.body, &o.entries)?;
            rrd.mark_done()?;
        } else if stale {
            rrd.mark_done()?;
        }
        Ok(rrd)
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }
    /// The file's layout (architecture).
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// Header size in bytes (what `info` shows as `header_size`).
    pub fn header_size(&self) -> u64 {
        self.header_size
    }
    /// Bytes of the file that rrdtool reads: the header and the archives.
    /// rrd-core keeps its update journal after them (see the type's
    /// documentation), so a file it has updated may be longer.
    pub fn data_len(&self) -> u64 {
        self.data_end
    }
    /// The underlying storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }
    /// Applies one update (one `time:v1:v2...` of rrdtool) with one value
    /// per data source in file order. Rows and header changes wait in memory
    /// until the next commit; on error, what rrdtool would have changed
    /// before failing has changed here too (see [`crate::update`]).
    ///
    /// Does not allocate once the buffers have grown to the file's size.
    pub fn update(&mut self, time: UpdateTime, values: &[Value<'_>]) -> Result<()> {
        self.load_hw()?;
        self.commit_if_full()?;
        self.dirty = true;
        let Rrd {
            header,
            scratch,
            pending,
            ..
        } = self;
        let r = update::apply(header, scratch, time, values, &mut |w: RowWrite<'_>| {
            pending[w.rra].push(w.row, w.values);
        });
        self.end_update_call(r.is_ok())?;
        r
    }

    /// Holt-Winters files: reads the SEASONAL and DEVSEASONAL rows the model
    /// reads back while updating, once.
    fn load_hw(&mut self) -> Result<()> {
        if self.scratch.hw.loaded || !crate::hw::has_hw(&self.header) {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(self.header.rra.len());
        for r in 0..self.header.rra.len() {
            let a = &self.header.rra[r];
            if !crate::hw::is_seasonal(a.cf) {
                rows.push(Vec::new());
                continue;
            }
            let v = self.archive_values(r, SEASONAL_VALUES).ok_or_else(|| {
                Error::Update(format!(
                    "seasonal archive {r} of {} rows is too large to update",
                    a.rows
                ))
            })??;
            rows.push(v);
        }
        self.scratch.hw.rows = rows;
        self.scratch.hw.loaded = true;
        Ok(())
    }

    /// What rrdtool does at the end of an `update` call: the seasonal
    /// smoother, if an update scheduled it (not after a failed update).
    fn end_update_call(&mut self, ok: bool) -> Result<()> {
        if !std::mem::take(&mut self.scratch.hw.smooth) || !ok {
            return Ok(());
        }
        let Rrd {
            header,
            scratch,
            pending,
            ..
        } = self;
        let d = header.ds.len();
        crate::hw::smooth_all(header, &mut scratch.hw, &mut |r, rows| {
            for (i, row) in rows.chunks_exact(d.max(1)).enumerate() {
                pending[r].push(i as u64, row);
            }
        })
    }

    /// Applies several updates in order, stopping at the first that fails
    /// (earlier ones stay applied, as in rrdtool). Each item is a time and
    /// one value per data source.
    pub fn update_batch(&mut self, updates: &[(UpdateTime, &[Value<'_>])]) -> Result<()> {
        for (t, values) in updates {
            self.update(*t, values)?;
        }
        Ok(())
    }

    /// Applies updates given as rrdtool command-line arguments
    /// (`time:v1:v2...`, `N:...`, `at-time@...`), in order, stopping at the
    /// first that fails (earlier ones stay applied, as in rrdtool).
    /// `opts` carries `--template` and `--skip-past-updates`. `now` is the
    /// time of `N` (and what negative and at-style times count from);
    /// `on_row`, if given, sees every row written (for `updatev`).
    pub fn update_args(
        &mut self,
        args: &[&str],
        opts: &UpdateOptions<'_>,
        now: UpdateTime,
        tz: &jiff::tz::TimeZone,
        on_row: Option<&mut RowObserver<'_>>,
    ) -> Result<()> {
        let parsed: Vec<update::ParsedArg<'_>> =
            args.iter().map(|a| update::ParsedArg::parse(a)).collect();
        self.update_parsed(&parsed, opts, &mut || now, tz, on_row)
    }

    /// [`Rrd::update_args`] on arguments split beforehand
    /// ([`update::ParsedArg::parse`]), so that a caller can do that work
    /// before it opens the file and takes its lock. `clock` is read, as
    /// rrdtool reads it, once for each argument whose time depends on it.
    pub fn update_parsed(
        &mut self,
        args: &[update::ParsedArg<'_>],
        opts: &UpdateOptions<'_>,
        clock: &mut dyn FnMut() -> UpdateTime,
        tz: &jiff::tz::TimeZone,
        on_row: Option<&mut RowObserver<'_>>,
    ) -> Result<()> {
        self.load_hw()?;
        let r = self.update_each(args, opts, clock, tz, on_row);
        self.end_update_call(r.is_ok())?;
        r
    }

    fn update_each(
        &mut self,
        args: &[update::ParsedArg<'_>],
        opts: &UpdateOptions<'_>,
        clock: &mut dyn FnMut() -> UpdateTime,
        tz: &jiff::tz::TimeZone,
        mut on_row: Option<&mut RowObserver<'_>>,
    ) -> Result<()> {
        let (template, skip_past) = (opts.template, opts.skip_past_updates);
        let d = self.header.ds.len();
        // without a template, arguments skip the COMPUTE sources
        let default = template
            .is_none()
            .then(|| update::default_template(&self.header))
            .flatten();
        let template = template.or(default.as_deref());
        let mut vals: Vec<Value<'_>> = Vec::with_capacity(d);
        // updatev reports rows with the header as it is after the pass
        let mut rows: Vec<(usize, u64, u64, i64, Vec<f64>)> = Vec::new();
        for arg in args {
            let mut time = arg.values(d, template, &mut vals, clock, tz)?;
            if self.header.version < 3 {
                time.usec = 0;
            }
            let h = &self.header;
            if skip_past
                && (time.sec < h.last_up || (time.sec == h.last_up && time.usec <= h.last_up_usec))
            {
                continue;
            }
            self.commit_if_full()?;
            self.dirty = true;
            let Rrd {
                header,
                scratch,
                pending,
                ..
            } = self;
            let want_rows = on_row.is_some();
            rows.clear();
            let r = update::apply(header, scratch, time, &vals, &mut |w: RowWrite<'_>| {
                pending[w.rra].push(w.row, w.values);
                if want_rows {
                    rows.push((w.rra, w.index, w.count, w.pass_time, w.values.to_vec()));
                }
            });
            if let Some(f) = on_row.as_mut() {
                for (rra, index, count, pass_time, values) in &rows {
                    f(
                        header,
                        &RowWrite {
                            rra: *rra,
                            row: 0,
                            values,
                            index: *index,
                            count: *count,
                            pass_time: *pass_time,
                        },
                    );
                }
            }
            r?;
        }
        Ok(())
    }

    /// Commits what waits if it has grown past [`COMMIT_BYTES`]: called
    /// between updates, so that every commit ends on a whole update.
    fn commit_if_full(&mut self) -> Result<()> {
        if self.pending.iter().map(PendingRows::bytes).sum::<usize>() >= COMMIT_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Commits the updates applied so far: their rows and the header state
    /// reach the storage, journaled (see the type's documentation).
    pub fn flush(&mut self) -> Result<()> {
        let has_rows = self.pending.iter().any(|p| !p.is_empty());
        if !self.dirty && !has_rows {
            return Ok(());
        }
        let mut header = std::mem::take(&mut self.header_buf);
        format::encode_live_into(&self.header, self.layout, &mut header);
        let live_off = self.live_off;
        let live = &header[live_off as usize..];
        let post = journal::state(self.static_hash, live);
        let page = journal::TAIL_UNIT;
        let in_one_page = live_off / page == (self.header_size - 1) / page;
        if !has_rows && in_one_page {
            // a write within one page is never torn by a kill: no journal
            self.storage
                .write_at(live_off, live)
                .map_err(|e| io_error(&self.storage, "writing", e))?;
        } else {
            let d = self.header.ds.len();
            let row_bytes = d as u64 * 8;
            let endian = self.layout.endian;
            let b = &mut self.journal;
            let disk_live = &self.disk_live;
            b.start(
                self.static_hash,
                journal::chunks(live_off, self.header_size)
                    .into_iter()
                    .map(|r| {
                        let r = (r.start - live_off) as usize..(r.end - live_off) as usize;
                        journal::hash(&disk_live[r])
                    }),
            );
            let enc = &mut self.io_buf;
            for (p, &base) in self.pending.iter().zip(&self.rra_offsets) {
                for run in &p.runs {
                    enc.clear();
                    for v in &p.values[run.at..run.at + run.rows as usize * d] {
                        enc.extend_from_slice(&encode_value(*v, endian));
                    }
                    b.push(base + run.first * row_bytes, enc, run.count);
                }
            }
            b.push(live_off, live, 1);
            let record_len = b.finish(self.disk_state, post).len() as u64;
            let at = journal::offset(self.data_end);
            let need = at + record_len;
            if self.storage.len() < need {
                let grown = need.div_ceil(page) * page;
                self.storage
                    .set_len(grown)
                    .map_err(|e| io_error(&self.storage, "growing", e))?;
            }
            self.storage
                .write_at(at, self.journal.record())
                .map_err(|e| io_error(&self.storage, "writing", e))?;
            let journal = std::mem::take(&mut self.journal);
            let r = self.apply(journal.body(), journal.entries());
            self.journal = journal;
            r?;
            self.mark_done()?;
        }
        self.disk_live.clear();
        self.disk_live.extend_from_slice(live);
        self.header_buf = header;
        for p in &mut self.pending {
            p.clear();
        }
        self.disk_state = post;
        self.dirty = false;
        Ok(())
    }

    /// Carries out a journaled commit in the crash-safe order: unknowns over
    /// the rows, the header, the rows.
    fn apply(&mut self, body: &[u8], entries: &[journal::Entry]) -> Result<()> {
        let hs = self.header_size;
        let unknown = encode_value(DNAN, self.layout.endian);
        let mut g = Gather::new(std::mem::take(&mut self.io_buf));
        let run = |rrd: &mut Self, g: &mut Gather, rows: bool, fill: Option<[u8; 8]>| {
            for e in entries.iter().filter(|e| (e.offset >= hs) == rows) {
                let data = &body[e.data.clone()];
                let mut at = e.offset;
                for _ in 0..e.count {
                    match fill {
                        Some(f) => {
                            for _ in 0..data.len() / 8 {
                                g.put(&mut rrd.storage, at, &f)?;
                                at += 8;
                            }
                        }
                        None => {
                            g.put(&mut rrd.storage, at, data)?;
                            at += data.len() as u64;
                        }
                    }
                }
            }
            g.flush(&mut rrd.storage)
        };
        let r = run(self, &mut g, true, Some(unknown))
            .and_then(|()| run(self, &mut g, false, None))
            .and_then(|()| run(self, &mut g, true, None));
        self.io_buf = g.into_buf();
        r.map_err(|e| io_error(&self.storage, "writing", e))
    }

    /// Marks the journal's record done.
    fn mark_done(&mut self) -> Result<()> {
        let at = journal::offset(self.data_end) + journal::STATE_AT;
        self.storage
            .write_at(at, &journal::DONE.to_le_bytes())
            .map_err(|e| io_error(&self.storage, "writing", e))
    }

    /// `rrdtool tune`: the header becomes `new` (the same data sources and
    /// archives in number and size: definitions, parameters and state may
    /// differ), written in place as rrdtool writes it; for each data source
    /// in `reset`, its column of every SEASONAL and DEVSEASONAL archive
    /// becomes unknown (`--aberrant-reset`). Commits.
    pub fn retune(&mut self, new: Header, reset: &[usize]) -> Result<()> {
        let same_shape = new.ds.len() == self.header.ds.len()
            && new.rra.len() == self.header.rra.len()
            && new
                .rra
                .iter()
                .zip(&self.header.rra)
                .all(|(a, b)| a.rows == b.rows)
            && (new.version >= 3) == (self.header.version >= 3);
        if !same_shape {
            return Err(Error::Definition(
                "internal error: tune changed the shape of the header".into(),
            ));
        }
        self.flush()?;
        let bytes = format::encode_header(&new, self.layout);
        let live = self.live_off as usize;
        if bytes.len() as u64 != self.header_size {
            return Err(Error::Definition(
                "internal error: tune changed the size of the header".into(),
            ));
        }
        self.storage
            .write_at(0, &bytes[..live])
            .map_err(|e| io_error(&self.storage, "writing", e))?;
        self.static_hash = journal::hash(&bytes[..live]);
        self.disk_state = journal::state(self.static_hash, &self.disk_live);
        self.header = new;
        let d = self.header.ds.len();
        for r in 0..self.header.rra.len() {
            if reset.is_empty() || !crate::hw::is_seasonal(self.header.rra[r].cf) {
                continue;
            }
            let rows = self.header.rra[r].rows;
            let mut v = self.archive_values(r, SEASONAL_VALUES).ok_or_else(|| {
                Error::Definition(format!(
                    "seasonal archive {r} of {rows} rows is too large to reset"
                ))
            })??;
            for (i, row) in v.chunks_exact_mut(d).enumerate() {
                for &ds in reset {
                    row[ds] = DNAN;
                }
                self.pending[r].push(i as u64, row);
            }
        }
        self.scratch.hw.loaded = false;
        self.dirty = true;
        self.flush()
    }

    /// Every row of archive `rra` in physical order, or `None` when it holds
    /// more than `cap` values.
    fn archive_values(&self, rra: usize, cap: usize) -> Option<Result<Vec<f64>>> {
        let n = usize::try_from(self.header.rra[rra].rows)
            .ok()
            .and_then(|n| n.checked_mul(self.header.ds.len()))
            .filter(|&n| n <= cap)?;
        let mut v = vec![0.0; n];
        Some(self.read_rows(rra, 0, &mut v).map(|()| v))
    }

    /// The whole file in memory: header and every archive's rows in
    /// physical order (`tune`'s structural changes, `resize`).
    pub fn image(&self) -> Result<crate::modify::Image> {
        crate::modify::check_bounds(&self.header)?;
        let mut rows = Vec::with_capacity(self.header.rra.len());
        for r in 0..self.header.rra.len() {
            let cap = (crate::create::MAX_DATA_BYTES / 8) as usize;
            let v = self
                .archive_values(r, cap)
                .ok_or_else(|| Error::Definition("cannot allocate memory".into()))??;
            rows.push(v);
        }
        Ok(crate::modify::Image {
            header: self.header.clone(),
            rows,
        })
    }

    /// Commits and closes, reporting any error (dropping commits too, but
    /// cannot report).
    pub fn close(mut self) -> Result<()> {
        self.flush()
    }

    fn check_rra(&self, rra: usize) -> Result<()> {
        if rra >= self.header.rra.len() {
            return Err(Error::Request(format!(
                "archive {rra} does not exist (the file has {})",
                self.header.rra.len()
            )));
        }
        Ok(())
    }

    /// Reads physical rows `first..first+out.len()/D` of archive `rra`, as
    /// committed and updated so far.
    pub fn read_rows(&self, rra: usize, first: u64, out: &mut [f64]) -> Result<()> {
        self.check_rows(rra, first, out.len())?;
        let mut k = 0;
        self.read_row_bytes(rra, first, out.len(), &mut |bytes, endian| {
            for (v, b) in out[k..].iter_mut().zip(bytes.chunks_exact(8)) {
                *v = decode_value(b.try_into().expect("8 bytes"), endian);
            }
            k += bytes.len() / 8;
        })?;
        self.patch_pending(rra, first, out);
        Ok(())
    }

    /// [`Rrd::read_rows`] appending `values` values to `out` instead of
    /// overwriting a slice: every value is written once (`fetch` of long
    /// ranges, where filling the result first cost a pass over it).
    pub(crate) fn append_rows(
        &self,
        rra: usize,
        first: u64,
        values: usize,
        out: &mut Vec<f64>,
    ) -> Result<()> {
        self.check_rows(rra, first, values)?;
        let at = out.len();
        self.read_row_bytes(rra, first, values, &mut |bytes, endian| {
            out.extend(
                bytes
                    .chunks_exact(8)
                    .map(|b| decode_value(b.try_into().expect("8 bytes"), endian)),
            );
        })?;
        self.patch_pending(rra, first, &mut out[at..]);
        Ok(())
    }

    /// Checks that `values` values from physical row `first` lie within
    /// archive `rra`.
    fn check_rows(&self, rra: usize, first: u64, values: usize) -> Result<()> {
        self.check_rra(rra)?;
        let n = (values / self.header.ds.len().max(1)) as u64;
        if first
            .checked_add(n)
            .is_none_or(|e| e > self.header.rra[rra].rows)
        {
            return Err(Error::Request(format!(
                "rows {first}..{} beyond archive {rra}",
                first.saturating_add(n)
            )));
        }
        Ok(())
    }

    /// Hands `values` values' bytes from physical row `first` of archive
    /// `rra` to `sink`, as stored (with a pending journal record's), in
    /// pieces of at most [`READ_CHUNK`] bytes read into one buffer: a zeroed
    /// copy of a long range would cost a page fault per 4 KiB on every call.
    fn read_row_bytes(
        &self,
        rra: usize,
        first: u64,
        values: usize,
        sink: &mut dyn FnMut(&[u8], Endian),
    ) -> Result<()> {
        let mut buf = vec![0u8; (values * 8).min(READ_CHUNK)];
        let d = self.header.ds.len() as u64;
        let endian = self.layout.endian;
        let mut off = self.rra_offsets[rra] + first * d * 8;
        let mut left = values * 8;
        while left > 0 {
            let bytes = &mut buf[..left.min(READ_CHUNK)];
            self.storage
                .read_at(off, bytes)
                .map_err(|e| io_error(&self.storage, "reading", e))?;
            if let Some(o) = &self.overlay {
                journal::overlay(&o.entries, &o.body, off, bytes);
            }
            sink(bytes, endian);
            off += bytes.len() as u64;
            left -= bytes.len();
        }
        Ok(())
    }

    /// Rows updated but not committed yet, over `out` (values from physical
    /// row `first` of archive `rra`).
    fn patch_pending(&self, rra: usize, first: u64, out: &mut [f64]) {
        let d = self.header.ds.len();
        let end = first + (out.len() / d.max(1)) as u64;
        let p = &self.pending[rra];
        for run in &p.runs {
            let covered = run.rows * run.count;
            for r in run.first.max(first)..(run.first + covered).min(end) {
                let src = run.at + ((r - run.first) % run.rows) as usize * d;
                let dst = ((r - first) as usize) * d;
                out[dst..dst + d].copy_from_slice(&p.values[src..src + d]);
            }
        }
    }

    /// Iterates archive `rra` oldest row first, as `dump` and `fetch` see it:
    /// `(end time of the row's CDP, one value per data source)`.
    pub fn rows(&self, rra: usize) -> Result<Rows<'_, S>> {
        self.check_rra(rra)?;
        let rows = self.header.rra[rra].rows;
        Ok(Rows {
            rrd: self,
            rra,
            step: i64::try_from(self.header.rra_step(rra)).unwrap_or(i64::MAX),
            time: self.header.rra_first_time(rra),
            next: (self.header.cur_row[rra] + 1) % rows,
            left: rows,
            buf: Vec::new(),
            buf_first: 0,
        })
    }
}

/// Consecutive bytes collected into one write.
struct Gather {
    at: u64,
    buf: Vec<u8>,
}

impl Gather {
    fn new(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Gather { at: 0, buf }
    }
    fn put<S: Storage>(&mut self, s: &mut S, at: u64, bytes: &[u8]) -> std::io::Result<()> {
        if !self.buf.is_empty() && at != self.at + self.buf.len() as u64 {
            self.flush(s)?;
        }
        if self.buf.is_empty() {
            self.at = at;
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= WRITE_CHUNK {
            self.flush(s)?;
        }
        Ok(())
    }
    fn flush<S: Storage>(&mut self, s: &mut S) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            s.write_at(self.at, &self.buf)?;
            self.at += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }
    fn into_buf(self) -> Vec<u8> {
        self.buf
    }
}

/// What the journal tail of a file holds, judged against its header.
enum Found {
    /// No record, a torn one, or one marked done.
    Nothing,
    /// A pending record that does not belong to the header on disk
    /// (another program wrote the file since): never applied.
    Stale,
    /// A pending record of a commit that may not have completed.
    Pending {
        post: u64,
        body: Vec<u8>,
        entries: Vec<journal::Entry>,
    },
}

/// Reads the journal record after the archives ending at `data_end` and
/// judges it against the header on disk (`disk_state`, `static_hash` and
/// its live bytes `live`): pending when the header is the record's
/// before-state, its after-state, or a mix of the two page by page (a
/// header write killed half-way).
#[allow(clippy::too_many_arguments)] // the header's parts, as from_storage has them
fn read_journal<S: Storage>(
    storage: &S,
    data_end: u64,
    live_off: u64,
    header_size: u64,
    disk_state: u64,
    static_hash: u64,
    live: &[u8],
) -> Result<Found> {
    let at = journal::offset(data_end);
    let len = storage.len();
    if at.saturating_add(journal::HEAD as u64) > len {
        return Ok(Found::Nothing);
    }
    let mut hb = [0u8; journal::HEAD];
    storage
        .read_at(at, &mut hb)
        .map_err(|e| io_error(storage, "reading", e))?;
    let Some(head) = journal::parse_head(&hb) else {
        return Ok(Found::Nothing);
    };
    if head.done {
        return Ok(Found::Nothing);
    }
    // the body lies within the file, so its size is bounded by the file's
    let body_at = at + journal::HEAD as u64;
    if head.body_len > len - body_at {
        return Ok(Found::Stale);
    }
    let mut body = vec![0u8; head.body_len as usize];
    storage
        .read_at(body_at, &mut body)
        .map_err(|e| io_error(storage, "reading", e))?;
    let Some(parsed) = journal::parse_body(&head, &body, data_end) else {
        return Ok(Found::Stale);
    };
    let entries = parsed.entries;
    // a commit writes the live header and rows, nothing else
    let sound = entries.iter().all(|e| {
        let r = e.range();
        (r.start >= live_off && r.end <= header_size) || r.start >= header_size
    });
    if !sound || parsed.static_hash != static_hash {
        return Ok(Found::Stale);
    }
    let ours = head.pre == disk_state || head.post == disk_state || {
        // each page of the live header as before or as after the commit
        let post = entries
            .iter()
            .find(|e| e.offset == live_off && e.data.len() == live.len() && e.count == 1)
            .map(|e| &body[e.data.clone()]);
        let pages = journal::chunks(live_off, header_size);
        post.is_some_and(|post| {
            pages.len() == parsed.pre_chunks.len()
                && pages.into_iter().zip(&parsed.pre_chunks).all(|(r, pre)| {
                    let r = (r.start - live_off) as usize..(r.end - live_off) as usize;
                    journal::hash(&live[r.clone()]) == *pre || live[r.clone()] == post[r]
                })
        })
    };
    if !ours {
        return Ok(Found::Stale);
    }
    Ok(Found::Pending {
        post: head.post,
        body,
        entries,
    })
}

impl<S: Storage> Drop for Rrd<S> {
    fn drop(&mut self) {
        // errors cannot be reported here; Rrd::close reports them
        let _ = self.flush();
    }
}

/// Rows of one archive in time order; see [`Rrd::rows`].
#[derive(Debug)]
pub struct Rows<'a, S: Storage> {
    rrd: &'a Rrd<S>,
    rra: usize,
    step: i64,
    time: i64,
    next: u64,
    left: u64,
    buf: Vec<f64>,
    buf_first: u64,
}

/// Rows read from storage per chunk.
const CHUNK_ROWS: u64 = 4096;

impl<S: Storage> Iterator for Rows<'_, S> {
    type Item = Result<(i64, Vec<f64>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let d = self.rrd.header.ds.len();
        let rows = self.rrd.header.rra[self.rra].rows;
        let in_buf = self.next >= self.buf_first
            && (self.next - self.buf_first) * (d as u64) < self.buf.len() as u64;
        if !in_buf {
            let n = CHUNK_ROWS.min(rows - self.next).min(self.left);
            self.buf.resize(n as usize * d, 0.0);
            self.buf_first = self.next;
            if let Err(e) = self.rrd.read_rows(self.rra, self.next, &mut self.buf) {
                self.left = 0;
                return Some(Err(e));
            }
        }
        let i = (self.next - self.buf_first) as usize * d;
        let row = self.buf[i..i + d].to_vec();
        let t = self.time;
        self.time = self.time.saturating_add(self.step);
        self.next = (self.next + 1) % rows;
        self.left -= 1;
        Some(Ok((t, row)))
    }
}
