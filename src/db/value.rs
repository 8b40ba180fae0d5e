//! The values stored under keys. Strings only for now; the collection types join this enum.
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

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Vec<u8>, StrEnc),
}

impl Value {
    /// A string as stored by SET/MSET/GETSET/...: Redis's `tryObjectEncoding` picks int for
    /// canonical integers, embstr for short strings, raw otherwise.
    #[inline]
    pub fn string(b: Vec<u8>) -> Value {
        let enc = if b.len() <= 20 && crate::util::parse_i64(&b).is_some() {
            StrEnc::Int
        } else if b.len() <= EMBSTR_MAX {
            StrEnc::Embstr
        } else {
            StrEnc::Raw
        };
        Value::Str(b, enc)
    }

    /// A string created from a buffer without integer detection (`createStringObject`), as
    /// INCRBYFLOAT and DEBUG POPULATE store them.
    pub fn plain(b: Vec<u8>) -> Value {
        let enc = if b.len() <= EMBSTR_MAX {
            StrEnc::Embstr
        } else {
            StrEnc::Raw
        };
        Value::Str(b, enc)
    }

    /// A string modified in place (APPEND, SETRANGE): always raw.
    pub fn raw(b: Vec<u8>) -> Value {
        Value::Str(b, StrEnc::Raw)
    }

    /// An integer result (INCR and friends).
    pub fn int(v: i64) -> Value {
        let mut buf = itoa::Buffer::new();
        Value::Str(buf.format(v).as_bytes().to_vec(), StrEnc::Int)
    }

    /// The name TYPE replies.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(..) => "string",
        }
    }

    /// The name OBJECT ENCODING replies, as Redis 7.0 would for the same value.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(_, StrEnc::Int) => "int",
            Value::Str(_, StrEnc::Embstr) => "embstr",
            Value::Str(_, StrEnc::Raw) => "raw",
        }
    }

    /// OBJECT REFCOUNT: small non-negative integers are shared objects in Redis.
    pub fn refcount(&self) -> i64 {
        match self {
            Value::Str(s, StrEnc::Int) => match crate::util::parse_i64(s) {
                Some(v) if (0..SHARED_INTEGERS).contains(&v) => i32::MAX as i64,
                _ => 1,
            },
            Value::Str(..) => 1,
        }
    }

    /// A string value's buffer and encoding, for in-place modification (APPEND, INCR, ...).
    pub fn as_str_mut(&mut self) -> Option<(&mut Vec<u8>, &mut StrEnc)> {
        match self {
            Value::Str(b, e) => Some((b, e)),
        }
    }

    /// The bytes of a string value.
    pub fn as_str(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s, _) => Some(s),
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
