//! Differential suite over random definitions, against C rrdtool 1.7.2 when
//! it is on PATH. For each seeded definition (every DS kind, every
//! consolidation function, Holt-Winters sets implicit and explicit, versions
//! 0003/0004/0005, varied option forms and time zones):
//!
//! - a: rrdtool creates and updates a file; `info`, `dump` (two header
//!   forms), `first` (every `--rraindex`, and one past the end), `last` and
//!   `lastupdate` of ours must equal rrdtool's, byte for byte (we read its files);
//! - b: when our `create` supports the definition, ours creates the same file:
//!   same bytes (up to the random `cur_row`), rrdtool reads it exactly as its
//!   own, and after the same `rrdtool update` it still dumps the same (it reads
//!   ours); otherwise ours must refuse it, saying it is not supported yet;
//! - c, d: rrdtool's dump restored by ours (c) and by rrdtool (d): the same
//!   bytes (rows in time order, `cur_row` aside); rrdtool's and our `info`,
//!   `dump`, `last`, `lastupdate` of c equal rrdtool's of d, and the dump of c
//!   equals the dump of the original (dump -> restore -> dump, its way to ours);
//! - e: our dump to a file (equal to rrdtool's) restored by rrdtool reads as d
//!   in rrdtool and dumps the same in ours (the other way round).
//!
//! Files are compared, not just outputs, after rotating each archive's rows
//! into time order (see `support::canonical_rrd`).
//!
//! `RRD_DIFF_SEED=n` runs only definition n; `RRD_DIFF_COUNT=n` sets how many;
//! `RRD_DIFF_REPORT=path` writes every disagreement there (the failure
//! message shows the first 15).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::support::{
    argv, have_rrdtool, mask_cur_row, note, on_workers, output_diff, rrd, rrd_file_diff, seeds,
    write_report, zone_missing, Checks, Output, Pipe, Rng,
};

/// Definitions per run: enough for every kind and option form to meet many
/// times, few enough for well under a minute on two cores.
const DEFAULT_COUNT: u64 = 600;
/// First seed; definition i uses seed FIRST_SEED + i.
const FIRST_SEED: u64 = 1;

const ZONES: [&str; 6] = [
    "UTC",
    "UTC",
    "Europe/Zurich",
    "America/New_York",
    "Asia/Kolkata",
    "CET-1CEST,M3.5.0,M10.5.0/3",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Gauge,
    Counter,
    Derive,
    Absolute,
    DCounter,
    DDerive,
    Compute,
}

const KINDS: [(Kind, &str); 7] = [
    (Kind::Gauge, "GAUGE"),
    (Kind::Counter, "COUNTER"),
    (Kind::Derive, "DERIVE"),
    (Kind::Absolute, "ABSOLUTE"),
    (Kind::DCounter, "DCOUNTER"),
    (Kind::DDerive, "DDERIVE"),
    (Kind::Compute, "COMPUTE"),
];

/// One random definition and what is needed to feed it updates.
struct Def {
    seed: u64,
    tz: &'static str,
    /// `create` arguments after the command, with `{}` where the file name goes.
    create: Vec<String>,
    step: u64,
    kinds: Vec<Kind>,
    rra_count: usize,
    /// Whether our `create` accepts it (all do now).
    supported: bool,
    /// Whether it has Holt-Winters archives: their seasonal smoothing
    /// follows the archive pointers, which each tool picks at random, so
    /// the files diverge once updated (`update_diff` compares updates of
    /// such files from one starting file).
    hw: bool,
}

impl Def {
    /// Whether an archive is FAILURES with a window longer than 10.
    /// rrdtool 1.7.2's restore keeps only the first 10 history entries and
    /// zeroes the rest; ours keeps them all (a deliberate difference), so
    /// the two restored files then differ in those bytes.
    fn long_failure_window(&self) -> bool {
        self.create.iter().any(|a| {
            let f: Vec<&str> = a.split(':').collect();
            f.len() >= 5
                && f[0] == "RRA"
                && f[1] == "FAILURES"
                && f[4].parse::<u64>().is_ok_and(|w| w > 10)
        })
    }
    fn create_args(&self, file: &str) -> Vec<String> {
        let mut v = vec!["create".to_string()];
        v.extend(self.create.iter().map(|a| {
            if a == "{}" {
                file.to_string()
            } else {
                a.clone()
            }
        }));
        v
    }
}

