//! `rrdtool restore`: rebuilding an RRD from the XML that `rrdtool dump` writes.
//!
//! rrdtool 1.7.2 reads the dump with libxml2's pull parser and a small
//! hand-written state machine (rrd_restore.c). This module reproduces that
//! state machine over its own minimal XML reader, so it accepts what rrdtool
//! accepts (element names in any case, values surrounded by whitespace,
//! comments, processing instructions, a DOCTYPE, attributes such as the xsd
//! namespace ones) and refuses what rrdtool refuses, with rrdtool's messages.
//!
//! Behaviours reproduced on purpose, all checked against rrdtool 1.7.2:
//!
//! - a value is the first whitespace-separated word of its element's text;
//!   unsigned counts and times parse like C `strtoul`/`strtoll` with base 0
//!   (hex and octal accepted, garbage reads as 0, a minus sign wraps);
//!   doubles containing `nan` (any case) are unknown, `-inf`/`inf` are
//!   infinities, anything else must be a whole number for rrdtool's own
//!   `rrd_strtod`;
//! - definitions are raw parameter slots, written in document order: a
//!   `<cdef>` overwrites the bytes of heartbeat/min/max, elements may repeat
//!   (the last one wins) and come in any order;
//! - `-r` compares values with the DS's min and max slots even for COMPUTE
//!   data sources, where those bytes hold the packed expression;
//! - the predefined entities and character references are decoded; a
//!   comment splits a value in two (and rrdtool then fails), a CDATA section
//!   is skipped.
//!
//! The whole document is checked for well-formedness before it is
//! interpreted, so malformed XML is always reported as such (libxml2 parses
//! ahead of rrdtool, so for all but large files rrdtool does the same).
//! Where rrdtool crashes, writes an unreadable file or fails without a
//! message (an archive without rows, a data source without a type, step or
//! PDPs per row of 0, a version above 0005, an empty `<params>`, a second
//! `<database>`, malformed references in text), this module returns an
//! [`Error::Dump`] of its own. Line numbers in messages are those of the
//! offending node; rrdtool prints libxml2's read-ahead position instead,
//! usually a few lines later. Entities declared in a DOCTYPE are not
//! supported (rrdtool skips their references, we refuse them).
//!
//! ```
//! use rrd_core::{OpenMode, RestoreOptions, Rrd};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let xml = "<rrd><version>0003</version><step>300</step>
//!   <lastupdate>1000000000</lastupdate>
//!   <ds><name>g</name><type>GAUGE</type><minimal_heartbeat>600</minimal_heartbeat>
//!     <min>NaN</min><max>1.0e2</max><last_ds>U</last_ds><value>NaN</value>
//!     <unknown_sec>100</unknown_sec></ds>
//!   <rra><cf>AVERAGE</cf><pdp_per_row>1</pdp_per_row><params><xff>0.5</xff></params>
//!     <database><row><v>1.5</v></row><row><v>250</v></row></database></rra></rrd>";
//! let dir = std::env::temp_dir().join(format!("rrd-restore-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! // like `rrdtool restore -r -f`: 250 is above the maximum and becomes unknown
//! let opts = RestoreOptions { range_check: true, force_overwrite: true };
//! Rrd::restore(xml.as_bytes(), dir.join("g.rrd"), &opts)?;
//! let rrd = Rrd::open(dir.join("g.rrd"), OpenMode::ReadOnly)?;
//! assert_eq!(rrd.header().rra[0].rows, 2);
//! let values: Vec<f64> = rrd.rows(0)?.map(|r| r.map(|(_, v)| v[0])).collect::<Result<_, _>>()?;
//! assert_eq!(values[0], 1.5);
//! assert!(values[1].is_nan());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::io::Write;
use std::path::Path;

use rrd_clib::strtol;

use crate::create::{file_size, random_row};
use crate::error::{Error, Result};
use crate::format::{encode_header, encode_value, Layout};
use crate::model::{
    CdefNode, CdpPrep, ConsolidationFn, DataSource, DsKind, DsParams, Header, PdpPrep, RraDef,
    RraParams, Unival, DNAN,
};
use crate::newfile::{Existing, Follow, NewFile};

mod xml;
use rrd_clib::strtod::rrd_strtod;
use xml::{xml_err, Kind, Reader};

/// Options of `rrdtool restore`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestoreOptions {
    /// `-r`/`--range-check`: values outside their data source's [min, max]
    /// become unknown.
    pub range_check: bool,
    /// `-f`/`--force-overwrite`: replace an existing file.
    pub force_overwrite: bool,
}

/// Parses a dump (the XML `rrdtool dump` writes, any version 0001-0005) into
/// a header and the data in physical row order.
///
/// Each archive gets as many rows as its `<database>` holds `<row>`s, in
/// document (time) order, with `cur_row` on the last (newest) one. The
/// version is what rrdtool would write: 0003 for dumps of version 1 to 3.
#[cfg(test)]
pub(crate) fn parse_dump(xml: &str) -> Result<(Header, Vec<f64>)> {
    let mut data = Vec::new();
    let (header, _) = parse(xml.as_bytes(), false, &mut |row| {
        data.extend_from_slice(row);
        Ok(())
    })?;
    Ok((header, data))
}

/// `rrdtool restore` of a dump held in memory; see [`restore`].
#[cfg(test)]
pub(crate) fn restore_file(xml: &str, path: &Path, opts: &RestoreOptions) -> Result<()> {
    restore(xml.as_bytes(), path, opts)
}

/// `rrdtool restore`: reads the dump from `input` in one pass, applying -r
/// as it goes, and writes the file with each archive's rows rotated so that
/// the newest lands on a random `cur_row`, as rrdtool does (without
/// `force_overwrite`: fails if the file exists, with rrdtool's message).
///
/// Memory stays bounded whatever the size of the dump: rows go to a
/// nameless spill file beside the destination as they are read, and from
/// there into the new file (`copy_file_range`), which appears complete or
/// not at all (see [`crate::newfile`]).
pub fn restore<R: std::io::Read>(input: R, path: &Path, opts: &RestoreOptions) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut spill = Spill::new(dir)?;
    let (mut header, _) = parse(input, opts.range_check, &mut |row| spill.push(row))?;
    spill.flush()?;
    let existing = if opts.force_overwrite {
        Existing::Replace
    } else {
        Existing::Keep
    };
    let mut out = NewFile::create(path, existing, Follow::Through)?;
    out.reserve(file_size(&header))?;
    let dest = out.path().to_path_buf();
    let werr = |e: std::io::Error| Error::io("writing", &dest, e);
    let row_bytes = header.ds.len() as u64 * 8;
    let mut plan = Vec::with_capacity(2 * header.rra.len());
    let mut first = 0u64;
    for (i, rra) in header.rra.iter().enumerate() {
        let n = rra.rows;
        let cur = random_row(n);
        header.cur_row[i] = cur;
        // physical rows 0..=cur hold the newest cur+1 rows, the rest the
        // oldest, all in time order
        let newest = (cur + 1) * row_bytes;
        let oldest = (n - cur - 1) * row_bytes;
        plan.push((first + oldest, newest));
        plan.push((first, oldest));
        first += n * row_bytes;
    }
    out.file()
        .write_all(&encode_header(&header, Layout::NATIVE))
        .map_err(werr)?;
    for (at, len) in plan {
        copy_range(&spill.file, at, out.file(), len).map_err(werr)?;
    }
    out.commit()
}

/// Rows parsed and not yet placed: a nameless file written in order.
struct Spill {
    file: File,
    buf: Vec<u8>,
}

