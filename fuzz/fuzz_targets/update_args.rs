//! Update arguments (any bytes, one per line) applied to an RRD in memory,
//! committed and read back.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rrd_core::fuzz_bodies::update_args(data);
});
