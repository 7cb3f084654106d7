//! Integration tests of the `rrd` binary against C rrdtool 1.7.2:
//!
//! - `golden`: outputs recorded once from rrdtool (tests/data/golden, with a
//!   README saying how); they run everywhere, rrdtool or not;
//! - `cli_cases` and `random_defs`: differential suites that run the same
//!   work through `rrdtool` and `rrd` and compare byte for byte; they run when
//!   rrdtool 1.7.2 is on PATH, and otherwise say so once.

mod cli_cases;
mod compute;
mod crash;
mod fetch;
mod fuzz_seeds;
mod golden;
mod graph;
mod hostile;
mod locking;
mod pipe_help;
mod random_defs;
mod readme;
mod real_tools;
mod rrdcached;
mod support;
mod tune_diff;
mod update_diff;
mod xport;
