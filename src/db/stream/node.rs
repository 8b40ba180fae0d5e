//! One stream node, Redis's listpack keyed by its master id: the master entry's field names,
//! then every entry (tombstones included) packed in one buffer, in id order. Each entry is its
//! flags byte, its id as varint deltas from the master id, an item count and the items
//! (length-prefixed): the values only when the entry has the master fields (SAMEFIELDS), else
//! names and values. One allocation per node keeps a small entry at about the bytes it holds,
//! as in Redis. Nodes hold few entries (`stream-node-max-entries`), so lookups scan.
use super::lpsize;
use super::StreamId;

/// Entry flags as stored in the listpack.
pub const FLAG_DELETED: u8 = 1;
pub const FLAG_SAMEFIELDS: u8 = 2;

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Read a varint at `*pos` (the buffer is written by this module only).
fn varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v: u64 = 0;
    let mut shift = 0;
    while let Some(&b) = buf.get(*pos) {
        *pos += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

/// One entry as stored: where its flags byte is, its id and flags, and its items.
#[derive(Debug, Clone, Copy)]
pub struct RawEntry<'a> {
    pub pos: usize,
    pub id: StreamId,
    pub flags: u8,
    items: &'a [u8],
    count: usize,
}

impl<'a> RawEntry<'a> {
    pub fn is_deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }

    /// The items: values, or names and values (see the flags).
    pub fn items(&self) -> Items<'a> {
        Items {
            buf: self.items,
            pos: 0,
            left: self.count,
        }
    }

    pub fn item_count(&self) -> usize {
        self.count
    }
}

/// Iterator over an entry's items.
pub struct Items<'a> {
    buf: &'a [u8],
    pos: usize,
    left: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let n = varint(self.buf, &mut self.pos) as usize;
        let s = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub master: StreamId,
    pub master_fields: Vec<Vec<u8>>,
    buf: Vec<u8>,
    /// Live entries and tombstones (the first two elements of the master entry).
    pub live: u64,
    pub deleted: u64,
    /// Listpack bytes of everything but the two counters.
    body_bytes: usize,
    /// The last entry's id (tombstone or not), the master id while empty.
    last: StreamId,
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
            buf: Vec::new(),
            live: 0,
            deleted: 0,
            body_bytes: body,
            last: master,
        }
    }

    /// What `lpBytes` would answer for this node's listpack.
    pub fn lp_bytes(&self) -> usize {
        self.body_bytes + lpsize::int(self.live as i64) + lpsize::int(self.deleted as i64)
    }

    /// Append an entry as stored in the listpack (`items`: values, or names and values); the
    /// flags decide how they are read, and whether it counts as live or deleted.
    pub fn push_raw(&mut self, id: StreamId, flags: u8, items: &[&[u8]]) {
        let n = items.len();
        let mut bytes = lpsize::int(flags as i64)
            + lpsize::int(id.ms.wrapping_sub(self.master.ms) as i64)
            + lpsize::int(id.seq.wrapping_sub(self.master.seq) as i64)
            + items.iter().map(|x| lpsize::string(x)).sum::<usize>();
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
        let b = &mut self.buf;
        b.reserve(3 + items.iter().map(|x| x.len() + 2).sum::<usize>());
        b.push(flags);
        put_varint(b, id.ms.wrapping_sub(self.master.ms));
        put_varint(b, id.seq.wrapping_sub(self.master.seq));
        put_varint(b, n as u64);
        for x in items {
            put_varint(b, x.len() as u64);
            b.extend_from_slice(x);
        }
        self.last = id;
    }

    /// Give back spare capacity (a node that is no longer the tail).
    pub fn shrink(&mut self) {
        self.buf.shrink_to_fit();
    }

    fn decode_at(&self, pos: usize) -> (RawEntry<'_>, usize) {
        let b = &self.buf;
        let flags = b[pos];
        let mut p = pos + 1;
        let ms = self.master.ms.wrapping_add(varint(b, &mut p));
        let seq = self.master.seq.wrapping_add(varint(b, &mut p));
        let count = varint(b, &mut p) as usize;
        let start = p;
        for _ in 0..count {
            let n = varint(b, &mut p) as usize;
            p += n;
        }
        let e = RawEntry {
            pos,
            id: StreamId::new(ms, seq),
            flags,
            items: &b[start..p.min(b.len())],
            count,
        };
        (e, p)
    }

    /// Every entry, tombstones included, in id order.
    pub fn entries(&self) -> impl Iterator<Item = RawEntry<'_>> + '_ {
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos >= self.buf.len() {
                return None;
            }
            let (e, next) = self.decode_at(pos);
            pos = next;
            Some(e)
        })
    }

    /// The field/value pairs of an entry.
    pub fn pairs<'a>(&'a self, e: &RawEntry<'a>) -> Vec<(&'a [u8], &'a [u8])> {
        if e.flags & FLAG_SAMEFIELDS != 0 {
            self.master_fields
                .iter()
                .map(|f| &f[..])
                .zip(e.items())
                .collect()
        } else {
            let v: Vec<&[u8]> = e.items().collect();
            v.chunks_exact(2).map(|p| (p[0], p[1])).collect()
        }
    }

    /// Mark the entry whose flags byte is at `pos` deleted; true if it was live.
    pub fn delete_at(&mut self, pos: usize) -> bool {
        let Some(f) = self.buf.get_mut(pos) else {
            return false;
        };
        if *f & FLAG_DELETED != 0 {
            return false;
        }
        *f |= FLAG_DELETED;
        self.live -= 1;
        self.deleted += 1;
        true
    }

    /// The id of the node's last entry, tombstone or not.
    pub fn last_id(&self) -> StreamId {
        self.last
    }

    /// The id of the node's first entry, tombstone or not.
    pub fn first_id(&self) -> Option<StreamId> {
        self.entries().next().map(|e| e.id)
    }
}
