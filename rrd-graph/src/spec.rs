//! Typed graph arguments: `DEF`, `CDEF`, `VDEF` and `XPORT`, parsed from
//! rrdtool's syntax.

use jiff::tz::TimeZone;
use rrd_core::time::{parse_time, proc_start_end, TimeSpec};
use rrd_core::ConsolidationFn;
use rrd_rpn::{Program, Token, VarId};

use crate::element::{Cdef, Def, Element, ElementId, Shift, ShiftBy, Vdef, VdefFn, Xport};
use crate::error::{Error, Result};

/// One field of a split argument.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The field as written (after `\:` unescaping).
    pub(crate) text: String,
    /// `pos0`, `pos1`, … for positional fields, else the key.
    pub(crate) key: String,
    pub(crate) value: String,
    used: bool,
}

/// An argument split as rrdtool splits graph elements.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    fields: Vec<Field>,
}

impl Fields {
    /// Splits `arg`; `Err` with rrdtool's message for more than ten
    /// positional fields.
    pub(crate) fn split(arg: &str) -> std::result::Result<Fields, String> {
        let mut texts = Vec::new();
        let mut cur = String::new();
        let mut chars = arg.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&':') => {
                    cur.push(':');
                    chars.next();
                }
                ':' => texts.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        texts.push(cur);
        let mut fields = Vec::new();
        let mut positional = 0;
        for text in texts {
            let (key, value) = if let Some((k, v)) = text.split_once('=') {
                (k.to_string(), v.to_string())
            } else {
                let short = match text.as_str() {
                    "STACK" => Some(("stack", "1")),
                    "strftime" => Some(("strftime", "1")),
                    "dashes" => Some(("dashes", "5,5")),
                    "valstrftime" => Some(("vformatter", "timestamp")),
                    "valstrfduration" => Some(("vformatter", "duration")),
                    "skipscale" => Some(("skipscale", "1")),
                    _ => None,
                };
                match short {
                    Some((k, v)) if positional > 0 => (k.to_string(), v.to_string()),
                    _ => {
                        if positional > 9 {
                            return Err("too many positional arguments".into());
                        }
                        positional += 1;
                        (format!("pos{}", positional - 1), text.clone())
                    }
                }
            };
            let key = match key.as_str() {
                "label" => "legend".to_string(),
                "colour" => "color".to_string(),
                "colour2" => "color2".to_string(),
                _ => key,
            };
            fields.push(Field {
                text,
                key,
                value,
                used: false,
            });
        }
        Ok(Fields { fields })
    }

    /// The value of the last field with `key`, marked used.
    pub(crate) fn get(&mut self, key: &str) -> Option<String> {
        let f = self.fields.iter_mut().rev().find(|f| f.key == key)?;
        f.used = true;
        Some(f.value.clone())
    }

    /// The first unused field, marked used.
    pub(crate) fn next(&mut self) -> Option<Field> {
        let f = self.fields.iter_mut().find(|f| !f.used)?;
        f.used = true;
        Some(f.clone())
    }

    /// rrdtool's complaint about fields nobody consumed, if any.
    pub(crate) fn unused(&self, arg: &str) -> Option<String> {
        let rest: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| !f.used)
            .map(|f| f.text.as_str())
            .collect();
        (!rest.is_empty())
            .then(|| format!("Unused Arguments \"{}\" in command : {arg}", rest.join(":")))
    }
}

/// The outcome of parsing one graph-only element.
pub(crate) enum Parsed {
    Element(Element),
    /// rrdtool's silent failure on a bad colour: this element (as far as it
    /// got) and nothing after it.
    Truncate(Element),
}

/// What parsing needs besides the text: the wall clock, time zone and
/// graph window for the `:start=` and `:end=` times of DEFs (`end-1h` is
/// counted from the graph's end, as in rrdtool).
#[derive(Debug, Clone)]
pub struct ParseContext<'a> {
    /// Seconds since the epoch standing for `now`.
    pub now: i64,
    /// The time zone at-style times are read in.
    pub tz: &'a TimeZone,
    /// The graph's start as given (`--start`), seconds since the epoch.
    pub start: i64,
    /// The graph's end as given (`--end`), seconds since the epoch.
    pub end: i64,
}

/// An ordered list of graph elements whose variable references all point
/// backwards.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphSpec {
    elements: Vec<Element>,
    /// Each vname's latest element (rrdtool keeps a map too): lookups stay
    /// constant-time however many elements there are.
    names: std::collections::HashMap<String, usize>,
}

