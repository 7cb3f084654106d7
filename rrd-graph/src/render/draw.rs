//! `graph_paint`: drawing a laid-out graph on a [`Canvas`] in rrdtool's
//! order (background, areas and lines with rrdtool's pixel fitting, rules,
//! grid and labels, axes, legend, title, watermark).

use super::{GraphOptions, Grids, Painted};
use crate::canvas::{Canvas, HAlign, Rgba, Text, VAlign};
use crate::data::GraphData;
use crate::element::{Area, Element, ElementId, Rule, Value};
use crate::layout::{Layout, TextProp};
use crate::spec::GraphSpec;

/// rrdtool's "line-fit" of a point for a stroke of width `lw`.
fn line_fit(x: f64, y: f64, lw: f64) -> (f64, f64) {
    if !GRIDFIT.get() {
        return (x, y);
    }
    let d = lw / 2.0 - (lw / 2.0).ceil();
    ((x - 0.5).floor() - d, (y + 0.5).ceil() + d)
}

/// rrdtool's "area-fit".
fn area_fit(x: f64, y: f64) -> (f64, f64) {
    if !GRIDFIT.get() {
        return (x, y);
    }
    (x.floor(), y.ceil())
}

thread_local! {
    /// Whether the graph being drawn fits to pixels (`GraphOptions::gridfit`,
    /// set by [`draw`] for the thread drawing it).
    static GRIDFIT: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

struct Frame<'a> {
    l: &'a Layout,
    start: i64,
    end: i64,
    min: f64,
    max: f64,
    log: bool,
}

impl Frame<'_> {
    fn xtr(&self, t: i64) -> f64 {
        (self.l.xorigin as f64
            + (t - self.start) as f64 * self.l.xsize as f64 / (self.end - self.start) as f64)
            .trunc()
    }
    fn ytr(&self, v: f64) -> f64 {
        let (yo, ys) = (self.l.yorigin as f64, self.l.ysize as f64);
        if self.log {
            if v < self.min {
                return yo;
            }
            yo - (v.log10() - self.min.log10()) * ys / (self.max.log10() - self.min.log10())
        } else {
            yo - (v - self.min) * ys / (self.max - self.min)
        }
    }
}

