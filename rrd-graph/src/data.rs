//! The data pipeline of rrdtool's graph and xport (`data_fetch`,
//! `reduce_data`, `data_calc`, `vdef_calc`): DEFs fetched and coarsened,
//! CDEFs evaluated on the common step of their inputs, VDEFs reduced to a
//! value.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use rrd_clib::qsort::qsort;
use rrd_core::{argbytes, ConsolidationFn, OpenMode, Rrd};
use rrd_core::{FetchRequest, FetchResult};
use rrd_rpn::csort::vdef_percent_compare;
use rrd_rpn::{eval_inputs, EvalContext, Input, Token};

use crate::element::{Cdef, Def, Element, ElementId, ShiftBy, Vdef, VdefFn};
use crate::error::{Error, Result};
use crate::spec::{program_inputs, GraphSpec};

/// The graph window: what `--start`, `--end` and the graph step
/// (`max(--step, (end - start) / width)`) resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, seconds since the epoch.
    pub start: i64,
    /// End, seconds since the epoch.
    pub end: i64,
    /// The graph step, seconds: DEFs are fetched at least this coarse.
    pub step: u64,
}

/// A time series: `values[k]` covers `(start + k·step, start + (k+1)·step]`.
///
/// `values` normally holds `(end - start) / step` values; a reduction of a
/// very short window can leave more, as in rrdtool, where readers by time
/// see them and VDEFs do not.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Start (exclusive), seconds since the epoch.
    pub start: i64,
    /// End, seconds since the epoch.
    pub end: i64,
    /// Seconds per value.
    pub step: u64,
    /// The values; unknown is NaN.
    pub values: Vec<f64>,
}

impl Series {
    /// The value rrdtool's xport and graph read for time `t`: index
    /// `floor((t - start) / step)`, `None` outside the series.
    pub fn value_at(&self, t: i64) -> Option<f64> {
        let k = ((t - self.start) as f64 / self.step as f64).floor();
        if k < 0.0 {
            return None;
        }
        self.values.get(k as usize).copied()
    }
}

/// The result of a VDEF.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VdefValue {
    /// The value; NaN when unknown.
    pub value: f64,
    /// The time it belongs to, for functions with a time component
    /// (`None` is rrdtool's "never").
    pub time: Option<i64>,
}

/// What one element computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Computed {
    /// DEF or CDEF data.
    Series(Series),
    /// VDEF result.
    Value(VdefValue),
    /// Elements that compute nothing (XPORT).
    Nothing,
}

/// The computed data of a [`GraphSpec`], one entry per element.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphData {
    computed: Vec<Computed>,
}

impl GraphData {
    /// What element `id` computed.
    pub fn get(&self, id: ElementId) -> Option<&Computed> {
        self.computed.get(id.0)
    }

    /// The series of DEF or CDEF `id`.
    pub fn series(&self, id: ElementId) -> Option<&Series> {
        match self.computed.get(id.0) {
            Some(Computed::Series(s)) => Some(s),
            _ => None,
        }
    }

    /// The value of VDEF `id`.
    pub fn value(&self, id: ElementId) -> Option<VdefValue> {
        match self.computed.get(id.0) {
            Some(Computed::Value(v)) => Some(*v),
            _ => None,
        }
    }
}

/// What evaluation needs from the environment.
#[derive(Debug, Clone)]
pub struct EvalEnv<'a> {
    /// Wall clock for `NOW`, seconds since the epoch.
    pub now: i64,
    /// Time zone for `LTIME` and the `NEW*` operators.
    pub tz: &'a TimeZone,
    /// `graph -Z`: a DEF whose file cannot be read gets unknown data
    /// (rrdtool's `rrd_fetch_empty`) instead of failing.
    pub missing_as_unknown: bool,
}

/// Where DEF data comes from: the default opens files read-only.
pub trait Source {
    /// Fetches `req` from `file`.
    ///
    /// # Errors
    ///
    /// [`Error::Open`] or [`Error::Fetch`].
    fn fetch(&mut self, file: &str, req: &FetchRequest) -> Result<FetchResult>;

