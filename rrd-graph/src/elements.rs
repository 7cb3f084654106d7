//! The graph-only elements (LINE, AREA, STACK, TICK, HRULE, VRULE,
//! COMMENT, TEXTALIGN, PRINT, GPRINT), parsed with rrdtool's generic
//! argument splitter (`parseArguments` and `newGraphDescription` in
//! rrd_graph_helper.c): fields split at unescaped `:`, `key=value` fields,
//! positional fields, shorthand words, and every field not consumed
//! reported as unused.

use rrd_clib::strtod::rrd_strtod;
use rrd_core::ConsolidationFn;

use crate::canvas::Rgba;
use crate::element::{Align, Area, Element, Line, Print, PrintFormatter, Rule, Tick, Value};
use crate::error::{Error, Result};
use crate::spec::{Fields, GraphSpec, Parsed};

/// rrdtool's `parse_color`: 3, 4, 6 or 8 hex digits.
pub fn parse_color(s: &str) -> Option<Rgba> {
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let d = |i: usize, n: usize| u8::from_str_radix(&s[i..i + n], 16).ok();
    let (r, g, b, a) = match s.len() {
        3 | 4 => (
            d(0, 1)? * 0x11,
            d(1, 1)? * 0x11,
            d(2, 1)? * 0x11,
            if s.len() == 4 { d(3, 1)? * 0x11 } else { 0xff },
        ),
        6 | 8 => (
            d(0, 2)?,
            d(2, 2)?,
            d(4, 2)?,
            if s.len() == 8 { d(6, 2)? } else { 0xff },
        ),
        _ => return None,
    };
    Some(Rgba::from_u8(r, g, b, a))
}

/// A whole-string float as rrdtool's `getDouble` reads it.
fn get_double(s: &str) -> Option<f64> {
    let (v, used) = rrd_strtod(s);
    (used > 0 && used == s.len()).then_some(v)
}

fn syntax(arg_no: usize, message: String) -> Error {
    Error::Syntax {
        message,
        arg: arg_no,
        span: 0..0,
    }
}

