//! The ordered index of a large sorted set: a skiplist whose links carry spans (how many
//! elements a link jumps over), so finding an element's rank, the element at a rank, and the
//! number of elements below a bound all take O(log n) expected time. Nodes live in one arena
//! (`Vec`) and link to each other by index, so no unsafe code is needed; freed slots are reused.
//!
//! Order is (score, member bytes); equal scores (0 and -0 included) order by member.

/// Most levels a node may have; p = 1/4 makes this plenty for 2^64 elements.
const MAX_LEVEL: usize = 32;
/// "No node" in a link.
const NIL: u32 = u32::MAX;
/// Arena index of the header node (it holds no element).
const HEAD: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct Link {
    next: u32,
    /// Level-0 steps from this node to `next` (meaningful when `next` is not NIL).
    span: u32,
}

#[derive(Debug)]
struct Node {
    member: Box<[u8]>,
    score: f64,
    /// Previous node at level 0 (NIL for the first element).
    back: u32,
    links: Box<[Link]>,
}

/// (score, member) strictly before (s2, m2)?
#[inline]
pub fn before(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 < s2 || (s1 == s2 && m1 < m2)
}

/// Total order of (score, member) pairs.
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> std::cmp::Ordering {
    if before(s1, m1, s2, m2) {
        std::cmp::Ordering::Less
    } else if before(s2, m2, s1, m1) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

#[derive(Debug)]
pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    tail: u32,
    level: usize,
    len: usize,
    rng: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

/// A position in the list (an element), for walking neighbours.
pub type Pos = u32;

impl SkipList {
    pub fn new() -> Self {
        let head = Node {
            member: Box::default(),
            score: 0.0,
            back: NIL,
            links: vec![Link { next: NIL, span: 0 }; MAX_LEVEL].into_boxed_slice(),
        };
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            tail: NIL,
            level: 1,
            len: 0,
            rng: (crate::util::now_us() as u64) | 1,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn random_level(&mut self) -> usize {
        let mut lvl = 1;
        loop {
            let x = crate::util::xorshift64(&mut self.rng);
            if lvl < MAX_LEVEL && (x & 0xFFFF) < 0x4000 {
                lvl += 1;
            } else {
                return lvl;
            }
        }
    }

    #[inline]
    fn link(&self, x: u32, i: usize) -> Link {
        self.nodes[x as usize].links[i]
    }

    #[inline]
    fn node_before(&self, x: u32, score: f64, member: &[u8]) -> bool {
        let n = &self.nodes[x as usize];
        before(n.score, &n.member, score, member)
    }

    /// Insert an element that is not in the list.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i + 1 == self.level { 0 } else { rank[i + 1] };
            loop {
                let l = self.link(x, i);
                if l.next != NIL && self.node_before(l.next, score, member) {
                    rank[i] += l.span;
                    x = l.next;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let lvl = self.random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].links[i].span = self.len as u32;
            }
            self.level = lvl;
        }
        let mut links = vec![Link { next: NIL, span: 0 }; lvl].into_boxed_slice();
        let new = match self.free.last() {
            Some(&f) => f,
            None => self.nodes.len() as u32,
        };
        for i in 0..lvl {
            let u = update[i];
            let ul = self.link(u, i);
            let dist = rank[0] - rank[i];
            links[i] = Link {
                next: ul.next,
                span: ul.span.saturating_sub(dist),
            };
            self.nodes[u as usize].links[i] = Link {
                next: new,
                span: dist + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            let l = &mut self.nodes[u as usize].links[i];
            l.span = l.span.saturating_add(1);
        }
        let back = if update[0] == HEAD { NIL } else { update[0] };
        let next0 = links[0].next;
        let node = Node {
            member: member.into(),
            score,
            back,
            links,
        };
        if self.free.pop().is_some() {
            self.nodes[new as usize] = node;
        } else {
            self.nodes.push(node);
        }
        if next0 != NIL {
            self.nodes[next0 as usize].back = new;
        } else {
            self.tail = new;
        }
        self.len += 1;
    }

    /// Remove the element (score, member); false if it is not there.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next != NIL && self.node_before(l.next, score, member) {
                    x = l.next;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let t = self.link(x, 0).next;
        if t == NIL {
            return false;
        }
        {
            let n = &self.nodes[t as usize];
            if n.score != score || &*n.member != member {
                return false;
            }
        }
        self.unlink(t, &update);
        true
    }

    fn unlink(&mut self, t: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if ul.next == t {
                let tl = self.link(t, i);
                self.nodes[u as usize].links[i] = Link {
                    next: tl.next,
                    span: (ul.span + tl.span).saturating_sub(1),
                };
            } else {
                self.nodes[u as usize].links[i].span = ul.span.saturating_sub(1);
            }
        }
        let (next0, back) = {
            let n = &self.nodes[t as usize];
            (n.links[0].next, n.back)
        };
        if next0 != NIL {
            self.nodes[next0 as usize].back = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let n = &mut self.nodes[t as usize];
        n.member = Box::default();
        n.links = Box::default();
        self.free.push(t);
        if self.len == 0 {
            self.nodes.truncate(1);
            self.free.clear();
        } else if self.free.len() > 1024 && self.free.len() > 3 * self.len {
            self.compact();
        }
    }

    /// Rebuild into a dense arena once most slots are free, so a set that shrank does not keep
    /// its peak size (amortized O(log n) per removal). Positions become invalid.
    fn compact(&mut self) {
        let mut fresh = SkipList::new();
        fresh.rng = self.rng;
        fresh.nodes.reserve(self.len);
        let mut p = self.first();
        while let Some(x) = p {
            let n = &self.nodes[x as usize];
            fresh.insert(n.score, &n.member);
            p = self.next(x);
        }
        *self = fresh;
    }

    /// 0-based rank of (score, member), if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let r = self.count_while(|s, m| before(s, m, score, member));
        let (m, s) = self.get(self.at(r)?);
        (s == score && m == member).then_some(r)
    }

    /// The element at 0-based `rank`, if in range.
    pub fn at(&self, rank: usize) -> Option<Pos> {
        if rank >= self.len {
            return None;
        }
        let target = rank + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next != NIL && traversed + l.span as usize <= target {
                    traversed += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
            if traversed == target {
                return Some(x);
            }
        }
        None
    }

    /// How many leading elements satisfy `pred` (which must hold for a prefix of the order).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut r = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL {
                    break;
                }
                let n = &self.nodes[l.next as usize];
                if pred(n.score, &n.member) {
                    r += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
        }
        r
    }

    /// The element at a position.
    pub fn get(&self, p: Pos) -> (&[u8], f64) {
        let n = &self.nodes[p as usize];
        (&n.member, n.score)
    }

    /// The next element in order, if any.
    pub fn next(&self, p: Pos) -> Option<Pos> {
        let n = self.nodes[p as usize].links[0].next;
        (n != NIL).then_some(n)
    }

    /// The previous element in order, if any.
    pub fn prev(&self, p: Pos) -> Option<Pos> {
        let b = self.nodes[p as usize].back;
        (b != NIL).then_some(b)
    }

    pub fn first(&self) -> Option<Pos> {
        self.next(HEAD)
    }

    pub fn last(&self) -> Option<Pos> {
        (self.tail != NIL).then_some(self.tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            crate::util::xorshift64(&mut self.0)
        }
    }

    fn model_sort(m: &mut [(f64, Vec<u8>)]) {
        m.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
    }

    fn check(sl: &SkipList, model: &[(f64, Vec<u8>)]) {
        assert_eq!(sl.len(), model.len());
        // Forward and backward walks.
        let mut fwd = Vec::new();
        let mut p = sl.first();
        while let Some(x) = p {
            let (m, s) = sl.get(x);
            fwd.push((s, m.to_vec()));
            p = sl.next(x);
        }
        assert_eq!(fwd, model);
        let mut bwd = Vec::new();
        let mut p = sl.last();
        while let Some(x) = p {
            let (m, s) = sl.get(x);
            bwd.push((s, m.to_vec()));
            p = sl.prev(x);
        }
        bwd.reverse();
        assert_eq!(bwd, model);
        for (r, (s, m)) in model.iter().enumerate() {
            assert_eq!(sl.rank(*s, m), Some(r));
            let p = sl.at(r).unwrap();
            assert_eq!(sl.get(p), (&m[..], *s));
        }
        assert!(sl.at(model.len()).is_none());
    }

    #[test]
    fn random_ops_match_sorted_vec() {
        let mut rng = Rng(0x9E3779B97F4A7C15);
        for round in 0..20 {
            let mut sl = SkipList::new();
            let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
            let ops = 200 + round * 30;
            for step in 0..ops {
                let r = rng.next();
                let member = format!("m{}", r % 150).into_bytes();
                let score = ((r >> 20) % 40) as f64 - 20.0;
                match model.iter().position(|(_, m)| *m == member) {
                    Some(i) if r % 3 == 0 => {
                        let (s, m) = model.remove(i);
                        assert!(sl.remove(s, &m));
                        assert!(!sl.remove(s, &m));
                    }
                    Some(i) => {
                        // Score update: remove and re-insert.
                        let (s, m) = model.remove(i);
                        assert!(sl.remove(s, &m));
                        sl.insert(score, &m);
                        model.push((score, m));
                        model_sort(&mut model);
                    }
                    None => {
                        assert_eq!(sl.rank(score, &member), None);
                        sl.insert(score, &member);
                        model.push((score, member));
                        model_sort(&mut model);
                    }
                }
                if step % 25 == 0 {
                    check(&sl, &model);
                }
                // Lower bound by score.
                let bound = ((r >> 40) % 44) as f64 - 22.0;
                let want = model.iter().filter(|(s, _)| *s < bound).count();
                assert_eq!(sl.count_while(|s, _| s < bound), want);
            }
            check(&sl, &model);
            while let Some((s, m)) = model.pop() {
                assert!(sl.remove(s, &m));
            }
            check(&sl, &model);
        }
    }

    #[test]
    fn big_sequential() {
        let mut sl = SkipList::new();
        for i in 0..5000 {
            sl.insert(i as f64, format!("{i}").as_bytes());
        }
        assert_eq!(sl.rank(4321.0, b"4321"), Some(4321));
        assert_eq!(sl.get(sl.at(777).unwrap()), (&b"777"[..], 777.0));
        assert_eq!(sl.count_while(|s, _| s < 1000.5), 1001);
        for i in (0..5000).step_by(2) {
            assert!(sl.remove(i as f64, format!("{i}").as_bytes()));
        }
        assert_eq!(sl.len(), 2500);
        assert_eq!(sl.rank(4321.0, b"4321"), Some(2160));
        assert_eq!(sl.get(sl.at(0).unwrap()).1, 1.0);
        // Shrinking far below the peak compacts the arena.
        for i in (1..4800).step_by(2) {
            assert!(sl.remove(i as f64, format!("{i}").as_bytes()));
        }
        assert_eq!(sl.len(), 100);
        assert!(sl.nodes.len() < 1500, "arena kept {} slots", sl.nodes.len());
        assert_eq!(sl.rank(4801.0, b"4801"), Some(0));
        assert_eq!(sl.get(sl.last().unwrap()), (&b"4999"[..], 4999.0));
        assert_eq!(sl.count_while(|s, _| s < 4900.0), 50);
    }
}
