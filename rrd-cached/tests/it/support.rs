//! Starting daemons, talking the protocol, scratch directories.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Our daemon.
pub const RRD_CACHED: &str = env!("CARGO_BIN_EXE_rrd-cached");

/// Whether CI (or `RRD_E2E=require`) demands every real part.
pub fn required_parts() -> bool {
    std::env::var_os("CI").is_some() || std::env::var("RRD_E2E").is_ok_and(|v| v == "require")
}

/// Whether `program` runs here; in CI its absence fails the test.
pub fn have(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found || !required_parts(),
        "{program} is not installed (apt-get install {program})"
    );
    if !found {
        eprintln!("note: {program} is not on PATH; the tests that need it are skipped");
    }
    found
}

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "rrd-cached-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        // the daemon insists on a base directory reached without links
        TempDir(std::fs::canonicalize(&p).unwrap())
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn sub(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A daemon in the foreground on a UNIX socket, killed on drop.
pub struct Daemon {
    pub child: Child,
    pub sock: PathBuf,
}

impl Daemon {
    /// `exe` (rrd-cached or rrdcached) with `-g -l unix:SOCK` and `args`.
    pub fn start(exe: &str, sock: &Path, args: &[&str]) -> Daemon {
        let _ = std::fs::remove_file(sock);
        // options first: -P and -m apply to the sockets after them
        let child = Command::new(exe)
            .arg("-g")
            .args(args)
            .arg("-l")
            .arg(format!("unix:{}", sock.display()))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(sock.with_extension("err")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {exe}: {e}"));
        let mut d = Daemon {
            child,
            sock: sock.to_path_buf(),
        };
        let t = Instant::now();
        while UnixStream::connect(sock).is_err() {
            let exited = d.child.try_wait().unwrap();
            if exited.is_some() || t.elapsed() > Duration::from_secs(10) {
                let err = std::fs::read_to_string(sock.with_extension("err")).unwrap_or_default();
                panic!("{exe} did not listen ({exited:?}): {err}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        d
    }

    pub fn connect(&self) -> Conn {
        Conn::new(UnixStream::connect(&self.sock).unwrap())
    }

    /// SIGKILL, and wait.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and wait for the exit status.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let t = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            assert!(t.elapsed() < Duration::from_secs(30), "daemon did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A protocol connection.
pub struct Conn {
    r: BufReader<UnixStream>,
    w: UnixStream,
}

impl Conn {
    pub fn new(s: UnixStream) -> Conn {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        Conn {
            w: s.try_clone().unwrap(),
            r: BufReader::new(s),
        }
    }

    /// Sends a line; a connection the daemon closed shows in the reply.
    pub fn send(&mut self, line: &[u8]) {
        let mut l = line.to_vec();
        l.push(b'\n');
        let _ = self.w.write_all(&l);
    }

    /// One reply: the status line and the lines it announces, as text
    /// (binary FETCHBIN data as bytes).
    pub fn reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut status = Vec::new();
        if self.r.read_until(b'\n', &mut status).unwrap_or(0) == 0 {
            return b"<closed>".to_vec();
        }
        out.extend_from_slice(&status);
        let text = String::from_utf8_lossy(&status);
        let n: i64 = text.split(' ').next().unwrap_or("").parse().unwrap_or(0);
        let mut k = 0;
        while k < n {
            let mut line = Vec::new();
            self.r.read_until(b'\n', &mut line).unwrap();
            // "DSName-x: BinaryData ROWS 8 LITTLE" is followed by ROWS*8 bytes
            let l = String::from_utf8_lossy(&line).to_string();
            out.extend_from_slice(&line);
            if let Some(rest) = l.split_once(": BinaryData ").map(|(_, r)| r.to_string()) {
                let rows: usize = rest.split(' ').next().unwrap().parse().unwrap();
                let mut data = vec![0u8; rows * 8 + 1];
                self.r.read_exact(&mut data).unwrap();
                out.extend_from_slice(&data);
            }
            k += 1;
        }
        out
    }

    pub fn ask(&mut self, line: &str) -> String {
        self.send(line.as_bytes());
        String::from_utf8_lossy(&self.reply()).into_owned()
    }
}

/// Runs rrdtool (or rrd) and returns stdout, failing on a non-zero exit.
pub fn run(program: &str, cwd: &Path, args: &[&str]) -> String {
    let o = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("TZ", "UTC")
        .env_remove("RRDCACHED_ADDRESS")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The dump of a file without the archives' row pointers' comments that
/// differ between files created apart (rows are compared as values).
pub fn dump(path: &Path) -> String {
    run(
        "rrdtool",
        path.parent().unwrap(),
        &["dump", path.to_str().unwrap()],
    )
}

/// A small deterministic generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
