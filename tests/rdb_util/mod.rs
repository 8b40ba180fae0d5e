//! Shared by the RDB reader tests: a tiny byte-by-byte RDB builder written from the format
//! specification (header, opcodes, length and string encodings, ziplist/listpack/zipmap/intset
//! blobs), load helpers, and the reader of the `tests/fixtures/rdb/*.expected` files.
#![allow(dead_code)]
use oxidis::config::EncLimits;
use oxidis::db::{Keyspace, Value};
use oxidis::rdb::{load, LoadInfo, LoadOpts, RdbError};

pub const NOW: i64 = 1_800_000_000_000;

pub fn opts<'a>(lim: EncLimits, drop_expired: bool) -> LoadOpts<'a> {
    LoadOpts {
        databases: 16,
        lim,
        now: NOW,
        drop_expired,
        key_load_delay_us: 0,
        progress: None,
    }
}

pub fn load_bytes(b: &[u8]) -> Result<LoadInfo, RdbError> {
    load(b, opts(EncLimits::default(), true))
}

/// An RDB file under construction.
pub struct Rdb {
    pub buf: Vec<u8>,
    version: u32,
}

impl Rdb {
    pub fn new(version: u32) -> Self {
        Rdb {
            buf: format!("REDIS{version:04}").into_bytes(),
            version,
        }
    }
    pub fn byte(&mut self, b: u8) -> &mut Self {
        self.buf.push(b);
        self
    }
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }
    /// A length: 6-bit, 14-bit, 32-bit or 64-bit form, the shortest that fits.
    pub fn len(&mut self, n: u64) -> &mut Self {
        if n < 64 {
            self.byte(n as u8)
        } else if n < 16384 {
            self.raw(&[0x40 | (n >> 8) as u8, n as u8])
        } else if n <= u32::MAX as u64 {
            self.byte(0x80).raw(&(n as u32).to_be_bytes())
        } else {
            self.byte(0x81).raw(&n.to_be_bytes())
        }
    }
    /// A raw (length-prefixed) string.
    pub fn str(&mut self, s: &[u8]) -> &mut Self {
        self.len(s.len() as u64).raw(s)
    }
    /// An integer-encoded string (0xC0 int8, 0xC1 int16, 0xC2 int32, little-endian).
    pub fn int_str(&mut self, v: i32) -> &mut Self {
        if let Ok(b) = i8::try_from(v) {
            self.raw(&[0xc0, b as u8])
        } else if let Ok(h) = i16::try_from(v) {
            self.byte(0xc1).raw(&h.to_le_bytes())
        } else {
            self.byte(0xc2).raw(&v.to_le_bytes())
        }
    }
    /// An LZF-compressed string (0xC3, compressed length, original length, data).
    pub fn lzf_str(&mut self, s: &[u8]) -> &mut Self {
        let c = oxidis::lzf::compress(s, s.len()).expect("compressible test string");
        self.byte(0xc3)
            .len(c.len() as u64)
            .len(s.len() as u64)
            .raw(&c)
    }
    pub fn aux(&mut self, k: &str, v: &str) -> &mut Self {
        self.byte(250).str(k.as_bytes()).str(v.as_bytes())
    }
    pub fn select(&mut self, db: u64) -> &mut Self {
        self.byte(254).len(db)
    }
    pub fn resize(&mut self, keys: u64, expires: u64) -> &mut Self {
        self.byte(251).len(keys).len(expires)
    }
    pub fn expire_ms(&mut self, at: i64) -> &mut Self {
        self.byte(252).raw(&at.to_le_bytes())
    }
    pub fn expire_s(&mut self, at: i32) -> &mut Self {
        self.byte(253).raw(&at.to_le_bytes())
    }
    /// A value type byte followed by the key.
    pub fn key(&mut self, t: u8, k: &str) -> &mut Self {
        self.byte(t).str(k.as_bytes())
    }
    /// EOF, then (version >= 5) the CRC64 trailer or zeros.
    pub fn finish(&mut self, checksum: bool) -> Vec<u8> {
        let mut b = std::mem::take(&mut self.buf);
        b.push(255);
        if self.version >= 5 {
            let crc = if checksum {
                oxidis::rdb::CRC64.checksum(&b)
            } else {
                0
            };
            b.extend_from_slice(&crc.to_le_bytes());
        }
        b
    }
}

