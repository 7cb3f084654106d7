//! RRD files on several storage nodes: each node runs an rrdcached-protocol
//! daemon (`rrd-cached`, or C rrdcached 1.7.2) over its own directory, and
//! every series' file lives on exactly one of them, picked by rendezvous
//! hashing of its name (`[storage]`).
//!
//! - **Placement**: a file goes to the node whose `hash(node name, file)`
//!   is highest. Adding a node moves only the files it now wins (about
//!   1/(n+1) of them), removing one moves only its own; the other nodes'
//!   files stay where they are. Names, not addresses, are hashed, so a
//!   node may move to another address.
//! - **Protocol**: files are named relative to each daemon's base
//!   directory (`-b DIR -B`; `-R` lets CREATE make directories). New files
//!   are made with `CREATE -O`, values go as `UPDATE` lines pipelined in
//!   one round trip, reads are `FETCH` (which writes the file's waiting
//!   values first), listings `LIST RECURSIVE /`.
//! - **Failures**: a node that cannot be reached, or stops answering for
//!   [`IO_TIMEOUT`], is an error for that call only; connections are made
//!   again on the next call. Callers keep what they could not write.

use std::sync::Mutex;
use std::time::Duration;

use rrd_core::rrdcached::{Client, Reply};

/// How long a connection may take, and each read or write after it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept per node.
const IDLE_PER_NODE: usize = 8;
/// Bytes of values per UPDATE line (rrdtool's requests stop at 4,096).
const UPDATE_BYTES: usize = 3_500;
/// UPDATE lines sent before their replies are read.
const PIPELINE: usize = 512;

/// One storage node.
#[derive(Debug)]
pub struct Node {
    /// Its name, what placement hashes.
    pub name: String,
    /// Its daemon's address (`host:port`, `unix:/path`).
    pub address: String,
    idle: Mutex<Vec<Client>>,
}

/// The storage nodes, and which holds which file.
#[derive(Debug)]
pub struct Ring {
    nodes: Vec<Node>,
}

/// What an UPDATE of a file's values did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    /// Values the daemon took.
    pub taken: usize,
    /// Values not later than the file's last update there (already
    /// written, e.g. read again after a collector took over a shard).
    pub stale: usize,
}

/// Why a node call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The node could not be reached or stopped answering: try again later.
    #[error("storage node {node} ({address}): {message}")]
    Unreachable {
        /// The node's name.
        node: String,
        /// Its address.
        address: String,
        /// What went wrong.
        message: String,
    },
    /// The daemon refused the request.
    #[error("storage node {node}: {message}")]
    Refused {
        /// The node's name.
        node: String,
        /// The daemon's message.
        message: String,
    },
    /// The file is not there.
    #[error("storage node {node}: no such file {file}")]
    NoSuchFile {
        /// The node's name.
        node: String,
        /// The file.
        file: String,
    },
}

