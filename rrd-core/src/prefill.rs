//! `create --source`: a new file's rows and consolidation state filled
//! from existing files, as rrdtool 1.7.2's `rrd_prefill_data` fills them
//! (`rrd_create.c`): for every archive and data source, the source
//! archives of the same function or AVERAGE (matched by name, or by the
//! `DS:new=old[n]` mapping), best first; each row takes what they cover
//! of its time; the last PDP and the open CDPs are copied where they line
//! up, else rebuilt from a one-PDP AVERAGE archive (a temporary one if the
//! file has none long enough).

use crate::create::{init_cdp, init_cdp_over};
use crate::model::{cdp_slot, ConsolidationFn as Cf, Header, RraDef, RraParams, Unival, DNAN};
use crate::modify::{end_time_for_row, positive_mod, row_for_time, Image};

/// Where a new data source takes its data from (`DS:name=mapped[index]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsMapping {
    /// The new data source.
    pub name: String,
    /// The source data source's name; empty: the same name.
    pub mapped: String,
    /// The source file (1-based, in `--source` order); -1: any.
    pub index: i64,
}

/// The mapping part of a `DS:` argument (rrdtool's `DS_RE`):
/// `name[=mapped[[index]]]:DST:args`. `None` when the argument does not
/// have that shape.
pub fn ds_mapping(arg: &str) -> Option<DsMapping> {
    let rest = arg.strip_prefix("DS:")?;
    let is_name = |s: &str| {
        (1..=19).contains(&s.len())
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
    };
    let (head, _) = rest.split_once(':')?;
    let (name, mapped, index) = match head.split_once('=') {
        None => (head, "", -1),
        Some((n, m)) => match m.split_once('[') {
            None => (n, m, -1),
            Some((m, idx)) => {
                let digits = idx.strip_suffix(']')?;
                if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                (n, m, rrd_clib::strtol::strtol(digits.as_bytes(), 10).value)
            }
        },
    };
    if !is_name(name) || (!mapped.is_empty() && !is_name(mapped)) || head.ends_with('=') {
        return None;
    }
    Some(DsMapping {
        name: name.to_string(),
        mapped: mapped.to_string(),
        index,
    })
}

/// A source archive for one target data source (`candidate_t`).
#[derive(Debug, Clone, Copy)]
struct Cand {
    src: usize,
    rra: usize,
    ds: usize,
}

/// rrdtool's own `quick_sort` (`quicksort.c`), element for element.
fn quick_sort<T: Copy>(v: &mut [T], cmp: &dyn Fn(T, T) -> i32) {
    fn sort<T: Copy>(v: &mut [T], cmp: &dyn Fn(T, T) -> i32, begin: isize, end: isize) {
        if begin >= end {
            return;
        }
        let (mut l, mut r, p) = (begin + 1, end, begin as usize);
        while l < r {
            if cmp(v[l as usize], v[p]) <= 0 {
                l += 1;
            } else if cmp(v[r as usize], v[p]) >= 0 {
                r -= 1;
            } else {
                v.swap(l as usize, r as usize);
            }
        }
        if cmp(v[l as usize], v[p]) <= 0 {
            v.swap(l as usize, p);
            l -= 1;
        } else {
            l -= 1;
            v.swap(l as usize, p);
        }
        sort(v, cmp, begin, l);
        sort(v, cmp, r, end);
    }
    let n = v.len() as isize;
    sort(v, cmp, 0, n - 1);
}

/// `find_matching_candidates`: per source (in order), the archives holding
/// the target data source's data.
fn matching(
    target: &Header,
    rra: &RraDef,
    ds: usize,
    sources: &[Image],
    maps: &[DsMapping],
    select: &dyn Fn(&RraDef, &RraDef) -> bool,
    ordered: bool,
) -> Vec<Cand> {
    let name = &target.ds[ds].name;
    let map = maps.iter().find(|m| m.name == *name);
    let looked_for = match map {
        Some(m) if !m.mapped.is_empty() => &m.mapped,
        _ => name,
    };
    let mut out = Vec::new();
    for (k, s) in sources.iter().enumerate() {
        if let Some(m) = map {
            if m.index >= 0 && (k as i64 + 1) != m.index {
                continue;
            }
        }
        let sh = &s.header;
        let Some(sds) = sh.ds.iter().position(|d| d.name == *looked_for) else {
            continue;
        };
        let mut c: Vec<Cand> = crate::modify::candidate_rras(sh, &|r| select(rra, r))
            .into_iter()
            .map(|r| Cand {
                src: k,
                rra: r,
                ds: sds,
            })
            .collect();
        if ordered {
            let order = |a: Cand, b: Cand| order_candidates(sources, target, rra, a, b);
            quick_sort(&mut c, &order);
        }
        out.extend(c);
    }
    out
}

