//! Black-box tests of the string and generic key commands, expiry and DEBUG: exact reply bytes
//! (including error texts), lazy and active expiry, SCAN guarantees under concurrent changes,
//! and a differential run against a real redis-server (same replies, same DEBUG DIGEST).
mod common;
use common::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Send `args` and assert the raw reply equals `want`.
fn check(c: &mut Conn, args: &[&str], want: &str) {
    let got = c.s(args);
    assert_eq!(got, want, "command {args:?}");
}

fn int_of(reply: &str) -> i64 {
    reply.trim_start_matches(':').trim().parse().unwrap()
}

/// Bulk strings of a flat array reply (SCAN's second element, KEYS, ...).
fn parse_bulks(r: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < r.len() {
        if r[i] == b'$' {
            let end = i + r[i..].iter().position(|&b| b == b'\r').unwrap();
            let n: i64 = std::str::from_utf8(&r[i + 1..end])
                .unwrap()
                .parse()
                .unwrap();
            if n >= 0 {
                let start = end + 2;
                out.push(r[start..start + n as usize].to_vec());
                i = start + n as usize + 2;
                continue;
            }
            i = end + 2;
            continue;
        }
        let end = i + r[i..].iter().position(|&b| b == b'\n').unwrap();
        i = end + 1;
    }
    out
}

#[test]
fn set_get_and_options() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    check(&mut c, &["SET", "k", "v"], "+OK\r\n");
    check(&mut c, &["GET", "k"], "$1\r\nv\r\n");
    check(&mut c, &["GET", "nokey"], "$-1\r\n");
    check(
        &mut c,
        &["SET", "k", "v", "EX", "0"],
        "-ERR invalid expire time in 'set' command\r\n",
    );
    check(
        &mut c,
        &["SET", "k", "v", "PX", "-1"],
        "-ERR invalid expire time in 'set' command\r\n",
    );
    check(
        &mut c,
        &["SET", "k", "v", "PX", "9223372036854775807"],
        "-ERR invalid expire time in 'set' command\r\n",
    );
    check(
        &mut c,
        &["SET", "k", "v", "EX", "abc"],
        "-ERR value is not an integer or out of range\r\n",
    );
    for bad in [
        &["SET", "k", "v", "EX", "10", "PX", "10"][..],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "NX", "XX"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "FOO"],
        &["SET", "k", "v", "PERSIST"],
    ] {
        check(&mut c, bad, "-ERR syntax error\r\n");
    }
    check(
        &mut c,
        &["SET", "k", "v", "EX", "100", "EX", "200"],
        "+OK\r\n",
    );
    check(&mut c, &["TTL", "k"], ":200\r\n");
    check(&mut c, &["SET", "k", "v2", "KEEPTTL"], "+OK\r\n");
    check(&mut c, &["TTL", "k"], ":200\r\n");
    check(&mut c, &["SET", "k", "v3"], "+OK\r\n");
    check(&mut c, &["TTL", "k"], ":-1\r\n");
    check(&mut c, &["SET", "k", "v4", "GET"], "$2\r\nv3\r\n");
    check(&mut c, &["SET", "k", "v5", "NX", "GET"], "$2\r\nv4\r\n");
    check(&mut c, &["GET", "k"], "$2\r\nv4\r\n");
    check(&mut c, &["SET", "nk", "v", "XX", "GET"], "$-1\r\n");
    check(&mut c, &["SET", "nk", "v", "XX"], "$-1\r\n");
    check(&mut c, &["SET", "nk", "v", "NX"], "+OK\r\n");
    check(&mut c, &["SET", "nk", "v", "NX"], "$-1\r\n");
    check(&mut c, &["SETNX", "nk", "x"], ":0\r\n");
    check(&mut c, &["SETNX", "nk2", "x"], ":1\r\n");
    check(&mut c, &["SETEX", "se", "100", "v"], "+OK\r\n");
    check(&mut c, &["TTL", "se"], ":100\r\n");
    check(
        &mut c,
        &["SETEX", "se", "0", "v"],
        "-ERR invalid expire time in 'setex' command\r\n",
    );
    check(
        &mut c,
        &["PSETEX", "se", "-5", "v"],
        "-ERR invalid expire time in 'psetex' command\r\n",
    );
    check(&mut c, &["GETSET", "k", "new"], "$2\r\nv4\r\n");
    check(&mut c, &["GETSET", "absent", "x"], "$-1\r\n");
    check(&mut c, &["GETDEL", "absent"], "$1\r\nx\r\n");
    check(&mut c, &["GETDEL", "absent"], "$-1\r\n");
    check(
        &mut c,
        &["MSET", "a"],
        "-ERR wrong number of arguments for 'mset' command\r\n",
    );
    check(&mut c, &["MSET", "a", "1", "b", "2"], "+OK\r\n");
    check(
        &mut c,
        &["MSETNX", "a", "1", "b"],
        "-ERR wrong number of arguments for 'msetnx' command\r\n",
    );
    check(&mut c, &["MSETNX", "a", "1", "zz", "2"], ":0\r\n");
    check(&mut c, &["EXISTS", "zz"], ":0\r\n");
    check(&mut c, &["MSETNX", "zz", "1", "yy", "2"], ":1\r\n");
    check(
        &mut c,
        &["MGET", "a", "b", "zz", "nokey"],
        "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n1\r\n$-1\r\n",
    );
    check(
        &mut c,
        &["GET"],
        "-ERR wrong number of arguments for 'get' command\r\n",
    );
}

