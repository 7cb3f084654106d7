//! Creating RRD files: rrdtool's `DS:`/`RRA:` syntax, the initial state
//! rrdtool 1.7.2 gives a new file, and writing through a temporary file
//! and a rename.

use std::hash::{BuildHasher, Hasher};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::format::{encode_header, encode_value, Layout};
use crate::model::{
    cdp_slot, CdpPrep, ConsolidationFn, DataSource, DsKind, DsParams, Header, PdpPrep, RraDef,
    RraParams, Unival, DNAN,
};
use crate::newfile::{Existing, Follow, NewFile};
use rrd_clib::strtod::strtodbl;

/// The earliest start time rrdtool accepts in `create`, `fetch`, `xport` and
/// `graph`: ten 365-day years after the epoch (early 1980).
pub const MIN_START: i64 = 10 * 365 * 86400;

/// A typed definition of a new RRD.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSpec {
    /// Time of the (virtual) last update: data starts after it.
    pub start: i64,
    /// PDP step in seconds.
    pub step: u64,
    /// Data sources.
    pub ds: Vec<DataSource>,
    /// Archives.
    pub rra: Vec<RraDef>,
    /// File version to write; `None` applies rrdtool's rule ([`CreateSpec::version`]).
    pub version: Option<u8>,
}

/// rrdtool's `rrd_scaled_duration`: a count, or a number with a suffix
/// `s m h d w M y` (M = 31 days, y = 366 days) giving seconds that are then
/// divided by `divisor` and must divide exactly. As in rrdtool, the number
/// is `strtoul`'s (so it must start with a digit), only the character after
/// it is looked at (`5mx` is 300 seconds), and scaling wraps modulo 2^64.
/// Errors are rrdtool's texts.
pub fn scaled_duration(token: &str, divisor: u64) -> Result<u64, &'static str> {
    let b = token.as_bytes();
    let parsed = rrd_clib::strtol::strtoul(b, 10);
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return Err("value must be (suffixed) positive number");
    }
    if divisor == 0 {
        return Err("INTERNAL ERROR: Zero divisor");
    }
    let mut divisor = divisor;
    let scale: u64 = match b.get(parsed.end) {
        // a count: not scaled
        None => {
            divisor = 0;
            1
        }
        Some(b's') => 1,
        Some(b'm') => 60,
        Some(b'h') => 3600,
        Some(b'd') => 86400,
        Some(b'w') => 7 * 86400,
        Some(b'M') => 31 * 86400,
        Some(b'y') => 366 * 86400,
        Some(_) => return Err("value has trailing garbage"),
    };
    let value = parsed.value.wrapping_mul(scale);
    if value == 0 {
        return Err("value must be positive");
    }
    if divisor == 0 {
        return Ok(value);
    }
    if value % divisor != 0 {
        return Err("value would truncate when scaled");
    }
    Ok(value / divisor)
}