const VNAME_MAX: usize = 255;

fn valid_vname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= VNAME_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Splits at unescaped colons, unescaping `\:`; each field keeps the byte
/// offset where it starts in the argument.
/// Whether a DEF vname is one of rrdtool's DEF keys (read as that key
/// first; `daemon` aside, which rrd refuses).
fn keyword_vname(vname: &str) -> bool {
    matches!(
        vname,
        "ds" | "cf" | "rrd" | "step" | "start" | "end" | "reduce" | "vname"
    )
}

/// The error of rrdtool's first reading of `DEF:KEY=VALUE:…` whose vname
/// is one of its keys (`newGraphDescription`'s checks in its order), which
/// it reports when its retry under a mangled name fails too; None when the
/// first reading succeeds.
fn first_reading_error(
    key: &str,
    value: &str,
    fields: &[(usize, String)],
    arg: &str,
    ctx: &ParseContext<'_>,
) -> Option<String> {
    const KEYS: [&str; 9] = [
        "ds", "cf", "rrd", "step", "start", "end", "reduce", "vname", "daemon",
    ];
    let keyed = |k: &str| -> Option<&str> {
        if k == key {
            return Some(value);
        }
        fields
            .iter()
            .skip(1)
            .find_map(|(_, f)| f.split_once('=').filter(|(fk, _)| *fk == k).map(|(_, v)| v))
    };
    if let Some(v) = keyed("reduce") {
        if ConsolidationFn::parse(v).is_none() {
            return Some(format!("bad reduce CF: {v}"));
        }
    }
    if let Some(v) = keyed("step") {
        if !v.parse::<u64>().is_ok_and(|s| s > 0) {
            return Some(format!("Bad step value: {v}"));
        }
    }
    let (s, e) = (keyed("start"), keyed("end"));
    if s.is_some() || e.is_some() {
        let spec = |k: &str, v: Option<&str>, dflt: i64| match v {
            None => Ok(TimeSpec::Absolute(dflt)),
            Some(v) => {
                parse_time(v, ctx.now, ctx.tz).map_err(|e| format!("{k} time: {}", e.message))
            }
        };
        let st = match spec("start", s, ctx.start) {
            Ok(t) => t,
            Err(m) => return Some(m),
        };
        let en = match spec("end", e, ctx.end) {
            Ok(t) => t,
            Err(m) => return Some(m),
        };
        match proc_start_end(&st, &en, ctx.tz) {
            Err(e) => return Some(e.message),
            Ok((start, end)) => {
                if start < rrd_core::MIN_START {
                    return Some(format!(
                        "the first entry to fetch should be after 1980 ({start})"
                    ));
                }
                if end < start {
                    return Some(format!("start ({start}) should be less than end ({end})"));
                }
            }
        }
    }
    // the fields not taken by a key, in order: vname=rrd, DS, CF
    let positional: Vec<&str> = fields
        .iter()
        .skip(1)
        .map(|(_, f)| f.as_str())
        .filter(|f| !f.split_once('=').is_some_and(|(k, _)| KEYS.contains(&k)))
        .collect();
    let mut at = positional.iter();
    if at.next().is_none() {
        return Some(format!("No argument for definition of vdef/rrd in {arg}"));
    }
    if key != "ds" && keyed("ds").is_none() && at.next().is_none() {
        return Some(format!("No argument for definition of DS in {arg}"));
    }
    let cf = if key == "cf" {
        Some(value)
    } else {
        keyed("cf").or_else(|| at.next().copied())
    };
    match cf {
        None => Some(format!("No argument for definition of CF in {arg}")),
        Some(c) if ConsolidationFn::parse(c).is_none() => Some(format!("bad CF: {c}")),
        Some(_) => None,
    }
}

fn split_fields(arg: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut chars = arg.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|&(_, n)| n == ':') => {
                cur.push(':');
                chars.next();
            }
            ':' => {
                out.push((start, std::mem::take(&mut cur)));
                start = i + 1;
            }
            _ => cur.push(c),
        }
    }
    out.push((start, cur));
    out
}

