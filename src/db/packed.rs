//! A compact list of byte strings in one buffer, for small collections (the `listpack`
//! encodings). Millions of tiny hashes must cost little memory, so the entries live in a single
//! allocation, each prefixed by its length as a LEB128 varint, and very small lists (a field and
//! a value of a few bytes) are stored inline without any allocation at all. Lookups scan
//! linearly, which is what Redis does on its listpacks too; callers convert to a hash table
//! before lists grow long.
use std::ops::Range;

/// Bytes stored inline (the buffer is 24 bytes including the length and the variant tag).
const INLINE: usize = 22;

#[derive(Clone)]
enum Buf {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

/// Length-prefixed byte strings, in insertion order.
#[derive(Clone)]
pub struct Packed(Buf);

impl Default for Packed {
    fn default() -> Self {
        Packed(Buf::Inline(0, [0; INLINE]))
    }
}

impl PartialEq for Packed {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Append `s` to `out` as one entry.
pub fn encode_into(out: &mut Vec<u8>, s: &[u8]) {
    put_varint(out, s.len());
    out.extend_from_slice(s);
}

/// Encoded size of an entry holding `n` bytes.
pub fn encoded_len(n: usize) -> usize {
    varint_len(n) + n
}

impl Packed {
    pub fn bytes(&self) -> &[u8] {
        match &self.0 {
            Buf::Inline(n, b) => &b[..*n as usize],
            Buf::Heap(b) => b,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    fn store(&mut self, v: &[u8]) {
        self.0 = if v.len() <= INLINE {
            let mut b = [0; INLINE];
            b[..v.len()].copy_from_slice(v);
            Buf::Inline(v.len() as u8, b)
        } else {
            Buf::Heap(v.into())
        };
    }

    /// Replace the bytes in `range` by already encoded entries.
    pub fn splice(&mut self, range: Range<usize>, with: &[u8]) {
        let old = self.bytes();
        let mut v = Vec::with_capacity(old.len() - range.len() + with.len());
        v.extend_from_slice(&old[..range.start]);
        v.extend_from_slice(with);
        v.extend_from_slice(&old[range.end..]);
        self.store(&v);
    }

    /// Append entries.
    pub fn push(&mut self, entries: &[&[u8]]) {
        let end = self.bytes().len();
        let mut enc = Vec::new();
        for e in entries {
            encode_into(&mut enc, e);
        }
        self.splice(end..end, &enc);
    }

    /// The entries, each with the byte range it occupies (prefix included).
    pub fn spans(&self) -> Spans<'_> {
        Spans {
            buf: self.bytes(),
            pos: 0,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans().map(|(s, _)| s)
    }

    pub fn count(&self) -> usize {
        self.spans().count()
    }
}

/// Iterator over `(entry, byte range)`.
pub struct Spans<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Spans<'a> {
    type Item = (&'a [u8], Range<usize>);
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let b = *self.buf.get(self.pos)?;
            self.pos += 1;
            n |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let s = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some((s, start..self.pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_splice_iterate() {
        let mut p = Packed::default();
        assert!(p.is_empty());
        p.push(&[b"field", b"value"]);
        assert!(matches!(p.0, Buf::Inline(..)));
        let big = vec![b'x'; 300];
        p.push(&[b"k", &big]);
        assert!(matches!(p.0, Buf::Heap(..)));
        let items: Vec<&[u8]> = p.iter().collect();
        assert_eq!(items, vec![&b"field"[..], b"value", b"k", &big[..]]);
        assert_eq!(p.count(), 4);
        let (_, r) = p.spans().nth(1).unwrap();
        let mut enc = Vec::new();
        encode_into(&mut enc, b"v2");
        p.splice(r, &enc);
        assert_eq!(p.iter().nth(1).unwrap(), b"v2");
        let (_, r) = p.spans().nth(3).unwrap();
        assert_eq!(r.len(), encoded_len(300));
        p.splice(r, &[]);
        assert_eq!(p.count(), 3);
    }

    #[test]
    fn size() {
        assert_eq!(std::mem::size_of::<Packed>(), 24);
    }
}
