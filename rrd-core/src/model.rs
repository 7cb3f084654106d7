//! The in-memory picture of an RRD header: definitions and live state.
//!
//! These types are layout-independent: [`crate::format`] decodes any
//! architecture's bytes into them and encodes them back.

use std::fmt;

/// The value rrdtool stores for "unknown": the negative quiet NaN that x86-64
/// computes for `0.0/0.0` (bytes `00 00 00 00 00 00 f8 ff`).
pub const DNAN: f64 = rrd_clib::DNAN;

/// Kind of a data source (`DST` in rrdtool).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DsKind {
    /// Stores the value as given.
    Gauge,
    /// A monotonically increasing integer counter (wraps at 32/64 bits).
    Counter,
    /// Rate of change of an integer, may be negative.
    Derive,
    /// A counter reset on every read.
    Absolute,
    /// A floating-point counter (version 0005).
    DCounter,
    /// A floating-point derive (version 0005).
    DDerive,
    /// Computed from other data sources of the same PDP by an RPN expression.
    Compute,
}

impl DsKind {
    /// All kinds, in no particular order.
    pub const ALL: [DsKind; 7] = [
        DsKind::Gauge,
        DsKind::Counter,
        DsKind::Derive,
        DsKind::Absolute,
        DsKind::DCounter,
        DsKind::DDerive,
        DsKind::Compute,
    ];
    /// The name rrdtool stores and prints.
    pub fn as_str(self) -> &'static str {
        match self {
            DsKind::Gauge => "GAUGE",
            DsKind::Counter => "COUNTER",
            DsKind::Derive => "DERIVE",
            DsKind::Absolute => "ABSOLUTE",
            DsKind::DCounter => "DCOUNTER",
            DsKind::DDerive => "DDERIVE",
            DsKind::Compute => "COMPUTE",
        }
    }
    /// Parses rrdtool's name of a kind (exact, upper case).
    pub fn parse(s: &str) -> Option<DsKind> {
        DsKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for DsKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Consolidation function of an archive (`CF`), including the Holt-Winters family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsolidationFn {
    /// Mean of the PDPs.
    Average,
    /// Smallest PDP.
    Min,
    /// Largest PDP.
    Max,
    /// Last PDP.
    Last,
    /// Additive Holt-Winters prediction.
    HwPredict,
    /// Multiplicative Holt-Winters prediction.
    MhwPredict,
    /// Seasonal coefficients.
    Seasonal,
    /// Seasonal deviations.
    DevSeasonal,
    /// Deviation prediction.
    DevPredict,
    /// Aberrant-behaviour failures.
    Failures,
}

impl ConsolidationFn {
    /// All functions.
    pub const ALL: [ConsolidationFn; 10] = [
        ConsolidationFn::Average,
        ConsolidationFn::Min,
        ConsolidationFn::Max,
        ConsolidationFn::Last,
        ConsolidationFn::HwPredict,
        ConsolidationFn::MhwPredict,
        ConsolidationFn::Seasonal,
        ConsolidationFn::DevSeasonal,
        ConsolidationFn::DevPredict,
        ConsolidationFn::Failures,
    ];
    /// The name rrdtool stores and prints.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsolidationFn::Average => "AVERAGE",
            ConsolidationFn::Min => "MIN",
            ConsolidationFn::Max => "MAX",
            ConsolidationFn::Last => "LAST",
            ConsolidationFn::HwPredict => "HWPREDICT",
            ConsolidationFn::MhwPredict => "MHWPREDICT",
            ConsolidationFn::Seasonal => "SEASONAL",
            ConsolidationFn::DevSeasonal => "DEVSEASONAL",
            ConsolidationFn::DevPredict => "DEVPREDICT",
            ConsolidationFn::Failures => "FAILURES",
        }
    }
    /// Parses rrdtool's name of a function (exact, upper case).
    pub fn parse(s: &str) -> Option<ConsolidationFn> {
        ConsolidationFn::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// AVERAGE, MIN, MAX or LAST.
    pub fn is_plain(self) -> bool {
        matches!(
            self,
            ConsolidationFn::Average
                | ConsolidationFn::Min
                | ConsolidationFn::Max
                | ConsolidationFn::Last
        )
    }
}

impl fmt::Display for ConsolidationFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One node of a COMPUTE data source's stored expression (`rpn_cdefds_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CdefNode {
    /// rrdtool's operator code (`op_en`).
    pub op: u8,
    /// Integer constant for numbers, data-source index for variables.
    pub val: i16,
}

/// Most nodes a COMPUTE expression can store, the terminating END included.
pub const MAX_CDEF_NODES: usize = 20;

