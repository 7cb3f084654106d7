//! Sockets: listening on UNIX and TCP addresses as rrdcached does, one
//! thread per connection reading request lines, answering them, and
//! writing the journal before any acknowledgement leaves.

use std::io::{self, Read, Write};
use std::net::{TcpListener, ToSocketAddrs};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::daemon::{wall_clock, Daemon, Flow, Session, State};
use crate::protocol::LINE_MAX;

/// rrdcached's default port.
pub const DEFAULT_PORT: u16 = 42217;

/// One `-l` address with the options in force before it.
#[derive(Debug, Clone)]
pub struct ListenSpec {
    /// As given: `unix:/path`, `/path`, `host`, `host:port`, `[v6]:port`.
    pub addr: String,
    /// Commands allowed (bit i: `COMMANDS[i]`).
    pub perms: u32,
    /// `-m`: the socket file's mode.
    pub mode: Option<u32>,
}

/// An open listening socket.
#[derive(Debug)]
pub enum Listener {
    /// A UNIX socket and its path (removed at exit).
    Unix(UnixListener, PathBuf, u32),
    /// A TCP socket.
    Tcp(TcpListener, u32),
}

/// Opens the sockets of `spec` (a name may resolve to several TCP ones).
pub fn open(spec: &ListenSpec) -> Result<Vec<Listener>, String> {
    let a = spec.addr.as_str();
    if let Some(path) = a
        .strip_prefix("unix:")
        .or_else(|| a.starts_with('/').then_some(a))
    {
        let p = PathBuf::from(path);
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!(
                    "Failed to create socket directory '{}': {}",
                    dir.display(),
                    rrd_clib::strerror(&e)
                )
            })?;
        }
        let _ = std::fs::remove_file(&p);
        let l = UnixListener::bind(&p).map_err(|e| {
            format!(
                "rrdcached: bind({path}) failed: {}.",
                rrd_clib::strerror(&e)
            )
        })?;
        if let Some(mode) = spec.mode {
            if let Err(e) = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)) {
                eprintln!(
                    "rrdcached: failed to set socket file permissions ({mode:o}): {}",
                    rrd_clib::strerror(&e)
                );
            }
        }
        return Ok(vec![Listener::Unix(l, p, spec.perms)]);
    }
    let (host, port) = split_host_port(a)?;
    let port = port.unwrap_or(DEFAULT_PORT);
    let addrs: Vec<std::net::SocketAddr> = if host.is_empty() {
        vec![
            std::net::SocketAddr::from(([0u8; 16], port)),
            std::net::SocketAddr::from(([0u8; 4], port)),
        ]
    } else {
        (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("rrdcached: getaddrinfo({host}) failed: {e}"))?
            .collect()
    };
    let mut out = Vec::new();
    let mut last_err = None;
    for sa in addrs {
        match TcpListener::bind(sa) {
            Ok(l) => out.push(Listener::Tcp(l, spec.perms)),
            Err(e) => {
                last_err = Some(format!(
                    "rrdcached: bind({a}) failed: {}.",
                    rrd_clib::strerror(&e)
                ))
            }
        }
    }
    if out.is_empty() {
        return Err(last_err.unwrap_or_else(|| format!("rrdcached: no address for {a}")));
    }
    Ok(out)
}

/// rrdcached's split of a network address: `[v6]:port`, `host:port`
/// (at the last colon), `host`.
fn split_host_port(a: &str) -> Result<(String, Option<u16>), String> {
    let port = |p: &str| {
        p.parse::<u16>().map_err(|_| {
            format!("rrdcached: getaddrinfo({a}) failed: Servname not supported for ai_socktype")
        })
    };
    if let Some(rest) = a.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("rrdcached: Malformed address: {a}"));
        };
        return match after {
            "" => Ok((host.to_string(), None)),
            _ => match after.strip_prefix(':') {
                Some(p) => Ok((host.to_string(), Some(port(p)?))),
                None => Err(format!("rrdcached: Garbage after address: {after}")),
            },
        };
    }
    match a.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), Some(port(p)?))),
        None => Ok((a.to_string(), None)),
    }
}

/// Most connections served at once; more are told so and closed.
pub const MAX_CONNECTIONS: usize = 4096;
static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// Connections being served.
pub fn active_connections() -> usize {
    CONNECTIONS.load(Ordering::Acquire)
}

/// Gives a connection's slot back when its thread ends, panicking or not.
struct Slot;

impl Drop for Slot {
    fn drop(&mut self) {
        CONNECTIONS.fetch_sub(1, Ordering::AcqRel);
    }
}

trait Conn: Read + Write + Send {
    fn set_timeouts(&self) -> io::Result<()>;
}