impl GraphSpec {
    /// Parses graph arguments in order. Each may refer only to variables
    /// defined by earlier ones.
    ///
    /// # Errors
    ///
    /// [`Error::Syntax`] or [`Error::Rpn`] with rrdtool's message for a
    /// malformed argument; [`Error::Unsupported`] for graph elements other
    /// than DEF, CDEF, VDEF and XPORT and for DEF times relative to the
    /// graph window.
    pub fn parse<S: AsRef<str>>(args: &[S], ctx: &ParseContext<'_>) -> Result<GraphSpec> {
        let mut spec = GraphSpec::default();
        for (i, arg) in args.iter().enumerate() {
            match spec.parse_one(i, arg.as_ref(), ctx)? {
                Parsed::Element(e) => spec.push(e),
                // rrdtool stops at a bad colour without a message
                Parsed::Truncate(e) => {
                    spec.push(e);
                    break;
                }
            }
        }
        Ok(spec)
    }

    /// The elements in order.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// The element `id`.
    ///
    /// # Panics
    ///
    /// When `id` is not from this spec.
    pub fn element(&self, id: ElementId) -> &Element {
        &self.elements[id.0]
    }

    /// The element defining `vname` (the latest, as rrdtool's map keeps).
    pub fn find(&self, vname: &str) -> Option<ElementId> {
        self.names.get(vname).copied().map(ElementId)
    }

    fn push(&mut self, e: Element) {
        if let Some(v) = e.vname() {
            self.names.insert(v.to_string(), self.elements.len());
        }
        self.elements.push(e);
    }

    fn parse_one(&self, arg_no: usize, arg: &str, ctx: &ParseContext<'_>) -> Result<Parsed> {
        let syntax = |message: String, span: std::ops::Range<usize>| Error::Syntax {
            message,
            arg: arg_no,
            span,
        };
        // graph-only elements go through rrdtool's generic splitter
        let cmd = arg.split(':').next().unwrap_or_default();
        if matches!(
            cmd,
            "AREA"
                | "STACK"
                | "TICK"
                | "HRULE"
                | "VRULE"
                | "COMMENT"
                | "TEXTALIGN"
                | "PRINT"
                | "GPRINT"
        ) || cmd.starts_with("LINE")
        {
            return self.parse_graph_element(arg_no, arg, cmd);
        }
        let kw_len = arg.bytes().take_while(|b| b.is_ascii_uppercase()).count();
        let keyword = &arg[..kw_len];
        if kw_len == 0 || arg.as_bytes().get(kw_len) != Some(&b':') {
            return Err(match keyword {
                "DEF" | "CDEF" | "VDEF" | "XPORT" => syntax(
                    format!("Function {keyword} needs parameters.  Line: {arg}\n"),
                    0..arg.len(),
                ),
                _ => Error::unsupported(format!("graph argument '{arg}'")),
            });
        }
        const GRAPH_FUNCTIONS: [&str; 15] = [
            "PRINT",
            "GPRINT",
            "COMMENT",
            "HRULE",
            "VRULE",
            "LINE",
            "AREA",
            "STACK",
            "TICK",
            "TEXTALIGN",
            "DEF",
            "CDEF",
            "VDEF",
            "SHIFT",
            "XPORT",
        ];
        if !GRAPH_FUNCTIONS.contains(&keyword) {
            return Err(syntax(
                format!("'{keyword}' is not a valid function name in {arg}"),
                0..kw_len,
            ));
        }
        let body = &arg[kw_len + 1..];
        let base = kw_len + 1;
        self.parse_data_element(arg, keyword, body, base, ctx, &syntax)
            .map(Parsed::Element)
    }

