//! The front door: rrdtool's `graph`/`graphv` and `xport` arguments in,
//! image, texts and keys out.
//!
//! [`GraphRequest::parse`] takes the arguments after `graph` (options and
//! elements in any order, as rrdtool's option parser accepts them) and
//! computes every derived setting once; [`GraphRequest::render`] fetches
//! through a [`Source`] and returns a [`Rendered`]: the bytes of the image
//! (or data document), the PRINT lines, what `graph` and `graphv` print, and
//! the error rrdtool reports after drawing. [`XportRequest`] does the same
//! for `xport`.

use jiff::tz::TimeZone;

use rrd_clib::getopt::{self, opt, Arg, Opt};
use rrd_clib::strtod::strtodbl;
use rrd_clib::strtol;
use rrd_core::time::{default_window, parse_window_time, proc_start_end, TimeSpec};

use crate::axis;
use crate::canvas::Metrics;
use crate::data::{compute, EvalEnv, Source, Window};
use crate::element::Element;
use crate::layout::{LegendDirection, LegendPosition};
use crate::render::{self, GraphInfo, GraphOptions};
use crate::spec::{GraphSpec, ParseContext};
use crate::xport::{graph_table, render_graph_data, xport_table, DataFormat, XportFormat};
use crate::{Error, Result};

/// When and where a request is made: the clock (for `now`, `N` and the
/// default window) and the time zone of the times and labels.
#[derive(Debug, Clone)]
pub struct Env {
    /// Seconds since the epoch.
    pub now: i64,
    /// The zone at-style times and time labels are read and written in.
    pub tz: TimeZone,
    /// The font description every text property starts with
    /// (`RRD_DEFAULT_FONT`; None: DejaVu Sans Mono).
    pub default_font: Option<String>,
}

impl Env {
    /// The system clock and time zone (`TZ`, else `/etc/localtime`).
    pub fn system() -> Env {
        Env {
            now: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            tz: rrd_clib::time::system_zone(),
            default_font: std::env::var("RRD_DEFAULT_FONT")
                .ok()
                .filter(|f| !f.is_empty()),
        }
    }
}

/// What `graph` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// PNG (`--imgformat PNG`, the default).
    Png,
    /// SVG.
    Svg,
    /// A data document (`--imgformat CSV`, `JSON`, `XML`, ...).
    Data(DataFormat),
}

/// rrdtool's message for something it does not do that rrd does not do yet.
fn not_yet(what: &str) -> Error {
    Error::refused(format!("{what} is not supported yet"))
}

const GRAPH_OPTIONS: &[Opt] = &[
    opt("start", Some('s'), Arg::Required),
    opt("end", Some('e'), Arg::Required),
    opt("x-grid", Some('x'), Arg::Required),
    opt("y-grid", Some('y'), Arg::Required),
    opt("vertical-label", Some('v'), Arg::Required),
    opt("width", Some('w'), Arg::Required),
    opt("height", Some('h'), Arg::Required),
    opt("full-size-mode", Some('D'), Arg::None),
    opt("interlaced", Some('i'), Arg::None),
    opt("upper-limit", Some('u'), Arg::Required),
    opt("lower-limit", Some('l'), Arg::Required),
    opt("rigid", Some('r'), Arg::None),
    opt("allow-shrink", None, Arg::None),
    opt("base", Some('b'), Arg::Required),
    opt("logarithmic", Some('o'), Arg::None),
    opt("color", Some('c'), Arg::Required),
    opt("font", Some('n'), Arg::Required),
    opt("title", Some('t'), Arg::Required),
    opt("imginfo", Some('f'), Arg::Required),
    opt("imgformat", Some('a'), Arg::Required),
    opt("lazy", Some('z'), Arg::None),
    opt("zoom", Some('m'), Arg::Required),
    opt("no-legend", Some('g'), Arg::None),
    opt("only-graph", Some('j'), Arg::None),
    opt("alt-y-grid", Some('Y'), Arg::None),
    opt("no-minor", Some('I'), Arg::None),
    opt("slope-mode", Some('E'), Arg::None),
    opt("alt-autoscale", Some('A'), Arg::None),
    opt("alt-autoscale-min", Some('J'), Arg::None),
    opt("alt-autoscale-max", Some('M'), Arg::None),
    opt("no-gridfit", Some('N'), Arg::None),
    opt("units-exponent", Some('X'), Arg::Required),
    opt("units-length", Some('L'), Arg::Required),
    opt("units", None, Arg::Required),
    opt("step", Some('S'), Arg::Required),
    opt("tabwidth", Some('T'), Arg::Required),
    opt("font-render-mode", Some('R'), Arg::Required),
    opt("graph-render-mode", Some('G'), Arg::Required),
    opt("font-smoothing-threshold", Some('B'), Arg::Required),
    opt("watermark", Some('W'), Arg::Required),
    opt("alt-y-mrtg", None, Arg::None),
    opt("right-axis", None, Arg::Required),
    opt("right-axis-label", None, Arg::Required),
    opt("right-axis-format", None, Arg::Required),
    opt("right-axis-formatter", None, Arg::Required),
    opt("left-axis-format", None, Arg::Required),
    opt("left-axis-formatter", None, Arg::Required),
    opt("legend-position", None, Arg::Required),
    opt("legend-direction", None, Arg::Required),
    opt("border", None, Arg::Required),
    opt("grid-dash", None, Arg::Required),
    opt("dynamic-labels", None, Arg::None),
    opt("force-rules-legend", Some('F'), Arg::None),
    opt("pango-markup", Some('P'), Arg::None),
    opt("use-nan-for-all-missing-data", Some('Z'), Arg::None),
    opt("disable-rrdtool-tag", None, Arg::None),
    opt("week-fmt", None, Arg::Required),
    opt("graph-type", None, Arg::Required),
    opt("daemon", Some('d'), Arg::Required),
];

