//! `rrd-server --demo`: generated metrics fed through the real ingestion
//! endpoint over HTTP, and a few pages to look at.
//!
//! Seven hosts with six checks each follow daily cycles with noise, spikes
//! now and then, a host that is down two hours a day and one that stopped
//! reporting three days ago. Ten days of history go in first (five-minute
//! points), then a point per series every 20 seconds.
//!
//! Trace logs: seven app servers (two customers, port- and worker-style
//! instances) write a day of trace-log lines into date-named files as
//! syslog-ng would, then more every 20 seconds, for the server's
//! collector; the trace-log page shows a pool, its headroom, a comparison
//! and one worker.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::store::{PageStore, Params};

/// Hosts and their roles.
const HOSTS: &[(&str, f64)] = &[
    ("web1.example.com", 1.0),
    ("web2.example.com", 0.9),
    ("web3.example.com", 1.1),
    ("web4.example.com", 0.7),
    ("db1.example.com", 1.6),
    ("db2.example.com", 1.3),
    ("cache1.example.com", 0.5),
];

/// Checks: `(name as the collector sends it, base level, daily swing)`.
const CHECKS: &[(&str, f64, f64)] = &[
    ("cpu#user", 35.0, 0.6),
    ("cpu#system", 8.0, 0.4),
    ("load#load1", 1.5, 0.7),
    ("memory#used", 6.0e9, 0.1),
    ("disk#/var", 40.0, 0.02),
    ("http#requests", 120.0, 0.8),
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The value of a series at `t`, or `None` when its host is down.
fn value(host: usize, check: usize, t: i64, rng: &mut Rng, now: i64) -> Option<f64> {
    let (hname, scale) = HOSTS[host];
    // db2 is down from 03:00 to 05:00 UTC every day; web4 stopped three days ago
    if hname.starts_with("db2") && (3 * 3600..5 * 3600).contains(&t.rem_euclid(86_400)) {
        return None;
    }
    if hname.starts_with("web4") && t > now - 3 * 86_400 {
        return None;
    }
    let (_, base, swing) = CHECKS[check];
    let day = (t as f64 / 86_400.0 * std::f64::consts::TAU) - 1.9 + host as f64 * 0.15;
    let weekly = 1.0 + 0.1 * (t as f64 / (7.0 * 86_400.0) * std::f64::consts::TAU).sin();
    let mut v =
        base * scale * weekly * (1.0 + swing * day.sin()) * (1.0 + 0.08 * (rng.next() - 0.5));
    if rng.next() < 0.004 {
        v *= 2.5 + rng.next() * 2.0; // a spike
    }
    if check == 4 {
        // disk fills slowly and is cleaned up on Sundays
        v = base * scale + ((t.rem_euclid(7 * 86_400)) as f64 / 86_400.0) * 3.0;
    }
    Some(v.max(0.0))
}

fn record(host: usize, check: usize, t: i64, v: f64) -> String {
    let ts = jiff::Timestamp::from_second(t)
        .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default();
    serde_json::json!({
        "timestamp": ts,
        "name": format!("//{}/{}", HOSTS[host].0, CHECKS[check].0),
        "value": v,
    })
    .to_string()
}

/// POSTs JSON lines to `/api/ingest` over HTTP/1.1.
async fn post(addr: SocketAddr, token: &str, body: &str) -> anyhow::Result<()> {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .context("connecting to our own listener")?;
    let head = format!(
        "POST /api/ingest HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(body.as_bytes()).await?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    anyhow::ensure!(
        text.starts_with("HTTP/1.1 200"),
        "ingestion answered {}",
        text.lines().next().unwrap_or("")
    );
    Ok(())
}

/// Feeds the server at `addr`: `days` of history first, then, if `live`,
/// a point per series every 20 seconds, forever.
pub async fn generate(
    addr: SocketAddr,
    token: String,
    now: impl Fn() -> i64,
    days: i64,
    live: bool,
) -> anyhow::Result<()> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = now();
    let first = start - days * 86_400;
    // history, a day per request
    let mut t = first - first.rem_euclid(300);
    while t < start {
        let mut body = String::new();
        let stop = (t + 86_400).min(start);
        while t < stop {
            for h in 0..HOSTS.len() {
                for c in 0..CHECKS.len() {
                    if let Some(v) = value(h, c, t, &mut rng, start) {
                        body.push_str(&record(h, c, t, v));
                        body.push('\n');
                    }
                }
            }
            t += 300;
        }
        post(addr, &token, &body).await?;
    }
    if !live {
        return Ok(());
    }
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(20)).await;
        let t = now();
        let mut body = String::new();
        for h in 0..HOSTS.len() {
            for c in 0..CHECKS.len() {
                if let Some(v) = value(h, c, t, &mut rng, start) {
                    body.push_str(&record(h, c, t, v));
                    body.push('\n');
                }
            }
        }
        if let Err(e) = post(addr, &token, &body).await {
            eprintln!("rrd-server: demo generator: {e:#}");
        }
    }
}

