//! The journal: every accepted value is appended to it (with `write(2)`,
//! no user-space buffer) before the client hears that it was accepted, so
//! that a daemon killed at any moment loses nothing it acknowledged.
//!
//! It is a directory of segments named as rrdcached names them
//! (`rrd.journal.<seconds>.<microseconds>`, which sort in time order) and
//! holding rrdcached's lines: `update <file> <value>...` and
//! `forget <file>`. A new segment starts every flush interval and when one
//! grows past [`SEGMENT_MAX`]; a segment is removed once every value in it
//! has been written to its file.
//!
//! Replay does not need `wrote` lines: a value is written when, and only
//! when, its file's last update reaches its time (updates only move
//! forward), so replay applies exactly the values newer than each file's
//! last update, in order — none twice, none lost.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// rrdcached's journal file prefix.
pub const BASE: &str = "rrd.journal";
/// Bytes after which a segment is closed and a new one begun.
pub const SEGMENT_MAX: u64 = 64 << 20;

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    file: Option<File>,
    size: u64,
    /// Segment number to file, the current one last.
    segments: BTreeMap<u64, PathBuf>,
    last_name: String,
}

/// An open journal directory.
#[derive(Debug)]
pub struct Journal {
    inner: Mutex<Inner>,
    current: AtomicU64,
    bytes: AtomicU64,
    rotations: AtomicU64,
}

/// The segments found in a journal directory, oldest first.
pub fn existing(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .filter(|e| e.file_name().as_bytes().starts_with(BASE.as_bytes()))
        .map(|e| e.path())
        .collect();
    v.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    Ok(v)
}

impl Journal {
    /// Starts a journal in `dir` with a fresh segment; `old` are segments
    /// already there (replayed), removed as soon as nothing needs them.
    pub fn open(dir: &Path, old: &[PathBuf]) -> io::Result<Journal> {
        let mut segments = BTreeMap::new();
        for (i, p) in old.iter().enumerate() {
            segments.insert(i as u64, p.clone());
        }
        let j = Journal {
            inner: Mutex::new(Inner {
                dir: dir.to_path_buf(),
                file: None,
                size: 0,
                segments,
                last_name: String::new(),
            }),
            current: AtomicU64::new(old.len() as u64),
            bytes: AtomicU64::new(0),
            rotations: AtomicU64::new(0),
        };
        {
            let mut g = j.lock();
            let seq = old.len() as u64;
            Self::new_segment(&mut g, seq)?;
        }
        Ok(j)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn new_segment(g: &mut Inner, seq: u64) -> io::Result<()> {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut name = format!("{BASE}.{:010}.{:06}", d.as_secs(), d.subsec_micros());
        // names must grow: two segments within a microsecond get the next one
        if name <= g.last_name {
            let (s, u) = g
                .last_name
                .rsplit_once('.')
                .and_then(|(h, u)| Some((h.to_string(), u.parse::<u32>().ok()?)))
                .unwrap_or_default();
            name = format!("{s}.{:06}", u + 1);
        }
        let path = g.dir.join(&name);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o644)
            .open(&path)?;
        g.last_name = name;
        g.file = Some(file);
        g.size = 0;
        g.segments.insert(seq, path);
        Ok(())
    }

    /// The number of the segment being written.
    pub fn current(&self) -> u64 {
        self.current.load(Ordering::Acquire)
    }

    /// Appends whole lines with one `write`, before they are acknowledged.
    pub fn append(&self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let mut g = self.lock();
        let Some(f) = g.file.as_mut() else {
            return Err(io::Error::other("journal is closed"));
        };
        f.write_all(bytes)?;
        g.size += bytes.len() as u64;
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if g.size > SEGMENT_MAX {
            let seq = self.current() + 1;
            Self::new_segment(&mut g, seq)?;
            self.current.store(seq, Ordering::Release);
            self.rotations.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Begins a new segment.
    pub fn rotate(&self) {
        let mut g = self.lock();
        let seq = self.current() + 1;
        match Self::new_segment(&mut g, seq) {
            Ok(()) => {
                self.current.store(seq, Ordering::Release);
                self.rotations.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => crate::log::error(&format!("cannot start a journal segment: {e}")),
        }
    }

    /// Removes the segments numbered below `seq` (never the current one).
    pub fn remove_before(&self, seq: u64) {
        let mut g = self.lock();
        let cur = self.current();
        let gone: Vec<u64> = g.segments.range(..seq.min(cur)).map(|(k, _)| *k).collect();
        for k in gone {
            if let Some(p) = g.segments.remove(&k) {
                if let Err(e) = std::fs::remove_file(&p) {
                    crate::log::error(&format!("cannot remove {}: {e}", p.display()));
                }
            }
        }
    }

    /// Closes the journal; with `remove_all` (everything was written) its
    /// segments go too.
    pub fn close(&self, remove_all: bool) {
        let mut g = self.lock();
        g.file = None;
        if remove_all {
            for p in std::mem::take(&mut g.segments).into_values() {
                let _ = std::fs::remove_file(p);
            }
        }
    }

    /// Bytes appended (`JournalBytes`).
    pub fn bytes_written(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Segments begun after the first (`JournalRotate`).
    pub fn rotations(&self) -> u64 {
        self.rotations.load(Ordering::Relaxed)
    }
}
