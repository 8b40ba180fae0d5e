//! Small byte and number helpers shared by the protocol, the config parser and the commands,
//! each matching the exact rules of the Redis function it stands in for.
use std::time::{SystemTime, UNIX_EPOCH};

/// The Redis version oxidis is compatible with and answers as: `INFO server` redis_version,
/// HELLO, the RDB `redis-ver` AUX field, the startup log and the config error banner.
pub const REDIS_VERSION: &str = "7.0.15";

/// oxidis's own version, as in Cargo.toml.
pub const OXIDIS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Wall-clock milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Wall-clock microseconds since the epoch.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Strict integer parsing as Redis `string2ll`: optional `-`, no `+`, no spaces, no leading zeros.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (neg, digits) = if b[0] == b'-' {
        (true, &b[1..])
    } else {
        (false, b)
    };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Float parsing as Redis `string2ld`/`strtod` use it for commands: no spaces, no NaN, the
/// spellings `inf`, `+inf`, `-inf` and `infinity` accepted.
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b.len() > 5120 {
        return None;
    }
    if b[0].is_ascii_whitespace() || b[b.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let s = std::str::from_utf8(b).ok()?;
    let lower = s.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => {
            if lower.contains("nan") || lower.contains("inf") {
                return None;
            }
            // Rust accepts forms strtod also accepts (1e5, .5, 5.); hex floats are rare enough.
            lower.parse::<f64>().ok()?
        }
    };
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// C `printf("%.{prec}g", v)` for finite values.
pub fn fmt_g(v: f64, prec: usize) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v.is_nan() {
        return "nan".into();
    }
    let p = prec.max(1);
    let sci = format!("{:.*e}", p - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let m = strip_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", m, sign, exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, v)).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Double formatting of Redis 7.0 replies (`%.17g`, with `inf`/`-inf`).
pub fn fmt_double(v: f64) -> String {
    fmt_g(v, 17)
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Split a line into arguments with the quoting rules of Redis `sdssplitargs`: double quotes
/// with `\n \r \t \b \a \\ \" \xHH` escapes, single quotes with `\'`, a closing quote must be
/// followed by a space or the end. Returns `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    // sdssplitargs works on C strings: a NUL byte ends the input.
    let n = line.iter().position(|&c| c == 0).unwrap_or(line.len());
    let line = &line[..n];
    loop {
        while i < n && is_c_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let mut inq = false; // inside "double quotes"
        let mut insq = false; // inside 'single quotes'
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex_val(line[i + 2]).is_some()
                    && hex_val(line[i + 3]).is_some()
                {
                    let hi = hex_val(line[i + 2]).unwrap_or(0);
                    let lo = hex_val(line[i + 3]).unwrap_or(0);
                    cur.push(hi * 16 + lo);
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !is_c_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !is_c_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' => break,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        args.push(cur);
    }
}

/// One step of the xorshift64 generator (the state must not be 0): cheap randomness for
/// sampling and skiplist levels, where statistical quality hardly matters.
#[inline]
pub fn xorshift64(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

/// FNV-1a: a fast hasher for small fixed tables that clients cannot grow (the command table,
/// per-command stats), where SipHash's flooding resistance buys nothing.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf29ce484222325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64)
            .wrapping_mul(0x9E3779B97F4A7C15)
            .rotate_left(29);
    }
}

pub type FastBuild = std::hash::BuildHasherDefault<FastHasher>;

/// Loopback in the sense of protected mode and `local` options: 127.0.0.0/8, ::1, and
/// IPv4-mapped loopback.
pub fn is_loopback_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v) => v.is_loopback(),
        std::net::IpAddr::V6(v) => {
            v.is_loopback() || v.to_ipv4_mapped().is_some_and(|m| m.is_loopback())
        }
    }
}

/// Whether a client's peer address (`ip:port`, as `Client::addr` holds it) is local. Clients
/// without an address (internal ones) count as local.
pub fn is_local_peer(addr: &str) -> bool {
    addr.is_empty()
        || addr
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| is_loopback_ip(a.ip()))
}

/// C `isspace`: unlike `u8::is_ascii_whitespace` it includes vertical tab.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// ASCII-lowercase copy of a command or option name.
pub fn lower(b: &[u8]) -> Vec<u8> {
    b.to_ascii_lowercase()
}

/// Case-insensitive comparison of an argument with a keyword.
#[inline]
pub fn eq_ic(a: &[u8], kw: &str) -> bool {
    a.eq_ignore_ascii_case(kw.as_bytes())
}

/// C `atoi`: leading spaces, optional sign, digits; anything else stops the parse.
pub fn atoi(b: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = t
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .take(18)
        .collect();
    let v = digits.parse::<i64>().unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
}

/// 40 random hex digits (a run id, a replication id, a sentinel id).
pub fn random_hex40() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 20];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !ok {
        let mut x = now_us() as u64 ^ (std::process::id() as u64) << 32;
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b" 1"), None);
    }

    #[test]
    fn g17() {
        assert_eq!(fmt_double(1.5), "1.5");
        assert_eq!(fmt_double(0.1), "0.10000000000000001");
        assert_eq!(fmt_double(1e300), "1.0000000000000001e+300");
        assert_eq!(fmt_double(100.0), "100");
        assert_eq!(fmt_double(f64::INFINITY), "inf");
        assert_eq!(fmt_g(0.0001, 17), "0.0001");
        assert_eq!(fmt_g(0.00001, 17), "1.0000000000000001e-05");
    }

    #[test]
    fn local_peers() {
        for a in [
            "127.0.0.1:5",
            "127.8.9.1:5",
            "[::1]:5",
            "[::ffff:127.0.0.1]:5",
            "",
        ] {
            assert!(is_local_peer(a), "{a}");
        }
        for a in [
            "10.0.0.1:5",
            "192.168.1.2:5",
            "[::ffff:10.0.0.1]:5",
            "[fe80::1]:5",
            "junk",
        ] {
            assert!(!is_local_peer(a), "{a}");
        }
    }

    #[test]
    fn split() {
        assert_eq!(
            split_args(b"  a 'b c' \"d\\te\" ").unwrap(),
            vec![b"a".to_vec(), b"b c".to_vec(), b"d\te".to_vec()]
        );
        assert!(split_args(b"\"abc\"def").is_none());
        assert!(split_args(b"'abc").is_none());
        assert!(split_args(b"").unwrap().is_empty());
        // A NUL ends the input, as in C (this once looped forever).
        assert_eq!(split_args(b"ab\0cd ef").unwrap(), vec![b"ab".to_vec()]);
        assert_eq!(split_args(b"\0x").unwrap(), Vec::<Vec<u8>>::new());
        assert!(split_args(b"\"a\0b\"").is_none());
        // Vertical tab separates arguments like the other C whitespace.
        assert_eq!(split_args(b"a\x0bb").unwrap(), vec![b"a\x0bb".to_vec()]);
        assert_eq!(
            split_args(b"a \x0b b").unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
    }
}
