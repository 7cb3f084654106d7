//! Integration tests of rrd-core.

mod corrupt;
mod foreign;
mod storage;
