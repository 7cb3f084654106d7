//! Drawing surfaces for graphs: the raster surface over a plotters
//! backend (our RGBA bitmap, see `bitmap.rs`), the `--zoom` wrapper, and
//! what they share with the SVG writer (`svg.rs`): colours, texts laid out
//! by [`crate::font`] and drawn as glyph outlines, so that no system font
//! or C library is needed.
//!
//! Shapes come in rrdtool's device coordinates (pixels, y down, fractions
//! allowed). The raster surface fills polygons and strokes with coverage
//! anti-aliasing (`ab_glyph_rasterizer`) and blends them through the
//! backend's `draw_pixel`.

use crate::font::Font;
use ab_glyph_rasterizer::{point, Rasterizer};
use plotters_backend::{BackendColor, DrawingBackend};

/// A colour with components in 0..=1, as rrdtool keeps them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    /// Red.
    pub r: f64,
    /// Green.
    pub g: f64,
    /// Blue.
    pub b: f64,
    /// Opacity.
    pub a: f64,
}

impl Rgba {
    /// A colour from 8-bit components.
    pub fn from_u8(r: u8, g: u8, b: u8, a: u8) -> Rgba {
        let f = |v: u8| f64::from(v) / 255.0;
        Rgba {
            r: f(r),
            g: f(g),
            b: f(b),
            a: f(a),
        }
    }

    /// The same colour with its opacity multiplied by `k`.
    pub fn fade(self, k: f64) -> Rgba {
        Rgba {
            a: self.a * k,
            ..self
        }
    }

    fn backend(self) -> BackendColor {
        // cairo keeps 16 bits, floor(d * 65535 + 0.5), and writes the high byte
        let c = |d: f64| ((d.clamp(0.0, 1.0) * 65535.0 + 0.5).floor() as u32 >> 8) as u8;
        BackendColor {
            alpha: self.a.clamp(0.0, 1.0),
            rgb: (c(self.r), c(self.g), c(self.b)),
        }
    }
}

/// Horizontal text alignment relative to the anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HAlign {
    /// Text starts at the anchor.
    Left,
    /// Text is centred on the anchor.
    Center,
    /// Text ends at the anchor.
    Right,
}

/// Vertical text alignment relative to the anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VAlign {
    /// The top of the text's line box is at the anchor.
    Top,
    /// The middle of the line box is at the anchor.
    Center,
    /// The bottom of the line box is at the anchor.
    Bottom,
}

/// Text metrics at rrdtool's 100 dpi, rounded as pango's hinted metrics
/// are (see [`crate::font`]).
#[derive(Debug, Clone, Default)]
pub struct Metrics;

impl Metrics {
    /// The metrics.
    pub fn new() -> Metrics {
        Metrics
    }

    /// Advance of one character, whole pixels.
    pub fn advance(&self, font: Font, c: char) -> f64 {
        let mut b = [0u8; 4];
        crate::font::shape(font, c.encode_utf8(&mut b)).width
    }

    /// Width of `text` in pixels, shaped (tabs count as spaces; callers
    /// expand them).
    pub fn width(&self, font: Font, text: &str) -> f64 {
        crate::font::shape(font, text).width
    }

    /// Height of the line box of `text` (markup may make it taller).
    pub fn text_height(&self, font: Font, text: &str) -> f64 {
        crate::font::shape(font, text).height
    }
}

/// One text to draw.
#[derive(Debug, Clone)]
pub struct Text<'a> {
    /// Anchor x.
    pub x: f64,
    /// Anchor y.
    pub y: f64,
    /// Face and size.
    pub font: Font,
    /// Colour.
    pub color: Rgba,
    /// Alignment to the anchor.
    pub h: HAlign,
    /// Alignment to the anchor.
    pub v: VAlign,
    /// Rotation: 0, 90 (reads bottom to top) or -90 (reads top to bottom).
    pub angle: i32,
    /// The text.
    pub text: &'a str,
}