#[test]
fn getex_variants() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    check(&mut c, &["GETEX", "nokey", "EX", "10"], "$-1\r\n");
    check(&mut c, &["SET", "k", "v"], "+OK\r\n");
    check(&mut c, &["GETEX", "k", "NX"], "-ERR syntax error\r\n");
    check(&mut c, &["GETEX", "k", "KEEPTTL"], "-ERR syntax error\r\n");
    check(
        &mut c,
        &["GETEX", "k", "PERSIST", "EX", "1"],
        "-ERR syntax error\r\n",
    );
    check(
        &mut c,
        &["GETEX", "k", "EX", "0"],
        "-ERR invalid expire time in 'getex' command\r\n",
    );
    check(&mut c, &["GETEX", "k", "EX", "100"], "$1\r\nv\r\n");
    check(&mut c, &["TTL", "k"], ":100\r\n");
    check(&mut c, &["GETEX", "k", "PERSIST"], "$1\r\nv\r\n");
    check(&mut c, &["TTL", "k"], ":-1\r\n");
    check(&mut c, &["GETEX", "k", "EXAT", "1"], "$1\r\nv\r\n");
    check(&mut c, &["EXISTS", "k"], ":0\r\n");
}

#[test]
fn counters_and_floats() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    check(&mut c, &["SET", "n", "9223372036854775807"], "+OK\r\n");
    check(
        &mut c,
        &["INCR", "n"],
        "-ERR increment or decrement would overflow\r\n",
    );
    check(
        &mut c,
        &["DECRBY", "n", "-9223372036854775808"],
        "-ERR decrement would overflow\r\n",
    );
    check(
        &mut c,
        &["INCRBY", "n", "abc"],
        "-ERR value is not an integer or out of range\r\n",
    );
    check(&mut c, &["DECR", "n"], ":9223372036854775806\r\n");
    check(&mut c, &["INCR", "new1"], ":1\r\n");
    check(&mut c, &["DECR", "new2"], ":-1\r\n");
    check(&mut c, &["INCRBY", "new3", "-7"], ":-7\r\n");
    check(&mut c, &["OBJECT", "ENCODING", "new3"], "$3\r\nint\r\n");
    check(&mut c, &["SET", "s", "hello"], "+OK\r\n");
    check(
        &mut c,
        &["INCR", "s"],
        "-ERR value is not an integer or out of range\r\n",
    );
    check(&mut c, &["SET", "s", " 1"], "+OK\r\n");
    check(
        &mut c,
        &["INCR", "s"],
        "-ERR value is not an integer or out of range\r\n",
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "s", "1"],
        "-ERR value is not a valid float\r\n",
    );
    check(&mut c, &["SET", "t", "5"], "+OK\r\n");
    check(&mut c, &["EXPIRE", "t", "100"], ":1\r\n");
    check(&mut c, &["INCR", "t"], ":6\r\n");
    check(&mut c, &["TTL", "t"], ":100\r\n");
    let cases = [
        ("10.5", "0.1", "10.6"),
        ("0.2", "0.1", "0.3"),
        ("0", "12345.6789", "12345.67889999999999961"),
        ("0", "100000.3", "100000.29999999999999716"),
        ("1e5", "1", "100001"),
        ("0", "3.0e3", "3000"),
        ("0", "-0.0", "0"),
        ("0", "0x10", "16"),
        ("5", "-5", "0"),
    ];
    for (start, by, want) in cases {
        check(&mut c, &["SET", "f", start], "+OK\r\n");
        check(
            &mut c,
            &["INCRBYFLOAT", "f", by],
            &format!("${}\r\n{}\r\n", want.len(), want),
        );
    }
    check(
        &mut c,
        &["INCRBYFLOAT", "f", "abc"],
        "-ERR value is not a valid float\r\n",
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "f", "inf"],
        "-ERR increment would produce NaN or Infinity\r\n",
    );
    check(&mut c, &["INCRBYFLOAT", "nf", "3"], "$1\r\n3\r\n");
    check(&mut c, &["OBJECT", "ENCODING", "nf"], "$6\r\nembstr\r\n");
}

