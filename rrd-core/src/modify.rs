//! Structural changes of `rrdtool tune` (rrdtool 1.7.2's `rrd_modify.c`):
//! data sources deleted (`DEL:name`) and added (`DS:...`), archives
//! deleted (`DELRRA:i`), resized (`RRA#i:+n`, `-n`, `=n`) and added
//! (`RRA:...`), and a smaller step (`--step`). The new file holds every
//! archive's rows in time order; rows that are new are filled, where
//! rrdtool fills them, from the other archives (`populate_row`), and a new
//! archive's consolidation state from the finest suitable one
//! (`prepare_CDPs`), with rrdtool's arithmetic and its quirks.

use crate::create::{init_cdp, parse_ds, parse_rra_named, push_contingent_rras};
use crate::error::{Error, Result};
use crate::model::{
    cdp_slot, CdpPrep, ConsolidationFn as Cf, DataSource, Header, PdpPrep, RraDef, Unival, DNAN,
};

/// One archive operation: a resize or deletion of archive `index`, or an
/// added archive (`def`).
#[derive(Debug, Clone, PartialEq)]
pub struct RraOp {
    /// Archive index (rrdtool keeps it in an `int`); -1 for an addition.
    pub index: i64,
    /// `=`, `-`, `+`, or `a` (add).
    pub op: u8,
    /// Row count of the operation.
    pub rows: u32,
    /// The `RRA:` argument of an addition.
    pub def: Option<String>,
}

/// The structural part of a `tune` command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Modification {
    /// Data sources to delete.
    pub del: Vec<String>,
    /// `DS:` definitions to add.
    pub add: Vec<String>,
    /// Archive operations, in order.
    pub rra_ops: Vec<RraOp>,
}

/// `sscanf("%u")` at the start of `s`: blanks, an optional sign, digits;
/// the value wraps to 32 bits. Returns the value and the bytes used.
fn scan_u32(s: &[u8]) -> Option<(u32, usize)> {
    let mut i = 0;
    while s.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: u64 = 0;
    while let Some(c) = s.get(i).filter(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(u64::from(c - b'0'));
        i += 1;
    }
    if i == start {
        return None;
    }
    let v = v.min(u64::from(u32::MAX)) as u32;
    Some((if neg { v.wrapping_neg() } else { v }, i))
}

impl Modification {
    /// rrdtool's parsing of the arguments after the file name
    /// (`handle_modify`), with its messages.
    pub fn parse(args: &[&str]) -> Result<Modification> {
        let mut m = Modification::default();
        let err = |s: String| Error::Definition(s);
        for a in args {
            if let Some(name) = a.strip_prefix("DEL:").filter(|r| !r.is_empty()) {
                m.del.push(name.to_string());
            } else if a.starts_with("DS:") && a.len() > 3 {
                m.add.push(a.to_string());
            } else if let Some(rest) = a.strip_prefix("RRA#").filter(|r| !r.is_empty()) {
                let raw = crate::argbytes::decode(rest);
                let b: &[u8] = &raw;
                let parsed = scan_u32(b).and_then(|(idx, n)| {
                    if b.get(n) != Some(&b':') {
                        return None;
                    }
                    let sign = *b.get(n + 1)?;
                    let (number, _) = scan_u32(&b[n + 2..])?;
                    Some((idx, sign, number))
                });
                let Some((idx, sign, number)) = parsed else {
                    return Err(err("Failed to parse RRA# command".into()));
                };
                if !matches!(sign, b'=' | b'-' | b'+') {
                    return Err(err(format!(
                        "Failed to parse RRA# command: invalid operation: {}",
                        crate::argbytes::encode_bytes(&[sign])
                    )));
                }
                m.rra_ops.push(RraOp {
                    index: i64::from(idx as i32),
                    op: sign,
                    rows: number,
                    def: None,
                });
            } else if a.starts_with("RRA:") && a.len() > 4 {
                m.rra_ops.push(RraOp {
                    index: -1,
                    op: b'a',
                    rows: 0,
                    def: Some(a.to_string()),
                });
            } else if let Some(rest) = a.strip_prefix("DELRRA:").filter(|r| !r.is_empty()) {
                let index = rrd_clib::strtol::atoi(rest);
                if index < 0 {
                    return Err(err(
                        "DELRRA requires a non-negative, integer argument".into()
                    ));
                }
                m.rra_ops.push(RraOp {
                    index: i64::from(index),
                    op: b'=',
                    rows: 0,
                    def: None,
                });
            } else {
                return Err(err(format!("unparseable argument: {a}")));
            }
        }
        Ok(m)
    }