/// A parsed `graph`/`graphv` command line, every derived setting computed.
#[derive(Debug, Clone)]
pub struct GraphRequest {
    output: String,
    format: OutputFormat,
    options: GraphOptions,
    spec: GraphSpec,
    window: Window,
    zoom: f64,
    imginfo: Option<String>,
    /// `--imginfo`/`-f` as an argument of its own: `graph` then prints no
    /// size line
    imginfo_own_arg: bool,
    lazy: bool,
    missing_as_unknown: bool,
    daemon: Option<String>,
    env: Env,
}

impl GraphRequest {
    /// Parses rrdtool's graph arguments: the output file (`-` for standard
    /// output) among options and elements, as `rrdtool graph` takes them.
    /// Fails with rrdtool's message.
    pub fn parse(args: &[String], env: &Env) -> Result<GraphRequest> {
        let (p, bad_option) = getopt::parse_until_error(args, GRAPH_OPTIONS);
        let (now, tz) = (env.now, &env.tz);
        let (mut start, mut end) = default_window(now);
        let mut o = GraphOptions::default();
        let mut daemon: Option<String> = None;
        if let Some(f) = &env.default_font {
            o.layout.fonts.faces = [crate::font::resolve(f)?; 5];
        }
        let mut step: i64 = 0;
        let mut format = OutputFormat::Png;
        let mut zoom = 1.0f64;
        let mut imginfo: Option<String> = None;
        let mut lazy = false;
        let mut missing_as_unknown = false;
        for (name, value) in &p.opts {
            let v = value.as_deref().unwrap_or_default();
            match *name {
                "start" => {
                    start = parse_window_time("start", v, now, tz).map_err(Error::refused)?
                }
                "end" => end = parse_window_time("end", v, now, tz).map_err(Error::refused)?,
                "step" => step = i64::from(strtol::atoi(v)),
                "width" => {
                    let w = strtol::atol(v);
                    if w < 10 {
                        return Err(Error::refused("width below 10 pixels"));
                    }
                    o.layout.width = u32::try_from(w).map_err(|_| not_yet("a width this large"))?;
                }
                "height" => {
                    let h = strtol::atol(v);
                    if h < 10 {
                        return Err(Error::refused("height below 10 pixels"));
                    }
                    o.layout.height =
                        u32::try_from(h).map_err(|_| not_yet("a height this large"))?;
                }
                "full-size-mode" => o.layout.full_size = true,
                "only-graph" => o.layout.only_graph = true,
                "no-legend" => o.layout.no_legend = true,
                "disable-rrdtool-tag" => o.layout.no_tag = true,
                "force-rules-legend" => o.force_rules_legend = true,
                "slope-mode" => o.slope_mode = true,
                "no-minor" => o.axis.no_minor = true,
                "rigid" => o.axis.rigid = true,
                "allow-shrink" => o.axis.allow_shrink = true,
                "alt-autoscale" => o.axis.alt_autoscale = true,
                "alt-autoscale-min" => o.axis.alt_autoscale_min = true,
                "alt-autoscale-max" => o.axis.alt_autoscale_max = true,
                "alt-y-grid" => o.axis.alt_y_grid = true,
                "logarithmic" => o.axis.logarithmic = true,
                "units-exponent" => o.axis.units_exponent = Some(strtol::atoi(v)),
                "units" => o.axis.set_units(v)?,
                "base" => o.axis.base = axis::parse_base(v)?,
                "y-grid" => o.axis.y_grid = axis::parse_y_grid(v)?,
                "x-grid" => o.axis.x_grid = axis::parse_x_grid(v)?,
                "week-fmt" => o.axis.week_format = axis::week_format(v),
                "right-axis" => o.axis.right_axis = Some(axis::parse_right_axis(v)?),
                "right-axis-label" => o.right_axis_label = v.to_string(),
                "right-axis-format" => o.axis.right_axis_format = Some(v.to_string()),
                "left-axis-format" => o.axis.left_axis_format = Some(v.to_string()),
                "right-axis-formatter" => {
                    o.axis.right_axis_formatter =
                        axis::parse_value_formatter(v, axis::AxisSide::Right)?
                }
                "left-axis-formatter" => {
                    o.axis.left_axis_formatter =
                        axis::parse_value_formatter(v, axis::AxisSide::Left)?
                }
                "title" => o.title = v.to_string(),
                "vertical-label" => o.vertical_label = v.to_string(),
                "watermark" => o.watermark = v.to_string(),
                "upper-limit" => o.axis.upper_limit = Some(axis::option_float(v, 'u')?),
                "lower-limit" => o.axis.lower_limit = Some(axis::option_float(v, 'l')?),
                "units-length" => o.axis.units_length = Some(strtol::atoi(v)),
                "tabwidth" => o.layout.tabwidth = axis::option_float(v, 'T')?,
                "border" => o.border = i64::from(strtol::atoi(v)),
                "imgformat" => {
                    format = match v {
                        "PNG" => OutputFormat::Png,
                        "SVG" => OutputFormat::Svg,
                        "EPS" | "PDF" => return Err(not_yet(&format!("--imgformat {v}"))),
                        d => match DataFormat::parse(d) {
                            Some(df) => OutputFormat::Data(df),
                            None => {
                                return Err(Error::refused(format!(
                                    "unsupported graphics format '{v}'"
                                )))
                            }
                        },
                    }
                }
                "legend-position" => {
                    o.layout.legend_position = match v {
                        "north" => LegendPosition::North,
                        "south" => LegendPosition::South,
                        "east" => LegendPosition::East,
                        "west" => LegendPosition::West,
                        _ => return Err(Error::refused(format!("unknown legend-position '{v}'"))),
                    }
                }
                "legend-direction" => {
                    o.layout.legend_direction = match v {
                        "topdown" => LegendDirection::TopDown,
                        "bottomup" => LegendDirection::BottomUp,
                        "bottomup2" => LegendDirection::BottomUp2,
                        // sic: rrdtool says legend-position here too
                        _ => return Err(Error::refused(format!("unknown legend-position '{v}'"))),
                    }
                }
                "color" => set_color(&mut o, v)?,
                // accepted and ignored by rrdtool too
                "interlaced" | "alt-y-mrtg" | "font-smoothing-threshold" => {}
                "no-gridfit" => o.gridfit = false,
                "zoom" => {
                    let z = axis::option_float(v, 'm')?;
                    if z.is_nan() || z <= 0.0 {
                        return Err(Error::refused("zoom factor must be > 0"));
                    }
                    zoom = z;
                }
                "font" => set_font(&mut o, v)?,
                "pango-markup" => o.layout.fonts.markup = true,
                "imginfo" => imginfo = Some(v.to_string()),
                "lazy" => lazy = true,
                "use-nan-for-all-missing-data" => missing_as_unknown = true,
                "dynamic-labels" => o.dynamic_labels = true,
                "grid-dash" => o.grid_dash = parse_grid_dash(v)?,
                "font-render-mode" => match v {
                    "normal" | "light" => {}
                    "mono" => return Err(not_yet("--font-render-mode mono")),
                    _ => return Err(Error::refused(format!("unknown font-render-mode '{v}'"))),
                },
                "graph-render-mode" => match v {
                    "normal" => {}
                    "mono" => return Err(not_yet("--graph-render-mode mono")),
                    _ => return Err(Error::refused(format!("unknown graph-render-mode '{v}'"))),
                },
                "graph-type" => match v {
                    "TIME" => {}
                    "XY" => return Err(Error::refused("XY diagram not implemented")),
                    _ => return Err(Error::refused(format!("unsupported graphics type '{v}'"))),
                },
                "daemon" => {
                    if daemon.is_some() {
                        return Err(Error::refused(
                            "You cannot specify --daemon more than once.",
                        ));
                    }
                    daemon = Some(v.to_string());
                }
                other => return Err(not_yet(&format!("--{other}"))),
            }
        }
        if let Some(e) = bad_option {
            return Err(Error::refused(e));
        }
        // sizes are checked before anything is allocated for them: the image
        // is at least the graph area (the whole image is checked again once
        // laid out, before it is drawn)
        render::check_image_size(
            f64::from(o.layout.width) * zoom,
            f64::from(o.layout.height) * zoom,
        )?;
        o.axis.validate()?;
        o.axis.axis_font_size = o.layout.fonts.axis;
        o.axis.legend_font_size = o.layout.fonts.legend;
        o.layout.x_grid = o.axis.x_grid != axis::XGridOption::None;
        o.layout.y_grid = o.axis.y_grid != axis::YGridOption::None;
        o.layout.units_length_set = o.axis.units_length.is_some();
        o.layout.units_length = o.axis.units_length.unwrap_or(6).clamp(0, 10_000) as u32;
        o.layout.right_axis = o.axis.right_axis.is_some();
        o.layout.right_axis_label = !o.right_axis_label.is_empty();
        let (start, end) = resolve_window(&start, &end, tz)?;
        let Some((file, elements)) = p.args.split_first() else {
            return Err(Error::refused("missing filename"));
        };
        o.start = start;
        o.end = end;
        o.layout.has_title = !o.title.is_empty();
        o.layout.title_lines = title_lines(&o.title);
        o.layout.vertical_label = !o.vertical_label.is_empty();
        o.layout.watermark = !o.watermark.is_empty();
        let ctx = ParseContext {
            now,
            tz,
            start,
            end,
        };
        let spec = GraphSpec::parse(elements, &ctx)?;
        let window = graph_window(start, end, step, i64::from(o.layout.width));
        Ok(GraphRequest {
            output: file.clone(),
            format,
            options: o,
            spec,
            window,
            zoom,
            imginfo,
            imginfo_own_arg: args.iter().any(|a| a == "--imginfo" || a == "-f"),
            lazy,
            missing_as_unknown,
            daemon,
            env: env.clone(),
        })
    }

