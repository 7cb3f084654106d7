//! `rrdtool graph`: the per-pixel values (`data_proc`), the drawing in
//! rrdtool's order (`graph_paint`) on a [`Canvas`], and what `graphv`
//! reports.

use crate::canvas::{Canvas, HAlign, Metrics, Rgba, Text, VAlign};
use crate::data::{GraphData, Series};
use crate::elements::{Area, Line, Rule, Tick, Value};
use crate::error::Result;
use crate::layout::{layout, Layout, LayoutOptions, LegendItem};
use crate::spec::{Element, ElementId, GraphSpec};

/// rrdtool's default colours (`-c NAME#rrggbb[aa]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Colors {
    /// BACK: around the canvas.
    pub back: Rgba,
    /// CANVAS: behind the data.
    pub canvas: Rgba,
    /// SHADEA: top and left border.
    pub shade_a: Rgba,
    /// SHADEB: bottom and right border.
    pub shade_b: Rgba,
    /// GRID: minor grid lines.
    pub grid: Rgba,
    /// MGRID: major grid lines.
    pub mgrid: Rgba,
    /// FONT: text.
    pub font: Rgba,
    /// ARROW: axis arrows.
    pub arrow: Rgba,
    /// AXIS: axis lines.
    pub axis: Rgba,
    /// FRAME: legend box outlines.
    pub frame: Rgba,
}

impl Default for Colors {
    fn default() -> Self {
        let c = |r, g, b, a| Rgba { r, g, b, a };
        Colors {
            back: c(0.95, 0.95, 0.95, 1.0),
            canvas: c(1.0, 1.0, 1.0, 1.0),
            shade_a: c(0.81, 0.81, 0.81, 1.0),
            shade_b: c(0.62, 0.62, 0.62, 1.0),
            grid: c(0.56, 0.56, 0.56, 0.75),
            mgrid: c(0.87, 0.31, 0.31, 0.60),
            font: c(0.0, 0.0, 0.0, 1.0),
            arrow: c(0.50, 0.12, 0.12, 1.0),
            axis: c(0.12, 0.12, 0.12, 1.0),
            frame: c(0.0, 0.0, 0.0, 1.0),
        }
    }
}

impl Colors {
    /// The colour named as in `-c NAME#…`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Rgba> {
        Some(match name {
            "BACK" => &mut self.back,
            "CANVAS" => &mut self.canvas,
            "SHADEA" => &mut self.shade_a,
            "SHADEB" => &mut self.shade_b,
            "GRID" => &mut self.grid,
            "MGRID" => &mut self.mgrid,
            "FONT" => &mut self.font,
            "ARROW" => &mut self.arrow,
            "AXIS" => &mut self.axis,
            "FRAME" => &mut self.frame,
            _ => return None,
        })
    }
}

/// The value range and grid a graph is drawn with (from [`crate::axis`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grids {
    /// Bottom of the value axis.
    pub min: f64,
    /// Top of the value axis.
    pub max: f64,
    /// Logarithmic value axis.
    pub log: bool,
    /// Horizontal lines: value, major.
    pub y_lines: Vec<(f64, bool)>,
    /// Left labels: value, text.
    pub y_labels: Vec<(f64, String)>,
    /// Right-axis labels.
    pub right_labels: Vec<(f64, String)>,
    /// Vertical minor lines (times).
    pub x_minor: Vec<i64>,
    /// Vertical major lines.
    pub x_major: Vec<i64>,
    /// Time labels.
    pub x_labels: Vec<(i64, String)>,
    /// An error rrdtool sets while labelling (a bad duration format): the
    /// graph is still drawn and written, then the command fails with it.
    pub error: Option<String>,
}

