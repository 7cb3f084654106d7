//! rrd-graph's front door, in-process:
//!
//! - `replay`: the graphv and xport cases recorded from C rrdtool 1.7.2
//!   (`cli/tests/data/graph` and `cli/tests/data/xport`, see their READMEs)
//!   through `GraphRequest`/`XportRequest` and a `Rooted` source over their
//!   fixtures, compared with what rrdtool printed;
//! - `rooted`: the `Rooted` source refuses names that leave its directory.

mod replay;
mod rooted;