    /// `--daemon`: the rrdcached DEFs are fetched through (after a DEF's
    /// own `:daemon=`, before `RRDCACHED_ADDRESS`).
    pub fn daemon(&self) -> Option<&str> {
        self.daemon.as_deref()
    }

    /// The output file as named (`-`: standard output).
    pub fn output(&self) -> &str {
        &self.output
    }

    /// Whether the output goes to standard output (`-`).
    pub fn to_stdout(&self) -> bool {
        self.output == "-"
    }

    /// What is written.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// The parsed elements.
    pub fn spec(&self) -> &GraphSpec {
        &self.spec
    }

    /// The graph's time window and the step DEFs are fetched at.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Fetches every DEF through `source` and draws the graph (or makes the
    /// data document). With `--lazy`, `output_mtime` (the seconds since the
    /// epoch at which the existing output file was last written, if any)
    /// decides whether the image is kept as it is.
    pub fn render(&self, source: &mut dyn Source, output_mtime: Option<i64>) -> Result<Rendered> {
        crate::font::begin_graph();
        let (now, tz) = (self.env.now, &self.env.tz);
        let o = &self.options;
        let env = EvalEnv {
            now,
            tz,
            missing_as_unknown: self.missing_as_unknown,
        };
        let data = compute(&self.spec, &self.window, &env, source)?;
        if let OutputFormat::Data(df) = self.format {
            return self.data_document(&data, df);
        }
        let printed = render::print_calc(&self.spec, &data, o.axis.base, now, tz)?;
        let mut out = Rendered::default();
        if printed.silent_stop {
            return Ok(out);
        }
        out.info = printed
            .prints
            .iter()
            .enumerate()
            .map(|(k, p)| (format!("print[{k}]"), InfoValue::Text(p.clone())))
            .collect();
        out.prints = printed.prints.clone();
        let elements = self.spec.elements();
        let graph_elements = elements.iter().any(|e| {
            matches!(
                e,
                Element::Line(_) | Element::Area(_) | Element::Tick(_) | Element::Rule(..)
            ) || matches!(e, Element::Print(p) if p.graph)
        });
        if !graph_elements {
            // rrdtool prints the size line unless `--imginfo`/`-f` is an
            // argument of its own (or the image goes to standard output)
            if !out.prints.is_empty() && !self.imginfo_own_arg && !self.to_stdout() {
                out.head = vec!["0x0".into()];
            }
            if self.to_stdout() {
                out.prints_in_graph_text = false;
            }
            return Ok(out);
        }
        let metrics = Metrics::new();
        let layout = render::graph_layout(&metrics, &self.spec, o, &printed.gprints)?;
        // --lazy: an image newer than one pixel's worth of time is kept
        if self.lazy && !self.to_stdout() {
            let fresh = output_mtime.is_some_and(|t| {
                now - t <= (self.window.end - self.window.start) / layout.xsize.max(1)
            });
            if fresh {
                let info_text = self.info_text(layout.ximg, layout.yimg)?;
                let l = &layout;
                for (k, v) in [
                    ("graph_left", l.xorigin),
                    ("graph_top", l.yorigin - l.ysize),
                    ("graph_width", l.xsize),
                    ("graph_height", l.ysize),
                    ("image_width", l.ximg),
                    ("image_height", l.yimg),
                    ("graph_start", o.start),
                    ("graph_end", o.end),
                ] {
                    out.info.push((k.into(), InfoValue::Int(v)));
                }
                match info_text {
                    Some(t) => {
                        out.info
                            .push(("image_info".into(), InfoValue::Text(t.clone())));
                        out.head = vec![t];
                    }
                    None => out.head = vec![format!("{}x{}", l.ximg, l.yimg)],
                }
                return Ok(out);
            }
        }
        let painted = render::paint_values(
            &self.spec,
            &data,
            o.start,
            o.end,
            layout.xsize as usize,
            o.axis.logarithmic,
        );
        let grids = render::grids(o, &painted, &layout, tz)?;
        let image_format = match self.format {
            OutputFormat::Svg => render::ImageFormat::Svg,
            _ => render::ImageFormat::Png,
        };
        let image = render::render_image(
            &self.spec,
            &data,
            o,
            &layout,
            &painted,
            &grids,
            image_format,
            self.zoom,
        )?;
        let info = render::info(&self.spec, o, &layout, &grids, &metrics, self.zoom);
        let info_text = self.info_text(info.image_width, info.image_height)?;
        push_graph_info(&mut out.info, &info);
        if let Some(t) = &info_text {
            out.info
                .push(("image_info".into(), InfoValue::Text(t.clone())));
        }
        if self.to_stdout() {
            out.info
                .push(("image".into(), InfoValue::Blob(image.len())));
            // only the image goes to standard output
            out.prints_in_graph_text = false;
        } else {
            // rrdtool leaves the size line out when `--imginfo` or `-f` is
            // an argument of its own
            if !self.imginfo_own_arg {
                out.head
                    .push(format!("{}x{}", info.image_width, info.image_height));
            }
            out.head.extend(info_text);
        }
        out.output = Some(image);
        out.warnings = crate::font::take_warnings();
        out.error = grids.error;
        Ok(out)
    }

