//! The load of benches/cached.sh: many files, several clients, one
//! rrdcached-protocol daemon (C rrdcached or rrd-cached).
//!
//! ```text
//! cached-load prepare DIR FILES TEMPLATE.rrd     copies TEMPLATE to DIR/f<i>.rrd
//! cached-load run SOCK FILES CLIENTS ROUNDS MODE START
//! ```
//!
//! `run` sends, in each round, one update to every file (`START + 60*round`),
//! the files split among CLIENTS connections, and prints one line per round:
//! `round R: N updates in S s = U updates/s`. MODE is how clients send:
//! `batch` (BATCH of 1,000 updates, one reply at the end), `pipe` (1,000
//! UPDATE lines written, then their 1,000 replies read) or `each` (one
//! UPDATE, its reply, the next). It then asks for everything to be written
//! (FLUSHALL) and waits until the daemon reports every value written
//! (`DataSetsWritten` in STATS): `flush: N values in S s`.
//!
//! `cached-load null SOCK` serves SOCK as a daemon that does nothing: every
//! line gets `0 errors, enqueued 1 value(s).` (BATCH and STATS their usual
//! shapes), one thread per connection. Run against it, the client modes
//! show how fast the clients themselves can go on this machine: the ceiling
//! of any daemon.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Updates a client sends between reading replies.
const CHUNK: usize = 1000;

struct Conn {
    r: BufReader<UnixStream>,
    w: UnixStream,
}

impl Conn {
    fn open(sock: &str) -> Result<Conn> {
        let s = UnixStream::connect(sock).with_context(|| format!("connecting to {sock}"))?;
        Ok(Conn {
            w: s.try_clone()?,
            r: BufReader::new(s),
        })
    }

    /// The status line and the lines it announces.
    fn reply(&mut self) -> Result<(i64, Vec<String>)> {
        let mut status = String::new();
        if self.r.read_line(&mut status)? == 0 {
            bail!("the daemon closed the connection");
        }
        let n: i64 = status.split(' ').next().unwrap_or("").parse().unwrap_or(-1);
        let mut lines = Vec::new();
        for _ in 0..n.max(0) {
            let mut l = String::new();
            self.r.read_line(&mut l)?;
            lines.push(l);
        }
        if n < 0 {
            bail!("daemon error: {}", status.trim_end());
        }
        Ok((n, lines))
    }
}

fn prepare(dir: &str, files: usize, template: &str) -> Result<()> {
    let bytes = std::fs::read(template)?;
    std::fs::create_dir_all(dir)?;
    for i in 0..files {
        std::fs::write(format!("{dir}/f{i}.rrd"), &bytes)?;
    }
    Ok(())
}

/// One client's requests for a round, made before the clock starts: an
/// update to each of `mine`, in pieces of [`CHUNK`] (a BATCH each in the
/// batch mode, one line each in the each mode).
fn requests(mine: &[usize], ts: i64, mode: &str) -> Vec<(Vec<u8>, usize)> {
    let line = |f: usize, buf: &mut Vec<u8>| {
        buf.extend_from_slice(format!("UPDATE f{f}.rrd {ts}:{}\n", f % 977).as_bytes());
    };
    let size = if mode == "each" { 1 } else { CHUNK };
    mine.chunks(size)
        .map(|part| {
            let mut buf = Vec::new();
            if mode == "batch" {
                buf.extend_from_slice(b"BATCH\n");
            }
            for &f in part {
                line(f, &mut buf);
            }
            if mode == "batch" {
                buf.extend_from_slice(b".\n");
            }
            (buf, part.len())
        })
        .collect()
}

/// Sends a round's requests and reads their replies.
fn round(c: &mut Conn, reqs: &[(Vec<u8>, usize)], mode: &str) -> Result<()> {
    for (buf, n) in reqs {
        c.w.write_all(buf)?;
        match mode {
            "batch" => {
                c.reply()?; // go ahead
                let (errors, lines) = c.reply()?;
                if errors != 0 {
                    bail!("{errors} errors in a batch: {lines:?}");
                }
            }
            "pipe" | "each" => {
                for _ in 0..*n {
                    c.reply()?;
                }
            }
            other => bail!("unknown mode {other}"),
        }
    }
    Ok(())
}

