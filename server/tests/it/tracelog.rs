//! The trace-log collector: the reference's examples, a randomized
//! differential against an independent model (tracelog_model.rs) through
//! rrdtool, restarts and crashes between writing and checkpointing,
//! rotation, compression and bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use rrd_core::{ConsolidationFn, FetchRequest, OpenMode, Rrd};
use rrd_server::tracelog::{LogDir, Writer};

use crate::have_rrdtool;
use crate::tracelog_model::Model;

fn eastern() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("US/Eastern").unwrap()
}

/// Runs the collector over `logs` once, as a process started afresh would.
fn collect(logs: &Path, rrd: &Path) -> LogDir {
    let w = Writer::new(rrd, eastern());
    let mut d = LogDir::open(logs, rrd, "-z4m.log").unwrap();
    d.pass(&w).unwrap();
    d
}

fn epoch(s: &str) -> i64 {
    let dt: jiff::civil::DateTime = s.parse().unwrap();
    dt.to_zoned(eastern()).unwrap().timestamp().as_second()
}

/// Rows of known values: (time, [rpm, epm, bl, spr, start]).
type Rows = Vec<(i64, Vec<Option<f64>>)>;

/// The known values of the 60-s archive.
fn known(path: &Path) -> Rows {
    let rrd = Rrd::open(path, OpenMode::ReadOnly).unwrap();
    let last = rrd.header().last_up;
    let f = rrd
        .fetch(&FetchRequest {
            cf: ConsolidationFn::Average,
            start: last - 1600 * 60,
            end: last,
            resolution: 60,
        })
        .unwrap();
    let n = f.ds_names.len();
    let mut out = Vec::new();
    for r in 0..f.rows {
        let row: Vec<Option<f64>> = f.values[r * n..(r + 1) * n]
            .iter()
            .map(|v| (!v.is_nan()).then_some(*v))
            .collect();
        if row.iter().any(Option::is_some) {
            out.push((f.start + (r as i64 + 1) * f.step as i64, row));
        }
    }
    out
}

fn dirs(tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    let base = crate::tempdir(tag);
    let logs = base.join("logs");
    let rrd = base.join("rrd");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(&rrd).unwrap();
    (base, logs, rrd)
}