    /// Whether there is anything to do (a new step alone is ignored, as
    /// rrdtool ignores it).
    pub fn is_empty(&self) -> bool {
        self.del.is_empty() && self.add.is_empty() && self.rra_ops.is_empty()
    }
}

/// A file in memory: header and each archive's rows in physical order.
#[derive(Debug, Clone)]
pub struct Image {
    /// The header.
    pub header: Header,
    /// Per archive, its rows (row-major, one value per data source).
    pub rows: Vec<Vec<f64>>,
}

/// Limits of the in-memory structural changes (tune, resize, create
/// --source): rrdtool computes their times in C `int`s and holds the whole
/// file in memory; files beyond these are refused instead of computed
/// wrongly or exhausting memory.
pub(crate) fn check_bounds(h: &Header) -> Result<()> {
    let fail = |why: String| Err(Error::Definition(why));
    if h.step == 0 || h.step > i32::MAX as u64 {
        return fail(format!(
            "a step of {} seconds is beyond what tune and --source handle",
            h.step
        ));
    }
    if h.rra.len() > 1000 || h.ds.len() > 1000 {
        return fail(format!(
            "{} data sources and {} archives are more than tune and --source handle (1000)",
            h.ds.len(),
            h.rra.len()
        ));
    }
    if h.last_up.unsigned_abs() > 1 << 40 {
        return fail(format!(
            "a last update at {} is beyond what tune and --source handle",
            h.last_up
        ));
    }
    let d = h.ds.len() as u64;
    let mut total: u64 = 0;
    for a in &h.rra {
        let fits = a.rows <= i32::MAX as u64
            && a.pdp_cnt <= i32::MAX as u64
            && a.pdp_cnt
                .checked_mul(h.step)
                .and_then(|span| span.checked_mul(a.rows))
                .is_some_and(|v| v <= i64::MAX as u64 / 4);
        if !fits {
            return fail(format!(
                "archive of {} rows of {} steps of {} seconds spans too long a time",
                a.rows, a.pdp_cnt, h.step
            ));
        }
        total = total.saturating_add(a.rows.saturating_mul(d).saturating_mul(8));
    }
    if total > MEMORY_BUDGET {
        return fail(format!(
            "the archives hold {total} bytes, more than tune and --source work on in memory ({MEMORY_BUDGET})"
        ));
    }
    Ok(())
}

/// Bytes of archive values tune, resize and create --source hold in memory.
pub const MEMORY_BUDGET: u64 = 2 << 30;

/// rrdtool's `positive_mod` on C `int`s.
pub(crate) fn positive_mod(a: i32, b: i32) -> i32 {
    if b == 0 {
        return 0;
    }
    let x = a.wrapping_rem(b);
    if x < 0 {
        x + b
    } else {
        x
    }
}

/// `end_time_for_row`: the end of the slot of physical `row` when
/// `cur_row` holds the newest.
pub(crate) fn end_time_for_row(h: &Header, rra: &RraDef, cur_row: i32, row: i32) -> i64 {
    let timeslot = (rra.pdp_cnt as i32).wrapping_mul(h.step as i32);
    let past = positive_mod(cur_row.wrapping_sub(row), rra.rows as i32);
    let last = h.last_up;
    let ts = i64::from(timeslot);
    if ts == 0 {
        return last;
    }
    (last - last.rem(ts)) - i64::from(past.wrapping_mul(timeslot))
}

