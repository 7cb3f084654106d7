//! `xport`: the XPORTed series resampled on one time grid, and rrdtool's
//! XML and JSON renderings of it.

use std::fmt::Write as _;

use rrd_clib::rrd_snprintf::push_rrd_exp_text;
use rrd_clib::text::TextBuf;

use crate::data::{GraphData, Window};
use crate::element::Element;
use crate::error::{Error, Result};
use crate::spec::GraphSpec;

/// The exported table: `rows` rows of `legends.len()` columns.
#[derive(Debug, Clone, PartialEq)]
pub struct XportTable {
    /// Start (exclusive): row `i` ends at `start + (i+1)·step`.
    pub start: i64,
    /// End: `start + rows·step`.
    pub end: i64,
    /// Seconds per row.
    pub step: u64,
    /// Column legends, leading white space removed.
    pub legends: Vec<String>,
    /// Number of rows.
    pub rows: usize,
    /// Row-major values; NaN is unknown.
    pub values: Vec<f64>,
}

impl XportTable {
    /// Row `i`: its time and values.
    ///
    /// # Panics
    ///
    /// When `i >= self.rows`.
    pub fn row(&self, i: usize) -> (i64, &[f64]) {
        let c = self.legends.len();
        (
            self.start + (i as i64 + 1) * self.step as i64,
            &self.values[i * c..(i + 1) * c],
        )
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Builds the table as `rrd_xport_fn` does: the step is the greatest common
/// divisor of the exported series' steps, the window is the graph window
/// aligned to it (the end always moved forward), and each cell reads the
/// series value holding the row's start time.
///
/// # Errors
///
/// `no XPORT found, nothing to do`; [`Error::Unsupported`] when a cell
/// falls outside its series (rrdtool reads out of bounds there).
pub fn xport_table(spec: &GraphSpec, data: &GraphData, win: &Window) -> Result<XportTable> {
    let mut cols = Vec::new();
    for e in spec.elements() {
        if let Element::Xport(x) = e {
            let s = data.series(x.source).ok_or_else(|| {
                Error::unsupported("XPORT of something that is not a DEF or CDEF")
            })?;
            let legend = x
                .legend
                .trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r'])
                .to_string();
            cols.push((s, legend));
        }
    }
    if cols.is_empty() {
        return Err(Error::refused("no XPORT found, nothing to do"));
    }
    // rrdtool's xport then lists legends, PRINT/GPRINT texts and rules in
    // sections of their own, which need the graph's formatting
    if let Some(e) = spec.elements().iter().find(|e| {
        !matches!(
            e,
            Element::Def(_)
                | Element::Cdef(_)
                | Element::Vdef(_)
                | Element::Shift(_)
                | Element::Xport(_)
        )
    }) {
        let what = match e {
            Element::Line(_) => "LINE",
            Element::Area(_) => "AREA",
            Element::Tick(_) => "TICK",
            Element::Rule(false, _) => "HRULE",
            Element::Rule(true, _) => "VRULE",
            Element::Comment(_) => "COMMENT",
            Element::TextAlign(_) => "TEXTALIGN",
            Element::Print(p) if p.graph => "GPRINT",
            _ => "PRINT",
        };
        return Err(Error::unsupported(format!(
            "xport with graph elements ({what}), whose texts rrdtool adds to the output,"
        )));
    }
    table_of(cols, win)
}

/// The table of `graph -a CSV|TSV|SSV|JSON|JSONTIME|XML|XMLENUM`: a column
/// for every LINE, AREA (STACKs included, unstacked values) and XPORT.
///
/// # Errors
///
/// As [`xport_table`].
pub fn graph_table(spec: &GraphSpec, data: &GraphData, win: &Window) -> Result<XportTable> {
    let mut cols = Vec::new();
    for e in spec.elements() {
        let (src, legend) = match e {
            Element::Xport(x) => (x.source, x.legend.as_str()),
            Element::Line(l) => match l.value {
                crate::element::Value::Var(id) => (id, l.legend.as_str()),
                crate::element::Value::Number(_) => {
                    return Err(Error::unsupported(
                        "a LINE of a constant in -a CSV/XML/JSON output",
                    ))
                }
            },
            Element::Area(a) => match a.value {
                crate::element::Value::Var(id) => (id, a.legend.as_str()),
                crate::element::Value::Number(_) => {
                    return Err(Error::unsupported(
                        "an AREA of a constant in -a CSV/XML/JSON output",
                    ))
                }
            },
            _ => continue,
        };
        let s = data
            .series(src)
            .ok_or_else(|| Error::unsupported("a column of something that is not a DEF or CDEF"))?;
        let legend = legend
            .trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r'])
            .to_string();
        cols.push((s, legend));
    }
    if cols.is_empty() {
        return Err(Error::refused("no XPORT found, nothing to do"));
    }
    table_of(cols, win)
}

/// The resampled table of some series (`rrd_xport_fn`'s loop).
fn table_of(cols: Vec<(&crate::data::Series, String)>, win: &Window) -> Result<XportTable> {
    let step = cols.iter().fold(0, |g, (s, _)| gcd(g, s.step));
    if step == 0 {
        return Err(Error::unsupported("exporting series of step 0"));
    }
    let start = win.start - (win.start as u64 % step) as i64;
    let rem = (win.end as u64 % step) as i64;
    // an aligned end stays; any other moves up to the next multiple
    let end = if rem == 0 {
        win.end
    } else {
        win.end - rem + step as i64
    };
    let rows = ((end - start) as u64 / step) as usize;
    let mut values = Vec::with_capacity(rows * cols.len());
    for i in 0..rows {
        let t = start + i as i64 * step as i64;
        for (s, _) in &cols {
            values.push(s.value_at(t).ok_or_else(|| {
                Error::unsupported(format!(
                    "exporting a series outside its window (time {t}; rrdtool reads out of bounds)"
                ))
            })?);
        }
    }
    Ok(XportTable {
        start,
        end,
        step,
        legends: cols.into_iter().map(|(_, l)| l).collect(),
        rows,
        values,
    })
}

/// How `rrdtool xport` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct XportFormat {
    /// `--json` rather than XML.
    pub json: bool,
    /// `--enumds`: XML value tags `<v0>`, `<v1>`, ….
    pub enumds: bool,
    /// `-t`/`--showtime`: each row starts with its time.
    pub showtime: bool,
}

/// rrdtool 1.7.2's `rrd_xport_format_xmljson` output, byte for byte.
/// Legends are printed as they are (rrdtool escapes nothing).
pub fn render(t: &XportTable, f: XportFormat) -> String {
    document(t, f, &|time| time.to_string(), &[], &[])
}

/// The XML or JSON document of `xport` and `graph -a JSON|XML…`: the table,
/// with the legend-like texts (`gprints`) and rules rrdtool lists after the
/// legend; `time` writes a row time.
fn document(
    t: &XportTable,
    f: XportFormat,
    time: &dyn Fn(i64) -> String,
    gprints: &[(&str, String)],
    rules: &[(&str, String)],
) -> String {
    let c = t.legends.len();
    let mut s = TextBuf::with_capacity(1024 + (12 + 19 * c) * (1 + t.rows));
    let start = t.start + t.step as i64;
    if f.json {
        s.push_str("{ \"about\": \"RRDtool graph JSON output\",\n  \"meta\": {\n");
        let _ = write!(
            s,
            "    \"start\": {},\n    \"end\": {},\n    \"step\": {},\n    \"legend\": [\n",
            json_time(&time(start)),
            json_time(&time(t.end)),
            t.step
        );
        for (j, l) in t.legends.iter().enumerate() {
            let _ = write!(s, "      \"{l}\"");
            if j + 1 < c {
                s.push(',');
            }
            s.push('\n');
        }
        s.push_str("          ]\n");
        for (name, items) in [("gprints", gprints), ("rules", rules)] {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(s, "    ,\"{name}\": [");
            let body: Vec<String> = items
                .iter()
                .map(|(tag, text)| format!("        {{ \"{tag}\": \"{text}\" }}"))
                .collect();
            s.push_str(&body.join(",\n"));
            s.push_str("\n        ]\n");
        }
        s.push_str("     },\n  \"data\": [\n");
        for i in 0..t.rows {
            let (tm, vals) = t.row(i);
            s.push_str("    [ ");
            if f.showtime {
                let _ = write!(s, "\"{}\",", time(tm));
            }
            for (j, &v) in vals.iter().enumerate() {
                if v.is_finite() {
                    push_rrd_exp_text(&mut s, v, 10);
                } else {
                    s.push_str("null");
                }
                if j + 1 < c {
                    s.push_str(", ");
                }
            }
            s.push_str(if i + 1 < t.rows { " ],\n" } else { " ]\n" });
        }
        s.push_str("  ]\n}\n");
    } else {
        s.push_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n\n<xport>\n  <meta>\n");
        let _ = write!(
            s,
            "    <start>{}</start>\n    <end>{}</end>\n    <step>{}</step>\n    <rows>{}</rows>\n    <columns>{c}</columns>\n    <legend>\n",
            time(start),
            time(t.end),
            t.step,
            t.rows
        );
        for l in &t.legends {
            let _ = writeln!(s, "      <entry>{l}</entry>");
        }
        s.push_str("    </legend>\n");
        for (name, items) in [("gprints", gprints), ("rules", rules)] {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(s, "    <{name}>");
            for (tag, text) in items {
                let _ = writeln!(s, "        <{tag}>{text}</{tag}>");
            }
            let _ = writeln!(s, "    </{name}>");
        }
        s.push_str("  </meta>\n  <data>\n");
        for i in 0..t.rows {
            let (tm, vals) = t.row(i);
            s.push_str("    <row>");
            if f.showtime {
                let _ = write!(s, "<t>{}</t>", time(tm));
            }
            for (j, &v) in vals.iter().enumerate() {
                if f.enumds {
                    let _ = write!(s, "<v{j}>");
                } else {
                    s.push_str("<v>");
                }
                if v.is_nan() {
                    s.push_str("NaN");
                } else {
                    push_rrd_exp_text(&mut s, v, 10);
                }
                if f.enumds {
                    let _ = write!(s, "</v{j}>");
                } else {
                    s.push_str("</v>");
                }
            }
            s.push_str("</row>\n");
        }
        s.push_str("  </data>\n</xport>\n");
    }
    s.into_string()
}

/// The data formats of `graph -a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// Semicolon-separated values.
    Ssv,
    /// JSON without times.
    Json,
    /// JSON with a time string first in each row.
    JsonTime,
    /// XML with times.
    Xml,
    /// XML with times and numbered value tags.
    XmlEnum,
}

