//! The key stored in a `Dict` node: short keys live inside the node itself, longer ones in an
//! exact-size boxed slice. Most keys are short (`user:1000`, `session:ab12...`), and a separate
//! allocation per key costs a whole malloc chunk; keeping them in the node saves that chunk and
//! a pointer chase on every lookup.
use std::fmt;

/// Longest key kept inside the node (the type is then 32 bytes).
pub const INLINE_MAX: usize = 30;

pub enum DictKey {
    Inline { len: u8, buf: [u8; INLINE_MAX] },
    Heap(Box<[u8]>),
}

const _: () = assert!(std::mem::size_of::<DictKey>() == 32);

impl DictKey {
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            DictKey::Inline { len, buf } => &buf[..*len as usize],
            DictKey::Heap(b) => b,
        }
    }

    #[inline]
    fn inline(b: &[u8]) -> DictKey {
        let mut buf = [0u8; INLINE_MAX];
        buf[..b.len()].copy_from_slice(b);
        DictKey::Inline {
            len: b.len() as u8,
            buf,
        }
    }
}

impl From<&[u8]> for DictKey {
    #[inline]
    fn from(b: &[u8]) -> DictKey {
        if b.len() <= INLINE_MAX {
            DictKey::inline(b)
        } else {
            DictKey::Heap(b.into())
        }
    }
}

impl From<Vec<u8>> for DictKey {
    #[inline]
    fn from(v: Vec<u8>) -> DictKey {
        if v.len() <= INLINE_MAX {
            DictKey::inline(&v)
        } else {
            DictKey::Heap(v.into_boxed_slice())
        }
    }
}

impl From<Box<[u8]>> for DictKey {
    #[inline]
    fn from(b: Box<[u8]>) -> DictKey {
        if b.len() <= INLINE_MAX {
            DictKey::inline(&b)
        } else {
            DictKey::Heap(b)
        }
    }
}

impl fmt::Debug for DictKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_bytes(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_inline_long_keys_boxed() {
        let k = DictKey::from(b"key:1".to_vec());
        assert!(matches!(k, DictKey::Inline { .. }));
        assert_eq!(k.as_bytes(), b"key:1");
        let edge = DictKey::from(&[7u8; INLINE_MAX][..]);
        assert!(matches!(edge, DictKey::Inline { .. }));
        assert_eq!(edge.as_bytes(), &[7u8; INLINE_MAX]);
        let long: Box<[u8]> = vec![1u8; INLINE_MAX + 1].into_boxed_slice();
        let k = DictKey::from(long);
        assert!(matches!(k, DictKey::Heap(_)));
        assert_eq!(k.as_bytes().len(), INLINE_MAX + 1);
        assert_eq!(DictKey::from(Vec::new()).as_bytes(), b"");
    }
}
