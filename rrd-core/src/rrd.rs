//! [`Rrd`]: an open RRD on some [`Storage`].

use std::path::Path;

use crate::error::{Error, Result};
use crate::format::{self, decode_value, encode_value, Detected, Layout, DETECT_BYTES};
use crate::mmap::MmapStorage;
use crate::model::Header;
use crate::storage::{FileStorage, MemStorage, OpenMode, Storage};
use crate::update::{self, RowWrite, Scratch, UpdateTime, Value};

/// An open RRD: its decoded header, access to its rows, and updates.
///
/// `Rrd<S>` is `Send` and `Sync` when `S` is (all backends of this crate
/// are); reading needs `&self`, updating `&mut self`.
///
/// Updates are applied to the in-memory header at once and reach the
/// storage at [`Rrd::flush`], [`Rrd::close`] or drop. While a writer is
/// open it holds rrdtool's exclusive lock, so no cooperating process can
/// observe the file in between.
#[derive(Debug)]
pub struct Rrd<S: Storage = FileStorage> {
    storage: S,
    layout: Layout,
    header: Header,
    header_size: u64,
    /// Byte offset of each archive's first row.
    rra_offsets: Vec<u64>,
    /// Header state changed since the last flush.
    dirty: bool,
    /// Rows written by updates, not yet in storage: per archive, a run of
    /// consecutive physical rows.
    pending: Vec<PendingRows>,
    scratch: Scratch,
}

/// What [`Rrd::update_args`] calls for every row written: the header after
/// the pass and the row.
pub type RowObserver<'a> = dyn FnMut(&Header, &RowWrite<'_>) + 'a;

/// Consecutive rows of one archive waiting to be written.
#[derive(Debug, Default, Clone)]
struct PendingRows {
    first: u64,
    values: Vec<f64>,
    /// Encoding buffer, kept so that steady updating does not allocate.
    bytes: Vec<u8>,
}

/// Bytes read at open before the header size is known.
const HEADER_READ_BYTES: u64 = 4096;

/// Rows buffered per archive before they are written anyway.
const PENDING_ROWS_MAX: usize = 4096;

impl Rrd<FileStorage> {
    /// Opens a file with `pread`/`pwrite`, taking rrdtool's lock (shared
    /// for [`OpenMode::ReadOnly`], exclusive for [`OpenMode::ReadWrite`]).
    pub fn open(path: impl AsRef<Path>, mode: OpenMode) -> Result<Self> {
        Rrd::from_storage(FileStorage::open(path.as_ref(), mode)?)
    }
}

impl Rrd<MmapStorage> {
    /// Opens a file memory-mapped, taking rrdtool's lock first.
    pub fn open_mmap(path: impl AsRef<Path>, mode: OpenMode) -> Result<Self> {
        Rrd::from_storage(MmapStorage::open(path.as_ref(), mode)?)
    }
}

impl Rrd<MemStorage> {
    /// Opens an RRD held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        Rrd::from_storage(MemStorage::new(bytes))
    }
}

