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

/// Count the registers of each value into `histo`.
pub fn histogram(hll: &[u8], histo: &mut [u32; 64]) {
    let regs = &hll[HDR..];
    for i in 0..REGISTERS {
        histo[get(regs, i) as usize] += 1;
    }
}

/// `max[i] = max(max[i], register i)` for every register.
pub fn merge_into(max: &mut [u8], hll: &[u8]) {
    let regs = &hll[HDR..];
    for (i, m) in max.iter_mut().enumerate().take(REGISTERS) {
        *m = (*m).max(get(regs, i));
    }
}
