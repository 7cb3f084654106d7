//! A zlib stream (RFC 1950) of one dynamic-Huffman deflate block (RFC 1951)
//! for a graph's PNG rows.
//!
//! Graphs are flat colour, grid lines and a few curves: nearly every byte
//! repeats the pixel to its left or the row above. General deflaters find
//! such matches by hashing every position and walking hash chains, which was
//! most of the time a graph took; this one tries those few distances first
//! (left, up, up-left, up-right), then one hash slot, and takes the longest
//! match. On rrdtool's own graphs the stream is a little larger than
//! zlib-rs's at level 6 and several times faster to make.

/// Shortest match taken: deflate allows 3, but a 3-byte match costs about
/// as much as three literals of a skewed alphabet.
const MIN_MATCH: usize = 4;
/// Longest match deflate can say.
const MAX_MATCH: usize = 258;
/// Farthest distance deflate can say.
const WINDOW: usize = 32_768;
/// log2 of the hash table's slots.
const HASH_BITS: u32 = 14;

/// Lengths 3..=258 and distances 1..=32768 as deflate codes: the code,
/// its extra bits' count and value.
#[inline(always)]
fn length_code(len: usize) -> (usize, u32, u32) {
    let l = (len - 3) as u32;
    if l < 8 {
        (l as usize, 0, 0)
    } else if l == 255 {
        (28, 0, 0)
    } else {
        let nb = 31 - l.leading_zeros();
        let code = 4 * (nb - 1) + ((l >> (nb - 2)) & 3);
        (code as usize, nb - 2, l & ((1 << (nb - 2)) - 1))
    }
}

#[inline(always)]
fn distance_code(dist: usize) -> (usize, u32, u32) {
    let x = (dist - 1) as u32;
    if x < 4 {
        (x as usize, 0, 0)
    } else {
        let nb = 31 - x.leading_zeros();
        let code = 2 * nb + ((x >> (nb - 1)) & 1);
        (code as usize, nb - 1, x & ((1 << (nb - 1)) - 1))
    }
}

