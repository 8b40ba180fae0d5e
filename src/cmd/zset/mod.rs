//! Sorted set commands (Redis 7.0 `t_zset.c` semantics): the command table and the reply
//! shapes the families share. The commands live in submodules by kind: single-member
//! commands, range commands, pops (including the blocking ones) and random members, and the
//! multi-key set operations.
mod basic;
mod pop;
mod range;
mod setops;
mod span;

use crate::cmd::list::{served_mpop, served_pop};
use crate::resp::Reply;
use crate::server::command::{flags::*, single_key, Command, Propagate};
use crate::server::Ctx;
use crate::util::parse_i64;
/// What the GEO commands reuse: GEOADD is a ZADD of the cells' scores, and the GEO STORE
/// forms store their results as the sorted-set STORE commands do.
pub(crate) use basic::zadd;
pub(crate) use range::store_result;

/// Members (and scores) as Redis replies them: a flat array in RESP2; with scores in RESP3,
/// an array of `[member, score]` pairs (when `nested`) with scores as doubles.
pub(crate) fn entries_reply(
    ctx: &Ctx,
    items: Vec<(Vec<u8>, f64)>,
    withscores: bool,
    nested: bool,
) -> Reply {
    if !withscores {
        return Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect());
    }
    if nested && ctx.client.resp > 2 {
        return Reply::Array(
            items
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                .collect(),
        );
    }
    let mut out = Vec::with_capacity(items.len() * 2);
    for (m, s) in items {
        out.push(Reply::Bulk(m));
        out.push(Reply::Double(s));
    }
    Reply::Array(out)
}

/// Key positions of `numkeys key [key ...]` with numkeys at `at`.
fn numkeys_at(a: &[Vec<u8>], at: usize) -> Vec<usize> {
    let n = match a.get(at).and_then(|b| parse_i64(b)) {
        Some(n) if n > 0 && (n as u64) < a.len() as u64 => n as usize,
        _ => return Vec::new(),
    };
    if at + n >= a.len() {
        return Vec::new();
    }
    (at + 1..=at + n).collect()
}

fn keys_store(a: &[Vec<u8>]) -> Vec<usize> {
    let mut k = numkeys_at(a, 2);
    if !k.is_empty() {
        k.insert(0, 1);
    }
    k
}

fn keys_numkeys1(a: &[Vec<u8>]) -> Vec<usize> {
    numkeys_at(a, 1)
}

fn keys_numkeys2(a: &[Vec<u8>]) -> Vec<usize> {
    numkeys_at(a, 2)
}

const W: &[&str] = &["write", "sortedset", "fast"];
const WS: &[&str] = &["write", "sortedset", "slow"];
const R: &[&str] = &["read", "sortedset", "fast"];
const RS: &[&str] = &["read", "sortedset", "slow"];
const WB: &[&str] = &["write", "sortedset", "fast", "blocking"];
const WSB: &[&str] = &["write", "sortedset", "slow", "blocking"];

const fn movable(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    handler: crate::server::command::Handler,
    store: bool,
    getkeys: crate::server::command::KeysFn,
) -> Command {
    let k = if store { 1 } else { 0 };
    Command {
        first_key: k,
        last_key: k,
        step: k,
        ..crate::server::command::movable_keys(name, arity, flags, acl, handler, getkeys)
    }
}

