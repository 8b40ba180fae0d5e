//! Hash values (HSET, HGETALL, ...): `listpack` while small, `hashtable` past the limits.
//! The small form is one packed buffer of alternating field and value entries in insertion
//! order (`Packed`), so millions of tiny hashes stay cheap; it converts once, for good, to a
//! hash table when it gets too many fields or a field or value gets too long, as Redis's does.
use super::dict::Dict;
use super::digest::{mix_digest, xor_digest, Digest};
use super::packed::{encode_into, Packed};
use crate::config::EncLimits;

enum Repr {
    Pack(Packed),
    Table(Box<Dict<Box<[u8]>>>),
}

pub struct Hash(Repr);

impl Default for Hash {
    fn default() -> Self {
        Hash(Repr::Pack(Packed::default()))
    }
}

impl Clone for Hash {
    fn clone(&self) -> Self {
        match &self.0 {
            Repr::Pack(p) => Hash(Repr::Pack(p.clone())),
            Repr::Table(t) => {
                let mut d = Dict::new();
                for (k, v) in t.iter() {
                    d.insert(k.to_vec(), v.clone());
                }
                Hash(Repr::Table(Box::new(d)))
            }
        }
    }
}

impl PartialEq for Hash {
    /// Same fields with the same values (order does not matter).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get_field(f) == Some(v))
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

/// Where a field sits in the packed form: the byte ranges of its field and value entries.
struct Slot<'a> {
    /// Byte range of the value entry (length prefix included).
    value: std::ops::Range<usize>,
    /// Where the field entry starts.
    start: usize,
    bytes: &'a [u8],
}

fn find_packed<'a>(p: &'a Packed, field: &[u8]) -> Option<Slot<'a>> {
    let mut it = p.spans();
    while let (Some((f, fr)), Some((v, vr))) = (it.next(), it.next()) {
        if f == field {
            return Some(Slot {
                value: vr,
                start: fr.start,
                bytes: v,
            });
        }
    }
    None
}

/// Iterator over `(field, value)` pairs.
pub enum Iter<'a> {
    Pack(super::packed::Spans<'a>),
    Table(super::dict::Iter<'a, Box<[u8]>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Pack(s) => {
                let (f, _) = s.next()?;
                let (v, _) = s.next()?;
                Some((f, v))
            }
            Iter::Table(t) => t.next().map(|(k, v)| (k, &v[..])),
        }
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Pack(p) => p.count() / 2,
            Repr::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match &self.0 {
            Repr::Pack(p) => p.is_empty(),
            Repr::Table(t) => t.is_empty(),
        }
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match &self.0 {
            Repr::Pack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// True while the hash is in its compact (`listpack`) form, whose order is insertion order.
    pub fn is_packed(&self) -> bool {
        matches!(self.0, Repr::Pack(_))
    }

    /// A field's value (HGET; SORT BY/GET `key->field`).
    pub fn get_field(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.0 {
            Repr::Pack(p) => find_packed(p, field).map(|s| s.bytes),
            Repr::Table(t) => t.get(field).map(|v| &v[..]),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get_field(field).is_some()
    }

    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Pack(p) => Iter::Pack(p.spans()),
            Repr::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// Convert to the hash table form (never back).
    fn convert(&mut self) {
        if self.is_packed() {
            let mut d = Dict::new();
            for (f, v) in self.iter() {
                d.insert(f.to_vec(), v.into());
            }
            self.0 = Repr::Table(Box::new(d));
        }
    }

    /// Convert before a write when any of `items` is too long for the compact form (Redis's
    /// `hashTypeTryConversion`, done before HSET/HMSET/HSETNX store anything).
    pub fn fit_lengths<'a>(&mut self, items: impl IntoIterator<Item = &'a [u8]>, lim: &EncLimits) {
        if self.is_packed()
            && items
                .into_iter()
                .any(|s| s.len() as u64 > lim.hash_max_listpack_value)
        {
            self.convert();
        }
    }

    /// Set `field` to `value`. Returns true when the field is new. Converts to a hash table
    /// when the pair is too long or the hash gets too many fields.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: &EncLimits) -> bool {
        self.fit_lengths([field, value], lim);
        match &mut self.0 {
            Repr::Pack(p) => {
                if let Some(range) = find_packed(p, field).map(|s| s.value) {
                    let mut enc = Vec::with_capacity(value.len() + 2);
                    encode_into(&mut enc, value);
                    p.splice(range, &enc);
                    return false;
                }
                p.push(&[field, value]);
                if self.len() as u64 > lim.hash_max_listpack_entries {
                    self.convert();
                }
                true
            }
            Repr::Table(t) => t.insert(field.to_vec(), value.into()).is_none(),
        }
    }

    /// Delete `field`. Returns true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Pack(p) => match find_packed(p, field).map(|s| s.start..s.value.end) {
                Some(range) => {
                    p.splice(range, &[]);
                    true
                }
                None => false,
            },
            Repr::Table(t) => {
                let found = t.remove(field).is_some();
                if found {
                    t.shrink_if_needed();
                }
                found
            }
        }
    }

    /// A random field with its value: the `r % len`-th pair of the compact form, or a
    /// sample of the hash table. None when empty.
    pub fn random_pair(&mut self, r: usize) -> Option<(Vec<u8>, Vec<u8>)> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let field = match &mut self.0 {
            Repr::Pack(_) => None,
            Repr::Table(t) => t.random_key().map(|k| k.to_vec()),
        };
        match field {
            Some(f) => {
                let v = self.get_field(&f)?.to_vec();
                Some((f, v))
            }
            None => self
                .iter()
                .nth(r % n)
                .map(|(f, v)| (f.to_vec(), v.to_vec())),
        }
    }

    /// One HSCAN step over the hash table form: calls `f` for the pairs of the buckets the
    /// cursor names and returns the next cursor. The compact form reports everything at once
    /// and returns 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.0 {
            Repr::Pack(_) => {
                for (k, v) in self.iter() {
                    f(k, v);
                }
                0
            }
            Repr::Table(t) => t.scan(cursor, |k, v| f(k, v)),
        }
    }

    /// Mix the value into a DEBUG DIGEST the way Redis 7.0 does: every pair gets its own digest
    /// (field then value mixed into zeros), XORed into the total so order does not matter.
    pub fn digest(&self, d: &mut Digest) {
        for (f, v) in self.iter() {
            let mut e = [0u8; 20];
            mix_digest(&mut e, f);
            mix_digest(&mut e, v);
            xor_digest(d, &e);
        }
    }
}