fn number(rng: &mut Rng) -> String {
    match rng.range(0, 5) {
        0 => format!("{}", rng.range(0, 2000) as i64 - 1000),
        1 => format!("{}.{}", rng.range(0, 999) as i64 - 500, rng.range(0, 99)),
        2 => format!("{}e{}", rng.range(1, 9), rng.range(0, 6)),
        3 => format!(
            "-{}.{}e-{}",
            rng.range(1, 9),
            rng.range(0, 9),
            rng.range(1, 3)
        ),
        4 => rng
            .pick(&["0", "1", "100", "4294967295", "1e9", "0.5"])
            .to_string(),
        _ => format!("{}", rng.range(0, 100_000)),
    }
}

/// A duration of `secs` seconds, sometimes with an rrdtool suffix.
fn duration(rng: &mut Rng, secs: u64) -> String {
    let units = [
        (86400 * 7, "w"),
        (86400, "d"),
        (3600, "h"),
        (60, "m"),
        (1, "s"),
    ];
    if rng.chance(40) {
        for (u, s) in units {
            if secs % u == 0 {
                return format!("{}{s}", secs / u);
            }
        }
    }
    secs.to_string()
}

fn ds_name(rng: &mut Rng, taken: &[String], plain: bool) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    const WILD: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    loop {
        let len = if rng.chance(10) {
            19
        } else {
            rng.range(1, 10) as usize
        };
        let mut s = String::new();
        for i in 0..len {
            let set = if !plain {
                WILD
            } else if i == 0 {
                FIRST
            } else {
                REST
            };
            s.push(set[rng.next() as usize % set.len()] as char);
        }
        if !taken.contains(&s) {
            return s;
        }
    }
}

/// A COMPUTE expression over the earlier data sources `vars` (only names an
/// RPN cannot mistake for numbers or operators).
fn rpn(rng: &mut Rng, vars: &[String]) -> String {
    let operand = |rng: &mut Rng| -> String {
        if !vars.is_empty() && rng.chance(70) {
            rng.pick(vars).clone()
        } else if rng.chance(80) {
            format!("{}", rng.range(0, 65535) as i64 - 32768)
        } else {
            rng.pick(&["INF", "NEGINF", "UNKN"]).to_string()
        }
    };
    // at most 19 nodes (rrdtool stores 20 with the END); closing the stack
    // takes depth - 1 more
    let mut out = vec![operand(rng)];
    let mut nodes = 1;
    let mut depth = 1;
    while nodes + depth + 2 <= 19 {
        if depth == 1 && rng.chance(25) {
            break;
        }
        let r = rng.range(0, 9);
        let token = if r < 4 || depth == 1 {
            depth += 1;
            operand(rng)
        } else if r < 6 {
            rng.pick(&[
                "SIN", "COS", "LOG", "EXP", "FLOOR", "CEIL", "UN", "ISINF", "ATAN", "SQRT", "ABS",
                "RAD2DEG", "DEG2RAD", "DUP,+",
            ])
            .to_string()
        } else if r < 9 || depth < 3 {
            depth -= 1;
            rng.pick(&[
                "+", "-", "*", "/", "%", "LT", "LE", "GT", "GE", "EQ", "NE", "MIN", "MAX", "ATAN2",
                "POW", "ADDNAN", "MINNAN", "MAXNAN", "EXC,-",
            ])
            .to_string()
        } else {
            depth -= 2;
            rng.pick(&["IF", "LIMIT"]).to_string()
        };
        nodes += token.split(',').count();
        out.push(token);
    }
    while depth > 1 {
        out.push("+".to_string());
        depth -= 1;
    }
    if out.len() == 1 && out[0].parse::<i64>().is_ok() {
        // rrdtool refuses a lone constant ("failed to parse computed data source")
        out.push("0,+".to_string());
    }
    out.join(",")
}

