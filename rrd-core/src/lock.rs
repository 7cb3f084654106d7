//! rrdtool-compatible locking: a non-blocking POSIX `fcntl` record lock on
//! the whole file, shared for readers and exclusive for writers.
//!
//! C rrdtool 1.7.2 uses `fcntl(F_SETLK)` on the whole file (not `flock`,
//! which does not conflict with it on Linux), and fails at once with
//! "could not lock RRD" when another process holds a conflicting lock.
//! rrd-core takes the same lock, but waits a little for it ([`LOCK_WAIT`])
//! before failing with the same message.

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

/// How long [`lock_file`] waits for a conflicting lock to go before it
/// reports [`Error::Locked`]. rrdtool gives up at once; holds are a few
/// microseconds to a few milliseconds, so a short wait turns most clashes
/// between busy writers and readers into a brief delay instead of a lost
/// update or a failed graph.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// Takes the lock, retrying with growing pauses for up to [`LOCK_WAIT`];
/// [`Error::Locked`] when another process holds a conflicting lock all that
/// time. The lock lasts until the file is closed.
pub fn lock_file(file: &File, kind: LockKind) -> Result<()> {
    let op = match kind {
        LockKind::Shared => FlockOperation::NonBlockingLockShared,
        LockKind::Exclusive => FlockOperation::NonBlockingLockExclusive,
    };
    let mut deadline = None;
    let mut pause = std::time::Duration::from_micros(50);
    loop {
        match fcntl_lock(file, op) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::AGAIN || e == rustix::io::Errno::ACCESS => {
                let now = std::time::Instant::now();
                let end = *deadline.get_or_insert(now + LOCK_WAIT);
                if now >= end {
                    return Err(Error::Locked);
                }
                std::thread::sleep(pause.min(end - now));
                pause = (pause * 2).min(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(Error::Storage(e.into())),
        }
    }
}