/// Draws a graph whose data, grids, layout and legend texts are known.
#[allow(clippy::too_many_arguments)]
pub(super) fn draw(
    canvas: &mut dyn Canvas,
    spec: &GraphSpec,
    data: &GraphData,
    opts: &GraphOptions,
    l: &Layout,
    painted: &Painted,
    grids: &Grids,
) {
    GRIDFIT.set(opts.gridfit);
    let c = &opts.colors;
    let (ximg, yimg) = (l.ximg as f64, l.yimg as f64);
    let (xo, yo, xs, ys) = (
        l.xorigin as f64,
        l.yorigin as f64,
        l.xsize as f64,
        l.ysize as f64,
    );
    let f = Frame {
        l,
        start: opts.start,
        end: opts.end,
        min: grids.min,
        max: grids.max,
        log: grids.log,
    };
    let rect = |x0: f64, y0: f64, x1: f64, y1: f64| {
        vec![
            area_fit(x0, y0),
            area_fit(x1, y0),
            area_fit(x1, y1),
            area_fit(x0, y1),
        ]
    };
    canvas.fill(&rect(0.0, 0.0, ximg, yimg), c.back);
    canvas.fill(&rect(xo, yo - ys, xo + xs, yo), c.canvas);
    // data, in argument order
    let range = grids.max - grids.min;
    let clean = |v: f64| {
        let v = if v == f64::INFINITY {
            grids.max
        } else if v == f64::NEG_INFINITY {
            grids.min
        } else {
            v
        };
        if v.is_nan() {
            v
        } else {
            v.clamp(grids.min - 9.0 * range, grids.max + 9.0 * range)
        }
    };
    let areazero = if grids.min > 0.0 {
        grids.min
    } else if grids.max < 0.0 {
        grids.max
    } else {
        0.0
    };
    let mut prev: Option<Vec<f64>> = None;
    for (k, e) in spec.elements().iter().enumerate() {
        match e {
            Element::Tick(t) => {
                if let Some(col) = t.color {
                    let fr = t.fraction.unwrap_or(0.1);
                    for (ii, &v) in painted.values[k].iter().enumerate() {
                        if v.is_nan() || v == 0.0 {
                            continue;
                        }
                        let x = xo + ii as f64;
                        let (y0, y1) = if fr > 0.0 {
                            (yo + 1.0, yo - fr * ys)
                        } else {
                            (yo - ys - 1.0, yo - ys - fr * ys)
                        };
                        let a = line_fit(x, y0, 1.0);
                        let b = line_fit(x, y1, 1.0);
                        canvas.stroke(&[a, b], 1.0, col, None);
                    }
                }
            }
            Element::Line(line) => {
                let vals: Vec<f64> = painted.values[k].iter().map(|&v| clean(v)).collect();
                if let Some(col) = line.color.filter(|c| c.a > 0.0) {
                    let lw = line.width;
                    let mut path: Vec<(f64, f64)> = Vec::new();
                    let mut flush = |path: &mut Vec<(f64, f64)>| {
                        if path.len() >= 2 {
                            let dash = line.dashes.as_ref().map(|(d, off)| {
                                (
                                    d.first().copied().unwrap_or(5.0),
                                    d.get(1).copied().unwrap_or(5.0),
                                    *off,
                                )
                            });
                            canvas.stroke(path, lw, col, dash);
                        }
                        path.clear();
                    };
                    for ii in 1..vals.len() {
                        let v = vals[ii];
                        if v.is_nan() {
                            flush(&mut path);
                            continue;
                        }
                        let y = f.ytr(v);
                        let x = xo + ii as f64;
                        if opts.slope_mode {
                            let p = vals[ii - 1];
                            if p.is_nan() {
                                flush(&mut path);
                                continue;
                            }
                            if path.is_empty() {
                                path.push(line_fit(x - 1.0, f.ytr(p), lw));
                            }
                            path.push(line_fit(x, y, lw));
                        } else {
                            if path.is_empty() {
                                path.push(line_fit(x - 1.0, y, lw));
                            } else {
                                let last = path[path.len() - 1];
                                let ly = line_fit(x, y, lw).1;
                                if (last.1 - ly).abs() > 1e-9 {
                                    path.push(line_fit(x - 1.0, y, lw));
                                }
                            }
                            path.push(line_fit(x, y, lw));
                        }
                    }
                    flush(&mut path);
                }
                let base = prev.take();
                prev = Some(fill_gaps(&vals, line.stack, base, areazero));
            }
            Element::Area(area) => {
                let vals: Vec<f64> = painted.values[k].iter().map(|&v| clean(v)).collect();
                let base = prev.take();
                if let (Some(c1), Some(c2)) = (area.color, area.color2) {
                    gradient_area(
                        canvas,
                        &f,
                        opts,
                        area,
                        &vals,
                        base.as_deref(),
                        areazero,
                        c1,
                        c2,
                    );
                } else if let Some(col) = area.color.filter(|c| c.a > 0.0) {
                    let mut top: Vec<(f64, f64)> = Vec::new();
                    let mut bottom: Vec<(f64, f64)> = Vec::new();
                    let mut flush = |top: &mut Vec<(f64, f64)>, bottom: &mut Vec<(f64, f64)>| {
                        if !top.is_empty() {
                            let mut poly: Vec<(f64, f64)> = bottom.clone();
                            poly.extend(top.iter().rev());
                            let poly: Vec<(f64, f64)> =
                                poly.into_iter().map(|(x, y)| area_fit(x, y)).collect();
                            canvas.fill(&poly, col);
                        }
                        top.clear();
                        bottom.clear();
                    };
                    let first = if opts.slope_mode { 0 } else { 1 };
                    for ii in first..vals.len().saturating_sub(0) {
                        let v = vals[ii];
                        let b = match (&base, area.stack) {
                            (Some(b), true) => b[ii],
                            _ => areazero,
                        };
                        if v.is_nan() {
                            flush(&mut top, &mut bottom);
                            continue;
                        }
                        let (yt, yb) = (f.ytr(v), f.ytr(b));
                        if yt == yb {
                            flush(&mut top, &mut bottom);
                            continue;
                        }
                        let (lo, hi) = (yt.min(yb), yt.max(yb));
                        let xs_ = if opts.slope_mode {
                            vec![xo + ii as f64]
                        } else {
                            vec![xo + ii as f64 - 1.0, xo + ii as f64]
                        };
                        for x in xs_ {
                            let x = x.min(xo + xs - 1.0);
                            top.push((x, lo - 0.2));
                            bottom.push((x, hi + 0.2));
                        }
                    }
                    flush(&mut top, &mut bottom);
                }
                prev = Some(fill_gaps(&vals, area.stack, base, areazero));
            }
            _ => {}
        }
    }
    if !opts.layout.only_graph {
        draw_frame(canvas, opts, l, &f, grids);
        draw_legend(canvas, spec, opts, l);
        draw_axes(canvas, opts, l);
    }
    // rules over everything
    for e in spec.elements() {
        if let Element::Rule(vertical, r) = e {
            draw_rule(canvas, spec, data, &f, *vertical, r);
        }
    }
}

