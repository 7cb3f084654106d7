//! The raster surface graphs are drawn on, and its PNG encoding, as cairo
//! (rrdtool's renderer) has them.
//!
//! - **Pixels** are 8-bit premultiplied RGBA, starting transparent, and
//!   shapes are composited with the OVER operator in 8-bit arithmetic with
//!   rounded division by 255, as pixman does for cairo's image surfaces. A
//!   translucent background therefore stays translucent, and what is drawn
//!   on it keeps its own opacity.
//! - **PNG output** follows cairo's `cairo_surface_write_to_png`: an image
//!   whose every pixel is opaque is written as RGB, any other as RGBA with
//!   the colours un-premultiplied as cairo does. The samples are the same;
//!   the encoding is smaller: an image of at most 256 colours (most graphs)
//!   is written with a palette (and its transparency in `tRNS`), at the
//!   smallest bit depth that holds it; rows go unfiltered (flat colour
//!   deflates best that way) to the deflater for graphs in `deflate.rs`,
//!   and an image that compresses poorly there also filtered to zlib-rs
//!   at level 6, the smaller kept.

use std::cell::Cell;
use std::convert::Infallible;

use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, DrawingBackend, DrawingErrorKind,
};

/// `a * b / 255`, rounded, in 8 bits (pixman's `MUL_UN8`).
#[inline(always)]
fn mul_un8(a: u32, b: u32) -> u32 {
    let t = a * b + 128;
    (t + (t >> 8)) >> 8
}

/// A premultiplied RGBA image, drawn on through plotters' backend trait.
#[derive(Debug, Clone)]
pub struct RgbaBitmap {
    w: u32,
    h: u32,
    /// Premultiplied `[r, g, b, a]` per pixel, rows top down.
    px: Vec<[u8; 4]>,
    /// The last colour drawn pixel by pixel (alpha bits and RGB) and its
    /// premultiplied source: lines paint runs of one coverage.
    last_source: (u64, (u8, u8, u8), Option<[u32; 4]>),
}