    /// DEF, CDEF, VDEF, SHIFT and XPORT.
    fn parse_data_element(
        &self,
        arg: &str,
        keyword: &str,
        body: &str,
        base: usize,
        ctx: &ParseContext<'_>,
        syntax: &dyn Fn(String, std::ops::Range<usize>) -> Error,
    ) -> Result<Element> {
        match keyword {
            "DEF" => self
                .parse_def(arg, body, base, ctx, &syntax)
                .map(Element::Def),
            "CDEF" | "VDEF" => {
                let (vname, expr, fields) = self.split_cvdef(arg, &syntax)?;
                let element = if keyword == "CDEF" {
                    let program =
                        rrd_rpn::parse(&expr, |name| self.find(name).map(|id| VarId(id.0)))
                            .map_err(|source| Error::Rpn {
                                vname: vname.clone(),
                                expr: expr.clone(),
                                source,
                            })?;
                    Element::Cdef(Cdef {
                        vname,
                        expr,
                        program,
                    })
                } else {
                    let at = arg.find(expr.as_str()).unwrap_or(base);
                    Element::Vdef(self.parse_vdef(&vname, &expr, at, syntax)?)
                };
                if let Some(m) = fields.unused(arg) {
                    return Err(syntax(m, 0..arg.len()));
                }
                Ok(element)
            }
            "XPORT" => {
                let fields = split_fields(body);
                let (off, name) = &fields[0];
                let span = base + off..base + off + name.len();
                let Some(id) = self.find(name) else {
                    return Err(syntax(format!("{name} is not a vname nor a number"), span));
                };
                if matches!(self.elements[id.0], Element::Vdef(_)) {
                    return Err(syntax(
                        format!("Cannot shift a VDEF: '{name}' in line '{arg}'\n"),
                        span,
                    ));
                }
                if fields.len() > 2 {
                    let rest: Vec<&str> = fields[2..].iter().map(|(_, f)| f.as_str()).collect();
                    let (off, _) = fields[2];
                    return Err(syntax(
                        format!("Unused Arguments \"{}\" in command : {arg}", rest.join(":")),
                        base + off..arg.len(),
                    ));
                }
                let legend = fields.get(1).map(|(_, l)| l.clone()).unwrap_or_default();
                Ok(Element::Xport(Xport { source: id, legend }))
            }
            "SHIFT" => self
                .parse_shift(arg, body, base, &syntax)
                .map(Element::Shift),
            other => Err(Error::unsupported(format!(
                "graph element {other} ('{arg}') in this command"
            ))),
        }
    }

    /// `SHIFT:vname:offset` (also `vname=`/`shift=` keys), with the
    /// checks and messages of rrdtool's `parse_shift`.
    fn parse_shift(
        &self,
        arg: &str,
        body: &str,
        base: usize,
        syntax: &dyn Fn(String, std::ops::Range<usize>) -> Error,
    ) -> Result<Shift> {
        let fields = split_fields(body);
        let span_of = |k: usize| {
            let (off, f) = &fields[k];
            base + off..base + off + f.len()
        };
        let (mut vname, mut shift) = (None, None);
        let mut positional = Vec::new();
        let mut unused = Vec::new();
        for (k, (_, f)) in fields.iter().enumerate() {
            match f.split_once('=') {
                Some(("vname", v)) => vname = Some((v.to_string(), k)),
                Some(("shift", v)) => shift = Some((v.to_string(), k)),
                Some(_) => unused.push(k),
                None => positional.push(k),
            }
        }
        let mut positional = positional.into_iter();
        let (vname, vk) = match vname {
            Some(v) => v,
            None => match positional.next() {
                Some(k) => (fields[k].1.clone(), k),
                None => {
                    return Err(syntax(
                        format!("No argument for definition of vdef/rrd in {arg}"),
                        base..arg.len(),
                    ))
                }
            },
        };
        let Some(target) = self.find(&vname) else {
            return Err(syntax(format!("vname {vname} not found"), span_of(vk)));
        };
        if matches!(self.elements[target.0], Element::Vdef(_)) {
            return Err(syntax(
                format!("Cannot shift a VDEF: '{vname}' in line '{arg}'\n"),
                span_of(vk),
            ));
        }
        let (shift, sk) =
            match shift.or_else(|| positional.next().map(|k| (fields[k].1.clone(), k))) {
                Some(s) => s,
                None => return Err(syntax("No shift given".into(), base..arg.len())),
            };
        let by = match self.find(&shift) {
            Some(id) if matches!(self.elements[id.0], Element::Vdef(_)) => ShiftBy::Vdef(id),
            Some(_) => {
                return Err(syntax(
                    format!("Offset cannot be a (C)DEF: '{shift}' in line '{arg}'\n"),
                    span_of(sk),
                ))
            }
            None => ShiftBy::Seconds(
                c_strtol(&shift)
                    .ok_or_else(|| syntax(format!("error parsing number {shift}"), span_of(sk)))?,
            ),
        };
        unused.extend(positional);
        if let Some(&first) = unused.iter().min() {
            unused.sort_unstable();
            let rest: Vec<&str> = unused.iter().map(|&k| fields[k].1.as_str()).collect();
            return Err(syntax(
                format!("Unused Arguments \"{}\" in command : {arg}", rest.join(":")),
                span_of(first),
            ));
        }
        Ok(Shift { target, by })
    }

