//! Output files that appear complete or not at all.
//!
//! A [`NewFile`] is written without a name (Linux `O_TMPFILE`) in the
//! directory of its destination and linked into place by
//! [`NewFile::commit`]: a process killed before that leaves nothing behind,
//! and a failed write leaves the destination as it was. Replacing an
//! existing file goes through a temporary name for the two system calls of
//! link and rename (the only window in which a kill leaves a temporary file;
//! Linux has no call that puts a nameless file over an existing name). Where
//! `O_TMPFILE` is not supported, a named temporary file is used and removed
//! on failure.
//!
//! With [`Follow::Through`], a destination that is a symbolic link is
//! written at the link's target, and one that is not a regular file (a FIFO,
//! a device such as `/dev/stdout`) is written directly, as rrdtool's
//! `restore` and `dump` write through them. With [`Follow::Replace`] the
//! destination name itself is replaced, as rrdtool's `create` renames over
//! whatever it names.
//!
//! A replaced file's permission bits are kept; a new file gets 0644, as
//! rrdtool gives it.

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What to do when the destination is a link or not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Write at a link's target, and into FIFOs and devices directly.
    Through,
    /// Replace the name itself, whatever it names.
    Replace,
}

/// Whether an existing destination may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it.
    Replace,
    /// Fail with `creating '<path>': File exists`.
    Keep,
}

#[derive(Debug)]
enum How {
    /// Nameless, in the destination's directory.
    Nameless,
    /// A named temporary file, removed unless committed.
    Named(PathBuf),
    /// The destination itself (a FIFO or a device).
    Direct,
}

/// A file being written for a destination; see the module documentation.
#[derive(Debug)]
pub struct NewFile {
    file: File,
    dest: PathBuf,
    how: How,
    existing: Existing,
    /// Mode to give the file when it is linked in.
    mode: u32,
    committed: bool,
}

const NEW_MODE: u32 = 0o644;
const LINK_DEPTH: usize = 40;

/// The file a symbolic link finally names, whether or not it exists.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..LINK_DEPTH {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::from_raw_os_error(
        rustix::io::Errno::LOOP.raw_os_error(),
    ))
}

/// A file without a name in `dir` (Linux `O_TMPFILE`), readable and
/// writable, mode 0600 until given one.
pub(crate) fn nameless(dir: &Path) -> rustix::io::Result<File> {
    let flags =
        rustix::fs::OFlags::TMPFILE | rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC;
    rustix::fs::open(dir, flags, rustix::fs::Mode::from_bits_truncate(0o600)).map(File::from)
}

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A name beside `path` that nothing uses yet (for a moment).
fn temp_name(path: &Path) -> PathBuf {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{:06x}", h.finish() & 0xff_ffff));
    PathBuf::from(name)
}

fn exists_error(path: &Path) -> Error {
    Error::Exists(path.to_path_buf())
}

