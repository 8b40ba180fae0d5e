//! Glob-style pattern matching with the exact rules of Redis's `stringmatchlen`, used by KEYS,
//! SCAN MATCH, CONFIG GET and (later) PSUBSCRIBE: `*`, `?`, `[abc]`, `[^abc]`, `[a-z]` (ends
//! may be given in either order), `\x` escapes, an unterminated `[` class ending at the pattern
//! end, and Redis's limit of 1000 nested `*` expansions. Matching is byte-wise; `nocase` folds
//! ASCII letters.

/// True when `s` matches `pattern`.
pub fn matches(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, s, nocase, &mut skip_longer, 0)
}

/// Redis gives up (no match) beyond this many nested `*` expansions.
const MAX_NESTING: u32 = 1000;

#[inline]
fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn match_impl(pat: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    // Byte at `i` of the pattern, or 0 past its end (the C code reads the terminator there).
    let at = |i: usize| -> u8 { pat.get(i).copied().unwrap_or(0) };
    let mut p = 0usize; // index into pat; pattern length left = pat.len() - p
    let mut si = 0usize;
    while p < pat.len() && si < s.len() {
        match pat[p] {
            b'*' => {
                while p + 1 < pat.len() && pat[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pat.len() {
                    return true;
                }
                while si < s.len() {
                    if match_impl(&pat[p + 1..], &s[si..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                // Nothing after this star matches anywhere in the rest: no earlier star can
                // help either.
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                p += 1;
                let not = at(p) == b'^';
                if not {
                    p += 1;
                }
                let c = s[si];
                let mut hit = false;
                loop {
                    let left = pat.len().saturating_sub(p);
                    if at(p) == b'\\' && left >= 2 {
                        p += 1;
                        if at(p) == c {
                            hit = true;
                        }
                    } else if at(p) == b']' {
                        break;
                    } else if left == 0 {
                        // Unterminated class: step back so the shared `p += 1` below ends it.
                        p -= 1;
                        break;
                    } else if left >= 3 && at(p + 1) == b'-' {
                        let (mut lo, mut hi) = (at(p), at(p + 2));
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let cc = fold(c, nocase);
                        let (lo, hi) = (fold(lo, nocase), fold(hi, nocase));
                        p += 2;
                        if cc >= lo && cc <= hi {
                            hit = true;
                        }
                    } else if fold(at(p), nocase) == fold(c, nocase) {
                        hit = true;
                    }
                    p += 1;
                }
                if not {
                    hit = !hit;
                }
                if !hit {
                    return false;
                }
                si += 1;
            }
            b => {
                let mut b = b;
                if b == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    b = pat[p];
                }
                if fold(b, nocase) != fold(s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        p += 1;
        if si == s.len() {
            while at(p) == b'*' && p < pat.len() {
                p += 1;
            }
            break;
        }
    }
    p >= pat.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            ("*", "", false),
            ("", "", true),
            ("", "a", false),
            ("a*", "a", true),
            ("a**", "a", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h*llo", "hllo", true),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[!e]llo", "h!llo", true),
            ("h[!e]llo", "hallo", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hallo", true),
            ("h[a-b]llo", "hcllo", false),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("h[\\]]llo", "h]llo", true),
            ("a[bc", "ab", true),
            ("a[bc", "ac", true),
            ("a[", "ab", false),
            ("a\\", "a\\", true),
            ("*a*b*c*", "xxaxxbxxcxx", true),
            ("*a*b*c*", "xxaxxcxxbxx", false),
            ("user:*:name", "user:42:name", true),
            ("[a-", "a", true),
            ("[a-", "-", true),
            ("[a-", "b", false),
            ("a[", "a", false),
            ("[]", "]", false),
            ("[]a]", "a", false),
            ("[^]", "b", true),
            ("[a-]", "]", true),
            ("[a-]", "-", false),
            ("foo*", "foo", true),
            ("?", "", false),
        ];
        for (p, s, want) in cases {
            assert_eq!(
                matches(p.as_bytes(), s.as_bytes(), false),
                *want,
                "pattern {p:?} string {s:?}"
            );
        }
        assert!(matches(b"HeLLo", b"hello", true));
        assert!(matches(b"[A-Z]x", b"qX", true));
        assert!(!matches(b"HeLLo", b"hello", false));
    }

    #[test]
    fn nesting_limit_as_redis() {
        let s = vec![b'a'; 1200];
        assert!(matches("a*".repeat(1001).as_bytes(), &s, false));
        assert!(!matches("a*".repeat(1002).as_bytes(), &s, false));
        assert!(matches("*".repeat(5000).as_bytes(), &s, false));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let s = vec![b'a'; 60];
        let p = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!matches(p, &s, false));
    }
}
