//! The ordered index of a large sorted set: a skiplist whose links carry spans (how many
//! elements a link jumps over), so finding an element's rank, the element at a rank, and the
//! number of elements below a bound all take O(log n) expected time.
//!
//! Layout, chosen for cache behaviour without unsafe code: the links of every node live in one
//! flat `Vec<LevelLink>`; a node is identified by the offset of its first link, and its level-`i`
//! link is at `offset + i`. Each link also caches the score of the node it points to, so a
//! search step reads one link and compares scores without touching the next node; only equal
//! scores look at the member. Per-node data (member, back link, level) sits in a parallel
//! vector at the same offset. Freed slots are kept in per-level free lists and reused.
//!
//! Order is (score, member bytes); equal scores (0 and -0 included) order by member.

/// Most levels a node may have; p = 1/4 makes this plenty for 2^64 elements.
const MAX_LEVEL: usize = 32;
/// "No node" in a link.
const NIL: u32 = u32::MAX;
/// Offset of the header node (it holds no element and has all `MAX_LEVEL` links).
const HEAD: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct LevelLink {
    next: u32,
    /// Level-0 steps from this node to `next` (meaningful when `next` is not NIL).
    span: u32,
    /// Score of `next` (meaningful when `next` is not NIL).
    score: f64,
}

const EMPTY_LINK: LevelLink = LevelLink {
    next: NIL,
    span: 0,
    score: 0.0,
};

/// Per-node data, stored at the node's offset (other offsets hold an empty `Meta`).
#[derive(Debug, Default)]
struct Meta {
    member: Box<[u8]>,
    score: f64,
    /// Previous node at level 0 (NIL for the first element).
    back: u32,
    /// Number of links (0 for an unused slot).
    level: u32,
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
    /// Links of all nodes; a node's links are `links[offset..offset + level]`.
    links: Vec<LevelLink>,
    /// Per-node data, parallel to `links`.
    meta: Vec<Meta>,
    /// `free[l - 1]`: offsets of unused slots of `l` links.
    free: Vec<Vec<u32>>,
    /// Links held by the free lists.
    free_links: usize,
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

/// Predecessors at each level of a searched-for place.
type Path = [u32; MAX_LEVEL];

impl SkipList {
    pub fn new() -> Self {
        let mut meta = Vec::with_capacity(MAX_LEVEL);
        meta.resize_with(MAX_LEVEL, Meta::default);
        meta[HEAD as usize] = Meta {
            member: Box::default(),
            score: 0.0,
            back: NIL,
            level: MAX_LEVEL as u32,
        };
        SkipList {
            links: vec![EMPTY_LINK; MAX_LEVEL],
            meta,
            free: Vec::new(),
            free_links: 0,
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
    fn link(&self, x: u32, i: usize) -> LevelLink {
        self.links[x as usize + i]
    }

    #[inline]
    fn link_mut(&mut self, x: u32, i: usize) -> &mut LevelLink {
        &mut self.links[x as usize + i]
    }

    /// Is the node `l` points to before (score, member)? Reads the member only on equal scores.
    #[inline]
    fn link_before(&self, l: LevelLink, score: f64, member: &[u8]) -> bool {
        l.next != NIL
            && (l.score < score
                || (l.score == score && *self.meta[l.next as usize].member < *member))
    }

    /// Fill `update` with the last node before (score, member) at each level, and `rank` with
    /// the rank of each of those nodes (the header counting as 0).
    fn search(&self, score: f64, member: &[u8], update: &mut Path, rank: &mut Path) {
        let mut x = HEAD;
        let mut r = 0u32;
        for i in (0..self.level).rev() {
            let mut l = self.link(x, i);
            while self.link_before(l, score, member) {
                r += l.span;
                x = l.next;
                l = self.link(x, i);
            }
            update[i] = x;
            rank[i] = r;
        }
    }

    /// Like `search` without ranks.
    fn search_path(&self, score: f64, member: &[u8], update: &mut Path) {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            let mut l = self.link(x, i);
            while self.link_before(l, score, member) {
                x = l.next;
                l = self.link(x, i);
            }
            update[i] = x;
        }
    }

    /// A slot of `lvl` links, reused from the free lists when possible.
    fn alloc(&mut self, lvl: usize) -> u32 {
        if let Some(off) = self.free.get_mut(lvl - 1).and_then(Vec::pop) {
            self.free_links -= lvl;
            return off;
        }
        let off = self.links.len();
        if off + lvl > self.links.capacity() {
            // Grow by half rather than doubling: both vectors are big and per-element.
            let more = (off / 2).max(lvl).max(64);
            self.links.reserve_exact(more);
            self.meta.reserve_exact(more);
        }
        self.links.resize(off + lvl, EMPTY_LINK);
        self.meta.resize_with(off + lvl, Meta::default);
        off as u32
    }

    /// Insert an element that is not in the list.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        self.search(score, member, &mut update, &mut rank);
        let lvl = self.random_level();
        let t = self.alloc(lvl);
        self.meta[t as usize] = Meta {
            member: member.into(),
            score,
            back: NIL,
            level: lvl as u32,
        };
        self.link_in(t, &mut update, &mut rank);
    }

