//! The evaluator (`rpn_calc` in rrdtool), one whole series at a time.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use rrd_clib::time::Tm;

use crate::csort;
use crate::error::{Error, Result, Span};
use crate::op::Op;
use crate::parse::{to_count, Count, Program, Token, MAX_STACK_DEPTH};

/// rrdtool's unknown value (`DNAN`): on x86-64 a negative quiet NaN
/// (`0xFFF8000000000000`), which `printf` shows as `-nan`. Operators that
/// produce "unknown" themselves push this one; those that pass an unknown
/// operand on keep that operand's bits, as rrdtool does.
pub const DNAN: f64 = f64::from_bits(0xFFF8_0000_0000_0000);

/// What the evaluator needs to know besides the input series.
#[derive(Debug, Clone)]
pub struct EvalContext<'a> {
    /// Seconds between points (`STEPWIDTH`, and the unit of `TREND` windows).
    pub step: i64,
    /// Wall-clock time in seconds for `NOW` (rrdtool: `time(NULL)`).
    pub now: i64,
    /// Time zone for `LTIME` and `NEWDAY`/`NEWWEEK`/`NEWMONTH`/`NEWYEAR`.
    pub tz: &'a TimeZone,
    /// The day `NEWWEEK` fires on (rrdtool asks the locale).
    pub first_weekday: Weekday,
}

impl<'a> EvalContext<'a> {
    /// A context with `now` = the current time and weeks starting on Sunday
    /// (what rrdtool 1.7.2 does in the C locale).
    pub fn new(step: i64, tz: &'a TimeZone) -> EvalContext<'a> {
        EvalContext {
            step,
            now: jiff::Timestamp::now().as_second(),
            tz,
            first_weekday: Weekday::Sunday,
        }
    }
}

/// Evaluates `program` at every point of a series.
///
/// `inputs[v.0]` is the series of variable `v` (as returned by the parse
/// resolver), aligned with `times`: value `k` belongs to the step ending at
/// `times[k]`. Results go to `out` (same length as `times`); `out[k-1]` is
/// what `PREV` reads. `stack` is scratch space, reused across points and
/// calls so evaluation does not allocate per point.
///
/// `TREND`/`TRENDNAN` windows count points of the input series at this
/// `step`; callers must hand inputs already at the evaluation step (see
/// [`eval_inputs`] for inputs at other steps).
pub fn eval_series(
    program: &Program,
    ctx: &EvalContext<'_>,
    inputs: &[&[f64]],
    times: &[i64],
    out: &mut [f64],
    stack: &mut Vec<f64>,
) -> Result<()> {
    for v in program.variables() {
        match inputs.get(v.0) {
            Some(s) if s.len() < times.len() => {
                return Err(Error::BadInput {
                    index: v.0,
                    what: "shorter than times",
                })
            }
            _ => {}
        }
    }
    let walks: Vec<Input<'_>> = inputs
        .iter()
        .map(|values| Input {
            values,
            first: 0,
            step: ctx.step,
        })
        .collect();
    run(program, ctx, &walks, true, times, out, stack, true)
}

/// One input of [`eval_inputs`]: a series at its own step, read the way
/// rrdtool's `rpn_calc` reads DEF and CDEF data inside a CDEF.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The input's rows; unknown is NaN.
    pub values: &'a [f64],
    /// The row read at the first point.
    pub first: usize,
    /// The input's step, seconds: its row pointer moves to the next row
    /// after each point whose time is a multiple of it, and `TREND` and
    /// `PREDICT` windows count rows of this size.
    pub step: i64,
}