/// What graph drawing needs from a surface.
pub trait Canvas {
    /// Fills a polygon (non-zero winding).
    fn fill(&mut self, pts: &[(f64, f64)], color: Rgba);
    /// Fills `whole`, which is the union of `pieces` that cover different
    /// pixel rows and keep `whole`'s edges (in direction too) but for
    /// horizontal ones: a rasterizing surface fills the pieces one by one,
    /// the same pixels from a smaller area scanned; others fill `whole`.
    fn fill_pieces(&mut self, whole: &[(f64, f64)], pieces: &[&[(f64, f64)]], color: Rgba) {
        let _ = pieces;
        self.fill(whole, color);
    }
    /// Strokes a polyline of the given width; `dash` is (on, off, offset).
    fn stroke(
        &mut self,
        pts: &[(f64, f64)],
        width: f64,
        color: Rgba,
        dash: Option<(f64, f64, f64)>,
    );
    /// Draws a text.
    fn text(&mut self, t: &Text<'_>);
    /// The font metrics used for layout.
    fn metrics(&self) -> &Metrics;
}

/// Drops repeated points and the middle points of straight horizontal or
/// vertical runs (rrdtool merges those too).
fn simplify(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(pts.len());
    for &p in pts {
        if out.last() == Some(&p) {
            continue;
        }
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            if (a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1) {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

/// Splits a polyline into its dashes.
fn dashed(pts: &[(f64, f64)], on: f64, off: f64, offset: f64) -> Dashes {
    if on <= 0.0 || off < 0.0 || pts.len() < 2 {
        return Dashes::whole(pts);
    }
    // dashes finer than this many to the line are drawn solid: a period of
    // 1e-7 pixels (`dashes=1e-7`) would otherwise make billions of points
    let length: f64 = pts
        .windows(2)
        .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
        .sum();
    let periods = length / (on + off);
    if periods.is_nan() || periods > MAX_DASHES {
        return Dashes::whole(pts);
    }
    // the dashes' points one after another, each dash a range of them: two
    // allocations for the hundreds of dots of a grid line
    let mut out = Dashes::default();
    let period = on + off;
    let mut phase = offset.rem_euclid(period);
    // the dash being built is out.pts[start..]
    let mut start = 0;
    if phase < on {
        out.pts.push(pts[0]);
    }
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut t = 0.0;
        while t < len {
            let left = if phase < on {
                on - phase
            } else {
                period - phase
            };
            let step = left.min(len - t);
            t += step;
            phase += step;
            let p = (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
            if phase >= period {
                phase -= period;
            }
            let building = out.pts.len() > start;
            if (phase - on).abs() < 1e-9 || (phase >= on && building && step == left) {
                // end of a dash
                out.pts.push(p);
                if out.pts.len() - start >= 2 {
                    out.ends.push((start, out.pts.len()));
                    start = out.pts.len();
                }
                out.pts.truncate(start);
            } else if phase.abs() < 1e-9 {
                out.pts.truncate(start);
                out.pts.push(p);
            } else if phase < on {
                out.pts.push(p);
            }
        }
    }
    if out.pts.len() - start >= 2 {
        out.ends.push((start, out.pts.len()));
    }
    out
}

/// Most dash periods along one stroke.
const MAX_DASHES: f64 = 1_000_000.0;

/// Pieces of a polyline: `pts[a..b]` for each `(a, b)` of `ends`.
#[derive(Debug, Default)]
struct Dashes {
    pts: Vec<(f64, f64)>,
    ends: Vec<(usize, usize)>,
}

impl Dashes {
    /// The whole polyline as one piece.
    fn whole(pts: &[(f64, f64)]) -> Dashes {
        Dashes {
            pts: pts.to_vec(),
            ends: vec![(0, pts.len())],
        }
    }

    fn parts(&self) -> impl Iterator<Item = &[(f64, f64)]> + '_ {
        self.ends.iter().map(|&(a, b)| &self.pts[a..b])
    }
}

/// The outline of a stroke: one quad per segment and a disc at every
/// vertex (round joins and caps) when wider than a pixel, all with the same
/// orientation so that overlaps do not cancel.
fn stroke_outline(pts: &[(f64, f64)], width: f64, round: bool) -> Vec<Vec<(f64, f64)>> {
    let hw = width / 2.0;
    let mut polys = Vec::new();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            continue;
        }
        let (nx, ny) = (-dy / len * hw, dx / len * hw);
        polys.push(vec![
            (a.0 + nx, a.1 + ny),
            (b.0 + nx, b.1 + ny),
            (b.0 - nx, b.1 - ny),
            (a.0 - nx, a.1 - ny),
        ]);
    }
    if round {
        for &(x, y) in pts {
            let n = 16;
            polys.push(
                (0..n)
                    .map(|k| {
                        let t = std::f64::consts::TAU * f64::from(k) / f64::from(n);
                        (x + hw * t.cos(), y + hw * t.sin())
                    })
                    .collect(),
            );
        }
    }
    // one orientation for all (positive signed area)
    for p in &mut polys {
        let area: f64 = (0..p.len())
            .map(|i| {
                let (a, b) = (p[i], p[(i + 1) % p.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum();
        if area < 0.0 {
            p.reverse();
        }
    }
    polys
}

/// A bitmap surface over any plotters backend that draws pixels (the
/// bitmap backend, in practice).
pub(crate) struct RasterCanvas<'b, B: DrawingBackend> {
    backend: &'b mut B,
    metrics: Metrics,
    size: (u32, u32),
    /// Reused coverage accumulator.
    raster: Rasterizer,
}

/// Whether every edge of `p` is horizontal or vertical and every vertex on
/// whole pixels.
fn rectilinear(p: &[(f64, f64)]) -> bool {
    p.len() >= 4
        && p.iter().all(|&(x, y)| x.fract() == 0.0 && y.fract() == 0.0)
        && (0..p.len()).all(|i| {
            let (a, b) = (p[i], p[(i + 1) % p.len()]);
            a.0 == b.0 || a.1 == b.1
        })
}

/// The corners of an axis-aligned rectangle on whole pixels, if `p` is one.
fn pixel_rect(p: &[(f64, f64)]) -> Option<(f64, f64, f64, f64)> {
    if p.len() != 4 || p.iter().any(|&(x, y)| x.fract() != 0.0 || y.fract() != 0.0) {
        return None;
    }
    let xs: Vec<f64> = p.iter().map(|q| q.0).collect();
    let ys: Vec<f64> = p.iter().map(|q| q.1).collect();
    let (x0, x1) = (
        xs.iter().copied().fold(f64::MAX, f64::min),
        xs.iter().copied().fold(f64::MIN, f64::max),
    );
    let (y0, y1) = (
        ys.iter().copied().fold(f64::MAX, f64::min),
        ys.iter().copied().fold(f64::MIN, f64::max),
    );
    let corner = |x: f64, y: f64| p.contains(&(x, y));
    (corner(x0, y0) && corner(x1, y0) && corner(x1, y1) && corner(x0, y1))
        .then_some((x0, y0, x1, y1))
}

impl<'b, B: DrawingBackend> RasterCanvas<'b, B> {
    /// A surface drawing into `backend`.
    pub fn new(backend: &'b mut B) -> Self {
        let size = backend.get_size();
        RasterCanvas {
            backend,
            metrics: Metrics::new(),
            size,
            raster: Rasterizer::new(0, 0),
        }
    }

    /// Fills a polygon whose edges are horizontal or vertical on whole
    /// pixels: per pixel row, the spans between its vertical edges
    /// (non-zero winding), as runs of whole-pixel rectangles.
    fn fill_rectilinear(&mut self, p: &[(f64, f64)], color: Rgba) {
        let (w, h) = (i64::from(self.size.0), i64::from(self.size.1));
        // vertical edges: x, y from, y to, direction
        let mut edges: Vec<(i64, i64, i64, i32)> = Vec::new();
        for i in 0..p.len() {
            let (a, b) = (p[i], p[(i + 1) % p.len()]);
            if a.0 == b.0 && a.1 != b.1 {
                let (y0, y1, d) = if a.1 < b.1 {
                    (a.1 as i64, b.1 as i64, 1)
                } else {
                    (b.1 as i64, a.1 as i64, -1)
                };
                edges.push((a.0 as i64, y0, y1, d));
            }
        }
        let ymin = edges.iter().map(|e| e.1).min().unwrap_or(0).max(0);
        let ymax = edges.iter().map(|e| e.2).max().unwrap_or(0).min(h);
        let base = color.backend();
        let mut crossings: Vec<(i64, i32)> = Vec::new();
        // rows with the same spans are filled together
        let mut run: Option<(i64, Vec<(i64, i64)>)> = None;
        let flush = |run: &mut Option<(i64, Vec<(i64, i64)>)>, end: i64, backend: &mut B| {
            if let Some((y0, spans)) = run.take() {
                for (x0, x1) in spans {
                    let _ = backend.draw_rect(
                        (x0.max(0) as i32, y0 as i32),
                        (x1.min(w) as i32, end as i32),
                        &base,
                        true,
                    );
                }
            }
        };
        for y in ymin..ymax {
            crossings.clear();
            crossings.extend(
                edges
                    .iter()
                    .filter(|e| e.1 <= y && y < e.2)
                    .map(|e| (e.0, e.3)),
            );
            crossings.sort_unstable();
            let mut spans = Vec::new();
            let mut winding = 0;
            let mut start = 0;
            for &(x, d) in &crossings {
                let before = winding;
                winding += d;
                if before == 0 && winding != 0 {
                    start = x;
                } else if before != 0 && winding == 0 && x > start {
                    spans.push((start, x));
                }
            }
            match &run {
                Some((_, s)) if *s == spans => {}
                _ => {
                    flush(&mut run, y, &mut *self.backend);
                    run = Some((y, spans));
                }
            }
        }
        flush(&mut run, ymax, &mut *self.backend);
    }

    /// Blends a rectangle with fractional edges, each pixel by the area it
    /// covers.
    fn fill_rect_aa(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, color: Rgba) {
        let (w, h) = (f64::from(self.size.0), f64::from(self.size.1));
        let (x0, y0, x1, y1) = (x0.max(0.0), y0.max(0.0), x1.min(w), y1.min(h));
        if !(x1 > x0 && y1 > y0) || color.a <= 0.0 {
            return;
        }
        let base = color.backend();
        let mut y = y0.floor();
        while y < y1 {
            let cy = (y1.min(y + 1.0) - y0.max(y)).max(0.0);
            let mut x = x0.floor();
            while x < x1 {
                let cx = (x1.min(x + 1.0) - x0.max(x)).max(0.0);
                let cov = cx * cy;
                if cov > 0.002 {
                    let _ = self
                        .backend
                        .draw_pixel((x as i32, y as i32), base.mix(cov.min(1.0)));
                }
                x += 1.0;
            }
            y += 1.0;
        }
    }

    /// Fills a disc (a round join or cap) with exact coverage, from a
    /// per-thread cache of masks by radius and subpixel position.
    fn fill_disc(&mut self, (cx, cy): (f64, f64), r: f64, color: Rgba) {
        if !(r > 0.0 && r < 64.0) || color.a <= 0.0 {
            return;
        }
        let (ix, iy) = (cx.floor(), cy.floor());
        let (fx, fy) = (cx - ix, cy - iy);
        let key = (r.to_bits(), fx.to_bits(), fy.to_bits());
        let mask = disc_mask(key, r, fx, fy);
        let (n, cov) = (mask.0, &mask.1);
        let side = (2 * n + 1) as usize;
        let base = color.backend();
        let (w, h) = (self.size.0 as i32, self.size.1 as i32);
        // row by row (no division per pixel)
        for (dy, row) in cov.chunks_exact(side).enumerate() {
            let py = iy as i32 + dy as i32 - n;
            if py < 0 || py >= h {
                continue;
            }
            for (dx, &c) in row.iter().enumerate() {
                let px = ix as i32 + dx as i32 - n;
                if c > 0.0 && px >= 0 && px < w {
                    paint(&mut *self.backend, base, (px, py), c);
                }
            }
        }
    }

    /// Rasterizes closed polygons together and blends the coverage.
    fn blend(&mut self, polys: &[Vec<(f64, f64)>], color: Rgba) {
        let (w, h) = (f64::from(self.size.0), f64::from(self.size.1));
        let (x0, y0, x1, y1) = pixel_bounds(polys);
        let (x0, y0) = (x0.max(0.0), y0.max(0.0));
        let (x1, y1) = (x1.min(w), y1.min(h));
        if !(x1 > x0 && y1 > y0) || color.a <= 0.0 {
            return;
        }
        let (bw, bh) = ((x1 - x0) as usize, (y1 - y0) as usize);
        // a rectangle on whole pixels needs no coverage computation
        if let [p] = polys {
            if let Some((rx0, ry0, rx1, ry1)) = pixel_rect(p) {
                let (rx0, ry0) = (rx0.max(0.0), ry0.max(0.0));
                let (rx1, ry1) = (rx1.min(w), ry1.min(h));
                if rx1 > rx0 && ry1 > ry0 {
                    // plotters' bitmap fills [x0, x1) x [y0, y1)
                    let _ = self.backend.draw_rect(
                        (rx0 as i32, ry0 as i32),
                        (rx1 as i32, ry1 as i32),
                        &color.backend(),
                        true,
                    );
                }
                return;
            }
        }
        // a polygon of horizontal and vertical edges on whole pixels (an
        // area in staircase mode) covers whole pixels: fill it span by span
        if let [p] = polys {
            if rectilinear(p) {
                self.fill_rectilinear(p, color);
                return;
            }
        }
        let r = &mut self.raster;
        trace(r, polys, (x0, y0), (bw, bh));
        let base = color.backend();
        let (ox, oy) = (x0 as i32, y0 as i32);
        let backend = &mut *self.backend;
        r.for_each_pixel_2d(|x, y, cov| paint(backend, base, (ox + x as i32, oy + y as i32), cov));
    }
}

/// A disc's coverage: its half-size `n` and `(2n + 1)^2` coverages, row
/// by row.
type DiscMask = std::rc::Rc<(i32, Vec<f32>)>;
/// A disc mask's key: radius and subpixel position, as bits.
type DiscKey = (u64, u64, u64);

thread_local! {
    static DISCS: std::cell::RefCell<std::collections::HashMap<DiscKey, DiscMask>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
    // the last mask used: a line's vertices mostly share their subpixel
    // position, and hashing the key cost more than drawing the disc
    static LAST_DISC: std::cell::RefCell<Option<(DiscKey, DiscMask)>> =
        const { std::cell::RefCell::new(None) };
}

/// The mask of a disc of radius `r` at subpixel position `(fx, fy)`
/// (`key`), from the per-thread caches or made.
fn disc_mask(key: DiscKey, r: f64, fx: f64, fy: f64) -> DiscMask {
    let last = LAST_DISC.with(|l| {
        l.borrow()
            .as_ref()
            .and_then(|(k, m)| (*k == key).then(|| m.clone()))
    });
    if let Some(m) = last {
        return m;
    }
    let m = DISCS.with(|d| {
        let mut d = d.borrow_mut();
        if d.len() > 256 {
            d.clear();
        }
        d.entry(key)
            .or_insert_with(|| {
                // pixels from -n to n around the centre's pixel, each
                // sampled 16 x 16
                let n = r.ceil() as i32 + 1;
                let side = (2 * n + 1) as usize;
                let mut cov = vec![0f32; side * side];
                for py in -n..=n {
                    for px in -n..=n {
                        let mut hits = 0;
                        for sy in 0..16 {
                            for sx in 0..16 {
                                let x = f64::from(px) + (f64::from(sx) + 0.5) / 16.0 - fx;
                                let y = f64::from(py) + (f64::from(sy) + 0.5) / 16.0 - fy;
                                hits += i32::from(x * x + y * y <= r * r);
                            }
                        }
                        cov[((py + n) as usize) * side + (px + n) as usize] = hits as f32 / 256.0;
                    }
                }
                std::rc::Rc::new((n, cov))
            })
            .clone()
    });
    LAST_DISC.with(|l| *l.borrow_mut() = Some((key, m.clone())));
    m
}

/// The whole-pixel box around polygons: floor of the least corner, ceiling
/// of the greatest.
fn pixel_bounds(polys: &[Vec<(f64, f64)>]) -> (f64, f64, f64, f64) {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in polys.iter().flatten() {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    (x0.floor(), y0.floor(), x1.ceil(), y1.ceil())
}

/// Resets `r` to a `size` box at `origin` and draws the polygons' edges in
/// it, clamped to the box.
fn trace(r: &mut Rasterizer, polys: &[Vec<(f64, f64)>], origin: (f64, f64), size: (usize, usize)) {
    let ((x0, y0), (bw, bh)) = (origin, size);
    r.reset(bw, bh);
    let clamp = |v: f64, hi: usize| (v.max(0.0).min(hi as f64)) as f32;
    for p in polys {
        for i in 0..p.len() {
            let (a, b) = (p[i], p[(i + 1) % p.len()]);
            r.draw_line(
                point(clamp(a.0 - x0, bw), clamp(a.1 - y0, bh)),
                point(clamp(b.0 - x0, bw), clamp(b.1 - y0, bh)),
            );
        }
    }
}

/// Blends `color` at a pixel with the rasterizer's coverage (ignoring
/// coverage too small to show).
#[inline(always)]
fn paint<B: DrawingBackend>(backend: &mut B, color: BackendColor, at: (i32, i32), cov: f32) {
    let cov = f64::from(cov.min(1.0));
    if cov > 0.002 {
        let _ = backend.draw_pixel(at, color.mix(cov));
    }
}

impl<B: DrawingBackend> Canvas for RasterCanvas<'_, B> {
    fn fill(&mut self, pts: &[(f64, f64)], color: Rgba) {
        let pts = simplify(pts);
        if pts.len() >= 3 {
            self.blend(&[pts], color);
        }
    }

    fn fill_pieces(&mut self, _whole: &[(f64, f64)], pieces: &[&[(f64, f64)]], color: Rgba) {
        for p in pieces {
            self.fill(p, color);
        }
    }

    fn stroke(
        &mut self,
        pts: &[(f64, f64)],
        width: f64,
        color: Rgba,
        dash: Option<(f64, f64, f64)>,
    ) {
        let dashes = match dash {
            Some((on, off, offset)) => dashed(pts, on, off, offset),
            None => Dashes::whole(pts),
        };
        let parts: Vec<&[(f64, f64)]> = dashes.parts().collect();
        let round = dash.is_none();
        // horizontal and vertical segments (grid lines, rules, staircase
        // lines) are rectangles whose pixel coverage is exact arithmetic;
        // pieces may overlap only where the colour is opaque
        let axis = |p: &&[(f64, f64)]| p.windows(2).all(|w| w[0].0 == w[1].0 || w[0].1 == w[1].1);
        if parts.iter().all(axis) && (color.a >= 1.0 || parts.iter().all(|p| p.len() <= 2)) {
            let hw = width / 2.0;
            for p in &parts {
                // joined segments of a solid line meet (and end) round, as
                // rrdtool's lines do: rectangles between the points and a
                // disc on each point; dashes and lone segments end butt
                let joined = p.len() > 2;
                let ext = if joined && !round { hw } else { 0.0 };
                for w in p.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    if a.1 == b.1 {
                        let (l, r) = (a.0.min(b.0) - ext, a.0.max(b.0) + ext);
                        self.fill_rect_aa(l, a.1 - hw, r, a.1 + hw, color);
                    } else {
                        let (t, u) = (a.1.min(b.1) - ext, a.1.max(b.1) + ext);
                        self.fill_rect_aa(a.0 - hw, t, a.0 + hw, u, color);
                    }
                }
                if joined && round {
                    for &q in p.iter() {
                        self.fill_disc(q, hw, color);
                    }
                }
            }
            return;
        }
        // long polylines are rasterized in pieces, so that each piece's
        // box (and the pixels visited) stays small
        const PIECE: usize = 12;
        for p in &parts {
            let mut k = 0;
            while k + 1 < p.len() {
                let end = (k + PIECE).min(p.len() - 1);
                let polys = stroke_outline(&p[k..=end], width, round);
                self.blend(&polys, color);
                k = end;
            }
        }
    }

    fn text(&mut self, t: &Text<'_>) {
        // marked-up texts skip the coverage cache: its key is the text, and
        // with markup what a text draws depends on the graph (bad markup
        // draws the layout's previous text)
        if t.font.markup || !one_colour(&crate::font::shape(t.font, t.text)) {
            for (color, polys) in text_groups(t) {
                self.blend(&polys, color);
            }
            return;
        }
        if self.text_from_cache(t) {
            return;
        }
        let polys = glyph_outlines(t);
        // glyph outlines have contours of both orientations (holes): fill
        // them as one shape
        self.blend(&polys, t.color);
    }

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// What identifies a text's coverage: text space is placed on whole
/// pixels (`glyph_outlines` rounds the anchor), so the same text, size,
/// angle and alignment covers the same pixels wherever it is drawn.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TextKey {
    text: String,
    face: usize,
    points: u64,
    angle: i32,
    h: u8,
    v: u8,
}

/// A text's coverage relative to its rounded anchor.
#[derive(Debug)]
struct TextCoverage {
    ox: f64,
    oy: f64,
    w: usize,
    h: usize,
    cov: Vec<f32>,
}

/// Texts cached per thread (axis labels, legends and titles repeat from
/// graph to graph); the cache is dropped whole past this many entries or
/// bytes of coverage, so a thread holds at most about 4 MiB of it.
const TEXT_CACHE_ENTRIES: usize = 4096;
const TEXT_CACHE_BYTES: usize = 4 << 20;

/// The per-thread text cache and the coverage bytes it holds.
type TextCache = (
    std::collections::HashMap<TextKey, Option<std::rc::Rc<TextCoverage>>>,
    usize,
);

thread_local! {
    static TEXT_CACHE: std::cell::RefCell<TextCache> = std::cell::RefCell::new(Default::default());
}

impl<B: DrawingBackend> RasterCanvas<'_, B> {
    /// Draws `t` from its cached coverage (computing it the first time) when
    /// it lies wholly inside the image, as `blend` would draw its outlines;
    /// false when the caller must draw it the long way (a text reaching
    /// outside, or one that is a single polygon, which `blend` may fill as
    /// a rectangle).
    fn text_from_cache(&mut self, t: &Text<'_>) -> bool {
        let key = TextKey {
            text: t.text.to_string(),
            face: std::ptr::from_ref(t.font.face) as usize,
            points: t.font.size.to_bits(),
            angle: t.angle,
            h: t.h as u8,
            v: t.v as u8,
        };
        let cached = TEXT_CACHE.with(|c| c.borrow().0.get(&key).cloned());
        let coverage = match cached {
            Some(Some(c)) => c,
            Some(None) => return false,
            None => {
                let made = self.text_coverage(t).map(std::rc::Rc::new);
                TEXT_CACHE.with(|c| {
                    let (map, bytes) = &mut *c.borrow_mut();
                    let size = made.as_ref().map_or(0, |m| m.cov.len() * 4) + key.text.len() + 64;
                    if map.len() >= TEXT_CACHE_ENTRIES || *bytes + size > TEXT_CACHE_BYTES {
                        map.clear();
                        *bytes = 0;
                    }
                    *bytes += size;
                    map.insert(key, made.clone());
                });
                match made {
                    Some(c) => c,
                    None => return false,
                }
            }
        };
        let (w, h) = (f64::from(self.size.0), f64::from(self.size.1));
        let (x0, y0) = (t.x.round() + coverage.ox, t.y.round() + coverage.oy);
        if x0 < 0.0 || y0 < 0.0 || x0 + coverage.w as f64 > w || y0 + coverage.h as f64 > h {
            return false;
        }
        if t.color.a <= 0.0 {
            return true;
        }
        let base = t.color.backend();
        let (ox, oy) = (x0 as i32, y0 as i32);
        for (i, &c) in coverage.cov.iter().enumerate() {
            let (x, y) = ((i % coverage.w) as i32, (i / coverage.w) as i32);
            paint(&mut *self.backend, base, (ox + x, oy + y), c);
        }
        true
    }

    /// The coverage of `t` drawn at the origin, rasterized as `blend` does.
    fn text_coverage(&mut self, t: &Text<'_>) -> Option<TextCoverage> {
        let at_origin = Text {
            x: 0.0,
            y: 0.0,
            ..*t
        };
        let polys = glyph_outlines(&at_origin);
        if polys.len() < 2 {
            return None;
        }
        let (x0, y0, x1, y1) = pixel_bounds(&polys);
        if !(x1 > x0 && y1 > y0) || x1 - x0 > 4096.0 || y1 - y0 > 4096.0 {
            return None;
        }
        let (bw, bh) = ((x1 - x0) as usize, (y1 - y0) as usize);
        let r = &mut self.raster;
        trace(r, &polys, (x0, y0), (bw, bh));
        let mut cov = vec![0.0f32; bw * bh];
        r.for_each_pixel(|i, c| {
            if let Some(v) = cov.get_mut(i) {
                *v = c;
            }
        });
        Some(TextCoverage {
            ox: x0,
            oy: y0,
            w: bw,
            h: bh,
            cov,
        })
    }
}

/// The glyph outlines of a text, flattened to polygons in device space,
/// positioned as rrdtool positions text (origins on whole pixels).
fn glyph_outlines(t: &Text<'_>) -> Vec<Vec<(f64, f64)>> {
    text_groups(t).into_iter().flat_map(|(_, p)| p).collect()
}

/// Flattens a glyph outline (pixels, y up) into polygons through `fp`.
fn flatten(
    segs: &[crate::font::Seg],
    fp: impl Fn(f64, f64) -> (f64, f64),
    polys: &mut Vec<Vec<(f64, f64)>>,
) {
    use crate::font::Seg;
    let mut cur: Vec<(f64, f64)> = Vec::new();
    let mut at = (0.0, 0.0);
    for &seg in segs {
        match seg {
            Seg::Move(x, y) => {
                if cur.len() >= 3 {
                    polys.push(std::mem::take(&mut cur));
                }
                cur.clear();
                cur.push(fp(x, y));
                at = (x, y);
            }
            Seg::Line(x, y) => {
                cur.push(fp(x, y));
                at = (x, y);
            }
            Seg::Quad(cx, cy, x, y) => {
                for k in 1..=4 {
                    let t = f64::from(k) / 4.0;
                    let u = 1.0 - t;
                    cur.push(fp(
                        u * u * at.0 + 2.0 * u * t * cx + t * t * x,
                        u * u * at.1 + 2.0 * u * t * cy + t * t * y,
                    ));
                }
                at = (x, y);
            }
            Seg::Cubic(ax, ay, bx, by, x, y) => {
                for k in 1..=6 {
                    let t = f64::from(k) / 6.0;
                    let u = 1.0 - t;
                    cur.push(fp(
                        u * u * u * at.0
                            + 3.0 * u * u * t * ax
                            + 3.0 * u * t * t * bx
                            + t * t * t * x,
                        u * u * u * at.1
                            + 3.0 * u * u * t * ay
                            + 3.0 * u * t * t * by
                            + t * t * t * y,
                    ));
                }
                at = (x, y);
            }
            Seg::Close => {}
        }
    }
    if cur.len() >= 3 {
        polys.push(cur);
    }
}

/// Whether a laid-out text is drawn in one colour, the text's own.
fn one_colour(shaped: &crate::font::Shaped) -> bool {
    shaped.decos.is_empty()
        && shaped
            .styles
            .iter()
            .all(|s| s.color.is_none() && s.alpha == 1.0)
}

/// Polygons filled in one colour.
type Painted = (Rgba, Vec<Vec<(f64, f64)>>);

/// The shapes of a text in drawing order, each with its colour: span
/// backgrounds, the glyphs of each run, underlines and strikethroughs.
fn text_groups(t: &Text<'_>) -> Vec<Painted> {
    let shaped = crate::font::shape(t.font, t.text);
    let width = shaped.width;
    let height = shaped.height;
    let dx = match t.h {
        HAlign::Left => 0.0,
        HAlign::Center => -(width / 2.0).floor(),
        HAlign::Right => -width,
    };
    let dy = match t.v {
        VAlign::Top => 0.0,
        VAlign::Center => -(height / 2.0).floor(),
        VAlign::Bottom => -height,
    };
    let ascent = shaped.ascent;
    let (sin, cos) = match t.angle {
        90 => (-1.0, 0.0),
        -90 => (1.0, 0.0),
        _ => (0.0, 1.0),
    };
    // text space (x right, y down from the line box top) to device space
    let place = |x: f64, y: f64| {
        let (x, y) = (x + dx, y + dy);
        (
            t.x.round() + x * cos - y * sin,
            t.y.round() + x * sin + y * cos,
        )
    };
    let style_color = |k: usize| {
        let s = shaped.styles[k];
        s.color.unwrap_or(t.color).fade(s.alpha)
    };
    let rect = |(x0, y0, x1, y1): (f64, f64, f64, f64)| {
        vec![
            place(x0, ascent + y0),
            place(x1, ascent + y0),
            place(x1, ascent + y1),
            place(x0, ascent + y1),
        ]
    };
    let mut groups: Vec<Painted> = Vec::new();
    for d in &shaped.decos {
        if let Some(bg) = d.background {
            groups.push((bg, vec![rect(d.rect)]));
        }
    }
    let mut polys = Vec::new();
    let mut style = usize::MAX;
    for g in &shaped.glyphs {
        if g.style != style {
            if !polys.is_empty() {
                groups.push((style_color(style), std::mem::take(&mut polys)));
            }
            style = g.style;
        }
        let (pen, gy) = (g.x, g.y);
        let fp = |x: f64, y: f64| place(pen + x, ascent + gy - y);
        flatten(&g.face.outline(g.size, g.id), fp, &mut polys);
    }
    if !polys.is_empty() {
        groups.push((style_color(style), polys));
    }
    for d in &shaped.decos {
        if d.background.is_none() {
            groups.push((style_color(d.style), vec![rect(d.rect)]));
        }
    }
    groups
}

/// A canvas seen through rrdtool's `--zoom`: everything is drawn `factor`
/// times larger on the surface beneath, while layout stays unzoomed.
pub struct Zoom<'c> {
    inner: &'c mut dyn Canvas,
    factor: f64,
}

impl<'c> Zoom<'c> {
    /// Draws on `inner` at `factor` times the size.
    pub fn new(inner: &'c mut dyn Canvas, factor: f64) -> Zoom<'c> {
        Zoom { inner, factor }
    }

    fn scale(&self, pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
        pts.iter()
            .map(|&(x, y)| (x * self.factor, y * self.factor))
            .collect()
    }
}

impl Canvas for Zoom<'_> {
    fn fill(&mut self, pts: &[(f64, f64)], color: Rgba) {
        let p = self.scale(pts);
        self.inner.fill(&p, color);
    }

