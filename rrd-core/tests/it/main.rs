//! Integration tests of rrd-core.

mod corrupt;
mod foreign;
mod fuzz_seeds;
mod model;
mod storage;