/// Evaluates `program` at `times` over inputs at their own steps (rrdtool's
/// `data_calc`: a CDEF runs at the greatest common divisor of its inputs'
/// steps). A variable reads its input's current row; `PREV(v)` the row
/// before it; `TREND`/`TRENDNAN` and `PREDICT*` look back from the current
/// row in rows of the input's step.
///
/// # Errors
///
/// Those of [`eval_series`], and [`Error::OutsideInput`] where rrdtool would
/// read outside an input's rows.
pub fn eval_inputs(
    program: &Program,
    ctx: &EvalContext<'_>,
    inputs: &[Input<'_>],
    times: &[i64],
    out: &mut [f64],
    stack: &mut Vec<f64>,
) -> Result<()> {
    if let Some(v) = inputs.iter().position(|i| i.step <= 0) {
        return Err(Error::BadInput {
            index: v,
            what: "step must be positive",
        });
    }
    run(program, ctx, inputs, false, times, out, stack, true)
}

/// The evaluation loop. `aligned`: every input moves on one row per point
/// (inputs already at the evaluation step). `blocks`: whether programs
/// without history may run block by block (tests compare both ways).
#[allow(clippy::too_many_arguments)] // internal
fn run(
    program: &Program,
    ctx: &EvalContext<'_>,
    inputs: &[Input<'_>],
    aligned: bool,
    times: &[i64],
    out: &mut [f64],
    stack: &mut Vec<f64>,
    blocks: bool,
) -> Result<()> {
    if out.len() != times.len() {
        return Err(Error::BadInput {
            index: usize::MAX,
            what: "output length differs from times length",
        });
    }
    for v in program.variables() {
        if inputs.get(v.0).is_none() {
            return Err(Error::BadInput {
                index: v.0,
                what: "missing",
            });
        }
    }
    if ctx.step <= 0 {
        return Err(Error::BadInput {
            index: usize::MAX,
            what: "step must be positive",
        });
    }
    if blocks && blockable(program) && run_blocks(program, ctx, inputs, aligned, times, out, stack)
    {
        return Ok(());
    }
    if let Some(d) = program.max_depth {
        stack.reserve(d);
    }
    let mut rows: Vec<usize> = inputs.iter().map(|i| i.first).collect();
    for (i, &t) in times.iter().enumerate() {
        let at = Point {
            i,
            t,
            rows: &rows,
            aligned,
        };
        out[i] = eval_point(program, ctx, inputs, &at, out, stack)?;
        for (r, input) in rows.iter_mut().zip(inputs) {
            if aligned || t % input.step == 0 {
                *r += 1;
            }
        }
    }
    Ok(())
}

/// Points evaluated together by [`run_blocks`].
const BLOCK: usize = 256;

/// Whether every point of `program` can be computed independently of the
/// others, with a stack depth known in advance: then [`run_blocks`] runs it
/// token by token over blocks of points instead of point by point.
fn blockable(program: &Program) -> bool {
    program.max_depth.is_some()
        && program.tokens.iter().all(|t| match t {
            Token::Number(_) | Token::Var(_) | Token::PrevVar(_) => true,
            Token::Op(op) => matches!(
                op,
                Op::Sin
                    | Op::Cos
                    | Op::Log
                    | Op::Exp
                    | Op::Sqrt
                    | Op::Atan
                    | Op::Floor
                    | Op::Ceil
                    | Op::Abs
                    | Op::Un
                    | Op::IsInf
                    | Op::Rad2Deg
                    | Op::Deg2Rad
                    | Op::Add
                    | Op::Sub
                    | Op::Mul
                    | Op::Div
                    | Op::Mod
                    | Op::Pow
                    | Op::AddNan
                    | Op::Atan2
                    | Op::Lt
                    | Op::Le
                    | Op::Gt
                    | Op::Ge
                    | Op::Eq
                    | Op::Ne
                    | Op::Min
                    | Op::Max
                    | Op::MinNan
                    | Op::MaxNan
                    | Op::If
                    | Op::Limit
                    | Op::Dup
                    | Op::Pop
                    | Op::Exc
                    | Op::Inf
                    | Op::NegInf
                    | Op::Unkn
                    | Op::Now
                    | Op::Time
                    | Op::StepWidth
                    | Op::Count
            ),
        })
}

/// Evaluates a [`blockable`] program over blocks of [`BLOCK`] points: each
/// token once per block, on a stack of blocks. Every value goes through
/// the same operations as in [`eval_point`], so results are identical.
/// Returns `false`, having possibly written part of `out`, where the point
/// by point evaluation must run instead (to report an error at the point
/// and token where it occurs).
fn run_blocks(
    program: &Program,
    ctx: &EvalContext<'_>,
    inputs: &[Input<'_>],
    aligned: bool,
    times: &[i64],
    out: &mut [f64],
    stack: &mut Vec<f64>,
) -> bool {
    let Some(depth) = program.max_depth else {
        return false;
    };
    stack.clear();
    stack.resize(depth.max(1) * BLOCK, 0.0);
    let mut rows: Vec<usize> = inputs.iter().map(|i| i.first).collect();
    // each input's row at each point of the block
    let mut at: Vec<Vec<usize>> = vec![Vec::new(); inputs.len()];
    let mut used = vec![false; inputs.len()];
    for v in program.variables() {
        if let Some(u) = used.get_mut(v.0) {
            *u = true;
        }
    }
    let mut i0 = 0;
    while i0 < times.len() {
        let n = (times.len() - i0).min(BLOCK);
        let t = &times[i0..i0 + n];
        for (v, input) in inputs.iter().enumerate() {
            if !used[v] {
                continue;
            }
            let idx = &mut at[v];
            idx.clear();
            for &tk in t {
                idx.push(rows[v]);
                if aligned || tk % input.step == 0 {
                    rows[v] += 1;
                }
            }
        }
        let mut sp = 0usize;
        for tok in &program.tokens {
            let (pops, pushes) = match tok {
                Token::Number(_) | Token::Var(_) | Token::PrevVar(_) => (0, 1),
                Token::Op(op) => op.static_arity().unwrap_or((usize::MAX, 0)),
            };
            if sp < pops || sp - pops + pushes > depth {
                return false;
            }
            let new_slot = sp * BLOCK..sp * BLOCK + n;
            match *tok {
                Token::Number(x) => stack[new_slot].fill(x),
                Token::Var(v) => {
                    let values = inputs[v.0].values;
                    for (slot, &r) in stack[new_slot].iter_mut().zip(&at[v.0]) {
                        match values.get(r) {
                            Some(&x) => *slot = x,
                            None => return false,
                        }
                    }
                }
                Token::PrevVar(v) => {
                    let values = inputs[v.0].values;
                    for (k, (slot, &r)) in stack[new_slot].iter_mut().zip(&at[v.0]).enumerate() {
                        *slot = if i0 + k == 0 {
                            DNAN
                        } else {
                            match r.checked_sub(1).and_then(|r| values.get(r)) {
                                Some(&x) => x,
                                None => return false,
                            }
                        };
                    }
                }
                Token::Op(op) => {
                    let base = sp - pops;
                    let (lo, hi) = stack.split_at_mut((base + 1) * BLOCK);
                    let a = &mut lo[base * BLOCK..base * BLOCK + n];
                    match op {
                        Op::Inf => a.fill(f64::INFINITY),
                        Op::NegInf => a.fill(f64::NEG_INFINITY),
                        Op::Unkn => a.fill(DNAN),
                        Op::Now => a.fill(ctx.now as f64),
                        Op::StepWidth => a.fill(ctx.step as f64),
                        Op::Time => {
                            for (x, &tk) in a.iter_mut().zip(t) {
                                *x = tk as f64;
                            }
                        }
                        Op::Count => {
                            for (k, x) in a.iter_mut().enumerate() {
                                *x = (i0 + k + 1) as f64;
                            }
                        }
                        Op::Dup => hi[..n].copy_from_slice(a),
                        Op::Pop => {}
                        Op::Exc => {
                            let b = &mut hi[..n];
                            a.swap_with_slice(b);
                        }
                        Op::If => {
                            let (b, c) = hi.split_at_mut(BLOCK);
                            for k in 0..n {
                                a[k] = if_op(a[k], b[k], c[k]);
                            }
                        }
                        Op::Limit => {
                            let (l, h) = hi.split_at_mut(BLOCK);
                            for k in 0..n {
                                a[k] = limit(a[k], l[k], h[k]);
                            }
                        }
                        Op::Add => {
                            for (x, &y) in a.iter_mut().zip(&hi[..n]) {
                                *x = binary(Op::Add, *x, y);
                            }
                        }
                        Op::Sub => {
                            for (x, &y) in a.iter_mut().zip(&hi[..n]) {
                                *x = binary(Op::Sub, *x, y);
                            }
                        }
                        Op::Mul => {
                            for (x, &y) in a.iter_mut().zip(&hi[..n]) {
                                *x = binary(Op::Mul, *x, y);
                            }
                        }
                        Op::Div => {
                            for (x, &y) in a.iter_mut().zip(&hi[..n]) {
                                *x = binary(Op::Div, *x, y);
                            }
                        }
                        _ if pops == 2 => {
                            for (x, &y) in a.iter_mut().zip(&hi[..n]) {
                                *x = binary(op, *x, y);
                            }
                        }
                        _ => {
                            for x in a.iter_mut() {
                                *x = unary(op, *x);
                            }
                        }
                    }
                }
            }
            sp = sp - pops + pushes;
        }
        if sp != 1 {
            return false;
        }
        out[i0..i0 + n].copy_from_slice(&stack[..n]);
        i0 += n;
    }
    true
}

/// Where the evaluation is: point `i` at time `t`, each input's current row.
struct Point<'r> {
    i: usize,
    t: i64,
    rows: &'r [usize],
    aligned: bool,
}

impl Point<'_> {
    /// The row after input `v`'s pointer has moved past this point, which
    /// rrdtool's TREND and PREDICT count back from.
    fn after(&self, v: usize, input: &Input<'_>) -> usize {
        self.rows[v] + usize::from(self.aligned || self.t % input.step == 0)
    }
}

/// Pops one value; the caller has checked the depth.
fn pop(st: &mut Vec<f64>, span: Span) -> Result<f64> {
    st.pop().ok_or(Error::StackUnderflow { span })
}

fn need(st: &[f64], n: usize, span: Span) -> Result<()> {
    if st.len() < n {
        Err(Error::StackUnderflow { span })
    } else {
        Ok(())
    }
}

fn count_arg(st: &mut Vec<f64>, op: Op, span: Span) -> Result<(usize, f64)> {
    let v = pop(st, span)?;
    match to_count(v) {
        Count::Ok(n) => Ok((n, v)),
        Count::Underflow => Err(Error::StackUnderflow { span }),
        Count::Negative => Err(Error::InvalidArgument {
            op: op.name(),
            value: v,
            span,
        }),
    }
}

/// Whether the top of the stack is a count that is negative after `(int)`.
fn peek_negative(st: &[f64]) -> bool {
    st.last()
        .is_some_and(|&v| matches!(to_count(v), Count::Negative))
}

/// Sorts the top `n` values of the stack as rrdtool's `qsort` does.
fn sort_top(st: &mut Vec<f64>, n: usize) {
    sort_top_at(st, st.len() - n, n);
}

/// rrdtool's MEDIAN of the top `n` values: unknowns are swapped out from the
/// back, the rest sorted by its `qsort`, the middle (or the mean of the two
/// middle values) taken. Leaves the window reordered.
fn median_top(st: &mut Vec<f64>, n: usize) -> f64 {
    if n == 0 {
        return DNAN;
    }
    let len = st.len();
    let w = &mut st[len - n..];
    let (mut good, mut bad, mut known) = (0, n - 1, n);
    while good < bad {
        if w[good].is_nan() {
            w[good] = w[bad];
            bad -= 1;
            known -= 1;
        } else {
            good += 1;
        }
    }
    if w[good].is_nan() {
        known -= 1;
    }
    if known == 0 {
        // rrdtool averages the unknown w[0] with the value below the
        // window: the unknown (with its sign) is the result
        return 0.5 * w[0];
    }
    sort_top_at(st, len - n, known);
    let w = &st[len - n..];
    if known % 2 == 1 {
        w[known / 2]
    } else {
        0.5 * (w[known / 2] + w[known / 2 - 1])
    }
}

/// Sorts `st[from..from + n]` as rrdtool's `qsort` does, with scratch space
/// above the stack's top (no allocation once the stack has grown).
fn sort_top_at(st: &mut Vec<f64>, from: usize, n: usize) {
    let len = st.len();
    st.resize(len + n, 0.0);
    let (data, tmp) = st.split_at_mut(len);
    rrd_clib::qsort::qsort(&mut data[from..from + n], tmp, csort::rpn_compare);
    st.truncate(len);
}

/// The unary operators (SIN … DEG2RAD, UN, ISINF) on one value.
#[inline(always)]
fn unary(op: Op, x: f64) -> f64 {
    match op {
        Op::Sin => x.sin(),
        Op::Cos => x.cos(),
        Op::Log => x.ln(),
        Op::Exp => x.exp(),
        Op::Sqrt => x.sqrt(),
        Op::Atan => x.atan(),
        Op::Floor => x.floor(),
        Op::Ceil => x.ceil(),
        Op::Abs => x.abs(),
        Op::Un => f64::from(u8::from(x.is_nan())),
        Op::IsInf => f64::from(u8::from(x.is_infinite())),
        // rrdtool's exact (slightly imprecise) constants
        Op::Rad2Deg => 57.29577951 * x,
        _ => 0.0174532952 * x,
    }
}

/// The binary operators (arithmetic, comparisons, MIN/MAX and their NAN
/// forms, ADDNAN, ATAN2, POW) on `a` (deeper) and `b` (top).
#[inline(always)]
fn binary(op: Op, a: f64, b: f64) -> f64 {
    match op {
        // x86's rule, which rrdtool's results follow, made explicit so that
        // no reordering of operands can change it: of two unknowns the
        // first one (with its sign) comes out
        Op::Add => first_nan(a, b, a + b),
        Op::Sub => first_nan(a, b, a - b),
        Op::Mul => first_nan(a, b, a * b),
        Op::Div => first_nan(a, b, a / b),
        Op::Mod => a % b, // C fmod
        Op::Pow => a.powf(b),
        Op::Atan2 => a.atan2(b),
        Op::AddNan => {
            if a.is_nan() {
                b
            } else if b.is_nan() {
                a
            } else {
                a + b
            }
        }
        Op::Lt => cmp_op(a, b, |a, b| a < b),
        Op::Le => cmp_op(a, b, |a, b| a <= b),
        Op::Gt => cmp_op(a, b, |a, b| a > b),
        Op::Ge => cmp_op(a, b, |a, b| a >= b),
        Op::Eq => cmp_op(a, b, |a, b| a == b),
        Op::Ne => cmp_op(a, b, |a, b| a != b),
        Op::Min | Op::Max if a.is_nan() => a,
        Op::Min | Op::Max if b.is_nan() => b,
        Op::Min => {
            if a > b {
                b
            } else {
                a
            }
        }
        Op::Max => {
            if a < b {
                b
            } else {
                a
            }
        }
        Op::MinNan | Op::MaxNan if a.is_nan() => b,
        Op::MinNan | Op::MaxNan if b.is_nan() => a,
        Op::MinNan => {
            if a > b {
                b
            } else {
                a
            }
        }
        _ => {
            if a < b {
                b
            } else {
                a
            }
        }
    }
}

/// `a` if it is unknown, else `b` if that is, else `r`.
#[inline(always)]
fn first_nan(a: f64, b: f64, r: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() {
        b
    } else {
        r
    }
}

/// `a,b,c,IF`.
#[inline(always)]
fn if_op(a: f64, b: f64, c: f64) -> f64 {
    if a.is_nan() || a == 0.0 {
        c
    } else {
        b
    }
}

/// `x,lo,hi,LIMIT`: an unknown operand passes on (x, then lo, then hi).
#[inline(always)]
fn limit(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() {
        x
    } else if lo.is_nan() {
        lo
    } else if hi.is_nan() {
        hi
    } else if x < lo || x > hi {
        DNAN
    } else {
        x
    }
}

/// Comparisons: the unknown operand (the first one if both are), else 1 or 0.
fn cmp_op(a: f64, b: f64, f: impl Fn(f64, f64) -> bool) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() {
        b
    } else if f(a, b) {
        1.0
    } else {
        0.0
    }
}