trait CRem {
    fn rem(self, b: i64) -> i64;
}
impl CRem for i64 {
    /// C's `%`: truncating.
    fn rem(self, b: i64) -> i64 {
        self.wrapping_rem(b)
    }
}

/// `row_for_time`: the physical row of archive `rra` (newest at
/// `cur_row`) whose slot holds `t`, or -1.
pub(crate) fn row_for_time(h: &Header, rra: &RraDef, cur_row: i32, t: i64) -> i32 {
    let last = h.last_up;
    let timeslot = (rra.pdp_cnt as i32).wrapping_mul(h.step as i32);
    let ts = i64::from(timeslot);
    if ts == 0 {
        return -1;
    }
    let mut t = t;
    let delta = t.rem(ts);
    if delta > 0 {
        t += ts - delta;
    }
    // (rrdtool's second alignment, of last_up, never applies)
    if t > last {
        return -1;
    }
    let oldest = i64::from((last as i32).wrapping_sub((rra.rows as i32).wrapping_mul(timeslot)));
    if t <= oldest {
        return -1;
    }
    let past = ((last - t) / ts) as i32;
    if past >= rra.rows as i32 {
        return -1;
    }
    let row = positive_mod(cur_row.wrapping_sub(past), rra.rows as i32);
    if row < 0 {
        row + rra.rows as i32
    } else {
        row
    }
}

/// `find_candidate_rras` with `select_for_modify`: archives of the same
/// function or AVERAGE ones, finest first, then longest.
fn candidates(inp: &Header, cf: Cf) -> Vec<usize> {
    candidate_rras(inp, &|r| r.cf == cf || r.cf == Cf::Average)
}

/// `find_candidate_rras`: the archives of `h` that `select` accepts, finest
/// first, then longest, in glibc `qsort`'s order.
pub(crate) fn candidate_rras(h: &Header, select: &dyn Fn(&RraDef) -> bool) -> Vec<usize> {
    let mut c: Vec<usize> = (0..h.rra.len()).filter(|&i| select(&h.rra[i])).collect();
    let cmp = |a: usize, b: usize| {
        let (ra, rb) = (&h.rra[a], &h.rra[b]);
        // rrdtool returns the difference of two unsigned longs as an int
        let d = if ra.pdp_cnt == rb.pdp_cnt {
            rb.rows.wrapping_sub(ra.rows) as i32
        } else {
            ra.pdp_cnt.wrapping_sub(rb.pdp_cnt) as i32
        };
        d.cmp(&0)
    };
    let mut tmp = c.clone();
    rrd_clib::qsort::qsort(&mut c, &mut tmp, cmp);
    c
}