    /// `graph -a CSV|TSV|SSV|JSON|JSONTIME|XML|XMLENUM`: the document; `graph`
    /// prints `0x0`, `graphv` the time keys.
    fn data_document(&self, data: &crate::GraphData, df: DataFormat) -> Result<Rendered> {
        let table = graph_table(&self.spec, data, &self.window)?;
        let custom = match &self.options.axis.x_grid {
            axis::XGridOption::Custom(g) => Some(g.format.clone()),
            _ => None,
        };
        let tz = &self.env.tz;
        let time = |t: i64| match &custom {
            Some(f) => axis::format_local_time(f, t, tz),
            None => t.to_string(),
        };
        let doc = render_graph_data(&self.spec, &table, df, &time, custom.is_some())?;
        let mut out = Rendered {
            info: vec![
                ("graph_start".into(), InfoValue::Int(table.start)),
                ("graph_end".into(), InfoValue::Int(table.end)),
                ("graph_step".into(), InfoValue::Int(table.step as i64)),
            ],
            ..Rendered::default()
        };
        if self.to_stdout() {
            out.info.push(("image".into(), InfoValue::Blob(doc.len())));
        } else {
            out.head = vec!["0x0".into()];
        }
        out.output = Some(rrd_core::argbytes::decode(&doc).into_owned());
        Ok(out)
    }

