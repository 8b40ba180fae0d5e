//! Bit-level operations on byte strings, as the bitmap commands (SETBIT, BITCOUNT, BITPOS,
//! BITOP, BITFIELD) see them: bit 0 is the most significant bit of byte 0. Pure functions over
//! slices, kept apart from the command handlers so they can be tested (and kept fast) alone.

/// An 8-byte chunk (from `chunks_exact(8)`) as a word.
#[inline(always)]
fn word(w: &[u8]) -> u64 {
    <[u8; 8]>::try_from(w).map_or(0, u64::from_ne_bytes)
}

/// Per-byte bit counts of a word (each byte of the result holds 0..=8).
#[inline(always)]
fn byte_counts(x: u64) -> u64 {
    const M1: u64 = 0x5555_5555_5555_5555;
    const M2: u64 = 0x3333_3333_3333_3333;
    const M4: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    let x = x - ((x >> 1) & M1);
    let x = (x & M2) + ((x >> 2) & M2);
    (x + (x >> 4)) & M4
}

/// Words per block in `popcount`: their per-byte counts add up to at most 8 * 31 = 248, so
/// they fit a byte, and the block is summed across bytes once.
const BLOCK_WORDS: usize = 31;

/// Number of set bits in `s`: words' per-byte counts are added up over blocks and summed
/// across once per block (the baseline x86-64 target has no popcount instruction, so this
/// beats `count_ones` per word).
pub fn popcount(s: &[u8]) -> u64 {
    let mut n: u64 = 0;
    let mut blocks = s.chunks_exact(8 * BLOCK_WORDS);
    for blk in &mut blocks {
        let acc: u64 = blk.chunks_exact(8).map(|w| byte_counts(word(w))).sum();
        let pairs = (acc & 0x00ff_00ff_00ff_00ff) + ((acc >> 8) & 0x00ff_00ff_00ff_00ff);
        n += pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48;
    }
    let mut words = blocks.remainder().chunks_exact(8);
    for w in &mut words {
        n += word(w).count_ones() as u64;
    }
    n + words
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>()
}

/// Mask of the bits of a byte from bit `from` to bit `to` (0 = most significant), inclusive.
fn byte_mask(from: u64, to: u64) -> u8 {
    let hi = 0xffu8 >> from;
    let lo = 0xffu8 << (7 - to);
    hi & lo
}

/// Number of set bits from bit `first` to bit `last` inclusive (`first <= last`, both inside
/// `s`).
pub fn count_range(s: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    if fb == lb {
        return (s[fb] & byte_mask(first & 7, last & 7)).count_ones() as u64;
    }
    let head = (s[fb] & byte_mask(first & 7, 7)).count_ones() as u64;
    let tail = (s[lb] & byte_mask(0, last & 7)).count_ones() as u64;
    head + tail + popcount(&s[fb + 1..lb])
}

/// The first bit equal to `bit` from bit `first` to bit `last` inclusive (`first <= last`,
/// both inside `s`).
pub fn find_bit(s: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    // A byte's bits that match, in place.
    let matching = |b: u8| if bit { b } else { !b };
    let in_byte = |i: usize, m: u8| {
        let v = matching(s[i]) & m;
        (v != 0).then(|| i as u64 * 8 + v.leading_zeros() as u64)
    };
    if fb == lb {
        return in_byte(fb, byte_mask(first & 7, last & 7));
    }
    if let Some(p) = in_byte(fb, byte_mask(first & 7, 7)) {
        return Some(p);
    }
    // Whole bytes in between: skip words with no matching bit first.
    let skip = if bit { 0u64 } else { u64::MAX };
    let mut i = fb + 1;
    while i + 8 <= lb && word(&s[i..i + 8]) == skip {
        i += 8;
    }
    while i < lb {
        if let Some(p) = in_byte(i, 0xff) {
            return Some(p);
        }
        i += 1;
    }
    in_byte(lb, byte_mask(0, last & 7))
}

/// The 72 bits of the nine bytes from `byte` (missing bytes read as zero), most significant
/// first: every field of up to 64 bits at a bit offset inside `byte` fits in them.
fn window(s: &[u8], byte: usize) -> u128 {
    let mut w: u128 = 0;
    for i in 0..9 {
        w = (w << 8) | s.get(byte + i).copied().unwrap_or(0) as u128;
    }
    w
}

fn field_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The unsigned `bits`-wide (1..=64) field at bit `offset`; bits past the end read as zero.
pub fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    let byte = (offset >> 3) as usize;
    let shift = 72 - (offset & 7) as u32 - bits;
    (window(s, byte) >> shift) as u64 & field_mask(bits)
}

