//! Intset serialization: sorted integers in the smallest of 2, 4 or 8 bytes that fits them all.
//!
//! ```text
//! <encoding: u32 LE (2, 4 or 8)> <length: u32 LE> <members, ascending, each `encoding` bytes LE>
//! ```

/// Bytes per member the intset of `members` uses (the width of its widest member).
pub fn width(members: &[i64]) -> usize {
    let (lo, hi) = match (members.first(), members.last()) {
        (Some(&a), Some(&b)) => (a.min(b), a.max(b)),
        _ => return 2,
    };
    let fits = |bits: u32| {
        let min = -(1i64 << (bits - 1));
        let max = (1i64 << (bits - 1)) - 1;
        lo >= min && hi <= max
    };
    if fits(16) {
        2
    } else if fits(32) {
        4
    } else {
        8
    }
}

/// Append the intset of ascending `members` to `out`.
pub fn build_into(out: &mut Vec<u8>, members: &[i64]) {
    let w = width(members);
    out.reserve(8 + w * members.len());
    out.extend_from_slice(&(w as u32).to_le_bytes());
    out.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for &m in members {
        out.extend_from_slice(&m.to_le_bytes()[..w]);
    }
}

/// Serialize ascending `members` as an intset blob.
pub fn build(members: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    build_into(&mut out, members);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(
            build(&[1, 2, 3]),
            [2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]
        );
        assert_eq!(build(&[-32768, 32767])[0], 2);
        assert_eq!(
            build(&[-1, 32768]),
            [4, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x80, 0, 0]
        );
        assert_eq!(build(&[i32::MIN as i64, 0])[0], 4);
        assert_eq!(build(&[-1, 1 << 31])[0], 8);
        assert_eq!(build(&[i64::MIN, 5]).len(), 8 + 16);
        assert_eq!(build(&[]), [2, 0, 0, 0, 0, 0, 0, 0]);
    }
}