    /// The name and expression of `CDEF:vname=rpn` / `VDEF:vname=rpn` as
    /// rrdtool's generic splitter finds them (`vname=`/`rpn=` keys, else the
    /// first unused field's key and value), with the reuse check.
    fn split_cvdef(
        &self,
        arg: &str,
        syntax: &dyn Fn(String, std::ops::Range<usize>) -> Error,
    ) -> Result<(String, String, Fields)> {
        let mut f = Fields::split(arg).map_err(|m| syntax(m, 0..arg.len()))?;
        if f.get("cmd").is_none() {
            f.next();
        }
        let (mut vname, mut rpn) = (f.get("vname"), f.get("rpn"));
        if vname.is_none() || rpn.is_none() {
            let Some(n) = f.next() else {
                return Err(syntax(
                    format!("No argument for definition of vdef/rrd in {arg}"),
                    0..arg.len(),
                ));
            };
            vname.get_or_insert(n.key);
            rpn.get_or_insert(n.value);
        }
        let vname = vname.unwrap_or_default();
        let vname = vname.split('#').next().unwrap_or_default();
        let vname = rrd_clib::cut_bytes(vname, VNAME_MAX).to_string();
        if self.find(&vname).is_some() {
            return Err(syntax(
                format!("trying to reuse vname {vname}"),
                0..arg.len(),
            ));
        }
        Ok((vname, rpn.unwrap_or_default(), f))
    }

    fn parse_def(
        &self,
        arg: &str,
        body: &str,
        base: usize,
        ctx: &ParseContext<'_>,
        syntax: &dyn Fn(String, std::ops::Range<usize>) -> Error,
    ) -> Result<Def> {
        let fields = split_fields(body);
        let span_of = |k: usize| {
            let (off, f) = &fields[k];
            base + off..base + off + f.len()
        };
        let first = &fields[0].1;
        let keyword = first
            .split_once('=')
            .is_some_and(|(k, _)| keyword_vname(k) || k == "daemon");
        if fields.len() < 2 && !keyword {
            return Err(syntax(
                format!("No argument for definition of DS in {arg}"),
                arg.len()..arg.len(),
            ));
        }
        let Some(eq) = first.find('=') else {
            return Err(syntax(format!("Could not parse line '{arg}'"), span_of(0)));
        };
        let vname = &first[..eq];
        if !valid_vname(vname) {
            return Err(syntax(
                format!("Invalid variable name '{vname}' in '{arg}'"),
                span_of(0),
            ));
        }
        // rrdtool reads DEF fields as key=value pairs: a vname that is one
        // of the keys is first read as that key
        if vname == "daemon" {
            // rrdtool reads `daemon=FILE` as the address of an rrdcached
            return Err(Error::unsupported("DEF :daemon= (rrdcached)"));
        }
        // (a later field with the same key is the one read as that key)
        let later = fields
            .iter()
            .skip(1)
            .any(|(_, f)| f.split_once('=').is_some_and(|(k, _)| k == vname));
        if keyword_vname(vname) && !later {
            let retry = first_reading_error(vname, &first[eq + 1..], &fields, arg, ctx);
            if fields.len() < 2 {
                // the retry lacks the data source too
                return Err(syntax(retry.unwrap_or_default(), arg.len()..arg.len()));
            }
            let mangled = format!("\u{0}\u{0}{vname}");
            let mut fields = fields.clone();
            let Some(retry) = retry else {
                if vname == "ds" {
                    // `ds=FILE` names the data source, and the next field
                    // is the file: the first reading succeeds, so swapped
                    let file = first[eq + 1..].to_string();
                    fields[0].1 = format!("x={}", fields[1].1);
                    fields[1].1 = file;
                }
                // (any other key whose value reads well: the same DEF under
                // a name no argument can reach, as with the retry)
                return self.def_fields(arg, &fields, base, ctx, syntax, &mangled, false);
            };
            // the retry, under a mangled name no argument can name, fails
            // when that name is taken: by an earlier DEF with the same key
            if self.find(&mangled).is_some() {
                return Err(syntax(retry, span_of(0)));
            }
            return self
                .def_fields(arg, &fields, base, ctx, syntax, &mangled, false)
                .map_err(|e| match e {
                    // checked after the retry, so not replaced by the first
                    // reading's error
                    Error::Syntax { ref message, .. }
                        if message.starts_with("Unused Arguments") =>
                    {
                        e
                    }
                    _ => syntax(retry.clone(), span_of(0)),
                });
        }
        // rrdtool accepts a DEF that reuses a name, under a mangled name
        // (its parse_def retries with the first byte of the key changed):
        // the data is fetched, and the name keeps meaning the first DEF
        let reused = self.find(vname).is_some();
        let name = if reused {
            format!("\u{0}{vname}")
        } else {
            vname.to_string()
        };
        self.def_fields(arg, &fields, base, ctx, syntax, &name, reused)
    }

