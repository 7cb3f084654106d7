//! SVG as rrdtool (cairo's SVG surface) writes it: the size in points
//! with a viewBox in pixels, shapes as paths, dashed strokes with
//! `stroke-dasharray`, and text as glyph outlines defined once as
//! `<symbol>`s and placed with `<use>`, so a file looks the same in any
//! viewer, with no fonts installed.
//!
//! Unlike cairo, colours are written exactly (`#rrggbb`, cairo rounds
//! them to whole percents).

use std::collections::HashMap;
use std::fmt::Write as _;

use rrd_clib::text::{TextBuf as Out, DIGIT_PAIRS};

use crate::canvas::{Canvas, HAlign, Metrics, Rgba, Text, VAlign};

/// An SVG document being drawn.
pub(crate) struct SvgCanvas {
    width: u32,
    height: u32,
    body: Out,
    /// Glyph symbols by (face, size, glyph): their id.
    glyph_ids: HashMap<(usize, u64, u16), String>,
    /// Font (face and size) numbers, in order of first use.
    fonts: HashMap<(usize, u64), usize>,
    /// Glyphs per font, for numbering.
    per_font: Vec<usize>,
    symbols: Out,
    metrics: Metrics,
}

/// A number as cairo writes one: at most six decimals, no trailing zeros
/// (in integer arithmetic: float formatting was most of the time spent).
fn num(out: &mut Out, v: f64) {
    let x = v * 1e6;
    let m = if x.abs() < 4.5e15 {
        // `x.round()` (halves away from zero) without the libm call: below
        // 2^52 the truncation and the fraction left are exact
        let t = x as i64;
        let f = x - t as f64;
        t + i64::from(f >= 0.5) - i64::from(f <= -0.5)
    } else {
        let micro = x.round();
        if !micro.is_finite() || micro.abs() >= 9e18 {
            let _ = write!(out, "{v}");
            return;
        }
        micro as i64
    };
    // written into a fixed buffer, two digits at a time, and appended
    // whole then cut to length (a fixed-size copy, where a short copy of
    // variable length is a call): paths are thousands of numbers, and the
    // formatting machinery cost more than the rest of the drawing
    let mut buf = [0u8; 32];
    let u = m.unsigned_abs();
    let (int, mut frac) = (u / 1_000_000, u % 1_000_000);
    let mut n = usize::from(m < 0);
    buf[0] = b'-';
    // below 9e12: at most 13 digits, and 1 + 13 + 1 + 6 < 32 bytes
    let mut end = n + 1;
    let mut p = 10;
    while int >= p {
        end += 1;
        p *= 10;
    }
    n = end;
    let mut v = int;
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        end -= 2;
        buf[end..end + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        buf[end - 2..end].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    } else {
        buf[end - 1] = b'0' + v as u8;
    }
    if frac != 0 {
        let mut digits = 6;
        if frac % 1000 == 0 {
            frac /= 1000;
            digits = 3;
        }
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        buf[n] = b'.';
        for k in (n + 1..n + 1 + digits).rev() {
            buf[k] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        n += 1 + digits;
    }
    out.push_ascii(&buf, n);
}

/// `fill:#rrggbb;fill-opacity:A;`, as paths and text groups are filled.
fn fill_style(out: &mut Out, c: Rgba) {
    out.push_str("fill:");
    color(out, c);
    out.push_str(";fill-opacity:");
    num(out, c.a.clamp(0.0, 1.0));
    out.push(';');
}

fn color(out: &mut Out, c: Rgba) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = |d: f64| ((d.clamp(0.0, 1.0) * 65535.0 + 0.5).floor() as u32 >> 8) as u8;
    let mut hex = *b"#000000";
    for (k, v) in [b(c.r), b(c.g), b(c.b)].into_iter().enumerate() {
        hex[1 + 2 * k] = HEX[usize::from(v >> 4)];
        hex[2 + 2 * k] = HEX[usize::from(v & 15)];
    }
    out.push_ascii(&hex, hex.len());
}

