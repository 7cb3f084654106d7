//! Opens arbitrary bytes as an RRD and reads everything in it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rrd_core::fuzz_bodies::open_rrd(data);
});