fn valid_ds_name(name: &str) -> bool {
    (1..=19).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// Parses one `DS:name:DST:heartbeat:min:max` or `DS:name:COMPUTE:rpn`
/// argument. `earlier` are the data sources already defined (for the
/// duplicate-name check, and the names a COMPUTE expression may use).
pub fn parse_ds(arg: &str, earlier: &[DataSource]) -> Result<DataSource> {
    let invalid = || Error::Definition("invalid DS format".into());
    // rrdtool matches DS arguments with GLib's regex, which refuses a
    // subject that is not UTF-8
    if arg
        .chars()
        .any(|c| crate::argbytes::escaped_byte(c).is_some())
    {
        return Err(invalid());
    }
    let rest = arg.strip_prefix("DS:").ok_or_else(invalid)?;
    let (name_part, rest) = rest.split_once(':').ok_or_else(invalid)?;
    // `name=mapped-name[index]` names a source DS for --source; the DS is `name`
    if name_part.contains('=') && crate::prefill::ds_mapping(arg).is_none() {
        return Err(invalid());
    }
    let name = name_part.split_once('=').map_or(name_part, |(n, _)| n);
    if !valid_ds_name(name) {
        return Err(invalid());
    }
    let (dst, args) = rest.split_once(':').ok_or_else(invalid)?;
    // rrdtool's DS regex wants a non-empty argument part
    if dst.is_empty()
        || dst.len() > 19
        || !dst.bytes().all(|c| c.is_ascii_uppercase())
        || args.is_empty()
    {
        return Err(invalid());
    }
    if let Some(d) = earlier.iter().find(|d| d.name == name) {
        return Err(Error::Definition(format!("Duplicate DS name: {}", d.name)));
    }
    let kind = DsKind::parse(dst)
        .ok_or_else(|| Error::Definition(format!("invalid DS type specified ({dst})")))?;
    if kind == DsKind::Compute {
        // names resolve against the data sources defined before this one
        let names: Vec<&str> = earlier.iter().map(|d| d.name.as_str()).collect();
        let rpn = crate::compute::parse_for_create(args, &names)?;
        return Ok(DataSource {
            name: name.to_string(),
            kind,
            params: DsParams::Compute { rpn },
        });
    }
    let fail = |msg: &str| Error::Definition(format!("failed to parse data source {args}: {msg}"));
    let (hb, minmax) = args
        .split_once(':')
        .ok_or_else(|| fail("missing separator"))?;
    let heartbeat = scaled_duration(hb, 1).map_err(fail)?;
    let mut mm = minmax.split(':');
    let (min_s, max_s) = match (mm.next(), mm.next()) {
        (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => (a, b),
        _ => return Err(fail("failed to extract min:max")),
    };
    let bound = |s: &str, what: &str| -> Result<f64> {
        if s == "U" {
            Ok(DNAN)
        } else {
            strtodbl(s, Some(what)).map_err(Error::Definition)
        }
    };
    let min = bound(min_s, "parsing min val")?;
    let max = bound(max_s, "parsing max val")?;
    if !min.is_nan() && !max.is_nan() && min >= max {
        return Err(fail("min must be less than max in DS definition"));
    }
    Ok(DataSource {
        name: name.to_string(),
        kind,
        params: DsParams::Standard {
            heartbeat,
            min,
            max,
        },
    })
}

/// rrdtool's hash of a file name (FNV-1 of the bytes as given, with the
/// 32-bit basis and prime but, as rrdtool keeps it in an `unsigned long`,
/// computed modulo 2^64): the phase of the seasonal smoothing in SEASONAL
/// and DEVSEASONAL archives.
pub fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0x811c_9dc5;
    for &b in crate::argbytes::decode(name).iter() {
        h = h.wrapping_mul(0x0100_0193);
        h ^= u64::from(b);
    }
    h
}

/// Parses one `RRA:CF:xff:steps:rows` argument for a file of PDP step `step`
/// (or a Holt-Winters archive's arguments). A SEASONAL or DEVSEASONAL archive
/// named explicitly takes its smoothing phase from the file name's hash, as
/// rrdtool's does: see [`parse_rra_named`].
pub fn parse_rra(arg: &str, step: u64) -> Result<RraDef> {
    parse_rra_named(arg, step, name_hash("")).map(|(d, _)| d)
}

/// [`parse_rra`] for a file whose name hashes to `hash` ([`name_hash`]),
/// with the file version the argument asks for (4 for MHWPREDICT and an
/// explicit smoothing window, else 3).
pub fn parse_rra_named(arg: &str, step: u64, hash: u64) -> Result<(RraDef, u8)> {
    use ConsolidationFn as Cf;
    let def_err = |m: String| Error::Definition(m);
    let rest = arg
        .strip_prefix("RRA:")
        .ok_or_else(|| def_err(format!("can't parse argument '{arg}'")))?;
    // strtok: empty fields vanish
    let tokens: Vec<&str> = rest.split(':').filter(|t| !t.is_empty()).collect();
    let Some(cf_tok) = tokens.first() else {
        return Err(def_err(
            "Expected at least 4 arguments for RRA but got 0".into(),
        ));
    };
    let cf = ConsolidationFn::parse(cf_tok).ok_or_else(|| {
        // rrdtool scans the name as %19[A-Z]
        let shown: String = cf_tok
            .chars()
            .take_while(char::is_ascii_uppercase)
            .take(19)
            .collect();
        def_err(format!("Unrecognized consolidation function {shown}"))
    })?;
    let mut version = 3;
    let atoi = |t: &str| rrd_clib::strtol::atoi(t);
    let unit_double = |t: &str| strtodbl(t, None).ok();
    // the parameter slots as rrdtool fills them (rra_def_t.par)
    let mut par = [0u64; 10];
    let mut token_min = 4;
    match cf {
        Cf::HwPredict | Cf::MhwPredict => {
            if cf == Cf::MhwPredict {
                version = 4;
            }
            token_min = 5;
            par[1] = 0.1f64.to_bits();
            par[2] = (1.0f64 / 288.0).to_bits();
            par[3] = i32::MAX as u64;
        }
        Cf::Seasonal | Cf::DevSeasonal => {
            token_min = if cf == Cf::Seasonal { 4 } else { 3 };
            par[1] = 0.1f64.to_bits();
            par[2] = 0.05f64.to_bits();
            par[3] = u64::MAX;
        }
        Cf::DevPredict => {
            token_min = 3;
            par[3] = u64::MAX;
        }
        Cf::Failures => {
            token_min = 5;
            par[1] = 2.0f64.to_bits();
            par[2] = 2.0f64.to_bits();
            par[4] = 3;
            par[5] = 2;
            par[3] = u64::MAX;
        }
        _ => {}
    }
    let mut pdp_cnt = 1;
    let mut rows = 0;
    for (idx, t) in tokens.iter().enumerate().skip(1) {
        match (idx, cf) {
            (1, c) if !c.is_plain() => {
                rows = scaled_duration(t, step)
                    .map_err(|m| def_err(format!("Invalid row count {t}: {m}")))?;
            }
            (1, _) => match unit_double(t) {
                Some(v) if (0.0..1.0).contains(&v) => par[0] = v.to_bits(),
                _ => return Err(def_err("Invalid xff: must be between 0 and 1".into())),
            },
            (2, Cf::HwPredict | Cf::MhwPredict) => match unit_double(t) {
                Some(v) if v > 0.0 && v < 1.0 => par[1] = v.to_bits(),
                _ => return Err(def_err("Invalid alpha: must be between 0 and 1".into())),
            },
            (2, Cf::Seasonal | Cf::DevSeasonal) => match unit_double(t) {
                Some(v) if v > 0.0 && v < 1.0 => {
                    par[1] = v.to_bits();
                    par[4] = hash % rows.max(1);
                }
                _ => return Err(def_err("Invalid gamma: must be between 0 and 1".into())),
            },
            (2, Cf::Failures) => {
                par[5] = atoi(t) as i64 as u64;
                if !(1..=28).contains(&atoi(t)) {
                    return Err(def_err("Failure threshold is out of range 1, 28".into()));
                }
            }
            (2, Cf::DevPredict) => par[3] = (atoi(t) as i64 - 1) as u64,
            (2, _) => {
                pdp_cnt = scaled_duration(t, step)
                    .map_err(|m| def_err(format!("Invalid step {t}: {m}")))?;
            }
            (3, Cf::HwPredict | Cf::MhwPredict) => match unit_double(t) {
                Some(v) if (0.0..=1.0).contains(&v) => par[2] = v.to_bits(),
                _ => return Err(def_err("Invalid beta: must be between 0 and 1".into())),
            },
            (3, Cf::Seasonal | Cf::DevSeasonal) => par[3] = (atoi(t) as i64 - 1) as u64,
            (3, Cf::Failures) => {
                par[4] = atoi(t) as i64 as u64;
                if !(1..=28).contains(&atoi(t)) {
                    return Err(def_err("Window length is out of range 1, 28".into()));
                }
                if par[4] < par[5] {
                    return Err(def_err(
                        "Window length is shorter than the failure threshold".into(),
                    ));
                }
            }
            (3, Cf::DevPredict) => {
                return Err(def_err(
                    "Unexpected extra argument for consolidation function DEVPREDICT".into(),
                ))
            }
            (3, _) => {
                rows = scaled_duration(t, step.saturating_mul(pdp_cnt))
                    .map_err(|m| def_err(format!("Invalid row count {t}: {m}")))?;
            }
            (4, Cf::Failures) => par[3] = (atoi(t) as i64 - 1) as u64,
            (4, Cf::Seasonal | Cf::DevSeasonal) => {
                let v = t
                    .strip_prefix("smoothing-window=")
                    .and_then(rrd_clib::strtod::strtod_prefix);
                let Some(v) = v else {
                    return Err(def_err(format!("Invalid option {t}")));
                };
                version = 4;
                par[2] = v.to_bits();
                if !(0.0..=1.0).contains(&v) {
                    return Err(def_err(format!(
                        "Invalid smoothing-window {}: must be between 0 and 1",
                        rrd_clib::printf::fixed(v, 6)
                    )));
                }
            }
            (4, Cf::HwPredict | Cf::MhwPredict) => {
                // rrdtool keeps the period in an unsigned short
                let period = atoi(t) as u16;
                if u64::from(period) > rows {
                    return Err(def_err(
                        "Length of seasonal cycle exceeds length of HW prediction array".into(),
                    ));
                }
                par[4] = f64::from(period).to_bits();
            }
            (4, _) => {
                return Err(def_err(format!(
                    "Unexpected extra argument for consolidation function {cf}"
                )))
            }
            (5, Cf::HwPredict | Cf::MhwPredict) => par[3] = (atoi(t) as i64 - 1) as u64,
            _ => return Err(def_err("Unknown error".into())),
        }
    }
    if tokens.len() < token_min {
        return Err(def_err(format!(
            "Expected at least {token_min} arguments for RRA but got {}",
            tokens.len()
        )));
    }
    let val = |i: usize| f64::from_bits(par[i]);
    let params = match cf {
        Cf::HwPredict | Cf::MhwPredict => RraParams::HoltWinters {
            alpha: val(1),
            beta: val(2),
            dependent_rra: par[3],
            period: val(4),
        },
        Cf::Seasonal | Cf::DevSeasonal => RraParams::Seasonal {
            gamma: val(1),
            smoothing_window: val(2),
            dependent_rra: par[3],
            smooth_idx: par[4],
        },
        Cf::DevPredict => RraParams::DevPredict {
            dependent_rra: par[3],
        },
        Cf::Failures => RraParams::Failures {
            delta_pos: val(1),
            delta_neg: val(2),
            dependent_rra: par[3],
            window_len: par[4],
            threshold: par[5],
        },
        _ => RraParams::Plain { xff: val(0) },
    };
    Ok((
        RraDef {
            cf,
            rows,
            pdp_cnt,
            params,
        },
        version,
    ))
}

/// The archives rrdtool adds after a HWPREDICT or MHWPREDICT archive that
/// names no SEASONAL archive (`create_hw_contingent_rras`): SEASONAL,
/// DEVSEASONAL, DEVPREDICT and FAILURES. `rra` ends with the prediction
/// archive; its dependency is set here.
pub fn push_contingent_rras(rra: &mut Vec<RraDef>, hash: u64) -> Result<()> {
    let hw_index = (rra.len() as u64).wrapping_sub(1);
    let Some(hw) = rra.last_mut() else {
        return Ok(());
    };
    let RraParams::HoltWinters {
        alpha,
        period,
        dependent_rra,
        ..
    } = &mut hw.params
    else {
        return Ok(());
    };
    if *dependent_rra != i32::MAX as u64 {
        return Ok(());
    }
    let (alpha, period_f) = (*alpha, *period);
    let period = period_f as u64;
    if period == 0 {
        // rrdtool divides by it (and dies of SIGFPE)
        return Err(Error::Definition(
            "Length of seasonal cycle must be at least 1".into(),
        ));
    }
    *dependent_rra = hw_index + 1;
    let hw_rows = hw.rows;
    let seasonal = |cf| RraDef {
        cf,
        rows: period,
        pdp_cnt: 1,
        params: RraParams::Seasonal {
            gamma: alpha,
            smoothing_window: 0.0,
            dependent_rra: hw_index,
            smooth_idx: hash % period,
        },
    };
    rra.push(seasonal(ConsolidationFn::Seasonal));
    rra.push(seasonal(ConsolidationFn::DevSeasonal));
    rra.push(RraDef {
        cf: ConsolidationFn::DevPredict,
        rows: hw_rows,
        pdp_cnt: 1,
        params: RraParams::DevPredict {
            dependent_rra: hw_index + 2,
        },
    });
    rra.push(RraDef {
        cf: ConsolidationFn::Failures,
        rows: period,
        pdp_cnt: 1,
        params: RraParams::Failures {
            delta_pos: 2.0,
            delta_neg: 2.0,
            dependent_rra: hw_index + 2,
            window_len: 9,
            threshold: 7,
        },
    });
    Ok(())
}

impl CreateSpec {
    /// Parses rrdtool `create` arguments (`DS:...` and `RRA:...`).
    /// Holt-Winters archives take their smoothing phase from the file name:
    /// use [`CreateSpec::parse_named`] to give it.
    pub fn parse(start: i64, step: u64, args: &[&str]) -> Result<CreateSpec> {
        Self::parse_named("", start, step, args)
    }

    /// [`CreateSpec::parse`] for the file `name` (as given to rrdtool: its
    /// hash places the seasonal smoothing of Holt-Winters archives).
    pub fn parse_named(name: &str, start: i64, step: u64, args: &[&str]) -> Result<CreateSpec> {
        let mut spec = CreateSpec {
            start,
            step,
            ds: Vec::new(),
            rra: Vec::new(),
            version: None,
        };
        let hash = name_hash(name);
        let mut version = 3;
        for arg in args {
            if arg.starts_with("DS:") {
                let d = parse_ds(arg, &spec.ds)?;
                if matches!(d.kind, DsKind::DCounter | DsKind::DDerive) {
                    version = 5;
                }
                spec.ds.push(d);
            } else if arg.starts_with("RRA:") {
                let (r, v) = parse_rra_named(arg, step, hash)?;
                version = version.max(v);
                spec.rra.push(r);
                push_contingent_rras(&mut spec.rra, hash)?;
            } else {
                return Err(Error::Definition(format!("can't parse argument '{arg}'")));
            }
        }
        spec.version = Some(version);
        spec.validate()?;
        Ok(spec)
    }

    /// Checks what rrdtool checks before writing.
    pub fn validate(&self) -> Result<()> {
        if self.rra.is_empty() {
            return Err(Error::Definition(
                "you must define at least one Round Robin Archive".into(),
            ));
        }
        if self.ds.is_empty() {
            return Err(Error::Definition(
                "you must define at least one Data Source".into(),
            ));
        }
        if self.step == 0 {
            return Err(Error::Definition(
                "step size: value must be positive".into(),
            ));
        }
        if self.start < MIN_START {
            return Err(Error::Definition(
                "the first entry to the RRD should be after 1980".into(),
            ));
        }
        // refuse files whose data area could not be allocated or addressed
        let d = self.ds.len() as u64;
        let mut total: u64 = 0;
        for a in &self.rra {
            if a.rows == 0 || a.pdp_cnt == 0 {
                return Err(Error::Definition(
                    "Invalid row count 0: value must be positive".into(),
                ));
            }
            // a row's span and the archive's time range must fit a time_t
            let fits = a
                .pdp_cnt
                .checked_mul(self.step)
                .and_then(|span| span.checked_mul(a.rows))
                .is_some_and(|v| v <= i64::MAX as u64 / 4);
            if !fits {
                return Err(Error::Definition(format!(
                    "archive of {} rows of {} steps of {} seconds spans too long a time",
                    a.rows, a.pdp_cnt, self.step
                )));
            }
            total = a
                .rows
                .checked_mul(d)
                .and_then(|v| v.checked_mul(8))
                .and_then(|v| v.checked_add(total))
                .filter(|&v| v <= MAX_DATA_BYTES)
                .ok_or_else(|| Error::Definition("cannot allocate memory".into()))?;
        }
        Ok(())
    }

    /// The file version rrdtool 1.7.2 writes for these definitions: 0005
    /// with a DCOUNTER or DDERIVE source, 0004 with an MHWPREDICT archive,
    /// else 0003 (unless [`CreateSpec::version`] the field says otherwise).
    pub fn version(&self) -> u8 {
        if let Some(v) = self.version {
            return v;
        }
        if self
            .ds
            .iter()
            .any(|d| matches!(d.kind, DsKind::DCounter | DsKind::DDerive))
        {
            5
        } else if self.rra.iter().any(|r| r.cf == ConsolidationFn::MhwPredict) {
            4
        } else {
            3
        }
    }

    /// Writes the whole new file to `w` (`rrdtool create -`: the file to
    /// standard output), archive pointers at random as rrdtool picks them.
    pub fn write_to<W: Write>(&self, w: &mut W) -> Result<()> {
        self.validate()?;
        write_rrd(w, &self.to_header(random_row), None)
    }

    /// The header of a new file, with each archive's `cur_row` from `pick_row(rows)`
    /// (rrdtool picks it at random). Call [`CreateSpec::validate`] first: the
    /// arithmetic relies on its bounds.
    pub fn to_header(&self, mut pick_row: impl FnMut(u64) -> u64) -> Header {
        let step = self.step;
        let last_up = self.start;
        let unknown_sec = last_up.rem_euclid(step as i64) as u64;
        let pdp = self
            .ds
            .iter()
            .map(|_| PdpPrep {
                last_ds: "U".into(),
                unknown_sec,
                value: DNAN,
            })
            .collect();
        let mut cdp = Vec::with_capacity(self.ds.len() * self.rra.len());
        for a in &self.rra {
            let span = (step * a.pdp_cnt) as i64;
            let unkn = ((last_up - unknown_sec as i64).rem_euclid(span)) as u64 / step;
            for _ in &self.ds {
                cdp.push(init_cdp(a.cf, unkn));
            }
        }
        Header {
            version: self.version(),
            step,
            ds: self.ds.clone(),
            rra: self.rra.clone(),
            last_up,
            last_up_usec: 0,
            pdp,
            cdp,
            cur_row: self.rra.iter().map(|a| pick_row(a.rows) % a.rows).collect(),
        }
    }
}

/// The CDP state of a new archive (`init_cdp`): `unkn` is the PDPs of
/// the first row already past, for the plain functions.
pub(crate) fn init_cdp(cf: ConsolidationFn, unkn: u64) -> CdpPrep {
    let mut c = CdpPrep::default();
    init_cdp_over(cf, unkn, &mut c);
    c
}

/// `init_cdp` over a CDP state as it is: only the slots rrdtool's
/// `init_cdp` sets for `cf` change (a FAILURES state is zeroed whole).
pub(crate) fn init_cdp_over(cf: ConsolidationFn, unkn: u64, c: &mut CdpPrep) {
    use ConsolidationFn as Cf;
    let nan = Unival::from_val(DNAN);
    match cf {
        Cf::HwPredict | Cf::MhwPredict => {
            for k in [
                cdp_slot::HW_INTERCEPT,
                cdp_slot::HW_LAST_INTERCEPT,
                cdp_slot::HW_SLOPE,
                cdp_slot::HW_LAST_SLOPE,
            ] {
                c.scratch[k] = nan;
            }
            c.scratch[cdp_slot::NULL_COUNT] = Unival(1);
            c.scratch[cdp_slot::LAST_NULL_COUNT] = Unival(1);
        }
        Cf::Seasonal | Cf::DevSeasonal => {
            c.scratch[cdp_slot::HW_INTERCEPT] = nan;
            c.scratch[cdp_slot::HW_LAST_INTERCEPT] = nan;
            c.scratch[cdp_slot::NULL_COUNT] = Unival(1);
        }
        Cf::Failures => *c = CdpPrep::default(),
        _ => {
            c.scratch[cdp_slot::VAL] = nan;
            c.scratch[cdp_slot::UNKN_PDP_CNT] = Unival(unkn);
        }
    }
}

/// Largest data area we agree to create (1 TiB).
pub const MAX_DATA_BYTES: u64 = 1 << 40;

/// A random row index below `rows`, like rrdtool's `rrd_random() % rows`.
pub fn random_row(rows: u64) -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(rows);
    h.finish() % rows.max(1)
}

