//! `POST /api/ingest`: metric records in, RRD files updated.
//!
//! A record is the original's Kinesis/CIMAA JSON,
//! `{"timestamp": "2014-12-13T16:14:47.820000", "name": "//host/check#metric", "value": 99, "units": "rpm"}`,
//! and a body is a JSON array of them or JSON lines. Each record goes to
//! `<metrics root>/<source>/<path>.rrd`, where `source` belongs to the
//! bearer token and `path` is the name without its leading `//`, with `:`
//! made `..` and `#` made `/` (the original's mapping). New files get the
//! original's definition; a timestamp older than the file's last update is
//! skipped and an equal one is moved one second on, as the original did.
//!
//! Records are checked one by one: a bad one is refused with its reason and
//! the good ones of the same request are still written. Accepted records
//! go to the write-behind queue ([`crate::queue`]): journaled before the
//! answer, written to their files in batches, and before any chart reads
//! them.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::queue::{FileRecords, QueueError, WriteQueue};
use crate::AppState;

/// The original's file definition (step 300).
pub const CREATE_ARGS: [&str; 3] = [
    "DS:data:GAUGE:500:U:U",
    "RRA:AVERAGE:0.99:1:2880",
    "RRA:AVERAGE:0.99:12:9600",
];
/// Longest name accepted, bytes.
pub const MAX_NAME: usize = 1024;
/// Longest path component, bytes.
const MAX_COMPONENT: usize = 200;
/// Most path components of a name (the catalogue scans 32 levels, and the
/// source directory is one).
const MAX_COMPONENTS: usize = 30;
/// Refusals listed in a response (the count covers all).
const MAX_LISTED: usize = 100;

/// One accepted record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Seconds since the epoch (fractions dropped, as the original did).
    pub ts: i64,
    /// The file beneath the source directory, without `.rrd`.
    pub path: String,
    /// The value.
    pub value: f64,
}

/// A refused record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Refusal {
    /// Its position in the request (array index or line number, from 0).
    pub index: usize,
    /// Why.
    pub reason: String,
}

/// What a request did.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Outcome {
    /// Records written.
    pub written: usize,
    /// Records older than their file's last update.
    pub skipped: usize,
    /// Records refused.
    pub refused: usize,
    /// The first refusals, with reasons.
    pub refusals: Vec<Refusal>,
    /// The files records were queued for (`source/path`).
    #[serde(skip)]
    pub files: Vec<String>,
}

impl Outcome {
    pub(crate) fn refuse(&mut self, index: usize, reason: String) {
        self.refused += 1;
        if self.refusals.len() < MAX_LISTED {
            self.refusals.push(Refusal { index, reason });
        }
    }
}

/// Checks one path component of a series name or directory.
pub fn check_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("has an empty path component".into());
    }
    if c == "." || c == ".." {
        return Err(format!("has the path component {c:?}"));
    }
    if c.starts_with('.') {
        return Err(format!("has a path component starting with a dot ({c:?})"));
    }
    if c.len() > MAX_COMPONENT {
        return Err(format!(
            "has a path component longer than {MAX_COMPONENT} bytes"
        ));
    }
    if c.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\') {
        return Err("contains a control character or a backslash".into());
    }
    Ok(())
}

/// The original's name mapping: `//host/check#metric` →
/// `host/check/metric` (`:` → `..`, `#` → `/`), refusing what would leave
/// the data root or could not be a file.
pub fn name_to_path(name: &str) -> Result<String, String> {
    if name.len() > MAX_NAME {
        return Err(format!("name longer than {MAX_NAME} bytes"));
    }
    let rest = name
        .strip_prefix("//")
        .ok_or_else(|| "name does not start with //".to_string())?;
    let mapped = rest.replace(':', "..").replace('#', "/");
    let parts: Vec<&str> = mapped.split('/').filter(|c| !c.is_empty()).collect();
    if parts.is_empty() {
        return Err("name has no path after //".into());
    }
    if parts.len() > MAX_COMPONENTS {
        return Err(format!(
            "name has more than {MAX_COMPONENTS} path components"
        ));
    }
    for c in &parts {
        check_component(c).map_err(|why| format!("name {why}"))?;
    }
    Ok(parts.join("/"))
}

