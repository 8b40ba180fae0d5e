//! Hash values (HSET, HGETALL, ...): `listpack` while small, `hashtable` past the limits.
//! STUB: owned by the hashes work; the API below is what the rest of the server relies on.
use super::digest::Digest;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hash {
    pub pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Hash {
    pub fn len(&self) -> usize {
        self.pairs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
    /// A field's value (SORT BY/GET `key->field`).
    pub fn get_field(&self, field: &[u8]) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_slice())
    }
    /// Mix the value into a DEBUG DIGEST the way Redis 7.0 does.
    pub fn digest(&self, _d: &mut Digest) {}
}
