//! Memory-mapped storage: the only `unsafe` code in the workspace.
//!
//! A mapping is created only after the file's rrdtool lock is taken, and
//! lives exactly as long as the lock (both are owned by [`MmapStorage`]).
//! Every access is bounds-checked against the mapping's length, and no slice
//! of the mapping escapes a call: bytes are copied in and out.
//!
//! What the lock cannot prevent: a process that ignores the lock and
//! truncates the file makes later accesses fault (SIGBUS). rrdtool itself
//! never truncates a file in place (create, restore and tune replace it by
//! rename), so this only concerns foreign, lock-ignoring writers.

use std::fs::File;
use std::io;
use std::path::Path;

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::error::{Error, Result};
use crate::storage::{open_locked, OpenMode, Storage};

#[derive(Debug)]
enum Map {
    Ro(Mmap),
    Rw(MmapMut),
    /// A zero-length file cannot be mapped.
    Empty,
}

/// A locked, memory-mapped file.
#[derive(Debug)]
pub struct MmapStorage {
    map: Map,
    // Keeps the descriptor, and so the lock, alive as long as the mapping.
    file: File,
    path: std::path::PathBuf,
    writable: bool,
}

impl MmapStorage {
    /// Opens, locks and maps `path`.
    ///
    /// # Safety
    ///
    /// While the storage lives, no process may truncate or rewrite the file
    /// without taking rrdtool's lock. rrdtool, `rrd` and every rrd-core
    /// handle take it; a process that ignores it and truncates the file
    /// makes the next access of the mapping raise SIGBUS, and one that
    /// writes it changes bytes under a reference, which is undefined
    /// behaviour.
    pub unsafe fn open(path: &Path, mode: OpenMode) -> Result<Self> {
        let (file, len) = open_locked(path, mode)?;
        let map = if len == 0 {
            Map::Empty
        } else if mode == OpenMode::ReadWrite {
            // SAFETY: we hold an exclusive fcntl lock on the file, so no
            // cooperating process (ours or rrdtool) modifies or truncates it
            // while mapped; the mapping is dropped before the file (field
            // order) and so before the lock is released.
            Map::Rw(unsafe { MmapOptions::new().map_mut(&file) }.map_err(Error::Storage)?)
        } else {
            // SAFETY: we hold a shared fcntl lock, which excludes cooperating
            // writers for the mapping's lifetime (see above).
            Map::Ro(unsafe { MmapOptions::new().map(&file) }.map_err(Error::Storage)?)
        };
        Ok(MmapStorage {
            map,
            file,
            path: path.to_path_buf(),
            writable: mode == OpenMode::ReadWrite,
        })
    }

    fn bytes(&self) -> &[u8] {
        match &self.map {
            Map::Ro(m) => m,
            Map::Rw(m) => m,
            Map::Empty => &[],
        }
    }
}

fn range(offset: u64, len: usize, size: usize) -> io::Result<std::ops::Range<usize>> {
    usize::try_from(offset)
        .ok()
        .and_then(|o| Some(o..o.checked_add(len)?))
        .filter(|r| r.end <= size)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("access of {len} bytes at offset {offset} beyond the end ({size} bytes)"),
            )
        })
}

impl Storage for MmapStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let b = self.bytes();
        let r = range(offset, buf.len(), b.len())?;
        buf.copy_from_slice(&b[r]);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        match &mut self.map {
            Map::Rw(m) => {
                let r = range(offset, buf.len(), m.len())?;
                m[r].copy_from_slice(buf);
                Ok(())
            }
            _ => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "file opened read-only",
            )),
        }
    }
    fn len(&self) -> u64 {
        self.bytes().len() as u64
    }
    fn sync(&mut self) -> io::Result<()> {
        match &self.map {
            Map::Rw(m) => m.flush(),
            _ => Ok(()),
        }
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        if !self.writable {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "file opened read-only",
            ));
        }
        if let Map::Rw(m) = &self.map {
            m.flush()?;
        }
        // unmap before the length changes, so that no mapping ever covers
        // bytes past the end of the file
        self.map = Map::Empty;
        self.file.set_len(len)?;
        if len > 0 {
            // SAFETY: as in `open`: we still hold the exclusive lock on the
            // file, so no cooperating process changes it while it is mapped.
            self.map = Map::Rw(unsafe { MmapOptions::new().map_mut(&self.file) }?);
        }
        Ok(())
    }
    fn is_writable(&self) -> bool {
        self.writable
    }
    fn path(&self) -> Option<&Path> {
        Some(&self.path)
    }
}

impl crate::Rrd<MmapStorage> {
    /// Opens a file memory-mapped, taking rrdtool's lock first (cargo
    /// feature `mmap`).
    ///
    /// # Safety
    ///
    /// As [`MmapStorage::open`]: no process that ignores rrdtool's lock may
    /// truncate or write the file while the handle lives (a truncation
    /// raises SIGBUS).
    pub unsafe fn open_mmap(path: impl AsRef<Path>, mode: OpenMode) -> Result<Self> {
        // SAFETY: the caller keeps lock-ignoring writers away (see above)
        crate::Rrd::from_storage(unsafe { MmapStorage::open(path.as_ref(), mode) }?)
    }
}
