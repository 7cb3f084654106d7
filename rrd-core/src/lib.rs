//! # rrd-core
//!
//! Round-robin database files in C rrdtool's own binary format, in pure Rust.
//!
//! - [`Rrd`] opens a file written by any rrdtool on any architecture
//!   (versions 0001-0005, either byte order, 32- or 64-bit `long`, 4- or
//!   8-byte `double` alignment) and gives its [`Header`] (definitions and live
//!   state) and its rows in time order.
//! - [`create`] builds new files from a typed [`CreateSpec`], exactly as
//!   rrdtool 1.7.2 writes them on x86-64 Linux.
//! - [`time`] parses rrdtool's at-style times (`now-1d`, `midnight yesterday`).
//! - Files are locked the way rrdtool locks them (see [`lock`]), so `rrd`
//!   and `rrdtool` processes can share files.
//!
//! ```
//! use rrd_core::{CreateOptions, CreateSpec, OpenMode, Rrd};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("rrd-core-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("demo.rrd");
//! let spec = CreateSpec::parse(
//!     1_000_000_000,
//!     300,
//!     &["DS:temp:GAUGE:600:-40:100", "RRA:AVERAGE:0.5:1:10"],
//! )?;
//! Rrd::create(&path, &spec, &CreateOptions::default())?;
//!
//! let rrd = Rrd::open(&path, OpenMode::ReadOnly)?;
//! assert_eq!(rrd.header().step, 300);
//! assert_eq!(rrd.header().ds[0].name, "temp");
//! for row in rrd.rows(0)? {
//!     let (time, values) = row?;
//!     assert!(time <= 1_000_000_000 && values[0].is_nan());
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

// Modules are private: the API is the re-export list below, plus two
// namespaces of free functions (`argbytes`, `time`).
pub mod argbytes;
mod compute;
mod create;
pub mod create_args;
mod dump;
mod error;
mod fetch;
mod format;
#[doc(hidden)]
pub mod fuzz_bodies;
mod hw;
mod info;
mod journal;
pub mod list;
mod lock;
#[cfg(feature = "mmap")]
#[allow(unsafe_code)]
mod mmap;
mod model;
mod modify;
mod newfile;
mod prefill;
mod restore;
mod rrd;
pub mod rrdcached;
mod storage;
pub mod time;
mod tune;
mod update;

// the handle, its storage and locking
pub use error::{open_message, Error, Result};
pub use lock::{HANDLE_LOCKS, LOCK_WAIT};
#[cfg(feature = "mmap")]
pub use mmap::MmapStorage;
pub use rrd::{RowObserver, Rows, Rrd, UpdateOptions};
pub use storage::{FileStorage, MemStorage, OpenMode, Storage};

// the decoded file and its layout
pub use format::{Endian, Layout};
pub use model::{
    cdp_slot, CdefNode, CdpPrep, ConsolidationFn, DataSource, DsKind, DsParams, Header, PdpPrep,
    RraDef, RraParams, Unival, DNAN, MAX_CDEF_NODES,
};

// create, update, fetch, info, dump, restore
pub use create::{
    name_hash, parse_ds, parse_rra, parse_rra_named, push_contingent_rras, random_row,
    scaled_duration, write_rrd, CreateOptions, CreateSpec, MAX_DATA_BYTES, MIN_START,
};
pub use dump::DumpHeader;
pub use fetch::{parse_cf, prepare_window, FetchRequest, FetchResult, MAX_FETCH_VALUES};
pub use info::{format_info, InfoValue};
pub use restore::RestoreOptions;
pub use update::{ParsedArg, RowWrite, UpdateTime, Value};

// tune: options and structural changes
pub use modify::{modify, resize, write_image, Image, Modification, RraOp};
pub use tune::{tune_option, TuneEffects};

// create --source
pub use prefill::{ds_mapping, prefill, DsMapping};

// new files that appear whole or not at all
pub use newfile::{Existing, Follow, NewFile};