fn stat(c: &mut Conn, key: &str) -> Result<u64> {
    c.w.write_all(b"STATS\n")?;
    let (_, lines) = c.reply()?;
    for l in lines {
        if let Some(v) = l.strip_prefix(key).and_then(|r| r.strip_prefix(": ")) {
            return Ok(v.trim().parse()?);
        }
    }
    bail!("no {key} in STATS")
}

fn run(args: &[String]) -> Result<()> {
    let [sock, files, clients, rounds, mode, start] = args else {
        bail!("run SOCK FILES CLIENTS ROUNDS MODE START");
    };
    let (files, clients, rounds): (usize, usize, usize) =
        (files.parse()?, clients.parse()?, rounds.parse()?);
    let start: i64 = start.parse()?;
    let mut ctl = Conn::open(sock)?;
    let written_before = stat(&mut ctl, "DataSetsWritten")?;
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::new();
    for k in 0..clients {
        let (sock, mode, barrier) = (sock.clone(), mode.clone(), barrier.clone());
        handles.push(std::thread::spawn(move || -> Result<()> {
            let mut c = Conn::open(&sock)?;
            let mine: Vec<usize> = (k..files).step_by(clients).collect();
            for r in 0..rounds {
                let reqs = requests(&mine, start + 60 * (r as i64 + 1), &mode);
                barrier.wait();
                round(&mut c, &reqs, &mode)?;
                barrier.wait();
            }
            Ok(())
        }));
    }
    for r in 0..rounds {
        // the clients have made their requests
        barrier.wait();
        let t = Instant::now();
        barrier.wait();
        let s = t.elapsed().as_secs_f64();
        println!(
            "round {}: {files} updates in {s:.3} s = {:.0} updates/s",
            r + 1,
            files as f64 / s
        );
    }
    for h in handles {
        h.join()
            .map_err(|_| anyhow::anyhow!("a client panicked"))??;
    }
    let total = (files * rounds) as u64;
    let t = Instant::now();
    ctl.w.write_all(b"FLUSHALL\n")?;
    ctl.reply()?;
    loop {
        let written = stat(&mut ctl, "DataSetsWritten")? - written_before;
        if written >= total {
            break;
        }
        if t.elapsed() > Duration::from_secs(3600) {
            bail!("only {written} of {total} values written after an hour");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "flush: {total} values to {files} files in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Updates the null daemon has answered (its `DataSetsWritten`).
static NULL_UPDATES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A daemon that only answers (see the module's documentation).
fn null_daemon(sock: &str) -> Result<()> {
    let _ = std::fs::remove_file(sock);
    let l = std::os::unix::net::UnixListener::bind(sock)?;
    for conn in l.incoming() {
        let conn = conn?;
        std::thread::spawn(move || -> Result<()> {
            let mut w = conn.try_clone()?;
            let mut r = BufReader::new(conn);
            let mut line = String::new();
            let mut batch = false;
            let mut out = Vec::new();
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                let cmd = line.trim_end();
                if cmd == "BATCH" {
                    batch = true;
                    out.extend_from_slice(b"0 Go ahead.  End with dot '.' on its own line.\n");
                } else if cmd == "." {
                    batch = false;
                    out.extend_from_slice(b"0 errors\n");
                } else if cmd == "STATS" {
                    let n = NULL_UPDATES.load(std::sync::atomic::Ordering::Relaxed);
                    out.extend_from_slice(
                        format!("1 Statistics follow\nDataSetsWritten: {n}\n").as_bytes(),
                    );
                } else if cmd == "FLUSHALL" {
                    out.extend_from_slice(b"0 Started flush.\n");
                } else {
                    NULL_UPDATES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if !batch {
                        out.extend_from_slice(b"0 errors, enqueued 1 value(s).\n");
                    }
                }
                // answer once the client has nothing more buffered
                if r.buffer().is_empty() && !out.is_empty() {
                    w.write_all(&out)?;
                    out.clear();
                }
            }
        });
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("prepare") => match &args[1..] {
            [dir, files, template] => prepare(dir, files.parse()?, template),
            _ => bail!("prepare DIR FILES TEMPLATE"),
        },
        Some("run") => run(&args[1..]),
        Some("null") => match &args[1..] {
            [sock] => null_daemon(sock),
            _ => bail!("null SOCK"),
        },
        _ => bail!("usage: cached-load prepare|run|null ..."),
    }
}
