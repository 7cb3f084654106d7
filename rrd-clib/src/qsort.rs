//! glibc's `qsort`, step for step.
//!
//! Through glibc 2.36 (the release rrdtool 1.7.2 ships with on Debian 12),
//! `qsort` is a top-down merge sort (`msort.c`): split at `n / 2`, sort both
//! halves, merge taking from the left half while `cmp(left, right) <= 0`.
//! With a comparator that is an order this is just a stable sort; rrdtool's
//! comparators are not always orders (see `rrd_rpn::csort`), and then what
//! comes out depends on exactly these steps.

use std::cmp::Ordering;

/// glibc's `qsort` on `v` with `cmp`. `tmp` is scratch space of at least
/// `v.len()` elements (a caller sorting many slices keeps one).
///
/// # Panics
/// When `tmp` is shorter than `v`.
pub fn qsort<T: Copy>(v: &mut [T], tmp: &mut [T], cmp: impl Fn(T, T) -> Ordering + Copy) {
    assert!(tmp.len() >= v.len(), "qsort: scratch too small");
    msort(v, tmp, cmp);
}

fn msort<T: Copy>(v: &mut [T], tmp: &mut [T], cmp: impl Fn(T, T) -> Ordering + Copy) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    msort(&mut v[..n1], tmp, cmp);
    msort(&mut v[n1..], tmp, cmp);
    let (mut i, mut j, mut k) = (0, n1, 0);
    while i < n1 && j < n {
        if cmp(v[i], v[j]) != Ordering::Greater {
            tmp[k] = v[i];
            i += 1;
        } else {
            tmp[k] = v[j];
            j += 1;
        }
        k += 1;
    }
    // the rest of the left half follows; the rest of the right half is
    // already in place
    while i < n1 {
        tmp[k] = v[i];
        i += 1;
        k += 1;
    }
    v[..k].copy_from_slice(&tmp[..k]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted<T: Copy + Default>(v: &[T], cmp: impl Fn(T, T) -> Ordering + Copy) -> Vec<T> {
        let mut v = v.to_vec();
        let mut tmp = vec![T::default(); v.len()];
        qsort(&mut v, &mut tmp, cmp);
        v
    }

    #[test]
    fn an_order_sorts_stably() {
        // pairs compared by their first member only: equal keys keep their order
        let v = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e'), (0, 'f')];
        assert_eq!(
            sorted(&v, |x: (i32, char), y: (i32, char)| x.0.cmp(&y.0)),
            [(0, 'f'), (1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]
        );
    }

    #[test]
    fn a_comparator_that_is_not_an_order_gives_glibcs_result() {
        // "everything is greater than what follows it": the merges take from
        // the right half first, so the sort reverses the input; glibc 2.36's
        // qsort gives the same with `int cmp(a, b) { return 1; }`
        let v = [1, 2, 3, 4, 5, 6, 7];
        assert_eq!(sorted(&v, |_, _| Ordering::Greater), [7, 6, 5, 4, 3, 2, 1]);
        // and "never greater" leaves it as it was
        assert_eq!(sorted(&v, |_, _| Ordering::Less), v);
    }

    #[test]
    #[should_panic(expected = "scratch too small")]
    fn short_scratch_is_refused() {
        qsort(&mut [1, 2, 3], &mut [0, 0], |a: i32, b: i32| a.cmp(&b));
    }
}
