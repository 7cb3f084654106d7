//! The elements of a graph definition as types: data elements (DEF, CDEF,
//! VDEF, SHIFT, XPORT) and graph elements (LINE, AREA, TICK, rules,
//! COMMENT, TEXTALIGN, PRINT/GPRINT), and the [`ElementId`]s by which
//! elements refer to earlier ones. `spec` parses the data elements and
//! drives the parse; `elements` parses the graph elements.

use rrd_core::ConsolidationFn;
use rrd_rpn::Program;

use crate::canvas::Rgba;

/// Index of an element within its `GraphSpec`; variables refer to earlier
/// elements by this index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElementId(pub usize);

/// `DEF:vname=file:ds:CF[:step=s][:start=t][:end=t][:reduce=CF]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    /// The variable name; a DEF that reuses an earlier name gets it with a
    /// leading NUL, so no argument can refer to it (as in rrdtool).
    pub vname: String,
    /// The RRD file.
    pub file: String,
    /// The data source name in the file.
    pub ds: String,
    /// The consolidation function to fetch.
    pub cf: ConsolidationFn,
    /// Wished step (`:step=`), seconds; the graph step when absent.
    pub step: Option<u64>,
    /// Own window start, seconds since the epoch: set (with `end`) when the
    /// DEF has `:start=` or `:end=`, resolved against the graph window.
    pub start: Option<i64>,
    /// Own window end, seconds since the epoch (see `start`).
    pub end: Option<i64>,
    /// Function combining rows when the data must be coarsened
    /// (`:reduce=`); `cf` when absent.
    pub reduce: Option<ConsolidationFn>,
    /// The rrdcached to fetch it through (`:daemon=`), before the
    /// request's `--daemon` and `RRDCACHED_ADDRESS`.
    pub daemon: Option<String>,
}

/// `CDEF:vname=rpn`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cdef {
    /// The variable name.
    pub vname: String,
    /// The expression as written.
    pub expr: String,
    /// The parsed expression; `VarId(i)` is element `ElementId(i)`.
    pub program: Program,
}

/// A VDEF function (rrdtool's `vdef_parse`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VdefFn {
    /// Largest value, with its time.
    Maximum,
    /// Smallest value, with its time.
    Minimum,
    /// Mean of the finite values.
    Average,
    /// Population standard deviation of the finite values.
    Stdev,
    /// Last known value, with its time.
    Last,
    /// First known value, with its time.
    First,
    /// Sum of the finite values times the step.
    Total,
    /// The `p`-th percentile, unknown values sorting lowest.
    Percent(f64),
    /// The `p`-th percentile of the known values.
    PercentNan(f64),
    /// Least-squares slope.
    LslSlope,
    /// Least-squares intercept.
    LslInt,
    /// Least-squares correlation coefficient.
    LslCorrel,
}

/// `VDEF:vname=source,FUNC` or `VDEF:vname=source,param,FUNC`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vdef {
    /// The variable name.
    pub vname: String,
    /// The DEF or CDEF it reduces.
    pub source: ElementId,
    /// The function.
    pub func: VdefFn,
}

/// `XPORT:vname[:legend]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Xport {
    /// The DEF or CDEF exported.
    pub source: ElementId,
    /// The column legend (possibly empty).
    pub legend: String,
}

/// What a [`Shift`] moves its series by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShiftBy {
    /// A number of seconds.
    Seconds(i64),
    /// The value of a VDEF, in seconds.
    Vdef(ElementId),
}

/// `SHIFT:vname:offset`: the DEF or CDEF's times move by the offset,
/// rounded towards zero to a multiple of its step (the data stays; a later
/// SHIFT of the same series replaces the earlier one).
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// The DEF or CDEF shifted.
    pub target: ElementId,
    /// By how much.
    pub by: ShiftBy,
}

