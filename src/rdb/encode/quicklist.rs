//! How Redis 7.0's quicklist splits a list into nodes, so a list is written as the same
//! sequence of listpacks a Redis that received the same elements by RPUSH would hold.
//!
//! A node accepts one more element while its listpack size plus the element's length plus an
//! 8-byte overhead estimate stays within the `list-max-listpack-size` limit: negative values
//! -1..-5 are 4, 8, 16, 32, 64 KiB; positive values count elements (with an 8 KiB safety cap).
//! Elements of 1 GiB or more get a node of their own (a "plain" node, not a listpack).
use super::listpack::Builder;

/// Byte limits of `list-max-listpack-size` -1 .. -5.
const LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte cap of a node when the limit is an element count.
const SAFETY_LIMIT: usize = 8192;
/// Estimated listpack overhead of one more element.
const OVERHEAD: usize = 8;
/// Elements this large go into plain nodes.
pub const PLAIN_THRESHOLD: usize = 1 << 30;

/// Whether a node whose listpack is `node_bytes` long with `count` entries takes one more
/// element of `len` bytes under fill factor `fill`.
pub fn allows(node_bytes: usize, count: usize, len: usize, fill: i64) -> bool {
    let new_sz = node_bytes + len + OVERHEAD;
    if fill < 0 {
        let level = ((-fill - 1) as usize).min(LEVELS.len() - 1);
        new_sz <= LEVELS[level]
    } else {
        let max = if fill == 0 { 1 } else { fill as usize };
        new_sz <= SAFETY_LIMIT && count < max
    }
}

/// One node of a split list.
pub enum Node<'a> {
    /// A finished listpack.
    Packed(&'a [u8]),
    /// One element stored as is.
    Plain(&'a [u8]),
}

/// Splits a list into nodes, reusing its buffers from one list to the next.
#[derive(Default)]
pub struct Splitter {
    lp: Builder,
    /// Finished listpacks, back to back.
    blobs: Vec<u8>,
    /// Per node: end offset in `blobs`, or for a plain node the element index (tagged).
    nodes: Vec<(bool, usize)>,
}

impl Splitter {
    /// Split `items` (head to tail); then `nodes` yields the result.
    pub fn split<'a, I>(&mut self, items: I, fill: i64)
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        self.lp.clear();
        self.blobs.clear();
        self.nodes.clear();
        for (i, e) in items.into_iter().enumerate() {
            if e.len() >= PLAIN_THRESHOLD {
                self.close();
                self.nodes.push((true, i));
                continue;
            }
            if self.lp.count() > 0 && !allows(self.lp.bytes_len(), self.lp.count(), e.len(), fill) {
                self.close();
            }
            self.lp.push(e);
        }
        self.close();
    }

    fn close(&mut self) {
        if self.lp.count() > 0 {
            self.blobs.extend_from_slice(self.lp.finish());
            self.nodes.push((false, self.blobs.len()));
            self.lp.clear();
        }
    }

    /// Number of nodes of the last split.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Call `f` for every node of the last split; `item(i)` fetches element `i` of the list
    /// for plain nodes.
    pub fn for_each<'b, E>(
        &self,
        item: impl Fn(usize) -> &'b [u8],
        mut f: impl FnMut(Node<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut start = 0;
        for &(plain, at) in &self.nodes {
            if plain {
                f(Node::Plain(item(at)))?;
            } else {
                f(Node::Packed(&self.blobs[start..at]))?;
                start = at;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_counts(items: &[Vec<u8>], fill: i64) -> Vec<usize> {
        let mut s = Splitter::default();
        s.split(items.iter().map(|v| &v[..]), fill);
        let mut out = Vec::new();
        s.for_each(
            |i| &items[i][..],
            |n| {
                out.push(match n {
                    Node::Packed(b) => u16::from_le_bytes([b[4], b[5]]) as usize,
                    Node::Plain(_) => 1,
                });
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn default_fill_matches_redis() {
        // Redis 7.0.15: RPUSH of 2000 ten-byte elements makes nodes of 681 entries
        // (8179-byte listpacks).
        let items = vec![b"aaaaaaaaaa".to_vec(); 2000];
        assert_eq!(node_counts(&items, -2), [681, 681, 638]);
    }

    #[test]
    fn count_fill() {
        let items: Vec<Vec<u8>> = (0..10).map(|i: i32| i.to_string().into_bytes()).collect();
        assert_eq!(node_counts(&items, 4), [4, 4, 2]);
        assert_eq!(node_counts(&items, 0), [1; 10]);
        let big = vec![vec![b'x'; 5000]; 3];
        assert_eq!(node_counts(&big, 100), [1, 1, 1]);
        assert_eq!(node_counts(&big, -3), [3]);
    }
}
