//! Body of the `cached_protocol` cargo-fuzz target in `fuzz/`: any bytes
//! as request lines to a daemon with a scratch base directory. Kept here so
//! that the crate's tests replay the committed seeds on stable Rust.

use crate::daemon::{Config, Daemon, Flow, Session};

/// The bytes of `a.rrd`, the one file the target's base directory holds
/// before each input.
pub fn fixture() -> Vec<u8> {
    let spec = rrd_core::CreateSpec::parse(
        1_300_000_000,
        60,
        &[
            "DS:a:GAUGE:300:U:U",
            "DS:b:COUNTER:300:U:U",
            "RRA:AVERAGE:0.5:1:20",
        ],
    )
    .expect("a valid definition");
    let mut bytes = Vec::new();
    spec.write_to(&mut bytes).expect("writing to memory");
    bytes
}

/// Feeds `data` (split at newlines) to a fresh daemon confined to `base`
/// (which must exist and may be written): it must answer every line
/// without panicking, and every answer must be a well-formed reply.
pub fn protocol_lines(data: &[u8], base: &std::path::Path) {
    rrd_core::rrdcached::forbid_connections();
    let cfg = Config {
        base_dir: Some(base.to_string_lossy().as_bytes().to_vec()),
        base_only: true,
        write_interval: 0,
        max_pending: 1 << 20,
        ..Config::default()
    };
    let d = Daemon::new(cfg, None);
    let mut s = Session::new(crate::protocol::ALL);
    for line in data.split(|&b| b == b'\n').take(64) {
        // FLUSH and FETCH would wait for a writer, and none runs here
        let first = line.split(|&b| b == b' ').next().unwrap_or_default();
        if first.eq_ignore_ascii_case(b"FLUSH")
            || first.eq_ignore_ascii_case(b"FETCH")
            || first.eq_ignore_ascii_case(b"FETCHBIN")
        {
            continue;
        }
        let flow = d.handle(&mut s, 1_300_000_000, line);
        d.settle(&mut s);
        if !s.out.is_empty() {
            // a reply starts with a signed count
            let head = s.out.split(|&b| b == b' ').next().unwrap_or_default();
            assert!(
                std::str::from_utf8(head).is_ok_and(|h| h.parse::<i64>().is_ok()),
                "reply {:?}",
                String::from_utf8_lossy(&s.out)
            );
        }
        s.out.clear();
        s.journal.clear();
        if flow == Flow::Close {
            break;
        }
    }
}
