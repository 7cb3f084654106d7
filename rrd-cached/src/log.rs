//! Where the daemon says what goes wrong: the `-o` file, else standard
//! error while it runs in the foreground, else nowhere (rrdcached logs to
//! syslog; we keep to files and terminals).

use std::io::Write;
use std::sync::Mutex;

static SINK: Mutex<Option<std::fs::File>> = Mutex::new(None);
static STDERR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
static LEVEL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(3);

/// Logs to `file` from now on.
pub fn to_file(file: std::fs::File) {
    *SINK.lock().unwrap_or_else(|e| e.into_inner()) = Some(file);
}

/// Whether messages may go to standard error (not once detached).
pub fn use_stderr(on: bool) {
    STDERR.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The highest syslog level logged (`-V`, 0 = LOG_EMERG .. 7 = LOG_DEBUG).
pub fn set_level(level: u8) {
    LEVEL.store(level, std::sync::atomic::Ordering::Relaxed);
}

fn log(level: u8, msg: &str) {
    if level > LEVEL.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let line = format!("rrd-cached[{}]: {msg}\n", std::process::id());
    let mut g = SINK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = g.as_mut() {
        let _ = f.write_all(line.as_bytes());
    } else if STDERR.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}

/// An error (LOG_ERR).
pub fn error(msg: &str) {
    log(3, msg);
}

/// A notice (LOG_NOTICE).
pub fn notice(msg: &str) {
    log(5, msg);
}

/// Information (LOG_INFO).
pub fn info(msg: &str) {
    log(6, msg);
}
