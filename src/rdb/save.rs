//! The RDB writer: `save` streams a whole keyspace (header, AUX fields, per-database SELECTDB
//! and RESIZEDB, keys with their expiries, EOF, CRC64) and `write_value` one value in the
//! encoding Redis 7.0 would choose, for files, DUMP payloads and replication alike.
//!
//! Encodings, as Redis 7.0 writes them:
//!
//! | value                | type byte             | body                                     |
//! |----------------------|-----------------------|------------------------------------------|
//! | string               | `STRING`              | int / LZF / raw string                   |
//! | list                 | `LIST_QUICKLIST_2`    | nodes; per node container 2 + listpack   |
//! | set (intset)         | `SET_INTSET`          | intset blob                              |
//! | set (hashtable)      | `SET`                 | count, members                           |
//! | hash (listpack)      | `HASH_LISTPACK`       | listpack field, value, ...               |
//! | hash (hashtable)     | `HASH`                | count, field + value pairs               |
//! | zset (listpack)      | `ZSET_LISTPACK`       | listpack member, score, ...              |
//! | zset (skiplist)      | `ZSET_2`              | count, highest first: member + f64 LE    |
use super::consts::*;
use super::encode::intset;
use super::encode::listpack::Builder;
use super::encode::quicklist::{Node, Splitter};
use super::sink::Writer;
use crate::db::{Keyspace, Value, NO_EXPIRE};
use std::io::{self, Write};

/// `list-max-listpack-size` Redis uses unless configured otherwise.
pub const DEFAULT_LIST_FILL: i64 = -2;

/// What goes into the AUX fields and how to write.
#[derive(Debug, Clone)]
pub struct SaveInfo {
    /// `ctime`: unix seconds.
    pub ctime: i64,
    pub used_mem: u64,
    /// Replication id and offset (`repl-id`, `repl-offset`); `repl_stream_db` -1 = none
    /// (a server outside any replication writes no `repl-*` fields, as Redis does).
    pub repl_id: String,
    pub repl_offset: i64,
    pub repl_stream_db: i32,
    /// `rdbcompression`.
    pub compress: bool,
    /// `rdbchecksum`: false writes a zero trailer.
    pub checksum: bool,
    /// Function library codes, written as FUNCTION2 records after the AUX fields.
    pub functions: Vec<Vec<u8>>,
    /// `rdb-key-save-delay` (microseconds slept after each key; tests use it to make a
    /// save slow enough to interrupt).
    pub key_save_delay_us: i64,
}

/// Reusable buffers for serializing values (one listpack builder, one list splitter), so a
/// whole save allocates them once.
#[derive(Default)]
pub struct Scratch {
    lp: Builder,
    split: Splitter,
    blob: Vec<u8>,
    /// `list-max-listpack-size`: how lists are split into quicklist nodes.
    pub list_fill: i64,
}

impl Scratch {
    pub fn new(list_fill: i64) -> Self {
        Scratch {
            list_fill,
            ..Default::default()
        }
    }
}

/// Write the whole keyspace as an RDB file to `out`; returns `out` after the trailer.
pub fn save<W: Write>(ks: &Keyspace, out: W, info: &SaveInfo) -> io::Result<W> {
    save_with(ks, out, info, DEFAULT_LIST_FILL)
}

/// `save` with the server's `list-max-listpack-size` (how lists are cut into nodes).
pub fn save_with<W: Write>(
    ks: &Keyspace,
    out: W,
    info: &SaveInfo,
    list_fill: i64,
) -> io::Result<W> {
    let mut w = Writer::new(out, info.compress);
    w.put_raw(b"REDIS")?;
    w.put_raw(format!("{RDB_VERSION:04}").as_bytes())?;
    write_aux(&mut w, info)?;
    for code in &info.functions {
        w.put_u8(OPCODE_FUNCTION2)?;
        w.put_string(code)?;
    }
    let mut scratch = Scratch::new(list_fill);
    let mut pause = KeyDelay::new(info.key_save_delay_us);
    for (id, db) in ks.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.put_u8(OPCODE_SELECTDB)?;
        w.put_len(id as u64)?;
        w.put_u8(OPCODE_RESIZEDB)?;
        w.put_len(db.len() as u64)?;
        w.put_len(db.expires.len() as u64)?;
        for (key, e) in db.dict.iter() {
            if e.expire_at != NO_EXPIRE {
                w.put_u8(OPCODE_EXPIRETIME_MS)?;
                w.put_millis(e.expire_at)?;
            }
            w.put_u8(value_type(&e.value))?;
            w.put_string(key)?;
            write_value_with(&mut w, &e.value, &mut scratch)?;
            pause.after_key();
        }
    }
    w.put_u8(OPCODE_EOF)?;
    w.finish_with_crc(info.checksum)
}

