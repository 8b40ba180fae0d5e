//! The writing end of an RDB stream: buffers output, keeps the running CRC64, and encodes the
//! format's primitives (lengths, strings as integers / LZF / raw bytes, binary doubles,
//! millisecond times) exactly as Redis encodes them, so files and DUMP payloads match
//! Redis's byte for byte where Redis is deterministic.
use super::consts::*;
use crate::util::parse_i64;
use std::io::{self, Write};

/// Output is handed to the underlying writer in chunks of about this size.
const CHUNK: usize = 64 * 1024;

pub struct Writer<W: Write> {
    out: W,
    buf: Vec<u8>,
    crc: crc::Digest<'static, u64, crc::Table<16>>,
    /// Bytes handed to `out` so far (not counting `buf`).
    flushed: u64,
    /// `rdbcompression`: try LZF on strings longer than 20 bytes.
    pub compress: bool,
    /// LZF output, reused from string to string.
    lzf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, compress: bool) -> Self {
        Writer {
            out,
            buf: Vec::with_capacity(CHUNK + 1024),
            crc: super::CRC64.digest(),
            flushed: 0,
            compress,
            lzf: Vec::new(),
        }
    }

    /// Bytes written so far, buffered ones included.
    pub fn written(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    #[inline]
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.crc.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    #[inline]
    pub fn put_u8(&mut self, b: u8) -> io::Result<()> {
        self.buf.push(b);
        self.maybe_flush()
    }

    /// Raw bytes, no length prefix (the `REDIS0010` magic, binary numbers).
    #[inline]
    pub fn put_raw(&mut self, b: &[u8]) -> io::Result<()> {
        if b.len() >= CHUNK {
            self.flush_buf()?;
            self.crc.update(b);
            self.out.write_all(b)?;
            self.flushed += b.len() as u64;
            return Ok(());
        }
        self.buf.extend_from_slice(b);
        self.maybe_flush()
    }

    /// A length: 6-bit, 14-bit, 32-bit or 64-bit big-endian, whichever fits.
    #[inline]
    pub fn put_len(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.buf.push(n as u8);
        } else if n < 1 << 14 {
            self.buf.push((LEN_14BIT << 6) | (n >> 8) as u8);
            self.buf.push(n as u8);
        } else if n <= u32::MAX as u64 {
            self.buf.push(LEN_32BIT);
            self.buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            self.buf.push(LEN_64BIT);
            self.buf.extend_from_slice(&n.to_be_bytes());
        }
        self.maybe_flush()
    }

    /// An integer in the string-integer encoding (1, 2 or 4 bytes little-endian) when it fits
    /// in 32 bits; returns false (nothing written) otherwise.
    #[inline]
    pub fn put_int_encoded(&mut self, v: i64) -> io::Result<bool> {
        let enc = LEN_ENCVAL << 6;
        if let Ok(x) = i8::try_from(v) {
            self.buf.push(enc | ENC_INT8);
            self.buf.push(x as u8);
        } else if let Ok(x) = i16::try_from(v) {
            self.buf.push(enc | ENC_INT16);
            self.buf.extend_from_slice(&x.to_le_bytes());
        } else if let Ok(x) = i32::try_from(v) {
            self.buf.push(enc | ENC_INT32);
            self.buf.extend_from_slice(&x.to_le_bytes());
        } else {
            return Ok(false);
        }
        self.maybe_flush()?;
        Ok(true)
    }

    /// A string as Redis's rdbSaveRawString writes it: short canonical integers that fit 32
    /// bits as integers; with compression, strings over 20 bytes as LZF when that saves at
    /// least 4 bytes; everything else as length + bytes.
    #[inline]
    pub fn put_string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= INT_MAX_STR_LEN {
            if let Some(v) = parse_i64(s).filter(|&v| canonical(v, s)) {
                if self.put_int_encoded(v)? {
                    return Ok(());
                }
            }
        }
        if self.compress && s.len() > LZF_MIN_LEN {
            let mut c = std::mem::take(&mut self.lzf);
            if let Some(n) = crate::lzf::compress_into(s, s.len() - 4, &mut c) {
                self.buf.push((LEN_ENCVAL << 6) | ENC_LZF);
                let res = self
                    .put_len(n as u64)
                    .and_then(|_| self.put_len(s.len() as u64))
                    .and_then(|_| self.put_raw(&c));
                self.lzf = c;
                return res;
            }
            self.lzf = c;
        }
        self.put_len(s.len() as u64)?;
        self.put_raw(s)
    }

    /// An integer value stored as a string (Redis's rdbSaveLongLongAsStringObject): integer
    /// encoding when it fits 32 bits, otherwise its decimal text.
    pub fn put_int_string(&mut self, v: i64) -> io::Result<()> {
        if self.put_int_encoded(v)? {
            return Ok(());
        }
        let mut b = itoa::Buffer::new();
        let s = b.format(v).as_bytes();
        self.put_len(s.len() as u64)?;
        self.put_raw(s)
    }

    /// A double as 8 little-endian bytes (ZSET_2 scores).
    #[inline]
    pub fn put_f64(&mut self, v: f64) -> io::Result<()> {
        self.put_raw(&v.to_le_bytes())
    }

    /// A millisecond unix time as 8 little-endian bytes (EXPIRETIME_MS).
    #[inline]
    pub fn put_millis(&mut self, ms: i64) -> io::Result<()> {
        self.put_raw(&ms.to_le_bytes())
    }

    /// Write the CRC64 of everything so far (little-endian), or eight zero bytes when
    /// `checksum` is false (`rdbchecksum no`), flush, and hand back the writer.
    pub fn finish_with_crc(mut self, checksum: bool) -> io::Result<W> {
        self.flush_buf()?;
        let sum = if checksum {
            self.crc.clone().finalize()
        } else {
            0
        };
        self.out.write_all(&sum.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The CRC64 of everything written so far.
    pub fn crc_so_far(&mut self) -> io::Result<u64> {
        self.flush_buf()?;
        Ok(self.crc.clone().finalize())
    }

    /// Flush buffered bytes and return the underlying writer, without a trailer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush_buf()?;
        Ok(self.out)
    }
}