    /// Fetches `req` from `file` for a DEF that names an rrdcached
    /// (`:daemon=`); sources that know no daemon ignore it.
    ///
    /// # Errors
    ///
    /// As [`Source::fetch`].
    fn fetch_def(
        &mut self,
        file: &str,
        req: &FetchRequest,
        daemon: Option<&str>,
    ) -> Result<FetchResult> {
        let _ = daemon;
        self.fetch(file, req)
    }
}

/// DEF data through rrdcached, as rrdtool's graph fetches it: a DEF's
/// `:daemon=`, else the request's `--daemon`, else `RRDCACHED_ADDRESS`;
/// the daemon's `FETCH` (which writes what it holds for the file first)
/// when it can be reached, the file itself when it cannot or none is set.
#[derive(Debug, Default)]
pub struct Cached {
    default: Option<String>,
    /// Connections by address (`None`: could not connect).
    conns: HashMap<String, Option<rrd_core::rrdcached::Client>>,
    /// The last failure to connect (rrdtool reports it after drawing from
    /// the files themselves).
    connect_error: Option<String>,
}

impl Cached {
    /// Fetches through `default` (the request's `--daemon`) or
    /// `RRDCACHED_ADDRESS`.
    pub fn new(default: Option<&str>) -> Self {
        Cached {
            default: default.map(str::to_string),
            conns: HashMap::new(),
            connect_error: None,
        }
    }

    /// The last failure to reach a daemon, whose DEFs were then read from
    /// the files themselves.
    pub fn connect_error(&self) -> Option<&str> {
        self.connect_error.as_deref()
    }

    /// Connects to the address in force now (rrdtool's xport does so
    /// before anything else): its error if it cannot be reached.
    ///
    /// # Errors
    ///
    /// The connection's error, as rrdtool words it.
    pub fn connect_default(&mut self) -> std::result::Result<(), String> {
        let Some(addr) = rrd_core::rrdcached::address(self.default.as_deref()) else {
            return Ok(());
        };
        let c = rrd_core::rrdcached::Client::connect(&addr)?;
        self.conns.insert(addr, Some(c));
        Ok(())
    }
}

impl Source for Cached {
    fn fetch(&mut self, file: &str, req: &FetchRequest) -> Result<FetchResult> {
        self.fetch_def(file, req, None)
    }

    fn fetch_def(
        &mut self,
        file: &str,
        req: &FetchRequest,
        daemon: Option<&str>,
    ) -> Result<FetchResult> {
        let given = daemon.filter(|d| !d.is_empty()).or(self.default.as_deref());
        let Some(addr) = rrd_core::rrdcached::address(given) else {
            return Files.fetch(file, req);
        };
        let failed = &mut self.connect_error;
        let conn = self.conns.entry(addr.clone()).or_insert_with(|| {
            rrd_core::rrdcached::Client::connect(&addr)
                .map_err(|e| *failed = Some(e))
                .ok()
        });
        let Some(c) = conn.as_mut() else {
            return Files.fetch(file, req);
        };
        c.fetch(file, req.cf.as_str(), req.start, req.end)
            .map_err(|m| Error::Fetch {
                path: file.to_string(),
                source: rrd_core::Error::Request(m),
            })
    }
}

/// Reads RRD files from the file system.
#[derive(Debug, Default)]
pub struct Files;

impl Source for Files {
    fn fetch(&mut self, file: &str, req: &FetchRequest) -> Result<FetchResult> {
        let rrd =
            Rrd::open(argbytes::to_path(file), OpenMode::ReadOnly).map_err(open_error(file))?;
        fetch_from(&rrd, file, req)
    }
}

/// [`Error::Open`] of `file`.
fn open_error(file: &str) -> impl Fn(rrd_core::Error) -> Error + '_ {
    move |source| Error::Open {
        path: file.to_string(),
        source,
    }
}