thread_local! {
    /// The pixels of the last image dropped on this thread and the rows of
    /// the last PNG encoded, kept for the next: a graph's are megabytes,
    /// and fresh memory costs a page fault every 4 KiB, which was a third
    /// of an 800x300 graph's time.
    static SPARE_PX: Cell<Vec<[u8; 4]>> = const { Cell::new(Vec::new()) };
    static SPARE_ROWS: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The largest buffer kept for reuse (bytes): a 2000x2000 image's pixels.
const SPARE_MAX: usize = 16 << 20;

/// `v`, emptied, kept in `spare` for the next image if it is not too big.
fn keep<T>(spare: &'static std::thread::LocalKey<Cell<Vec<T>>>, mut v: Vec<T>) {
    if v.capacity() * std::mem::size_of::<T>() <= SPARE_MAX {
        v.clear();
        spare.set(v);
    }
}

/// A buffer of `n` zeros, reusing the one kept in `spare`.
fn zeroed<T: Copy + Default>(
    spare: &'static std::thread::LocalKey<Cell<Vec<T>>>,
    n: usize,
) -> Vec<T> {
    let mut v = spare.take();
    v.clear();
    v.resize(n, T::default());
    v
}

impl Drop for RgbaBitmap {
    fn drop(&mut self) {
        keep(&SPARE_PX, std::mem::take(&mut self.px));
    }
}

impl RgbaBitmap {
    /// A transparent image of `w` × `h` pixels.
    pub fn new(w: u32, h: u32) -> RgbaBitmap {
        RgbaBitmap {
            w,
            h,
            px: zeroed(&SPARE_PX, w as usize * h as usize),
            last_source: (f64::NAN.to_bits(), (0, 0, 0), None),
        }
    }

    /// The pixel at `(x, y)` as straight (not premultiplied) RGBA, the way
    /// cairo writes it to a PNG.
    #[cfg(test)]
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        unpremultiply(self.px[(y * self.w + x) as usize])
    }

    /// The premultiplied source of `color`: its 8-bit components times its
    /// opacity.
    #[inline(always)]
    fn source(color: BackendColor) -> Option<[u32; 4]> {
        let a = (color.alpha.clamp(0.0, 1.0) * 255.0 + 0.5) as u32;
        if a == 0 {
            return None;
        }
        let (r, g, b) = color.rgb;
        Some([
            mul_un8(u32::from(r), a),
            mul_un8(u32::from(g), a),
            mul_un8(u32::from(b), a),
            a,
        ])
    }

    /// `src` OVER the pixel at `i`.
    #[inline(always)]
    fn over(&mut self, i: usize, src: [u32; 4]) {
        let d = &mut self.px[i];
        if src[3] == 255 {
            *d = [src[0] as u8, src[1] as u8, src[2] as u8, 255];
            return;
        }
        let k = 255 - src[3];
        for c in 0..4 {
            d[c] = (src[c] + mul_un8(u32::from(d[c]), k)) as u8;
        }
    }

    /// Encodes the image as cairo would write it, as a PNG as small as
    /// this encoder makes it (see the module's documentation).
    pub fn encode_png(&self) -> Result<Vec<u8>, String> {
        let (w, h) = (self.w as usize, self.h as usize);
        let mut png = Png::default();
        match self.palette() {
            Some((palette, opaque)) => {
                let depth = match palette.colours.len() {
                    0..=2 => 1,
                    3..=4 => 2,
                    5..=16 => 4,
                    _ => 8,
                };
                png.header(self.w, self.h, depth, 3);
                let straight = |p: &[u8; 4]| if opaque { *p } else { unpremultiply(*p) };
                let plte: Vec<u8> = palette
                    .colours
                    .iter()
                    .flat_map(|p| {
                        let q = straight(p);
                        [q[0], q[1], q[2]]
                    })
                    .collect();
                png.chunk(b"PLTE", &plte);
                if !opaque {
                    // tRNS may stop after the last translucent entry
                    let n = palette
                        .colours
                        .iter()
                        .rposition(|p| p[3] != 255)
                        .map_or(0, |k| k + 1);
                    let trns: Vec<u8> = palette.colours[..n].iter().map(|p| p[3]).collect();
                    png.chunk(b"tRNS", &trns);
                }
                let row_bytes = w.div_ceil(8 / usize::from(depth));
                let rows = self.indexed_rows(&palette, usize::from(depth), row_bytes);
                png.chunk(b"IDAT", &crate::deflate::zlib(&rows, 1, row_bytes + 1));
            }
            None => {
                // appended row by row into the kept buffer (no zeroing
                // first), as RGB while every pixel is opaque, else again
                // as RGBA
                let mut rows = SPARE_ROWS.take();
                rows.clear();
                rows.reserve((w * 3 + 1) * h);
                let mut alpha = 0xff;
                for src in self.px.chunks_exact(w.max(1)) {
                    rows.push(0); // filter byte 0: none
                    alpha &= push_rgb_row(&mut rows, src);
                    if alpha != 0xff {
                        break;
                    }
                }
                let opaque = alpha == 0xff;
                if !opaque {
                    rows.clear();
                    rows.reserve((w * 4 + 1) * h);
                    for src in self.px.chunks_exact(w.max(1)) {
                        rows.push(0);
                        for &p in src {
                            rows.extend_from_slice(&unpremultiply(p));
                        }
                    }
                }
                let bpp = if opaque { 3 } else { 4 };
                png.header(self.w, self.h, 8, if opaque { 2 } else { 6 });
                let stride = w * bpp + 1;
                let done = png.idat_rows(&rows, stride, bpp);
                keep(&SPARE_ROWS, rows);
                done?;
            }
        }
        png.chunk(b"IEND", &[]);
        Ok(png.out)
    }

    /// The image's colours, when there are at most 256, and whether every
    /// pixel is opaque.
    fn palette(&self) -> Option<(Palette, bool)> {
        let mut pal = Palette::default();
        let mut opaque = true;
        // bottom row first: a graph's many-coloured antialiased text
        // (legend, axis labels) is mostly below its flat plot area, so a
        // picture of more than 256 colours usually shows it there
        for row in self.px.chunks_exact((self.w as usize).max(1)).rev() {
            pal.add_runs(row, &mut opaque)?;
        }
        Some((pal, opaque))
    }

    /// The pixels as PNG rows of `palette` indices packed at `depth` bits,
    /// `row_bytes` a row, each behind its filter byte (0: none).
    fn indexed_rows(&self, palette: &Palette, depth: usize, row_bytes: usize) -> Vec<u8> {
        let (w, per) = (self.w as usize, 8 / depth);
        let mut out = vec![0u8; (row_bytes + 1) * self.h as usize];
        let mut last = ([0u8; 4], 0u8);
        let mut index = |p: [u8; 4]| {
            if p != last.0 {
                // every colour is in the palette, which was made from them
                last = (p, palette.index(p).unwrap_or(0));
            }
            last.1
        };
        for (dst, src) in out
            .chunks_exact_mut(row_bytes + 1)
            .zip(self.px.chunks_exact(w.max(1)))
        {
            let dst = &mut dst[1..];
            if depth == 8 {
                for (d, &p) in dst.iter_mut().zip(src) {
                    *d = index(p);
                }
                continue;
            }
            for (d, chunk) in dst.iter_mut().zip(src.chunks(per)) {
                let mut b = 0u8;
                for (k, &p) in chunk.iter().enumerate() {
                    b |= index(p) << (8 - depth * (k + 1));
                }
                *d = b;
            }
        }
        out
    }
}