    /// The DEF's fields after its vname (see [`Self::parse_def`]).
    #[allow(clippy::too_many_arguments)]
    fn def_fields(
        &self,
        arg: &str,
        fields: &[(usize, String)],
        base: usize,
        ctx: &ParseContext<'_>,
        syntax: &dyn Fn(String, std::ops::Range<usize>) -> Error,
        name: &str,
        reused: bool,
    ) -> Result<Def> {
        let span_of = |k: usize| {
            let (off, f) = &fields[k];
            base + off..base + off + f.len()
        };
        let first = &fields[0].1;
        let eq = first.find('=').unwrap_or(0);
        let vname = &first[..eq];
        let file = &first[eq + 1..];
        for (k, what) in [(1, "DS"), (2, "CF")] {
            if fields.len() <= k {
                return Err(syntax(
                    format!("No argument for definition of {what} in {arg}"),
                    arg.len()..arg.len(),
                ));
            }
        }
        let ds = fields[1].1.clone();
        let cf_name = &fields[2].1;
        // when the retry under the mangled name fails too, rrdtool reports
        // the first attempt's error, which was the reuse
        let cf = ConsolidationFn::parse(cf_name).ok_or_else(|| match reused {
            true => syntax(format!("trying to reuse vname {vname}"), span_of(0)),
            false => syntax(format!("bad CF: {cf_name}"), span_of(2)),
        })?;
        let mut def = Def {
            vname: name.to_string(),
            file: file.to_string(),
            ds,
            cf,
            step: None,
            start: None,
            end: None,
            reduce: None,
            daemon: None,
        };
        let mut start_spec: Option<(TimeSpec, usize)> = None;
        let mut end_spec: Option<(TimeSpec, usize)> = None;
        for k in 3..fields.len() {
            let f = &fields[k].1;
            let (key, value) = f.split_once('=').unwrap_or((f.as_str(), ""));
            match key {
                "step" => {
                    let step = value
                        .parse::<u64>()
                        .ok()
                        .filter(|&s| s > 0)
                        .ok_or_else(|| syntax(format!("Bad step value: {value}"), span_of(k)))?;
                    def.step = Some(step);
                }
                "start" | "end" => {
                    let t = parse_time(value, ctx.now, ctx.tz)
                        .map_err(|e| syntax(format!("{key} time: {}", e.message), span_of(k)))?;
                    if key == "start" {
                        start_spec = Some((t, k));
                    } else {
                        end_spec = Some((t, k));
                    }
                }
                "reduce" => {
                    def.reduce =
                        Some(ConsolidationFn::parse(value).ok_or_else(|| {
                            syntax(format!("bad reduce CF: {value}"), span_of(k))
                        })?);
                }
                // rrdtool keeps 255 bytes of the address
                "daemon" => def.daemon = Some(rrd_clib::cut_bytes(value, 255).to_string()),
                _ => {
                    let rest: Vec<&str> = fields[k..].iter().map(|(_, f)| f.as_str()).collect();
                    return Err(syntax(
                        format!("Unused Arguments \"{}\" in command : {arg}", rest.join(":")),
                        span_of(k),
                    ));
                }
            }
        }
        if start_spec.is_some() || end_spec.is_some() {
            // both are set from the pair, the missing one being the
            // graph's, so `start=end-1h` counts from the graph's end
            let span = start_spec
                .iter()
                .chain(&end_spec)
                .map(|&(_, k)| span_of(k))
                .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
                .unwrap_or(0..arg.len());
            let s = start_spec.map_or(TimeSpec::Absolute(ctx.start), |(t, _)| t);
            let e = end_spec.map_or(TimeSpec::Absolute(ctx.end), |(t, _)| t);
            let (start, end) =
                proc_start_end(&s, &e, ctx.tz).map_err(|e| syntax(e.message, span.clone()))?;
            if start < rrd_core::MIN_START {
                return Err(syntax(
                    format!("the first entry to fetch should be after 1980 ({start})"),
                    span,
                ));
            }
            if end < start {
                return Err(syntax(
                    format!("start ({start}) should be less than end ({end})"),
                    span,
                ));
            }
            def.start = Some(start);
            def.end = Some(end);
        }
        Ok(def)
    }