impl GraphSpec {
    /// Parses a graph-only element (`keyword` already checked).
    pub(crate) fn parse_graph_element(
        &self,
        arg_no: usize,
        arg: &str,
        keyword: &str,
    ) -> Result<Parsed> {
        let err = |m: String| syntax(arg_no, m);
        let mut f = Fields::split(arg).map_err(err)?;
        // the command word
        if f.get("cmd").is_none() {
            f.next();
        }
        if let Some(d) = f.get("debug") {
            if !d.is_empty() && d.trim().parse::<i64>().is_err() {
                return Err(err(format!("Bad debug value: {d}")));
            }
        }
        let line_width = keyword.strip_prefix("LINE").filter(|_| keyword != "LINE");
        let (has_color, has_dashes) = match keyword {
            "COMMENT" | "TEXTALIGN" | "PRINT" | "GPRINT" => (false, false),
            k if k.starts_with("LINE") || k == "HRULE" || k == "VRULE" => (true, true),
            _ => (true, false),
        };
        let mut vname = None;
        let (mut color, mut color2, mut legend) = (None, None, None);
        if has_color {
            vname = f.get("vname");
            color = f.get("color");
            color2 = f.get("color2");
            legend = f.get("legend");
        }
        let fraction = if keyword == "TICK" {
            f.get("fraction")
        } else {
            None
        };
        let stack = matches!(keyword, "AREA") || keyword.starts_with("LINE");
        let stack = stack && f.get("stack").is_some();
        let skipscale =
            (keyword == "AREA" || keyword.starts_with("LINE")) && f.get("skipscale").is_some();
        let mut width = 1.0;
        if keyword.starts_with("LINE") {
            let w = match line_width {
                Some(w) => Some(w.to_string()),
                None => f.get("linewidth"),
            };
            if let Some(w) = w.filter(|w| !w.is_empty()) {
                match get_double(&w) {
                    // NaN passes, as in rrdtool
                    Some(v) if v >= 0.0 || v.is_nan() => width = v,
                    _ => return Err(err(format!("Bad line width: {w}"))),
                }
            }
        }
        let mut gradheight = 50.0;
        if keyword == "AREA" {
            if let Some(g) = f.get("gradheight").filter(|g| !g.is_empty()) {
                gradheight = get_double(&g).ok_or_else(|| err(format!("Bad gradheight: {g}")))?;
            }
        }
        let mut dashes = None;
        if has_dashes {
            if let Some(d) = f.get("dashes") {
                dashes = Some((parse_dashes(&d).map_err(err)?, 0.0));
            }
            if let Some(o) = f.get("dash-offset") {
                let v = get_double(&o)
                    .ok_or_else(|| err(format!("Could not parse dash-offset: {o}")))?;
                if let Some((_, off)) = dashes.as_mut() {
                    *off = v;
                }
            }
        }
        match keyword {
            "COMMENT" => {
                let text = match f.get("legend").filter(|l| !l.is_empty()) {
                    Some(l) => l,
                    None => {
                        f.next()
                            .ok_or_else(|| err("No positional CF/FORMAT".into()))?
                            .text
                    }
                };
                self.finish(&f, arg, arg_no)?;
                return Ok(Parsed::Element(Element::Comment(cut(&text, 200))));
            }
            "TEXTALIGN" => {
                let a = match f.get("align") {
                    Some(a) => a,
                    None => {
                        f.next()
                            .ok_or_else(|| err("No alignment given".into()))?
                            .value
                    }
                };
                let align = match a.as_str() {
                    "left" => Align::Left,
                    "right" => Align::Right,
                    "justified" => Align::Justified,
                    "center" => Align::Center,
                    _ => return Err(err(format!("Unknown alignment type '{a}'"))),
                };
                self.finish(&f, arg, arg_no)?;
                return Ok(Parsed::Element(Element::TextAlign(align)));
            }
            "PRINT" | "GPRINT" => return self.parse_print(f, arg, arg_no, keyword == "GPRINT"),
            _ => {}
        }
        // value[#color[#color2]], then legend (and TICK's fraction)
        let first = match vname {
            Some(v) => v,
            None => {
                f.next()
                    .ok_or_else(|| err("No positional VNAME".into()))?
                    .value
            }
        };
        let fraction = match (keyword, fraction) {
            ("TICK", None) => Some(
                f.next()
                    .ok_or_else(|| err("No positional FRACTION".into()))?
                    .value,
            ),
            (_, fr) => fr,
        };
        if legend.is_none() {
            legend = f.next().map(|x| x.text);
        }
        let mut parts = first.splitn(3, '#');
        let name = parts.next().unwrap_or_default().to_string();
        if color.is_none() {
            color = parts.next().map(str::to_string);
        }
        if color2.is_none() {
            color2 = parts.next().map(str::to_string);
        }
        let value = match self.find(&name) {
            Some(id) => Value::Var(id),
            None => match get_double(&name) {
                Some(v) => Value::Number(v),
                None => return Err(err(format!("{name} is not a vname nor a number"))),
            },
        };
        let legend = cut(&legend.unwrap_or_default(), 200);
        let spaced = if legend.is_empty() {
            legend.clone()
        } else {
            format!("  {legend}")
        };
        // a bad colour stops rrdtool's parsing without a message
        let c1 = color.as_deref().map(parse_color);
        let c2 = color2.as_deref().map(parse_color);
        let bad_color = matches!(c1, Some(None)) || matches!(c2, Some(None));
        let (c1, c2) = (c1.flatten(), c2.flatten());
        let fraction = match fraction {
            None => None,
            Some(fr) if fr == "vname" => {
                if !matches!(
                    value,
                    Value::Var(id) if matches!(self.element(id), Element::Def(_) | Element::Cdef(_))
                ) {
                    return Err(err(format!(
                        "variable '{name}' not DEF nor CDEF when using dynamic fractions"
                    )));
                }
                None
            }
            Some(fr) => {
                Some(get_double(&fr).ok_or_else(|| err(format!("error parsing number {name}")))?)
            }
        };
        let mut element = match keyword {
            "AREA" => Element::Area(Area {
                value,
                color: c1,
                color2: c2,
                legend: spaced,
                stack,
                skipscale,
                gradheight,
            }),
            "STACK" => {
                // becomes the nearest earlier LINE or AREA, stacked
                let prev = self.elements().iter().rev().find_map(|e| match e {
                    Element::Line(l) => Some(Some(l.width)),
                    Element::Area(_) => Some(None),
                    _ => None,
                });
                match prev {
                    None => return Err(err(format!("No previous LINE or AREA found for {arg}"))),
                    Some(Some(w)) => Element::Line(Line {
                        value,
                        width: w,
                        color: c1,
                        legend: spaced,
                        stack: true,
                        skipscale: false,
                        dashes: None,
                    }),
                    Some(None) => Element::Area(Area {
                        value,
                        color: c1,
                        color2: c2,
                        legend: spaced,
                        stack: true,
                        skipscale: false,
                        gradheight: 50.0,
                    }),
                }
            }
            "TICK" => Element::Tick(Tick {
                value,
                color: c1,
                fraction,
                legend,
            }),
            "HRULE" | "VRULE" => Element::Rule(
                keyword == "VRULE",
                Rule {
                    at: value,
                    color: c1,
                    legend: spaced,
                    dashes,
                },
            ),
            _ => Element::Line(Line {
                value,
                width,
                color: c1,
                legend: spaced,
                stack,
                skipscale,
                dashes,
            }),
        };
        if bad_color {
            // as far as rrdtool got: transparent, no legend
            match &mut element {
                Element::Line(l) => {
                    l.color = None;
                    l.legend.clear();
                }
                Element::Area(a) => {
                    a.color = None;
                    a.legend.clear();
                }
                Element::Tick(t) => {
                    t.color = None;
                    t.legend.clear();
                }
                Element::Rule(_, r) => {
                    r.color = None;
                    r.legend.clear();
                }
                _ => {}
            }
            return Ok(Parsed::Truncate(element));
        }
        if let (Element::Rule(_, r), Value::Var(id)) = (&element, value) {
            if !matches!(self.element(id), Element::Vdef(_)) {
                let _ = r;
                return Err(err(format!(
                    "Using vname {name} of wrong type in line {arg}\n"
                )));
            }
        }
        self.finish(&f, arg, arg_no)?;
        Ok(Parsed::Element(element))
    }

