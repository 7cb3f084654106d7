//! Updates of workload W: one open handle (pread/pwrite and mmap), reopen
//! per value, and 1000 `"time:value"` strings per call.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use rrd_benches::{create_w, w_time, w_value, Batch, BATCH};
use rrd_core::{OpenMode, Rrd, Storage, UpdateTime, Value};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rrd-benches-update-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the scratch directory");
    dir.join(name)
}

/// Single-value updates on one handle kept open, whatever its storage.
fn open_handle<S: Storage>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, mut rrd: Rrd<S>) {
    let mut i = 0;
    g.bench_function(name, |b| {
        b.iter(|| {
            i += 1;
            rrd.update(UpdateTime::from_secs(w_time(i)), &[Value::Num(w_value(i))])
                .expect("update")
        })
    });
    rrd.close().expect("close");
}

fn update(c: &mut Criterion) {
    let mut g = c.benchmark_group("update");

    g.throughput(Throughput::Elements(1));
    let path = scratch("open.rrd");
    create_w(&path).expect("create");
    open_handle(
        &mut g,
        "open/file",
        Rrd::open(&path, OpenMode::ReadWrite).expect("open"),
    );
    create_w(&path).expect("create");
    open_handle(
        &mut g,
        "open/mmap",
        // SAFETY: the bench's own scratch file; nothing truncates it
        unsafe { Rrd::open_mmap(&path, OpenMode::ReadWrite) }.expect("open"),
    );

    create_w(&path).expect("create");
    let mut i = 0;
    g.bench_function("reopen/file", |b| {
        b.iter(|| {
            i += 1;
            let mut rrd = Rrd::open(&path, OpenMode::ReadWrite).expect("open");
            rrd.update(UpdateTime::from_secs(w_time(i)), &[Value::Num(w_value(i))])
                .expect("update");
            rrd.close().expect("close")
        })
    });

    g.throughput(Throughput::Elements(BATCH as u64));
    create_w(&path).expect("create");
    let mut batch = Batch::default();
    let mut next = 1;
    g.bench_function("batch1000/file", |b| {
        b.iter(|| {
            batch.fill(next, BATCH as u64);
            next += BATCH as u64;
            let mut rrd = Rrd::open(&path, OpenMode::ReadWrite).expect("open");
            batch.apply(black_box(&mut rrd)).expect("update");
            rrd.close().expect("close")
        })
    });
    g.finish();

    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

criterion_group!(benches, update);
criterion_main!(benches);
