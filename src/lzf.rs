//! LZF compression in the exact variant Redis uses for RDB strings (liblzf 3.6 with a 16-bit
//! hash, "very fast" mode, 8 KiB window). Output must be byte-identical to Redis's for
//! DEBUG OBJECT's serializedlength today and for RDB files later, so the control flow
//! (literal runs of up to 32 bytes, back-references of up to 264 bytes, re-hashing the two
//! positions before the end of each match) follows the LZF format definition precisely.
//! The compressor is hand-written on purpose: the `lzf` crate emits valid but different (often
//! longer) output than Redis's liblzf build, which would break DEBUG OBJECT serializedlength
//! parity and RDB size parity. Decompression has one right answer, so it uses the crate.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline]
fn first(input: &[u8], p: usize) -> u32 {
    ((input[p] as u32) << 8) | input.get(p + 1).copied().unwrap_or(0) as u32
}

#[inline]
fn next(h: u32, input: &[u8], p: usize) -> u32 {
    (h << 8) | input[p + 2] as u32
}

#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Append one literal byte to the current literal run; a full run (32 bytes) gets its length
/// byte written into the slot reserved before it, and a new slot is reserved.
#[inline]
fn push_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, byte: u8) {
    *lit += 1;
    out[*op] = byte;
    *op += 1;
    if *lit == MAX_LIT {
        out[*op - *lit - 1] = (*lit - 1) as u8;
        *lit = 0;
        *op += 1;
    }
}

/// The compressor's hash table of last positions, reused across calls: zeroing 64 Ki slots
/// for every string would cost more than compressing a short one (an RDB save compresses
/// every listpack and string over 20 bytes). Each call stores positions offset by a base above
/// every value earlier calls stored, so slots of older calls read as empty, exactly like a
/// freshly zeroed table; the table is zeroed only when the bases run out of 32 bits.
struct HashTable {
    slots: Vec<u32>,
    /// Values above this were stored by the current call.
    base: u32,
    /// The base of the next call.
    next: u32,
}

impl HashTable {
    fn new() -> Self {
        HashTable {
            slots: vec![0; HSIZE],
            base: 0,
            next: 0,
        }
    }

    /// Start compressing `len` bytes: every slot reads as empty.
    fn begin(&mut self, len: usize) {
        match u32::try_from(len)
            .ok()
            .and_then(|l| self.next.checked_add(l))
        {
            Some(end) => {
                self.base = self.next;
                self.next = end;
            }
            None => {
                self.slots.fill(0);
                self.base = 0;
                self.next = u32::try_from(len).unwrap_or(u32::MAX);
            }
        }
    }

    /// The position stored in `slot` by this call, 0 (empty) otherwise.
    #[inline]
    fn get(&self, slot: usize) -> usize {
        let v = self.slots[slot];
        if v > self.base {
            (v - self.base) as usize
        } else {
            0
        }
    }

    #[inline]
    fn set(&mut self, slot: usize, pos: usize) {
        self.slots[slot] = self.base.wrapping_add(pos as u32);
    }
}

thread_local! {
    static TABLE: std::cell::RefCell<HashTable> = std::cell::RefCell::new(HashTable::new());
}

/// Compress `input` into at most `out_len` bytes; None when it does not fit (LZF returns 0).
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    compress_into(input, out_len, &mut out)?;
    Some(out)
}

/// `compress` into a caller's buffer (cleared first, reused across calls); returns the
/// compressed length.
pub fn compress_into(input: &[u8], out_len: usize, out: &mut Vec<u8>) -> Option<usize> {
    if input.is_empty() || out_len == 0 {
        return None;
    }
    out.clear();
    out.resize(out_len + 8, 0);
    let n = TABLE.with(|t| match t.try_borrow_mut() {
        Ok(mut t) => {
            t.begin(input.len());
            compress_with(&mut t, input, out_len, out)
        }
        Err(_) => {
            let mut t = HashTable::new();
            t.begin(input.len());
            compress_with(&mut t, input, out_len, out)
        }
    })?;
    out.truncate(n);
    Some(n)
}