/// Open-addressing slots of a palette: 1024 for at most 256 colours.
const PALETTE_SLOTS: usize = 1024;

/// At most 256 colours, each found by its 32 bits.
struct Palette {
    colours: Vec<[u8; 4]>,
    keys: [u32; PALETTE_SLOTS],
    /// Index + 1; 0 is an empty slot.
    vals: [u16; PALETTE_SLOTS],
}

impl Default for Palette {
    fn default() -> Palette {
        Palette {
            colours: Vec::new(),
            keys: [0; PALETTE_SLOTS],
            vals: [0; PALETTE_SLOTS],
        }
    }
}

impl Palette {
    /// Adds the colours of `px`, run by run (most pixels repeat the one
    /// before; a run of the colour two runs back, as in dotted lines, is
    /// known without a lookup), and whether each is opaque to `opaque`;
    /// `None` at a 257th.
    fn add_runs(&mut self, px: &[[u8; 4]], opaque: &mut bool) -> Option<()> {
        // the colours of the last two runs (a run's colour differs from
        // the one before it, so only the one two back can repeat)
        let (mut last, mut before_last) = (None, None);
        let mut i = 0;
        while let Some(&p) = px.get(i) {
            let key = u32::from_le_bytes(p);
            if before_last != Some(key) {
                *opaque &= p[3] == 255;
                self.index_or_add(p)?;
            }
            i += 1;
            while px.get(i).is_some_and(|&q| u32::from_le_bytes(q) == key) {
                i += 1;
            }
            before_last = last;
            last = Some(key);
        }
        Some(())
    }

    fn slot(key: u32) -> usize {
        (key.wrapping_mul(0x9e37_79b1) >> 22) as usize
    }

    /// `p`'s index, added if new; `None` when it would be the 257th.
    fn index_or_add(&mut self, p: [u8; 4]) -> Option<u8> {
        match self.find(u32::from_le_bytes(p)) {
            Ok(i) => Some(i),
            Err(_) if self.colours.len() == 256 => None,
            Err(slot) => {
                self.colours.push(p);
                self.keys[slot] = u32::from_le_bytes(p);
                self.vals[slot] = self.colours.len() as u16;
                Some((self.colours.len() - 1) as u8)
            }
        }
    }

    /// `p`'s index, if it is in the palette.
    fn index(&self, p: [u8; 4]) -> Option<u8> {
        self.find(u32::from_le_bytes(p)).ok()
    }

    /// The index of the colour `key`, or the empty slot where it would go.
    fn find(&self, key: u32) -> Result<u8, usize> {
        let mut slot = Self::slot(key);
        loop {
            match self.vals[slot] {
                0 => return Err(slot),
                v if self.keys[slot] == key => return Ok((v - 1) as u8),
                _ => slot = (slot + 1) % PALETTE_SLOTS,
            }
        }
    }
}

/// A PNG being written: chunks with their CRCs.
#[derive(Default)]
struct Png {
    out: Vec<u8>,
}