impl NewFile {
    /// Starts a file for `dest`. With [`Existing::Keep`], an existing
    /// destination is refused now (and again, atomically, at commit).
    pub fn create(dest: &Path, existing: Existing, follow: Follow) -> Result<NewFile> {
        let dest = match follow {
            Follow::Through => resolve_links(dest).map_err(|e| Error::io("creating", dest, e))?,
            Follow::Replace => dest.to_path_buf(),
        };
        let meta = fs::symlink_metadata(&dest).ok();
        if existing == Existing::Keep && meta.is_some() {
            return Err(exists_error(&dest));
        }
        // (rrdtool's create fails only when it renames over a directory)
        if follow == Follow::Through && meta.as_ref().is_some_and(|m| m.file_type().is_dir()) {
            let e = io::Error::from_raw_os_error(rustix::io::Errno::ISDIR.raw_os_error());
            return Err(Error::io("opening", &dest, e));
        }
        let special = meta.as_ref().is_some_and(|m| {
            let t = m.file_type();
            t.is_fifo() || t.is_char_device() || t.is_block_device() || t.is_socket()
        });
        if follow == Follow::Through && special {
            let file = OpenOptions::new()
                .write(true)
                .open(&dest)
                .map_err(|e| Error::io("opening", &dest, e))?;
            return Ok(NewFile {
                file,
                dest,
                how: How::Direct,
                existing,
                mode: 0,
                committed: false,
            });
        }
        let mode = meta
            .filter(|m| m.file_type().is_file())
            .map_or(NEW_MODE, |m| m.permissions().mode() & 0o7777);
        let dir = dir_of(&dest);
        let (file, how) = match nameless(dir) {
            Ok(file) => (file, How::Nameless),
            // no O_TMPFILE on this file system (or kernel): a named file
            Err(e)
                if [
                    rustix::io::Errno::OPNOTSUPP,
                    rustix::io::Errno::ISDIR,
                    rustix::io::Errno::INVAL,
                ]
                .contains(&e) =>
            {
                let mut last = None;
                let mut made = None;
                for _ in 0..16 {
                    let tmp = temp_name(&dest);
                    match OpenOptions::new()
                        .read(true)
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(&tmp)
                    {
                        Ok(f) => {
                            made = Some((f, How::Named(tmp)));
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                        Err(e) => return Err(Error::io("creating a temporary file for", &dest, e)),
                    }
                }
                made.ok_or_else(|| {
                    Error::io(
                        "creating a temporary file for",
                        &dest,
                        last.unwrap_or_else(|| io::Error::other("no free temporary name")),
                    )
                })?
            }
            Err(e) => {
                return Err(Error::io(
                    "creating a temporary file for",
                    &dest,
                    io::Error::from(e),
                ))
            }
        };
        Ok(NewFile {
            file,
            dest,
            how,
            existing,
            mode,
            committed: false,
        })
    }

    /// The destination (after following links).
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// The file to write.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Reserves `len` bytes on disk, so that a full disk fails now rather
    /// than half-way (a no-op where the file system cannot, and for FIFOs
    /// and devices).
    pub fn reserve(&self, len: u64) -> Result<()> {
        if matches!(self.how, How::Direct) || len == 0 {
            return Ok(());
        }
        match rustix::fs::fallocate(
            self.file.as_fd(),
            rustix::fs::FallocateFlags::empty(),
            0,
            len,
        ) {
            Ok(()) => Ok(()),
            Err(e) if e == rustix::io::Errno::OPNOTSUPP => Ok(()),
            Err(e) => Err(Error::io("creating", &self.dest, e.into())),
        }
    }

    /// Puts the file in place of its destination.
    pub fn commit(mut self) -> Result<()> {
        let dest = self.dest.clone();
        let werr = |e: io::Error| Error::io("writing", &dest, e);
        self.file.flush().map_err(werr)?;
        if matches!(self.how, How::Direct) {
            self.committed = true;
            return Ok(());
        }
        // durable before it gets its name, so that a crash of the machine
        // never leaves an empty file under the name
        self.file.sync_data().map_err(werr)?;
        self.file
            .set_permissions(fs::Permissions::from_mode(self.mode))
            .map_err(|e| Error::io("creating", &dest, e))?;
        match &self.how {
            How::Named(tmp) => {
                let tmp = tmp.clone();
                if self.existing == Existing::Keep {
                    fs::hard_link(&tmp, &dest).map_err(|e| link_error(&dest, e))?;
                    let _ = fs::remove_file(&tmp);
                } else {
                    fs::rename(&tmp, &dest).map_err(|e| Error::io("renaming", &dest, e))?;
                }
            }
            How::Nameless => {
                match self.link(&dest) {
                    Ok(()) => {}
                    Err(e)
                        if e.kind() == io::ErrorKind::AlreadyExists
                            && self.existing == Existing::Replace =>
                    {
                        // over an existing file: link under a temporary
                        // name, then rename over it
                        let mut linked = None;
                        for _ in 0..16 {
                            let tmp = temp_name(&dest);
                            match self.link(&tmp) {
                                Ok(()) => {
                                    linked = Some(tmp);
                                    break;
                                }
                                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                                Err(e) => return Err(Error::io("creating", &dest, e)),
                            }
                        }
                        let tmp = linked.ok_or_else(|| {
                            Error::io(
                                "creating",
                                &dest,
                                io::Error::other("no free temporary name"),
                            )
                        })?;
                        if let Err(e) = fs::rename(&tmp, &dest) {
                            let _ = fs::remove_file(&tmp);
                            return Err(Error::io("renaming", &dest, e));
                        }
                    }
                    Err(e) => return Err(link_error(&dest, e)),
                }
            }
            How::Direct => unreachable!("handled above"),
        }
        self.committed = true;
        Ok(())
    }

    /// Gives the nameless file the name `to`.
    fn link(&self, to: &Path) -> io::Result<()> {
        // AT_EMPTY_PATH needs a capability; /proc/self/fd does not
        let empty = rustix::fs::linkat(
            self.file.as_fd(),
            "",
            rustix::fs::CWD,
            to,
            rustix::fs::AtFlags::EMPTY_PATH,
        );
        match empty {
            Ok(()) => Ok(()),
            Err(e) if e == rustix::io::Errno::NOENT || e == rustix::io::Errno::PERM => {
                let fd = {
                    use std::os::fd::AsRawFd;
                    self.file.as_raw_fd()
                };
                rustix::fs::linkat(
                    rustix::fs::CWD,
                    format!("/proc/self/fd/{fd}"),
                    rustix::fs::CWD,
                    to,
                    rustix::fs::AtFlags::SYMLINK_FOLLOW,
                )
                .map_err(io::Error::from)
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn link_error(dest: &Path, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::AlreadyExists {
        exists_error(dest)
    } else {
        Error::io("creating", dest, e)
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if let (false, How::Named(tmp)) = (self.committed, &self.how) {
            let _ = fs::remove_file(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rrd-newfile-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| String::from_utf8_lossy(e.unwrap().file_name().as_bytes()).into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn appears_on_commit_only() {
        let d = dir("commit");
        let p = d.join("a.rrd");
        let mut f = NewFile::create(&p, Existing::Keep, Follow::Through).unwrap();
        f.file().write_all(b"hello").unwrap();
        assert_eq!(
            names(&d),
            Vec::<String>::new(),
            "nothing named before commit"
        );
        f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        // dropped without commit: nothing changes
        let mut f = NewFile::create(&p, Existing::Replace, Follow::Through).unwrap();
        f.file().write_all(b"other").unwrap();
        drop(f);
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        assert_eq!(names(&d), ["a.rrd"]);
        // refused when it exists
        let e = NewFile::create(&p, Existing::Keep, Follow::Through).unwrap_err();
        assert!(e.to_string().ends_with("File exists"), "{e}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn replacing_keeps_the_mode_and_leaves_no_temporary_file() {
        let d = dir("replace");
        let p = d.join("a.rrd");
        fs::write(&p, b"old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        let mut f = NewFile::create(&p, Existing::Replace, Follow::Replace).unwrap();
        f.file().write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(names(&d), ["a.rrd"]);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn links_are_followed_or_replaced() {
        let d = dir("links");
        let target = d.join("t.rrd");
        let link = d.join("l.rrd");
        std::os::unix::fs::symlink("t.rrd", &link).unwrap();
        // a dangling link: the file appears at its target
        let mut f = NewFile::create(&link, Existing::Replace, Follow::Through).unwrap();
        f.file().write_all(b"through").unwrap();
        f.commit().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"through");
        // Replace puts a regular file where the link was
        let mut f = NewFile::create(&link, Existing::Replace, Follow::Replace).unwrap();
        f.file().write_all(b"replaced").unwrap();
        f.commit().unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
        assert_eq!(fs::read(&target).unwrap(), b"through");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn fifos_are_written_through() {
        let d = dir("fifo");
        let p = d.join("pipe");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &p,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_bits_truncate(0o600),
            0,
        )
        .unwrap();
        let reader = {
            let p = p.clone();
            std::thread::spawn(move || fs::read(&p).unwrap())
        };
        let mut f = NewFile::create(&p, Existing::Replace, Follow::Through).unwrap();
        f.file().write_all(b"via the pipe").unwrap();
        f.commit().unwrap();
        assert_eq!(reader.join().unwrap(), b"via the pipe");
        assert!(fs::symlink_metadata(&p).unwrap().file_type().is_fifo());
        fs::remove_dir_all(&d).unwrap();
    }
}
