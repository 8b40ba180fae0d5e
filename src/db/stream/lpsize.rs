//! The byte size a Redis listpack would give a stream node. Redis opens a new node when the
//! tail node's listpack would pass `stream-node-max-bytes`, so to split nodes where Redis does
//! (which XTRIM `~`, XINFO and the RDB layout show) we count the bytes it would use.

/// Bytes of the back length stored after an element of `n` bytes.
fn backlen(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16383 => 2,
        16384..=2097151 => 3,
        2097152..=268435455 => 4,
        _ => 5,
    }
}

fn with_backlen(n: usize) -> usize {
    n + backlen(n)
}

/// Listpack element holding the integer `v`.
pub fn int(v: i64) -> usize {
    with_backlen(match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        -2147483648..=2147483647 => 5,
        _ => 9,
    })
}

/// Listpack element holding the string `s` (canonical integers are stored as integers).
pub fn string(s: &[u8]) -> usize {
    if let Some(v) = as_int(s) {
        return int(v);
    }
    let n = s.len();
    with_backlen(match n {
        0..=63 => 1 + n,
        64..=4095 => 2 + n,
        _ => 5 + n,
    })
}

/// The integer a listpack would store `s` as (Redis's `lpStringToInt64`).
pub fn as_int(s: &[u8]) -> Option<i64> {
    match s.first() {
        Some(c) if c.is_ascii_digit() || *c == b'-' => crate::util::parse_i64(s),
        _ => None,
    }
}

/// Header (total bytes, element count) and terminator.
pub const OVERHEAD: usize = 7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(int(0), 2);
        assert_eq!(int(-1), 3);
        assert_eq!(string(b"abc"), 5);
        assert_eq!(string(b"100"), 2);
        assert_eq!(string(&[b'x'; 200]), 204);
    }
}