/// Unfiltered PNG rows (each behind its filter byte 0) of `stride` bytes
/// with that byte, `bpp` a pixel, each given the filter that leaves the
/// smallest sum of absolute byte values (libpng's heuristic, which cairo's
/// PNGs get).
fn filter_rows(plain: &[u8], stride: usize, bpp: usize) -> Vec<u8> {
    if stride <= 1 {
        return plain.to_vec();
    }
    let row = |r: usize| &plain[r * stride + 1..(r + 1) * stride];
    let (rows, stride) = (plain.len() / stride, stride - 1);
    let mut out = Vec::with_capacity((stride + 1) * rows);
    let zero = vec![0u8; stride];
    let mut cand: [Vec<u8>; 5] = std::array::from_fn(|_| vec![0u8; stride]);
    for r in 0..rows {
        let cur = row(r);
        let up = if r == 0 { &zero[..] } else { row(r - 1) };

        for i in 0..stride {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = up[i];
            let c = if i >= bpp { up[i - bpp] } else { 0 };
            let x = cur[i];
            cand[0][i] = x;
            cand[1][i] = x.wrapping_sub(a);
            cand[2][i] = x.wrapping_sub(b);
            cand[3][i] = x.wrapping_sub(((u16::from(a) + u16::from(b)) / 2) as u8);
            let p = i16::from(a) + i16::from(b) - i16::from(c);
            let (pa, pb, pc) = (
                (p - i16::from(a)).abs(),
                (p - i16::from(b)).abs(),
                (p - i16::from(c)).abs(),
            );
            let pred = if pa <= pb && pa <= pc {
                a
            } else if pb <= pc {
                b
            } else {
                c
            };
            cand[4][i] = x.wrapping_sub(pred);
        }
        let cost =
            |v: &[u8]| -> u64 { v.iter().map(|&b| u64::from((b as i8).unsigned_abs())).sum() };
        let best = (0..5).min_by_key(|&k| cost(&cand[k])).unwrap_or(0);
        out.push(best as u8);
        out.extend_from_slice(&cand[best]);
    }
    out
}

impl Png {
    fn chunk(&mut self, kind: &[u8; 4], data: &[u8]) {
        if self.out.is_empty() {
            self.out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        }
        self.out
            .extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        self.out.extend_from_slice(kind);
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(&crc.sum().to_be_bytes());
    }

    /// IHDR: `depth` bits per sample, `color` type (2 RGB, 3 palette,
    /// 6 RGBA), no interlace.
    fn header(&mut self, w: u32, h: u32, depth: u8, color: u8) {
        let mut d = Vec::with_capacity(13);
        d.extend_from_slice(&w.to_be_bytes());
        d.extend_from_slice(&h.to_be_bytes());
        d.extend_from_slice(&[depth, color, 0, 0, 0]);
        self.chunk(b"IHDR", &d);
    }

    /// IDAT of true-colour rows, `stride` bytes each with its filter byte
    /// (0: none), `bpp` a pixel: unfiltered through the graph deflater,
    /// which suits the flat colours of graphs best and fastest; a picture
    /// that compresses worse than 10 to 1 so (gradients, photographs) is
    /// also compressed filtered by zlib-rs at level 6, and the smaller
    /// kept. (Antialiased sloped lines, as Munin's `--slope-mode` draws,
    /// compress about 12 to 1: level 9 on filtered rows made them 8%
    /// smaller in 15 times the time, still under rrdtool's size.)
    fn idat_rows(&mut self, plain: &[u8], stride: usize, bpp: usize) -> Result<(), String> {
        let a = crate::deflate::zlib(plain, bpp, stride);
        if a.len() * 10 > plain.len() {
            let b = zlib_at(&filter_rows(plain, stride, bpp), 6)?;
            if b.len() < a.len() {
                self.chunk(b"IDAT", &b);
                return Ok(());
            }
        }
        self.chunk(b"IDAT", &a);
        Ok(())
    }
}

/// zlib stream of `raw` at `level` (zlib-rs).
fn zlib_at(raw: &[u8], level: u32) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(raw.len() / 8 + 64),
        flate2::Compression::new(level),
    );
    let e = |e: std::io::Error| format!("encoding PNG: {e}");
    z.write_all(raw).map_err(e)?;
    z.finish().map_err(e)
}

/// The RGB bytes of `src`'s pixels (their alpha dropped) appended to
/// `out`, four pixels (three little-endian words) at a time; the AND of
/// their alphas.
fn push_rgb_row(out: &mut Vec<u8>, src: &[[u8; 4]]) -> u8 {
    let mut alpha = u32::MAX;
    let mut s4 = src.chunks_exact(4);
    for s in &mut s4 {
        let [p0, p1, p2, p3] = [0, 1, 2, 3].map(|k| u32::from_le_bytes(s[k]));
        alpha &= p0 & p1 & p2 & p3;
        let w0 = (p0 & 0x00ff_ffff) | (p1 << 24);
        let w1 = ((p1 >> 8) & 0xffff) | (p2 << 16);
        let w2 = ((p2 >> 16) & 0xff) | (p3 << 8);
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&w0.to_le_bytes());
        b[4..8].copy_from_slice(&w1.to_le_bytes());
        b[8..].copy_from_slice(&w2.to_le_bytes());
        out.extend_from_slice(&b);
    }
    for p in s4.remainder() {
        alpha &= u32::from_le_bytes(*p);
        out.extend_from_slice(&p[..3]);
    }
    (alpha >> 24) as u8
}