    /// `--imginfo`'s line for an image of `w` x `h` (before zooming).
    fn info_text(&self, w: i64, h: i64) -> Result<Option<String>> {
        let Some(f) = self.imginfo.as_deref().filter(|f| !f.is_empty()) else {
            return Ok(None);
        };
        let name = if self.to_stdout() {
            "memory".to_string()
        } else {
            std::path::Path::new(&self.output)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let zw = (w as f64 * self.zoom) as i64;
        let zh = (h as f64 * self.zoom) as i64;
        imginfo_text(f, &name, zw, zh).map(Some)
    }
}

/// A `graphv` value, printed as rrdtool prints its info keys.
#[derive(Debug, Clone, PartialEq)]
pub enum InfoValue {
    /// An integer (`graph_width = 400`).
    Int(i64),
    /// A double (`value_min = 0.0000000000e+00`, `NaN`).
    Float(f64),
    /// A string, printed in double quotes.
    Text(String),
    /// The image's size when it goes to standard output
    /// (`image = BLOB_SIZE:1234`).
    Blob(usize),
}

impl std::fmt::Display for InfoValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InfoValue::Int(v) => write!(f, "{v}"),
            InfoValue::Float(v) => f.write_str(&rrd_clib::printf::exp10_or_nan(*v)),
            InfoValue::Text(s) => write!(f, "\"{s}\""),
            InfoValue::Blob(n) => write!(f, "BLOB_SIZE:{n}"),
        }
    }
}

