//! The recorded graphv and xport cases, in-process.

use std::path::{Path, PathBuf};

use rrd_graph::{Env, Error, GraphRequest, Rooted, XportRequest};

fn data(which: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cli/tests/data")
        .join(which)
}

/// The recorded cases of `dir` (`cases.txt` lines, numbered from 001) with
/// their expected status, stdout and stderr.
fn cases(dir: &Path) -> Vec<(String, String, i32, Vec<u8>, String)> {
    let text = std::fs::read_to_string(dir.join("cases.txt")).expect("cases.txt");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(k, line)| {
            let id = format!("{:03}", k + 1);
            let read = |ext: &str| {
                std::fs::read(dir.join("expected").join(format!("{id}.{ext}")))
                    .unwrap_or_else(|e| panic!("expected/{id}.{ext}: {e}"))
            };
            let status = String::from_utf8(read("status"))
                .unwrap()
                .trim()
                .parse()
                .expect("status");
            let (out, err) = (read("out"), String::from_utf8(read("err")).unwrap());
            (id, line.to_string(), status, out, err)
        })
        .collect()
}

/// The recordings ran with `TZ=UTC`; their windows are absolute, so the
/// clock does not matter.
fn env() -> Env {
    Env {
        now: 1_700_000_000,
        tz: jiff::tz::TimeZone::UTC,
        default_font: None,
    }
}

/// rrdtool's `ERROR: ` line for a failure. Open and fetch failures carry
/// rrd-core's error, whose rrdtool wording the CLI adds: only their kind is
/// checked here.
fn error_matches(e: &Error, want_err: &str) -> bool {
    match e {
        Error::Open { path, .. } | Error::Fetch { path, .. } => want_err.contains(path.as_str()),
        e => want_err == format!("ERROR: {e}\n"),
    }
}

#[test]
fn graphv_cases() {
    let dir = data("graph");
    let mut source = Rooted::new(dir.join("fixtures")).unwrap();
    let (mut n, mut drawn, mut failures) = (0, 0, Vec::new());
    for (id, line, status, want_out, want_err) in cases(&dir) {
        n += 1;
        let mut words: Vec<String> = line
            .split_whitespace()
            .map(|w| w.replace('~', " "))
            .collect();
        let file = if words.first().is_some_and(|f| f == "-") {
            words.remove(0)
        } else {
            // the recordings drew to /dev/null (`--imginfo` shows its name);
            // nothing is written here
            "/dev/null".to_string()
        };
        let mut args = vec![file];
        args.extend(words);
        let result = GraphRequest::parse(&args, &env()).and_then(|r| {
            let to_stdout = r.to_stdout();
            r.render(&mut source, None).map(|out| (out, to_stdout))
        });
        // what `graphv` prints: the keys, then the image when it goes to
        // standard output
        let printed = |(out, to_stdout): &(rrd_graph::Rendered, bool)| {
            let mut p = out.graphv_text().into_bytes();
            if *to_stdout {
                p.extend(out.output.iter().flatten());
            }
            p
        };
        let ok = match (&result, status) {
            (Ok(r), 0) => {
                drawn += usize::from(r.0.output.is_some());
                printed(r) == want_out && r.0.error.is_none()
            }
            // the image and texts, then rrdtool's labelling error
            (Ok(r), 1) => {
                r.0.error
                    .as_ref()
                    .is_some_and(|e| want_err == format!("ERROR: {e}\n"))
                    && printed(r) == want_out
            }
            (Err(e), 1) => want_out.is_empty() && error_matches(e, &want_err),
            _ => false,
        };
        if !ok {
            let why = match &result {
                Ok(r) => {
                    let got = String::from_utf8_lossy(&printed(r)).into_owned();
                    let want = String::from_utf8_lossy(&want_out).into_owned();
                    let first = want
                        .lines()
                        .zip(got.lines())
                        .find(|(a, b)| a != b)
                        .map(|(a, b)| format!("rrdtool `{a}`, rrd `{b}`"))
                        .unwrap_or_else(|| format!("lengths {} vs {}", want.len(), got.len()));
                    format!("status {status}, error {:?}: {first}", r.0.error)
                }
                Err(e) => format!("status {status}, {want_err:?} vs {e}"),
            };
            failures.push(format!("case {id} `{line}`: {why}"));
        }
    }
    assert!(n >= 30 && drawn >= 30, "only {n} cases, {drawn} drawn");
    assert!(
        failures.is_empty(),
        "{} of {n} graphv cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn xport_cases() {
    let dir = data("xport");
    let mut source = Rooted::new(dir.join("fixtures")).unwrap();
    let (mut n, mut ok_runs, mut failures) = (0, 0, Vec::new());
    for (id, line, status, want_out, want_err) in cases(&dir) {
        n += 1;
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        let result = XportRequest::parse(&args, &env()).and_then(|r| r.render(&mut source));
        let ok = match (&result, status) {
            (Ok(doc), 0) => {
                ok_runs += 1;
                doc.as_bytes() == want_out
            }
            (Err(e), 1) => error_matches(e, &want_err),
            _ => false,
        };
        if !ok {
            let why = match &result {
                Ok(doc) => format!("{} bytes, not {}", doc.len(), want_out.len()),
                Err(e) => format!("{want_err:?} vs {e}"),
            };
            failures.push(format!("case {id} `{line}`: {why}"));
        }
    }
    assert!(
        n >= 35 && ok_runs >= 20,
        "only {n} cases, {ok_runs} exported"
    );
    assert!(
        failures.is_empty(),
        "{} of {n} xport cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