    /// LevelLink the detached node `t` (its `meta` filled in) after the path `update`.
    fn link_in(&mut self, t: u32, update: &mut Path, rank: &mut Path) {
        let lvl = self.meta[t as usize].level as usize;
        let score = self.meta[t as usize].score;
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.link_mut(HEAD, i).span = self.len as u32;
            }
            self.level = lvl;
        }
        for i in 0..lvl {
            let u = update[i];
            let ul = self.link(u, i);
            let dist = rank[0] - rank[i];
            *self.link_mut(t, i) = LevelLink {
                next: ul.next,
                span: ul.span.saturating_sub(dist),
                score: ul.score,
            };
            *self.link_mut(u, i) = LevelLink {
                next: t,
                span: dist + 1,
                score,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            let l = self.link_mut(u, i);
            l.span = l.span.saturating_add(1);
        }
        self.meta[t as usize].back = if update[0] == HEAD { NIL } else { update[0] };
        let next0 = self.link(t, 0).next;
        if next0 != NIL {
            self.meta[next0 as usize].back = t;
        } else {
            self.tail = t;
        }
        self.len += 1;
    }

    /// The node holding (score, member) after `search_path` filled `update`, if present.
    fn found(&self, update: &Path, score: f64, member: &[u8]) -> Option<u32> {
        let t = self.link(update[0], 0).next;
        if t == NIL {
            return None;
        }
        let n = &self.meta[t as usize];
        (n.score == score && *n.member == *member).then_some(t)
    }