/// Everything about a graph but its elements.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphOptions {
    /// Start of the graph (`-s`), seconds.
    pub start: i64,
    /// End of the graph (`-e`), seconds.
    pub end: i64,
    /// Sizes, texts and legend options.
    pub layout: LayoutOptions,
    /// `-t`.
    pub title: String,
    /// `-v`.
    pub vertical_label: String,
    /// `--right-axis-label`.
    pub right_axis_label: String,
    /// `-W`.
    pub watermark: String,
    /// Colours.
    pub colors: Colors,
    /// `--border` (3-D border width; 0 for none).
    pub border: i64,
    /// `-E`.
    pub slope_mode: bool,
    /// `-F`.
    pub force_rules_legend: bool,
    /// `--grid-dash on:off`.
    pub grid_dash: (f64, f64),
    /// Value range, grids and axis labels (`-u -l -r -A -J -M -o -X -y -Y
    /// -I -b -x --units --right-axis*` …).
    pub axis: crate::axis::AxisOptions,
    /// `--dynamic-labels`: legend marks shaped like what they stand for.
    pub dynamic_labels: bool,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            start: 0,
            end: 0,
            layout: LayoutOptions::default(),
            title: String::new(),
            vertical_label: String::new(),
            right_axis_label: String::new(),
            watermark: String::new(),
            colors: Colors::default(),
            border: 2,
            slope_mode: false,
            force_rules_legend: false,
            grid_dash: (1.0, 1.0),
            axis: crate::axis::AxisOptions::default(),
            dynamic_labels: false,
        }
    }
}

/// What `graphv` reports about a drawn graph.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphInfo {
    /// Canvas left edge.
    pub graph_left: i64,
    /// Canvas top edge.
    pub graph_top: i64,
    /// Canvas width.
    pub graph_width: i64,
    /// Canvas height.
    pub graph_height: i64,
    /// Image width.
    pub image_width: i64,
    /// Image height.
    pub image_height: i64,
    /// Start time.
    pub graph_start: i64,
    /// End time.
    pub graph_end: i64,
    /// Bottom of the value axis.
    pub value_min: f64,
    /// Top of the value axis.
    pub value_max: f64,
    /// Legend texts and their boxes (x0, y0, x1, y1).
    pub legends: Vec<(String, [f64; 4])>,
}

/// The per-pixel values of every LINE, AREA and TICK (`data_proc`), with
/// stacking, and the range of the painted values.
#[derive(Debug, Clone, PartialEq)]
pub struct Painted {
    /// One row of `xsize` values per element (empty for other elements).
    pub values: Vec<Vec<f64>>,
    /// Smallest painted value (NaN when none).
    pub min: f64,
    /// Largest painted value (NaN when none).
    pub max: f64,
}

fn value_at(spec: &GraphSpec, data: &GraphData, v: Value, t: i64) -> f64 {
    match v {
        Value::Number(x) => x,
        Value::Var(id) => match (spec.element(id), data.series(id), data.value(id)) {
            (_, Some(s), _) => series_at(s, t),
            (_, None, Some(vd)) => vd.value,
            _ => f64::NAN,
        },
    }
}

fn series_at(s: &Series, t: i64) -> f64 {
    if t < s.start || t >= s.end {
        return f64::NAN;
    }
    s.value_at(t).unwrap_or(f64::NAN)
}

/// rrdtool's `data_proc` over `xsize` columns.
pub fn paint_values(
    spec: &GraphSpec,
    data: &GraphData,
    start: i64,
    end: i64,
    xsize: usize,
    log: bool,
) -> Painted {
    let n = spec.elements().len();
    let mut values = vec![Vec::new(); n];
    let (mut rmin, mut rmax) = (f64::NAN, f64::NAN);
    let pixstep = (end - start) as f64 / xsize as f64;
    for (k, e) in spec.elements().iter().enumerate() {
        if matches!(e, Element::Line(_) | Element::Area(_) | Element::Tick(_)) {
            values[k] = vec![f64::NAN; xsize];
        }
    }
    #[allow(clippy::needless_range_loop)] // i indexes every element's row
    for i in 0..xsize {
        let t = (start as f64 + i as f64 * pixstep) as i64;
        let mut paint = 0.0;
        for (k, e) in spec.elements().iter().enumerate() {
            let (v, stack, counts) = match e {
                Element::Line(Line {
                    value,
                    stack,
                    skipscale,
                    ..
                })
                | Element::Area(Area {
                    value,
                    stack,
                    skipscale,
                    ..
                }) => (*value, *stack, !skipscale),
                Element::Tick(Tick { value, .. }) => (*value, false, false),
                _ => continue,
            };
            if !stack {
                paint = 0.0;
            }
            let x = value_at(spec, data, v, t);
            if x.is_nan() {
                values[k][i] = f64::NAN;
                continue;
            }
            paint += x;
            values[k][i] = paint;
            if paint.is_finite() && counts {
                if (rmin.is_nan() || paint < rmin) && !(log && paint <= 0.0) {
                    rmin = paint;
                }
                if rmax.is_nan() || paint > rmax {
                    rmax = paint;
                }
            }
        }
    }
    Painted {
        values,
        min: rmin,
        max: rmax,
    }
}