/// `rrd.fetch(req)`, failures as [`Error::Fetch`] of `file`.
fn fetch_from(rrd: &Rrd, file: &str, req: &FetchRequest) -> Result<FetchResult> {
    rrd.fetch(req).map_err(|source| Error::Fetch {
        path: file.to_string(),
        source,
    })
}

/// Reads RRD files beneath one directory, for DEF file names that come from
/// users: a name that is absolute, has a `..` component, or reaches
/// outside the directory through a symbolic link is refused with
/// [`Error::Open`] (`Permission denied`), and nothing outside is opened.
/// Links that stay inside are followed.
///
/// On Linux the check is the kernel's (`openat2` with `RESOLVE_BENEATH`),
/// so a link swapped in between check and open cannot escape; elsewhere,
/// and on kernels before 5.6, the resolved path is compared with the
/// directory's before opening.
#[derive(Debug)]
pub struct Rooted {
    root: std::path::PathBuf,
    dir: std::fs::File,
}

impl Rooted {
    /// DEF files are looked up beneath `root`.
    ///
    /// # Errors
    ///
    /// When `root` cannot be opened as a directory.
    pub fn new(root: impl Into<std::path::PathBuf>) -> std::io::Result<Rooted> {
        let root = root.into();
        let dir = std::fs::File::open(&root)?;
        if !dir.metadata()?.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        Ok(Rooted { root, dir })
    }

    /// The directory.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    fn open(&self, file: &str) -> Result<Rrd> {
        let refuse = |e: std::io::Error| Error::Open {
            path: file.to_string(),
            source: rrd_core::Error::Io {
                op: "opening",
                path: argbytes::to_path(file).into_owned(),
                source: e,
            },
        };
        let denied = || refuse(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        let rel = argbytes::to_path(file);
        use std::path::Component;
        if file.is_empty()
            || rel
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(denied());
        }
        let opened = match open_beneath(&self.dir, &rel) {
            Some(r) => r.map_err(|e| {
                // the kernel's refusal to leave the directory
                if e.raw_os_error() == Some(18) {
                    denied()
                } else {
                    refuse(e)
                }
            })?,
            None => {
                let root = self.root.canonicalize().map_err(refuse)?;
                let full = self.root.join(&rel).canonicalize().map_err(refuse)?;
                if !full.starts_with(&root) {
                    return Err(denied());
                }
                std::fs::File::open(&full).map_err(refuse)?
            }
        };
        let storage = rrd_core::FileStorage::from_file(opened, &rel, OpenMode::ReadOnly)
            .map_err(open_error(file))?;
        Rrd::from_storage(storage).map_err(open_error(file))
    }
}

