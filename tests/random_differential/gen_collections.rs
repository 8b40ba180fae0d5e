//! Generator templates for the list, hash and set commands, in their original order, and
//! the set-algebra helpers they use.
use super::*;

/// List templates, then hash templates, then set templates.
pub(super) fn templates() -> Vec<Template> {
    vec![
        // ---- lists
        t("lpush", 3, |g| {
            let mut a = v!["LPUSH", g.key()];
            a.extend(g.members(4));
            exact(a)
        }),
        t("rpush", 3, |g| {
            let mut a = v!["RPUSH", g.key()];
            a.extend(g.members(4));
            exact(a)
        }),
        t("rpush", 1, |g| g.big("RPUSH", b'l')),
        t("lpushx", 1, |g| exact(v!["LPUSHX", g.key(), g.member()])),
        t("rpushx", 1, |g| exact(v!["RPUSHX", g.key(), g.member()])),
        t("lpop", 2, |g| pop_with_count(g, "LPOP")),
        t("rpop", 2, |g| pop_with_count(g, "RPOP")),
        t("llen", 1, |g| exact(v!["LLEN", g.key()])),
        t("lrange", 3, |g| {
            exact(v!["LRANGE", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("lindex", 1, |g| exact(v!["LINDEX", g.key(), g.p(INDEXES)])),
        t("lset", 1, |g| {
            exact(v!["LSET", g.key(), g.p(INDEXES), g.member()])
        }),
        t("linsert", 1, |g| {
            let w = g.one_of(&["BEFORE", "AFTER", "middle"]);
            exact(v!["LINSERT", g.key(), w, g.member(), g.member()])
        }),
        t("lrem", 1, |g| {
            exact(v!["LREM", g.key(), g.p(COUNTS), g.member()])
        }),
        t("ltrim", 1, |g| {
            exact(v!["LTRIM", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("lpos", 1, |g| {
            let mut a = v!["LPOS", g.key(), g.member()];
            if g.rng.chance(40) {
                a.push("RANK".into());
                a.push(g.one_of(&["1", "2", "-1", "-2", "0"]));
            }
            if g.rng.chance(40) {
                a.push("COUNT".into());
                a.push(g.one_of(&["0", "1", "2", "-1"]));
            }
            if g.rng.chance(20) {
                a.push("MAXLEN".into());
                a.push(g.one_of(&["0", "1", "5", "-1"]));
            }
            exact(a)
        }),
        t("lmove", 1, |g| {
            let (w1, w2) = (
                g.one_of(&["LEFT", "RIGHT"]),
                g.one_of(&["LEFT", "RIGHT", "UP"]),
            );
            exact(v!["LMOVE", g.key(), g.key(), w1, w2])
        }),
        t("rpoplpush", 1, |g| exact(v!["RPOPLPUSH", g.key(), g.key()])),
        t("lmpop", 1, |g| {
            let mut a = v!["LMPOP"];
            g.numkeys(&mut a, 3);
            a.push(g.one_of(&["LEFT", "RIGHT"]));
            if g.rng.chance(50) {
                a.push("COUNT".into());
                a.push(g.p(COUNTS));
            }
            exact(a)
        }),
        // ---- hashes
        t("hset", 4, |g| {
            let mut a = v!["HSET", g.key()];
            for _ in 0..1 + g.rng.below(3) {
                a.push(g.p(FIELDS));
                a.push(g.value());
            }
            exact(a)
        }),
        t("hset", 1, |g| g.big("HSET", b'h')),
        t("hmset", 1, |g| {
            exact(v!["HMSET", g.key(), g.p(FIELDS), g.value()])
        }),
        t("hsetnx", 1, |g| {
            exact(v!["HSETNX", g.key(), g.p(FIELDS), g.value()])
        }),
        t("hget", 2, |g| exact(v!["HGET", g.key(), g.p(FIELDS)])),
        t("hmget", 1, |g| {
            exact(v!["HMGET", g.key(), g.p(FIELDS), g.p(FIELDS)])
        }),
        t("hdel", 1, |g| {
            exact(v!["HDEL", g.key(), g.p(FIELDS), g.p(FIELDS)])
        }),
        t("hlen", 1, |g| exact(v!["HLEN", g.key()])),
        t("hexists", 1, |g| exact(v!["HEXISTS", g.key(), g.p(FIELDS)])),
        t("hkeys", 1, |g| {
            let k = g.key();
            Op {
                args: v!["HKEYS", k],
                cmp: if_hashtable(k, Cmp::Unordered),
            }
        }),
        t("hvals", 1, |g| {
            let k = g.key();
            Op {
                args: v!["HVALS", k],
                cmp: if_hashtable(k, Cmp::Unordered),
            }
        }),
        t("hgetall", 2, |g| {
            let k = g.key();
            Op {
                args: v!["HGETALL", k],
                cmp: if_hashtable(k, Cmp::Pairs),
            }
        }),
        t("hincrby", 2, |g| {
            exact(v!["HINCRBY", g.key(), g.p(FIELDS), g.p(INTS)])
        }),
        t("hincrbyfloat", 2, |g| {
            exact(v!["HINCRBYFLOAT", g.key(), g.p(FIELDS), g.p(FLOATS)])
        }),
        t("hstrlen", 1, |g| exact(v!["HSTRLEN", g.key(), g.p(FIELDS)])),
        t("hscan", 1, |g| {
            let k = g.key();
            let mut a = v!["HSCAN", k, "0", "COUNT", "100000"];
            if g.rng.chance(30) {
                a.extend(v!["MATCH", g.one_of(&["f*", "*1", "a"])]);
            }
            Op {
                args: a,
                cmp: if_hashtable(k, Cmp::ScanPairs),
            }
        }),
        t("hrandfield", 1, |g| {
            random_pick(g, "HRANDFIELD", "WITHVALUES")
        }),
        // ---- sets
        t("sadd", 4, |g| {
            let mut a = v!["SADD", g.key()];
            a.extend(g.members(4));
            exact(a)
        }),
        t("sadd", 1, |g| g.big("SADD", b'i')),
        t("sadd", 1, |g| g.big("SADD", b's')),
        t("srem", 2, |g| {
            let mut a = v!["SREM", g.key()];
            a.extend(g.members(3));
            exact(a)
        }),
        t("smembers", 2, |g| {
            let k = g.key();
            Op {
                args: v!["SMEMBERS", k],
                cmp: if_hashtable(k, Cmp::Unordered),
            }
        }),
        t("sismember", 1, |g| {
            exact(v!["SISMEMBER", g.key(), g.member()])
        }),
        t("smismember", 1, |g| {
            exact(v!["SMISMEMBER", g.key(), g.member(), g.member()])
        }),
        t("scard", 1, |g| exact(v!["SCARD", g.key()])),
        t("smove", 1, |g| {
            exact(v!["SMOVE", g.key(), g.key(), g.member()])
        }),
        t("sinter", 1, |g| set_op(g, "SINTER")),
        t("sunion", 1, |g| set_op(g, "SUNION")),
        t("sdiff", 1, |g| set_op(g, "SDIFF")),
        t("sinterstore", 1, |g| set_store(g, "SINTERSTORE")),
        t("sunionstore", 1, |g| set_store(g, "SUNIONSTORE")),
        t("sdiffstore", 1, |g| set_store(g, "SDIFFSTORE")),
        t("sintercard", 1, |g| {
            let mut a = v!["SINTERCARD"];
            g.numkeys(&mut a, 3);
            if g.rng.chance(40) {
                a.push("LIMIT".into());
                a.push(g.one_of(&["0", "1", "2", "-1"]));
            }
            exact(a)
        }),
        t_needs("spop", &["sadd", "smembers", "del"], 1, |g| {
            let k = g.key();
            let mut a = v!["SPOP", k];
            if g.rng.chance(50) {
                a.push(g.one_of(&["0", "1", "2", "5", "-1", "1000"]));
            }
            Op {
                args: a,
                cmp: Cmp::Spop(k),
            }
        }),
        t("srandmember", 1, |g| {
            let mut a = v!["SRANDMEMBER", g.key()];
            if g.rng.chance(70) {
                a.push(g.one_of(&["1", "3", "-3", "0", "100", "-100"]));
            }
            Op {
                args: a,
                cmp: Cmp::Shape,
            }
        }),
        t("sscan", 1, |g| {
            let k = g.key();
            Op {
                args: v!["SSCAN", k, "0", "COUNT", "100000"],
                cmp: if_hashtable(k, Cmp::ScanUnordered),
            }
        }),
    ]
}

fn set_op(g: &mut G, cmd: &str) -> Op {
    let mut a = v![cmd];
    a.extend(g.keys(3));
    Op {
        args: a,
        cmp: Cmp::Unordered,
    }
}

fn set_store(g: &mut G, cmd: &str) -> Op {
    let mut a = v![cmd, g.key()];
    a.extend(g.keys(3));
    exact(a)
}
