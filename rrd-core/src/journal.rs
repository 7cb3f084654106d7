//! The redo journal that makes updates crash-consistent.
//!
//! rrdtool's format has no room for a journal, but rrdtool (and rrd-core)
//! only ever read a file up to the end of its last archive and accept files
//! that are longer. A writer of rrd-core therefore keeps its journal in a
//! tail after the archives (docs/format.md, "The journal tail"): before it
//! touches rows or header it writes there every byte range the commit will
//! write. A commit is then carried out in an order that never shows a value
//! at a wrong time to a reader that does not know the journal (rrdtool):
//!
//! 1. the journal record, marked pending;
//! 2. the rows about to be written, overwritten with unknowns;
//! 3. the live header (last update, PDP and CDP state, row pointers);
//! 4. the rows;
//! 5. the record's state, marked done.
//!
//! A process killed anywhere in between leaves a pending record whose
//! `pre` or `post` hash equals the header on disk; the next rrd-core writer
//! replays it (in the same order), and the next rrd-core reader overlays it,
//! so both see the file exactly as after the commit. A record whose hashes
//! match neither (another program wrote the file since) is stale and never
//! applied; a torn record fails its checksums.
//!
//! Everything here is little-endian, whatever the layout of the file.

use std::ops::Range;

/// The record's first eight bytes.
pub(crate) const MAGIC: [u8; 8] = *b"RRDJRNL1";
/// Bytes of the record head: magic, state, body length, pre, post, body
/// hash, head hash.
pub(crate) const HEAD: usize = 56;
/// Offset of the state field within the head.
pub(crate) const STATE_AT: u64 = 8;
/// The state of a record whose commit completed. Any other value (a
/// pending record is written with 0) means it may not have.
pub(crate) const DONE: u64 = u64::from_le_bytes(*b"JRNLDONE");
/// Bytes of an entry before its data: offset, data length, repeat count.
const ENTRY_HEAD: usize = 24;
/// Granularity of the tail's size.
pub(crate) const TAIL_UNIT: u64 = 4096;

/// Where the journal of a file whose archives end at `data_end` begins:
/// the next multiple of 8, so that the state field never straddles a page.
pub(crate) fn offset(data_end: u64) -> u64 {
    data_end.div_ceil(8) * 8
}

/// A 64-bit hash of `bytes` (not cryptographic: it tells states apart and
/// catches torn writes).
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    const K1: u64 = 0x9E37_79B9_7F4A_7C15;
    const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;
    let mut h = (bytes.len() as u64).wrapping_mul(K2) ^ 0x5851_F42D_4C95_7F2D;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h ^ w.wrapping_mul(K1)).rotate_left(29).wrapping_mul(K2);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(last).wrapping_mul(K1))
            .rotate_left(29)
            .wrapping_mul(K2);
    }
    h ^= h >> 32;
    h = h.wrapping_mul(K1);
    h ^ (h >> 29)
}

/// The state a header is in: a hash of its static part (definitions) and of
/// its live part.
pub(crate) fn state(static_hash: u64, live: &[u8]) -> u64 {
    let mut both = [0u8; 16];
    both[..8].copy_from_slice(&static_hash.to_le_bytes());
    both[8..].copy_from_slice(&hash(live).to_le_bytes());
    hash(&both)
}

/// One byte range a commit writes: `count` copies of `data` from `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// File offset of the first copy.
    pub offset: u64,
    /// Where the data lies in the record's body.
    pub data: Range<usize>,
    /// Number of consecutive copies (at least 1).
    pub count: u64,
}

impl Entry {
    /// Bytes covered in the file.
    pub fn len(&self) -> u64 {
        (self.data.len() as u64).saturating_mul(self.count)
    }
    /// The file range covered.
    pub fn range(&self) -> Range<u64> {
        self.offset..self.offset.saturating_add(self.len())
    }
}

/// Builds a record in a reusable buffer.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    buf: Vec<u8>,
    entries: Vec<Entry>,
}