impl Conn for std::os::unix::net::UnixStream {
    fn set_timeouts(&self) -> io::Result<()> {
        self.set_read_timeout(Some(Duration::from_millis(500)))?;
        self.set_write_timeout(Some(Duration::from_secs(60)))
    }
}

impl Conn for std::net::TcpStream {
    fn set_timeouts(&self) -> io::Result<()> {
        self.set_nodelay(true)?;
        self.set_read_timeout(Some(Duration::from_millis(500)))?;
        self.set_write_timeout(Some(Duration::from_secs(60)))
    }
}

/// Accepts connections on `l` until the daemon stops, one thread each.
pub fn accept_loop(d: Arc<Daemon>, l: Listener) {
    loop {
        let accepted: io::Result<(Box<dyn Conn>, u32)> = match &l {
            Listener::Unix(u, _, perms) => u
                .accept()
                .map(|(s, _)| (Box::new(s) as Box<dyn Conn>, *perms)),
            Listener::Tcp(t, perms) => t
                .accept()
                .map(|(s, _)| (Box::new(s) as Box<dyn Conn>, *perms)),
        };
        if d.state() != State::Running {
            return;
        }
        let (mut conn, perms) = match accepted {
            Ok(c) => c,
            Err(e) => {
                crate::log::error(&format!("accept failed: {e}"));
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if CONNECTIONS.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            CONNECTIONS.fetch_sub(1, Ordering::AcqRel);
            let _ = conn.write_all(b"-1 Too many connections\n");
            continue;
        }
        let d = d.clone();
        let spawned = std::thread::Builder::new()
            .name("rrd-cached-conn".into())
            .spawn(move || {
                let _slot = Slot;
                serve(&d, conn.as_mut(), perms);
            });
        if spawned.is_err() {
            CONNECTIONS.fetch_sub(1, Ordering::AcqRel);
            crate::log::error("cannot start a connection thread");
        }
    }
}

/// Serves one connection until it closes, asks to quit, or the daemon
/// stops.
fn serve(d: &Daemon, conn: &mut dyn Conn, perms: u32) {
    if conn.set_timeouts().is_err() {
        return;
    }
    let mut s = Session::new(perms);
    let mut buf: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut chunk = vec![0u8; 64 << 10];
    while d.state() == State::Running {
        let n = match conn.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(_) => return,
        };
        buf.extend_from_slice(&chunk[..n]);
        let wall = wall_clock();
        let mut flow = Flow::Continue;
        let mut start = 0;
        while let Some(i) = buf[start..].iter().position(|&b| b == b'\n') {
            let mut line = &buf[start..start + i];
            start += i + 1;
            if line.len() >= LINE_MAX {
                // rrdcached's buffer never holds it whole
                s.out.extend_from_slice(b"-1 Request line too long\n");
                flow = Flow::Close;
                break;
            }
            if let Some(l) = line.strip_suffix(b"\r") {
                line = l;
            }
            let now = s.now(wall);
            flow = d.handle(&mut s, now, line);
            if flow == Flow::Close {
                break;
            }
            if s.batch_errors() > BATCH_ERRORS_MAX {
                s.out
                    .extend_from_slice(b"-1 Too many errors in this BATCH\n");
                flow = Flow::Close;
                break;
            }
            // replies are sent as they pile up, never held beyond a bound
            // (each after its journal lines)
            if s.out.len() > OUT_MAX {
                d.settle(&mut s);
                if !send(d, &mut s, conn) {
                    return;
                }
            }
        }
        buf.drain(..start);
        d.settle(&mut s);
        if flow == Flow::Continue && buf.len() >= LINE_MAX {
            s.out.extend_from_slice(b"-1 Request line too long\n");
            flow = Flow::Close;
        }
        if !send(d, &mut s, conn) || flow == Flow::Close {
            return;
        }
    }
}

/// Replies held before they are sent mid-read.
const OUT_MAX: usize = 1 << 20;
/// Error lines a BATCH may gather before the connection is closed.
const BATCH_ERRORS_MAX: usize = 16 << 20;

/// Appends the session's journal lines (nothing is acknowledged before it
/// is in the journal), then sends its replies. `false` when the
/// connection is to close.
fn send(d: &Daemon, s: &mut Session, conn: &mut dyn Conn) -> bool {
    let mut ok = true;
    if let Some(j) = d.journal() {
        if let Err(e) = j.append(&s.journal) {
            crate::log::error(&format!("journal write failed: {e}"));
            s.out.clear();
            s.out
                .extend_from_slice(b"-1 Journal write failed; updates not accepted durably\n");
            ok = false;
        }
    }
    s.journal.clear();
    if !s.out.is_empty() {
        if conn.write_all(&s.out).is_err() {
            return false;
        }
        s.out.clear();
    }
    ok
}