/// Constructors for loaders (RDB), which know the encoding the value must have.
impl Hash {
    /// A compact (`listpack`) hash from entries already encoded with `packed::encode_into`,
    /// alternating field and value, fields distinct.
    pub fn from_encoded_pairs(encoded: &[u8]) -> Hash {
        let mut p = Packed::default();
        p.splice(0..0, encoded);
        Hash(Repr::Pack(p))
    }

    /// A `hashtable` hash from a filled table.
    pub fn from_table(t: Dict<Box<[u8]>>) -> Hash {
        Hash(Repr::Table(Box::new(t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sha1::hex;

    fn lim(entries: u64, value: u64) -> EncLimits {
        EncLimits {
            hash_max_listpack_entries: entries,
            hash_max_listpack_value: value,
            ..EncLimits::default()
        }
    }

    #[test]
    fn packed_keeps_insertion_order_and_converts() {
        let l = lim(3, 8);
        let mut h = Hash::default();
        assert!(h.set(b"b", b"1", &l));
        assert!(h.set(b"a", b"2", &l));
        assert!(!h.set(b"b", b"three", &l));
        assert_eq!(h.get_field(b"b"), Some(&b"three"[..]));
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(pairs, vec![(&b"b"[..], &b"three"[..]), (b"a", b"2")]);
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert_eq!(h.len(), 1);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"c", b"3", &l);
        h.set(b"d", b"4", &l);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"e", b"5", &l);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 4);
        let mut g = Hash::default();
        g.set(b"f", b"123456789", &l);
        assert_eq!(g.encoding(), "hashtable");
        assert_eq!(g.get_field(b"f"), Some(&b"123456789"[..]));
    }

    #[test]
    fn digest_matches_redis_7_0() {
        // HSET h a 1 b 2 -> DEBUG DIGEST-VALUE h on redis-server 7.0.15.
        let l = EncLimits::default();
        for order in [[b"a", b"b"], [b"b", b"a"]] {
            let mut h = Hash::default();
            for f in order {
                h.set(f, if f == b"a" { b"1" } else { b"2" }, &l);
            }
            let mut d = [0u8; 20];
            mix_digest(&mut d, &4u32.to_be_bytes());
            h.digest(&mut d);
            assert_eq!(hex(&d), "6c8f22b3bf510fdcfd6122dd0f908a80e88243bf");
        }
    }
}
