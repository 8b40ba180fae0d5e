//! The values stored under keys: strings and the collection types (each in its own module).
//! A string remembers the encoding Redis would have chosen for it, because OBJECT ENCODING and
//! DEBUG OBJECT report it and it depends on how the value was written (SET vs APPEND, ...).

/// How Redis 7.0 would hold a string: a shared/plain integer, an embedded short string, or a
/// separately allocated (possibly modified-in-place) string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrEnc {
    Int,
    Embstr,
    Raw,
}

/// Longest string Redis embeds in the object header (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_MAX: usize = 44;
/// Integers below this (and >= 0) are shared objects with refcount INT_MAX.
pub const SHARED_INTEGERS: i64 = 10000;

pub use super::hash::Hash;
pub use super::list::List;
pub use super::set::Set;
pub use super::strbuf::StrBuf;
pub use super::stream::Stream;
pub use super::zset::ZSet;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(StrBuf, StrEnc),
    List(List),
    Hash(Hash),
    Set(Set),
    ZSet(ZSet),
    Stream(Box<Stream>),
}

// Every key holds one `Value`: keep it small (collections box their large representations).
const _: () = assert!(std::mem::size_of::<Value>() <= 32);

/// Typed access to a collection value: `Some` when the value has that type.
macro_rules! typed_access {
    ($as:ident, $as_mut:ident, $var:ident, $ty:ty) => {
        pub fn $as(&self) -> Option<&$ty> {
            match self {
                Value::$var(x) => Some(x),
                _ => None,
            }
        }
        pub fn $as_mut(&mut self) -> Option<&mut $ty> {
            match self {
                Value::$var(x) => Some(x),
                _ => None,
            }
        }
    };
}

impl Value {
    /// A string as stored by SET/MSET/GETSET/...: Redis's `tryObjectEncoding` picks int for
    /// canonical integers, embstr for short strings, raw otherwise.
    #[inline]
    pub fn string(b: Vec<u8>) -> Value {
        let enc = Self::string_enc(&b);
        Value::Str(b.into(), enc)
    }

    /// `string` from a borrowed buffer (loaders reading into a reused buffer).
    #[inline]
    pub fn string_from_slice(b: &[u8]) -> Value {
        Value::Str(StrBuf::copy_from(b), Self::string_enc(b))
    }

    #[inline]
    fn string_enc(b: &[u8]) -> StrEnc {
        if b.len() <= 20 && crate::util::parse_i64(b).is_some() {
            StrEnc::Int
        } else if b.len() <= EMBSTR_MAX {
            StrEnc::Embstr
        } else {
            StrEnc::Raw
        }
    }

    /// A string created from a buffer without integer detection (`createStringObject`), as
    /// INCRBYFLOAT and DEBUG POPULATE store them.
    pub fn plain(b: Vec<u8>) -> Value {
        let enc = if b.len() <= EMBSTR_MAX {
            StrEnc::Embstr
        } else {
            StrEnc::Raw
        };
        Value::Str(b.into(), enc)
    }

    /// A string modified in place (APPEND, SETRANGE): always raw.
    pub fn raw(b: Vec<u8>) -> Value {
        Value::Str(b.into(), StrEnc::Raw)
    }

    /// An integer result (INCR and friends).
    pub fn int(v: i64) -> Value {
        let mut buf = itoa::Buffer::new();
        Value::Str(StrBuf::copy_from(buf.format(v).as_bytes()), StrEnc::Int)
    }

    typed_access!(as_list, as_list_mut, List, List);
    typed_access!(as_hash, as_hash_mut, Hash, Hash);
    typed_access!(as_set, as_set_mut, Set, Set);
    typed_access!(as_zset, as_zset_mut, ZSet, ZSet);
    typed_access!(as_stream, as_stream_mut, Stream, Box<Stream>);

    /// The name TYPE replies.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(..) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// Redis's numeric object type (OBJ_STRING = 0, OBJ_LIST, OBJ_SET, OBJ_ZSET, OBJ_HASH).
    pub fn type_id(&self) -> u32 {
        match self {
            Value::Str(..) => 0,
            Value::List(_) => 1,
            Value::Set(_) => 2,
            Value::ZSet(_) => 3,
            Value::Hash(_) => 4,
            Value::Stream(_) => 6,
        }
    }

    /// The name OBJECT ENCODING replies, as Redis 7.0 would for the same value.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(_, StrEnc::Int) => "int",
            Value::Str(_, StrEnc::Embstr) => "embstr",
            Value::Str(_, StrEnc::Raw) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    /// An empty collection is never stored: commands delete the key instead.
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(..) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            // An empty stream is a value of its own (XADD MAXLEN 0, XDEL, XGROUP CREATE MKSTREAM).
            Value::Stream(_) => false,
        }
    }

    /// OBJECT REFCOUNT: small non-negative integers are shared objects in Redis.
    pub fn refcount(&self) -> i64 {
        match self {
            Value::Str(s, StrEnc::Int) => match crate::util::parse_i64(s) {
                Some(v) if (0..SHARED_INTEGERS).contains(&v) => i32::MAX as i64,
                _ => 1,
            },
            _ => 1,
        }
    }

    /// A string value's buffer and encoding, for in-place modification (APPEND, INCR, ...):
    /// `StrBuf::to_mut` gives a growable buffer, `StrBuf::set` replaces the bytes.
    pub fn as_str_mut(&mut self) -> Option<(&mut StrBuf, &mut StrEnc)> {
        match self {
            Value::Str(b, e) => Some((b, e)),
            _ => None,
        }
    }

    /// The bytes of a string value.
    pub fn as_str(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s, _) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(Value::string(b"123".to_vec()).encoding(), "int");
        assert_eq!(Value::string(b"-0".to_vec()).encoding(), "embstr");
        assert_eq!(Value::string(b"01".to_vec()).encoding(), "embstr");
        assert_eq!(Value::string(vec![b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::string(vec![b'a'; 45]).encoding(), "raw");
        assert_eq!(Value::plain(b"3".to_vec()).encoding(), "embstr");
        assert_eq!(Value::string(b"1".to_vec()).refcount(), 2147483647);
        assert_eq!(Value::string(b"10000".to_vec()).refcount(), 1);
    }
}