/// cairo's un-premultiplication for PNG output.
fn unpremultiply(p: [u8; 4]) -> [u8; 4] {
    let a = u32::from(p[3]);
    match a {
        0 => [0; 4],
        255 => p,
        _ => {
            let c = |v: u8| ((u32::from(v) * 255 + a / 2) / a) as u8;
            [c(p[0]), c(p[1]), c(p[2]), p[3]]
        }
    }
}

impl DrawingBackend for RgbaBitmap {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        (self.w, self.h)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let (x, y) = point;
        if x < 0 || y < 0 || x as u32 >= self.w || y as u32 >= self.h {
            return Ok(());
        }
        let key = (color.alpha.to_bits(), color.rgb);
        let src = if (self.last_source.0, self.last_source.1) == key {
            self.last_source.2
        } else {
            let src = Self::source(color);
            self.last_source = (key.0, key.1, src);
            src
        };
        if let Some(src) = src {
            self.over((y as u32 * self.w + x as u32) as usize, src);
        }
        Ok(())
    }

    /// Fills `[x0, x1) × [y0, y1)` (the corners in either order), or
    /// outlines it.
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        if !fill {
            return plotters_backend::rasterizer::draw_rect(
                self,
                upper_left,
                bottom_right,
                style,
                fill,
            );
        }
        let Some(src) = Self::source(style.color()) else {
            return Ok(());
        };
        let (w, h) = (self.w as i32, self.h as i32);
        let (x0, x1) = (
            upper_left.0.min(bottom_right.0).max(0),
            upper_left.0.max(bottom_right.0).min(w),
        );
        let (y0, y1) = (
            upper_left.1.min(bottom_right.1).max(0),
            upper_left.1.max(bottom_right.1).min(h),
        );
        if x0 >= x1 || y0 >= y1 {
            return Ok(());
        }
        for y in y0..y1 {
            let row = (y * w) as usize;
            if src[3] == 255 {
                let p = [src[0] as u8, src[1] as u8, src[2] as u8, 255];
                self.px[row + x0 as usize..row + x1 as usize].fill(p);
            } else {
                for x in x0..x1 {
                    self.over(row + x as usize, src);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn color(r: u8, g: u8, b: u8, a: f64) -> BackendColor {
        BackendColor {
            alpha: a,
            rgb: (r, g, b),
        }
    }

    #[test]
    fn over_composites_as_pixman() {
        let mut b = RgbaBitmap::new(2, 1);
        b.draw_pixel((0, 0), color(255, 0, 0, 1.0)).unwrap();
        b.draw_pixel((0, 0), color(0, 0, 255, 0.5)).unwrap();
        // 50% blue (128) over opaque red: red 255*(127/255) = 127
        assert_eq!(b.pixel(0, 0), [127, 0, 128, 255]);
        // on a transparent pixel the colour keeps its own opacity
        b.draw_pixel((1, 0), color(0, 0, 255, 0.5)).unwrap();
        assert_eq!(b.pixel(1, 0), [0, 0, 255, 128]);
    }

    fn decode(png: &[u8]) -> (png::ColorType, png::BitDepth, Vec<u8>, u32) {
        let mut d = png::Decoder::new(png);
        d.set_transformations(png::Transformations::EXPAND);
        let mut r = d.read_info().unwrap();
        let (ct, depth) = (r.info().color_type, r.info().bit_depth);
        let mut buf = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        let _ = info;
        (ct, depth, buf, r.info().width)
    }

    #[test]
    fn opaque_images_are_rgb_samples_translucent_ones_rgba() {
        let mut b = RgbaBitmap::new(3, 2);
        b.draw_rect((0, 0), (3, 2), &color(240, 240, 240, 1.0), true)
            .unwrap();
        b.draw_pixel((1, 1), color(255, 0, 0, 0.5)).unwrap();
        let png = b.encode_png().unwrap();
        let (ct, _, px, _) = decode(&png);
        assert_eq!(ct, png::ColorType::Indexed);
        // expanded: RGB, the blended pixel as pixman makes it
        assert_eq!(px.len(), 3 * 2 * 3);
        assert_eq!(&px[12..15], &[248, 120, 120]);
        // a transparent background stays transparent
        let mut t = RgbaBitmap::new(2, 1);
        t.draw_rect((0, 0), (2, 1), &color(0xee, 0xee, 0xee, 0.0), true)
            .unwrap();
        t.draw_pixel((1, 0), color(0, 0, 0, 1.0)).unwrap();
        let (_, _, px, _) = decode(&t.encode_png().unwrap());
        assert_eq!(px, [0, 0, 0, 0, 0, 0, 0, 255]);
    }

    #[test]
    fn rgb_rows_drop_alpha_at_every_length() {
        for n in 0..13u8 {
            let src: Vec<[u8; 4]> = (0..n).map(|k| [k, k + 100, k + 200, 255 - k]).collect();
            let mut dst = vec![7u8];
            let alpha = push_rgb_row(&mut dst, &src);
            dst.remove(0);
            let want_alpha = src.iter().fold(255, |a, p| a & p[3]);
            assert_eq!(alpha, want_alpha, "{n} pixels");
            let want: Vec<u8> = src.iter().flat_map(|p| [p[0], p[1], p[2]]).collect();
            assert_eq!(dst, want, "{n} pixels");
        }
    }

    /// A gradient compresses poorly unfiltered: it goes out filtered (some
    /// row's filter byte is not 0) and decodes to the same pixels.
    #[test]
    fn gradients_are_written_filtered() {
        let (w, h) = (300u32, 200u32);
        let mut b = RgbaBitmap::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let c = color(
                    (x * 255 / w) as u8,
                    (y * 255 / h) as u8,
                    ((x + y) % 256) as u8,
                    1.0,
                );
                b.draw_pixel((x as i32, y as i32), c).unwrap();
            }
        }
        let png = b.encode_png().unwrap();
        let (kind, depth, data, width) = decode(&png);
        assert_eq!(
            (kind, depth, width),
            (png::ColorType::Rgb, png::BitDepth::Eight, w)
        );
        for y in 0..h {
            for x in 0..w {
                let i = ((y * w + x) * 3) as usize;
                let p = b.pixel(x, y);
                assert_eq!(&data[i..i + 3], &p[..3], "({x}, {y})");
            }
        }
        // the IDAT's rows: inflate it and look at the filter bytes
        let idat = png.windows(4).position(|c| c == b"IDAT").unwrap();
        let n = u32::from_be_bytes(png[idat - 4..idat].try_into().unwrap()) as usize;
        let mut rows = Vec::new();
        use std::io::Read;
        flate2::read::ZlibDecoder::new(&png[idat + 4..idat + 4 + n])
            .read_to_end(&mut rows)
            .unwrap();
        let stride = (w * 3 + 1) as usize;
        assert!(rows.chunks(stride).any(|r| r[0] != 0), "written unfiltered");
        assert!(png.len() * 10 < rows.len(), "{} bytes", png.len());
    }

    #[test]
    fn many_colours_fall_back_to_truecolour() {
        let mut b = RgbaBitmap::new(300, 1);
        for x in 0..300 {
            let c = x as u8;
            b.draw_pixel((x, 0), color(c, (x / 256) as u8, 7, 1.0))
                .unwrap();
        }
        let png = b.encode_png().unwrap();
        let (ct, _, px, _) = decode(&png);
        assert_eq!(ct, png::ColorType::Rgb);
        assert_eq!(&px[3 * 299..3 * 300], &[43, 1, 7]);
        let mut t = b.clone();
        t.px[0] = [0; 4];
        let (ct, _, _, _) = decode(&t.encode_png().unwrap());
        assert_eq!(ct, png::ColorType::Rgba);
    }

    #[test]
    fn small_palettes_are_packed() {
        for (colours, depth) in [
            (2, png::BitDepth::One),
            (4, png::BitDepth::Two),
            (9, png::BitDepth::Four),
        ] {
            let mut b = RgbaBitmap::new(13, 3);
            for x in 0..13 {
                for y in 0..3 {
                    let k = ((x + y) % colours) as u8;
                    b.draw_pixel((x, y), color(k * 20, 0, 255 - k, 1.0))
                        .unwrap();
                }
            }
            let (_, d, px, w) = decode(&b.encode_png().unwrap());
            assert_eq!((d, w), (depth, 13));
            for x in 0..13usize {
                for y in 0..3usize {
                    let k = ((x + y) % colours as usize) as u8;
                    let i = (y * 13 + x) * 3;
                    assert_eq!(
                        &px[i..i + 3],
                        &[k * 20, 0, 255 - k],
                        "{colours} colours at {x},{y}"
                    );
                }
            }
        }
    }
}
