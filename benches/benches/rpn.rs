//! A 10-operator CDEF evaluated over 1,000,000 points (issue goal: the
//! evaluation is a fixed cost per point, with no per-point allocation).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rrd_rpn::{eval_series, parse, EvalContext, VarId};

const POINTS: usize = 1_000_000;

fn cdef_million(c: &mut Criterion) {
    // ten operators: + / GT IF - LIMIT ADDNAN MAX * ABS
    let expr = "a,b,+,2,/,a,b,GT,a,b,IF,-,0,100,LIMIT,c,ADDNAN,a,MAX,2,*,ABS";
    let program = parse(expr, |n| match n {
        "a" => Some(VarId(0)),
        "b" => Some(VarId(1)),
        "c" => Some(VarId(2)),
        _ => None,
    })
    .expect("the benchmark expression parses");
    let a: Vec<f64> = (0..POINTS).map(|i| (i % 97) as f64).collect();
    let b: Vec<f64> = (0..POINTS)
        .map(|i| {
            if i % 13 == 0 {
                f64::NAN
            } else {
                (i % 89) as f64
            }
        })
        .collect();
    let cc: Vec<f64> = (0..POINTS).map(|i| (i % 7) as f64 * 0.5).collect();
    let times: Vec<i64> = (0..POINTS as i64).map(|i| 1_000_000_000 + i).collect();
    let tz = jiff::tz::TimeZone::UTC;
    let ctx = EvalContext::new(1, &tz);
    let mut out = vec![0.0; POINTS];
    let mut stack = Vec::new();

    let mut g = c.benchmark_group("cdef");
    g.throughput(Throughput::Elements(POINTS as u64));
    g.sample_size(20);
    g.bench_function("ten_operators_1M_points", |bench| {
        bench.iter(|| {
            eval_series(
                black_box(&program),
                &ctx,
                &[&a, &b, &cc],
                &times,
                &mut out,
                &mut stack,
            )
            .expect("evaluates")
        })
    });
    g.finish();
}

criterion_group!(benches, cdef_million);
criterion_main!(benches);