/// Whether `s` is exactly the decimal text of `v` (Redis only integer-encodes such strings,
/// so they load back byte for byte).
fn canonical(v: i64, s: &[u8]) -> bool {
    itoa::Buffer::new().format(v).as_bytes() == s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), true);
        f(&mut w).unwrap();
        w.into_inner().unwrap()
    }

    #[test]
    fn lengths() {
        assert_eq!(enc(|w| w.put_len(10)), [10]);
        assert_eq!(enc(|w| w.put_len(300)), [0x41, 0x2c]);
        assert_eq!(enc(|w| w.put_len(70000)), [0x80, 0, 1, 0x11, 0x70]);
        assert_eq!(enc(|w| w.put_len(1 << 33)), [0x81, 0, 0, 0, 2, 0, 0, 0, 0]);
    }

    #[test]
    fn strings() {
        assert_eq!(enc(|w| w.put_string(b"12")), [0xc0, 12]);
        assert_eq!(enc(|w| w.put_string(b"-300")), [0xc1, 0xd4, 0xfe]);
        assert_eq!(enc(|w| w.put_string(b"100000")), [0xc2, 0xa0, 0x86, 1, 0]);
        // Not canonical, too long, or over 32 bits: plain strings.
        assert_eq!(enc(|w| w.put_string(b"012")), [3, b'0', b'1', b'2']);
        assert_eq!(enc(|w| w.put_string(b"4294967296"))[0], 10);
        let long = vec![b'a'; 100];
        let out = enc(|w| w.put_string(&long));
        assert_eq!(out[0], 0xc3);
        let mut plain = Writer::new(Vec::new(), false);
        plain.put_string(&long).unwrap();
        assert_eq!(plain.into_inner().unwrap().len(), 102);
    }
}
