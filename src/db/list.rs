//! List values (LPUSH, LRANGE, ...). Redis 7.0 always reports lists as `quicklist`.
//! STUB: owned by the lists work; the API below is what the rest of the server relies on.
use super::digest::Digest;
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {
    pub items: Box<VecDeque<Vec<u8>>>,
}

impl List {
    /// A list holding `items`, head first (SORT ... STORE, loaders).
    pub fn from_vec(items: Vec<Vec<u8>>) -> List {
        List {
            items: Box::new(items.into()),
        }
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
    /// Elements head to tail (SORT, DEBUG, RDB).
    pub fn members(&self) -> Vec<Vec<u8>> {
        self.items.iter().cloned().collect()
    }
    /// Mix the value into a DEBUG DIGEST the way Redis 7.0 does.
    pub fn digest(&self, d: &mut Digest) {
        for x in self.items.iter() {
            super::digest::mix_digest(d, x);
        }
    }
}
