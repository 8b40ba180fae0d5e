//! Replies parsed into a small tree (`Val`) for tests that look inside them (SENTINEL
//! MASTER/REPLICAS field lists, pub/sub messages) rather than compare raw bytes.

/// A parsed RESP reply.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Str(String),
    Int(i64),
    Err(String),
    Nil,
    Arr(Vec<Val>),
}

impl Val {
    /// Text of a string or integer ("" otherwise).
    pub fn text(&self) -> String {
        match self {
            Val::Str(s) | Val::Err(s) => s.clone(),
            Val::Int(n) => n.to_string(),
            _ => String::new(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Val::Arr(v) => v.len(),
            _ => 0,
        }
    }

    /// A flat `[k1, v1, k2, v2...]` array (SENTINEL MASTER, REPLICAS items) as pairs.
    pub fn field(&self, name: &str) -> Option<String> {
        let Val::Arr(v) = self else { return None };
        v.chunks(2)
            .find(|kv| kv.len() == 2 && kv[0].text() == name)
            .map(|kv| kv[1].text())
    }
}

/// Parse one RESP2/RESP3 reply (maps and sets become arrays).
pub fn parse(raw: &[u8]) -> Val {
    let mut pos = 0;
    parse_at(raw, &mut pos)
}

fn parse_at(raw: &[u8], pos: &mut usize) -> Val {
    let Some(end) = raw[*pos..].windows(2).position(|w| w == b"\r\n") else {
        return Val::Nil;
    };
    let line = String::from_utf8_lossy(&raw[*pos + 1..*pos + end]).to_string();
    let kind = raw[*pos];
    *pos += end + 2;
    let n: i64 = line.parse().unwrap_or(-1);
    match kind {
        b'+' => Val::Str(line),
        b'-' => Val::Err(line),
        b':' => Val::Int(n),
        b'_' => Val::Nil,
        b'$' | b'=' if n < 0 => Val::Nil,
        b'$' | b'=' => {
            let n = n as usize;
            let s = String::from_utf8_lossy(&raw[*pos..(*pos + n).min(raw.len())]).to_string();
            *pos += n + 2;
            Val::Str(s)
        }
        b'*' | b'~' | b'>' | b'%' if n < 0 => Val::Nil,
        b'*' | b'~' | b'>' | b'%' => {
            let n = if kind == b'%' { n * 2 } else { n };
            Val::Arr((0..n).map(|_| parse_at(raw, pos)).collect())
        }
        _ => Val::Str(line),
    }
}