fn start_time(rng: &mut Rng, step: u64) -> String {
    let (y, m, d) = (rng.range(2002, 2023), rng.range(1, 12), rng.range(1, 28));
    match rng.range(0, 9) {
        0 => format!("{y}{m:02}{d:02}"),
        1 => format!("{m:02}/{d:02}/{y}"),
        2 => format!("{d:02}.{m:02}.{y}"),
        3 => format!(
            "{:02}:{:02} {y}{m:02}{d:02}",
            rng.range(0, 23),
            rng.range(0, 59)
        ),
        4 => format!(
            "{} {y}{m:02}{d:02}",
            rng.pick(&["noon", "midnight", "teatime"])
        ),
        5 => {
            let t = rng.range(1_000_000_000, 1_700_000_000);
            (t - t % step).to_string()
        }
        _ => rng.range(1_000_000_000, 1_700_000_000).to_string(),
    }
}

/// The option spelled one of the ways rrdtool accepts.
fn option(rng: &mut Rng, long: &str, short: char, value: &str) -> Vec<String> {
    match rng.range(0, 3) {
        0 => vec![format!("--{long}"), value.to_string()],
        1 => vec![format!("--{long}={value}")],
        2 => vec![format!("-{short}"), value.to_string()],
        _ => vec![format!("-{short}{value}")],
    }
}

fn plain_rra(rng: &mut Rng, step: u64) -> String {
    let cf = rng.pick(&["AVERAGE", "MIN", "MAX", "LAST"]);
    let xff = if rng.chance(50) {
        rng.pick(&["0", "0.5", "0.25", "0.999", "0.1", ".75", "0.0"])
            .to_string()
    } else {
        format!("0.{:03}", rng.range(0, 999))
    };
    let pdp = rng.range(1, 12);
    let rows = rng.range(1, 40);
    let steps = duration(rng, pdp * step);
    let steps = if steps.ends_with(char::is_alphabetic) {
        steps
    } else {
        pdp.to_string()
    };
    let rows_s = duration(rng, rows * pdp * step);
    let rows_s = if rows_s.ends_with(char::is_alphabetic) {
        rows_s
    } else {
        rows.to_string()
    };
    format!("RRA:{cf}:{xff}:{steps}:{rows_s}")
}

fn fraction(rng: &mut Rng) -> String {
    if rng.chance(40) {
        rng.pick(&["0.1", "0.5", "0.0035", "0.9", "0.01", "0.25"])
            .to_string()
    } else {
        format!("0.{}", rng.range(1, 9999))
    }
}

