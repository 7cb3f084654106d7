//! A PostgreSQL server of the tests' own: Debian's package (`apt-get
//! install postgresql`), a fresh cluster in a temporary directory,
//! listening on a free loopback port, stopped when dropped. Shared by the
//! integration tests and the cluster test (`#[path]`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::daemon::free_port;

/// A running PostgreSQL.
pub struct Postgres {
    child: Child,
    dir: PathBuf,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

/// Whether a missing PostgreSQL must fail the run (CI).
fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
        || std::env::var("RRD_E2E").as_deref() == Ok("require")
}

/// Debian's PostgreSQL binaries (`/usr/lib/postgresql/N/bin`), newest first.
fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file() && p.join("postgres").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// The `postgres` account's uid and gid, when we are root (PostgreSQL
/// refuses to run as root).
fn run_as() -> Option<(u32, u32)> {
    let me = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return None;
    }
    let id = |flag: &str| -> Option<u32> {
        let o = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8_lossy(&o.stdout).trim().parse().ok()
    };
    Some((
        id("-u").expect("running as root, the postgres account is needed"),
        id("-g")?,
    ))
}

fn as_postgres(cmd: &mut Command, who: Option<(u32, u32)>) -> &mut Command {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = who {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

impl Postgres {
    /// Starts a fresh cluster, or says why not (a failure in CI).
    pub fn start(tag: &str) -> Option<Postgres> {
        let Some(bin) = bin_dir() else {
            assert!(
                !required(),
                "PostgreSQL is not installed, and CI must run the PostgreSQL tests (apt-get install postgresql)"
            );
            eprintln!("PostgreSQL is not installed (apt-get install postgresql): the PostgreSQL tests do not run");
            return None;
        };
        let who = run_as();
        let dir = std::env::temp_dir().join(format!("rrd-pg-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some((uid, gid)) = who {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
        }
        let data = dir.join("data");
        let out = as_postgres(&mut Command::new(bin.join("initdb")), who)
            .args(["-D"])
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            // a natural-language collation (`a` before `B`), as production
            // databases have: byte order must be asked for
            .args(["--locale=C", "--locale-provider=icu", "--icu-locale=en-US"])
            .stdout(Stdio::null())
            .output()
            .expect("running initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let child = as_postgres(&mut Command::new(bin.join("postgres")), who)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("postgres.log")).unwrap())
            .spawn()
            .expect("starting postgres");
        let pg = Postgres {
            child,
            dir,
            bin,
            port,
        };
        pg.wait_ready();
        Some(pg)
    }

    fn wait_ready(&self) {
        let t0 = Instant::now();
        loop {
            let ok = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "PostgreSQL did not start: {}",
                std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Makes a database; its URL.
    pub fn database(&self, name: &str) -> String {
        let out = Command::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ])
            .output()
            .expect("running createdb");
        assert!(
            out.status.success(),
            "createdb {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs SQL with psql; its output, unaligned.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args([
                "-d",
                db,
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The directory of its files and log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // a fast shutdown (SIGINT): backends end with the server
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                let _ = std::fs::remove_dir_all(&self.dir);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