#[test]
fn append_ranges_and_encodings() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    check(&mut c, &["APPEND", "ap", "hello"], ":5\r\n");
    check(&mut c, &["OBJECT", "ENCODING", "ap"], "$6\r\nembstr\r\n");
    check(&mut c, &["APPEND", "ap", " world"], ":11\r\n");
    check(&mut c, &["GET", "ap"], "$11\r\nhello world\r\n");
    check(&mut c, &["OBJECT", "ENCODING", "ap"], "$3\r\nraw\r\n");
    check(&mut c, &["STRLEN", "ap"], ":11\r\n");
    check(&mut c, &["STRLEN", "nokey"], ":0\r\n");
    check(&mut c, &["SET", "gr", "This is a string"], "+OK\r\n");
    check(&mut c, &["GETRANGE", "gr", "0", "3"], "$4\r\nThis\r\n");
    check(&mut c, &["GETRANGE", "gr", "-3", "-1"], "$3\r\ning\r\n");
    check(
        &mut c,
        &["GETRANGE", "gr", "0", "-1"],
        "$16\r\nThis is a string\r\n",
    );
    check(&mut c, &["GETRANGE", "gr", "10", "100"], "$6\r\nstring\r\n");
    check(&mut c, &["GETRANGE", "gr", "-1", "-5"], "$0\r\n\r\n");
    check(&mut c, &["GETRANGE", "gr", "5", "3"], "$0\r\n\r\n");
    check(&mut c, &["GETRANGE", "nokey", "0", "1"], "$0\r\n\r\n");
    check(&mut c, &["SUBSTR", "gr", "0", "3"], "$4\r\nThis\r\n");
    check(
        &mut c,
        &["GETRANGE", "gr", "x", "1"],
        "-ERR value is not an integer or out of range\r\n",
    );
    check(
        &mut c,
        &["SETRANGE", "gr", "-1", "x"],
        "-ERR offset is out of range\r\n",
    );
    check(
        &mut c,
        &["SETRANGE", "gr", "536870912", "x"],
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
    );
    check(&mut c, &["SETRANGE", "gr", "6", "XX"], ":16\r\n");
    check(&mut c, &["GET", "gr"], "$16\r\nThis iXXa string\r\n");
    check(&mut c, &["SETRANGE", "nsr", "2", "ab"], ":4\r\n");
    assert_eq!(c.cmd(&["GET", "nsr"]), b"$4\r\n\0\0ab\r\n");
    check(&mut c, &["OBJECT", "ENCODING", "nsr"], "$3\r\nraw\r\n");
    check(&mut c, &["SETRANGE", "nsr2", "5", ""], ":0\r\n");
    check(&mut c, &["EXISTS", "nsr2"], ":0\r\n");
    check(&mut c, &["SETRANGE", "gr", "0", ""], ":16\r\n");
    for (v, enc, refcount) in [
        ("123", "int", "2147483647"),
        ("12345", "int", "1"),
        ("12345678901234567890", "embstr", "1"),
        ("-0", "embstr", "1"),
        (
            "12345678901234567890123456789012345678901234",
            "embstr",
            "1",
        ),
        ("123456789012345678901234567890123456789012345", "raw", "1"),
    ] {
        check(&mut c, &["SET", "e", v], "+OK\r\n");
        check(
            &mut c,
            &["OBJECT", "ENCODING", "e"],
            &format!("${}\r\n{}\r\n", enc.len(), enc),
        );
        check(
            &mut c,
            &["OBJECT", "REFCOUNT", "e"],
            &format!(":{refcount}\r\n"),
        );
    }
    check(&mut c, &["OBJECT", "ENCODING", "nokey"], "$-1\r\n");
    check(&mut c, &["OBJECT", "IDLETIME", "e"], ":0\r\n");
    check(
        &mut c,
        &["OBJECT", "FOO"],
        "-ERR unknown subcommand 'FOO'. Try OBJECT HELP.\r\n",
    );
    check(
        &mut c,
        &["OBJECT"],
        "-ERR wrong number of arguments for 'object' command\r\n",
    );
    check(
        &mut c,
        &["OBJECT", "ENCODING"],
        "-ERR wrong number of arguments for 'object|encoding' command\r\n",
    );
    check(&mut c, &["OBJECT", "FREQ", "e"], "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n");
    let help = c.s(&["OBJECT", "HELP"]);
    assert!(
        help.starts_with(
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        ),
        "{help}"
    );
}