/// What a rendered graph request produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The bytes for the output file (or standard output): the image or the
    /// data document; `None` when nothing is written (no graph elements,
    /// `--lazy` kept the image, or rrdtool's silent stop).
    pub output: Option<Vec<u8>>,
    /// The PRINT texts, in order.
    pub prints: Vec<String>,
    /// `graphv`'s keys in order (`print[0]`, `graph_left`, ..., `image`).
    pub info: Vec<(String, InfoValue)>,
    /// The lines `graph` prints before the PRINT lines (the size line,
    /// `--imginfo`'s line, `0x0`).
    pub head: Vec<String>,
    /// Whether `graph` prints the PRINT lines (not when the image goes to
    /// standard output).
    pub prints_in_graph_text: bool,
    /// The error rrdtool reports after writing the image and the texts
    /// (`Wrong duration format`): the run then fails.
    pub error: Option<String>,
    /// Warnings about texts that are not valid pango markup (with `-P`;
    /// rrdtool's pango prints them on standard error), one per text.
    pub warnings: Vec<String>,
}

impl Default for Rendered {
    fn default() -> Self {
        Rendered {
            output: None,
            prints: Vec::new(),
            info: Vec::new(),
            head: Vec::new(),
            prints_in_graph_text: true,
            error: None,
            warnings: Vec::new(),
        }
    }
}

impl Rendered {
    /// What `rrdtool graph` prints.
    pub fn graph_text(&self) -> String {
        let mut s = String::new();
        for line in &self.head {
            s.push_str(line);
            s.push('\n');
        }
        if self.prints_in_graph_text {
            for p in &self.prints {
                s.push_str(p);
                s.push('\n');
            }
        }
        s
    }

    /// What `rrdtool graphv` prints (before the image, when that goes to
    /// standard output).
    pub fn graphv_text(&self) -> String {
        self.info
            .iter()
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect()
    }
}

/// The keys of a drawn graph, in rrdtool's order.
fn push_graph_info(out: &mut Vec<(String, InfoValue)>, i: &GraphInfo) {
    for (k, v) in [
        ("graph_left", i.graph_left),
        ("graph_top", i.graph_top),
        ("graph_width", i.graph_width),
        ("graph_height", i.graph_height),
        ("image_width", i.image_width),
        ("image_height", i.image_height),
        ("graph_start", i.graph_start),
        ("graph_end", i.graph_end),
    ] {
        out.push((k.into(), InfoValue::Int(v)));
    }
    out.push(("value_min".into(), InfoValue::Float(i.value_min)));
    out.push(("value_max".into(), InfoValue::Float(i.value_max)));
    for (k, (text, c)) in i.legends.iter().enumerate() {
        // rrdtool prints the box with "%.0f,%.0f,%.0f,%.0f"
        let r = |v: f64| rrd_clib::printf::fixed(v, 0);
        out.push((format!("legend[{k}]"), InfoValue::Text(text.clone())));
        out.push((
            format!("coords[{k}]"),
            InfoValue::Text(format!("{},{},{},{}", r(c[0]), r(c[1]), r(c[2]), r(c[3]))),
        ));
    }
}

const XPORT_OPTIONS: &[Opt] = &[
    opt("start", Some('s'), Arg::Required),
    opt("end", Some('e'), Arg::Required),
    opt("maxrows", Some('m'), Arg::Required),
    opt("step", None, Arg::Required),
    opt("enumds", None, Arg::None),
    opt("json", None, Arg::None),
    opt("showtime", Some('t'), Arg::None),
    opt("daemon", Some('d'), Arg::Required),
];

