//! Sorted set values (ZADD, ZRANGE, ...). Two encodings, as in Redis 7.0: `listpack` (a sorted
//! vector, scanned linearly, while the set is small: at most `zset-max-listpack-entries` members
//! of at most `zset-max-listpack-value` bytes) and `skiplist` (a member → score hash table plus
//! an indexable skiplist, so lookups are O(1) and rank/range operations O(log n)). A set converts
//! to `skiplist` once it outgrows the limits and never converts back.
//!
//! Every rank here is 0-based in ascending (score, member) order.
pub mod range;
pub mod score;
pub mod skiplist;

use super::dict::Dict;
use super::digest::{mix_digest, xor_digest, Digest};
use crate::config::EncLimits;
use skiplist::{before, cmp_entry, SkipList};

/// The large encoding: the hash table answers "score of member", the skiplist everything
/// ordered.
#[derive(Default)]
struct Big {
    dict: Dict<f64>,
    list: SkipList,
}

enum Repr {
    /// Sorted by (score, member).
    Pack(Vec<(Box<[u8]>, f64)>),
    Skip(Box<Big>),
}

pub struct ZSet {
    repr: Repr,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet {
            repr: Repr::Pack(Vec::new()),
        }
    }
}

impl Clone for ZSet {
    fn clone(&self) -> Self {
        match &self.repr {
            Repr::Pack(v) => ZSet {
                repr: Repr::Pack(v.clone()),
            },
            Repr::Skip(_) => {
                let mut big = Big::default();
                self.for_each(|m, s| {
                    big.dict.insert_new(m, s);
                    big.list.insert(s, m);
                });
                ZSet {
                    repr: Repr::Skip(Box::new(big)),
                }
            }
        }
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.encoding() == other.encoding() && self.members() == other.members()
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZSet")
            .field("encoding", &self.encoding())
            .field("members", &self.members())
            .finish()
    }
}

/// Does a member this long (or a set this large) fit the listpack encoding?
fn fits(lim: &EncLimits, len: usize, member_len: usize) -> bool {
    len as u64 <= lim.zset_max_listpack_entries && member_len as u64 <= lim.zset_max_listpack_value
}

fn pack_pos(v: &[(Box<[u8]>, f64)], score: f64, member: &[u8]) -> usize {
    v.partition_point(|(m, s)| before(*s, m, score, member))
}