    fn parse_vdef(
        &self,
        vname: &str,
        expr: &str,
        base: usize,
        syntax: &dyn Fn(String, std::ops::Range<usize>) -> Error,
    ) -> Result<Vdef> {
        let parts: Vec<&str> = expr.split(',').collect();
        let src = parts[0];
        let span = base..base + src.len();
        if parts.len() == 1 {
            return Err(syntax(
                format!("Comma expected in VDEF definition {expr}"),
                base..base + expr.len(),
            ));
        }
        let Some(source) = self.find(src) else {
            return Err(syntax(
                format!("Not a valid vname: {src} in line {expr}"),
                span,
            ));
        };
        if matches!(
            self.elements[source.0],
            Element::Vdef(_) | Element::Xport(_)
        ) {
            return Err(syntax(
                format!("variable '{src}' not DEF nor CDEF in VDEF '{expr}'"),
                span,
            ));
        }
        if parts.len() == 1 {
            return Err(syntax(
                format!("Comma expected in VDEF definition {expr}"),
                base..base + expr.len(),
            ));
        }
        let is_number = |p: &str| p.parse::<f64>().is_ok();
        let (param, func) = match parts.as_slice() {
            // a lone number is the parameter of a missing function
            [_, p] if is_number(p) => (Some(*p), ""),
            [_, f] => (None, *f),
            [_, p, f] if is_number(p) => (Some(*p), *f),
            [_, p, f] => {
                return Err(syntax(
                    format!("Unknown function string '{p},{f}' in VDEF '{vname}'"),
                    base + src.len() + 1..base + expr.len(),
                ))
            }
            _ => {
                return Err(syntax(
                    format!("Cannot parse VDEF '{vname}' in '{expr}'"),
                    base..base + expr.len(),
                ))
            }
        };
        let fspan = base + expr.len() - func.len()..base + expr.len();
        let func = match func {
            "MAXIMUM" => VdefFn::Maximum,
            "MINIMUM" => VdefFn::Minimum,
            "AVERAGE" => VdefFn::Average,
            "STDEV" => VdefFn::Stdev,
            "LAST" => VdefFn::Last,
            "FIRST" => VdefFn::First,
            "TOTAL" => VdefFn::Total,
            "LSLSLOPE" => VdefFn::LslSlope,
            "LSLINT" => VdefFn::LslInt,
            "LSLCORREL" => VdefFn::LslCorrel,
            "PERCENT" => VdefFn::Percent(f64::NAN),
            "PERCENTNAN" => VdefFn::PercentNan(f64::NAN),
            other => {
                return Err(syntax(
                    format!("Unknown function '{other}' in VDEF '{vname}'\n"),
                    fspan,
                ))
            }
        };
        let func = match (func, param) {
            (VdefFn::Percent(_) | VdefFn::PercentNan(_), None) => {
                return Err(syntax(
                    format!(
                        "Function '{}' needs parameter in VDEF '{vname}'\n",
                        parts[1]
                    ),
                    fspan,
                ))
            }
            (VdefFn::Percent(_) | VdefFn::PercentNan(_), Some(p)) => {
                let Ok(v) = p.parse::<f64>() else {
                    return Err(Error::unsupported(format!(
                        "VDEF parameter '{p}' in VDEF '{vname}'"
                    )));
                };
                if !(0.0..=100.0).contains(&v) {
                    return Err(syntax(
                        format!("Parameter '{v:.6}' out of range in VDEF '{vname}'\n"),
                        fspan,
                    ));
                }
                if matches!(func, VdefFn::Percent(_)) {
                    VdefFn::Percent(v)
                } else {
                    VdefFn::PercentNan(v)
                }
            }
            (f, None) => f,
            (_, Some(_)) => {
                return Err(syntax(
                    format!(
                        "Function '{}' needs no parameter in VDEF '{vname}'\n",
                        parts[2]
                    ),
                    fspan,
                ))
            }
        };
        Ok(Vdef {
            vname: vname.to_string(),
            source,
            func,
        })
    }
}

/// C's `strtol(s, &end, 10)` where the whole string must be consumed
/// (rrdtool's `getLong`).
fn c_strtol(s: &str) -> Option<i64> {
    let p = rrd_clib::strtol::strtol(s.as_bytes(), 10);
    (p.end > 0 && p.end == s.len()).then_some(p.value)
}

