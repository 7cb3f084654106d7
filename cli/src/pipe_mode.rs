//! `rrd -` (rrdtool's remote control, `rrdtool -` in rrdtool 1.7.2's
//! `rrd_tool.c`): commands on standard input, one per line, split on
//! spaces with `'` and `"` quoting (no escapes); after each, `OK u:... s:...
//! r:...` (user and system CPU seconds and real seconds since the start) or
//! `ERROR: message`, on standard output. Besides rrdtool's commands: `quit`,
//! `cd`, `mkdir`, `pwd` and `ls`.
//!
//! With a working directory (`rrd - DIR`), rrdtool changes to it, and when
//! run as root, chroots to it. rrd confines every session that names one:
//! `cd` and `mkdir` take no absolute path and no `..`, `cd` never leaves
//! the directory (through a link either), and no argument of the other
//! commands names a file by an absolute path or through `..`.

use std::io::{BufRead, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use crate::output::strerror;

/// A session: the confining directory, if any, and the start time.
struct Session {
    root: Option<PathBuf>,
    started: Instant,
}

/// rrdtool's `CountArgs`: words separated by spaces.
fn count_args(line: &[u8]) -> usize {
    let mut n = 0;
    let mut in_arg = false;
    for &c in line {
        if c == b' ' {
            in_arg = false;
        } else if !in_arg {
            in_arg = true;
            n += 1;
        }
    }
    n
}

/// rrdtool's `CreateArgs`: trailing and leading bytes up to the space
/// dropped, words split on spaces, `'` or `"` quote (the other one is
/// literal inside), no escapes. `None` for an unbalanced quote.
fn create_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut end = line.len();
    while end > 0 && line[end - 1] <= b' ' {
        end -= 1;
    }
    let mut start = 0;
    while start < end && line[start] <= b' ' {
        start += 1;
    }
    let mut args: Vec<Vec<u8>> = Vec::new();
    let mut quote = 0u8;
    let mut in_arg = false;
    for &c in &line[start..end] {
        match c {
            b' ' if quote != 0 => args.last_mut()?.push(c),
            b' ' => in_arg = false,
            b'"' | b'\'' => {
                if quote != 0 {
                    if quote == c {
                        quote = 0;
                    } else {
                        args.last_mut()?.push(c);
                    }
                } else {
                    if !in_arg {
                        args.push(Vec::new());
                        in_arg = true;
                    }
                    quote = c;
                }
            }
            _ => {
                if !in_arg {
                    args.push(Vec::new());
                    in_arg = true;
                }
                args.last_mut()?.push(c);
            }
        }
    }
    (quote == 0).then_some(args)
}

/// User and system CPU seconds of this process (`/proc/self/stat`).
fn cpu_times() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // the fields after the command name, which is in parentheses
    let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
        return (0.0, 0.0);
    };
    let f: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here,
    // in clock ticks of 1/100 s on Linux
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

/// Whether `p` is absolute or climbs with `..`.
fn escapes(p: &str) -> bool {
    let path = Path::new(p);
    path.is_absolute() || path.components().any(|c| c == Component::ParentDir)
}

/// Whether an argument of a command names a file outside the session's
/// directory: any piece of it between `:` and `=` that is an absolute path
/// or has a `..` component.
fn arg_escapes(arg: &str) -> bool {
    // a short option with its value attached: `-r/path`
    let arg = match arg.as_bytes() {
        [b'-', c, ..] if c.is_ascii_alphabetic() => &arg[2..],
        _ => arg,
    };
    arg.split([':', '='])
        .any(|piece| piece.starts_with('/') || piece.split('/').any(|c| c == ".."))
}

/// The longest line a session reads (rrdtool's has no limit).
const MAX_LINE: usize = 16 << 20;