/// How many bytes from `a` and from `b` (`a < b`) are equal, up to `max`
/// (`b + max <= d.len()`).
#[inline(always)]
fn match_len(d: &[u8], a: usize, b: usize, max: usize) -> usize {
    let mut l = 0;
    while l + 8 <= max {
        let x = u64::from_le_bytes(d[a + l..a + l + 8].try_into().unwrap_or_default());
        let y = u64::from_le_bytes(d[b + l..b + l + 8].try_into().unwrap_or_default());
        if x != y {
            return l + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        l += 8;
    }
    while l < max && d[a + l] == d[b + l] {
        l += 1;
    }
    l
}

/// A literal byte, or a match: bit 31 set, `len - 3` in bits 16..24,
/// the distance in bits 0..16.
type Token = u32;
const MATCH: Token = 1 << 31;

thread_local! {
    /// The token buffer and hash table of the last stream made on this
    /// thread, for the next (each at most 256 KiB and 64 KiB).
    static SPARE_TOKENS: std::cell::Cell<Vec<Token>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_HEAD: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Tokens a block holds at most: bounds the memory of a large image's
/// stream (4 bytes a token), and lets each part have its own codes.
const BLOCK_TOKENS: usize = 1 << 16;

/// LZ77 over PNG rows: at each position the longest match among the pixel
/// on the left, the row above (and its neighbours), rows further up, the
/// last two distances matched and one hash slot; a literal when none
/// reaches [`MIN_MATCH`].
struct Matcher<'d> {
    data: &'d [u8],
    /// Distances tried first at every position, shortest (cheapest) first.
    fixed: [usize; 8],
    nfixed: usize,
    /// The last two other distances matched: patterns repeat across a row.
    rep: [usize; 2],
    /// Position + 1 of the last position with each hash; 0 is empty.
    head: Vec<u32>,
    /// Whether positions fit the hash table's `u32`s.
    hashing: bool,
    /// Next position to code.
    i: usize,
}

impl<'d> Matcher<'d> {
    /// `bpp` is the distance to the pixel on the left, `row` the distance
    /// to the same byte in the row above (0: none).
    fn new(data: &'d [u8], bpp: usize, row: usize) -> Matcher<'d> {
        let mut fixed = [0usize; 8];
        let mut nfixed = 0;
        let rows = |k: usize| k * row;
        for d in [
            bpp,
            rows(1),
            rows(1) + bpp,
            rows(1).saturating_sub(bpp),
            rows(2),
            rows(3),
            rows(4),
            rows(6),
        ] {
            if d > 0 && d <= WINDOW && !fixed[..nfixed].contains(&d) {
                fixed[nfixed] = d;
                nfixed += 1;
            }
        }
        Matcher {
            data,
            fixed,
            nfixed,
            rep: [0; 2],
            head: {
                // the last stream's table, cleared (a fresh one each graph
                // was a heap growth and trim)
                let mut head = SPARE_HEAD.take();
                head.clear();
                head.resize(1 << HASH_BITS, 0);
                head
            },
            hashing: data.len() < u32::MAX as usize,
            i: 0,
        }
    }

    /// Appends the next tokens to `out` until it holds `max`; whether the
    /// data is done.
    fn fill(&mut self, out: &mut Vec<Token>, max: usize) -> bool {
        let (data, n) = (self.data, self.data.len());
        let fixed = &self.fixed[..self.nfixed];
        let mut i = self.i;
        while i < n && out.len() < max {
            if i + MIN_MATCH > n {
                out.push(Token::from(data[i]));
                i += 1;
                continue;
            }
            let most = (n - i).min(MAX_MATCH);
            let (mut best, mut best_d) = (0, 0);
            // `d` if it matches longer than the best so far (checked first
            // at the byte that would make it longer)
            let try_d = |d: usize, best: &mut usize, best_d: &mut usize| {
                if d == 0 || d > i || data[i - d + *best] != data[i + *best] {
                    return;
                }
                let l = match_len(data, i - d, i, most);
                if l > *best {
                    *best = l;
                    *best_d = d;
                }
            };
            for &d in fixed.iter().chain(self.rep.iter()) {
                if best == most {
                    break;
                }
                try_d(d, &mut best, &mut best_d);
            }
            if self.hashing {
                let key = u32::from_le_bytes(data[i..i + 4].try_into().unwrap_or_default());
                let slot = (key.wrapping_mul(0x9e37_79b1) >> (32 - HASH_BITS)) as usize;
                let p = self.head[slot] as usize;
                if best < most && p > 0 && i - (p - 1) <= WINDOW {
                    try_d(i - (p - 1), &mut best, &mut best_d);
                }
                self.head[slot] = i as u32 + 1;
            }
            if best >= MIN_MATCH {
                out.push(MATCH | ((best as u32 - 3) << 16) | best_d as u32);
                if best_d != self.rep[0] && !fixed.contains(&best_d) {
                    self.rep = [best_d, self.rep[0]];
                }
                i += best;
            } else {
                out.push(Token::from(data[i]));
                i += 1;
            }
        }
        self.i = i;
        i >= n
    }
}

/// Huffman code lengths for `freq`, none longer than `limit`, at least
/// two codes (a one-code tree is one some inflaters refuse).
fn code_lengths(freq: &[u32], limit: u8) -> Vec<u8> {
    let mut f = freq.to_vec();
    let mut used = f.iter().filter(|&&x| x > 0).count();
    for x in f.iter_mut() {
        if used >= 2 {
            break;
        }
        if *x == 0 {
            *x = 1;
            used += 1;
        }
    }
    loop {
        let lens = huffman(&f);
        if lens.iter().all(|&l| l <= limit) {
            return lens;
        }
        // flatter counts make a shallower tree; all ones make a balanced one
        for x in f.iter_mut().filter(|x| **x > 0) {
            *x = (*x >> 1).max(1);
        }
    }
}

/// Unlimited Huffman code lengths of the nonzero counts of `f`.
fn huffman(f: &[u32]) -> Vec<u8> {
    let mut leaves: Vec<(u32, usize)> = f
        .iter()
        .enumerate()
        .filter(|(_, &w)| w > 0)
        .map(|(s, &w)| (w, s))
        .collect();
    leaves.sort_unstable();
    let m = leaves.len();
    let mut lens = vec![0u8; f.len()];
    if m < 2 {
        for &(_, s) in &leaves {
            lens[s] = 1;
        }
        return lens;
    }
    // nodes 0..m are the leaves in order, m.. the merged ones, made in
    // order of weight (two queues)
    let mut weight: Vec<u64> = leaves.iter().map(|&(w, _)| u64::from(w)).collect();
    weight.resize(2 * m - 1, 0);
    let mut parent = vec![0usize; 2 * m - 1];
    let (mut li, mut ni) = (0, m);
    for k in m..2 * m - 1 {
        let mut take = || {
            if li < m && (ni >= k || weight[li] <= weight[ni]) {
                li += 1;
                li - 1
            } else {
                ni += 1;
                ni - 1
            }
        };
        let (a, b) = (take(), take());
        weight[k] = weight[a] + weight[b];
        parent[a] = k;
        parent[b] = k;
    }
    let mut depth = vec![0u8; 2 * m - 1];
    for k in (0..2 * m - 2).rev() {
        depth[k] = depth[parent[k]].saturating_add(1);
    }
    for (j, &(_, s)) in leaves.iter().enumerate() {
        lens[s] = depth[j];
    }
    lens
}

/// Canonical codes for `lens` (RFC 1951 3.2.2), bit-reversed for writing
/// least significant bit first.
fn codes(lens: &[u8]) -> Vec<u16> {
    let mut count = [0u16; 16];
    for &l in lens {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for b in 1..16 {
        code = (code + count[b - 1]) << 1;
        next[b] = code;
    }
    lens.iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c.reverse_bits() >> (16 - l)
        })
        .collect()
}

/// Bits written least significant first.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    #[inline(always)]
    fn put(&mut self, v: u32, len: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += len;
        if self.n >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.n -= 32;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        while self.n > 0 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n = self.n.saturating_sub(8);
        }
        self.out
    }
}

