//! Random choices for the commands that return random elements (SRANDMEMBER, SPOP,
//! HRANDFIELD, ...): a cheap per-thread generator, distinct picks, and the count argument
//! rules those commands share.
use crate::resp::Reply;
use crate::util::parse_i64;
use std::cell::Cell;
use std::hash::BuildHasher;

thread_local! {
    static STATE: Cell<u64> = Cell::new(
        std::collections::hash_map::RandomState::new().hash_one(crate::util::now_us()) | 1,
    );
}

/// The next pseudo-random number (xorshift64*; plenty for sampling elements).
pub fn next() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545F4914F6CDD1D)
    })
}

/// A random index below `n` (0 when `n` is 0).
pub fn below(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (next() % n as u64) as usize
    }
}

/// `k` distinct random indices out of `0..n` (all of them when `k >= n`), in random order.
pub fn distinct(n: usize, k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = i + below(n - i);
        idx.swap(i, j);
    }
    idx.truncate(k);
    idx
}

/// The COUNT of SRANDMEMBER/HRANDFIELD: any integer except i64::MIN (negative means "with
/// repetitions"), worded as Redis's range check words it.
pub fn parse_count(arg: &[u8]) -> Result<i64, Reply> {
    match parse_i64(arg) {
        None => Err(Reply::not_integer()),
        Some(i64::MIN) => Err(Reply::err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        )),
        // Redis would stream that many replies for minutes; refuse what cannot be buffered.
        Some(v) if v < 0 && v.unsigned_abs() > MAX_REPEATS => Err(Reply::err("ERR value is out of range")),
        Some(v) => Ok(v),
    }
}

/// Largest negative count (picks with repetitions) served.
const MAX_REPEATS: u64 = 1 << 26;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_picks() {
        let mut v = distinct(10, 4);
        assert_eq!(v.len(), 4);
        v.sort();
        v.dedup();
        assert_eq!(v.len(), 4);
        assert!(v.iter().all(|&i| i < 10));
        assert_eq!(distinct(3, 7).len(), 3);
        assert!(below(5) < 5);
        assert!(parse_count(b"-9223372036854775808").is_err());
        assert_eq!(parse_count(b"-3"), Ok(-3));
    }
}