fn chart(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The demo's pages: the dev user's `default` and `ops`, and a page of
/// another user (`alice`) to browse but not change.
pub fn pages(store: &dyn PageStore, dev: &str, source: &str) -> anyhow::Result<()> {
    // series names as ingestion makes them (`disk#/var` is `disk/var`)
    let s = |host: &str, check: &str| {
        let path = crate::ingest::name_to_path(&format!("//{host}/{check}")).unwrap_or_default();
        format!("{source}/{path}")
    };
    let webs: Vec<String> = (1..=4)
        .map(|k| s(&format!("web{k}.example.com"), "http#requests"))
        .collect();
    let loads: Vec<String> = HOSTS.iter().map(|(h, _)| s(h, "load#load1")).collect();
    let vn: Vec<String> = (0..webs.len()).map(|k| format!("w{k}")).collect();
    let total = format!("{}||total|{}||", webs.join("|"), vn.join("|"));
    let peak = format!(
        "{}||custom|{}||w0,w1,MAXNAN,w2,MAXNAN,w3,MAXNAN",
        webs.join("|"),
        vn.join("|")
    );
    let avg_load = format!("{}||average||", loads.join("|"));
    let charts = vec![
        chart(&[
            ("title", "CPU, web tier"),
            ("trail", "48"),
            ("data0", &s("web1.example.com", "cpu#user")),
            ("legend0", "web1 user"),
            ("color0", "0000ff"),
            ("data1", &s("web2.example.com", "cpu#user")),
            ("legend1", "web2 user"),
            ("color1", "ff0000"),
            ("data2", &s("web3.example.com", "cpu#user")),
            ("legend2", "web3 user"),
            ("color2", "2e8b57"),
            ("data3", &s("web1.example.com", "cpu#system")),
            ("legend3", "web1 system"),
            ("color3", "0000ff"),
            ("dash3", "y"),
        ]),
        chart(&[
            ("title", "Requests per second"),
            ("trail", "48"),
            ("data0", &total),
            ("legend0", "all web hosts"),
            ("color0", "800080"),
            ("thick0", "y"),
            ("data1", &peak),
            ("legend1", "busiest host"),
            ("color1", "ff8c00"),
        ]),
        chart(&[
            ("title", "Load average"),
            ("trail", "240"),
            ("data0", &avg_load),
            ("legend0", "mean of all hosts"),
            ("color0", "6495ed"),
            ("data1", &s("db2.example.com", "load#load1")),
            ("legend1", "db2 (down 03-05 UTC)"),
            ("color1", "dd0000"),
            ("data2", &s("web4.example.com", "load#load1")),
            ("legend2", "web4 (retired)"),
            ("color2", "999999"),
        ]),
        chart(&[
            ("title", "Disk /var, percent used"),
            ("trail", "240"),
            ("data0", &s("db1.example.com", "disk#/var")),
            ("legend0", "db1"),
            ("color0", "b8860b"),
            ("data1", &s("cache1.example.com", "disk#/var")),
            ("legend1", "cache1"),
            ("color1", "008b8b"),
        ]),
    ];
    let numbered = |cs: Vec<Params>| -> Vec<(String, i64, Params)> {
        cs.into_iter()
            .enumerate()
            .map(|(k, mut p)| {
                p.insert("generation".into(), "1".into());
                ((k + 1).to_string(), 1, p)
            })
            .collect()
    };
    store.replace_page(
        crate::pages::App::Metrics.store_name(),
        dev,
        "default",
        &numbered(charts),
        true,
    )?;
    let mem = chart(&[
        ("title", "Memory used"),
        ("trail", "72"),
        ("data0", &s("db1.example.com", "memory#used")),
        ("data1", &s("db2.example.com", "memory#used")),
        ("data2", &s("cache1.example.com", "memory#used")),
    ]);
    store.replace_page(
        crate::pages::App::Metrics.store_name(),
        dev,
        "ops",
        &numbered(vec![mem.clone()]),
        true,
    )?;
    store.claim_user("alice", "alice@example.com")?;
    store.replace_page(
        crate::pages::App::Metrics.store_name(),
        "alice",
        "databases",
        &numbered(vec![mem]),
        true,
    )?;
    Ok(())
}

/// The demo's app servers: `(host, customer, instance, requests per
/// minute at the daily peak, mean computing seconds)`.
const APP_SERVERS: &[(&str, &str, &str, f64, f64)] = &[
    ("app1.example.com", "acme", "instance-8080", 60.0, 0.35),
    ("app1.example.com", "acme", "instance-8081", 55.0, 0.40),
    ("app2.example.com", "acme", "instance-8080", 50.0, 0.30),
    ("app2.example.com", "acme", "worker1", 20.0, 1.20),
    ("app2.example.com", "acme", "worker2", 18.0, 1.10),
    ("app3.example.com", "zope", "instance-9000", 40.0, 0.25),
    ("app3.example.com", "zope", "instance-9001", 35.0, 0.30),
];

/// Trace-log lines of every demo app server over `[from, to)` (epoch
/// seconds), in time order, with their local date (the file they go to):
/// daily cycles, bursts, a backlog when busy, slow requests, 5xx and
/// `Error:` answers, and a restart a day per instance.
pub fn tracelog_lines(
    from: i64,
    to: i64,
    tz: &jiff::tz::TimeZone,
    seed: u64,
) -> Vec<(i64, String, String)> {
    let mut out: Vec<(i64, String, String)> = Vec::new();
    let stamp = |us: i64| -> (String, String) {
        let z = jiff::Timestamp::from_microsecond(us)
            .unwrap_or_default()
            .to_zoned(tz.clone());
        (
            z.strftime("%Y-%m-%d").to_string(),
            format!(
                "{}.{:06}",
                z.strftime("%Y-%m-%d %H:%M:%S"),
                us.rem_euclid(1_000_000)
            ),
        )
    };
    for (k, &(host, customer, instance, peak, compute)) in APP_SERVERS.iter().enumerate() {
        let mut rng = Rng(seed ^ (k as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let prefix = format!("{host} {customer} {instance}");
        let mut push = |us: i64, body: String| {
            let (day, ts) = stamp(us);
            let mut parts = body.splitn(3, ' ');
            let (code, rid, rest) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next(),
            );
            let line = match rest {
                Some(r) => format!("{prefix} {code} {rid} {ts} {r}"),
                None => format!("{prefix} {code} {rid} {ts}"),
            };
            out.push((us, day, line));
        };
        // the restart: once a day, at an hour of its own
        let restart_at = (3 + k as i64 * 3) % 24 * 3600 + 600;
        let mut rid = 10_000 * k as u64;
        // four threads per instance, each free again at its time in `free`
        let mut free = [from * 1_000_000; 4];
        let mut minute = from.div_euclid(60) * 60;
        while minute < to {
            let local = jiff::Timestamp::from_second(minute)
                .unwrap_or_default()
                .to_zoned(tz.clone());
            let hour = local.hour() as f64 + local.minute() as f64 / 60.0;
            // quiet at night, busy in the afternoon, a burst now and then
            let daily =
                0.25 + 0.75 * (((hour - 15.0) / 24.0 * std::f64::consts::TAU).cos() * 0.5 + 0.5);
            let burst = if rng.next() < 0.01 { 3.0 } else { 1.0 };
            let n = (peak * daily * burst * (0.8 + 0.4 * rng.next())).round() as i64;
            if minute.rem_euclid(86_400) == restart_at.rem_euclid(86_400) {
                push(minute * 1_000_000, "S 0".into());
                for f in free.iter_mut() {
                    *f = (*f).max((minute + 20) * 1_000_000);
                }
            }
            for _ in 0..n {
                rid += 1;
                let t = minute * 1_000_000 + (rng.next() * 59_000_000.0) as i64;
                push(t, format!("B {rid} GET /app/page{}", rid % 7));
                push(t + 300, format!("I {rid} 0"));
                // the first thread free takes it (the backlog: waiting for one)
                let j = (0..4).min_by_key(|&j| free[j]).unwrap_or(0);
                let c = (t + 400).max(free[j]);
                let slow = if rng.next() < 0.02 { 8.0 } else { 1.0 };
                let secs = compute * slow * (0.3 + 1.4 * rng.next());
                // whatever would end after this stretch of log ends with it
                // (the next stretch is written later and must not go back
                // in time)
                let last = to * 1_000_000 - 1_000;
                let c = c.min(last - 400);
                let a = (c + (secs * 1e6) as i64).min(last - 200);
                free[j] = a;
                push(c, format!("C {rid}"));
                let status = match rng.next() {
                    x if x < 0.01 => "500 312".to_string(),
                    x if x < 0.012 => "Error: database unavailable".to_string(),
                    _ => format!("200 {}", 2000 + (rng.next() * 30_000.0) as i64),
                };
                push(a, format!("A {rid} {status}"));
                push(a + 200, format!("E {rid}"));
            }
            minute += 60;
        }
    }
    out.sort_by_key(|l| l.0);
    out
}

/// Writes the demo's trace logs into `dir` as syslog-ng would (one file
/// per local day): the last day at once, then every `every` the lines of
/// the time since. Runs on a thread of its own until the process ends.
pub fn tracelogs(
    dir: std::path::PathBuf,
    tz: jiff::tz::TimeZone,
    every: std::time::Duration,
) -> anyhow::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(&dir)?;
    let write = move |lines: Vec<(i64, String, String)>| -> std::io::Result<()> {
        let mut day = String::new();
        let mut file: Option<std::io::BufWriter<std::fs::File>> = None;
        for (_, d, line) in lines {
            if d != day || file.is_none() {
                if let Some(mut f) = file.take() {
                    f.flush()?;
                }
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join(format!("{d}-z4m.log")))?;
                file = Some(std::io::BufWriter::new(f));
                day = d;
            }
            if let Some(f) = file.as_mut() {
                writeln!(f, "{line}")?;
            }
        }
        if let Some(mut f) = file {
            f.flush()?;
        }
        Ok(())
    };
    let now = crate::system_now();
    let mut done = now - now.rem_euclid(60);
    write(tracelog_lines(done - 86_400, done, &tz, 1))?;
    std::thread::Builder::new()
        .name("demo-tracelogs".into())
        .spawn(move || {
            let mut seed = 2;
            loop {
                std::thread::sleep(every);
                let now = crate::system_now();
                let until = now - now.rem_euclid(60);
                if until > done {
                    if let Err(e) = write(tracelog_lines(done, until, &tz, seed)) {
                        eprintln!("rrd-server: demo trace logs: {e}");
                        return;
                    }
                    done = until;
                    seed += 1;
                }
            }
        })?;
    Ok(())
}