impl Builder {
    /// Starts a new record for a header whose static part hashes to
    /// `static_hash` and whose live part, as on disk before the commit,
    /// hashes to `pre_chunks` page by page (see [`chunks`]).
    pub fn start(&mut self, static_hash: u64, pre_chunks: impl ExactSizeIterator<Item = u64>) {
        self.buf.clear();
        self.buf.resize(HEAD, 0);
        self.buf.extend_from_slice(&static_hash.to_le_bytes());
        self.buf
            .extend_from_slice(&(pre_chunks.len() as u64).to_le_bytes());
        for h in pre_chunks {
            self.buf.extend_from_slice(&h.to_le_bytes());
        }
        self.entries.clear();
    }
    /// Adds `count` copies of `data` at `offset`; `data` is non-empty and
    /// `count` at least 1.
    pub fn push(&mut self, offset: u64, data: &[u8], count: u64) {
        debug_assert!(!data.is_empty() && count > 0);
        self.buf.extend_from_slice(&offset.to_le_bytes());
        self.buf
            .extend_from_slice(&(data.len() as u64).to_le_bytes());
        self.buf.extend_from_slice(&count.to_le_bytes());
        let start = self.buf.len();
        self.buf.extend_from_slice(data);
        self.entries.push(Entry {
            offset,
            data: start - HEAD..self.buf.len() - HEAD,
            count,
        });
    }
    /// Seals the record (state pending) and returns its bytes.
    pub fn finish(&mut self, pre: u64, post: u64) -> &[u8] {
        let body_len = (self.buf.len() - HEAD) as u64;
        let body_hash = hash(&self.buf[HEAD..]);
        let mut head = [0u8; HEAD];
        head[..8].copy_from_slice(&MAGIC);
        // state 0: pending
        head[16..24].copy_from_slice(&body_len.to_le_bytes());
        head[24..32].copy_from_slice(&pre.to_le_bytes());
        head[32..40].copy_from_slice(&post.to_le_bytes());
        head[40..48].copy_from_slice(&body_hash.to_le_bytes());
        let head_hash = hash(&head[16..48]);
        head[48..56].copy_from_slice(&head_hash.to_le_bytes());
        self.buf[..HEAD].copy_from_slice(&head);
        &self.buf
    }
    /// The last record built, whole.
    pub fn record(&self) -> &[u8] {
        &self.buf
    }
    /// The body of the last record built.
    pub fn body(&self) -> &[u8] {
        &self.buf[HEAD..]
    }
    /// The entries of the last record built; their data ranges index
    /// [`Builder::body`].
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// A record's head, as read from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// Whether the commit completed.
    pub done: bool,
    /// Length of the body that follows the head.
    pub body_len: u64,
    /// Header state before the commit.
    pub pre: u64,
    /// Header state after it.
    pub post: u64,
    body_hash: u64,
}

/// Decodes a head; `None` unless it is an intact record head.
pub(crate) fn parse_head(b: &[u8; HEAD]) -> Option<Head> {
    if b[..8] != MAGIC {
        return None;
    }
    let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    if hash(&b[16..48]) != word(48) {
        return None;
    }
    Some(Head {
        done: word(8) == DONE,
        body_len: word(16),
        pre: word(24),
        post: word(32),
        body_hash: word(40),
    })
}

/// The parts of a record's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Body {
    /// Hash of the header's static part.
    pub static_hash: u64,
    /// Hashes of the live part before the commit, page by page.
    pub pre_chunks: Vec<u64>,
    /// What the commit writes, in order.
    pub entries: Vec<Entry>,
}

/// The live part `start..end` of a header split where pages begin: the
/// pieces that a write killed half-way leaves either old or new.
pub(crate) fn chunks(start: u64, end: u64) -> Vec<Range<u64>> {
    let first_page = start / TAIL_UNIT;
    let pages = if end > start {
        (end - 1) / TAIL_UNIT - first_page + 1
    } else {
        0
    };
    (0..pages)
        .map(move |p| {
            let page = (first_page + p) * TAIL_UNIT;
            page.max(start)..(page + TAIL_UNIT).min(end)
        })
        .collect()
}

/// Decodes a body; `None` unless it is intact and every entry writes
/// inside `0..limit`.
pub(crate) fn parse_body(head: &Head, body: &[u8], limit: u64) -> Option<Body> {
    if body.len() as u64 != head.body_len || hash(body) != head.body_hash {
        return None;
    }
    let word = |i: usize| -> Option<u64> {
        Some(u64::from_le_bytes(
            body.get(i..i.checked_add(8)?)?.try_into().ok()?,
        ))
    };
    let static_hash = word(0)?;
    let n = usize::try_from(word(8)?).ok()?;
    let mut at = n.checked_mul(8)?.checked_add(16)?;
    if at > body.len() {
        return None;
    }
    let pre_chunks = (0..n)
        .map(|i| word(16 + 8 * i))
        .collect::<Option<Vec<u64>>>()?;
    let mut entries = Vec::new();
    while at < body.len() {
        let h = body.get(at..at.checked_add(ENTRY_HEAD)?)?;
        let offset = u64::from_le_bytes(h[..8].try_into().ok()?);
        let len = usize::try_from(u64::from_le_bytes(h[8..16].try_into().ok()?)).ok()?;
        let count = u64::from_le_bytes(h[16..24].try_into().ok()?);
        let start = at + ENTRY_HEAD;
        let end = start.checked_add(len)?;
        if len == 0 || count == 0 || end > body.len() {
            return None;
        }
        let e = Entry {
            offset,
            data: start..end,
            count,
        };
        let fits = (len as u64)
            .checked_mul(count)
            .and_then(|n| n.checked_add(offset))
            .is_some_and(|e| e <= limit);
        if !fits {
            return None;
        }
        entries.push(e);
        at = end;
    }
    Some(Body {
        static_hash,
        pre_chunks,
        entries,
    })
}

