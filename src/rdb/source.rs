//! The reading end of an RDB stream: buffered reads that keep the running CRC64 and the byte
//! offset, and decode the format's primitives. Every length read from the file is treated as
//! untrusted: buffers grow only as bytes actually arrive, so a corrupt length ends in
//! `Short read`, never in a giant allocation or a panic.
use super::consts::*;
use super::error::RdbError;
use std::io::Read;

const BUF: usize = 256 * 1024;

/// Bytes read at once for a long string before the file proves it is that long.
const GROW: usize = 1 << 20;

/// A length field: a plain length, or the marker of a specially encoded string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    Len(u64),
    Encoded(u8),
}

pub struct Reader<R: Read> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Start of the bytes in `buf` not yet fed to the CRC.
    crc_from: usize,
    crc: crc::Digest<'static, u64, crc::Table<16>>,
    /// Bytes consumed before `buf[0]`.
    base: u64,
}

pub type Result<T> = std::result::Result<T, RdbError>;

impl<R: Read> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader {
            inner,
            buf: vec![0; BUF].into_boxed_slice(),
            pos: 0,
            end: 0,
            crc_from: 0,
            crc: super::CRC64.digest(),
            base: 0,
        }
    }

    /// Bytes consumed so far (the offset errors report).
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// A corruption error at the current offset.
    pub fn corrupt(&self, what: impl Into<String>) -> RdbError {
        RdbError::corrupt(self.offset(), what)
    }

    /// Make at least `n` (<= BUF) bytes available; Short read if the input ends first.
    fn fill(&mut self, n: usize) -> Result<()> {
        debug_assert!(n <= BUF);
        if self.end - self.pos >= n {
            return Ok(());
        }
        self.crc.update(&self.buf[self.crc_from..self.pos]);
        self.buf.copy_within(self.pos..self.end, 0);
        self.base += self.pos as u64;
        self.end -= self.pos;
        self.pos = 0;
        self.crc_from = 0;
        while self.end < n {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => return Err(RdbError::ShortRead),
                Ok(k) => self.end += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        if self.pos == self.end {
            self.fill(1)?;
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    /// Exactly `N` bytes.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.fill(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        Ok(a)
    }

    /// Exactly `n` bytes, allocated as they arrive.
    pub fn bytes(&mut self, n: u64) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.bytes_into(n, &mut v)?;
        Ok(v)
    }

    /// Exactly `n` bytes appended to `out`, which grows only as they arrive.
    pub fn bytes_into(&mut self, n: u64, out: &mut Vec<u8>) -> Result<()> {
        let n = usize::try_from(n).map_err(|_| RdbError::ShortRead)?;
        if n <= self.end - self.pos {
            out.extend_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(());
        }
        out.reserve(n.min(GROW));
        let mut left = n;
        while left > 0 {
            if self.pos == self.end {
                self.fill(1)?;
            }
            let take = left.min(self.end - self.pos);
            out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
            left -= take;
        }
        Ok(())
    }

    /// Skip `n` bytes.
    pub fn skip(&mut self, n: u64) -> Result<()> {
        let mut left = n;
        while left > 0 {
            if self.pos == self.end {
                self.fill(1)?;
            }
            let take = (left.min((self.end - self.pos) as u64)) as usize;
            self.pos += take;
            left -= take as u64;
        }
        Ok(())
    }

    /// A length field, or the marker of an encoded string.
    #[inline]
    pub fn len_or_enc(&mut self) -> Result<Len> {
        let b = self.u8()?;
        match b >> 6 {
            0 => Ok(Len::Len((b & 0x3f) as u64)),
            1 => Ok(Len::Len((((b & 0x3f) as u64) << 8) | self.u8()? as u64)),
            3 => Ok(Len::Encoded(b & 0x3f)),
            _ => match b {
                LEN_32BIT => Ok(Len::Len(u32::from_be_bytes(self.array()?) as u64)),
                LEN_64BIT => Ok(Len::Len(u64::from_be_bytes(self.array()?))),
                _ => Err(self.corrupt(format!("Unknown length encoding {b} in rdbLoadLen()"))),
            },
        }
    }

    /// A plain length (an encoded-string marker here is corruption).
    #[inline]
    pub fn length(&mut self) -> Result<u64> {
        match self.len_or_enc()? {
            Len::Len(n) => Ok(n),
            Len::Encoded(_) => Err(self.corrupt("unexpected encoded length")),
        }
    }

    /// A string in any encoding: integer, LZF or raw.
    pub fn string(&mut self) -> Result<Vec<u8>> {
        match self.len_or_enc()? {
            Len::Len(n) => self.bytes(n),
            Len::Encoded(e) => self.encoded_string(e),
        }
    }

    /// Like `string`, into `out` (cleared first): reusing one buffer saves an allocation
    /// per key while loading.
    pub fn string_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        match self.len_or_enc()? {
            Len::Len(n) => self.bytes_into(n, out),
            Len::Encoded(e) => {
                let v = self.encoded_string(e)?;
                out.extend_from_slice(&v);
                Ok(())
            }
        }
    }

    /// The body of a specially encoded string (integer or LZF) after its marker.
    fn encoded_string(&mut self, e: u8) -> Result<Vec<u8>> {
        match e {
            ENC_INT8 => Ok(int_text(self.u8()? as i8 as i64)),
            ENC_INT16 => Ok(int_text(i16::from_le_bytes(self.array()?) as i64)),
            ENC_INT32 => Ok(int_text(i32::from_le_bytes(self.array()?) as i64)),
            ENC_LZF => {
                let clen = self.length()?;
                let len = self.length()?;
                let c = self.bytes(clen)?;
                let len = usize::try_from(len).map_err(|_| self.corrupt("LZF length"))?;
                crate::lzf::decompress(&c, len)
                    .ok_or_else(|| self.corrupt("Invalid LZF compressed string"))
            }
            e => Err(self.corrupt(format!("Unknown RDB string encoding type {e}"))),
        }
    }

    /// Skip a string in any encoding without materializing it.
    pub fn skip_string(&mut self) -> Result<()> {
        match self.len_or_enc()? {
            Len::Len(n) => self.skip(n),
            Len::Encoded(ENC_INT8) => self.skip(1),
            Len::Encoded(ENC_INT16) => self.skip(2),
            Len::Encoded(ENC_INT32) => self.skip(4),
            Len::Encoded(ENC_LZF) => {
                let clen = self.length()?;
                self.length()?;
                self.skip(clen)
            }
            Len::Encoded(e) => Err(self.corrupt(format!("Unknown RDB string encoding type {e}"))),
        }
    }

    /// An 8-byte little-endian double (ZSET_2 scores, module doubles).
    #[inline]
    pub fn f64_bin(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A double as the old ZSET type writes it: one length byte then ASCII text, with 253,
    /// 254, 255 meaning NaN, +inf, -inf.
    pub fn f64_text(&mut self) -> Result<f64> {
        let n = self.u8()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let b = self.bytes(n as u64)?;
                std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .ok_or_else(|| self.corrupt("Invalid double value"))
            }
        }
    }

    /// An 8-byte little-endian millisecond time (EXPIRETIME_MS).
    #[inline]
    pub fn millis(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A 4-byte little-endian second time (EXPIRETIME), in milliseconds.
    pub fn secs_as_millis(&mut self) -> Result<i64> {
        Ok(i32::from_le_bytes(self.array()?) as i64 * 1000)
    }

    /// The CRC64 of every byte consumed so far (to compare with the trailer that follows).
    pub fn crc_so_far(&mut self) -> u64 {
        self.crc.update(&self.buf[self.crc_from..self.pos]);
        self.crc_from = self.pos;
        self.crc.clone().finalize()
    }
}