/// `order_candidates`: an exact match first, AVERAGE before other
/// functions, then finer, then longer.
fn order_candidates(sources: &[Image], target: &Header, trra: &RraDef, a: Cand, b: Cand) -> i32 {
    let (ha, hb) = (&sources[a.src].header, &sources[b.src].header);
    let (ra, rb) = (&ha.rra[a.rra], &hb.rra[b.rra]);
    let span = |r: &RraDef, step: u64| r.pdp_cnt.wrapping_mul(step as i32 as i64 as u64);
    let tspan = span(trra, target.step);
    if ra.cf == trra.cf && span(ra, ha.step) == tspan {
        return -1;
    }
    if rb.cf == trra.cf && span(rb, hb.step) == tspan {
        return 1;
    }
    if ra.cf != rb.cf {
        if ra.cf == Cf::Average {
            return -1;
        }
        if rb.cf == Cf::Average {
            return 1;
        }
        return 0;
    }
    let d = span(ra, ha.step).wrapping_sub(span(rb, hb.step)) as i32;
    if d != 0 {
        return d;
    }
    (ra.rows.wrapping_sub(rb.rows) as i32).wrapping_neg()
}

/// A stretch of time, covered or not (`coverage_t`; inclusive ends).
#[derive(Debug, Clone, Copy)]
struct Span {
    covered: bool,
    start: i64,
    end: i64,
}

fn overlap(s1: i64, e1: i64, s2: i64, e2: i64) -> i64 {
    if s1 >= e1 || s2 >= e2 || s1 > e2 || s2 > e1 {
        return 0;
    }
    e1.min(e2) - s1.max(s2)
}

fn within(s1: i64, e1: i64, s2: i64, e2: i64) -> bool {
    if e1 - s1 > e2 - s2 {
        return false;
    }
    overlap(s1, e1, s2, e2) == e1 - s1
}

/// `add_coverage`: marks `start..=end` covered; returns the seconds newly
/// covered (a C `int`).
fn add_coverage(cov: &mut Vec<Span>, mut start: i64, mut end: i64) -> i32 {
    let first = cov[0].start;
    let last = cov[cov.len() - 1].end;
    start = start.max(first);
    end = end.min(last);
    let mut newly: i32 = 0;
    if end < first || start > last {
        return 0;
    }
    let add = |n: &mut i32, v: i64| *n = n.wrapping_add(v as i32);
    let mut i = 0;
    while i < cov.len() {
        let (os, oe) = (cov[i].start, cov[i].end);
        if within(start, end, os, oe) {
            if cov[i].covered {
                break;
            }
            if start == os && end == oe {
                add(&mut newly, end - start + 1);
                cov[i].covered = true;
                break;
            }
            if os == start {
                cov[i] = Span {
                    covered: true,
                    start: os,
                    end,
                };
                cov.insert(
                    i + 1,
                    Span {
                        covered: false,
                        start: end + 1,
                        end: oe,
                    },
                );
                add(&mut newly, end - start + 1);
                break;
            }
            if oe == end {
                cov[i] = Span {
                    covered: false,
                    start: os,
                    end: start - 1,
                };
                cov.insert(
                    i + 1,
                    Span {
                        covered: true,
                        start,
                        end: oe,
                    },
                );
                add(&mut newly, end - start + 1);
                break;
            }
            cov[i] = Span {
                covered: false,
                start: os,
                end: start - 1,
            };
            cov.insert(
                i + 1,
                Span {
                    covered: true,
                    start,
                    end,
                },
            );
            cov.insert(
                i + 2,
                Span {
                    covered: false,
                    start: end + 1,
                    end: oe,
                },
            );
            add(&mut newly, end - start + 1);
            break;
        }
        if within(os, oe, start, end) && !cov[i].covered {
            cov[i].covered = true;
            add(&mut newly, cov[i].end - cov[i].start + 1);
        }
        if start >= os && start <= oe {
            if cov[i].covered {
                start = oe + 1;
                i += 1;
                continue;
            }
            if cov[i].start == start {
                cov[i].covered = true;
                start = oe + 1;
            } else {
                cov[i] = Span {
                    covered: false,
                    start: os,
                    end: start - 1,
                };
                cov.insert(
                    i + 1,
                    Span {
                        covered: true,
                        start,
                        end: oe,
                    },
                );
                add(&mut newly, oe - start + 1);
                start = oe + 1;
            }
        }
        i += 1;
    }
    // adjacent stretches of the same kind become one
    let mut i = 0;
    while i + 1 < cov.len() {
        if cov[i].covered == cov[i + 1].covered {
            cov[i].end = cov[i + 1].end;
            cov.remove(i + 1);
            continue;
        }
        i += 1;
    }
    newly
}