/// An AREA with two colours: each step a rectangle from the base to the
/// value, coloured along rrdtool's gradient (`c1` at the line fading to
/// `c2` over `gradheight` pixels; negative heights from the base up, 0
/// from the base to the line), drawn in one-pixel bands.
#[allow(clippy::too_many_arguments)]
fn gradient_area(
    canvas: &mut dyn Canvas,
    f: &Frame<'_>,
    opts: &GraphOptions,
    area: &Area,
    vals: &[f64],
    base: Option<&[f64]>,
    areazero: f64,
    c1: Rgba,
    c2: Rgba,
) {
    let (xo, xs) = (f.l.xorigin as f64, f.l.xsize as f64);
    let g = area.gradheight;
    let mix = |t: f64| {
        let t = t.clamp(0.0, 1.0);
        Rgba {
            r: c2.r + (c1.r - c2.r) * t,
            g: c2.g + (c1.g - c2.g) * t,
            b: c2.b + (c1.b - c2.b) * t,
            a: c2.a + (c1.a - c2.a) * t,
        }
    };
    let first = if opts.slope_mode { 0 } else { 1 };
    let mut prev_y: Option<f64> = None;
    for ii in first..vals.len() {
        let v = vals[ii];
        let b = match (base, area.stack) {
            (Some(b), true) => b[ii],
            _ => areazero,
        };
        if v.is_nan() {
            prev_y = None;
            continue;
        }
        let (yt, yb) = (f.ytr(v), f.ytr(b));
        let m = prev_y.map_or(yt, |p| (p + yt) / 2.0);
        prev_y = Some(yt);
        if yt == yb {
            continue;
        }
        // the gradient runs from `from` (c2) to `to` (c1)
        let (from, to) = if g > 0.0 {
            (m + g, m)
        } else if g < 0.0 {
            (yb, yb + g)
        } else {
            (yb, m)
        };
        let (x0, x1) = if opts.slope_mode {
            (xo + ii as f64 - 1.0, xo + ii as f64)
        } else {
            (xo + ii as f64 - 1.0, (xo + ii as f64).min(xo + xs - 1.0))
        };
        let (lo, hi) = (
            area_fit(0.0, yt.min(yb) - 0.2).1,
            area_fit(0.0, yt.max(yb) + 0.2).1,
        );
        let mut y = lo;
        while y < hi {
            let center = y + 0.5;
            let t = if to == from {
                1.0
            } else {
                (center - from) / (to - from)
            };
            let band = [(x0, y), (x1, y), (x1, y + 1.0), (x0, y + 1.0)];
            canvas.fill(&band, mix(t));
            y += 1.0;
        }
    }
}

/// After drawing, unknown values become the base (previous element or
/// zero line) so that a later STACK sits on something.
fn fill_gaps(vals: &[f64], stack: bool, base: Option<Vec<f64>>, zero: f64) -> Vec<f64> {
    vals.iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.is_nan() {
                match (&base, stack) {
                    (Some(b), true) => b[i],
                    _ => zero,
                }
            } else {
                v
            }
        })
        .collect()
}

fn draw_rule(
    canvas: &mut dyn Canvas,
    spec: &GraphSpec,
    data: &GraphData,
    f: &Frame<'_>,
    vertical: bool,
    r: &Rule,
) {
    let Some(col) = r.color else { return };
    let v = match r.at {
        Value::Number(x) => x,
        Value::Var(id) => data.value(id).map_or(f64::NAN, |v| {
            if vertical {
                v.time.map_or(f64::NAN, |t| t as f64)
            } else {
                v.value
            }
        }),
    };
    let _ = spec;
    let (xo, yo, xs, ys) = (
        f.l.xorigin as f64,
        f.l.yorigin as f64,
        f.l.xsize as f64,
        f.l.ysize as f64,
    );
    let dash = r.dashes.as_ref().map(|(d, off)| {
        (
            d.first().copied().unwrap_or(5.0),
            d.get(1).copied().unwrap_or(5.0),
            *off,
        )
    });
    if vertical {
        let t = v as i64;
        if t < f.start || t > f.end {
            return;
        }
        let x = f.xtr(t);
        canvas.stroke(
            &[line_fit(x, yo, 1.0), line_fit(x, yo - ys, 1.0)],
            1.0,
            col,
            dash,
        );
    } else {
        if !(v >= f.min && v <= f.max) {
            return;
        }
        let y = f.ytr(v);
        canvas.stroke(
            &[line_fit(xo, y, 1.0), line_fit(xo + xs, y, 1.0)],
            1.0,
            col,
            dash,
        );
    }
}