#[test]
fn generic_key_commands() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    check(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"], "+OK\r\n");
    check(&mut c, &["EXISTS", "a", "a", "nokey"], ":2\r\n");
    check(&mut c, &["DEL", "a", "nokey", "a"], ":1\r\n");
    check(&mut c, &["UNLINK", "b"], ":1\r\n");
    check(&mut c, &["TYPE", "c"], "+string\r\n");
    check(&mut c, &["TYPE", "nokey"], "+none\r\n");
    check(&mut c, &["RENAME", "nokey", "x"], "-ERR no such key\r\n");
    check(&mut c, &["RENAME", "c", "c"], "+OK\r\n");
    check(&mut c, &["RENAMENX", "c", "c"], ":0\r\n");
    check(&mut c, &["SET", "d", "4"], "+OK\r\n");
    check(&mut c, &["EXPIRE", "c", "100"], ":1\r\n");
    check(&mut c, &["RENAMENX", "c", "d"], ":0\r\n");
    check(&mut c, &["RENAME", "c", "d"], "+OK\r\n");
    check(&mut c, &["TTL", "d"], ":100\r\n");
    check(&mut c, &["GET", "d"], "$1\r\n3\r\n");
    check(&mut c, &["RENAMENX", "d", "e"], ":1\r\n");
    check(
        &mut c,
        &["MOVE", "e", "0"],
        "-ERR source and destination objects are the same\r\n",
    );
    check(
        &mut c,
        &["MOVE", "e", "99"],
        "-ERR DB index is out of range\r\n",
    );
    check(
        &mut c,
        &["MOVE", "e", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    check(&mut c, &["MOVE", "e", "1"], ":1\r\n");
    check(&mut c, &["MOVE", "e", "1"], ":0\r\n");
    check(&mut c, &["SELECT", "1"], "+OK\r\n");
    check(&mut c, &["TTL", "e"], ":100\r\n");
    check(
        &mut c,
        &["COPY", "e", "e"],
        "-ERR source and destination objects are the same\r\n",
    );
    check(
        &mut c,
        &["COPY", "e", "e2", "DB", "99"],
        "-ERR DB index is out of range\r\n",
    );
    check(
        &mut c,
        &["COPY", "e", "e2", "DB", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    check(&mut c, &["COPY", "e", "e2", "FOO"], "-ERR syntax error\r\n");
    check(&mut c, &["COPY", "nokey", "e2"], ":0\r\n");
    check(&mut c, &["COPY", "e", "e", "DB", "0"], ":1\r\n");
    check(&mut c, &["COPY", "e", "e", "DB", "0"], ":0\r\n");
    check(&mut c, &["COPY", "e", "e", "DB", "0", "REPLACE"], ":1\r\n");
    check(
        &mut c,
        &["SWAPDB", "0", "99"],
        "-ERR DB index is out of range\r\n",
    );
    check(
        &mut c,
        &["SWAPDB", "a", "1"],
        "-ERR invalid first DB index\r\n",
    );
    check(
        &mut c,
        &["SWAPDB", "0", "b"],
        "-ERR invalid second DB index\r\n",
    );
    check(&mut c, &["SWAPDB", "0", "1"], "+OK\r\n");
    check(&mut c, &["DBSIZE"], ":1\r\n");
    check(&mut c, &["GET", "e"], "$1\r\n3\r\n");
    check(&mut c, &["TOUCH", "e", "e", "nokey"], ":2\r\n");
    check(&mut c, &["FLUSHALL", "FOO"], "-ERR syntax error\r\n");
    check(&mut c, &["FLUSHDB", "ASYNC"], "+OK\r\n");
    check(&mut c, &["DBSIZE"], ":0\r\n");
    check(&mut c, &["RANDOMKEY"], "$-1\r\n");
    check(&mut c, &["SET", "x", "1"], "+OK\r\n");
    check(&mut c, &["RANDOMKEY"], "$1\r\nx\r\n");
    check(&mut c, &["FLUSHALL", "SYNC"], "+OK\r\n");
    check(&mut c, &["SELECT", "0"], "+OK\r\n");
    check(&mut c, &["DBSIZE"], ":0\r\n");
}

#[test]
fn expire_options_and_ttls() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    check(&mut c, &["SET", "c", "1"], "+OK\r\n");
    check(
        &mut c,
        &["EXPIRE", "c", "10", "NX", "XX"],
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
    );
    check(
        &mut c,
        &["EXPIRE", "c", "10", "GT", "LT"],
        "-ERR GT and LT options at the same time are not compatible\r\n",
    );
    check(
        &mut c,
        &["EXPIRE", "c", "10", "FOO"],
        "-ERR Unsupported option FOO\r\n",
    );
    check(
        &mut c,
        &["EXPIRE", "c", "99999999999999999"],
        "-ERR invalid expire time in 'expire' command\r\n",
    );
    check(
        &mut c,
        &["PEXPIRE", "c", "9223372036854775807"],
        "-ERR invalid expire time in 'pexpire' command\r\n",
    );
    check(
        &mut c,
        &["EXPIRE", "c", "abc"],
        "-ERR value is not an integer or out of range\r\n",
    );
    check(&mut c, &["EXPIRE", "nokey", "10"], ":0\r\n");
    check(&mut c, &["EXPIRE", "c", "100", "XX"], ":0\r\n");
    check(&mut c, &["EXPIRE", "c", "100", "GT"], ":0\r\n");
    check(&mut c, &["EXPIRE", "c", "100", "LT"], ":1\r\n");
    check(&mut c, &["EXPIRE", "c", "100", "NX"], ":0\r\n");
    check(&mut c, &["EXPIRE", "c", "200", "GT"], ":1\r\n");
    check(&mut c, &["EXPIRE", "c", "100", "GT"], ":0\r\n");
    check(&mut c, &["EXPIRE", "c", "50", "LT"], ":1\r\n");
    check(&mut c, &["EXPIRE", "c", "500", "LT"], ":0\r\n");
    check(&mut c, &["TTL", "c"], ":50\r\n");
    check(&mut c, &["PERSIST", "c"], ":1\r\n");
    check(&mut c, &["PERSIST", "c"], ":0\r\n");
    check(&mut c, &["PERSIST", "nokey"], ":0\r\n");
    check(&mut c, &["TTL", "c"], ":-1\r\n");
    check(&mut c, &["PTTL", "nokey"], ":-2\r\n");
    check(&mut c, &["EXPIRETIME", "c"], ":-1\r\n");
    check(&mut c, &["PEXPIREAT", "c", "4102444800000"], ":1\r\n");
    check(&mut c, &["EXPIRETIME", "c"], ":4102444800\r\n");
    check(&mut c, &["PEXPIRETIME", "c"], ":4102444800000\r\n");
    check(&mut c, &["EXPIREAT", "c", "4102444801"], ":1\r\n");
    check(&mut c, &["PEXPIRETIME", "c"], ":4102444801000\r\n");
    let pttl = int_of(&c.s(&["PTTL", "c"]));
    assert!(pttl > 1_000_000_000, "{pttl}");
    check(&mut c, &["EXPIRE", "c", "-1"], ":1\r\n");
    check(&mut c, &["EXISTS", "c"], ":0\r\n");
}

#[test]
fn lazy_expiry() {
    let srv = start_oxidis(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    check(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"], "+OK\r\n");
    for k in ["a", "b", "c", "d", "e", "f", "g"] {
        check(&mut c, &["SET", k, "v", "PX", "50"], "+OK\r\n");
    }
    std::thread::sleep(Duration::from_millis(150));
    // Still counted by DBSIZE (not reclaimed), invisible to every read path.
    check(&mut c, &["DBSIZE"], ":7\r\n");
    check(&mut c, &["KEYS", "*"], "*0\r\n");
    check(&mut c, &["GET", "a"], "$-1\r\n");
    check(&mut c, &["EXISTS", "b"], ":0\r\n");
    check(&mut c, &["TYPE", "c"], "+none\r\n");
    check(&mut c, &["TTL", "d"], ":-2\r\n");
    check(
        &mut c,
        &["SCAN", "0", "COUNT", "100"],
        "*2\r\n$1\r\n0\r\n*0\r\n",
    );
    check(&mut c, &["RANDOMKEY"], "$-1\r\n");
    check(&mut c, &["DBSIZE"], ":0\r\n");
}

fn c_debug_refusal() -> String {
    "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n".to_string()
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    let mut batch = Vec::new();
    for i in 0..1000 {
        batch.extend(encode_cmd(&[
            b"SET",
            format!("k{i}").as_bytes(),
            b"v",
            b"PX",
            b"50",
        ]));
    }
    c.send_raw(&batch);
    for _ in 0..1000 {
        assert_eq!(c.read_reply(), b"+OK\r\n");
    }
    check(&mut c, &["SET", "keep", "v"], "+OK\r\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut size = 1001;
    while Instant::now() < deadline {
        size = int_of(&c.s(&["DBSIZE"]));
        if size == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(size, 1, "active expiry did not reclaim the volatile keys");
    check(&mut c, &["GET", "keep"], "$1\r\nv\r\n");
}

#[test]
fn active_expiry_can_be_disabled() {
    let srv = start_oxidis(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    check(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"], "+OK\r\n");
    for i in 0..100 {
        check(
            &mut c,
            &["SET", &format!("k{i}"), "v", "PX", "20"],
            "+OK\r\n",
        );
    }
    std::thread::sleep(Duration::from_millis(400));
    check(&mut c, &["DBSIZE"], ":100\r\n");
    check(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"], "+OK\r\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && c.s(&["DBSIZE"]) != ":0\r\n" {
        std::thread::sleep(Duration::from_millis(50));
    }
    check(&mut c, &["DBSIZE"], ":0\r\n");
}

#[test]
fn keys_glob_patterns() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    for k in [
        "hello", "hallo", "hxllo", "hllo", "heeeello", "h]llo", "h*llo", "-", "a",
    ] {
        check(&mut c, &["SET", k, "1"], "+OK\r\n");
    }
    let keys = |c: &mut Conn, p: &str| -> Vec<String> {
        let mut v: Vec<String> = parse_bulks(&c.cmd(&["KEYS", p]))
            .into_iter()
            .map(|b| String::from_utf8(b).unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        keys(&mut c, "h?llo"),
        ["h*llo", "h]llo", "hallo", "hello", "hxllo"]
    );
    assert_eq!(keys(&mut c, "h*llo").len(), 7);
    assert_eq!(keys(&mut c, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(
        keys(&mut c, "h[^e]llo"),
        ["h*llo", "h]llo", "hallo", "hxllo"]
    );
    assert_eq!(keys(&mut c, "h[a-b]llo"), ["hallo"]);
    assert_eq!(keys(&mut c, "h[\\]]llo"), ["h]llo"]);
    assert_eq!(keys(&mut c, "h\\*llo"), ["h*llo"]);
    assert_eq!(keys(&mut c, "[a-"), ["-", "a"]);
    assert_eq!(keys(&mut c, "nomatch*"), Vec::<String>::new());
}

#[test]
fn scan_sees_every_stable_key_while_keyspace_changes() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    let mut batch = Vec::new();
    for i in 0..1000 {
        batch.extend(encode_cmd(&[b"SET", format!("stay:{i}").as_bytes(), b"v"]));
    }
    c.send_raw(&batch);
    for _ in 0..1000 {
        c.read_reply();
    }
    check(
        &mut c,
        &["SCAN", "0", "COUNT", "0"],
        "-ERR syntax error\r\n",
    );
    check(&mut c, &["SCAN", "abc"], "-ERR invalid cursor\r\n");
    check(&mut c, &["SCAN", "0", "FOO"], "-ERR syntax error\r\n");
    check(&mut c, &["SCAN", "0", "TYPE"], "-ERR syntax error\r\n");
    check(
        &mut c,
        &["SCAN", "18446744073709551616"],
        "-ERR invalid cursor\r\n",
    );
    check(
        &mut c,
        &["SCAN", "0", "COUNT", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let r = c.cmd(&["SCAN", &cursor, "COUNT", "20"]);
        let bulks = parse_bulks(&r);
        cursor = String::from_utf8(bulks[0].clone()).unwrap();
        for k in &bulks[1..] {
            seen.insert(k.clone());
        }
        round += 1;
        // Grow (forcing rehashes) during the first part of the scan, then shrink.
        let mut batch = Vec::new();
        if round < 30 {
            for j in 0..200 {
                batch.extend(encode_cmd(&[
                    b"SET",
                    format!("tmp:{round}:{j}").as_bytes(),
                    b"v",
                ]));
            }
        } else if round < 60 {
            for j in 0..200 {
                batch.extend(encode_cmd(&[
                    b"DEL",
                    format!("tmp:{}:{j}", round - 30).as_bytes(),
                ]));
            }
        }
        if !batch.is_empty() {
            c.send_raw(&batch);
            for _ in 0..200 {
                c.read_reply();
            }
        }
        if cursor == "0" {
            break;
        }
        assert!(round < 100_000, "scan did not terminate");
    }
    for i in 0..1000 {
        assert!(
            seen.contains(format!("stay:{i}").as_bytes()),
            "SCAN missed stay:{i}"
        );
    }
    // MATCH and TYPE filters.
    let r = c.cmd(&["SCAN", "0", "MATCH", "stay:99?", "COUNT", "100000"]);
    let mut got: Vec<Vec<u8>> = parse_bulks(&r)[1..].to_vec();
    got.sort();
    assert_eq!(got.len(), 10);
    let r = c.cmd(&["SCAN", "0", "TYPE", "list", "COUNT", "100000"]);
    assert_eq!(parse_bulks(&r).len(), 1, "TYPE list matches nothing");
}

#[test]
fn debug_is_gated() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    check(&mut c, &["DEBUG", "DIGEST"], &c_debug_refusal());
    let srv = start_oxidis(&["--enable-debug-command", "local"]);
    let mut c = srv.conn();
    check(
        &mut c,
        &["DEBUG", "DIGEST"],
        &format!("+{}\r\n", "0".repeat(40)),
    );
    check(
        &mut c,
        &["DEBUG", "FOO"],
        "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.\r\n",
    );
    check(
        &mut c,
        &["DEBUG", "POPULATE", "-1"],
        "-ERR value is out of range, must be positive\r\n",
    );
    check(&mut c, &["DEBUG", "POPULATE", "3"], "+OK\r\n");
    check(&mut c, &["DBSIZE"], ":3\r\n");
    check(&mut c, &["GET", "key:2"], "$7\r\nvalue:2\r\n");
    check(&mut c, &["DEBUG", "POPULATE", "2", "p", "10"], "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "p:1"]), b"$10\r\nvalue:1\0\0\0\r\n");
    check(
        &mut c,
        &["DEBUG", "OBJECT", "nokey"],
        "-ERR no such key\r\n",
    );
    check(&mut c, &["SET", "i", "1"], "+OK\r\n");
    let o = c.s(&["DEBUG", "OBJECT", "i"]);
    assert!(o.starts_with("+Value at:0x"), "{o}");
    assert!(
        o.contains(" refcount:2147483647 encoding:int serializedlength:2 lru:"),
        "{o}"
    );
    assert!(o.ends_with(" lru_seconds_idle:0\r\n"), "{o}");
    check(&mut c, &["DEBUG", "SLEEP", "0"], "+OK\r\n");
    check(
        &mut c,
        &["DEBUG", "DIGEST-VALUE", "nokey"],
        &format!("*1\r\n+{}\r\n", "0".repeat(40)),
    );
}

/// Commands whose replies must be byte-identical on oxidis and Redis 7.0 (deterministic: no
/// key order, no pointers, no timing races).
const DIFF_SCRIPT: &str = r#"
set a 1
set b hello
get a
set k v ex 100 ex 200
ttl k
set k v px 9223372036854775807
set k v exat 9223372036854775
incrbyfloat f 12345.6789
incrbyfloat f 0.1
incrbyfloat g 1.5e1
incrbyfloat g 0.0001
incrbyfloat g -100.25
append ap hello
append ap " world"
object encoding ap
setrange sr 3 xyz
get sr
object encoding sr
set big 123456789012
object encoding big
object refcount big
set small 42
object refcount small
getrange ap -5 -1
getrange ap 3 1
mset m1 1 m2 2 m3 3
msetnx m1 x n1 y
mget m1 m2 m3 n1
incr m1
incrby m2 100
decrby m3 7
object encoding m3
expire m1 100 gt
expire m1 100 xx
expire m1 100 nx
ttl m1
copy m1 m1copy
ttl m1copy
copy m1 m1 db 2
move m2 3
swapdb 2 3
rename sr sr2
getex sr2 ex 500
exists sr2 sr2 sr
type sr2
del nothing m3
setex vol 300 val
psetex vol2 300000 val
set neg -7
set float 3.25
set sp "a b"
debug digest
debug digest-value a b f ap vol nokey
object help
object freq a
object foo
scan 0 count 0
debug populate x
debug protocol string
debug protocol integer
debug protocol double
debug protocol bignum
debug protocol null
debug protocol array
debug protocol set
debug protocol map
debug protocol attrib
debug protocol verbatim
debug protocol true
debug protocol false
debug protocol foo
debug jmap
select 2
debug digest-value m1
select 3
get m2
debug digest
flushdb
debug digest
"#;

#[test]
fn same_replies_and_digest_as_real_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping the differential test");
        return;
    }
    let ox = start_oxidis(&["--enable-debug-command", "yes"]);
    let rd = start_redis(&["--enable-debug-command", "yes"]);
    let mut a = ox.conn();
    let mut b = rd.conn();
    for line in DIFF_SCRIPT.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let args = oxidis::util::split_args(line.as_bytes()).unwrap();
        let args: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let ra = a.cmd_bin(&args);
        let rb = b.cmd_bin(&args);
        assert_eq!(
            String::from_utf8_lossy(&ra),
            String::from_utf8_lossy(&rb),
            "reply to `{line}` differs (left: oxidis, right: redis)"
        );
    }
}

#[test]
fn glob_matches_real_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping the glob differential test");
        return;
    }
    let ox = start_oxidis(&[]);
    let rd = start_redis(&[]);
    let mut a = ox.conn();
    let mut b = rd.conn();
    // Deterministic pseudo-random keys and patterns over glob metacharacters.
    let mut x = 0x2545F4914F6CDD1Du64;
    let mut rnd = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    const ALPHA: &[u8] = b"ab-]^\\*?[";
    let word = |max: u64, min: u64, rnd: &mut dyn FnMut(u64) -> u64| -> Vec<u8> {
        let len = min + rnd(max - min + 1);
        (0..len)
            .map(|_| ALPHA[rnd(ALPHA.len() as u64) as usize])
            .collect()
    };
    let mut keys = Vec::new();
    for _ in 0..200 {
        keys.push(word(5, 0, &mut rnd));
    }
    for c in [&mut a, &mut b] {
        let mut batch = Vec::new();
        for k in &keys {
            batch.extend(encode_cmd(&[b"SET", k, b"1"]));
        }
        c.send_raw(&batch);
        for _ in &keys {
            c.read_reply();
        }
    }
    for _ in 0..1500 {
        let p = word(7, 1, &mut rnd);
        let mut ka = parse_bulks(&a.cmd_bin(&[b"KEYS", &p]));
        let mut kb = parse_bulks(&b.cmd_bin(&[b"KEYS", &p]));
        ka.sort();
        kb.sort();
        assert_eq!(ka, kb, "KEYS {:?}", String::from_utf8_lossy(&p));
    }
}