/// `populate_row`: fills unknown values of rows `0..count` of a new or
/// grown archive (`values`, time order, newest at `cur_row`) from the
/// input's archives.
fn populate_rows(
    inp: &Image,
    out: &Header,
    ds_map: &[i64],
    rra: &RraDef,
    cur_row: i32,
    values: &mut [f64],
    count: u64,
) {
    if inp.header.rra.is_empty() || !rra.cf.is_plain() {
        return;
    }
    let ih = &inp.header;
    let in_ds = ih.ds.len();
    let out_ds = out.ds.len();
    let cands = candidates(ih, rra.cf);
    let new_slot = (rra.pdp_cnt as i64).wrapping_mul(out.step as i64);
    for row in 0..count as i32 {
        let end = end_time_for_row(out, rra, cur_row, row);
        let start = end - new_slot + 1;
        for &c in &cands {
            let r = &ih.rra[c];
            let cand_cur = ih.cur_row[c] as i32;
            let mut cs = row_for_time(ih, r, cand_cur, start);
            let mut ce = row_for_time(ih, r, cand_cur, end);
            if cs == -1 && ce != -1 {
                cs = cand_cur;
            } else if cs != -1 && ce == -1 {
                ce = ((i64::from(cand_cur) - 1) as u64 % r.rows) as i32;
            } else if cs == -1 && ce == -1 {
                continue;
            }
            let mut n = ce - cs + 1;
            if n < 0 {
                n += r.rows as i32;
            }
            let cand_slot = f64::from((r.pdp_cnt as i32).wrapping_mul(ih.step as i32));
            let data = &inp.rows[c];
            #[allow(clippy::needless_range_loop)] // k indexes the rows too
            for k in 0..out_ds {
                let at = row as usize * out_ds + k;
                if !values[at].is_nan() {
                    continue;
                }
                let in_k = ds_map[k];
                if in_k < 0 {
                    continue;
                }
                let (mut tmp, mut fin, mut covered) = (DNAN, DNAN, 0.0f64);
                let mut cr = cs;
                for _ in 0..n {
                    let v = data
                        .get(cr as usize * in_ds + in_k as usize)
                        .copied()
                        .unwrap_or(DNAN);
                    cr = ((cr as u64 + 1) % r.rows) as i32;
                    if v.is_nan() {
                        continue;
                    }
                    match rra.cf {
                        Cf::Average => {
                            tmp = if tmp.is_nan() {
                                v * cand_slot
                            } else {
                                tmp + v * cand_slot
                            };
                            // rrdtool's covered is an int
                            covered = f64::from((covered as i32).wrapping_add(cand_slot as i32));
                            fin = tmp / covered;
                        }
                        Cf::Min => {
                            tmp = if tmp.is_nan() || v <= tmp { v } else { tmp };
                            fin = tmp;
                        }
                        Cf::Max => {
                            tmp = if tmp.is_nan() || v >= tmp { v } else { tmp };
                            fin = tmp;
                        }
                        _ => {
                            tmp = v;
                            fin = v;
                        }
                    }
                }
                values[at] = fin;
            }
        }
    }
}

/// What happens to each input data source, then each added one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DsOp {
    Copy,
    Delete,
    Add,
}

