//! Pipe mode (`rrd -`), `help` and `--version` against rrdtool 1.7.2.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{argv, have_rrdtool, rrd, TempDir};

/// Runs `program -` (and `extra` arguments) in `dir` with `input` on stdin.
fn session(program: &str, dir: &Path, extra: &[&str], input: &str) -> (i32, String) {
    let mut child = Command::new(program)
        .arg("-")
        .args(extra)
        .current_dir(dir)
        .env("TZ", "UTC")
        .env_remove("RRDCACHED_ADDRESS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} -: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Output with what may differ blanked: timings, the banner, the program
/// name in usage lines, the closing licence lines, the directory.
fn normal(text: &str, dir: &Path) -> String {
    let mut out = Vec::new();
    let mut skip_licence = 0;
    for line in text.lines() {
        if skip_licence > 0 {
            skip_licence -= 1;
            continue;
        }
        let l = if let Some(rest) = line.strip_prefix("OK u:") {
            assert!(
                rest.split(' ').count() == 3 && rest.contains(" s:") && rest.contains(" r:"),
                "OK line {line:?}"
            );
            "OK".to_string()
        } else if line.starts_with("RRDtool 1.7.2  ") {
            "BANNER".to_string()
        } else if line.starts_with("               ") && !line.contains('[') {
            continue;
        } else if line.starts_with("RRDtool is distributed")
            || line.starts_with("rrd is distributed")
        {
            if line.starts_with("RRDtool") {
                skip_licence = 1;
            }
            "LICENCE".to_string()
        } else {
            line.replace("Usage: rrdtool ", "Usage: rrd ")
                .replace("\trrdtool ", "\trrd ")
                .replace(&dir.display().to_string(), "DIR")
        };
        out.push(l);
    }
    out.join("\n")
}

#[test]
fn pipe_sessions_answer_as_rrdtools() {
    if !have_rrdtool() {
        return;
    }
    let tmp = TempDir::new("pipe-mode");
    let script = [
        "create x.rrd --start 1300000000 --step 60 DS:a:GAUGE:120:U:U RRA:AVERAGE:0.5:1:10",
        "update x.rrd 1300000060:5 1300000120:7",
        "",
        "   ",
        "last x.rrd",
        "info",
        "help",
        "bogus x",
        "update x.rrd 1200000000:1",
        "fetch x.rrd AVERAGE --start 1300000000 --end 1300000180",
        "graph g.png --start 1300000000 --end 1300000180 'COMMENT:a b' DEF:a=x.rrd:a:AVERAGE LINE:a#ff0000 PRINT:a:AVERAGE:%lf",
        "xport --start 1300000000 --end 1300000180 DEF:a=x.rrd:a:AVERAGE \"XPORT:a:my legend\"",
        "lastupdate 'x.rrd'",
        "last \"x.rrd",
        "mkdir sub",
        "mkdir sub",
        "cd sub",
        "pwd",
        "cd",
        "ls",
        "cd ..",
        "ls",
        "quit now",
        "tune x.rrd --heartbeat a:300",
        "quit",
        "last x.rrd",
    ]
    .join("\n")
        + "\n";
    let theirs_dir = tmp.sub("theirs");
    let ours_dir = tmp.sub("ours");
    let (ts, theirs) = session("rrdtool", &theirs_dir, &[], &script);
    let (os, ours) = session(env!("CARGO_BIN_EXE_rrd"), &ours_dir, &[], &script);
    assert_eq!(ts, os, "exit status");
    let (t, o) = (normal(&theirs, &theirs_dir), normal(&ours, &ours_dir));
    if t != o {
        let tl: Vec<&str> = t.lines().collect();
        let ol: Vec<&str> = o.lines().collect();
        let i = tl.iter().zip(&ol).take_while(|(a, b)| a == b).count();
        panic!(
            "pipe session differs at line {}:\n rrdtool: {:?}\n rrd:     {:?}",
            i + 1,
            tl.get(i),
            ol.get(i)
        );
    }
    // a graph to standard output comes before its OK line
    let (_, png) = session(
        env!("CARGO_BIN_EXE_rrd"),
        &ours_dir,
        &[],
        "graph - --start 1300000000 --end 1300000180 DEF:a=x.rrd:a:AVERAGE LINE:a#ff0000\n",
    );
    let at = png.find("PNG").expect("a PNG on standard output");
    assert!(
        png[at..].contains("IEND") && png[at..].contains("OK u:"),
        "no OK after the image"
    );
}

#[test]
fn a_working_directory_confines_the_session() {
    let tmp = TempDir::new("pipe-confined");
    let root = tmp.sub("root");
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(tmp.path().join("outside.rrd"), b"not here").unwrap();
    std::os::unix::fs::symlink(tmp.path(), root.join("up")).unwrap();
    let script = [
        "cd /",
        "cd ..",
        "cd sub/../..",
        "cd up",
        "mkdir ../x",
        "mkdir /tmp/x",
        "info ../outside.rrd",
        "info /etc/passwd",
        "graph g.png DEF:a=../outside.rrd:a:AVERAGE LINE:a#000000",
        "cd sub",
        "pwd",
        "create y.rrd --start 1300000000 DS:a:GAUGE:600:U:U RRA:AVERAGE:0.5:1:10",
        "ls",
        "quit",
    ]
    .join("\n")
        + "\n";
    let (status, out) = session(
        env!("CARGO_BIN_EXE_rrd"),
        tmp.path(),
        &[root.to_str().unwrap()],
        &script,
    );
    assert_eq!(status, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let errors = lines.iter().filter(|l| l.starts_with("ERROR: ")).count();
    assert_eq!(errors, 9, "every escape refused:\n{out}");
    for l in &lines[..9] {
        assert!(
            l.contains("not allowed below the working directory")
                || l.contains("leads outside the working directory"),
            "{l}"
        );
    }
    let canon = root.join("sub").canonicalize().unwrap();
    assert!(out.contains(&format!("{}\n", canon.display())), "{out}");
    assert!(root.join("sub/y.rrd").exists(), "{out}");
    assert!(out.contains("- y.rrd\n"), "{out}");
    assert!(!tmp.path().join("x").exists() && !Path::new("/tmp/x").exists());
    // a directory that does not exist: rrdtool's message and errno
    let (status, out) = session(env!("CARGO_BIN_EXE_rrd"), tmp.path(), &["nosuch"], "");
    assert_eq!(
        (status, out.as_str()),
        (2, "ERROR: chdir nosuch No such file or directory\n")
    );
}

#[test]
fn help_texts_are_rrdtools() {
    if !have_rrdtool() {
        return;
    }
    let tmp = TempDir::new("help");
    let cmds = [
        "",
        "create",
        "dump",
        "info",
        "list",
        "restore",
        "last",
        "lastupdate",
        "first",
        "update",
        "updatev",
        "fetch",
        "flushcached",
        "graph",
        "graphv",
        "tune",
        "resize",
        "xport",
        "quit",
        "ls",
        "cd",
        "mkdir",
        "pwd",
        "nosuch",
    ];
    for c in cmds {
        let args = if c.is_empty() {
            argv(&["help"])
        } else {
            argv(&["help", c])
        };
        let want = crate::support::rrdtool(tmp.path(), "UTC", &args);
        let got = rrd(tmp.path(), "UTC", &args);
        assert_eq!(want.status, got.status, "help {c}");
        assert_eq!(
            normal(&want.out(), tmp.path()),
            normal(&got.out(), tmp.path()),
            "rrd help {c}"
        );
    }
    // a lone command word prints its usage too
    let want = crate::support::rrdtool(tmp.path(), "UTC", &argv(&["tune"]));
    let got = rrd(tmp.path(), "UTC", &argv(&["tune"]));
    assert_eq!(
        normal(&want.out(), tmp.path()),
        normal(&got.out(), tmp.path())
    );
}

#[test]
fn version_names_ours_beside_rrdtools() {
    let tmp = TempDir::new("version");
    let ver = env!("CARGO_PKG_VERSION");
    // what LibreNMS reads (the second word) and Cacti (`^RRDtool ([0-9.]+)`)
    for args in [argv(&["--version"]), argv(&[]), argv(&["version", "x"])] {
        let got = rrd(tmp.path(), "UTC", &args);
        let first = got.out().lines().next().unwrap_or_default().to_string();
        assert!(first.starts_with("RRDtool 1.7.2 "), "{args:?}: {first}");
        assert_eq!(first.split(' ').nth(1), Some("1.7.2"), "{args:?}");
        assert!(first.contains(&format!("rrd {ver}")), "{args:?}: {first}");
    }
}
