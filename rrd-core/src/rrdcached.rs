//! A client of rrdcached's protocol (rrdtool 1.7.2's `rrd_client.c`): the
//! address forms (`unix:/path`, `/path`, `host`, `host:port`,
//! `[v6addr]:port`, port 42217 by default), requests as one line of
//! space-separated words (spaces and backslashes escaped, at most 4,096
//! bytes), and replies as a status line `N message` followed by N lines
//! when N is positive (a negative N is an error).
//!
//! File names go as rrdtool sends them: through a UNIX socket, resolved to
//! absolute paths (the daemon shares the file system); over the network,
//! relative to the daemon's base directory, absolute ones refused unless
//! `RRDCACHED_STRIPPATH` names a prefix to strip.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Set by [`forbid_connections`].
static FORBIDDEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes every later [`Client::connect`] of this process fail at once (the
/// fuzz targets: an argument must not reach a daemon or a name server).
pub fn forbid_connections() {
    FORBIDDEN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Longest request rrdtool sends (`RRD_CMD_MAX`).
pub const CMD_MAX: usize = 4096;

/// rrdcached's TCP port when the address names none.
pub const DEFAULT_PORT: u16 = 42217;

/// The address to use: `--daemon`'s, else `RRDCACHED_ADDRESS`'s, if not
/// empty (as `rrdc_connect` picks it).
pub fn address(opt: Option<&str>) -> Option<String> {
    match opt {
        Some(a) if !a.is_empty() => Some(a.to_string()),
        Some(_) => None,
        None => std::env::var("RRDCACHED_ADDRESS")
            .ok()
            .filter(|a| !a.is_empty()),
    }
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A reply: the status, its message, and the lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Negative: an error; positive: the number of lines.
    pub status: i64,
    /// The rest of the status line.
    pub message: String,
    /// The lines after the status line.
    pub lines: Vec<String>,
}

/// A connection to an rrdcached.
pub struct Client {
    addr: String,
    unix: bool,
    reader: BufReader<Box<dyn Stream>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("addr", &self.addr).finish()
    }
}

use rrd_clib::strerror;

/// Splits a network address into host and port as `connect_network` does.
fn host_port(addr: &str) -> Result<(String, String), String> {
    if let Some(rest) = addr.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("malformed address: {addr}"));
        };
        let port = match after {
            "" => DEFAULT_PORT.to_string(),
            p if p.starts_with(':') => p[1..].to_string(),
            p => return Err(format!("garbage after address: {p}")),
        };
        return Ok((host.to_string(), port));
    }
    match addr.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), p.to_string())),
        None => Ok((addr.to_string(), DEFAULT_PORT.to_string())),
    }
}

/// One request line: `words` escaped as rrdtool escapes them, at most
/// [`CMD_MAX`] bytes.
fn encode(words: &[&str]) -> Result<Vec<u8>, String> {
    let mut line = Vec::with_capacity(256);
    for w in words {
        for &b in crate::argbytes::decode(w).iter() {
            if b == b' ' || b == b'\\' {
                line.push(b'\\');
            }
            line.push(b);
        }
        line.push(b' ');
    }
    // rrdtool's buffer holds RRD_CMD_MAX bytes
    if line.len() > CMD_MAX {
        return Err("No buffer space available".into());
    }
    if let Some(last) = line.last_mut() {
        *last = b'\n';
    }
    Ok(line)
}

impl Client {
    /// Connects to `addr`; the error is rrdtool's text.
    pub fn connect(addr: &str) -> Result<Client, String> {
        Self::connect_with(addr, None)
    }

    /// Connects to `addr` within `timeout`, and gives every later read and
    /// write of the connection as long (a daemon that stops answering is
    /// an error, not a hang). rrdtool has no such bound; servers want one.
    pub fn connect_timeout(addr: &str, timeout: Duration) -> Result<Client, String> {
        Self::connect_with(addr, Some(timeout))
    }

