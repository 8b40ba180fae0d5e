//! Listpacks (Redis 7 hashes, sorted sets, quicklist-2 nodes, 7.2 sets): a 4-byte total size,
//! a 2-byte element count (65535 = unknown), entries, and an 0xFF terminator. Each entry is an
//! encoding byte (small integers, 13/16/24/32/64-bit integers, strings with 6, 12 or 32-bit
//! lengths), its data, and a 1-5 byte "back length" giving the entry's size for reverse walks.
use super::{le, sign_extend, slice, Error, Item};

const HEADER: usize = 6;
const EOF: u8 = 0xff;
const UNKNOWN_COUNT: u64 = 65535;

/// Bytes the back length of an entry of `n` bytes takes.
fn backlen_size(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16383 => 2,
        16384..=2097151 => 3,
        2097152..=268435455 => 4,
        _ => 5,
    }
}

/// Check the back length ending at `end` (exclusive) encodes `n` in `backlen_size(n)` bytes:
/// read backwards, 7 bits per byte, the high bit set on every byte but the first written.
fn check_backlen(buf: &[u8], start: usize, n: usize) -> Result<usize, Error> {
    let size = backlen_size(n);
    let b = slice(buf, start, size)?;
    let mut v: u64 = 0;
    for (i, x) in b.iter().rev().enumerate() {
        v |= ((x & 0x7f) as u64) << (7 * i);
        let more = x & 0x80 != 0;
        if more != (i + 1 < size) {
            return Err("listpack entry has an invalid back length");
        }
    }
    if v != n as u64 {
        return Err("listpack entry back length does not match the entry");
    }
    Ok(size)
}

/// One entry at `pos`: the item and the size of encoding + data (without the back length).
fn entry(buf: &[u8], pos: usize) -> Result<(Item<'_>, usize), Error> {
    let b = buf[pos];
    let d = pos + 1;
    Ok(match b {
        0x00..=0x7f => (Item::Int(b as i64), 1),
        0x80..=0xbf => {
            let n = (b & 0x3f) as usize;
            (Item::Str(slice(buf, d, n)?), 1 + n)
        }
        0xc0..=0xdf => {
            let v = (((b & 0x1f) as u64) << 8) | le(buf, d, 1)?;
            (Item::Int(sign_extend(v, 13)), 2)
        }
        0xe0..=0xef => {
            let n = (((b & 0x0f) as usize) << 8) | le(buf, d, 1)? as usize;
            (Item::Str(slice(buf, d + 1, n)?), 2 + n)
        }
        0xf0 => {
            let n = le(buf, d, 4)? as usize;
            (Item::Str(slice(buf, d + 4, n)?), 5 + n)
        }
        0xf1 => (Item::Int(sign_extend(le(buf, d, 2)?, 16)), 3),
        0xf2 => (Item::Int(sign_extend(le(buf, d, 3)?, 24)), 4),
        0xf3 => (Item::Int(sign_extend(le(buf, d, 4)?, 32)), 5),
        0xf4 => (Item::Int(le(buf, d, 8)? as i64), 9),
        _ => return Err("listpack entry with an invalid encoding"),
    })
}

/// Validate a whole listpack and return its elements in order.
pub fn decode(blob: &[u8]) -> Result<Vec<Item<'_>>, Error> {
    let total = le(blob, 0, 4).map_err(|_| "listpack header truncated")?;
    let count = le(blob, 4, 2).map_err(|_| "listpack header truncated")?;
    if total != blob.len() as u64 || blob.len() < HEADER + 1 {
        return Err("listpack size does not match its header");
    }
    if blob[blob.len() - 1] != EOF {
        return Err("listpack is not terminated");
    }
    let end = blob.len() - 1;
    let mut out = Vec::with_capacity(if count == UNKNOWN_COUNT {
        0
    } else {
        count as usize
    });
    let mut pos = HEADER;
    while pos < end {
        let (item, n) = entry(&blob[..end], pos)?;
        pos += n;
        pos += check_backlen(&blob[..end], pos, n)?;
        out.push(item);
    }
    if count != UNKNOWN_COUNT && count != out.len() as u64 {
        return Err("listpack element count does not match its header");
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Test builder: encode entries from their raw encoding+data bytes.
    pub fn build(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        for e in entries {
            body.extend_from_slice(e);
            let n = e.len();
            let size = backlen_size(n);
            let mut bl = vec![0u8; size];
            for (i, slot) in bl.iter_mut().rev().enumerate() {
                *slot = ((n >> (7 * i)) & 0x7f) as u8 | if i + 1 < size { 0x80 } else { 0 };
            }
            body.extend_from_slice(&bl);
        }
        let total = HEADER + body.len() + 1;
        let mut b = (total as u32).to_le_bytes().to_vec();
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        b.extend_from_slice(&body);
        b.push(EOF);
        b
    }

    pub fn str_entry(s: &[u8]) -> Vec<u8> {
        let mut e = if s.len() < 64 {
            vec![0x80 | s.len() as u8]
        } else if s.len() < 4096 {
            vec![0xe0 | (s.len() >> 8) as u8, s.len() as u8]
        } else {
            let mut e = vec![0xf0];
            e.extend_from_slice(&(s.len() as u32).to_le_bytes());
            e
        };
        e.extend_from_slice(s);
        e
    }

    #[test]
    fn every_encoding() {
        let big = vec![b'q'; 5000];
        let mid = vec![b'm'; 200];
        let mut e13 = vec![0xc0 | 0x1f, 0xff]; // -1 in 13 bits
        let e13b = vec![0xc0 | 0x0f, 0xff]; // 4095
        let e16 = [vec![0xf1], (-300i16).to_le_bytes().to_vec()].concat();
        let e24 = [vec![0xf2], (-70000i32).to_le_bytes()[..3].to_vec()].concat();
        let e32 = [vec![0xf3], (1i32 << 30).to_le_bytes().to_vec()].concat();
        let e64 = [vec![0xf4], i64::MIN.to_le_bytes().to_vec()].concat();
        let lp = build(&[
            vec![5],
            str_entry(b"hello"),
            e13.clone(),
            e13b,
            str_entry(&mid),
            str_entry(&big),
            e16,
            e24,
            e32,
            e64,
        ]);
        let items = decode(&lp).unwrap();
        assert_eq!(
            items,
            vec![
                Item::Int(5),
                Item::Str(b"hello"),
                Item::Int(-1),
                Item::Int(4095),
                Item::Str(&mid),
                Item::Str(&big),
                Item::Int(-300),
                Item::Int(-70000),
                Item::Int(1 << 30),
                Item::Int(i64::MIN),
            ]
        );
        e13[0] = 0xf7;
        assert!(decode(&build(&[e13])).is_err());
    }

    #[test]
    fn rejects_corruption_without_panicking() {
        let lp = build(&[str_entry(b"abc"), vec![7], str_entry(&[b'z'; 300])]);
        assert!(decode(&lp).is_ok());
        for cut in 0..lp.len() {
            assert!(decode(&lp[..cut]).is_err(), "prefix {cut}");
        }
        for i in 0..lp.len() {
            for x in [0u8, 0x7f, 0x80, 0xf0, 0xff] {
                let mut c = lp.clone();
                c[i] = x;
                let _ = decode(&c); // must not panic
            }
        }
        let mut wrong_count = lp.clone();
        wrong_count[4] = 2;
        assert!(decode(&wrong_count).is_err());
        let mut unknown = lp.clone();
        unknown[4] = 0xff;
        unknown[5] = 0xff;
        assert_eq!(decode(&unknown).unwrap().len(), 3);
    }
}