/// Parameters of a data source, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum DsParams {
    /// Every kind but COMPUTE.
    Standard {
        /// Longest gap between updates, in seconds, before the value is unknown.
        heartbeat: u64,
        /// Smallest accepted rate (NaN = none).
        min: f64,
        /// Largest accepted rate (NaN = none).
        max: f64,
    },
    /// COMPUTE: the stored expression without its END node.
    Compute {
        /// Nodes in order.
        rpn: Vec<CdefNode>,
    },
}

/// A data source definition (`ds_def_t`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// Name, 1 to 19 characters of `[-a-zA-Z0-9_]`.
    pub name: String,
    /// Kind.
    pub kind: DsKind,
    /// Kind-specific parameters.
    pub params: DsParams,
}

/// Parameters of an archive, by consolidation function (`rra_def_t.par`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RraParams {
    /// AVERAGE, MIN, MAX, LAST.
    Plain {
        /// Fraction of a CDP that may be unknown (0 <= xff < 1).
        xff: f64,
    },
    /// HWPREDICT, MHWPREDICT.
    HoltWinters {
        /// Intercept smoothing.
        alpha: f64,
        /// Slope smoothing.
        beta: f64,
        /// Index of the SEASONAL archive.
        dependent_rra: u64,
        /// Seasonal period in rows (stored as a double).
        period: f64,
    },
    /// SEASONAL, DEVSEASONAL.
    Seasonal {
        /// Seasonal smoothing.
        gamma: f64,
        /// Smoothing window (used from version 0004).
        smoothing_window: f64,
        /// Index of the prediction (or SEASONAL) archive.
        dependent_rra: u64,
        /// Row at which seasonal smoothing runs.
        smooth_idx: u64,
    },
    /// DEVPREDICT.
    DevPredict {
        /// Index of the DEVSEASONAL archive.
        dependent_rra: u64,
    },
    /// FAILURES.
    Failures {
        /// Upper deviation multiplier.
        delta_pos: f64,
        /// Lower deviation multiplier.
        delta_neg: f64,
        /// Index of the DEVSEASONAL archive.
        dependent_rra: u64,
        /// Violations window length (1..=28).
        window_len: u64,
        /// Violations in the window that make a failure (1..=28).
        threshold: u64,
    },
}

/// An archive definition (`rra_def_t`).
#[derive(Debug, Clone, PartialEq)]
pub struct RraDef {
    /// Consolidation function.
    pub cf: ConsolidationFn,
    /// Number of rows.
    pub rows: u64,
    /// PDPs per row.
    pub pdp_cnt: u64,
    /// CF-specific parameters.
    pub params: RraParams,
}

impl RraDef {
    /// The xff of a plain archive, `None` for the Holt-Winters family.
    pub fn xff(&self) -> Option<f64> {
        match self.params {
            RraParams::Plain { xff } => Some(xff),
            _ => None,
        }
    }
}

/// One 8-byte slot of a scratch or parameter area (`unival`), normalised:
/// a count is held as its integer value, a double as its bit pattern, raw
/// bytes (FAILURES history) as `u64::from_le_bytes`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Unival(pub u64);

impl Unival {
    /// As a double.
    pub fn val(self) -> f64 {
        f64::from_bits(self.0)
    }
    /// As a count.
    pub fn cnt(self) -> u64 {
        self.0
    }
    /// From a double.
    pub fn from_val(v: f64) -> Self {
        Unival(v.to_bits())
    }
}

impl fmt::Debug for Unival {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// PDP state of one data source (`pdp_prep_t`).
#[derive(Debug, Clone, PartialEq)]
pub struct PdpPrep {
    /// The last raw input string (at most 29 bytes), `U` when unknown.
    pub last_ds: String,
    /// Unknown seconds in the PDP being built.
    pub unknown_sec: u64,
    /// Accumulated rate x seconds of the PDP being built (NaN when nothing known).
    pub value: f64,
}

/// Slots of a CDP scratch area (`cdp_par_en`).
pub mod cdp_slot {
    /// Running consolidation.
    pub const VAL: usize = 0;
    /// Unknown PDPs in the current CDP.
    pub const UNKN_PDP_CNT: usize = 1;
    /// HW intercept / seasonal coefficient / deviation.
    pub const HW_INTERCEPT: usize = 2;
    /// HW last intercept / last seasonal / last deviation.
    pub const HW_LAST_INTERCEPT: usize = 3;
    /// HW slope.
    pub const HW_SLOPE: usize = 4;
    /// HW last slope.
    pub const HW_LAST_SLOPE: usize = 5;
    /// HW null count / seasonal init flag.
    pub const NULL_COUNT: usize = 6;
    /// HW last null count.
    pub const LAST_NULL_COUNT: usize = 7;
    /// Value written to the next row.
    pub const PRIMARY_VAL: usize = 8;
    /// Value written to further rows of a bulk update.
    pub const SECONDARY_VAL: usize = 9;
}

/// CDP state of one (archive, data source) pair (`cdp_prep_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CdpPrep {
    /// The ten scratch slots, meaning by CF (see [`cdp_slot`]).
    pub scratch: [Unival; 10],
}

