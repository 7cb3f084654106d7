//! The process: options, detaching, the pid file, sockets, journal replay,
//! threads, signals and an orderly stop.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use nix::sys::signal::{SigSet, Signal};

use crate::daemon::Daemon;
use crate::journal::Journal;
use crate::options::{self, Stop};
use crate::server::{self, Listener};

/// Set in the environment of the detached child.
const DETACHED: &str = "RRD_CACHED_DETACHED";

/// Runs the daemon with `argv` (without the program name); the process's
/// exit status.
pub fn main(argv: &[String]) -> i32 {
    let o = match options::parse(argv) {
        Ok(o) => o,
        Err(Stop::Exit(code)) => return code,
    };
    let detached_child = std::env::var_os(DETACHED).is_some();
    if !o.foreground && !detached_child {
        return detach(argv);
    }
    if detached_child {
        let _ = nix::unistd::setsid();
    }
    match start(o, detached_child) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("{msg}");
            eprintln!("rrdcached: daemonize failed, exiting.");
            1
        }
    }
}

/// Starts a copy of this program as the daemon (a new session, no
/// terminal) and returns once it is ready: 0, or its failure and status.
fn detach(argv: &[String]) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("daemonize: cannot find this program: {e}");
            return 1;
        }
    };
    let child = std::process::Command::new(exe)
        .args(argv)
        .env(DETACHED, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("daemonize: fork(2) failed: {e}");
            return 1;
        }
    };
    // the child closes its end once it serves (or dies)
    let mut msg = Vec::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_end(&mut msg);
    }
    let _ = std::io::stderr().write_all(&msg);
    match child.try_wait() {
        Ok(Some(status)) => status.code().unwrap_or(1),
        _ => 0,
    }
}

/// rrdcached's pid file: refused if it names a live process, replaced if
/// stale.
fn write_pid_file(path: &Path) -> Result<(), String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        if let Ok(pid) = text.trim().parse::<i32>() {
            let alive =
                pid > 0 && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
            if alive {
                return Err(format!(
                    "FATAL: pid file '{}' exists and process {pid} is alive",
                    path.display()
                ));
            }
        }
        let _ = std::fs::remove_file(path);
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            format!(
                "FATAL: cannot create pid file '{}': {}",
                path.display(),
                rrd_clib::strerror(&e)
            )
        })?;
    writeln!(f, "{}", std::process::id()).map_err(|e| e.to_string())
}

fn start(o: options::Options, detached: bool) -> Result<i32, String> {
    crate::log::set_level(o.log_level);
    if let Some(p) = &o.log_file {
        if let Ok(f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
        {
            crate::log::to_file(f);
        }
    }
    // the signals are taken by one thread; block them before any other
    let mut signals = SigSet::empty();
    for s in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGHUP,
    ] {
        signals.add(s);
    }
    signals
        .thread_block()
        .map_err(|e| format!("cannot block signals: {e}"))?;
    if let Some(p) = &o.pid_file {
        write_pid_file(p)?;
    }
    let cleanup_pid = |o: &options::Options| {
        if let Some(p) = &o.pid_file {
            let _ = std::fs::remove_file(p);
        }
    };
    let mut listeners: Vec<Listener> = Vec::new();
    for spec in &o.listen {
        match server::open(spec) {
            Ok(mut l) => listeners.append(&mut l),
            Err(m) => eprintln!("{m}"),
        }
    }
    if listeners.is_empty() {
        cleanup_pid(&o);
        return Err("rrdcached: FATAL: cannot open any listen sockets".into());
    }
    let base = o
        .cfg
        .base_dir
        .as_ref()
        .map(|b| PathBuf::from(String::from_utf8_lossy(b).into_owned()))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    if std::env::set_current_dir(&base).is_err() {
        cleanup_pid(&o);
        return Err(format!("daemonize: chdir ({}) failed.", base.display()));
    }
    // replay what an earlier run acknowledged and may not have written
    let journal = match &o.journal_dir {
        Some(dir) => {
            let old = crate::journal::existing(dir).map_err(|e| e.to_string())?;
            if !old.is_empty() {
                let r = crate::replay::replay(&old, o.cfg.base_dir.as_deref());
                crate::log::notice(&format!(
                    "replayed {} journal lines: {} values written, {} already in their files, {} failed",
                    r.lines, r.applied, r.skipped, r.failed
                ));
            }
            let j = Journal::open(dir, &old).map_err(|e| {
                format!(
                    "JOURNALING DISABLED: cannot create a journal in {}: {e}",
                    dir.display()
                )
            })?;
            // everything replayed is in its file now
            j.remove_before(old.len() as u64);
            Some(j)
        }
        None => None,
    };
    let d = Daemon::new(o.cfg.clone(), journal);
    let mut writers = Vec::new();
    for _ in 0..o.cfg.threads {
        let d = d.clone();
        writers.push(std::thread::spawn(move || d.writer()));
    }
    let flusher = {
        let d = d.clone();
        std::thread::spawn(move || d.flusher())
    };
    let mut sockets = Vec::new();
    for l in listeners {
        if let Listener::Unix(_, p, _) = &l {
            sockets.push(p.clone());
        }
        let d = d.clone();
        std::thread::spawn(move || server::accept_loop(d, l));
    }
    if detached {
        // ready: let the parent return, and leave the terminal
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
        if let Ok(null) = null {
            let _ = nix::unistd::dup2_stderr(&null);
        }
        crate::log::use_stderr(false);
    }
    crate::log::info("listening for connections");
    // wait for a signal to stop
    loop {
        match signals.wait() {
            Ok(Signal::SIGUSR1) => {
                d.stop(Some(true));
                break;
            }
            Ok(Signal::SIGUSR2) => {
                d.stop(Some(false));
                break;
            }
            Ok(Signal::SIGINT) | Ok(Signal::SIGTERM) => {
                d.stop(None);
                break;
            }
            _ => continue,
        }
    }
    crate::log::info("starting shutdown");
    for p in &sockets {
        let _ = std::fs::remove_file(p);
    }
    let _ = flusher.join();
    // connections notice within half a second; one waiting for room or a
    // flush gives up with the state
    let t = std::time::Instant::now();
    while server::active_connections() > 0 && t.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    d.finish();
    for w in writers {
        let _ = w.join();
    }
    if let Some(j) = d.journal() {
        let all_written = d.flushes_at_shutdown() && d.pending_values() == 0;
        j.close(all_written);
    }
    cleanup_pid(&o);
    crate::log::info("goodbye");
    Ok(0)
}
