//! `xport`: DEF/CDEF/VDEF/XPORT arguments to rrdtool's XML or JSON table.
//! The work is `rrd_graph::XportRequest`'s; this is the printing.

use std::io::Write;

use rrd_graph::{Env, Files, XportRequest};

use crate::output::{graph_error, write_out};

/// `rrd xport`.
pub fn cmd_xport(argv: &[String], out: &mut dyn Write) -> Result<(), String> {
    let req = XportRequest::parse(argv, &Env::system()).map_err(graph_error)?;
    let doc = req.render(&mut Files).map_err(graph_error)?;
    write_out(out, &doc)
}
