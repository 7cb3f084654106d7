//! A small W3C WebDriver client over plain HTTP/1.1, enough to drive
//! Debian's chromium through chromedriver: no browser download, no extra
//! crates.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One HTTP request; returns the status and the body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    // read the head, then exactly the body: chromedriver keeps connections open
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other(
                "connection closed before the response",
            ));
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(k) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break k + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    let complete = |raw: &[u8]| -> Option<Vec<u8>> {
        let rest = &raw[head_end..];
        if let Some(n) = length {
            return (rest.len() >= n).then(|| rest[..n].to_vec());
        }
        if chunked {
            let mut out = Vec::new();
            let mut r = rest;
            loop {
                let eol = r.windows(2).position(|w| w == b"\r\n")?;
                let n =
                    usize::from_str_radix(std::str::from_utf8(&r[..eol]).ok()?.trim(), 16).ok()?;
                if n == 0 {
                    return Some(out);
                }
                let data = r.get(eol + 2..eol + 2 + n)?;
                out.extend_from_slice(data);
                r = r.get(eol + 4 + n..)?;
            }
        }
        None
    };
    let body = loop {
        if let Some(b) = complete(&raw) {
            break b;
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            break raw[head_end..].to_vec();
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    Ok((status, body))
}

/// A running chromedriver.
pub struct Driver {
    child: Child,
    addr: SocketAddr,
}

impl Driver {
    /// Starts `chromedriver` on a free port.
    pub fn start() -> Result<Driver, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting chromedriver: {e}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let d = Driver { child, addr };
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if let Ok((200, body)) = http(addr, "GET", "/status", None) {
                if body.contains("\"ready\":true") {
                    return Ok(d);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("chromedriver did not become ready in 20 s".into())
    }

    /// A new headless chromium session with a fresh profile.
    pub fn session(&self, width: u32, height: u32) -> Result<Session, String> {
        let profile = crate::tempdir("chromium-profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.display()), format!("--window-size={width},{height}")]
            }
        }}});
        let (status, body) =
            http(self.addr, "POST", "/session", Some(&caps)).map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        let id = v["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session ({status}): {body}"))?
            .to_string();
        Ok(Session {
            addr: self.addr,
            id,
            profile,
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session.
pub struct Session {
    addr: SocketAddr,
    id: String,
    profile: std::path::PathBuf,
}

/// An element of the page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let p = format!("/session/{}{path}", self.id);
        let body = body.or_else(|| (method == "POST").then(|| json!({})));
        let (status, text) = http(self.addr, method, &p, body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {p}: {e}"));
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status == 200, "{method} {p}: {status} {text}");
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub fn js(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Waits up to 20 s for `script` to return something truthy.
    pub fn wait(&self, what: &str, script: &str) -> Value {
        let t = Instant::now();
        loop {
            let v = self.js(script, json!([]));
            if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
                return v;
            }
            if t.elapsed() > Duration::from_secs(20) {
                let here = self.js(
                    "return location.href + ' ' + document.body.innerText.slice(0, 500)",
                    json!([]),
                );
                panic!(
                    "timed out waiting for {what}; the page: {}",
                    here.as_str().unwrap_or("")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn find(&self, css: &str) -> Element {
        let t = Instant::now();
        loop {
            let p = format!("/session/{}/element", self.id);
            let (status, text) = http(
                self.addr,
                "POST",
                &p,
                Some(&json!({"using": "css selector", "value": css})),
            )
            .unwrap();
            if status == 200 {
                let v: Value = serde_json::from_str(&text).unwrap();
                return Element(v["value"][ELEMENT].as_str().unwrap().to_string());
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "no element {css}: {text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{}/click", e.0), None);
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{}/clear", e.0), None);
        self.call(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        );
    }

    /// Presses at (x0, y) and releases at (x1, y), relative to the element's top-left corner.
    pub fn drag(&self, css: &str, x0: i64, x1: i64, y: i64) {
        let e = self.find(css);
        let rect = self.call("GET", &format!("/element/{}/rect", e.0), None);
        let (w, h) = (
            rect["width"].as_f64().unwrap(),
            rect["height"].as_f64().unwrap(),
        );
        // WebDriver's element origin is the element's centre
        let cx = |x: i64| x - (w / 2.0) as i64;
        let cy = y - (h / 2.0) as i64;
        let origin = json!({ ELEMENT: e.0 });
        self.call("POST", "/actions", Some(json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "origin": origin, "x": cx(x0), "y": cy, "duration": 0},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerMove", "origin": origin, "x": cx((x0 + x1) / 2), "y": cy, "duration": 100},
                {"type": "pointerMove", "origin": origin, "x": cx(x1), "y": cy, "duration": 100},
                {"type": "pointerUp", "button": 0}
            ]
        }]})));
        self.call("DELETE", "/actions", None);
    }

    /// Clicks at (x, y) relative to the element's top-left corner.
    pub fn click_at(&self, css: &str, x: i64, y: i64) {
        self.drag(css, x, x, y);
    }

    /// Moves the pointer to (x, y) relative to the element's top-left corner.
    pub fn hover(&self, css: &str, x: i64, y: i64) {
        let e = self.find(css);
        let rect = self.call("GET", &format!("/element/{}/rect", e.0), None);
        let (w, h) = (
            rect["width"].as_f64().unwrap(),
            rect["height"].as_f64().unwrap(),
        );
        self.call("POST", "/actions", Some(json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "origin": {ELEMENT: e.0}, "x": x - (w / 2.0) as i64, "y": y - (h / 2.0) as i64, "duration": 50}]
        }]})));
    }

    pub fn add_cookie(&self, name: &str, value: &str) {
        self.call(
            "POST",
            "/cookie",
            Some(json!({"cookie": {"name": name, "value": value, "path": "/"}})),
        );
    }

    pub fn delete_cookies(&self) {
        self.call("DELETE", "/cookie", None);
    }

    pub fn screenshot(&self, path: &std::path::Path) {
        let b64 = self.call("GET", "/screenshot", None);
        std::fs::write(path, base64_decode(b64.as_str().unwrap())).unwrap();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = http(self.addr, "DELETE", &format!("/session/{}", self.id), None);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let v: Vec<u32> = chunk.iter().map(|&c| val(c) as u32).collect();
        let n = v.iter().fold(0u32, |acc, x| (acc << 6) | x) << (6 * (4 - v.len()));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..v.len() - 1]);
    }
    out
}

#[test]
fn base64() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGVsbG8gd29ybGQ"), b"hello world");
}
