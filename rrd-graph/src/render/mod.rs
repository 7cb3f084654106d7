//! `rrdtool graph`: the per-pixel values (`data_proc`), the drawing in
//! rrdtool's order (`graph_paint`) on a [`Canvas`], and what `graphv`
//! reports.

use crate::canvas::{Metrics, Rgba};
use crate::data::{GraphData, Series};
use crate::element::{Area, Element, Line, Tick, Value};
use crate::error::Result;
use crate::layout::{layout, Layout, LayoutOptions, LegendItem};
use crate::spec::GraphSpec;

mod draw;
use draw::draw;

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
    /// Lines and areas are fitted to the pixel grid (not with `-N`, nor
    /// in SVG, as in rrdtool).
    pub gridfit: bool,
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
            gridfit: true,
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

/// The `graphv` information of a drawn graph. With `--zoom`, rrdtool
/// measures the legend boxes with metrics hinted at the zoomed size
/// (divided by the zoom), so `coords` do too.
pub fn info(
    spec: &GraphSpec,
    opts: &GraphOptions,
    l: &Layout,
    grids: &Grids,
    m: &Metrics,
    zoom: f64,
) -> GraphInfo {
    let font = opts.layout.fonts.font(crate::layout::TextProp::Legend);
    let zoomed = font.at(font.size * zoom);
    // rrdtool measures each legend right after drawing it, and then the
    // "o" of its box: with markup that does not parse, what is measured
    // is what its one pango layout held before
    crate::font::replay_legends();
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
                let w = if zoom == 1.0 && !font.markup {
                    p.width
                } else {
                    m.width(zoomed, &p.text.replace('\t', " ")) / zoom
                };
                let h = m.text_height(zoomed, &p.text.replace('\t', " ")) / zoom;
                if matches!(
                    spec.element(crate::element::ElementId(p.item)),
                    Element::Line(_) | Element::Area(_) | Element::Tick(_) | Element::Rule(..)
                ) {
                    m.width(font, "o");
                }
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
    use crate::element::PrintFormatter;
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
    /// PNG: RGB when every pixel is opaque, RGBA otherwise (as cairo
    /// writes them), with a palette when the colours fit one.
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
/// layout's size: PNG through our RGBA bitmap (a plotters backend), SVG
/// through our SVG writer.
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
    use crate::canvas::{RasterCanvas, Zoom};
    let (w, h) = ((l.ximg as f64 * zoom) as u32, (l.yimg as f64 * zoom) as u32);
    check_image_size(f64::from(w), f64::from(h))?;
    match format {
        ImageFormat::Png => {
            let mut bitmap = crate::bitmap::RgbaBitmap::new(w, h);
            {
                let mut canvas = RasterCanvas::new(&mut bitmap);
                let mut zoomed = Zoom::new(&mut canvas, zoom);
                draw(&mut zoomed, spec, data, opts, l, painted, grids);
            }
            bitmap.encode_png().map_err(crate::Error::refused)
        }
        ImageFormat::Svg => {
            let mut canvas = crate::svg::SvgCanvas::new(w, h);
            {
                let mut zoomed = Zoom::new(&mut canvas, zoom);
                // rrdtool fits nothing to pixels in vector output
                let opts = GraphOptions {
                    gridfit: false,
                    ..opts.clone()
                };
                draw(&mut zoomed, spec, data, &opts, l, painted, grids);
            }
            Ok(canvas.finish().into_bytes())
        }
    }
}
