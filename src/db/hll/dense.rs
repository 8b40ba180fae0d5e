//! The dense representation: 16384 registers of 6 bits packed least significant bit first
//! after the header (12288 bytes), as Redis lays them out.
use super::{HDR, REGISTERS};

/// Register `i` of the packed register area `regs`.
#[inline]
pub fn get(regs: &[u8], i: usize) -> u8 {
    let bit = i * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let lo = regs[byte] as u16;
    let hi = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((lo | hi << 8) >> shift) & 63) as u8
}

/// Store `v` (< 64) in register `i`.
#[inline]
pub fn put(regs: &mut [u8], i: usize, v: u8) {
    let bit = i * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let hi = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    let mut w = regs[byte] as u16 | hi << 8;
    w = (w & !(63 << shift)) | ((v as u16 & 63) << shift);
    regs[byte] = w as u8;
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = (w >> 8) as u8;
    }
}

/// Raise register `index` of the dense value `hll` to `count`; true when it changed.
pub fn set(hll: &mut [u8], index: usize, count: u8) -> bool {
    let regs = &mut hll[HDR..];
    if get(regs, index) < count {
        put(regs, index, count);
        true
    } else {
        false
    }
}

/// Call `f(i, register i)` for every register in order, four at a time from each 3 bytes
/// (the whole-value loops: merging and counting).
#[inline]
fn each(hll: &[u8], mut f: impl FnMut(usize, u8)) {
    let regs = &hll[HDR..HDR + REGISTERS * 6 / 8];
    for (k, c) in regs.chunks_exact(3).enumerate() {
        let w = c[0] as u32 | (c[1] as u32) << 8 | (c[2] as u32) << 16;
        let i = k * 4;
        f(i, (w & 63) as u8);
        f(i + 1, (w >> 6 & 63) as u8);
        f(i + 2, (w >> 12 & 63) as u8);
        f(i + 3, (w >> 18) as u8);
    }
}

/// Count the registers of each value into `histo`.
pub fn histogram(hll: &[u8], histo: &mut [u32; 64]) {
    each(hll, |_, r| histo[r as usize] += 1);
}

/// `max[i] = max(max[i], register i)` for every register.
pub fn merge_into(max: &mut [u8], hll: &[u8]) {
    let max = &mut max[..REGISTERS];
    each(hll, |i, r| max[i] = max[i].max(r));
}

/// All register values.
pub fn all(hll: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; REGISTERS];
    each(hll, |i, r| out[i] = r);
    out
}