/// The demo's trace-log page: pools, a comparison, headroom and one
/// instance.
pub fn tracelog_pages(store: &dyn PageStore, dev: &str) -> anyhow::Result<()> {
    let i = |h: &str, c: &str, n: &str| format!("{h}__{c}__{n}");
    let acme: Vec<String> = vec![
        i("app1.example.com", "acme", "instance-8080"),
        i("app1.example.com", "acme", "instance-8081"),
        i("app2.example.com", "acme", "instance-8080"),
    ];
    let all = acme.join(",");
    let charts: Vec<Params> = vec![
        chart(&[
            ("instance", &format!("acme-instance-instances,{all}")),
            ("trail", "24"),
        ]),
        chart(&[
            (
                "instance",
                &format!(",mh,acme-instance-instances-max-headroom,{all}"),
            ),
            ("trail", "24"),
        ]),
        chart(&[
            (
                "instance",
                &format!(",rpm,acme-instance-instances-rpm,{all}"),
            ),
            ("trail", "6"),
        ]),
        chart(&[
            ("instance", &i("app2.example.com", "acme", "worker1")),
            ("trail", "24"),
        ]),
    ];
    let numbered: Vec<(String, i64, Params)> = charts
        .into_iter()
        .enumerate()
        .map(|(k, mut p)| {
            p.insert("generation".into(), "1".into());
            ((k + 1).to_string(), 1, p)
        })
        .collect();
    store.replace_page(
        crate::pages::App::Tracelog.store_name(),
        dev,
        "default",
        &numbered,
        true,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_trace_logs_are_what_the_collector_counts() {
        let tz = jiff::tz::TimeZone::get("US/Eastern").unwrap();
        // 20:14 to 00:14 UTC: app3 instance-9001 restarts at 21:10
        let lines = tracelog_lines(1_699_992_840, 1_699_992_840 + 4 * 3600, &tz, 7);
        assert!(lines.windows(2).all(|w| w[0].0 <= w[1].0));
        let mut c = crate::tracelog::Collector::default();
        for (_, _, l) in &lines {
            c.feed(l.as_bytes());
        }
        assert_eq!(c.counters.lines as usize, lines.len());
        assert!(c.counters.skipped.is_empty(), "{:?}", c.counters.skipped);
        assert_eq!(c.instances(), APP_SERVERS.len());
        let codes = |code: &str| {
            lines
                .iter()
                .filter(|(_, _, l)| l.split(' ').nth(3) == Some(code))
                .count()
        };
        assert!(
            codes("A") > 1000 && codes("S") >= 1,
            "{} {}",
            codes("A"),
            codes("S")
        );
        // every request is answered within the stretch
        assert_eq!(codes("I"), codes("A"));
        assert_eq!(c.in_flight(), 0);
        assert!(lines.iter().any(|(_, _, l)| l.contains(" 500 ")));
        assert!(lines.iter().any(|(_, _, l)| l.contains("Error:")));
    }

    #[test]
    fn the_generator_has_cycles_gaps_and_stays_positive() {
        let mut rng = Rng(1);
        let now = 1_700_000_000;
        let day: Vec<f64> = (0..288)
            .filter_map(|k| value(0, 0, now - 86_400 + k * 300, &mut rng, now))
            .collect();
        assert_eq!(day.len(), 288);
        let (lo, hi) = day
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(hi > 2.0 * lo, "a daily cycle: {lo}..{hi}");
        assert!(day.iter().all(|v| *v >= 0.0));
        let db2 = (0..288)
            .filter(|k| value(5, 0, now - 86_400 + k * 300, &mut rng, now).is_none())
            .count();
        assert_eq!(db2, 24, "two hours down a day");
        assert!(
            value(3, 0, now - 86_400, &mut rng, now).is_none(),
            "web4 retired"
        );
    }
}
