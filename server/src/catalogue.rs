//! The series catalogue: what the picker lists and the only way a series
//! name becomes a file.
//!
//! * The metrics root (where ingestion writes): every `*.rrd` beneath it
//!   is the series named by its relative path minus `.rrd`, data source
//!   `data`, as the original's `get_series.json` listed them. The list is
//!   rescanned when `.updated` changes (ingestion rewrites it on every new
//!   file, as the original's collectors did) or when ingestion says so.
//! * Each extra root (read only): every data source of every RRD file
//!   beneath it is the series `NAME/path/to/file:ds`, whatever the file's
//!   architecture. These are rescanned at most once a minute.
//! * The trace-log root: `HOST__CUSTOMER__INSTANCE.rrd` is the five series
//!   `HOST/CUSTOMER-z4m/INSTANCE/tracelog/{rpm,epm,bl,spr,start}`, as in
//!   the original; rescanned when its `.updated` changes.
//!
//! Symbolic links are not followed while scanning.
//!
//! With storage nodes (`[storage]`) the metrics root's files are on them:
//! each node is asked (`LIST RECURSIVE /`) for its files, at most every
//! [`RING_TTL`] or when ingestion made a file, and a node that cannot be
//! reached keeps its last listing. A file found on a node that does not
//! hold it by placement (left behind when nodes were added) is not listed:
//! reads go where placement says.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use rrd_core::{OpenMode, Rrd};

/// Most files scanned per root; a larger tree is cut off with a message.
pub const MAX_FILES: usize = 1_000_000;
/// Deepest directory nesting scanned.
const MAX_DEPTH: usize = 32;
/// How old an extra root's listing may get.
const EXTRA_ROOT_TTL: Duration = Duration::from_secs(60);
/// How old the storage nodes' listings may get (files made by collectors
/// on other machines appear within this).
pub const RING_TTL: Duration = Duration::from_secs(10);

/// One series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// What users see and type.
    pub name: String,
    /// Index of its root (0 is the metrics root).
    pub root: usize,
    /// The file relative to its root.
    pub file: String,
    /// The data source.
    pub ds: String,
}

/// A root directory of series.
#[derive(Debug, Clone)]
pub struct Root {
    /// The series-name prefix (`None` for the metrics root).
    pub name: Option<String>,
    /// The directory.
    pub path: PathBuf,
    /// The trace-log collector's flat directory of
    /// `HOST__CUSTOMER__INSTANCE.rrd`, listed as the original listed it:
    /// `HOST/CUSTOMER-z4m/INSTANCE/tracelog/{rpm,epm,bl,spr,start}`.
    pub tracelog: bool,
}

/// The trace-log files' data sources.
pub const TRACELOG_DS: [&str; 5] = ["rpm", "epm", "bl", "spr", "start"];

#[derive(Debug, Default)]
struct Listing {
    series: Arc<Vec<Series>>,
    by_name: Arc<HashMap<String, usize>>,
    metrics_stamp: Vec<Option<SystemTime>>,
    scanned: Option<Instant>,
    extra_scanned: Option<Instant>,
    extra: Vec<Series>,
    stale: bool,
    /// Each storage node's files, from its last listing that worked.
    ring_files: Vec<Vec<String>>,
}

impl Listing {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            series: self.series.clone(),
            by_name: self.by_name.clone(),
        }
    }
}

/// The catalogue: a listing shared by all requests, refreshed as needed.
#[derive(Debug)]
pub struct Catalogue {
    roots: Vec<Root>,
    ring: Option<Arc<crate::storage::Ring>>,
    listing: RwLock<Listing>,
}

/// A consistent view of the series at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Every series, sorted by name.
    pub series: Arc<Vec<Series>>,
    by_name: Arc<HashMap<String, usize>>,
}

impl Snapshot {
    /// The series called `name`.
    pub fn get(&self, name: &str) -> Option<&Series> {
        self.by_name.get(name).map(|&k| &self.series[k])
    }
}