/// `rrd_modify_structure`: one pass of changes.
fn modify_structure(inp: &Image, m: &Modification, hash: u64) -> Result<Image> {
    let ih = &inp.header;
    check_bounds(ih)?;
    if !(3..=5).contains(&ih.version) {
        return Err(Error::Definition(
            "direct modification is only supported for version 3, 4 or 5 of RRD files. \
             Consider to dump/restore before retrying a modification"
                .into(),
        ));
    }
    let mut ops: Vec<DsOp> = ih
        .ds
        .iter()
        .map(|d| {
            if m.del.contains(&d.name) {
                DsOp::Delete
            } else {
                DsOp::Copy
            }
        })
        .collect();
    let mut ds: Vec<DataSource> = Vec::new();
    let mut pdp: Vec<PdpPrep> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if *op == DsOp::Copy {
            ds.push(ih.ds[i].clone());
            pdp.push(ih.pdp[i].clone());
        }
    }
    for a in &m.add {
        // rrdtool goes on after a DS it cannot parse and writes the file;
        // here the change fails as a whole
        let d = parse_ds(a, &ds).map_err(|e| match e {
            Error::Definition(s) if s.starts_with("Duplicate DS name") => Error::Definition(s),
            other => other,
        })?;
        ds.push(d);
        pdp.push(PdpPrep {
            last_ds: "U".into(),
            unknown_sec: (ih.last_up.rem_euclid(ih.step.max(1) as i64)) as u64,
            value: 0.0,
        });
        ops.push(DsOp::Add);
    }
    let mut ds_map: Vec<i64> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            DsOp::Copy => ds_map.push(i as i64),
            DsOp::Add => ds_map.push(-1),
            DsOp::Delete => {}
        }
    }
    let out_ds = ds.len();
    let mut out = Header {
        version: ih.version,
        step: ih.step,
        ds,
        rra: Vec::new(),
        last_up: ih.last_up,
        last_up_usec: ih.last_up_usec,
        pdp,
        cdp: Vec::new(),
        cur_row: Vec::new(),
    };
    // handle_rra_defs: the first operation naming an archive counts
    let op_for = |j: usize| m.rra_ops.iter().find(|o| o.index == j as i64);
    let mut finals = Vec::with_capacity(ih.rra.len());
    for (j, a) in ih.rra.iter().enumerate() {
        let mut fin = a.rows as i32 as i64;
        if let Some(o) = op_for(j) {
            let n = i64::from(o.rows as i32);
            fin = match o.op {
                b'=' => n,
                b'-' => fin - n,
                b'+' => fin + n,
                _ => fin,
            };
            fin = i64::from(fin as i32).max(0);
        }
        finals.push(fin);
        if fin == 0 {
            continue;
        }
        let mut def = a.clone();
        def.rows = fin as u64;
        let idx = out.rra.len();
        out.rra.push(def);
        out.cur_row.push(fin as u64 - 1);
        let mut ii = 0;
        for (i, op) in ops.iter().enumerate() {
            match op {
                DsOp::Copy => {
                    out.cdp.push(ih.cdp[j * ih.ds.len() + i]);
                    ii += 1;
                }
                DsOp::Add => {
                    let r = &out.rra[idx];
                    let unkn = plain_unknown_pdps(&out, r, out.pdp[ii].unknown_sec);
                    out.cdp.push(init_cdp(r.cf, unkn));
                    ii += 1;
                }
                DsOp::Delete => {}
            }
        }
    }
    let added = m.rra_ops.iter().filter(|o| o.op == b'a').count();
    if out_ds > 0 && !out.rra.is_empty() {
        check_bounds(&out)?;
    }
    if out_ds == 0 {
        if out.rra.len() >= 2 {
            // rrdtool's second realloc of the CDPs to zero bytes fails
            return Err(Error::Definition("Cannot allocate memory".into()));
        }
        if added > 0 {
            // as does its realloc for the added archives
            return Err(Error::Definition("out of memory".into()));
        }
        // rrdtool writes a file without data sources, which nothing reads
        return Err(Error::Definition(
            "tune would remove every data source of the file".into(),
        ));
    }
    if out.rra.is_empty() && added == 0 {
        // rrdtool writes a file without archives, which nothing reads
        return Err(Error::Definition(
            "tune would remove every archive of the file".into(),
        ));
    }
    // mod_rras: rows in time order, grown archives filled. rrdtool moves
    // on in the input's values only past archives it keeps: after a
    // deleted archive, the next ones read their rows from where the
    // deleted one began
    let flat: Vec<f64> = inp.rows.iter().flatten().copied().collect();
    let mut total_cnt = 0usize;
    let mut data: Vec<Vec<f64>> = Vec::with_capacity(out.rra.len() + 4);
    let mut out_rra = 0;
    for (j, a) in ih.rra.iter().enumerate() {
        if finals[j] == 0 {
            continue;
        }
        let in_rows = a.rows;
        let out_rows = out.rra[out_rra].rows;
        let mut vals = vec![DNAN; out_rows as usize * out_ds];
        let (mut ii, mut oi) = (0u64, 0u64);
        if let Some(o) = op_for(j) {
            let (mut op, mut n) = (o.op, u64::from(o.rows));
            if op == b'=' {
                if n < in_rows {
                    n = in_rows - n;
                    op = b'-';
                } else if n > in_rows {
                    n -= in_rows;
                    op = b'+';
                }
            }
            match op {
                b'-' => ii = n,
                b'+' => {
                    oi = n.min(out_rows);
                    // rrdtool passes the cur_row of the output archive with
                    // the input's index
                    let cur = out.cur_row.get(j).copied().unwrap_or(out_rows - 1) as i32;
                    let def = out.rra[out_rra].clone();
                    populate_rows(inp, &out, &ds_map, &def, cur, &mut vals, oi);
                }
                _ => {}
            }
        }
        let src = flat.get(total_cnt..).unwrap_or(&[]);
        let in_d = ih.ds.len();
        while ii < in_rows && oi < out_rows {
            let real = ((ii + ih.cur_row[j] + 1) % in_rows) as usize;
            let mut jj = 0;
            for (k, op) in ops.iter().enumerate() {
                match op {
                    DsOp::Copy => {
                        vals[oi as usize * out_ds + jj] =
                            src.get(real * in_d + k).copied().unwrap_or(DNAN);
                        jj += 1;
                    }
                    DsOp::Add => {
                        vals[oi as usize * out_ds + jj] = DNAN;
                        jj += 1;
                    }
                    DsOp::Delete => {}
                }
            }
            ii += 1;
            oi += 1;
        }
        data.push(vals);
        total_cnt += in_rows as usize * in_d;
        out_rra += 1;
    }
    add_rras(inp, &mut out, &mut data, &ds_map, m, hash)?;
    Ok(Image {
        header: out,
        rows: data,
    })
}

