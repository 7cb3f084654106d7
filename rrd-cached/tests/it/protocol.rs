//! Replies compared with C rrdcached 1.7.2's, line for line.

use crate::support::{have, Daemon, TempDir, RRD_CACHED};

/// Requests covering every command and its errors; both daemons start
/// from copies of the same file.
const SCRIPT: &[&str] = &[
    "PING",
    "HELP",
    "HELP update",
    "HELP nothing",
    "help BATCH",
    "HELP FETCHBIN",
    "UPDATE a.rrd 1300000060:1:2 1300000120:3:4",
    "UPDATE a.rrd 1300000100:1:2",
    "UPDATE a.rrd garbage",
    "UPDATE a.rrd 1300000180:5:6 1300000150:1:1 1300000240:7:8",
    "UPDATE a.rrd 1300000300.5:9:10",
    "UPDATE a.rrd N:1:2",
    "UPDATE nothere.rrd 1300000180:5:6",
    "UPDATE",
    "UPDATE a.rrd",
    "update a.rrd 1300000360:11:12 ",
    "PENDING a.rrd",
    "PENDING nothere.rrd",
    "QUEUE",
    "LAST a.rrd",
    "FIRST a.rrd 0",
    "FIRST a.rrd 1",
    "FIRST a.rrd 5",
    "FIRST a.rrd -1",
    "FIRST a.rrd",
    "SUSPEND a.rrd",
    "SUSPEND a.rrd",
    "FLUSH a.rrd",
    "PENDING a.rrd",
    "RESUME a.rrd",
    "RESUME a.rrd",
    "FLUSH a.rrd",
    "FLUSH nothere.rrd",
    "FLUSH",
    "PENDING a.rrd",
    "LAST a.rrd",
    "INFO a.rrd",
    "INFO nothere.rrd",
    "FETCH a.rrd AVERAGE 1300000000 1300000400",
    "FETCH a.rrd AVERAGE 1300000000 1300000400 b",
    "FETCH a.rrd AVERAGE 1300000000 1300000400 b a",
    "FETCH a.rrd AVERAGE 1300000000 1300000400 a a",
    "FETCH a.rrd MAX 1300000000 1300000400",
    "FETCH a.rrd FOO 1300000000 1300000400",
    "FETCH a.rrd AVERAGE x",
    "FETCH a.rrd AVERAGE 1300000400 1300000000",
    "FETCH a.rrd",
    "FETCH nothere.rrd AVERAGE 1300000000 1300000400",
    "FETCHBIN a.rrd AVERAGE 1300000000 1300000400",
    "FETCHBIN a.rrd AVERAGE 1300000000 1300000400 b",
    "BATCH",
    "UPDATE a.rrd 1300000420:1:1",
    "UPDATE a.rrd 1300000400:1:1",
    "BOGUS",
    "FLUSHALL",
    "UPDATE a.rrd 1300000480:2:2",
    ".",
    "BATCH",
    ".",
    "PENDING a.rrd",
    "FORGET a.rrd",
    "FORGET a.rrd",
    "FORGET",
    "WROTE a.rrd",
    "BOGUS x",
    ".",
    "SUSPEND nothere.rrd",
];

/// The second part, on a new connection (SUSPEND of an unknown file ends
/// the first, as in rrdcached).
const SCRIPT2: &[&str] = &[
    "PING",
    "CREATE b.rrd -b 1300000000 -s 60 DS:x:GAUGE:120:0:100 RRA:LAST:0.5:1:10",
    "CREATE b.rrd -b 1000 DS:x:GAUGE:120:0:100 RRA:LAST:0.5:1:10",
    "CREATE sub/c.rrd DS:x:GAUGE:120:0:100 RRA:LAST:0.5:1:10",
    "CREATE d.rrd bogus",
    "CREATE b.rrd -O -b 1300000000 DS:x:GAUGE:120:0:100 RRA:LAST:0.5:1:10",
    "CREATE e.rrd -b 1300000000 -s 60 DS:x:GAUGE:120:0:100",
    "CREATE f.rrd -b 1300000000 -s 60 -t b.rrd",
    "INFO b.rrd",
    "UPDATE b.rrd 1300000060:5",
    "LAST b.rrd",
    "LIST /",
    "LIST RECURSIVE /",
    "LIST /b.rrd",
    "LIST",
    "LIST nope",
    "LIST /nope",
    "LIST /../",
    "SUSPENDALL",
    "SUSPENDALL",
    "RESUMEALL",
    "STATS",
    "FLUSHALL",
    "QUIT",
    "PING",
];

