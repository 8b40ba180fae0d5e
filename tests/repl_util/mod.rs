//! Helpers shared by the replication tests between oxidis nodes: start a master with
//! replicas, wait (bounded) for a replica to catch up, compare datasets, fill every type; attach
//! to a master (oxidis or Redis) as a bare replica and read its command stream.
#![allow(dead_code)]
use crate::common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub fn info(c: &mut Conn, section: &str) -> String {
    c.s(&["INFO", section])
}

pub fn field(c: &mut Conn, section: &str, name: &str) -> Option<String> {
    info_field(&info(c, section), name)
}

pub fn num(c: &mut Conn, section: &str, name: &str) -> i64 {
    field(c, section, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

/// Wait (bounded, 20 s) until `f` holds, or panic naming `what`.
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Start an oxidis node with DEBUG enabled, following `master` if given.
pub fn node(master: Option<&Proc>, extra: &[&str]) -> Proc {
    let mut args = vec!["--enable-debug-command", "yes"];
    let port;
    if let Some(m) = master {
        port = m.port.to_string();
        args.extend(["--replicaof", "127.0.0.1", port.as_str()]);
    }
    args.extend_from_slice(extra);
    start_oxidis(&args)
}

pub fn link_up(r: &mut Conn) -> bool {
    field(r, "replication", "master_link_status").as_deref() == Some("up")
}

/// Wait until the replica's offset equals the master's and both hold the same data (DEBUG
/// DIGEST and DBSIZE).
pub fn wait_in_sync(m: &mut Conn, r: &mut Conn) {
    let mut last = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let mo = field(m, "replication", "master_repl_offset");
        let ro = field(r, "replication", "master_repl_offset");
        let up = link_up(r);
        let (md, rd) = (m.s(&["DEBUG", "DIGEST"]), r.s(&["DEBUG", "DIGEST"]));
        if up && mo.is_some() && mo == ro && md == rd {
            return;
        }
        last = format!("up {up} offsets {mo:?} {ro:?} digests {md:?} {rd:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("replica did not catch up: {last}");
}

/// Every key of every database equal on both sides: same type and DEBUG DIGEST-VALUE (DUMP
/// may order set members differently), and a TTL on both or neither.
pub fn assert_same_keys(m: &mut Conn, r: &mut Conn) {
    for db in 0..16 {
        let d = db.to_string();
        m.cmd(&["SELECT", &d]);
        r.cmd(&["SELECT", &d]);
        let keys = m.s(&["KEYS", "*"]);
        let parts: Vec<&str> = keys.split("\r\n").collect();
        let names: Vec<String> = parts
            .iter()
            .zip(parts.iter().skip(1))
            .filter(|(len, _)| len.starts_with('$'))
            .map(|(_, name)| name.to_string())
            .collect();
        assert_eq!(
            m.s(&["DBSIZE"]),
            r.s(&["DBSIZE"]),
            "dbsize of db {db} differs"
        );
        for k in names {
            let dv = |c: &mut Conn| (c.s(&["TYPE", &k]), c.s(&["DEBUG", "DIGEST-VALUE", &k]));
            assert_eq!(dv(m), dv(r), "type and DEBUG DIGEST-VALUE of {k}");
            let (mt, rt) = (m.s(&["PTTL", &k]), r.s(&["PTTL", &k]));
            assert_eq!(mt == ":-1\r\n", rt == ":-1\r\n", "TTL of {k}: {mt} {rt}");
        }
    }
    m.cmd(&["SELECT", "0"]);
    r.cmd(&["SELECT", "0"]);
}

/// Writes of every type (and expiries) under `tag:`.
pub fn populate(m: &mut Conn, tag: &str) {
    let k = |s: &str| format!("{tag}:{s}");
    m.cmd(&["SET", &k("str"), "hello"]);
    m.cmd(&["APPEND", &k("str"), " world"]);
    m.cmd(&["INCRBYFLOAT", &k("float"), "1.25"]);
    m.cmd(&["INCR", &k("int")]);
    m.cmd(&["RPUSH", &k("list"), "a", "b", "c", "d"]);
    m.cmd(&["LPOP", &k("list")]);
    m.cmd(&["HSET", &k("hash"), "f1", "v1", "f2", "v2"]);
    m.cmd(&["HINCRBYFLOAT", &k("hash"), "f3", "2.5"]);
    m.cmd(&["SADD", &k("set"), "x", "y", "z", "w"]);
    m.cmd(&["SPOP", &k("set")]);
    m.cmd(&["SADD", &k("intset"), "1", "2", "3"]);
    m.cmd(&["ZADD", &k("zset"), "1", "one", "2", "two", "3", "three"]);
    m.cmd(&["ZINCRBY", &k("zset"), "5", "one"]);
    m.cmd(&["SET", &k("ex"), "v", "EX", "1000"]);
    m.cmd(&["SETEX", &k("setex"), "1000", "v"]);
    m.cmd(&["SET", &k("pexp"), "v"]);
    m.cmd(&["PEXPIRE", &k("pexp"), "500000"]);
    m.cmd(&["SET", &k("gone"), "v", "PX", "30"]);
    for i in 0..100 {
        m.cmd(&["SET", &format!("{tag}:n{i}"), &i.to_string()]);
    }
    m.cmd(&["SELECT", "3"]);
    m.cmd(&["SET", &k("db3"), "in three"]);
    m.cmd(&["SELECT", "0"]);
}

/// A bare replica of the master at `port` (oxidis or Redis without diskless sync) past its
/// full resync, positioned at the start of the command stream.
pub fn attach(port: u16) -> BufReader<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&encode_cmd(&[b"REPLCONF", b"capa", b"psync2"]))
        .unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "+OK\r\n");
    // Redis refuses PSYNC while a reply is still pending: ask once REPLCONF is answered.
    r.get_mut()
        .write_all(&encode_cmd(&[b"PSYNC", b"?", b"-1"]))
        .unwrap();
    line.clear();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("+FULLRESYNC "), "{line:?}");
    // Newlines keep the link alive while the RDB is produced; then `$len` and the payload.
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line != "\n" {
            break;
        }
    }
    let len: usize = line.trim_start_matches('$').trim().parse().unwrap();
    let mut rdb = vec![0u8; len];
    r.read_exact(&mut rdb).unwrap();
    assert!(rdb.starts_with(b"REDIS"));
    r
}

/// Read stream bytes until `want` appears (bounded by a deadline); returns everything read.
pub fn read_until(r: &mut BufReader<TcpStream>, want: &[u8]) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        if got.windows(want.len()).any(|w| w == want) {
            return got;
        }
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => continue,
        }
    }
    panic!(
        "{:?} not in the stream: {:?}",
        String::from_utf8_lossy(want),
        String::from_utf8_lossy(&got)
    );
}