impl Catalogue {
    /// A catalogue over `roots`; the first is the metrics root, whose
    /// files are on `ring`'s nodes when there is one.
    pub fn new(roots: Vec<Root>, ring: Option<Arc<crate::storage::Ring>>) -> Catalogue {
        Catalogue {
            roots,
            ring,
            listing: RwLock::new(Listing {
                stale: true,
                ..Listing::default()
            }),
        }
    }

    /// The roots, metrics root first.
    pub fn roots(&self) -> &[Root] {
        &self.roots
    }

    /// The storage nodes holding the metrics root's files, if any.
    pub fn ring(&self) -> Option<&Arc<crate::storage::Ring>> {
        self.ring.as_ref()
    }

    /// Marks the listing out of date (ingestion created a file).
    pub fn invalidate(&self) {
        self.listing
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .stale = true;
    }

    /// The current series, rescanning first where needed. Blocks: call it
    /// from a blocking task.
    pub fn snapshot(&self) -> Snapshot {
        // the metrics root's and the trace-log roots' `.updated`
        let stamp: Vec<Option<SystemTime>> = self
            .roots
            .iter()
            .enumerate()
            .filter(|(k, r)| *k == 0 || r.tracelog)
            .map(|(_, r)| {
                std::fs::metadata(r.path.join(".updated"))
                    .and_then(|m| m.modified())
                    .ok()
            })
            .collect();
        let extra_fresh = |l: &Listing| {
            self.roots.len() == 1
                || l.extra_scanned
                    .is_some_and(|t| t.elapsed() < EXTRA_ROOT_TTL)
        };
        {
            let l = self.listing.read().unwrap_or_else(|p| p.into_inner());
            let ring_fresh =
                self.ring.is_none() || l.scanned.is_some_and(|t| t.elapsed() < RING_TTL);
            if !l.stale
                && l.scanned.is_some()
                && l.metrics_stamp == stamp
                && extra_fresh(&l)
                && ring_fresh
            {
                return l.snapshot();
            }
        }
        let mut l = self.listing.write().unwrap_or_else(|p| p.into_inner());
        if !extra_fresh(&l) || l.metrics_stamp != stamp {
            let mut extra = Vec::new();
            for (k, root) in self.roots.iter().enumerate().skip(1) {
                // with storage nodes the trace-log files are on them
                if !(root.tracelog && self.ring.is_some()) {
                    scan_extra(k, root, &mut extra);
                }
            }
            l.extra = extra;
            l.extra_scanned = Some(Instant::now());
        }
        l.stale = false;
        l.metrics_stamp = stamp;
        l.scanned = Some(Instant::now());
        let mut series = Vec::new();
        let mut files = Vec::new();
        match &self.ring {
            None => walk(&self.roots[0].path, &mut files),
            Some(ring) => {
                l.ring_files.resize(ring.nodes().len(), Vec::new());
                for (k, node) in ring.nodes().iter().enumerate() {
                    match node.list() {
                        Ok(mut listed) => {
                            let before = listed.len();
                            listed.retain(|f| std::ptr::eq(ring.node_of(f), node));
                            if listed.len() < before {
                                eprintln!(
                                    "rrd-server: catalogue: storage node {} holds {} file(s) placed on other nodes; not listed",
                                    node.name,
                                    before - listed.len()
                                );
                            }
                            listed.truncate(MAX_FILES);
                            l.ring_files[k] = listed;
                        }
                        Err(e) => eprintln!("rrd-server: catalogue: {e}; its last listing stays"),
                    }
                }
                let all = l.ring_files.concat();
                let prefix = format!("{}/", crate::tracelog::STORAGE_DIR);
                let (tracelog, metrics): (Vec<String>, Vec<String>) =
                    all.into_iter().partition(|f| f.starts_with(&prefix));
                files = metrics;
                if let Some(k) = self.roots.iter().position(|r| r.tracelog) {
                    let stems: Vec<String> = tracelog
                        .iter()
                        .filter_map(|f| f.strip_prefix(&prefix))
                        .map(str::to_string)
                        .collect();
                    tracelog_series(k, stems, &mut series);
                }
            }
        }
        for rel in files {
            let name = rel.strip_suffix(".rrd").unwrap_or(&rel).to_string();
            series.push(Series {
                name,
                root: 0,
                file: rel,
                ds: "data".into(),
            });
        }
        series.extend(l.extra.iter().cloned());
        series.sort_by(|a, b| a.name.cmp(&b.name));
        series.dedup_by(|a, b| a.name == b.name);
        let by_name = series
            .iter()
            .enumerate()
            .map(|(k, s)| (s.name.clone(), k))
            .collect();
        l.series = Arc::new(series);
        l.by_name = Arc::new(by_name);
        l.snapshot()
    }
}

