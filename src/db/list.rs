//! List values (LPUSH, LRANGE, BLPOP, ...): a double-ended queue of byte strings behind one
//! box, so a `Value` stays small. Redis 7.0 always reports lists as `quicklist`. Index rules
//! (negative indexes count from the tail, ranges are clamped) live here so every command
//! resolves them the same way.
use super::digest::Digest;
use std::collections::VecDeque;

/// Which end of a list an operation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

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
    /// Mix the value into a DEBUG DIGEST the way Redis 7.0 does: every element, head to
    /// tail, mixed in as its string form.
    pub fn digest(&self, d: &mut Digest) {
        for x in self.items.iter() {
            super::digest::mix_digest(d, x);
        }
    }

    #[inline]
    pub fn push(&mut self, end: End, v: Vec<u8>) {
        match end {
            End::Head => self.items.push_front(v),
            End::Tail => self.items.push_back(v),
        }
    }

    #[inline]
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        match end {
            End::Head => self.items.pop_front(),
            End::Tail => self.items.pop_back(),
        }
    }

    /// The position of Redis index `i` (negative counts from the tail), if inside the list.
    pub fn index(&self, i: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let i = if i < 0 { len.checked_add(i)? } else { i };
        (0..len).contains(&i).then_some(i as usize)
    }

    pub fn get(&self, i: i64) -> Option<&[u8]> {
        self.index(i)
            .and_then(|p| self.items.get(p))
            .map(|v| &v[..])
    }

    pub fn get_mut(&mut self, i: i64) -> Option<&mut Vec<u8>> {
        let p = self.index(i)?;
        self.items.get_mut(p)
    }

    /// The inclusive range `[start, end]` of Redis indexes, clamped to the list (LRANGE and
    /// LTRIM rules); None when it selects nothing.
    pub fn range(&self, start: i64, end: i64) -> Option<(usize, usize)> {
        let len = self.items.len() as i64;
        let mut s = if start < 0 {
            len.saturating_add(start)
        } else {
            start
        };
        let mut e = if end < 0 {
            len.saturating_add(end)
        } else {
            end
        };
        if s < 0 {
            s = 0;
        }
        if s > e || s >= len {
            return None;
        }
        if e >= len {
            e = len - 1;
        }
        Some((s as usize, e as usize))
    }

    /// Remove up to `n` elements from `end`, in the order they are popped.
    pub fn pop_many(&mut self, end: End, n: usize) -> Vec<Vec<u8>> {
        let n = n.min(self.items.len());
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            if let Some(v) = self.pop(end) {
                out.push(v);
            }
        }
        out
    }

    /// Keep only positions `[s, e]` (LTRIM); returns how many elements were removed.
    pub fn keep(&mut self, range: Option<(usize, usize)>) -> usize {
        let len = self.items.len();
        match range {
            None => {
                self.items.clear();
                len
            }
            Some((s, e)) => {
                self.items.truncate(e + 1);
                self.items.drain(..s);
                len - (e + 1 - s)
            }
        }
    }

    /// Insert `v` before or after the first element equal to `pivot` (LINSERT). Returns
    /// false when the pivot is absent.
    pub fn insert_at_pivot(&mut self, after: bool, pivot: &[u8], v: Vec<u8>) -> bool {
        let Some(p) = self.items.iter().position(|x| x == pivot) else {
            return false;
        };
        self.items.insert(if after { p + 1 } else { p }, v);
        true
    }

    /// Remove elements equal to `v` (LREM): `count > 0` the first `count` from the head,
    /// `count < 0` the first `|count|` from the tail, 0 all of them. Returns how many.
    pub fn remove_matching(&mut self, count: i64, v: &[u8]) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs().min(usize::MAX as u64) as usize
        };
        // One pass either way: from the tail, find the position of the last match to remove,
        // then drop the matches at or after it.
        let first = if count >= 0 {
            0
        } else {
            let mut seen = 0;
            let mut at = self.items.len();
            for (i, x) in self.items.iter().enumerate().rev() {
                if seen == limit {
                    break;
                }
                if x == v {
                    seen += 1;
                    at = i;
                }
            }
            at
        };
        let mut removed = 0;
        let mut i = 0;
        self.items.retain(|x| {
            let drop = i >= first && removed < limit && x == v;
            i += 1;
            removed += drop as usize;
            !drop
        });
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(xs: &[&str]) -> List {
        List::from_vec(xs.iter().map(|s| s.as_bytes().to_vec()).collect())
    }

    #[test]
    fn ranges_and_indexes() {
        let x = l(&["a", "b", "c"]);
        assert_eq!(x.range(0, -1), Some((0, 2)));
        assert_eq!(x.range(-100, 100), Some((0, 2)));
        assert_eq!(x.range(2, 1), None);
        assert_eq!(x.range(3, 5), None);
        assert_eq!(x.range(i64::MIN, i64::MAX), Some((0, 2)));
        assert_eq!(x.get(-1), Some(&b"c"[..]));
        assert_eq!(x.get(-4), None);
        assert_eq!(x.get(i64::MIN), None);
    }

    #[test]
    fn trim_remove_insert() {
        let mut x = l(&["a", "b", "a", "c", "a"]);
        assert_eq!(x.remove_matching(-2, b"a"), 2);
        assert_eq!(x.members(), l(&["a", "b", "c"]).members());
        let mut y = l(&["a", "a", "b", "a"]);
        assert_eq!(y.remove_matching(1, b"a"), 1);
        assert_eq!(y.members(), l(&["a", "b", "a"]).members());
        assert_eq!(y.remove_matching(-5, b"a"), 2);
        assert_eq!(y.remove_matching(0, b"b"), 1);
        assert!(y.is_empty());
        assert!(x.insert_at_pivot(true, b"b", b"z".to_vec()));
        assert!(!x.insert_at_pivot(false, b"q", b"z".to_vec()));
        assert_eq!(x.keep(x.range(1, 2)), 2);
        assert_eq!(x.members(), l(&["b", "z"]).members());
        assert_eq!(x.keep(None), 2);
        assert!(x.is_empty());
    }
}
