//! `rrdtool fetch`: the rows of one archive over a time window, as rrdtool
//! 1.7.2's `rrd_fetch_fn` picks, aligns and reads them.
//!
//! - [`fetch`] chooses the archive that best serves a [`FetchRequest`],
//!   aligns the window to that archive's step and returns a [`FetchResult`]:
//!   one row per step, unknown (rrdtool's `-nan`) where the archive holds
//!   nothing.
//! - [`prepare_window`] and [`parse_cf`] are the checks that the `fetch`
//!   command makes on its arguments before that (the 1980 limit,
//!   `--align-start`, start before end, the function's name).
//! - [`FetchResult::to_text`] is what `rrdtool fetch` prints.
//!
//! [`Rrd::fetch`] only needs `&Rrd<S>`: with a `Sync` storage (all of this
//! crate's are) many threads may fetch from one open file at once.
//!
//! ```
//! use rrd_core::{write_rrd, ConsolidationFn, CreateSpec, FetchRequest, Rrd};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = CreateSpec::parse(
//!     1_000_000_000,
//!     300,
//!     &["DS:temp:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:10"],
//! )?;
//! let mut bytes = Vec::new();
//! write_rrd(&mut bytes, &spec.to_header(|_| 0), None)?;
//! let rrd = Rrd::from_bytes(bytes)?;
//!
//! let req = FetchRequest {
//!     cf: ConsolidationFn::Average,
//!     start: 1_000_000_200,
//!     end: 1_000_001_100,
//!     resolution: 1,
//! };
//! let r = rrd.fetch(&req)?;
//! // start rounds down to the step, end always gains a step
//! assert_eq!((r.start, r.end, r.step, r.rows), (1_000_000_200, 1_000_001_400, 300, 4));
//! let (time, values) = r.row(0);
//! assert_eq!(time, 1_000_000_500);
//! assert!(values[0].is_nan());
//! # Ok(())
//! # }
//! ```

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::model::{ConsolidationFn, Header, DNAN};
use crate::rrd::Rrd;
use crate::storage::Storage;

pub use crate::create::MIN_START;

/// What to fetch: a consolidation function and a window, with the wished
/// step (`resolution`, seconds) that picks between archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchRequest {
    /// The consolidation function asked for.
    pub cf: ConsolidationFn,
    /// Start of the window, seconds since the epoch (exclusive: the first
    /// row returned ends after it).
    pub start: i64,
    /// End of the window, seconds since the epoch; at least `start`.
    pub end: i64,
    /// Wished seconds per row; the archive whose step is nearest wins
    /// among those that cover the window equally well. 1 picks the finest.
    pub resolution: u64,
}

/// The rows of one archive over an aligned window.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchResult {
    /// Start of the window, rounded down to a multiple of `step`.
    pub start: i64,
    /// End of the window, rounded up to the next multiple of `step`
    /// (a step further when it already was one, as rrdtool does).
    pub end: i64,
    /// Seconds per row: the chosen archive's step.
    pub step: u64,
    /// The data source names, in file order.
    pub ds_names: Vec<String>,
    /// Number of rows: `(end - start) / step`.
    pub rows: usize,
    /// `rows × ds_names.len()` values, row-major; unknown values are NaN
    /// (rows outside the archive are rrdtool's negative NaN, [`DNAN`]).
    pub values: Vec<f64>,
    /// Index of the archive the rows come from.
    pub rra: usize,
}

impl FetchResult {
    /// Row `i`: the time that ends its interval (`start + (i+1)·step`) and
    /// one value per data source.
    ///
    /// # Panics
    ///
    /// When `i >= self.rows`.
    pub fn row(&self, i: usize) -> (i64, &[f64]) {
        assert!(i < self.rows, "row {i} of {}", self.rows);
        let d = self.ds_names.len();
        let t = (i as i64)
            .wrapping_add(1)
            .wrapping_mul(self.step as i64)
            .wrapping_add(self.start);
        (t, &self.values[i * d..(i + 1) * d])
    }

