//! Parse errors, their messages (all checked against rrdtool 1.7.2 via
//! xport) and their spans.

use rrd_rpn::{parse, render_error, Error, Op, Span, Token, VarId};

use super::resolve;

/// The error for `expr`, rendered with its caret line.
fn check_err(expr: &str, expected: &str) {
    let err = parse(expr, resolve).expect_err(expr);
    assert_eq!(render_error(expr, &err), expected, "expression {expr:?}");
}

#[test]
fn messages_and_carets() {
    check_err("", "can not parse an empty rpn expression\n");
    check_err("a,POP,5", "don't understand '5'\na,POP,5\n      ^");
    check_err("a,,b", "don't understand ',b'\na,,b\n  ^");
    check_err("a.b,1,+", "don't understand 'a.b,1,+'\na.b,1,+\n^^^");
    check_err("zz", "don't understand 'zz'\nzz\n^^");
    check_err("a,-,1", "don't understand '1'\na,-,1\n    ^");
    check_err(
        "a,PREV(zz),+",
        "variable 'zz' not found\na,PREV(zz),+\n  ^^^^^^^^",
    );
    check_err("PREV(a)x", "garbage in RPN: 'PREV(a)x'\nPREV(a)x\n^^^^^^^^");
    check_err("a,+", "RPN stack underflow\na,+\n  ^");
    check_err("a,b", "RPN final stack size != 1\na,b\n^^^");
    check_err(
        "1,a,TREND",
        "malformed trend arguments\n1,a,TREND\n    ^^^^^",
    );
    check_err(
        "a,b,+,2,/,UN,1,IF",
        "RPN stack underflow\na,b,+,2,/,UN,1,IF\n               ^^",
    );
    check_err("a,é", "don't understand 'é'\na,é\n  ^");
}

#[test]
fn spans_are_byte_ranges() {
    let err = parse("a,b,c", resolve).expect_err("c is unknown");
    assert_eq!(err.span(), Some(Span::new(4, 5)));
    assert!(matches!(err, Error::NotUnderstood { .. }));
    assert_eq!(Error::Empty.span(), None);
}

#[test]
fn tokens() {
    let p = parse("a,PREV(b),1.5e1,+,MAX,", resolve).expect("parses");
    assert_eq!(
        p.tokens(),
        &[
            Token::Var(VarId(0)),
            Token::PrevVar(VarId(1)),
            Token::Number(15.0),
            Token::Op(Op::Add),
            Token::Op(Op::Max),
        ]
    );
    assert_eq!(p.spans()[1], Span::new(2, 9));
    assert_eq!(p.max_depth(), Some(3));
    assert!(p.has_variables());
    assert!(!parse("1,2,+", resolve).expect("parses").has_variables());
}

#[test]
fn numbers_need_a_following_comma() {
    // `-` followed by a comma is not a number (it does not parse completely)
    assert!(parse("a,1,-,2,+", resolve).is_ok());
    // a 41-character literal is not a number and not a known name
    let long = format!("{},a,+", "1".repeat(41));
    assert!(matches!(
        parse(&long, resolve),
        Err(Error::NotUnderstood { .. })
    ));
    // names may be up to 255 characters
    let ok = |n: &str| (n.len() == 255).then_some(VarId(0));
    assert!(parse(&"x".repeat(255), ok).is_ok());
    assert!(parse(&"x".repeat(256), |_| Some(VarId(0))).is_err());
}

#[test]
fn operators_match_exactly() {
    for op in Op::ALL {
        if let Some(kw) = op.keyword() {
            let lower = kw.to_lowercase();
            if lower != kw {
                assert!(parse(&format!("a,{lower}"), resolve).is_err(), "{lower}");
            }
            assert!(matches!(
                parse(&format!("a,{kw}X"), resolve),
                Err(Error::NotUnderstood { .. })
            ));
        }
    }
}

#[test]
fn programs_from_stored_tokens() {
    use rrd_rpn::Program;
    // a,b,+,2,/,UN,1,IF as stored by a COMPUTE data source: spans are indices
    let toks = vec![
        Token::Var(VarId(0)),
        Token::Var(VarId(1)),
        Token::Op(Op::Add),
        Token::Number(2.0),
        Token::Op(Op::Div),
        Token::Op(Op::Un),
        Token::Number(1.0),
        Token::Op(Op::If),
    ];
    let err = Program::from_tokens(toks).expect_err("IF underflows");
    assert_eq!(
        err,
        Error::StackUnderflow {
            span: Span::new(7, 8)
        }
    );
    assert!(matches!(
        Program::from_tokens(vec![Token::Op(Op::End)]),
        Err(Error::Unsupported { op: "END", .. })
    ));
    assert!(Program::from_tokens(vec![Token::Number(1.0)]).is_ok());
    assert!(matches!(Program::from_tokens(vec![]), Err(Error::Empty)));
}
