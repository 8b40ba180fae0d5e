//! Black-box tests of the generic key commands, expiry and DEBUG: exact reply bytes
//! (including error texts), lazy and active expiry, KEYS glob patterns (also against a real
//! redis-server), SCAN guarantees under concurrent changes, and the DEBUG gate.
mod common;
use common::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};

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
