//! rrdtool-compatible locking: a non-blocking `fcntl` record lock on the
//! whole file, shared for readers and exclusive for writers.
//!
//! C rrdtool 1.7.2 uses `fcntl(F_SETLK)` on the whole file (not `flock`,
//! which does not conflict with it on Linux), and fails at once with
//! "could not lock RRD" when another process holds a conflicting lock.
//! rrd-core takes the same kind of lock, but waits a little for it
//! ([`LOCK_WAIT`]) before failing with the same message.
//!
//! On Linux (and Android) the lock is an open-file-description lock
//! (`F_OFD_SETLK`): it belongs to the handle, not to the process. It
//! conflicts with rrdtool's classic locks both ways, and also with the locks
//! of other handles in the same process: a second writer handle on a file
//! is refused, and closing a reader handle on another thread leaves a
//! writer's lock in place. Classic POSIX locks, which the other platforms
//! get, belong to the process: there a second handle in the same process
//! silently converts the lock, and closing any descriptor of the file
//! releases it, so a process must not open one file twice while a handle
//! lives.

use std::fs::File;

use rustix::io::Errno;

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
    let mut deadline = None;
    let mut pause = std::time::Duration::from_micros(50);
    loop {
        match try_lock(file, kind) {
            Ok(()) => return Ok(()),
            Err(e) if e == Errno::AGAIN || e == Errno::ACCESS => {
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

/// Whether this build takes open-file-description locks (see the module
/// documentation); classic process-wide POSIX locks otherwise.
pub const HANDLE_LOCKS: bool = cfg!(all(
    any(target_os = "linux", target_os = "android"),
    not(any(target_arch = "mips", target_arch = "mips32r6"))
));

/// One non-blocking attempt: `F_OFD_SETLK` where the platform has it.
// 32-bit MIPS: libc's `flock` has private padding, so no struct literal
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(any(target_arch = "mips", target_arch = "mips32r6"))
))]
fn try_lock(file: &File, kind: LockKind) -> std::result::Result<(), Errno> {
    use nix::fcntl::{fcntl, FcntlArg};
    use nix::libc;
    let lock = libc::flock {
        l_type: match kind {
            LockKind::Shared => libc::F_RDLCK,
            LockKind::Exclusive => libc::F_WRLCK,
        } as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        // the whole file, however long it grows
        l_len: 0,
        // must be 0 for OFD locks
        l_pid: 0,
    };
    match fcntl(file, FcntlArg::F_OFD_SETLK(&lock)) {
        Ok(_) => Ok(()),
        Err(e) => Err(Errno::from_raw_os_error(e as i32)),
    }
}

/// One non-blocking attempt: a classic `F_SETLK`, as rrdtool takes.
#[cfg(not(all(
    any(target_os = "linux", target_os = "android"),
    not(any(target_arch = "mips", target_arch = "mips32r6"))
)))]
fn try_lock(file: &File, kind: LockKind) -> std::result::Result<(), Errno> {
    use rustix::io::Errno;
    fcntl_lock(
        file,
        match kind {
            LockKind::Shared => FlockOperation::NonBlockingLockShared,
            LockKind::Exclusive => FlockOperation::NonBlockingLockExclusive,
        },
    )
}