/// The signed (two's complement) `bits`-wide field at bit `offset`.
pub fn get_signed(s: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(s, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | !field_mask(bits)) as i64
    } else {
        v as i64
    }
}

/// Store the low `bits` of `value` at bit `offset`; `s` must hold every byte the field
/// touches.
pub fn set_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    let byte = (offset >> 3) as usize;
    let shift = 72 - (offset & 7) as u32 - bits;
    let mask = (field_mask(bits) as u128) << shift;
    let w = (window(s, byte) & !mask) | (((value & field_mask(bits)) as u128) << shift);
    for i in 0..9 {
        if let Some(b) = s.get_mut(byte + i) {
            *b = (w >> (8 * (8 - i))) as u8;
        }
    }
}

/// What happens when a BITFIELD write does not fit its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// The value to store when `value + incr` overflows an unsigned `bits`-wide field (`None`
/// when it fits). Under `Fail` the returned value is meaningless: nothing is stored.
pub fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = field_mask(bits);
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrapped = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Sat => max,
            _ => wrapped(),
        })
    } else if incr < 0 && incr < minincr {
        Some(match ow {
            Overflow::Sat => 0,
            _ => wrapped(),
        })
    } else {
        None
    }
}

/// As `unsigned_overflow` for a signed field, with Redis's exact limits: a value that is far
/// below the field's range saturates at the maximum, as Redis does.
pub fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrapped = || {
        let c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            let neg = c & (1u64 << (bits - 1)) != 0;
            (if neg { c | mask } else { c & !mask }) as i64
        } else {
            c as i64
        }
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Sat => max,
            _ => wrapped(),
        })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        Some(match ow {
            Overflow::Sat => min,
            _ => wrapped(),
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_count_all(s: &[u8]) -> u64 {
        s.iter().map(|b| b.count_ones() as u64).sum()
    }

    fn naive_count(s: &[u8], first: u64, last: u64) -> u64 {
        (first..=last)
            .filter(|&i| s[(i / 8) as usize] & (0x80 >> (i % 8)) != 0)
            .count() as u64
    }

    fn naive_find(s: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
        (first..=last).find(|&i| (s[(i / 8) as usize] & (0x80 >> (i % 8)) != 0) == bit)
    }

    #[test]
    fn ranges_match_a_bit_by_bit_scan() {
        let mut s: Vec<u8> = (0..40u32).map(|i| (i * 37 % 251) as u8).collect();
        let long: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 253) as u8).collect();
        for len in [0, 7, 8, 247, 248, 249, 500, 3000] {
            assert_eq!(popcount(&long[..len]), naive_count_all(&long[..len]));
        }
        s.extend([0u8; 20]);
        s.extend([0xffu8; 20]);
        s.push(0x10);
        assert_eq!(popcount(&s), naive_count(&s, 0, s.len() as u64 * 8 - 1));
        let n = s.len() as u64 * 8;
        for first in (0..n).step_by(7) {
            for last in (first..n).step_by(13) {
                assert_eq!(count_range(&s, first, last), naive_count(&s, first, last));
                for bit in [false, true] {
                    assert_eq!(
                        find_bit(&s, bit, first, last),
                        naive_find(&s, bit, first, last),
                        "{bit} {first} {last}"
                    );
                }
            }
        }
    }

    #[test]
    fn fields_round_trip() {
        let mut s = vec![0u8; 12];
        set_field(&mut s, 3, 64, 0x8123_4567_89ab_cdef);
        assert_eq!(get_unsigned(&s, 3, 64), 0x8123_4567_89ab_cdef);
        assert_eq!(get_signed(&s, 3, 4), -8);
        set_field(&mut s, 0, 1, 1);
        assert_eq!(s[0], 0x90);
        assert_eq!(get_unsigned(&s, 90, 8), 0);
        assert_eq!(get_signed(&[0xff], 0, 8), -1);
        assert_eq!(get_unsigned(&[0xff], 4, 8), 0xf0);
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Wrap), Some(4));
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Wrap), Some(251));
        assert_eq!(
            unsigned_overflow(-1i64 as u64, 0, 8, Overflow::Sat),
            Some(255)
        );
        assert_eq!(unsigned_overflow(5, 5, 8, Overflow::Fail), None);
        assert_eq!(signed_overflow(120, 10, 8, Overflow::Wrap), Some(-126));
        assert_eq!(signed_overflow(-120, -10, 8, Overflow::Sat), Some(-128));
        assert_eq!(
            signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            Some(i64::MIN)
        );
        assert_eq!(signed_overflow(i64::MIN, 0, 8, Overflow::Sat), Some(127));
        assert_eq!(signed_overflow(-5, 3, 64, Overflow::Sat), None);
    }
}
