//! Fetching a day (1440 rows of the per-minute archive) from workload W
//! after a day of updates: open, fetch, close as `rrd_fetch_r` does, and
//! from a handle kept open.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rrd_benches::{day_request, fetch_once, fill_w, w_time, DAY};
use rrd_core::{OpenMode, Rrd};

fn fetch_day(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("rrd-benches-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the scratch directory");
    let path = dir.join("w.rrd");
    fill_w(&path, DAY as u64).expect("preparing workload W");
    let req = day_request(w_time(DAY as u64));
    assert_eq!(fetch_once(&path, &req).expect("fetch").rows, 1441);

    let mut g = c.benchmark_group("fetch_day");
    g.throughput(Throughput::Elements(1));
    g.bench_function("open_fetch_close", |b| {
        b.iter(|| fetch_once(black_box(&path), black_box(&req)).expect("fetch"))
    });
    let rrd = Rrd::open(&path, OpenMode::ReadOnly).expect("open");
    g.bench_function("open_handle", |b| {
        b.iter(|| black_box(&rrd).fetch(black_box(&req)).expect("fetch"))
    });
    g.finish();
    drop(rrd);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, fetch_day);
criterion_main!(benches);
