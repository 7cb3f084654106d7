//! Body of the `graph_args` cargo-fuzz target in `fuzz/`, kept here so that
//! normal tests run it over the committed seed corpus on stable Rust.

use rrd_core::{FetchRequest, FetchResult};

use crate::canvas::Metrics;
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

/// Graph arguments, one per line, after a first line that sets the image
/// size and format (its first byte: bit 0 SVG, bit 2 pango markup, bit 3
/// DejaVu Sans for every text, 15 modulo 16 huge sizes): parse them; if they parse, compute the data, lay the
/// graph out and draw it. Any bytes are taken (as the command line takes
/// them); sizes are mostly small, sometimes anything a `u32` holds (which
/// the 100-million-pixel check must refuse before allocating). Must never
/// panic or hang.
pub fn graph_args(data: &[u8]) {
    let text = rrd_core::argbytes::encode_bytes(data);
    let mut lines = text.lines();
    let size = lines.next().unwrap_or_default().as_bytes();
    let byte = |i: usize| u32::from(size.get(i).copied().unwrap_or(0));
    let word = |i: usize| (byte(i) << 24) | (byte(i + 1) << 16) | (byte(i + 2) << 8) | byte(i + 3);
    let (width, height) = if byte(0) % 16 == 15 {
        (word(1).max(10), word(5).max(10))
    } else {
        (10 + byte(1) * 2, 10 + byte(2))
    };
    let format = if byte(0) % 2 == 0 {
        render::ImageFormat::Png
    } else {
        render::ImageFormat::Svg
    };
    let args: Vec<&str> = lines.take(64).collect();
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
    o.layout.width = width;
    o.layout.height = height;
    o.layout.fonts.markup = byte(0) & 4 != 0;
    if byte(0) & 8 != 0 {
        o.layout.fonts.faces = [crate::font::embedded(crate::font::Embedded::Sans); 5];
    }
    // what graph refuses before computing anything
    if render::check_image_size(f64::from(width), f64::from(height)).is_err() {
        return;
    }
    let win = Window {
        start,
        end,
        step: ((end - start) as u64 / u64::from(width)).max(1),
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
    let painted = render::paint_values(&spec, &data, start, end, layout.xsize as usize, false);
    let Ok(grids) = render::grids(&o, &painted, &layout, &tz) else {
        return;
    };
    let image = render::render_image(&spec, &data, &o, &layout, &painted, &grids, format, 1.0);
    if let (Ok(png), render::ImageFormat::Png) = (&image, format) {
        assert!(
            png_rows_whole(png),
            "PNG image data does not inflate to its rows"
        );
    }
}

/// Whether a PNG's image data inflates, by an independent inflater, to
/// exactly the rows its header declares (each behind its filter byte):
/// the graph deflater's streams checked on every fuzzed image of up to
/// 16 MiB of rows.
fn png_rows_whole(png: &[u8]) -> bool {
    use std::io::Read;
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap_or_default()) as usize;
    let (mut i, mut idat, mut need) = (8, Vec::new(), None);
    while i + 12 <= png.len() {
        let n = be(&png[i..i + 4]);
        let Some(body) = png.get(i + 8..i + 8 + n) else {
            return false;
        };
        match &png[i + 4..i + 8] {
            b"IHDR" if n == 13 => {
                let channels = match body[9] {
                    0 | 3 => 1,
                    4 => 2,
                    2 => 3,
                    6 => 4,
                    _ => return false,
                };
                let bits = be(&body[0..4]) * channels * usize::from(body[8]);
                need = Some(be(&body[4..8]) * (bits.div_ceil(8) + 1));
            }
            b"IDAT" => idat.extend_from_slice(body),
            _ => {}
        }
        i += 12 + n;
    }
    match need {
        Some(need) if need > 16 << 20 => true,
        Some(need) => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(&idat[..])
                .read_to_end(&mut out)
                .is_ok()
                && out.len() == need
        }
        None => false,
    }
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
                    let alphabet = b":#,=\\\n0123456789abcdefLINEAREASTACK\xff\xc3";
                    m[i] = alphabet[(next() % alphabet.len() as u64) as usize];
                }
                graph_args(&m);
            }
        }
    }
}