    /// Iterates the rows as [`FetchResult::row`] gives them.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &[f64])> + '_ {
        (0..self.rows).map(|i| self.row(i))
    }

    /// What `rrdtool fetch` prints: 11 spaces and each name as `%20s`, a
    /// blank line, then per row the time as `%10lu:` and each value as
    /// ` %0.10e` (glibc's spelling: `-nan` for unknown).
    pub fn to_text(&self) -> String {
        let mut s = self.head_text();
        for i in 0..self.rows {
            self.row_text(i, &mut s);
        }
        s
    }

    /// [`FetchResult::to_text`] written to `w` a row at a time (so that a
    /// long fetch needs no more memory than its values), with names' bytes
    /// as they are in the file (see [`crate::argbytes`]).
    pub fn write_text(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        w.write_all(&crate::argbytes::decode(&self.head_text()))?;
        let mut s = String::with_capacity(256);
        for i in 0..self.rows {
            s.clear();
            self.row_text(i, &mut s);
            w.write_all(s.as_bytes())?;
        }
        Ok(())
    }

    fn head_text(&self) -> String {
        let mut s = String::from("           ");
        for name in &self.ds_names {
            let _ = write!(s, "{name:>20}");
        }
        s.push_str("\n\n");
        s
    }

    fn row_text(&self, i: usize, s: &mut String) {
        let (t, values) = self.row(i);
        // rrdtool prints the time_t as unsigned long, `%10lu:`
        push_right_aligned(s, t as u64, 10);
        s.push(':');
        for &v in values {
            s.push(' ');
            s.push_str(&rrd_clib::printf::exp(v, 10));
        }
        s.push('\n');
    }
}