impl Spill {
    /// A nameless file in `dir` (so that copies can stay within one file
    /// system), else in the temporary directory.
    fn new(dir: &Path) -> Result<Spill> {
        let tmp = std::env::temp_dir();
        let file = crate::newfile::nameless(dir)
            .or_else(|_| crate::newfile::nameless(&tmp))
            .map_err(|e| Error::io("creating a temporary file in", &tmp, e.into()))?;
        Ok(Spill {
            file,
            buf: Vec::with_capacity(1 << 16),
        })
    }
    fn push(&mut self, row: &[f64]) -> Result<()> {
        for v in row {
            self.buf
                .extend_from_slice(&encode_value(*v, Layout::NATIVE.endian));
        }
        if self.buf.len() >= 1 << 16 {
            self.flush()?;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        self.file
            .write_all(&self.buf)
            .map_err(|e| Error::io("writing", "a temporary file", e))?;
        self.buf.clear();
        Ok(())
    }
}

/// Copies `len` bytes of `from` at `at` to the end of what was written to
/// `to`: in the kernel where it can (`copy_file_range`), else through a
/// buffer (a FIFO, another file system on an old kernel).
fn copy_range(from: &File, at: u64, to: &mut File, len: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let mut off = at;
    let end = at + len;
    while off < end {
        let want = usize::try_from(end - off)
            .unwrap_or(usize::MAX)
            .min(1 << 30);
        match rustix::fs::copy_file_range(from, Some(&mut off), &*to, None, want) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "temporary file shorter than its rows",
                ))
            }
            Ok(_) => {}
            Err(_) => {
                let mut buf = vec![0u8; (end - off).min(1 << 16) as usize];
                while off < end {
                    let n = buf.len().min((end - off) as usize);
                    from.read_exact_at(&mut buf[..n], off)?;
                    to.write_all(&buf[..n])?;
                    off += n as u64;
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Numbers as rrd_restore.c reads them.

/// `strerror(ERANGE)` as glibc spells it.
const ERANGE_TEXT: &str = "Numerical result out of range";

// ---------------------------------------------------------------------------
// COMPUTE expressions (rpn_parse, parseCDEF_DS, rpn_compact in rrdtool).

use crate::compute::parse_cdef;
use crate::format::OP_END;

// ---------------------------------------------------------------------------
// The dump's structure (parse_tag_* in rrd_restore.c).

/// An 80-byte parameter or scratch area (`unival[10]`), as raw bytes.
#[derive(Clone, Copy)]
struct Slots([u8; 80]);

impl Slots {
    fn zero() -> Self {
        Slots([0; 80])
    }
    fn set(&mut self, slot: usize, bits: u64) {
        self.0[slot * 8..slot * 8 + 8].copy_from_slice(&bits.to_le_bytes());
    }
    fn get(&self, slot: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[slot * 8..slot * 8 + 8]);
        u64::from_le_bytes(b)
    }
    fn val(&self, slot: usize) -> f64 {
        f64::from_bits(self.get(slot))
    }
}

struct RawDs {
    name: String,
    kind: Option<DsKind>,
    par: Slots,
    last_ds: String,
    unknown_sec: u64,
    value: f64,
}

struct RawRra {
    cf: Option<ConsolidationFn>,
    pdp_cnt: u64,
    par: Slots,
    cdp: Vec<Slots>,
    rows: u64,
    databases: u32,
    line: u32,
}

/// Where a value goes.
#[derive(Clone, Copy)]
enum Field {
    Val(usize),
    Cnt(usize),
}

/// Where the parser puts each row: the values of every data source, in
/// document (time) order within each archive, archives one after the other.
type RowSink<'s> = dyn FnMut(&[f64]) -> Result<()> + 's;

struct Parser<'s, R> {
    r: Reader<R>,
    version: String,
    step: u64,
    last_up: i64,
    ds: Vec<RawDs>,
    rra: Vec<RawRra>,
    sink: &'s mut RowSink<'s>,
    row: Vec<f64>,
    /// `-r`: each data source's raw min and max slots, once known.
    range_check: bool,
    bounds: Vec<(f64, f64)>,
}

/// Parses a dump from `input` in one pass, handing rows to `sink`. XML that
/// is not well formed is reported as such even when a value before it is
/// wrong: the rest of the input is still checked, as libxml2 has usually
/// parsed ahead of rrdtool.
fn parse<R: std::io::Read>(
    input: R,
    range_check: bool,
    sink: &mut RowSink<'_>,
) -> Result<(Header, Vec<(f64, f64)>)> {
    let mut p = Parser {
        r: Reader::new(input),
        version: String::new(),
        step: 0,
        last_up: 0,
        ds: Vec::new(),
        rra: Vec::new(),
        sink,
        row: Vec::new(),
        range_check,
        bounds: Vec::new(),
    };
    match p.run() {
        Ok(()) => {
            p.r.validate()?;
            p.finish()
        }
        Err(e) if p.r.failed => Err(e),
        Err(e) => {
            p.r.validate()?;
            Err(e)
        }
    }
}

