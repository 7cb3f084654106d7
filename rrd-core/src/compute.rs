//! COMPUTE data sources (`DS:name:COMPUTE:rpn`): the expression as rrdtool
//! 1.7.2 parses it for `create` and `restore` (`rpn_parse` then
//! `rpn_compact`), and its evaluation when an update closes a PDP
//! (`process_pdp_st` in rrd_update.c).
//!
//! On disk the expression is at most 19 nodes `{op u8, pad, val i16}` and an
//! END node, packed into the 80 bytes of the data source's `par[]`
//! (see [`crate::format`]). Numbers are stored as 16-bit integers, variables
//! as the index of an earlier data source.

use rrd_rpn::{Op, Program, Token, VarId};

use crate::error::{Error, Result};
use crate::model::{CdefNode, MAX_CDEF_NODES};
use rrd_clib::strtod::rrd_strtod;

/// Operators a COMPUTE data source may not use (TIME LTIME STEPWIDTH PREV
/// NEWDAY NEWWEEK NEWMONTH NEWYEAR COUNT TREND TRENDNAN PREDICT PREDICTSIGMA
/// PREDICTPERC).
const CDEF_REJECTED: [u8; 14] = [7, 33, 60, 3, 61, 62, 63, 64, 37, 42, 43, 47, 48, 55];
const OP_NUMBER: u8 = 0;
const OP_VARIABLE: u8 = 1;
const OP_PREV_OTHER: u8 = 36;

/// The operator whose name is exactly `tok`.
fn op_code(tok: &str) -> Option<u8> {
    (2..=u8::MAX).find(|&op| crate::info::op_name(op) == Some(tok))
}

/// rrdtool's variable-name scan (`%255[-_A-Za-z0-9]`): the length of the run.
fn vname_len(s: &str) -> usize {
    s.bytes()
        .take(255)
        .take_while(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        .count()
}

/// Parses a COMPUTE expression as rrdtool 1.7.2 does (`rpn_parse` with a
/// data-source lookup, then `rpn_compact`), resolving names with `lookup`
/// (`create` resolves against the data sources defined earlier, `restore`
/// against those read so far). The nodes come without their END.
///
/// Like rrdtool, this does not check the stack: `a,+` is accepted here and
/// fails when an update closes a PDP. Errors are rrdtool's texts.
pub fn parse_cdef(expr: &str, lookup: impl Fn(&str) -> Option<usize>) -> Result<Vec<CdefNode>> {
    let failed = || Error::Definition("failed to parse computed data source".into());
    let index = |name: &str| lookup(name).and_then(|i| i16::try_from(i).ok());
    let mut nodes: Vec<(u8, f64, i16)> = Vec::new();
    let mut p = 0;
    while p < expr.len() {
        let rest = &expr[p..];
        let num_len = rest
            .bytes()
            .take(40)
            .take_while(|c| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'+' | b'-'))
            .count();
        let number = (num_len > 0 && rest.as_bytes().get(num_len) == Some(&b','))
            .then(|| rrd_strtod(&rest[..num_len]))
            .filter(|&(_, used)| used == num_len);
        let tok_end = rest.find(',').unwrap_or(rest.len());
        let len = if let Some((v, _)) = number {
            nodes.push((OP_NUMBER, v, 0));
            num_len
        } else if let Some(op) = op_code(&rest[..tok_end]) {
            nodes.push((op, 0.0, 0));
            tok_end
        } else if let Some(arg) = rest.strip_prefix("PREV(") {
            // `PREV(name)`, where rrdtool never checks the closing parenthesis
            let n = vname_len(arg);
            let len = 5 + n + 1;
            if n == 0 || len > rest.len() || !matches!(rest.as_bytes().get(len), None | Some(b','))
            {
                return Err(failed());
            }
            nodes.push((OP_PREV_OTHER, 0.0, index(&arg[..n]).ok_or_else(failed)?));
            len
        } else {
            let n = vname_len(rest);
            let i = if n > 0 { index(&rest[..n]) } else { None };
            nodes.push((OP_VARIABLE, 0.0, i.ok_or_else(failed)?));
            n
        };
        p += len;
        match expr.as_bytes().get(p) {
            None => break,
            Some(b',') => p += 1,
            Some(_) => return Err(failed()),
        }
    }
    if nodes.is_empty() {
        return Err(failed());
    }
    if nodes.iter().any(|n| CDEF_REJECTED.contains(&n.0)) {
        return Err(Error::Definition(
            "operators TIME LTIME STEPWIDTH PREV NEW* COUNT TREND TRENDNAN PREDICT \
             PREDICTSIGMA PREDICTPERC are not supported with DS COMPUTE"
                .into(),
        ));
    }
    if nodes.len() + 1 > MAX_CDEF_NODES {
        return Err(Error::Definition(format!(
            "Maximum {} RPN nodes permitted. Got {} RPN nodes at present.",
            MAX_CDEF_NODES - 1,
            nodes.len()
        )));
    }
    nodes
        .into_iter()
        .map(|(op, v, i)| {
            if op != OP_NUMBER {
                return Ok(CdefNode { op, val: i });
            }
            let t = v.floor();
            if !(-32768.0..=32767.0).contains(&t) || t != v {
                return Err(Error::Definition(
                    "constants must be integers in the interval (-32768, 32767)".into(),
                ));
            }
            Ok(CdefNode { op, val: t as i16 })
        })
        .collect()
}

/// rrdtool's message when `PREV(name)` reaches the update-time calculator.
const PREV_OTHER_MESSAGE: &str = "VDEF made it into rpn_calc... aborting";