/// A finished log plus an empty newest one, so the first is read whole.
fn write_logs(logs: &Path, name: &str, lines: &[&str]) {
    let mut text = String::new();
    for l in lines {
        text.push_str("app1 acme instance-8080 ");
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(logs.join(name), text).unwrap();
    std::fs::write(logs.join("9999-12-31-z4m.log"), "").unwrap();
}

#[test]
fn the_zope_server_example_stores_only_its_start() {
    let (base, logs, rrd) = dirs("tl-zope");
    write_logs(
        &logs,
        "2008-08-26-z4m.log",
        &[
            "S 0 2008-08-26 11:55:00.000000",
            "B 23423600 2008-08-27 10:54:08.000000 GET /test-req1",
            "I 23423600 2008-08-27 10:54:08.000000 0",
            "C 23423600 2008-08-27 10:54:08.000000",
            "A 23423600 2008-08-27 10:54:08.000000 200 ?",
            "E 23423600 2008-08-27 10:54:08.000000",
            "A 21663984 2008-09-02 11:19:26.000000 Error: oh noes!",
            "E 21651664 2008-09-02 13:59:02.000000 Error: sample error",
            "- 21569456 2008-09-12 15:51:05.000000 beep! beep!",
            "D 49234448 2010-04-07 17:03:41.230131 4 2 y 1 0",
        ],
    );
    let d = collect(&logs, &rrd);
    let file = rrd.join("app1__acme__instance-8080.rrd");
    // the next update comes 23 hours later: stored as unknown
    let v = known(&file);
    assert_eq!(
        v,
        [(
            epoch("2008-08-26T11:55:00"),
            vec![None, None, None, None, Some(1.0)]
        )],
        "{v:?}"
    );
    let c = &d.state.collector.counters;
    assert_eq!(
        (c.lines, c.starts, c.minutes, c.files_created),
        (10, 1, 1, 1)
    );
    assert_eq!(
        std::fs::read_to_string(rrd.join(".updated")).unwrap(),
        "app1__acme__instance-8080"
    );
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn the_samples_trace_log_stores_a_backlog_of_one() {
    let (base, logs, rrd) = dirs("tl-samples");
    write_logs(
        &logs,
        "2009-07-30-z4m.log",
        &[
            "B 0.-1451822804 2009-07-30 15:48:22.727420 GET /constellations/andromeda.html",
            "I 0.-1451822804 2009-07-30 15:48:22.727803 47",
            "C 0.-1451822804 2009-07-30 15:48:22.729198",
            "B 0.-1447142132 2009-07-30 15:48:22.752054 GET /space-travel/plans/space-logs.txt",
            "I 0.-1447142132 2009-07-30 15:48:22.752441 0",
            "A 0.-1451822804 2009-07-30 15:49:25.147638 500 84",
            "E 0.-1451822804 2009-07-30 15:49:25.147826",
            "C 0.-1447142132 2009-07-30 15:49:25.148249",
        ],
    );
    collect(&logs, &rrd);
    let v = known(&rrd.join("app1__acme__instance-8080.rrd"));
    // rpm 0, bl 1 stored at 15:49 (over the file's first two minutes:
    // it starts a minute before the first one seen); the 500 falls in a
    // minute never written
    let row = vec![Some(0.0), Some(0.0), Some(1.0), None, None];
    assert_eq!(
        v,
        [
            (epoch("2009-07-30T15:48:00"), row.clone()),
            (epoch("2009-07-30T15:49:00"), row)
        ]
    );
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn the_resumelb_worker_test_stores_its_start() {
    let (base, logs, rrd) = dirs("tl-resumelb");
    write_logs(
        &logs,
        "2012-02-05-z4m.log",
        &[
            "S 0 2012-02-05 01:02:03.000456",
            "B 0.22 2012-02-05 01:02:03.010456 GET /sleep.html?dur=.1&size=111",
            "I 0.22 2012-02-05 01:02:03.020456 0",
            "C 0.22 2012-02-05 01:02:03.020456",
            "T 0.22 2012-02-05 01:02:03.030456 test",
            "A 0.22 2012-02-05 01:02:03.030456 200 OK 1332",
            "X 0 2012-02-05 01:02:03.040456",
        ],
    );
    collect(&logs, &rrd);
    let v = known(&rrd.join("app1__acme__instance-8080.rrd"));
    assert_eq!(
        v,
        [(
            epoch("2012-02-05T01:02:00"),
            vec![None, None, None, None, Some(1.0)]
        )]
    );
    let _ = std::fs::remove_dir_all(base);
}

/// Inputs that killed the original are survived, each counted.
#[test]
fn what_killed_the_original_is_survived() {
    let (base, logs, rrd) = dirs("tl-killers");
    let mut lines = vec![
        "I 1 2023-11-04 10:00:00.000001 0",
        "C 1 2023-11-04 10:00:01",
        "A 1 2023-11-04 10:00:02", // no status: IndexError in the original
        "I 2 2023-11-04 10:01:00",
        "S 0 2023-11-04 10:01:00", // at the last update: rrdtool refused it
        "S 0 2023-11-04 10:01:00", // two in one second
        "I 3 2023-11-04 10:02",    // cut inside its time
        "I 3 2023-11-05 01:30:00", // the fall-back hour, first pass
        "I 4 2023-11-05 01:31:00",
        "I 40 2023-11-05 01:32:00",
        "I 5 2023-11-05 01:10:00", // the second pass goes back in time: reset
        "I 6 2023-11-05 02:05:00",
    ];
    let bin = "I 9 \u{1}\u{2} 2024";
    lines.push(bin);
    write_logs(&logs, "2023-11-04-z4m.log", &lines);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(logs.join("2023-11-04-z4m.log"))
        .unwrap();
    f.write_all(b"/etc passwd x I 1 2023-11-04 10:00:00\n\xff\xfe binary\n")
        .unwrap();
    // the spring-forward gap, for another instance
    f.write_all(b"app2 acme w1 I 7 2024-03-10 02:30:00\napp2 acme w1 I 8 2024-03-10 03:40:00\n")
        .unwrap();
    drop(f);
    let d = collect(&logs, &rrd);
    let c = &d.state.collector.counters;
    assert_eq!(c.skipped.get("bad_time"), Some(&2), "{c:?}");
    assert_eq!(c.skipped.get("bad_name"), Some(&1), "{c:?}");
    assert_eq!(c.skipped.get("binary"), Some(&1), "{c:?}");
    assert!(c.not_after_last >= 2, "{c:?}");
    // nothing outside the RRD folder, one file inside it
    let mut files: Vec<_> = std::fs::read_dir(&rrd)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".rrd"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["app1__acme__instance-8080.rrd", "app2__acme__w1.rrd"]
    );
    let v = known(&rrd.join("app1__acme__instance-8080.rrd"));
    // 10:00 stored (one request answered, no error); the fall-back's
    // first pass stored at EDT (01:31 ends a minute after a day-long gap:
    // unknown; 01:32 is known)
    assert!(
        v.iter().any(|(t, r)| *t == epoch("2023-11-04T10:01:00")
            && r[0] == Some(1.0)
            && r[1] == Some(0.0)),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|(t, r)| *t == epoch("2023-11-05T01:32:00") && r[2] == Some(2.0)),
        "{v:?}"
    );
    // 02:30 in the gap is read as 03:30 EDT: its minute is stored at 03:31
    let v = known(&rrd.join("app2__acme__w1.rrd"));
    assert_eq!(v.last().unwrap().0, epoch("2024-03-10T03:31:00"), "{v:?}");
    let _ = std::fs::remove_dir_all(base);
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

/// Trace-log lines from several instances over `hours` from `start`
/// (local wall times from a real clock, so DST transitions happen as a
/// writer sees them), with the quirks the original met.
pub fn generate(seed: u64, start: &str, hours: i64) -> Vec<(i64, String)> {
    let tz = eastern();
    let mut rng = Rng(seed);
    let t0 = epoch(start) * 1_000_000;
    let instances = [
        ("app1", "acme", "instance-8080"),
        ("app1", "acme", "instance-8081"),
        ("app2", "acme", "worker3"),
        ("app2", "zope", "instance-9000"),
    ];
    let mut out: Vec<(i64, String)> = Vec::new();
    let stamp = |us: i64| {
        let ts = jiff::Timestamp::from_microsecond(us).unwrap();
        let z = ts.to_zoned(tz.clone());
        let frac = us.rem_euclid(1_000_000);
        if frac == 0 {
            z.strftime("%Y-%m-%d %H:%M:%S").to_string()
        } else {
            format!("{}.{frac:06}", z.strftime("%Y-%m-%d %H:%M:%S"))
        }
    };
    for (k, (h, c, i)) in instances.iter().enumerate() {
        let mut t = t0 + rng.below(60_000_000) as i64;
        let end = t0 + hours * 3_600_000_000;
        let mut rid = 1000 * k as u64;
        let colon = if k % 2 == 0 { ": " } else { "" };
        let mut push = |us: i64, body: String| {
            out.push((us, format!("{h} {c} {i} {colon}{body}")));
        };
        while t < end {
            rid += 1;
            let r = rng.below(1000);
            if r < 3 {
                push(t, format!("S 0 {}", stamp(t)));
                t += 1_000_000;
                continue;
            }
            if r < 8 {
                // a gap longer than the heartbeat
                t += (400 + rng.below(900) as i64) * 1_000_000;
                continue;
            }
            let id = format!("{k}.{rid}");
            push(t, format!("B {id} {} GET /x", stamp(t)));
            let ti = t + rng.below(2000) as i64;
            push(ti, format!("I {id} {} 0", stamp(ti)));
            if rng.below(30) == 0 {
                push(ti + 5, format!("I {id} {} 0", stamp(ti + 5)));
            }
            let tc = ti + rng.below(3_000_000) as i64;
            let no_c = rng.below(25) == 0;
            if !no_c {
                push(tc, format!("C {id} {}", stamp(tc)));
                if rng.below(50) == 0 {
                    push(tc + 3, format!("C {id} {}", stamp(tc + 3)));
                }
            }
            let ta = tc + rng.below(8_000_000) as i64;
            let status = match rng.below(40) {
                0 => "500 12".to_string(),
                1 => "Error: boom".to_string(),
                2 => "503 Service Unavailable 9".to_string(),
                3 => String::new(),
                _ => "200 1234".to_string(),
            };
            push(
                ta,
                format!("A {id} {} {status}", stamp(ta))
                    .trim_end()
                    .to_string(),
            );
            if rng.below(5) != 0 {
                // E written from another thread: sometimes before the A's
                // line, with an earlier time
                let te = if rng.below(10) == 0 {
                    ta - 50
                } else {
                    ta + rng.below(900) as i64
                };
                push(te, format!("E {id} {}", stamp(te)));
            }
            if rng.below(20) == 0 {
                push(ta + 1, format!("- {id} {} custom entry", stamp(ta + 1)));
            }
            t += rng.below(6_000_000) as i64 + 1;
        }
    }
    out.sort_by_key(|(t, _)| *t);
    out
}

fn rrdtool(args: &[String]) -> String {
    let o = std::process::Command::new("rrdtool")
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "rrdtool {:?}: {}",
        &args[..2.min(args.len())],
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Makes the model's files with rrdtool and compares every archive of
/// every file with the collector's, through `rrdtool fetch`.
pub fn assert_files_like_model(model: &Model, ours: &Path, work: &Path) -> usize {
    let mut compared = 0;
    for (name, f) in &model.files {
        let theirs = work.join(format!("{name}.rrd"));
        let t = theirs.to_str().unwrap().to_string();
        let mut args = vec![
            "create".to_string(),
            t.clone(),
            "--start".into(),
            f.start.to_string(),
            "--step".into(),
            "60".into(),
        ];
        args.extend(
            rrd_server::tracelog::CREATE_ARGS
                .iter()
                .map(|s| s.to_string()),
        );
        rrdtool(&args);
        // consecutive updates with one template in one call
        let mut k = 0;
        while k < f.updates.len() {
            let tmpl = &f.updates[k].0;
            let mut a = vec![
                "update".to_string(),
                t.clone(),
                "--template".into(),
                tmpl.clone(),
            ];
            while k < f.updates.len() && f.updates[k].0 == *tmpl && a.len() < 500 {
                a.push(f.updates[k].1.clone());
                k += 1;
            }
            rrdtool(&a);
        }
        let ours = ours.join(format!("{name}.rrd"));
        assert!(ours.exists(), "{name}.rrd missing");
        let last = rrdtool(&["last".into(), t.clone()]);
        let last: i64 = last.trim().parse().unwrap();
        for res in ["60", "300", "3600"] {
            let fetch = |p: &str| {
                rrdtool(&[
                    "fetch".into(),
                    p.into(),
                    "AVERAGE".into(),
                    "-r".into(),
                    res.into(),
                    "-s".into(),
                    f.start.to_string(),
                    "-e".into(),
                    (last + 7200).to_string(),
                ])
            };
            let (a, b) = (fetch(ours.to_str().unwrap()), fetch(&t));
            if a != b {
                let diff: Vec<_> = a
                    .lines()
                    .zip(b.lines())
                    .filter(|(x, y)| x != y)
                    .take(5)
                    .collect();
                panic!("{name} at {res} s differs from the model: {diff:#?}");
            }
        }
        compared += 1;
    }
    compared
}

/// Logs split at local midnight into date-named files, as syslog-ng
/// writes them, appended in pieces; the collector runs after each piece as
/// a new process, and sometimes dies after writing the files but before
/// saving its checkpoint (the checkpoint of before is put back). Every
/// file equals the model's.
#[test]
fn the_collector_equals_the_model_across_restarts_and_crashes() {
    if !have_rrdtool() {
        return;
    }
    let mut total_files = 0;
    let mut total_lines = 0;
    // midnight and the fall-back hour; the spring-forward gap
    for (seed, start, hours) in [
        (11u64, "2023-11-04T22:30:00", 5),
        (12, "2024-03-09T23:10:00", 5),
        (13, "2024-06-01T10:00:00", 3),
    ] {
        let (base, logs, rrd) = dirs("tl-diff");
        let lines = generate(seed, start, hours);
        total_lines += lines.len();
        let mut model = Model::new("US/Eastern");
        for (_, l) in &lines {
            model.line(l);
        }
        // the day each line is written under: its local date
        let day = |l: &str| -> String {
            let t = l
                .split_whitespace()
                .find(|t| t.len() == 10 && t.as_bytes()[4] == b'-')
                .unwrap();
            t.to_string()
        };
        let mut rng = Rng(seed * 7919);
        let mut k = 0;
        let mut runs = 0;
        while k < lines.len() {
            let n = 1 + rng.below(lines.len() as u64 / 6) as usize;
            for (_, l) in &lines[k..(k + n).min(lines.len())] {
                let path = logs.join(format!("{}-z4m.log", day(l)));
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap();
                writeln!(f, "{l}").unwrap();
            }
            k += n;
            let cp = rrd.join("logs.tracelog-checkpoint.json");
            let before = std::fs::read(&cp).ok();
            collect(&logs, &rrd);
            runs += 1;
            if rng.below(3) == 0 {
                // died before saving: the files are written, the
                // checkpoint is the one of before
                match before {
                    Some(b) => std::fs::write(&cp, b).unwrap(),
                    None => std::fs::remove_file(&cp).unwrap(),
                }
            }
        }
        // the newest day is still being written: end it as syslog-ng does
        // at midnight, with a later file
        std::fs::write(logs.join("9999-12-31-z4m.log"), "").unwrap();
        collect(&logs, &rrd);
        assert!(runs >= 3);
        let work = base.join("model");
        std::fs::create_dir_all(&work).unwrap();
        total_files += assert_files_like_model(&model, &rrd, &work);
        let _ = std::fs::remove_dir_all(base);
    }
    assert_eq!(total_files, 12);
    eprintln!("tracelog differential: {total_lines} lines, {total_files} files equal to the model");
}

/// A finished log compressed while it was being read (syslog-ng's
/// rotation): the collector goes on in the `.gz` copy where it stopped.
/// A gzip file cut short counts what came out of it.
#[test]
fn rotation_into_gzip_and_damaged_files() {
    let (base, logs, rrd) = dirs("tl-gzip");
    let lines = generate(21, "2024-06-01T10:00:00", 1);
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    let half = text[..text.len() / 2].rfind('\n').unwrap() + 1;
    std::fs::write(logs.join("2024-06-01-z4m.log"), &text[..half]).unwrap();
    collect(&logs, &rrd);
    // rotated: the whole day compressed, the plain file gone, a new day
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(logs.join("2024-06-01-z4m.log.gz"), gz.finish().unwrap()).unwrap();
    std::fs::remove_file(logs.join("2024-06-01-z4m.log")).unwrap();
    std::fs::write(logs.join("2024-06-02-z4m.log"), "").unwrap();
    let d = collect(&logs, &rrd);
    assert_eq!(d.state.collector.counters.lines as usize, lines.len());
    assert!(d.state.done.contains("2024-06-01-z4m.log"));

    // the same day read in one go elsewhere gives the same files
    let (base2, logs2, rrd2) = dirs("tl-gzip-whole");
    std::fs::write(logs2.join("2024-06-01-z4m.log"), &text).unwrap();
    std::fs::write(logs2.join("2024-06-02-z4m.log"), "").unwrap();
    collect(&logs2, &rrd2);
    for e in std::fs::read_dir(&rrd2).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rrd") {
            assert_eq!(known(&p), known(&rrd.join(p.file_name().unwrap())), "{p:?}");
        }
    }

    // a gzip file cut short, and a file that appears before one read
    let (base3, logs3, rrd3) = dirs("tl-gzip-cut");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(
        logs3.join("2024-06-01-z4m.log.gz"),
        &bytes[..bytes.len() / 2],
    )
    .unwrap();
    std::fs::write(logs3.join("2024-06-03-z4m.log"), "").unwrap();
    let d = collect(&logs3, &rrd3);
    let c = &d.state.collector.counters;
    assert_eq!(c.logs_damaged, 1, "{c:?}");
    assert!(c.lines > 0 && (c.lines as usize) < lines.len(), "{c:?}");
    std::fs::write(logs3.join("2024-06-02-z4m.log"), &text).unwrap();
    std::fs::write(logs3.join("2024-06-04-z4m.log"), "").unwrap();
    let d = collect(&logs3, &rrd3);
    assert_eq!(d.state.collector.counters.logs_out_of_order, 1);
    for b in [base, base2, base3] {
        let _ = std::fs::remove_dir_all(b);
    }
}

/// The binary: `rrd-server collect-tracelogs --once`.
#[test]
fn collect_tracelogs_once_from_the_command_line() {
    let (base, logs, rrd) = dirs("tl-cli");
    write_logs(
        &logs,
        "2009-07-30-z4m.log",
        &[
            "I 1 2009-07-30 15:48:22.727803 47",
            "I 2 2009-07-30 15:49:22.727803 47",
        ],
    );
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rrd-server"))
            .arg("collect-tracelogs")
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&[
        "--logs",
        logs.to_str().unwrap(),
        "--rrd",
        rrd.to_str().unwrap(),
        "--once",
        "--tz",
        "US/Eastern",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 lines"));
    let row = vec![Some(0.0), Some(0.0), Some(1.0), None, None];
    assert_eq!(
        known(&rrd.join("app1__acme__instance-8080.rrd")),
        [
            (epoch("2009-07-30T15:48:00"), row.clone()),
            (epoch("2009-07-30T15:49:00"), row)
        ]
    );
    assert!(rrd.join("logs.tracelog-checkpoint.json").exists());
    let o = run(&["--logs", "x"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--rrd"));
    let o = run(&["--logs", "x", "--rrd", "y", "--tz", "Mars/Olympus"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("time zone"));
    let _ = std::fs::remove_dir_all(base);
}

/// The binary tailing a directory, killed with SIGKILL at random moments
/// and started again until it has read everything: its files are those of
/// a collector that never stopped.
#[test]
fn killed_at_random_moments_the_files_are_the_same() {
    let lines = generate(41, "2024-01-10T00:00:00", 20);
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    let run = |logs: &Path, rrd: &Path, once: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_rrd-server"));
        c.args(["collect-tracelogs", "--poll", "1", "--logs"])
            .arg(logs)
            .arg("--rrd")
            .arg(rrd)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if once {
            c.arg("--once");
        }
        c
    };
    let mut results = Vec::new();
    for killed in [false, true] {
        let (base, logs, rrd) = dirs(if killed { "tl-kill" } else { "tl-nokill" });
        std::fs::write(logs.join("2024-01-10-z4m.log"), &text).unwrap();
        std::fs::write(logs.join("2024-01-11-z4m.log"), "").unwrap();
        let mut kills = 0;
        if killed {
            let cp = rrd.join("logs.tracelog-checkpoint.json");
            let mut rng = Rng(4242);
            let done = || {
                std::fs::read(&cp)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    .is_some_and(|j| j["collector"]["counters"]["lines"] == lines.len())
            };
            while !done() {
                let mut child = run(&logs, &rrd, false).spawn().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(150 + rng.below(600)));
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
                assert!(kills < 200, "the collector makes no progress");
            }
            assert!(kills >= 2, "killed only {kills} times");
        } else {
            assert!(run(&logs, &rrd, true).status().unwrap().success());
        }
        let mut files: Vec<(String, Rows)> = std::fs::read_dir(&rrd)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rrd"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    known(&p),
                )
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        results.push((files, kills));
        let _ = std::fs::remove_dir_all(base);
    }
    assert_eq!(results[0].0.len(), 4);
    assert!(results[0].0.iter().all(|(_, v)| v.len() > 100));
    assert!(
        results[0].0 == results[1].0,
        "the killed collector's files differ"
    );
    eprintln!(
        "tracelog kill test: {} lines, killed {} times, 4 files equal",
        lines.len(),
        results[1].1
    );
}

/// The collector as a task of the server: its counters at
/// /tracelogs/status.json, its series in the /metrics catalogue as the
/// original named them, drawn like any other.
#[tokio::test]
async fn the_server_runs_the_collector_and_lists_its_series() {
    let logs = crate::tempdir("tl-server-logs");
    let now = crate::NOW;
    // two minutes ending at the harness's clock, in its zone (UTC)
    let t = |s: i64| {
        jiff::Timestamp::from_second(now - 180 + s)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let text = [
        format!("app1 acme instance-8080 I 1 {} 0", t(0)),
        format!("app1 acme instance-8080 C 1 {}", t(1)),
        format!("app1 acme instance-8080 A 1 {} 200 5", t(3)),
        format!("app1 acme instance-8080 I 2 {} 0", t(60)),
        format!("app1 acme instance-8080 I 3 {} 0", t(120)),
    ]
    .join("\n")
        + "\n";
    std::fs::write(logs.join("2023-12-31-z4m.log"), text).unwrap();
    std::fs::write(logs.join("2024-01-01-z4m.log"), "").unwrap();
    let h = crate::Harness::with("tl-server", |c| {
        c.tracelogs.logs = Some(logs.clone());
        c.tracelogs.timezone = "UTC".into();
        c.tracelogs.poll_seconds = 1;
    });
    let r = h.get("/tracelogs/status.json", None).await;
    assert_eq!(r.status, axum::http::StatusCode::UNAUTHORIZED);
    let t0 = std::time::Instant::now();
    let st = loop {
        let st = h.get("/tracelogs/status.json", Some("jim")).await.json();
        if st["counters"]["lines"] == 5 {
            break st;
        }
        assert!(t0.elapsed().as_secs() < 20, "{st}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        (st["instances"].as_u64(), st["finished"].as_u64()),
        (Some(1), Some(1)),
        "{st}"
    );
    assert_eq!(st["counters"]["minutes"], 2, "{st}");
    let page = h.get("/tracelogs/status", Some("jim")).await;
    assert_eq!(page.status, axum::http::StatusCode::OK);
    assert!(
        page.text().contains("<th>lines read</th><td>5</td>"),
        "{}",
        page.text()
    );
    let r = h
        .get("/metrics/jim/p/get_series.json?q=tracelog", Some("jim"))
        .await
        .json();
    assert_eq!(
        r["series"],
        serde_json::json!([
            "app1/acme-z4m/instance-8080/tracelog/bl",
            "app1/acme-z4m/instance-8080/tracelog/epm",
            "app1/acme-z4m/instance-8080/tracelog/rpm",
            "app1/acme-z4m/instance-8080/tracelog/spr",
            "app1/acme-z4m/instance-8080/tracelog/start"
        ]),
        "{r}"
    );
    let j = h
        .get(
            &format!(
                "/metrics/jim/p/show.json?{}",
                crate::q(&[
                    ("data0", "app1/acme-z4m/instance-8080/tracelog/rpm"),
                    ("trail", "1")
                ])
            ),
            Some("jim"),
        )
        .await
        .json();
    let shown: Vec<f64> = j["data"]["series"][0]
        .as_array()
        .unwrap_or_else(|| panic!("{j}"))
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert!(shown.contains(&1.0), "{shown:?}");
    // not configured: no collector here
    let h2 = crate::Harness::new("tl-server-none");
    let r = h2.get("/tracelogs/status.json", Some("jim")).await;
    assert_eq!(r.status, axum::http::StatusCode::NOT_FOUND);
    let _ = std::fs::remove_dir_all(logs);
}

/// The newest log truncated, then replaced by another file under the same
/// name, while the collector follows it: each is read from its start.
#[test]
fn a_log_truncated_or_replaced_is_read_from_its_start() {
    let (base, logs, rrd) = dirs("tl-trunc");
    let log = logs.join("2024-06-01-z4m.log");
    let line = |rid: u32, t: &str| format!("app1 acme instance-8080 I {rid} 2024-06-01 {t}\n");
    std::fs::write(
        &log,
        line(1, "10:00:00") + &line(2, "10:01:00") + &line(3, "10:02:00"),
    )
    .unwrap();
    let d = collect(&logs, &rrd);
    assert_eq!(d.state.collector.counters.lines, 3);
    // truncated (copytruncate rotation), then written again
    std::fs::write(&log, line(4, "10:03:00")).unwrap();
    let d = collect(&logs, &rrd);
    let c = &d.state.collector.counters;
    assert_eq!((c.lines, c.logs_damaged), (4, 1), "{c:?}");
    // replaced: a new file (another inode) under the same name, longer
    // than what was read
    let tmp = logs.join("new.tmp");
    std::fs::write(
        &tmp,
        line(5, "10:04:00") + &line(6, "10:05:00") + &line(7, "10:06:00") + &line(8, "10:07:00"),
    )
    .unwrap();
    std::fs::rename(&tmp, &log).unwrap();
    let d = collect(&logs, &rrd);
    let c = &d.state.collector.counters;
    assert_eq!((c.lines, c.logs_damaged), (8, 2), "{c:?}");
    // minutes 10:00 to 10:06 stored, each once
    assert_eq!(c.minutes, 7, "{c:?}");
    let _ = std::fs::remove_dir_all(base);
}
