//! Listpack serialization (the `listpack` format of Redis 7.0): a 6-byte header (total bytes,
//! entry count), entries each followed by its back-length, and an 0xFF terminator.
//!
//! Entries are encoded as Redis's `lpAppend` encodes them, so blobs built here are byte-identical
//! to the listpacks Redis keeps in memory and writes into RDB files and DUMP payloads:
//!
//! ```text
//! 0xxxxxxx                  7-bit unsigned integer        10xxxxxx <data>   string < 64 bytes
//! 110xxxxx yyyyyyyy         13-bit signed integer         1110xxxx yyyyyyyy <data>  < 4096
//! 0xF1 / 0xF2 / 0xF3 / 0xF4 16/24/32/64-bit integer (LE)  0xF0 <u32 LE len> <data>  longer
//! ```
//!
//! After each entry comes its back-length: the size of encoding + data, in 7-bit groups, most
//! significant group first, every group but the first with its high bit set.
use crate::util::fmt_g;

/// Header size: total bytes (u32 LE) + entry count (u16 LE).
pub const HEADER: usize = 6;
/// The terminator byte.
pub const EOF: u8 = 0xFF;
/// The count field saturates here ("unknown, walk the listpack to count").
const COUNT_UNKNOWN: usize = 65535;

/// An integer in the canonical decimal form Redis's `lpStringToInt64` accepts (at most 20
/// bytes, optional `-`, no `+`, no leading zeros, no `-0`), so the entry reads back as the same
/// bytes.
#[inline]
pub fn canonical_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let first = s[0];
    if !(first.is_ascii_digit() || first == b'-') {
        return None;
    }
    crate::util::parse_i64(s)
}

