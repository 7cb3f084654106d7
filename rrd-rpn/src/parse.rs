//! The lexer/parser (`rpn_parse` in rrdtool) and the static stack check.

use crate::error::{Error, Result, Span};
use crate::op::Op;

/// The evaluator's stack never grows beyond this many values; rrdtool grows
/// without bound, but `DEPTH,COPY` repeated would double it per token.
pub const MAX_STACK_DEPTH: usize = 1 << 20;

/// Longest variable name rrdtool accepts (`DEF_NAM_FMT` is `%255[-_A-Za-z0-9]`).
pub const MAX_VNAME_LEN: usize = 255;

/// An input series, as chosen by the caller's resolver: an index into the
/// `inputs` slice handed to [`eval_series`](crate::eval_series).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub usize);

/// One parsed token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Token {
    /// A numeric literal.
    Number(f64),
    /// The current value of a variable.
    Var(VarId),
    /// `PREV(name)`: the previous value of a variable.
    PrevVar(VarId),
    /// Any operator with a keyword (never `Number`, `Variable`, `PrevOther`
    /// or `End`).
    Op(Op),
}

impl Token {
    /// rrdtool's op code for this token.
    pub fn op(&self) -> Op {
        match self {
            Token::Number(_) => Op::Number,
            Token::Var(_) => Op::Variable,
            Token::PrevVar(_) => Op::PrevOther,
            Token::Op(op) => *op,
        }
    }
}

/// A parsed expression, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub(crate) tokens: Vec<Token>,
    pub(crate) spans: Vec<Span>,
    pub(crate) expr_len: usize,
    /// Maximum stack depth when it is known statically.
    pub(crate) max_depth: Option<usize>,
}

impl Program {
    /// A program from tokens that did not come from text (a COMPUTE data
    /// source's stored op codes, say). Span `k..k+1` stands for token `k`.
    /// Runs the same checks as [`parse`].
    pub fn from_tokens(tokens: Vec<Token>) -> Result<Program> {
        if tokens.is_empty() {
            return Err(Error::Empty);
        }
        let spans: Vec<Span> = (0..tokens.len()).map(|k| Span::new(k, k + 1)).collect();
        for (k, tok) in tokens.iter().enumerate() {
            if let Token::Op(op @ (Op::Number | Op::Variable | Op::PrevOther | Op::End)) = tok {
                return Err(Error::Unsupported {
                    op: op.name(),
                    span: spans[k],
                });
            }
        }
        let mut program = Program {
            expr_len: tokens.len(),
            tokens,
            spans,
            max_depth: None,
        };
        program.max_depth = static_check(&program)?;
        Ok(program)
    }

    /// Replaces token `k` by `tok`, keeping spans, where both push exactly
    /// one value (a number, a variable or `PREV(variable)`): how rrdtool
    /// substitutes a VDEF's value for its name.
    ///
    /// # Panics
    ///
    /// When `k` is out of range or either token is an operator.
    pub fn replace_token(&mut self, k: usize, tok: Token) {
        let operand = |t: &Token| !matches!(t, Token::Op(_));
        assert!(
            operand(&self.tokens[k]) && operand(&tok),
            "replace_token: only operands can be replaced"
        );
        self.tokens[k] = tok;
    }

    /// The tokens in order.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The byte span of each token (same order as [`tokens`](Self::tokens)).
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// The deepest the stack gets, when that does not depend on data.
    pub fn max_depth(&self) -> Option<usize> {
        self.max_depth
    }

    /// Whether the expression references any variable (rrdtool's graph
    /// layer rejects expressions without one).
    pub fn has_variables(&self) -> bool {
        self.tokens
            .iter()
            .any(|t| matches!(t, Token::Var(_) | Token::PrevVar(_)))
    }

    /// The variables referenced, in order of appearance, with repeats.
    pub fn variables(&self) -> impl Iterator<Item = VarId> + '_ {
        self.tokens.iter().filter_map(|t| match t {
            Token::Var(v) | Token::PrevVar(v) => Some(*v),
            _ => None,
        })
    }
}

fn is_vname_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_number_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-')
}

