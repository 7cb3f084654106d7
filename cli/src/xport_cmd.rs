//! `xport`: DEF/CDEF/VDEF/XPORT arguments to rrdtool's XML or JSON table.
//! The work is `rrd_graph::XportRequest`'s; this is the printing.

use std::io::Write;

use rrd_graph::{Env, Files, XportRequest};

use crate::commands::{open_error, write_out};

/// rrdtool's message for a graph or xport failure.
pub(crate) fn graph_error(e: rrd_graph::Error) -> String {
    match e {
        rrd_graph::Error::Open { path, source } | rrd_graph::Error::Fetch { path, source } => {
            open_error(&path, &source)
        }
        other => other.to_string(),
    }
}

/// `rrd xport`.
pub fn cmd_xport(argv: &[String], out: &mut dyn Write) -> Result<(), String> {
    let req = XportRequest::parse(argv, &Env::system()).map_err(graph_error)?;
    let doc = req.render(&mut Files).map_err(graph_error)?;
    write_out(out, &doc)
}
