//! Parses arbitrary bytes as graph arguments (one per line) and, when they
//! parse, lays the graph out and draws it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rrd_graph::fuzz_bodies::graph_args(data);
});
