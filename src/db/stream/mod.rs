//! The stream type: entries with 128-bit ids in an ordered index of nodes, and consumer
//! groups. Nodes mirror Redis's listpack nodes (a master entry with the first entry's field
//! names, then entries as deltas from the node's master id, deleted ones kept as tombstones):
//! XTRIM `~` removes whole nodes, XINFO reports their count and the RDB format stores them, so
//! nodes are split exactly where Redis 7.0 splits them.
pub mod group;
pub mod id;
pub mod lpsize;
pub mod node;
pub mod trim;

use super::digest::{mix_digest, Digest};
pub use group::{Consumer, Group, Nack};
pub use id::StreamId;
pub use node::{Node, RawEntry, FLAG_DELETED, FLAG_SAMEFIELDS};
use std::collections::BTreeMap;

/// Redis 7.0 defaults of `stream-node-max-bytes` and `stream-node-max-entries`.
pub const NODE_MAX_BYTES: usize = 4096;
pub const NODE_MAX_ENTRIES: u64 = 100;
/// Largest listpack Redis builds (STREAM_LISTPACK_MAX_SIZE).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// A stream value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {
    pub nodes: BTreeMap<StreamId, Node>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Vec<u8>, Group>,
}

/// A borrowed live entry.
pub struct EntryRef<'a> {
    pub id: StreamId,
    pub node: &'a Node,
    pub entry: RawEntry<'a>,
}

impl EntryRef<'_> {
    pub fn pairs(&self) -> Vec<(&[u8], &[u8])> {
        self.node.pairs(&self.entry)
    }
}

impl Stream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Append an entry with a new id greater than `last_id` (callers check), opening a new node
    /// when the tail one is full. `pairs` are field, value, field, value...
    pub fn append(&mut self, id: StreamId, pairs: &[Vec<u8>], max_bytes: usize, max_entries: u64) {
        let numfields = pairs.len() / 2;
        let totelelen: usize = pairs.iter().map(|x| x.len()).sum();
        let max_bytes = if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            max_bytes
        };
        let tail_full = match self.nodes.values().next_back() {
            None => true,
            Some(n) => {
                n.lp_bytes() + totelelen >= max_bytes
                    || (max_entries != 0 && n.live + n.deleted >= max_entries)
            }
        };
        if tail_full {
            if let Some(n) = self.nodes.values_mut().next_back() {
                n.shrink();
            }
            let fields = pairs.iter().step_by(2).cloned().collect();
            self.nodes.insert(id, Node::new(id, fields));
        }
        let Some(node) = self.nodes.values_mut().next_back() else {
            return;
        };
        let same = node.master_fields.len() == numfields
            && node
                .master_fields
                .iter()
                .zip(pairs.iter().step_by(2))
                .all(|(a, b)| a == b);
        let items: Vec<&[u8]> = if same {
            pairs.iter().skip(1).step_by(2).map(|x| &x[..]).collect()
        } else {
            pairs.iter().map(|x| &x[..]).collect()
        };
        node.push_raw(id, if same { FLAG_SAMEFIELDS } else { 0 }, &items);
        if self.length == 0 {
            self.first_id = id;
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
    }

    /// Live entries with ids in `start..=end`, ascending or descending.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = EntryRef<'_>> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let first = self
            .nodes
            .range(..=start)
            .next_back()
            .map_or(start, |(k, _)| *k);
        let nodes = self.nodes.range(first..=end).map(|(_, n)| n);
        let keep = move |r: &EntryRef<'_>| r.id >= start && r.id <= end && !r.entry.is_deleted();
        if rev {
            Box::new(nodes.rev().flat_map(refs_back).filter(keep))
        } else {
            Box::new(nodes.flat_map(refs).filter(keep))
        }
    }

    /// Live entries from the first (or the last, `rev`).
    pub fn iter(&self, rev: bool) -> Box<dyn Iterator<Item = EntryRef<'_>> + '_> {
        self.range(StreamId::MIN, StreamId::MAX, rev)
    }

    /// Delete the live entry `id`; true if there was one. Empty nodes are removed; the first
    /// id and max deleted id follow as in XDEL.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(pos) = node.entries().find(|e| e.id == id).map(|e| e.pos) else {
            return false;
        };
        if !node.delete_at(pos) {
            return false;
        }
        if node.live == 0 {
            self.nodes.remove(&key);
        }
        self.length -= 1;
        if id > self.max_deleted {
            self.max_deleted = id;
        }
        true
    }

    /// Recompute `first_id` after deletions (0-0 when empty, as Redis 7.0 leaves it).
    pub fn refresh_first_id(&mut self) {
        let first = self.edge(false).unwrap_or(StreamId::MIN);
        self.first_id = first;
    }

    /// The first / last live entry id.
    pub fn edge(&self, last: bool) -> Option<StreamId> {
        self.iter(last).next().map(|e| e.id)
    }

    /// The node count Redis's radix tree would have for these node keys (XINFO STREAM
    /// radix-tree-nodes): a node starts at the root, below each branching point, and where a
    /// compressed run of single-child levels ends.
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_walk(&keys, 0, 0)
    }

    /// DEBUG DIGEST-VALUE of a stream: every live entry's id as `ms.seq`, its fields and values.
    pub fn digest(&self, d: &mut Digest) {
        for e in self.iter(false) {
            mix_digest(d, format!("{}.{}", e.id.ms, e.id.seq).as_bytes());
            for (f, v) in e.pairs() {
                mix_digest(d, f);
                mix_digest(d, v);
            }
        }
    }
}

/// A node's entries from the last (they are packed forward only).
fn refs_back(n: &Node) -> std::iter::Rev<std::vec::IntoIter<EntryRef<'_>>> {
    refs(n).collect::<Vec<_>>().into_iter().rev()
}

fn refs(n: &Node) -> impl Iterator<Item = EntryRef<'_>> {
    n.entries().map(move |e| EntryRef {
        id: e.id,
        node: n,
        entry: e,
    })
}

fn rax_walk(keys: &[[u8; 16]], depth: usize, parent_children: usize) -> usize {
    if depth == 16 {
        return 1;
    }
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || keys[i][depth] != keys[start][depth] {
            groups.push(&keys[start..i]);
            start = i;
        }
    }
    let me = usize::from(parent_children != 1 || groups.len() != 1);
    me + groups
        .iter()
        .map(|g| rax_walk(g, depth + 1, groups.len()))
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .flat_map(|i| [format!("f{i}").into_bytes(), b"v".to_vec()])
            .collect()
    }

    #[test]
    fn nodes_split_at_max_entries() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            s.append(StreamId::new(i, 0), &pairs(1), NODE_MAX_BYTES, 100);
        }
        assert_eq!(s.nodes.len(), 3);
        assert_eq!(s.length, 250);
        assert!(s.delete(StreamId::new(5, 0)));
        assert!(!s.delete(StreamId::new(5, 0)));
        let ids: Vec<u64> = s
            .range(StreamId::new(3, 0), StreamId::new(7, 0), true)
            .map(|e| e.id.ms)
            .collect();
        assert_eq!(ids, vec![7, 6, 4, 3]);
    }

    #[test]
    fn rax_node_count() {
        let mut s = Stream::new();
        assert_eq!(s.rax_nodes(), 1);
        s.append(StreamId::new(1, 0), &pairs(1), NODE_MAX_BYTES, 1);
        assert_eq!(s.rax_nodes(), 2);
    }
}