fn draw_frame(canvas: &mut dyn Canvas, opts: &GraphOptions, l: &Layout, f: &Frame<'_>, g: &Grids) {
    let c = &opts.colors;
    let fonts = &opts.layout.fonts;
    let (ximg, yimg) = (l.ximg as f64, l.yimg as f64);
    let (xo, yo, xs, ys) = (
        l.xorigin as f64,
        l.yorigin as f64,
        l.xsize as f64,
        l.ysize as f64,
    );
    // 3-D border
    if opts.border > 0 {
        let i = opts.border as f64;
        let a = [
            (0.0, yimg),
            (i, yimg - i),
            (i, i),
            (ximg - i, i),
            (ximg, 0.0),
            (0.0, 0.0),
        ];
        // each shade is an L: its top (right) strip and its left (bottom)
        // strip cover different pixel rows, so a rasterizing surface may
        // fill them apart instead of scanning the whole image
        let fit = |p: &[(f64, f64)]| p.iter().map(|&(x, y)| area_fit(x, y)).collect::<Vec<_>>();
        let a1 = fit(&[(i, i), (ximg - i, i), (ximg, 0.0), (0.0, 0.0), (0.0, i)]);
        let a2 = fit(&[(0.0, yimg), (i, yimg - i), (i, i), (0.0, i)]);
        // (the pieces hold only while the strips do not cross)
        let apart = ximg >= 2.0 * i && yimg >= 2.0 * i;
        let fill = |canvas: &mut dyn Canvas,
                    whole: &[(f64, f64)],
                    p1: &[(f64, f64)],
                    p2: &[(f64, f64)],
                    col| {
            if apart {
                canvas.fill_pieces(whole, &[p1, p2], col);
            } else {
                canvas.fill(whole, col);
            }
        };
        fill(&mut *canvas, &fit(&a), &a1, &a2, c.shade_a);
        let b = [
            (i, yimg - i),
            (ximg - i, yimg - i),
            (ximg - i, i),
            (ximg, 0.0),
            (ximg, yimg),
            (0.0, yimg),
        ];
        let b1 = fit(&[
            (ximg - i, yimg - i),
            (ximg - i, i),
            (ximg, 0.0),
            (ximg, yimg - i),
        ]);
        let b2 = fit(&[(i, yimg - i), (ximg, yimg - i), (ximg, yimg), (0.0, yimg)]);
        fill(&mut *canvas, &fit(&b), &b1, &b2, c.shade_b);
    }
    // rrdtool's gfx_dashed_line starts the pattern at the line-fit of the
    // origin, which puts every dot of a grid line on one whole pixel
    let dash = |lw: f64| Some((opts.grid_dash.0, opts.grid_dash.1, line_fit(0.0, 0.0, lw).0));
    // time grid
    if opts.layout.x_grid {
        for &t in &g.x_minor {
            if opts.axis.no_minor || g.x_major.contains(&t) || t < f.start || t > f.end {
                continue;
            }
            let x = f.xtr(t);
            let lw = 0.4;
            canvas.stroke(
                &[line_fit(x, yo - ys - 2.0, lw), line_fit(x, yo - ys, lw)],
                lw,
                c.grid,
                None,
            );
            canvas.stroke(
                &[line_fit(x, yo, lw), line_fit(x, yo + 2.0, lw)],
                lw,
                c.grid,
                None,
            );
            canvas.stroke(
                &[line_fit(x, yo + 1.0, lw), line_fit(x, yo - ys - 1.0, lw)],
                lw,
                c.grid,
                dash(lw),
            );
        }
        for &t in &g.x_major {
            if t < f.start || t > f.end {
                continue;
            }
            let x = f.xtr(t);
            let lw = 0.6;
            canvas.stroke(
                &[line_fit(x, yo - ys - 2.0, lw), line_fit(x, yo - ys, lw)],
                lw,
                c.mgrid,
                None,
            );
            canvas.stroke(
                &[line_fit(x, yo, lw), line_fit(x, yo + 3.0, lw)],
                lw,
                c.mgrid,
                None,
            );
            canvas.stroke(
                &[line_fit(x, yo + 3.0, lw), line_fit(x, yo - ys - 2.0, lw)],
                lw,
                c.mgrid,
                dash(lw),
            );
        }
        for (t, text) in &g.x_labels {
            if *t < f.start || *t > f.end {
                continue;
            }
            canvas.text(&Text {
                x: f.xtr(*t),
                y: yo + 3.0,
                font: fonts.font(TextProp::Axis),
                color: c.font,
                h: HAlign::Center,
                v: VAlign::Top,
                angle: 0,
                text,
            });
        }
    }
    // value grid
    if opts.layout.y_grid {
        for (v, text) in &g.y_labels {
            let y = f.ytr(*v);
            canvas.text(&Text {
                x: xo - fonts.axis,
                y,
                font: fonts.font(TextProp::Axis),
                color: c.font,
                h: HAlign::Right,
                v: VAlign::Center,
                angle: 0,
                text,
            });
        }
        for (v, text) in &g.right_labels {
            canvas.text(&Text {
                x: xo + xs + 7.0,
                y: f.ytr(*v),
                font: fonts.font(TextProp::Axis),
                color: c.font,
                h: HAlign::Left,
                v: VAlign::Center,
                angle: 0,
                text,
            });
        }
        for &(v, major) in &g.y_lines {
            let y = f.ytr(v);
            if !((yo - ys)..=yo).contains(&(y + 0.5).floor()) {
                continue;
            }
            let (lw, col, ext) = if major {
                (0.6, c.mgrid, 2.0)
            } else {
                (0.4, c.grid, 1.0)
            };
            if !major && opts.axis.no_minor {
                continue;
            }
            canvas.stroke(
                &[line_fit(xo - 2.0, y, lw), line_fit(xo, y, lw)],
                lw,
                col,
                None,
            );
            canvas.stroke(
                &[line_fit(xo + xs, y, lw), line_fit(xo + xs + 2.0, y, lw)],
                lw,
                col,
                None,
            );
            canvas.stroke(
                &[line_fit(xo - ext, y, lw), line_fit(xo + xs + ext, y, lw)],
                lw,
                col,
                dash(lw),
            );
        }
    }
    // labels, title, tag, watermark
    if !opts.vertical_label.is_empty() {
        canvas.text(&Text {
            x: l.vlabel.0 + 10.0,
            y: l.vlabel.1,
            font: fonts.font(TextProp::Unit),
            color: c.font,
            h: HAlign::Center,
            v: VAlign::Center,
            angle: 90,
            text: &opts.vertical_label,
        });
    }
    if !opts.right_axis_label.is_empty() {
        canvas.text(&Text {
            x: l.rlabel_x + 10.0,
            y: l.vlabel.1,
            font: fonts.font(TextProp::Unit),
            color: c.font,
            h: HAlign::Center,
            v: VAlign::Center,
            angle: 90,
            text: &opts.right_axis_label,
        });
    }
    for (j, line) in opts.layout.title_lines.iter().enumerate() {
        canvas.text(&Text {
            x: (l.ximg / 2) as f64,
            y: fonts.title * 1.3 + j as f64 * fonts.title * 1.6,
            font: fonts.font(TextProp::Title),
            color: c.font,
            h: HAlign::Center,
            v: VAlign::Top,
            angle: 0,
            text: line,
        });
    }
    if !opts.layout.no_tag {
        let x = if opts.layout.legend_position == crate::layout::LegendPosition::East {
            l.vlabel.0
        } else {
            ximg - 4.0
        };
        canvas.text(&Text {
            x,
            y: 5.0,
            font: fonts.font(TextProp::Watermark),
            color: c.font.fade(0.3),
            h: HAlign::Left,
            v: VAlign::Top,
            angle: -90,
            text: "RRDTOOL / TOBI OETIKER",
        });
    }
    if !opts.watermark.is_empty() {
        canvas.text(&Text {
            x: (l.ximg / 2) as f64,
            y: yimg - 6.0,
            font: fonts.font(TextProp::Watermark),
            color: c.font.fade(0.3),
            h: HAlign::Center,
            v: VAlign::Bottom,
            angle: 0,
            text: &opts.watermark,
        });
    }
}

