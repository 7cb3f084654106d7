//! The evaluator (`rpn_calc` in rrdtool), one whole series at a time.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::Timestamp;

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
            now: Timestamp::now().as_second(),
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
/// `step`; callers must hand inputs already at the evaluation step.
pub fn eval_series(
    program: &Program,
    ctx: &EvalContext<'_>,
    inputs: &[&[f64]],
    times: &[i64],
    out: &mut [f64],
    stack: &mut Vec<f64>,
) -> Result<()> {
    if out.len() != times.len() {
        return Err(Error::BadInput {
            index: usize::MAX,
            what: "output length differs from times length",
        });
    }
    for v in program.variables() {
        match inputs.get(v.0) {
            None => {
                return Err(Error::BadInput {
                    index: v.0,
                    what: "missing",
                })
            }
            Some(s) if s.len() < times.len() => {
                return Err(Error::BadInput {
                    index: v.0,
                    what: "shorter than times",
                })
            }
            Some(_) => {}
        }
    }
    if ctx.step <= 0 {
        return Err(Error::BadInput {
            index: usize::MAX,
            what: "step must be positive",
        });
    }
    if let Some(d) = program.max_depth {
        stack.reserve(d);
    }
    for i in 0..times.len() {
        let value = eval_point(program, ctx, inputs, times, out, i, stack)?;
        out[i] = value;
    }
    Ok(())
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
    csort::glibc_qsort(&mut data[from..from + n], tmp, csort::rpn_compare);
    st.truncate(len);
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

fn local(ctx: &EvalContext<'_>, t: i64) -> Option<jiff::civil::DateTime> {
    let ts = Timestamp::from_second(t).ok()?;
    Some(ctx.tz.to_datetime(ts))
}

/// rrdtool's `tzoffset`: the difference of the broken-down local and UTC
/// times of day, corrected by a day when the day of year or year differs.
/// Reproduced with its quirk: west of UTC at New Year the day of year goes
/// from 0 (UTC) to 364/365 (local), so the correction has the wrong sign
/// (New York at 2018-01-01T00:00Z gives +154800, not -18000).
fn tz_offset(ctx: &EvalContext<'_>, t: i64) -> Option<i64> {
    let ts = Timestamp::from_second(t).ok()?;
    let gm = TimeZone::UTC.to_datetime(ts);
    let lt = ctx.tz.to_datetime(ts);
    let mut off = i64::from(lt.second() - gm.second())
        + i64::from(lt.minute() - gm.minute()) * 60
        + i64::from(lt.hour() - gm.hour()) * 3600;
    if lt.day_of_year() > gm.day_of_year() || lt.year() > gm.year() {
        off += 86400;
    } else if lt.day_of_year() < gm.day_of_year() || lt.year() < gm.year() {
        off -= 86400;
    }
    Some(off)
}

fn new_period(ctx: &EvalContext<'_>, op: Op, t: i64) -> f64 {
    let (Some(now), Some(before)) = (local(ctx, t), local(ctx, t.saturating_sub(ctx.step))) else {
        return DNAN;
    };
    let changed = match op {
        Op::NewDay => now.date() != before.date(),
        Op::NewWeek => now.weekday() != before.weekday() && now.weekday() == ctx.first_weekday,
        Op::NewMonth => (now.year(), now.month()) != (before.year(), before.month()),
        _ => now.year() != before.year(),
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
    inputs: &[&[f64]],
    times: &[i64],
    out: &[f64],
    i: usize,
    st: &mut Vec<f64>,
) -> Result<f64> {
    st.clear();
    let t = times[i];
    for (k, (tok, &span)) in program.tokens.iter().zip(&program.spans).enumerate() {
        let op = match *tok {
            Token::Number(v) => {
                st.push(v);
                continue;
            }
            Token::Var(v) => {
                st.push(inputs[v.0][i]);
                continue;
            }
            Token::PrevVar(v) => {
                st.push(if i == 0 { DNAN } else { inputs[v.0][i - 1] });
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
                let x = st[top];
                st[top] = match op {
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
                };
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
                let a = st[top];
                st[top] = match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
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
                };
            }
            Op::If => {
                let c = pop(st, span)?;
                let b = pop(st, span)?;
                let top = st.len() - 1;
                let a = st[top];
                st[top] = if a.is_nan() || a == 0.0 { c } else { b };
            }
            Op::Limit => {
                let hi = pop(st, span)?;
                let lo = pop(st, span)?;
                let top = st.len() - 1;
                let x = st[top];
                // an unknown operand passes on (x, then lo, then hi)
                if !x.is_nan() {
                    st[top] = if lo.is_nan() {
                        lo
                    } else if hi.is_nan() {
                        hi
                    } else if x < lo || x > hi {
                        DNAN
                    } else {
                        x
                    };
                }
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
                let want = if dur <= 0 {
                    1
                } else {
                    dur / ctx.step + i64::from(dur % ctx.step != 0)
                };
                let series = inputs[v.0];
                let value = if want > (i as i64) + 1 {
                    DNAN
                } else {
                    let window = &series[i + 1 - want as usize..=i];
                    let (sum, n) = window
                        .iter()
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
                    Some(Token::Var(v)) => Some(inputs[v.0]),
                    _ => None,
                };
                let r = predict(op, st, var, i, ctx.step, span)?;
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

/// C's `(int)` cast of a double as x86-64 does it: truncation, and
/// `INT_MIN` for unknown or out-of-range values.
fn c_int(v: f64) -> i32 {
    if v.is_nan() || v >= 2_147_483_648.0 || v <= -2_147_483_649.0 {
        i32::MIN
    } else {
        v as i32
    }
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
/// which is undefined in rrdtool; such values are skipped here. When the
/// token before the operator is not a variable rrdtool yields unknown.
fn predict(
    op: Op,
    st: &mut Vec<f64>,
    var: Option<&[f64]>,
    i: usize,
    step: i64,
    span: Span,
) -> Result<f64> {
    let perc = op == Op::PredictPerc;
    need(st, if perc { 4 } else { 3 }, span)?;
    pop(st, span)?; // the variable's current value
    let pct = if perc { pop(st, span)? } else { 0.0 };
    let win = c_int(pop(st, span)?);
    let n = c_int(pop(st, span)?);
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
    let locstep = c_steps(win, step);
    let (mut sum, mut sum2, mut count) = (0.0, 0.0, 0usize);
    for k in 0..n.unsigned_abs() as usize {
        let shift = if n < 0 {
            c_int(k as f64 * st[first])
        } else {
            c_int(st[first + k])
        };
        if shift < 0 {
            return Err(Error::NegativeShift { value: shift, span });
        }
        let Some(series) = var else { continue };
        let sh = c_steps(shift, step);
        let mut j = 0;
        while j <= locstep {
            let o = sh + j;
            if o >= i as i64 {
                break;
            }
            if o >= 0 {
                let row = i as i64 + 1 - o;
                if let Some(&v) = series.get(row as usize) {
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
