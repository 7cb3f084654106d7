//! `rrd-bench`: runs one workload of `rrd_benches` and prints its rate, for
//! side-by-side runs against `benches/librrd/bench.c` (see
//! `benches/compare.sh`). Every run prints what it did, then the rate as a
//! bare number on its last line.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rrd_benches::{
    collectd_create, collectd_round, create_w, day_request, fetch_once, fill_w, update_run, w_time,
    Backend, UpdateMode, DAY,
};

const USAGE: &str = "usage:
  rrd-bench update --mode open|reopen|batch --n N [--storage file|mmap] FILE
      create FILE with workload W, run updates 1..=N, print updates/s
  rrd-bench fetch --n N [--handle each|keep] FILE
      fetch AVERAGE -s 1000086400-1d -e 1000086400 (open, fetch, close) N times, or
      N times on one handle opened before (keep); FILE is prepared with W and 86400
      updates when it does not exist; print fetches/s
  rrd-bench xport --n N -- ARGS...
      run `rrd xport ARGS...` (rrdtool's xport command line) N times in-process, the
      output going to a buffer; print milliseconds per xport
  rrd-bench graph --n N -- OUT ARGS...
      render `rrd graph OUT ARGS...` (rrdtool's graph command line) N times in-process;
      print milliseconds per graph
  rrd-bench shape --n N FILE -- DEFS...
      create FILE from rrdtool's DS:/RRA: definitions (step 1, start 1000000000), then N
      updates on one open handle, data source k of update i getting (i + k) % 100;
      print updates/s (the growth curves of benches/curves.sh)
  rrd-bench window --rows K --n N FILE
      fetch AVERAGE -s LAST-K -e LAST (open, fetch, close) N times on a file made by
      `big`; print fetches/s
  rrd-bench big --rows N FILE
      create FILE (step 1, one GAUGE, one AVERAGE archive of N rows) and fill every row;
      for xports of long series
  rrd-bench pngdiff A.png B.png
      compare two PNGs pixel by pixel (RGBA as stored); print \"W H DIFFER_PCT OVER32_PCT\":
      the share of pixels that differ at all and by more than 32 levels in a channel
  rrd-bench openmem --files F DIR
      create F collectd-style files in DIR, then hold all of them open read-write at
      once; print the growth of resident memory divided by F (bytes per open file)
  rrd-bench collectd --files F --rounds R DIR
      create F files (W's definitions, step 10) in DIR, sync, then R rounds that each open,
      update once and close every file; print updates/s";

/// A PNG's pixels as RGBA.
fn rgba(path: &str) -> Result<(u32, u32, Vec<u8>)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {path}"))?;
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut reader = dec.read_info().with_context(|| format!("reading {path}"))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .with_context(|| format!("decoding {path}"))?;
    buf.truncate(info.buffer_size());
    let px = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|c| [c[0], c[1], c[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks(2)
            .flat_map(|c| [c[0], c[0], c[0], c[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => bail!("{path}: palette not expanded"),
    };
    if info.bit_depth != png::BitDepth::Eight {
        bail!("{path}: {:?}-bit channels", info.bit_depth);
    }
    Ok((info.width, info.height, px))
}

fn cmd_pngdiff(argv: &[String]) -> Result<()> {
    let [a, b] = argv else {
        return Err(usage("pngdiff needs two PNG files"));
    };
    let (wa, ha, pa) = rgba(a)?;
    let (wb, hb, pb) = rgba(b)?;
    if (wa, ha) != (wb, hb) {
        bail!("sizes differ: {wa}x{ha} and {wb}x{hb}");
    }
    let (mut differ, mut over) = (0u64, 0u64);
    for (p, q) in pa.chunks(4).zip(pb.chunks(4)) {
        if p != q {
            differ += 1;
            if p.iter().zip(q).any(|(x, y)| x.abs_diff(*y) > 32) {
                over += 1;
            }
        }
    }
    let n = f64::from(wa) * f64::from(ha);
    println!(
        "{wa} {ha} {:.2} {:.2}",
        100.0 * differ as f64 / n,
        100.0 * over as f64 / n
    );
    Ok(())
}

/// A command line error: printed with the usage, exit status 1.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// The options (`--name value` or `--name=value`) and the one positional
/// argument of a subcommand.
struct Args {
    opts: Vec<(String, String)>,
    positional: Vec<String>,
}

impl Args {
    fn parse(argv: &[String], known: &[&str]) -> Result<Args> {
        let mut opts = Vec::new();
        let mut positional = Vec::new();
        let mut it = argv.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                let (name, value) = match name.split_once('=') {
                    Some((n, v)) => (n.to_string(), v.to_string()),
                    None => {
                        let v = it
                            .next()
                            .ok_or_else(|| usage(format!("--{name} needs a value")))?;
                        (name.to_string(), v.clone())
                    }
                };
                if !known.contains(&name.as_str()) {
                    return Err(usage(format!("unknown option --{name}")));
                }
                opts.push((name, value));
            } else {
                positional.push(a.clone());
            }
        }
        Ok(Args { opts, positional })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn count(&self, name: &str) -> Result<u64> {
        let v = self
            .get(name)
            .ok_or_else(|| usage(format!("--{name} is required")))?;
        match v.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(usage(format!(
                "--{name} wants a positive integer, not '{v}'"
            ))),
        }
    }

    fn path(&self) -> Result<PathBuf> {
        match self.positional.as_slice() {
            [p] => Ok(PathBuf::from(p)),
            [] => Err(usage("a path is required")),
            _ => Err(usage(format!(
                "one path expected, got {}",
                self.positional.len()
            ))),
        }
    }
}

/// Prints what was measured, then `count / secs` as a bare number on the
/// last line (an error, not a panic, when stdout is gone).
fn report(what: std::fmt::Arguments<'_>, count: u64, secs: f64) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{what}")?;
    writeln!(out, "{:.0}", count as f64 / secs.max(1e-9))?;
    out.flush()?;
    Ok(())
}

fn cmd_update(argv: &[String]) -> Result<()> {
    let a = Args::parse(argv, &["mode", "n", "storage"])?;
    let mode = a.get("mode").ok_or_else(|| usage("--mode is required"))?;
    let mode = UpdateMode::parse(mode)
        .ok_or_else(|| usage(format!("--mode wants open, reopen or batch, not '{mode}'")))?;
    let backend = match a.get("storage") {
        None => Backend::File,
        Some(s) => Backend::parse(s)
            .ok_or_else(|| usage(format!("--storage wants file or mmap, not '{s}'")))?,
    };
    let n = a.count("n")?;
    let path = a.path()?;
    create_w(&path)?;
    let t0 = Instant::now();
    update_run(&path, mode, backend, n)?;
    let secs = t0.elapsed().as_secs_f64();
    report(
        format_args!(
            "rrd-core update --mode {} --storage {}: {n} updates in {secs:.4} s",
            mode.name(),
            backend.name()
        ),
        n,
        secs,
    )
}

fn cmd_fetch(argv: &[String]) -> Result<()> {
    let a = Args::parse(argv, &["n", "handle"])?;
    let n = a.count("n")?;
    let keep = match a.get("handle") {
        None | Some("each") => false,
        Some("keep") => true,
        Some(h) => return Err(usage(format!("--handle wants each or keep, not '{h}'"))),
    };
    let path = a.path()?;
    let end = w_time(DAY as u64);
    if !path.exists() {
        fill_w(&path, DAY as u64)?;
        writeln!(
            std::io::stdout(),
            "prepared {} with workload W, {DAY} updates",
            path.display()
        )?;
    }
    let req = day_request(end);
    let first = fetch_once(&path, &req)?;
    if first.rows != 1441 {
        bail!(
            "{}: the day's fetch gave {} rows, not 1441: is it a file of workload W last updated at {end}?",
            path.display(),
            first.rows
        );
    }
    let t0 = Instant::now();
    let mut rows = 0;
    if keep {
        let rrd = rrd_core::Rrd::open(&path, rrd_core::OpenMode::ReadOnly)
            .with_context(|| format!("opening {}", path.display()))?;
        for _ in 0..n {
            rows += std::hint::black_box(rrd.fetch(&req)?).rows;
        }
    } else {
        for _ in 0..n {
            rows += std::hint::black_box(fetch_once(&path, &req)?).rows;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    report(
        format_args!(
            "rrd-core fetch AVERAGE -s {} -e {end}{}: {n} fetches of {} rows in {secs:.4} s",
            end - DAY,
            if keep { " on one open handle" } else { "" },
            rows as u64 / n
        ),
        n,
        secs,
    )
}

fn cmd_collectd(argv: &[String]) -> Result<()> {
    let a = Args::parse(argv, &["files", "rounds"])?;
    let files = usize::try_from(a.count("files")?).context("--files")?;
    let rounds = a.count("rounds")?;
    let dir = a.path()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    collectd_create(&dir, files)?;
    let t0 = Instant::now();
    for r in 1..=rounds {
        collectd_round(&dir, files, r)?;
    }
    let secs = t0.elapsed().as_secs_f64();
    let n = files as u64 * rounds;
    report(
        format_args!(
            "rrd-core collectd: {files} files x {rounds} rounds = {n} updates in {secs:.4} s"
        ),
        n,
        secs,
    )
}

fn cmd_xport(argv: &[String]) -> Result<()> {
    let (n, args) = match argv {
        [flag, n, dashes, args @ ..] if flag == "--n" && dashes == "--" => (n, args),
        _ => return Err(usage("xport needs --n N -- ARGS...")),
    };
    let n: u64 = n
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| usage("--n needs a positive count"))?;
    // as librrd's rrd_xport does: parse, fetch, compute and render each time
    let once = || -> Result<String> {
        let req = rrd_graph::XportRequest::parse(args, &rrd_graph::Env::system())
            .map_err(|e| anyhow::anyhow!("xport: {e}"))?;
        req.render(&mut rrd_graph::Files)
            .map_err(|e| anyhow::anyhow!("xport: {e}"))
    };
    let bytes = once()?.len();
    let t0 = Instant::now();
    for _ in 0..n {
        std::hint::black_box(once()?);
    }
    let secs = t0.elapsed().as_secs_f64();
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "rrd xport: {n} runs of {bytes} bytes in {secs:.4} s"
    )?;
    writeln!(stdout, "{:.4}", secs * 1000.0 / n as f64)?;
    Ok(())
}

fn cmd_graph(argv: &[String]) -> Result<()> {
    let (n, args) = match argv {
        [flag, n, dashes, args @ ..] if flag == "--n" && dashes == "--" && !args.is_empty() => {
            (n, args)
        }
        _ => return Err(usage("graph needs --n N -- OUT ARGS...")),
    };
    let n: u64 = n
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| usage("--n needs a positive count"))?;
    // as librrd's rrd_graph_v does: parse, fetch, draw and write the file
    let once = || -> Result<()> {
        let req = rrd_graph::GraphRequest::parse(args, &rrd_graph::Env::system())
            .map_err(|e| anyhow::anyhow!("graph: {e}"))?;
        let r = req
            .render(&mut rrd_graph::Files, None)
            .map_err(|e| anyhow::anyhow!("graph: {e}"))?;
        if let Some(bytes) = &r.output {
            std::fs::write(req.output(), bytes)?;
        }
        Ok(())
    };
    once()?;
    let t0 = Instant::now();
    for _ in 0..n {
        once()?;
    }
    let secs = t0.elapsed().as_secs_f64();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "rrd graph: {n} graphs in {secs:.4} s")?;
    writeln!(stdout, "{:.4}", secs * 1000.0 / n as f64)?;
    Ok(())
}

fn cmd_shape(argv: &[String]) -> Result<()> {
    let Some(sep) = argv.iter().position(|a| a == "--") else {
        return Err(usage("shape wants -- before the definitions"));
    };
    let a = Args::parse(&argv[..sep], &["n"])?;
    let n = a.count("n")?;
    let path = a.path()?;
    let defs: Vec<&str> = argv[sep + 1..].iter().map(String::as_str).collect();
    rrd_benches::shape_create(&path, &defs)?;
    let t0 = Instant::now();
    let d = rrd_benches::shape_update(&path, n)?;
    let secs = t0.elapsed().as_secs_f64();
    let rras = defs.iter().filter(|d| d.starts_with("RRA:")).count();
    report(
        format_args!(
            "rrd-core update, one open handle, {d} DS, {rras} RRA: {n} updates in {secs:.4} s"
        ),
        n,
        secs,
    )
}

fn cmd_window(argv: &[String]) -> Result<()> {
    let a = Args::parse(argv, &["n", "rows"])?;
    let n = a.count("n")?;
    let want = a.count("rows")?;
    let path = a.path()?;
    let last = rrd_core::Rrd::open(&path, rrd_core::OpenMode::ReadOnly)
        .with_context(|| format!("opening {}", path.display()))?
        .header()
        .last_up;
    let req = rrd_benches::window_request(last, want);
    let first = fetch_once(&path, &req)?;
    if first.rows as u64 != want + 1 {
        bail!(
            "{}: the fetch gave {} rows, not {}: is it a file of `rrd-bench big` with at least {want} rows?",
            path.display(),
            first.rows,
            want + 1
        );
    }
    let t0 = Instant::now();
    for _ in 0..n {
        std::hint::black_box(fetch_once(&path, &req)?);
    }
    let secs = t0.elapsed().as_secs_f64();
    report(
        format_args!(
            "rrd-core fetch AVERAGE -s {} -e {last}: {n} fetches of {} rows in {secs:.4} s",
            req.start, first.rows
        ),
        n,
        secs,
    )
}

/// Resident memory of this process, bytes (`VmRSS` of /proc/self/status).
fn rss_bytes() -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .context("no VmRSS in /proc/self/status")
}

fn cmd_openmem(argv: &[String]) -> Result<()> {
    let a = Args::parse(argv, &["files"])?;
    let files = usize::try_from(a.count("files")?).context("--files")?;
    let dir = a.path()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    collectd_create(&dir, files)?;
    let mut handles = Vec::with_capacity(files);
    let before = rss_bytes()?;
    for k in 0..files {
        let p = rrd_benches::collectd_path(&dir, k);
        handles.push(
            rrd_core::Rrd::open(&p, rrd_core::OpenMode::ReadWrite).with_context(|| {
                format!(
                    "opening {} (is the limit of open files high enough?)",
                    p.display()
                )
            })?,
        );
    }
    let after = rss_bytes()?;
    let per = after.saturating_sub(before) / files as u64;
    drop(handles);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "rrd-core: {files} files open read-write at once: resident memory {before} -> {after} bytes"
    )?;
    writeln!(out, "{per}")?;
    Ok(())
}