/// `n` in decimal, right-aligned in `width` columns (`{n:>width$}`,
/// `width <= 20`; 0 for none), without the formatting machinery (a fetch
/// prints one a row, an update keeps one as `last_ds`).
pub(crate) fn push_right_aligned(s: &mut String, mut n: u64, width: usize) {
    let mut buf = [b' '; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = at.min(buf.len().saturating_sub(width));
    s.extend(buf[start..].iter().map(|&b| char::from(b)));
}

/// Most values one fetch returns (2 GiB of them).
pub const MAX_FETCH_VALUES: usize = 1 << 28;

/// rrdtool's `rrd_cf_conv`: the exact (upper-case) name of a function.
///
/// # Errors
///
/// [`Error::Request`] with rrdtool's text `unknown consolidation function 'X'`.
pub fn parse_cf(name: &str) -> Result<ConsolidationFn> {
    ConsolidationFn::parse(name)
        .ok_or_else(|| Error::Request(format!("unknown consolidation function '{name}'")))
}

/// The checks `rrdtool fetch` makes on a resolved window before it opens
/// the file, in its order: the start must be after [`MIN_START`]; with
/// `align_start` both ends move back by `start % resolution`; the end must
/// not be before the start. Returns the (possibly moved) window.
///
/// As in rrdtool, the remainder is taken in unsigned arithmetic, so a
/// resolution beyond the start moves the start to 0.
///
/// # Errors
///
/// [`Error::Request`] with rrdtool's texts: `the first entry to fetch should be
/// after 1980`, `start (S) should be less than end (E)`.
pub fn prepare_window(
    start: i64,
    end: i64,
    resolution: u64,
    align_start: bool,
) -> Result<(i64, i64)> {
    if start < MIN_START {
        return Err(Error::Request(
            "the first entry to fetch should be after 1980".into(),
        ));
    }
    let (mut start, mut end) = (start, end);
    if align_start {
        let delta = (start as u64 % resolution.max(1)) as i64;
        start = start.wrapping_sub(delta);
        end = end.wrapping_sub(delta);
    }
    if end < start {
        return Err(Error::Request(format!(
            "start ({start}) should be less than end ({end})"
        )));
    }
    Ok((start, end))
}

/// Whether archive function `stored` can answer a request for `wanted`: the
/// same function, or (for single-PDP archives, whose rows are the PDPs
/// themselves) any two of AVERAGE, MIN, MAX and LAST.
fn serves(stored: ConsolidationFn, pdp_cnt: u64, wanted: ConsolidationFn) -> bool {
    stored == wanted || (pdp_cnt == 1 && stored.is_plain() && wanted.is_plain())
}

/// The archive `rrd_fetch_fn` picks for `req`, or `None` when no archive
/// serves the function.
///
/// An archive covers the window fully when its oldest CDP interval starts
/// no later than `req.start`. Full cover beats partial; among full ones the
/// step nearest `req.resolution` wins (the first on a tie); among partial
/// ones the one reaching back furthest, then the nearest step.
///
/// The arithmetic is C's: 64-bit, wrapping, the step difference taken as
/// a signed `long`.
pub fn choose_rra(header: &Header, req: &FetchRequest) -> Option<usize> {
    let last_up = header.last_up;
    let mut best_full: Option<(usize, i64)> = None;
    let mut best_part: Option<(usize, i64, i64)> = None;
    for (i, a) in header.rra.iter().enumerate() {
        if !serves(a.cf, a.pdp_cnt, req.cf) {
            continue;
        }
        let step = header.step.wrapping_mul(a.pdp_cnt);
        let cal_end = last_up.wrapping_sub((last_up as u64 % step.max(1)) as i64);
        let cal_start = cal_end.wrapping_sub(step.wrapping_mul(a.rows) as i64);
        let diff = (req.resolution.wrapping_sub(step) as i64).wrapping_abs();
        if cal_start <= req.start {
            if best_full.is_none_or(|(_, d)| diff < d) {
                best_full = Some((i, diff));
            }
        } else {
            // how much of the window the archive covers
            let covered = req
                .end
                .wrapping_sub(req.start)
                .wrapping_sub(cal_start.wrapping_sub(req.start));
            if best_part.is_none_or(|(_, c, d)| c < covered || (c == covered && diff < d)) {
                best_part = Some((i, covered, diff));
            }
        }
    }
    best_full.map(|(i, _)| i).or(best_part.map(|(i, _, _)| i))
}

/// Values of the largest archive that [`fetch`] reads whole in one read
/// and turns round, instead of in two reads either side of its wrap.
const WHOLE_RING_VALUES: usize = 8192;

/// Fetches `req` from `rrd` as rrdtool 1.7.2's `rrd_fetch_fn` does: picks
/// the archive ([`choose_rra`]), aligns the window to its step
/// (`start -= start % step`, `end += step - end % step`) and returns its
/// rows over the window, unknown outside the archive.
///
/// The rows are read with at most two contiguous reads (the archive is a
/// ring), straight into the result.
///
/// # Errors
///
/// [`Error::Request`] with rrdtool's texts when no archive serves the function
/// (`the RRD does not contain an RRA matching the chosen CF`) or the end is
/// before the start; `Request("malloc fetch data area")` when the result
/// cannot be allocated; storage errors from reading.
pub fn fetch<S: Storage>(rrd: &Rrd<S>, req: &FetchRequest) -> Result<FetchResult> {
    if req.end < req.start {
        return Err(Error::Request(format!(
            "start ({}) should be less than end ({})",
            req.start, req.end
        )));
    }
    let h = rrd.header();
    let chosen = choose_rra(h, req).ok_or_else(|| {
        Error::Request("the RRD does not contain an RRA matching the chosen CF".into())
    })?;
    let a = &h.rra[chosen];
    let step = h.step.wrapping_mul(a.pdp_cnt);
    if step == 0 || step > i64::MAX as u64 {
        return Err(Error::corrupt(
            0,
            format!("archive {chosen} has step {step}"),
        ));
    }
    let step_i = step as i64;
    let start = req.start.wrapping_sub((req.start as u64 % step) as i64);
    let end = req.end.wrapping_add((step - req.end as u64 % step) as i64);
    let rows = (end.wrapping_sub(start) as u64 / step) as usize;

    let d = h.ds.len();
    let alloc_failed = || Error::Request("malloc fetch data area".into());
    // refused before allocating, with the message rrdtool gives when its
    // malloc fails (where an overcommitting kernel would rather kill us)
    let n = rows
        .checked_mul(d)
        .filter(|&n| n <= MAX_FETCH_VALUES)
        .ok_or_else(alloc_failed)?;
    let mut values = Vec::new();
    values.try_reserve_exact(n).map_err(|_| alloc_failed())?;

    // Archive index i (0 = oldest row) ends at rra_start + i·step; output
    // row k ends at start + (k+1)·step, so it shows archive row
    // first + k. All times are multiples of the step.
    let archive_rows = a.rows;
    let rra_end = h.last_up.wrapping_sub((h.last_up as u64 % step) as i64);
    let rra_start = i128::from(rra_end) - i128::from(step) * (i128::from(archive_rows) - 1);
    let first = (i128::from(start) + i128::from(step_i) - rra_start) / i128::from(step_i);
    let lo = first.max(0);
    let hi = (first + rows as i128).min(i128::from(archive_rows));
    if lo < hi {
        // lo, hi are within 0..=archive_rows, and hi - lo <= rows
        let (lo, hi) = (lo as u64, hi as u64);
        // rows before the archive's oldest are unknown; each value is
        // written once, the rows read straight after them
        values.resize(((lo as i128 - first) as usize) * d, DNAN);
        let phys = (h.cur_row[chosen] + 1 + lo) % archive_rows;
        let count = hi - lo;
        let head = count.min(archive_rows - phys);
        let tail = count - head;
        let at = values.len();
        if tail > 0 && count == archive_rows && count as usize * d <= WHOLE_RING_VALUES {
            // the whole ring of a small archive: one read in physical
            // order, turned round in memory (a system call costs more)
            rrd.append_rows(chosen, 0, count as usize * d, &mut values)?;
            values[at..].rotate_left(phys as usize * d);
        } else {
            rrd.append_rows(chosen, phys, head as usize * d, &mut values)?;
            if tail > 0 {
                rrd.append_rows(chosen, 0, tail as usize * d, &mut values)?;
            }
        }
    }
    // and rows after the last update too
    values.resize(n, DNAN);

    Ok(FetchResult {
        start,
        end,
        step,
        ds_names: h.ds.iter().map(|ds| ds.name.clone()).collect(),
        rows,
        values,
        rra: chosen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::create::{self, CreateSpec};

    #[test]
    fn times_are_right_aligned_as_the_formatter_aligns_them() {
        let mut n = 1u64;
        let mut cases = vec![0, 7, 1_000_086_400, u64::MAX, 4_294_967_296];
        while n < u64::MAX / 10 {
            cases.extend([n - 1, n, n + 1]);
            n *= 10;
        }
        for v in cases {
            for width in [0, 1, 10, 20] {
                let mut s = String::from("x");
                push_right_aligned(&mut s, v, width);
                assert_eq!(s, format!("x{v:>width$}"), "{v} in {width}");
            }
        }
    }

    /// A file made by our create with rows filled with their own index
    /// (physical row `p` of archive `a`, data source `s` holds
    /// `1000·a + 10·p + s`), the last update at `last_up` and each archive's
    /// current row given.
    fn file(step: u64, rras: &[&str], last_up: i64, cur_rows: &[u64]) -> Rrd<crate::MemStorage> {
        let mut args = vec!["DS:a:GAUGE:600:U:U", "DS:b:GAUGE:600:U:U"];
        args.extend_from_slice(rras);
        let spec = CreateSpec::parse(last_up, step, &args).unwrap();
        let mut hdr = spec.to_header(|_| 0);
        hdr.cur_row = cur_rows.to_vec();
        let mut data = Vec::new();
        for (ai, a) in hdr.rra.iter().enumerate() {
            for p in 0..a.rows {
                for s in 0..2 {
                    data.push((1000 * ai as u64 + 10 * p + s) as f64);
                }
            }
        }
        let mut bytes = Vec::new();
        create::write_rrd(&mut bytes, &hdr, Some(&data)).unwrap();
        Rrd::from_bytes(bytes).unwrap()
    }

    fn req(cf: ConsolidationFn, start: i64, end: i64, resolution: u64) -> FetchRequest {
        FetchRequest {
            cf,
            start,
            end,
            resolution,
        }
    }

    /// `time:v,v` per row, `U` for NaN.
    fn show(r: &FetchResult) -> String {
        let mut s = format!("rra {} step {}:", r.rra, r.step);
        for (t, v) in r.iter() {
            let vals: Vec<String> = v
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        "U".to_string()
                    } else {
                        x.to_string()
                    }
                })
                .collect();
            let _ = write!(s, " {t}:{}", vals.join(","));
        }
        s
    }

    fn check(rrd: &Rrd<crate::MemStorage>, r: FetchRequest, expected: &str) {
        let got = match fetch(rrd, &r) {
            Ok(res) => show(&res),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expected, "{r:?}");
    }

    use ConsolidationFn::*;

    /// A multiple of 300 s and of 900 s (and 300 s past one of 600 s).
    const B: i64 = 999_999_900;

    #[test]
    fn window_alignment_and_wrap() {
        // 4 rows, cur_row 1: time order is physical 2, 3, 0, 1; the last row
        // ends at B+1200 (last_up B+1250), the oldest at B+300.
        let rrd = file(300, &["RRA:AVERAGE:0.5:1:4"], B + 1250, &[1]);
        // the whole archive, and a row after it: an aligned end gains a step
        check(
            &rrd,
            req(Average, B, B + 1200, 1),
            "rra 0 step 300: 1000000200:20,21 1000000500:30,31 1000000800:0,1 1000001100:10,11 1000001400:U,U",
        );
        // a row before it
        check(
            &rrd,
            req(Average, B - 1, B + 1199, 1),
            "rra 0 step 300: 999999900:U,U 1000000200:20,21 1000000500:30,31 1000000800:0,1 1000001100:10,11",
        );
        // entirely after, entirely before
        check(
            &rrd,
            req(Average, B + 5000, B + 5000, 1),
            "rra 0 step 300: 1000005000:U,U",
        );
        check(
            &rrd,
            req(Average, B - 9000, B - 8000, 1),
            "rra 0 step 300: 999991200:U,U 999991500:U,U 999991800:U,U 999992100:U,U",
        );
        // only the part after the wrap
        check(
            &rrd,
            req(Average, B + 700, B + 1000, 1),
            "rra 0 step 300: 1000000800:0,1 1000001100:10,11",
        );
        // across the wrap: two reads
        check(
            &rrd,
            req(Average, B + 400, B + 1000, 1),
            "rra 0 step 300: 1000000500:30,31 1000000800:0,1 1000001100:10,11",
        );
    }

    #[test]
    fn rra_choice() {
        // last_up B+3600. AVERAGE 1×300 s × 4 rows reaches back to B+2400;
        // AVERAGE 3×300 s × 4 to B; MAX 2×300 s × 10 (ending at B+3300)
        // to B-2700.
        let rrd = file(
            300,
            &[
                "RRA:AVERAGE:0.5:1:4",
                "RRA:AVERAGE:0.5:3:4",
                "RRA:MAX:0.5:2:10",
            ],
            B + 3600,
            &[0, 0, 0],
        );
        let chosen = |cf, s, e, r| fetch(&rrd, &req(cf, B + s, B + e, r)).map(|x| x.rra);
        // full cover by both AVERAGE archives: the nearest step wins
        assert_eq!(chosen(Average, 2400, 3600, 1).unwrap(), 0);
        assert_eq!(chosen(Average, 2400, 3600, 900).unwrap(), 1);
        assert_eq!(chosen(Average, 2400, 3600, 600).unwrap(), 0); // tie: first
                                                                  // only the coarse one covers fully: full beats a nearer step
        assert_eq!(chosen(Average, 0, 3600, 300).unwrap(), 1);
        // neither covers: the one reaching back furthest
        assert_eq!(chosen(Average, -100, 3600, 300).unwrap(), 1);
        // MIN: only the single-PDP AVERAGE archive stands in for it
        assert_eq!(chosen(Min, 0, 3600, 300).unwrap(), 0);
        // MAX: its own archive covers fully; the single-PDP AVERAGE one is
        // a candidate too and wins on step when it covers
        assert_eq!(chosen(Max, -2400, 3600, 300).unwrap(), 2);
        assert_eq!(chosen(Max, 2400, 3600, 300).unwrap(), 0);
        assert_eq!(
            chosen(HwPredict, 0, 3600, 1).unwrap_err().to_string(),
            "the RRD does not contain an RRA matching the chosen CF"
        );
    }

    #[test]
    fn huge_resolution_wraps_like_c() {
        // labs((unsigned long)res - step): u64::MAX acts as -1, so 300 s is
        // nearer than 900 s (a saturating difference would pick 900 s)
        let rrd = file(
            300,
            &["RRA:AVERAGE:0.5:3:4", "RRA:AVERAGE:0.5:1:4"],
            B + 3600,
            &[0, 0],
        );
        let r = req(Average, B + 3000, B + 3600, u64::MAX);
        assert_eq!(fetch(&rrd, &r).unwrap().rra, 1);
    }

    #[test]
    fn extreme_windows_do_not_panic() {
        let rrd = file(300, &["RRA:AVERAGE:0.5:1:4"], B, &[0]);
        // C's wrapping arithmetic: the end may wrap past i64::MAX (a few
        // rows) or the window be too large to allocate (an error)
        for (start, end) in [
            (i64::MAX - 10, i64::MAX),
            (i64::MIN, i64::MIN + 1),
            (i64::MIN, i64::MAX),
            (0, i64::MAX),
        ] {
            match fetch(&rrd, &req(Average, start, end, 1)) {
                Ok(r) => assert_eq!(r.values.len(), r.rows * 2, "{start}..{end}"),
                Err(e) => assert_eq!(e.to_string(), "malloc fetch data area", "{start}..{end}"),
            }
        }
        assert_eq!(
            fetch(&rrd, &req(Average, 5, 4, 1)).unwrap_err().to_string(),
            "start (5) should be less than end (4)"
        );
        // the epoch itself is fine: all unknown
        check(
            &rrd,
            req(Average, 0, 300, 1),
            "rra 0 step 300: 300:U,U 600:U,U",
        );
    }

    #[test]
    fn window_checks() {
        assert_eq!(
            prepare_window(MIN_START - 1, MIN_START, 1, false)
                .unwrap_err()
                .to_string(),
            "the first entry to fetch should be after 1980"
        );
        assert_eq!(
            prepare_window(1_000_000_250, 1_000_000_100, 300, true)
                .unwrap_err()
                .to_string(),
            "start (1000000200) should be less than end (1000000050)"
        );
        assert_eq!(
            prepare_window(MIN_START + 1, MIN_START + 500, 1_000_000, true).unwrap(),
            (315_000_000, 315_000_499)
        );
        assert_eq!(
            prepare_window(1_000_000_000, 1_000_000_600, u64::MAX, true).unwrap(),
            (0, 600)
        );
        assert_eq!(
            parse_cf("average").unwrap_err().to_string(),
            "unknown consolidation function 'average'"
        );
    }

    #[test]
    fn text() {
        let r = FetchResult {
            start: 300_000_000,
            end: 300_000_600,
            step: 300,
            ds_names: vec!["temp".into(), "b".into()],
            rows: 2,
            values: vec![1.5, DNAN, f64::NAN, -2.0],
            rra: 0,
        };
        assert_eq!(
            r.to_text(),
            "                           temp                   b\n\n 300000300: 1.5000000000e+00 -nan\n 300000600: nan -2.0000000000e+00\n"
        );
    }
}
