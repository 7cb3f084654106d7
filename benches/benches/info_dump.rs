//! `info` and `dump` of workload W after a day of updates: open, decode,
//! format (dump writes its XML to a sink).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rrd_benches::{fill_w, DAY};
use rrd_core::DumpHeader;
use rrd_core::{OpenMode, Rrd};

fn info_dump(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("rrd-benches-info-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the scratch directory");
    let path = dir.join("w.rrd");
    fill_w(&path, DAY as u64).expect("preparing workload W");
    let name = path.to_string_lossy().into_owned();
    let tz = jiff::tz::TimeZone::UTC;

    c.bench_function("info/W", |b| {
        b.iter(|| {
            let rrd = Rrd::open(black_box(&path), OpenMode::ReadOnly).expect("open");
            let items = rrd.info(&name);
            rrd_core::format_info(&items)
        })
    });
    let mut out = Vec::with_capacity(1 << 20);
    c.bench_function("dump/W", |b| {
        b.iter(|| {
            out.clear();
            let rrd = Rrd::open(black_box(&path), OpenMode::ReadOnly).expect("open");
            rrd.dump(&mut out, DumpHeader::Dtd, &tz).expect("dump");
            out.len()
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, info_dump);
criterion_main!(benches);