/// Copies into `buf` (which holds the file's bytes from `at`) whatever the
/// entries write there, in order.
pub(crate) fn overlay(entries: &[Entry], body: &[u8], at: u64, buf: &mut [u8]) {
    let end = at.saturating_add(buf.len() as u64);
    for e in entries {
        let r = e.range();
        if r.end <= at || r.start >= end {
            continue;
        }
        let data = &body[e.data.clone()];
        let n = data.len() as u64;
        // the copies that touch the window
        let first = at.saturating_sub(r.start) / n;
        let last = (end.min(r.end) - r.start).div_ceil(n);
        for k in first..last {
            let copy_at = r.start + k * n;
            let lo = copy_at.max(at);
            let hi = (copy_at + n).min(end);
            if lo >= hi {
                continue;
            }
            buf[(lo - at) as usize..(hi - at) as usize]
                .copy_from_slice(&data[(lo - copy_at) as usize..(hi - copy_at) as usize]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(entries: &[(u64, &[u8], u64)]) -> (Vec<u8>, Vec<Entry>) {
        let mut b = Builder::default();
        b.start(77, [5u64, 6].into_iter());
        for (o, d, c) in entries {
            b.push(*o, d, *c);
        }
        let bytes = b.finish(1, 2).to_vec();
        (bytes, b.entries().to_vec())
    }

    #[test]
    fn round_trip() {
        let (bytes, built) = record(&[(100, &[1, 2, 3, 4], 3), (8, b"live", 1)]);
        let head = parse_head(bytes[..HEAD].try_into().unwrap()).unwrap();
        assert_eq!((head.done, head.pre, head.post), (false, 1, 2));
        let parsed = parse_body(&head, &bytes[HEAD..], 112).unwrap();
        assert_eq!(parsed.entries, built);
        assert_eq!((parsed.static_hash, parsed.pre_chunks), (77, vec![5, 6]));
        // an entry reaching past the limit makes the record unusable
        assert_eq!(parse_body(&head, &bytes[HEAD..], 111), None);
    }

    #[test]
    fn every_flipped_or_cut_byte_is_caught() {
        let (bytes, _) = record(&[(100, &[1, 2, 3, 4, 5, 6, 7, 8], 2), (8, b"live", 1)]);
        for i in 0..bytes.len() {
            if (8..16).contains(&i) {
                continue; // the state is outside the checksums by design
            }
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            let ok = parse_head(b[..HEAD].try_into().unwrap())
                .and_then(|h| parse_body(&h, &b[HEAD..], 1000));
            assert_eq!(ok, None, "flip at {i}");
        }
        for cut in HEAD..bytes.len() {
            let head = parse_head(bytes[..HEAD].try_into().unwrap()).unwrap();
            assert_eq!(
                parse_body(&head, &bytes[HEAD..cut], 1000),
                None,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn overlay_copies_repeated_rows_into_any_window() {
        let (bytes, entries) = record(&[(4, &[1, 2, 3], 3), (5, &[9], 1)]);
        let body = &bytes[HEAD..];
        for at in 0..16u64 {
            for len in 0..16usize {
                let mut buf = vec![0u8; len];
                overlay(&entries, body, at, &mut buf);
                let mut whole = [0u8; 32];
                whole[4..13].copy_from_slice(&[1, 2, 3, 1, 2, 3, 1, 2, 3]);
                whole[5] = 9;
                assert_eq!(
                    buf,
                    whole[at as usize..at as usize + len],
                    "at {at} len {len}"
                );
            }
        }
    }

    #[test]
    fn chunks_split_at_pages() {
        let c = chunks;
        assert_eq!(c(100, 200).len(), 1);
        assert_eq!(c(100, 200)[0], 100..200);
        assert_eq!(c(4000, 9000), [4000..4096, 4096..8192, 8192..9000]);
        assert_eq!(c(4096, 8192).len(), 1);
        assert_eq!(c(4096, 8192)[0], 4096..8192);
        assert_eq!(c(5, 5), []);
    }

    #[test]
    fn hash_tells_close_inputs_apart() {
        let a = hash(&[0u8; 100]);
        let mut x = [0u8; 100];
        x[99] = 1;
        assert_ne!(a, hash(&x));
        assert_ne!(hash(&[]), hash(&[0]));
        assert_ne!(state(1, b"x"), state(2, b"x"));
    }
}