fn compress_with(
    htab: &mut HashTable,
    input: &[u8],
    out_len: usize,
    out: &mut [u8],
) -> Option<usize> {
    let in_len = input.len();
    // Slot value 0 means "empty": position 0 can never be a reference anyway.
    let mut op = 1usize; // byte 0 holds the length of the first literal run
    let mut lit = 0usize;
    let mut ip = 0usize;
    let mut hval = first(input, ip);
    while ip + 2 < in_len {
        hval = next(hval, input, ip);
        let slot = idx(hval);
        let r = htab.get(slot);
        htab.set(slot, ip);
        let matched = r > 0
            && r < ip
            && ip - r - 1 < MAX_OFF
            && input[r + 2] == input[ip + 2]
            && input[r] == input[ip]
            && input[r + 1] == input[ip + 1];
        if matched {
            let off = ip - r - 1;
            let maxlen = (in_len - ip - 2).min(MAX_REF);
            if op + 4 >= out_len && op - (lit == 0) as usize + 4 >= out_len {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= (lit == 0) as usize;
            let mut len = 2usize;
            let mut done = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1;
            ip += len + 1;
            if ip + 2 >= in_len {
                break;
            }
            ip -= 2;
            hval = first(input, ip);
            hval = next(hval, input, ip);
            htab.set(idx(hval), ip);
            ip += 1;
            hval = next(hval, input, ip);
            htab.set(idx(hval), ip);
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            push_literal(out, &mut op, &mut lit, input[ip]);
            ip += 1;
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        push_literal(out, &mut op, &mut lit, input[ip]);
        ip += 1;
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= (lit == 0) as usize;
    Some(op)
}

/// Decompress LZF data whose original length is `out_len`; None on corrupt input. Decoding is
/// defined by the format alone, so the `lzf` crate does it; a length the compressed size cannot
/// possibly expand to (LZF grows at most 264 bytes per 3-byte back-reference) is refused before
/// anything is allocated, so a corrupt RDB length never asks for gigabytes.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if out_len == 0 || out_len / 88 > input.len() + 1 {
        return None;
    }
    let out = ::lzf::decompress(input, out_len).ok()?;
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let mut samples: Vec<Vec<u8>> = vec![
            b"value:1"
                .iter()
                .copied()
                .chain(std::iter::repeat(0).take(43))
                .collect(),
            b"abcabcabcabcabcabcabcabcabcabcabcabcabcabc".to_vec(),
            (0..5000u32).map(|i| (i % 251) as u8).collect(),
            {
                let mut x = 0x9E3779B97F4A7C15u64;
                (0..3000)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 24) as u8
                    })
                    .collect()
            },
        ];
        samples.push(vec![b'x'; 1000]);
        for s in &samples {
            if let Some(c) = compress(s, s.len() - 4) {
                assert_eq!(decompress(&c, s.len()).as_deref(), Some(&s[..]));
            }
        }
        assert!(compress(&samples[3], samples[3].len() - 4).is_none());
    }

    #[test]
    fn redis_sizes() {
        // DEBUG OBJECT serializedlength 18 = 1 + 1 + 1 + 15 for POPULATE's 50-byte value.
        let v: Vec<u8> = b"value:1"
            .iter()
            .copied()
            .chain(std::iter::repeat(0).take(43))
            .collect();
        assert_eq!(compress(&v, v.len() - 4).map(|c| c.len()), Some(15));
    }

    #[test]
    fn reused_table_gives_fresh_table_output() {
        let a: Vec<u8> = b"abcabcabcabc-xyz-abcabcabc-xyz-0123456789".repeat(3);
        let b: Vec<u8> = b"xyz-abc-".repeat(40);
        let fresh = |input: &[u8]| {
            let mut t = HashTable::new();
            t.begin(input.len());
            let mut out = vec![0; input.len() + 8];
            let n = compress_with(&mut t, input, input.len(), &mut out).unwrap();
            out.truncate(n);
            out
        };
        for input in [&a, &b, &a, &b] {
            assert_eq!(compress(input, input.len()).unwrap(), fresh(input));
        }
        // Running out of bases zeroes the table and starts over.
        let mut t = HashTable::new();
        t.next = u32::MAX - 10;
        t.begin(a.len());
        assert_eq!(t.base, 0);
        let mut out = vec![0; a.len() + 8];
        let n = compress_with(&mut t, &a, a.len(), &mut out).unwrap();
        assert_eq!(out[..n], fresh(&a)[..]);
    }
}