/// Archives: plain ones, and sometimes a Holt-Winters set. Returns the
/// arguments and how many archives rrdtool will make of them.
fn archives(rng: &mut Rng, step: u64) -> (Vec<String>, usize, bool) {
    let mut plain: Vec<String> = (0..rng.range(1, 4)).map(|_| plain_rra(rng, step)).collect();
    if rng.chance(35) {
        let predict = if rng.chance(50) {
            "HWPREDICT"
        } else {
            "MHWPREDICT"
        };
        let period = rng.range(2, 12);
        let rows = rng.range(period, 3 * period);
        let (alpha, beta) = (fraction(rng), fraction(rng));
        if rng.chance(50) {
            // implicit: rrdtool adds SEASONAL, DEVSEASONAL, DEVPREDICT, FAILURES
            let at = rng.range(0, plain.len() as u64) as usize;
            plain.insert(at, format!("RRA:{predict}:{rows}:{alpha}:{beta}:{period}"));
            let n = plain.len() + 4;
            return (plain, n, true);
        }
        // explicit: five archives at random places, linked by 1-based index
        let total = plain.len() + 5;
        let mut slots: Vec<usize> = (0..total).collect();
        let mut pos = [0usize; 5];
        for p in &mut pos {
            *p = slots.remove(rng.next() as usize % slots.len());
        }
        let [hw, seasonal, devseasonal, devpredict, failures] = pos;
        let window = rng.range(1, 28);
        let smoothing = |rng: &mut Rng| {
            if rng.chance(50) {
                format!(":smoothing-window={}", fraction(rng))
            } else {
                String::new()
            }
        };
        let mut out = vec![String::new(); total];
        out[hw] = format!(
            "RRA:{predict}:{rows}:{alpha}:{beta}:{period}:{}",
            seasonal + 1
        );
        out[seasonal] = format!(
            "RRA:SEASONAL:{period}:{}:{}{}",
            fraction(rng),
            hw + 1,
            smoothing(rng)
        );
        out[devseasonal] = format!(
            "RRA:DEVSEASONAL:{period}:{}:{}{}",
            fraction(rng),
            hw + 1,
            smoothing(rng)
        );
        out[devpredict] = format!("RRA:DEVPREDICT:{}:{}", rng.range(1, 30), devseasonal + 1);
        out[failures] = format!(
            "RRA:FAILURES:{}:{}:{window}:{}",
            rng.range(1, 30),
            rng.range(1, window),
            devseasonal + 1
        );
        let mut plain = plain.into_iter();
        for s in &mut out {
            if s.is_empty() {
                *s = plain.next().unwrap();
            }
        }
        return (out, total, true);
    }
    let n = plain.len();
    (plain, n, false)
}

fn definition(seed: u64) -> Def {
    let mut rng = Rng::new(seed);
    let tz = *rng.pick(&ZONES);
    let tz = if zone_missing(tz) { "UTC" } else { tz };
    let step = match rng.range(0, 3) {
        0 => *rng.pick(&[1, 5, 10, 60, 300, 600, 3600, 86400]),
        _ => rng.range(1, 900),
    };
    let mut defs = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut plain_names: Vec<String> = Vec::new();
    let mut kinds = Vec::new();
    for i in 0..rng.range(1, 5) {
        // DCOUNTER and DDERIVE make a version 0005 file; keep them rarer so
        // that 0003 and 0004 files stay common
        let (kind, kname) = if rng.chance(12) {
            *rng.pick(&KINDS[4..6])
        } else if i == 0 {
            *rng.pick(&KINDS[..4])
        } else {
            *rng.pick(&[KINDS[0], KINDS[1], KINDS[2], KINDS[3], KINDS[6]])
        };
        let plain = rng.chance(75);
        let name = ds_name(&mut rng, &names, plain);
        let def = if kind == Kind::Compute {
            format!("DS:{name}:COMPUTE:{}", rpn(&mut rng, &plain_names))
        } else {
            let hb = rng_heartbeat(&mut rng, step);
            let hb = duration(&mut rng, hb);
            let min = if rng.chance(50) {
                "U".to_string()
            } else {
                number(&mut rng)
            };
            let mut max = if rng.chance(50) {
                "U".to_string()
            } else {
                number(&mut rng)
            };
            if let (Ok(a), Ok(b)) = (min.parse::<f64>(), max.parse::<f64>()) {
                if a >= b {
                    max = format!("{}", a.abs() * 2.0 + 1.0);
                }
            }
            format!("DS:{name}:{kname}:{hb}:{min}:{max}")
        };
        if plain {
            plain_names.push(name.clone());
        }
        names.push(name);
        kinds.push(kind);
        defs.push(def);
    }
    let (rras, rra_count, hw) = archives(&mut rng, step);
    defs.extend(rras);
    // options before the file, between definitions or at the end
    let start = start_time(&mut rng, step);
    let mut opts: Vec<Vec<String>> = vec![option(&mut rng, "start", 'b', &start)];
    if step != 300 || rng.chance(50) {
        let step_s = duration(&mut rng, step);
        opts.push(option(&mut rng, "step", 's', &step_s));
    }
    let mut create: Vec<String> = Vec::new();
    let mut positional = vec!["{}".to_string()];
    positional.extend(defs);
    let mut later = Vec::new();
    for o in opts {
        if rng.chance(60) {
            create.extend(o);
        } else {
            later.push(o);
        }
    }
    for p in positional {
        create.push(p);
        if !later.is_empty() && rng.chance(30) {
            create.extend(later.pop().unwrap());
        }
    }
    for o in later {
        create.extend(o);
    }
    Def {
        seed,
        tz,
        create,
        step,
        supported: true,
        hw,
        kinds,
        rra_count,
    }
}

