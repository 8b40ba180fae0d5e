//! Generator templates for the string commands and the type-agnostic key commands (DEL,
//! EXISTS, expiry, RENAME, COPY, KEYS, SCAN, OBJECT, DEBUG), in their original order.
use super::*;

/// String templates, then generic key templates.
pub(super) fn templates() -> Vec<Template> {
    vec![
        // ---- strings
        t("set", 4, |g| {
            let mut a = v!["SET", g.key(), g.value()];
            if g.rng.chance(20) {
                a.push(g.one_of(&["NX", "XX"]));
            }
            if g.rng.chance(20) {
                a.push("GET".into());
            }
            if g.rng.chance(15) {
                a.push(g.one_of(&["KEEPTTL", "EX"]));
                if a.last().is_some_and(|x| x == "EX") {
                    a.push(g.p(TTLS));
                }
            }
            exact(a)
        }),
        t("get", 3, |g| exact(v!["GET", g.key()])),
        t("getset", 1, |g| exact(v!["GETSET", g.key(), g.value()])),
        t("getdel", 1, |g| exact(v!["GETDEL", g.key()])),
        t("getex", 1, |g| {
            let mut a = v!["GETEX", g.key()];
            if g.rng.chance(50) {
                a.push("PERSIST".into());
            } else if g.rng.chance(50) {
                a.push("EX".into());
                a.push(g.p(TTLS));
            }
            exact(a)
        }),
        t("mget", 1, |g| {
            let mut a = v!["MGET"];
            a.extend(g.keys(4));
            exact(a)
        }),
        t("mset", 1, |g| {
            exact(v!["MSET", g.key(), g.value(), g.key(), g.value()])
        }),
        t("msetnx", 1, |g| {
            exact(v!["MSETNX", g.key(), g.value(), g.key(), g.value()])
        }),
        t("setnx", 1, |g| exact(v!["SETNX", g.key(), g.value()])),
        t("setex", 1, |g| {
            exact(v!["SETEX", g.key(), g.p(TTLS), g.value()])
        }),
        t("append", 2, |g| exact(v!["APPEND", g.key(), g.member()])),
        t("strlen", 1, |g| exact(v!["STRLEN", g.key()])),
        t("incr", 2, |g| exact(v!["INCR", g.key()])),
        t("decr", 1, |g| exact(v!["DECR", g.key()])),
        t("incrby", 2, |g| exact(v!["INCRBY", g.key(), g.p(INTS)])),
        t("decrby", 1, |g| exact(v!["DECRBY", g.key(), g.p(INTS)])),
        t("incrbyfloat", 2, |g| {
            exact(v!["INCRBYFLOAT", g.key(), g.p(FLOATS)])
        }),
        t("getrange", 1, |g| {
            exact(v!["GETRANGE", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("substr", 1, |g| {
            exact(v!["SUBSTR", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("setrange", 1, |g| {
            let off = g.one_of(&["0", "1", "3", "10", "-1", "abc"]);
            exact(v!["SETRANGE", g.key(), off, g.member()])
        }),
        t("lcs", 1, |g| {
            let mut a = v!["LCS", g.key(), g.key()];
            if g.rng.chance(30) {
                a.push("LEN".into());
            } else if g.rng.chance(30) {
                a.extend(v!["IDX", "MINMATCHLEN", "1", "WITHMATCHLEN"]);
            }
            exact(a)
        }),
        t("setbit", 1, |g| {
            let off = g.one_of(&["0", "1", "7", "8", "100", "-1"]);
            exact(v!["SETBIT", g.key(), off, g.one_of(&["0", "1", "2"])])
        }),
        t("getbit", 1, |g| {
            exact(v!["GETBIT", g.key(), g.one_of(&["0", "1", "7", "100"])])
        }),
        t("bitcount", 1, |g| {
            exact(v!["BITCOUNT", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        // ---- HyperLogLog (string values: they meet the other string commands)
        t("pfadd", 2, |g| {
            let mut a = v!["PFADD", g.key()];
            for _ in 0..g.rng.below(4) {
                a.push(g.member());
            }
            exact(a)
        }),
        t("pfcount", 1, |g| {
            let mut a = v!["PFCOUNT"];
            a.extend(g.keys(3));
            exact(a)
        }),
        t("pfmerge", 1, |g| {
            let mut a = v!["PFMERGE"];
            a.extend(g.keys(2));
            exact(a)
        }),
        t("bitpos", 1, |g| {
            let mut a = v!["BITPOS", g.key(), g.one_of(&["0", "1", "2"])];
            if g.rng.chance(60) {
                a.extend(v![g.p(INDEXES), g.p(INDEXES)]);
                if g.rng.chance(50) {
                    a.push(g.one_of(&["BIT", "BYTE"]));
                }
            }
            exact(a)
        }),
        t("bitop", 1, |g| {
            let op = g.one_of(&["AND", "OR", "XOR", "NOT"]);
            exact(v!["BITOP", op, g.key(), g.key()])
        }),
        t("bitfield", 1, |g| {
            let ty = g.one_of(&["u8", "i5", "u63", "i64", "u1", "i16"]);
            let off = g.one_of(&["0", "3", "#1", "17", "100"]);
            let mut a = v!["BITFIELD", g.key()];
            if g.rng.chance(30) {
                a.extend(v!["OVERFLOW", g.one_of(&["WRAP", "SAT", "FAIL"])]);
            }
            match g.rng.below(3) {
                0 => a.extend(v!["GET", ty, off]),
                1 => a.extend(v!["SET", ty, off, g.p(INTS)]),
                _ => a.extend(v!["INCRBY", ty, off, g.p(INTS)]),
            }
            exact(a)
        }),
        t("bitfield_ro", 1, |g| {
            let ty = g.one_of(&["u8", "i5", "u63", "i64"]);
            exact(v![
                "BITFIELD_RO",
                g.key(),
                "GET",
                ty,
                g.one_of(&["0", "7", "#2"])
            ])
        }),
        // ---- keys
        t("del", 4, |g| {
            let mut a = v!["DEL"];
            a.extend(g.keys(3));
            exact(a)
        }),
        t("unlink", 1, |g| exact(v!["UNLINK", g.key()])),
        t("exists", 2, |g| {
            let mut a = v!["EXISTS"];
            a.extend(g.keys(3));
            exact(a)
        }),
        t("type", 2, |g| exact(v!["TYPE", g.key()])),
        t("expire", 1, |g| {
            let mut a = v!["EXPIRE", g.key(), g.p(TTLS)];
            if g.rng.chance(30) {
                a.push(g.one_of(&["NX", "XX"]));
            }
            exact(a)
        }),
        t("pexpire", 1, |g| {
            let ms = g.one_of(&["1000000", "5000000", "-5", "abc"]);
            exact(v!["PEXPIRE", g.key(), ms])
        }),
        t("expireat", 1, |g| {
            let mut a = v!["EXPIREAT", g.key(), g.p(EXPIRE_ATS)];
            if g.rng.chance(40) {
                a.push(g.one_of(&["NX", "XX", "GT", "LT", "nx"]));
            }
            exact(a)
        }),
        t("persist", 1, |g| exact(v!["PERSIST", g.key()])),
        t("ttl", 1, |g| Op {
            args: v!["TTL", g.key()],
            cmp: Cmp::Ttl,
        }),
        t("pttl", 1, |g| Op {
            args: v!["PTTL", g.key()],
            cmp: Cmp::Ttl,
        }),
        t("expiretime", 1, |g| Op {
            args: v!["EXPIRETIME", g.key()],
            cmp: Cmp::Ttl,
        }),
        t("rename", 1, |g| exact(v!["RENAME", g.key(), g.key()])),
        t("renamenx", 1, |g| exact(v!["RENAMENX", g.key(), g.key()])),
        t("copy", 1, |g| {
            let mut a = v!["COPY", g.key(), g.key()];
            if g.rng.chance(50) {
                a.push("REPLACE".into());
            }
            exact(a)
        }),
        t("dbsize", 1, |_| exact(v!["DBSIZE"])),
        t("keys", 1, |g| Op {
            args: v!["KEYS", g.one_of(&["*", "k[0-4]", "k?", "x*"])],
            cmp: Cmp::Unordered,
        }),
        t("scan", 1, |g| {
            let mut a = v!["SCAN", "0", "COUNT", "100000"];
            if g.rng.chance(40) {
                a.push("TYPE".into());
                a.push(g.one_of(&["string", "list", "hash", "set", "zset"]));
            }
            Op {
                args: a,
                cmp: Cmp::ScanUnordered,
            }
        }),
        t("randomkey", 1, |_| Op {
            args: v!["RANDOMKEY"],
            cmp: Cmp::Shape,
        }),
        t("object|encoding", 3, |g| {
            exact(v!["OBJECT", "ENCODING", g.key()])
        }),
        t("debug", 3, |g| {
            exact(v!["DEBUG", "DIGEST-VALUE", g.key(), g.key()])
        }),
    ]
}