/// The series of trace-log files `files` (`HOST__CUSTOMER__INSTANCE.rrd`)
/// of root `k`.
fn tracelog_series(k: usize, files: Vec<String>, out: &mut Vec<Series>) {
    for rel in files {
        let stem = rel.strip_suffix(".rrd").unwrap_or(&rel);
        let parts: Vec<&str> = stem.split("__").collect();
        let [host, customer, instance] = parts[..] else {
            continue;
        };
        if host.contains('/') {
            continue;
        }
        for ds in TRACELOG_DS {
            out.push(Series {
                name: format!("{host}/{customer}-z4m/{instance}/tracelog/{ds}"),
                root: k,
                file: rel.clone(),
                ds: ds.to_string(),
            });
        }
    }
}

fn scan_extra(k: usize, root: &Root, out: &mut Vec<Series>) {
    let mut files = Vec::new();
    walk(&root.path, &mut files);
    if root.tracelog {
        tracelog_series(k, files, out);
        return;
    }
    let prefix = root.name.as_deref().unwrap_or("");
    for rel in files {
        let rrd = match Rrd::open(root.path.join(&rel), OpenMode::ReadOnly) {
            Ok(r) => r,
            Err(e) => {
                eprintln!(
                    "rrd-server: catalogue: skipping {}: {e}",
                    root.path.join(&rel).display()
                );
                continue;
            }
        };
        let base = rel.strip_suffix(".rrd").unwrap_or(&rel);
        for ds in &rrd.header().ds {
            out.push(Series {
                name: format!("{prefix}/{base}:{}", ds.name),
                root: k,
                file: rel.clone(),
                ds: ds.name.clone(),
            });
        }
    }
}

/// Relative paths (with `/`) of the `*.rrd` files beneath `root`, whose
/// names are UTF-8, without following links.
pub(crate) fn walk(root: &Path, out: &mut Vec<String>) {
    fn go(dir: &Path, rel: &str, depth: usize, out: &mut Vec<String>) {
        if depth > MAX_DEPTH {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if out.len() >= MAX_FILES {
                eprintln!("rrd-server: catalogue: more than {MAX_FILES} files beneath a root; the rest are not listed");
                return;
            }
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let Ok(kind) = e.file_type() else { continue };
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if kind.is_dir() {
                go(&e.path(), &path, depth + 1, out);
            } else if kind.is_file() && name.ends_with(".rrd") && name.len() > 4 {
                out.push(path);
            }
        }
    }
    go(root, "", 0, out);
}

/// The picker's filter: the original's case-insensitive regular
/// expression in which spaces mean `.*`.
pub fn filter_regex(q: &str) -> Result<regex::Regex, String> {
    let pattern = q.trim().replace(' ', ".*");
    regex::RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .size_limit(256 << 10)
        .dfa_size_limit(256 << 10)
        .build()
        .map_err(|e| format!("not a regular expression: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pickers_filter() {
        let re = filter_regex("APP3 bar").unwrap();
        assert!(re.is_match("app3.zope.net/foo/bar"));
        assert!(!re.is_match("app4.zope.net/foo/bar"));
        assert!(filter_regex("(").is_err());
        assert!(filter_regex("").unwrap().is_match("anything"));
        // a pattern whose automaton would be huge is refused, not built
        assert!(filter_regex("(\\w{1000}){1000}").is_err());
    }
}
