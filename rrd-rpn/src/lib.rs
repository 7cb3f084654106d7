//! rrdtool 1.7.2's RPN language (the `CDEF` expressions): lexer, parser and
//! evaluator. This crate knows nothing of files.
//!
//! * [`parse`] turns `a,b,+,2,/` into a [`Program`], resolving variable names
//!   to [`VarId`]s through a caller-supplied function and rejecting, with the
//!   byte [`Span`] of the offending token, what rrdtool rejects.
//! * [`eval_series`] evaluates a program point by point over whole input
//!   series, reusing one stack, given an [`EvalContext`] (step, time zone,
//!   wall clock).
//! * [`Op`] lists every operator with rrdtool's op code (`Op::code`), which
//!   COMPUTE data sources store on disk.
//! * [`render_error`] draws a caret under the offending token.
//!
//! ```
//! use rrd_rpn::{eval_series, parse, EvalContext, VarId};
//!
//! # fn main() -> Result<(), rrd_rpn::Error> {
//! let program = parse("a,2,*,PREV,ADDNAN", |name| (name == "a").then_some(VarId(0)))?;
//! let a = [1.0, f64::NAN, 3.0];
//! let times = [60, 120, 180];
//! let tz = jiff::tz::TimeZone::UTC;
//! let ctx = EvalContext::new(60, &tz);
//! let mut out = [0.0; 3];
//! eval_series(&program, &ctx, &[&a], &times, &mut out, &mut Vec::new())?;
//! assert_eq!(out[0], 2.0);
//! assert_eq!(out[1], 2.0); // NaN*2 is unknown; ADDNAN keeps PREV
//! assert_eq!(out[2], 8.0);
//! # Ok(())
//! # }
//! ```
//!
//! Every operator of rrdtool 1.7.2 is implemented. Where rrdtool has
//! undefined behaviour (negative counts to `SORT`, a `0` percentile rank,
//! unknown `TREND` durations, `PREDICT` reading past the data) this crate
//! returns an error or skips the value instead; `ROLL` follows rrdtool's
//! documentation, not its buggy code. [`Error::Unsupported`] is reserved for
//! op codes that cannot be evaluated on their own (`END`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
pub mod csort;
mod error;
mod eval;
#[doc(hidden)]
pub mod fuzz_bodies;
mod op;
mod parse;

pub use error::{render_error, Error, Result, Span};
pub use eval::{eval_inputs, eval_series, EvalContext, Input, DNAN};
pub use op::Op;
pub use parse::{parse, Program, Token, VarId, MAX_STACK_DEPTH, MAX_VNAME_LEN};
