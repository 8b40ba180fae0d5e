//! Client-side RESP2 reply parser: what a sentinel (and any outgoing link) reads back from a
//! server. The request decoder (`decode`) only knows arrays of bulk strings; replies can be any
//! shape, nested. `parse` is incremental in the simplest way: it tells "incomplete" (None) from
//! "invalid" (Err) and never panics or over-allocates on hostile input.

/// Deepest nesting accepted (Redis replies sentinels read are at most 3 deep).
const MAX_DEPTH: usize = 32;
/// Largest bulk length accepted (512 MB, Redis's proto-max-bulk-len default).
const MAX_BULK: i64 = 512 * 1024 * 1024;

/// One reply as read from a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `+...`
    Simple(Vec<u8>),
    /// `-...` (whole text, e.g. `ERR unknown command`)
    Error(Vec<u8>),
    Int(i64),
    /// `$n` bulk string; `None` for `$-1`.
    Bulk(Option<Vec<u8>>),
    /// `*n` array; `None` for `*-1`.
    Array(Option<Vec<Frame>>),
}

impl Frame {
    /// The bytes of a simple, error or bulk reply.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Simple(b) | Frame::Error(b) | Frame::Bulk(Some(b)) => Some(b),
            _ => None,
        }
    }

    /// The text of a simple, error or bulk reply (lossy UTF-8).
    pub fn text(&self) -> Option<String> {
        self.bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }

    /// Elements of a non-null array.
    pub fn items(&self) -> Option<&[Frame]> {
        match self {
            Frame::Array(Some(v)) => Some(v),
            _ => None,
        }
    }

    /// Integer value of an integer reply (or of a simple/bulk holding digits).
    pub fn int(&self) -> Option<i64> {
        match self {
            Frame::Int(i) => Some(*i),
            f => f.bytes().and_then(crate::util::parse_i64),
        }
    }
}

/// A reply stream that cannot be parsed; the connection must be dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError(pub String);

/// Parse one reply from the start of `buf`. `Ok(Some((frame, consumed)))` on a whole reply,
/// `Ok(None)` when more bytes are needed, `Err` on a protocol violation.
pub fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
    let mut pos = 0;
    match parse_at(buf, &mut pos, 0)? {
        Some(f) => Ok(Some((f, pos))),
        None => Ok(None),
    }
}

fn line(buf: &[u8], pos: &mut usize) -> Option<(usize, usize)> {
    let start = *pos;
    let rel = buf[start..].windows(2).position(|w| w == b"\r\n")?;
    *pos = start + rel + 2;
    Some((start, start + rel))
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Frame>, FrameError> {
    if depth > MAX_DEPTH {
        return Err(FrameError("reply nested too deeply".into()));
    }
    if *pos >= buf.len() {
        return Ok(None);
    }
    let kind = buf[*pos];
    let mut p = *pos + 1;
    let Some((s, e)) = line(buf, &mut p) else {
        return Ok(None);
    };
    let body = &buf[s..e];
    let num = || {
        crate::util::parse_i64(body)
            .ok_or_else(|| FrameError(format!("invalid length or integer in '{}'", kind as char)))
    };
    let frame = match kind {
        b'+' => Frame::Simple(body.to_vec()),
        b'-' => Frame::Error(body.to_vec()),
        b':' => Frame::Int(num()?),
        b'$' => {
            let n = num()?;
            if n < 0 {
                Frame::Bulk(None)
            } else if n > MAX_BULK {
                return Err(FrameError("bulk length too large".into()));
            } else {
                let n = n as usize;
                if buf.len() < p + n + 2 {
                    return Ok(None);
                }
                if &buf[p + n..p + n + 2] != b"\r\n" {
                    return Err(FrameError("bulk string not terminated by CRLF".into()));
                }
                let v = buf[p..p + n].to_vec();
                p += n + 2;
                Frame::Bulk(Some(v))
            }
        }
        b'*' => {
            let n = num()?;
            if n < 0 {
                Frame::Array(None)
            } else {
                // Never trust the count for allocation: each element takes at least 3 bytes.
                let mut items = Vec::with_capacity((n as usize).min(buf.len() / 3 + 1));
                for _ in 0..n {
                    match parse_at(buf, &mut p, depth + 1)? {
                        Some(f) => items.push(f),
                        None => return Ok(None),
                    }
                }
                Frame::Array(Some(items))
            }
        }
        other => {
            return Err(FrameError(format!(
                "unexpected reply type byte 0x{other:02x}"
            )))
        }
    };
    *pos = p;
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_shape_and_reports_consumed() {
        let buf = b"*3\r\n+OK\r\n:-5\r\n*2\r\n$3\r\nabc\r\n$-1\r\nrest";
        let (f, n) = parse(buf).unwrap().unwrap();
        assert_eq!(n, buf.len() - 4);
        assert_eq!(
            f,
            Frame::Array(Some(vec![
                Frame::Simple(b"OK".to_vec()),
                Frame::Int(-5),
                Frame::Array(Some(vec![
                    Frame::Bulk(Some(b"abc".to_vec())),
                    Frame::Bulk(None)
                ])),
            ]))
        );
        assert_eq!(
            parse(b"-ERR x\r\n").unwrap().unwrap().0.text().unwrap(),
            "ERR x"
        );
        assert_eq!(parse(b"*-1\r\n").unwrap().unwrap().0, Frame::Array(None));
    }

    #[test]
    fn every_prefix_is_incomplete_not_an_error() {
        let buf = b"*2\r\n$5\r\nhello\r\n*1\r\n:42\r\n";
        for cut in 0..buf.len() {
            assert_eq!(parse(&buf[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse(buf).unwrap().is_some());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(b"?\r\n").is_err());
        assert!(parse(b"$abc\r\n").is_err());
        assert!(parse(b"$3\r\nabcXY").is_err());
        assert!(parse(b"*99999999999\r\n").unwrap().is_none());
        let deep = "*1\r\n".repeat(100);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