/// `init_cdp`'s unknown PDPs of a plain archive's first row.
pub(crate) fn plain_unknown_pdps(h: &Header, r: &RraDef, unknown_sec: u64) -> u64 {
    let span = h.step.wrapping_mul(r.pdp_cnt).max(1);
    ((h.last_up as u64).wrapping_sub(unknown_sec) % span) / h.step.max(1)
}

/// `add_rras`: archives added by `RRA:` arguments (with the archives a
/// Holt-Winters prediction brings), filled from the input.
fn add_rras(
    inp: &Image,
    out: &mut Header,
    data: &mut Vec<Vec<f64>>,
    ds_map: &[i64],
    m: &Modification,
    hash: u64,
) -> Result<()> {
    let last = out.rra.len();
    let mut require: Option<u8> = None;
    for o in &m.rra_ops {
        let Some(def) = o.def.as_deref().filter(|_| o.op == b'a') else {
            continue;
        };
        let (r, v) = parse_rra_named(def, out.step, hash)?;
        if v > 3 {
            require = Some(require.map_or(v, |x| x.max(v)));
        }
        out.rra.push(r);
        push_contingent_rras(&mut out.rra, hash)?;
    }
    check_bounds(out)?;
    // rrdtool lowers the version to what the new archives require
    if let Some(v) = require {
        if v < out.version {
            out.version = v;
        }
    }
    let d = out.ds.len();
    // the rows before the new archives, counted in rows (rrdtool then
    // indexes values with it)
    let mut rows_before: u64 = out.rra[..last].iter().map(|r| r.rows).sum();
    for k in last..out.rra.len() {
        let def = out.rra[k].clone();
        out.cur_row.push(def.rows - 1);
        out.cdp.extend(std::iter::repeat_n(CdpPrep::default(), d));
        let mut vals = vec![DNAN; def.rows as usize * d];
        populate_rows(
            inp,
            out,
            ds_map,
            &def,
            (def.rows - 1) as i32,
            &mut vals,
            def.rows,
        );
        data.push(vals);
        prepare_cdps(inp, out, data, k, rows_before, ds_map);
        rows_before += def.rows;
    }
    Ok(())
}

/// The value at index `i` of all archives' values laid end to end.
fn flat_value(data: &[Vec<f64>], mut i: u64) -> f64 {
    for a in data {
        if i < a.len() as u64 {
            return a[i as usize];
        }
        i -= a.len() as u64;
    }
    DNAN
}