/// The legend items of a spec, in order, with their element index.
pub fn legend_items(spec: &GraphSpec, gprints: &[(usize, String)]) -> Vec<(usize, LegendItem)> {
    let mut out = Vec::new();
    // one lookup per GPRINT, not a search of all of them
    let gprint: std::collections::HashMap<usize, &String> =
        gprints.iter().rev().map(|(i, s)| (*i, s)).collect();
    for (k, e) in spec.elements().iter().enumerate() {
        let (text, align, comment) = match e {
            Element::Line(l) => (l.legend.clone(), None, false),
            Element::Area(a) => (a.legend.clone(), None, false),
            Element::Tick(t) => (t.legend.clone(), None, false),
            Element::Rule(_, r) => (r.legend.clone(), None, false),
            Element::Comment(c) => (c.clone(), None, true),
            Element::TextAlign(a) => (String::new(), Some(*a), false),
            Element::Print(p) if p.graph => (
                gprint.get(&k).map(|s| (*s).clone()).unwrap_or_default(),
                None,
                false,
            ),
            _ => (String::new(), None, false),
        };
        out.push((
            k,
            LegendItem {
                text,
                align,
                comment,
            },
        ));
    }
    out
}

/// rrdtool's "line-fit" of a point for a stroke of width `lw`.
fn line_fit(x: f64, y: f64, lw: f64) -> (f64, f64) {
    let d = lw / 2.0 - (lw / 2.0).ceil();
    ((x - 0.5).floor() - d, (y + 0.5).ceil() + d)
}