/// `localtime_r(t)` in the evaluation's zone, glibc's (any year that fits
/// C's `int`).
fn local(ctx: &EvalContext<'_>, t: i64) -> Option<Tm> {
    rrd_clib::time::localtime(t, ctx.tz)
}

/// rrdtool's `tzoffset`: the difference of the broken-down local and UTC
/// times of day, corrected by a day when the day of year or year differs.
/// Reproduced with its quirk: west of UTC at New Year the day of year goes
/// from 0 (UTC) to 364/365 (local), so the correction has the wrong sign
/// (New York at 2018-01-01T00:00Z gives +154800, not -18000).
fn tz_offset(ctx: &EvalContext<'_>, t: i64) -> Option<i64> {
    let gm = rrd_clib::time::gmtime(t)?;
    let lt = local(ctx, t)?;
    let mut off = i64::from(lt.sec - gm.sec)
        + i64::from(lt.min - gm.min) * 60
        + i64::from(lt.hour - gm.hour) * 3600;
    if lt.yday > gm.yday || lt.year > gm.year {
        off += 86400;
    } else if lt.yday < gm.yday || lt.year < gm.year {
        off -= 86400;
    }
    Some(off)
}

fn new_period(ctx: &EvalContext<'_>, op: Op, t: i64) -> f64 {
    let (Some(now), Some(before)) = (local(ctx, t), local(ctx, t.saturating_sub(ctx.step))) else {
        return DNAN;
    };
    let changed = match op {
        Op::NewDay => (now.year, now.mon, now.mday) != (before.year, before.mon, before.mday),
        Op::NewWeek => {
            now.wday != before.wday
                && now.wday == i32::from(ctx.first_weekday.to_sunday_zero_offset())
        }
        Op::NewMonth => (now.year, now.mon) != (before.year, before.mon),
        _ => now.year != before.year,
    };
    if changed {
        1.0
    } else {
        0.0
    }
}

