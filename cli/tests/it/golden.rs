//! Golden outputs recorded once from C rrdtool 1.7.2 (`tests/data/golden`,
//! made by its `make.sh`; see its README): `rrd` replays the transcript on
//! copies of the fixtures and must print exactly what rrdtool printed.
//! Needs no rrdtool.

use std::path::Path;

use crate::support::{copy_files, golden_dir, mask_cur_row, note, output_diff, rrd, text_diff};
use crate::support::{Output, TempDir};

/// One recorded command.
#[derive(Debug)]
struct Case {
    title: String,
    tz: String,
    args: Vec<String>,
    mask: bool,
    want: Output,
    /// Files the command wrote, as rrdtool wrote them.
    files: Vec<(String, Vec<u8>)>,
}

#[derive(Debug)]
enum Step {
    Mkdir(String),
    Run(Case),
}

/// A reader of the transcript: marker lines and byte-counted blobs.
struct Cursor<'a> {
    t: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn line(&mut self) -> Option<String> {
        if self.pos >= self.t.len() {
            return None;
        }
        let rest = &self.t[self.pos..];
        let n = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let l = String::from_utf8(rest[..n].to_vec()).expect("marker lines are UTF-8");
        self.pos += n + 1;
        Some(l)
    }
    fn blob(&mut self, n: usize) -> Vec<u8> {
        let b = self.t[self.pos..self.pos + n].to_vec();
        self.pos += n;
        b
    }
}

/// Reads the transcript format of the README.
fn parse(t: &[u8]) -> Vec<Step> {
    let mut cur = Cursor { t, pos: 0 };
    let mut steps = Vec::new();
    let mut case: Option<Case> = None;
    while let Some(l) = cur.line() {
        let m = l
            .strip_prefix("#### ")
            .unwrap_or_else(|| panic!("transcript: expected a marker line, got {l:?}"));
        let (key, rest) = m.split_once(' ').unwrap_or((m, ""));
        let size = |rest: &str| -> usize { rest.rsplit(' ').next().unwrap().parse().unwrap() };
        match key {
            "mkdir" => steps.push(Step::Mkdir(rest.to_string())),
            "case" => {
                case = Some(Case {
                    title: rest.to_string(),
                    tz: String::new(),
                    args: Vec::new(),
                    mask: false,
                    want: Output {
                        status: -2,
                        stdout: Vec::new(),
                        stderr: Vec::new(),
                    },
                    files: Vec::new(),
                })
            }
            "end" => steps.push(Step::Run(case.take().expect("end without case"))),
            _ => {
                let c = case
                    .as_mut()
                    .unwrap_or_else(|| panic!("{key} outside a case"));
                match key {
                    "tz" => c.tz = rest.to_string(),
                    "arg" => c.args.push(rest.to_string()),
                    "mask" => c.mask = true,
                    "status" => c.want.status = rest.parse().unwrap(),
                    "stdout" => c.want.stdout = cur.blob(size(rest)),
                    "stderr" => c.want.stderr = cur.blob(size(rest)),
                    "file" => {
                        let (name, _) = rest.rsplit_once(' ').unwrap();
                        c.files.push((name.to_string(), cur.blob(size(rest))));
                    }
                    other => panic!("transcript: unknown marker {other:?}"),
                }
            }
        }
    }
    assert!(case.is_none(), "transcript ends inside a case");
    steps
}

fn transcript() -> Vec<Step> {
    let t = std::fs::read(golden_dir().join("transcript.txt")).unwrap();
    parse(&t)
}

/// Runs one recorded case with `rrd` in `dir`; `None` when it matches.
fn check(dir: &Path, case: &Case) -> Option<String> {
    let mut got = rrd(dir, &case.tz, &case.args);
    let mut want = case.want.clone();
    if case.mask {
        want.stdout = mask_cur_row(&want.out()).into_bytes();
        got.stdout = mask_cur_row(&got.out()).into_bytes();
    }
    let mut problems = output_diff(&want, &got).unwrap_or_default();
    for (name, bytes) in &case.files {
        match std::fs::read(dir.join(name)) {
            Ok(b) => {
                if let Some(d) = text_diff(bytes, &b) {
                    problems.push_str(&format!("file {name}: {d}"));
                }
            }
            Err(e) => problems.push_str(&format!("file {name}: {e}\n")),
        }
    }
    (!problems.is_empty()).then_some(problems)
}

#[test]
fn transcript_replays_byte_for_byte() {
    let dir = TempDir::new("golden");
    copy_files(&golden_dir().join("fixtures"), dir.path());
    let mut ran = 0;
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for step in transcript() {
        let case = match step {
            Step::Mkdir(d) => {
                std::fs::create_dir(dir.path().join(d)).unwrap();
                continue;
            }
            Step::Run(c) => c,
        };
        if crate::support::zone_missing(&case.tz) {
            skipped.push(case.title.clone());
            continue;
        }
        ran += 1;
        if let Some(p) = check(dir.path(), &case) {
            failures.push(format!(
                "case {} (TZ={} rrd {}):\n{p}",
                case.title,
                case.tz,
                case.args.join(" ")
            ));
        }
    }
    if !skipped.is_empty() {
        note(&format!(
            "golden: skipped {} cases whose time zone is not installed: {}",
            skipped.len(),
            skipped.join("; ")
        ));
    }
    assert!(ran > 150, "the transcript holds only {ran} cases");
    assert!(
        failures.is_empty(),
        "{} of {ran} golden cases differ from rrdtool 1.7.2:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn transcript_covers_every_fixture_and_command() {
    let steps = transcript();
    let cases: Vec<&Case> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Run(c) => Some(c),
            Step::Mkdir(_) => None,
        })
        .collect();
    for e in std::fs::read_dir(golden_dir().join("fixtures")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(
            cases.iter().any(|c| c.args.contains(&name)),
            "no case reads fixture {name}"
        );
    }
    for cmd in [
        "create",
        "info",
        "dump",
        "restore",
        "first",
        "last",
        "lastupdate",
    ] {
        let ok = cases.iter().any(|c| c.args[0] == cmd && c.want.status == 0);
        let err = cases.iter().any(|c| c.args[0] == cmd && c.want.status == 1);
        assert!(ok && err, "{cmd}: want both a success and an error case");
    }
}
