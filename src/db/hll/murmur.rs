//! The 64-bit MurmurHash2 variant (MurmurHash64A) HyperLogLog uses to place an element: the
//! same function and seed as Redis, so an element lands in the same register with the same
//! run length on both servers and their values stay interchangeable.

/// Seed Redis passes for HyperLogLog hashing.
pub const SEED: u64 = 0xadc8_3b19;

/// MurmurHash64A of `data` (blocks read little-endian, as Redis does on every platform).
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let blocks = data.chunks_exact(8);
    let tail = blocks.remainder();
    for b in blocks {
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        let mut k = u64::from_le_bytes(w).wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}
