//! `xport`: DEF/CDEF/VDEF/XPORT arguments to rrdtool's XML or JSON table.
//! The work is `rrd_graph::XportRequest`'s; this is the printing.

use std::io::Write;

use rrd_graph::{Cached, Env, XportRequest};

use crate::output::{graph_error, write_out};

/// `rrd xport`.
pub fn cmd_xport(argv: &[String], out: &mut dyn Write) -> Result<(), String> {
    let req = XportRequest::parse(argv, &Env::system()).map_err(graph_error)?;
    // rrdtool's xport connects to the daemon first, and fails if it cannot
    let mut source = Cached::new(req.daemon());
    source.connect_default()?;
    let doc = req.render(&mut source).map_err(graph_error)?;
    write_out(out, &doc)
}
