//! Incremental request decoder. A client's query buffer may hold many pipelined commands or half
//! of one; the decoder keeps its place inside a multibulk between reads so a large value is never
//! re-scanned. Inline commands (what a person types into `nc`) are split like redis-cli quoting.
use crate::util::split_args;

/// Longest inline request or count line accepted before the client is dropped (as Redis).
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;
/// Largest multibulk element count accepted: 1024*1024, the limit Redis long enforced; a larger
/// count is refused at once instead of buffering toward an absurd command.
pub const PROTO_MAX_MULTIBULK: i64 = 1024 * 1024;

/// A malformed request. The client gets `-ERR Protocol error: <msg>` and is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl DecodeError {
    fn new(m: impl Into<String>) -> Self {
        DecodeError(m.into())
    }
}

#[derive(Debug, Default)]
pub struct Decoder {
    /// Bulk strings still expected in the current multibulk; 0 when between commands.
    pending: i64,
    /// Length of the bulk string being read, once its `$len` line was consumed.
    bulk_len: Option<usize>,
    args: Vec<Vec<u8>>,
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&c| c == b'\r')
}

fn parse_i64(b: &[u8]) -> Option<i64> {
    crate::util::parse_i64(b)
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decode the next command from `buf[*pos..]`, advancing `*pos` past what was consumed.
    /// `Ok(Some(args))` is a whole command (possibly empty: skip it), `Ok(None)` needs more bytes.
    pub fn next(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        max_bulk: i64,
        auth_required: bool,
    ) -> Result<Option<Vec<Vec<u8>>>, DecodeError> {
        if *pos >= buf.len() {
            return Ok(None);
        }
        if self.pending == 0 && buf[*pos] != b'*' {
            return self.inline(buf, pos);
        }
        if self.pending == 0 {
            let rest = &buf[*pos..];
            let Some(cr) = find_crlf(rest) else {
                if rest.len() > PROTO_INLINE_MAX_SIZE {
                    return Err(DecodeError::new("too big mbulk count string"));
                }
                return Ok(None);
            };
            if cr + 1 >= rest.len() {
                return Ok(None);
            }
            let n = match parse_i64(&rest[1..cr]) {
                Some(n) if n <= PROTO_MAX_MULTIBULK => n,
                _ => return Err(DecodeError::new("invalid multibulk length")),
            };
            if n > 10 && auth_required {
                return Err(DecodeError::new("unauthenticated multibulk length"));
            }
            *pos += cr + 2;
            if n <= 0 {
                return Ok(Some(Vec::new()));
            }
            self.pending = n;
            self.args = Vec::with_capacity(n.min(1024) as usize);
        }
        while self.pending > 0 {
            let len = match self.bulk_len {
                Some(l) => l,
                None => {
                    let rest = &buf[*pos..];
                    if rest.is_empty() {
                        return Ok(None);
                    }
                    let Some(cr) = find_crlf(rest) else {
                        if rest.len() > PROTO_INLINE_MAX_SIZE {
                            return Err(DecodeError::new("too big bulk count string"));
                        }
                        return Ok(None);
                    };
                    if cr + 1 >= rest.len() {
                        return Ok(None);
                    }
                    if rest[0] != b'$' {
                        return Err(DecodeError(format!(
                            "expected '$', got '{}'",
                            rest[0] as char
                        )));
                    }
                    let l = match parse_i64(&rest[1..cr]) {
                        Some(l) if l >= 0 && l <= max_bulk => l,
                        _ => return Err(DecodeError::new("invalid bulk length")),
                    };
                    if l > 16384 && auth_required {
                        return Err(DecodeError::new("unauthenticated bulk length"));
                    }
                    *pos += cr + 2;
                    self.bulk_len = Some(l as usize);
                    l as usize
                }
            };
            if buf.len() - *pos < len + 2 {
                return Ok(None);
            }
            self.args.push(buf[*pos..*pos + len].to_vec());
            *pos += len + 2;
            self.bulk_len = None;
            self.pending -= 1;
        }
        Ok(Some(std::mem::take(&mut self.args)))
    }

    fn inline(&mut self, buf: &[u8], pos: &mut usize) -> Result<Option<Vec<Vec<u8>>>, DecodeError> {
        let rest = &buf[*pos..];
        // Like Redis (which finds the newline with strchr), a NUL byte hides any newline after
        // it: the request stays incomplete until it grows past the inline limit.
        let nl = rest
            .iter()
            .position(|&c| c == b'\n' || c == 0)
            .filter(|&i| rest[i] == b'\n');
        let Some(nl) = nl else {
            if rest.len() > PROTO_INLINE_MAX_SIZE {
                return Err(DecodeError::new("too big inline request"));
            }
            return Ok(None);
        };
        let mut line = &rest[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let args =
            split_args(line).ok_or_else(|| DecodeError::new("unbalanced quotes in request"))?;
        *pos += nl + 1;
        Ok(Some(args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, DecodeError> {
        let mut d = Decoder::new();
        let mut pos = 0;
        let mut out = vec![];
        while let Some(c) = d.next(input, &mut pos, 512 << 20, false)? {
            out.push(c);
        }
        Ok(out)
    }

    #[test]
    fn pipelined_multibulk() {
        let got = all(b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").unwrap();
        assert_eq!(
            got,
            vec![vec![b"PING".to_vec()], vec![b"GET".to_vec(), b"k".to_vec()]]
        );
    }

    #[test]
    fn incremental_bytes() {
        let input = b"*2\r\n$3\r\nSET\r\n$5\r\nhello\r\n";
        let mut d = Decoder::new();
        let mut buf = Vec::new();
        let mut pos = 0;
        let mut got = None;
        for &b in input.iter() {
            buf.push(b);
            if let Some(c) = d.next(&buf, &mut pos, 1 << 20, false).unwrap() {
                got = Some(c);
            }
        }
        assert_eq!(got.unwrap(), vec![b"SET".to_vec(), b"hello".to_vec()]);
        assert_eq!(pos, input.len());
    }

    #[test]
    fn inline_and_quotes() {
        let got = all(b"set k \"a b\\x41\"\r\nping\n\n").unwrap();
        assert_eq!(
            got[0],
            vec![b"set".to_vec(), b"k".to_vec(), b"a bA".to_vec()]
        );
        assert_eq!(got[1], vec![b"ping".to_vec()]);
        assert!(got[2].is_empty());
        assert_eq!(
            all(b"set \"k\r\n").unwrap_err().0,
            "unbalanced quotes in request"
        );
    }

    #[test]
    fn inline_nul_waits_then_overflows() {
        let mut d = Decoder::new();
        let mut pos = 0;
        assert_eq!(
            d.next(b"SET a\0b\r\nPING\r\n", &mut pos, 1 << 20, false),
            Ok(None)
        );
        let mut big = b"SET a\0b\r\n".to_vec();
        big.resize(PROTO_INLINE_MAX_SIZE + 10, b'x');
        assert_eq!(
            d.next(&big, &mut 0, 1 << 20, false).unwrap_err().0,
            "too big inline request"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(all(b"*x\r\n").unwrap_err().0, "invalid multibulk length");
        assert_eq!(
            all(b"*1048577\r\n").unwrap_err().0,
            "invalid multibulk length"
        );
        assert_eq!(all(b"*1\r\n+a\r\n").unwrap_err().0, "expected '$', got '+'");
        let mut d = Decoder::new();
        let mut pos = 0;
        assert_eq!(
            d.next(b"*1\r\n$100\r\n", &mut pos, 10, false)
                .unwrap_err()
                .0,
            "invalid bulk length"
        );
        assert!(all(&vec![b'a'; 70 * 1024]).is_err());
    }
}
