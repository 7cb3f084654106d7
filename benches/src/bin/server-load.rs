//! A load generator for rrd-server on loopback, bounded in count and time
//! (benches/server.sh runs it).
//!
//! ```text
//! server-load ingest ADDR TOKEN FILES POINTS PER_REQUEST CONCURRENCY [FIRST_POINT]
//! server-load get ADDR PATH COOKIE CONCURRENCY SECONDS
//! server-load procs CONCURRENCY SECONDS -- CMD ARGS...
//! ```
//!
//! `ingest` posts POINTS five-minute points to each of FILES series, in
//! requests of PER_REQUEST records over CONCURRENCY keep-alive connections
//! (each connection owns a share of the files, so each file's points arrive
//! in order), then asks the server to write what its write-behind queue
//! holds (`POST /api/ingest/flush`); the rate counts until every record is
//! in its file, and the run fails unless all were written. `get` requests
//! PATH for SECONDS and reports rate and latency percentiles, failing on
//! anything but 200 (`{n}` in PATH counts the requests). `procs` runs a command over and over in CONCURRENCY
//! workers (the original's design: one `rrdtool graph` process per request).
//! Each prints its rate as its last line.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One keep-alive connection.
struct Conn {
    r: BufReader<TcpStream>,
}

impl Conn {
    async fn open(addr: &str) -> anyhow::Result<Conn> {
        let s = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        s.set_nodelay(true)?;
        Ok(Conn {
            r: BufReader::new(s),
        })
    }

    /// Sends a request and reads the whole response: (status, body).
    async fn request(&mut self, head: &str, body: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
        let s = self.r.get_mut();
        s.write_all(head.as_bytes()).await?;
        s.write_all(body).await?;
        let mut line = String::new();
        self.r.read_line(&mut line).await?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .context("no status line")?;
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse()?;
                }
            }
        }
        let mut buf = vec![0; len];
        self.r.read_exact(&mut buf).await?;
        Ok((status, buf))
    }
}

