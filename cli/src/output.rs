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

pub(crate) use rrd_clib::strerror;
pub use rrd_core::open_message as open_error;

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
