//! The `rrd` command line as a library: [`run`] takes rrdtool's arguments
//! (after the program name) and writes the command's output.
//!
//! ```
//! let mut out = Vec::new();
//! rrd_cli::run(&["--version".to_string()], &mut out).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains("1.7.2"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod commands;
#[doc(hidden)]
pub mod fuzz_bodies;
mod graph_cmd;
mod help;
mod output;
mod pipe_mode;
mod update_cmd;
mod xport_cmd;

pub use commands::run;
pub use pipe_mode::serve;
