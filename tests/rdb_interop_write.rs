//! Interop, oxidis → Redis: a dump written by oxidis passes `redis-check-rdb` and loads in a
//! real redis-server 7.0 with every key, type, value, TTL and encoding intact.
//!
//! The dataset (every type in its small and large encodings: listpack/intset and
//! hashtable/skiplist/multi-node quicklist; TTLs; several databases) is built by running
//! commands against an in-process `Server`. `library_save_loads_in_redis` then writes it with
//! `oxidis::rdb::save` (rdbcompression and rdbchecksum yes, then both no);
//! `save_command_dump_loads_in_redis` has a running oxidis write it with SAVE. In both, every key is read back from redis-server with
//! commands whose replies are deterministic (HMGET/SMISMEMBER in a fixed order rather than
//! HGETALL/SMEMBERS) and compared byte for byte with oxidis's replies; PTTL within a tolerance.
mod common;

use common::*;
use oxidis::config::Config;
use oxidis::db::{Value, NO_EXPIRE};
use oxidis::dispatch::execute;
use oxidis::rdb::SaveInfo;
use oxidis::server::client::Client;
use oxidis::server::Server;
use std::path::Path;
use std::process::Command;

/// PTTL may differ by the time between saving and reading back.
const TTL_TOLERANCE_MS: i64 = 10_000;

