//! What the suites share: running `rrd` and `rrdtool`, rrdtool's pipe mode,
//! scratch directories, a seeded PRNG, comparisons that say where two
//! outputs part, recorded transcripts and their replay, and the seeds and
//! worker threads of the differential suites.

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

/// Our binary.
pub const RRD: &str = env!("CARGO_BIN_EXE_rrd");

/// What one command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit status; -1 when killed by a signal.
    pub status: i32,
    /// Bytes on stdout.
    pub stdout: Vec<u8>,
    /// Bytes on stderr.
    pub stderr: Vec<u8>,
}

impl Output {
    /// stdout as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// stderr as text.
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "status {}, stdout {} bytes, stderr {:?}",
            self.status,
            self.stdout.len(),
            self.err()
        )
    }
}

fn command(program: &str, dir: &Path, tz: &str, args: &[String]) -> Command {
    let mut c = Command::new(program);
    c.args(args)
        .current_dir(dir)
        .env("TZ", tz)
        // rrdtool formats numbers through the C locale functions
        .env("LC_ALL", "C")
        .env_remove("LANG")
        // otherwise rrdtool would hand its work to an rrdcached
        .env_remove("RRDCACHED_ADDRESS")
        .stdin(Stdio::null());
    c
}

fn output_of(program: &str, dir: &Path, tz: &str, args: &[String]) -> Output {
    let o = command(program, dir, tz, args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    Output {
        status: o.status.code().unwrap_or(-1),
        stdout: o.stdout,
        stderr: o.stderr,
    }
}

/// Runs `program ARGS` in `dir` in UTC.
pub fn run(program: &str, dir: &Path, args: &[String]) -> Output {
    output_of(program, dir, "UTC", args)
}

/// Runs `rrd ARGS` in `dir` with time zone `tz`.
pub fn rrd(dir: &Path, tz: &str, args: &[String]) -> Output {
    output_of(RRD, dir, tz, args)
}

/// Runs `rrdtool ARGS` in `dir` with time zone `tz`.
pub fn rrdtool(dir: &Path, tz: &str, args: &[String]) -> Output {
    output_of("rrdtool", dir, tz, args)
}

/// Words to arguments.
pub fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

/// Writes a line to the real stderr, past the test harness's capture (which
/// holds back `eprintln!` of passing tests), so summaries and skip notes show
/// in a plain `cargo test`.
pub fn note(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}

/// Whether the real parts (rrdtool, rrdcached) must be there: in CI (`CI`
/// set) or with `RRD_E2E=require`, a missing one fails the test.
pub fn required_parts() -> bool {
    std::env::var_os("CI").is_some() || std::env::var("RRD_E2E").is_ok_and(|v| v == "require")
}

/// Whether rrdtool 1.7.2 is on PATH. When it is not, says so once (for the
/// whole test binary) and the caller skips its differential work.
pub fn have_rrdtool() -> bool {
    static FOUND: OnceLock<Result<(), String>> = OnceLock::new();
    static SAID: Once = Once::new();
    let found = FOUND.get_or_init(|| {
        let o = Command::new("rrdtool")
            .arg("--version")
            .env_remove("RRDCACHED_ADDRESS")
            .output()
            .map_err(|e| format!("rrdtool is not on PATH ({e})"))?;
        let text = String::from_utf8_lossy(&o.stdout);
        let first = text.lines().next().unwrap_or_default();
        if first.starts_with("RRDtool 1.7.2 ") {
            Ok(())
        } else {
            Err(format!("the rrdtool on PATH is {first:?}, not 1.7.2"))
        }
    });
    match found {
        Ok(()) => true,
        Err(why) => {
            // in CI a missing oracle fails the run instead of skipping it
            assert!(
                !required_parts(),
                "{why} (CI or RRD_E2E=require: rrdtool is required)"
            );
            SAID.call_once(|| {
                note(&format!(
                    "differential tests skipped: {why}; the golden tests still run"
                ))
            });
            false
        }
    }
}

/// Whether strace is on PATH (CI installs it).
pub fn have_strace() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `tz` names a zoneinfo file that this machine lacks (POSIX TZ
/// strings such as `CET-1CEST,M3.5.0,M10.5.0/3` need none).
pub fn zone_missing(tz: &str) -> bool {
    tz.contains('/') && !tz.contains(',') && !Path::new("/usr/share/zoneinfo").join(tz).exists()
}

/// A scratch directory under cargo's target tmp dir, removed on drop unless
/// the thread is panicking (then it is kept for a look and its path printed).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    /// Leaves the directory in place (for a look after a failure).
    pub fn keep(self) -> PathBuf {
        let p = self.0.clone();
        std::mem::forget(self);
        p
    }
    /// A subdirectory, created.
    pub fn sub(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            note(&format!("kept {} for a look", self.0.display()));
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Copies every file of `from` into `to`.
pub fn copy_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// The committed data of one suite: `tests/data/NAME`.
pub fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The committed golden data.
pub fn golden_dir() -> PathBuf {
    data_dir("golden")
}

/// xorshift64*: small, seeded, the same on every machine.
/// splitmix64 over a counter: the generator of the compute and xport
/// suites (their recorded seeds depend on its sequence).
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so neighbouring seeds start far apart
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// `info` text with each `rra[i].cur_row` value blanked: rrdtool picks it at
/// random when it creates or restores a file.
pub fn mask_cur_row(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.find(".cur_row = ") {
            Some(i) if line.starts_with("rra[") => {
                out.push_str(&line[..i]);
                out.push_str(".cur_row = (random)\n");
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// Where two texts part: the first differing line with two lines of context
/// from each, or `None` when equal.
pub fn text_diff(want: &[u8], got: &[u8]) -> Option<String> {
    if want == got {
        return None;
    }
    let w: Vec<&[u8]> = want.split_inclusive(|&b| b == b'\n').collect();
    let g: Vec<&[u8]> = got.split_inclusive(|&b| b == b'\n').collect();
    let i = w.iter().zip(&g).take_while(|(a, b)| a == b).count();
    let show = |lines: &[&[u8]]| -> String {
        let from = i.saturating_sub(2);
        let to = (i + 3).min(lines.len());
        let mut s = String::new();
        for (k, l) in lines[from..to].iter().enumerate() {
            let mark = if from + k == i { ">" } else { " " };
            s.push_str(&format!(
                "  {mark}{:5} {:?}\n",
                from + k + 1,
                String::from_utf8_lossy(l)
            ));
        }
        if to == lines.len() {
            s.push_str("         (end)\n");
        }
        s
    };
    Some(format!(
        "first difference at line {} ({} vs {} lines, {} vs {} bytes)\n  expected:\n{}  got:\n{}",
        i + 1,
        w.len(),
        g.len(),
        want.len(),
        got.len(),
        show(&w),
        show(&g)
    ))
}

/// Where two outputs part (status, stdout, stderr), or `None` when equal.
pub fn output_diff(want: &Output, got: &Output) -> Option<String> {
    let mut s = String::new();
    if want.status != got.status {
        s.push_str(&format!(
            "status: expected {}, got {}\n",
            want.status, got.status
        ));
    }
    if let Some(d) = text_diff(&want.stdout, &got.stdout) {
        s.push_str(&format!("stdout: {d}"));
    }
    if want.stderr != got.stderr {
        s.push_str(&format!(
            "stderr: expected {:?}, got {:?}\n",
            want.err(),
            got.err()
        ));
    }
    (!s.is_empty()).then_some(s)
}

/// The part of an rrd file that rrdtool reads (header and archives): what
/// two files must agree on. After it, a file `rrd` updated holds its
/// journal (a record starting `RRDJRNL1` at the next multiple of 8; the
/// file then ends at a multiple of 4 KiB); anything else there is an error.
pub fn archives(b: &[u8]) -> Result<&[u8], String> {
    let Ok(rrd) = rrd_core::Rrd::from_bytes(b.to_vec()) else {
        return Ok(b);
    };
    let n = rrd.data_len() as usize;
    if b.len() == n {
        return Ok(b);
    }
    let at = n.div_ceil(8) * 8;
    if b.get(at..at + 8) != Some(b"RRDJRNL1") || b.len() % 4096 != 0 {
        return Err(format!(
            "{} bytes after the archives (ending at {n}) that are not a journal",
            b.len() - n
        ));
    }
    Ok(&b[..n])
}

/// An rrd file (x86-64 layout, as both tools write it here) rewritten so that
/// two files holding the same data compare equal: each archive's rows in time
/// order, `cur_row` zeroed. `None` when `b` is not such a file (compare raw).
pub fn canonical_rrd(b: &[u8]) -> Option<Vec<u8>> {
    let u64_at =
        |o: usize| -> Option<u64> { Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?)) };
    if b.get(..4)? != b"RRD\0" {
        return None;
    }
    let version: u32 = std::str::from_utf8(b.get(4..8)?).ok()?.parse().ok()?;
    let ds = usize::try_from(u64_at(24)?).ok()?;
    let rra = usize::try_from(u64_at(32)?).ok()?;
    if ds > 10_000 || rra > 10_000 {
        return None;
    }
    let live = if version >= 3 { 16 } else { 8 };
    let rra_def = 128 + 120 * ds;
    let ptr = rra_def + 120 * rra + live + 112 * ds + 80 * ds * rra;
    let header = ptr + 8 * rra;
    let mut out = b.get(..header)?.to_vec();
    let mut data = header;
    for i in 0..rra {
        let rows = usize::try_from(u64_at(rra_def + 120 * i + 24)?).ok()?;
        let cur = usize::try_from(u64_at(ptr + 8 * i)?).ok()?;
        if rows == 0 || cur >= rows {
            return None;
        }
        out[ptr + 8 * i..ptr + 8 * i + 8].fill(0);
        let row = 8 * ds;
        let area = b.get(data..data + rows * row)?;
        for k in 0..rows {
            let r = (cur + 1 + k) % rows;
            out.extend_from_slice(&area[r * row..(r + 1) * row]);
        }
        data += rows * row;
    }
    (data == b.len()).then_some(out)
}

/// Where two rrd files part once canonical, or `None` when they agree.
pub fn rrd_file_diff(want: &[u8], got: &[u8]) -> Option<String> {
    let (want, got) = match (archives(want), archives(got)) {
        (Ok(w), Ok(g)) => (w, g),
        (Err(e), _) | (_, Err(e)) => return Some(e),
    };
    let (w, g) = match (canonical_rrd(want), canonical_rrd(got)) {
        (Some(w), Some(g)) => (w, g),
        _ => (want.to_vec(), got.to_vec()),
    };
    if w == g {
        return None;
    }
    let i = w.iter().zip(&g).take_while(|(a, b)| a == b).count();
    let near = |v: &[u8]| v[i.saturating_sub(8)..(i + 8).min(v.len())].to_vec();
    Some(format!(
        "files differ ({} vs {} bytes), first at canonical offset {i}: expected {:02x?}, got {:02x?}",
        want.len(),
        got.len(),
        near(&w),
        near(&g)
    ))
}

/// A long-running `rrdtool -` (pipe mode): one process serves many commands.
/// Each command's output ends with a line `OK u:...` or `ERROR: message`,
/// which this turns into an [`Output`] as a separate run would have made
/// (status 0 or 1, the error line on stderr). Only for commands whose error
/// message is one line.
pub struct Pipe {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    cwd: PathBuf,
}

impl Pipe {
    pub fn new(dir: &Path, tz: &str) -> Pipe {
        let mut child = command("rrdtool", dir, tz, &argv(&["-"]))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting rrdtool -");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Pipe {
            child,
            stdin,
            stdout,
            cwd: dir.to_path_buf(),
        }
    }

    /// Runs one command in `dir` (a `cd` first when needed).
    pub fn run(&mut self, dir: &Path, args: &[String]) -> Output {
        if dir != self.cwd {
            let cd = self.raw(&["cd".to_string(), dir.display().to_string()]);
            assert_eq!(
                cd.status,
                0,
                "rrdtool - could not cd to {}: {cd}",
                dir.display()
            );
            self.cwd = dir.to_path_buf();
        }
        self.raw(args)
    }

    fn raw(&mut self, args: &[String]) -> Output {
        let mut line = String::new();
        for (i, a) in args.iter().enumerate() {
            assert!(
                !a.contains(['"', '\n', '\\']),
                "pipe mode cannot pass {a:?}"
            );
            if i > 0 {
                line.push(' ');
            }
            if a.is_empty() || a.contains(' ') {
                line.push('"');
                line.push_str(a);
                line.push('"');
            } else {
                line.push_str(a);
            }
        }
        line.push('\n');
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("rrdtool - died before {line:?}: {e}"));
        let mut out = Output {
            status: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        loop {
            let mut l = Vec::new();
            let n = self.stdout.read_until(b'\n', &mut l).unwrap();
            assert!(n > 0, "rrdtool - ended (crashed?) while running {line:?}");
            if l.starts_with(b"OK u:") {
                return out;
            }
            if l.starts_with(b"ERROR: ") {
                out.status = 1;
                out.stderr = l;
                return out;
            }
            out.stdout.extend_from_slice(&l);
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

// ------------------------------------------------------------ transcripts

/// One recorded command of a transcript.
#[derive(Debug)]
pub struct Case {
    pub title: String,
    pub tz: String,
    pub args: Vec<String>,
    /// Compare stdout with `cur_row` masked (see [`mask_cur_row`]).
    pub mask: bool,
    pub want: Output,
    /// Files the command wrote, as rrdtool wrote them.
    pub files: Vec<(String, Vec<u8>)>,
}

/// One step of a transcript.
#[derive(Debug)]
pub enum Step {
    Mkdir(String),
    Run(Case),
}

/// Reads the transcript format of `tests/data/golden/README.md`: `#### `
/// marker lines and byte-counted blobs (every marker: `mkdir`, `case`,
/// `tz`, `arg`, `mask`, `status`, `stdout`, `stderr`, `file`, `end`).
pub fn parse_transcript(t: &[u8]) -> Vec<Step> {
    let mut pos = 0;
    let mut steps = Vec::new();
    let mut case: Option<Case> = None;
    while pos < t.len() {
        let n = t[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(t.len() - pos);
        let line = std::str::from_utf8(&t[pos..pos + n]).expect("marker lines are UTF-8");
        pos += n + 1;
        let m = line
            .strip_prefix("#### ")
            .unwrap_or_else(|| panic!("transcript: expected a marker line, got {line:?}"));
        let (key, rest) = m.split_once(' ').unwrap_or((m, ""));
        // the blob's length is the last word (`file NAME LENGTH`)
        let mut blob = || -> Vec<u8> {
            let len: usize = rest
                .rsplit(' ')
                .next()
                .unwrap()
                .parse()
                .expect("a blob length");
            let b = t[pos..pos + len].to_vec();
            pos += len;
            b
        };
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
                    "stdout" => c.want.stdout = blob(),
                    "stderr" => c.want.stderr = blob(),
                    "file" => {
                        let (name, _) = rest.rsplit_once(' ').unwrap();
                        let bytes = blob();
                        c.files.push((name.to_string(), bytes));
                    }
                    other => panic!("transcript: unknown marker {other:?}"),
                }
            }
        }
    }
    assert!(case.is_none(), "transcript ends inside a case");
    steps
}

/// The transcript of `data` (a [`data_dir`]).
pub fn read_transcript(data: &Path) -> Vec<Step> {
    parse_transcript(&std::fs::read(data.join("transcript.txt")).unwrap())
}

/// Runs one recorded case with `rrd` in `dir`: where its output and the
/// files it wrote part from rrdtool's, or `None` when they match.
pub fn check_case(dir: &Path, case: &Case) -> Option<String> {
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

/// What [`replay_transcript`] found.
pub struct Replayed {
    /// Cases run (not skipped).
    pub ran: usize,
    /// Of those, the ones recorded with status 0.
    pub ok: usize,
    /// One message per case that differs.
    pub failures: Vec<String>,
    /// The scratch directory, kept while the caller asserts (and kept for a
    /// look if an assertion fails).
    _dir: TempDir,
}

impl Replayed {
    /// Asserts that no case differed; `what` names the cases ("golden cases").
    pub fn assert_agreed(&self, what: &str) {
        assert!(
            self.failures.is_empty(),
            "{} of {} {what} differ from rrdtool 1.7.2:\n\n{}",
            self.failures.len(),
            self.ran,
            self.failures.join("\n")
        );
    }
}

/// Replays the transcript of `data` (a [`data_dir`]) with `rrd` on copies
/// of its fixtures, in a scratch directory `tag`. Cases whose time zone is
/// not installed are skipped, and a note starting with `label` says which.
pub fn replay_transcript(data: &Path, tag: &str, label: &str) -> Replayed {
    let dir = TempDir::new(tag);
    copy_files(&data.join("fixtures"), dir.path());
    let (mut ran, mut ok) = (0, 0);
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for step in read_transcript(data) {
        let case = match step {
            Step::Mkdir(d) => {
                std::fs::create_dir(dir.path().join(d)).unwrap();
                continue;
            }
            Step::Run(c) => c,
        };
        if zone_missing(&case.tz) {
            skipped.push(case.title);
            continue;
        }
        ran += 1;
        if case.want.status == 0 {
            ok += 1;
        }
        if let Some(p) = check_case(dir.path(), &case) {
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
            "{label}: skipped {} cases whose time zone is not installed: {}",
            skipped.len(),
            skipped.join("; ")
        ));
    }
    Replayed {
        ran,
        ok,
        failures,
        _dir: dir,
    }
}

// ------------------------------------------------------------ differential runs

/// The number in the environment variable `name`, if set (it must be one).
pub fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
    )
}

/// The seeds of a differential run: only `$seed_var` when it is set, else
/// `$count_var` (or `default_count`) seeds from `first`.
pub fn seeds(seed_var: &str, count_var: &str, first: u64, default_count: u64) -> Vec<u64> {
    match env_u64(seed_var) {
        Some(s) => vec![s],
        None => {
            let n = env_u64(count_var).unwrap_or(default_count);
            (first..first + n).collect()
        }
    }
}

/// Runs `each` for every seed, spread over up to four threads (one a core).
/// Each thread has a scratch directory `tag` with the subdirectories `subs`,
/// and its own state made by `start` from that directory (rrdtool pipes),
/// dropped before the directory. `each(state, dir, seed)` says whether the
/// seed failed (leaving its files in the directory); a thread with a failing
/// seed keeps its directory and notes `{label}: kept DIR`.
pub fn on_workers<S>(
    seeds: &[u64],
    tag: &str,
    subs: &[&str],
    label: &str,
    start: impl Fn(&Path) -> S + Sync,
    each: impl Fn(&mut S, &Path, u64) -> bool + Sync,
) {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    std::thread::scope(|s| {
        for k in 0..workers {
            let (start, each) = (&start, &each);
            s.spawn(move || {
                let dir = TempDir::new(tag);
                for sub in subs {
                    dir.sub(sub);
                }
                let mut state = start(dir.path());
                let mut failed = false;
                for &seed in seeds.iter().skip(k).step_by(workers) {
                    failed |= each(&mut state, dir.path(), seed);
                }
                drop(state);
                if failed {
                    note(&format!("{label}: kept {}", dir.keep().display()));
                }
            });
        }
    });
}

/// The comparisons of one differential run, and the disagreements found.
#[derive(Default)]
pub struct Checks {
    pub comparisons: u64,
    pub problems: Vec<String>,
}

impl Checks {
    /// Counts a comparison; a difference becomes the problem `what: diff`.
    pub fn record(&mut self, what: impl fmt::Display, diff: Option<String>) {
        self.comparisons += 1;
        if let Some(d) = diff {
            self.problems.push(format!("{what}: {d}"));
        }
    }
}

/// Writes `reports` to the file named by `$var`, when it is set.
pub fn write_report(var: &str, reports: &[&str]) {
    if let Ok(path) = std::env::var(var) {
        std::fs::write(&path, reports.join("\n")).unwrap();
    }
}