fn int_text(v: i64) -> Vec<u8> {
    itoa::Buffer::new().format(v).as_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::super::sink::Writer;
    use super::*;

    #[test]
    fn primitives_round_trip() {
        let mut w = Writer::new(Vec::new(), true);
        for n in [0u64, 63, 64, 16383, 16384, u32::MAX as u64, 1 << 40] {
            w.put_len(n).unwrap();
        }
        let strs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"-1".to_vec(),
            b"32767".to_vec(),
            b"-2147483648".to_vec(),
            b"12345678901".to_vec(),
            vec![b'z'; 5000],
            (0..70000u32).map(|i| (i * 7 % 256) as u8).collect(),
        ];
        for s in &strs {
            w.put_string(s).unwrap();
        }
        w.put_f64(-0.5).unwrap();
        w.put_millis(1_700_000_000_123).unwrap();
        let crc_before = w.crc_so_far().unwrap();
        let bytes = w.finish_with_crc(true).unwrap();

        let mut r = Reader::new(&bytes[..]);
        for n in [0u64, 63, 64, 16383, 16384, u32::MAX as u64, 1 << 40] {
            assert_eq!(r.length().unwrap(), n);
        }
        for s in &strs {
            assert_eq!(&r.string().unwrap(), s);
        }
        assert_eq!(r.f64_bin().unwrap(), -0.5);
        assert_eq!(r.millis().unwrap(), 1_700_000_000_123);
        assert_eq!(r.crc_so_far(), crc_before);
        assert_eq!(u64::from_le_bytes(r.array().unwrap()), crc_before);
        assert!(matches!(r.u8(), Err(RdbError::ShortRead)));
    }

    #[test]
    fn huge_length_is_a_short_read_not_an_allocation() {
        let mut w = Writer::new(Vec::new(), false);
        w.put_len(1 << 50).unwrap();
        w.put_raw(b"abc").unwrap();
        let bytes = w.into_inner().unwrap();
        let mut r = Reader::new(&bytes[..]);
        assert!(matches!(r.string(), Err(RdbError::ShortRead)));
    }
}