/// Parses an RPN expression the way rrdtool 1.7.2's `rpn_parse` does.
///
/// Tokens are separated by `,`. A number is up to 40 characters of
/// `[0-9.e+-]` that parse completely and are followed by `,` (so an
/// expression cannot end with a literal); operators match by exact name;
/// `PREV(name)`; anything else must be a name `[_A-Za-z0-9-]{1,255}` that
/// `resolve` knows. A trailing `,` is accepted, as in rrdtool.
///
/// Also checks the stack statically where it can: an expression that would
/// underflow, or end with other than one value, for every data point is
/// rejected here with the error rrdtool gives at evaluation.
pub fn parse(expr: &str, resolve: impl Fn(&str) -> Option<VarId>) -> Result<Program> {
    if expr.is_empty() {
        return Err(Error::Empty);
    }
    let bytes = expr.as_bytes();
    let mut tokens = Vec::new();
    let mut spans = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let start = pos;
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b',')
            .map_or(bytes.len(), |i| start + i);
        let word = &expr[start..end];
        let span = Span::new(start, end);
        let not_understood = || Error::NotUnderstood {
            rest: expr[start..].to_string(),
            span,
        };
        let num_len = bytes[start..]
            .iter()
            .take_while(|&&b| is_number_byte(b))
            .count()
            .min(40);
        let token = if num_len > 0
            && bytes.get(start + num_len) == Some(&b',')
            && word.parse::<f64>().is_ok()
        {
            Token::Number(word.parse::<f64>().unwrap_or(f64::NAN))
        } else if let Some(op) = Op::from_keyword(word) {
            Token::Op(op)
        } else if let Some(inner) = prev_param(word) {
            match inner {
                Some(name) => match resolve(name) {
                    Some(v) => Token::PrevVar(v),
                    None => {
                        return Err(Error::UnknownVariable {
                            name: name.to_string(),
                            span,
                        })
                    }
                },
                None => {
                    return Err(Error::Garbage {
                        rest: expr[start..].to_string(),
                        span,
                    })
                }
            }
        } else if !word.is_empty() && word.len() <= MAX_VNAME_LEN && word.bytes().all(is_vname_byte)
        {
            match resolve(word) {
                Some(v) => Token::Var(v),
                None => return Err(not_understood()),
            }
        } else {
            return Err(not_understood());
        };
        tokens.push(token);
        spans.push(span);
        // Skip the separator; a trailing comma simply ends the loop.
        pos = end + 1;
    }
    let mut program = Program {
        tokens,
        spans,
        expr_len: expr.len(),
        max_depth: None,
    };
    program.max_depth = static_check(&program)?;
    Ok(program)
}

/// rrdtool's TREND/TRENDNAN need a variable two tokens before (checked
/// after the stack depth, as rrdtool does).
pub(crate) fn trend_ok(tokens: &[Token], i: usize) -> bool {
    i >= 2 && matches!(tokens[i - 2], Token::Var(_))
}

/// `Some(Some(name))` for `PREV(name)`, `Some(None)` for a token that starts
/// like one (`PREV(` and a name) but is malformed, `None` otherwise.
fn prev_param(word: &str) -> Option<Option<&str>> {
    let rest = word.strip_prefix("PREV(")?;
    let name_len = rest.bytes().take_while(|&b| is_vname_byte(b)).count();
    if name_len == 0 {
        return None;
    }
    let name_len = name_len.min(MAX_VNAME_LEN);
    // rrdtool 1.7.2 accepts `PREV(a` by reading past the string's end;
    // we call it garbage instead.
    Some((&rest[name_len..] == ")").then(|| &rest[..name_len]))
}

/// How a stack value works as a count, after C's `(int)` cast.
pub(crate) enum Count {
    /// A usable count.
    Ok(usize),
    /// Unknown or beyond `int`: the cast gives `INT_MIN`, and rrdtool's
    /// underflow check `stptr < INT_MIN - 1` (wrapping to `INT_MAX`) fires.
    Underflow,
    /// Negative: undefined behaviour or a crash in rrdtool.
    Negative,
}

pub(crate) fn to_count(v: f64) -> Count {
    if v.is_nan() || v >= 2_147_483_648.0 || v <= -2_147_483_649.0 {
        Count::Underflow
    } else if v.trunc() < 0.0 {
        Count::Negative
    } else {
        Count::Ok(v.trunc() as usize)
    }
}