impl DataFormat {
    /// The `-a` name.
    pub fn parse(s: &str) -> Option<DataFormat> {
        Some(match s {
            "CSV" => DataFormat::Csv,
            "TSV" => DataFormat::Tsv,
            "SSV" => DataFormat::Ssv,
            "JSON" => DataFormat::Json,
            "JSONTIME" => DataFormat::JsonTime,
            "XML" => DataFormat::Xml,
            "XMLENUM" => DataFormat::XmlEnum,
            _ => return None,
        })
    }
}

/// `graph -a CSV|TSV|SSV|JSON|JSONTIME|XML|XMLENUM` as rrdtool 1.7.2
/// writes it; `time` turns a row time into its text (seconds, or the `-x`
/// label format). PRINT and GPRINT are refused by name.
///
/// # Errors
///
/// [`Error::Unsupported`] for PRINT/GPRINT in these formats.
pub fn render_graph_data(
    spec: &GraphSpec,
    t: &XportTable,
    f: DataFormat,
    time: &dyn Fn(i64) -> String,
    formatted_times: bool,
) -> Result<String> {
    let mut s = TextBuf::default();
    let sep = match f {
        DataFormat::Csv => Some(','),
        DataFormat::Tsv => Some('\t'),
        DataFormat::Ssv => Some(';'),
        _ => None,
    };
    if let Some(sep) = sep {
        s.push_str("\"time\"");
        for l in &t.legends {
            let l: String = l.chars().take(254).collect();
            let _ = write!(s, "{sep}\"{l}\"");
        }
        s.push_str("\r\n");
        for i in 0..t.rows {
            let (tm, vals) = t.row(i);
            s.push_str(&time(tm));
            for &v in vals {
                s.push(sep);
                s.push('"');
                if v.is_nan() {
                    s.push_str("NaN");
                } else {
                    push_rrd_exp_text(&mut s, v, 10);
                }
                s.push('"');
            }
            s.push_str("\r\n");
        }
        return Ok(s.into_string());
    }
    // the legend-like texts rrdtool lists after the legend
    let json = matches!(f, DataFormat::Json | DataFormat::JsonTime);
    let mut gprints: Vec<(&str, String)> = Vec::new();
    let mut rules: Vec<(&str, String)> = Vec::new();
    for e in spec.elements() {
        match e {
            Element::Print(_) => {
                return Err(Error::unsupported(
                    "PRINT and GPRINT in -a CSV/XML/JSON output",
                ))
            }
            Element::Comment(text) => {
                let text = if json {
                    text.replace('\\', "\\\\").replace('"', "\\\"")
                } else {
                    text.clone()
                };
                gprints.push(("comment", text));
            }
            Element::Line(l) => gprints.push((
                "line",
                l.legend
                    .trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r'])
                    .to_string(),
            )),
            Element::Area(a) => gprints.push(("area", a.legend.clone())),
            Element::TextAlign(a) => gprints.push((
                "align",
                match a {
                    crate::element::Align::Left => "left",
                    crate::element::Align::Right => "right",
                    crate::element::Align::Center => "center",
                    crate::element::Align::Justified => "justified",
                }
                .to_string(),
            )),
            // rrdtool prints the rule element's own (unused) VDEF value
            Element::Rule(false, _) => rules.push(("hrule", "0.0000000000e+00".to_string())),
            // with an -x label format the rule's own time (0 for a VDEF,
            // which is not computed yet), else rrdtool's unused 0
            Element::Rule(true, r) => rules.push((
                "vrule",
                match (formatted_times, r.at) {
                    (true, crate::element::Value::Number(v)) => time(v as i64),
                    (true, crate::element::Value::Var(_)) => time(0),
                    (false, _) => "0".to_string(),
                },
            )),
            _ => {}
        }
    }
    let f = XportFormat {
        json,
        enumds: f == DataFormat::XmlEnum,
        showtime: f != DataFormat::Json,
    };
    Ok(document(t, f, time, &gprints, &rules))
}

/// A time in JSON meta: a number as is, a formatted time quoted.
fn json_time(t: &str) -> String {
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        t.to_string()
    } else {
        format!("\"{t}\"")
    }
}
