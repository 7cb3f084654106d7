//! The crate's error type and caret rendering.

use std::fmt;

/// A byte range `start..end` in the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte of the offending token.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Everything that can go wrong parsing or evaluating an RPN expression.
///
/// Messages are rrdtool 1.7.2's where rrdtool has one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The expression is the empty string.
    #[error("can not parse an empty rpn expression")]
    Empty,
    /// A token that is neither a number, an operator nor a known variable;
    /// `rest` is the expression from that token on, as rrdtool prints it.
    #[error("don't understand '{rest}'")]
    NotUnderstood {
        /// The expression text from the offending token to the end.
        rest: String,
        /// The offending token.
        span: Span,
    },
    /// `PREV(name)` where `name` does not resolve.
    #[error("variable '{name}' not found")]
    UnknownVariable {
        /// The name inside `PREV(..)`.
        name: String,
        /// The whole `PREV(..)` token.
        span: Span,
    },
    /// A malformed `PREV(..)` token.
    #[error("garbage in RPN: '{rest}'")]
    Garbage {
        /// The expression text from the offending token to the end.
        rest: String,
        /// The offending token.
        span: Span,
    },
    /// An operator found fewer values on the stack than it needs.
    #[error("RPN stack underflow")]
    StackUnderflow {
        /// The operator.
        span: Span,
    },
    /// The stack would grow beyond [`MAX_STACK_DEPTH`](crate::MAX_STACK_DEPTH).
    #[error("RPN stack overflow")]
    StackOverflow {
        /// The operator that pushed too much.
        span: Span,
    },
    /// The expression leaves other than exactly one value.
    #[error("RPN final stack size != 1")]
    FinalStackSize {
        /// How many values were left.
        depth: usize,
        /// The whole expression.
        span: Span,
    },
    /// `TREND`/`TRENDNAN` whose token two before is not a variable.
    #[error("malformed trend arguments")]
    MalformedTrend {
        /// The `TREND` token.
        span: Span,
    },
    /// `PERCENT` with a percentile outside [0, 100].
    #[error("percentile argument must be between 0 and 100")]
    PercentileOutOfRange {
        /// The `PERCENT` token.
        span: Span,
    },
    /// A count or duration argument rrdtool cannot handle (negative, unknown,
    /// or a case where rrdtool reads outside the stack or crashes).
    #[error("invalid argument {value} for {op}")]
    InvalidArgument {
        /// The operator's keyword.
        op: &'static str,
        /// The offending argument.
        value: f64,
        /// The operator token.
        span: Span,
    },
    /// PREDICTPERC with a percentile outside [-100, 100].
    #[error("unsupported percentile: {value:.6}")]
    UnsupportedPercentile {
        /// The percentile given.
        value: f64,
        /// The operator token.
        span: Span,
    },
    /// A PREDICT shift that is negative (or unknown: rrdtool's `(int)` cast
    /// turns that into -2147483648).
    #[error("negative shift step not allowed: {value}")]
    NegativeShift {
        /// The shift in seconds after the `(int)` cast.
        value: i32,
        /// The operator token.
        span: Span,
    },
    /// An operator this crate does not implement yet.
    #[error("operator {op} is not supported yet")]
    Unsupported {
        /// The operator's keyword.
        op: &'static str,
        /// The operator token.
        span: Span,
    },
    /// A read before the first or after the last row of an input, where
    /// rrdtool reads whatever memory lies there.
    #[error("input {index} would be read outside its data (rrdtool reads unrelated memory there)")]
    OutsideInput {
        /// Which input (the [`VarId`](crate::VarId) index).
        index: usize,
        /// The token reading it.
        span: Span,
    },
    /// The evaluator was handed inputs that do not fit the program.
    #[error("input series {index}: {what}")]
    BadInput {
        /// Which input (the [`VarId`](crate::VarId) index).
        index: usize,
        /// What is wrong with it.
        what: &'static str,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The byte span of the offending token, when the error has one.
    pub fn span(&self) -> Option<Span> {
        match self {
            Error::Empty | Error::BadInput { .. } => None,
            Error::NotUnderstood { span, .. }
            | Error::UnknownVariable { span, .. }
            | Error::Garbage { span, .. }
            | Error::StackUnderflow { span }
            | Error::StackOverflow { span }
            | Error::FinalStackSize { span, .. }
            | Error::MalformedTrend { span }
            | Error::PercentileOutOfRange { span }
            | Error::UnsupportedPercentile { span, .. }
            | Error::NegativeShift { span, .. }
            | Error::InvalidArgument { span, .. }
            | Error::OutsideInput { span, .. }
            | Error::Unsupported { span, .. } => Some(*span),
        }
    }
}

/// Renders `error` for `expr` as three lines: the message, the expression,
/// and carets under the offending token (two lines when there is no span).
///
/// ```
/// let err = rrd_rpn::parse("a,POP,5", |n| (n == "a").then_some(rrd_rpn::VarId(0))).unwrap_err();
/// assert_eq!(rrd_rpn::render_error("a,POP,5", &err), "don't understand '5'\na,POP,5\n      ^");
/// ```
pub fn render_error(expr: &str, error: &Error) -> String {
    let mut out = error.to_string();
    out.push('\n');
    out.push_str(expr);
    if let Some(span) = error.span() {
        let start = span.start.min(expr.len());
        let end = span.end.clamp(start, expr.len());
        // Columns count chars, not bytes; spans fall on char boundaries
        // because tokens are split at ASCII commas.
        let col = expr.get(..start).map_or(start, |s| s.chars().count());
        let width = expr.get(start..end).map_or(1, |s| s.chars().count()).max(1);
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', col));
        out.extend(std::iter::repeat_n('^', width));
    }
    out
}
