//! rrd-cached's integration tests: the daemon as a process, with its
//! sockets, journal and files, beside C rrdcached and rrdtool 1.7.2
//! (Debian's packages) where they are the reference.

mod crash;
mod fuzz_seeds;
mod protocol;
mod safety;
mod support;
