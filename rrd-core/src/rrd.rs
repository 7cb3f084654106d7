//! [`Rrd`]: an open RRD on some [`Storage`].

use std::path::Path;

use crate::error::{Error, Result};
use crate::format::{self, decode_value, Detected, Layout, DETECT_BYTES};
use crate::mmap::MmapStorage;
use crate::model::Header;
use crate::storage::{FileStorage, MemStorage, OpenMode, Storage};

/// An open RRD: its decoded header and access to its rows.
///
/// `Rrd<S>` is `Send` and `Sync` when `S` is (all backends of this crate
/// are); reading needs `&self`, writing `&mut self`.
#[derive(Debug)]
pub struct Rrd<S = FileStorage> {
    storage: S,
    layout: Layout,
    header: Header,
    header_size: u64,
    /// Byte offset of each archive's first row.
    rra_offsets: Vec<u64>,
}

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
        let mut prefix = vec![0u8; (len.min(DETECT_BYTES as u64)) as usize];
        storage.read_at(0, &mut prefix)?;
        let det: Detected = format::detect(&prefix, len)?;
        // detect() checked header_size <= len, so this allocation is bounded
        let mut hbytes = vec![0u8; det.header_size as usize];
        storage.read_at(0, &mut hbytes)?;
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
        Ok(Rrd {
            storage,
            layout: det.layout,
            header,
            header_size: det.header_size,
            rra_offsets,
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
    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.storage
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

/// Rows of one archive in time order; see [`Rrd::rows`].
#[derive(Debug)]
pub struct Rows<'a, S> {
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