    /// Remove the element (score, member); false if it is not there.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let mut update = [HEAD; MAX_LEVEL];
        self.search_path(score, member, &mut update);
        let Some(t) = self.found(&update, score, member) else {
            return false;
        };
        self.unlink(t, &update);
        self.release(t);
        true
    }

    /// Change the score of (old, member) to `new`; false if it is not there. The node stays in
    /// place when its neighbours still bracket the new score, and is moved otherwise.
    pub fn update_score(&mut self, old: f64, member: &[u8], new: f64) -> bool {
        let mut update = [HEAD; MAX_LEVEL];
        self.search_path(old, member, &mut update);
        let Some(t) = self.found(&update, old, member) else {
            return false;
        };
        let after_prev = update[0] == HEAD || {
            let p = &self.meta[update[0] as usize];
            before(p.score, &p.member, new, member)
        };
        let l0 = self.link(t, 0);
        let before_next =
            l0.next == NIL || before(new, member, l0.score, &self.meta[l0.next as usize].member);
        let lvl = self.meta[t as usize].level as usize;
        if after_prev && before_next {
            self.meta[t as usize].score = new;
            for (i, &u) in update.iter().enumerate().take(lvl) {
                self.link_mut(u, i).score = new;
            }
            return true;
        }
        self.unlink(t, &update);
        let mut rank = [0u32; MAX_LEVEL];
        self.search(new, member, &mut update, &mut rank);
        self.meta[t as usize].score = new;
        self.link_in(t, &mut update, &mut rank);
        true
    }

    /// Detach node `t` (whose predecessors are `update`) from the list; its slot stays taken.
    fn unlink(&mut self, t: u32, update: &Path) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if ul.next == t {
                let tl = self.link(t, i);
                *self.link_mut(u, i) = LevelLink {
                    next: tl.next,
                    span: (ul.span + tl.span).saturating_sub(1),
                    score: tl.score,
                };
            } else {
                self.link_mut(u, i).span = ul.span.saturating_sub(1);
            }
        }
        let next0 = self.link(t, 0).next;
        let back = self.meta[t as usize].back;
        if next0 != NIL {
            self.meta[next0 as usize].back = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    /// Give the slot of the detached node `t` back.
    fn release(&mut self, t: u32) {
        let n = &mut self.meta[t as usize];
        let lvl = n.level as usize;
        *n = Meta::default();
        if self.len == 0 {
            self.links.truncate(MAX_LEVEL);
            self.meta.truncate(MAX_LEVEL);
            self.free = Vec::new();
            self.free_links = 0;
            return;
        }
        if self.free.len() < lvl {
            self.free.resize_with(lvl, Vec::new);
        }
        self.free[lvl - 1].push(t);
        self.free_links += lvl;
        let used = self.links.len() - self.free_links;
        if self.free_links > 1024 && self.free_links > 3 * used {
            self.compact();
        }
    }

    /// Rebuild into a dense arena once most slots are free, so a set that shrank does not keep
    /// its peak size (amortized O(log n) per removal). Positions become invalid.
    fn compact(&mut self) {
        let mut fresh = SkipList::new();
        fresh.rng = self.rng;
        let mut p = self.first();
        while let Some(x) = p {
            let n = &self.meta[x as usize];
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
                if l.next != NIL && pred(l.score, &self.meta[l.next as usize].member) {
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
        let n = &self.meta[p as usize];
        (&n.member, n.score)
    }

    /// The node a walk from `rank` starts after: the header for rank 0.
    pub fn before_rank(&self, rank: usize) -> Option<Pos> {
        match rank {
            0 => Some(HEAD),
            r => self.at(r - 1),
        }
    }

    /// Call `f(node, score)` for the nodes after `p`, in order, while it returns true. Only the
    /// level-0 links are read (each caches the next node's score), not the nodes' members.
    pub fn walk_after(&self, p: Pos, mut f: impl FnMut(Pos, f64) -> bool) {
        let mut l = self.link(p, 0);
        while l.next != NIL {
            if !f(l.next, l.score) {
                break;
            }
            l = self.link(l.next, 0);
        }
    }

    /// The next element in order, if any.
    pub fn next(&self, p: Pos) -> Option<Pos> {
        let n = self.link(p, 0).next;
        (n != NIL).then_some(n)
    }

    /// The previous element in order, if any.
    pub fn prev(&self, p: Pos) -> Option<Pos> {
        let b = self.meta[p as usize].back;
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
                        // Score update: in place (or moved), or remove and re-insert.
                        let (s, m) = model.remove(i);
                        if r % 5 < 3 {
                            assert!(sl.update_score(s, &m, score));
                        } else {
                            assert!(sl.remove(s, &m));
                            sl.insert(score, &m);
                        }
                        assert!(!sl.update_score(s + 0.5, &m, score));
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
    fn many_updates_reuse_slots() {
        let mut rng = Rng(0xD1B54A32D192ED03);
        let mut sl = SkipList::new();
        let mut scores: Vec<Option<f64>> = vec![None; 3000];
        for step in 0..60_000 {
            let r = rng.next();
            let i = (r % 3000) as usize;
            let m = format!("member:{i}").into_bytes();
            // Few distinct scores half the time, so equal scores order by member.
            let s = if r & (1 << 40) != 0 {
                ((r >> 20) % 7) as f64
            } else {
                ((r >> 20) % 100_000) as f64 / 7.0
            };
            match scores[i] {
                Some(old) if step > 40_000 && r % 2 == 0 => {
                    assert!(sl.remove(old, &m));
                    scores[i] = None;
                }
                Some(old) => {
                    assert!(sl.update_score(old, &m, s));
                    scores[i] = Some(s);
                }
                None => {
                    sl.insert(s, &m);
                    scores[i] = Some(s);
                }
            }
            if step % 10_000 == 0 || step == 59_999 {
                let mut model: Vec<(f64, Vec<u8>)> = scores
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| s.map(|s| (s, format!("member:{i}").into_bytes())))
                    .collect();
                model_sort(&mut model);
                check(&sl, &model);
            }
        }
        let live = sl.len();
        assert!(sl.links.len() < 4 * live + 2000, "{} links", sl.links.len());
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
        assert!(sl.links.len() < 2000, "arena kept {} links", sl.links.len());
        assert_eq!(sl.rank(4801.0, b"4801"), Some(0));
        assert_eq!(sl.get(sl.last().unwrap()), (&b"4999"[..], 4999.0));
        assert_eq!(sl.count_while(|s, _| s < 4900.0), 50);
    }
}