fn draw_legend(canvas: &mut dyn Canvas, spec: &GraphSpec, opts: &GraphOptions, l: &Layout) {
    let c = &opts.colors;
    let font = opts.layout.fonts.font(TextProp::Legend);
    crate::font::legends_start();
    for p in &l.legends {
        canvas.text(&Text {
            x: p.x,
            y: p.y,
            font,
            color: c.font,
            h: HAlign::Left,
            v: VAlign::Bottom,
            angle: 0,
            text: &p.text.replace('\t', " "),
        });
        let e = spec.element(ElementId(p.item));
        if opts.dynamic_labels {
            let o = canvas.metrics().advance(font, 'o');
            let bx = o * 1.2;
            let yb = p.y - bx * 0.4;
            let (x0, y0, x1, y1) = (p.x, yb - bx, p.x + bx, yb);
            let mark = match e {
                Element::Rule(false, r) => r.color.map(|c| {
                    let y = (y0 + y1) / 2.0;
                    (vec![line_fit(x0, y, 1.0), line_fit(x1, y, 1.0)], 1.0, c)
                }),
                Element::Rule(true, r) => r.color.map(|c| {
                    let x = (x0 + x1) / 2.0;
                    (vec![line_fit(x, y0, 1.0), line_fit(x, y1, 1.0)], 1.0, c)
                }),
                Element::Line(l) => l.color.map(|c| {
                    (
                        vec![line_fit(x0, y1, l.width), line_fit(x1, y0, l.width)],
                        l.width,
                        c,
                    )
                }),
                _ => None,
            };
            if let Some((pts, w, c)) = mark {
                canvas.stroke(&pts, w, c, None);
                continue;
            }
            if matches!(e, Element::Rule(..) | Element::Line(_)) {
                continue;
            }
        }
        let (color, dashed) = match e {
            Element::Line(x) => (x.color, x.dashes.is_some()),
            Element::Area(x) => (x.color, false),
            Element::Tick(x) => (x.color, false),
            Element::Rule(_, x) => (x.color, x.dashes.is_some()),
            _ => continue,
        };
        let o = canvas.metrics().advance(font, 'o');
        let bx = o * 1.2;
        let yb = p.y - bx * 0.4;
        let (x0, y0, x1, y1) = (p.x, yb - bx, p.x + bx, yb);
        let r = [
            area_fit(x0, y0),
            area_fit(x1, y0),
            area_fit(x1, y1),
            area_fit(x0, y1),
        ];
        canvas.fill(&r, c.back);
        if let Some(col) = color {
            canvas.fill(&r, col);
        }
        let fr = [
            line_fit(x0, y0, 1.0),
            line_fit(x1, y0, 1.0),
            line_fit(x1, y1, 1.0),
            line_fit(x0, y1, 1.0),
            line_fit(x0, y0, 1.0),
        ];
        canvas.stroke(&fr, 1.0, c.frame, dashed.then_some((3.0, 3.0, 0.0)));
    }
}