impl<R: std::io::Read> Parser<'_, R> {
    fn line(&self) -> u32 {
        self.r.cur.line
    }

    /// get_xml_element: the next start tag's name, or an end tag's as `/name`.
    fn element(&mut self) -> Result<String> {
        let n = self.r.read()?;
        match n.kind {
            Kind::Element => Ok(n.name.to_string()),
            Kind::End => Ok(format!("/{}", n.name)),
            Kind::Text => Err(Error::Dump(format!(
                "line {}: expected element but found text '{}'",
                n.line, n.text
            ))),
            Kind::Eof => Err(Error::Dump(
                "the xml ended while we were looking for an element".into(),
            )),
        }
    }

    /// expect_element (rrdtool prints the two names the wrong way round).
    fn expect(&mut self, want: &str) -> Result<()> {
        let got = self.element()?;
        if !got.eq_ignore_ascii_case(want) {
            return Err(Error::Dump(format!(
                "line {}: expected <{got}> element but found <{want}>",
                self.line()
            )));
        }
        Ok(())
    }

    /// expect_element_end: the end tag of `name`, which may be the current node.
    fn expect_end(&mut self, name: &str) -> Result<()> {
        let got = if self.r.cur.kind == Kind::End {
            format!("/{}", self.r.cur.name)
        } else {
            self.element()?
        };
        match got.strip_prefix('/') {
            Some(n) if n.eq_ignore_ascii_case(name) => Ok(()),
            _ => Err(Error::Dump(format!(
                "line {}: expected </{name}> end element but found <{got}>",
                self.line()
            ))),
        }
    }

    /// get_xml_text: the first word of the next text, "" at an end tag.
    fn text(&mut self) -> Result<String> {
        let n = self.r.read()?;
        match n.kind {
            Kind::Element => Err(Error::Dump(format!(
                "line {}: expected a value but found a <{}> element",
                n.line, n.name
            ))),
            Kind::End => Ok(String::new()),
            Kind::Text => Ok(n
                .text
                .split(|c: char| c.is_ascii_whitespace())
                .find(|w| !w.is_empty())
                .unwrap_or("")
                .to_string()),
            Kind::Eof => Err(Error::Dump("file ended while looking for text".into())),
        }
    }

    fn string(&mut self, max_len: usize) -> Result<String> {
        let t = self.text()?;
        if t.len() >= max_len {
            return Err(Error::Dump(format!("'{t}' is longer than {max_len}")));
        }
        Ok(t)
    }

    fn ulong(&mut self) -> Result<u64> {
        let t = self.text()?;
        let p = strtol::strtoul(t.as_bytes(), 0);
        if p.erange {
            return Err(Error::Dump(format!(
                "ling {}: get_xml_ulong from '{t}' {ERANGE_TEXT}",
                self.line()
            )));
        }
        Ok(p.value)
    }

    fn time(&mut self) -> Result<i64> {
        let t = self.text()?;
        let p = strtol::strtol(t.as_bytes(), 0);
        if p.erange {
            return Err(Error::Dump(format!(
                "ling {}: get_xml_time_t from '{t}' {ERANGE_TEXT}",
                self.line()
            )));
        }
        Ok(p.value)
    }

    fn double(&mut self) -> Result<f64> {
        let t = self.text()?;
        let lower = t.to_ascii_lowercase();
        if lower.contains("nan") {
            return Ok(DNAN);
        }
        if lower.contains("-inf") {
            return Ok(f64::NEG_INFINITY);
        }
        if lower.contains("inf") {
            return Ok(f64::INFINITY);
        }
        let (v, used) = rrd_strtod(&t);
        if used == t.len() && used > 0 {
            return Ok(v);
        }
        // rrd_strtod sets ERANGE when it finds no number; a partial
        // conversion leaves errno alone (0)
        let why = if used == 0 { ERANGE_TEXT } else { "Success" };
        Err(Error::Dump(format!(
            "ling {}: get_xml_double from '{t}' {why}",
            self.line()
        )))
    }

    fn read_field(&mut self, slots: &mut Slots, field: Field) -> Result<()> {
        match field {
            Field::Val(i) => slots.set(i, self.double()?.to_bits()),
            Field::Cnt(i) => slots.set(i, self.ulong()?),
        }
        Ok(())
    }

    fn run(&mut self) -> Result<()> {
        self.expect("rrd")?;
        loop {
            let el = self.element()?;
            match el.to_ascii_lowercase().as_str() {
                "version" => self.version = self.string(5)?,
                "step" => self.step = self.ulong()?,
                "lastupdate" => self.last_up = self.time()?,
                "ds" => {
                    self.parse_ds()?;
                    continue;
                }
                "rra" => {
                    self.parse_rra()?;
                    continue;
                }
                "/rrd" => break,
                _ => {
                    return Err(Error::Dump(format!("parse_tag_rrd: Unknown tag: {el}")));
                }
            }
            self.expect_end(&el)?;
        }
        // rrdtool stops reading here; libxml2 has usually parsed the rest
        // already and reports trailing garbage
        if self.r.read()?.kind != Kind::Eof {
            return Err(xml_err("Extra content at the end of the document"));
        }
        Ok(())
    }

    fn parse_ds(&mut self) -> Result<()> {
        if !self.rra.is_empty() {
            return Err(Error::Dump(
                "parse_tag_ds: All data source definitions MUST precede the RRA definitions!"
                    .into(),
            ));
        }
        self.ds.push(RawDs {
            name: String::new(),
            kind: None,
            par: Slots::zero(),
            last_ds: String::new(),
            unknown_sec: 0,
            value: 0.0,
        });
        let i = self.ds.len() - 1;
        loop {
            let el = self.element()?;
            match el.to_ascii_lowercase().as_str() {
                "name" => self.ds[i].name = self.string(20)?,
                "type" => {
                    let t = self.text()?;
                    let kind = DsKind::parse(&t).ok_or_else(|| {
                        Error::Dump(format!("parse_tag_ds_type: Unknown data source type: {t}"))
                    })?;
                    self.ds[i].kind = Some(kind);
                }
                "minimal_heartbeat" => {
                    let v = self.ulong()?;
                    self.ds[i].par.set(0, v);
                }
                "min" => {
                    let v = self.double()?;
                    self.ds[i].par.set(1, v.to_bits());
                }
                "max" => {
                    let v = self.double()?;
                    self.ds[i].par.set(2, v.to_bits());
                }
                "cdef" => {
                    let expr = self.text()?;
                    // names resolve against every DS so far, this one included
                    let ds = &self.ds;
                    let rpn = parse_cdef(&expr, |n| ds.iter().position(|d| d.name == n))?;
                    let end = CdefNode { op: OP_END, val: 0 };
                    let par = &mut self.ds[i].par.0;
                    for (k, n) in rpn.iter().chain([&end]).enumerate() {
                        par[4 * k] = n.op;
                        par[4 * k + 1] = 0;
                        par[4 * k + 2..4 * k + 4].copy_from_slice(&n.val.to_le_bytes());
                    }
                }
                "last_ds" => self.ds[i].last_ds = self.string(30)?,
                "value" => self.ds[i].value = self.double()?,
                "unknown_sec" => self.ds[i].unknown_sec = self.ulong()?,
                "/ds" => return Ok(()),
                _ => return Err(Error::Dump(format!("parse_tag_ds: Unknown tag: {el}"))),
            }
            self.expect_end(&el)?;
        }
    }

    fn parse_rra(&mut self) -> Result<()> {
        self.rra.push(RawRra {
            cf: None,
            pdp_cnt: 0,
            par: Slots::zero(),
            cdp: Vec::new(),
            rows: 0,
            databases: 0,
            line: self.line(),
        });
        let i = self.rra.len() - 1;
        loop {
            let el = self.element()?;
            let version = i64::from(strtol::atoi(&self.version));
            match el.to_ascii_lowercase().as_str() {
                "cf" => {
                    let s = self.string(20)?;
                    let cf = ConsolidationFn::parse(&s).ok_or_else(|| {
                        Error::Dump(format!(
                            "parse_tag_rra_cf: Unknown consolidation function: {s}"
                        ))
                    })?;
                    self.rra[i].cf = Some(cf);
                }
                "pdp_per_row" => self.rra[i].pdp_cnt = self.ulong()?,
                "xff" if version == 1 => {
                    let v = self.double()?;
                    self.rra[i].par.set(0, v.to_bits());
                }
                "params" if version >= 2 => {
                    self.parse_params(i)?;
                    continue;
                }
                "cdp_prep" => {
                    self.parse_cdp_prep(i)?;
                    continue;
                }
                "database" => {
                    self.parse_database(i)?;
                    continue;
                }
                "/rra" => return Ok(()),
                _ => {
                    return Err(Error::Dump(format!(
                        "line {}: parse_tag_rra: Unknown tag: {el}",
                        self.line()
                    )))
                }
            }
            self.expect_end(&el)?;
        }
    }

    fn parse_params(&mut self, i: usize) -> Result<()> {
        let mut any = false;
        loop {
            let el = self.element()?;
            let field = match el.to_ascii_lowercase().as_str() {
                "hw_alpha" | "seasonal_gamma" | "delta_pos" => Field::Val(1),
                "hw_beta" | "smoothing_window" | "delta_neg" => Field::Val(2),
                "dependent_rra_idx" => Field::Cnt(3),
                "seasonal_smooth_idx" | "window_len" => Field::Cnt(4),
                "failure_threshold" => Field::Cnt(5),
                "xff" => Field::Val(0),
                "value" => {
                    self.parse_params_1_0_49(i)?;
                    self.expect_end(&el)?;
                    any = true;
                    continue;
                }
                "/params" if any => return Ok(()),
                // rrdtool fails here without a message
                "/params" => {
                    return Err(Error::Dump(format!(
                        "line {}: parse_tag_rra_params: empty <params>",
                        self.line()
                    )))
                }
                _ => {
                    return Err(Error::Dump(format!(
                        "line {}: parse_tag_rra_params: Unknown tag: {el}",
                        self.line()
                    )))
                }
            };
            let mut par = self.rra[i].par;
            self.read_field(&mut par, field)?;
            self.rra[i].par = par;
            self.expect_end(&el)?;
            any = true;
        }
    }

    /// rrdtool's "compatibility code for 1.0.49": ten `<value>`s, the first
    /// one already open. (As in rrdtool, only odd documents get through.)
    fn parse_params_1_0_49(&mut self, i: usize) -> Result<()> {
        let mut par = self.rra[i].par;
        for k in 0..10 {
            let field = if matches!(k, 3..=5) {
                Field::Cnt(k)
            } else {
                Field::Val(k)
            };
            let r = self.read_field(&mut par, field);
            self.rra[i].par = par;
            r?;
            if k >= 1 {
                self.expect("/value")?;
                self.expect("value")?;
            }
        }
        Ok(())
    }

    fn parse_cdp_prep(&mut self, i: usize) -> Result<()> {
        self.rra[i].cdp.clear();
        for _ in 0..self.ds.len() {
            self.expect("ds")?;
            let cdp = self.parse_cdp_ds()?;
            self.rra[i].cdp.push(cdp);
        }
        self.expect("/cdp_prep")
    }

    fn parse_cdp_ds(&mut self) -> Result<Slots> {
        let mut s = Slots::zero();
        let mut any = false;
        loop {
            let el = self.element()?;
            let field = match el.to_ascii_lowercase().as_str() {
                "primary_value" => Field::Val(8),
                "secondary_value" => Field::Val(9),
                "intercept" | "seasonal" => Field::Val(2),
                "last_intercept" | "last_seasonal" => Field::Val(3),
                "slope" => Field::Val(4),
                "last_slope" => Field::Val(5),
                "nan_count" | "init_flag" => Field::Cnt(6),
                "last_nan_count" => Field::Cnt(7),
                "value" => Field::Val(0),
                "unknown_datapoints" => Field::Cnt(1),
                "history" => {
                    // one byte per digit from the start of the scratch area;
                    // rrdtool writes past the area for long strings, we stop
                    let h = self.text()?;
                    for (b, c) in s.0.iter_mut().zip(h.bytes()) {
                        *b = u8::from(c == b'1');
                    }
                    self.expect_end(&el)?;
                    any = true;
                    continue;
                }
                "/ds" if any => return Ok(s),
                // rrdtool fails here without a message
                "/ds" => {
                    return Err(Error::Dump(format!(
                        "line {}: parse_tag_rra_cdp_prep: empty <ds>",
                        self.line()
                    )))
                }
                _ => {
                    return Err(Error::Dump(format!(
                        "parse_tag_rra_cdp_prep: Unknown tag: {el}"
                    )))
                }
            };
            self.read_field(&mut s, field)?;
            self.expect_end(&el)?;
            any = true;
        }
    }

    fn parse_database(&mut self, i: usize) -> Result<()> {
        if self.rra[i].databases > 0 {
            // rrdtool corrupts its heap on this
            return Err(Error::Dump(format!(
                "line {}: parse_tag_rra: more than one <database>",
                self.line()
            )));
        }
        self.rra[i].databases += 1;
        loop {
            let el = self.element()?;
            if el.eq_ignore_ascii_case("row") {
                if self.range_check && self.bounds.len() != self.ds.len() {
                    self.bounds = self
                        .ds
                        .iter()
                        .map(|d| (d.par.val(1), d.par.val(2)))
                        .collect();
                }
                self.row.clear();
                for k in 0..self.ds.len() {
                    self.expect("v")?;
                    let mut v = self.double()?;
                    if let Some(&(min, max)) = self.bounds.get(k) {
                        if (!min.is_nan() && v < min) || (!max.is_nan() && v > max) {
                            v = DNAN;
                        }
                    }
                    self.row.push(v);
                    self.expect("/v")?;
                }
                self.expect("/row")?;
                (self.sink)(&self.row)?;
                self.rra[i].rows += 1;
            } else if el.eq_ignore_ascii_case("/database") {
                return Ok(());
            } else {
                return Err(Error::Dump(format!(
                    "line {}: found unexpected tag: {el}",
                    self.line()
                )));
            }
        }
    }

    /// Turns the raw definitions into a [`Header`], refusing what rrdtool
    /// would write but could not read back.
    fn finish(&mut self) -> Result<(Header, Vec<(f64, f64)>)> {
        let invalid = |m: String| Err(Error::Dump(m));
        let version = i64::from(strtol::atoi(&self.version));
        if version > 5 {
            return Err(Error::UnsupportedVersion {
                found: self.version.clone(),
            });
        }
        let version = version.max(3) as u8;
        if self.step == 0 {
            return invalid("step must be positive".into());
        }
        if self.ds.is_empty() {
            return invalid("you must define at least one Data Source".into());
        }
        if self.rra.is_empty() {
            return invalid("you must define at least one Round Robin Archive".into());
        }
        let mut ds = Vec::with_capacity(self.ds.len());
        let mut pdp = Vec::with_capacity(self.ds.len());
        let mut bounds = Vec::with_capacity(self.ds.len());
        for (i, d) in std::mem::take(&mut self.ds).into_iter().enumerate() {
            let Some(kind) = d.kind else {
                return invalid(format!("data source {i} ({}) has no <type>", d.name));
            };
            let params = if kind == DsKind::Compute {
                let nodes: Vec<CdefNode> = d
                    .par
                    .0
                    .chunks_exact(4)
                    .map(|c| CdefNode {
                        op: c[0],
                        val: i16::from_le_bytes([c[2], c[3]]),
                    })
                    .collect();
                let Some(end) = nodes.iter().position(|n| n.op == OP_END) else {
                    return invalid(format!(
                        "COMPUTE data source {i} ({}) has no <cdef>",
                        d.name
                    ));
                };
                DsParams::Compute {
                    rpn: nodes[..end].to_vec(),
                }
            } else {
                DsParams::Standard {
                    heartbeat: d.par.get(0),
                    min: d.par.val(1),
                    max: d.par.val(2),
                }
            };
            bounds.push((d.par.val(1), d.par.val(2)));
            ds.push(DataSource {
                name: d.name,
                kind,
                params,
            });
            pdp.push(PdpPrep {
                last_ds: d.last_ds,
                unknown_sec: d.unknown_sec,
                value: d.value,
            });
        }
        let mut rra = Vec::with_capacity(self.rra.len());
        let mut cdp = Vec::new();
        for (i, a) in std::mem::take(&mut self.rra).into_iter().enumerate() {
            let Some(cf) = a.cf else {
                return invalid(format!("line {}: archive {i} has no <cf>", a.line));
            };
            if a.pdp_cnt == 0 {
                return invalid(format!(
                    "line {}: archive {i} needs a positive <pdp_per_row>",
                    a.line
                ));
            }
            if a.rows == 0 {
                return invalid(format!("line {}: archive {i} has no rows", a.line));
            }
            let p = &a.par;
            let params = match cf {
                ConsolidationFn::Average
                | ConsolidationFn::Min
                | ConsolidationFn::Max
                | ConsolidationFn::Last => RraParams::Plain { xff: p.val(0) },
                ConsolidationFn::HwPredict | ConsolidationFn::MhwPredict => {
                    RraParams::HoltWinters {
                        alpha: p.val(1),
                        beta: p.val(2),
                        dependent_rra: p.get(3),
                        period: p.val(4),
                    }
                }
                ConsolidationFn::Seasonal | ConsolidationFn::DevSeasonal => RraParams::Seasonal {
                    gamma: p.val(1),
                    smoothing_window: p.val(2),
                    dependent_rra: p.get(3),
                    smooth_idx: p.get(4),
                },
                ConsolidationFn::DevPredict => RraParams::DevPredict {
                    dependent_rra: p.get(3),
                },
                ConsolidationFn::Failures => RraParams::Failures {
                    delta_pos: p.val(1),
                    delta_neg: p.val(2),
                    dependent_rra: p.get(3),
                    window_len: p.get(4),
                    threshold: p.get(5),
                },
            };
            for j in 0..ds.len() {
                let s = a.cdp.get(j).copied().unwrap_or_else(Slots::zero);
                let mut c = CdpPrep::default();
                for (k, u) in c.scratch.iter_mut().enumerate() {
                    *u = Unival(s.get(k));
                }
                cdp.push(c);
            }
            rra.push(RraDef {
                cf,
                rows: a.rows,
                pdp_cnt: a.pdp_cnt,
                params,
            });
        }
        let cur_row = rra.iter().map(|a| a.rows - 1).collect();
        let header = Header {
            version,
            step: self.step,
            ds,
            rra,
            last_up: self.last_up,
            last_up_usec: 0,
            pdp,
            cdp,
            cur_row,
        };
        Ok((header, bounds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{dump, DumpHeader};
    use crate::format::{encode_header, Layout};
    use crate::storage::OpenMode;
    use crate::Rrd;
    use std::path::PathBuf;
    use std::process::Command;

    fn data(name: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/restore")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// A scratch directory removed on drop.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let p =
                std::env::temp_dir().join(format!("rrd-restore-{}-{tag}-{n}", std::process::id()));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        fn path(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn our_dump(path: &Path) -> String {
        let rrd = Rrd::open(path, OpenMode::ReadOnly).unwrap();
        let mut out = Vec::new();
        dump(&rrd, &mut out, DumpHeader::Dtd, &jiff::tz::TimeZone::UTC).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// `input` through `parse_dump` + `write_file` and through `restore_file`
    /// (random `cur_row`) must both dump as `expected`.
    fn check(input: &str, expected: &str, opts: RestoreOptions) {
        let dir = TempDir::new("check");
        if !opts.range_check {
            let (h, d) = parse_dump(input).unwrap();
            let p = dir.path("parsed.rrd");
            crate::create::write_file(&p, &h, Some(&d), true, Follow::Through).unwrap();
            assert_eq!(our_dump(&p), expected, "parse_dump + write_file");
        }
        for k in 0..3 {
            let p = dir.path(&format!("restored{k}.rrd"));
            restore_file(input, &p, &opts).unwrap();
            assert_eq!(our_dump(&p), expected, "restore_file #{k}");
        }
    }

    const PLAIN: RestoreOptions = RestoreOptions {
        range_check: false,
        force_overwrite: false,
    };
    const RANGE: RestoreOptions = RestoreOptions {
        range_check: true,
        force_overwrite: false,
    };

    #[test]
    fn round_trips_rrdtool_dumps() {
        for name in [
            "basic.xml",
            "compute.xml",
            "hw.xml",
            "mhw.xml",
            "v5.xml",
            "tiny.xml",
            "range.xml",
        ] {
            let xml = data(name);
            check(&xml, &xml, PLAIN);
        }
    }

    #[test]
    fn old_versions_and_odd_input() {
        for name in ["v1", "v2", "quirks"] {
            check(
                &data(&format!("{name}.xml")),
                &data(&format!("{name}.expected.xml")),
                PLAIN,
            );
        }
    }

    #[test]
    fn range_check() {
        check(&data("range.xml"), &data("range.expected.xml"), RANGE);
        // COMPUTE: rrdtool compares with the packed expression's bytes
        check(
            &data("compute.xml"),
            &data("compute.range.expected.xml"),
            RANGE,
        );
    }

    #[test]
    fn versions_written() {
        let version = |name: &str| parse_dump(&data(name)).unwrap().0.version;
        assert_eq!(version("v1.xml"), 3);
        assert_eq!(version("v2.xml"), 3);
        assert_eq!(version("basic.xml"), 3);
        assert_eq!(version("mhw.xml"), 4);
        assert_eq!(version("v5.xml"), 5);
        let xml = data("tiny.xml").replace("<version>0003</version>", "<version>0006</version>");
        assert_eq!(
            parse_dump(&xml).unwrap_err().to_string(),
            "can't handle RRD file version 0006"
        );
    }

    #[test]
    fn header_details() {
        let (h, d) = parse_dump(&data("hw.xml")).unwrap();
        // the seasonal period is not in the dump: rrdtool leaves it 0
        assert!(matches!(
            h.rra[1].params,
            RraParams::HoltWinters { period, dependent_rra: 2, .. } if period == 0.0
        ));
        assert_eq!(h.last_up_usec, 0);
        // physical order is time order, the newest row last
        assert_eq!(
            h.cur_row,
            h.rra.iter().map(|a| a.rows - 1).collect::<Vec<_>>()
        );
        assert_eq!(d.len() as u64, h.total_rows() * 2);
        // a COMPUTE DS without a type-specific element list still gets its rpn
        let (h, _) = parse_dump(&data("compute.xml")).unwrap();
        assert_eq!(
            h.ds[2].params,
            DsParams::Compute {
                rpn: vec![
                    CdefNode { op: 1, val: 0 },
                    CdefNode { op: 1, val: 1 },
                    CdefNode { op: 8, val: 0 },
                    CdefNode { op: 0, val: 2 },
                    CdefNode { op: 12, val: 0 },
                ]
            }
        );
    }

    #[test]
    fn cdef_over_gauge_overwrites_its_parameters() {
        // rrdtool copies the packed expression over heartbeat/min/max
        let xml = data("tiny.xml").replace(
            "<minimal_heartbeat>600</minimal_heartbeat>",
            "<cdef>g,1,+</cdef>",
        );
        let (h, _) = parse_dump(&xml).unwrap();
        assert!(matches!(
            h.ds[0].params,
            DsParams::Standard {
                heartbeat: 281_474_976_710_657,
                ..
            }
        ));
    }

    #[test]
    fn no_overwrite_without_force() {
        let dir = TempDir::new("exists");
        let p = dir.path("a.rrd");
        let xml = data("tiny.xml");
        restore_file(&xml, &p, &PLAIN).unwrap();
        assert_eq!(
            restore_file(&xml, &p, &PLAIN).unwrap_err().to_string(),
            format!("creating '{}': File exists", p.display())
        );
        let force = RestoreOptions {
            force_overwrite: true,
            ..PLAIN
        };
        restore_file(&xml, &p, &force).unwrap();
        assert_eq!(our_dump(&p), xml);
    }

    #[test]
    fn cdef_parsing() {
        let names = ["a", "b", "2"];
        let parse = |e: &str| {
            parse_cdef(e, |n| names.iter().position(|&x| x == n))
                .map(|v| v.iter().map(|n| (n.op, n.val)).collect::<Vec<_>>())
                .map_err(|e| e.to_string())
        };
        let failed = Err("failed to parse computed data source".to_string());
        assert_eq!(parse("a,b,+"), Ok(vec![(1, 0), (1, 1), (8, 0)]));
        assert_eq!(parse("a,1,+,"), Ok(vec![(1, 0), (0, 1), (8, 0)]));
        assert_eq!(parse("a,1e,+"), Ok(vec![(1, 0), (0, 1), (8, 0)]));
        assert_eq!(
            parse("a,+5,-,-3,*"),
            Ok(vec![(1, 0), (0, 5), (10, 0), (0, -3), (11, 0)])
        );
        assert_eq!(parse("a,2.0,+"), Ok(vec![(1, 0), (0, 2), (8, 0)]));
        assert_eq!(parse("PREV(b),a,+"), Ok(vec![(36, 1), (1, 0), (8, 0)]));
        assert_eq!(parse("-"), Ok(vec![(10, 0)]));
        // a number must be followed by a comma; "2" is then a name
        assert_eq!(parse("a,2"), Ok(vec![(1, 0), (1, 2)]));
        for bad in [
            "", "a,,+", ",a", "a,1,+,,", "a,.,+", "a,0x10,+", "a-b", "c", "PREV(c)", "PREV(a)x",
            "PREV(a", "a,%%,+", "a,max",
        ] {
            assert_eq!(parse(bad), failed, "{bad:?}");
        }
        let forty = format!("a,{}1,+", "0".repeat(39));
        assert_eq!(parse(&forty), Ok(vec![(1, 0), (0, 1), (8, 0)]));
        let forty_one = format!("a,{}1,+", "0".repeat(40));
        assert_eq!(parse(&forty_one), failed);
        assert_eq!(
            parse("a,2.5,+"),
            Err("constants must be integers in the interval (-32768, 32767)".into())
        );
        assert_eq!(parse("a,-32768,+,32767,+").map(|v| v.len()), Ok(5));
        assert!(parse("a,40000,+").unwrap_err().starts_with("constants"));
        for op in [
            "TIME",
            "LTIME",
            "STEPWIDTH",
            "PREV",
            "NEWDAY",
            "COUNT",
            "TREND",
            "PREDICTPERC",
        ] {
            assert!(
                parse(&format!("a,{op},+"))
                    .unwrap_err()
                    .starts_with("operators TIME LTIME"),
                "{op}"
            );
        }
        let long = format!("a{}", ",1,+".repeat(10));
        assert_eq!(
            parse(&long),
            Err("Maximum 19 RPN nodes permitted. Got 21 RPN nodes at present.".into())
        );
        assert_eq!(
            parse(&format!("a{}", ",1,+".repeat(9))).map(|v| v.len()),
            Ok(19)
        );
    }

    /// `line 12`/`ling 12` -> `line N`: rrdtool prints libxml2's read-ahead
    /// position, we print the node's own line.
    fn normalize(msg: &str) -> String {
        let mut out = String::new();
        let mut rest = msg;
        while let Some(i) = rest.find("lin") {
            let (head, tail) = rest.split_at(i);
            out.push_str(head);
            if tail.starts_with("line ") || tail.starts_with("ling ") {
                out.push_str(&tail[..5]);
                let digits = tail[5..].bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0 {
                    out.push('N');
                }
                rest = &tail[5 + digits..];
            } else {
                out.push_str(&tail[..3]);
                rest = &tail[3..];
            }
        }
        out.push_str(rest);
        out
    }

    fn have_rrdtool() -> bool {
        static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ONCE.get_or_init(|| {
            let ok = Command::new("rrdtool")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok {
                eprintln!("rrdtool not on PATH: skipping the differential restore tests");
            }
            ok
        })
    }

    /// rrdtool's error for `xml`, if it reports one.
    fn rrdtool_error(xml: &str, dir: &TempDir) -> Option<String> {
        let src = dir.path("in.xml");
        std::fs::write(&src, xml).unwrap();
        let out = Command::new("rrdtool")
            .arg("restore")
            .arg("-f")
            .arg(&src)
            .arg(dir.path("out.rrd"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        stderr
            .lines()
            .find_map(|l| l.strip_prefix("ERROR: "))
            .map(str::to_string)
    }

    /// Where rrdtool's answer comes from.
    #[derive(Clone, Copy, PartialEq)]
    enum Source {
        /// rrdtool prints the same message.
        Rrdtool,
        /// rrdtool crashes, fails silently or writes a file it cannot read.
        Ours,
    }
    use Source::*;

    fn check_errors(base: &str, cases: &[(&str, &str, Source, &str)]) {
        let dir = TempDir::new("errors");
        let mut mismatches = Vec::new();
        for &(from, to, source, expected) in cases {
            assert!(
                from.is_empty() || base.contains(from),
                "{from:?} not in base"
            );
            let xml = if from.is_empty() {
                to.to_string()
            } else {
                base.replacen(from, to, 1)
            };
            let got = parse_dump(&xml)
                .err()
                .unwrap_or_else(|| panic!("{from:?} -> {to:?} parsed"))
                .to_string();
            if normalize(&got) != expected {
                mismatches.push(format!("{from:?} -> {to:?}: we say {got:?}"));
            }
            assert!(restore_file(&xml, &dir.path("x.rrd"), &PLAIN).is_err());
            assert!(!dir.path("x.rrd").exists());
            if source == Rrdtool && have_rrdtool() {
                let theirs = rrdtool_error(&xml, &dir).map(|m| normalize(&m));
                if theirs.as_deref() != Some(expected) {
                    mismatches.push(format!("{from:?} -> {to:?}: rrdtool says {theirs:?}"));
                }
            }
        }
        assert!(mismatches.is_empty(), "{mismatches:#?}");
    }

    const ROW0: &str = "<row><v>2.0333333333e+01</v><v>3.3333333333e+00</v></row>";
    const STEP: &str = "<step>300</step>";

    #[test]
    fn errors() {
        let base = data("tiny.xml");
        #[rustfmt::skip]
        let cases: &[(&str, &str, Source, &str)] = &[
            // rows
            (ROW0, "<row><v>1</v></row>", Rrdtool, "line N: expected </row> element but found <v>"),
            (ROW0, "<row><v>1</v><v>2</v><v>3</v></row>", Rrdtool, "line N: expected <v> element but found </row>"),
            (ROW0, "<row><v/><v>2</v></row>", Rrdtool, "line N: expected a value but found a <v> element"),
            (ROW0, "<row><v></v><v>2</v></row>", Rrdtool, "ling N: get_xml_double from '' Numerical result out of range"),
            (ROW0, "<row><v>abc</v><v>2</v></row>", Rrdtool, "ling N: get_xml_double from 'abc' Numerical result out of range"),
            (ROW0, "<row><v>1x</v><v>2</v></row>", Rrdtool, "ling N: get_xml_double from '1x' Success"),
            (ROW0, "<row><v>1e9999</v><v>2</v></row>", Rrdtool, "ling N: get_xml_double from '1e9999' Numerical result out of range"),
            (ROW0, "<row><t>1</t><v>2</v></row>", Rrdtool, "line N: expected <t> element but found <v>"),
            ("<database>", "<database><foo/>", Ours, "line N: found unexpected tag: foo"),
            // numbers and strings
            ("<unknown_sec> 0 </unknown_sec>", "<unknown_sec> 99999999999999999999 </unknown_sec>", Rrdtool, "ling N: get_xml_ulong from '99999999999999999999' Numerical result out of range"),
            ("<lastupdate>1000003600</lastupdate>", "<lastupdate>99999999999999999999</lastupdate>", Rrdtool, "ling N: get_xml_time_t from '99999999999999999999' Numerical result out of range"),
            ("<version>0003</version>", "<version>00003</version>", Rrdtool, "'00003' is longer than 5"),
            ("<name> g </name>", "<name> abcdefghijabcdefghij </name>", Rrdtool, "'abcdefghijabcdefghij' is longer than 20"),
            ("<last_ds>34</last_ds>", "<last_ds>123456789012345678901234567890</last_ds>", Rrdtool, "'123456789012345678901234567890' is longer than 30"),
            ("<cf>AVERAGE</cf>", "<cf>average</cf>", Rrdtool, "parse_tag_rra_cf: Unknown consolidation function: average"),
            ("<type> GAUGE </type>", "<type> gauge </type>", Rrdtool, "parse_tag_ds_type: Unknown data source type: gauge"),
            ("<xff>5.0000000000e-01</xff>", "<xff>abc</xff>", Rrdtool, "ling N: get_xml_double from 'abc' Numerical result out of range"),
            // structure
            ("<version>0003</version>", "<version>0001</version>", Rrdtool, "line N: parse_tag_rra: Unknown tag: params"),
            ("<version>0003</version>", "", Rrdtool, "line N: parse_tag_rra: Unknown tag: params"),
            ("<last_ds>34</last_ds>", "<last_ds>34</last_ds><foo>1</foo>", Rrdtool, "parse_tag_ds: Unknown tag: foo"),
            ("<xff>5.0000000000e-01</xff>", "<foo></foo>", Rrdtool, "line N: parse_tag_rra_params: Unknown tag: foo"),
            ("<xff>5.0000000000e-01</xff>", "<value>0.5</value>", Rrdtool, "ling N: get_xml_double from '' Numerical result out of range"),
            ("<primary_value>3.1666666667e+01</primary_value>", "<foo>1</foo>", Rrdtool, "parse_tag_rra_cdp_prep: Unknown tag: foo"),
            ("\t\t\t<ds>\n\t\t\t<primary_value>3.3333333333e+00</primary_value>\n\t\t\t<secondary_value>0.0000000000e+00</secondary_value>\n\t\t\t<value>NaN</value>\n\t\t\t<unknown_datapoints>0</unknown_datapoints>\n\t\t\t</ds>\n", "", Rrdtool, "line N: expected </cdp_prep> element but found <ds>"),
            ("<params>\n\t\t<xff>5.0000000000e-01</xff>\n\t\t</params>", "<xff>0.5</xff>", Rrdtool, "line N: parse_tag_rra: Unknown tag: xff"),
            ("</rrd>", "<ds><name>x</name></ds></rrd>", Rrdtool, "parse_tag_ds: All data source definitions MUST precede the RRA definitions!"),
            (STEP, "<step>300</step><foo>1</foo>", Rrdtool, "parse_tag_rrd: Unknown tag: foo"),
            (STEP, "<step/>", Rrdtool, "line N: expected a value but found a <lastupdate> element"),
            (STEP, "<step>30<!--x-->0</step>", Rrdtool, "line N: expected element but found text '0'"),
            (STEP, "<step>300</step>junk", Rrdtool, "line N: expected element but found text 'junk '"),
            ("<rrd>", "<foo></foo><rrd>", Rrdtool, "error reading/parsing XML: Extra content at the end of the document "),
            // references
            (STEP, "<step>3&#0;0</step>", Rrdtool, "error reading/parsing XML: xmlParseCharRef: invalid xmlChar value 0 "),
            (STEP, "<step>3&#1;0</step>", Rrdtool, "error reading/parsing XML: xmlParseCharRef: invalid xmlChar value 1 "),
            (STEP, "<step>3&#99999999;0</step>", Rrdtool, "error reading/parsing XML: xmlParseCharRef: character reference out of bounds "),
            // (rrdtool's reader recovers from these and reports something odd later)
            (STEP, "<step>3&0</step>", Ours, "error reading/parsing XML: xmlParseEntityRef: no name "),
            (STEP, "<step>3&amp0</step>", Ours, "error reading/parsing XML: EntityRef: expecting ';' "),
            (STEP, "<step>3&foo;0</step>", Ours, "error reading/parsing XML: Entity 'foo' not defined "),
            // malformed XML
            (STEP, "<step>300</stp>", Rrdtool, "error reading/parsing XML: Opening and ending tag mismatch: step line N and stp "),
            (STEP, "<STEP>300</Step>", Rrdtool, "error reading/parsing XML: Opening and ending tag mismatch: STEP line N and Step "),
            (STEP, "<step>3<0</step>", Rrdtool, "error reading/parsing XML: StartTag: invalid element name "),
            (STEP, "<step a=1>300</step>", Rrdtool, "error reading/parsing XML: Couldn't find end of Start Tag step "),
            (STEP, "<step a='1' a=\"2\">300</step>", Rrdtool, "error reading/parsing XML: Attribute a redefined "),
            ("", "", Rrdtool, "error reading/parsing XML: Extra content at the end of the document "),
            ("", " \n ", Rrdtool, "error reading/parsing XML: Extra content at the end of the document "),
            ("", "hello<rrd></rrd>", Rrdtool, "error reading/parsing XML: Document is empty "),
            ("", "<foo></foo>", Rrdtool, "line N: expected <foo> element but found <rrd>"),
            ("", "<rrd/>", Rrdtool, "the xml ended while we were looking for an element"),
            ("", "<rrd><!-- x", Rrdtool, "error reading/parsing XML: Comment not terminated "),
            ("", "<rrd>", Rrdtool, "error reading/parsing XML: Extra content at the end of the document "),
            ("", "<rrd a=1></rrd>", Rrdtool, "error reading/parsing XML: Couldn't find end of Start Tag rrd "),
            ("</rrd>", "</rrd>x", Ours, "error reading/parsing XML: Extra content at the end of the document "),
            ("</rrd>", "</rrd><rrd/>", Ours, "error reading/parsing XML: Extra content at the end of the document "),
            ("</rrd>", "", Ours, "error reading/parsing XML: Extra content at the end of the document "),
            (STEP, "<step>3\u{1}00</step>", Rrdtool, "error reading/parsing XML: PCDATA invalid Char value 1 "),
            (STEP, "<step>300</step><!-- \u{1} -->", Ours, "error reading/parsing XML: Char 0x1 out of allowed range "),
            (STEP, "<step><![CDATA[300</step>", Ours, "error reading/parsing XML: CData section not finished "),
            (STEP, "<step>300</step><?pi", Ours, "error reading/parsing XML: ParsePI: PI pi never end ... "),
            // what rrdtool writes although it cannot read it back, or crashes on
            ("", "<rrd></rrd>", Ours, "step must be positive"),
            (STEP, "<step>abc</step>", Ours, "step must be positive"),
            (STEP, "<step><![CDATA[300]]></step>", Ours, "step must be positive"),
            ("<version>0003</version>", "<version>0006</version>", Ours, "can't handle RRD file version 0006"),
            ("<type> GAUGE </type>", "", Ours, "data source 0 (g) has no <type>"),
            ("<type> GAUGE </type>", "<type> COMPUTE </type>", Ours, "COMPUTE data source 0 (g) has no <cdef>"),
            ("<cf>AVERAGE</cf>", "", Ours, "line N: archive 0 has no <cf>"),
            ("<pdp_per_row>1</pdp_per_row>", "", Ours, "line N: archive 0 needs a positive <pdp_per_row>"),
            ("<database>", "<database></database><foo/><database>", Ours, "line N: parse_tag_rra: Unknown tag: foo"),
            (STEP, "<step>300</step><foo/>", Rrdtool, "parse_tag_rrd: Unknown tag: foo"),
            ("</database>\n\t</rra>", "</database><database></database>\n\t</rra>", Ours, "line N: parse_tag_rra: more than one <database>"),
            ("<params>\n\t\t<xff>5.0000000000e-01</xff>\n\t\t</params>", "<params></params>", Ours, "line N: parse_tag_rra_params: empty <params>"),
            ("<ds>\n\t\t\t<primary_value>3.1666666667e+01</primary_value>\n\t\t\t<secondary_value>0.0000000000e+00</secondary_value>\n\t\t\t<value>NaN</value>\n\t\t\t<unknown_datapoints>0</unknown_datapoints>\n\t\t\t</ds>", "<ds></ds>", Ours, "line N: parse_tag_rra_cdp_prep: empty <ds>"),
        ];
        check_errors(&base, cases);
        // archives without rows: rrdtool divides by zero
        let no_rows = {
            let start = base.find("<database>").unwrap();
            let end = base.find("</database>").unwrap();
            format!("{}<database>{}", &base[..start], &base[end..])
        };
        assert_eq!(
            normalize(&parse_dump(&no_rows).unwrap_err().to_string()),
            "line N: archive 0 has no rows"
        );
    }

    #[test]
    fn cdef_errors() {
        let base = data("compute.xml");
        let cdef = "<cdef> a,b,+,2,/ </cdef>";
        #[rustfmt::skip]
        let cases: &[(&str, &str, Source, &str)] = &[
            (cdef, "<cdef> t,1,+ </cdef>", Rrdtool, "failed to parse computed data source"),
            (cdef, "<cdef> a,2 </cdef>", Rrdtool, "failed to parse computed data source"),
            (cdef, "<cdef></cdef>", Rrdtool, "failed to parse computed data source"),
            (cdef, "<cdef> a,2.5,+ </cdef>", Rrdtool, "constants must be integers in the interval (-32768, 32767)"),
            (cdef, "<cdef> a,TIME,+ </cdef>", Rrdtool, "operators TIME LTIME STEPWIDTH PREV NEW* COUNT TREND TRENDNAN PREDICT PREDICTSIGMA PREDICTPERC are not supported with DS COMPUTE"),
            (cdef, "<cdef> a,1,+,1,+,1,+,1,+,1,+,1,+,1,+,1,+,1,+,1,+ </cdef>", Rrdtool, "Maximum 19 RPN nodes permitted. Got 21 RPN nodes at present."),
        ];
        check_errors(&base, cases);
        // names resolve against earlier data sources and the one being defined
        let xml = base.replacen(cdef, "<cdef> s,1,+,a,</cdef>", 1);
        let (h, _) = parse_dump(&xml).unwrap();
        assert_eq!(
            h.ds[2].params,
            DsParams::Compute {
                rpn: vec![
                    CdefNode { op: 1, val: 2 },
                    CdefNode { op: 0, val: 1 },
                    CdefNode { op: 8, val: 0 },
                    CdefNode { op: 1, val: 0 },
                ]
            }
        );
    }

    /// Cutting the document anywhere or replacing any byte never panics; a
    /// document cut before its end is always refused.
    /// Reads of a few bytes at a time: every node is cut somewhere by the
    /// end of the window, which must change nothing.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.step = self.step % 7 + 1;
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn parse_trickled(bytes: &[u8]) -> Result<(Header, Vec<f64>)> {
        let mut data = Vec::new();
        let input = Trickle { bytes, step: 0 };
        let (h, _) = parse(input, false, &mut |row| {
            data.extend_from_slice(row);
            Ok(())
        })?;
        Ok((h, data))
    }

    fn same(a: &Result<(Header, Vec<f64>)>, b: &Result<(Header, Vec<f64>)>) -> bool {
        match (a, b) {
            (Ok((h1, d1)), Ok((h2, d2))) => {
                format!("{h1:?}") == format!("{h2:?}")
                    && d1.iter().zip(d2).all(|(x, y)| x.to_bits() == y.to_bits())
                    && d1.len() == d2.len()
            }
            (Err(e1), Err(e2)) => e1.to_string() == e2.to_string(),
            _ => false,
        }
    }

    #[test]
    fn input_cut_anywhere_parses_the_same() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/restore");
        let mut files = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "xml") {
                let bytes = std::fs::read(&p).unwrap();
                let text = String::from_utf8(bytes.clone()).unwrap();
                assert!(
                    same(&parse_dump(&text), &parse_trickled(&bytes)),
                    "{}",
                    p.display()
                );
                files += 1;
            }
        }
        assert!(files >= 8);
        // and the broken variants of a small dump
        let xml = data("tiny.xml");
        let mut bytes = xml.clone().into_bytes();
        let mut compared = 0;
        for i in (0..bytes.len()).step_by(5) {
            let old = bytes[i];
            for b in [b'<', b'>', b'&', b'/', b'-', b'!'] {
                bytes[i] = b;
                let s = std::str::from_utf8(&bytes).unwrap();
                let (a, t) = (parse_dump(s), parse_trickled(&bytes));
                assert!(same(&a, &t), "byte {i} = {:?}: {a:?} vs {t:?}", b as char);
                compared += 1;
            }
            bytes[i] = old;
        }
        assert!(compared > 300, "{compared}");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_as_libxml2_does() {
        let xml = data("tiny.xml").replacen("<name>", "<name>a\u{7f}", 0);
        let mut bytes = xml.into_bytes();
        let at = bytes.windows(6).position(|w| w == b"<name>").unwrap() + 7;
        bytes[at] = 0xff;
        let e = parse(&bytes[..], false, &mut |_| Ok(())).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("error reading/parsing XML: Input is not proper UTF-8, indicate encoding ! Bytes: 0xFF"),
            "{e}"
        );
        let e = parse_trickled(&bytes).unwrap_err();
        assert!(e.to_string().contains("Input is not proper UTF-8"), "{e}");
    }

    #[test]
    fn corruption_never_panics() {
        let xml = data("tiny.xml");
        let end = xml.trim_end().len();
        for cut in 0..xml.len() {
            let r = parse_dump(&xml[..cut]);
            assert_eq!(r.is_err(), cut < end, "cut at {cut}");
        }
        let mut bytes = xml.clone().into_bytes();
        for i in 0..bytes.len() {
            let old = bytes[i];
            for b in [
                b'<', b'>', b'&', b'/', b'x', b'0', b' ', b'"', b'-', b'!', b'?', b'[',
            ] {
                bytes[i] = b;
                let s = std::str::from_utf8(&bytes).unwrap();
                let _ = parse_dump(s);
            }
            bytes[i] = old;
        }
        let huge_rows = format!(
            "<rrd><version>3</version><step>1</step><ds><name>a</name><type>GAUGE</type>\
             </ds><rra><cf>AVERAGE</cf><pdp_per_row>18446744073709551615</pdp_per_row>\
             <database>{}</database></rra></rrd>",
            "<row><v>1</v></row>".repeat(3)
        );
        assert!(parse_dump(&huge_rows).is_ok());
        // deep nesting is only a stack of names, never recursion
        let deep = format!("<rrd>{}", "<a>".repeat(100_000));
        assert!(parse_dump(&deep).is_err());
    }

    /// rrdtool's own restore of every input decodes to the same header
    /// (up to `cur_row`) and rows as ours.
    #[test]
    fn differential_against_rrdtool() {
        if !have_rrdtool() {
            return;
        }
        let dir = TempDir::new("diff");
        for (name, opts) in [
            ("basic.xml", PLAIN),
            ("compute.xml", PLAIN),
            ("compute.xml", RANGE),
            ("hw.xml", PLAIN),
            ("mhw.xml", PLAIN),
            ("v5.xml", PLAIN),
            ("v1.xml", PLAIN),
            ("v2.xml", PLAIN),
            ("quirks.xml", PLAIN),
            ("range.xml", RANGE),
        ] {
            let src = dir.path(name);
            std::fs::write(&src, data(name)).unwrap();
            let theirs = dir.path("theirs.rrd");
            let mut cmd = Command::new("rrdtool");
            cmd.arg("restore").arg("-f");
            if opts.range_check {
                cmd.arg("-r");
            }
            let st = cmd.arg(&src).arg(&theirs).status().unwrap();
            assert!(st.success(), "rrdtool restore {name}");
            let ours = dir.path("ours.rrd");
            let force = RestoreOptions {
                force_overwrite: true,
                ..opts
            };
            restore_file(&data(name), &ours, &force).unwrap();
            let a = Rrd::open(&theirs, OpenMode::ReadOnly).unwrap();
            let b = Rrd::open(&ours, OpenMode::ReadOnly).unwrap();
            let norm = |r: &Rrd| {
                let mut h = r.header().clone();
                h.cur_row.iter_mut().for_each(|c| *c = 0);
                encode_header(&h, Layout::NATIVE)
            };
            assert_eq!(norm(&a), norm(&b), "{name}: header");
            for i in 0..a.header().rra.len() {
                let rows = |r: &Rrd| -> Vec<(i64, Vec<u64>)> {
                    r.rows(i)
                        .unwrap()
                        .map(|x| {
                            let (t, v) = x.unwrap();
                            (t, v.iter().map(|f| f.to_bits()).collect())
                        })
                        .collect()
                };
                assert_eq!(rows(&a), rows(&b), "{name}: rra {i}");
            }
        }
    }
}