/// `rdb-key-save-delay` as Redis's debugDelay applies it after each key: a positive value
/// sleeps that many microseconds; a negative value -N sleeps one microsecond once every N keys
/// (Redis does so with probability 1/N).
struct KeyDelay {
    us: i64,
    count: u64,
}

impl KeyDelay {
    fn new(us: i64) -> Self {
        KeyDelay { us, count: 0 }
    }

    #[inline]
    fn after_key(&mut self) {
        if self.us == 0 {
            return;
        }
        let sleep = if self.us > 0 {
            self.us as u64
        } else {
            self.count += 1;
            u64::from(self.count % self.us.unsigned_abs() == 0)
        };
        if sleep > 0 {
            std::thread::sleep(std::time::Duration::from_micros(sleep));
        }
    }
}

/// The AUX fields Redis 7.0 writes, in its order; integers as integer-encoded strings.
fn write_aux<W: Write>(w: &mut Writer<W>, info: &SaveInfo) -> io::Result<()> {
    let aux_str = |w: &mut Writer<W>, k: &str, v: &[u8]| -> io::Result<()> {
        w.put_u8(OPCODE_AUX)?;
        w.put_string(k.as_bytes())?;
        w.put_string(v)
    };
    let aux_int = |w: &mut Writer<W>, k: &str, v: i64| -> io::Result<()> {
        w.put_u8(OPCODE_AUX)?;
        w.put_string(k.as_bytes())?;
        w.put_int_string(v)
    };
    aux_str(w, "redis-ver", crate::util::REDIS_VERSION.as_bytes())?;
    aux_int(w, "redis-bits", usize::BITS as i64)?;
    aux_int(w, "ctime", info.ctime)?;
    aux_int(
        w,
        "used-mem",
        i64::try_from(info.used_mem).unwrap_or(i64::MAX),
    )?;
    if info.repl_stream_db >= 0 {
        aux_int(w, "repl-stream-db", info.repl_stream_db as i64)?;
        aux_str(w, "repl-id", info.repl_id.as_bytes())?;
        aux_int(w, "repl-offset", info.repl_offset)?;
    }
    aux_int(w, "aof-base", 0)
}

/// The RDB type byte `write_value` uses for `v`.
pub fn value_type(v: &Value) -> u8 {
    match v {
        Value::Str(..) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Set(s) if s.is_intset() => TYPE_SET_INTSET,
        Value::Set(_) => TYPE_SET,
        Value::Hash(h) if h.is_packed() => TYPE_HASH_LISTPACK,
        Value::Hash(_) => TYPE_HASH,
        Value::ZSet(z) if z.is_listpack() => TYPE_ZSET_LISTPACK,
        Value::ZSet(_) => TYPE_ZSET_2,
        Value::Stream(_) => TYPE_STREAM_LISTPACKS_2,
    }
}

/// Write one value (without its type byte or key).
pub fn write_value<W: Write>(w: &mut Writer<W>, v: &Value) -> io::Result<()> {
    write_value_with(w, v, &mut Scratch::new(DEFAULT_LIST_FILL))
}

