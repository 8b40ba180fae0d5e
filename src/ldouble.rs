//! Emulation of the x86 80-bit `long double` arithmetic behind INCRBYFLOAT (and HINCRBYFLOAT):
//! Redis parses both operands with `strtold`, adds them in extended precision and prints the
//! sum with `%.17Lf`, trimming trailing zeros. Neither f64 nor exact decimal arithmetic gives
//! the same digits (`INCRBYFLOAT k 12345.6789` replies `12345.67889999999999961`), so this
//! module rounds to a 64-bit mantissa exactly as the hardware would, using a small big-integer.
use std::cmp::Ordering;

/// Little-endian base-2^32 unsigned big integer: just the operations this module needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut l = Vec::new();
        while v != 0 {
            l.push(v as u32);
            v >>= 32;
        }
        Big(l)
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    fn bits(&self) -> usize {
        match self.0.last() {
            None => 0,
            Some(&top) => self.0.len() * 32 - top.leading_zeros() as usize,
        }
    }
    fn bit(&self, i: usize) -> bool {
        self.0
            .get(i / 32)
            .map(|l| l >> (i % 32) & 1 == 1)
            .unwrap_or(false)
    }
    /// True if any bit below `i` is set.
    fn any_below(&self, i: usize) -> bool {
        let full = i / 32;
        if self.0.iter().take(full).any(|&l| l != 0) {
            return true;
        }
        let rem = i % 32;
        rem > 0 && self.0.get(full).map(|l| l & ((1u32 << rem) - 1) != 0) == Some(true)
    }
    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for l in self.0.iter_mut() {
            let v = *l as u64 * m as u64 + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }
    fn add_small(&mut self, a: u32) {
        let mut carry = a as u64;
        for l in self.0.iter_mut() {
            if carry == 0 {
                return;
            }
            let v = *l as u64 + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }
    fn pow10(n: usize) -> Big {
        let mut b = Big::from_u128(1);
        let mut left = n;
        while left > 0 {
            let k = left.min(9);
            b.mul_small(10u32.pow(k as u32));
            left -= k;
        }
        b
    }
    fn mul_pow10(&mut self, n: usize) {
        let mut left = n;
        while left > 0 {
            let k = left.min(9);
            self.mul_small(10u32.pow(k as u32));
            left -= k;
        }
    }
    fn shl(&self, n: usize) -> Big {
        if self.is_zero() {
            return self.clone();
        }
        let (w, b) = (n / 32, n % 32);
        let mut out = vec![0u32; w];
        let mut carry = 0u32;
        for &l in &self.0 {
            if b == 0 {
                out.push(l);
            } else {
                out.push(l << b | carry);
                carry = l >> (32 - b);
            }
        }
        if carry != 0 {
            out.push(carry);
        }
        let mut r = Big(out);
        r.trim();
        r
    }
    /// Low 128 bits of `self >> n`.
    fn shr_u128(&self, n: usize) -> u128 {
        let mut v = 0u128;
        for i in 0..128 {
            if self.bit(n + i) {
                v |= 1 << i;
            }
        }
        v
    }
    fn cmp(&self, o: &Big) -> Ordering {
        if self.0.len() != o.0.len() {
            return self.0.len().cmp(&o.0.len());
        }
        for (a, b) in self.0.iter().rev().zip(o.0.iter().rev()) {
            if a != b {
                return a.cmp(b);
            }
        }
        Ordering::Equal
    }
    fn add(&self, o: &Big) -> Big {
        let n = self.0.len().max(o.0.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let v = *self.0.get(i).unwrap_or(&0) as u64 + *o.0.get(i).unwrap_or(&0) as u64 + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        Big(out)
    }
    /// `self - o`, requires `self >= o`.
    fn sub(&self, o: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let mut v = self.0[i] as i64 - *o.0.get(i).unwrap_or(&0) as i64 - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            out.push(v as u32);
        }
        let mut r = Big(out);
        r.trim();
        r
    }
    /// Quotient (must fit 128 bits) and whether the remainder is non-zero.
    fn div(&self, d: &Big) -> (u128, bool) {
        let mut rem = self.clone();
        let mut q = 0u128;
        if self.bits() >= d.bits() {
            let qbits = self.bits() - d.bits() + 1;
            for i in (0..qbits.min(128)).rev() {
                let t = d.shl(i);
                if rem.cmp(&t) != Ordering::Less {
                    rem = rem.sub(&t);
                    q |= 1 << i;
                }
            }
        }
        (q, !rem.is_zero())
    }
    fn divmod_small(&mut self, d: u32) -> u32 {
        let mut r = 0u64;
        for l in self.0.iter_mut().rev() {
            let v = r << 32 | *l as u64;
            *l = (v / d as u64) as u32;
            r = v % d as u64;
        }
        self.trim();
        r as u32
    }
    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.divmod_small(1_000_000_000));
        }
        let mut s = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