/// `prefill_bin`: row `cnt` of target archive `t`, data source `ds`.
fn prefill_bin(
    target: &mut Image,
    t: usize,
    ds: usize,
    cnt: u64,
    sources: &[Image],
    cands: &[Cand],
) {
    let th = &target.header;
    let rra = &th.rra[t];
    let bin_size = (rra.pdp_cnt as i64).wrapping_mul(th.step as i64);
    let min_cov = (rra.xff().unwrap_or(0.0) * bin_size as f64) as i64;
    let bin_end = end_time_for_row(th, rra, th.cur_row[t] as u32 as i32, cnt as i32);
    let bin_start = bin_end - bin_size + 1;
    let mut cov = vec![Span {
        covered: false,
        start: bin_start,
        end: bin_end,
    }];
    let (mut total, mut value) = (0i64, DNAN);
    let cf = rra.cf;
    for c in cands {
        if total >= bin_size {
            break;
        }
        let sh = &sources[c.src].header;
        let cr = &sh.rra[c.rra];
        let cur = sh.cur_row[c.rra] as i32;
        let end_bin = row_for_time(sh, cr, cur, bin_end) as i64 as u64;
        let start_bin = row_for_time(sh, cr, cur, bin_start) as i64 as u64;
        if start_bin >= cr.rows || end_bin >= cr.rows {
            continue;
        }
        let mut count = positive_mod(
            end_bin.wrapping_sub(start_bin).wrapping_add(1) as i32,
            cr.rows as i32,
        );
        let mut ci = start_bin as u32;
        let data = &sources[c.src].rows[c.rra];
        let sd = sh.ds.len();
        while count > 0 && total < bin_size {
            if u64::from(ci) == cr.rows {
                ci = 0;
            }
            let cand_size = (cr.pdp_cnt as i64).wrapping_mul(sh.step as i64);
            let cand_end = end_time_for_row(sh, cr, cur, ci as i32);
            let cand_start = cand_end - cand_size + 1;
            let covered = overlap(bin_start, bin_end, cand_start, cand_end) + 1;
            let v = data.get(ci as usize * sd + c.ds).copied().unwrap_or(DNAN);
            if covered > 0 && !v.is_nan() {
                let newly = add_coverage(&mut cov, cand_start, cand_end);
                if newly > 0 {
                    total += i64::from(newly);
                    let tb = bin_size as i32;
                    value = match cf {
                        Cf::Min => {
                            if value.is_nan()
                                || value.partial_cmp(&v) != Some(std::cmp::Ordering::Less)
                            {
                                v
                            } else {
                                value
                            }
                        }
                        Cf::Max => {
                            if value.is_nan()
                                || value.partial_cmp(&v) != Some(std::cmp::Ordering::Greater)
                            {
                                v
                            } else {
                                value
                            }
                        }
                        Cf::Last => v,
                        _ => {
                            let base = if value.is_nan() { 0.0 } else { value };
                            base + v / f64::from(tb) * f64::from(newly)
                        }
                    };
                }
            }
            ci = ci.wrapping_add(1);
            count -= 1;
        }
    }
    if total > min_cov {
        if total as i32 == 0 {
            value = DNAN;
        } else if cf == Cf::Average {
            value = value / f64::from(total as i32) * f64::from(bin_size as i32);
        }
        let d = th.ds.len();
        target.rows[t][cnt as usize * d + ds] = value;
    }
}

/// `prefill_pdp_prep`: the last PDP of data source `ds` from a source
/// whose last update falls in the same PDP, of the same kind.
fn prefill_pdp(target: &mut Image, ds: usize, sources: &[Image], cands: &[Cand]) {
    let th = &target.header;
    if th.pdp[ds].last_ds != "U" {
        return;
    }
    let step = th.step as i64;
    let begin = (th.last_up / step) * step + 1;
    let end = begin + step - 1;
    let mut seen: Option<usize> = None;
    for c in cands {
        if seen == Some(c.src) {
            continue;
        }
        seen = Some(c.src);
        let sh = &sources[c.src].header;
        if sh.pdp[c.ds].last_ds == "U" {
            continue;
        }
        let sstep = sh.step as i64;
        let sbegin = (sh.last_up / sstep) * sstep + 1;
        let send = sbegin + sstep - 1;
        if send <= end && send >= begin && th.ds[ds].kind == sh.ds[c.ds].kind {
            let mut p = sh.pdp[c.ds].clone();
            // rrdtool compares the count's bits as a double
            if f64::from_bits(p.unknown_sec) > th.step as f64 {
                let source_known = sstep - f64::from_bits(p.unknown_sec) as i64;
                let target_known = th.last_up - begin;
                p.unknown_sec = (target_known - source_known).max(0) as u64;
            }
            target.header.pdp[ds] = p;
            break;
        }
    }
}

