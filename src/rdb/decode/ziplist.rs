//! Ziplists (lists, hashes and sorted sets before Redis 7, quicklist v1 nodes): a 4-byte total
//! size, a 4-byte offset of the last entry, a 2-byte count (65535 = unknown), entries, and an
//! 0xFF terminator. Each entry starts with the previous entry's size (1 byte below 254, else
//! 0xFE and 4 bytes), then an encoding: strings with 6, 14 or 32-bit lengths, 8/16/24/32/64-bit
//! integers, or an immediate 0..12 in the low nibble of 0xF1..0xFD.
use super::{le, sign_extend, slice, Error, Item};

const HEADER: usize = 10;
const EOF: u8 = 0xff;
const BIG_PREVLEN: u8 = 0xfe;
const UNKNOWN_COUNT: u64 = 65535;

/// The entry at `pos`: its item and total size (prevlen, encoding and data).
fn entry(buf: &[u8], pos: usize, prev_size: usize) -> Result<(Item<'_>, usize), Error> {
    let (prevlen, mut p) = if buf[pos] == BIG_PREVLEN {
        (le(buf, pos + 1, 4)? as usize, pos + 5)
    } else {
        (buf[pos] as usize, pos + 1)
    };
    if prevlen != prev_size {
        return Err("ziplist entry prevlen does not match the previous entry");
    }
    let enc = *buf.get(p).ok_or("ziplist entry truncated")?;
    p += 1;
    let item = match enc >> 6 {
        0 => {
            let n = (enc & 0x3f) as usize;
            let s = slice(buf, p, n)?;
            p += n;
            Item::Str(s)
        }
        1 => {
            let n = (((enc & 0x3f) as usize) << 8) | le(buf, p, 1)? as usize;
            let s = slice(buf, p + 1, n)?;
            p += 1 + n;
            Item::Str(s)
        }
        2 => {
            let b = slice(buf, p, 4)?;
            let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
            let s = slice(buf, p + 4, n)?;
            p += 4 + n;
            Item::Str(s)
        }
        _ => {
            let (v, n) = match enc {
                0xc0 => (sign_extend(le(buf, p, 2)?, 16), 2),
                0xd0 => (sign_extend(le(buf, p, 4)?, 32), 4),
                0xe0 => (le(buf, p, 8)? as i64, 8),
                0xf0 => (sign_extend(le(buf, p, 3)?, 24), 3),
                0xfe => (sign_extend(le(buf, p, 1)?, 8), 1),
                0xf1..=0xfd => ((enc & 0x0f) as i64 - 1, 0),
                _ => return Err("ziplist entry with an invalid encoding"),
            };
            p += n;
            Item::Int(v)
        }
    };
    Ok((item, p - pos))
}

