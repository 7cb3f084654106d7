//! `graph` and `graphv`: rrdtool's graph command line to a PNG or SVG
//! image, the size line and PRINT lines (`graph`) or the info keys
//! (`graphv`).

use std::io::Write;

use rrd_graph::canvas::Metrics;
use rrd_graph::layout::{LegendDirection, LegendPosition};
use rrd_graph::render::{self, GraphInfo, GraphOptions};
use rrd_graph::{axis, compute, Element, EvalEnv, Files, GraphSpec, ParseContext, Window};

use rrd_core::argbytes;

use crate::commands::{
    default_window, parse_opts_until_error, parse_window_time, write_file_atomically, write_out,
    write_raw,
};
use crate::xport_cmd::{atol, graph_error, graph_window, now, resolve_window};
use rrd_clib::getopt::{opt, Arg, Opt};

/// The image formats `rrd graph` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Png,
    Svg,
    Data(rrd_graph::DataFormat),
}

const SPEC: &[Opt] = &[
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

/// rrdtool's `rrd_strtodbl` for an option, with its messages.
fn option_float(letter: char, value: &str) -> Result<f64, String> {
    rrd_clib::strtod::strtodbl(value, Some(&format!("option -{letter}")))
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

fn unsupported(what: &str) -> String {
    format!("{what} is not supported yet")
}

/// `rrd graph` (`verbose`: `graphv`).
pub fn cmd_graph(argv: &[String], out: &mut dyn Write, verbose: bool) -> Result<(), String> {
    let (p, bad_option) = parse_opts_until_error(argv, SPEC);
    let tz = jiff::tz::TimeZone::system();
    let now = now();
    let (mut start, mut end) = default_window(now);
    let mut o = GraphOptions::default();
    let mut step: i64 = 0;
    let mut format = Format::Png;
    let mut zoom = 1.0f64;
    let mut imginfo: Option<String> = None;
    let mut lazy = false;
    let mut missing_as_unknown = false;
    for (name, value) in &p.opts {
        let v = value.as_deref().unwrap_or_default();
        match *name {
            "start" => start = parse_window_time("start", v, now, &tz)?,
            "end" => end = parse_window_time("end", v, now, &tz)?,
            "step" => step = i64::from(atol(v) as i32),
            "width" => {
                let w = atol(v);
                if w < 10 {
                    return Err("width below 10 pixels".into());
                }
                o.layout.width = u32::try_from(w).map_err(|_| unsupported("a width this large"))?;
            }
            "height" => {
                let h = atol(v);
                if h < 10 {
                    return Err("height below 10 pixels".into());
                }
                o.layout.height =
                    u32::try_from(h).map_err(|_| unsupported("a height this large"))?;
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
            "units-exponent" => o.axis.units_exponent = Some(axis::c_atoi(v)),
            "units" => o.axis.set_units(v).map_err(graph_error)?,
            "base" => o.axis.base = axis::parse_base(v).map_err(graph_error)?,
            "y-grid" => o.axis.y_grid = axis::parse_y_grid(v).map_err(graph_error)?,
            "x-grid" => o.axis.x_grid = axis::parse_x_grid(v).map_err(graph_error)?,
            "week-fmt" => o.axis.week_format = axis::week_format(v),
            "right-axis" => {
                o.axis.right_axis = Some(axis::parse_right_axis(v).map_err(graph_error)?)
            }
            "right-axis-label" => o.right_axis_label = v.to_string(),
            "right-axis-format" => o.axis.right_axis_format = Some(v.to_string()),
            "left-axis-format" => o.axis.left_axis_format = Some(v.to_string()),
            "right-axis-formatter" => {
                o.axis.right_axis_formatter =
                    axis::parse_value_formatter(v, axis::AxisSide::Right).map_err(graph_error)?
            }
            "left-axis-formatter" => {
                o.axis.left_axis_formatter =
                    axis::parse_value_formatter(v, axis::AxisSide::Left).map_err(graph_error)?
            }
            "title" => o.title = v.to_string(),
            "vertical-label" => o.vertical_label = v.to_string(),
            "watermark" => o.watermark = v.to_string(),
            "upper-limit" => o.axis.upper_limit = Some(option_float('u', v)?),
            "lower-limit" => o.axis.lower_limit = Some(option_float('l', v)?),
            "units-length" => o.axis.units_length = Some(axis::c_atoi(v)),
            "tabwidth" => o.layout.tabwidth = option_float('T', v)?,
            "border" => o.border = i64::from(atol(v) as i32),
            "imgformat" => {
                format = match v {
                    "PNG" => Format::Png,
                    "SVG" => Format::Svg,
                    "EPS" | "PDF" => return Err(unsupported(&format!("--imgformat {v}"))),
                    d if rrd_graph::DataFormat::parse(d).is_some() => Format::Data(
                        rrd_graph::DataFormat::parse(d).unwrap_or(rrd_graph::DataFormat::Csv),
                    ),
                    _ => return Err(format!("unsupported graphics format '{v}'")),
                }
            }
            "legend-position" => {
                o.layout.legend_position = match v {
                    "north" => LegendPosition::North,
                    "south" => LegendPosition::South,
                    "east" => LegendPosition::East,
                    "west" => LegendPosition::West,
                    _ => return Err(format!("unknown legend-position '{v}'")),
                }
            }
            "legend-direction" => {
                o.layout.legend_direction = match v {
                    "topdown" => LegendDirection::TopDown,
                    "bottomup" => LegendDirection::BottomUp,
                    "bottomup2" => LegendDirection::BottomUp2,
                    _ => return Err(format!("unknown legend-position '{v}'")),
                }
            }
            "color" => set_color(&mut o, v)?,

            // accepted and ignored by rrdtool too
            "interlaced" | "alt-y-mrtg" | "font-smoothing-threshold" | "no-gridfit" => {}
            "zoom" => {
                let z = option_float('m', v)?;
                if z.is_nan() || z <= 0.0 {
                    return Err("zoom factor must be > 0".into());
                }
                zoom = z;
            }
            "font" => set_font(&mut o, v)?,
            "imginfo" => imginfo = Some(v.to_string()),
            "lazy" => lazy = true,
            "use-nan-for-all-missing-data" => missing_as_unknown = true,
            "dynamic-labels" => o.dynamic_labels = true,
            "grid-dash" => o.grid_dash = parse_grid_dash(v)?,
            "font-render-mode" => match v {
                "normal" | "light" => {}
                "mono" => return Err(unsupported("--font-render-mode mono")),
                _ => return Err(format!("unknown font-render-mode '{v}'")),
            },
            "graph-render-mode" => match v {
                "normal" => {}
                "mono" => return Err(unsupported("--graph-render-mode mono")),
                _ => return Err(format!("unknown graph-render-mode '{v}'")),
            },
            "graph-type" => match v {
                "TIME" => {}
                "XY" => return Err("XY diagram not implemented".into()),
                _ => return Err(format!("unsupported graphics type '{v}'")),
            },
            "daemon" => return Err(unsupported("--daemon (rrdcached)")),
            other => return Err(unsupported(&format!("--{other}"))),
        }
    }
    if let Some(e) = bad_option {
        return Err(e);
    }
    // sizes are checked before anything is allocated for them: the image is
    // at least the graph area (the whole image is checked again once laid
    // out, before it is drawn)
    render::check_image_size(
        f64::from(o.layout.width) * zoom,
        f64::from(o.layout.height) * zoom,
    )
    .map_err(graph_error)?;
    o.axis.validate().map_err(graph_error)?;
    o.axis.axis_font_size = o.layout.fonts.axis;
    o.axis.legend_font_size = o.layout.fonts.legend;
    o.layout.x_grid = o.axis.x_grid != axis::XGridOption::None;
    o.layout.y_grid = o.axis.y_grid != axis::YGridOption::None;
    o.layout.units_length_set = o.axis.units_length.is_some();
    o.layout.units_length = o.axis.units_length.unwrap_or(6).clamp(0, 10_000) as u32;
    o.layout.right_axis = o.axis.right_axis.is_some();
    o.layout.right_axis_label = !o.right_axis_label.is_empty();
    let (start, end) = resolve_window(&start, &end, &tz)?;
    let Some((file, elements)) = p.args.split_first() else {
        return Err("missing filename".into());
    };
    o.start = start;
    o.end = end;
    o.layout.has_title = !o.title.is_empty();
    o.layout.title_lines = title_lines(&o.title);
    o.layout.vertical_label = !o.vertical_label.is_empty();
    o.layout.watermark = !o.watermark.is_empty();
    let ctx = ParseContext {
        now,
        tz: &tz,
        start,
        end,
    };
    let spec = GraphSpec::parse(elements, &ctx).map_err(graph_error)?;
    let graph_elements = spec.elements().iter().any(|e| {
        matches!(
            e,
            Element::Line(_) | Element::Area(_) | Element::Tick(_) | Element::Rule(..)
        ) || matches!(e, Element::Print(p) if p.graph)
    });
    let has_prints = spec
        .elements()
        .iter()
        .any(|e| matches!(e, Element::Print(p) if !p.graph));
    let win = graph_window(start, end, step, i64::from(o.layout.width));
    let env = EvalEnv {
        now,
        tz: &tz,
        missing_as_unknown,
    };
    let data = compute(&spec, &win, &env, &mut Files).map_err(graph_error)?;
    if let Format::Data(df) = format {
        return data_output(out, verbose, file, &spec, &data, &win, &o, df, &tz);
    }
    let printed = render::print_calc(&spec, &data, 1000, now, &tz).map_err(graph_error)?;
    if printed.silent_stop {
        return Ok(());
    }
    let print_lines = |verbose: bool| {
        printed
            .prints
            .iter()
            .enumerate()
            .map(|(k, p)| {
                if verbose {
                    format!("print[{k}] = \"{p}\"\n")
                } else {
                    format!("{p}\n")
                }
            })
            .collect::<String>()
    };
    if !graph_elements {
        if has_prints {
            let head = if verbose { "" } else { "0x0\n" };
            write_out(out, &format!("{head}{}", print_lines(verbose)))?;
        }
        return Ok(());
    }
    let metrics = Metrics::new();
    let layout =
        render::graph_layout(&metrics, &spec, &o, &printed.gprints).map_err(graph_error)?;
    let info_line = |w: i64, h: i64| -> Result<Option<String>, String> {
        let Some(f) = imginfo.as_deref().filter(|f| !f.is_empty()) else {
            return Ok(None);
        };
        let name = if file == "-" {
            "memory".to_string()
        } else {
            std::path::Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let zw = (w as f64 * zoom) as i64;
        let zh = (h as f64 * zoom) as i64;
        imginfo_text(f, &name, zw, zh).map(Some)
    };
    // --lazy: an image newer than one pixel's worth of time is kept
    if lazy && file != "-" {
        let fresh = std::fs::metadata(argbytes::to_path(file))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .is_some_and(|t| now - (t.as_secs() as i64) <= (end - start) / layout.xsize.max(1));
        if fresh {
            let info_text = info_line(layout.ximg, layout.yimg)?;
            return lazy_output(out, verbose, &o, &layout, &printed.prints, info_text);
        }
    }
    let painted = render::paint_values(
        &spec,
        &data,
        start,
        end,
        layout.xsize as usize,
        o.axis.logarithmic,
    );
    let grids = render::grids(&o, &painted, &layout, &tz).map_err(graph_error)?;
    let image_format = match format {
        Format::Svg => render::ImageFormat::Svg,
        _ => render::ImageFormat::Png,
    };
    let image = render::render_image(
        &spec,
        &data,
        &o,
        &layout,
        &painted,
        &grids,
        image_format,
        zoom,
    )
    .map_err(graph_error)?;
    let info = render::info(&o, &layout, &grids, &metrics, zoom);
    let info_text = info_line(info.image_width, info.image_height)?;
    let info_key = info_text
        .as_ref()
        .map(|t| format!("image_info = \"{t}\"\n"))
        .unwrap_or_default();
    if file == "-" {
        if verbose {
            write_out(out, &print_lines(true))?;
            print_info(out, &info)?;
            write_out(out, &info_key)?;
            write_out(out, &format!("image = BLOB_SIZE:{}\n", image.len()))?;
        }
        write_raw(out, &image)?;
        return labelling_error(&grids);
    }
    write_file_atomically(file, &image)?;
    if verbose {
        write_out(out, &print_lines(true))?;
        print_info(out, &info)?;
        write_out(out, &info_key)?;
    } else {
        // rrdtool leaves the size line out when `--imginfo` or `-f` is an
        // argument of its own
        let size = if argv.iter().any(|a| a == "--imginfo" || a == "-f") {
            String::new()
        } else {
            format!("{}x{}\n", info.image_width, info.image_height)
        };
        let extra = info_text.map(|t| format!("{t}\n")).unwrap_or_default();
        write_out(out, &format!("{size}{extra}{}", print_lines(false)))?;
    }
    labelling_error(&grids)
}

/// rrdtool writes the graph and its output lines, then fails with an error
/// set while labelling the value axis (`Wrong duration format`).
fn labelling_error(grids: &render::Grids) -> Result<(), String> {
    match &grids.error {
        Some(e) => Err(e.clone()),
        None => Ok(()),
    }
}

fn print_info(out: &mut dyn Write, i: &GraphInfo) -> Result<(), String> {
    let d = |v: f64| {
        if v.is_nan() {
            "NaN".to_string()
        } else {
            // glibc's %0.10e
            let s = format!("{v:.10e}");
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let e: i32 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
        }
    };
    let mut s = format!(
        "graph_left = {}\ngraph_top = {}\ngraph_width = {}\ngraph_height = {}\nimage_width = {}\nimage_height = {}\ngraph_start = {}\ngraph_end = {}\nvalue_min = {}\nvalue_max = {}\n",
        i.graph_left,
        i.graph_top,
        i.graph_width,
        i.graph_height,
        i.image_width,
        i.image_height,
        i.graph_start,
        i.graph_end,
        d(i.value_min),
        d(i.value_max)
    );
    for (k, (text, c)) in i.legends.iter().enumerate() {
        // %.0f rounds halves to even
        let r = |v: f64| {
            let f = v.floor();
            let x = if v - f == 0.5 {
                if f % 2.0 == 0.0 {
                    f
                } else {
                    f + 1.0
                }
            } else {
                v.round()
            };
            x as i64
        };
        s.push_str(&format!(
            "legend[{k}] = \"{text}\"\ncoords[{k}] = \"{},{},{},{}\"\n",
            r(c[0]),
            r(c[1]),
            r(c[2]),
            r(c[3])
        ));
    }
    write_out(out, &s)
}

fn set_color(o: &mut GraphOptions, v: &str) -> Result<(), String> {
    let Some((name, hex)) = v.split_once('#') else {
        return Err("invalid color def format".into());
    };
    if name.is_empty() || name.len() > 10 || !name.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err("invalid color def format".into());
    }
    let digits: String = hex
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .take(8)
        .collect();
    if digits.is_empty() {
        return Err("invalid color def format".into());
    }
    let c = match digits.len() {
        3 | 4 | 6 | 8 => rrd_graph::parse_color(&digits)
            .ok_or_else(|| "the color format is #RRGGBB[AA]".to_string())?,
        _ => return Err("the color format is #RRGGBB[AA]".into()),
    };
    let slot = o
        .colors
        .get_mut(name)
        .ok_or_else(|| format!("invalid color name '{name}'"))?;
    *slot = c;
    Ok(())
}

/// `--imginfo`'s printf: `%s` the file name, two `%lu` the zoomed size,
/// `%%` a percent sign; anything else is rrdtool's format error.
fn imginfo_text(fmt: &str, name: &str, w: i64, h: i64) -> Result<String, String> {
    let bad = || {
        format!(
            "invalid format string '{fmt}' (should match '^(?:[^%]+|%%)*%s(?:[^%]+|%%)*%lu(?:[^%]+|%%)*%lu(?:[^%]+|%%)*$')"
        )
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

/// `-n TAG:size[:font]`: sizes only; the embedded face is the only font.
fn set_font(o: &mut GraphOptions, v: &str) -> Result<(), String> {
    let bad = || "invalid text property format".to_string();
    let (tag, rest) = v.split_once(':').ok_or_else(bad)?;
    if tag.is_empty() || tag.len() > 10 || !tag.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    let size_len = rest
        .bytes()
        .take(40)
        .take_while(|b| b.is_ascii_digit() || b".e+-".contains(b))
        .count();
    if size_len == 0 {
        return Err(bad());
    }
    let size = rrd_clib::strtod::strtodbl(&rest[..size_len], None).map_err(|_| bad())?;
    let after = &rest[size_len..];
    let f = &mut o.layout.fonts;
    let slots: Vec<&mut f64> = match tag {
        "DEFAULT" => vec![
            &mut f.title,
            &mut f.axis,
            &mut f.unit,
            &mut f.legend,
            &mut f.watermark,
        ],
        "TITLE" => vec![&mut f.title],
        "AXIS" => vec![&mut f.axis],
        "UNIT" => vec![&mut f.unit],
        "LEGEND" => vec![&mut f.legend],
        "WATERMARK" => vec![&mut f.watermark],
        _ => return Err(format!("invalid fonttag '{tag}'")),
    };
    if after.len() > 2 {
        let Some(font) = after.strip_prefix(':') else {
            return Err(format!("expected : after font size in '{v}'"));
        };
        return Err(unsupported(&format!(
            "font '{font}' (rrd draws text in its embedded DejaVu Sans Mono)"
        )));
    }
    if size > 0.0 {
        for s in slots {
            *s = size;
        }
    }
    Ok(())
}

/// What graph and graphv print when `--lazy` keeps the image.
fn lazy_output(
    out: &mut dyn Write,
    verbose: bool,
    o: &GraphOptions,
    l: &rrd_graph::layout::Layout,
    prints: &[String],
    info_text: Option<String>,
) -> Result<(), String> {
    let mut s = String::new();
    if verbose {
        for (k, p) in prints.iter().enumerate() {
            s.push_str(&format!("print[{k}] = \"{p}\"\n"));
        }
        s.push_str(&format!(
            "graph_left = {}\ngraph_top = {}\ngraph_width = {}\ngraph_height = {}\nimage_width = {}\nimage_height = {}\ngraph_start = {}\ngraph_end = {}\n",
            l.xorigin,
            l.yorigin - l.ysize,
            l.xsize,
            l.ysize,
            l.ximg,
            l.yimg,
            o.start,
            o.end
        ));
        if let Some(t) = info_text {
            s.push_str(&format!("image_info = \"{t}\"\n"));
        }
    } else {
        match info_text {
            Some(t) => s.push_str(&format!("{t}\n")),
            None => s.push_str(&format!("{}x{}\n", l.ximg, l.yimg)),
        }
        for p in prints {
            s.push_str(p);
            s.push('\n');
        }
    }
    write_out(out, &s)
}

/// `graph -a CSV|TSV|SSV|JSON|JSONTIME|XML|XMLENUM`: the document goes to
/// the file (or standard output for `-`); `graph` prints `0x0`, `graphv`
/// the time keys.
#[allow(clippy::too_many_arguments)]
fn data_output(
    out: &mut dyn Write,
    verbose: bool,
    file: &str,
    spec: &GraphSpec,
    data: &rrd_graph::GraphData,
    win: &Window,
    o: &GraphOptions,
    df: rrd_graph::DataFormat,
    tz: &jiff::tz::TimeZone,
) -> Result<(), String> {
    let table = rrd_graph::graph_table(spec, data, win).map_err(graph_error)?;
    let custom = match &o.axis.x_grid {
        axis::XGridOption::Custom(g) => Some(g.format.clone()),
        _ => None,
    };
    let time = |t: i64| match &custom {
        Some(f) => axis::format_local_time(f, t, tz),
        None => t.to_string(),
    };
    let doc = rrd_graph::render_graph_data(spec, &table, df, &time, custom.is_some())
        .map_err(graph_error)?;
    let keys = format!(
        "graph_start = {}\ngraph_end = {}\ngraph_step = {}\n",
        table.start, table.end, table.step
    );
    if file == "-" {
        if verbose {
            write_out(out, &keys)?;
            write_out(out, &format!("image = BLOB_SIZE:{}\n", doc.len()))?;
        }
        return write_out(out, &doc);
    }
    write_file_atomically(file, &argbytes::decode(&doc))?;
    if verbose {
        write_out(out, &keys)
    } else {
        write_out(out, "0x0\n")
    }
}

/// Two runs of number characters separated by `:` (`--grid-dash`,
/// `--right-axis`): the parts, or `None` when the shape does not match.
fn two_numbers(v: &str) -> Option<(&str, &str)> {
    let run = |s: &str| {
        s.bytes()
            .take(40)
            .take_while(|b| b.is_ascii_digit() || b".e+-".contains(b))
            .count()
    };
    let a = run(v);
    let rest = v[a..].strip_prefix(':')?;
    let b = run(rest);
    (a > 0 && b > 0).then(|| (&v[..a], &rest[..b]))
}

/// `--grid-dash on:off`.
fn parse_grid_dash(v: &str) -> Result<(f64, f64), String> {
    let (a, b) = two_numbers(v).ok_or_else(|| "invalid grid-dash format".to_string())?;
    let num = |s: &str| {
        rrd_clib::strtod::strtodbl(s, None)
            .map_err(|_| "expected grid-dash format float:float".to_string())
    };
    Ok((num(a)?, num(b)?))
}
