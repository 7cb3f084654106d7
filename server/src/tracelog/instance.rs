//! The original's per-instance aggregation (reference §3): requests in
//! flight, the backlog, and per-minute counts flushed when a later minute
//! begins. Pure: it sees parsed lines and emits what to store; the writer
//! turns local times into epoch seconds and files.

use std::collections::HashMap;

use super::parse::{Line, LocalTime, Minute};

/// Most requests one instance may have in flight; past it the oldest
/// state is cleared as on a restart (a log that only begins requests must
/// not grow memory without bound).
pub const MAX_IN_FLIGHT: usize = 100_000;

/// Where a request in flight is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Req {
    /// `I` seen: waiting for an application thread.
    Waiting,
    /// `C` seen at this time: computing.
    Computing(LocalTime),
    /// `A` seen: answered, its output being sent.
    Answered,
}

/// What the aggregation asks to store.
#[derive(Debug, Clone, PartialEq)]
pub enum Store {
    /// `start=1` at this second (an `S` line).
    Start(LocalTime),
    /// A minute's values, stored at its end.
    Minute {
        /// The minute.
        minute: Minute,
        /// Requests answered (`A`).
        rpm: u64,
        /// Of those, 5xx or `Error:`.
        epm: u64,
        /// Requests that read their input but wait for a thread.
        bl: i64,
        /// 60 over the mean computing seconds; none without any.
        spr: Option<f64>,
    },
}

/// One app-server instance's state.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Instance {
    in_flight: HashMap<String, Req>,
    waiting: i64,
    requests: u64,
    errors: u64,
    seconds: f64,
    secondsn: u64,
    minute: Option<Minute>,
    last: Option<LocalTime>,
}

impl Instance {
    /// Forgets requests, counts and the current minute (a restart, or time
    /// going backwards); keeps the last time seen.
    fn reset(&mut self) {
        self.in_flight.clear();
        self.waiting = 0;
        self.requests = 0;
        self.errors = 0;
        self.seconds = 0.0;
        self.secondsn = 0;
        self.minute = None;
    }

