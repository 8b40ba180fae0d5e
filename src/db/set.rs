//! Set values (SADD, SINTER, ...): `intset` (sorted integers) while every member is a canonical
//! integer and there are few of them, `hashtable` otherwise. Conversion is one-way, as in Redis,
//! so OBJECT ENCODING and the iteration order (ascending for intsets) match Redis's.
use super::dict::Dict;
use super::digest::{xor_digest, Digest};
use crate::config::EncLimits;
use crate::util::parse_i64;

enum Repr {
    Ints(Vec<i64>),
    Table(Box<Dict<()>>),
}

pub struct Set(Repr);

impl Default for Set {
    fn default() -> Self {
        Set(Repr::Ints(Vec::new()))
    }
}

impl Clone for Set {
    fn clone(&self) -> Self {
        match &self.0 {
            Repr::Ints(v) => Set(Repr::Ints(v.clone())),
            Repr::Table(t) => {
                let mut d = Dict::new();
                for k in t.keys() {
                    d.insert(k.to_vec(), ());
                }
                Set(Repr::Table(Box::new(d)))
            }
        }
    }
}

impl PartialEq for Set {
    /// Same members (order does not matter).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.members().iter().all(|m| other.contains(m))
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.members().iter().map(|m| String::from_utf8_lossy(m)))
            .finish()
    }
}

impl Set {
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Ints(v) => v.len(),
            Repr::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match &self.0 {
            Repr::Ints(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }

    /// True while the set is an intset (whose order is ascending and deterministic).
    pub fn is_intset(&self) -> bool {
        matches!(self.0, Repr::Ints(_))
    }

    /// The members of an intset, ascending (None for a hash table set); the RDB writer
    /// serializes them as an intset blob.
    pub fn as_ints(&self) -> Option<&[i64]> {
        match &self.0 {
            Repr::Ints(v) => Some(v),
            Repr::Table(_) => None,
        }
    }

    /// Call `f` for every member, in the set's iteration order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match &self.0 {
            Repr::Ints(v) => {
                let mut buf = itoa::Buffer::new();
                for &i in v {
                    f(buf.format(i).as_bytes());
                }
            }
            Repr::Table(t) => t.keys().for_each(f),
        }
    }

    /// Every member, in the set's iteration order (SORT, SMEMBERS, RDB).
    pub fn members(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|m| out.push(m.to_vec()));
        out
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match &self.0 {
            Repr::Ints(v) => parse_i64(m).is_some_and(|i| v.binary_search(&i).is_ok()),
            Repr::Table(t) => t.contains_key(m),
        }
    }

    fn convert(&mut self) {
        if let Repr::Ints(v) = &self.0 {
            let mut d = Dict::new();
            let mut buf = itoa::Buffer::new();
            for &i in v {
                d.insert(buf.format(i).as_bytes().to_vec(), ());
            }
            self.0 = Repr::Table(Box::new(d));
        }
    }

    /// Add a member. Returns true when it was not there yet.
    pub fn add(&mut self, m: &[u8], lim: &EncLimits) -> bool {
        if let Repr::Ints(v) = &mut self.0 {
            match parse_i64(m) {
                Some(i) => {
                    let Err(pos) = v.binary_search(&i) else {
                        return false;
                    };
                    v.insert(pos, i);
                    if v.len() as u64 > lim.set_max_intset_entries {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match &mut self.0 {
            Repr::Table(t) => t.insert(m.to_vec(), ()).is_none(),
            Repr::Ints(_) => false,
        }
    }

    /// Remove a member. Returns true when it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Ints(v) => match parse_i64(m).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Repr::Table(t) => {
                let found = t.remove(m).is_some();
                if found {
                    t.shrink_if_needed();
                }
                found
            }
        }
    }

    /// A random member: the member at position `i % len` of an intset (the caller picks `i`
    /// at random), or a sample drawn by the hash table itself. None when empty.
    pub fn random_member(&mut self, i: usize) -> Option<Vec<u8>> {
        match &mut self.0 {
            Repr::Ints(v) => {
                let x = *v.get(i % v.len().max(1))?;
                Some(itoa::Buffer::new().format(x).as_bytes().to_vec())
            }
            Repr::Table(t) => t.random_key().map(|k| k.to_vec()),
        }
    }

    /// One SSCAN step over the hash table form (see `Dict::scan`); an intset reports
    /// everything at once and returns 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8])) -> u64 {
        match &self.0 {
            Repr::Ints(_) => {
                self.for_each(f);
                0
            }
            Repr::Table(t) => t.scan(cursor, |k, _| f(k)),
        }
    }

    /// Mix the value into a DEBUG DIGEST the way Redis 7.0 does: every member's SHA-1 is
    /// XORed in, so order does not matter.
    pub fn digest(&self, d: &mut Digest) {
        self.for_each(|m| xor_digest(d, m));
    }
}

/// Constructors for loaders (RDB), which know the encoding the value must have.
impl Set {
    /// An `intset` from strictly ascending integers.
    pub fn from_sorted_ints(v: Vec<i64>) -> Set {
        Set(Repr::Ints(v))
    }

    /// A `hashtable` set from a filled table.
    pub fn from_table(t: Dict<()>) -> Set {
        Set(Repr::Table(Box::new(t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::digest::mix_digest;
    use crate::sha1::hex;

    fn digest(s: &Set) -> String {
        let mut d = [0u8; 20];
        mix_digest(&mut d, &2u32.to_be_bytes());
        s.digest(&mut d);
        hex(&d)
    }

    #[test]
    fn intset_then_table() {
        let l = EncLimits {
            set_max_intset_entries: 3,
            ..EncLimits::default()
        };
        let mut s = Set::default();
        for m in ["3", "1", "2", "1"] {
            s.add(m.as_bytes(), &l);
        }
        assert_eq!(s.encoding(), "intset");
        assert_eq!(
            s.members(),
            vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]
        );
        assert!(s.contains(b"2") && !s.contains(b"02") && !s.contains(b"x"));
        assert!(!s.add(b"2", &l));
        assert!(s.add(b"4", &l));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"4") && !s.remove(b"4"));
        assert_eq!(s.encoding(), "hashtable");
        let mut t = Set::default();
        t.add(b"007", &l);
        assert_eq!(t.encoding(), "hashtable");
    }

    #[test]
    fn digest_matches_redis_7_0() {
        // SADD s1 1 2 3 / SADD s2 a b -> DEBUG DIGEST-VALUE on redis-server 7.0.15.
        let l = EncLimits::default();
        let mut s = Set::default();
        for m in ["1", "2", "3"] {
            s.add(m.as_bytes(), &l);
        }
        assert_eq!(digest(&s), "2a462a3f51a1db89738ebbeef0c47ce1bbc85246");
        let mut t = Set::default();
        t.add(b"a", &l);
        t.add(b"b", &l);
        assert_eq!(digest(&t), "dd99329063ca0f1f28df2ac68d94b82fd95501c6");
    }
}