fn draw_axes(canvas: &mut dyn Canvas, opts: &GraphOptions, l: &Layout) {
    let c = &opts.colors;
    let (xo, yo, xs, ys) = (
        l.xorigin as f64,
        l.yorigin as f64,
        l.xsize as f64,
        l.ysize as f64,
    );
    let lw = 0.6;
    canvas.stroke(
        &[line_fit(xo - 4.0, yo, lw), line_fit(xo + xs + 4.0, yo, lw)],
        lw,
        c.axis,
        None,
    );
    canvas.stroke(
        &[line_fit(xo, yo + 4.0, lw), line_fit(xo, yo - ys - 4.0, lw)],
        lw,
        c.axis,
        None,
    );
    let tri = |p: [(f64, f64); 3]| p.map(|(x, y)| area_fit(x, y));
    canvas.fill(
        &tri([
            (xo + xs + 2.0, yo - 3.0),
            (xo + xs + 2.0, yo + 3.0),
            (xo + xs + 7.0, yo),
        ]),
        c.arrow,
    );
    canvas.fill(
        &tri([
            (xo - 3.0, yo - ys - 2.0),
            (xo + 3.0, yo - ys - 2.0),
            (xo, yo - ys - 7.0),
        ]),
        c.arrow,
    );
    if opts.layout.right_axis {
        canvas.stroke(
            &[
                line_fit(xo + xs, yo + 4.0, lw),
                line_fit(xo + xs, yo - ys - 4.0, lw),
            ],
            lw,
            c.axis,
            None,
        );
        canvas.fill(
            &tri([
                (xo + xs - 2.0, yo - ys - 2.0),
                (xo + xs + 3.0, yo - ys - 2.0),
                (xo + xs, yo - ys - 7.0),
            ]),
            c.arrow,
        );
    }
}