fn session(d: &Daemon, script: &[&str]) -> String {
    let mut c = d.connect();
    let mut out = String::new();
    let mut batch = false;
    for line in script {
        c.send(line.as_bytes());
        let word = line.split(' ').next().unwrap().to_ascii_uppercase();
        if word == "BATCH" && !batch {
            batch = true;
        } else if batch && word != "." {
            // no reply inside a batch
            continue;
        } else if word == "." {
            batch = false;
        }
        let r = String::from_utf8_lossy(&c.reply()).into_owned();
        out.push_str(&format!("> {line}\n{r}"));
        if r == "<closed>" {
            break;
        }
    }
    out
}

fn normalize(text: &str, base: &str) -> String {
    text.replace(base, "BASE")
        .lines()
        // row pointers are random at create
        .filter(|l| !l.contains("cur_row"))
        // rrdcached prints a freed buffer there: our file name is kept out
        .map(|l| {
            if l.starts_with("-1 field c not found in")
                || l.starts_with("-1 field ") && l.contains(" not found in ")
            {
                "-1 field not found in (file)".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn replies_match_c_rrdcached() {
    if !have("rrdcached") || !have("rrdtool") {
        return;
    }
    let tmp = TempDir::new("replies");
    let (bc, br) = (tmp.sub("c"), tmp.sub("r"));
    crate::support::run(
        "rrdtool",
        &bc,
        &[
            "create",
            "a.rrd",
            "--start",
            "1300000000",
            "--step",
            "60",
            "DS:a:GAUGE:300:U:U",
            "DS:b:COUNTER:300:U:U",
            "RRA:AVERAGE:0.5:1:100",
            "RRA:MAX:0.5:5:20",
        ],
    );
    std::fs::copy(bc.join("a.rrd"), br.join("a.rrd")).unwrap();
    let args = |b: &std::path::Path| {
        vec![
            "-b".to_string(),
            b.display().to_string(),
            "-w".into(),
            "3600".into(),
            "-f".into(),
            "7200".into(),
            "-F".into(),
        ]
    };
    let (ac, ar) = (args(&bc), args(&br));
    let ac: Vec<&str> = ac.iter().map(String::as_str).collect();
    let ar: Vec<&str> = ar.iter().map(String::as_str).collect();
    let dc = Daemon::start("rrdcached", &tmp.path().join("c.sock"), &ac);
    let dr = Daemon::start(RRD_CACHED, &tmp.path().join("r.sock"), &ar);
    let mut lines = 0;
    // SUSPEND without a name ends the connection, as its unknown name does
    let script3: &[&str] = &["PING", "RESUME", "PING"];
    for script in [SCRIPT, SCRIPT2, script3] {
        let c = normalize(&session(&dc, script), &bc.display().to_string());
        let r = normalize(&session(&dr, script), &br.display().to_string());
        for (k, (lc, lr)) in c.lines().zip(r.lines()).enumerate() {
            let context: Vec<&str> = c.lines().skip(k.saturating_sub(8)).take(9).collect();
            assert_eq!(lc, lr, "line {k}, after:\n{}", context.join("\n"));
        }
        assert_eq!(c.lines().count(), r.lines().count(), "\n{c}\n\n{r}");
        lines += c.lines().count();
    }
    // and the files they wrote
    assert_eq!(dc.terminate(), Some(0));
    assert_eq!(dr.terminate(), Some(0));
    for f in ["a.rrd", "b.rrd", "f.rrd"] {
        let (c, r) = (
            crate::support::dump(&bc.join(f)),
            crate::support::dump(&br.join(f)),
        );
        assert_eq!(normalize(&c, ""), normalize(&r, ""), "{f}");
    }
    eprintln!(
        "note: protocol: {} requests, {lines} reply lines equal to C rrdcached 1.7.2's",
        SCRIPT.len() + SCRIPT2.len()
    );
}

/// `-P` limits the commands of the sockets after it; HELP and QUIT stay
/// allowed, "." needs BATCH.
#[test]
fn per_socket_permissions_match_c_rrdcached() {
    if !have("rrdcached") {
        return;
    }
    let tmp = TempDir::new("perms");
    let script = [
        "PING",
        "STATS",
        "HELP",
        "UPDATE nothere.rrd 1:1",
        "FLUSH nothere.rrd",
        "BATCH",
        "FLUSH x",
        ".",
        "QUIT",
    ];
    let mut outs = Vec::new();
    for (exe, name) in [("rrdcached", "c"), (RRD_CACHED, "r")] {
        let b = tmp.sub(name);
        let b = b.display().to_string();
        let d = Daemon::start(
            exe,
            &tmp.path().join(format!("{name}.sock")),
            &["-b", &b, "-P", "FLUSH,UPDATE,BATCH", "-F"],
        );
        outs.push(session(&d, &script).replace(&b, "BASE"));
    }
    assert_eq!(outs[0], outs[1]);
    assert!(
        outs[1].contains("> STATS\n-1 Permission denied.\n"),
        "{}",
        outs[1]
    );
}