/// `write_value` with reusable buffers (and the list fill factor they carry).
pub fn write_value_with<W: Write>(
    w: &mut Writer<W>,
    v: &Value,
    sc: &mut Scratch,
) -> io::Result<()> {
    match v {
        Value::Stream(s) => super::stream::write_stream(w, s, &mut sc.lp),
        Value::Str(s, _) => w.put_string(s),
        Value::List(l) => {
            sc.split.split(l.items.iter().map(|x| &x[..]), sc.list_fill);
            w.put_len(sc.split.len() as u64)?;
            sc.split.for_each(
                |i| &l.items[i][..],
                |node| match node {
                    Node::Packed(lp) => {
                        w.put_len(QUICKLIST_NODE_PACKED)?;
                        w.put_string(lp)
                    }
                    Node::Plain(x) => {
                        w.put_len(QUICKLIST_NODE_PLAIN)?;
                        w.put_string(x)
                    }
                },
            )
        }
        Value::Set(s) => match s.as_ints() {
            Some(ints) => {
                sc.blob.clear();
                intset::build_into(&mut sc.blob, ints);
                w.put_string(&sc.blob)
            }
            None => {
                w.put_len(s.len() as u64)?;
                let mut res = Ok(());
                s.for_each(|m| {
                    if res.is_ok() {
                        res = w.put_string(m);
                    }
                });
                res
            }
        },
        Value::Hash(h) => {
            if h.is_packed() {
                sc.lp.clear();
                for (f, v) in h.iter() {
                    sc.lp.push(f);
                    sc.lp.push(v);
                }
                w.put_string(sc.lp.finish())
            } else {
                w.put_len(h.len() as u64)?;
                for (f, v) in h.iter() {
                    w.put_string(f)?;
                    w.put_string(v)?;
                }
                Ok(())
            }
        }
        Value::ZSet(z) => {
            if z.is_listpack() {
                sc.lp.clear();
                z.for_each(|m, s| {
                    sc.lp.push(m);
                    sc.lp.push_score(s);
                });
                w.put_string(sc.lp.finish())
            } else {
                w.put_len(z.len() as u64)?;
                let mut res = Ok(());
                z.for_each_rev(|m, s| {
                    if res.is_ok() {
                        res = w.put_string(m).and_then(|_| w.put_f64(s));
                    }
                });
                res
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EncLimits;
    use crate::db::{List, Set, ZSet};

    fn payload(v: &Value) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), true);
        w.put_u8(value_type(v)).unwrap();
        write_value(&mut w, v).unwrap();
        w.into_inner().unwrap()
    }

    #[test]
    fn values_as_redis_dumps_them() {
        // Bodies of Redis 7.0.15 DUMP replies (without version and CRC).
        let l = Value::List(List::from_vec(
            ["1", "2", "hello", "-5", "1000", "100000"]
                .iter()
                .map(|s| s.as_bytes().to_vec())
                .collect(),
        ));
        assert_eq!(
            payload(&l),
            b"\x12\x01\x02\x1d\x1d\x00\x00\x00\x06\x00\x01\x01\x02\x01\x85hello\x06\xdf\xfb\x02\xc3\xe8\x02\xf2\xa0\x86\x01\x04\xff"
        );
        let lim = EncLimits::default();
        let z = Value::ZSet(ZSet::from_entries(vec![(b"x".to_vec(), -0.0)], &lim));
        assert_eq!(
            payload(&z),
            b"\x11\x0c\x0c\x00\x00\x00\x02\x00\x81x\x02\x00\x01\xff"
        );
        let mut s = Set::default();
        for m in ["3", "1", "2"] {
            s.add(m.as_bytes(), &lim);
        }
        assert_eq!(
            payload(&Value::Set(s)),
            b"\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00"
        );
        assert_eq!(payload(&Value::string(b"12".to_vec())), b"\x00\xc0\x0c");
    }

    #[test]
    fn skiplist_is_written_highest_first() {
        let lim = EncLimits {
            zset_max_listpack_entries: 1,
            ..EncLimits::default()
        };
        let z = ZSet::from_entries(vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.5)], &lim);
        assert_eq!(z.encoding(), "skiplist");
        let mut want = vec![TYPE_ZSET_2, 2, 1, b'b'];
        want.extend_from_slice(&2.5f64.to_le_bytes());
        want.extend_from_slice(&[1, b'a']);
        want.extend_from_slice(&1.0f64.to_le_bytes());
        assert_eq!(payload(&Value::ZSet(z)), want);
    }

    #[test]
    fn file_layout() {
        let mut ks = Keyspace::new(16);
        ks.dbs[0].set(b"a".to_vec(), Value::string(b"12".to_vec()), false, 0);
        ks.dbs[3].set_with_expire(b"b".to_vec(), Value::string(b"x".to_vec()), 1234, 0);
        let info = SaveInfo {
            ctime: 1_700_000_000,
            used_mem: 1_000_000,
            repl_id: String::new(),
            repl_offset: 0,
            repl_stream_db: -1,
            compress: true,
            checksum: true,
            key_save_delay_us: 0,
            functions: Vec::new(),
        };
        let out = save(&ks, Vec::new(), &info).unwrap();
        let mut want = b"REDIS0010".to_vec();
        want.extend_from_slice(b"\xfa\x09redis-ver\x067.0.15");
        want.extend_from_slice(b"\xfa\x0aredis-bits\xc0\x40");
        want.extend_from_slice(b"\xfa\x05ctime\xc2");
        want.extend_from_slice(&1_700_000_000i32.to_le_bytes());
        want.extend_from_slice(b"\xfa\x08used-mem\xc2");
        want.extend_from_slice(&1_000_000i32.to_le_bytes());
        want.extend_from_slice(b"\xfa\x08aof-base\xc0\x00");
        want.extend_from_slice(b"\xfe\x00\xfb\x01\x00\x00\x01a\xc0\x0c");
        want.extend_from_slice(b"\xfe\x03\xfb\x01\x01\xfc");
        want.extend_from_slice(&1234i64.to_le_bytes());
        want.extend_from_slice(b"\x00\x01b\x01x\xff");
        let crc = crate::rdb::CRC64.checksum(&want);
        want.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(out, want);
    }
}