/// A listpack under construction. Reuse one builder (`clear`) for many listpacks to avoid
/// allocating per value.
#[derive(Debug, Clone)]
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
    finished: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&[0; HEADER]);
        Builder {
            buf,
            count: 0,
            finished: false,
        }
    }

    /// Start a new, empty listpack (keeps the allocation).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.buf.extend_from_slice(&[0; HEADER]);
        self.count = 0;
        self.finished = false;
    }

    /// Entries appended so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The total size the listpack has (terminator included), as Redis's `lpBytes` reports it.
    pub fn bytes_len(&self) -> usize {
        self.buf.len() + usize::from(!self.finished)
    }

    #[inline]
    fn reopen(&mut self) {
        if self.finished {
            self.buf.pop();
            self.finished = false;
        }
    }

    /// Append an element as `lpAppend` does: canonical integers in an integer encoding, any
    /// other bytes as a string.
    #[inline]
    pub fn push(&mut self, s: &[u8]) {
        match canonical_i64(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// Append an integer in the smallest integer encoding.
    #[inline]
    pub fn push_int(&mut self, v: i64) {
        self.reopen();
        let b = &mut self.buf;
        let n = if (0..=127).contains(&v) {
            b.push(v as u8);
            1
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1fff;
            b.push(0xC0 | (u >> 8) as u8);
            b.push(u as u8);
            2
        } else if let Ok(x) = i16::try_from(v) {
            b.push(0xF1);
            b.extend_from_slice(&x.to_le_bytes());
            3
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            b.push(0xF2);
            b.extend_from_slice(&v.to_le_bytes()[..3]);
            4
        } else if let Ok(x) = i32::try_from(v) {
            b.push(0xF3);
            b.extend_from_slice(&x.to_le_bytes());
            5
        } else {
            b.push(0xF4);
            b.extend_from_slice(&v.to_le_bytes());
            9
        };
        put_backlen(b, n);
        self.count += 1;
    }

    /// Append bytes in a string encoding (no integer detection).
    #[inline]
    pub fn push_str(&mut self, s: &[u8]) {
        self.reopen();
        let b = &mut self.buf;
        let len = s.len();
        let head = if len < 64 {
            b.push(0x80 | len as u8);
            1
        } else if len < 4096 {
            b.push(0xE0 | (len >> 8) as u8);
            b.push(len as u8);
            2
        } else {
            b.push(0xF0);
            b.extend_from_slice(&(len as u32).to_le_bytes());
            5
        };
        b.extend_from_slice(s);
        put_backlen(b, head + len);
        self.count += 1;
    }

    /// Append a sorted-set score as Redis 7.0 stores it next to the member: integral values
    /// (within ±2^52) as integers, infinities as `inf`/`-inf`, anything else as `%.17g` text.
    pub fn push_score(&mut self, v: f64) {
        if v > -4503599627370495.0 && v < 4503599627370496.0 && v == (v as i64) as f64 {
            self.push_int(v as i64);
        } else if v.is_infinite() {
            self.push_str(if v > 0.0 { b"inf" } else { b"-inf" });
        } else {
            self.push(fmt_g(v, 17).as_bytes());
        }
    }

    /// Terminate the listpack, fill in its header and return its bytes. More entries may still
    /// be pushed afterwards (the terminator moves).
    pub fn finish(&mut self) -> &[u8] {
        if !self.finished {
            self.buf.push(EOF);
            self.finished = true;
        }
        let total = self.buf.len() as u32;
        let count = self.count.min(COUNT_UNKNOWN) as u16;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        &self.buf
    }
}

/// Append the back-length of an entry of `n` bytes (encoding + data), with the size
/// boundaries Redis's `lpEncodeBacklen` uses.
#[inline]
fn put_backlen(b: &mut Vec<u8>, n: usize) {
    let n = n as u64;
    if n <= 127 {
        b.push(n as u8);
        return;
    }
    let groups = if n < 16383 {
        2
    } else if n < 2097151 {
        3
    } else if n < 268435455 {
        4
    } else {
        5
    };
    b.push((n >> (7 * (groups - 1))) as u8);
    for g in (0..groups - 1).rev() {
        b.push(((n >> (7 * g)) & 127) as u8 | 128);
    }
}

/// Serialize `entries` as one listpack, encoding each entry as Redis's lpAppend would
/// (integers in the smallest integer encoding, other strings with the smallest length header).
pub fn build<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut b = Builder::new();
    for e in entries {
        b.push(e);
    }
    b.finish().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp(entries: &[&[u8]]) -> Vec<u8> {
        build(entries.iter().copied())
    }

    #[test]
    fn empty() {
        assert_eq!(lp(&[]), [7, 0, 0, 0, 0, 0, 0xFF]);
    }

    #[test]
    fn list_as_redis_dumps_it() {
        // From Redis 7.0.15: RPUSH l 1 2 hello -5 1000 100000, DUMP l (the node's listpack).
        let want = b"\x1d\x00\x00\x00\x06\x00\x01\x01\x02\x01\x85hello\x06\xdf\xfb\x02\xc3\xe8\x02\xf2\xa0\x86\x01\x04\xff";
        assert_eq!(lp(&[b"1", b"2", b"hello", b"-5", b"1000", b"100000"]), want);
    }

    #[test]
    fn integer_encodings() {
        let one = |v: i64| {
            let mut b = Builder::new();
            b.push_int(v);
            b.finish()[HEADER..].to_vec()
        };
        assert_eq!(one(0), [0, 1, 0xFF]);
        assert_eq!(one(127), [127, 1, 0xFF]);
        assert_eq!(one(128), [0xC0, 128, 2, 0xFF]);
        assert_eq!(one(-1), [0xDF, 0xFF, 2, 0xFF]);
        assert_eq!(one(-4096), [0xD0, 0x00, 2, 0xFF]);
        assert_eq!(one(4095), [0xCF, 0xFF, 2, 0xFF]);
        assert_eq!(one(4096), [0xF1, 0x00, 0x10, 3, 0xFF]);
        assert_eq!(one(-32768), [0xF1, 0x00, 0x80, 3, 0xFF]);
        assert_eq!(one(32768), [0xF2, 0x00, 0x80, 0x00, 4, 0xFF]);
        assert_eq!(one(-8388608), [0xF2, 0x00, 0x00, 0x80, 4, 0xFF]);
        assert_eq!(one(8388608), [0xF3, 0, 0, 0x80, 0, 5, 0xFF]);
        assert_eq!(one(i64::MIN), [0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 9, 0xFF]);
    }

    #[test]
    fn string_detection_is_canonical_only() {
        assert_eq!(lp(&[b"012"])[HEADER], 0x83);
        assert_eq!(lp(&[b"-0"])[HEADER], 0x82);
        assert_eq!(lp(&[b"+1"])[HEADER], 0x82);
        assert_eq!(lp(&[b" 1"])[HEADER], 0x82);
        assert_eq!(lp(&[b"9223372036854775808"])[HEADER], 0x80 | 19);
        assert_eq!(lp(&[b"-9223372036854775808"])[HEADER], 0xF4);
        assert_eq!(lp(&[b""]), [9, 0, 0, 0, 1, 0, 0x80, 1, 0xFF]);
    }

    #[test]
    fn string_headers_and_backlens() {
        let s63 = vec![b'x'; 63];
        let s64 = vec![b'x'; 64];
        let s4095 = vec![b'x'; 4095];
        let s4096 = vec![b'x'; 4096];
        let out = lp(&[&s63]);
        assert_eq!(out[HEADER], 0x80 | 63);
        assert_eq!(out[out.len() - 2], 64);
        let out = lp(&[&s64]);
        assert_eq!(&out[HEADER..HEADER + 2], [0xE0, 64]);
        // backlen of 66 bytes.
        assert_eq!(out[out.len() - 2], 66);
        let out = lp(&[&s4095]);
        assert_eq!(&out[HEADER..HEADER + 2], [0xEF, 0xFF]);
        // 4097 = 32 * 128 + 1 -> [32, 1 | 128].
        assert_eq!(&out[out.len() - 3..out.len() - 1], [32, 129]);
        let out = lp(&[&s4096]);
        assert_eq!(&out[HEADER..HEADER + 5], [0xF0, 0, 0x10, 0, 0]);
        // 4101 = 32 * 128 + 5.
        assert_eq!(&out[out.len() - 3..out.len() - 1], [32, 133]);
        assert_eq!(out.len(), HEADER + 5 + 4096 + 2 + 1);
        assert_eq!(
            u32::from_le_bytes(out[0..4].try_into().unwrap()),
            out.len() as u32
        );
    }

    #[test]
    fn backlen_boundaries() {
        let bl = |n: usize| {
            let mut v = Vec::new();
            put_backlen(&mut v, n);
            v
        };
        assert_eq!(bl(127), [127]);
        assert_eq!(bl(128), [1, 128]);
        assert_eq!(bl(16382), [127, 254]);
        assert_eq!(bl(16383), [0, 255, 255]);
        assert_eq!(bl(2097150), [127, 255, 254]);
        assert_eq!(bl(2097151), [0, 255, 255, 255]);
        assert_eq!(bl(268435455), [0, 255, 255, 255, 255]);
    }

    #[test]
    fn zset_scores_as_redis_stores_them() {
        // From Redis 7.0.15: ZADD z 1 a 1.5 b -2 c inf d 0.1 e -inf f (LZF-decompressed).
        let mut b = Builder::new();
        for (m, s) in [
            ("f", f64::NEG_INFINITY),
            ("c", -2.0),
            ("e", 0.1),
            ("a", 1.0),
            ("b", 1.5),
            ("d", f64::INFINITY),
        ] {
            b.push(m.as_bytes());
            b.push_score(s);
        }
        let out = b.finish().to_vec();
        assert_eq!(out.len(), 0x43);
        assert_eq!(&out[4..6], [12, 0]);
        let body = b"\x81f\x02\x84-inf\x05\x81c\x02\xdf\xfe\x02\x81e\x02\x930.10000000000000001\x14\x81a\x02\x01\x01\x81b\x02\x831.5\x04\x81d\x02\x83inf\x04\xff";
        assert_eq!(&out[HEADER..], body);
        let mut z = Builder::new();
        z.push_score(-0.0);
        z.push_score(1e20);
        assert_eq!(&z.finish()[HEADER..], b"\x00\x01\x851e+20\x06\xff");
    }

    #[test]
    fn count_saturates_and_builder_reuses() {
        let mut b = Builder::new();
        for _ in 0..70000 {
            b.push_int(1);
        }
        assert_eq!(&b.finish()[4..6], [0xFF, 0xFF]);
        b.clear();
        b.push(b"a");
        assert_eq!(b.bytes_len(), 10);
        assert_eq!(b.finish(), [10, 0, 0, 0, 1, 0, 0x81, b'a', 2, 0xFF]);
        b.push(b"b");
        assert_eq!(b.finish().len(), 13);
    }
}
