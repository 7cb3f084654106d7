//! `rrd-server --demo`: generated metrics fed through the real ingestion
//! endpoint over HTTP, and a few pages to look at.
//!
//! Seven hosts with six checks each follow daily cycles with noise, spikes
//! now and then, a host that is down two hours a day and one that stopped
//! reporting three days ago. Ten days of history go in first (five-minute
//! points), then a point per series every 20 seconds.

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

#[cfg(test)]
mod tests {
    use super::*;

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
