//! A chained hash table keyed by binary strings, shaped like Redis's `dict` because two Redis
//! guarantees depend on the shape: SCAN's reverse-binary cursor never misses an element present
//! for the whole scan (even across resizes), and a random element can be sampled cheaply (for
//! RANDOMKEY and the active expiry cycle). Resizing rehashes incrementally: each operation moves a
//! few buckets from the old table to the new one, so a large table never stalls the event loop.
use super::dictkey::DictKey;
use std::hash::{BuildHasher, RandomState};

struct Node<V> {
    key: DictKey,
    val: V,
    next: Option<Box<Node<V>>>,
}

type Bucket<V> = Option<Box<Node<V>>>;

struct Table<V> {
    buckets: Vec<Bucket<V>>,
    used: usize,
}

impl<V> Table<V> {
    fn empty() -> Self {
        Table {
            buckets: Vec::new(),
            used: 0,
        }
    }
    fn with_size(n: usize) -> Self {
        let mut buckets = Vec::with_capacity(n);
        buckets.resize_with(n, || None);
        Table { buckets, used: 0 }
    }
    fn mask(&self) -> u64 {
        (self.buckets.len() as u64).wrapping_sub(1)
    }
}

const INITIAL_SIZE: usize = 4;
const REHASH_STEP: usize = 1;

pub struct Dict<V> {
    ht: [Table<V>; 2],
    /// Next bucket of `ht[0]` to move into `ht[1]` while rehashing.
    rehash_idx: Option<usize>,
    hasher: RandomState,
    rng: u64,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

/// Reverse the bits of `v` (used by the scan cursor).
#[inline]
fn rev(v: u64) -> u64 {
    v.reverse_bits()
}

impl<V> Dict<V> {
    pub fn new() -> Self {
        let seed = crate::util::now_us() as u64 | 1;
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: None,
            hasher: RandomState::new(),
            rng: seed,
        }
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of buckets (both tables), as Redis reports for the keyspace.
    pub fn buckets(&self) -> usize {
        self.ht[0].buckets.len() + self.ht[1].buckets.len()
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// Move up to `n` buckets from the old table to the new one. Returns true while more remain.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n * 10;
        let mut moved = 0;
        while moved < n && self.ht[0].used > 0 {
            while self.ht[0].buckets[idx].is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let mut chain = self.ht[0].buckets[idx].take();
            while let Some(mut node) = chain {
                chain = node.next.take();
                let h = self.hasher.hash_one(node.key.as_bytes()) & self.ht[1].mask();
                let slot = &mut self.ht[1].buckets[h as usize];
                node.next = slot.take();
                *slot = Some(node);
                self.ht[0].used -= 1;
                self.ht[1].used += 1;
            }
            idx += 1;
            moved += 1;
        }
        if self.ht[0].used == 0 {
            self.ht[0] = std::mem::replace(&mut self.ht[1], Table::empty());
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    fn start_resize(&mut self, size: usize) {
        if self.is_rehashing() {
            return;
        }
        let size = size.max(INITIAL_SIZE).next_power_of_two();
        if size == self.ht[0].buckets.len() {
            return;
        }
        if self.ht[0].buckets.is_empty() {
            self.ht[0] = Table::with_size(size);
            return;
        }
        self.ht[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.ht[0].buckets.len();
        if size == 0 {
            self.start_resize(INITIAL_SIZE);
        } else if self.ht[0].used >= size {
            self.start_resize(self.ht[0].used + 1);
        }
    }

    /// Size an empty table for `n` entries up front (loaders that know the count).
    pub fn reserve(&mut self, n: usize) {
        if self.is_empty() && !self.is_rehashing() {
            self.start_resize(n);
        }
    }

    /// Shrink when less than 10% of the buckets are used (called from the periodic tick).
    pub fn shrink_if_needed(&mut self) {
        let size = self.ht[0].buckets.len();
        if !self.is_rehashing() && size > INITIAL_SIZE && self.ht[0].used * 10 < size {
            self.start_resize(self.ht[0].used);
        }
    }

    fn find(&self, key: &[u8], h: u64) -> Option<(usize, &Node<V>)> {
        for t in 0..2 {
            let table = &self.ht[t];
            if table.buckets.is_empty() {
                continue;
            }
            let mut cur = table.buckets[(h & table.mask()) as usize].as_deref();
            while let Some(node) = cur {
                if node.key.as_bytes() == key {
                    return Some((t, node));
                }
                cur = node.next.as_deref();
            }
            if !self.is_rehashing() {
                break;
            }
        }
        None
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.is_empty() {
            return None;
        }
        let h = self.hash(key);
        self.find(key, h).map(|(_, n)| &n.val)
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.is_empty() {
            return None;
        }
        if self.is_rehashing() {
            self.rehash(REHASH_STEP);
        }
        let h = self.hash(key);
        let rehashing = self.is_rehashing();
        let [t0, t1] = &mut self.ht;
        if let Some(v) = chain_find_mut(t0, h, key) {
            return Some(v);
        }
        if rehashing {
            return chain_find_mut(t1, h, key);
        }
        None
    }

    /// Insert or replace; returns the previous value.
    pub fn insert(&mut self, key: Vec<u8>, val: V) -> Option<V> {
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, val));
        }
        self.insert_new(key, val);
        None
    }