/// A parsed `xport` command line.
#[derive(Debug, Clone)]
pub struct XportRequest {
    spec: GraphSpec,
    window: Window,
    format: XportFormat,
    daemon: Option<String>,
    env: Env,
}

impl XportRequest {
    /// Parses rrdtool's xport arguments (options and elements in any
    /// order). Fails with rrdtool's message.
    pub fn parse(args: &[String], env: &Env) -> Result<XportRequest> {
        // rrdtool acts on each option as it reads it: the longest prefix that
        // parses holds exactly the options it acted on before a bad one
        let (p, bad_option) = getopt::parse_until_error(args, XPORT_OPTIONS);
        let (now, tz) = (env.now, &env.tz);
        let (mut start, mut end) = default_window(now);
        let mut width: i64 = 400;
        let mut step: i64 = 0;
        let mut daemon: Option<String> = None;
        let mut format = XportFormat::default();
        for (name, value) in &p.opts {
            let value = value.as_deref().unwrap_or_default();
            match *name {
                "start" => {
                    start = parse_window_time("start", value, now, tz).map_err(Error::refused)?
                }
                "end" => end = parse_window_time("end", value, now, tz).map_err(Error::refused)?,
                "maxrows" => {
                    width = strtol::atol(value);
                    if width < 10 {
                        return Err(Error::refused("maxrows below 10 rows"));
                    }
                }
                // atoi: the low 32 bits of atol
                "step" => step = i64::from(strtol::atoi(value)),
                "enumds" => format.enumds = true,
                "json" => format.json = true,
                "showtime" => format.showtime = true,
                "daemon" => {
                    if daemon.is_some() {
                        return Err(Error::refused(
                            "You cannot specify --daemon more than once.",
                        ));
                    }
                    daemon = Some(value.to_string());
                }
                _ => {}
            }
        }
        if let Some(e) = bad_option {
            return Err(Error::refused(e));
        }
        let (start, end) = resolve_window(&start, &end, tz)?;
        let window = graph_window(start, end, step, width);
        let ctx = ParseContext {
            now,
            tz,
            start,
            end,
        };
        let spec = GraphSpec::parse(&p.args, &ctx)?;
        if spec.elements().is_empty() {
            return Err(Error::refused("can't make an xport without contents"));
        }
        Ok(XportRequest {
            spec,
            window,
            format,
            daemon,
            env: env.clone(),
        })
    }

    /// `--daemon` (see [`GraphRequest::daemon`]).
    pub fn daemon(&self) -> Option<&str> {
        self.daemon.as_deref()
    }

    /// The parsed elements.
    pub fn spec(&self) -> &GraphSpec {
        &self.spec
    }

    /// The time window and the step DEFs are fetched at.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Fetches every DEF through `source`; the XML or JSON document.
    pub fn render(&self, source: &mut dyn Source) -> Result<String> {
        let env = EvalEnv {
            now: self.env.now,
            tz: &self.env.tz,
            missing_as_unknown: false,
        };
        let data = compute(&self.spec, &self.window, &env, source)?;
        let table = xport_table(&self.spec, &data, &self.window)?;
        Ok(crate::xport::render(&table, self.format))
    }
}

/// The `--start`/`--end` pair of xport and graph resolved, with rrdtool's
/// checks and messages.
fn resolve_window(start: &TimeSpec, end: &TimeSpec, tz: &TimeZone) -> Result<(i64, i64)> {
    let (start, end) = proc_start_end(start, end, tz).map_err(|e| Error::refused(e.message))?;
    if start < rrd_core::MIN_START {
        return Err(Error::refused(format!(
            "the first entry to fetch should be after 1980 ({start})"
        )));
    }
    if end < start {
        return Err(Error::refused(format!(
            "start ({start}) should be less than end ({end})"
        )));
    }
    Ok((start, end))
}

/// The graph window: DEFs are fetched at `max(--step, (end - start) /
/// width)`.
fn graph_window(start: i64, end: i64, step: i64, width: i64) -> Window {
    let graph_step = step.max((end - start) / width.max(1));
    Window {
        start,
        end,
        step: graph_step.max(0) as u64,
    }
}

/// The title split into at most three lines at newlines, `\n` and `<br>`.
fn title_lines(t: &str) -> Vec<String> {
    let t = t
        .replace("\\n", "\n")
        .replace("<br/>", "\n")
        .replace("<br>", "\n");
    t.split('\n')
        .filter(|s| !s.is_empty())
        .take(3)
        .map(str::to_string)
        .collect()
}

