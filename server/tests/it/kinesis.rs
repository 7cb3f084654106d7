//! The Kinesis collector against a real stream: npm's kinesalite (pinned in
//! server/tests/kinesis, `npm ci` there; CI installs it), started by each
//! test on its own port. Records are CIMAA metric JSON with same-second
//! repeats, older records and malformed ones; the collector's files are
//! compared, archive by archive (`rrdtool dump`), with files rrdtool makes
//! from the same records under the original's rules (skip older, move an
//! equal second one on).
//!
//! Faults kinesalite does not model (throttling, time passing so that
//! iterators expire) come from `faults.cjs`, preloaded into it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rrd_server::kinesis::api::{Client, Credentials};
use serde_json::json;

use crate::have_rrdtool;

const BIN: &str = env!("CARGO_BIN_EXE_rrd-server");
/// 2025-06-01 00:00:00 UTC: record times are before the real clock, as
/// the collector refuses those more than a day ahead of it.
const T0: i64 = 1_748_736_000;

/// A child process killed when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

use crate::kinesalite::Kinesalite;

/// Starts kinesalite, or says why not (a failure in CI).
fn kinesalite(tag: &str, throttle_every: u32) -> Option<Kinesalite> {
    if !have_rrdtool() {
        return None;
    }
    Kinesalite::start(
        &crate::tempdir(&format!("kinesalite-{tag}")),
        throttle_every,
    )
}

trait Local {
    fn client(&self) -> Client;
    fn advance_clock(&self, ms: u64);
}

