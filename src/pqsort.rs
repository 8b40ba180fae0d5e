//! Partial quicksort: sorts a slice so that the positions `lo..=hi` hold the elements a full
//! sort would put there, skipping the partitions outside that window. Redis sorts a
//! `GEOSEARCH ... COUNT n` result this way (Bentley and McIlroy's "Engineering a Sort
//! Function", with recursion pruned to the window); it is not stable, so which of several
//! equally distant points make the cut depends on this exact algorithm, reproduced here.
use std::cmp::Ordering;

/// Sort `v` enough that `v[lo..=hi]` is in its final sorted place.
pub fn pqsort<T>(v: &mut [T], lo: usize, hi: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
    part(v, 0, v.len(), lo, hi, cmp);
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let lt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
    let gt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

/// Swap the `n` elements from `i` with the `n` from `j`, pairwise in order.
fn vecswap<T>(v: &mut [T], i: usize, j: usize, n: usize) {
    for k in 0..n {
        v.swap(i + k, j + k);
    }
}

/// Whether the `n` elements from `start` meet the window `lo..=hi`.
fn overlaps(start: usize, n: usize, lo: usize, hi: usize) -> bool {
    !(hi < start || lo >= start + n)
}

/// Sort the `n` elements from `a`.
fn part<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    lo: usize,
    hi: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) {
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && overlaps(a, r, lo, hi) {
            part(v, a, r, lo, hi, cmp);
        }
        let r = pd - pc;
        if r <= 1 {
            return;
        }
        a = pn - r;
        n = r;
        if !overlaps(a, n, lo, hi) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_sorted() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in [1usize, 5, 7, 8, 30, 41, 100, 500] {
            for _ in 0..20 {
                let mut v: Vec<u64> = (0..len)
                    .map(|_| crate::util::xorshift64(&mut seed) % 50)
                    .collect();
                let mut want = v.clone();
                want.sort();
                let hi = (seed as usize) % len;
                pqsort(&mut v, 0, hi, &|a: &u64, b: &u64| a.cmp(b));
                assert_eq!(v[..=hi], want[..=hi], "len {len} hi {hi}");
            }
        }
    }
}
