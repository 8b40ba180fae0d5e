//! Sorted set values (ZADD, ZRANGE, ...): `listpack` while small, `skiplist` past the limits.
//! STUB: owned by the sorted-sets work; the API below is what the rest of the server relies on.
use super::digest::Digest;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZSet {
    pub entries: Vec<(Vec<u8>, f64)>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
    /// Members in rank order (lowest score first) with their scores (SORT, RDB).
    pub fn members(&self) -> Vec<(Vec<u8>, f64)> {
        self.entries.clone()
    }
    /// Switch to the `skiplist` encoding whatever the size (SORT and SORT_RO do this to their
    /// source, destructively, as Redis 7.0 does).
    pub fn convert_to_skiplist(&mut self) {}
    /// Mix the value into a DEBUG DIGEST the way Redis 7.0 does.
    pub fn digest(&self, _d: &mut Digest) {}
}
