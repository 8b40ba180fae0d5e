//! Validating readers for the packed blobs found inside RDB values: listpacks, ziplists,
//! zipmaps and intsets. Every reader checks every offset and length against the blob, so a
//! corrupt file yields an error, never a panic or an out-of-bounds read. Entries are handed
//! out as borrowed slices or integers (`Item`), so decoding allocates nothing per element.
pub mod intset;
pub mod listpack;
pub mod ziplist;
pub mod zipmap;

/// One element of a packed blob: bytes, or an integer stored in binary form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Item<'_> {
    /// The element as text (integers printed in decimal) appended to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        match self {
            Item::Str(s) => out.extend_from_slice(s),
            Item::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        }
    }

    /// The element as an owned byte string.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.append_to(&mut v);
        v
    }

    /// Call `f` with the element's text without allocating.
    #[inline]
    pub fn with_bytes<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T {
        match self {
            Item::Str(s) => f(s),
            Item::Int(i) => f(itoa::Buffer::new().format(*i).as_bytes()),
        }
    }

    /// Length of the element's text.
    pub fn text_len(&self) -> usize {
        self.with_bytes(|b| b.len())
    }
}

/// Why a blob is invalid (the caller adds the offset in the file).
pub type Error = &'static str;

/// Little-endian unsigned integer of `n` (<= 8) bytes at `pos`, bounds-checked.
pub(crate) fn le(buf: &[u8], pos: usize, n: usize) -> Result<u64, Error> {
    let b = buf
        .get(pos..pos.checked_add(n).ok_or("offset overflow")?)
        .ok_or("entry runs past the end of the blob")?;
    let mut v = 0u64;
    for (i, x) in b.iter().enumerate() {
        v |= (*x as u64) << (8 * i);
    }
    Ok(v)
}

/// Sign-extend the low `bits` bits of `v`.
pub(crate) fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// `n` bytes at `pos`, bounds-checked.
pub(crate) fn slice(buf: &[u8], pos: usize, n: usize) -> Result<&[u8], Error> {
    buf.get(pos..pos.checked_add(n).ok_or("offset overflow")?)
        .ok_or("entry runs past the end of the blob")
}
