//! Interop, Redis -> oxidis: a real redis-server is filled through the protocol (every type,
//! small and large so listpack/intset and hashtable/skiplist/multi-node quicklist encodings
//! appear, TTLs, three databases), SAVEs, and its dump is then
//! - loaded with `oxidis::rdb::load` and every key compared with what redis-server replies
//!   (type, value, TTL, OBJECT ENCODING), and
//! - loaded by an oxidis server started on that file (`--dir D --dbfilename F`), and every key
//!   compared through the protocol with the same replies.
mod common;
mod rdb_util;

use common::{have_redis, start_oxidis, start_redis, Conn};
use oxidis::config::EncLimits;
use oxidis::db::NO_EXPIRE;
use rdb_util::{plain, Plain};

const DBS: [usize; 3] = [0, 2, 5];

/// Parse one RESP2 reply: a flat list of its bulk/simple/integer items (nil as empty).
fn items(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < raw.len() {
        let end = p + raw[p..].windows(2).position(|w| w == b"\r\n").unwrap();
        let line = &raw[p + 1..end];
        let n: i64 = std::str::from_utf8(line)
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        match raw[p] {
            b'$' if n >= 0 => {
                let s = end + 2;
                out.push(raw[s..s + n as usize].to_vec());
                p = s + n as usize + 2;
            }
            b'+' | b':' => {
                out.push(line.to_vec());
                p = end + 2;
            }
            _ => p = end + 2,
        }
    }
    out
}

fn text(raw: &[u8]) -> String {
    String::from_utf8_lossy(&items(raw).concat()).into_owned()
}

/// Fill `c` with the dataset; returns nothing, the server is the reference.
fn populate(c: &mut Conn) {
    let far = "4102444800000";
    let mut pipe: Vec<Vec<String>> = Vec::new();
    let mut add = |args: Vec<String>| pipe.push(args);
    let s = |x: &str| x.to_string();
    for &db in &DBS {
        add(vec![s("SELECT"), db.to_string()]);
        let p = format!("d{db}:");
        add(vec![s("SET"), format!("{p}int"), s("-123456789")]);
        add(vec![s("SET"), format!("{p}str"), s("hello world")]);
        add(vec![s("SET"), format!("{p}long"), "xyz".repeat(100)]);
        add(vec![
            s("SET"),
            format!("{p}ttl"),
            s("t"),
            s("EX"),
            s("5000"),
        ]);
        add(vec![s("SET"), format!("{p}pttl"), s("t")]);
        add(vec![s("PEXPIREAT"), format!("{p}pttl"), s(far)]);
        for args in streams(&p) {
            add(args);
        }
        add(vec![s("RPUSH"), format!("{p}list"), s("a"), s("b"), s("3")]);
        let mut big = vec![s("RPUSH"), format!("{p}biglist")];
        big.extend((0..2000).map(|i| format!("element-{i}-{}", "p".repeat(i % 40))));
        add(big);
        add(vec![
            s("SADD"),
            format!("{p}iset"),
            s("1"),
            s("-2"),
            s("300000"),
        ]);
        let mut big = vec![s("SADD"), format!("{p}bigiset")];
        big.extend((0..1000).map(|i| (i * 7).to_string()));
        add(big);
        add(vec![s("SADD"), format!("{p}sset"), s("x"), s("y")]);
        let mut big = vec![s("SADD"), format!("{p}bigsset")];
        big.extend((0..1000).map(|i| format!("member{i}")));
        add(big);
        add(vec![
            s("HSET"),
            format!("{p}hash"),
            s("f"),
            s("v"),
            s("n"),
            s("5"),
        ]);
        let mut big = vec![s("HSET"), format!("{p}bighash")];
        for i in 0..800 {
            big.push(format!("field{i}"));
            big.push(format!("value{i}"));
        }
        add(big);
        add(vec![
            s("HSET"),
            format!("{p}widehash"),
            s("f"),
            "w".repeat(80),
        ]);
        add(vec![s("EXPIRE"), format!("{p}hash"), s("9000")]);
        add(vec![
            s("ZADD"),
            format!("{p}zset"),
            s("1.5"),
            s("a"),
            s("-inf"),
            s("b"),
            s("7"),
            s("c"),
        ]);
        let mut big = vec![s("ZADD"), format!("{p}bigzset")];
        for i in 0..500 {
            big.push(format!("{}", i as f64 / 3.0));
            big.push(format!("zm{i}"));
        }
        add(big);
        add(vec![
            s("ZADD"),
            format!("{p}widezset"),
            s("2"),
            "m".repeat(90),
        ]);
        add(vec![s("EXPIRE"), format!("{p}bigzset"), s("7000")]);
        // HyperLogLogs (strings): sparse with a stale cache, sparse with a fresh one, dense.
        // Over 44 bytes, so `raw` both live and after loading (PFADD leaves short ones raw,
        // loading makes them embstr, in Redis as in oxidis).
        let mut hll = vec![s("PFADD"), format!("{p}hll")];
        hll.extend((0..20).map(|i| format!("m{i}")));
        add(hll.clone());
        hll[1] = format!("{p}hllc");
        add(hll);
        add(vec![s("PFCOUNT"), format!("{p}hllc")]);
        let mut big = vec![s("PFADD"), format!("{p}hlldense")];
        big.extend((0..3000).map(|i| format!("e{i}")));
        add(big);
    }
    for a in &pipe {
        let r: Vec<&str> = a.iter().map(|x| x.as_str()).collect();
        let reply = c.cmd(&r);
        assert!(
            !reply.starts_with(b"-"),
            "{a:?}: {}",
            String::from_utf8_lossy(&reply)
        );
    }
}

