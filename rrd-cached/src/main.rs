//! `rrd-cached`: rrdcached 1.7.2's daemon, on rrd-core.

#![forbid(unsafe_code)]

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(rrd_cached::run::main(&argv));
}