/// `-c NAME#RRGGBB[AA]`.
fn set_color(o: &mut GraphOptions, v: &str) -> Result<()> {
    let bad = || Error::refused("invalid color def format");
    let Some((name, hex)) = v.split_once('#') else {
        return Err(bad());
    };
    if name.is_empty() || name.len() > 10 || !name.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    let digits: String = hex
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .take(8)
        .collect();
    if digits.is_empty() {
        return Err(bad());
    }
    let c = match digits.len() {
        3 | 4 | 6 | 8 => crate::parse_color(&digits)
            .ok_or_else(|| Error::refused("the color format is #RRGGBB[AA]"))?,
        _ => return Err(Error::refused("the color format is #RRGGBB[AA]")),
    };
    let slot = o
        .colors
        .get_mut(name)
        .ok_or_else(|| Error::refused(format!("invalid color name '{name}'")))?;
    *slot = c;
    Ok(())
}

/// `--imginfo`'s printf: `%s` the file name, two `%lu` the zoomed size,
/// `%%` a percent sign; anything else is rrdtool's format error.
fn imginfo_text(fmt: &str, name: &str, w: i64, h: i64) -> Result<String> {
    let bad = || {
        Error::refused(format!(
            "invalid format string '{fmt}' (should match '^(?:[^%]+|%%)*%s(?:[^%]+|%%)*%lu(?:[^%]+|%%)*%lu(?:[^%]+|%%)*$')"
        ))
    };
    let mut out = String::new();
    let mut expect = ["%s", "%lu", "%lu"].iter();
    let mut values = [name.to_string(), w.to_string(), h.to_string()].into_iter();
    let mut rest = fmt;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(r) = rest.strip_prefix("%%") {
            out.push('%');
            rest = r;
            continue;
        }
        let want = expect.next().ok_or_else(bad)?;
        rest = rest.strip_prefix(want).ok_or_else(bad)?;
        out.push_str(&values.next().unwrap_or_default());
    }
    if expect.next().is_some() {
        return Err(bad());
    }
    out.push_str(rest);
    Ok(out)
}

/// `-n TAG:size[:font]`: the size (when above 0) and the face of one text
/// property, or of all of them for DEFAULT.
fn set_font(o: &mut GraphOptions, v: &str) -> Result<()> {
    let bad = || Error::refused("invalid text property format");
    let (tag, rest) = v.split_once(':').ok_or_else(bad)?;
    if tag.is_empty() || tag.len() > 10 || !tag.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    let size_len = axis::scan_number_chars(rest.as_bytes(), 40);
    if size_len == 0 {
        return Err(bad());
    }
    let size = strtodbl(&rest[..size_len], None).map_err(|_| bad())?;
    let after = &rest[size_len..];
    let props: &[usize] = match tag {
        "DEFAULT" => &[0, 1, 2, 3, 4],
        "TITLE" => &[0],
        "AXIS" => &[1],
        "UNIT" => &[2],
        "LEGEND" => &[3],
        "WATERMARK" => &[4],
        _ => return Err(Error::refused(format!("invalid fonttag '{tag}'"))),
    };
    let f = &mut o.layout.fonts;
    if after.len() > 2 {
        let Some(font) = after.strip_prefix(':') else {
            return Err(Error::refused(format!(
                "expected : after font size in '{v}'"
            )));
        };
        let face = crate::font::resolve(font)?;
        for &p in props {
            f.faces[p] = face;
        }
    }
    if size > 0.0 {
        for &p in props {
            *match p {
                0 => &mut f.title,
                1 => &mut f.axis,
                2 => &mut f.unit,
                3 => &mut f.legend,
                _ => &mut f.watermark,
            } = size;
        }
    }
    Ok(())
}

/// `--grid-dash on:off`: two runs of number characters around a `:`.
fn parse_grid_dash(v: &str) -> Result<(f64, f64)> {
    let bad = || Error::refused("invalid grid-dash format");
    let a = axis::scan_number_chars(v.as_bytes(), 40);
    let rest = v[a..].strip_prefix(':').ok_or_else(bad)?;
    let b = axis::scan_number_chars(rest.as_bytes(), 40);
    if a == 0 || b == 0 {
        return Err(bad());
    }
    let num = |s: &str| {
        strtodbl(s, None).map_err(|_| Error::refused("expected grid-dash format float:float"))
    };
    Ok((num(&v[..a])?, num(&rest[..b])?))
}