async fn ingest(args: &[String]) -> anyhow::Result<()> {
    let (addr, token, files, points, per, conc, skip) = match args {
        [a, t, f, p, r, c] => (a, t, f, p, r, c, "0"),
        [a, t, f, p, r, c, s] => (a, t, f, p, r, c, s.as_str()),
        _ => bail!("ingest ADDR TOKEN FILES POINTS PER_REQUEST CONCURRENCY [FIRST_POINT]"),
    };
    let (files, points, per, conc): (usize, usize, usize, usize) =
        (files.parse()?, points.parse()?, per.parse()?, conc.parse()?);
    // FIRST_POINT: points already sent by an earlier run
    let t0: i64 = 1_700_000_000 + skip.parse::<i64>()? * 300;
    // the bodies, made before the clock starts
    let mut plans: Vec<Vec<String>> = vec![Vec::new(); conc];
    for (c, plan) in plans.iter_mut().enumerate() {
        let mine: Vec<usize> = (c..files).step_by(conc).collect();
        let mut body = String::new();
        let mut n = 0;
        for p in 0..points {
            let ts = jiff::Timestamp::from_second(t0 + p as i64 * 300)?
                .strftime("%Y-%m-%dT%H:%M:%S")
                .to_string();
            for f in &mine {
                body.push_str(&format!(
                    "{{\"timestamp\":\"{ts}\",\"name\":\"//host{:03}.example.com/check{}#metric{}\",\"value\":{}}}\n",
                    f / 100,
                    (f / 10) % 10,
                    f % 10,
                    (p * 7 + f) % 1000
                ));
                n += 1;
                if n == per {
                    plan.push(std::mem::take(&mut body));
                    n = 0;
                }
            }
        }
        if !body.is_empty() {
            plan.push(body);
        }
    }
    let total: usize = files * points;
    let bytes: usize = plans.iter().flatten().map(String::len).sum();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for plan in plans {
        let (addr, token) = (addr.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await?;
            let mut written = 0u64;
            for body in plan {
                let head = format!(
                    "POST /api/ingest HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let (status, answer) = conn.request(&head, body.as_bytes()).await?;
                if status != 200 {
                    bail!("ingestion answered {status}: {}", String::from_utf8_lossy(&answer));
                }
                let j: serde_json::Value = serde_json::from_slice(&answer)?;
                written += j["written"].as_u64().unwrap_or(0);
            }
            anyhow::Ok(written)
        }));
    }
    let mut written = 0;
    for t in tasks {
        written += t.await??;
    }
    let acked = start.elapsed().as_secs_f64();
    if written as usize != total {
        bail!("{written} of {total} records written");
    }
    // the clock stops when every record is in its file, not when the
    // write-behind queue has them: POST /api/ingest/flush writes the rest
    let mut conn = Conn::open(addr).await?;
    let head = format!(
        "POST /api/ingest/flush HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n"
    );
    let (status, answer) = conn.request(&head, b"").await?;
    let secs = start.elapsed().as_secs_f64();
    if status != 200 {
        bail!(
            "flush answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    let st: serde_json::Value = serde_json::from_slice(&answer)?;
    if st["pending"] != 0 || st["dropped"] != 0 {
        bail!("after the flush: {st}");
    }
    println!(
        "ingest: {total} records into {files} files ({points} points each), {per} per request, {conc} connections, {:.1} MB: all acknowledged in {acked:.2} s, all in their files in {secs:.2} s ({} flush cycles so far)",
        bytes as f64 / 1e6,
        st["cycles"]
    );
    println!("{:.0}", total as f64 / secs);
    Ok(())
}

async fn get(args: &[String]) -> anyhow::Result<()> {
    let [addr, path, cookie, conc, secs] = args else {
        bail!("get ADDR PATH COOKIE CONCURRENCY SECONDS")
    };
    let (conc, secs): (usize, f64) = (conc.parse()?, secs.parse()?);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    // `{n}` in PATH becomes a request counter, so that every request asks
    // for a different chart (no cache can answer it)
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..conc {
        let (addr, path, cookie, counter) =
            (addr.clone(), path.clone(), cookie.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await?;
            let mut lat = Vec::new();
            let mut bytes = 0usize;
            let mut shed = 0usize;
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let p = path.replace("{n}", &n.to_string());
                let head = format!("GET {p} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n");
                let t = Instant::now();
                let (status, body) = conn.request(&head, b"").await?;
                if status == 503 {
                    // the server's bounded queue is full: it says so at once
                    shed += 1;
                    continue;
                }
                if status != 200 {
                    bail!(
                        "GET answered {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    );
                }
                lat.push(t.elapsed());
                bytes = body.len();
            }
            anyhow::Ok((lat, bytes, shed))
        }));
    }
    let mut lat = Vec::new();
    let mut size = 0;
    let mut shed = 0;
    for t in tasks {
        let (l, b, s) = t.await??;
        lat.extend(l);
        size = b;
        shed += s;
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1e3)
            .unwrap_or(0.0)
    };
    println!(
        "get: {} responses of {size} bytes ({shed} answered 503) over {conc} connections in {secs:.1} s; latency ms p50 {:.1} p90 {:.1} p99 {:.1}",
        lat.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );
    println!("{:.1}", lat.len() as f64 / secs);
    Ok(())
}

fn procs(args: &[String]) -> anyhow::Result<()> {
    let (conc, secs, cmd) = match args {
        [c, s, dash, cmd @ ..] if dash == "--" && !cmd.is_empty() => {
            (c.parse::<usize>()?, s.parse::<f64>()?, cmd.to_vec())
        }
        _ => bail!("procs CONCURRENCY SECONDS -- CMD ARGS..."),
    };
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let workers: Vec<_> = (0..conc)
        .map(|_| {
            let cmd = cmd.clone();
            std::thread::spawn(move || -> anyhow::Result<usize> {
                let mut n = 0;
                while Instant::now() < deadline {
                    let st = std::process::Command::new(&cmd[0])
                        .args(&cmd[1..])
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null())
                        .status()?;
                    if !st.success() {
                        bail!("{cmd:?} failed");
                    }
                    n += 1;
                }
                Ok(n)
            })
        })
        .collect();
    let mut n = 0;
    for w in workers {
        n += w.join().map_err(|_| anyhow::anyhow!("worker panicked"))??;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "procs: {n} runs of {} in {conc} workers in {secs:.1} s",
        cmd[0]
    );
    println!("{:.1}", n as f64 / secs);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    match args.first().map(String::as_str) {
        Some("ingest") => rt.block_on(ingest(&args[1..])),
        Some("get") => rt.block_on(get(&args[1..])),
        Some("procs") => procs(&args[1..]),
        _ => bail!("usage: server-load ingest|get|procs ..."),
    }
}