/// Ziplist blob: entries given as encoding+data, prevlens/tail/count computed (spec layout:
/// zlbytes u32, zltail u32, zllen u16, entries `<prevlen><encoding><data>`, 0xFF).
pub fn ziplist(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    let (mut prev, mut tail) = (0usize, 10usize);
    for e in entries {
        tail = 10 + body.len();
        let start = body.len();
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xfe);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        body.extend_from_slice(e);
        prev = body.len() - start;
    }
    let mut b = ((10 + body.len() + 1) as u32).to_le_bytes().to_vec();
    b.extend_from_slice(&(tail as u32).to_le_bytes());
    b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    b.extend_from_slice(&body);
    b.push(0xff);
    b
}

/// Ziplist string entry (6-bit, 14-bit big-endian, or 32-bit big-endian length).
pub fn zl_str(s: &[u8]) -> Vec<u8> {
    let mut e = if s.len() < 64 {
        vec![s.len() as u8]
    } else if s.len() < 16384 {
        vec![0x40 | (s.len() >> 8) as u8, s.len() as u8]
    } else {
        [vec![0x80], (s.len() as u32).to_be_bytes().to_vec()].concat()
    };
    e.extend_from_slice(s);
    e
}

/// Ziplist integer entry in the smallest form (immediate 0..12, int8, int16, int24, int32,
/// int64).
pub fn zl_int(v: i64) -> Vec<u8> {
    match v {
        0..=12 => vec![0xf1 + v as u8],
        -128..=127 => vec![0xfe, v as u8],
        -32768..=32767 => [vec![0xc0], (v as i16).to_le_bytes().to_vec()].concat(),
        -8388608..=8388607 => [vec![0xf0], (v as i32).to_le_bytes()[..3].to_vec()].concat(),
        -2147483648..=2147483647 => [vec![0xd0], (v as i32).to_le_bytes().to_vec()].concat(),
        _ => [vec![0xe0], v.to_le_bytes().to_vec()].concat(),
    }
}

/// Listpack blob (total u32, count u16, entries `<encoding><data><backlen>`, 0xFF).
pub fn listpack(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for e in entries {
        body.extend_from_slice(e);
        let n = e.len();
        let size = [127usize, 16383, 2097151, 268435455]
            .iter()
            .position(|&m| n <= m)
            .unwrap_or(4)
            + 1;
        for i in (0..size).rev() {
            body.push(((n >> (7 * i)) & 0x7f) as u8 | if i > 0 { 0x80 } else { 0 });
        }
    }
    let mut b = ((6 + body.len() + 1) as u32).to_le_bytes().to_vec();
    b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    b.extend_from_slice(&body);
    b.push(0xff);
    b
}

/// Listpack string entry (6-bit, 12-bit or 32-bit length).
pub fn lp_str(s: &[u8]) -> Vec<u8> {
    let mut e = if s.len() < 64 {
        vec![0x80 | s.len() as u8]
    } else if s.len() < 4096 {
        vec![0xe0 | (s.len() >> 8) as u8, s.len() as u8]
    } else {
        [vec![0xf0], (s.len() as u32).to_le_bytes().to_vec()].concat()
    };
    e.extend_from_slice(s);
    e
}

/// Listpack integer entry (7-bit, 13-bit, 16, 24, 32 or 64-bit).
pub fn lp_int(v: i64) -> Vec<u8> {
    match v {
        0..=127 => vec![v as u8],
        -4096..=4095 => vec![0xc0 | ((v >> 8) as u8 & 0x1f), v as u8],
        -32768..=32767 => [vec![0xf1], (v as i16).to_le_bytes().to_vec()].concat(),
        -8388608..=8388607 => [vec![0xf2], (v as i32).to_le_bytes()[..3].to_vec()].concat(),
        -2147483648..=2147483647 => [vec![0xf3], (v as i32).to_le_bytes().to_vec()].concat(),
        _ => [vec![0xf4], v.to_le_bytes().to_vec()].concat(),
    }
}

/// Zipmap blob (count byte, `<len>field<len><free>value<free bytes>` pairs, 0xFF).
pub fn zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let put = |b: &mut Vec<u8>, n: usize| {
        if n < 254 {
            b.push(n as u8)
        } else {
            b.push(0xfe);
            b.extend_from_slice(&(n as u32).to_le_bytes());
        }
    };
    let mut b = vec![pairs.len() as u8];
    for (f, v) in pairs {
        put(&mut b, f.len());
        b.extend_from_slice(f);
        put(&mut b, v.len());
        b.push(1);
        b.extend_from_slice(v);
        b.push(0);
    }
    b.push(0xff);
    b
}

/// Intset blob (width u32, count u32, ascending little-endian integers).
pub fn intset(width: u32, vals: &[i64]) -> Vec<u8> {
    let mut b = width.to_le_bytes().to_vec();
    b.extend_from_slice(&(vals.len() as u32).to_le_bytes());
    for v in vals {
        b.extend_from_slice(&v.to_le_bytes()[..width as usize]);
    }
    b
}

