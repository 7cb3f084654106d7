//! Option parsing as rrdtool 1.7.2 does it (its bundled `optparse`):
//! short options (`-s X`, `-sX`, clustered flags), long options
//! (`--start X`, `--start=X`, exact names only), options anywhere among the
//! positional arguments, and `--` ending the options.

/// Whether an option takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A flag.
    None,
    /// Takes a value.
    Required,
}

/// One accepted option.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// Long name without `--`.
    pub long: &'static str,
    /// Short letter, if any.
    pub short: Option<char>,
    /// Argument kind.
    pub arg: Arg,
}

/// Shorthand constructor.
pub const fn opt(long: &'static str, short: Option<char>, arg: Arg) -> Opt {
    Opt { long, short, arg }
}

/// Parsed command line: options in order (by long name) and positionals.
#[derive(Debug, Default)]
pub struct Parsed {
    /// `(long name, value)` in the order given.
    pub opts: Vec<(&'static str, Option<String>)>,
    /// Positional arguments in order.
    pub args: Vec<String>,
}

impl Parsed {
    /// The last value given for `long`.
    pub fn value(&self, long: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(n, _)| *n == long)
            .and_then(|(_, v)| v.as_deref())
    }
    /// Whether flag `long` was given.
    pub fn flag(&self, long: &str) -> bool {
        self.opts.iter().any(|(n, _)| *n == long)
    }
}

/// Parses `argv` (without the command name) against `spec`. The error is
/// rrdtool's text (`invalid option -- 'x'`).
pub fn parse(argv: &[String], spec: &[Opt]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if a == "--" {
            out.args.extend(argv[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let o = spec
                .iter()
                .find(|o| o.long == name)
                .ok_or_else(|| format!("invalid option -- '{body}'"))?;
            let value = match (o.arg, inline) {
                (Arg::None, Some(_)) => {
                    return Err(format!("option takes no arguments -- '{}'", o.long))
                }
                (Arg::None, None) => None,
                (Arg::Required, Some(v)) => Some(v),
                (Arg::Required, None) => {
                    let v = argv
                        .get(i)
                        .ok_or_else(|| format!("option requires argument -- '{}'", o.long))?;
                    i += 1;
                    Some(v.clone())
                }
            };
            out.opts.push((o.long, value));
            continue;
        }
        if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut k = 0;
            while k < chars.len() {
                let c = chars[k];
                let o = spec
                    .iter()
                    .find(|o| o.short == Some(c))
                    .ok_or_else(|| format!("invalid option -- '{c}'"))?;
                k += 1;
                match o.arg {
                    Arg::None => out.opts.push((o.long, None)),
                    Arg::Required => {
                        let v = if k < chars.len() {
                            chars[k..].iter().collect()
                        } else {
                            let v = argv
                                .get(i)
                                .ok_or_else(|| format!("option requires an argument -- '{c}'"))?;
                            i += 1;
                            v.clone()
                        };
                        out.opts.push((o.long, Some(v)));
                        break;
                    }
                }
            }
            continue;
        }
        out.args.push(a.clone());
    }
    Ok(out)
}

/// Options as rrdtool acts on them, one by one: on a bad option, the
/// longest prefix of `argv` that parses (what rrdtool acted on before it
/// stopped) and the error.
pub fn parse_until_error(argv: &[String], spec: &[Opt]) -> (Parsed, Option<String>) {
    match parse(argv, spec) {
        Ok(p) => (p, None),
        Err(e) => {
            let before = (0..argv.len())
                .rev()
                .find_map(|k| parse(&argv[..k], spec).ok())
                .unwrap_or_default();
            (before, Some(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &[Opt] = &[
        opt("start", Some('b'), Arg::Required),
        opt("step", Some('s'), Arg::Required),
        opt("no-overwrite", Some('O'), Arg::None),
    ];

    fn check(args: &[&str], expected: &str) {
        let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let got = match parse(&argv, SPEC) {
            Ok(p) => format!("{:?} {:?}", p.opts, p.args),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn forms() {
        check(
            &["f.rrd", "--start", "1", "-s60", "-O", "DS:x"],
            r#"[("start", Some("1")), ("step", Some("60")), ("no-overwrite", None)] ["f.rrd", "DS:x"]"#,
        );
        check(
            &["--step=5", "-b", "-1d", "x"],
            r#"[("step", Some("5")), ("start", Some("-1d"))] ["x"]"#,
        );
        check(
            &["-Os", "7", "x"],
            r#"[("no-overwrite", None), ("step", Some("7"))] ["x"]"#,
        );
        check(&["--", "-b", "x"], r#"[] ["-b", "x"]"#);
        check(&["-", "x"], r#"[] ["-", "x"]"#);
    }

    #[test]
    fn errors() {
        check(&["--foo"], "error: invalid option -- 'foo'");
        check(&["-x"], "error: invalid option -- 'x'");
        check(&["--step"], "error: option requires argument -- 'step'");
        check(&["-s"], "error: option requires an argument -- 's'");
        check(
            &["--no-overwrite=1"],
            "error: option takes no arguments -- 'no-overwrite'",
        );
    }
}
