//! HyperLogLog values, stored as strings in Redis 7.0's exact format so that values written by
//! either server (GET/SET, DUMP/RESTORE, RDB files, replication) are read by the other.
//!
//! Layout: a 16-byte header (`HYLL`, an encoding byte, 3 unused bytes, the cached cardinality
//! as 8 little-endian bytes whose last byte's high bit marks the cache invalid), then the
//! registers, dense (`dense`) or sparse (`sparse`). Elements are hashed with MurmurHash64A
//! (`murmur`); the estimate is Ertl's (`estimate`). Everything here works on the string's
//! bytes and returns `Corrupt` instead of panicking on malformed values.
pub mod dense;
pub mod estimate;
pub mod murmur;
pub mod selftest;
pub mod sparse;
#[cfg(test)]
mod tests;

/// Number of index bits (precision).
pub const P: u32 = 14;
/// Hash bits left for the run length.
pub const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
/// Header size.
pub const HDR: usize = 16;
/// Size of a dense value: the header and 16384 registers of 6 bits.
pub const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
pub const DENSE: u8 = 0;
pub const SPARSE: u8 = 1;

/// A value with the right header whose registers cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// Whether the string is a HyperLogLog as Redis checks it before every command: long enough
/// for the header, the magic, a known encoding, and the exact size when dense.
pub fn is_hll(s: &[u8]) -> bool {
    s.len() >= HDR
        && &s[..4] == b"HYLL"
        && s[4] <= SPARSE
        && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

/// A new empty value (sparse: one XZERO covering every register; cached cardinality 0).
pub fn new_sparse() -> Vec<u8> {
    let mut v = vec![0u8; HDR];
    v[..4].copy_from_slice(b"HYLL");
    v[4] = SPARSE;
    v.extend_from_slice(&sparse::empty_ops());
    v
}

pub fn is_sparse(hll: &[u8]) -> bool {
    hll[4] == SPARSE
}

/// The register an element goes to and the run length it brings (position of the first 1
/// bit in the rest of the hash, counting from 1; at most Q + 1).
pub fn pat_len(element: &[u8]) -> (usize, u8) {
    let h = murmur::murmur64a(element, murmur::SEED);
    let index = (h & (REGISTERS as u64 - 1)) as usize;
    let rest = (h >> P) | 1 << Q;
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Raise register `index` to `count` in either encoding (sparse may turn dense, see
/// `sparse::set`). Ok(true) when a register changed.
pub fn set(hll: &mut Vec<u8>, index: usize, count: u8, max_sparse: usize) -> Result<bool, Corrupt> {
    match hll[4] {
        DENSE => Ok(dense::set(hll, index, count)),
        SPARSE => sparse::set(hll, index, count, max_sparse),
        _ => Err(Corrupt),
    }
}

/// Add one element. Ok(true) when a register changed (the caller invalidates the cache).
pub fn add(hll: &mut Vec<u8>, element: &[u8], max_sparse: usize) -> Result<bool, Corrupt> {
    let (index, count) = pat_len(element);
    set(hll, index, count, max_sparse)
}

/// The cached cardinality, when valid.
pub fn cached(hll: &[u8]) -> Option<u64> {
    if hll[15] & 0x80 != 0 {
        return None;
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&hll[8..16]);
    Some(u64::from_le_bytes(b))
}

pub fn set_cache(hll: &mut [u8], card: u64) {
    hll[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Mark the cached cardinality stale (only the flag bit changes, as in Redis).
pub fn invalidate_cache(hll: &mut [u8]) {
    hll[15] |= 0x80;
}

/// The estimated cardinality from the registers (ignoring the cache).
pub fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0u32; 64];
    match hll[4] {
        DENSE => dense::histogram(hll, &mut histo),
        SPARSE => sparse::histogram(hll, &mut histo)?,
        _ => return Err(Corrupt),
    }
    Ok(estimate::from_histogram(&histo))
}

/// `max[i] = max(max[i], register i of hll)` over the 16384 registers in `max`.
pub fn merge_into(max: &mut [u8], hll: &[u8]) -> Result<(), Corrupt> {
    match hll[4] {
        DENSE => {
            dense::merge_into(max, hll);
            Ok(())
        }
        _ => sparse::merge_into(max, hll),
    }
}

/// The estimate of plain register values (one byte each), as after merging.
pub fn count_registers(regs: &[u8]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs {
        histo[(r & 63) as usize] += 1;
    }
    estimate::from_histogram(&histo)
}

/// Convert to dense in place; Ok(true) when it was sparse.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<bool, Corrupt> {
    sparse::to_dense(hll)
}

/// All register values of a dense value.
pub fn registers(hll: &[u8]) -> Vec<u8> {
    dense::all(hll)
}