pub static COMMANDS: &[Command] = &[
    single_key("zadd", -4, WRITE | DENYOOM | FAST, W, basic::zadd),
    single_key("zincrby", 4, WRITE | DENYOOM | FAST, W, basic::zincrby),
    single_key("zrem", -3, WRITE | FAST, W, basic::zrem),
    single_key("zcard", 2, READONLY | FAST, R, basic::zcard),
    single_key("zscore", 3, READONLY | FAST, R, basic::zscore),
    single_key("zmscore", -3, READONLY | FAST, R, basic::zmscore),
    single_key("zrank", 3, READONLY | FAST, R, basic::zrank),
    single_key("zrevrank", 3, READONLY | FAST, R, basic::zrevrank),
    single_key("zcount", 4, READONLY | FAST, R, basic::zcount),
    single_key("zlexcount", 4, READONLY | FAST, R, basic::zlexcount),
    single_key("zscan", -3, READONLY, RS, basic::zscan),
    single_key("zrange", -4, READONLY, RS, range::zrange),
    single_key("zrevrange", -4, READONLY, RS, range::zrevrange),
    single_key("zrangebyscore", -4, READONLY, RS, range::zrangebyscore),
    single_key(
        "zrevrangebyscore",
        -4,
        READONLY,
        RS,
        range::zrevrangebyscore,
    ),
    single_key("zrangebylex", -4, READONLY, RS, range::zrangebylex),
    single_key("zrevrangebylex", -4, READONLY, RS, range::zrevrangebylex),
    Command {
        last_key: 2,
        ..single_key("zrangestore", -5, WRITE | DENYOOM, WS, range::zrangestore)
    },
    single_key("zremrangebyrank", 4, WRITE, WS, range::zremrangebyrank),
    single_key("zremrangebyscore", 4, WRITE, WS, range::zremrangebyscore),
    single_key("zremrangebylex", 4, WRITE, WS, range::zremrangebylex),
    single_key("zpopmin", -2, WRITE | FAST, W, pop::zpopmin),
    single_key("zpopmax", -2, WRITE | FAST, W, pop::zpopmax),
    movable("zmpop", -4, WRITE, WS, pop::zmpop, false, keys_numkeys1),
    Command {
        last_key: -2,
        propagate: Some(Propagate::always(|_, args, reply| {
            served_pop("ZPOPMIN", args, reply)
        })),
        ..single_key(
            "bzpopmin",
            -3,
            WRITE | NOSCRIPT | BLOCKING | FAST,
            WB,
            pop::bzpopmin,
        )
    },
    Command {
        last_key: -2,
        propagate: Some(Propagate::always(|_, args, reply| {
            served_pop("ZPOPMAX", args, reply)
        })),
        ..single_key(
            "bzpopmax",
            -3,
            WRITE | NOSCRIPT | BLOCKING | FAST,
            WB,
            pop::bzpopmax,
        )
    },
    Command {
        propagate: Some(Propagate::always(|_, args, reply| {
            served_mpop("ZMPOP", args, reply)
        })),
        ..movable(
            "bzmpop",
            -5,
            WRITE | BLOCKING,
            WSB,
            pop::bzmpop,
            false,
            keys_numkeys2,
        )
    },
    single_key("zrandmember", -2, READONLY, RS, pop::zrandmember),
    movable(
        "zunionstore",
        -4,
        WRITE | DENYOOM,
        WS,
        setops::zunionstore,
        true,
        keys_store,
    ),
    movable(
        "zinterstore",
        -4,
        WRITE | DENYOOM,
        WS,
        setops::zinterstore,
        true,
        keys_store,
    ),
    movable(
        "zdiffstore",
        -4,
        WRITE | DENYOOM,
        WS,
        setops::zdiffstore,
        true,
        keys_store,
    ),
    movable(
        "zunion",
        -3,
        READONLY,
        RS,
        setops::zunion,
        false,
        keys_numkeys1,
    ),
    movable(
        "zinter",
        -3,
        READONLY,
        RS,
        setops::zinter,
        false,
        keys_numkeys1,
    ),
    movable(
        "zdiff",
        -3,
        READONLY,
        RS,
        setops::zdiff,
        false,
        keys_numkeys1,
    ),
    movable(
        "zintercard",
        -3,
        READONLY,
        RS,
        setops::zintercard,
        false,
        keys_numkeys1,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|x| x.as_bytes().to_vec()).collect()
    }

    #[test]
    fn key_functions() {
        assert_eq!(
            keys_store(&args("zunionstore d 2 a b weights 1 2")),
            [1, 3, 4]
        );
        assert_eq!(
            keys_store(&args("zunionstore d 3 a b")),
            Vec::<usize>::new()
        );
        assert_eq!(keys_numkeys1(&args("zunion 2 a b")), [2, 3]);
        assert_eq!(keys_numkeys1(&args("zunion x a b")), Vec::<usize>::new());
        assert_eq!(keys_numkeys2(&args("bzmpop 0 1 a min")), [3]);
        assert_eq!(keys_numkeys1(&args("zmpop -1 a min")), Vec::<usize>::new());
    }
}
