//! Where the bytes of an RRD live: a small positioned-I/O trait and its
//! backends (files with `pread`/`pwrite`, memory-mapped files, and memory).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::lock::{lock_file, LockKind};

/// Positioned access to the bytes of one RRD.
///
/// Implementations hold whatever lock protects the bytes for as long as
/// they live; every access is bounds-checked by the implementation.
pub trait Storage {
    /// Fills `buf` from `offset`; an error if the range is past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Writes `buf` at `offset`; an error on read-only storage.
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()>;
    /// Length in bytes.
    fn len(&self) -> u64;
    /// True when the storage holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Makes written bytes durable (as far as the backend can).
    fn sync(&mut self) -> io::Result<()>;
    /// Grows (or shrinks) the storage to `len` bytes; new bytes are zero.
    /// rrd-core only ever grows a file, past the end of its archives, to
    /// keep its update journal there (see [`crate::Rrd`]).
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    /// Whether writes are allowed.
    fn is_writable(&self) -> bool;
    /// The file behind the storage, to name it in errors.
    fn path(&self) -> Option<&Path> {
        None
    }
}

/// A borrowed storage is a storage (tests wrap theirs this way).
impl<S: Storage + ?Sized> Storage for &mut S {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        (**self).read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        (**self).write_at(offset, buf)
    }
    fn len(&self) -> u64 {
        (**self).len()
    }
    fn sync(&mut self) -> io::Result<()> {
        (**self).sync()
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        (**self).set_len(len)
    }
    fn is_writable(&self) -> bool {
        (**self).is_writable()
    }
    fn path(&self) -> Option<&Path> {
        (**self).path()
    }
}

/// Whether a file is opened for reading or for updating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Shared lock, no writes.
    ReadOnly,
    /// Exclusive lock, writes allowed.
    ReadWrite,
}

fn out_of_range(offset: u64, len: usize, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("access of {len} bytes at offset {offset} beyond the end ({size} bytes)"),
    )
}

/// Opens a regular file and takes rrdtool's fcntl lock on it; returns the
/// file and its length under the lock.
pub(crate) fn open_locked(path: &Path, mode: OpenMode) -> Result<(File, u64)> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(mode == OpenMode::ReadWrite)
        .open(path)
        .map_err(|e| Error::io("opening", path, e))?;
    lock_opened(file, path, mode)
}

/// Takes rrdtool's lock on a file opened by the caller (`path` names it in
/// messages) and checks that it is a regular file; returns it and its
/// length under the lock.
pub(crate) fn lock_opened(file: File, path: &Path, mode: OpenMode) -> Result<(File, u64)> {
    lock_file(
        &file,
        if mode == OpenMode::ReadWrite {
            LockKind::Exclusive
        } else {
            LockKind::Shared
        },
    )?;
    // the length under the lock: a writer of ours may grow the file (its
    // journal tail) until it releases its lock
    let (is_file, len) = type_and_len(&file).map_err(|e| Error::io("opening", path, e))?;
    if !is_file {
        return Err(Error::io(
            "opening",
            path,
            io::Error::other("not a regular file"),
        ));
    }
    Ok((file, len))
}

/// Whether `file` is a regular file, and its length. Asks for no time
/// stamps: on kernels with multigrain time stamps (6.13 and later) a query
/// of the change time makes the next write stamp a fine-grained time and so
/// dirty the inode, which costs more than the write itself.
fn type_and_len(file: &File) -> io::Result<(bool, u64)> {
    use rustix::fs::{AtFlags, FileType, StatxFlags};
    match rustix::fs::statx(
        file,
        "",
        AtFlags::EMPTY_PATH,
        StatxFlags::TYPE | StatxFlags::SIZE,
    ) {
        Ok(st) => Ok((
            FileType::from_raw_mode(u32::from(st.stx_mode)) == FileType::RegularFile,
            st.stx_size,
        )),
        // kernels before 4.11 have no statx
        Err(rustix::io::Errno::NOSYS) => {
            let meta = file.metadata()?;
            Ok((meta.is_file(), meta.len()))
        }
        Err(e) => Err(e.into()),
    }
}

/// A file accessed with `pread`/`pwrite`, locked for its lifetime.
///
/// On Linux the lock belongs to the handle (an open-file-description lock,
/// see [`crate::lock`]): other handles in the same process conflict with it
/// as other processes do. Elsewhere it is a classic POSIX lock, which
/// belongs to the process.
#[derive(Debug)]
pub struct FileStorage {
    file: File,
    len: u64,
    writable: bool,
    path: std::path::PathBuf,
}

impl FileStorage {
    /// Opens and locks `path`.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Self> {
        let (file, len) = open_locked(path, mode)?;
        Ok(FileStorage {
            file,
            len,
            writable: mode == OpenMode::ReadWrite,
            path: path.to_path_buf(),
        })
    }

    /// Locks a file the caller opened (for reading, and for writing when
    /// `mode` is [`OpenMode::ReadWrite`]), e.g. with `openat2` beneath a
    /// directory; `path` names it in messages.
    pub fn from_file(file: File, path: &Path, mode: OpenMode) -> Result<Self> {
        let (file, len) = lock_opened(file, path, mode)?;
        Ok(FileStorage {
            file,
            len,
            writable: mode == OpenMode::ReadWrite,
            path: path.to_path_buf(),
        })
    }
}

impl Storage for FileStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|e| e > self.len)
        {
            return Err(out_of_range(offset, buf.len(), self.len));
        }
        self.file.read_exact_at(buf, offset)
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        if !self.writable {
            return Err(read_only());
        }
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|e| e > self.len)
        {
            return Err(out_of_range(offset, buf.len(), self.len));
        }
        self.file.write_all_at(buf, offset)
    }
    fn len(&self) -> u64 {
        self.len
    }
    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        if !self.writable {
            return Err(read_only());
        }
        if len > self.len {
            // reserve the blocks now, so that a full disk fails here and
            // not in the middle of a commit
            match rustix::fs::fallocate(
                &self.file,
                rustix::fs::FallocateFlags::empty(),
                self.len,
                len - self.len,
            ) {
                Ok(()) => {}
                Err(e) if e == rustix::io::Errno::OPNOTSUPP => self.file.set_len(len)?,
                Err(e) => return Err(e.into()),
            }
        } else {
            self.file.set_len(len)?;
        }
        self.len = len;
        Ok(())
    }
    fn is_writable(&self) -> bool {
        self.writable
    }
    fn path(&self) -> Option<&Path> {
        Some(&self.path)
    }
}

fn read_only() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, "file opened read-only")
}

/// Bytes in memory: for tests, fuzzing, and building files before writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemStorage {
    bytes: Vec<u8>,
}

impl MemStorage {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        MemStorage { bytes }
    }
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// Gives the bytes back.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl Storage for MemStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|o| self.bytes.get(o..o.checked_add(buf.len())?))
            .ok_or_else(|| out_of_range(offset, buf.len(), self.len()))?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let len = self.len();
        let dst = usize::try_from(offset)
            .ok()
            .and_then(|o| self.bytes.get_mut(o..o.checked_add(buf.len())?))
            .ok_or_else(|| out_of_range(offset, buf.len(), len))?;
        dst.copy_from_slice(buf);
        Ok(())
    }
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| io::Error::other("length beyond memory"))?;
        self.bytes.resize(len, 0);
        Ok(())
    }
    fn is_writable(&self) -> bool {
        true
    }
}
