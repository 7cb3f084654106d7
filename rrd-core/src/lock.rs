//! rrdtool-compatible locking: a non-blocking POSIX `fcntl` record lock on
//! the whole file, shared for readers and exclusive for writers.
//!
//! C rrdtool 1.7.2 uses `fcntl(F_SETLK)` on the whole file (not `flock`,
//! which does not conflict with it on Linux), and fails at once with
//! "could not lock RRD" when another process holds a conflicting lock.

use std::fs::File;

use rustix::fs::{fcntl_lock, FlockOperation};

use crate::error::{Error, Result};

/// Shared (read) or exclusive (write) lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// `F_RDLCK`: many readers.
    Shared,
    /// `F_WRLCK`: one writer, no readers.
    Exclusive,
}

/// Takes the lock without waiting; [`Error::Locked`] when another process
/// holds a conflicting one. The lock lasts until the file is closed.
pub fn lock_file(file: &File, kind: LockKind) -> Result<()> {
    let op = match kind {
        LockKind::Shared => FlockOperation::NonBlockingLockShared,
        LockKind::Exclusive => FlockOperation::NonBlockingLockExclusive,
    };
    fcntl_lock(file, op).map_err(|e| {
        if e == rustix::io::Errno::AGAIN || e == rustix::io::Errno::ACCESS {
            Error::Locked
        } else {
            Error::Storage(e.into())
        }
    })
}