fn rng_heartbeat(rng: &mut Rng, step: u64) -> u64 {
    match rng.range(0, 3) {
        0 => step,
        1 => 2 * step,
        2 => rng.range(1, 4 * step),
        _ => *rng.pick(&[60, 600, 3600, 86400]),
    }
}

/// `count` updates after `last`, all of them valid for rrdtool.
fn updates(rng: &mut Rng, def: &Def, last: i64) -> Vec<String> {
    let count = if rng.chance(15) { 0 } else { rng.range(1, 25) };
    let mut t = last;
    let mut counters = vec![rng.range(0, 1 << 20) as i64; def.kinds.len()];
    let mut out = Vec::new();
    for _ in 0..count {
        t += if rng.chance(10) {
            rng.range(3, 10) as i64 * def.step as i64
        } else {
            rng.range(1, 2 * def.step) as i64
        };
        let mut s = t.to_string();
        if rng.chance(15) {
            let _ = write!(s, ".{}", rng.range(0, 999_999));
        }
        for (i, k) in def.kinds.iter().enumerate() {
            if *k == Kind::Compute {
                continue;
            }
            s.push(':');
            if rng.chance(8) {
                s.push('U');
                continue;
            }
            let c = &mut counters[i];
            let v = match k {
                Kind::Gauge => number(rng),
                Kind::Counter | Kind::Absolute => {
                    *c = if rng.chance(3) {
                        rng.range(0, 100) as i64
                    } else {
                        *c + rng.range(0, 5000) as i64
                    };
                    c.to_string()
                }
                Kind::Derive => {
                    *c += rng.range(0, 10_000) as i64 - 5000;
                    c.to_string()
                }
                Kind::DCounter | Kind::DDerive => {
                    *c += rng.range(0, 3000) as i64 - 500;
                    format!("{}.{}", c, rng.range(0, 99))
                }
                Kind::Compute => unreachable!(),
            };
            s.push_str(&v);
        }
        out.push(s);
    }
    out
}

#[derive(Default)]
struct Tally {
    definitions: u64,
    files: u64,
    comparisons: u64,
    refusals: u64,
    disagreements: u64,
    /// Files read per format version, as rrdtool's `info` names it.
    versions: std::collections::BTreeMap<String, u64>,
    /// (seed, report)
    reports: Vec<(u64, String)>,
}

struct Run<'a> {
    /// The worker's scratch directory, holding a..e.
    dir: &'a Path,
    /// The worker's rrdtool pipes, one per time zone.
    pipes: &'a mut HashMap<&'static str, Pipe>,
    def: &'a Def,
    tally: Tally,
    checks: Checks,
}

