//! Parses arbitrary bytes as a body of POST /api/ingest (JSON metric records).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rrd_server::fuzz_bodies::metric_records(data);
});
