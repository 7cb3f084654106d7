//! Lexes, parses and evaluates arbitrary bytes as an RPN expression.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rrd_rpn::fuzz_bodies::parse_eval(data);
});