impl Local for Kinesalite {
    fn client(&self) -> Client {
        Client::new(Some(&self.endpoint()), "us-east-1", creds()).unwrap()
    }
    /// Makes time pass for kinesalite (its iterators expire after 5 min).
    fn advance_clock(&self, ms: u64) {
        std::fs::write(&self.clock, ms.to_string()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn creds() -> Credentials {
    Credentials {
        access_key_id: "AKIDTEST".into(),
        secret_access_key: "test-secret".into(),
        session_token: None,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn call(c: &Client, op: &str, body: serde_json::Value) -> serde_json::Value {
    rt().block_on(c.call_json(op, body))
        .unwrap_or_else(|e| panic!("{op}: {e}"))
}

/// A metric record as CIMAA puts it.
#[derive(Debug, Clone)]
struct Rec {
    name: String,
    ts: i64,
    value: f64,
}

impl Rec {
    fn json(&self) -> String {
        let t = jiff::Timestamp::from_second(self.ts).unwrap();
        // with and without a fraction, as CIMAA wrote them
        let stamp = if self.ts % 2 == 0 {
            t.strftime("%Y-%m-%dT%H:%M:%S.820000").to_string()
        } else {
            t.strftime("%Y-%m-%dT%H:%M:%S").to_string()
        };
        json!({"timestamp": stamp, "name": self.name, "value": self.value, "units": "rpm"})
            .to_string()
    }
    /// The file beneath the source directory.
    fn rel(&self) -> String {
        rrd_server::ingest::name_to_path(&self.name).unwrap()
    }
}

/// Puts payloads (partition key, data), 500 a call.
fn put(c: &Client, stream: &str, items: &[(String, String)]) {
    for chunk in items.chunks(500) {
        let recs: Vec<serde_json::Value> = chunk
            .iter()
            .map(|(key, data)| {
                json!({
                    "PartitionKey": key,
                    "Data": base64::engine::general_purpose::STANDARD.encode(data),
                })
            })
            .collect();
        let r = call(
            c,
            "PutRecords",
            json!({"StreamName": stream, "Records": recs}),
        );
        assert_eq!(r["FailedRecordCount"], 0, "{r}");
    }
}

fn put_recs(c: &Client, stream: &str, recs: &[Rec]) {
    let items: Vec<(String, String)> = recs.iter().map(|r| (r.name.clone(), r.json())).collect();
    put(c, stream, &items);
}

fn create_stream(c: &Client, stream: &str, shards: u32) {
    call(
        c,
        "CreateStream",
        json!({"StreamName": stream, "ShardCount": shards}),
    );
}

/// A small xorshift generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `per` records for each of `series` series from `from`, about five
/// minutes apart, with repeats of a second and older records now and then.
fn generate(seed: u64, series: usize, per: usize, from: i64) -> Vec<Rec> {
    let mut rng = Rng(seed);
    let names: Vec<String> = (0..series)
        .map(|i| {
            format!(
                "//host{}.example.com:{}/check{}.txt#{}",
                i % 7,
                8080 + i % 3,
                i % 5,
                ["speed", "/var/log", "load"][i % 3].to_string() + &format!("-{i}")
            )
        })
        .collect();
    let mut out = Vec::new();
    let mut t: Vec<i64> = (0..series).map(|_| from + rng.below(300) as i64).collect();
    for _ in 0..per {
        for (i, name) in names.iter().enumerate() {
            let ts = match rng.below(10) {
                0 => t[i],                             // the same second again
                1 => t[i] - 1 - rng.below(600) as i64, // older: skipped
                _ => t[i] + 240 + rng.below(120) as i64,
            };
            t[i] = t[i].max(ts);
            let value = (rng.below(100_000) as f64) / 8.0;
            out.push(Rec {
                name: name.clone(),
                ts,
                value,
            });
        }
    }
    out
}

fn rrdtool(args: &[String]) -> String {
    let o = Command::new("rrdtool").args(args).output().unwrap();
    assert!(
        o.status.success(),
        "rrdtool {:?}: {}",
        &args[..2.min(args.len())],
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// rrdtool's files for `recs` applied in order under the original's
/// rules; compared with `ours` (the source directory) by `rrdtool dump`.
/// Returns the number of files compared.
fn assert_like_model(recs: &[Rec], ours: &Path, work: &Path) -> usize {
    let mut by_file: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for r in recs {
        by_file.entry(r.rel()).or_default().push((r.ts, r.value));
    }
    for (rel, values) in &by_file {
        let theirs = work.join(format!("{rel}.rrd"));
        std::fs::create_dir_all(theirs.parent().unwrap()).unwrap();
        let t = theirs.to_str().unwrap().to_string();
        let start = (values[0].0 - 60).div_euclid(300) * 300;
        let mut args: Vec<String> = ["create", &t, "--start", &start.to_string(), "--step", "300"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(
            rrd_server::ingest::CREATE_ARGS
                .iter()
                .map(|s| s.to_string()),
        );
        rrdtool(&args);
        let mut last = start;
        let mut ups = vec!["update".to_string(), t.clone()];
        for &(ts, v) in values {
            let ts = match ts.cmp(&last) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Equal => ts + 1,
                std::cmp::Ordering::Greater => ts,
            };
            last = ts;
            ups.push(format!("{ts}:{v}"));
        }
        if ups.len() > 2 {
            rrdtool(&ups);
        }
        let ours = ours.join(format!("{rel}.rrd"));
        assert!(ours.exists(), "{} missing", ours.display());
        let a = rrdtool(&["dump".into(), ours.to_str().unwrap().into()]);
        let b = rrdtool(&["dump".into(), t]);
        assert!(
            a == b,
            "{rel}: our file differs from rrdtool's under the original's rules"
        );
    }
    // and nothing else
    let mut count = 0;
    let mut stack = vec![ours.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rrd") {
                count += 1;
            }
        }
    }
    assert_eq!(count, by_file.len(), "files beyond the records' series");
    by_file.len()
}

fn collect(k: &Kinesalite, stream: &str, rrd: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["collect-kinesis", "--stream", stream, "--rrd"])
        .arg(rrd)
        .args([
            "--endpoint",
            &k.endpoint(),
            "--poll",
            "0.05",
            "--read-interval-ms",
            "0",
        ])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret");
    c
}

/// `collect-kinesis --once`; its stderr.
fn collect_once(k: &Kinesalite, stream: &str, rrd: &Path, extra: &[&str]) -> String {
    let o = collect(k, stream, rrd, &["--once"])
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "collect-kinesis --once failed: {err}");
    err
}

/// The summary line's count of `what` (`read`, `written`, `malformed` ...).
fn summary(stderr: &str, what: &str) -> u64 {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.contains("record(s) read"))
        .unwrap_or_else(|| panic!("no summary in {stderr}"));
    let words: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let k = words
        .iter()
        .position(|w| *w == what)
        .unwrap_or_else(|| panic!("no {what} in {line}"));
    let n = if what == "read" { k - 2 } else { k - 1 };
    words[n].parse().unwrap()
}

fn file_bytes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rrd") {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn every_shard_read_once_as_the_original_would_write() {
    let Some(k) = kinesalite("once", 0) else {
        return;
    };
    let c = k.client();
    create_stream(&c, "cimaa.metrics", 3);
    let recs = generate(7, 120, 10, T0);
    put_recs(&c, "cimaa.metrics", &recs);
    // malformed records among them: counted and skipped
    let bad = [
        "not json",
        "{\"timestamp\": \"2025-06-01T00:00:00\", \"name\": \"//h.example.com/c#m\"}",
        "{\"timestamp\": \"yesterday\", \"name\": \"//h.example.com/c#m\", \"value\": 1}",
        "{\"timestamp\": \"2025-06-01T00:00:00\", \"name\": \"//../../etc/passwd\", \"value\": 1}",
        "[1, 2]",
        "\u{1}\u{2}binary",
    ];
    put(
        &c,
        "cimaa.metrics",
        &bad.iter()
            .map(|b| ("bad".to_string(), b.to_string()))
            .collect::<Vec<_>>(),
    );
    let base = crate::tempdir("kinesis-once");
    let rrd = base.join("rrd");
    let err = collect_once(&k, "cimaa.metrics", &rrd, &[]);
    assert_eq!(
        summary(&err, "read"),
        (recs.len() + bad.len()) as u64,
        "{err}"
    );
    // counted per metric record: the array holds two that are not objects
    assert_eq!(summary(&err, "malformed"), bad.len() as u64 + 1, "{err}");
    assert!(err.contains("record") && err.contains("skipped"), "{err}");
    let n = assert_like_model(&recs, &rrd.join("cimaa"), &base.join("model"));
    assert_eq!(n, 120);
    // nothing escaped the root
    assert!(!base.join("etc").exists());
    // again: resumes after the checkpoints, reads nothing, changes nothing
    let before = file_bytes(&rrd);
    let err = collect_once(&k, "cimaa.metrics", &rrd, &[]);
    assert_eq!(summary(&err, "read"), 0, "{err}");
    assert!(file_bytes(&rrd) == before, "a second run changed files");
    // more records later: only they are read
    let more = generate(8, 120, 3, T0 + 86_400);
    put_recs(&c, "cimaa.metrics", &more);
    let err = collect_once(&k, "cimaa.metrics", &rrd, &[]);
    assert_eq!(summary(&err, "read"), more.len() as u64, "{err}");
    let all: Vec<Rec> = recs.iter().chain(&more).cloned().collect();
    std::fs::remove_dir_all(base.join("model")).unwrap();
    assert_like_model(&all, &rrd.join("cimaa"), &base.join("model"));
    let _ = std::fs::remove_dir_all(base);
}

/// The collector as a task of the server: a shard split while it reads,
/// then its children merged, reads throttled, iterators expired; parents
/// are read before children, so every series' records stay in order.
#[test]
fn the_server_reads_through_a_split_a_merge_throttling_and_expired_iterators() {
    let Some(k) = kinesalite("split", 5) else {
        return;
    };
    let c = k.client();
    create_stream(&c, "metrics", 2);
    let endpoint = k.endpoint();
    let h = crate::Harness::with("kinesis-split", |cfg| {
        cfg.kinesis.stream = Some("metrics".into());
        cfg.kinesis.endpoint = Some(endpoint);
        cfg.kinesis.access_key_id = Some("AKIDTEST".into());
        cfg.kinesis.secret_access_key = Some("test-secret".into());
        cfg.kinesis.poll_seconds = 0.05;
        cfg.kinesis.read_interval_ms = 0;
        cfg.kinesis.list_seconds = 1;
        cfg.kinesis.limit = 100;
    });
    let status = || -> rrd_server::kinesis::Status {
        h.state.kinesis.as_ref().unwrap().lock().unwrap().clone()
    };
    let wait_records = |n: u64| {
        let t = Instant::now();
        while status().records < n {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "only {} of {n} records read: {:?}",
                status().records,
                status()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let first = generate(11, 80, 6, T0);
    put_recs(&c, "metrics", &first);
    wait_records(first.len() as u64);
    // split shard 0 in the middle of its range
    let shards = call(&c, "ListShards", json!({"StreamName": "metrics"}));
    let s0 = &shards["Shards"][0];
    let end: u128 = s0["HashKeyRange"]["EndingHashKey"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    call(
        &c,
        "SplitShard",
        json!({"StreamName": "metrics", "ShardToSplit": s0["ShardId"], "NewStartingHashKey": (end / 2).to_string()}),
    );
    let second = generate(12, 80, 6, T0 + 6 * 400);
    put_recs(&c, "metrics", &second);
    // time passes: the iterators held expire
    k.advance_clock(6 * 60 * 1000);
    let third = generate(13, 80, 4, T0 + 12 * 400);
    put_recs(&c, "metrics", &third);
    let total = (first.len() + second.len() + third.len()) as u64;
    wait_records(total);
    // a read in flight while the clock jumps comes back with a fresh
    // iterator; the collector polls every shard, so a held one expires at
    // the next jump
    for jump in 2..7 {
        let t = Instant::now();
        while status().expired_iterators == 0 && t.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if status().expired_iterators > 0 {
            break;
        }
        // the clock file holds the whole offset
        k.advance_clock(jump * 6 * 60 * 1000);
    }
    let st = status();
    assert_eq!(st.shards.len(), 4, "{st:?}");
    assert_eq!(
        st.shards["shardId-000000000000"].state, "finished",
        "{st:?}"
    );
    assert!(
        st.shards["shardId-000000000002"].records > 0,
        "a child read: {st:?}"
    );
    assert!(st.throttled > 0, "throttling met: {st:?}");
    assert!(st.expired_iterators > 0, "an iterator expired: {st:?}");
    assert_eq!((st.malformed, st.refused), (0, 0), "{st:?}");
    // merge the two children back: a shard of two parents
    call(
        &c,
        "MergeShards",
        json!({"StreamName": "metrics", "ShardToMerge": "shardId-000000000002",
               "AdjacentShardToMerge": "shardId-000000000003"}),
    );
    let fourth = generate(14, 80, 4, T0 + 16 * 400);
    put_recs(&c, "metrics", &fourth);
    let total = total + fourth.len() as u64;
    wait_records(total);
    let st = status();
    assert_eq!(st.shards.len(), 5, "{st:?}");
    for parent in ["shardId-000000000002", "shardId-000000000003"] {
        assert_eq!(st.shards[parent].state, "finished", "{st:?}");
    }
    assert!(
        st.shards["shardId-000000000004"].records > 0,
        "the merged shard read: {st:?}"
    );
    // the status page, and the series in the catalogue
    let r = rt().block_on(h.get("/kinesis/status.json", Some("jim")));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["records"], total);
    rt().block_on(h.flush());
    let all: Vec<Rec> = first
        .iter()
        .chain(&second)
        .chain(&third)
        .chain(&fourth)
        .cloned()
        .collect();
    let n = assert_like_model(&all, &h.metrics().join("cimaa"), &h.dir.join("model"));
    assert_eq!(n, 80);
    let r = rt().block_on(h.get(
        "/metrics/jim/p/get_series.json?q=cimaa%20speed-0",
        Some("jim"),
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text()
            .contains("cimaa/host0.example.com..8080/check0.txt/speed-0"),
        "{}",
        r.text()
    );
}

/// SIGKILL at random moments while batches are being applied; each run
/// resumes from the journaled checkpoints. The files end as rrdtool's
/// under the original's rules: nothing lost, nothing applied twice.
#[test]
fn a_collector_killed_mid_batch_resumes_without_loss_or_repeats() {
    let Some(k) = kinesalite("kill", 0) else {
        return;
    };
    let c = k.client();
    create_stream(&c, "kill", 4);
    let recs = generate(21, 150, 24, T0);
    put_recs(&c, "kill", &recs);
    let base = crate::tempdir("kinesis-kill");
    let rrd = base.join("rrd");
    let mut rng = Rng(99);
    let mut kills = 0;
    let t = Instant::now();
    for _ in 0..6 {
        let child = collect(&k, "kill", &rrd, &["--limit", "37"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut p = Proc(child);
        std::thread::sleep(Duration::from_millis(150 + rng.below(500)));
        if p.0.try_wait().unwrap().is_none() {
            // SIGKILL: no flush, no clean stop
            p.0.kill().unwrap();
            p.0.wait().unwrap();
            kills += 1;
        }
    }
    assert!(kills >= 3, "only {kills} kills landed");
    let journal = std::fs::read_dir(rrd.join(".kinesis-journal"))
        .unwrap()
        .count();
    assert!(journal > 0, "the killed runs left a journal");
    let err = collect_once(&k, "kill", &rrd, &[]);
    assert!(
        summary(&err, "read") < recs.len() as u64,
        "the killed runs had read some: {err}"
    );
    let n = assert_like_model(&recs, &rrd.join("cimaa"), &base.join("model"));
    assert_eq!(n, 150);
    eprintln!(
        "kinesis kill test: {} records, {kills} SIGKILLs in {:?}, {n} files equal to rrdtool's",
        recs.len(),
        t.elapsed()
    );
    let _ = std::fs::remove_dir_all(base);
}

/// A stored sequence number the service rejects: logged, and the shard is
/// read again from TRIM_HORIZON, where the original's rules skip what is
/// older and move an equal second one on.
#[test]
fn a_rejected_checkpoint_falls_back_to_trim_horizon() {
    let Some(k) = kinesalite("fallback", 0) else {
        return;
    };
    let c = k.client();
    create_stream(&c, "fb", 2);
    let recs = generate(31, 40, 5, T0);
    put_recs(&c, "fb", &recs);
    let base = crate::tempdir("kinesis-fallback");
    let rrd = base.join("rrd");
    collect_once(&k, "fb", &rrd, &[]);
    // shard 0's checkpoint made a sequence number of shard 1
    let shards = call(&c, "ListShards", json!({"StreamName": "fb"}));
    let foreign = shards["Shards"][1]["SequenceNumberRange"]["StartingSequenceNumber"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(
        rrd.join(".kinesis-journal/ingest-9999999999999999.journal"),
        format!("K kinesis/fb/shardId-000000000000 {foreign}\n"),
    )
    .unwrap();
    // what shard 0 holds is read again
    let it = call(
        &c,
        "GetShardIterator",
        json!({"StreamName": "fb", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
    );
    let got = call(
        &c,
        "GetRecords",
        json!({"ShardIterator": it["ShardIterator"]}),
    );
    let again: Vec<Rec> = got["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let data = base64::engine::general_purpose::STANDARD
                .decode(r["Data"].as_str().unwrap())
                .unwrap();
            let rec =
                rrd_server::ingest::parse_record(std::str::from_utf8(&data).unwrap()).unwrap();
            let name = recs
                .iter()
                .find(|x| x.rel() == rec.path)
                .unwrap()
                .name
                .clone();
            Rec {
                name,
                ts: rec.ts,
                value: rec.value,
            }
        })
        .collect();
    assert!(!again.is_empty());
    let err = collect_once(&k, "fb", &rrd, &[]);
    assert!(
        err.contains("rejected") && err.contains("TRIM_HORIZON"),
        "{err}"
    );
    assert_eq!(summary(&err, "read"), again.len() as u64, "{err}");
    let all: Vec<Rec> = recs.iter().chain(&again).cloned().collect();
    assert_like_model(&all, &rrd.join("cimaa"), &base.join("model"));
    let _ = std::fs::remove_dir_all(base);
}

/// Copies every `.rrd` beneath `from` into `to`, keeping relative paths.
#[cfg(feature = "postgres")]
fn merge_into(from: &Path, to: &Path) {
    for (p, bytes) in file_bytes(from) {
        let rel = p.strip_prefix(from).unwrap();
        let dst = to.join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        assert!(!dst.exists(), "{} on two nodes", rel.display());
        std::fs::write(dst, bytes).unwrap();
    }
}

/// Two collectors share a stream through leases in PostgreSQL, writing to
/// two storage nodes: each shard is read by one of them (every record
/// read exactly once), the shards are split fairly, and when one
/// collector stops the other takes its shards and reads on from their
/// checkpoints. The files end as rrdtool's under the original's rules.
#[cfg(feature = "postgres")]
#[test]
fn collectors_share_a_stream_through_leases() {
    use crate::daemon::{Daemon, Kind};
    let Some(k) = kinesalite("leases", 0) else {
        return;
    };
    let Some(pg) = crate::postgres::Postgres::start("leases") else {
        return;
    };
    let c = k.client();
    create_stream(&c, "shared", 4);
    let url = pg.database("cluster");
    let base = crate::tempdir("kinesis-leases");
    let mut nodes = [
        Daemon::start(Kind::Ours, &base.join("s0")),
        Daemon::start(Kind::Ours, &base.join("s1")),
    ];
    let ring: Vec<rrd_server::config::StorageNode> = nodes
        .iter()
        .enumerate()
        .map(|(i, d)| rrd_server::config::StorageNode {
            name: format!("s{i}"),
            address: d.address.clone(),
        })
        .collect();
    let endpoint = k.endpoint();
    let collector = |tag: &str| {
        crate::Harness::with(tag, |cfg| {
            cfg.database = Some(url.clone());
            cfg.storage.nodes = ring.clone();
            cfg.kinesis.stream = Some("shared".into());
            cfg.kinesis.endpoint = Some(endpoint.clone());
            cfg.kinesis.access_key_id = Some("AKIDTEST".into());
            cfg.kinesis.secret_access_key = Some("test-secret".into());
            cfg.kinesis.poll_seconds = 0.05;
            cfg.kinesis.read_interval_ms = 0;
            cfg.kinesis.list_seconds = 1;
            cfg.kinesis.limit = 50;
            cfg.kinesis.lease_seconds = 1.5;
        })
    };
    let status = |h: &crate::Harness| -> rrd_server::kinesis::Status {
        h.state.kinesis.as_ref().unwrap().lock().unwrap().clone()
    };
    let reading = |h: &crate::Harness| {
        status(h)
            .shards
            .values()
            .filter(|s| s.state == "reading")
            .count()
    };
    let a = collector("lease-a");
    let b = collector("lease-b");
    // a fair split: two shards each
    let t = Instant::now();
    while !(reading(&a) == 2 && reading(&b) == 2) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no fair split: {:?} / {:?}",
            status(&a),
            status(&b)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let first = generate(41, 60, 10, T0);
    put_recs(&c, "shared", &first);
    let both = || status(&a).records + status(&b).records;
    let t = Instant::now();
    while both() < first.len() as u64 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "{} of {} read",
            both(),
            first.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // each record once: no shard was read by both
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(both(), first.len() as u64);
    assert!(status(&a).records > 0 && status(&b).records > 0);
    // a stops: b holds all four within a lease time
    drop(a);
    let t = Instant::now();
    while reading(&b) < 4 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "b did not take a's shards: {:?}",
            status(&b)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let moved = t.elapsed();
    let before = status(&b).records;
    let second = generate(42, 60, 10, T0 + 10 * 400);
    put_recs(&c, "shared", &second);
    let t = Instant::now();
    while status(&b).records < before + second.len() as u64 {
        assert!(t.elapsed() < Duration::from_secs(30), "{:?}", status(&b));
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        status(&b).records,
        before + second.len() as u64,
        "read once"
    );
    let st = pg.sql(
        "cluster",
        "SELECT count(*) FROM kinesis_leases WHERE checkpoint IS NOT NULL",
    );
    assert_eq!(
        st.trim(),
        "4",
        "every shard's checkpoint in the lease table"
    );
    drop(b);
    for n in &mut nodes {
        n.stop();
    }
    let merged = base.join("merged");
    for n in &nodes {
        merge_into(&n.base, &merged);
    }
    let all: Vec<Rec> = first.iter().chain(&second).cloned().collect();
    let files = assert_like_model(&all, &merged.join("cimaa"), &base.join("model"));
    assert_eq!(files, 60);
    eprintln!(
        "leases: {} records over 4 shards, 2 collectors then 1; shards moved in {moved:?}",
        all.len()
    );
    let _ = std::fs::remove_dir_all(base);
}