/// 64-bit FNV-1a, then a final mix (splitmix64's), so that close names
/// land far apart. Fixed forever: placement depends on it.
fn hash(node: &str, file: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in node.as_bytes().iter().chain(&[0]).chain(file.as_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// `v` as the daemon reads a value: `U` for unknown (NaN), else Rust's
/// shortest exact decimal form (`791`, `0.1`: the text a local write keeps
/// in `last_ds`). rrdtool's own parser (`rrd_strtod`, which every daemon
/// and `rrdtool update` use) scales by repeated multiplication and can read
/// a long decimal a few ulps away; then the first of a few longer forms
/// it reads as `v` itself is sent, and failing that the shortest (a few
/// ulps off, as rrdtool with rrdcached would store it: relative 1e-15).
/// At most ~330 bytes.
pub fn value_text(v: f64) -> String {
    if v.is_nan() {
        return "U".into();
    }
    let exact = |t: &str| {
        let (x, n) = rrd_clib::strtod::rrd_strtod(t);
        n == t.len() && x.to_bits() == v.to_bits()
    };
    let shortest = format!("{v}");
    if !v.is_finite() || exact(&shortest) {
        return shortest;
    }
    (15..=20)
        .map(|p| format!("{v:.p$e}"))
        .find(|t| exact(t))
        .unwrap_or(shortest)
}

/// The exact last update in rrdcached's refusal ("illegal attempt to
/// update using time X when last update time is Y ...").
fn refused_last(message: &str) -> Option<i64> {
    let rest = message.split("when last update time is ").nth(1)?;
    let num: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    num.parse::<f64>().ok().map(|t| t.floor() as i64)
}

impl Ring {
    /// Nodes as `(name, address)`; names must differ.
    pub fn new(nodes: &[(String, String)]) -> Result<Ring, String> {
        if nodes.is_empty() {
            return Err("storage: no nodes".into());
        }
        for (k, (name, _)) in nodes.iter().enumerate() {
            if name.is_empty() || nodes[..k].iter().any(|(n, _)| n == name) {
                return Err(format!(
                    "storage: node names must be unique and not empty ({name:?})"
                ));
            }
        }
        Ok(Ring {
            nodes: nodes
                .iter()
                .map(|(name, address)| Node {
                    name: name.clone(),
                    address: address.clone(),
                    idle: Mutex::new(Vec::new()),
                })
                .collect(),
        })
    }

    /// Every node.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node that holds `file` (its name relative to the daemons' base
    /// directories, `.rrd` included).
    pub fn node_of(&self, file: &str) -> &Node {
        self.nodes
            .iter()
            .max_by_key(|n| (hash(&n.name, file), std::cmp::Reverse(n.name.as_str())))
            .expect("a ring has nodes")
    }
}

impl Node {
    fn unreachable(&self, message: String) -> StorageError {
        StorageError::Unreachable {
            node: self.name.clone(),
            address: self.address.clone(),
            message,
        }
    }

    fn refused(&self, r: &Reply) -> StorageError {
        StorageError::Refused {
            node: self.name.clone(),
            message: r.message.clone(),
        }
    }

    /// Runs `f` on a connection (an idle one, or a new one); a connection
    /// on which an exchange failed is dropped.
    fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, String>) -> Result<T, StorageError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut c = match idle {
            Some(c) => c,
            None => Client::connect_timeout(&self.address, IO_TIMEOUT)
                .map_err(|e| self.unreachable(e))?,
        };
        match f(&mut c) {
            Ok(v) => {
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                if idle.len() < IDLE_PER_NODE {
                    idle.push(c);
                }
                Ok(v)
            }
            Err(e) => Err(self.unreachable(e)),
        }
    }

    /// Whether the daemon answers `PING`.
    pub fn ping(&self) -> Result<(), StorageError> {
        let r = self.with(|c| c.request(&["PING"]))?;
        if r.status < 0 {
            return Err(self.refused(&r));
        }
        Ok(())
    }

    /// The file's last update as the daemon knows it (rrdcached rounds it
    /// down to the file's step), or `None` if there is no such file.
    pub fn last(&self, file: &str) -> Result<Option<i64>, StorageError> {
        let r = self.with(|c| c.request(&["LAST", file]))?;
        if r.status < 0 {
            if r.message.contains("No such file") {
                return Ok(None);
            }
            return Err(self.refused(&r));
        }
        r.message
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| self.refused(&r))
    }

    /// The file's exact last update and the value given with it, from
    /// its waiting values (`PENDING`) or else the file itself (`INFO`), in
    /// one round trip; `None` if there is no such file. (`LAST` would
    /// round the time down to the step.)
    pub fn last_known(&self, file: &str) -> Result<Option<(i64, Option<f64>)>, StorageError> {
        let replies = self.with(|c| c.pipeline(&[vec!["PENDING", file], vec!["INFO", file]]))?;
        let (pending, info) = (&replies[0], &replies[1]);
        if info.status < 0 {
            if info.message.contains("No such file") {
                return Ok(None);
            }
            return Err(self.refused(info));
        }
        // "TIME:VALUE", as the updates were given
        if let Some((t, v)) = pending
            .lines
            .last()
            .filter(|_| pending.status > 0)
            .and_then(|l| l.split_once(':'))
        {
            if let Ok(t) = t.parse::<f64>() {
                return Ok(Some((t.floor() as i64, v.parse().ok())));
            }
        }
        // "key type value" lines
        let field = |key: &str| {
            info.lines.iter().find_map(|l| {
                let rest = l.strip_prefix(key)?.strip_prefix(' ')?;
                Some(rest.split_once(' ').map_or(rest, |(_, v)| v).to_string())
            })
        };
        let Some(last) = field("last_update").and_then(|v| v.parse::<i64>().ok()) else {
            return Err(self.refused(info));
        };
        let value = info
            .lines
            .iter()
            .find(|l| l.starts_with("ds[") && l.contains("].last_ds "))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok());
        Ok(Some((last, value)))
    }

    /// Makes `file` with `args` (`DS:`/`RRA:`) unless it exists; whether
    /// this call made it.
    pub fn create(
        &self,
        file: &str,
        start: i64,
        step: u64,
        args: &[&str],
    ) -> Result<bool, StorageError> {
        let (b, s) = (start.to_string(), step.to_string());
        let mut words = vec!["CREATE", file, "-b", &b, "-s", &s, "-O"];
        words.extend_from_slice(args);
        let r = self.with(|c| c.request(&words))?;
        if r.status >= 0 {
            return Ok(true);
        }
        if r.message.contains("File exists") {
            return Ok(false);
        }
        Err(self.refused(&r))
    }

    /// Sends `values` (in time order) with as few UPDATE lines as fit.
    ///
    /// The first line goes alone until the daemon takes it: a refusal
    /// names the file's exact last update, and the values not later than
    /// it are stale (written before: `LAST` rounds down to the step, and a
    /// collector taking over a shard reads some records again). The other
    /// lines then go in one round trip; a refusal among them can only come
    /// from another writer of the same file, and what it refused is stale
    /// too (out of order, as rrdtool would refuse it).
    pub fn update(&self, file: &str, values: &[(i64, f64)]) -> Result<Updated, StorageError> {
        let texts: Vec<(i64, String)> = values.iter().map(|&(t, v)| (t, value_text(v))).collect();
        self.update_texts(file, &texts)
    }

    /// [`Node::update`] of values already in the daemon's words (`1:U:2.5`
    /// for a file of three data sources).
    pub fn update_texts(
        &self,
        file: &str,
        values: &[(i64, String)],
    ) -> Result<Updated, StorageError> {
        let mut done = Updated { taken: 0, stale: 0 };
        let mut rest = values;
        // made again only when a refusal drops stale values
        let mut lines = update_lines(file, rest);
        loop {
            let Some((words, n)) = lines.first() else {
                return Ok(done);
            };
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let r = self.with(|c| c.request(&words))?;
            if r.status >= 0 {
                done.taken += n;
                rest = &rest[*n..];
                lines.remove(0);
                break;
            }
            let last = self.judge(file, &r)?;
            let stale = rest.iter().take_while(|(t, _)| *t <= last).count();
            if stale == 0 {
                // refused, yet nothing is stale by its own words
                return Err(self.refused(&r));
            }
            done.stale += stale;
            rest = &rest[stale..];
            lines = update_lines(file, rest);
        }
        let mut at = 0;
        for chunk in lines.chunks(PIPELINE) {
            let reqs: Vec<Vec<&str>> = chunk
                .iter()
                .map(|(w, _)| w.iter().map(String::as_str).collect())
                .collect();
            let replies = self.with(|c| c.pipeline(&reqs))?;
            for (reply, (_, n)) in replies.iter().zip(chunk) {
                let line = &rest[at..at + n];
                at += n;
                if reply.status >= 0 {
                    done.taken += n;
                    continue;
                }
                let last = self.judge(file, reply)?;
                let taken = line.iter().take_while(|(t, _)| *t > last).count();
                done.taken += taken;
                done.stale += n - taken;
            }
        }
        Ok(done)
    }

    /// A refused UPDATE: the file's last update if that was the reason,
    /// else the error.
    fn judge(&self, file: &str, r: &Reply) -> Result<i64, StorageError> {
        if r.message.contains("No such file") {
            return Err(StorageError::NoSuchFile {
                node: self.name.clone(),
                file: file.to_string(),
            });
        }
        refused_last(&r.message).ok_or_else(|| self.refused(r))
    }

    /// `FETCH` of `file` (the daemon writes its waiting values first).
    pub fn fetch(
        &self,
        file: &str,
        cf: &str,
        start: i64,
        end: i64,
    ) -> Result<rrd_core::FetchResult, StorageError> {
        self.with(|c| Ok(c.fetch(file, cf, start, end)))?
            .map_err(|message| {
                if message.contains("No such file") {
                    StorageError::NoSuchFile {
                        node: self.name.clone(),
                        file: file.to_string(),
                    }
                } else {
                    StorageError::Refused {
                        node: self.name.clone(),
                        message,
                    }
                }
            })
    }

    /// Every `.rrd` file beneath the daemon's base directory, relative.
    pub fn list(&self) -> Result<Vec<String>, StorageError> {
        let r = self.with(|c| c.request(&["LIST", "RECURSIVE", "/"]))?;
        if r.status < 0 {
            return Err(self.refused(&r));
        }
        Ok(r.lines
            .into_iter()
            .map(|l| l.trim_start_matches('/').to_string())
            .filter(|l| l.ends_with(".rrd"))
            .collect())
    }
}