    fn flush(&mut self, minute: Minute, out: &mut Vec<Store>) {
        let spr = (self.secondsn != 0 && self.seconds != 0.0)
            .then(|| (self.secondsn * 60) as f64 / self.seconds);
        out.push(Store::Minute {
            minute,
            rpm: self.requests,
            epm: self.errors,
            bl: self.waiting,
            spr,
        });
        self.requests = 0;
        self.errors = 0;
        self.seconds = 0.0;
        self.secondsn = 0;
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Takes one line; what to store goes to `out`.
    pub fn line(&mut self, l: &Line<'_>, out: &mut Vec<Store>) {
        let t = l.time;
        match l.code {
            "S" => {
                out.push(Store::Start(t));
                self.reset();
                return;
            }
            // E lines come from another thread, out of order: before the
            // ordering check
            "E" => {
                if self.in_flight.remove(l.rid) == Some(Req::Waiting) {
                    self.waiting -= 1;
                }
                return;
            }
            "I" | "C" | "A" => {}
            _ => return,
        }
        if self.last.is_some_and(|last| t < last) {
            self.reset();
            return;
        }
        self.last = Some(t);
        let m = t.minute();
        match self.minute {
            None => self.minute = Some(m),
            Some(cur) if m > cur => {
                self.flush(cur, out);
                self.minute = Some(m);
            }
            Some(_) => {}
        }
        match l.code {
            "I" => {
                if self.in_flight.len() >= MAX_IN_FLIGHT && !self.in_flight.contains_key(l.rid) {
                    self.reset();
                    self.minute = Some(m);
                }
                if self.in_flight.get(l.rid) == Some(&Req::Waiting) {
                    // a duplicate I
                    self.waiting -= 1;
                }
                self.waiting += 1;
                self.in_flight.insert(l.rid.to_string(), Req::Waiting);
            }
            "C" => {
                if let Some(r) = self.in_flight.get_mut(l.rid) {
                    // a second C decrements again, as the original did
                    self.waiting -= 1;
                    *r = Req::Computing(t);
                }
            }
            _ => {
                if let Some(r) = self.in_flight.get_mut(l.rid) {
                    // the original died on an A without a status; here it
                    // counts as answered, not as an error
                    if l.arg0
                        .is_some_and(|s| s.starts_with('5') || s.starts_with('E'))
                    {
                        self.errors += 1;
                    }
                    self.requests += 1;
                    if let Req::Computing(c) = *r {
                        self.seconds += t.micros_since(&c) as f64 / 1e6;
                        self.secondsn += 1;
                    }
                    *r = Req::Answered;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse_line;
    use super::*;

    fn run(lines: &[&str]) -> Vec<Store> {
        let mut i = Instance::default();
        let mut out = Vec::new();
        for l in lines {
            i.line(
                &parse_line(format!("h c i {l}").as_bytes()).unwrap(),
                &mut out,
            );
        }
        out
    }

    #[test]
    fn the_samples_trace_log() {
        // zc.zservertracelog's samples/trace.log (reference §2.3)
        let out = run(&[
            "B 0.-1451822804 2009-07-30 15:48:22.727420 GET /constellations/andromeda.html",
            "I 0.-1451822804 2009-07-30 15:48:22.727803 47",
            "C 0.-1451822804 2009-07-30 15:48:22.729198",
            "B 0.-1447142132 2009-07-30 15:48:22.752054 GET /space-travel/plans/space-logs.txt",
            "I 0.-1447142132 2009-07-30 15:48:22.752441 0",
            "A 0.-1451822804 2009-07-30 15:49:25.147638 500 84",
            "E 0.-1451822804 2009-07-30 15:49:25.147826",
            "C 0.-1447142132 2009-07-30 15:49:25.148249",
        ]);
        // 15:48 flushed (stored at 15:49, reference §8) with the second
        // request waiting; the 500 falls in 15:49, never flushed
        assert_eq!(
            out,
            [Store::Minute {
                minute: Minute(2009, 7, 30, 15, 48),
                rpm: 0,
                epm: 0,
                bl: 1,
                spr: None
            }]
        );
    }

    #[test]
    fn quirks_kept() {
        let out = run(&[
            "I 1 2010-01-01 10:00:00",
            "I 1 2010-01-01 10:00:01", // duplicate: still one waiting
            "I 2 2010-01-01 10:00:02",
            "A 2 2010-01-01 10:00:03 200 5", // A without C: stays waiting
            "I 3 2010-01-01 10:00:04",
            "C 3 2010-01-01 10:00:05",
            "C 3 2010-01-01 10:00:06", // a second C decrements again
            "A 3 2010-01-01 10:00:07 Error: boom",
            "A 9 2010-01-01 10:00:08 500 1", // never seen I: not counted
            "C 1 2010-01-01 10:00:58",
            "A 1 2010-01-01 10:00:59", // no status: answered, no error
            "I 4 2010-01-01 10:01:00",
        ]);
        assert_eq!(
            out,
            [Store::Minute {
                minute: Minute(2010, 1, 1, 10, 0),
                rpm: 3,
                epm: 1,
                // 2 waiting after the duplicate I and the A without C, then
                // the second C of 3 and the C of 1 take two more
                bl: 0,
                spr: Some(2.0 * 60.0 / (1.0 + 1.0))
            }]
        );
    }

    #[test]
    fn restarts_and_time_going_backwards_reset() {
        let out = run(&[
            "I 1 2010-01-01 10:00:00",
            "S 0 2010-01-01 10:00:30",
            "I 2 2010-01-01 10:00:40",
            "I 3 2010-01-01 10:00:20", // backwards: reset, 10:00:40 stays last
            "I 4 2010-01-01 10:00:41",
            "I 5 2010-01-01 10:01:00",
        ]);
        assert_eq!(
            out,
            [
                Store::Start(parse_line(b"h c i S 0 2010-01-01 10:00:30").unwrap().time),
                Store::Minute {
                    minute: Minute(2010, 1, 1, 10, 0),
                    rpm: 0,
                    epm: 0,
                    bl: 1,
                    spr: None
                }
            ]
        );
    }
}