/// Validate a whole ziplist and return its elements in order.
pub fn decode(blob: &[u8]) -> Result<Vec<Item<'_>>, Error> {
    let total = le(blob, 0, 4).map_err(|_| "ziplist header truncated")?;
    let tail = le(blob, 4, 4).map_err(|_| "ziplist header truncated")?;
    let count = le(blob, 8, 2).map_err(|_| "ziplist header truncated")?;
    if total != blob.len() as u64 || blob.len() < HEADER + 1 {
        return Err("ziplist size does not match its header");
    }
    if blob[blob.len() - 1] != EOF {
        return Err("ziplist is not terminated");
    }
    let end = blob.len() - 1;
    let mut out = Vec::with_capacity(if count == UNKNOWN_COUNT {
        0
    } else {
        count as usize
    });
    let mut pos = HEADER;
    let mut prev = 0;
    let mut last = HEADER;
    while pos < end {
        let (item, n) = entry(&blob[..end], pos, prev)?;
        last = pos;
        pos += n;
        prev = n;
        out.push(item);
    }
    if tail != last as u64 {
        return Err("ziplist tail offset does not point at the last entry");
    }
    if count != UNKNOWN_COUNT && count != out.len() as u64 {
        return Err("ziplist element count does not match its header");
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Test builder: entries given as encoding+data bytes; prevlens, tail and count computed.
    pub fn build(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = HEADER;
        for e in entries {
            tail = HEADER + body.len();
            let start = body.len();
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(BIG_PREVLEN);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            body.extend_from_slice(e);
            prev = body.len() - start;
        }
        let total = HEADER + body.len() + 1;
        let mut b = (total as u32).to_le_bytes().to_vec();
        b.extend_from_slice(&(tail as u32).to_le_bytes());
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        b.extend_from_slice(&body);
        b.push(EOF);
        b
    }

    /// A string entry's encoding+data in the shortest form.
    pub fn str_entry(s: &[u8]) -> Vec<u8> {
        let mut e = if s.len() < 64 {
            vec![s.len() as u8]
        } else if s.len() < 16384 {
            vec![0x40 | (s.len() >> 8) as u8, s.len() as u8]
        } else {
            let mut e = vec![0x80];
            e.extend_from_slice(&(s.len() as u32).to_be_bytes());
            e
        };
        e.extend_from_slice(s);
        e
    }

    /// An integer entry in the smallest ziplist integer encoding.
    pub fn int_entry(v: i64) -> Vec<u8> {
        match v {
            0..=12 => vec![0xf1 + v as u8],
            -128..=127 => vec![0xfe, v as u8],
            -32768..=32767 => [vec![0xc0], (v as i16).to_le_bytes().to_vec()].concat(),
            -8388608..=8388607 => [vec![0xf0], (v as i32).to_le_bytes()[..3].to_vec()].concat(),
            -2147483648..=2147483647 => [vec![0xd0], (v as i32).to_le_bytes().to_vec()].concat(),
            _ => [vec![0xe0], v.to_le_bytes().to_vec()].concat(),
        }
    }

    #[test]
    fn every_encoding_and_both_prevlen_forms() {
        let big = vec![b'b'; 300]; // makes the next prevlen 5 bytes
        let huge = vec![b'h'; 20000];
        let ints = [
            0i64,
            12,
            13,
            -1,
            127,
            -128,
            1000,
            -30000,
            100000,
            -8000000,
            1 << 31,
            i64::MAX,
        ];
        let mut entries = vec![str_entry(b"x"), str_entry(&big), str_entry(&huge)];
        entries.extend(ints.iter().map(|&v| int_entry(v)));
        let zl = build(&entries);
        let items = decode(&zl).unwrap();
        assert_eq!(items[0], Item::Str(b"x"));
        assert_eq!(items[1], Item::Str(&big));
        assert_eq!(items[2], Item::Str(&huge));
        let got: Vec<Item> = items[3..].to_vec();
        let want: Vec<Item> = ints.iter().map(|&v| Item::Int(v)).collect();
        assert_eq!(got, want);
        assert_eq!(decode(&build(&[])).unwrap(), vec![]);
    }

    #[test]
    fn rejects_corruption_without_panicking() {
        let zl = build(&[
            str_entry(b"abc"),
            int_entry(7),
            str_entry(&[b'z'; 300]),
            int_entry(1),
        ]);
        assert!(decode(&zl).is_ok());
        for cut in 0..zl.len() {
            assert!(decode(&zl[..cut]).is_err(), "prefix {cut}");
        }
        for i in 0..zl.len() {
            for x in [0u8, 0x3f, 0x40, 0x80, 0xc0, 0xf5, 0xfe, 0xff] {
                let mut c = zl.clone();
                c[i] = x;
                let _ = decode(&c);
            }
        }
        let mut bad_tail = zl.clone();
        bad_tail[4] = 10;
        assert!(decode(&bad_tail).is_err());
        let mut bad_count = zl.clone();
        bad_count[8] = 3;
        assert!(decode(&bad_count).is_err());
    }
}
