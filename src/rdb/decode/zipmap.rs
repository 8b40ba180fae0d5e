//! Zipmaps (hashes in RDB files of Redis 2.x): a 1-byte count (254+ = unknown), then per pair
//! the field length, the field, the value length, one "free" byte, the value and that many
//! unused bytes; an 0xFF terminator. Lengths are 1 byte below 254, else 0xFE and 4 bytes.
use super::{le, slice, Error};

const END: u8 = 0xff;
const BIGLEN: u8 = 0xfe;

/// A length field at `pos`: (length, bytes it took).
fn length(buf: &[u8], pos: usize) -> Result<Option<(usize, usize)>, Error> {
    match *buf.get(pos).ok_or("zipmap truncated")? {
        END => Ok(None),
        BIGLEN => Ok(Some((le(buf, pos + 1, 4)? as usize, 5))),
        // 253 is never written as a length byte but is read as one; accept it as Redis does.
        n => Ok(Some((n as usize, 1))),
    }
}

/// A (field, value) pair borrowed from the blob.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Validate a whole zipmap and return its (field, value) pairs in order.
pub fn decode(blob: &[u8]) -> Result<Vec<Pair<'_>>, Error> {
    let declared = *blob.first().ok_or("zipmap truncated")?;
    let mut out = Vec::new();
    let mut pos = 1;
    while let Some((flen, n)) = length(blob, pos)? {
        pos += n;
        let field = slice(blob, pos, flen)?;
        pos += flen;
        let Some((vlen, n)) = length(blob, pos)? else {
            return Err("zipmap field without a value");
        };
        pos += n;
        let free = *blob.get(pos).ok_or("zipmap truncated")? as usize;
        pos += 1;
        let value = slice(blob, pos, vlen)?;
        pos += vlen;
        slice(blob, pos, free)?;
        pos += free;
        out.push((field, value));
    }
    if pos + 1 != blob.len() {
        return Err("zipmap has bytes after its terminator");
    }
    if declared < 254 && declared as usize != out.len() {
        return Err("zipmap count does not match its contents");
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn put_len(b: &mut Vec<u8>, n: usize) {
        if n < 254 {
            b.push(n as u8);
        } else {
            b.push(BIGLEN);
            b.extend_from_slice(&(n as u32).to_le_bytes());
        }
    }

    /// Test builder: a zipmap of `pairs`, each value followed by `free` spare bytes.
    pub fn build(pairs: &[(&[u8], &[u8])], free: u8) -> Vec<u8> {
        let mut b = vec![pairs.len().min(254) as u8];
        for (f, v) in pairs {
            put_len(&mut b, f.len());
            b.extend_from_slice(f);
            put_len(&mut b, v.len());
            b.push(free);
            b.extend_from_slice(v);
            b.extend(std::iter::repeat(0).take(free as usize));
        }
        b.push(END);
        b
    }

    #[test]
    fn pairs_with_short_and_long_lengths() {
        let long = vec![b'v'; 400];
        let zm = build(&[(b"a", b"1"), (b"field", &long), (b"", b"")], 2);
        let got = decode(&zm).unwrap();
        assert_eq!(
            got,
            vec![(&b"a"[..], &b"1"[..]), (b"field", &long[..]), (b"", b"")]
        );
        assert_eq!(decode(&build(&[], 0)).unwrap(), vec![]);
    }

    #[test]
    fn rejects_corruption_without_panicking() {
        let zm = build(&[(b"a", b"1"), (b"bb", &[b'x'; 300])], 1);
        for cut in 0..zm.len() {
            assert!(decode(&zm[..cut]).is_err(), "prefix {cut}");
        }
        for i in 0..zm.len() {
            for x in [0u8, 1, 0xfe, 0xff] {
                let mut c = zm.clone();
                c[i] = x;
                let _ = decode(&c);
            }
        }
        let mut c = zm.clone();
        c[0] = 5;
        assert!(decode(&c).is_err());
    }
}
