//! npm's kinesalite (pinned in server/tests/kinesis, `npm ci` there; CI
//! installs it) on a free loopback port, with `faults.cjs` preloaded
//! (throttling every Nth read, a clock offset read from a file), killed
//! when dropped. Shared by the integration tests and the cluster test
//! (`#[path]`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running kinesalite.
pub struct Kinesalite {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The file its clock offset (milliseconds) is read from.
    pub clock: PathBuf,
}

fn kinesis_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kinesis")
}

impl Kinesalite {
    /// Starts kinesalite (its clock offset file in `dir`), or says why not
    /// (a failure in CI).
    pub fn start(dir: &Path, throttle_every: u32) -> Option<Kinesalite> {
        let cli = kinesis_dir().join("node_modules/kinesalite/cli.js");
        let node = Command::new("node").arg("--version").output();
        if !cli.exists() || !node.is_ok_and(|o| o.status.success()) {
            let required = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
                || std::env::var("RRD_E2E").as_deref() == Ok("require");
            assert!(
                !required,
                "kinesalite is not installed, and CI must run the Kinesis tests (npm ci --prefix server/tests/kinesis)"
            );
            eprintln!("kinesalite is not installed (npm ci --prefix server/tests/kinesis): the Kinesis tests do not run");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::create_dir_all(dir).unwrap();
        let clock = dir.join("clock-offset-ms");
        std::fs::write(&clock, "0").unwrap();
        let child = Command::new("node")
            .arg("-r")
            .arg(kinesis_dir().join("faults.cjs"))
            .arg(&cli)
            .args(["--port", &port.to_string()])
            .args([
                "--createStreamMs",
                "0",
                "--deleteStreamMs",
                "0",
                "--updateStreamMs",
                "0",
            ])
            .env("KINESALITE_CLOCK_FILE", &clock)
            .env("KINESALITE_THROTTLE_EVERY", throttle_every.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting kinesalite");
        let k = Kinesalite { child, port, clock };
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "kinesalite did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(k)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Kinesalite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
