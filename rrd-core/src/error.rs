//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in rrd-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error on a file.
    #[error("{op} '{path}': {source}")]
    Io {
        /// What was being done (`opening`, `reading`, ...).
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An I/O error without a known path (in-memory or already-open storage).
    #[error("{0}")]
    Storage(#[from] std::io::Error),
    /// The bytes do not start with `RRD\0`.
    #[error("file is not an RRD file (bad magic)")]
    NotRrd,
    /// The version string is one this crate does not know.
    #[error("can't handle RRD file version {found}")]
    UnsupportedVersion {
        /// The version string as found in the file.
        found: String,
    },
    /// No known layout (endianness, long size, alignment) fits the header.
    #[error("unknown layout: the float cookie matches no known architecture")]
    UnknownLayout,
    /// The file is inconsistent at a given byte offset.
    #[error("corrupt file at offset {offset}: {what}")]
    Corrupt {
        /// Byte offset of the offending field.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// The file ends inside its header, in structure `section` (rrdtool's
    /// name: `stat_head`, `ds_def`, `rra_def`, `live_head`, `pdp_prep`,
    /// `cdp_prep` or `rra_ptr`).
    #[error(
        "reached EOF while loading header rrd->{section} (should be {expected} bytes, is {actual})"
    )]
    HeaderTruncated {
        /// The structure being read when the bytes ran out.
        section: &'static str,
        /// Header size the counts call for.
        expected: u64,
        /// Actual file size.
        actual: u64,
    },
    /// The file is shorter than its header says it should be.
    #[error("file is too small (should be {expected} bytes, is {actual})")]
    TooSmall {
        /// Size the header calls for.
        expected: u64,
        /// Actual size.
        actual: u64,
    },
    /// An update is not later than the last one.
    #[error("illegal attempt to update using time {given} when last update time is {last} (minimum one second step)")]
    UpdateTooOld {
        /// Time of the last update.
        last: i64,
        /// Time given.
        given: i64,
    },
    /// Another process holds a conflicting lock.
    #[error("could not lock RRD")]
    Locked,
    /// A `DS:`/`RRA:` definition (or a COMPUTE expression, or the header
    /// built from them) rrdtool refuses; the message is rrdtool's.
    #[error("{0}")]
    Definition(String),
    /// An update argument, template or time rrdtool refuses; the message
    /// is rrdtool's.
    #[error("{0}")]
    Update(String),
    /// A fetch request (consolidation function, window, size) or a row
    /// range the file does not have; the message is rrdtool's where it has
    /// one.
    #[error("{0}")]
    Request(String),
    /// Input to restore that is not a dump rrdtool would restore; the
    /// message is rrdtool's (libxml2's or its own).
    #[error("{0}")]
    Dump(String),
    /// A new file's name is taken and replacing it was not asked for.
    #[error("creating '{}': File exists", .0.display())]
    Exists(PathBuf),
    /// The requested operation is not supported yet; the message names it.
    #[error("{0}")]
    Unsupported(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn corrupt(offset: u64, what: impl Into<String>) -> Self {
        Error::Corrupt {
            offset,
            what: what.into(),
        }
    }
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// rrdtool's message for a failure to open or decode `path` (what
/// `rrd_open` leaves in `rrd_get_error`).
pub fn open_message(path: &str, e: &Error) -> String {
    use rrd_clib::strerror;
    match e {
        Error::Io { source, .. } if source.to_string() == "not a regular file" => {
            format!("mmaping file '{path}': No such device")
        }
        Error::Io { op, source, .. } => format!("{op} '{path}': {}", strerror(source)),
        Error::HeaderTruncated { actual: 0, .. } => {
            format!("mmaping file '{path}': Invalid argument")
        }
        Error::HeaderTruncated { section, .. } => {
            format!("reached EOF while loading header rrd->{section}")
        }
        Error::TooSmall { expected, .. } => {
            format!("'{path}' is too small (should be {expected} bytes)")
        }
        Error::NotRrd => format!("'{path}' is not an RRD file"),
        Error::UnknownLayout => "This RRD was created on another architecture".into(),
        Error::Storage(source) => strerror(source),
        other => other.to_string(),
    }
}