/// The elements a CDEF program reads, in token order (duplicates kept).
pub(crate) fn program_inputs(p: &Program) -> impl Iterator<Item = (ElementId, bool)> + '_ {
    p.tokens().iter().filter_map(|t| match t {
        Token::Var(v) => Some((ElementId(v.0), false)),
        Token::PrevVar(v) => Some((ElementId(v.0), true)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitter_marks_keys_positionals_and_shorthands() {
        let f = Fields::split("LINE1:x#f00:legend\\: here:STACK:dashes=2,3").unwrap();
        let keys: Vec<&str> = f.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["pos0", "pos1", "pos2", "stack", "dashes"]);
        assert_eq!(f.fields[2].value, "legend: here");
        assert!(Fields::split(&"a:".repeat(11)).is_err());
    }

    /// Parses `args`; returns "ok" or the error message and span.
    fn check(args: &[&str], want: &str) {
        let tz = TimeZone::UTC;
        let ctx = ParseContext {
            now: 1_000_000_000,
            tz: &tz,
            start: 999_900_000,
            end: 1_000_000_000,
        };
        let got = match GraphSpec::parse(args, &ctx) {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("{e} {:?}", e.span()),
        };
        assert_eq!(got, want, "{args:?}");
    }

    #[test]
    fn parses_and_rejects_like_rrdtool() {
        check(
            &["DEF:a=x.rrd:ds:AVERAGE:step=60:reduce=MAX", "XPORT:a:leg"],
            "ok",
        );
        check(
            &[
                "DEF:a=x\\:y.rrd:ds:MIN",
                "CDEF:b=a,2,*",
                "VDEF:c=b,95,PERCENT",
            ],
            "ok",
        );
        check(&["DEF:a=x.rrd:ds:FOO"], "bad CF: FOO Some(15..18)");
        check(
            &["DEF:a=x.rrd:ds:MAX:foo=1"],
            "Unused Arguments \"foo=1\" in command : DEF:a=x.rrd:ds:MAX:foo=1 Some(19..24)",
        );
        check(&["XPORT:b"], "b is not a vname nor a number Some(6..7)");
        check(
            &["DEF:a=x.rrd:ds:MAX", "CDEF:b=a,1"],
            "don't understand '1' Some(2..3)",
        ); // span within the expression
        check(
            &["DEF:a=x.rrd:ds:MAX", "VDEF:v=a,FOO"],
            "Unknown function 'FOO' in VDEF 'v'\n Some(9..12)",
        );
        check(
            &["DEF:a=x.rrd:ds:MAX", "VDEF:v=a,MAXIMUM", "XPORT:v"],
            "Cannot shift a VDEF: 'v' in line 'XPORT:v'\n Some(6..7)",
        );
        check(&["SHIFT:a:60"], "vname a not found Some(6..7)");
        // a DEF may reuse a name (it becomes unreachable); nothing else may
        check(&["DEF:a=x.rrd:ds:MAX", "DEF:a=y.rrd:ds:MIN"], "ok");
        check(
            &["DEF:a=x.rrd:ds:MAX", "DEF:a=y.rrd:ds:FOO"],
            "trying to reuse vname a Some(4..11)",
        );
        check(
            &["DEF:a=x.rrd:ds:MAX", "CDEF:a=a,2,*"],
            "trying to reuse vname a Some(0..12)",
        );
        check(&["DEF:a=x.rrd:ds:MAX", "SHIFT:a: -60"], "ok");
        check(
            &["DEF:a=x.rrd:ds:MAX", "SHIFT:a"],
            "No shift given Some(6..7)",
        );
        check(
            &["DEF:a=x.rrd:ds:MAX", "SHIFT:a:60x"],
            "error parsing number 60x Some(8..11)",
        );
        check(
            &["DEF:a=x.rrd:ds:MAX", "SHIFT:a:a"],
            "Offset cannot be a (C)DEF: 'a' in line 'SHIFT:a:a'\n Some(8..9)",
        );
        check(
            &["DEF:a=x.rrd:ds:MAX", "SHIFT:a:60:x"],
            "Unused Arguments \"x\" in command : SHIFT:a:60:x Some(11..12)",
        );
        check(
            &["LINE1:a#ff0000"],
            "a is not a vname nor a number Some(0..0)",
        );
    }
}
