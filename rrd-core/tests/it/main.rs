//! Integration tests of rrd-core.

mod corrupt;
mod crash;
mod foreign;
mod fuzz_seeds;
mod model;
mod storage;