/// Order in which the code-length code's lengths are sent.
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The code lengths of both trees, run-length coded with symbols 16, 17
/// and 18: `(symbol, extra bits' value)`.
fn run_lengths(all: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let v = all[i];
        let mut run = 1;
        while i + run < all.len() && all[i + run] == v {
            run += 1;
        }
        i += run;
        let mut r = run;
        if v == 0 {
            while r >= 11 {
                let k = r.min(138);
                out.push((18, (k - 11) as u8));
                r -= k;
            }
            if r >= 3 {
                out.push((17, (r - 3) as u8));
                r = 0;
            }
        } else {
            out.push((v, 0));
            r -= 1;
            while r >= 3 {
                let k = r.min(6);
                out.push((16, (k - 3) as u8));
                r -= k;
            }
        }
        out.extend(std::iter::repeat_n((v, 0), r));
    }
    out
}

/// `data` (PNG rows, each behind its filter byte) as a zlib stream; `bpp`
/// is the distance to the byte of the pixel on the left, `row` to the same
/// byte a row up (0 when there is no row above within deflate's window).
pub(crate) fn zlib(data: &[u8], bpp: usize, row: usize) -> Vec<u8> {
    let mut m = Matcher::new(data, bpp.max(1), if row <= WINDOW { row } else { 0 });
    let mut w = Bits {
        out: Vec::with_capacity(data.len() / 32 + 64),
        acc: 0,
        n: 0,
    };
    // zlib header: deflate, 32K window, no dictionary (0x7801 % 31 == 0)
    w.put(0x78, 8);
    w.put(0x01, 8);
    let mut toks = SPARE_TOKENS.take();
    loop {
        toks.clear();
        let last = m.fill(&mut toks, BLOCK_TOKENS);
        block(&mut w, &toks, last);
        if last {
            break;
        }
    }
    // both bounded: 64K tokens, 2^HASH_BITS slots
    SPARE_TOKENS.set(toks);
    SPARE_HEAD.set(std::mem::take(&mut m.head));
    let mut out = w.finish();
    out.extend_from_slice(&zlib_rs::adler32::adler32(1, data).to_be_bytes());
    out
}