/// A stored COMPUTE expression, ready to evaluate at update time; or the
/// error rrdtool gives when an update closes a PDP, if it always fails.
#[derive(Debug, Clone)]
pub struct Compiled(std::result::Result<Program, String>);

impl Compiled {
    /// Compiles the stored nodes of data source `ds` of a file with
    /// `ds_count` data sources.
    pub fn new(rpn: &[CdefNode], ds_count: usize) -> Compiled {
        Compiled(compile(rpn, ds_count))
    }

    /// Evaluates the expression for data source `ds`, its variables read
    /// from `pdp_temp` (the rates of the PDP being closed; sources after
    /// `ds` read as unknown). Errors are rrdtool's texts.
    pub fn eval(
        &self,
        ds: usize,
        pdp_temp: &[f64],
        stack: &mut Vec<f64>,
    ) -> std::result::Result<f64, String> {
        let program = self.0.as_ref().map_err(Clone::clone)?;
        const UNKNOWN: [f64; 1] = [rrd_rpn::DNAN];
        let inputs: Vec<&[f64]> = (0..pdp_temp.len())
            .map(|j| {
                if j <= ds {
                    std::slice::from_ref(&pdp_temp[j])
                } else {
                    &UNKNOWN[..]
                }
            })
            .collect();
        let tz = jiff::tz::TimeZone::UTC;
        let ctx = rrd_rpn::EvalContext::new(1, &tz);
        let mut out = [rrd_rpn::DNAN];
        rrd_rpn::eval_series(program, &ctx, &inputs, &[0], &mut out, stack)
            .map_err(|e| e.to_string())?;
        Ok(out[0])
    }
}

fn compile(rpn: &[CdefNode], ds_count: usize) -> std::result::Result<Program, String> {
    let mut tokens = Vec::with_capacity(rpn.len());
    let mut first_prev = None;
    for (k, n) in rpn.iter().enumerate() {
        let var = || {
            usize::try_from(n.val)
                .ok()
                .filter(|&i| i < ds_count)
                .map(VarId)
                .ok_or_else(|| format!("COMPUTE expression refers to data source {}", n.val))
        };
        tokens.push(match n.op {
            OP_NUMBER => Token::Number(f64::from(n.val)),
            OP_VARIABLE => Token::Var(var()?),
            OP_PREV_OTHER => {
                first_prev.get_or_insert(k);
                Token::PrevVar(var()?)
            }
            code => match Op::from_code(code) {
                Some(op) if op != Op::End => Token::Op(op),
                _ => {
                    return Err(format!(
                        "COMPUTE expression has unknown operator code {code}"
                    ))
                }
            },
        });
    }
    let len = tokens.len();
    match Program::from_tokens(tokens) {
        Ok(p) => match first_prev {
            // rrdtool's calculator fails on PREV(name) when it reaches it
            Some(_) => Err(PREV_OTHER_MESSAGE.into()),
            None => Ok(p),
        },
        Err(e) => {
            // the first failure in token order is what rrdtool reports
            let at = match e {
                rrd_rpn::Error::FinalStackSize { .. } => len,
                ref e => e.span().map_or(0, |s| s.start),
            };
            match first_prev {
                Some(k) if k < at => Err(PREV_OTHER_MESSAGE.into()),
                _ => Err(e.to_string()),
            }
        }
    }
}

/// The COMPUTE expression `expr` of a new data source, names resolved
/// against `earlier` data sources (as `rrdtool create` does).
pub fn parse_for_create(expr: &str, earlier: &[&str]) -> Result<Vec<CdefNode>> {
    parse_cdef(expr, |n| earlier.iter().position(|&e| e == n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(expr: &str, names: &[&str]) -> Vec<(u8, i16)> {
        parse_for_create(expr, names)
            .unwrap()
            .iter()
            .map(|n| (n.op, n.val))
            .collect()
    }

    #[test]
    fn reference_example_nodes() {
        // §1.3: a,b,+,2,/,UN,1,IF
        assert_eq!(
            nodes("a,b,+,2,/,UN,1,IF", &["a", "b"]),
            vec![
                (1, 0),
                (1, 1),
                (8, 0),
                (0, 2),
                (12, 0),
                (31, 0),
                (0, 1),
                (25, 0)
            ]
        );
    }

    fn eval(expr: &str, names: &[&str], vals: &[f64]) -> std::result::Result<f64, String> {
        let rpn = parse_for_create(expr, names).map_err(|e| e.to_string())?;
        let c = Compiled::new(&rpn, vals.len() + 1);
        let mut v = vals.to_vec();
        v.push(f64::NAN);
        c.eval(vals.len(), &v, &mut Vec::new())
    }

    #[test]
    fn evaluation_and_update_time_errors() {
        assert_eq!(eval("a,b,+,2,/", &["a", "b"], &[1.0, 2.0]), Ok(1.5));
        assert!(eval("a,b,+", &["a", "b"], &[1.0, f64::NAN])
            .unwrap()
            .is_nan());
        assert_eq!(eval("a,b,ADDNAN", &["a", "b"], &[1.0, f64::NAN]), Ok(1.0));
        assert_eq!(
            eval("a,+", &["a"], &[1.0]),
            Err("RPN stack underflow".into())
        );
        assert_eq!(
            eval("a,a", &["a"], &[1.0]),
            Err("RPN final stack size != 1".into())
        );
        assert_eq!(
            eval("PREV(a),1,+", &["a"], &[1.0]),
            Err(PREV_OTHER_MESSAGE.into())
        );
        assert_eq!(
            eval("a,+,PREV(a)", &["a"], &[1.0]),
            Err("RPN stack underflow".into())
        );
    }
}