fn s(v: impl ToString) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// The dataset, as commands (SELECT switches databases).
fn dataset() -> Vec<Vec<Vec<u8>>> {
    let mut c: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut cmd = |parts: Vec<Vec<u8>>| c.push(parts);
    let w = |t: &str| t.as_bytes().to_vec();
    // Database 0: strings of every shape.
    let strings: Vec<Vec<u8>> = vec![
        w("0"),
        w("12"),
        w("-1"),
        w("-128"),
        w("32768"),
        w("-2147483648"),
        w("2147483648"),
        w("9223372036854775807"),
        w("-9223372036854775808"),
        w("012"),
        w(""),
        w("hello"),
        b"bin\x00\xff\r\n".to_vec(),
        w("3.14159"),
        "abc".repeat(100).into_bytes(),
        (0..100_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect(),
        "x".repeat(70_000).into_bytes(),
    ];
    for (i, v) in strings.into_iter().enumerate() {
        cmd(vec![w("SET"), s(format!("str:{i}")), v]);
    }
    cmd(vec![w("SET"), w("ttl:str"), w("v"), w("PX"), w("3600000")]);
    cmd(vec![
        w("SET"),
        w("ttl:far"),
        w("v"),
        w("EXAT"),
        w("4102444800"),
    ]);
    cmd(vec![w("APPEND"), w("raw"), w("12")]);
    cmd(vec![w("INCRBYFLOAT"), w("float"), w("1.5")]);
    // HyperLogLogs (strings in Redis's format): sparse, sparse with a cached count, dense.
    // Over 44 bytes: PFADD leaves short ones raw, loading makes them embstr (in both servers).
    let members: Vec<Vec<u8>> = (0..20).map(|i| s(format!("m{i}"))).collect();
    for k in ["hll:sparse", "hll:cached"] {
        cmd([vec![w("PFADD"), w(k)], members.clone()].concat());
    }
    cmd(vec![w("PFCOUNT"), w("hll:cached")]);
    let mut big = vec![w("PFADD"), w("hll:dense")];
    big.extend((0..3000).map(|i| s(format!("e{i}"))));
    cmd(big);

    // Lists: one node, several nodes, long elements, a TTL.
    cmd(vec![
        w("RPUSH"),
        w("list:small"),
        w("a"),
        w("1"),
        w("-5"),
        w("100000"),
        w(""),
    ]);
    let mut big = vec![w("RPUSH"), w("list:big")];
    big.extend((0..3000).map(|i| s(format!("element-{i}"))));
    cmd(big);
    let mut ints = vec![w("RPUSH"), w("list:ints")];
    ints.extend((0..2000i64).map(|i| s(i * 7919 - 5_000_000)));
    cmd(ints);
    let mut long = vec![w("LPUSH"), w("list:long")];
    long.extend((0..50).map(|i| s(format!("{i}-{}", "z".repeat(1000)))));
    cmd(long);
    cmd(vec![w("EXPIRE"), w("list:long"), w("7200")]);

    // Hashes: listpack, hashtable by count, hashtable by value length.
    cmd(vec![
        w("HSET"),
        w("hash:small"),
        w("f"),
        w("v"),
        w("n"),
        w("12"),
        w("neg"),
        w("-7"),
    ]);
    let mut hb = vec![w("HSET"), w("hash:big")];
    for i in 0..600 {
        hb.push(s(format!("field:{i}")));
        hb.push(s(i * 3));
    }
    cmd(hb);
    cmd(vec![
        w("HSET"),
        w("hash:longval"),
        w("f"),
        "v".repeat(100).into_bytes(),
    ]);
    cmd(vec![w("PEXPIRE"), w("hash:small"), w("5000000")]);

    // Sets: intsets of 16/32/64-bit members, hashtable by content and by count.
    cmd(vec![w("SADD"), w("set:i16"), w("3"), w("-2"), w("1")]);
    cmd(vec![w("SADD"), w("set:i32"), w("70000"), w("-1")]);
    cmd(vec![
        w("SADD"),
        w("set:i64"),
        w("-9223372036854775808"),
        w("5"),
    ]);
    let mut si = vec![w("SADD"), w("set:intbig")];
    si.extend((0..400).map(|i| s(i * 13)));
    cmd(si);
    cmd(vec![w("SADD"), w("set:str"), w("a"), w("b"), w("1")]);
    let mut sb = vec![w("SADD"), w("set:big")];
    sb.extend((0..1000).map(s));
    cmd(sb);

    // Sorted sets: listpack with every kind of score, skiplist by count and by length.
    cmd(vec![
        w("ZADD"),
        w("zset:small"),
        w("1"),
        w("a"),
        w("1.5"),
        w("b"),
        w("-2"),
        w("c"),
        w("inf"),
        w("d"),
        w("0.1"),
        w("e"),
        w("-inf"),
        w("f"),
        w("1e20"),
        w("g"),
    ]);
    let mut zb = vec![w("ZADD"), w("zset:big")];
    for i in 0..500 {
        zb.push(s(format!("{}", (i as f64) * 0.37 - 50.0)));
        zb.push(s(format!("m{i}")));
    }
    cmd(zb);
    cmd(vec![
        w("ZADD"),
        w("zset:longmember"),
        w("1"),
        "m".repeat(80).into_bytes(),
        w("2"),
        w("x"),
    ]);
    cmd(vec![w("EXPIRE"), w("zset:big"), w("9000")]);

    // Streams: one node, several nodes with tombstones, an empty one, one with a TTL.
    cmd(vec![
        w("XADD"),
        w("stream:small"),
        w("1-1"),
        w("a"),
        w("1"),
        w("b"),
        w("2"),
    ]);
    cmd(vec![
        w("XADD"),
        w("stream:small"),
        w("1-2"),
        w("a"),
        w("3"),
        w("c"),
        w("-7"),
    ]);
    for i in 0..400u64 {
        let v = "q".repeat((i % 70) as usize);
        cmd(vec![
            w("XADD"),
            w("stream:big"),
            s(format!("{}-{}", 100 + i / 3, i % 3)),
            s(format!("f{}", i % 5)),
            s(v),
        ]);
    }
    for id in ["100-0", "150-1", "233-0"] {
        cmd(vec![w("XDEL"), w("stream:big"), w(id)]);
    }
    cmd(vec![
        w("XADD"),
        w("stream:empty"),
        w("MAXLEN"),
        w("0"),
        w("9-9"),
        w("a"),
        w("b"),
    ]);
    cmd(vec![w("XADD"), w("stream:ttl"), w("1-1"), w("a"), w("b")]);
    cmd(vec![w("EXPIRE"), w("stream:ttl"), w("9000")]);

    // Other databases.
    cmd(vec![w("SELECT"), w("3")]);
    cmd(vec![w("SET"), w("db3:key"), w("three")]);
    cmd(vec![w("RPUSH"), w("db3:list"), w("x"), w("y")]);
    cmd(vec![w("SET"), w("db3:ttl"), w("t"), w("EX"), w("1000")]);
    cmd(vec![w("SELECT"), w("15")]);
    cmd(vec![w("HSET"), w("db15:hash"), w("a"), w("b")]);
    cmd(vec![w("ZADD"), w("db15:zset"), w("5"), w("five")]);
    cmd(vec![w("SELECT"), w("0")]);
    c
}

/// An in-process server holding the dataset.
fn populated() -> (Server, Client) {
    let mut srv = Server::new(Config::default(), oxidis::cmd::all_commands());
    let mut c = Client::new(1, 0, None, srv.now_ms);
    for mut args in dataset() {
        let r = execute(&mut srv, &mut c, &mut args);
        assert!(
            !r.is_error(),
            "{:?} -> {r:?}",
            String::from_utf8_lossy(&args[0])
        );
    }
    (srv, c)
}

/// Read-back commands for one key whose replies are deterministic on both servers.
fn checks(key: &[u8], v: &Value) -> Vec<Vec<Vec<u8>>> {
    let k = key.to_vec();
    let mut out = vec![
        vec![s("TYPE"), k.clone()],
        vec![s("OBJECT"), s("ENCODING"), k.clone()],
    ];
    match v {
        Value::Str(..) => out.push(vec![s("GET"), k]),
        Value::Stream(_) => out.push(vec![
            s("XINFO"),
            s("STREAM"),
            k,
            s("FULL"),
            s("COUNT"),
            s(0),
        ]),
        Value::List(_) => {
            out.push(vec![s("LLEN"), k.clone()]);
            out.push(vec![s("LRANGE"), k, s(0), s(-1)]);
        }
        Value::Hash(h) => {
            let mut fields: Vec<Vec<u8>> = h.iter().map(|(f, _)| f.to_vec()).collect();
            fields.sort();
            out.push(vec![s("HLEN"), k.clone()]);
            let mut c = vec![s("HMGET"), k];
            c.extend(fields);
            out.push(c);
        }
        Value::Set(st) => {
            let mut members = st.members();
            members.sort();
            out.push(vec![s("SCARD"), k.clone()]);
            let mut c = vec![s("SMISMEMBER"), k];
            c.extend(members);
            out.push(c);
        }
        Value::ZSet(_) => {
            out.push(vec![s("ZCARD"), k.clone()]);
            out.push(vec![s("ZRANGE"), k, s(0), s(-1), s("WITHSCORES")]);
        }
    }
    out
}

/// Every (db, key, expire_at, checks) of a keyspace.
type KeyChecks = (usize, Vec<u8>, i64, Vec<Vec<Vec<u8>>>);

fn all_checks(srv: &Server) -> Vec<KeyChecks> {
    let mut out = Vec::new();
    for (db, d) in srv.role.keyspace.dbs.iter().enumerate() {
        for (k, e) in d.dict.iter() {
            out.push((db, k.to_vec(), e.expire_at, checks(k, &e.value)));
        }
    }
    out
}

fn run_local(srv: &mut Server, c: &mut Client, args: &[Vec<u8>]) -> Vec<u8> {
    let mut a = args.to_vec();
    let r = execute(srv, c, &mut a);
    let mut out = Vec::new();
    oxidis::resp::encode::encode(&mut out, &r, 2);
    out
}

fn refs(args: &[Vec<u8>]) -> Vec<&[u8]> {
    args.iter().map(|a| &a[..]).collect()
}

fn int_reply(r: &[u8]) -> i64 {
    let t = String::from_utf8_lossy(r);
    t.trim_start_matches(':').trim().parse().unwrap_or(i64::MIN)
}

/// Compare every key of the dataset on `redis` with `expected` (a function giving oxidis's
/// reply to a command in a database); also DBSIZE per database and PTTL.
fn compare(
    redis: &mut Conn,
    keys: &[KeyChecks],
    mut expected: impl FnMut(usize, &[Vec<u8>]) -> Vec<u8>,
) {
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for db in 0..16 {
        redis.cmd(&["SELECT", &db.to_string()]);
        let want = keys.iter().filter(|k| k.0 == db).count();
        let got = int_reply(&redis.cmd(&["DBSIZE"]));
        if got != want as i64 {
            mismatches.push(format!("db {db}: DBSIZE {got}, want {want}"));
        }
    }
    for (db, key, expire_at, cmds) in keys {
        redis.cmd(&["SELECT", &db.to_string()]);
        for c in cmds {
            let got = redis.cmd_bin(&refs(c));
            let want = expected(*db, c);
            compared += 1;
            if got != want {
                mismatches.push(format!(
                    "db {db} {:?}: redis {:?}, oxidis {:?}",
                    String::from_utf8_lossy(&c.join(&b' ')),
                    String::from_utf8_lossy(&got[..got.len().min(200)]),
                    String::from_utf8_lossy(&want[..want.len().min(200)]),
                ));
            }
        }
        let pttl = int_reply(&redis.cmd_bin(&[b"PTTL", key]));
        if *expire_at == NO_EXPIRE {
            if pttl != -1 {
                mismatches.push(format!("{key:?}: PTTL {pttl}, want -1"));
            }
        } else {
            let want = expire_at - oxidis::util::now_ms();
            if (pttl - want).abs() > TTL_TOLERANCE_MS {
                mismatches.push(format!(
                    "{}: PTTL {pttl}, want about {want}",
                    String::from_utf8_lossy(key)
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        compared >= 3 * keys.len(),
        "only {compared} replies compared"
    );
}

fn check_rdb(path: &Path) {
    let out = Command::new("redis-check-rdb")
        .arg(path)
        .output()
        .expect("run redis-check-rdb");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("RDB looks OK"),
        "redis-check-rdb failed on {}:\n{text}",
        path.display()
    );
}

/// Start a real redis-server on the dump at `dir/file`.
fn redis_on(dir: tempfile::TempDir, file: &str) -> Proc {
    let port = free_port();
    let mut cmd = Command::new("redis-server");
    cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir.path())
        .args(["--dbfilename", file]);
    spawn_ready(cmd, dir, port)
}

#[test]
fn library_save_loads_in_redis() {
    if !have_redis() {
        return;
    }
    let (mut srv, mut client) = populated();
    let keys = all_checks(&srv);
    assert!(keys.len() > 40);
    // rdbcompression yes with rdbchecksum yes; both off (a zero CRC trailer).
    for (compress, checksum) in [(true, true), (false, false)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("oxidis.rdb");
        let info = SaveInfo {
            ctime: oxidis::util::now_ms() / 1000,
            used_mem: 1 << 20,
            repl_id: "0".repeat(40),
            repl_offset: 0,
            repl_stream_db: -1,
            compress,
            checksum,
            key_save_delay_us: 0,
            functions: Vec::new(),
        };
        let f = std::fs::File::create(&path).expect("create dump");
        oxidis::rdb::save(&srv.role.keyspace, f, &info).expect("save");
        check_rdb(&path);
        let redis = redis_on(dir, "oxidis.rdb");
        let mut conn = redis.conn();
        compare(&mut conn, &keys, |db, c| {
            run_local(&mut srv, &mut client, &[s("SELECT"), s(db)]);
            run_local(&mut srv, &mut client, c)
        });
        // Larger values really were written in their large encodings.
        conn.cmd(&["SELECT", "0"]);
        for (k, enc) in [
            ("list:big", "quicklist"),
            ("hash:big", "hashtable"),
            ("set:big", "hashtable"),
            ("zset:big", "skiplist"),
            ("hash:small", "listpack"),
            ("set:i64", "intset"),
            ("zset:small", "listpack"),
        ] {
            let got = conn.cmd(&["OBJECT", "ENCODING", k]);
            assert!(
                got.ends_with(format!("{enc}\r\n").as_bytes()),
                "{k}: {got:?}"
            );
        }
    }
}

#[test]
fn save_command_dump_loads_in_redis() {
    if !have_redis() {
        return;
    }
    let (srv, _) = populated();
    let keys = all_checks(&srv);
    let ox = start_oxidis(&["--rdbcompression", "no", "--dbfilename", "saved.rdb"]);
    let mut oc = ox.conn();
    for c in dataset() {
        let r = oc.cmd_bin(&refs(&c));
        assert!(!r.starts_with(b"-"), "{:?}", String::from_utf8_lossy(&r));
    }
    let r = oc.cmd(&["SAVE"]);
    assert_eq!(r, b"+OK\r\n", "SAVE: {:?}", String::from_utf8_lossy(&r));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("saved.rdb");
    std::fs::copy(ox.path("saved.rdb"), &path).expect("oxidis wrote saved.rdb in its dir");
    check_rdb(&path);
    let redis = redis_on(dir, "saved.rdb");
    let mut rc = redis.conn();
    compare(&mut rc, &keys, |db, c| {
        oc.cmd(&["SELECT", &db.to_string()]);
        oc.cmd_bin(&refs(c))
    });
}