/// Streams a whole file (header in the native layout, then data) to `w`.
/// `data` holds every archive's rows in physical order; `None` writes unknowns.
pub fn write_rrd<W: Write>(w: &mut W, hdr: &Header, data: Option<&[f64]>) -> Result<()> {
    check_consistent(hdr)?;
    if hdr.version < 3 {
        // rrdtool upgrades what it writes to 0003 (live_head gains usec)
        let mut h = hdr.clone();
        h.version = 3;
        w.write_all(&encode_header(&h, Layout::NATIVE))?;
    } else {
        w.write_all(&encode_header(hdr, Layout::NATIVE))?;
    }
    let n = hdr.total_rows() * hdr.ds.len() as u64;
    match data {
        Some(d) => {
            if d.len() as u64 != n {
                return Err(Error::Definition(format!(
                    "data holds {} values, the definitions call for {n}",
                    d.len()
                )));
            }
            for chunk in d.chunks(8192) {
                let mut buf = Vec::with_capacity(chunk.len() * 8);
                for v in chunk {
                    buf.extend_from_slice(&encode_value(*v, Layout::NATIVE.endian));
                }
                w.write_all(&buf)?;
            }
        }
        None => {
            let nan = encode_value(DNAN, Layout::NATIVE.endian);
            let chunk: Vec<u8> = nan.iter().copied().cycle().take(8 * 8192).collect();
            let mut left = n;
            while left > 0 {
                let k = left.min(8192);
                w.write_all(&chunk[..k as usize * 8])?;
                left -= k;
            }
        }
    }
    Ok(())
}