/// rrdtool's "area-fit".
fn area_fit(x: f64, y: f64) -> (f64, f64) {
    (x.floor(), y.ceil())
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
pub fn draw(
    canvas: &mut dyn Canvas,
    spec: &GraphSpec,
    data: &GraphData,
    opts: &GraphOptions,
    l: &Layout,
    painted: &Painted,
    grids: &Grids,
) {
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
        canvas.fill(&a.map(|(x, y)| area_fit(x, y)), c.shade_a);
        let b = [
            (i, yimg - i),
            (ximg - i, yimg - i),
            (ximg - i, i),
            (ximg, 0.0),
            (ximg, yimg),
            (0.0, yimg),
        ];
        canvas.fill(&b.map(|(x, y)| area_fit(x, y)), c.shade_b);
    }
    let dash = Some((opts.grid_dash.0, opts.grid_dash.1, 0.0));
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
                dash,
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
                dash,
            );
        }
        for (t, text) in &g.x_labels {
            if *t < f.start || *t > f.end {
                continue;
            }
            canvas.text(&Text {
                x: f.xtr(*t),
                y: yo + 3.0,
                points: fonts.axis,
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
                points: fonts.axis,
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
                points: fonts.axis,
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
                dash,
            );
        }
    }
    // labels, title, tag, watermark
    if !opts.vertical_label.is_empty() {
        canvas.text(&Text {
            x: l.vlabel.0 + 10.0,
            y: l.vlabel.1,
            points: fonts.unit,
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
            points: fonts.unit,
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
            points: fonts.title,
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
            points: fonts.watermark,
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
            points: fonts.watermark,
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
    let pt = opts.layout.fonts.legend;
    for p in &l.legends {
        canvas.text(&Text {
            x: p.x,
            y: p.y,
            points: pt,
            color: c.font,
            h: HAlign::Left,
            v: VAlign::Bottom,
            angle: 0,
            text: &p.text.replace('\t', " "),
        });
        let e = spec.element(ElementId(p.item));
        if opts.dynamic_labels {
            let o = canvas.metrics().advance(pt, 'o');
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
        let o = canvas.metrics().advance(pt, 'o');
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

/// The `graphv` information of a drawn graph. With `--zoom`, rrdtool
/// measures the legend boxes with metrics hinted at the zoomed size
/// (divided by the zoom), so `coords` do too.
pub fn info(opts: &GraphOptions, l: &Layout, grids: &Grids, m: &Metrics, zoom: f64) -> GraphInfo {
    let pt = opts.layout.fonts.legend;
    let h = m.height(pt * zoom) / zoom;
    GraphInfo {
        graph_left: l.xorigin,
        graph_top: l.yorigin - l.ysize,
        graph_width: l.xsize,
        graph_height: l.ysize,
        image_width: l.ximg,
        image_height: l.yimg,
        graph_start: opts.start,
        graph_end: opts.end,
        value_min: grids.min,
        value_max: grids.max,
        legends: l
            .legends
            .iter()
            .map(|p| {
                let w = if zoom == 1.0 {
                    p.width
                } else {
                    m.width(pt * zoom, &p.text.replace('\t', " ")) / zoom
                };
                (p.text.clone(), [p.x, p.y - h, p.x + w, p.y])
            })
            .collect(),
    }
}

/// Lays out a graph.
pub fn graph_layout(
    m: &Metrics,
    spec: &GraphSpec,
    opts: &GraphOptions,
    gprints: &[(usize, String)],
) -> Result<Layout> {
    let items: Vec<LegendItem> = legend_items(spec, gprints)
        .into_iter()
        .map(|(_, i)| i)
        .collect();
    layout(m, &opts.layout, &items)
}

/// The value range and the grids (`crate::axis`): the range from the
/// painted values and the options, the horizontal grid with its labels, and
/// the time grid.
///
/// # Errors
///
/// [`crate::Error::Unsupported`] where rrdtool misbehaves (see
/// `crate::axis`).
pub fn grids(
    opts: &GraphOptions,
    painted: &Painted,
    l: &Layout,
    tz: &jiff::tz::TimeZone,
) -> Result<Grids> {
    use crate::axis;
    let range = axis::value_range(painted.min, painted.max, &opts.axis);
    let area = axis::GraphArea {
        xorigin: l.xorigin,
        yorigin: l.yorigin,
        width: l.xsize,
        height: l.ysize,
    };
    let mut g = Grids {
        min: range.min,
        max: range.max,
        log: range.logarithmic,
        ..Grids::default()
    };
    if opts.layout.y_grid {
        let y = axis::y_grid(&range, &opts.axis, &area, tz)?;
        g.y_lines = y
            .lines
            .iter()
            .map(|line| (line.value, line.major))
            .collect();
        g.y_labels = y.labels;
        g.right_labels = y.right_labels;
        g.error = y.error;
    }
    if opts.layout.x_grid {
        let t = axis::time_grid(opts.start, opts.end, l.xsize, &opts.axis, tz)?;
        g.x_minor = t.minor;
        g.x_major = t.major;
        g.x_labels = t.labels;
    }
    Ok(g)
}

/// What PRINT and GPRINT produced (`print_calc`): PRINT lines in order and
/// each GPRINT's text by element index.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Printed {
    /// `print[N]` texts.
    pub prints: Vec<String>,
    /// GPRINT legend texts, by element index.
    pub gprints: Vec<(usize, String)>,
    /// rrdtool's silent stop (a `valstrftime` text that is empty or too
    /// long): nothing is printed and the exit status is 0.
    pub silent_stop: bool,
}

/// rrdtool's `print_calc`: the PRINT and GPRINT texts, in argument order,
/// sharing one SI state; `now` is the time `:strftime` shows for the
/// deprecated form before any VDEF item set one.
pub fn print_calc(
    spec: &GraphSpec,
    data: &GraphData,
    base: u32,
    now: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<Printed> {
    use crate::elements::PrintFormatter;
    use crate::print::{self, PrintError, PrintKind, SiState};
    let mut out = Printed::default();
    let mut si = SiState::new();
    let mut tm = now;
    let err = |e: PrintError| crate::Error::refused(e.to_string());
    for (k, e) in spec.elements().iter().enumerate() {
        let Element::Print(p) = e else { continue };
        let (value, time) = match (data.value(p.source), data.series(p.source), p.cf) {
            (Some(v), _, _) => {
                if let Some(t) = v.time {
                    tm = t;
                }
                (v.value, v.time)
            }
            (None, Some(s), Some(cf)) => {
                let rows =
                    (((s.end - s.start) / s.step as i64).max(0) as usize).min(s.values.len());
                (print::consolidate(cf, &s.values[..rows]), Some(tm))
            }
            _ => (f64::NAN, None),
        };
        let kind = if p.graph {
            PrintKind::Gprint
        } else {
            PrintKind::Print
        };
        let text = match p.kind {
            PrintFormatter::Strftime => print::format_time(&p.format, time, tz).map_err(err)?,
            PrintFormatter::ValueTime => {
                match print::format_timestamp(&p.format, value, tz, kind) {
                    Err(PrintError::TimestampText) => {
                        out.silent_stop = true;
                        return Ok(out);
                    }
                    r => r.map_err(err)?,
                }
            }
            PrintFormatter::ValueDuration => {
                print::format_duration(&p.format, value).map_err(err)?
            }
            PrintFormatter::Value => {
                print::format_value(&p.format, value, base, &mut si, kind).map_err(err)?
            }
        };
        if p.graph {
            out.gprints.push((k, text));
        } else {
            out.prints.push(text);
        }
    }
    Ok(out)
}

/// The image formats [`render_image`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG (8-bit RGB).
    Png,
    /// SVG.
    Svg,
}

/// The largest image drawn, in pixels.
pub const MAX_PIXELS: f64 = 100_000_000.0;

/// Refuses an image of `width` × `height` pixels (zoom included) above
/// [`MAX_PIXELS`]: checked on the graph area before anything is computed,
/// and on the whole image before it is drawn.
///
/// # Errors
///
/// [`crate::Error::Unsupported`].
pub fn check_image_size(width: f64, height: f64) -> Result<()> {
    if width * height > MAX_PIXELS {
        return Err(crate::Error::unsupported(
            "an image of more than 100 million pixels",
        ));
    }
    Ok(())
}

/// Draws a laid-out graph into an image of `format`, `zoom` times the
/// layout's size: PNG through plotters' bitmap backend, SVG through its SVG
/// backend (plotters stays an implementation detail).
///
/// # Errors
///
/// [`crate::Error::Unsupported`] for images of more than 100 million
/// pixels; encoding failures.
#[allow(clippy::too_many_arguments)]
pub fn render_image(
    spec: &GraphSpec,
    data: &GraphData,
    opts: &GraphOptions,
    l: &Layout,
    painted: &Painted,
    grids: &Grids,
    format: ImageFormat,
    zoom: f64,
) -> Result<Vec<u8>> {
    use crate::canvas::{svg_fix_header, RasterCanvas, SvgCanvas, Zoom};
    let (w, h) = ((l.ximg as f64 * zoom) as u32, (l.yimg as f64 * zoom) as u32);
    check_image_size(f64::from(w), f64::from(h))?;
    match format {
        ImageFormat::Png => {
            let mut buf = vec![0u8; (w as usize) * (h as usize) * 3];
            {
                let mut backend = plotters_bitmap::BitMapBackend::with_buffer(&mut buf, (w, h));
                let mut canvas = RasterCanvas::new(&mut backend);
                let mut zoomed = Zoom::new(&mut canvas, zoom);
                draw(&mut zoomed, spec, data, opts, l, painted, grids);
            }
            let mut out = Vec::new();
            {
                let mut enc = png::Encoder::new(&mut out, w, h);
                enc.set_color(png::ColorType::Rgb);
                enc.set_depth(png::BitDepth::Eight);
                enc.set_compression(png::Compression::Fast);
                let mut writer = enc
                    .write_header()
                    .map_err(|e| crate::Error::refused(format!("encoding PNG: {e}")))?;
                writer
                    .write_image_data(&buf)
                    .map_err(|e| crate::Error::refused(format!("encoding PNG: {e}")))?;
            }
            Ok(out)
        }
        ImageFormat::Svg => {
            let mut svg = String::new();
            {
                let mut backend = plotters_svg::SVGBackend::with_string(&mut svg, (w * 2, h * 2));
                let mut canvas = SvgCanvas::new(&mut backend);
                let mut zoomed = Zoom::new(&mut canvas, zoom);
                draw(&mut zoomed, spec, data, opts, l, painted, grids);
                use plotters_backend::DrawingBackend;
                backend
                    .present()
                    .map_err(|e| crate::Error::refused(format!("writing SVG: {e}")))?;
            }
            Ok(svg_fix_header(&svg, w, h).into_bytes())
        }
    }
}