/// One graph argument.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Element {
    /// Data fetched from a file.
    Def(Def),
    /// A series computed by an RPN expression.
    Cdef(Cdef),
    /// A single value (and time) computed from a series.
    Vdef(Vdef),
    /// A column of `xport` output.
    Xport(Xport),
    /// A time shift of a series.
    Shift(Shift),
    /// `LINE[width]` (and a STACK on a LINE).
    Line(Line),
    /// `AREA` (and a STACK on an AREA).
    Area(Area),
    /// `TICK`.
    Tick(Tick),
    /// `HRULE` (false) or `VRULE` (true).
    Rule(bool, Rule),
    /// `COMMENT:text`.
    Comment(String),
    /// `TEXTALIGN`.
    TextAlign(Align),
    /// `PRINT` or `GPRINT`.
    Print(Print),
}

impl Element {
    /// The variable this element defines, if any.
    pub fn vname(&self) -> Option<&str> {
        match self {
            Element::Def(d) => Some(&d.vname),
            Element::Cdef(c) => Some(&c.vname),
            Element::Vdef(v) => Some(&v.vname),
            _ => None,
        }
    }
}

/// What a LINE, AREA or TICK draws, or where a rule is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A DEF, CDEF or VDEF.
    Var(ElementId),
    /// A constant.
    Number(f64),
}

/// `LINE[width]:value[#color][:legend][:STACK][:skipscale][:dashes…]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// What is drawn.
    pub value: Value,
    /// Line width in pixels.
    pub width: f64,
    /// Colour; `None` draws nothing (the legend stays).
    pub color: Option<Rgba>,
    /// Legend (with rrdtool's two-space prefix when not empty).
    pub legend: String,
    /// Stacked on the previous LINE or AREA.
    pub stack: bool,
    /// Left out of the value range.
    pub skipscale: bool,
    /// Dash pattern and offset.
    pub dashes: Option<(Vec<f64>, f64)>,
}

/// `AREA:value[#color[#color2]][:legend][:STACK][:skipscale][:gradheight=g]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// What is drawn.
    pub value: Value,
    /// Colour; `None` draws nothing.
    pub color: Option<Rgba>,
    /// Gradient end colour.
    pub color2: Option<Rgba>,
    /// Legend (two-space prefix when not empty).
    pub legend: String,
    /// Stacked on the previous LINE or AREA.
    pub stack: bool,
    /// Left out of the value range.
    pub skipscale: bool,
    /// Gradient height in pixels.
    pub gradheight: f64,
}

/// `TICK:vname#color:fraction[:legend]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// The series whose non-zero values get a tick.
    pub value: Value,
    /// Colour.
    pub color: Option<Rgba>,
    /// Height as a fraction of the canvas (negative: from the top); `None`
    /// is the dynamic `vname` fraction.
    pub fraction: Option<f64>,
    /// Legend (no prefix).
    pub legend: String,
}

/// `HRULE:value#color[:legend][:dashes…]`, `VRULE:time#color…`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Where: a number (a value, or seconds for VRULE) or a VDEF.
    pub at: Value,
    /// Colour.
    pub color: Option<Rgba>,
    /// Legend (two-space prefix when not empty).
    pub legend: String,
    /// Dash pattern and offset.
    pub dashes: Option<(Vec<f64>, f64)>,
}

/// How a PRINT/GPRINT value is turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintFormatter {
    /// The number, printf style.
    Value,
    /// The VDEF's time through strftime.
    Strftime,
    /// The value as a timestamp (`valstrftime`).
    ValueTime,
    /// The value as a duration in milliseconds (`valstrfduration`).
    ValueDuration,
}

/// `PRINT`/`GPRINT:vname:format` or `:vname:CF:format`.
#[derive(Debug, Clone, PartialEq)]
pub struct Print {
    /// The VDEF (or DEF/CDEF with `cf`).
    pub source: ElementId,
    /// The consolidation of the deprecated form.
    pub cf: Option<ConsolidationFn>,
    /// The format.
    pub format: String,
    /// How the value is formatted.
    pub kind: PrintFormatter,
    /// GPRINT (legend) rather than PRINT (standard output).
    pub graph: bool,
}

/// TEXTALIGN values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `left`
    Left,
    /// `right`
    Right,
    /// `justified`
    Justified,
    /// `center`
    Center,
}