/// The invariants [`encode_header`] relies on.
fn check_consistent(h: &Header) -> Result<()> {
    let (d, r) = (h.ds.len(), h.rra.len());
    let bad = |what: &str| Err(Error::Definition(format!("inconsistent header: {what}")));
    if d == 0 || r == 0 || h.step == 0 {
        return bad("no data source, no archive or zero step");
    }
    if h.pdp.len() != d || h.cdp.len() != d * r || h.cur_row.len() != r {
        return bad("state does not match the definitions");
    }
    if h.rra
        .iter()
        .zip(&h.cur_row)
        .any(|(a, c)| a.rows == 0 || *c >= a.rows)
    {
        return bad("current row beyond an archive");
    }
    if h.version > crate::format::MAX_VERSION {
        return bad("unknown version");
    }
    Ok(())
}

/// Writes a new file so that it appears complete or not at all (see
/// [`crate::newfile`]): with `no_overwrite`, only if `path` does not exist
/// (rrdtool's `creating '<path>': File exists` otherwise). Its size is
/// reserved on disk first, so that a full disk fails at once. `follow`
/// says whether a link or a FIFO at `path` is written through (restore) or
/// replaced (create).
pub fn write_file(
    path: &Path,
    hdr: &Header,
    data: Option<&[f64]>,
    no_overwrite: bool,
    follow: Follow,
) -> Result<()> {
    check_consistent(hdr)?;
    let existing = if no_overwrite {
        Existing::Keep
    } else {
        Existing::Replace
    };
    let mut out = NewFile::create(path, existing, follow)?;
    out.reserve(file_size(hdr))?;
    let dest = out.path().to_path_buf();
    let named = |e: Error| match e {
        Error::Storage(e) => Error::io("writing", &dest, e),
        e => e,
    };
    let mut w = BufWriter::with_capacity(1 << 16, out.file());
    write_rrd(&mut w, hdr, data).map_err(named)?;
    w.flush().map_err(|e| Error::io("writing", &dest, e))?;
    drop(w);
    out.commit()
}