    fn finish(&self, f: &Fields, arg: &str, arg_no: usize) -> Result<()> {
        match f.unused(arg) {
            Some(m) => Err(syntax(arg_no, m)),
            None => Ok(()),
        }
    }

    fn parse_print(&self, mut f: Fields, arg: &str, arg_no: usize, graph: bool) -> Result<Parsed> {
        let err = |m: String| syntax(arg_no, m);
        let cf_key = f.get("cf");
        let format_key = f.get("format");
        let strftime = f.get("strftime").is_some();
        let mut kind = if strftime {
            PrintFormatter::Strftime
        } else {
            PrintFormatter::Value
        };
        if let Some(v) = f.get("vformatter") {
            kind = match v.as_str() {
                "timestamp" => PrintFormatter::ValueTime,
                "duration" => PrintFormatter::ValueDuration,
                _ => return Err(err(format!("Unsupported vformatter: {v}"))),
            };
        }
        let source = match f.get("vname") {
            Some(v) => {
                let name = v.split('#').next().unwrap_or_default();
                self.find(name)
                    .ok_or_else(|| err(format!("vname {name} not found")))?
            }
            None => {
                let v = f
                    .next()
                    .ok_or_else(|| err("No positional VNAME".into()))?
                    .text;
                self.find(&v)
                    .ok_or_else(|| err(format!("undefined vname {v}")))?
            }
        };
        let cf = match self.element(source) {
            Element::Vdef(_) => None,
            Element::Def(_) | Element::Cdef(_) => {
                let c = match cf_key {
                    Some(c) => c,
                    None => {
                        f.next()
                            .ok_or_else(|| err("No positional CDEF".into()))?
                            .value
                    }
                };
                Some(
                    ConsolidationFn::parse(&c)
                        .ok_or_else(|| err(format!("bad CF for DEF/CDEF: {c}")))?,
                )
            }
            _ => {
                return Err(err(format!(
                    "Encountered unknown type variable '{}'",
                    self.element(source).vname().unwrap_or_default()
                )))
            }
        };
        let format = match format_key {
            Some(x) => x,
            None => {
                f.next()
                    .ok_or_else(|| err("No positional CF/FORMAT".into()))?
                    .text
            }
        };
        self.finish(&f, arg, arg_no)?;
        Ok(Parsed::Element(Element::Print(Print {
            source,
            cf,
            format: cut(&format, 200),
            kind,
            graph,
        })))
    }
}

/// At most `n` bytes, on a character boundary.
fn cut(s: &str, n: usize) -> String {
    rrd_clib::cut_bytes(s, n).to_string()
}

/// `dashes=on,off,…` as rrdtool reads it.
fn parse_dashes(s: &str) -> std::result::Result<Vec<f64>, String> {
    let n = s.matches(',').count() + 1;
    let mut out = Vec::with_capacity(n);
    let mut rest = s;
    for i in 0..n {
        let (v, used) = rrd_strtod(rest);
        if used == 0 {
            return Err(format!("Could not parse number: {rest}"));
        }
        out.push(v);
        let after = &rest[used..];
        if after.is_empty() {
            if i + 1 < n {
                return Err(format!("unexpected end at : {rest}"));
            }
        } else {
            match after.strip_prefix(',') {
                Some(r) => rest = r,
                None => return Err(format!("expected a ',' at : {after}")),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_take_3_4_6_or_8_hex_digits() {
        assert_eq!(parse_color("f00"), Some(Rgba::from_u8(255, 0, 0, 255)));
        assert_eq!(parse_color("ff000080"), Some(Rgba::from_u8(255, 0, 0, 128)));
        assert_eq!(parse_color("ff000"), None);
        assert_eq!(parse_color("zzz"), None);
    }

    #[test]
    fn dashes_errors_read_as_rrdtool_reports_them() {
        assert_eq!(parse_dashes("5,5"), Ok(vec![5.0, 5.0]));
        assert_eq!(
            parse_dashes("1,,3"),
            Err("Could not parse number: ,3".into())
        );
        assert_eq!(parse_dashes("1;2"), Err("expected a ',' at : ;2".into()));
    }
}
