//! CONFIG GET pattern helpers: matching is Redis's `stringmatchlen` (crate::glob) without case.

/// Whether `s` matches the CONFIG GET pattern `pat` (case-insensitive, as Redis).
pub fn config_glob_match(pat: &[u8], s: &[u8]) -> bool {
    crate::glob::matches(pat, s, true)
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