/// `prepare_CDPs`: the consolidation state of new archive `k` from the
/// finest AVERAGE (or one-PDP) archive of the input.
fn prepare_cdps(
    inp: &Image,
    out: &mut Header,
    data: &[Vec<f64>],
    k: usize,
    rows_before: u64,
    ds_map: &[i64],
) {
    let ih = &inp.header;
    let def = out.rra[k].clone();
    let chosen = candidates(ih, def.cf)
        .into_iter()
        .find(|&c| ih.rra[c].pdp_cnt == 1 || ih.rra[c].cf == Cf::Average);
    let d = out.ds.len();
    #[allow(clippy::needless_range_loop)] // i indexes the header too
    for i in 0..d {
        let unkn = plain_unknown_pdps(out, &def, out.pdp[i].unknown_sec);
        let mut cdp = init_cdp(def.cf, unkn);
        let mapped = ds_map[i];
        if let (Some(c), true) = (chosen, mapped != -1) {
            let mapped = mapped as usize;
            let cr = &ih.rra[c];
            let cand_cur = ih.cur_row[c] as i32;
            let last_up = ih.last_up;
            let timeslot = i64::from((def.pdp_cnt as i32).wrapping_mul(ih.step as i32));
            let delta = if timeslot == 0 {
                0
            } else {
                last_up.rem(timeslot)
            };
            let end_time = if delta != 0 {
                last_up - delta + timeslot
            } else {
                last_up
            };
            let start_time = end_time - timeslot + 1;
            let start_row = row_for_time(ih, cr, cand_cur, start_time);
            let mut end_row = row_for_time(ih, cr, cand_cur, end_time);
            if end_time >= last_up {
                end_row = cand_cur;
            }
            let mut cnt = end_row - start_row + 1;
            if end_row < start_row {
                cnt += cr.rows as i32;
            }
            let in_d = ih.ds.len();
            let cand_vals = &inp.rows[c];
            let ccdp = ih.cdp[c * in_d + mapped];
            cdp = CdpPrep::default();
            let curr = flat_value(data, rows_before + (d as u64) * (def.rows - 1) + i as u64);
            cdp.scratch[cdp_slot::PRIMARY_VAL] = Unival::from_val(curr);
            cdp.scratch[cdp_slot::VAL] = Unival::from_val(0.0);
            if start_row == -1 {
                cdp.scratch[cdp_slot::SECONDARY_VAL] = ccdp.scratch[cdp_slot::PRIMARY_VAL];
            } else {
                let mut pre = start_row - 1;
                if pre < 0 {
                    pre = cr.rows as i32 - 1;
                }
                let v = cand_vals
                    .get(in_d * pre as usize + mapped)
                    .copied()
                    .unwrap_or(DNAN);
                cdp.scratch[cdp_slot::SECONDARY_VAL] = Unival::from_val(v);
                let xff = cr.xff().unwrap_or(0.0);
                let mut offset = def.pdp_cnt;
                for j in 0..cnt.max(0) {
                    let row = ((start_row + j) as u64 % cr.rows) as usize;
                    let v = cand_vals.get(in_d * row + mapped).copied().unwrap_or(DNAN);
                    crate::update::update_cdp(
                        &mut cdp.scratch,
                        def.cf,
                        v,
                        0,
                        1,
                        offset,
                        def.pdp_cnt,
                        xff,
                    );
                    offset = offset.wrapping_sub(1);
                }
            }
        }
        out.cdp[k * d + i] = cdp;
    }
}

/// `stretch_rras`: a step `stretch` times smaller, each row keeping its
/// span (its PDP count grows).
fn stretch(img: &mut Image, stretch: u64) {
    let h = &mut img.header;
    let d = h.ds.len();
    for r in 0..h.rra.len() {
        if h.rra[r].cf.is_plain() {
            for i in 0..d {
                // rrdtool multiplies the count's bits as a double
                let s = &mut h.cdp[r * d + i].scratch[cdp_slot::UNKN_PDP_CNT];
                *s = Unival::from_val(s.val() * stretch as f64);
            }
        }
        h.rra[r].pdp_cnt = h.rra[r].pdp_cnt.saturating_mul(stretch);
    }
    h.step /= stretch;
}

