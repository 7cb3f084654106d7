//! rrd-cached: a write-behind daemon that speaks rrdcached 1.7.2's
//! protocol, on rrd-core.
//!
//! Clients (`rrdtool`/`rrd` with `--daemon`, collectd, Munin, Cacti,
//! LibreNMS) send `UPDATE`s; the daemon answers at once and writes each
//! file's values together later, turning many small random writes into
//! few larger ones. Every command of rrdcached 1.7.2 is served with the
//! same replies: UPDATE, BATCH, FLUSH, FLUSHALL, PENDING, FORGET, QUEUE,
//! STATS, HELP, PING, FETCH, FETCHBIN, FIRST, LAST, INFO, CREATE, LIST,
//! SUSPEND, RESUME, SUSPENDALL, RESUMEALL, QUIT.
//!
//! Where it departs from rrdcached, it is to keep promises rrdcached does
//! not: an acknowledged update survives a `kill -9` (the journal is
//! written before the answer, see [`journal`]); memory for pending values
//! is bounded and clients wait for room ([`daemon`]); with `-B`, names
//! are confined to the base directory including through symbolic links;
//! a file is never written by two writer threads at once.
//!
//! ```
//! use rrd_cached::daemon::{Config, Daemon, Session};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // a daemon without journal or sockets, answering requests in memory
//! let d = Daemon::new(Config::default(), None);
//! let mut s = Session::new(rrd_cached::protocol::ALL);
//! d.handle(&mut s, 0, b"PING");
//! d.handle(&mut s, 0, b"HELP PING");
//! let text = String::from_utf8(std::mem::take(&mut s.out))?;
//! assert!(text.starts_with("0 PONG\n4 Help for PING\nUsage: PING\n"));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod daemon;
pub mod fuzz_bodies;
pub mod journal;
pub mod log;
pub mod options;
pub mod protocol;
pub mod replay;
pub mod run;
pub mod server;