/// `prefill_cdp_prep`: the open CDP of archive `t`, data source `ds`: a
/// copy of a source's that lines up, else rebuilt from archive `cdp_rra`.
fn prefill_cdp(
    target: &mut Image,
    t: usize,
    ds: usize,
    sources: &[Image],
    cands: &[Cand],
    cdp_rra: usize,
) {
    let th = &target.header;
    let d = th.ds.len();
    let rra = th.rra[t].clone();
    let span = (rra.pdp_cnt as i64).wrapping_mul(th.step as i64);
    let begin = (th.last_up / span) * span + 1;
    let end = begin + span - 1;
    for c in cands {
        let sh = &sources[c.src].header;
        if sh.step != th.step {
            continue;
        }
        let sr = &sh.rra[c.rra];
        let sspan = (sr.pdp_cnt as i64).wrapping_mul(sh.step as i64);
        let sbegin = (sh.last_up / sspan) * sspan + 1;
        let send = sbegin + sspan - 1;
        if sbegin == begin
            && send == end
            && th.last_up / th.step as i64 == sh.last_up / sh.step as i64
        {
            let src_cdp = sh.cdp[c.rra * sh.ds.len() + c.ds];
            target.header.cdp[t * d + ds] = src_cdp;
            return;
        }
    }
    let step = th.step as i64;
    let unkn = crate::modify::plain_unknown_pdps(th, &rra, th.pdp[ds].unknown_sec);
    let mut cdp = th.cdp[t * d + ds];
    init_cdp_over(rra.cf, unkn, &mut cdp);
    cdp.scratch[cdp_slot::UNKN_PDP_CNT] = Unival(0);
    let cr = &th.rra[cdp_rra];
    let cur = th.cur_row[cdp_rra] as i32;
    let vals = &target.rows[cdp_rra];
    if rra.pdp_cnt == 1 {
        cdp.scratch[cdp_slot::PRIMARY_VAL] = Unival::from_val(0.0);
        cdp.scratch[cdp_slot::SECONDARY_VAL] = Unival::from_val(0.0);
        let r = row_for_time(th, cr, cur, begin - step);
        if r >= 0 {
            let v = vals.get(r as usize * d + ds).copied().unwrap_or(DNAN);
            cdp.scratch[cdp_slot::PRIMARY_VAL] = Unival::from_val(v);
        }
        target.header.cdp[t * d + ds] = cdp;
        return;
    }
    let cdp_step = i64::from((step as i32).wrapping_mul(rra.pdp_cnt as i32));
    if cdp_step == 0 {
        // rrdtool divides by it (and dies of SIGFPE)
        target.header.cdp[t * d + ds] = cdp;
        return;
    }
    let xff = rra.xff().unwrap_or(0.0);
    let mut tt = begin - (rra.pdp_cnt as i64).wrapping_mul(step);
    while tt < end && tt < th.last_up {
        let r = row_for_time(th, cr, cur, tt);
        if r >= 0 {
            let v = vals.get(r as usize * d + ds).copied().unwrap_or(DNAN);
            let n = (rra.pdp_cnt as i64 - (tt % cdp_step) / step) as u64;
            crate::update::update_cdp(
                &mut cdp.scratch,
                rra.cf,
                v,
                u64::from(n == 1),
                1,
                n,
                rra.pdp_cnt,
                xff,
            );
        }
        tt += step;
    }
    target.header.cdp[t * d + ds] = cdp;
}

