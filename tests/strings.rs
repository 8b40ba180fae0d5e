//! Black-box tests of the string commands: exact reply bytes (including error texts) of
//! SET/GET and their options, GETEX, counters and floats, APPEND/ranges/encodings, and a
//! differential run of string and generic key commands against a real redis-server (same
//! replies, same DEBUG DIGEST).
mod common;
use common::*;

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