    /// Insert a key known to be absent (the caller has just looked it up).
    /// Takes the key as `Vec<u8>`, `Box<[u8]>` or `&[u8]`.
    pub fn insert_new(&mut self, key: impl Into<DictKey>, val: V) {
        let key: DictKey = key.into();
        self.expand_if_needed();
        let h = self.hash(key.as_bytes());
        let t = if self.is_rehashing() { 1 } else { 0 };
        let table = &mut self.ht[t];
        let mask = table.mask();
        let slot = &mut table.buckets[(h & mask) as usize];
        let node = Box::new(Node {
            key,
            val,
            next: slot.take(),
        });
        *slot = Some(node);
        table.used += 1;
    }

    /// Remove a key, returning its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        if self.is_empty() {
            return None;
        }
        if self.is_rehashing() {
            self.rehash(REHASH_STEP);
        }
        let h = self.hash(key);
        let rehashing = self.is_rehashing();
        for t in 0..2 {
            let table = &mut self.ht[t];
            if table.buckets.is_empty() {
                continue;
            }
            let idx = (h & table.mask()) as usize;
            let mut link = &mut table.buckets[idx];
            loop {
                match link {
                    None => break,
                    Some(node) if node.key.as_bytes() == key => {
                        let mut node = link.take()?;
                        *link = node.next.take();
                        table.used -= 1;
                        return Some(node.val);
                    }
                    Some(node) => link = &mut node.next,
                }
            }
            if !rehashing {
                break;
            }
        }
        None
    }

    pub fn clear(&mut self) {
        // Drop chains iteratively so a long chain cannot overflow the stack.
        for t in &mut self.ht {
            for b in t.buckets.iter_mut() {
                let mut cur = b.take();
                while let Some(mut n) = cur {
                    cur = n.next.take();
                }
            }
        }
        self.ht = [Table::empty(), Table::empty()];
        self.rehash_idx = None;
    }

    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            dict: self,
            table: 0,
            bucket: 0,
            node: None,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.iter().map(|(k, _)| k)
    }

    /// One step of a SCAN: calls `f` for every element of the bucket(s) the cursor names and
    /// returns the next cursor (0 when the scan is complete). Elements present for the whole scan
    /// are reported at least once, even if the table grows or shrinks in between.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        let emit_bucket = |t: &Table<V>, idx: u64, f: &mut dyn FnMut(&[u8], &V)| {
            let mut cur = t.buckets[idx as usize].as_deref();
            while let Some(n) = cur {
                f(n.key.as_bytes(), &n.val);
                cur = n.next.as_deref();
            }
        };
        if !self.is_rehashing() {
            let t = &self.ht[0];
            let m0 = t.mask();
            emit_bucket(t, v & m0, &mut f);
            v |= !m0;
            v = rev(v);
            v = v.wrapping_add(1);
            v = rev(v);
        } else {
            let (small, large) = if self.ht[0].buckets.len() <= self.ht[1].buckets.len() {
                (&self.ht[0], &self.ht[1])
            } else {
                (&self.ht[1], &self.ht[0])
            };
            let m0 = small.mask();
            let m1 = large.mask();
            emit_bucket(small, v & m0, &mut f);
            loop {
                emit_bucket(large, v & m1, &mut f);
                v |= !m1;
                v = rev(v);
                v = v.wrapping_add(1);
                v = rev(v);
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*: plenty for sampling keys.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545F4914F6CDD1D)
    }

    /// A random key, or None when empty. Picks a random non-empty bucket, then a random node.
    pub fn random_key(&mut self) -> Option<&[u8]> {
        if self.is_empty() {
            return None;
        }
        if self.is_rehashing() {
            self.rehash(REHASH_STEP);
        }
        let (t, idx) = loop {
            if self.is_rehashing() {
                let total = (self.ht[0].buckets.len() + self.ht[1].buckets.len()) as u64;
                let r = self.next_rand() % total;
                let (t, i) = if (r as usize) < self.ht[0].buckets.len() {
                    (0, r as usize)
                } else {
                    (1, r as usize - self.ht[0].buckets.len())
                };
                if self.ht[t].buckets[i].is_some() {
                    break (t, i);
                }
            } else {
                let i = (self.next_rand() & self.ht[0].mask()) as usize;
                if self.ht[0].buckets[i].is_some() {
                    break (0, i);
                }
            }
        };
        let mut len = 0;
        let mut cur = self.ht[t].buckets[idx].as_deref();
        while let Some(n) = cur {
            len += 1;
            cur = n.next.as_deref();
        }
        let mut pick = self.next_rand() % len;
        let mut cur = self.ht[t].buckets[idx].as_deref();
        while let Some(n) = cur {
            if pick == 0 {
                return Some(n.key.as_bytes());
            }
            pick -= 1;
            cur = n.next.as_deref();
        }
        None
    }
}

