//! Body of the `graph_args` cargo-fuzz target in `fuzz/`, kept here so that
//! normal tests run it over the committed seed corpus on stable Rust.

use rrd_core::fetch::{FetchRequest, FetchResult};

use crate::canvas::{Metrics, RasterCanvas};
use crate::render::{self, GraphOptions};
use crate::{compute, EvalEnv, GraphSpec, ParseContext, Source, Window};

/// Every file has one data source `x`, a ramp with a gap, at step 300.
struct Ramp;

impl Source for Ramp {
    fn fetch(&mut self, _file: &str, req: &FetchRequest) -> crate::Result<FetchResult> {
        let step = 300;
        let start = req.start - req.start.rem_euclid(step);
        let end = req.end + step - req.end.rem_euclid(step);
        let rows = usize::try_from((end - start) / step)
            .unwrap_or(0)
            .min(100_000);
        Ok(FetchResult {
            start,
            end: start + rows as i64 * step,
            step: step as u64,
            ds_names: vec!["x".into()],
            rows,
            values: (0..rows)
                .map(|i| {
                    if i % 37 < 3 {
                        f64::NAN
                    } else {
                        (i % 50) as f64 - 10.0
                    }
                })
                .collect(),
            rra: 0,
        })
    }
}

/// Graph arguments, one per line: parse them; if they parse, compute the
/// data, lay the graph out and draw it on a small bitmap. Must never panic
/// or hang.
pub fn graph_args(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let args: Vec<&str> = text.lines().take(64).collect();
    let tz = jiff::tz::TimeZone::UTC;
    let (start, end) = (1_000_000_000, 1_000_086_400);
    let ctx = ParseContext {
        now: end,
        tz: &tz,
        start,
        end,
    };
    let Ok(spec) = GraphSpec::parse(&args, &ctx) else {
        return;
    };
    let mut o = GraphOptions {
        start,
        end,
        ..GraphOptions::default()
    };
    o.layout.width = 120;
    o.layout.height = 40;
    let win = Window {
        start,
        end,
        step: 720,
    };
    let env = EvalEnv {
        now: end,
        tz: &tz,
        missing_as_unknown: false,
    };
    let Ok(data) = compute(&spec, &win, &env, &mut Ramp) else {
        return;
    };
    let metrics = Metrics::new();
    let Ok(layout) = render::graph_layout(&metrics, &spec, &o, &[]) else {
        return;
    };
    if layout.ximg > 2000 || layout.yimg > 2000 {
        return;
    }
    let painted = render::paint_values(&spec, &data, start, end, layout.xsize as usize, false);
    let Ok(grids) = render::grids(&o, &painted, &layout, &tz) else {
        return;
    };
    let (w, h) = (layout.ximg as u32, layout.yimg as u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let mut backend = plotters_bitmap::BitMapBackend::with_buffer(&mut buf, (w, h));
    let mut canvas = RasterCanvas::new(&mut backend);
    render::draw(&mut canvas, &spec, &data, &o, &layout, &painted, &grids);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed seeds, and a few thousand mutations of them, run
    /// without panicking.
    #[test]
    fn seeds_and_mutations_never_panic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/graph_args");
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .expect("fuzz/seeds/graph_args")
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        seeds.sort();
        assert!(seeds.len() >= 4);
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for s in &seeds {
            graph_args(s);
            for _ in 0..300 {
                let mut m = s.clone();
                for _ in 0..1 + next() % 4 {
                    let i = (next() % m.len() as u64) as usize;
                    let alphabet = b":#,=\\\n0123456789abcdefLINEAREASTACK";
                    m[i] = alphabet[(next() % alphabet.len() as u64) as usize];
                }
                graph_args(&m);
            }
        }
    }
}
