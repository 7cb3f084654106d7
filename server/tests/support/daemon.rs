//! Storage-node daemons for the tests: ours (`rrd-server storage-node`,
//! which is rrd-cached) or C rrdcached 1.7.2 from Debian's package, each
//! over its own directory on a free loopback port, killed when dropped.
//! Shared by the integration tests and the cluster test (`#[path]`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `rrd-server storage-node` (rrd-cached).
    Ours,
    /// Debian's `rrdcached`.
    C,
}

/// A running storage daemon.
pub struct Daemon {
    child: Option<Child>,
    /// What it is.
    pub kind: Kind,
    /// Its files.
    pub base: PathBuf,
    /// Its journal.
    pub journal: PathBuf,
    /// `127.0.0.1:PORT`.
    pub address: String,
}

/// A loopback port nobody listens on now (shared by the support files).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether C rrdcached can be run here; in CI its absence fails the run.
pub fn have_c_rrdcached() -> bool {
    let ok = Command::new("rrdcached")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        let required = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
            || std::env::var("RRD_E2E").as_deref() == Ok("require");
        assert!(
            !required,
            "rrdcached is not installed, and CI must run the storage tests (apt-get install rrdcached)"
        );
        eprintln!("rrdcached is not installed: the tests with C rrdcached do not run");
    }
    ok
}

impl Daemon {
    /// Starts a daemon over `dir/base` (made if missing) with its journal
    /// in `dir/journal`, on a new port.
    pub fn start(kind: Kind, dir: &Path) -> Daemon {
        let base = dir.join("base");
        let journal = dir.join("journal");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::create_dir_all(&journal).unwrap();
        let base = std::fs::canonicalize(base).unwrap();
        let journal = std::fs::canonicalize(journal).unwrap();
        let mut d = Daemon {
            child: None,
            kind,
            base,
            journal,
            address: format!("127.0.0.1:{}", free_port()),
        };
        d.restart();
        d
    }

    /// Starts it again on the same address, directory and journal (after
    /// [`Daemon::kill`]).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut cmd = match self.kind {
            Kind::Ours => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_rrd-server"));
                c.arg("storage-node");
                c
            }
            Kind::C => Command::new("rrdcached"),
        };
        cmd.args([
            "-g",
            "-R",
            "-B",
            "-F",
            "-w",
            "3600",
            "-l",
            &self.address,
            "-b",
        ])
        .arg(&self.base)
        .arg("-j")
        .arg(&self.journal)
        .arg("-p")
        .arg(self.journal.join("pid"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let _ = std::fs::remove_file(self.journal.join("pid"));
        self.child = Some(cmd.spawn().expect("starting a storage daemon"));
        let t0 = Instant::now();
        while std::net::TcpStream::connect(&self.address).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "the {:?} storage daemon on {} did not start",
                self.kind,
                self.address
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `kill -TERM` (with `-F`: everything written first), and waits.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
            panic!(
                "the storage daemon on {} did not stop on SIGTERM",
                self.address
            );
        }
    }

    /// Whether it runs.
    pub fn running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}