impl CdpPrep {
    /// Slot as a double.
    pub fn val(&self, slot: usize) -> f64 {
        self.scratch[slot].val()
    }
    /// Slot as a count.
    pub fn cnt(&self, slot: usize) -> u64 {
        self.scratch[slot].cnt()
    }
    /// FAILURES violation history: the first `len` bytes of the scratch area.
    pub fn history(&self, len: usize) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(80);
        for s in &self.scratch {
            bytes.extend_from_slice(&s.0.to_le_bytes());
        }
        bytes.truncate(len.min(80));
        bytes
    }
}

/// What a scratch or parameter slot holds, which decides how it is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotKind {
    /// A double.
    Val,
    /// An `unsigned long`.
    Cnt,
    /// Raw bytes kept in order.
    Raw,
}

/// Slot kinds of a CDP scratch area for a given CF.
pub(crate) fn cdp_slot_kinds(cf: ConsolidationFn) -> [SlotKind; 10] {
    use SlotKind::*;
    match cf {
        ConsolidationFn::HwPredict | ConsolidationFn::MhwPredict => {
            [Val, Cnt, Val, Val, Val, Val, Cnt, Cnt, Val, Val]
        }
        ConsolidationFn::Seasonal | ConsolidationFn::DevSeasonal => {
            [Val, Cnt, Val, Val, Val, Val, Cnt, Cnt, Val, Val]
        }
        ConsolidationFn::Failures => [Raw, Raw, Raw, Raw, Raw, Raw, Raw, Raw, Val, Val],
        _ => [Val, Cnt, Val, Val, Val, Val, Val, Val, Val, Val],
    }
}

/// The whole header of an RRD: definitions and live state.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// File format version, 1 to 5.
    pub version: u8,
    /// PDP step in seconds.
    pub step: u64,
    /// Data sources.
    pub ds: Vec<DataSource>,
    /// Archives.
    pub rra: Vec<RraDef>,
    /// Time of the last update, seconds.
    pub last_up: i64,
    /// Microseconds part of the last update (0 before version 3).
    pub last_up_usec: i64,
    /// PDP state, one per data source.
    pub pdp: Vec<PdpPrep>,
    /// CDP state, archive-major: index `rra * ds.len() + ds`.
    pub cdp: Vec<CdpPrep>,
    /// Per archive, the physical row written last.
    pub cur_row: Vec<u64>,
}

impl Header {
    /// The CDP state of archive `rra`, data source `ds`.
    pub fn cdp(&self, rra: usize, ds: usize) -> &CdpPrep {
        &self.cdp[rra * self.ds.len() + ds]
    }
    /// Seconds covered by one row of archive `rra`.
    pub fn rra_step(&self, rra: usize) -> u64 {
        self.rra[rra].pdp_cnt.saturating_mul(self.step)
    }
    /// End time of the CDP stored at `cur_row` of archive `rra`.
    pub fn rra_last_row_time(&self, rra: usize) -> i64 {
        // i128 and clamping: a corrupt header may hold any step and time
        let s = i128::from(self.rra_step(rra).max(1));
        let t = i128::from(self.last_up);
        clamp_i64(t - t.rem_euclid(s))
    }
    /// Time of the oldest row of archive `rra` (what `rrdtool first` prints).
    pub fn rra_first_time(&self, rra: usize) -> i64 {
        let s = i128::from(self.rra_step(rra));
        let rows = i128::from(self.rra[rra].rows);
        clamp_i64(i128::from(self.rra_last_row_time(rra)) - (rows - 1) * s)
    }
    /// Whether the two headers encode to the same bytes (NaNs compared by
    /// their bits, which `==` cannot do).
    pub fn same_bits(&self, other: &Header) -> bool {
        let l = crate::format::Layout::NATIVE;
        crate::format::encode_header(self, l) == crate::format::encode_header(other, l)
    }
    /// Total number of rows over all archives.
    pub fn total_rows(&self) -> u64 {
        self.rra.iter().map(|r| r.rows).sum()
    }
}

fn clamp_i64(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}