impl Session {
    /// The remote commands and the confinement; then the command itself.
    fn line(&mut self, args: &[String], out: &mut dyn Write) -> Result<bool, String> {
        let cmd = args.first().map(String::as_str).unwrap_or_default();
        match cmd {
            "quit" => {
                if args.len() != 1 {
                    return Err("invalid parameter count for quit".into());
                }
                return Ok(false);
            }
            "cd" => {
                if args.len() != 2 {
                    return Err("invalid parameter count for cd".into());
                }
                self.cd(&args[1])?;
                return Ok(true);
            }
            "pwd" => {
                if args.len() != 1 {
                    return Err("invalid parameter count for pwd".into());
                }
                let cwd =
                    std::env::current_dir().map_err(|e| format!("getcwd {}", strerror(&e)))?;
                let mut b = rrd_core::argbytes::encode(cwd.as_os_str());
                b.push('\n');
                crate::output::write_out(out, &b)?;
                return Ok(true);
            }
            "mkdir" => {
                if args.len() != 2 {
                    return Err("invalid parameter count for mkdir".into());
                }
                let dir = &args[1];
                if self.root.is_some() && escapes(dir) {
                    return Err(format!(
                        "mkdir {dir}: absolute paths and '..' are not allowed below the working directory"
                    ));
                }
                std::fs::create_dir(rrd_core::argbytes::to_path(dir))
                    .map_err(|e| format!("mkdir {dir}: {}", strerror(&e)))?;
                return Ok(true);
            }
            "ls" => {
                if args.len() != 1 {
                    return Err("invalid parameter count for ls".into());
                }
                ls(out)?;
                return Ok(true);
            }
            _ => {}
        }
        if self.root.is_some() {
            if let Some(a) = args.iter().skip(1).find(|a| arg_escapes(a)) {
                return Err(format!(
                    "{a}: absolute paths and '..' are not allowed below the working directory"
                ));
            }
        }
        crate::commands::handle(args, out, true)?;
        Ok(true)
    }

    fn cd(&mut self, dir: &str) -> Result<(), String> {
        let Some(root) = &self.root else {
            return std::env::set_current_dir(rrd_core::argbytes::to_path(dir))
                .map_err(|e| format!("chdir {dir} {}", strerror(&e)));
        };
        if escapes(dir) {
            return Err(format!(
                "chdir {dir}: absolute paths and '..' are not allowed below the working directory"
            ));
        }
        let before =
            std::env::current_dir().map_err(|e| format!("chdir {dir} {}", strerror(&e)))?;
        std::env::set_current_dir(rrd_core::argbytes::to_path(dir))
            .map_err(|e| format!("chdir {dir} {}", strerror(&e)))?;
        // a link inside may lead out: go back
        let now = std::env::current_dir().and_then(|p| p.canonicalize());
        if !now.is_ok_and(|p| p.starts_with(root)) {
            let _ = std::env::set_current_dir(before);
            return Err(format!(
                "chdir {dir}: it leads outside the working directory"
            ));
        }
        Ok(())
    }
}

/// `ls`: directories as `d name`, `.rrd` and `.RRD` files as `- name`,
/// in the order the directory gives them (`.` and `..` included), links
/// followed.
fn ls(out: &mut dyn Write) -> Result<(), String> {
    use rustix::fs::{Mode, OFlags};
    let fail = |e: rustix::io::Errno| format!("opendir .: {}", strerror(&e.into()));
    let fd = rustix::fs::open(
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(fail)?;
    let mut dir = rustix::fs::Dir::read_from(&fd).map_err(fail)?;
    let mut text = String::new();
    while let Some(e) = dir.read() {
        let Ok(e) = e else {
            break;
        };
        let bytes = e.file_name().to_bytes();
        let name = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes);
        let Ok(meta) = std::fs::metadata(name) else {
            continue;
        };
        let shown = rrd_core::argbytes::encode_bytes(bytes);
        if meta.is_dir() {
            text.push_str(&format!("d {shown}\n"));
        }
        if bytes.len() > 4
            && meta.is_file()
            && (bytes.ends_with(b".rrd") || bytes.ends_with(b".RRD"))
        {
            text.push_str(&format!("- {shown}\n"));
        }
    }
    crate::output::write_out(out, &text)
}

