//! Glob matching for `CONFIG GET` patterns, with Redis `stringmatchlen` rules: `*`, `?`,
//! `[abc]`, `[^a-z]`, `\` escapes; case-insensitive as CONFIG GET uses it.

/// True if `s` matches the glob `pat` (ASCII case-insensitive).
pub fn config_glob_match(pat: &[u8], s: &[u8]) -> bool {
    glob(pat, s, 0)
}

fn eq(a: u8, b: u8) -> bool {
    a.eq_ignore_ascii_case(&b)
}

fn glob(mut p: &[u8], mut s: &[u8], depth: usize) -> bool {
    if depth > 1000 {
        return false;
    }
    while !p.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for i in 0..=s.len() {
                    if glob(&p[1..], &s[i..], depth + 1) {
                        return true;
                    }
                }
                return false;
            }
            b'?' => {
                if s.is_empty() {
                    return false;
                }
                s = &s[1..];
            }
            b'[' => {
                if s.is_empty() {
                    return false;
                }
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        break;
                    }
                    if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        if eq(p[0], s[0]) {
                            matched = true;
                        }
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut a, mut b) = (p[0].to_ascii_lowercase(), p[2].to_ascii_lowercase());
                        if a > b {
                            std::mem::swap(&mut a, &mut b);
                        }
                        let c = s[0].to_ascii_lowercase();
                        if c >= a && c <= b {
                            matched = true;
                        }
                        p = &p[2..];
                    } else if eq(p[0], s[0]) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // Unterminated class: the pattern is used up.
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if s.is_empty() || !eq(p[0], s[0]) {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if s.is_empty() || !eq(c, s[0]) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
    }
    s.is_empty()
}

/// True if the pattern has glob characters (otherwise CONFIG GET looks the name up exactly).
pub fn has_glob(pat: &[u8]) -> bool {
    pat.iter().any(|c| matches!(c, b'*' | b'?' | b'['))
}

#[cfg(test)]
mod tests {
    use super::config_glob_match as m;

    #[test]
    fn globs() {
        assert!(m(b"*", b"port"));
        assert!(m(b"*max-*-entries*", b"hash-max-listpack-entries"));
        assert!(m(b"PORT", b"port"));
        assert!(m(b"p?rt", b"port"));
        assert!(!m(b"p?rt", b"prt"));
        assert!(m(b"[pq]ort", b"port"));
        assert!(!m(b"[^p]ort", b"port"));
        assert!(m(b"[a-z]ort", b"port"));
        assert!(m(b"a\\*b", b"a*b"));
        assert!(!m(b"a\\*b", b"axb"));
        assert!(m(b"repl-*", b"repl-timeout"));
        assert!(!m(b"repl-*", b"replicaof"));
        assert!(m(b"*o*o*", b"proto-max-bulk-len"));
    }
}