/// `values` as UPDATE requests of at most [`UPDATE_BYTES`] of values each,
/// with the number of values in each.
fn update_lines(file: &str, values: &[(i64, String)]) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    let mut words = vec!["UPDATE".to_string(), file.to_string()];
    let mut bytes = 0;
    for (t, v) in values {
        let w = format!("{t}:{v}");
        if bytes + w.len() > UPDATE_BYTES && words.len() > 2 {
            let n = words.len() - 2;
            out.push((
                std::mem::replace(&mut words, vec!["UPDATE".to_string(), file.to_string()]),
                n,
            ));
            bytes = 0;
        }
        bytes += w.len() + 1;
        words.push(w);
    }
    if words.len() > 2 {
        let n = words.len() - 2;
        out.push((words, n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(names: &[&str]) -> Ring {
        let nodes: Vec<(String, String)> = names
            .iter()
            .map(|n| (n.to_string(), format!("unix:/nonexistent/{n}")))
            .collect();
        Ring::new(&nodes).unwrap()
    }

    #[test]
    fn adding_a_node_moves_only_its_share() {
        let files: Vec<String> = (0..30_000)
            .map(|k| format!("cimaa/host{}/check/m{k}.rrd", k % 97))
            .collect();
        let two = ring(&["a", "b"]);
        let three = ring(&["a", "b", "c"]);
        let mut per = std::collections::HashMap::new();
        let mut moved = 0usize;
        for f in &files {
            let (old, new) = (&two.node_of(f).name, &three.node_of(f).name);
            *per.entry(new.clone()).or_insert(0usize) += 1;
            if old != new {
                // a file moves only to the new node
                assert_eq!(new, "c", "{f} moved from {old} to {new}");
                moved += 1;
            }
        }
        // about a third moves; each node holds about a third
        let third = files.len() / 3;
        assert!(
            moved.abs_diff(third) < third / 10,
            "moved {moved} of {}",
            files.len()
        );
        for (n, count) in per {
            assert!(count.abs_diff(third) < third / 10, "{n} holds {count}");
        }
        // removing it puts them back where they were
        for f in &files {
            assert_eq!(two.node_of(f).name, ring(&["b", "a"]).node_of(f).name);
        }
    }

    #[test]
    fn placement_is_fixed() {
        // a stored layout depends on these never changing
        assert_eq!(hash("a", "x.rrd"), hash("a", "x.rrd"));
        assert_ne!(hash("a", "x.rrd"), hash("ax", ".rrd"));
        let r = ring(&["s1", "s2", "s3"]);
        let got: Vec<&str> = ["a.rrd", "b.rrd", "c.rrd", "d.rrd", "e.rrd", "f.rrd"]
            .iter()
            .map(|f| r.node_of(f).name.as_str())
            .collect();
        assert_eq!(got, PLACED);
    }

    /// Where these names went when placement was first written: files
    /// already stored depend on it.
    const PLACED: [&str; 6] = ["s2", "s3", "s1", "s1", "s1", "s1"];

    #[test]
    fn values_and_refusals_as_rrdcached_words_them() {
        assert_eq!(value_text(f64::NAN), "U");
        assert_eq!(value_text(0.1), "0.1");
        assert_eq!(value_text(791.0), "791");
        assert_eq!(value_text(-2.5), "-2.5");
        assert!(value_text(5e-324).len() < 400);
        // what rrdtool's parser reads back is the value itself, or a few
        // ulps away (long decimals of small numbers: four roundings)
        let mut hard = 0;
        let mut missed = 0;
        for k in 0..20_000u64 {
            // magnitudes from 1e-8 to 1e11, both signs
            let sign = if k % 3 == 0 { -1.0 } else { 1.0 };
            let v =
                sign * (1.0 + k as f64 * 0.000_123_456_789_012_3) * 10f64.powi((k % 20) as i32 - 8);
            let t = value_text(v);
            let (x, n) = rrd_clib::strtod::rrd_strtod(&t);
            assert_eq!(n, t.len(), "{v} as {t}");
            let off = (x.to_bits() as i64 - v.to_bits() as i64).unsigned_abs();
            assert!(off <= 8, "{v} as {t} reads {x}");
            missed += usize::from(off != 0);
            hard += usize::from(t != format!("{v}"));
        }
        // most land exactly (these have 17 significant digits: metrics
        // with fewer always do)
        assert!(
            missed * 4 < 20_000 && hard > missed,
            "{missed} missed, {hard} longer"
        );
        for v in [0.1, 0.07, 29.5, 791.0, 1e-3, 123.456, 99.99, 1e15] {
            assert_eq!(rrd_clib::strtod::rrd_strtod(&value_text(v)).0, v, "{v}");
        }
        assert_eq!(
            refused_last("illegal attempt to update using time 1000000302.000000 when last update time is 1000000302.000000 (minimum one second step)"),
            Some(1_000_000_302)
        );
        assert_eq!(refused_last("No such file: x"), None);
        let values: Vec<(i64, String)> = (0..1000)
            .map(|k| (1_000_000_000 + k, value_text(k as f64 * 0.5)))
            .collect();
        let lines = update_lines("a/b.rrd", &values);
        assert!(lines.len() > 1);
        assert_eq!(lines.iter().map(|l| l.1).sum::<usize>(), 1000);
        for (words, n) in &lines {
            assert_eq!(words.len(), n + 2);
            let len: usize = words.iter().map(|w| w.len() + 1).sum();
            assert!(len <= rrd_core::rrdcached::CMD_MAX, "{len}");
        }
    }

    #[test]
    fn unreachable_nodes_are_errors_not_hangs() {
        let r = ring(&["a"]);
        assert!(matches!(
            r.nodes()[0].last("x.rrd"),
            Err(StorageError::Unreachable { .. })
        ));
        assert!(Ring::new(&[]).is_err());
        assert!(Ring::new(&[("a".into(), "x".into()), ("a".into(), "y".into())]).is_err());
    }
}
