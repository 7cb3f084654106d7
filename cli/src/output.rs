//! Writing what commands produce, and rrdtool's messages for I/O and open
//! failures: shared by every command module (which `commands` dispatches
//! to), so that no command module depends on another.

use std::io::{self, Write};

use rrd_core::{argbytes, Error};
use rrd_core::{Existing, Follow, NewFile};

/// A command's result: `Err` is the message printed after `ERROR: `.
pub(crate) type CmdResult = Result<(), String>;

/// Writes text output. Bytes of the arguments that were not UTF-8 (see
/// [`argbytes`]) go out as they came in, as rrdtool echoes them.
pub(crate) fn write_out(out: &mut dyn Write, text: &str) -> CmdResult {
    write_raw(out, &argbytes::decode(text))
}

/// Writes bytes as they are (an image).
pub(crate) fn write_raw(out: &mut dyn Write, bytes: &[u8]) -> CmdResult {
    out.write_all(bytes)
        .map_err(|e| format!("writing output: {e}"))
}

/// C's `strerror` text of an I/O error (Rust appends " (os error N)").
pub(crate) fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// rrdtool's message for a failure to open or decode `path`.
pub fn open_error(path: &str, e: &Error) -> String {
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

/// Writes a whole output file (an image, a document) so that it appears
/// complete or not at all; FIFOs and devices are written directly.
pub(crate) fn write_file_atomically(path: &str, bytes: &[u8]) -> Result<(), String> {
    let p = argbytes::to_path(path);
    let msg = |e: &io::Error| format!("Could not save image to '{path}': {}", strerror(e));
    let mut f = NewFile::create(&p, Existing::Replace, Follow::Through).map_err(|e| match e {
        Error::Io { source, .. } => msg(&source),
        e => e.to_string(),
    })?;
    f.file().write_all(bytes).map_err(|e| msg(&e))?;
    f.commit().map_err(|e| match e {
        Error::Io { source, .. } => msg(&source),
        e => e.to_string(),
    })
}

pub(crate) fn io_message(e: &Error) -> String {
    match e {
        Error::Storage(s) => strerror(s),
        other => other.to_string(),
    }
}

/// rrdtool's message for a graph or xport failure.
pub(crate) fn graph_error(e: rrd_graph::Error) -> String {
    match e {
        rrd_graph::Error::Open { path, source } | rrd_graph::Error::Fetch { path, source } => {
            open_error(&path, &source)
        }
        other => other.to_string(),
    }
}