impl Run<'_> {
    fn d(&self, sub: &str) -> PathBuf {
        self.dir.join(sub)
    }
    fn tool(&mut self, sub: &str, args: &[String]) -> Output {
        let dir = self.d(sub);
        let tz = self.def.tz;
        let base = self.dir.to_path_buf();
        self.pipes
            .entry(tz)
            .or_insert_with(|| Pipe::new(&base, tz))
            .run(&dir, args)
    }
    fn ours(&mut self, sub: &str, args: &[String]) -> Output {
        rrd(&self.d(sub), self.def.tz, args)
    }
    /// rrdtool and ours run `args` in `sub`; everything must agree.
    fn same(&mut self, sub: &str, args: &[String]) -> Output {
        let want = self.tool(sub, args);
        let got = self.ours(sub, args);
        self.checks.record(
            format!("{sub}: rrd {}", args.join(" ")),
            output_diff(&want, &got),
        );
        want
    }
    /// rrdtool's view of a file in `sub` against its view of the file of the
    /// same name in `reference`.
    fn tool_reads_like(&mut self, reference: &str, sub: &str, args: &[String]) {
        let mut want = self.tool(reference, args);
        let mut got = self.tool(sub, args);
        if args[0] == "info" {
            want.stdout = mask_cur_row(&want.out()).into_bytes();
            got.stdout = mask_cur_row(&got.out()).into_bytes();
        }
        self.checks.record(
            format!("rrdtool {} on {sub}/ vs on {reference}/", args.join(" ")),
            output_diff(&want, &got),
        );
    }
    fn files_agree(&mut self, what: &str, a: &Path, b: &Path) {
        let (x, y) = (std::fs::read(a), std::fs::read(b));
        let diff = match (x, y) {
            (Ok(x), Ok(y)) => rrd_file_diff(&x, &y),
            (x, y) => Some(format!("reading: {:?} / {:?}", x.err(), y.err())),
        };
        self.checks.record(what, diff);
    }
    fn expect_ok(&mut self, what: &str, o: &Output) -> bool {
        if o.status != 0 {
            self.checks.problems.push(format!("{what} failed: {o}"));
        }
        o.status == 0
    }

    fn go(&mut self) {
        let def = self.def;
        let f = format!("d{}.rrd", def.seed);
        let x = format!("d{}.xml", def.seed);
        let a = |s: &[&str]| argv(s);
        self.tally.definitions += 1;

        // a: rrdtool's file
        let made = self.tool("a", &def.create_args(&f));
        if !self.expect_ok("rrdtool create (a generator bug?)", &made) {
            return;
        }
        self.tally.files += 1;
        // b: ours, from the same arguments
        let ours = self.ours("b", &def.create_args(&f));
        if def.supported {
            self.checks.record("rrd create", output_diff(&made, &ours));
            if ours.status == 0 {
                self.tally.files += 1;
                self.files_agree(
                    "created files",
                    &self.d("a").join(&f),
                    &self.d("b").join(&f),
                );
                for cmd in [
                    &["info", &f][..],
                    &["dump", &f],
                    &["last", &f],
                    &["lastupdate", &f],
                ] {
                    self.tool_reads_like("a", "b", &a(cmd));
                }
            }
        } else {
            self.tally.refusals += 1;
            if ours.status != 1 || !ours.err().contains("not supported yet") {
                self.checks
                    .problems
                    .push(format!("rrd create should refuse this definition: {ours}"));
            }
        }

        // the same updates for both files
        let last = self.tool("a", &a(&["last", &f]));
        let Ok(last) = last.out().trim().parse::<i64>() else {
            self.checks.problems.push(format!("rrdtool last: {last}"));
            return;
        };
        let ups = updates(&mut Rng::new(def.seed ^ 0x5eed), def, last);
        if !ups.is_empty() {
            let mut u = a(&["update", &f]);
            u.extend(ups.iter().cloned());
            let done = self.tool("a", &u);
            if !self.expect_ok("rrdtool update of a (a generator bug?)", &done) {
                return;
            }
            if def.supported && ours.status == 0 {
                let done_b = self.tool("b", &u);
                self.checks
                    .record("rrdtool update of our file", output_diff(&done, &done_b));
            }
        }

        // a: we read its file
        let header = a(&[
            "dump",
            &f,
            *Rng::new(def.seed ^ 0xd0).pick(&[
                "--header=xsd",
                "-hnone",
                "-n",
                "--no-header",
                "-hdtd",
            ]),
        ]);
        let mut cmds = vec![
            a(&["info", &f]),
            a(&["dump", &f]),
            header,
            a(&["last", &f]),
            a(&["lastupdate", &f]),
            a(&["first", &f]),
        ];
        for i in 0..=def.rra_count {
            cmds.push(a(&["first", "--rraindex", &i.to_string(), &f]));
        }
        for c in &cmds {
            let o = self.same("a", c);
            if c[0] == "info" {
                let v = o.out().lines().find_map(|l| {
                    l.strip_prefix("rrd_version = ")
                        .map(|v| v.trim_matches('"').to_string())
                });
                *self
                    .tally
                    .versions
                    .entry(v.unwrap_or_default())
                    .or_default() += 1;
            }
        }
        // b after the updates: it reads ours
        if def.supported && ours.status == 0 && !def.hw {
            for c in [&["info", &f][..], &["dump", &f], &["lastupdate", &f]] {
                self.tool_reads_like("a", "b", &a(c));
            }
        }

        // c, d: rrdtool's dump restored by ours (c) and by rrdtool (d)
        let xml_c = format!("../c/{x}");
        let dumped = self.tool("a", &a(&["dump", &f, &xml_c]));
        if !self.expect_ok("rrdtool dump to a file", &dumped) {
            return;
        }
        std::fs::copy(self.d("c").join(&x), self.d("d").join(&x)).unwrap();
        let theirs = self.tool("d", &a(&["restore", &x, &f]));
        let ours_r = self.ours("c", &a(&["restore", &x, &f]));
        self.checks.record(
            "rrd restore of rrdtool's dump",
            output_diff(&theirs, &ours_r),
        );
        if theirs.status == 0 && ours_r.status == 0 {
            self.tally.files += 2;
            let truncated_by_rrdtool = def.long_failure_window();
            if !truncated_by_rrdtool {
                self.files_agree(
                    "restored files",
                    &self.d("d").join(&f),
                    &self.d("c").join(&f),
                );
            }
            // a dump does not keep everything (it prints -0 as 0), so the
            // reference for the restored file is rrdtool's own restore
            for c in [
                &["info", &f][..],
                &["dump", &f],
                &["lastupdate", &f],
                &["last", &f],
            ] {
                if !truncated_by_rrdtool || c[0].starts_with("last") {
                    self.tool_reads_like("d", "c", &a(c));
                }
                self.same("c", &a(c));
            }
            // dump -> restore -> dump gives the first dump back
            self.tool_reads_like("a", "c", &a(&["dump", &f]));
        }

        // e: our dump (to a file) restored by rrdtool
        let xml_e = format!("../e/{x}");
        let ours_d = self.ours("a", &a(&["dump", &f, &xml_e]));
        if self.expect_ok("rrd dump to a file", &ours_d) {
            let (p, q) = (self.d("c").join(&x), self.d("e").join(&x));
            let diff = crate::support::text_diff(
                &std::fs::read(p).unwrap(),
                &std::fs::read(q).unwrap_or_default(),
            );
            self.checks.record("rrd dump to a file vs rrdtool's", diff);
            let back = self.tool("e", &a(&["restore", &x, &f]));
            if self.expect_ok("rrdtool restore of our dump", &back) {
                self.tally.files += 1;
                for c in [&["info", &f][..], &["dump", &f], &["lastupdate", &f]] {
                    self.tool_reads_like("d", "e", &a(c));
                }
                self.same("e", &a(&["dump", &f]));
            }
        }

        if self.checks.problems.is_empty() {
            for sub in ["a", "b", "c", "d", "e"] {
                let _ = std::fs::remove_file(self.d(sub).join(&f));
                let _ = std::fs::remove_file(self.d(sub).join(&x));
            }
        }
    }
}

