//! Reply encoding into a client's output buffer, for RESP2 and RESP3, and the one encoder of
//! commands (a RESP array of bulk strings) that every outbound command goes through:
//! propagation to replicas, the replica's handshake, the sentinel's links.
use super::reply::Reply;
use crate::util::fmt_double;

#[inline]
pub fn put_len(out: &mut Vec<u8>, prefix: u8, n: i64) {
    out.push(prefix);
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[inline]
pub fn put_bulk(out: &mut Vec<u8>, data: &[u8]) {
    put_len(out, b'$', data.len() as i64);
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Append the command `args` to `out` as a RESP array of bulk strings
/// (`*<n>\r\n` then `$<len>\r\n<arg>\r\n` for each argument). It reserves room for the
/// whole command first and allocates nothing else, so a reused buffer (the propagation
/// scratch) makes it allocation-free.
pub fn command_into<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    // Each argument's `$<len>\r\n` and trailing `\r\n` take at most 1 + 20 + 2 + 2 bytes.
    let total: usize = args.iter().map(|a| a.as_ref().len() + 25).sum();
    out.reserve(total + 23);
    put_len(out, b'*', args.len() as i64);
    for a in args {
        put_bulk(out, a.as_ref());
    }
}

/// The command `args` as a new RESP array of bulk strings (see [`command_into`]).
pub fn command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = Vec::new();
    command_into(&mut out, args);
    out
}