/// `openat2(dir, rel, O_RDONLY, RESOLVE_BENEATH)`; `None` where the system
/// has no `openat2`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_beneath(
    dir: &std::fs::File,
    rel: &std::path::Path,
) -> Option<std::io::Result<std::fs::File>> {
    use rustix::fs::{openat2, Mode, OFlags, ResolveFlags};
    match openat2(
        dir,
        rel,
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    ) {
        Ok(fd) => Some(Ok(std::fs::File::from(fd))),
        Err(e) if e == rustix::io::Errno::NOSYS => None,
        Err(e) => Some(Err(e.into())),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn open_beneath(_: &std::fs::File, _: &std::path::Path) -> Option<std::io::Result<std::fs::File>> {
    None
}

impl Source for Rooted {
    fn fetch(&mut self, file: &str, req: &FetchRequest) -> Result<FetchResult> {
        let rrd = self.open(file)?;
        fetch_from(&rrd, file, req)
    }
}

/// Runs the pipeline over `spec` in rrdtool's order: all DEFs first, then
/// CDEFs and VDEFs in argument order.
///
/// # Errors
///
/// Fetch errors, rrdtool's refusals (`rpn expressions without DEF or CDEF
/// variables are not supported`, `No DS called …`) and
/// [`Error::Unsupported`] where rrdtool's result is undefined or not
/// reproduced (see the crate doc).
pub fn compute(
    spec: &GraphSpec,
    win: &Window,
    env: &EvalEnv<'_>,
    source: &mut dyn Source,
) -> Result<GraphData> {
    let n = spec.elements().len();
    let mut computed = vec![Computed::Nothing; n];
    let mut cache: HashMap<FetchKey, Fetched> = HashMap::new();
    for (i, e) in spec.elements().iter().enumerate() {
        if let Element::Def(d) = e {
            computed[i] = Computed::Series(match def_series(d, win, source, &mut cache) {
                Err(Error::Open { .. } | Error::Fetch { .. }) if env.missing_as_unknown => {
                    empty_series(d, win)
                }
                r => r?,
            });
        }
    }
    // the shift each series carries now (a later SHIFT replaces it)
    let mut shifts = vec![0i64; n];
    for (i, e) in spec.elements().iter().enumerate() {
        match e {
            Element::Cdef(c) => {
                computed[i] = Computed::Series(cdef_series(c, &computed, env)?);
            }
            Element::Vdef(v) => {
                computed[i] = Computed::Value(vdef_value(v, &computed)?);
            }
            Element::Shift(sh) => {
                let by = match sh.by {
                    ShiftBy::Seconds(s) => s,
                    ShiftBy::Vdef(id) => match computed.get(id.0) {
                        // C's double to time_t conversion
                        Some(Computed::Value(v)) if v.value.is_finite() => v.value as i64,
                        _ => {
                            return Err(Error::unsupported(
                                "SHIFT by an unknown or infinite VDEF value",
                            ))
                        }
                    },
                };
                let t = sh.target.0;
                let Some(Computed::Series(s)) = computed.get_mut(t) else {
                    return Err(Error::unsupported(
                        "SHIFT of something that is not a series",
                    ));
                };
                // rounded towards zero to a multiple of the series' step
                let by = by / s.step as i64 * s.step as i64;
                // far beyond any archive; rrdtool's time_t arithmetic
                // would overflow (undefined) on the way to 2^63
                const LIMIT: i64 = 1 << 53;
                let moved = |x: i64| {
                    x.checked_sub(shifts[t])?
                        .checked_add(by)
                        .filter(|m| m.abs() <= LIMIT)
                };
                let (Some(start), Some(end)) = (moved(s.start), moved(s.end)) else {
                    return Err(Error::unsupported(
                        "a SHIFT that moves a series beyond ±2^53 seconds",
                    ));
                };
                s.start = start;
                s.end = end;
                shifts[t] = by;
            }
            _ => {}
        }
    }
    Ok(GraphData { computed })
}

/// What rrdtool 1.7.2 looks a fetch up by: file, function, `:reduce=`
/// (absent counts as AVERAGE), start, end and a step. A DEF looks up with
/// its own step (`:step=`, else the graph step) and, once done, files its
/// data under the step the data ended up with, so a later DEF whose own
/// step equals an earlier DEF's final step reuses that DEF's data, archive
/// choice and reduction included (all verified against rrdtool).
type FetchKey = (String, ConsolidationFn, ConsolidationFn, i64, i64, u64);

/// A fetch and how the DEF that made it reduced it.
#[derive(Clone)]
struct Fetched {
    result: std::rc::Rc<FetchResult>,
    wanted: u64,
    reduce: ConsolidationFn,
}

impl Fetched {
    fn final_step(&self) -> u64 {
        if self.result.step < self.wanted {
            self.wanted.div_ceil(self.result.step) * self.result.step
        } else {
            self.result.step
        }
    }
}

fn def_series(
    d: &Def,
    win: &Window,
    source: &mut dyn Source,
    cache: &mut HashMap<FetchKey, Fetched>,
) -> Result<Series> {
    let start = d.start.unwrap_or(win.start);
    let end = d.end.unwrap_or(win.end);
    let def_step = d.step.unwrap_or(win.step);
    let key_reduce = d.reduce.unwrap_or(ConsolidationFn::Average);
    let key = (d.file.clone(), d.cf, key_reduce, start, end, def_step);
    let fetched = match cache.get(&key) {
        Some(f) => f.clone(),
        None => {
            let req = FetchRequest {
                cf: d.cf,
                start,
                end,
                resolution: def_step,
            };
            Fetched {
                result: std::rc::Rc::new(source.fetch_def(&d.file, &req, d.daemon.as_deref())?),
                wanted: def_step.max(win.step),
                reduce: d.reduce.unwrap_or(d.cf),
            }
        }
    };
    let result = &*fetched.result;
    // rrdtool keeps the last data source of that name
    let Some(ds) = result.ds_names.iter().rposition(|n| *n == d.ds) else {
        return Err(Error::NoSuchDs {
            ds: d.ds.clone(),
            path: d.file.clone(),
        });
    };
    let cols = result.ds_names.len();
    let column: Vec<f64> = (0..result.rows)
        .map(|r| result.values[r * cols + ds])
        .collect();
    let series = if result.step < fetched.wanted {
        reduce(
            fetched.reduce,
            result.step,
            fetched.wanted,
            result.start,
            result.end,
            &column,
        )?
    } else {
        Series {
            start: result.start,
            end: result.end,
            step: result.step,
            values: column,
        }
    };
    let filed = (key.0, key.1, key.2, key.3, key.4, fetched.final_step());
    cache.insert(filed, fetched);
    Ok(series)
}

/// rrdtool's `rrd_fetch_empty`: unknowns over the DEF's window at its step
/// (then coarsened like fetched data would be).
fn empty_series(d: &Def, win: &Window) -> Series {
    let start = d.start.unwrap_or(win.start);
    let end = d.end.unwrap_or(win.end);
    let step = d.step.unwrap_or(win.step).max(1) as i64;
    let s0 = start - start.rem_euclid(step);
    let e0 = end + (step - end.rem_euclid(step));
    let rows = ((e0 - s0) / step).max(0) as usize;
    let values = vec![f64::NAN; rows];
    let wanted = (step as u64).max(win.step);
    if (step as u64) < wanted {
        if let Ok(r) = reduce(
            d.reduce.unwrap_or(d.cf),
            step as u64,
            wanted,
            s0,
            e0,
            &values,
        ) {
            return r;
        }
    }
    Series {
        start: s0,
        end: e0,
        step: step as u64,
        values,
    }
}

/// rrdtool's `reduce_data` on one column: `cur_step` rows combined in groups
/// of `ceil(wanted / cur_step)`, the window widened to multiples of the new
/// step with an unknown first row when the start moved and an unknown last
/// row when the end moved.
pub fn reduce(
    cf: ConsolidationFn,
    cur_step: u64,
    wanted: u64,
    start: i64,
    end: i64,
    src: &[f64],
) -> Result<Series> {
    let factor = wanted.div_ceil(cur_step);
    let step = cur_step * factor;
    let (mut start, mut end) = (start, end);
    let start_offset = start as u64 % step;
    let end_offset = end as u64 % step;
    // rrdtool counts rows in an unsigned long that may wrap below zero;
    // its loop then stops at once (the count reads as negative)
    let mut rows = src.len() as u64;
    let mut pos = 0usize;
    let mut out = Vec::with_capacity(src.len() / factor as usize + 2);
    if start_offset != 0 {
        start -= start_offset as i64;
        let skip = factor - start_offset / cur_step;
        pos = skip as usize;
        out.push(f64::NAN);
        rows = rows.wrapping_sub(skip);
    }
    if end_offset != 0 {
        end = end - end_offset as i64 + step as i64;
        rows = rows.wrapping_sub(end_offset / cur_step);
    }
    if rows % factor != 0 {
        // rrdtool's own complaint, trailing blank and newline included
        return Err(Error::refused(format!(
            "SANITY CHECK: {rows} rows cannot be reduced by {factor} \n"
        )));
    }
    while (rows as i64) >= factor as i64 {
        let group = src
            .get(pos..pos + factor as usize)
            .ok_or_else(|| Error::unsupported("reducing past the fetched rows"))?;
        out.push(combine(cf, group));
        pos += factor as usize;
        rows -= factor;
    }
    if end_offset != 0 {
        out.push(f64::NAN);
    }
    Ok(Series {
        start,
        end,
        step,
        values: out,
    })
}

fn combine(cf: ConsolidationFn, group: &[f64]) -> f64 {
    let mut acc = f64::NAN;
    let mut valid = 0u32;
    for &v in group {
        if v.is_nan() {
            continue;
        }
        valid += 1;
        if acc.is_nan() {
            acc = v;
            continue;
        }
        acc = match cf {
            ConsolidationFn::Min => acc.min(v),
            ConsolidationFn::Max | ConsolidationFn::Failures => acc.max(v),
            ConsolidationFn::Last => v,
            _ => acc + v,
        };
    }
    if valid == 0 {
        return f64::NAN;
    }
    match cf {
        ConsolidationFn::Min
        | ConsolidationFn::Max
        | ConsolidationFn::Failures
        | ConsolidationFn::Last => acc,
        _ => acc / f64::from(valid),
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn cdef_series(c: &Cdef, computed: &[Computed], env: &EvalEnv<'_>) -> Result<Series> {
    let unsupported = |why: &str| Error::unsupported(format!("CDEF '{}': {why}", c.vname));
    let mut start = 0i64;
    let mut end: Option<i64> = None;
    let mut step = 0u64;
    for (id, _) in program_inputs(&c.program) {
        if let Some(Computed::Series(s)) = computed.get(id.0) {
            start = start.max(s.start);
            end = Some(end.map_or(s.end, |e| e.min(s.end)));
            step = if step == 0 { s.step } else { gcd(step, s.step) };
        }
    }
    let Some(end) = end else {
        return Err(Error::refused(
            "rpn expressions without DEF or CDEF variables are not supported",
        ));
    };
    if end < start || step == 0 {
        return Err(unsupported("inputs that do not overlap in time"));
    }
    let rows = ((end - start) as u64 / step) as usize;
    let times: Vec<i64> = (1..=rows as i64).map(|k| start + k * step as i64).collect();
    // each DEF/CDEF input is read from the row holding the CDEF start at
    // its own step; VDEFs become numbers, as rrdtool's data_calc makes them
    let mut program = std::borrow::Cow::Borrowed(&c.program);
    // the inputs are the series the program names, renumbered from 0 in the
    // program (not one slot per element of the graph, which made long chains
    // of CDEFs quadratic)
    let mut inputs: Vec<Input<'_>> = Vec::new();
    let mut slot_of: HashMap<usize, usize> = HashMap::new();
    for (k, tok) in c.program.tokens().iter().enumerate() {
        let (id, prev) = match *tok {
            Token::Var(v) => (ElementId(v.0), false),
            Token::PrevVar(v) => (ElementId(v.0), true),
            _ => continue,
        };
        match computed.get(id.0) {
            Some(Computed::Series(s)) => {
                let slot = *slot_of.entry(id.0).or_insert_with(|| {
                    let diff = start - s.start;
                    inputs.push(Input {
                        values: &s.values,
                        first: if diff > 0 {
                            (diff / s.step as i64) as usize
                        } else {
                            0
                        },
                        step: s.step as i64,
                    });
                    inputs.len() - 1
                });
                if slot != id.0 {
                    let v = rrd_rpn::VarId(slot);
                    program.to_mut().replace_token(
                        k,
                        if prev {
                            Token::PrevVar(v)
                        } else {
                            Token::Var(v)
                        },
                    );
                }
            }
            Some(Computed::Value(v)) => {
                program.to_mut().replace_token(k, Token::Number(v.value));
            }
            _ => return Err(unsupported("a variable that is not a DEF, CDEF or VDEF")),
        }
    }
    let mut ctx = EvalContext::new(step as i64, env.tz);
    ctx.now = env.now;
    let mut out = vec![0.0; rows];
    eval_inputs(&program, &ctx, &inputs, &times, &mut out, &mut Vec::new()).map_err(|source| {
        match source {
            rrd_rpn::Error::OutsideInput { .. } => unsupported("an input read outside its data"),
            source => Error::Rpn {
                vname: c.vname.clone(),
                expr: c.expr.clone(),
                source,
            },
        }
    })?;
    Ok(Series {
        start,
        end: start + (rows as u64 * step) as i64,
        step,
        values: out,
    })
}

fn vdef_value(v: &Vdef, computed: &[Computed]) -> Result<VdefValue> {
    let Some(Computed::Series(s)) = computed.get(v.source.0) else {
        return Err(Error::unsupported(format!(
            "VDEF '{}' of something that is not a DEF or CDEF",
            v.vname
        )));
    };
    let steps = ((s.end - s.start) / s.step as i64).max(0) as usize;
    if steps > s.values.len() {
        return Err(Error::unsupported(format!(
            "VDEF '{}' of a series shorter than its window (rrdtool reads past it)",
            v.vname
        )));
    }
    let s = &Series {
        values: s.values[..steps].to_vec(),
        ..s.clone()
    };
    if matches!(v.func, VdefFn::PercentNan(_)) && s.values.iter().all(|x| x.is_nan()) {
        // rrdtool 1.7.2 reads before its buffer here and yields garbage
        return Err(Error::unsupported(format!(
            "VDEF '{}': PERCENTNAN of a series without known values",
            v.vname
        )));
    }
    Ok(vdef_calc(v.func, s))
}

/// rrdtool's `vdef_calc` over a whole series. `PercentNan` of a series
/// without known values is NaN here (rrdtool 1.7.2 returns garbage).
pub fn vdef_calc(func: VdefFn, s: &Series) -> VdefValue {
    let data = &s.values;
    let step = s.step as i64;
    let never = VdefValue {
        value: f64::NAN,
        time: None,
    };
    let plain = |value: f64| VdefValue { value, time: None };
    match func {
        VdefFn::Percent(p) | VdefFn::PercentNan(p) => {
            let mut a: Vec<f64> = if matches!(func, VdefFn::Percent(_)) {
                data.clone()
            } else {
                data.iter().copied().filter(|x| !x.is_nan()).collect()
            };
            if a.is_empty() {
                return never;
            }
            let mut tmp = vec![0.0; a.len()];
            qsort(&mut a, &mut tmp, vdef_percent_compare);
            let field = (p * (a.len() - 1) as f64 / 100.0).round() as usize;
            plain(a[field.min(a.len() - 1)])
        }
        VdefFn::Maximum | VdefFn::Minimum => {
            let Some(first) = data.iter().position(|x| !x.is_nan()) else {
                return never;
            };
            let mut best = data[first];
            let mut at = first;
            for (k, &x) in data.iter().enumerate().skip(first) {
                let better = match func {
                    VdefFn::Maximum => x > best,
                    _ => x < best,
                };
                if x.is_finite() && better {
                    best = x;
                    at = k;
                }
            }
            VdefValue {
                value: best,
                time: Some(s.start + (at as i64 + 1) * step),
            }
        }
        VdefFn::Total | VdefFn::Stdev | VdefFn::Average => {
            let finite: Vec<f64> = data.iter().copied().filter(|x| x.is_finite()).collect();
            if finite.is_empty() {
                return never;
            }
            let cnt = finite.len() as f64;
            let sum: f64 = finite.iter().fold(0.0, |a, &x| a + x);
            plain(match func {
                VdefFn::Total => sum * s.step as f64,
                VdefFn::Average => sum / cnt,
                _ => {
                    let avg = sum / cnt;
                    let sq = finite.iter().fold(0.0, |a, &x| a + (x - avg).powf(2.0));
                    (sq / cnt).powf(0.5)
                }
            })
        }
        VdefFn::First => match data.iter().position(|x| !x.is_nan()) {
            None => never,
            Some(k) => VdefValue {
                value: data[k],
                time: Some(s.start + k as i64 * step),
            },
        },
        VdefFn::Last => match data.iter().rposition(|x| !x.is_nan()) {
            None => never,
            Some(k) => VdefValue {
                value: data[k],
                time: Some(s.start + (k as i64 + 1) * step),
            },
        },
        VdefFn::LslSlope | VdefFn::LslInt | VdefFn::LslCorrel => {
            let (mut cnt, mut sx, mut sy, mut sxy, mut sxx, mut syy) =
                (0i64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
            for (k, &y) in data.iter().enumerate() {
                if y.is_finite() {
                    let k = k as i64;
                    cnt += 1;
                    sx += k as f64;
                    sxx += (k * k) as f64;
                    sxy += k as f64 * y;
                    sy += y;
                    syy += y * y;
                }
            }
            if cnt == 0 {
                return never;
            }
            let n = cnt as f64;
            let slope = (sx * sy - n * sxy) / (sx * sx - n * sxx);
            plain(match func {
                VdefFn::LslSlope => slope,
                VdefFn::LslInt => (sy - slope * sx) / n,
                _ => (sxy - (sx * sy) / n) / ((sxx - (sx * sx) / n) * (syy - (sy * sy) / n)).sqrt(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Series {
        Series {
            start: 0,
            end: 60 * values.len() as i64,
            step: 60,
            values: values.to_vec(),
        }
    }

    fn check_reduce(cf: ConsolidationFn, wanted: u64, start: i64, src: &[f64], want: &[f64]) {
        let end = start + 60 * src.len() as i64;
        let got = reduce(cf, 60, wanted, start, end, src).expect("reduce");
        let same = got.values.len() == want.len()
            && got
                .values
                .iter()
                .zip(want)
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()));
        assert!(same, "{:?} vs {want:?}", got.values);
        assert_eq!(got.start % got.step as i64, 0);
    }

    #[test]
    fn reduce_aligned_groups() {
        let nan = f64::NAN;
        check_reduce(
            ConsolidationFn::Average,
            120,
            0,
            &[1.0, 3.0, nan, 4.0],
            &[2.0, 4.0],
        );
        check_reduce(
            ConsolidationFn::Max,
            120,
            0,
            &[1.0, 3.0, nan, nan],
            &[3.0, nan],
        );
        check_reduce(
            ConsolidationFn::Last,
            120,
            0,
            &[1.0, 3.0, 5.0, nan],
            &[3.0, 5.0],
        );
        check_reduce(
            ConsolidationFn::Min,
            100,
            0,
            &[1.0, 3.0, 5.0, 0.5],
            &[1.0, 0.5],
        );
    }

    #[test]
    fn reduce_unaligned_start_skips_a_partial_group() {
        // start 60 in a 120 grid: first output row unknown, one row skipped
        check_reduce(
            ConsolidationFn::Average,
            120,
            60,
            &[9.0, 1.0, 3.0, 5.0],
            &[f64::NAN, 2.0, f64::NAN],
        );
    }

    #[test]
    fn vdef_functions() {
        let s = series(&[f64::NAN, 2.0, 4.0, f64::INFINITY, 6.0]);
        let v = |f| vdef_calc(f, &s);
        assert_eq!(v(VdefFn::Maximum).value, 6.0);
        assert_eq!(v(VdefFn::Maximum).time, Some(300));
        assert_eq!(v(VdefFn::Minimum).value, 2.0);
        assert_eq!(v(VdefFn::Average).value, 4.0);
        assert_eq!(v(VdefFn::Total).value, 720.0);
        assert_eq!(v(VdefFn::First).time, Some(60));
        assert_eq!(v(VdefFn::Last).value, 6.0);
        assert_eq!(v(VdefFn::Percent(100.0)).value, f64::INFINITY);
        assert!(v(VdefFn::Percent(0.0)).value.is_nan());
        assert_eq!(v(VdefFn::PercentNan(0.0)).value, 2.0);
        assert!((v(VdefFn::Stdev).value - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!(vdef_calc(VdefFn::Average, &series(&[f64::NAN]))
            .value
            .is_nan());
    }
}