    fn connect_with(addr: &str, timeout: Option<Duration>) -> Result<Client, String> {
        let fail = |why: String| format!("Unable to connect to rrdcached: {why}");
        if FORBIDDEN.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(fail("connections are disabled in this process".into()));
        }
        let (stream, unix): (Box<dyn Stream>, bool) = if let Some(path) = addr
            .strip_prefix("unix:")
            .or_else(|| addr.starts_with('/').then_some(addr))
        {
            let s = UnixStream::connect(path).map_err(|e| fail(strerror(&e)))?;
            s.set_read_timeout(timeout)
                .and_then(|()| s.set_write_timeout(timeout))
                .map_err(|e| fail(strerror(&e)))?;
            (Box::new(s), true)
        } else {
            let (host, port) = host_port(addr).map_err(fail)?;
            let port_n: u16 = port.parse().map_err(|_| {
                    fail(format!(
                        "failed to resolve address '{host}' (port {port}): Servname not supported for ai_socktype (-8)"
                    ))
                })?;
            let addrs = (host.as_str(), port_n).to_socket_addrs().map_err(|_| {
                    fail(format!(
                        "failed to resolve address '{host}' (port {port}): Name or service not known (-2)"
                    ))
                })?;
            let mut last = None;
            let mut found = None;
            for a in addrs {
                match TcpStream::connect_timeout(&a, timeout.unwrap_or(Duration::from_secs(30))) {
                    Ok(s) => {
                        found = Some(s);
                        break;
                    }
                    Err(e) => last = Some(e),
                }
            }
            let s = found.ok_or_else(|| {
                fail(last.map_or_else(|| "Internal error".into(), |e| strerror(&e)))
            })?;
            // requests are small and answered one by one: no Nagle delay
            let _ = s.set_nodelay(true);
            s.set_read_timeout(timeout)
                .and_then(|()| s.set_write_timeout(timeout))
                .map_err(|e| fail(strerror(&e)))?;
            (Box::new(s), false)
        };
        Ok(Client {
            addr: addr.to_string(),
            unix,
            reader: BufReader::new(stream),
        })
    }

    /// The address connected to.
    pub fn address(&self) -> &str {
        &self.addr
    }

    /// The name of `file` as the daemon is to see it (`get_path`).
    pub fn path(&self, file: &str) -> Result<String, String> {
        if self.unix {
            if file.is_empty() {
                return Err(format!("realpath({file}): No such file or directory"));
            }
            let p = crate::argbytes::to_path(file);
            if let Ok(abs) = std::fs::canonicalize(&p) {
                return Ok(crate::argbytes::encode(abs.as_os_str()));
            }
            // a file that does not exist yet: its directory resolved
            let (dir, last) = match file.rfind('/') {
                None | Some(0) => (".", None),
                Some(i) => (&file[..i], Some(&file[i..])),
            };
            let dir_abs = std::fs::canonicalize(crate::argbytes::to_path(dir))
                .map_err(|e| format!("realpath({file}): {}", strerror(&e)))?;
            let mut s = crate::argbytes::encode(dir_abs.as_os_str());
            match last {
                Some(l) => s.push_str(l),
                None => {
                    s.push('/');
                    s.push_str(file);
                }
            }
            return Ok(s);
        }
        if file.starts_with('/') {
            if let Ok(strip) = std::env::var("RRDCACHED_STRIPPATH") {
                if let Some(rest) = file.strip_prefix(strip.as_str()) {
                    return Ok(rest.trim_start_matches('/').to_string());
                }
                return Ok(file.to_string());
            }
            return Err("absolute path names not allowed when talking to a remote daemon".into());
        }
        Ok(file.to_string())
    }

    /// Sends one request made of `words` (escaped as rrdtool escapes them)
    /// and reads the reply. `Err` holds rrdtool's message for a failed
    /// exchange, or `ENOBUFS`' text for a request over 4,096 bytes.
    pub fn request(&mut self, words: &[&str]) -> Result<Reply, String> {
        let line = encode(words)?;
        self.send(&line)?;
        self.read_reply()
    }

    /// Sends every request before reading any reply (one round trip for
    /// all), and returns the replies in order. Keep batches to a few
    /// thousand requests: the daemon's replies wait in the socket's buffer
    /// until all are sent.
    pub fn pipeline<W: AsRef<str>>(&mut self, requests: &[Vec<W>]) -> Result<Vec<Reply>, String> {
        let mut buf = Vec::with_capacity(requests.len() * 64);
        for r in requests {
            let words: Vec<&str> = r.iter().map(AsRef::as_ref).collect();
            buf.extend_from_slice(&encode(&words)?);
        }
        self.send(&buf)?;
        requests.iter().map(|_| self.read_reply()).collect()
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let stream = self.reader.get_mut();
        stream
            .write_all(bytes)
            .and_then(|()| stream.flush())
            .map_err(|_| "request: socket error (-1) while talking to rrdcached".to_string())
    }

    fn read_reply(&mut self) -> Result<Reply, String> {
        let internal = || "request: internal error while talking to rrdcached".to_string();
        let mut status_line = String::new();
        match self.reader.read_line(&mut status_line) {
            Ok(0) | Err(_) => return Err(internal()),
            Ok(_) => {}
        }
        let status_line = status_line.trim_end_matches(['\n', '\r']);
        let digits = status_line
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
            .map_or(status_line.len(), |(i, _)| i);
        let Ok(status) = status_line[..digits].parse::<i64>() else {
            return Err(internal());
        };
        let message = status_line[digits..]
            .trim_start_matches([' ', '\t'])
            .to_string();
        let mut lines = Vec::new();
        if status > 0 {
            // a daemon cannot make us hold more lines than it sends
            for _ in 0..status.min(1 << 24) {
                let mut l = String::new();
                match self.reader.read_line(&mut l) {
                    Ok(0) | Err(_) => return Err(internal()),
                    Ok(_) => lines.push(l.trim_end_matches(['\n', '\r']).to_string()),
                }
            }
        }
        Ok(Reply {
            status,
            message,
            lines,
        })
    }

    /// The error text of a negative reply (`rrdcached@ADDR: message`).
    pub fn reply_error(&self, r: &Reply) -> String {
        format!("rrdcached@{}: {}", self.addr, r.message)
    }

    /// `UPDATE file values...` (an `N:` time sent as the current second, as
    /// rrdtool sends it). Returns the status.
    pub fn update(&mut self, file: &str, values: &[&str], now: i64) -> Result<Reply, String> {
        let path = self.path(file)?;
        let mut words: Vec<String> = vec!["update".into(), path];
        for v in values {
            match v.strip_prefix("N:") {
                Some(rest) => words.push(format!("{now}:{rest}")),
                None => words.push((*v).to_string()),
            }
        }
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        self.request(&w)
    }

    /// `rrdc_fetch`: the daemon's `FETCH` (which flushes the file first), its
    /// reply checked as rrdtool checks it.
    pub fn fetch(
        &mut self,
        file: &str,
        cf: &str,
        start: i64,
        end: i64,
    ) -> Result<crate::FetchResult, String> {
        let path = self.path(file)?;
        let (s, e) = ((start as u64).to_string(), (end as u64).to_string());
        let mut words = vec!["FETCH", path.as_str(), cf];
        if start > 0 {
            words.push(&s);
            if end > 0 {
                words.push(&e);
            }
        }
        let r = self.request(&words)?;
        if r.status < 0 {
            return Err(self.reply_error(&r));
        }
        let bail = |m: String| Err(format!("rrdc_fetch: {m}"));
        // "Key: value" lines (the value after the colon and any blanks)
        let header = |line: &str| -> Option<(String, String)> {
            let (k, v) = line.split_once(':')?;
            let v = v.trim_start_matches([' ', '\t']);
            (!v.is_empty()).then(|| (k.to_string(), v.to_string()))
        };
        let mut cur = 0;
        let numeric = |name: &str, cur: &mut usize| -> Result<u64, String> {
            let Some((k, v)) = r.lines.get(*cur).and_then(|l| header(l)) else {
                return Err(format!("rrdc_fetch: Unable to parse header `{name}'"));
            };
            let parsed = rrd_clib::strtol::strtol(v.as_bytes(), 0);
            if parsed.end == 0 {
                return Err(format!("rrdc_fetch: Unable to parse header `{name}'"));
            }
            if !k.eq_ignore_ascii_case(name) {
                return Err(format!(
                    "rrdc_fetch: Unexpected header line: Expected `{name}', got `{k}'"
                ));
            }
            *cur += 1;
            Ok(parsed.value as u64)
        };
        if r.lines.is_empty() {
            return bail("Premature end of response packet".into());
        }
        let version = numeric("FlushVersion", &mut cur)?;
        if version != 1 {
            return bail(format!(
                "Don't know how to handle flush format version {version}."
            ));
        }
        if r.lines.len() < 5 {
            return bail("Premature end of response packet".into());
        }
        let start = numeric("Start", &mut cur)? as i64;
        let end = numeric("End", &mut cur)? as i64;
        if start >= end {
            return bail(format!(
                "Malformed start and end times: start = {}; end = {};",
                start as u64, end as u64
            ));
        }
        let step = numeric("Step", &mut cur)?;
        if step < 1 {
            return bail(format!("Invalid number for Step: {step}"));
        }
        let ds_num = numeric("DSCount", &mut cur)?;
        if !(1..=100_000).contains(&ds_num) {
            return bail(format!("Invalid number for DSCount: {ds_num}"));
        }
        let words = |v: &str, n: usize| -> Option<Vec<String>> {
            let w: Vec<String> = v
                .split([' ', '\t', '\r', '\n'])
                .filter(|x| !x.is_empty())
                .take(n)
                .map(str::to_string)
                .collect();
            (w.len() == n).then_some(w)
        };
        let Some((key, names)) = r.lines.get(cur).and_then(|l| header(l)) else {
            return bail("Unable to parse header `DSName'".into());
        };
        let Some(names) = words(&names, ds_num as usize) else {
            return bail("Unable to parse header `DSName'".into());
        };
        if !key.eq_ignore_ascii_case("DSName") {
            return bail(format!(
                "Unexpected header line: Expected `DSName', got `{key}'"
            ));
        }
        cur += 1;
        let rows = ((end - start) as u64 / step) as usize;
        if rows < 1 {
            return bail("No data returned or headers invalid.".into());
        }
        if r.lines.len() != 6 + rows {
            return bail(format!(
                "Got {} lines, expected {}",
                r.lines.len(),
                6 + rows
            ));
        }
        let mut values = Vec::with_capacity(rows * ds_num as usize);
        for line in &r.lines[cur..cur + rows] {
            let parsed = header(line).and_then(|(k, v)| {
                let t = rrd_clib::strtol::strtol(k.as_bytes(), 10);
                (t.end > 0).then_some(())?;
                words(&v, ds_num as usize)
            });
            let Some(vs) = parsed else {
                return bail("Cannot parse value line".into());
            };
            for v in vs {
                match rrd_clib::strtod::strtodbl(&v, None) {
                    Ok(x) => values.push(x),
                    Err(_) => return bail("Cannot parse value line".into()),
                }
            }
        }
        Ok(crate::FetchResult {
            start,
            end,
            step,
            ds_names: names,
            rows,
            values,
            rra: 0,
        })
    }

    /// A command naming one file (`flush`, `forget`).
    pub fn file_command(&mut self, cmd: &str, file: &str) -> Result<Reply, String> {
        let path = self.path(file)?;
        self.request(&[cmd, &path])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_as_rrdtools() {
        assert_eq!(host_port("h").unwrap(), ("h".into(), "42217".into()));
        assert_eq!(host_port("h:1").unwrap(), ("h".into(), "1".into()));
        assert_eq!(host_port("[::1]:5").unwrap(), ("::1".into(), "5".into()));
        assert_eq!(host_port("[::1]").unwrap(), ("::1".into(), "42217".into()));
        assert!(host_port("[::1").is_err());
        assert!(host_port("[::1]x").is_err());
    }
}
