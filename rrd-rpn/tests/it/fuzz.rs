//! Random token sequences must never panic the parser or the evaluator.

use super::eval_text;

/// xorshift64*: deterministic, no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_token_sequences_do_not_panic() {
    let mut vocab: Vec<&str> = rrd_rpn::Op::ALL
        .iter()
        .filter_map(|op| op.keyword())
        .collect();
    vocab.extend([
        "a", "b", "PREV(a)", "PREV(b)", "PREV(", "PREV()", "0", "1", "2", "3", "-1", "0.5", "1e9",
        "-1e300", "100", "101", "50", "", "zz", "1e", "-", "é", "(", ")",
    ]);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ok = 0;
    for _ in 0..10_000 {
        let len = 1 + rng.below(12);
        let expr: Vec<&str> = (0..len).map(|_| vocab[rng.below(vocab.len())]).collect();
        let text = eval_text(&expr.join(","));
        if !text.starts_with("ERROR") {
            ok += 1;
        }
    }
    // some sequences must get through to evaluation for the test to mean much
    assert!(ok > 100, "only {ok} sequences evaluated");
}