fn cmd_big(argv: &[String]) -> Result<()> {
    let a = Args::parse(argv, &["rows"])?;
    let rows = a.count("rows")?;
    let path = a.path()?;
    rrd_benches::create_big(&path, rows)?;
    writeln!(
        std::io::stdout(),
        "created {} with {rows} rows",
        path.display()
    )?;
    Ok(())
}

fn run(argv: &[String]) -> Result<()> {
    match argv.split_first() {
        Some((cmd, rest)) => match cmd.as_str() {
            "update" => cmd_update(rest),
            "fetch" => cmd_fetch(rest),
            "collectd" => cmd_collectd(rest),
            "xport" => cmd_xport(rest),
            "big" => cmd_big(rest),
            "shape" => cmd_shape(rest),
            "window" => cmd_window(rest),
            "openmem" => cmd_openmem(rest),
            "graph" => cmd_graph(rest),
            "pngdiff" => cmd_pngdiff(rest),
            "-h" | "--help" | "help" => {
                writeln!(std::io::stdout(), "{USAGE}")?;
                Ok(())
            }
            other => Err(usage(format!("unknown subcommand '{other}'"))),
        },
        None => Err(usage("a subcommand is required")),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match run(&argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<UsageError>() => {
            eprintln!("rrd-bench: {e}\n{USAGE}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("rrd-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