/// Runs a session over `input`, writing to `out`; returns the exit status
/// (`quit` or the end of the input end it; a working directory that
/// cannot be entered ends it at once, with `errno` as rrdtool's does).
pub fn serve(workdir: Option<&str>, input: &mut dyn BufRead, out: &mut dyn Write) -> i32 {
    let mut s = Session {
        root: None,
        started: Instant::now(),
    };
    if let Some(dir) = workdir.filter(|d| !d.is_empty()) {
        let p = rrd_core::argbytes::to_path(dir);
        if let Err(e) = std::env::set_current_dir(&p) {
            eprintln!("ERROR: chdir {dir} {}", strerror(&e));
            return e.raw_os_error().unwrap_or(1);
        }
        s.root = std::env::current_dir().and_then(|p| p.canonicalize()).ok();
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match std::io::Read::take(&mut *input, MAX_LINE as u64).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        if line.len() >= MAX_LINE && line.last() != Some(&b'\n') {
            // skip the rest of the line
            let mut rest = Vec::new();
            loop {
                rest.clear();
                match std::io::Read::take(&mut *input, MAX_LINE as u64).read_until(b'\n', &mut rest)
                {
                    Ok(0) | Err(_) => return 0,
                    Ok(_) if rest.last() == Some(&b'\n') => break,
                    Ok(_) => {}
                }
            }
            let _ = crate::output::write_out(
                out,
                &format!("ERROR: line longer than {MAX_LINE} bytes\n"),
            );
            let _ = out.flush();
            continue;
        }
        let reply = if count_args(&line) == 0 {
            Some("ERROR: not enough arguments\n".to_string())
        } else {
            match create_args(&line) {
                None => Some("ERROR: creating arguments\n".to_string()),
                Some(words) => {
                    let args: Vec<String> = words
                        .iter()
                        .map(|w| rrd_core::argbytes::encode_bytes(w))
                        .collect();
                    match s.line(&args, out) {
                        Ok(false) => {
                            let _ = out.flush();
                            return 0;
                        }
                        Ok(true) => {
                            let (u, sys) = cpu_times();
                            let r = s.started.elapsed().as_secs_f64();
                            Some(format!("OK u:{u:1.2} s:{sys:1.2} r:{r:1.2}\n"))
                        }
                        Err(msg) => Some(format!("ERROR: {msg}\n")),
                    }
                }
            }
        };
        if let Some(r) = reply {
            let _ = crate::output::write_out(out, &r);
        }
        if out.flush().is_err() {
            return 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Option<Vec<String>> {
        create_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|w| String::from_utf8(w).unwrap())
                .collect()
        })
    }

    #[test]
    fn lines_split_as_rrdtools_create_args() {
        assert_eq!(words("  a b\t\n"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(
            words("graph 'a b' \"c'd\" x\"y z\""),
            Some(vec![
                "graph".into(),
                "a b".into(),
                "c'd".into(),
                "xy z".into()
            ])
        );
        assert_eq!(words("a 'b"), None);
        assert_eq!(words("a\tb"), Some(vec!["a\tb".into()]));
        assert_eq!(count_args(b"   "), 0);
        assert_eq!(count_args(b"\t"), 1);
    }

    #[test]
    fn confinement_refuses_paths_that_leave() {
        assert!(escapes("/etc"));
        assert!(escapes("a/../.."));
        assert!(!escapes("a/b"));
        assert!(arg_escapes("DEF:x=/etc/x.rrd:a:AVERAGE"));
        assert!(arg_escapes("DEF:x=../x.rrd:a:AVERAGE"));
        assert!(!arg_escapes("DEF:x=sub/x.rrd:a:AVERAGE"));
        assert!(!arg_escapes("CDEF:y=x,2,/"));
        assert!(arg_escapes("-r/etc/x.rrd"));
        assert!(!arg_escapes("-s300"));
    }
}