/// A field of a record as it came: parsed without building a JSON tree
/// (strings are borrowed from the body where they have no escapes).
#[derive(Debug)]
enum Field<'a> {
    Num(f64),
    Str(std::borrow::Cow<'a, str>),
    Other(&'static str),
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Field<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Field<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Field<'a>, E> {
                Ok(Field::Num(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Field<'a>, E> {
                Ok(Field::Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Field<'a>, E> {
                Ok(Field::Num(v as f64))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'a>, E> {
                Ok(Field::Str(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Field<'a>, E> {
                Ok(Field::Str(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Field<'a>, E> {
                Ok(Field::Other("a boolean"))
            }
            fn visit_unit<E>(self) -> Result<Field<'a>, E> {
                Ok(Field::Other("null"))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Field<'a>, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Field::Other("an array"))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Field<'a>, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Field::Other("an object"))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A record as it came; other keys (`units`) are ignored.
#[derive(Debug, serde::Deserialize)]
struct RawRecord<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Field<'a>>,
    #[serde(borrow, default)]
    name: Option<Field<'a>>,
    #[serde(borrow, default)]
    value: Option<Field<'a>>,
}

/// `2014-12-13T16:14:47.820000` (UTC, fraction dropped) or epoch seconds.
fn parse_timestamp(v: Option<&Field<'_>>) -> Result<i64, String> {
    match v {
        Some(Field::Str(s)) => {
            let (date, time) = s
                .split_once('T')
                .ok_or_else(|| format!("timestamp {s:?} is not YYYY-MM-DDTHH:MM:SS"))?;
            let time = time.split('.').next().unwrap_or(time);
            let dt: jiff::civil::DateTime = format!("{date}T{time}")
                .parse()
                .map_err(|_| format!("timestamp {s:?} is not YYYY-MM-DDTHH:MM:SS"))?;
            dt.to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp().as_second())
                .map_err(|_| format!("timestamp {s:?} is out of range"))
        }
        Some(Field::Num(f)) if f.is_finite() && (0.0..1e11).contains(f) => Ok(*f as i64),
        Some(Field::Num(f)) => Err(format!("timestamp {f} is out of range")),
        Some(Field::Other("null")) | None => Err("missing timestamp".into()),
        Some(Field::Other(what)) => Err(format!(
            "timestamp is {what}, neither a string nor a number"
        )),
    }
}

fn record_of(raw: &RawRecord<'_>) -> Result<Record, String> {
    let ts = parse_timestamp(raw.timestamp.as_ref())?;
    let name = match &raw.name {
        Some(Field::Str(s)) => s,
        Some(Field::Other("null")) | None => return Err("missing name".into()),
        Some(_) => return Err("name is not a string".into()),
    };
    let path = name_to_path(name)?;
    let value = match &raw.value {
        Some(Field::Num(n)) => *n,
        Some(Field::Str(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("value {s:?} is not a number"))?,
        Some(Field::Other("null")) | None => return Err("missing value".into()),
        Some(Field::Other(_)) => return Err("value is not a number".into()),
    };
    if !value.is_finite() {
        return Err(format!("value {value} is not finite"));
    }
    Ok(Record { ts, path, value })
}

/// One record from its JSON text.
pub fn parse_record(json: &str) -> Result<Record, String> {
    // serde would also take a struct from an array: only objects are records
    if !json.trim_start().starts_with('{') {
        return match serde_json::from_str::<serde::de::IgnoredAny>(json) {
            Ok(_) => Err("not a JSON object of timestamp, name and value".into()),
            Err(e) => Err(format!("malformed JSON: {e}")),
        };
    }
    match serde_json::from_str::<RawRecord<'_>>(json) {
        Ok(raw) => record_of(&raw),
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(format!(
            "not a JSON object of timestamp, name and value: {e}"
        )),
        Err(e) => Err(format!("malformed JSON: {e}")),
    }
}

/// The records of a body: a JSON array, or one JSON object per line.
pub fn parse_body(body: &[u8]) -> Result<Vec<Result<Record, String>>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    if text.trim_start().starts_with('[') {
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_str(text).map_err(|e| format!("malformed JSON array: {e}"))?;
        return Ok(items.iter().map(|v| parse_record(v.get())).collect());
    }
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_record)
        .collect())
}

/// Most new files one request may create (each is about 100 KiB).
pub const MAX_NEW_FILES: usize = 20_000;
/// How far ahead of the server's clock a record may be (one in the far
/// future would make its file skip every later record).
pub const MAX_AHEAD: i64 = 86_400;

/// Checks a file's place beneath the metrics root (`source/path`, as the
/// journal names it).
pub fn check_rel(rel: &str) -> Result<(), String> {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.len() > MAX_COMPONENTS + 1 {
        return Err(format!("more than {MAX_COMPONENTS} path components"));
    }
    parts.iter().try_for_each(|c| check_component(c))
}

/// Queues `records` (already parsed, in request order) for files beneath
/// `source` in `queue`, refusing those more than a day ahead of `now`;
/// at most `max_new_files` files are made. `created` hears of every new
/// file; `marks` are checkpoints journaled with the records
/// ([`WriteQueue::accept`]). Blocks.
pub fn write(
    queue: &WriteQueue,
    source: &str,
    records: Vec<(usize, Result<Record, String>)>,
    now: i64,
    max_new_files: usize,
    created: &mut dyn FnMut(&str),
    marks: &[(String, String)],
) -> Result<Outcome, QueueError> {
    let mut out = Outcome::default();
    // group by file, keeping each file's records in request order
    let mut groups: Vec<FileRecords> = Vec::new();
    let mut slot: HashMap<String, usize> = HashMap::new();
    for (index, r) in records {
        match r {
            Err(reason) => out.refuse(index, reason),
            Ok(rec) if rec.ts > now + MAX_AHEAD => out.refuse(
                index,
                format!(
                    "timestamp {} is more than a day ahead of the server's clock",
                    rec.ts
                ),
            ),
            Ok(rec) => {
                let rel = format!("{source}/{}", rec.path);
                let k = *slot.entry(rel).or_insert_with_key(|rel| {
                    groups.push((rel.clone(), Vec::new()));
                    groups.len() - 1
                });
                groups[k].1.push((index, rec.ts, rec.value));
            }
        }
    }
    queue.accept(groups, max_new_files, &mut out, created, marks)?;
    Ok(out)
}

/// The bearer token's source directory.
fn source_of<'a>(state: &'a AppState, headers: &HeaderMap) -> AppResult<&'a str> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(AppError::Unauthenticated)?;
    state
        .config
        .ingest
        .tokens
        .iter()
        .find(|t| constant_time_eq(t.token.as_bytes(), given.as_bytes()))
        .map(|t| t.source.as_str())
        .ok_or_else(|| AppError::Forbidden("unknown ingestion token".into()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `POST /api/ingest`.
pub(crate) async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<Outcome>> {
    let source = source_of(&state, &headers)?.to_string();
    let out = ingest_body(&state, &source, body).await?;
    Ok(Json(out))
}

/// `GET /api/ingest/status`: the write-behind queue's counters (any
/// ingestion token).
pub(crate) async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Json<crate::queue::Status>> {
    source_of(&state, &headers)?;
    Ok(Json(state.queue.status()))
}

/// `POST /api/ingest/flush`: writes every waiting record now, as
/// rrdcached's FLUSHALL (any ingestion token); answers the counters after.
pub(crate) async fn flush(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Json<crate::queue::Status>> {
    source_of(&state, &headers)?;
    let st = state.clone();
    let ok = state.ingest_pool.run(move || st.queue.flush_all()).await?;
    if !ok {
        return Err(AppError::Internal(anyhow::anyhow!(
            "some files could not be written; their records wait for the next cycle"
        )));
    }
    Ok(Json(state.queue.status()))
}

/// Parses and writes a body for `source` on the blocking pool: the path
/// `POST /api/ingest` and the demo generator share.
pub async fn ingest_body(state: &AppState, source: &str, body: Bytes) -> AppResult<Outcome> {
    let st = state.clone();
    let source = source.to_string();
    let now = (state.clock)();
    state
        .ingest_pool
        .run(move || {
            let records = parse_body(&body).map_err(AppError::BadRequest)?;
            let mut new_files = false;
            let out = write(
                &st.queue,
                &source,
                records.into_iter().enumerate().collect(),
                now,
                MAX_NEW_FILES,
                &mut |_| new_files = true,
                &[],
            );
            if new_files {
                st.catalogue.invalidate();
            }
            out.map_err(|e| AppError::Backlog(e.to_string()))
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_as_the_originals() {
        assert_eq!(
            name_to_path("//test.example.com/test/foo.txt#speed").unwrap(),
            "test.example.com/test/foo.txt/speed"
        );
        // Nagios perf-data names hold slashes: `#/var/log` makes an empty
        // component, which the file system collapses, as it did for the original
        assert_eq!(name_to_path("//h/c#/var/log").unwrap(), "h/c/var/log");
        assert_eq!(name_to_path("//a:b/c").unwrap(), "a..b/c");
    }

    #[test]
    fn names_that_would_leave_the_root_are_refused() {
        for bad in [
            "//../etc/passwd",
            "//a/../../x",
            "//",
            "//#",
            "/etc/passwd",
            "//a/:",
            "//a/.hidden",
            "//a\0b",
            "//a\\b",
            "",
        ] {
            assert!(name_to_path(bad).is_err(), "{bad:?} accepted");
        }
        assert!(name_to_path(&format!("//{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn records_and_their_refusals() {
        let v = r#"{"timestamp": "2014-12-13T16:14:47.820000", "name": "//h/c#m", "value": 99, "units": "rpm"}"#;
        assert_eq!(
            parse_record(v).unwrap(),
            Record {
                ts: 1418487287,
                path: "h/c/m".into(),
                value: 99.0
            }
        );
        let bad = |s: &str| parse_record(s).unwrap_err();
        assert_eq!(bad(r#"{"name": "//h/c", "value": 1}"#), "missing timestamp");
        assert_eq!(
            bad(r#"{"timestamp": "2014-12-13T10:28:31", "value": 1}"#),
            "missing name"
        );
        assert_eq!(
            bad(r#"{"timestamp": "2014-12-13T10:28:31", "name": "//h/c"}"#),
            "missing value"
        );
        assert!(
            bad(r#"{"timestamp": "2014-12-13T10:28:31", "name": "//h/c", "value": "abc"}"#)
                .contains("not a number")
        );
        assert!(bad(r#"{"timestamp": "yesterday", "name": "//h/c", "value": 1}"#).contains("YYYY"));
        assert!(
            bad(r#"{"timestamp": "2014-12-13T10:28:31", "name": "//h/c", "value": "nan"}"#)
                .contains("finite")
        );
        assert!(bad(r#"[1]"#).contains("object"));
    }

    #[test]
    fn bodies_as_arrays_or_lines() {
        let lines = "{\"timestamp\": 1000, \"name\": \"//a/b\", \"value\": 1}\n{oops\n\n{\"timestamp\": 1000, \"name\": \"//a/b\", \"value\": 2}\n";
        let r = parse_body(lines.as_bytes()).unwrap();
        assert_eq!(r.len(), 3);
        assert!(r[0].is_ok() && r[1].is_err() && r[2].is_ok());
        assert!(parse_body(b"[{\"a\":").is_err());
        assert_eq!(parse_body(b"[]").unwrap().len(), 0);
        assert!(parse_body(&[0xff, 0xfe]).is_err());
    }
}