/// Path data of polygons (closed) or a polyline.
fn path_data(out: &mut Out, polys: &[&[(f64, f64)]], close: bool) {
    for p in polys {
        for (k, &(x, y)) in p.iter().enumerate() {
            out.push_str(if k == 0 { "M " } else { " L " });
            num(out, x);
            out.push(' ');
            num(out, y);
        }
        if close && !p.is_empty() {
            out.push_str(" Z");
        }
        out.push(' ');
    }
}

impl SvgCanvas {
    /// An empty document of `width` × `height` pixels.
    pub fn new(width: u32, height: u32) -> SvgCanvas {
        SvgCanvas {
            width,
            height,
            body: Out::default(),
            glyph_ids: HashMap::new(),
            fonts: HashMap::new(),
            per_font: Vec::new(),
            symbols: Out::default(),
            metrics: Metrics::new(),
        }
    }

    /// The finished document.
    pub fn finish(self) -> String {
        let mut out = Out::with_capacity(self.body.len() + self.symbols.len() + 512);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let (w, h) = (self.width, self.height);
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"{w}pt\" height=\"{h}pt\" viewBox=\"0 0 {w} {h}\" version=\"1.1\">"
        );
        if !self.symbols.is_empty() {
            out.push_str("<defs>\n<g>\n");
            out.append(&self.symbols);
            out.push_str("</g>\n</defs>\n");
        }
        out.push_str("<g id=\"surface1\">\n");
        out.append(&self.body);
        out.push_str("</g>\n</svg>\n");
        out.into_string()
    }

    fn fill_polys(&mut self, polys: &[&[(f64, f64)]], c: Rgba) {
        if c.a <= 0.0 || polys.iter().all(|p| p.len() < 3) {
            return;
        }
        let b = &mut self.body;
        b.push_str("<path style=\"stroke:none;fill-rule:nonzero;");
        fill_style(b, c);
        b.push_str("\" d=\"");
        path_data(b, polys, true);
        b.push_str("\"/>\n");
    }

    /// The id of a glyph's symbol, defining it on first use.
    fn glyph(&mut self, face: &'static crate::font::Face, size: f64, id: u16) -> String {
        let fkey = (std::ptr::from_ref(face) as usize, size.to_bits());
        let key = (fkey.0, fkey.1, id);
        if let Some(s) = self.glyph_ids.get(&key) {
            return s.clone();
        }
        let next = self.fonts.len();
        let font = *self.fonts.entry(fkey).or_insert(next);
        if font == self.per_font.len() {
            self.per_font.push(0);
        }
        let n = self.per_font[font];
        self.per_font[font] += 1;
        let name = format!("glyph{font}-{n}");
        let outline = face.outline(size, id);
        let s = &mut self.symbols;
        let _ = write!(
            s,
            "<symbol overflow=\"visible\" id=\"{name}\">\n<path style=\"stroke:none;\" d=\""
        );
        let p = |s: &mut Out, x: f64, y: f64| {
            num(s, x);
            s.push(' ');
            num(s, -y);
        };
        for seg in outline.iter() {
            use crate::font::Seg;
            match *seg {
                Seg::Move(x, y) => {
                    s.push_str("M ");
                    p(s, x, y);
                }
                Seg::Line(x, y) => {
                    s.push_str("L ");
                    p(s, x, y);
                }
                Seg::Quad(cx, cy, x, y) => {
                    s.push_str("Q ");
                    p(s, cx, cy);
                    s.push(' ');
                    p(s, x, y);
                }
                Seg::Cubic(ax, ay, bx, by, x, y) => {
                    s.push_str("C ");
                    p(s, ax, ay);
                    s.push(' ');
                    p(s, bx, by);
                    s.push(' ');
                    p(s, x, y);
                }
                Seg::Close => s.push('Z'),
            }
            s.push(' ');
        }
        s.push_str("\"/>\n</symbol>\n");
        self.glyph_ids.insert(key, name.clone());
        name
    }
}

impl Canvas for SvgCanvas {
    fn fill(&mut self, pts: &[(f64, f64)], c: Rgba) {
        self.fill_polys(&[pts], c);
    }