fn report(def: &Def, problems: &[String]) -> String {
    let mut s = format!(
        "seed {} (TZ={}): rrdtool {}\n",
        def.seed,
        def.tz,
        def.create_args(&format!("d{}.rrd", def.seed)).join(" ")
    );
    for p in problems.iter().take(6) {
        for l in p.lines() {
            let _ = writeln!(s, "    {l}");
        }
    }
    if problems.len() > 6 {
        let _ = writeln!(s, "    ... and {} more", problems.len() - 6);
    }
    let _ = writeln!(
        s,
        "    reproduce: RRD_DIFF_SEED={} cargo test -p rrd-cli random_definitions",
        def.seed
    );
    s
}

#[test]
fn generator_is_deterministic_and_varied() {
    let a: Vec<Vec<String>> = (0..50).map(|s| definition(s).create).collect();
    let b: Vec<Vec<String>> = (0..50).map(|s| definition(s).create).collect();
    assert_eq!(a, b);
    let all = (1..=DEFAULT_COUNT)
        .map(|s| definition(s).create.join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    for word in [
        ":GAUGE:",
        ":COUNTER:",
        ":DERIVE:",
        ":ABSOLUTE:",
        ":DCOUNTER:",
        ":DDERIVE:",
        ":COMPUTE:",
        "RRA:AVERAGE:",
        "RRA:MIN:",
        "RRA:MAX:",
        "RRA:LAST:",
        "RRA:HWPREDICT:",
        "RRA:MHWPREDICT:",
        "RRA:SEASONAL:",
        "RRA:DEVSEASONAL:",
        "RRA:DEVPREDICT:",
        "RRA:FAILURES:",
        "--start ",
        "--start=",
        "-b ",
        "--step ",
        "--step=",
        "-s ",
        "smoothing-window=",
        "noon",
    ] {
        assert!(all.contains(word), "no definition uses {word:?}");
    }
    let n = DEFAULT_COUNT as usize;
    let hw = (1..=DEFAULT_COUNT).filter(|&s| definition(s).hw).count();
    assert!(
        (n / 8..n * 7 / 8).contains(&hw),
        "{hw} of {n} definitions have Holt-Winters archives"
    );
}

#[test]
fn random_definitions() {
    if !have_rrdtool() {
        return;
    }
    let seeds = seeds("RRD_DIFF_SEED", "RRD_DIFF_COUNT", FIRST_SEED, DEFAULT_COUNT);
    let total = Mutex::new(Tally::default());
    // the files of the failing definitions are left in a..e
    on_workers(
        &seeds,
        "differential",
        &["a", "b", "c", "d", "e"],
        "differential",
        |_| HashMap::new(),
        |pipes, dir, seed| {
            let def = definition(seed);
            let mut run = Run {
                dir,
                pipes,
                def: &def,
                tally: Tally::default(),
                checks: Checks::default(),
            };
            run.go();
            let Run { tally, checks, .. } = run;
            let Checks {
                comparisons,
                problems,
            } = checks;
            let mut t = total.lock().unwrap();
            t.definitions += tally.definitions;
            t.files += tally.files;
            t.comparisons += comparisons;
            t.refusals += tally.refusals;
            for (v, n) in tally.versions {
                *t.versions.entry(v).or_default() += n;
            }
            if problems.is_empty() {
                return false;
            }
            t.disagreements += problems.len() as u64;
            t.reports.push((seed, report(&def, &problems)));
            true
        },
    );
    let mut t = total.into_inner().unwrap();
    t.reports.sort();
    let reports: Vec<&str> = t.reports.iter().map(|(_, r)| r.as_str()).collect();
    let verdict = if t.disagreements == 0 {
        "all agreed".to_string()
    } else {
        format!(
            "{} disagreements in {} definitions",
            t.disagreements,
            t.reports.len()
        )
    };
    let versions: Vec<String> = t
        .versions
        .iter()
        .map(|(v, n)| format!("{v}: {n}"))
        .collect();
    note(&format!(
        "differential (random definitions): {} definitions (versions {}), {} files, {} comparisons, {} refusals by our create checked, {verdict}",
        t.definitions,
        versions.join(", "),
        t.files,
        t.comparisons,
        t.refusals
    ));
    write_report("RRD_DIFF_REPORT", &reports);
    assert!(
        t.reports.is_empty(),
        "{verdict}; first ones:\n{}",
        reports[..reports.len().min(15)].join("\n")
    );
}
