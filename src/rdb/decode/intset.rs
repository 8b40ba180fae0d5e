//! Intsets (`SET_INTSET` values): a 4-byte element width (2, 4 or 8), a 4-byte count, then the
//! integers little-endian in strictly ascending order. Anything else is corruption.
use super::{le, sign_extend, Error};

/// Decode an intset blob into its integers, checking size, width and order.
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, Error> {
    let width = le(blob, 0, 4).map_err(|_| "intset header truncated")?;
    let count = le(blob, 4, 4).map_err(|_| "intset header truncated")?;
    if !matches!(width, 2 | 4 | 8) {
        return Err("intset with an invalid encoding");
    }
    let w = width as usize;
    if (blob.len() - 8) as u64 != count * width {
        return Err("intset size does not match its length");
    }
    let mut out = Vec::with_capacity(count as usize);
    let mut prev: Option<i64> = None;
    for c in blob[8..].chunks_exact(w) {
        let v = sign_extend(le(c, 0, w)?, 8 * w as u32);
        if prev.is_some_and(|p| p >= v) {
            return Err("intset is not sorted or has duplicates");
        }
        prev = Some(v);
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(width: u32, vals: &[i64]) -> Vec<u8> {
        let mut b = width.to_le_bytes().to_vec();
        b.extend_from_slice(&(vals.len() as u32).to_le_bytes());
        for v in vals {
            b.extend_from_slice(&v.to_le_bytes()[..width as usize]);
        }
        b
    }

    #[test]
    fn widths_and_signs() {
        assert_eq!(decode(&blob(2, &[-5, 0, 300])).unwrap(), vec![-5, 0, 300]);
        assert_eq!(
            decode(&blob(4, &[-70000, 70000])).unwrap(),
            vec![-70000, 70000]
        );
        assert_eq!(
            decode(&blob(8, &[i64::MIN, i64::MAX])).unwrap(),
            vec![i64::MIN, i64::MAX]
        );
        assert_eq!(decode(&blob(2, &[])).unwrap(), Vec::<i64>::new());
    }

    #[test]
    fn rejects_corruption() {
        assert!(decode(&blob(2, &[3, 1])).is_err());
        assert!(decode(&blob(2, &[1, 1])).is_err());
        assert!(decode(&blob(3, &[1])).is_err());
        let mut b = blob(4, &[1, 2]);
        b.pop();
        assert!(decode(&b).is_err());
        assert!(decode(&[2, 0, 0]).is_err());
        let mut b = blob(2, &[1]);
        b[4] = 0xff; // count far larger than the blob
        assert!(decode(&b).is_err());
    }
}
