//! An independent model of the original trace-log collector, written from
//! the reference text (graphmetrics-original.md §2–§3, §8) and the port's
//! documented departures, not from `rrd_server::tracelog`: it keeps the
//! original's shapes (minute keys as strings, times as sortable text, the
//! request map holding "I", "A" or the compute start) and yields, per
//! instance file, the rrdtool arguments that make the same file.

use std::collections::{BTreeMap, HashMap};

/// One instance file: its `--start` and its `rrdtool update` calls
/// (template, `time:values`).
#[derive(Debug, Default)]
pub struct ModelFile {
    pub start: i64,
    pub updates: Vec<(String, String)>,
    last: i64,
}

#[derive(Debug, Default)]
struct ModelInstance {
    reqs: HashMap<String, String>,
    waiting: i64,
    requests: i64,
    errors: i64,
    seconds: f64,
    secondsn: i64,
    minute: Option<String>,
    last: Option<String>,
}

pub struct Model {
    tz: jiff::tz::TimeZone,
    instances: BTreeMap<String, ModelInstance>,
    pub files: BTreeMap<String, ModelFile>,
}

/// `YYYY-MM-DD HH:MM:SS.ffffff`, sortable; None if not a time.
fn sortable(date: &str, time: &str) -> Option<(String, jiff::civil::DateTime)> {
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) || hms.len() != 8 {
        return None;
    }
    if date.len() != 10 {
        return None;
    }
    let dt: jiff::civil::DateTime = format!("{date}T{hms}").parse().ok()?;
    let micros = format!("{frac:0<6}");
    Some((format!("{date} {hms}.{micros}"), dt))
}

fn micros(s: &str) -> i64 {
    // "YYYY-MM-DD HH:MM:SS.ffffff" as naive microseconds
    let dt: jiff::civil::DateTime = s[..19].replace(' ', "T").parse().unwrap();
    let base = dt
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second();
    base * 1_000_000 + s[20..].parse::<i64>().unwrap()
}

impl Model {
    pub fn new(tz: &str) -> Model {
        Model {
            tz: jiff::tz::TimeZone::get(tz).unwrap(),
            instances: BTreeMap::new(),
            files: BTreeMap::new(),
        }
    }

    fn epoch(&self, dt: jiff::civil::DateTime) -> i64 {
        dt.to_zoned(self.tz.clone())
            .unwrap()
            .timestamp()
            .as_second()
    }

    /// The epoch of a minute key `YYYY-MM-DDHH:MM`.
    fn minute2ts(&self, key: &str) -> i64 {
        let dt: jiff::civil::DateTime =
            format!("{}T{}:00", &key[..10], &key[10..]).parse().unwrap();
        self.epoch(dt)
    }

    fn write(&mut self, name: &str, ts: i64, template: &str, values: String) {
        let f = self.files.get_mut(name).unwrap();
        if ts > f.last {
            f.last = ts;
            f.updates
                .push((template.to_string(), format!("{ts}:{values}")));
        }
    }

    fn flush(&mut self, name: &str) {
        let i = self.instances.get_mut(name).unwrap();
        let key = i.minute.clone().unwrap();
        let (rpm, epm, bl) = (i.requests, i.errors, i.waiting);
        let spr =
            (i.secondsn != 0 && i.seconds != 0.0).then(|| (i.secondsn * 60) as f64 / i.seconds);
        i.requests = 0;
        i.errors = 0;
        i.seconds = 0.0;
        i.secondsn = 0;
        let ts = self.minute2ts(&key) + 60;
        match spr {
            // 12 significant digits, as Python 2's str() of a float
            Some(v) => self.write(
                name,
                ts,
                "rpm:epm:bl:spr",
                format!("{rpm}:{epm}:{bl}:{v:.11e}"),
            ),
            None => self.write(name, ts, "rpm:epm:bl", format!("{rpm}:{epm}:{bl}")),
        }
    }

    fn reset(i: &mut ModelInstance) {
        i.reqs.clear();
        i.waiting = 0;
        i.requests = 0;
        i.errors = 0;
        i.seconds = 0.0;
        i.secondsn = 0;
        i.minute = None;
    }

    /// One log line.
    pub fn line(&mut self, line: &str) {
        let mut tok: Vec<&str> = line.split_whitespace().collect();
        if tok.len() > 3 && tok[3] == ":" {
            tok.remove(3);
        }
        if tok.len() < 6 {
            return;
        }
        let (typ, rid) = (tok[3], tok[4]);
        let (date, time, args) = if let Some((d, t)) = tok[5].split_once('T') {
            (d.to_string(), t.to_string(), &tok[6..])
        } else {
            if tok.len() < 7 {
                return;
            }
            (tok[5].to_string(), tok[6].to_string(), &tok[7..])
        };
        let Some((dt, civil)) = sortable(&date, &time) else {
            return;
        };
        for n in &tok[..3] {
            if n.contains('/') || n.starts_with('.') || n.contains("__") {
                return;
            }
        }
        let name = format!("{}__{}__{}", tok[0], tok[1], tok[2]);
        if !self.instances.contains_key(&name) {
            self.instances
                .insert(name.clone(), ModelInstance::default());
            let first = format!("{}{}", &dt[..10], &dt[11..16]);
            let start = self.minute2ts(&first) - 60;
            self.files.insert(
                name.clone(),
                ModelFile {
                    start,
                    updates: Vec::new(),
                    last: start,
                },
            );
        }
        if typ == "S" {
            let ts = self.epoch(civil);
            self.write(&name, ts, "start", "1".into());
            Self::reset(self.instances.get_mut(&name).unwrap());
            return;
        }
        let i = self.instances.get_mut(&name).unwrap();
        if typ == "E" {
            if let Some(state) = i.reqs.remove(rid) {
                if state == "I" {
                    i.waiting -= 1;
                }
            }
            return;
        }
        if typ != "I" && typ != "C" && typ != "A" {
            return;
        }
        if let Some(last) = &i.last {
            if dt < *last {
                Self::reset(i);
                return;
            }
        }
        i.last = Some(dt.clone());
        let minute = format!("{}{}", &dt[..10], &dt[11..16]);
        match &i.minute {
            None => i.minute = Some(minute),
            Some(m) if minute > *m => {
                self.flush(&name);
                self.instances.get_mut(&name).unwrap().minute = Some(minute);
            }
            Some(_) => {}
        }
        let i = self.instances.get_mut(&name).unwrap();
        match typ {
            "I" => {
                if i.reqs.get(rid).map(String::as_str) == Some("I") {
                    i.waiting -= 1;
                }
                i.waiting += 1;
                i.reqs.insert(rid.to_string(), "I".into());
            }
            "C" => {
                if i.reqs.contains_key(rid) {
                    i.waiting -= 1;
                    i.reqs.insert(rid.to_string(), dt);
                }
            }
            _ => {
                if let Some(state) = i.reqs.get(rid).cloned() {
                    let first = args.first().and_then(|a| a.chars().next());
                    if first == Some('5') || first == Some('E') {
                        i.errors += 1;
                    }
                    i.requests += 1;
                    if state != "I" && state != "A" {
                        i.seconds += (micros(&dt) - micros(&state)) as f64 / 1e6;
                        i.secondsn += 1;
                    }
                    i.reqs.insert(rid.to_string(), "A".into());
                }
            }
        }
    }
}