/// Simulates the stack with known constants. Returns the maximum depth if
/// the whole program could be followed, `None` once a count is data-dependent.
fn static_check(p: &Program) -> Result<Option<usize>> {
    // Each slot: Some(value) when it is a known constant.
    let mut st: Vec<Option<f64>> = Vec::new();
    let mut max = 0usize;
    for (i, (tok, &span)) in p.tokens.iter().zip(&p.spans).enumerate() {
        let underflow = Error::StackUnderflow { span };
        let need = |st: &Vec<Option<f64>>, n: usize| {
            if st.len() < n {
                Err(underflow.clone())
            } else {
                Ok(())
            }
        };
        // Pops the count on top; Ok(None) if it is not a known constant.
        let pop_count = |st: &mut Vec<Option<f64>>, op: Op| -> Result<Option<(usize, f64)>> {
            need(st, 1)?;
            match st.pop().flatten() {
                None => Ok(None),
                Some(v) => match to_count(v) {
                    Count::Ok(n) => Ok(Some((n, v))),
                    Count::Underflow => Err(Error::StackUnderflow { span }),
                    Count::Negative => Err(Error::InvalidArgument {
                        op: op.name(),
                        value: v,
                        span,
                    }),
                },
            }
        };
        match tok {
            Token::Number(v) => st.push(Some(*v)),
            Token::Var(_) | Token::PrevVar(_) => st.push(None),
            Token::Op(op) => match op.static_arity() {
                Some((pop, push)) => {
                    need(&st, pop)?;
                    if matches!(op, Op::Trend | Op::TrendNan) && !trend_ok(&p.tokens, i) {
                        return Err(Error::MalformedTrend { span });
                    }
                    match op {
                        Op::Dup => {
                            let top = st[st.len() - 1];
                            st.push(top);
                        }
                        Op::Exc => {
                            let n = st.len();
                            st.swap(n - 1, n - 2);
                        }
                        Op::Depth => st.push(Some(st.len() as f64)),
                        _ => {
                            st.truncate(st.len() - pop);
                            st.extend(std::iter::repeat_n(None, push));
                        }
                    }
                }
                None => match op {
                    Op::Rev | Op::Avg
                        if st
                            .last()
                            .copied()
                            .flatten()
                            .is_some_and(|v| matches!(to_count(v), Count::Negative)) =>
                    {
                        st.pop();
                        if *op == Op::Avg {
                            st.push(None);
                        }
                    }
                    Op::Sort | Op::Rev | Op::Avg | Op::SMin | Op::SMax | Op::Median | Op::Stdev => {
                        let Some((n, _)) = pop_count(&mut st, *op)? else {
                            return Ok(None);
                        };
                        need(&st, n)?;
                        if !matches!(op, Op::Sort | Op::Rev) {
                            st.truncate(st.len() - n);
                            st.push(None);
                        } else {
                            let len = st.len();
                            st[len - n..].iter_mut().for_each(|s| *s = None);
                        }
                    }
                    Op::Percent => {
                        let Some((n, _)) = pop_count(&mut st, *op)? else {
                            return Ok(None);
                        };
                        need(&st, n + 1)?;
                        st.truncate(st.len() - n - 1);
                        st.push(None);
                    }
                    Op::Copy => {
                        let Some((n, _)) = pop_count(&mut st, *op)? else {
                            return Ok(None);
                        };
                        need(&st, n)?;
                        if st.len() + n > MAX_STACK_DEPTH {
                            return Err(Error::StackOverflow { span });
                        }
                        let from = st.len() - n;
                        st.extend_from_within(from..);
                    }
                    Op::Index => {
                        let Some((n, v)) = pop_count(&mut st, *op)? else {
                            return Ok(None);
                        };
                        need(&st, n)?;
                        let picked = if n == 0 { Some(v) } else { st[st.len() - n] };
                        st.push(picked);
                    }
                    Op::Roll => {
                        need(&st, 2)?;
                        st.pop();
                        let Some((n, _)) = pop_count(&mut st, *op)? else {
                            return Ok(None);
                        };
                        need(&st, n)?;
                        let len = st.len();
                        st[len - n..].iter_mut().for_each(|s| *s = None);
                    }
                    // PREDICT*: arity depends on a count; checked at evaluation
                    _ => return Ok(None),
                },
            },
        }
        max = max.max(st.len());
    }
    if st.len() != 1 {
        return Err(Error::FinalStackSize {
            depth: st.len(),
            span: Span::new(0, p.expr_len),
        });
    }
    Ok(Some(max))
}

impl Op {
    /// (values popped, values pushed) for operators whose arity does not
    /// depend on the stack's contents.
    pub(crate) fn static_arity(self) -> Option<(usize, usize)> {
        use Op::*;
        Some(match self {
            Inf | NegInf | Unkn | Now | Time | LTime | Prev | Count | StepWidth | NewDay
            | NewWeek | NewMonth | NewYear => (0, 1),
            Depth => (0, 1),
            Sin | Cos | Log | Exp | Sqrt | Atan | Floor | Ceil | Abs | Un | IsInf | Rad2Deg
            | Deg2Rad => (1, 1),
            Dup => (1, 2),
            Pop => (1, 0),
            Exc => (2, 2),
            Add | Sub | Mul | Div | Mod | Pow | AddNan | Atan2 | Lt | Le | Gt | Ge | Eq | Ne
            | Min | Max | MinNan | MaxNan | Trend | TrendNan => (2, 1),
            If | Limit => (3, 1),
            _ => return None,
        })
    }
}
