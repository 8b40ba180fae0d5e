//! The bytes of a string value, stored without a heap allocation when short. Most keys hold
//! short strings (counters, ids, flags), and a separate allocation per value costs a malloc
//! chunk (32+ bytes) on top of the bytes themselves; keeping them inside the `Value` brings
//! the memory per key close to Redis's embedded strings.
//!
//! Three shapes, all 24 bytes: short strings inline; longer strings as an exact-size boxed
//! slice (what SET stores: no spare capacity); strings modified in place (APPEND, SETRANGE) as
//! a boxed `Vec` so repeated appends grow amortized.
use std::fmt;
use std::ops::Deref;

/// Longest string kept inline.
pub const INLINE_MAX: usize = 22;

#[derive(Clone)]
pub enum StrBuf {
    Inline { len: u8, buf: [u8; INLINE_MAX] },
    Exact(Box<[u8]>),
    Growable(Box<Vec<u8>>),
}

const _: () = assert!(std::mem::size_of::<StrBuf>() == 24);

impl StrBuf {
    /// A copy of `b` (inline when short).
    #[inline]
    pub fn copy_from(b: &[u8]) -> StrBuf {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            StrBuf::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            StrBuf::Exact(b.into())
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            StrBuf::Inline { len, buf } => &buf[..*len as usize],
            StrBuf::Exact(b) => b,
            StrBuf::Growable(v) => v,
        }
    }

    /// The bytes, writable in place at their current length (SETBIT, BITFIELD), whatever the
    /// shape: no move to the heap.
    #[inline]
    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        match self {
            StrBuf::Inline { len, buf } => &mut buf[..*len as usize],
            StrBuf::Exact(b) => b,
            StrBuf::Growable(v) => v,
        }
    }

    /// The bytes as a growable buffer, for in-place modification (moves them to the heap).
    pub fn to_mut(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrBuf::Growable(_)) {
            let v = match std::mem::replace(self, StrBuf::Exact(Box::default())) {
                StrBuf::Inline { len, buf } => buf[..len as usize].to_vec(),
                StrBuf::Exact(b) => b.into_vec(),
                StrBuf::Growable(v) => *v,
            };
            *self = StrBuf::Growable(Box::new(v));
        }
        match self {
            StrBuf::Growable(v) => v,
            // Made growable just above.
            _ => unreachable!(),
        }
    }

    /// Replace the contents with `b` (INCR and friends: the result goes back inline).
    pub fn set(&mut self, b: &[u8]) {
        *self = StrBuf::copy_from(b);
    }
}

impl From<Vec<u8>> for StrBuf {
    #[inline]
    fn from(v: Vec<u8>) -> StrBuf {
        if v.len() <= INLINE_MAX {
            StrBuf::copy_from(&v)
        } else {
            StrBuf::Exact(v.into_boxed_slice())
        }
    }
}

impl Deref for StrBuf {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for StrBuf {
    fn eq(&self, other: &StrBuf) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for StrBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_bytes(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_keep_the_bytes() {
        let short = StrBuf::from(b"value:12".to_vec());
        assert!(matches!(short, StrBuf::Inline { .. }));
        assert_eq!(&*short, b"value:12");
        let edge = StrBuf::from(vec![b'x'; INLINE_MAX]);
        assert!(matches!(edge, StrBuf::Inline { .. }));
        let long = StrBuf::from(vec![b'y'; INLINE_MAX + 1]);
        assert!(matches!(long, StrBuf::Exact(_)));
        assert_eq!(long.len(), INLINE_MAX + 1);
        assert_eq!(StrBuf::from(Vec::new()).as_bytes(), b"");
    }

    #[test]
    fn modification_goes_to_the_heap_and_set_comes_back() {
        let mut s = StrBuf::from(b"ab".to_vec());
        s.to_mut().extend_from_slice(b"cd");
        assert!(matches!(s, StrBuf::Growable(_)));
        assert_eq!(&*s, b"abcd");
        let mut l = StrBuf::from(vec![b'z'; 40]);
        l.to_mut().push(b'!');
        assert_eq!(l.len(), 41);
        s.set(b"42");
        assert!(matches!(s, StrBuf::Inline { .. }));
        assert_eq!(&*s, b"42");
        assert_eq!(s.clone(), StrBuf::copy_from(b"42"));
        s.as_mut_bytes()[0] = b'7';
        assert!(matches!(s, StrBuf::Inline { .. }));
        assert_eq!(&*s, b"72");
    }
}