/// Walk one table's chain for `key` (a single pass, unlike find-then-borrow).
fn chain_find_mut<'a, V>(t: &'a mut Table<V>, h: u64, key: &[u8]) -> Option<&'a mut V> {
    if t.buckets.is_empty() {
        return None;
    }
    let idx = (h & t.mask()) as usize;
    let mut cur = t.buckets[idx].as_deref_mut();
    while let Some(node) = cur {
        if node.key.as_bytes() == key {
            return Some(&mut node.val);
        }
        cur = node.next.as_deref_mut();
    }
    None
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

pub struct Iter<'a, V> {
    dict: &'a Dict<V>,
    table: usize,
    bucket: usize,
    node: Option<&'a Node<V>>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                self.node = n.next.as_deref();
                return Some((n.key.as_bytes(), &n.val));
            }
            if self.table > 1 {
                return None;
            }
            let t = &self.dict.ht[self.table];
            if self.bucket >= t.buckets.len() {
                self.table += 1;
                self.bucket = 0;
                continue;
            }
            self.node = t.buckets[self.bucket].as_deref();
            self.bucket += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn insert_get_remove_through_resizes() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..10_000 {
            assert!(d.insert(format!("k{i}").into_bytes(), i).is_none());
        }
        assert_eq!(d.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(d.get(format!("k{i}").as_bytes()), Some(&i));
        }
        for i in 0..9_000 {
            assert_eq!(d.remove(format!("k{i}").as_bytes()), Some(i));
        }
        d.shrink_if_needed();
        assert_eq!(d.len(), 1_000);
        assert_eq!(d.iter().count(), 1_000);
        assert!(d.random_key().is_some());
    }

    #[test]
    fn scan_misses_nothing_while_table_changes() {
        let mut d: Dict<()> = Dict::new();
        for i in 0..500 {
            d.insert(format!("stay{i}").into_bytes(), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            // Grow a lot, then shrink, in the middle of the scan.
            round += 1;
            if round < 50 {
                for j in 0..100 {
                    d.insert(format!("tmp{round}-{j}").into_bytes(), ());
                }
            } else if round == 50 {
                let tmp: Vec<Vec<u8>> = d
                    .keys()
                    .filter(|k| k.starts_with(b"tmp"))
                    .map(|k| k.to_vec())
                    .collect();
                for k in tmp {
                    d.remove(&k);
                }
                d.shrink_if_needed();
            }
            if cursor == 0 || round > 100_000 {
                break;
            }
        }
        for i in 0..500 {
            assert!(
                seen.contains(format!("stay{i}").as_bytes()),
                "missed stay{i}"
            );
        }
    }
}
