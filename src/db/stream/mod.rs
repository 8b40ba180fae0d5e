//! The stream type: entries with 128-bit ids in an ordered index of nodes, and consumer
//! groups. Nodes mirror Redis's listpack nodes (a master entry with the first entry's field
//! names, then entries as deltas from the node's master id, deleted ones kept as tombstones):
//! XTRIM `~` removes whole nodes, XINFO reports their count and the RDB format stores them, so
//! nodes are split exactly where Redis 7.0 splits them.
pub mod group;
pub mod id;
pub mod lpsize;
pub mod trim;

use super::digest::{mix_digest, Digest};
use super::packed::Packed;
pub use group::{Consumer, Group, Nack};
pub use id::StreamId;
use std::collections::BTreeMap;

/// Entry flags as stored in the listpack.
pub const FLAG_DELETED: u8 = 1;
pub const FLAG_SAMEFIELDS: u8 = 2;

/// Redis 7.0 defaults of `stream-node-max-bytes` and `stream-node-max-entries`.
pub const NODE_MAX_BYTES: usize = 4096;
pub const NODE_MAX_ENTRIES: u64 = 100;
/// Largest listpack Redis builds (STREAM_LISTPACK_MAX_SIZE).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// One entry of a node: its id, flags, and its values (with the field names interleaved unless
/// it has the master entry's fields).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeEntry {
    pub id: StreamId,
    pub flags: u8,
    pub data: Packed,
}

impl NodeEntry {
    pub fn is_deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }
}

/// One node: Redis's listpack keyed by its master id.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub master: StreamId,
    pub master_fields: Vec<Vec<u8>>,
    pub entries: Vec<NodeEntry>,
    /// Live entries and tombstones (the first two elements of the master entry).
    pub live: u64,
    pub deleted: u64,
    /// Listpack bytes of everything but the two counters.
    body_bytes: usize,
}

impl Node {
    /// An empty node whose master entry has `fields`.
    pub fn new(master: StreamId, fields: Vec<Vec<u8>>) -> Self {
        let body = lpsize::OVERHEAD
            + lpsize::int(fields.len() as i64)
            + fields.iter().map(|f| lpsize::string(f)).sum::<usize>()
            + lpsize::int(0);
        Node {
            master,
            master_fields: fields,
            entries: Vec::new(),
            live: 0,
            deleted: 0,
            body_bytes: body,
        }
    }

    /// What `lpBytes` would answer for this node's listpack.
    pub fn lp_bytes(&self) -> usize {
        self.body_bytes + lpsize::int(self.live as i64) + lpsize::int(self.deleted as i64)
    }

    /// Append an entry as stored in the listpack (`data`: values, or names and values).
    /// The flags decide how `data` is read; `live`/`deleted` are counted from them.
    pub fn push_raw(&mut self, id: StreamId, flags: u8, data: Packed) {
        let n = data.count();
        let mut bytes = lpsize::int(flags as i64)
            + lpsize::int(id.ms.wrapping_sub(self.master.ms) as i64)
            + lpsize::int(id.seq.wrapping_sub(self.master.seq) as i64)
            + data.iter().map(lpsize::string).sum::<usize>();
        let lp_count = if flags & FLAG_SAMEFIELDS != 0 {
            n + 3
        } else {
            bytes += lpsize::int((n / 2) as i64);
            n + 4
        };
        bytes += lpsize::int(lp_count as i64);
        self.body_bytes += bytes;
        if flags & FLAG_DELETED != 0 {
            self.deleted += 1;
        } else {
            self.live += 1;
        }
        self.entries.push(NodeEntry { id, flags, data });
    }

    /// The field/value pairs of an entry.
    pub fn pairs<'a>(&'a self, e: &'a NodeEntry) -> Vec<(&'a [u8], &'a [u8])> {
        if e.flags & FLAG_SAMEFIELDS != 0 {
            self.master_fields
                .iter()
                .map(|f| &f[..])
                .zip(e.data.iter())
                .collect()
        } else {
            let v: Vec<&[u8]> = e.data.iter().collect();
            v.chunks_exact(2).map(|p| (p[0], p[1])).collect()
        }
    }

    /// Mark entry `i` deleted; true if it was live.
    pub fn delete_at(&mut self, i: usize) -> bool {
        let e = &mut self.entries[i];
        if e.is_deleted() {
            return false;
        }
        e.flags |= FLAG_DELETED;
        self.live -= 1;
        self.deleted += 1;
        true
    }

    /// The id of the node's last entry, tombstone or not.
    pub fn last_id(&self) -> StreamId {
        self.entries.last().map_or(self.master, |e| e.id)
    }
}

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
    pub entry: &'a NodeEntry,
}

impl EntryRef<'_> {
    pub fn pairs(&self) -> Vec<(&[u8], &[u8])> {
        self.node.pairs(self.entry)
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
        let mut data = Packed::default();
        let items: Vec<&[u8]> = if same {
            pairs.iter().skip(1).step_by(2).map(|x| &x[..]).collect()
        } else {
            pairs.iter().map(|x| &x[..]).collect()
        };
        data.push(&items);
        node.push_raw(id, if same { FLAG_SAMEFIELDS } else { 0 }, data);
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
            Box::new(nodes.rev().flat_map(move |n| refs(n).rev()).filter(keep))
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
        let Ok(i) = node.entries.binary_search_by(|e| e.id.cmp(&id)) else {
            return false;
        };
        if !node.delete_at(i) {
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

fn refs(n: &Node) -> impl DoubleEndedIterator<Item = EntryRef<'_>> {
    n.entries.iter().map(move |e| EntryRef {
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