/// A finite extended-precision value `(-1)^neg * mant * 2^exp`, with `mant` either 0 or
/// normalised (bit 63 set), or an infinity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LDouble {
    Finite { neg: bool, mant: u64, exp: i32 },
    Inf { neg: bool },
}

/// Largest binary exponent of a normalised x87 extended value (value < 2^16384).
const MAX_EXP2: i64 = 16383;
/// Values below 2^-16445 underflow to zero (strtold then reports ERANGE).
const MIN_EXP2: i64 = -16445;

/// Round the exact value `n * 2^e` (plus a sticky "something below" flag) to 64 bits, ties to
/// even. None on overflow or underflow to zero.
fn round(n: &Big, e: i64, sticky: bool, neg: bool) -> Option<LDouble> {
    if n.is_zero() {
        return Some(LDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    let bl = n.bits();
    // A short `n` is exact (callers make division quotients long, so `sticky` implies bl > 64).
    let (mant, mut exp) = if bl <= 64 {
        ((n.shr_u128(0) as u64) << (64 - bl), e - (64 - bl) as i64)
    } else {
        let shift = bl - 64;
        let mut m = n.shr_u128(shift) as u64;
        let half = n.bit(shift - 1);
        let below = sticky || n.any_below(shift - 1);
        let mut ex = e + shift as i64;
        if half && (below || m & 1 == 1) {
            let (v, over) = m.overflowing_add(1);
            m = v;
            if over {
                m = 1 << 63;
                ex += 1;
            }
        }
        (m, ex)
    };
    let top = exp + 63;
    if top > MAX_EXP2 {
        return None;
    }
    if top < MIN_EXP2 {
        return None;
    }
    if exp < i32::MIN as i64 {
        exp = i32::MIN as i64;
    }
    Some(LDouble::Finite {
        neg,
        mant,
        exp: exp as i32,
    })
}

fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

/// Parse as Redis's `string2ld` does (strtold on the whole string, no leading space, no NaN,
/// overflow and underflow rejected). None means "not a valid float".
pub fn parse(s: &[u8]) -> Option<LDouble> {
    if s.is_empty() || s.len() >= 5 * 1024 || s[0].is_ascii_whitespace() {
        return None;
    }
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    if lower == b"inf" || lower == b"infinity" {
        return Some(LDouble::Inf { neg });
    }
    if lower.len() > 2 && lower.starts_with(b"0x") {
        return parse_hex(&lower[2..], neg);
    }
    // digits [. digits] [e [sign] digits]
    let mut i = 0;
    let mut digits: Vec<u8> = Vec::new();
    let mut frac = 0i64;
    let mut any = false;
    while i < body.len() && is_digit(body[i]) {
        digits.push(body[i] - b'0');
        i += 1;
        any = true;
    }
    if i < body.len() && body[i] == b'.' {
        i += 1;
        while i < body.len() && is_digit(body[i]) {
            digits.push(body[i] - b'0');
            frac += 1;
            i += 1;
            any = true;
        }
    }
    if !any {
        return None;
    }
    let mut exp10 = 0i64;
    if i < body.len() && (body[i] == b'e' || body[i] == b'E') {
        i += 1;
        let mut eneg = false;
        if i < body.len() && (body[i] == b'+' || body[i] == b'-') {
            eneg = body[i] == b'-';
            i += 1;
        }
        let start = i;
        while i < body.len() && is_digit(body[i]) {
            exp10 = (exp10 * 10 + (body[i] - b'0') as i64).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        if eneg {
            exp10 = -exp10;
        }
    }
    if i != body.len() {
        return None;
    }
    // Strip leading zeros; value = D * 10^(exp10 - frac).
    let first = digits.iter().position(|&d| d != 0);
    let Some(first) = first else {
        return Some(LDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        });
    };
    let digits = &digits[first..];
    let x = exp10 - frac;
    let magnitude = digits.len() as i64 + x; // value < 10^magnitude
    if !(-4952..=4934).contains(&magnitude) {
        return None;
    }
    let mut d = Big(Vec::new());
    for &c in digits {
        d.mul_small(10);
        d.add_small(c as u32);
    }
    if x >= 0 {
        d.mul_pow10(x as usize);
        round(&d, 0, false, neg)
    } else {
        // Scale so the quotient has about 68 bits (64 + guard bits; the remainder is sticky):
        // shift the dividend up when it is short, the divisor up when the dividend is long.
        let p = Big::pow10((-x) as usize);
        let s = 68 + p.bits() as i64 - d.bits() as i64;
        let (q, rem) = if s >= 0 {
            d.shl(s as usize).div(&p)
        } else {
            d.div(&p.shl((-s) as usize))
        };
        round(&Big::from_u128(q), -s, rem, neg)
    }
}

fn parse_hex(b: &[u8], neg: bool) -> Option<LDouble> {
    let mut i = 0;
    let mut n = Big(Vec::new());
    let mut frac = 0i64;
    let mut any = false;
    let mut seen_dot = false;
    while i < b.len() {
        let c = b[i];
        if c == b'.' && !seen_dot {
            seen_dot = true;
        } else if let Some(v) = (c as char).to_digit(16) {
            if n.bits() < 20_000 {
                n.mul_small(16);
                n.add_small(v);
                if seen_dot {
                    frac += 1;
                }
            } else if !seen_dot {
                return None;
            }
            any = true;
        } else {
            break;
        }
        i += 1;
    }
    if !any {
        return None;
    }
    let mut e2 = 0i64;
    if i < b.len() && b[i] == b'p' {
        i += 1;
        let mut eneg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            eneg = b[i] == b'-';
            i += 1;
        }
        let start = i;
        while i < b.len() && is_digit(b[i]) {
            e2 = (e2 * 10 + (b[i] - b'0') as i64).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        if eneg {
            e2 = -e2;
        }
    }
    if i != b.len() {
        return None;
    }
    round(&n, e2 - 4 * frac, false, neg)
}

/// `a + b` rounded to extended precision; None if the result is NaN or infinite.
pub fn add(a: LDouble, b: LDouble) -> Option<LDouble> {
    let (
        LDouble::Finite {
            neg: sa,
            mant: ma,
            exp: ea,
        },
        LDouble::Finite {
            neg: sb,
            mant: mb,
            exp: eb,
        },
    ) = (a, b)
    else {
        return None;
    };
    if ma == 0 {
        return Some(if mb == 0 {
            LDouble::Finite {
                neg: sa && sb,
                mant: 0,
                exp: 0,
            }
        } else {
            b
        });
    }
    if mb == 0 {
        return Some(a);
    }
    let e = ea.min(eb) as i64;
    let x = Big::from_u128(ma as u128).shl((ea as i64 - e) as usize);
    let y = Big::from_u128(mb as u128).shl((eb as i64 - e) as usize);
    let (n, neg) = if sa == sb {
        (x.add(&y), sa)
    } else {
        match x.cmp(&y) {
            Ordering::Greater => (x.sub(&y), sa),
            Ordering::Less => (y.sub(&x), sb),
            Ordering::Equal => (Big(Vec::new()), false),
        }
    };
    round(&n, e, false, neg)
}

/// `%.17Lf` with trailing zeros (and a trailing dot) removed and `-0` printed as `0`.
pub fn format_human(v: LDouble) -> String {
    let LDouble::Finite { neg, mant, exp } = v else {
        return if matches!(v, LDouble::Inf { neg: true }) {
            "-inf".into()
        } else {
            "inf".into()
        };
    };
    let mut n = Big::from_u128(mant as u128);
    let r = if exp >= 0 {
        let mut s = n.shl(exp as usize);
        s.mul_pow10(17);
        s
    } else {
        n.mul_pow10(17);
        let shift = (-exp) as usize;
        let q = shr_big(&n, shift);
        let half = shift >= 1 && n.bit(shift - 1);
        let below = shift >= 1 && n.any_below(shift - 1);
        let mut q = q;
        let odd = q.bit(0);
        if half && (below || odd) {
            q.add_small(1);
        }
        q
    };
    let mut digits = r.to_decimal();
    while digits.len() < 18 {
        digits.insert(0, '0');
    }
    let point = digits.len() - 17;
    let mut s = String::with_capacity(digits.len() + 2);
    if neg {
        s.push('-');
    }
    s.push_str(&digits[..point]);
    s.push('.');
    s.push_str(&digits[point..]);
    let t = s.trim_end_matches('0');
    let t = t.strip_suffix('.').unwrap_or(t);
    if t == "-0" {
        "0".into()
    } else {
        t.to_string()
    }
}

fn shr_big(n: &Big, shift: usize) -> Big {
    let (w, b) = (shift / 32, shift % 32);
    if w >= n.0.len() {
        return Big(Vec::new());
    }
    let src = &n.0[w..];
    let mut out = Vec::with_capacity(src.len());
    for i in 0..src.len() {
        let lo = src[i] >> b;
        let hi = if b == 0 {
            0
        } else {
            src.get(i + 1).map(|h| h << (32 - b)).unwrap_or(0)
        };
        out.push(lo | hi);
    }
    let mut r = Big(out);
    r.trim();
    r
}

/// INCRBYFLOAT: the new value's text, or Err(true) when an operand is not a float and
/// Err(false) when the sum is NaN or infinite.
pub fn incr_by_float(cur: &[u8], incr: &[u8]) -> Result<String, bool> {
    let a = parse(cur).ok_or(true)?;
    let b = parse(incr).ok_or(true)?;
    add(a, b).map(format_human).ok_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> String {
        incr_by_float(a.as_bytes(), b.as_bytes()).unwrap()
    }

    #[test]
    fn matches_redis_7_0_on_x86() {
        // Replies of redis-server 7.0.15 (x86-64, 80-bit long double).
        assert_eq!(sum("0", "12345.6789"), "12345.67889999999999961");
        assert_eq!(sum("0", "0.1"), "0.1");
        assert_eq!(sum("0", "1.1"), "1.1");
        assert_eq!(sum("0", "100000.3"), "100000.29999999999999716");
        assert_eq!(sum("0", "3.0e3"), "3000");
        assert_eq!(sum("0", "1e20"), "100000000000000000000");
        assert_eq!(
            sum("0", "123456789.123456789"),
            "123456789.12345678899873747"
        );
        assert_eq!(sum("0", "-0.0"), "0");
        assert_eq!(sum("0", "5e-18"), "0");
        assert_eq!(sum("0", "0x10"), "16");
        assert_eq!(sum("10.5", "0.1"), "10.6");
        assert_eq!(sum("0.2", "0.1"), "0.3");
        assert_eq!(sum("1e5", "1"), "100001");
        assert_eq!(sum("1.5e1", "0.0001"), "15.0001");
        // A fraction after more integer digits than fit 128 bits.
        assert_eq!(
            sum("1000000000000000000000000000000000000000.5", "0"),
            "999999999999999999993126004485993267200"
        );
        assert_eq!(
            sum(
                "-1000000000000000000000000000000000000000000000000000000000001.5",
                "3"
            ),
            "-999999999999999999999373423426722168652130621984886772203520"
        );
        assert!(sum("0", "1e400").starts_with("10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880"));
    }

    #[test]
    fn rejects() {
        for bad in [
            "", " 1", "1 ", "abc", "1e", "nan", ".", "1e99999", "0x", "--1",
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad}");
        }
        assert_eq!(incr_by_float(b"inf", b"1"), Err(false));
        assert_eq!(incr_by_float(b"1", b"x"), Err(true));
    }
}
