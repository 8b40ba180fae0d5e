//! SORT's numeric weights are read the way C's `strtod` reads them (Redis 7.0 calls it and
//! rejects the value unless the whole string was consumed, no range error occurred and the
//! result is not NaN): leading whitespace, decimal or hexadecimal floats, `inf`/`infinity`,
//! and a string cut at its first NUL byte. `util::parse_f64` is stricter, hence this module.

/// The weight of `b`, or None when Redis would report "One or more scores can't be converted
/// into double".
pub fn weight(b: &[u8]) -> Option<f64> {
    // C sees the string up to its first NUL; an empty C string converts to 0 without error.
    let b = match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    };
    if b.is_empty() {
        return Some(0.0);
    }
    let start = b
        .iter()
        .position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let s = &b[start..];
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if body.len() > 2 && body[0] == b'0' && body[1].eq_ignore_ascii_case(&b'x') {
        hex(&body[2..])?
    } else {
        decimal(body)?
    };
    Some(if neg { -v } else { v })
}

/// A decimal float, `inf`, `infinity` (any case); None on trailing garbage, NaN or range error.
fn decimal(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    let lower = text.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(f64::INFINITY);
    }
    // Rust accepts forms strtod also accepts (digits, '.', exponent) but also "nan": refuse it
    // and anything that is not plain decimal syntax.
    let mut digits = false;
    let mut nonzero = false;
    let mut seen_exp = false;
    for (i, c) in s.iter().enumerate() {
        match c {
            b'0'..=b'9' if !seen_exp => {
                digits = true;
                nonzero |= *c != b'0';
            }
            b'0'..=b'9' | b'.' => {}
            b'e' | b'E' if digits && !seen_exp => seen_exp = true,
            b'+' | b'-' if i > 0 && matches!(s[i - 1], b'e' | b'E') => {}
            _ => return None,
        }
    }
    if !digits {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    in_range(v, nonzero)
}

/// The part after `0x`: hex digits with an optional fraction and optional binary exponent.
fn hex(s: &[u8]) -> Option<f64> {
    let (mant, exp) = match s.iter().position(|c| matches!(c, b'p' | b'P')) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut v = 0f64;
    let mut scale = 0i32;
    let mut digits = false;
    let mut nonzero = false;
    let mut frac = false;
    for &c in mant {
        if c == b'.' && !frac {
            frac = true;
            continue;
        }
        let d = (c as char).to_digit(16)?;
        digits = true;
        nonzero |= d != 0;
        v = v * 16.0 + d as f64;
        if frac {
            scale -= 4;
        }
    }
    if !digits {
        return None;
    }
    if let Some(e) = exp {
        let text = std::str::from_utf8(e).ok()?;
        if !text
            .trim_start_matches(['+', '-'])
            .bytes()
            .all(|c| c.is_ascii_digit())
            || text.trim_start_matches(['+', '-']).is_empty()
        {
            return None;
        }
        let e: i64 = text.parse().unwrap_or(if text.starts_with('-') {
            i64::MIN / 2
        } else {
            i64::MAX / 2
        });
        scale = (scale as i64 + e).clamp(-100_000, 100_000) as i32;
    }
    in_range(v * 2f64.powi(scale), nonzero)
}

/// strtod reports ERANGE on overflow and on underflow to a subnormal or zero result.
fn in_range(v: f64, nonzero: bool) -> Option<f64> {
    if v.is_infinite() || v.is_nan() {
        return None;
    }
    if nonzero && v.abs() < f64::MIN_POSITIVE {
        return None;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::weight;

    #[test]
    fn like_strtod() {
        let ok: &[(&[u8], f64)] = &[
            (b"", 0.0),
            (b" 5", 5.0),
            (b"+7", 7.0),
            (b"1.", 1.0),
            (b".5", 0.5),
            (b"infinity", f64::INFINITY),
            (b"-INF", f64::NEG_INFINITY),
            (b"0x10", 16.0),
            (b"0x1p3", 8.0),
            (b"0X1.8P1", 3.0),
            (b"1e5", 1e5),
            (b"12\0abc", 12.0),
            (b"2.2250738585072014e-308", 2.2250738585072014e-308),
            (b"0e-999", 0.0),
        ];
        for (s, v) in ok {
            assert_eq!(weight(s), Some(*v), "{:?}", String::from_utf8_lossy(s));
        }
        let bad: &[&[u8]] = &[
            b"5 ",
            b"  ",
            b"-",
            b"nan",
            b"1e400",
            b"1e-310",
            b"1e-400",
            b"4.9e-324",
            b"1_0",
            b"0x",
            b"abc",
            b"1e",
            b"0x1p",
        ];
        for s in bad {
            assert_eq!(weight(s), None, "{:?}", String::from_utf8_lossy(s));
        }
    }
}