/// `rra_for_cdp_prefilling`: the longest one-PDP AVERAGE archive if it
/// holds twice the largest PDP count, else a temporary one added at the
/// end. Returns its index and whether it was added.
fn cdp_rra(target: &mut Image) -> (usize, bool) {
    let h = &target.header;
    let mut largest = 0u64;
    let mut found: Option<usize> = None;
    for (i, r) in h.rra.iter().enumerate() {
        largest = largest.max(r.pdp_cnt);
        if r.pdp_cnt == 1 && r.cf == Cf::Average {
            match found {
                None => found = Some(i),
                Some(f) if h.rra[f].rows < r.rows => found = Some(i),
                _ => {}
            }
        }
    }
    largest *= 2;
    if let Some(f) = found.filter(|&f| h.rra[f].rows >= largest) {
        return (f, false);
    }
    let d = h.ds.len();
    let def = RraDef {
        cf: Cf::Average,
        rows: largest,
        pdp_cnt: 1,
        params: RraParams::Plain { xff: 0.5 },
    };
    let unkn = 0;
    target.header.rra.push(def);
    target.header.cur_row.push(0);
    for _ in 0..d {
        target.header.cdp.push(init_cdp(Cf::Average, unkn));
    }
    target.rows.push(vec![DNAN; largest as usize * d]);
    (target.header.rra.len() - 1, true)
}

/// Fills a new file (`target`, fresh from create: unknown rows) from
/// `sources`, as `rrd_prefill_data` does.
pub fn prefill(
    target: &mut Image,
    sources: &[Image],
    maps: &[DsMapping],
) -> crate::error::Result<()> {
    if sources.is_empty() {
        return Ok(());
    }
    crate::modify::check_bounds(&target.header)?;
    for s in sources {
        crate::modify::check_bounds(&s.header)?;
    }
    // the temporary one-PDP archive holds twice the largest PDP count
    let largest = target
        .header
        .rra
        .iter()
        .map(|r| r.pdp_cnt)
        .max()
        .unwrap_or(1);
    let mut with_temp = target.header.clone();
    with_temp.rra.push(RraDef {
        cf: Cf::Average,
        rows: largest.saturating_mul(2),
        pdp_cnt: 1,
        params: RraParams::Plain { xff: 0.5 },
    });
    crate::modify::check_bounds(&with_temp)?;
    let (cdp_rra_index, added) = cdp_rra(target);
    let select_create = |t: &RraDef, m: &RraDef| m.cf == Cf::Average || m.cf == t.cf;
    let n_rra = target.header.rra.len();
    let d = target.header.ds.len();
    for t in 0..n_rra {
        let def = target.header.rra[t].clone();
        for ds in 0..d {
            let cands = matching(
                &target.header,
                &def,
                ds,
                sources,
                maps,
                &select_create,
                true,
            );
            if cands.is_empty() {
                continue;
            }
            for cnt in 0..def.rows {
                prefill_bin(target, t, ds, cnt, sources, &cands);
            }
            prefill_pdp(target, ds, sources, &cands);
        }
    }
    let cdp_match = |t: &RraDef, m: &RraDef| t.cf == m.cf && t.pdp_cnt == m.pdp_cnt;
    for t in 0..n_rra {
        let def = target.header.rra[t].clone();
        for ds in 0..d {
            let cands = matching(&target.header, &def, ds, sources, maps, &cdp_match, false);
            prefill_cdp(target, t, ds, sources, &cands, cdp_rra_index);
        }
    }
    if added {
        target.header.rra.pop();
        target.header.cur_row.pop();
        target.header.cdp.truncate(target.header.cdp.len() - d);
        target.rows.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_read_as_rrdtools_regex() {
        let m = |s| ds_mapping(s);
        assert_eq!(
            m("DS:a=b[3]:GAUGE:1:U:U"),
            Some(DsMapping {
                name: "a".into(),
                mapped: "b".into(),
                index: 3
            })
        );
        assert_eq!(m("DS:a=b:GAUGE:1:U:U").unwrap().index, -1);
        assert_eq!(m("DS:a:GAUGE:1:U:U").unwrap().mapped, "");
        assert_eq!(m("DS:a=:GAUGE:1:U:U"), None);
        assert_eq!(m("DS:a=b[x]:GAUGE:1:U:U"), None);
        assert_eq!(m("DS:a=b[]:GAUGE:1:U:U"), None);
    }

    #[test]
    fn coverage_counts_new_seconds_once() {
        let mut c = vec![Span {
            covered: false,
            start: 1,
            end: 100,
        }];
        assert_eq!(add_coverage(&mut c, 1, 10), 10);
        assert_eq!(add_coverage(&mut c, 5, 20), 10);
        assert_eq!(add_coverage(&mut c, 50, 60), 11);
        assert_eq!(add_coverage(&mut c, 1, 100), 69);
        assert_eq!(c.len(), 1);
        assert!(c[0].covered);
    }

    #[test]
    fn quick_sort_is_rrdtools() {
        let mut v = [3, 1, 2, 5, 4, 1];
        quick_sort(&mut v, &|a: i32, b: i32| a - b);
        assert_eq!(v, [1, 1, 2, 3, 4, 5]);
    }
}