/// Streams: small and multi-node, with tombstones, consumer groups, pending entries and
/// consumers, and an empty one.
fn streams(p: &str) -> Vec<Vec<String>> {
    let cmd = |t: &str| {
        t.split(' ')
            .map(|x| x.replace('@', p))
            .collect::<Vec<String>>()
    };
    let mut out: Vec<Vec<String>> = [
        "XADD @stream 1-1 a 1 b 2",
        "XADD @stream 1-2 a 3 b 4",
        "XADD @stream 5-0 c x",
        "XGROUP CREATE @stream g1 0",
        "XGROUP CREATE @stream g2 $",
        "XREADGROUP GROUP g1 alice COUNT 2 STREAMS @stream >",
        "XREADGROUP GROUP g1 bob COUNT 1 STREAMS @stream >",
        "XACK @stream g1 1-2",
        "XGROUP CREATECONSUMER @stream g2 carol",
        "XADD @empty 7-7 a b",
        "XDEL @empty 7-7",
    ]
    .iter()
    .map(|t| cmd(t))
    .collect();
    for i in 0..300 {
        let f = format!("f{}", i % 3);
        let v = format!("value-{i}-{}", "z".repeat(i % 50));
        out.push(vec![
            "XADD".into(),
            format!("{p}bigstream"),
            format!("{}-{}", 1000 + i / 7, i % 7),
            f,
            v,
        ]);
    }
    for i in [0, 5, 150, 299] {
        out.push(vec![
            "XDEL".into(),
            format!("{p}bigstream"),
            format!("{}-{}", 1000 + i / 7, i % 7),
        ]);
    }
    out
}

/// A stream as a DUMP payload without compression (normalised: both servers compress the same
/// bytes, but the test runs with and without `rdbcompression`).
fn stream_payload(raw: &[u8], key: &str) -> Plain {
    let v = oxidis::rdb::dump::decode(raw, &EncLimits::default(), key.as_bytes()).unwrap();
    Plain::Stream(oxidis::rdb::dump::payload(&v, false, -2))
}

/// What a server says about one key: type, encoding, PTTL, and the value as plain data.
fn describe(c: &mut Conn, key: &str) -> (String, String, i64, Plain) {
    let t = text(&c.cmd(&["TYPE", key]));
    let enc = text(&c.cmd(&["OBJECT", "ENCODING", key]));
    let pttl: i64 = text(&c.cmd(&["PTTL", key])).parse().unwrap();
    let v = match t.as_str() {
        "string" => Plain::Str(items(&c.cmd(&["GET", key])).remove(0)),
        "list" => Plain::List(items(&c.cmd(&["LRANGE", key, "0", "-1"]))),
        "set" => {
            let mut m = items(&c.cmd(&["SMEMBERS", key]));
            m.sort();
            Plain::Set(m)
        }
        "hash" => {
            let r = items(&c.cmd(&["HGETALL", key]));
            let mut p: Vec<_> = r.chunks(2).map(|x| (x[0].clone(), x[1].clone())).collect();
            p.sort();
            Plain::Hash(p)
        }
        "zset" => {
            let r = items(&c.cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]));
            Plain::ZSet(
                r.chunks(2)
                    .map(|x| {
                        (
                            x[0].clone(),
                            String::from_utf8_lossy(&x[1]).parse().unwrap(),
                        )
                    })
                    .collect(),
            )
        }
        "stream" => stream_payload(&items(&c.cmd(&["DUMP", key])).remove(0), key),
        other => panic!("unexpected type {other}"),
    };
    (t, enc, pttl, v)
}

fn keys(c: &mut Conn, db: usize) -> Vec<String> {
    c.cmd(&["SELECT", &db.to_string()]);
    let mut k: Vec<String> = items(&c.cmd(&["KEYS", "*"]))
        .into_iter()
        .map(|k| String::from_utf8(k).unwrap())
        .collect();
    k.sort();
    k
}