impl ZSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Build a set from distinct members (any order), in the encoding Redis would give the
    /// result of a store command (ZUNIONSTORE, ZRANGESTORE, ...).
    pub fn from_entries(mut entries: Vec<(Vec<u8>, f64)>, lim: &EncLimits) -> ZSet {
        let maxlen = entries.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if fits(lim, entries.len(), maxlen) {
            entries.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
            ZSet {
                repr: Repr::Pack(
                    entries
                        .into_iter()
                        .map(|(m, s)| (m.into_boxed_slice(), s + 0.0))
                        .collect(),
                ),
            }
        } else {
            let mut big = Big::default();
            for (m, s) in entries {
                big.list.insert(s, &m);
                big.dict.insert_new(m.into_boxed_slice(), s);
            }
            ZSet {
                repr: Repr::Skip(Box::new(big)),
            }
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Pack(v) => v.len(),
            Repr::Skip(b) => b.list.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Pack(_) => "listpack",
            Repr::Skip(_) => "skiplist",
        }
    }

    /// Is this the compact encoding?
    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Pack(_))
    }

    /// Call `f` for every member in rank order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match &self.repr {
            Repr::Pack(v) => v.iter().for_each(|(m, s)| f(m, *s)),
            Repr::Skip(b) => {
                let mut p = b.list.first();
                while let Some(x) = p {
                    let (m, s) = b.list.get(x);
                    f(m, s);
                    p = b.list.next(x);
                }
            }
        }
    }

    /// Call `f` for every member from the highest rank to the lowest (the order Redis walks
    /// its skiplist in when writing an RDB file).
    pub fn for_each_rev(&self, mut f: impl FnMut(&[u8], f64)) {
        match &self.repr {
            Repr::Pack(v) => v.iter().rev().for_each(|(m, s)| f(m, *s)),
            Repr::Skip(b) => {
                let mut p = b.list.last();
                while let Some(x) = p {
                    let (m, s) = b.list.get(x);
                    f(m, s);
                    p = b.list.prev(x);
                }
            }
        }
    }

    /// Call `f(score, member)` for the members from rank `start` upwards while it returns true;
    /// `member` reads the member only when called. GEO searches walk a score interval this
    /// way, looking at the members they keep only (a skiplist walk then reads only links).
    pub fn walk_from<'a>(
        &'a self,
        start: usize,
        mut f: impl FnMut(f64, &dyn Fn() -> &'a [u8]) -> bool,
    ) {
        match &self.repr {
            Repr::Pack(v) => {
                for (m, s) in v.iter().skip(start) {
                    if !f(*s, &|| &**m) {
                        break;
                    }
                }
            }
            Repr::Skip(b) => {
                if let Some(p) = b.list.before_rank(start) {
                    let list = &b.list;
                    list.walk_after(p, |x, s| f(s, &|| list.get(x).0));
                }
            }
        }
    }

    /// Members in rank order (lowest score first) with their scores (SORT, RDB).
    pub fn members(&self) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|m, s| out.push((m.to_vec(), s)));
        out
    }

    /// Mix the value into a DEBUG DIGEST the way Redis 7.0 does: per member, the digest of the
    /// member then of its score printed with `%.17g`, whose SHA-1 is XORed into the key's digest.
    pub fn digest(&self, d: &mut Digest) {
        self.for_each(|m, s| {
            let mut e = [0u8; 20];
            mix_digest(&mut e, m);
            mix_digest(&mut e, crate::util::fmt_g(s, 17).as_bytes());
            xor_digest(d, &e);
        });
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Pack(v) => v.iter().find(|(m, _)| &**m == member).map(|(_, s)| *s),
            Repr::Skip(b) => b.dict.get(member).copied(),
        }
    }

    /// A `listpack` set from distinct members whatever their lengths (a loader keeps a
    /// listpack it read as one while the member count is within the limit, as Redis does).
    pub fn packed_from_entries(mut entries: Vec<(Box<[u8]>, f64)>) -> ZSet {
        entries.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
        for e in entries.iter_mut() {
            e.1 += 0.0;
        }
        ZSet {
            repr: Repr::Pack(entries),
        }
    }

    /// Switch to the `skiplist` encoding whatever the size (SORT and SORT_RO do this to their
    /// source, as Redis 7.0 does).
    pub fn convert_to_skiplist(&mut self) {
        self.convert();
    }

    fn convert(&mut self) {
        if let Repr::Pack(v) = &mut self.repr {
            let mut big = Big::default();
            for (m, s) in std::mem::take(v) {
                big.list.insert(s, &m);
                big.dict.insert_new(m, s);
            }
            self.repr = Repr::Skip(Box::new(big));
        }
    }

    /// Add a new member or change the score of an existing one. Converts to `skiplist` first
    /// when a new member would outgrow the listpack limits. Returns the previous score.
    pub fn set(&mut self, member: &[u8], score: f64, lim: &EncLimits) -> Option<f64> {
        if let Repr::Pack(v) = &mut self.repr {
            // A listpack keeps scores as text written by d2string, which prints -0 as 0.
            let score = score + 0.0;
            if let Some(i) = v.iter().position(|(m, _)| &**m == member) {
                let old = v[i].1;
                if old != score {
                    let (m, _) = v.remove(i);
                    let at = pack_pos(v, score, &m);
                    v.insert(at, (m, score));
                }
                return Some(old);
            }
            if fits(lim, v.len() + 1, member.len()) {
                let at = pack_pos(v, score, member);
                v.insert(at, (member.into(), score));
                return None;
            }
            self.convert();
        }
        let Repr::Skip(b) = &mut self.repr else {
            return None;
        };
        match b.dict.get_mut(member) {
            Some(cur) => {
                let old = *cur;
                if old != score {
                    *cur = score;
                    b.list.update_score(old, member, score);
                }
                Some(old)
            }
            None => {
                b.dict.insert_new(member, score);
                b.list.insert(score, member);
                None
            }
        }
    }

    /// Remove `member`; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Pack(v) => {
                let i = v.iter().position(|(m, _)| &**m == member)?;
                Some(v.remove(i).1)
            }
            Repr::Skip(b) => {
                let s = b.dict.remove(member)?;
                b.list.remove(s, member);
                // Like Redis after deletions: give back a mostly empty hash table.
                b.dict.shrink_if_needed();
                Some(s)
            }
        }
    }

    /// Rank of `member` (ascending).
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Pack(v) => v.iter().position(|(m, _)| &**m == member),
            Repr::Skip(b) => {
                let s = *b.dict.get(member)?;
                b.list.rank(s, member)
            }
        }
    }

    /// The member at `rank`.
    pub fn at(&self, rank: usize) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Pack(v) => v.get(rank).map(|(m, s)| (&**m, *s)),
            Repr::Skip(b) => b.list.at(rank).map(|p| b.list.get(p)),
        }
    }

    /// How many leading members satisfy `pred` (true for a prefix of the order).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Pack(v) => v.partition_point(|(m, s)| pred(*s, m)),
            Repr::Skip(b) => b.list.count_while(pred),
        }
    }

    /// Members with ranks `start..=end` (clamped), ascending, or descending from `end` when
    /// `rev`. At most `limit` are returned.
    pub fn range(&self, start: usize, end: usize, rev: bool, limit: usize) -> Vec<(Vec<u8>, f64)> {
        let len = self.len();
        if start > end || start >= len || limit == 0 {
            return Vec::new();
        }
        let end = end.min(len - 1);
        let n = (end - start + 1).min(limit);
        let mut out = Vec::with_capacity(n);
        match &self.repr {
            Repr::Pack(v) => {
                let slice = &v[start..=end];
                if rev {
                    out.extend(slice.iter().rev().take(n).map(|(m, s)| (m.to_vec(), *s)));
                } else {
                    out.extend(slice.iter().take(n).map(|(m, s)| (m.to_vec(), *s)));
                }
            }
            Repr::Skip(b) => {
                let mut p = b.list.at(if rev { end } else { start });
                while let Some(x) = p {
                    if out.len() == n {
                        break;
                    }
                    let (m, s) = b.list.get(x);
                    out.push((m.to_vec(), s));
                    p = if rev { b.list.prev(x) } else { b.list.next(x) };
                }
            }
        }
        out
    }

    /// Remove the members with ranks `start..=end` (clamped); returns how many.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let len = self.len();
        if start > end || start >= len {
            return 0;
        }
        let end = end.min(len - 1);
        if let Repr::Pack(v) = &mut self.repr {
            v.drain(start..=end);
        } else {
            for (m, _) in self.range(start, end, false, usize::MAX) {
                self.remove(&m);
            }
        }
        end - start + 1
    }

    /// Remove and return the lowest (or highest, `max`) member.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let r = if max { len - 1 } else { 0 };
        let (m, s) = self.at(r).map(|(m, s)| (m.to_vec(), s))?;
        self.remove(&m);
        Some((m, s))
    }

    /// One ZSCAN step over the hash table of a `skiplist` set; None for a `listpack` set
    /// (which is returned whole, in rank order, with cursor 0).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> Option<u64> {
        match &self.repr {
            Repr::Pack(_) => None,
            Repr::Skip(b) => Some(b.dict.scan(cursor, |m, s| f(m, *s))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim(entries: u64) -> EncLimits {
        EncLimits {
            zset_max_listpack_entries: entries,
            ..EncLimits::default()
        }
    }

    #[test]
    fn both_encodings_agree() {
        let mut small = ZSet::new();
        let mut big = ZSet::new();
        let (ls, lb) = (lim(1 << 20), lim(0));
        let mut x: u64 = 12345;
        for _ in 0..3000 {
            crate::util::xorshift64(&mut x);
            let m = format!("k{}", x % 200).into_bytes();
            let s = ((x >> 32) % 50) as f64;
            if x % 4 == 0 {
                assert_eq!(small.remove(&m), big.remove(&m));
            } else {
                assert_eq!(small.set(&m, s, &ls), big.set(&m, s, &lb));
            }
            assert_eq!(small.rank(&m), big.rank(&m));
            assert_eq!(small.score(&m), big.score(&m));
            let b = ((x >> 40) % 52) as f64;
            assert_eq!(
                small.count_while(|s, _| s < b),
                big.count_while(|s, _| s < b)
            );
            if x % 97 == 0 {
                let (a, z) = ((x % 30) as usize, ((x >> 8) % 60) as usize);
                assert_eq!(small.remove_range(a, z), big.remove_range(a, z));
            }
        }
        assert_eq!(small.encoding(), "listpack");
        assert_eq!(big.encoding(), "skiplist");
        assert_eq!(small.members(), big.members());
        let n = small.len();
        assert_eq!(small.range(3, n + 5, true, 7), big.range(3, n + 5, true, 7));
        let walk = |z: &ZSet, start| {
            let mut out = Vec::new();
            z.walk_from(start, |s, m| {
                out.push((m().to_vec(), s));
                out.len() < 9
            });
            out
        };
        for start in [0, 1, n / 2, n - 1, n, n + 3] {
            assert_eq!(walk(&small, start), walk(&big, start));
            assert_eq!(walk(&small, start), small.range(start, n, false, 9));
        }
        assert_eq!(small.pop(true), big.pop(true));
        assert_eq!(small.pop(false), big.pop(false));
        let mut d1 = [0u8; 20];
        let mut d2 = [0u8; 20];
        small.digest(&mut d1);
        big.digest(&mut d2);
        assert_eq!(d1, d2);
    }

    #[test]
    fn converts_past_limits() {
        let l = EncLimits::default();
        let mut z = ZSet::new();
        for i in 0..128 {
            z.set(format!("{i}").as_bytes(), i as f64, &l);
        }
        assert_eq!(z.encoding(), "listpack");
        z.set(b"x", 0.0, &l);
        assert_eq!(z.encoding(), "skiplist");
        let mut z = ZSet::new();
        z.set(&[b'a'; 65], 1.0, &l);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(std::mem::size_of::<ZSet>(), 24);
    }
}
