//! Set values (SADD, SINTER, ...): `intset` while all members are integers and few,
//! `hashtable` otherwise.
//! STUB: owned by the sets work; the API below is what the rest of the server relies on.
use super::digest::Digest;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Set {
    pub members: Vec<Vec<u8>>,
}

impl Set {
    pub fn len(&self) -> usize {
        self.members.len()
    }
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
    /// Every member, in the set's iteration order (SORT, SMEMBERS, RDB).
    pub fn members(&self) -> Vec<Vec<u8>> {
        self.members.clone()
    }
    /// Mix the value into a DEBUG DIGEST the way Redis 7.0 does.
    pub fn digest(&self, _d: &mut Digest) {}
}