/// One dynamic-Huffman block of `toks`, the stream's last if `last`.
fn block(w: &mut Bits, toks: &[Token], last: bool) {
    let mut lit_f = [0u32; 286];
    let mut dist_f = [0u32; 30];
    for &t in toks {
        if t & MATCH != 0 {
            lit_f[257 + length_code(((t >> 16) & 0xff) as usize + 3).0] += 1;
            dist_f[distance_code((t & 0xffff) as usize).0] += 1;
        } else {
            lit_f[t as usize] += 1;
        }
    }
    lit_f[256] = 1;
    let lit_len = code_lengths(&lit_f, 15);
    let dist_len = code_lengths(&dist_f, 15);
    let nlit = 257
        + lit_len[257..]
            .iter()
            .rposition(|&l| l > 0)
            .map_or(0, |k| k + 1);
    let ndist = dist_len.iter().rposition(|&l| l > 0).map_or(1, |k| k + 1);
    let mut all = lit_len[..nlit].to_vec();
    all.extend_from_slice(&dist_len[..ndist]);
    let rl = run_lengths(&all);
    let mut cl_f = [0u32; 19];
    for &(s, _) in &rl {
        cl_f[usize::from(s)] += 1;
    }
    let cl_len = code_lengths(&cl_f, 7);
    let ncl = 4.max(
        CL_ORDER
            .iter()
            .rposition(|&s| cl_len[s] > 0)
            .map_or(0, |k| k + 1),
    );
    let (lit_c, dist_c, cl_c) = (codes(&lit_len), codes(&dist_len), codes(&cl_len));

    w.put(u32::from(last), 1);
    w.put(2, 2); // dynamic Huffman codes
    w.put((nlit - 257) as u32, 5);
    w.put((ndist - 1) as u32, 5);
    w.put((ncl - 4) as u32, 4);
    for &s in &CL_ORDER[..ncl] {
        w.put(u32::from(cl_len[s]), 3);
    }
    for &(s, x) in &rl {
        let s = usize::from(s);
        w.put(u32::from(cl_c[s]), u32::from(cl_len[s]));
        match s {
            16 => w.put(u32::from(x), 2),
            17 => w.put(u32::from(x), 3),
            18 => w.put(u32::from(x), 7),
            _ => {}
        }
    }
    for &t in toks {
        if t & MATCH != 0 {
            let (lc, lb, lv) = length_code(((t >> 16) & 0xff) as usize + 3);
            w.put(u32::from(lit_c[257 + lc]), u32::from(lit_len[257 + lc]));
            if lb > 0 {
                w.put(lv, lb);
            }
            let (dc, db, dv) = distance_code((t & 0xffff) as usize);
            w.put(u32::from(dist_c[dc]), u32::from(dist_len[dc]));
            if db > 0 {
                w.put(dv, db);
            }
        } else {
            let s = t as usize;
            w.put(u32::from(lit_c[s]), u32::from(lit_len[s]));
        }
    }
    w.put(u32::from(lit_c[256]), u32::from(lit_len[256]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn inflate(z: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(z)
            .read_to_end(&mut out)
            .expect("a valid zlib stream");
        out
    }

    #[test]
    fn length_and_distance_codes_are_deflates() {
        // RFC 1951 3.2.5's tables, walked: each code's base and extra bits
        let len_base = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
            115, 131, 163, 195, 227, 258,
        ];
        let len_extra = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ];
        for len in 3..=258usize {
            let (c, b, v) = length_code(len);
            assert_eq!(
                (b, len_base[c] + v as usize),
                (len_extra[c], len),
                "length {len}"
            );
        }
        let dist_base = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
            1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
        ];
        for dist in 1..=32_768usize {
            let (c, b, v) = distance_code(dist);
            let extra = if c < 2 { 0 } else { c as u32 / 2 - 1 };
            assert_eq!(
                (b, dist_base[c] + v as usize),
                (extra, dist),
                "distance {dist}"
            );
        }
    }

    #[test]
    fn streams_inflate_to_their_data() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut cases: Vec<(Vec<u8>, usize, usize)> = vec![
            (Vec::new(), 3, 0),
            (vec![7], 1, 0),
            (vec![0; 5], 3, 0),
            (vec![9; 100_000], 4, 401),
        ];
        // random bytes (no matches; over one block's tokens), few-symbol
        // noise, and images of runs with rows that repeat, shift and
        // change, at widths around the window's edge
        cases.push(((0..200_000).map(|_| next() as u8).collect(), 3, 2401));
        cases.push(((0..50_000).map(|_| (next() % 3) as u8).collect(), 1, 101));
        for &(w, bpp, h) in &[
            (881, 3, 60),
            (300, 4, 40),
            (10_922, 3, 6),
            (8_200, 4, 4),
            (37, 1, 90),
        ] {
            let stride = w * bpp + 1;
            let mut img = Vec::with_capacity(stride * h);
            let mut row: Vec<u8> = (0..w * bpp).map(|k| (k / 97) as u8).collect();
            for _ in 0..h {
                match next() % 4 {
                    0 => {}
                    1 => row.rotate_right(bpp),
                    2 => {
                        let at = (next() as usize) % row.len();
                        row[at] = next() as u8;
                    }
                    _ => {
                        for b in row.iter_mut().take(50) {
                            *b = next() as u8;
                        }
                    }
                }
                img.push(0);
                img.extend_from_slice(&row);
            }
            cases.push((img, bpp, stride));
        }
        for (data, bpp, row) in &cases {
            let z = zlib(data, *bpp, *row);
            assert_eq!(
                &inflate(&z),
                data,
                "{} bytes, bpp {bpp}, row {row}",
                data.len()
            );
        }
    }

    #[test]
    fn code_lengths_respect_their_limit_and_are_complete() {
        // Fibonacci counts make the deepest trees
        let mut fib = vec![1u32, 1];
        while fib.len() < 40 {
            let k = fib.len();
            fib.push(fib[k - 1].saturating_add(fib[k - 2]));
        }
        for limit in [7u8, 15] {
            let lens = code_lengths(&fib, limit);
            assert!(lens.iter().all(|&l| (1..=limit).contains(&l)), "{lens:?}");
            // Kraft: a complete prefix code sums to exactly 1
            let kraft: f64 = lens.iter().map(|&l| 0.5f64.powi(i32::from(l))).sum();
            assert_eq!(kraft, 1.0);
        }
        let one = code_lengths(&[0, 0, 5, 0], 15);
        assert_eq!(one.iter().filter(|&&l| l > 0).count(), 2);
    }
}
