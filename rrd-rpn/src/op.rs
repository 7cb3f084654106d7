//! Operator codes: rrdtool's `enum op_en` (rrd_rpncalc.h).
//!
//! The numbering is stored on disk by COMPUTE data sources, so it is
//! append-only and must never be reordered.

macro_rules! ops {
    ($($code:literal $variant:ident $kw:expr;)*) => {
        /// One rrdtool RPN operation, numbered exactly as rrdtool's `op_en`.
        ///
        /// `Number`, `Variable`, `PrevOther` and `End` have no keyword: they are
        /// produced by literals, variable names, `PREV(name)` and the end of a
        /// compact COMPUTE sequence respectively.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[allow(missing_docs)] // each variant is the operator of the same name in rrdtool
        pub enum Op {
            $($variant,)*
        }

        impl Op {
            /// Every operation, in code order.
            pub const ALL: &'static [Op] = &[$(Op::$variant,)*];

            /// rrdtool's numeric op code (`op_en`).
            pub fn code(self) -> u8 {
                match self { $(Op::$variant => $code,)* }
            }

            /// The operation with rrdtool's numeric op code, if any.
            pub fn from_code(code: u8) -> Option<Op> {
                match code { $($code => Some(Op::$variant),)* _ => None }
            }

            /// The keyword that spells this operator in an expression
            /// (`None` for `Number`, `Variable`, `PrevOther`, `End`).
            pub fn keyword(self) -> Option<&'static str> {
                match self { $(Op::$variant => $kw,)* }
            }

            /// The operator spelled exactly `word`.
            pub fn from_keyword(word: &str) -> Option<Op> {
                match word {
                    $(w if Some(w) == $kw => Some(Op::$variant),)*
                    _ => None,
                }
            }

            /// A name for messages: the keyword, or an upper-case name.
            pub fn name(self) -> &'static str {
                match self {
                    Op::Number => "NUMBER",
                    Op::Variable => "VARIABLE",
                    Op::PrevOther => "PREV(name)",
                    Op::End => "END",
                    op => op.keyword().unwrap_or("?"),
                }
            }
        }
    };
}

ops! {
    0 Number None;
    1 Variable None;
    2 Inf Some("INF");
    3 Prev Some("PREV");
    4 NegInf Some("NEGINF");
    5 Unkn Some("UNKN");
    6 Now Some("NOW");
    7 Time Some("TIME");
    8 Add Some("+");
    9 Mod Some("%");
    10 Sub Some("-");
    11 Mul Some("*");
    12 Div Some("/");
    13 Sin Some("SIN");
    14 Dup Some("DUP");
    15 Exc Some("EXC");
    16 Pop Some("POP");
    17 Cos Some("COS");
    18 Log Some("LOG");
    19 Exp Some("EXP");
    20 Lt Some("LT");
    21 Le Some("LE");
    22 Gt Some("GT");
    23 Ge Some("GE");
    24 Eq Some("EQ");
    25 If Some("IF");
    26 Min Some("MIN");
    27 Max Some("MAX");
    28 Limit Some("LIMIT");
    29 Floor Some("FLOOR");
    30 Ceil Some("CEIL");
    31 Un Some("UN");
    32 End None;
    33 LTime Some("LTIME");
    34 Ne Some("NE");
    35 IsInf Some("ISINF");
    36 PrevOther None;
    37 Count Some("COUNT");
    38 Atan Some("ATAN");
    39 Sqrt Some("SQRT");
    40 Sort Some("SORT");
    41 Rev Some("REV");
    42 Trend Some("TREND");
    43 TrendNan Some("TRENDNAN");
    44 Atan2 Some("ATAN2");
    45 Rad2Deg Some("RAD2DEG");
    46 Deg2Rad Some("DEG2RAD");
    47 Predict Some("PREDICT");
    48 PredictSigma Some("PREDICTSIGMA");
    49 Avg Some("AVG");
    50 Abs Some("ABS");
    51 AddNan Some("ADDNAN");
    52 MinNan Some("MINNAN");
    53 MaxNan Some("MAXNAN");
    54 Median Some("MEDIAN");
    55 PredictPerc Some("PREDICTPERC");
    56 Depth Some("DEPTH");
    57 Copy Some("COPY");
    58 Roll Some("ROLL");
    59 Index Some("INDEX");
    60 StepWidth Some("STEPWIDTH");
    61 NewDay Some("NEWDAY");
    62 NewWeek Some("NEWWEEK");
    63 NewMonth Some("NEWMONTH");
    64 NewYear Some("NEWYEAR");
    65 SMin Some("SMIN");
    66 SMax Some("SMAX");
    67 Stdev Some("STDEV");
    68 Percent Some("PERCENT");
    69 Pow Some("POW");
}

impl Op {
    /// Whether rrdtool rejects this operator in a COMPUTE data source
    /// (it needs time or history, which update-time evaluation lacks).
    pub fn needs_history_or_time(self) -> bool {
        matches!(
            self,
            Op::Time
                | Op::LTime
                | Op::StepWidth
                | Op::Prev
                | Op::NewDay
                | Op::NewWeek
                | Op::NewMonth
                | Op::NewYear
                | Op::Count
                | Op::Trend
                | Op::TrendNan
                | Op::Predict
                | Op::PredictSigma
                | Op::PredictPerc
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Op;

    #[test]
    fn codes_round_trip_and_are_dense() {
        assert_eq!(Op::ALL.len(), 70);
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(usize::from(op.code()), i);
            assert_eq!(Op::from_code(op.code()), Some(*op));
            if let Some(kw) = op.keyword() {
                assert_eq!(Op::from_keyword(kw), Some(*op));
            }
        }
        assert_eq!(Op::from_code(70), None);
        assert_eq!(Op::from_keyword("prev"), None);
    }

    #[test]
    fn codes_match_the_reference_table() {
        assert_eq!(Op::Add.code(), 8);
        assert_eq!(Op::End.code(), 32);
        assert_eq!(Op::PrevOther.code(), 36);
        assert_eq!(Op::Un.code(), 31);
        assert_eq!(Op::If.code(), 25);
        assert_eq!(Op::Pow.code(), 69);
    }
}
