//! Trimming a stream (XADD and XTRIM with MAXLEN or MINID), node by node from the oldest as
//! Redis 7.0 does: whole nodes go while they fit the request, then an exact trim marks entries
//! of the next node deleted; an approximate (`~`) trim stops at the first node it cannot drop.
use super::{Stream, StreamId};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trim {
    pub strategy: Strategy,
    pub approx: bool,
    /// Most entries to remove (0: no limit).
    pub limit: u64,
}

impl Stream {
    /// Trim; returns the number of entries removed.
    pub fn trim(&mut self, t: &Trim) -> u64 {
        let mut deleted = 0u64;
        loop {
            if let Strategy::MaxLen(max) = t.strategy {
                if self.length <= max {
                    break;
                }
            }
            let Some((&key, node)) = self.nodes.iter_mut().next() else {
                break;
            };
            let entries = node.live;
            if t.limit != 0 && deleted + entries > t.limit {
                break;
            }
            let remove_node = match t.strategy {
                Strategy::MaxLen(max) => self.length - entries >= max,
                Strategy::MinId(min) => node.last_id() < min,
            };
            if remove_node {
                self.nodes.remove(&key);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if t.approx {
                break;
            }
            let mut from_node = 0;
            let entries: Vec<(usize, StreamId)> = node.entries().map(|e| (e.pos, e.id)).collect();
            for (pos, id) in entries {
                let stop = match t.strategy {
                    Strategy::MaxLen(max) => self.length <= max,
                    Strategy::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                if node.delete_at(pos) {
                    from_node += 1;
                    self.length -= 1;
                }
            }
            deleted += from_node;
            break;
        }
        if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }
}
