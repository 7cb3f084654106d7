//! rrdtool 1.7.2's graph definitions, the data pipeline behind `graph`
//! and `xport`, and the drawing.
//!
//! The front door is [`GraphRequest`]: rrdtool's graph arguments in, the
//! image and what `graph`/`graphv` print out, with DEF files read through a
//! [`Source`] ([`Files`] for any path, [`Rooted`] for names that come from
//! users and must stay inside one directory). [`XportRequest`] does the same
//! for `xport`.
//!
//! ```no_run
//! use rrd_graph::{Env, GraphRequest, Rooted};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let args = ["web.png", "-s", "end-1d", "DEF:r=web.rrd:requests:AVERAGE", "LINE1:r#0000ff:req/s"];
//! let req = GraphRequest::parse(&args.map(String::from), &Env::system())?;
//! let drawn = req.render(&mut Rooted::new("/var/lib/rrd")?, None)?;
//! std::fs::write(req.output(), drawn.output.as_deref().unwrap_or_default())?;
//! print!("{}", drawn.graph_text()); // "481x155" and the PRINT lines
//! # Ok(())
//! # }
//! ```
//!
//! Underneath:
//!
//! * [`GraphSpec`] parses `DEF`, `CDEF`, `VDEF` and `XPORT` arguments into
//!   typed [`Element`]s whose variable references are [`ElementId`]s.
//! * [`compute`] runs rrdtool's pipeline over a [`Window`]: each DEF is
//!   fetched with `rrd_core::fetch` and [`reduce`]d when its archive is
//!   finer than wanted; CDEFs are evaluated with `rrd_rpn` on the greatest
//!   common divisor of their inputs' steps over the intersection of their
//!   windows; VDEFs ([`vdef_calc`]) become values.
//! * [`xport_table`] and [`render`] produce `rrdtool xport` output.
//! * [`format_value`], [`format_time`], [`format_timestamp`],
//!   [`format_duration`] and [`consolidate`] make the text of PRINT and
//!   GPRINT as rrdtool's `print_calc` does (glibc's `printf` and
//!   `strftime`, the SI prefixes of `%s`/`%S` in a [`SiState`]), and
//!   [`check_format`] is rrdtool's check of numeric formats.
//!
//! ```
//! use rrd_core::{FetchRequest, FetchResult};
//! use rrd_graph::{compute, render, xport_table, EvalEnv, GraphSpec, ParseContext, Source};
//! use rrd_graph::{Window, XportFormat};
//!
//! /// An in-memory stand-in for RRD files ([`rrd_graph::Files`] reads real ones).
//! struct Ramp;
//! impl Source for Ramp {
//!     fn fetch(&mut self, _file: &str, req: &FetchRequest) -> rrd_graph::Result<FetchResult> {
//!         let start = req.start - req.start % 300;
//!         let end = req.end + 300 - req.end % 300;
//!         let rows = ((end - start) / 300) as usize;
//!         Ok(FetchResult {
//!             start, end, step: 300, ds_names: vec!["x".into()], rows,
//!             values: (0..rows).map(|i| i as f64).collect(), rra: 0,
//!         })
//!     }
//! }
//!
//! # fn main() -> Result<(), rrd_graph::Error> {
//! let tz = jiff::tz::TimeZone::UTC;
//! let ctx = ParseContext { now: 1_000_003_000, tz: &tz, start: 1_000_000_000, end: 1_000_001_200 };
//! let args = ["DEF:a=ramp.rrd:x:AVERAGE", "VDEF:m=a,MAXIMUM", "CDEF:b=a,m,/", "XPORT:b:scaled"];
//! let graph = GraphSpec::parse(&args, &ctx)?;
//! let win = Window { start: 1_000_000_000, end: 1_000_001_200, step: 300 };
//! let data = compute(&graph, &win, &EvalEnv { now: ctx.now, tz: &tz, missing_as_unknown: false }, &mut Ramp)?;
//! let table = xport_table(&graph, &data, &win)?;
//! assert_eq!((table.step, table.rows), (300, 5));
//! assert_eq!(table.row(4), (1_000_001_400, &[1.0][..]));
//! assert!(render(&table, XportFormat::default()).contains("<entry>scaled</entry>"));
//! # Ok(())
//! # }
//! ```
//!
//! The graph-only elements (LINE, AREA, STACK, TICK, HRULE, VRULE, COMMENT,
//! TEXTALIGN, PRINT, GPRINT) are parsed with rrdtool's generic argument
//! splitter and checks; the private `axis`, `layout`, `render` and `canvas`
//! modules compute rrdtool's value and time grids, image layout and legend
//! placement, and draw through plotters' bitmap and SVG backends with the
//! embedded DejaVu Sans Mono.
//!
//! Not supported (each fails with [`Error::Unsupported`] naming it): xport
//! of specs with graph-only elements and every case where
//! rrdtool reads outside its buffers.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod axis;
mod bitmap;
mod canvas;
mod data;
mod deflate;
mod duration;
mod element;
mod elements;
mod error;
pub mod font;
#[doc(hidden)]
pub mod fuzz_bodies;
mod layout;
mod markup;
mod print;
mod render;
mod request;
mod spec;
mod svg;
mod xport;

pub use data::{
    compute, reduce, vdef_calc, Cached, Computed, EvalEnv, Files, GraphData, Rooted, Series,
    Source, VdefValue, Window,
};
pub use element::{
    Align, Area, Cdef, Def, Element, ElementId, Line, Print, PrintFormatter, Rule, Shift, ShiftBy,
    Tick, Value, Vdef, VdefFn, Xport,
};
pub use elements::parse_color;
pub use error::{Error, Result};
pub use print::{
    check_format, consolidate, format_duration, format_time, format_timestamp, format_value,
    PrintError, PrintKind, SiState, DEFAULT_DURATION_FORMAT, DEFAULT_TIMESTAMP_FORMAT,
    GPRINT_NUMERIC_MAX, PRINT_FORMAT_PATTERN, TEXT_MAX,
};
pub use request::{Env, GraphRequest, InfoValue, OutputFormat, Rendered, XportRequest};
pub use spec::{GraphSpec, ParseContext};
pub use xport::{
    graph_table, render, render_graph_data, xport_table, DataFormat, XportFormat, XportTable,
};