/// Start redis, fill it, SAVE; returns the server (still running) and the dump's path.
fn redis_with_dump(extra: &[&str]) -> (common::Proc, std::path::PathBuf) {
    let redis = start_redis(extra);
    let mut c = redis.conn();
    populate(&mut c);
    assert_eq!(text(&c.cmd(&["SAVE"])), "OK");
    let path = redis.path("dump.rdb");
    (redis, path)
}

/// Library level: `rdb::load` of Redis's dump equals what redis-server replies, key by key.
#[test]
fn redis_dump_loads_into_equal_keyspace() {
    if !have_redis() {
        return;
    }
    for compression in ["yes", "no"] {
        let (redis, path) = redis_with_dump(&["--rdbcompression", compression]);
        let mut c = redis.conn();
        let f = std::fs::File::open(&path).unwrap();
        let now = oxidis::util::now_ms();
        let mut opts = rdb_util::opts(EncLimits::default(), true);
        opts.now = now;
        let info = oxidis::rdb::load(f, opts).unwrap();
        let mut total = 0;
        for db in DBS {
            for k in keys(&mut c, db) {
                let (t, enc, pttl, want) = describe(&mut c, &k);
                let e = info.keyspace.dbs[db]
                    .dict
                    .get(k.as_bytes())
                    .unwrap_or_else(|| panic!("db {db} key {k} missing"));
                assert_eq!(e.value.type_name(), t, "{k}");
                assert_eq!(e.value.encoding(), enc, "{k}");
                assert_eq!(plain(&e.value), want, "{k}");
                if pttl < 0 {
                    assert_eq!(e.expire_at, NO_EXPIRE, "{k}");
                } else {
                    let ours = e.expire_at - now;
                    assert!((ours - pttl).abs() < 5000, "{k}: pttl {ours} vs {pttl}");
                }
                total += 1;
            }
        }
        assert_eq!(info.keyspace.total_keys(), total);
        assert!(total > 50);
    }
}

/// Server level: oxidis started on Redis's dump answers like redis-server for every key.
#[test]
fn oxidis_server_loads_redis_dump() {
    if !have_redis() {
        return;
    }
    let (redis, path) = redis_with_dump(&["--rdbcompression", "yes"]);
    let dir = path.parent().unwrap().display().to_string();
    let ox = start_oxidis(&["--dir", &dir, "--dbfilename", "dump.rdb"]);
    let mut rc = redis.conn();
    let mut oc = ox.conn();
    for db in DBS {
        let want = keys(&mut rc, db);
        assert_eq!(keys(&mut oc, db), want, "db {db}");
        for k in &want {
            let (t1, e1, p1, v1) = describe(&mut rc, k);
            let (t2, e2, p2, v2) = describe(&mut oc, k);
            assert_eq!((t2, e2, v2), (t1, e1, v1), "db {db} key {k}");
            assert_eq!(p1 < 0, p2 < 0, "{k}");
            assert!((p1 - p2).abs() < 5000, "{k}: pttl {p2} vs {p1}");
        }
    }
}