    fn fill_pieces(&mut self, whole: &[(f64, f64)], pieces: &[&[(f64, f64)]], color: Rgba) {
        // scaled, the pieces' rows may meet inside a pixel: fill whole
        if self.factor == 1.0 {
            self.inner.fill_pieces(whole, pieces, color);
        } else {
            self.fill(whole, color);
        }
    }

    fn stroke(
        &mut self,
        pts: &[(f64, f64)],
        width: f64,
        color: Rgba,
        dash: Option<(f64, f64, f64)>,
    ) {
        let p = self.scale(pts);
        let k = self.factor;
        let dash = dash.map(|(on, off, o)| (on * k, off * k, o * k));
        self.inner.stroke(&p, width * k, color, dash);
    }

    fn text(&mut self, t: &Text<'_>) {
        let k = self.factor;
        self.inner.text(&Text {
            x: t.x * k,
            y: t.y * k,
            font: t.font.at(t.font.size * k),
            ..t.clone()
        });
    }

    fn metrics(&self) -> &Metrics {
        self.inner.metrics()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_rrdtools_pango_at_100_dpi() {
        // measured from rrdtool 1.7.2 graphv (DejaVu Sans Mono, hinted)
        let m = Metrics::new();
        for (pt, adv, h) in [
            (5.5, 5.0, 10.0),
            (7.0, 6.0, 13.0),
            (8.0, 7.0, 14.0),
            (9.0, 8.0, 15.0),
            (10.0, 8.0, 17.0),
            (12.0, 10.0, 20.0),
        ] {
            assert_eq!(
                m.advance(Font::default_at(pt), 'x'),
                adv,
                "advance at {pt} pt"
            );
            assert_eq!(
                m.text_height(Font::default_at(pt), "x"),
                h,
                "height at {pt} pt"
            );
        }
        assert_eq!(m.width(Font::default_at(8.0), "  Line x"), 56.0);
    }

    /// Draws with `f` on a fresh 300x120 bitmap and returns its pixels.
    fn pixels(f: impl FnOnce(&mut RasterCanvas<'_, crate::bitmap::RgbaBitmap>)) -> Vec<[u8; 4]> {
        let mut bitmap = crate::bitmap::RgbaBitmap::new(300, 120);
        let white = BackendColor {
            alpha: 1.0,
            rgb: (255, 255, 255),
        };
        bitmap.draw_rect((0, 0), (300, 120), &white, true).unwrap();
        {
            let mut canvas = RasterCanvas::new(&mut bitmap);
            f(&mut canvas);
        }
        let mut out = Vec::new();
        for y in 0..120 {
            for x in 0..300 {
                out.push(bitmap.pixel(x, y));
            }
        }
        out
    }

    #[test]
    fn cached_text_covers_the_same_pixels_as_its_outlines() {
        let black = Rgba::from_u8(0, 0, 0, 255);
        for (x, y, h, v, angle) in [
            (10.0, 10.0, HAlign::Left, VAlign::Top, 0),
            (150.4, 60.6, HAlign::Center, VAlign::Center, 0),
            (290.0, 100.0, HAlign::Right, VAlign::Bottom, 0),
            (20.0, 110.0, HAlign::Center, VAlign::Center, 90),
            (5.0, 60.0, HAlign::Left, VAlign::Top, 0), // reaches outside: drawn the long way
        ] {
            let t = Text {
                x,
                y,
                font: Font::default_at(8.0),
                color: black,
                h,
                v,
                angle,
                text: "Sun 12:00 q|g",
            };
            // twice, so that the second comes from the cache
            let cached = pixels(|c| {
                c.text(&t);
                c.text(&Text {
                    x: 40.0,
                    ..t.clone()
                });
                c.text(&t);
            });
            let direct = pixels(|c| {
                for t in [
                    t.clone(),
                    Text {
                        x: 40.0,
                        ..t.clone()
                    },
                    t.clone(),
                ] {
                    let polys = glyph_outlines(&t);
                    c.blend(&polys, t.color);
                }
            });
            assert!(cached == direct, "text at ({x}, {y}) {h:?} {v:?} {angle}");
        }
    }

    #[test]
    fn filling_pieces_is_filling_the_whole() {
        let grey = Rgba::from_u8(120, 130, 140, 255);
        let (w, h, i) = (300.0, 120.0, 2.0);
        let whole = [
            (0.0, h),
            (i, h - i),
            (i, i),
            (w - i, i),
            (w, 0.0),
            (0.0, 0.0),
        ];
        let p1 = [(i, i), (w - i, i), (w, 0.0), (0.0, 0.0), (0.0, i)];
        let p2 = [(0.0, h), (i, h - i), (i, i), (0.0, i)];
        let pieces = pixels(|c| c.fill_pieces(&whole, &[&p1, &p2], grey));
        let one = pixels(|c| c.fill(&whole, grey));
        assert!(pieces == one);
        assert!(one.iter().any(|&p| p != [255; 4]), "something was drawn");
    }

    #[test]
    fn dashes_split_a_line() {
        let d = dashed(&[(0.0, 0.0), (10.0, 0.0)], 2.0, 2.0, 0.0);
        let d: Vec<_> = d.parts().collect();
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[0], [(0.0, 0.0), (2.0, 0.0)]);
        // absurdly fine dashes are drawn solid instead of as billions of points
        let d = dashed(&[(0.0, 0.0), (800.0, 0.0)], 1e-7, 1e-7, 0.0);
        assert_eq!(
            d.parts().collect::<Vec<_>>(),
            [&[(0.0, 0.0), (800.0, 0.0)][..]]
        );
    }
}
