//! Reply canonicalization for the differential test: parse raw RESP2/RESP3 reply bytes into a
//! tree, apply a comparison mode (unordered, pairs, shape, noint), and print bytes readably.
use super::script::Compare;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    /// `+ - : _ , # (` lines: type byte and body.
    Line(u8, Vec<u8>),
    /// `$ = !` bulks; None is a null bulk (`$-1`).
    Bulk(u8, Option<Vec<u8>>),
    /// `* ~ > % |` aggregates; None is a null array (`*-1`). Maps hold 2n children.
    Agg(u8, Option<Vec<Node>>),
}

fn line(b: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let start = *pos;
    let end = b[start..].windows(2).position(|w| w == b"\r\n")? + start;
    *pos = end + 2;
    Some(b[start..end].to_vec())
}

fn parse_node(b: &[u8], pos: &mut usize) -> Option<Node> {
    let t = *b.get(*pos)?;
    *pos += 1;
    let body = line(b, pos)?;
    let num = || -> Option<i64> { std::str::from_utf8(&body).ok()?.parse().ok() };
    match t {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(Node::Line(t, body)),
        b'$' | b'=' | b'!' => {
            let n = num()?;
            if n < 0 {
                return Some(Node::Bulk(t, None));
            }
            let n = n as usize;
            let data = b.get(*pos..*pos + n)?.to_vec();
            *pos += n + 2;
            Some(Node::Bulk(t, Some(data)))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = num()?;
            if n < 0 {
                return Some(Node::Agg(t, None));
            }
            let count = if matches!(t, b'%' | b'|') { n * 2 } else { n };
            let mut v = Vec::new();
            for _ in 0..count {
                v.push(parse_node(b, pos)?);
            }
            Some(Node::Agg(t, Some(v)))
        }
        _ => None,
    }
}

fn write_node(n: &Node, out: &mut Vec<u8>) {
    match n {
        Node::Line(t, body) => {
            out.push(*t);
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
        }
        Node::Bulk(t, None) => {
            out.push(*t);
            out.extend_from_slice(b"-1\r\n");
        }
        Node::Bulk(t, Some(d)) => {
            out.push(*t);
            out.extend_from_slice(format!("{}\r\n", d.len()).as_bytes());
            out.extend_from_slice(d);
            out.extend_from_slice(b"\r\n");
        }
        Node::Agg(t, None) => {
            out.push(*t);
            out.extend_from_slice(b"-1\r\n");
        }
        Node::Agg(t, Some(v)) => {
            let n = if matches!(t, b'%' | b'|') {
                v.len() / 2
            } else {
                v.len()
            };
            out.push(*t);
            out.extend_from_slice(format!("{n}\r\n").as_bytes());
            for c in v {
                write_node(c, out);
            }
        }
    }
}

fn is_scalar(n: &Node) -> bool {
    !matches!(n, Node::Agg(..))
}

fn sort_pairs(v: &mut Vec<Node>) {
    let mut pairs: Vec<Vec<Node>> = v.chunks(2).map(|c| c.to_vec()).collect();
    pairs.sort();
    *v = pairs.into_iter().flatten().collect();
}

fn unorder(n: &mut Node) {
    if let Node::Agg(t, Some(v)) = n {
        v.iter_mut().for_each(unorder);
        match t {
            b'%' | b'|' => sort_pairs(v),
            b'~' => v.sort(),
            _ if v.iter().all(is_scalar) => v.sort(),
            _ => {}
        }
    }
}

fn mask(n: &mut Node, shape: bool, noint: bool) {
    match n {
        Node::Line(b':', body) if noint || shape => *body = b"?".to_vec(),
        Node::Line(_, body) if shape => *body = b"?".to_vec(),
        Node::Bulk(_, Some(d)) if shape => *d = b"?".to_vec(),
        Node::Agg(_, Some(v)) => v.iter_mut().for_each(|c| mask(c, shape, noint)),
        _ => {}
    }
}

/// One whole reply parsed into a tree (None when `raw` is not exactly one valid reply).
pub fn parse(raw: &[u8]) -> Option<Node> {
    let mut pos = 0;
    let n = parse_node(raw, &mut pos)?;
    (pos == raw.len()).then_some(n)
}

/// The reply as it should be compared under `cmp`. Unparseable bytes are returned unchanged.
pub fn canonical(raw: &[u8], cmp: &Compare) -> Vec<u8> {
    if !(cmp.unordered || cmp.pairs || cmp.shape || cmp.noint) {
        return raw.to_vec();
    }
    let Some(mut node) = parse(raw) else {
        return raw.to_vec();
    };
    if cmp.pairs {
        if let Node::Agg(_, Some(v)) = &mut node {
            sort_pairs(v);
        }
    }
    if cmp.unordered {
        unorder(&mut node);
    }
    mask(&mut node, cmp.shape, cmp.noint);
    let mut out = Vec::new();
    write_node(&node, &mut out);
    out
}

/// If `raw` is exactly one integer reply, its value.
pub fn as_int(raw: &[u8]) -> Option<i64> {
    let s = raw.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Printable form: printable ASCII as is, everything else as `\r`, `\n`, `\xHH`.
pub fn escape(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// Printable form capped at `max` bytes of input.
pub fn escape_capped(b: &[u8], max: usize) -> String {
    if b.len() <= max {
        escape(b)
    } else {
        format!("{}... ({} bytes)", escape(&b[..max]), b.len())
    }
}