/// Files in the older layouts (built byte by byte as in `rdb_fixtures.rs`) are loaded by real
/// Redis 7.0 too: what it reports for every key (type, value, TTL, OBJECT ENCODING) must equal
/// what `rdb::load` builds, so the load-time encoding rules are Redis's, not guesses.
#[test]
fn legacy_layouts_load_like_redis() {
    use oxidis::rdb::consts::*;
    use rdb_util::*;
    if !have_redis() {
        return;
    }
    let long = vec![b'L'; 100];
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    // RDB 6: ziplist list/hash/zset, text-score zset, expiry in seconds.
    let mut r = Rdb::new(6);
    r.select(0)
        .expire_s(2_000_000_000)
        .key(TYPE_LIST_ZIPLIST, "zlist")
        .str(&ziplist(&[
            zl_str(b"a"),
            zl_str(&[b'b'; 300]),
            zl_int(7),
            zl_int(-70000),
            zl_int(1 << 40),
        ]));
    r.key(TYPE_HASH_ZIPLIST, "zhash").str(&ziplist(&[
        zl_str(b"f"),
        zl_int(1),
        zl_str(b"g"),
        zl_str(b"x"),
    ]));
    r.key(TYPE_HASH_ZIPLIST, "zhash-long")
        .str(&ziplist(&[zl_str(b"f"), zl_str(&long)]));
    r.key(TYPE_ZSET_ZIPLIST, "zzset").str(&ziplist(&[
        zl_str(b"n"),
        zl_int(-1),
        zl_str(b"m"),
        zl_str(b"2.5"),
    ]));
    r.key(TYPE_ZSET_ZIPLIST, "zzset-long")
        .str(&ziplist(&[zl_str(&long), zl_int(3)]));
    r.key(TYPE_ZSET, "tzset")
        .len(2)
        .str(b"a")
        .byte(3)
        .raw(b"1.5")
        .str(b"b")
        .byte(254);
    files.push(("v6", r.finish(true)));
    // RDB 3: zipmaps, short and with a long value.
    let mut r = Rdb::new(3);
    r.key(TYPE_HASH_ZIPMAP, "zm")
        .str(&zipmap(&[(b"a", b"1"), (b"b", b"2")]));
    r.key(TYPE_HASH_ZIPMAP, "zm-long")
        .str(&zipmap(&[(b"a", &long)]));
    r.key(TYPE_HASH_ZIPMAP, "zm-huge")
        .str(&zipmap(&[(b"a", &[b'h'; 300])]));
    files.push(("v3", r.finish(false)));
    // RDB 9: quicklist v1, IDLE and FREQ.
    let mut r = Rdb::new(9);
    r.key(TYPE_LIST_QUICKLIST, "ql").len(2);
    r.str(&ziplist(&[zl_str(b"a"), zl_int(1)]));
    r.lzf_str(&ziplist(&[zl_str(&[b'c'; 100]), zl_str(b"d")]));
    r.byte(248).len(50).key(TYPE_STRING, "idle").str(b"v");
    r.byte(249).byte(3).key(TYPE_STRING, "freq").int_str(-300);
    files.push(("v9", r.finish(true)));
    // RDB 10: plain types, intsets, quicklist 2, listpacks over the value limit.
    let mut r = Rdb::new(10);
    r.key(TYPE_LIST, "plist").len(2).str(b"x").int_str(5);
    r.key(TYPE_SET, "pset-ints")
        .len(3)
        .str(b"3")
        .int_str(-1)
        .str(b"2");
    r.key(TYPE_SET, "pset-strs").len(2).str(b"3").str(b"b");
    r.key(TYPE_HASH, "phash").len(1).str(b"f").str(b"v");
    r.key(TYPE_HASH, "phash-long").len(1).str(b"f").str(&long);
    r.key(TYPE_ZSET_2, "pzset")
        .len(1)
        .str(b"m")
        .raw(&2.5f64.to_le_bytes());
    r.key(TYPE_ZSET_2, "pzset-long")
        .len(1)
        .str(&long)
        .raw(&1f64.to_le_bytes());
    r.key(TYPE_SET_INTSET, "is8")
        .str(&intset(8, &[i64::MIN, 0, i64::MAX]));
    r.key(TYPE_SET_INTSET, "is-big")
        .str(&intset(2, &(0..600).collect::<Vec<_>>()));
    r.key(TYPE_LIST_QUICKLIST_2, "ql2").len(2).len(2);
    r.str(&listpack(&[lp_str(b"a"), lp_int(-5000), lp_int(1 << 33)]));
    r.len(1).str(&[b'P'; 3000]);
    r.key(TYPE_HASH_LISTPACK, "lphash-long")
        .str(&listpack(&[lp_str(b"f"), lp_str(&long)]));
    r.key(TYPE_ZSET_LISTPACK, "lpzset-long")
        .str(&listpack(&[lp_str(&long), lp_int(1)]));
    files.push(("v10", r.finish(true)));

    for (name, bytes) in files {
        let dir = tempfile::tempdir().unwrap();
        let file = format!("{name}.rdb");
        std::fs::write(dir.path().join(&file), &bytes).unwrap();
        let d = dir.path().display().to_string();
        let redis = start_redis(&["--dir", &d, "--dbfilename", &file]);
        let mut c = redis.conn();
        let now = oxidis::util::now_ms();
        let mut o = opts(EncLimits::default(), true);
        o.now = now;
        let info = oxidis::rdb::load(&bytes[..], o).unwrap();
        let want = keys(&mut c, 0);
        assert_eq!(want.len(), info.keyspace.total_keys(), "{name}: {want:?}");
        // Before any command touches the key.
        let redis_idle: i64 = text(&c.cmd(&["OBJECT", "IDLETIME", "idle"]))
            .parse()
            .unwrap_or(-1);
        for k in want {
            let (t, enc, pttl, v) = describe(&mut c, &k);
            let e = info.keyspace.dbs[0].dict.get(k.as_bytes()).unwrap();
            assert_eq!(
                (e.value.type_name(), e.value.encoding(), plain(&e.value)),
                (t.as_str(), enc.as_str(), v),
                "{name} key {k}"
            );
            assert_eq!(e.expire_at == NO_EXPIRE, pttl < 0, "{name} key {k}");
            if k == "idle" {
                let ours = now / 1000 - e.access as i64;
                assert!(
                    (redis_idle - ours).abs() <= 2,
                    "idle {ours} vs {redis_idle}"
                );
            }
        }
    }
}