/// A value as plain data, for comparisons (sets and hashes sorted).
#[derive(Debug, PartialEq)]
pub enum Plain {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    ZSet(Vec<(Vec<u8>, f64)>),
    /// A stream compared by its uncompressed DUMP payload.
    Stream(Vec<u8>),
}

pub fn plain(v: &Value) -> Plain {
    match v {
        Value::Str(s, _) => Plain::Str(s.to_vec()),
        Value::List(l) => Plain::List(l.members()),
        Value::Set(s) => {
            let mut m = s.members();
            m.sort();
            Plain::Set(m)
        }
        Value::Hash(h) => {
            let mut p: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            p.sort();
            Plain::Hash(p)
        }
        Value::ZSet(z) => Plain::ZSet(z.members()),
        Value::Stream(_) => Plain::Stream(oxidis::rdb::dump::payload(v, false, -2)),
    }
}

/// The value under `key` in database `db`, with its encoding and expiry.
pub fn get<'a>(ks: &'a Keyspace, db: usize, key: &[u8]) -> Option<(&'a Value, i64)> {
    ks.dbs[db].dict.get(key).map(|e| (&e.value, e.expire_at))
}

/// One key of an `.expected` file.
#[derive(Debug)]
pub struct Expected {
    pub db: usize,
    pub key: Vec<u8>,
    pub type_name: String,
    pub encoding: String,
    pub expire_at: i64,
    pub value: Plain,
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Parse an `.expected` file: the keys, and the (db, key) pairs present but already expired.
pub fn parse_expected(text: &str) -> (Vec<Expected>, Vec<(usize, Vec<u8>)>) {
    let mut keys = Vec::new();
    let mut expired = Vec::new();
    let mut cur: Option<(Expected, Vec<Vec<String>>)> = None;
    for line in text.lines() {
        let w: Vec<&str> = line.split(' ').collect();
        match w[0] {
            "key" => {
                cur = Some((
                    Expected {
                        db: w[1].parse().unwrap(),
                        key: unhex(w[2]),
                        type_name: w[3].into(),
                        encoding: w[4].into(),
                        expire_at: w[5].parse().unwrap(),
                        value: Plain::Str(Vec::new()),
                    },
                    Vec::new(),
                ))
            }
            "end" => {
                let (mut e, rows) = cur.take().expect("end without key");
                e.value = match e.type_name.as_str() {
                    "string" => Plain::Str(unhex(&rows[0][1])),
                    "list" => Plain::List(rows.iter().map(|r| unhex(&r[1])).collect()),
                    "set" => Plain::Set(rows.iter().map(|r| unhex(&r[1])).collect()),
                    "hash" => {
                        Plain::Hash(rows.iter().map(|r| (unhex(&r[1]), unhex(&r[2]))).collect())
                    }
                    "zset" => Plain::ZSet(
                        rows.iter()
                            .map(|r| (unhex(&r[1]), r[2].parse::<f64>().unwrap()))
                            .collect(),
                    ),
                    t => panic!("unknown type {t}"),
                };
                keys.push(e);
            }
            "expired" => expired.push((w[1].parse().unwrap(), unhex(w[2]))),
            _ => {
                if let Some((_, rows)) = cur.as_mut() {
                    rows.push(w.iter().map(|s| s.to_string()).collect());
                }
            }
        }
    }
    (keys, expired)
}

/// Compare a loaded keyspace with an `.expected` file's keys; returns mismatches.
pub fn compare(ks: &Keyspace, keys: &[Expected]) -> Vec<String> {
    let mut bad = Vec::new();
    for e in keys {
        let name = String::from_utf8_lossy(&e.key);
        match get(ks, e.db, &e.key) {
            None => bad.push(format!("db {} key {name}: missing", e.db)),
            Some((v, at)) => {
                if v.type_name() != e.type_name {
                    bad.push(format!("{name}: type {} != {}", v.type_name(), e.type_name));
                }
                if v.encoding() != e.encoding {
                    bad.push(format!(
                        "{name}: encoding {} != {}",
                        v.encoding(),
                        e.encoding
                    ));
                }
                if at != e.expire_at {
                    bad.push(format!("{name}: expire {at} != {}", e.expire_at));
                }
                if plain(v) != e.value {
                    bad.push(format!("{name}: value differs"));
                }
            }
        }
    }
    let total: usize = ks.dbs.iter().map(|d| d.len()).sum();
    if total != keys.len() {
        bad.push(format!("{} keys loaded, {} expected", total, keys.len()));
    }
    bad
}
