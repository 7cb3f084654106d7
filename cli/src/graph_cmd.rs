//! `graph` and `graphv`: rrdtool's graph command line to a PNG or SVG
//! image, the size line and PRINT lines (`graph`) or the info keys
//! (`graphv`). The work is `rrd_graph::GraphRequest`'s; this is the
//! printing.

use std::io::Write;

use rrd_graph::{Cached, Env, GraphRequest};

use crate::output::{graph_error, write_file_atomically, write_out, write_raw};

/// `rrd graph` (`verbose`: `graphv`).
pub fn cmd_graph(argv: &[String], out: &mut dyn Write, verbose: bool) -> Result<(), String> {
    let req = GraphRequest::parse(argv, &Env::system()).map_err(graph_error)?;
    // --lazy compares the existing image's age with the graph's resolution
    let mtime = if req.to_stdout() {
        None
    } else {
        std::fs::metadata(rrd_core::argbytes::to_path(req.output()))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|t| t.as_secs() as i64)
    };
    // DEFs through rrdcached when one is named and can be reached
    let mut source = Cached::new(req.daemon());
    let r = req.render(&mut source, mtime).map_err(graph_error)?;
    // rrdtool's pango warns on standard error about markup it cannot parse
    for w in &r.warnings {
        eprintln!("rrd: warning: {w}");
    }
    let text = if verbose {
        r.graphv_text()
    } else {
        r.graph_text()
    };
    match &r.output {
        Some(bytes) if req.to_stdout() => {
            write_out(out, &text)?;
            write_raw(out, bytes)?;
        }
        Some(bytes) => {
            write_file_atomically(req.output(), bytes)?;
            write_out(out, &text)?;
        }
        None => write_out(out, &text)?,
    }
    // rrdtool writes the graph and its output lines, then fails with an
    // error set while labelling the value axis (`Wrong duration format`)
    // and, as rrdtool, a daemon it could not reach (the DEFs were read
    // from the files)
    match (r.error, source.connect_error()) {
        (Some(e), _) => Err(e),
        (None, Some(e)) => Err(e.to_string()),
        (None, None) => Ok(()),
    }
}