impl<S: Storage> Rrd<S> {
    /// Decodes the header of `storage` in whatever layout it was written.
    pub fn from_storage(storage: S) -> Result<Self> {
        let len = storage.len();
        // one read serves detection and, for most files, the whole header
        let first = len.min(HEADER_READ_BYTES) as usize;
        let mut hbytes = vec![0u8; first];
        storage.read_at(0, &mut hbytes)?;
        let det: Detected = format::detect(&hbytes[..first.min(DETECT_BYTES)], len)?;
        if det.header_size > first as u64 {
            // detect() checked header_size <= len, so this allocation is bounded
            hbytes.resize(det.header_size as usize, 0);
            storage.read_at(first as u64, &mut hbytes[first..])?;
        }
        let header = format::decode_header(&hbytes, &det)?;
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
        let pending = vec![PendingRows::default(); header.rra.len()];
        Ok(Rrd {
            storage,
            layout: det.layout,
            header,
            header_size: det.header_size,
            rra_offsets,
            dirty: false,
            pending,
            scratch: Scratch::default(),
        })
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
    /// The underlying storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }
    /// Applies one update (one `time:v1:v2...` of rrdtool) with one value
    /// per data source in file order. Rows and header changes are buffered
    /// until [`Rrd::flush`]; on error, what rrdtool would have changed
    /// before failing has changed here too (see [`crate::update`]).
    ///
    /// Does not allocate once the buffers have grown to the file's size.
    pub fn update(&mut self, time: UpdateTime, values: &[Value<'_>]) -> Result<()> {
        if let Some(why) = update::unsupported_reason(&self.header) {
            return Err(Error::Unsupported(why));
        }
        self.dirty = true;
        let Rrd {
            header,
            scratch,
            pending,
            storage,
            rra_offsets,
            layout,
            ..
        } = self;
        let d = header.ds.len();
        let mut write_error = None;
        let r = update::apply(header, scratch, time, values, &mut |w: RowWrite<'_>| {
            if let Err(e) = pend_row(pending, storage, rra_offsets, *layout, d, &w) {
                write_error.get_or_insert(e);
            }
        });
        match write_error {
            Some(e) => Err(e),
            None => r,
        }
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
    /// `template` maps argument positions to data source indexes. With
    /// `skip_past`, arguments not later than the last update are ignored.
    /// `on_row`, if given, sees every row written (for `updatev`).
    pub fn update_args(
        &mut self,
        args: &[&str],
        template: Option<&[usize]>,
        skip_past: bool,
        now: UpdateTime,
        tz: &jiff::tz::TimeZone,
        mut on_row: Option<&mut RowObserver<'_>>,
    ) -> Result<()> {
        if let Some(why) = update::unsupported_reason(&self.header) {
            return Err(Error::Unsupported(why));
        }
        let d = self.header.ds.len();
        // without a template, arguments skip the COMPUTE sources
        let default = template
            .is_none()
            .then(|| update::default_template(&self.header))
            .flatten();
        let template = template.or(default.as_deref());
        let mut vals: Vec<Value<'_>> = Vec::with_capacity(d);
        for arg in args {
            let (t, at) = update::split_argument(arg, d, template, &mut vals)?;
            let mut time = update::parse_update_time(t, at, now, tz)?;
            if self.header.version < 3 {
                time.usec = 0;
            }
            let h = &self.header;
            if skip_past
                && (time.sec < h.last_up || (time.sec == h.last_up && time.usec <= h.last_up_usec))
            {
                continue;
            }
            self.dirty = true;
            let Rrd {
                header,
                scratch,
                pending,
                storage,
                rra_offsets,
                layout,
                ..
            } = self;
            let mut write_error = None;
            // updatev reports rows with the header as it is after the pass
            let mut rows: Vec<(usize, u64, u64, i64, Vec<f64>)> = Vec::new();
            let want_rows = on_row.is_some();
            let r = update::apply(header, scratch, time, &vals, &mut |w: RowWrite<'_>| {
                if let Err(e) = pend_row(pending, storage, rra_offsets, *layout, d, &w) {
                    write_error.get_or_insert(e);
                }
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
            if let Some(e) = write_error {
                return Err(e);
            }
            r?;
        }
        Ok(())
    }

    /// Writes buffered rows and header changes to the storage.
    pub fn flush(&mut self) -> Result<()> {
        for rra in 0..self.pending.len() {
            write_pending(
                &mut self.pending[rra],
                &mut self.storage,
                self.rra_offsets[rra],
                self.layout,
                self.header.ds.len(),
            )?;
        }
        if self.dirty {
            let bytes = format::encode_header(&self.header, self.layout);
            let live = format::live_head_offset(
                self.layout,
                self.header.ds.len() as u64,
                self.header.rra.len() as u64,
            );
            self.storage.write_at(live, &bytes[live as usize..])?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Flushes and closes, reporting any error (dropping flushes too, but
    /// cannot report).
    pub fn close(mut self) -> Result<()> {
        self.flush()
    }

    fn check_rra(&self, rra: usize) -> Result<()> {
        if rra >= self.header.rra.len() {
            return Err(Error::Invalid(format!(
                "archive {rra} does not exist (the file has {})",
                self.header.rra.len()
            )));
        }
        Ok(())
    }

    /// Reads physical rows `first..first+out.len()/D` of archive `rra`.
    pub fn read_rows(&self, rra: usize, first: u64, out: &mut [f64]) -> Result<()> {
        self.check_rra(rra)?;
        let d = self.header.ds.len();
        let n = (out.len() / d.max(1)) as u64;
        if first
            .checked_add(n)
            .is_none_or(|e| e > self.header.rra[rra].rows)
        {
            return Err(Error::Invalid(format!(
                "rows {first}..{} beyond archive {rra}",
                first.saturating_add(n)
            )));
        }
        let mut buf = vec![0u8; out.len() * 8];
        self.storage
            .read_at(self.rra_offsets[rra] + first * d as u64 * 8, &mut buf)?;
        let endian = self.layout.endian;
        for (v, b) in out.iter_mut().zip(buf.chunks_exact(8)) {
            *v = decode_value(b.try_into().expect("8 bytes"), endian);
        }
        // rows written by updates but not flushed yet
        let p = &self.pending[rra];
        let pn = (p.values.len() / d.max(1)) as u64;
        for r in p.first.max(first)..(p.first + pn).min(first + n) {
            let src = ((r - p.first) as usize) * d;
            let dst = ((r - first) as usize) * d;
            out[dst..dst + d].copy_from_slice(&p.values[src..src + d]);
        }
        Ok(())
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

fn pend_row<S: Storage>(
    pending: &mut [PendingRows],
    storage: &mut S,
    rra_offsets: &[u64],
    layout: Layout,
    d: usize,
    w: &RowWrite<'_>,
) -> Result<()> {
    let p = &mut pending[w.rra];
    let n = (p.values.len() / d.max(1)) as u64;
    if n > 0 && (w.row != p.first + n || n as usize >= PENDING_ROWS_MAX) {
        write_pending(p, storage, rra_offsets[w.rra], layout, d)?;
    }
    if p.values.is_empty() {
        p.first = w.row;
    }
    p.values.extend_from_slice(w.values);
    Ok(())
}

fn write_pending<S: Storage>(
    p: &mut PendingRows,
    storage: &mut S,
    rra_offset: u64,
    layout: Layout,
    d: usize,
) -> Result<()> {
    if p.values.is_empty() {
        return Ok(());
    }
    p.bytes.clear();
    for v in &p.values {
        p.bytes.extend_from_slice(&encode_value(*v, layout.endian));
    }
    storage.write_at(rra_offset + p.first * d as u64 * 8, &p.bytes)?;
    p.values.clear();
    Ok(())
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
