//! Generator templates for the sorted-set commands, in their original order, and their
//! option helpers (ZADD flags, ZRANGE options, lex ranges, union/inter/diff).
use super::*;

/// Sorted-set templates.
pub(super) fn templates() -> Vec<Template> {
    vec![
        // ---- sorted sets
        t("zadd", 5, |g| {
            let mut a = v!["ZADD", g.key()];
            let incr = zadd_flags(g, &mut a);
            let n = if incr && g.rng.chance(90) {
                1
            } else {
                1 + g.rng.below(3)
            };
            let lex = a[1] == LEX_KEY && g.rng.chance(95);
            for _ in 0..n {
                a.push(if lex { "0".into() } else { g.p(FLOATS) });
                a.push(g.member());
            }
            exact(a)
        }),
        t("zadd", 1, |g| g.big("ZADD", b'z')),
        t("zrem", 2, |g| {
            let mut a = v!["ZREM", g.key()];
            a.extend(g.members(3));
            exact(a)
        }),
        t("zcard", 1, |g| exact(v!["ZCARD", g.key()])),
        t("zscore", 1, |g| exact(v!["ZSCORE", g.key(), g.member()])),
        t("zmscore", 1, |g| {
            exact(v!["ZMSCORE", g.key(), g.member(), g.member()])
        }),
        t("zincrby", 2, |g| {
            let k = g.key();
            let by = if k == LEX_KEY {
                "0".into()
            } else {
                g.p(FLOATS)
            };
            exact(v!["ZINCRBY", k, by, g.member()])
        }),
        t("zrank", 1, |g| exact(v!["ZRANK", g.key(), g.member()])),
        t("zrevrank", 1, |g| {
            exact(v!["ZREVRANK", g.key(), g.member()])
        }),
        t("zrange", 4, |g| {
            let mut a = v!["ZRANGE", g.key()];
            let cmp = zrange_opts(g, &mut a, 1);
            if g.rng.chance(40) {
                a.push("WITHSCORES".into());
            }
            Op { args: a, cmp }
        }),
        t("zrangestore", 1, |g| {
            let mut a = v!["ZRANGESTORE", g.key(), g.key()];
            let cmp = zrange_opts(g, &mut a, 2);
            Op { args: a, cmp }
        }),
        t("zrangebyscore", 2, |g| {
            let mut a = v![
                "ZRANGEBYSCORE",
                g.key(),
                g.p(SCORE_BOUNDS),
                g.p(SCORE_BOUNDS)
            ];
            if g.rng.chance(40) {
                a.push("WITHSCORES".into());
            }
            g.limit(&mut a, 30);
            exact(a)
        }),
        t("zrevrangebyscore", 1, |g| {
            let mut a = v![
                "ZREVRANGEBYSCORE",
                g.key(),
                g.p(SCORE_BOUNDS),
                g.p(SCORE_BOUNDS)
            ];
            if g.rng.chance(40) {
                a.push("WITHSCORES".into());
            }
            g.limit(&mut a, 30);
            exact(a)
        }),
        t("zrangebylex", 1, |g| lex_op(g, "ZRANGEBYLEX", true)),
        t("zrevrangebylex", 1, |g| lex_op(g, "ZREVRANGEBYLEX", true)),
        t("zcount", 1, |g| {
            exact(v!["ZCOUNT", g.key(), g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS)])
        }),
        t("zlexcount", 1, |g| lex_op(g, "ZLEXCOUNT", false)),
        t("zremrangebyrank", 1, |g| {
            exact(v!["ZREMRANGEBYRANK", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("zremrangebyscore", 1, |g| {
            exact(v![
                "ZREMRANGEBYSCORE",
                g.key(),
                g.p(SCORE_BOUNDS),
                g.p(SCORE_BOUNDS)
            ])
        }),
        t("zremrangebylex", 1, |g| lex_op(g, "ZREMRANGEBYLEX", false)),
        t("zpopmin", 1, |g| pop_with_count(g, "ZPOPMIN")),
        t("zpopmax", 1, |g| pop_with_count(g, "ZPOPMAX")),
        t("zmpop", 1, |g| {
            let mut a = v!["ZMPOP"];
            g.numkeys(&mut a, 3);
            a.push(g.one_of(&["MIN", "MAX"]));
            if g.rng.chance(50) {
                a.push("COUNT".into());
                a.push(g.p(COUNTS));
            }
            exact(a)
        }),
        t("zunionstore", 1, |g| zset_op(g, "ZUNIONSTORE", true, true)),
        t("zinterstore", 1, |g| zset_op(g, "ZINTERSTORE", true, true)),
        t("zdiffstore", 1, |g| zset_op(g, "ZDIFFSTORE", true, false)),
        t("zunion", 1, |g| zset_op(g, "ZUNION", false, true)),
        t("zinter", 1, |g| zset_op(g, "ZINTER", false, true)),
        t("zdiff", 1, |g| zset_op(g, "ZDIFF", false, false)),
        t("zintercard", 1, |g| {
            let mut a = v!["ZINTERCARD"];
            g.numkeys(&mut a, 3);
            if g.rng.chance(40) {
                a.push("LIMIT".into());
                a.push(g.one_of(&["0", "1", "2", "-1"]));
            }
            exact(a)
        }),
        t("zrandmember", 1, |g| {
            random_pick(g, "ZRANDMEMBER", "WITHSCORES")
        }),
        t("zscan", 1, |g| {
            let k = g.key();
            Op {
                args: v!["ZSCAN", k, "0", "COUNT", "100000"],
                cmp: if_hashtable(k, Cmp::ScanPairs),
            }
        }),
    ]
}

fn zadd_flags(g: &mut G, a: &mut Vec<String>) -> bool {
    let mut incr = false;
    if g.rng.chance(30) {
        a.push(g.one_of(&["NX", "XX"]));
    }
    if g.rng.chance(25) {
        a.push(g.one_of(&["GT", "LT"]));
    }
    if g.rng.chance(30) {
        a.push("CH".into());
    }
    if g.rng.chance(15) {
        a.push("INCR".into());
        incr = true;
    }
    incr
}

/// ZRANGE/ZRANGESTORE options after the key at `a[src]`; BYLEX ranges go to the lex key and
/// need the `Lex` rule.
fn zrange_opts(g: &mut G, a: &mut Vec<String>, src: usize) -> Cmp {
    let by = g.rng.below(3);
    let (lo, hi) = match by {
        0 => (g.p(INDEXES), g.p(INDEXES)),
        1 => (g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS)),
        _ => (g.p(LEX_BOUNDS), g.p(LEX_BOUNDS)),
    };
    a.push(lo);
    a.push(hi);
    match by {
        1 => a.push("BYSCORE".into()),
        2 => a.push("BYLEX".into()),
        _ => {}
    }
    if g.rng.chance(35) {
        a.push("REV".into());
    }
    let limit_pct = if by == 0 { 5 } else { 35 };
    g.limit(a, limit_pct);
    if by == 2 {
        a[src] = g.lex_key();
        return Cmp::Lex(a[src].clone());
    }
    Cmp::Exact
}

/// A lex-range command, mostly on the lex key.
fn lex_op(g: &mut G, cmd: &str, limit: bool) -> Op {
    let key = g.lex_key();
    let mut a = v![cmd, key, g.p(LEX_BOUNDS), g.p(LEX_BOUNDS)];
    if limit {
        g.limit(&mut a, 30);
    }
    Op {
        args: a,
        cmp: Cmp::Lex(key),
    }
}

fn zset_op(g: &mut G, cmd: &str, store: bool, weights: bool) -> Op {
    let mut a = v![cmd];
    if store {
        a.push(g.key());
    }
    let before = a.len();
    g.numkeys(&mut a, 3);
    let nkeys = a.len() - before - 1;
    if weights {
        g.weights_aggregate(&mut a, nkeys);
    }
    if !store && g.rng.chance(50) {
        a.push("WITHSCORES".into());
    }
    exact(a)
}