/// Bytes of the file `hdr` describes (header and archives).
pub fn file_size(hdr: &Header) -> u64 {
    let version = hdr.version.max(3);
    Layout::NATIVE
        .header_size(version, hdr.ds.len() as u64, hdr.rra.len() as u64)
        .unwrap_or(0)
        .saturating_add(
            hdr.total_rows()
                .saturating_mul(hdr.ds.len() as u64)
                .saturating_mul(8),
        )
}

/// Options of `rrdtool create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CreateOptions {
    /// `-O`/`--no-overwrite`: fail with [`Error::Exists`] instead of
    /// replacing an existing file.
    pub no_overwrite: bool,
}

/// Creates a new file from `spec` with unknown data, as `rrdtool create`
/// does (also [`Rrd::create`](crate::Rrd::create)).
pub fn create_file(path: &Path, spec: &CreateSpec, opts: &CreateOptions) -> Result<()> {
    spec.validate()?;
    let hdr = spec.to_header(random_row);
    write_file(path, &hdr, None, opts.no_overwrite, Follow::Replace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(scaled_duration("10", 300), Ok(10));
        assert_eq!(scaled_duration("1h", 300), Ok(12));
        assert_eq!(scaled_duration("1y", 86400), Ok(366));
        assert_eq!(scaled_duration("1M", 86400), Ok(31));
        assert_eq!(
            scaled_duration("7m", 300),
            Err("value would truncate when scaled")
        );
        assert_eq!(scaled_duration("0", 1), Err("value must be positive"));
        assert_eq!(
            scaled_duration("-5", 1),
            Err("value must be (suffixed) positive number")
        );
        assert_eq!(scaled_duration("1.5", 1), Err("value has trailing garbage"));
        // as `rrdtool create -s X` takes them (rrdtool 1.7.2): only the
        // character after the number counts, the number is strtoul's and
        // must start with a digit, scaling wraps
        assert_eq!(scaled_duration("5mm", 1), Ok(300));
        assert_eq!(scaled_duration("5mx", 1), Ok(300));
        let positive = Err("value must be (suffixed) positive number");
        assert_eq!(scaled_duration(" 5", 1), positive);
        assert_eq!(scaled_duration("+5", 1), positive);
        assert_eq!(scaled_duration("0.5", 1), Err("value has trailing garbage"));
        assert_eq!(scaled_duration("0x", 1), Err("value has trailing garbage"));
        assert_eq!(scaled_duration("0s", 1), Err("value must be positive"));
        assert_eq!(
            scaled_duration("99999999999999999999y", 1),
            Ok(18_446_744_073_677_929_216)
        );
    }

    fn err(args: &[&str]) -> String {
        CreateSpec::parse(1_000_000_000, 300, args)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_are_rrdtools() {
        let rra = "RRA:AVERAGE:0.5:1:10";
        assert_eq!(
            err(&["DS:a:GAUGE:600:5:1", rra]),
            "failed to parse data source 600:5:1: min must be less than max in DS definition"
        );
        assert_eq!(
            err(&["DS:a:FOO:600:U:U", rra]),
            "invalid DS type specified (FOO)"
        );
        assert_eq!(
            err(&["DS:a:GAUGE:600:U", rra]),
            "failed to parse data source 600:U: failed to extract min:max"
        );
        assert_eq!(err(&["DS:a%:GAUGE:600:U:U", rra]), "invalid DS format");
        assert_eq!(
            err(&["DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5::10"]),
            "Expected at least 4 arguments for RRA but got 3"
        );
        assert_eq!(
            err(&["DS:a:GAUGE:600:U:U", "RRA:average:0.5:1:10"]),
            "Unrecognized consolidation function "
        );
        assert_eq!(
            err(&["DS:a:GAUGE:600:U:U"]),
            "you must define at least one Round Robin Archive"
        );
        assert_eq!(
            err(&["DS:a:GAUGE:600:1x:U", rra]),
            "parsing min val - Converted '1x' to 1.000000, but cannot convert 'x'"
        );
        assert_eq!(
            err(&["DS:a:COMPUTE:a,1,+", rra]),
            "failed to parse computed data source"
        );
    }

    #[test]
    fn compute_nodes_are_packed_as_rrdtool_packs_them() {
        let spec = CreateSpec::parse(
            1_000_000_000,
            300,
            &[
                "DS:a:GAUGE:600:U:U",
                "DS:b:GAUGE:600:U:U",
                "DS:c:COMPUTE:a,b,+,2,/,UN,1,IF",
                "RRA:AVERAGE:0.5:1:10",
            ],
        )
        .unwrap();
        let h = spec.to_header(|_| 0);
        assert_eq!(h.version, 3);
        let bytes = encode_header(&h, Layout::NATIVE);
        // ds_def[2].par[], as `rrdtool create` wrote it (reference §1.3)
        let par = &bytes[128 + 2 * 120 + 40..128 + 3 * 120];
        let want: [u8; 36] = [
            1, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0, 0, 2, 0, 12, 0, 0, 0, 31, 0, 0, 0, 0, 0, 1, 0,
            25, 0, 0, 0, 32, 0, 0, 0,
        ];
        assert_eq!(&par[..36], &want);
        assert!(par[36..].iter().all(|&b| b == 0));
        assert_eq!(&bytes[128 + 2 * 120 + 20..128 + 2 * 120 + 28], b"COMPUTE\0");
    }

    #[test]
    fn compute_errors_are_rrdtools() {
        let e = |expr: &str| {
            err(&[
                "DS:a:GAUGE:600:U:U",
                &format!("DS:c:COMPUTE:{expr}"),
                "RRA:AVERAGE:0.5:1:10",
            ])
        };
        let ints = "constants must be integers in the interval (-32768, 32767)";
        assert_eq!(e("a,2.5,*"), ints);
        assert_eq!(e("a,32768,*"), ints);
        assert_eq!(e("a,d,*"), "failed to parse computed data source");
        assert_eq!(e("c,2,*"), "failed to parse computed data source");
        assert_eq!(e("a,2"), "failed to parse computed data source");
        assert_eq!(e(""), "invalid DS format");
        assert!(e("a,TIME,+").starts_with("operators TIME LTIME STEPWIDTH PREV NEW* COUNT"));
        assert_eq!(
            e("a,1,+,1,+,1,+,1,+,1,+,1,+,1,+,1,+,1,+,1,+"),
            "Maximum 19 RPN nodes permitted. Got 21 RPN nodes at present."
        );
        // accepted, as by rrdtool: 19 nodes, the limits, no stack check
        for ok in [
            "a,1,+,1,+,1,+,1,+,1,+,1,+,1,+,1,+,1,+",
            "a,-32768,+,32767,+",
            "a,+",
            "PREV(a),1,+",
        ] {
            CreateSpec::parse(
                1_000_000_000,
                300,
                &[
                    "DS:a:GAUGE:600:U:U",
                    &format!("DS:c:COMPUTE:{ok}"),
                    "RRA:AVERAGE:0.5:1:10",
                ],
            )
            .unwrap();
        }
    }

    #[test]
    fn initial_state() {
        let spec = CreateSpec::parse(
            1_000_000_400,
            300,
            &[
                "DS:a:GAUGE:600:U:U",
                "DS:b:DDERIVE:1h:0:U",
                "RRA:MAX:0.5:3:5",
            ],
        )
        .unwrap();
        let h = spec.to_header(|_| 2);
        assert_eq!(h.version, 5);
        assert_eq!(h.pdp[0].unknown_sec, 200);
        // (1000000400 - 200) % 900 / 300 = 1 PDP of the first CDP before the file existed
        assert_eq!(h.cdp(0, 1).cnt(cdp_slot::UNKN_PDP_CNT), 1);
        assert_eq!(h.cur_row, vec![2]);
    }
}