    fn stroke(&mut self, pts: &[(f64, f64)], width: f64, c: Rgba, dash: Option<(f64, f64, f64)>) {
        if c.a <= 0.0 || pts.len() < 2 {
            return;
        }
        let b = &mut self.body;
        b.push_str("<path style=\"fill:none;stroke-width:");
        num(b, width);
        // lines and areas' edges join round, dashed lines (grid, frames)
        // end square as rrdtool's do
        b.push_str(match dash {
            None => ";stroke-linecap:round;stroke-linejoin:round;stroke:",
            Some(_) => ";stroke-linecap:butt;stroke-linejoin:miter;stroke:",
        });
        color(b, c);
        b.push_str(";stroke-opacity:");
        num(b, c.a.clamp(0.0, 1.0));
        if let Some((on, off, offset)) = dash {
            b.push_str(";stroke-dasharray:");
            num(b, on);
            b.push(',');
            num(b, off);
            if offset != 0.0 {
                b.push_str(";stroke-dashoffset:");
                num(b, offset);
            }
        }
        b.push_str(";stroke-miterlimit:10;\" d=\"");
        path_data(b, &[pts], false);
        b.push_str("\"/>\n");
    }

    fn text(&mut self, t: &Text<'_>) {
        let shaped = crate::font::shape(t.font, t.text);
        let dx = match t.h {
            HAlign::Left => 0.0,
            HAlign::Center => -(shaped.width / 2.0).floor(),
            HAlign::Right => -shaped.width,
        };
        let dy = match t.v {
            VAlign::Top => 0.0,
            VAlign::Center => -(shaped.height / 2.0).floor(),
            VAlign::Bottom => -shaped.height,
        };
        // text space: origin at the anchor, x along the text, y down;
        // glyph origins sit on the baseline, `ascent` below the box top
        let (ox, oy) = (t.x.round(), t.y.round());
        let rotate = match t.angle {
            90 => Some(-90),
            -90 => Some(90),
            _ => None,
        };
        let base = dy + shaped.ascent;
        let style_color = |k: usize| {
            let s = shaped.styles[k];
            s.color.unwrap_or(t.color).fade(s.alpha)
        };
        let rect = |(x0, y0, x1, y1): (f64, f64, f64, f64)| {
            vec![
                (dx + x0, base + y0),
                (dx + x1, base + y0),
                (dx + x1, base + y1),
                (dx + x0, base + y1),
            ]
        };
        let b = &mut self.body;
        if let Some(r) = rotate {
            let _ = writeln!(b, "<g transform=\"translate({ox} {oy}) rotate({r})\">");
        } else if ox != 0.0 || oy != 0.0 {
            let _ = writeln!(b, "<g transform=\"translate({ox} {oy})\">");
        } else {
            b.push_str("<g>\n");
        }
        for d in &shaped.decos {
            if let Some(bg) = d.background {
                let r = rect(d.rect);
                self.fill_polys(&[&r], bg);
            }
        }
        let mut k = 0;
        while k < shaped.glyphs.len() {
            let style = shaped.glyphs[k].style;
            let c = style_color(style);
            let mut uses = Out::default();
            let mut uses_ink = false;
            while k < shaped.glyphs.len() && shaped.glyphs[k].style == style {
                let g = shaped.glyphs[k];
                uses_ink |= !g.face.outline(g.size, g.id).is_empty();
                let id = self.glyph(g.face, g.size, g.id);
                uses.push_str("  <use xlink:href=\"#");
                uses.push_str(&id);
                uses.push_str("\" x=\"");
                num(&mut uses, dx + g.x);
                uses.push_str("\" y=\"");
                num(&mut uses, base + g.y);
                uses.push_str("\"/>\n");
                k += 1;
            }
            // cairo draws nothing for a run without ink (only blanks)
            if c.a > 0.0 && uses_ink {
                let b = &mut self.body;
                b.push_str("<g style=\"");
                fill_style(b, c);
                b.push_str("\">\n");
                b.append(&uses);
                b.push_str("</g>\n");
            }
        }
        for d in &shaped.decos {
            if d.background.is_none() {
                let r = rect(d.rect);
                self.fill_polys(&[&r], style_color(d.style));
            }
        }
        self.body.push_str("</g>\n");
    }

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

#[cfg(test)]
mod tests {
    /// `num` against the same rule written with the formatter.
    #[test]
    fn numbers_as_the_formatter_writes_them() {
        let reference = |v: f64| {
            let m = (v * 1e6).round() as i64;
            let (int, mut frac) = (m.unsigned_abs() / 1_000_000, m.unsigned_abs() % 1_000_000);
            let sign = if m < 0 { "-" } else { "" };
            if frac == 0 {
                return format!("{sign}{int}");
            }
            let mut digits = 6;
            while frac % 10 == 0 {
                frac /= 10;
                digits -= 1;
            }
            format!("{sign}{int}.{frac:0digits$}")
        };
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut cases = vec![
            0.0, -0.0, 0.5, -0.5, 1e-7, -1e-7, 0.000001, 10.000001, -3.25, 1e12, -123456.7,
        ];
        for _ in 0..20000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let scale = [1.0, 1e3, 1e6, 1e-3][(seed % 4) as usize];
            cases.push(((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2000.0 * scale);
        }
        // millionths at and next to one half either way, where rounding
        // turns, and both sides of where the truncation path stops
        for k in [0i64, 1, 2, 7, 99, 12_345, 4_499_999_999_999, 9_007_199_254] {
            for sign in [1.0, -1.0] {
                let half = sign * (k as f64 + 0.5) / 1e6;
                cases.extend([
                    half,
                    half * (1.0 + f64::EPSILON),
                    half * (1.0 - f64::EPSILON),
                ]);
            }
        }
        let edge = 4.5e9 * (1.0 - f64::EPSILON);
        cases.extend([4.5e9, -4.5e9, edge, -edge, 9.1e12]);
        for v in cases {
            let mut s = super::Out::default();
            super::num(&mut s, v);
            assert_eq!(s.into_string(), reference(v), "{v}");
        }
    }

    use super::*;
    use crate::font::Font;

    #[test]
    fn numbers_as_cairo_writes_them() {
        for (v, want) in [
            (0.0, "0"),
            (-0.0000001, "0"),
            (100.816406, "100.816406"),
            (0.5019607843, "0.501961"),
            (-2.5, "-2.5"),
            (7.0, "7"),
            (-0.05, "-0.05"),
            (1e20, "100000000000000000000"),
        ] {
            let mut s = Out::default();
            num(&mut s, v);
            assert_eq!(s.into_string(), want, "{v}");
        }
    }

    #[test]
    fn header_in_points_glyphs_once_and_dashes() {
        let mut c = SvgCanvas::new(200, 100);
        c.fill(
            &[(0.0, 0.0), (200.0, 0.0), (200.0, 100.0)],
            Rgba::from_u8(255, 0, 0, 128),
        );
        c.stroke(
            &[(0.0, 50.5), (200.0, 50.5)],
            0.4,
            Rgba::from_u8(0, 0, 0, 255),
            Some((1.0, 1.0, 0.0)),
        );
        for y in [10.0, 30.0] {
            c.text(&Text {
                x: 5.0,
                y,
                font: Font::default_at(8.0),
                color: Rgba::from_u8(0, 0, 0, 255),
                h: HAlign::Left,
                v: VAlign::Top,
                angle: 0,
                text: "aa",
            });
        }
        let s = c.finish();
        assert!(
            s.contains("width=\"200pt\" height=\"100pt\" viewBox=\"0 0 200 100\""),
            "{s}"
        );
        assert!(s.contains("fill:#ff0000;fill-opacity:0.501961;"), "{s}");
        assert!(s.contains("stroke-dasharray:1,1;"), "{s}");
        // one glyph, defined once, used four times
        assert_eq!(s.matches("<symbol").count(), 1, "{s}");
        assert_eq!(s.matches("<use xlink:href=\"#glyph0-0\"").count(), 4, "{s}");
        assert!(!s.contains("<text"), "{s}");
    }
}