/// `rrd_modify_r2`: the changes, after a new step if one is given.
pub fn modify(inp: &Image, m: &Modification, newstep: Option<i64>, hash: u64) -> Result<Image> {
    check_bounds(&inp.header)?;
    if let Some(ns) = newstep.filter(|&n| n > 0) {
        let step = inp.header.step as i64;
        if step % ns != 0 || step / ns <= 1 {
            return Err(Error::Definition(
                "invalid 'newstep' parameter. The newsize must divide the old step \
                 parameter without a remainder."
                    .into(),
            ));
        }
        let mut mid = modify_structure(inp, &Modification::default(), hash)?;
        stretch(&mut mid, (step / ns) as u64);
        return modify_structure(&mid, m, hash);
    }
    modify_structure(inp, m, hash)
}

/// Writes `img` as a new file at `path`, replacing what is there through a
/// temporary file and a rename, as rrdtool's `write_rrd` does.
/// With `no_overwrite`, only if `path` does not exist.
pub fn write_image(path: &std::path::Path, img: &Image, no_overwrite: bool) -> Result<()> {
    let data: Vec<f64> = img.rows.iter().flatten().copied().collect();
    crate::create::write_file(
        path,
        &img.header,
        Some(&data),
        no_overwrite,
        crate::newfile::Follow::Replace,
    )
}

/// `rrdtool resize`: archive `rra` grown by `delta` rows (unknown rows
/// inserted after the newest) or shrunk by `-delta` (the oldest rows
/// dropped, wrapping as rrdtool's `rrd_resize.c` walks them). The caller
/// checks the archive exists and is bigger than a shrink.
pub fn resize(img: &Image, rra: usize, delta: i64) -> Result<Image> {
    let h = &img.header;
    let d = h.ds.len();
    if delta > 0 {
        let mut grown = h.clone();
        grown.rra[rra].rows = grown.rra[rra].rows.saturating_add(delta as u64);
        check_bounds(&grown)?;
    }
    let mut out = img.clone();
    if !matches!(h.version, 1 | 3 | 4) {
        return Err(Error::Definition(format!(
            "Do not know how to handle RRD version {:04}",
            h.version
        )));
    }
    out.header.version = h.version.max(3);
    let rows = h.rra[rra].rows;
    let cur = h.cur_row[rra];
    let src = &img.rows[rra];
    let row = |i: u64| &src[i as usize * d..(i as usize + 1) * d];
    let mut v: Vec<f64> = Vec::new();
    if delta > 0 {
        for i in 0..=cur {
            v.extend_from_slice(row(i));
        }
        v.extend(std::iter::repeat_n(DNAN, d * delta as usize));
        for i in cur + 1..rows {
            v.extend_from_slice(row(i));
        }
        out.header.rra[rra].rows = rows + delta as u64;
    } else {
        let k = delta.unsigned_abs();
        if k >= rows {
            return Err(Error::Definition("This RRA is not that big".into()));
        }
        let mut new_cur = cur;
        let mut first = 0;
        let mut left = k;
        let remove_end = (cur + k) % rows;
        if remove_end <= cur {
            // the rows to drop wrap round to the start of the archive
            first = remove_end + 1;
            new_cur = cur - first;
            left -= first;
        }
        for i in first..=cur {
            v.extend_from_slice(row(i));
        }
        for i in cur + 1 + left..rows {
            v.extend_from_slice(row(i));
        }
        out.header.cur_row[rra] = new_cur;
        out.header.rra[rra].rows = rows - k;
    }
    out.rows[rra] = v;
    Ok(out)
}
