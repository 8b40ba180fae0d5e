//! The random numbers scripts see: `math.random` and `math.randomseed` replaced by the 48-bit
//! linear congruential generator Redis uses, so a script draws the same sequence as it would on
//! Redis. The state is one per process, kept across `SCRIPT FLUSH`, as Redis's is.
use std::sync::atomic::{AtomicU64, Ordering};

/// The POSIX `drand48` initial state (seed 0x1234ABCD330E), which Redis never reseeds.
const INITIAL: u64 = 0x1234_ABCD_330E;
const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// Redis divides by `INT32_MAX` after a modulo by it.
const MAX: u64 = i32::MAX as u64;

static STATE: AtomicU64 = AtomicU64::new(INITIAL);

/// The next 31-bit value (`lrand48`).
pub fn next() -> u64 {
    let x = STATE.load(Ordering::Relaxed);
    let n = (A.wrapping_mul(x).wrapping_add(C)) & MASK;
    STATE.store(n, Ordering::Relaxed);
    n >> 17
}

/// `srand48(seed)`: the high 32 bits from the seed, the low 16 fixed.
pub fn seed(seed: i32) {
    STATE.store(
        (((seed as u32) as u64) << 16 | 0x330E) & MASK,
        Ordering::Relaxed,
    );
}

/// A number in [0, 1) as Redis's `math.random()` computes it.
pub fn unit() -> f64 {
    (next() % MAX) as f64 / MAX as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn sequence_matches_redis_after_seed_zero() {
        super::seed(0);
        let a = super::unit();
        let b = super::unit();
        assert_eq!(crate::util::fmt_g(a, 14), "0.17082803611217");
        assert_eq!(crate::util::fmt_g(b, 14), "0.74990198051087");
    }
}