#[allow(clippy::too_many_arguments)] // internal; mirrors rpn_calc's inputs
fn eval_point(
    program: &Program,
    ctx: &EvalContext<'_>,
    inputs: &[Input<'_>],
    at: &Point<'_>,
    out: &[f64],
    st: &mut Vec<f64>,
) -> Result<f64> {
    st.clear();
    let (i, t) = (at.i, at.t);
    for (k, (tok, &span)) in program.tokens.iter().zip(&program.spans).enumerate() {
        let op = match *tok {
            Token::Number(v) => {
                st.push(v);
                continue;
            }
            Token::Var(v) => {
                let x = inputs[v.0].values.get(at.rows[v.0]);
                st.push(*x.ok_or(Error::OutsideInput { index: v.0, span })?);
                continue;
            }
            Token::PrevVar(v) => {
                let x = if i == 0 {
                    Some(&DNAN)
                } else {
                    let r = at.rows[v.0].checked_sub(1);
                    r.and_then(|r| inputs[v.0].values.get(r))
                };
                st.push(*x.ok_or(Error::OutsideInput { index: v.0, span })?);
                continue;
            }
            Token::Op(op) => op,
        };
        if let Some((pop_n, _)) = op.static_arity() {
            need(st, pop_n, span)?;
        }
        match op {
            // constants and context
            Op::Inf => st.push(f64::INFINITY),
            Op::NegInf => st.push(f64::NEG_INFINITY),
            Op::Unkn => st.push(DNAN),
            Op::Now => st.push(ctx.now as f64),
            Op::Time => st.push(t as f64),
            Op::LTime => st.push(match tz_offset(ctx, t) {
                Some(off) => t as f64 + off as f64,
                None => DNAN,
            }),
            Op::StepWidth => st.push(ctx.step as f64),
            Op::Count => st.push((i + 1) as f64),
            Op::Prev => st.push(if i == 0 { DNAN } else { out[i - 1] }),
            Op::NewDay | Op::NewWeek | Op::NewMonth | Op::NewYear => {
                st.push(new_period(ctx, op, t))
            }
            Op::Depth => st.push(st.len() as f64),
            // unary
            Op::Sin
            | Op::Cos
            | Op::Log
            | Op::Exp
            | Op::Sqrt
            | Op::Atan
            | Op::Floor
            | Op::Ceil
            | Op::Abs
            | Op::Un
            | Op::IsInf
            | Op::Rad2Deg
            | Op::Deg2Rad => {
                let top = st.len() - 1;
                st[top] = unary(op, st[top]);
            }
            Op::Dup => st.push(st[st.len() - 1]),
            Op::Pop => {
                st.pop();
            }
            Op::Exc => {
                let n = st.len();
                st.swap(n - 1, n - 2);
            }
            // binary
            Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Mod
            | Op::Pow
            | Op::AddNan
            | Op::Atan2
            | Op::Lt
            | Op::Le
            | Op::Gt
            | Op::Ge
            | Op::Eq
            | Op::Ne
            | Op::Min
            | Op::Max
            | Op::MinNan
            | Op::MaxNan => {
                let b = pop(st, span)?;
                let top = st.len() - 1;
                st[top] = binary(op, st[top], b);
            }
            Op::If => {
                let c = pop(st, span)?;
                let b = pop(st, span)?;
                let top = st.len() - 1;
                st[top] = if_op(st[top], b, c);
            }
            Op::Limit => {
                let hi = pop(st, span)?;
                let lo = pop(st, span)?;
                let top = st.len() - 1;
                st[top] = limit(st[top], lo, hi);
            }
            Op::Trend | Op::TrendNan => {
                let dur = pop(st, span)?;
                pop(st, span)?; // the variable's current value
                let Some(Token::Var(v)) = k.checked_sub(2).and_then(|j| program.tokens.get(j))
                else {
                    return Err(Error::MalformedTrend { span });
                };
                if dur.is_nan() {
                    // rrdtool loops forever / crashes here
                    return Err(Error::InvalidArgument {
                        op: op.name(),
                        value: dur,
                        span,
                    });
                }
                let dur = dur as i64; // C (time_t) cast, saturating
                let input = &inputs[v.0];
                let step = input.step;
                // rrdtool checks the point count against a float ceiling
                // and then reads ceil(dur/step) rows (at least one)
                let enough = rrd_clib::cast::int(f64::from(((dur as f32) / (step as f32)).ceil()));
                let want = if dur <= 0 {
                    1
                } else {
                    dur / step + i64::from(dur % step != 0)
                };
                let value = if (i as i64) + 1 < i64::from(enough) {
                    DNAN
                } else {
                    let end = at.after(v.0, input);
                    let window = end
                        .checked_sub(want as usize)
                        .and_then(|from| input.values.get(from..end))
                        .ok_or(Error::OutsideInput { index: v.0, span })?;
                    // newest row first, as rrdtool sums
                    let (sum, n) = window
                        .iter()
                        .rev()
                        .filter(|x| op == Op::Trend || !x.is_nan())
                        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
                    if n == 0 {
                        DNAN
                    } else {
                        sum / n as f64
                    }
                };
                st.push(value);
            }
            // variable arity
            // rrdtool treats a negative count to REV as nothing to reverse and
            // to AVG as nothing to average (unknown); other operators crash
            Op::Rev if peek_negative(st) => {
                st.pop();
            }
            Op::Avg if peek_negative(st) => {
                st.pop();
                st.push(DNAN);
            }
            Op::Sort | Op::Rev => {
                let (n, _) = count_arg(st, op, span)?;
                need(st, n, span)?;
                let len = st.len();
                if op == Op::Sort {
                    sort_top(st, n);
                } else {
                    st[len - n..].reverse();
                }
            }
            Op::Median => {
                let (n, _) = count_arg(st, op, span)?;
                need(st, n, span)?;
                let r = median_top(st, n);
                st.truncate(st.len() - n);
                st.push(r);
            }
            Op::Avg | Op::SMin | Op::SMax | Op::Stdev => {
                let (n, _) = count_arg(st, op, span)?;
                need(st, n, span)?;
                let len = st.len();
                let w = &mut st[len - n..];
                let r = reduce(op, w);
                st.truncate(len - n);
                st.push(r);
            }
            Op::Percent => {
                let (n, _) = count_arg(st, op, span)?;
                need(st, n + 1, span)?;
                let p = pop(st, span)?;
                let len = st.len();
                if !p.is_nan() && !(0.0..=100.0).contains(&p) {
                    return Err(Error::PercentileOutOfRange { span });
                }
                let rank = (p * n as f64 / 100.0).round();
                // rank 0 (or an unknown p) makes rrdtool read outside the window
                if rank.is_nan() || rank < 1.0 {
                    return Err(Error::InvalidArgument {
                        op: op.name(),
                        value: p,
                        span,
                    });
                }
                sort_top(st, n);
                let r = st[len - n + (rank as usize - 1).min(n - 1)];
                st.truncate(len - n);
                st.push(r);
            }
            Op::Copy => {
                let (n, _) = count_arg(st, op, span)?;
                need(st, n, span)?;
                if st.len() + n > MAX_STACK_DEPTH {
                    return Err(Error::StackOverflow { span });
                }
                let from = st.len() - n;
                st.extend_from_within(from..);
            }
            Op::Index => {
                let (n, v) = count_arg(st, op, span)?;
                need(st, n, span)?;
                // 0,INDEX pushes the count itself back, as rrdtool does
                let x = if n == 0 { v } else { st[st.len() - n] };
                st.push(x);
            }
            Op::Roll => {
                need(st, 2, span)?;
                let m = pop(st, span)?;
                let (n, _) = count_arg(st, op, span)?;
                need(st, n, span)?;
                if m.is_nan() {
                    return Err(Error::InvalidArgument {
                        op: op.name(),
                        value: m,
                        span,
                    });
                }
                if n > 0 {
                    // documented semantics (1.7.2's code reads the wrong offset)
                    let by = (m as i64).rem_euclid(n as i64) as usize;
                    let len = st.len();
                    st[len - n..].rotate_right(by);
                }
            }
            Op::Predict | Op::PredictSigma | Op::PredictPerc => {
                let var = match k.checked_sub(1).and_then(|j| program.tokens.get(j)) {
                    Some(Token::Var(v)) => {
                        let input = &inputs[v.0];
                        Some((v.0, input.values, at.after(v.0, input), input.step))
                    }
                    _ => None,
                };
                let r = predict(op, st, var, i, !at.aligned, span)?;
                st.push(r);
            }
            Op::Number | Op::Variable | Op::PrevOther | Op::End => {
                return Err(Error::Unsupported {
                    op: op.name(),
                    span,
                })
            }
        }
        if st.len() > MAX_STACK_DEPTH {
            return Err(Error::StackOverflow { span });
        }
    }
    if st.len() != 1 {
        return Err(Error::FinalStackSize {
            depth: st.len(),
            span: Span::new(0, program.expr_len),
        });
    }
    Ok(st[0])
}

/// `(int)ceil((float)x / (float)step)`, rrdtool's conversion of seconds to
/// steps in PREDICT.
fn c_steps(x: i32, step: i64) -> i64 {
    ((x as f32) / (step as f32)).ceil() as i64
}

/// Most shifts one PREDICT may ask for; rrdtool has no limit, but
/// `0,-2e9,..` would loop two billion times per point.
const MAX_PREDICT_SHIFTS: i32 = 1 << 16;

/// PREDICT, PREDICTSIGMA and PREDICTPERC at point `i`, as rrdtool 1.7.2
/// computes them. Pops the arguments and returns the result.
///
/// Observed 1.7.2 behaviour, reproduced: a shift of `sh` steps and a window
/// of `w` steps take offsets `o = sh ..= sh + w` with `0 <= o < i`, and
/// offset `o` reads the value at index `i + 1 - o` (one step *after* what
/// the documentation says). At the last point that reads past the series,
/// which is undefined in rrdtool (it reads an uninitialised row); such
/// values are skipped by [`eval_series`] and an error with
/// [`eval_inputs`] (`strict`). When the
/// token before the operator is not a variable rrdtool yields unknown.
fn predict(
    op: Op,
    st: &mut Vec<f64>,
    var: Option<(usize, &[f64], usize, i64)>,
    i: usize,
    strict: bool,
    span: Span,
) -> Result<f64> {
    let perc = op == Op::PredictPerc;
    need(st, if perc { 4 } else { 3 }, span)?;
    pop(st, span)?; // the variable's current value
    let pct = if perc { pop(st, span)? } else { 0.0 };
    let win = rrd_clib::cast::int(pop(st, span)?);
    let n = rrd_clib::cast::int(pop(st, span)?);
    if n == i32::MIN {
        return Err(Error::NegativeShift { value: n, span });
    }
    if n.abs() > MAX_PREDICT_SHIFTS {
        return Err(Error::InvalidArgument {
            op: op.name(),
            value: f64::from(n),
            span,
        });
    }
    let shift_items = if n < 0 { 1 } else { n as usize };
    need(st, shift_items, span)?;
    let first = st.len() - shift_items;
    if perc {
        if pct.is_nan() {
            return Err(Error::InvalidArgument {
                op: op.name(),
                value: pct,
                span,
            });
        }
        if !(-100.0..=100.0).contains(&pct) {
            return Err(Error::UnsupportedPercentile { value: pct, span });
        }
    }
    // Samples are collected on the stack above the shifts, so evaluation
    // does not allocate per point.
    let base = st.len();
    // the variable's index, rows, row after its pointer, and step
    let step = var.map_or(1, |(_, _, _, step)| step);
    let locstep = c_steps(win, step);
    let (mut sum, mut sum2, mut count) = (0.0, 0.0, 0usize);
    for k in 0..n.unsigned_abs() as usize {
        let shift = if n < 0 {
            rrd_clib::cast::int(k as f64 * st[first])
        } else {
            rrd_clib::cast::int(st[first + k])
        };
        if shift < 0 {
            return Err(Error::NegativeShift { value: shift, span });
        }
        let Some((index, series, after, _)) = var else {
            continue;
        };
        let sh = c_steps(shift, step);
        let mut j = 0;
        while j <= locstep {
            let o = sh + j;
            if o >= i as i64 {
                break;
            }
            if o >= 0 {
                let row = usize::try_from(after as i64 - o)
                    .map_err(|_| Error::OutsideInput { index, span })?;
                if strict && row >= series.len() {
                    return Err(Error::OutsideInput { index, span });
                }
                if let Some(&v) = series.get(row) {
                    if !v.is_nan() {
                        sum += v;
                        sum2 += v * v;
                        count += 1;
                        if perc {
                            if st.len() >= MAX_STACK_DEPTH {
                                return Err(Error::StackOverflow { span });
                            }
                            st.push(v);
                        }
                    }
                }
            }
            j += 1;
        }
    }
    let result = match op {
        Op::Predict if count > 0 => sum / count as f64,
        Op::PredictSigma if count > 1 => {
            let c = count as f64;
            let v = c * sum2 - sum * sum;
            if v < 0.0 {
                DNAN
            } else {
                (v / (c * (c - 1.0))).sqrt()
            }
        }
        Op::PredictPerc if count > 0 => {
            sort_top(st, st.len() - base);
            let samples = &st[base..];
            let last = (count - 1) as f64;
            if pct >= 0.0 {
                let pos = pct / 100.0 * last;
                let idx = (pos.floor() as usize).min(count - 1);
                let mut v = samples[idx];
                if idx + 1 < count {
                    v += (samples[idx + 1] - samples[idx]) * (pos - idx as f64);
                }
                v
            } else {
                samples[((-pct / 100.0 * last).round() as usize).min(count - 1)]
            }
        }
        _ => DNAN,
    };
    st.truncate(first);
    Ok(result)
}

/// AVG, SMIN, SMAX, MEDIAN, STDEV over a window, ignoring unknowns.
/// May reorder the window.
fn reduce(op: Op, w: &mut [f64]) -> f64 {
    match op {
        // summed from the top of the stack down, as rrdtool does
        Op::Avg => {
            let (s, n) = w
                .iter()
                .rev()
                .filter(|x| !x.is_nan())
                .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
            if n == 0 {
                DNAN
            } else {
                s / n as f64
            }
        }
        // from the top of the stack down; with no known value, the deepest
        // unknown is the result (its bits, as in rrdtool)
        Op::SMin => w
            .iter()
            .rev()
            .fold(DNAN, |m, &x| if m.is_nan() || x < m { x } else { m }),
        Op::SMax => w
            .iter()
            .rev()
            .fold(DNAN, |m, &x| if m.is_nan() || x > m { x } else { m }),
        // Welford's running mean from the top of the stack down, as rrdtool
        _ => {
            let (mut n, mut mean, mut m2) = (0usize, 0.0f64, 0.0f64);
            for &x in w.iter().rev().filter(|x| !x.is_nan()) {
                n += 1;
                let delta = x - mean;
                mean += delta / n as f64;
                m2 += delta * (x - mean);
            }
            if n < 2 {
                DNAN
            } else {
                (m2 / (n - 1) as f64).sqrt()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, VarId};

    /// The calendar operators past year 9999, where rrdtool (glibc) still
    /// has local times: `NEWDAY`/`NEWYEAR` at 10000-01-01 and `LTIME` in
    /// Zurich (+3600), as at any other time; they were unknown with jiff's
    /// range.
    #[test]
    fn calendar_operators_beyond_year_9999() {
        let zurich = TimeZone::get("Europe/Zurich").unwrap();
        let ctx = EvalContext {
            step: 300,
            now: 0,
            tz: &zurich,
            first_weekday: Weekday::Sunday,
        };
        // 10000-01-01 00:00 UTC is 01:00 local: the local day and year
        // turned at 9999-12-31 23:00 UTC
        let times = [253_402_297_200, 253_402_297_500, 253_402_300_800];
        let run = |e: &str| {
            let p = parse(e, |_| None).unwrap();
            let mut out = [0.0; 3];
            eval_series(&p, &ctx, &[], &times, &mut out, &mut Vec::new()).unwrap();
            out
        };
        assert_eq!(run("NEWDAY"), [1.0, 0.0, 0.0]);
        assert_eq!(run("NEWYEAR"), [1.0, 0.0, 0.0]);
        assert_eq!(
            run("LTIME"),
            [253_402_300_800.0, 253_402_301_100.0, 253_402_304_400.0]
        );
    }

    /// A tiny deterministic generator (splitmix64).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
            &v[(self.next() % v.len() as u64) as usize]
        }
    }

    fn expr(r: &mut Rng, depth: u32) -> String {
        let leaves = [
            "a",
            "b",
            "PREV(a)",
            "PREV(b)",
            "2",
            "-1.5",
            "0",
            "UNKN",
            "INF",
            "NEGINF",
            "TIME",
            "COUNT",
            "STEPWIDTH",
            "NOW",
        ];
        if depth == 0 || r.next() % 4 == 0 {
            return r.pick(&leaves).to_string();
        }
        let sub = |r: &mut Rng| expr(r, depth - 1);
        match r.next() % 6 {
            0 | 1 => {
                let (x, y) = (sub(r), sub(r));
                let ops = [
                    "+", "-", "*", "/", "%", "POW", "ADDNAN", "ATAN2", "LT", "LE", "GT", "GE",
                    "EQ", "NE", "MIN", "MAX", "MINNAN", "MAXNAN",
                ];
                format!("{x},{y},{}", r.pick(&ops))
            }
            2 => {
                let x = sub(r);
                let ops = [
                    "SIN", "COS", "LOG", "EXP", "SQRT", "ATAN", "FLOOR", "CEIL", "ABS", "UN",
                    "ISINF", "RAD2DEG", "DEG2RAD",
                ];
                format!("{x},{}", r.pick(&ops))
            }
            3 => {
                let (x, y, z) = (sub(r), sub(r), sub(r));
                format!("{x},{y},{z},{}", r.pick(&["IF", "LIMIT"]))
            }
            4 => {
                let (x, y) = (sub(r), sub(r));
                format!("{x},{y},EXC,-")
            }
            _ => {
                let (x, y) = (sub(r), sub(r));
                format!("{x},DUP,*,{y},POP")
            }
        }
    }

    #[test]
    fn blocks_give_the_bits_of_point_by_point_evaluation() {
        let mut r = Rng(7);
        let n = 1000; // several blocks and a partial one
        let specials = [
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
        ];
        let series = |r: &mut Rng| -> Vec<f64> {
            (0..n + 10)
                .map(|_| match r.next() % 8 {
                    0 => *r.pick(&specials),
                    _ => (r.next() % 2000) as f64 / 7.0 - 140.0,
                })
                .collect()
        };
        let a = series(&mut r);
        let b = series(&mut r);
        let tz = TimeZone::UTC;
        let mut ctx = EvalContext::new(60, &tz);
        ctx.now = 1_000_000_000;
        let mut compared = 0;
        for case in 0..400 {
            // (a number cannot end an expression, as in rrdtool)
            let text = format!("{},a,POP", expr(&mut r, 4));
            let program = parse(&text, |name| match name {
                "a" => Some(VarId(0)),
                "b" => Some(VarId(1)),
                _ => None,
            })
            .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(blockable(&program), "{text}");
            // aligned inputs, and inputs at their own steps (b coarser)
            let walk = case % 2 == 1;
            let inputs = [
                Input {
                    values: &a,
                    first: 3,
                    step: 60,
                },
                Input {
                    values: &b,
                    first: 1,
                    step: if walk { 180 } else { 60 },
                },
            ];
            let times: Vec<i64> = (1..=n as i64).map(|k| 1_000_000_000 + 60 * k).collect();
            let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
            let (mut s1, mut s2) = (Vec::new(), Vec::new());
            let r1 = run(
                &program, &ctx, &inputs, !walk, &times, &mut x, &mut s1, true,
            );
            let r2 = run(
                &program, &ctx, &inputs, !walk, &times, &mut y, &mut s2, false,
            );
            assert_eq!(r1, r2, "{text}");
            for k in 0..n {
                assert_eq!(x[k].to_bits(), y[k].to_bits(), "{text} at {k}");
            }
            compared += 1;
        }
        assert_eq!(compared, 400);
    }
}