/// Append `reply` to `out` in protocol version `proto` (2 or 3).
pub fn encode(out: &mut Vec<u8>, reply: &Reply, proto: u8) {
    let resp3 = proto >= 3;
    match reply {
        Reply::Ok => out.extend_from_slice(b"+OK\r\n"),
        Reply::Status(s) => {
            out.push(b'+');
            out.extend_from_slice(s.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Reply::Error(e) => {
            out.push(b'-');
            // An error line must not contain newlines: Redis replaces them with spaces.
            out.extend(
                e.bytes()
                    .map(|c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
            );
            out.extend_from_slice(b"\r\n");
        }
        Reply::Int(n) => put_len(out, b':', *n),
        Reply::Bulk(b) => put_bulk(out, b),
        Reply::Nil => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
        Reply::NilArray => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
        Reply::Array(items) => {
            put_len(out, b'*', items.len() as i64);
            for it in items {
                encode(out, it, proto);
            }
        }
        Reply::Map(pairs) => {
            if resp3 {
                put_len(out, b'%', pairs.len() as i64);
            } else {
                put_len(out, b'*', 2 * pairs.len() as i64);
            }
            for (k, v) in pairs {
                encode(out, k, proto);
                encode(out, v, proto);
            }
        }
        Reply::Set(items) => {
            put_len(out, if resp3 { b'~' } else { b'*' }, items.len() as i64);
            for it in items {
                encode(out, it, proto);
            }
        }
        Reply::Push(items) => {
            put_len(out, if resp3 { b'>' } else { b'*' }, items.len() as i64);
            for it in items {
                encode(out, it, proto);
            }
        }
        Reply::BigNumber(n) => {
            if resp3 {
                out.push(b'(');
                out.extend_from_slice(n.as_bytes());
                out.extend_from_slice(b"\r\n");
            } else {
                put_bulk(out, n.as_bytes());
            }
        }
        Reply::Double(d) => {
            let s = fmt_double(*d);
            if resp3 {
                out.push(b',');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            } else {
                put_bulk(out, s.as_bytes());
            }
        }
        Reply::DoubleText(t) => {
            if resp3 {
                out.push(b',');
                out.extend_from_slice(t.as_bytes());
                out.extend_from_slice(b"\r\n");
            } else {
                put_bulk(out, t.as_bytes());
            }
        }
        Reply::Bool(b) => {
            if resp3 {
                out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
            } else {
                out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" });
            }
        }
        Reply::Verbatim(txt) => {
            if resp3 {
                put_len(out, b'=', txt.len() as i64 + 4);
                out.extend_from_slice(b"txt:");
                out.extend_from_slice(txt);
                out.extend_from_slice(b"\r\n");
            } else {
                put_bulk(out, txt);
            }
        }
        Reply::None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: Reply, proto: u8) -> Vec<u8> {
        let mut v = Vec::new();
        encode(&mut v, &r, proto);
        v
    }

    #[test]
    fn resp2_shapes() {
        assert_eq!(enc(Reply::Ok, 2), b"+OK\r\n");
        assert_eq!(enc(Reply::Int(-5), 2), b":-5\r\n");
        assert_eq!(enc(Reply::Nil, 2), b"$-1\r\n");
        assert_eq!(enc(Reply::bulk("ab"), 2), b"$2\r\nab\r\n");
        assert_eq!(
            enc(Reply::Map(vec![(Reply::bulk("k"), Reply::Int(1))]), 2),
            b"*2\r\n$1\r\nk\r\n:1\r\n"
        );
        assert_eq!(enc(Reply::Bool(true), 2), b":1\r\n");
        assert_eq!(enc(Reply::err("ERR a\r\nb"), 2), b"-ERR a  b\r\n");
    }

    #[test]
    fn command_bytes() {
        assert_eq!(command(&["PING"]), b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(
            command(&["SET", "k", ""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
        assert_eq!(command::<&[u8]>(&[]), b"*0\r\n");
    }

    #[test]
    fn command_binary_arg() {
        let bin: &[u8] = b"a\r\n\0\xff$*";
        assert_eq!(
            command(&[b"SET" as &[u8], b"k", bin]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\na\r\n\0\xff$*\r\n"
        );
        let big = vec![b'x'; 1234567];
        let out = command(&[&big]);
        assert!(out.starts_with(b"*1\r\n$1234567\r\nxx"));
        assert!(out.ends_with(b"xx\r\n"));
        assert_eq!(out.len(), 4 + 10 + 1234567 + 2);
    }

    #[test]
    fn command_many_args_appends() {
        let args: Vec<Vec<u8>> = (0..12).map(|i| i.to_string().into_bytes()).collect();
        let mut out = b"+prefix\r\n".to_vec();
        command_into(&mut out, &args);
        let mut want = b"+prefix\r\n*12\r\n".to_vec();
        for i in 0..12 {
            let s = i.to_string();
            want.extend_from_slice(format!("${}\r\n{s}\r\n", s.len()).as_bytes());
        }
        assert_eq!(out, want);
    }

    #[test]
    fn command_into_reused_buffer_does_not_grow() {
        let args = [b"SET".to_vec(), b"key".to_vec(), vec![b'v'; 300]];
        let mut out = Vec::new();
        command_into(&mut out, &args);
        let (ptr, cap) = (out.as_ptr(), out.capacity());
        out.clear();
        command_into(&mut out, &args);
        assert_eq!((out.as_ptr(), out.capacity()), (ptr, cap));
    }

    #[test]
    fn resp3_shapes() {
        assert_eq!(enc(Reply::Nil, 3), b"_\r\n");
        assert_eq!(
            enc(Reply::Map(vec![(Reply::bulk("k"), Reply::Int(1))]), 3),
            b"%1\r\n$1\r\nk\r\n:1\r\n"
        );
        assert_eq!(enc(Reply::Double(1.5), 3), b",1.5\r\n");
        assert_eq!(enc(Reply::DoubleText("1.5".into()), 3), b",1.5\r\n");
        assert_eq!(enc(Reply::DoubleText("1.5".into()), 2), b"$3\r\n1.5\r\n");
        assert_eq!(enc(Reply::Bool(false), 3), b"#f\r\n");
        assert_eq!(enc(Reply::Verbatim(b"hi".to_vec()), 3), b"=6\r\ntxt:hi\r\n");
    }
}
