//! Score parsing with the exact acceptance rules of the C `strtod` calls Redis makes for sorted
//! sets: hexadecimal floats (`0x10`, `0x1p-2`), `inf`/`infinity` in any case, `1.`, `.5`; and
//! the two wrappers around it: `getDoubleFromObject` (ZADD scores, ZINCRBY increments,
//! WEIGHTS: no leading space, no overflow to infinity, no underflow to zero) and the range parser
//! (leading whitespace skipped, empty reads as 0, overflow allowed).

/// What `strtod` makes of the whole of `s`: the value and whether it over/underflowed (ERANGE).
/// None when part of `s` would be left unparsed (or nothing could be parsed at all).
fn strtod_all(s: &[u8]) -> Option<(f64, bool)> {
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = match lower.as_slice() {
        b"inf" | b"infinity" => (f64::INFINITY, false),
        b"nan" => (f64::NAN, false),
        _ if lower.starts_with(b"0x") => hex(&lower[2..])?,
        _ => decimal(&lower)?,
    };
    Some(if neg { (-v.0, v.1) } else { v })
}

fn decimal(s: &[u8]) -> Option<(f64, bool)> {
    let mut i = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while i < s.len() && s[i].is_ascii_digit() {
        nonzero |= s[i] != b'0';
        i += 1;
        digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            nonzero |= s[i] != b'0';
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && s[i] == b'e' {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let start = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j > start {
            i = j;
        }
    }
    if i != s.len() {
        return None;
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    let erange = v.is_infinite() || (v == 0.0 && nonzero);
    Some((v, erange))
}

fn hex(s: &[u8]) -> Option<(f64, bool)> {
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut i = 0;
    let mut seen_dot = false;
    while i < s.len() {
        let c = s[i];
        if c == b'.' && !seen_dot {
            seen_dot = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            digits += 1;
            if mant >> 56 == 0 {
                mant = mant * 16 + d as u64;
                if seen_dot {
                    exp -= 4;
                }
            } else if !seen_dot {
                exp += 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && s[i] == b'p' {
        let mut j = i + 1;
        let neg = j < s.len() && s[j] == b'-';
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let start = j;
        let mut e: i64 = 0;
        while j < s.len() && s[j].is_ascii_digit() {
            e = (e * 10 + (s[j] - b'0') as i64).min(100_000);
            j += 1;
        }
        if j > start {
            exp += if neg { -e } else { e };
            i = j;
        }
    }
    if i != s.len() {
        return None;
    }
    let v = mant as f64 * 2f64.powi(exp.clamp(-5000, 5000) as i32);
    let erange = v.is_infinite() || (v == 0.0 && mant != 0);
    Some((v, erange))
}

/// A score, increment or weight argument (`getDoubleFromObject`).
pub fn parse_score(b: &[u8]) -> Option<f64> {
    if b.is_empty() || is_c_space(b[0]) {
        return None;
    }
    let (v, erange) = strtod_all(b)?;
    if v.is_nan() || (erange && (v.is_infinite() || v == 0.0)) {
        return None;
    }
    Some(v)
}

/// A bound of a score range (`zslParseRange`): whitespace first is fine, "" is 0.
pub fn parse_bound(b: &[u8]) -> Option<f64> {
    let start = b.iter().position(|&c| !is_c_space(c)).unwrap_or(b.len());
    if b.is_empty() {
        return Some(0.0);
    }
    if start == b.len() {
        return None;
    }
    let (v, _) = strtod_all(&b[start..])?;
    (!v.is_nan()).then_some(v)
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"0x1p-2"), Some(0.25));
        assert_eq!(parse_score(b"-0x.8"), Some(-0.5));
        assert_eq!(parse_score(b"1."), Some(1.0));
        assert_eq!(parse_score(b".5"), Some(0.5));
        assert_eq!(parse_score(b"1E5"), Some(100000.0));
        assert_eq!(parse_score(b"-INF"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"1e-310"), Some(1e-310));
        for bad in [
            &b"1e400"[..],
            b"1e-400",
            b" 1",
            b"1 ",
            b"",
            b"nan",
            b"0x",
            b"1e",
            b"1_0",
            b".",
            b"e5",
        ] {
            assert_eq!(parse_score(bad), None, "{:?}", bad);
        }
        assert_eq!(parse_bound(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_bound(b""), Some(0.0));
        assert_eq!(parse_bound(b" \t2"), Some(2.0));
        assert_eq!(parse_bound(b" "), None);
        assert_eq!(parse_bound(b"nan"), None);
    }
}
