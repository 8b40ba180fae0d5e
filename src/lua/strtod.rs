//! C's `strtod` on a byte string, as the cjson decoder uses it to read numbers: the longest
//! prefix that is a decimal or hexadecimal float, `inf`/`infinity` or `nan`/`nan(...)`, and how
//! many bytes it took (0 when there is no number), so the decoder stops where C's would.

/// The value and the length of the number at the start of `s` (`(0.0, 0)` for none).
pub fn strtod(s: &[u8]) -> (f64, usize) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    if starts_with_ci(rest, b"inf") {
        let len = if starts_with_ci(rest, b"infinity") {
            8
        } else {
            3
        };
        return (sign(f64::INFINITY), i + len);
    }
    if starts_with_ci(rest, b"nan") {
        let mut len = 3;
        if rest.get(3) == Some(&b'(') {
            let inner = rest[4..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            if rest.get(4 + inner) == Some(&b')') {
                len = 5 + inner;
            }
        }
        return (sign(f64::NAN), i + len);
    }
    if rest.len() > 1 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        if let Some((v, len)) = hex(&rest[2..]) {
            return (sign(v), i + 2 + len);
        }
    }
    match decimal(rest) {
        Some((v, len)) => (sign(v), i + len),
        None => (0.0, 0),
    }
}

fn starts_with_ci(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

/// Digits `[.digits]` then an optional exponent; at least one digit.
fn decimal(s: &[u8]) -> Option<(f64, usize)> {
    let int = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = int;
    let mut frac: &[u8] = &[];
    if s.get(i) == Some(&b'.') {
        let n = s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        frac = &s[i + 1..i + 1 + n];
        i += 1 + n;
    }
    if int == 0 && frac.is_empty() {
        return None;
    }
    let (exp, elen) = exponent(&s[i..], b'e');
    let mut text = String::with_capacity(int + frac.len() + 12);
    text.push_str(std::str::from_utf8(&s[..int]).unwrap_or("0"));
    if int == 0 {
        text.push('0');
    }
    text.push('.');
    text.push_str(std::str::from_utf8(frac).unwrap_or(""));
    if frac.is_empty() {
        text.push('0');
    }
    text.push_str(&format!("e{exp}"));
    Some((text.parse().unwrap_or(0.0), i + elen))
}

/// An exponent part (`e`/`p`, optional sign, digits), saturated; `(0, 0)` when absent.
fn exponent(s: &[u8], letter: u8) -> (i64, usize) {
    if s.is_empty() || (s[0] | 0x20) != letter {
        return (0, 0);
    }
    let mut i = 1;
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let digits = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return (0, 0);
    }
    let v = s[i..i + digits]
        .iter()
        .fold(0i64, |a, d| (a * 10 + (d - b'0') as i64).min(1_000_000));
    (if neg { -v } else { v }, i + digits)
}

/// Hex digits `[.hexdigits]` then an optional binary exponent (after `0x`).
fn hex(s: &[u8]) -> Option<(f64, usize)> {
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut sticky = false;
    let mut digits = 0;
    let mut i = 0;
    let mut seen_point = false;
    while i < s.len() {
        let c = s[i];
        if c == b'.' && !seen_point {
            seen_point = true;
            i += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else {
            break;
        };
        digits += 1;
        if mant >> 60 == 0 {
            mant = mant << 4 | d as u64;
            if seen_point {
                exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !seen_point {
                exp += 4;
            }
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    let (e, elen) = exponent(&s[i..], b'p');
    if sticky {
        mant |= 1;
    }
    let v = mant as f64 * 2f64.powi((exp + e).clamp(-2000, 2000) as i32);
    let v = if v == 0.0 && mant != 0 {
        // Very small results: scale in two steps so the intermediate does not underflow.
        mant as f64
            * 2f64.powi(((exp + e) / 2).clamp(-2000, 2000) as i32)
            * 2f64.powi(((exp + e) - (exp + e) / 2).clamp(-2000, 2000) as i32)
    } else {
        v
    };
    Some((v, i + elen))
}

#[cfg(test)]
mod tests {
    use super::strtod;

    #[test]
    fn prefixes_as_c() {
        assert_eq!(strtod(b"12abc"), (12.0, 2));
        assert_eq!(strtod(b"-1.5e3,"), (-1500.0, 6));
        assert_eq!(strtod(b"1e"), (1.0, 1));
        assert_eq!(strtod(b"1e+"), (1.0, 1));
        assert_eq!(strtod(b"1."), (1.0, 2));
        assert_eq!(strtod(b".5"), (0.5, 2));
        assert_eq!(strtod(b"0x10"), (16.0, 4));
        assert_eq!(strtod(b"0x"), (0.0, 1));
        assert_eq!(strtod(b"-0x"), (-0.0, 2));
        assert_eq!(strtod(b"0x1.8p1"), (3.0, 7));
        assert_eq!(strtod(b"0x.8"), (0.5, 4));
        assert_eq!(strtod(b"0X1P-2"), (0.25, 6));
        assert_eq!(strtod(b"infinit"), (f64::INFINITY, 3));
        assert_eq!(strtod(b"-Infinity"), (f64::NEG_INFINITY, 9));
        assert_eq!(strtod(b"nan(a_1)").1, 8);
        assert_eq!(strtod(b"nan(").1, 3);
        assert_eq!(strtod(b"-").1, 0);
        assert_eq!(strtod(b"+-1").1, 0);
        assert_eq!(strtod(b"1e400").0, f64::INFINITY);
        assert_eq!(strtod(b"1e-400").0, 0.0);
        assert_eq!(strtod(b"4.9e-324").0, 5e-324);
    }
}
