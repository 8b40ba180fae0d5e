//! The list command family: pushes, pops, ranges, positional edits and searches on one key
//! here; moves between lists (LMOVE, BLMOVE, ...) in `list/moves.rs`; pops from the first of
//! several keys (LMPOP, BLPOP, BLMPOP, ...) in `list/multipop.rs`. Argument checks, lookups and
//! replies follow Redis 7.0's order so errors and nil shapes match byte for byte.
mod moves;
mod multipop;

use crate::cmd::typed;
use crate::db::list::{End, List};
use crate::resp::Reply;
use crate::server::command::{
    flags::*, reply_bulk, reply_items, single_key, Args, Command, Propagate, Propagation,
};
use crate::server::Ctx;
use crate::tri;
use crate::util::{eq_ic, parse_i64};

/// `LEFT` / `RIGHT` (LMOVE, LMPOP, ...); anything else is a syntax error.
pub(crate) fn parse_end(a: &[u8]) -> Result<End, Reply> {
    if eq_ic(a, "left") {
        Ok(End::Head)
    } else if eq_ic(a, "right") {
        Ok(End::Tail)
    } else {
        Err(Reply::syntax_error())
    }
}

fn int(a: &[u8]) -> Result<i64, Reply> {
    parse_i64(a).ok_or_else(Reply::not_integer)
}

/// Delete `key` of the client's database after an operation emptied its list.
pub(crate) fn drop_if_empty(ctx: &mut Ctx, key: &[u8], empty: bool) {
    if empty {
        ctx.db().remove(key);
    }
}

/// Elements as bulk replies.
pub(crate) fn bulks(items: Vec<Vec<u8>>) -> Reply {
    Reply::Array(items.into_iter().map(Reply::Bulk).collect())
}

fn push_generic(ctx: &mut Ctx, a: &mut Args, end: End, only_existing: bool) -> Reply {
    let (key, values) = a.split_at_mut(2);
    let list = if only_existing {
        match tri!(typed::write::<List>(ctx, &key[1])) {
            Some(l) => l,
            None => return Reply::Int(0),
        }
    } else {
        tri!(typed::write_or_create::<List>(ctx, &key[1]))
    };
    for v in values.iter_mut() {
        list.push(end, std::mem::take(v));
    }
    let len = list.len();
    ctx.dirty(values.len() as u64);
    Reply::Int(len as i64)
}

fn lpush(ctx: &mut Ctx, a: &mut Args) -> Reply {
    push_generic(ctx, a, End::Head, false)
}

fn rpush(ctx: &mut Ctx, a: &mut Args) -> Reply {
    push_generic(ctx, a, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx, a: &mut Args) -> Reply {
    push_generic(ctx, a, End::Head, true)
}

fn rpushx(ctx: &mut Ctx, a: &mut Args) -> Reply {
    push_generic(ctx, a, End::Tail, true)
}

/// LPOP/RPOP key [count]: a bulk without count, an array with it (nil shapes differ too).
fn pop_generic(ctx: &mut Ctx, a: &mut Args, end: End) -> Reply {
    if a.len() > 3 {
        return Reply::wrong_arity(if end == End::Head { "lpop" } else { "rpop" });
    }
    let count = match a.get(2) {
        None => None,
        Some(c) => match parse_i64(c) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Reply::err("ERR value is out of range, must be positive"),
        },
    };
    let key = &a[1];
    let Some(list) = tri!(typed::write::<List>(ctx, key)) else {
        return if count.is_some() {
            Reply::NilArray
        } else {
            Reply::Nil
        };
    };
    let (reply, popped) = match count {
        None => match list.pop(end) {
            Some(v) => (Reply::Bulk(v), 1),
            None => (Reply::Nil, 0),
        },
        Some(0) => return Reply::Array(Vec::new()),
        Some(n) => {
            let v = list.pop_many(end, n);
            let k = v.len();
            (bulks(v), k)
        }
    };
    let empty = list.is_empty();
    drop_if_empty(ctx, key, empty);
    ctx.dirty(popped as u64);
    reply
}

fn lpop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    pop_generic(ctx, a, End::Head)
}

fn rpop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    pop_generic(ctx, a, End::Tail)
}

fn llen(ctx: &mut Ctx, a: &mut Args) -> Reply {
    match tri!(typed::read::<List>(ctx, &a[1])) {
        Some(l) => Reply::Int(l.len() as i64),
        None => Reply::Int(0),
    }
}

fn lrange(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let start = tri!(int(&a[2]));
    let end = tri!(int(&a[3]));
    let Some(list) = tri!(typed::read::<List>(ctx, &a[1])) else {
        return Reply::Array(Vec::new());
    };
    match list.range(start, end) {
        None => Reply::Array(Vec::new()),
        Some((s, e)) => Reply::Array(
            list.items
                .range(s..=e)
                .map(|v| Reply::Bulk(v.clone()))
                .collect(),
        ),
    }
}

fn lindex(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(list) = tri!(typed::read::<List>(ctx, &a[1])) else {
        return Reply::Nil;
    };
    let i = tri!(int(&a[2]));
    match list.get(i) {
        Some(v) => Reply::Bulk(v.to_vec()),
        None => Reply::Nil,
    }
}

fn lset(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(list) = tri!(typed::write::<List>(ctx, &a[1])) else {
        return Reply::no_such_key();
    };
    let i = tri!(int(&a[2]));
    let Some(slot) = list.get_mut(i) else {
        return Reply::out_of_range();
    };
    *slot = std::mem::take(&mut a[3]);
    ctx.dirty(1);
    Reply::Ok
}

fn linsert(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let after = if eq_ic(&a[2], "after") {
        true
    } else if eq_ic(&a[2], "before") {
        false
    } else {
        return Reply::syntax_error();
    };
    let value = std::mem::take(&mut a[4]);
    let Some(list) = tri!(typed::write::<List>(ctx, &a[1])) else {
        return Reply::Int(0);
    };
    if !list.insert_at_pivot(after, &a[3], value) {
        return Reply::Int(-1);
    }
    let len = list.len();
    ctx.dirty(1);
    Reply::Int(len as i64)
}

fn lrem(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let count = tri!(int(&a[2]));
    let key = &a[1];
    let Some(list) = tri!(typed::write::<List>(ctx, key)) else {
        return Reply::Int(0);
    };
    let removed = list.remove_matching(count, &a[3]);
    let empty = list.is_empty();
    drop_if_empty(ctx, key, empty);
    ctx.dirty(removed as u64);
    Reply::Int(removed as i64)
}

fn ltrim(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let start = tri!(int(&a[2]));
    let end = tri!(int(&a[3]));
    let key = &a[1];
    let Some(list) = tri!(typed::write::<List>(ctx, key)) else {
        return Reply::Ok;
    };
    let removed = list.keep(list.range(start, end));
    let empty = list.is_empty();
    drop_if_empty(ctx, key, empty);
    if removed > 0 {
        ctx.dirty(removed as u64);
    } else {
        // Redis signals the key as modified even when nothing was trimmed.
        let db = ctx.client.db;
        crate::server::multi::touch_key(ctx.srv, db, key);
    }
    Reply::Ok
}

/// LPOS options: RANK (direction and how many matches to skip), COUNT, MAXLEN.
struct PosOpts {
    rank: i64,
    count: Option<i64>,
    maxlen: i64,
}

fn parse_lpos(a: &Args) -> Result<PosOpts, Reply> {
    let mut o = PosOpts {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let positive = |v: &[u8], msg: &str| match parse_i64(v) {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(Reply::err(msg)),
    };
    let mut j = 3;
    while j < a.len() {
        let more = j + 1 < a.len();
        let opt = &a[j];
        if more && eq_ic(opt, "rank") {
            o.rank = int(&a[j + 1])?;
            if o.rank == 0 {
                return Err(Reply::err(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if more && eq_ic(opt, "count") {
            o.count = Some(positive(&a[j + 1], "ERR COUNT can't be negative")?);
        } else if more && eq_ic(opt, "maxlen") {
            o.maxlen = positive(&a[j + 1], "ERR MAXLEN can't be negative")?;
        } else {
            return Err(Reply::syntax_error());
        }
        j += 2;
    }
    Ok(o)
}

fn lpos(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let o = tri!(parse_lpos(a));
    // A negative rank searches from the tail; like Redis, the most negative rank stays
    // negative when flipped and then matches from the first hit.
    let (from_tail, rank) = if o.rank < 0 {
        (true, o.rank.wrapping_neg())
    } else {
        (false, o.rank)
    };
    let Some(list) = tri!(typed::read::<List>(ctx, &a[1])) else {
        return if o.count.is_some() {
            Reply::Array(Vec::new())
        } else {
            Reply::Nil
        };
    };
    let len = list.len();
    let scan = if o.maxlen == 0 {
        len
    } else {
        len.min(o.maxlen as usize)
    };
    let at = |i: usize| {
        if from_tail {
            &list.items[len - 1 - i]
        } else {
            &list.items[i]
        }
    };
    let mut matches: i64 = 0;
    let mut found = Vec::new();
    for i in 0..scan {
        if at(i)[..] != a[2][..] {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        let pos = if from_tail { len - 1 - i } else { i } as i64;
        match o.count {
            None => return Reply::Int(pos),
            Some(c) => {
                found.push(Reply::Int(pos));
                if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c {
                    break;
                }
            }
        }
    }
    match o.count {
        None => Reply::Nil,
        Some(_) => Reply::Array(found),
    }
}

const W_FAST: &[&str] = &["write", "list", "fast"];
const W_SLOW: &[&str] = &["write", "list", "slow"];
const R_FAST: &[&str] = &["read", "list", "fast"];
const R_SLOW: &[&str] = &["read", "list", "slow"];
const W_BLOCKING: &[&str] = &["write", "list", "slow", "blocking"];

/// A command whose keys are counted by a numkeys argument (LMPOP, BLMPOP).
const fn numkeys(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    handler: crate::server::command::Handler,
    getkeys: crate::server::command::KeysFn,
) -> Command {
    crate::server::command::movable_keys(name, arity, flags, acl, handler, getkeys)
}

/// A served blocking pop of one element (BLPOP, BRPOP, BZPOPMIN, BZPOPMAX) goes out as its
/// non-blocking form on the key it was served from: `<name> <key>`.
pub(crate) fn served_pop(name: &str, args: &[Vec<u8>], reply: &Reply) -> Propagation {
    let served = || -> Option<Args> {
        args.get(1)?;
        let key = reply_bulk(reply_items(reply)?.first()?)?;
        Some(vec![name.as_bytes().to_vec(), key])
    };
    Propagation::instead_or_as_called(served())
}

/// A served BLMPOP / BZMPOP goes out as `<name> 1 <key> <where> COUNT <popped>`.
pub(crate) fn served_mpop(name: &str, args: &[Vec<u8>], reply: &Reply) -> Propagation {
    let served = || -> Option<Args> {
        args.get(1)?;
        let it = reply_items(reply)?;
        let key = reply_bulk(it.first()?)?;
        let n = reply_items(it.get(1)?)?.len();
        let numkeys: usize = std::str::from_utf8(args.get(2)?).ok()?.parse().ok()?;
        let dir = args.get(3 + numkeys)?.clone();
        Some(vec![
            name.as_bytes().to_vec(),
            b"1".to_vec(),
            key,
            dir,
            b"COUNT".to_vec(),
            n.to_string().into_bytes(),
        ])
    };
    Propagation::instead_or_as_called(served())
}

/// A served BRPOPLPUSH goes out as `RPOPLPUSH source destination`.
const BRPOPLPUSH_PROPAGATE: Propagate = Propagate::always(|_, args, _| {
    Propagation::instead_or_as_called(args.get(1..3).map(|a| {
        let mut out = vec![b"RPOPLPUSH".to_vec()];
        out.extend_from_slice(a);
        out
    }))
});

/// A served BLMOVE goes out as `LMOVE source destination wherefrom whereto`.
const BLMOVE_PROPAGATE: Propagate = Propagate::always(|_, args, _| {
    Propagation::instead_or_as_called(args.get(1..5).map(|a| {
        let mut out = vec![b"LMOVE".to_vec()];
        out.extend_from_slice(a);
        out
    }))
});

pub static COMMANDS: &[Command] = &[
    single_key("lpush", -3, WRITE | DENYOOM | FAST, W_FAST, lpush),
    single_key("rpush", -3, WRITE | DENYOOM | FAST, W_FAST, rpush),
    single_key("lpushx", -3, WRITE | DENYOOM | FAST, W_FAST, lpushx),
    single_key("rpushx", -3, WRITE | DENYOOM | FAST, W_FAST, rpushx),
    single_key("lpop", -2, WRITE | FAST, W_FAST, lpop),
    single_key("rpop", -2, WRITE | FAST, W_FAST, rpop),
    single_key("llen", 2, READONLY | FAST, R_FAST, llen),
    single_key("lrange", 4, READONLY, R_SLOW, lrange),
    single_key("lindex", 3, READONLY, R_SLOW, lindex),
    single_key("lset", 4, WRITE | DENYOOM, W_SLOW, lset),
    single_key("linsert", 5, WRITE | DENYOOM, W_SLOW, linsert),
    single_key("lrem", 4, WRITE, W_SLOW, lrem),
    single_key("ltrim", 4, WRITE, W_SLOW, ltrim),
    single_key("lpos", -3, READONLY, R_SLOW, lpos),
    Command {
        last_key: 2,
        ..single_key("lmove", 5, WRITE | DENYOOM, W_SLOW, moves::lmove)
    },
    Command {
        last_key: 2,
        ..single_key("rpoplpush", 3, WRITE | DENYOOM, W_SLOW, moves::rpoplpush)
    },
    Command {
        last_key: 2,
        propagate: Some(BLMOVE_PROPAGATE),
        ..single_key(
            "blmove",
            6,
            WRITE | DENYOOM | NOSCRIPT | BLOCKING,
            W_BLOCKING,
            moves::blmove,
        )
    },
    Command {
        last_key: 2,
        propagate: Some(BRPOPLPUSH_PROPAGATE),
        ..single_key(
            "brpoplpush",
            4,
            WRITE | DENYOOM | NOSCRIPT | BLOCKING,
            W_BLOCKING,
            moves::brpoplpush,
        )
    },
    numkeys(
        "lmpop",
        -4,
        WRITE,
        W_SLOW,
        multipop::lmpop,
        multipop::lmpop_keys,
    ),
    Command {
        propagate: Some(Propagate::always(|_, args, reply| {
            served_mpop("LMPOP", args, reply)
        })),
        ..numkeys(
            "blmpop",
            -5,
            WRITE | BLOCKING,
            W_BLOCKING,
            multipop::blmpop,
            multipop::blmpop_keys,
        )
    },
    Command {
        last_key: -2,
        propagate: Some(Propagate::always(|_, args, reply| {
            served_pop("LPOP", args, reply)
        })),
        ..single_key(
            "blpop",
            -3,
            WRITE | NOSCRIPT | BLOCKING,
            W_BLOCKING,
            multipop::blpop,
        )
    },
    Command {
        last_key: -2,
        propagate: Some(Propagate::always(|_, args, reply| {
            served_pop("RPOP", args, reply)
        })),
        ..single_key(
            "brpop",
            -3,
            WRITE | NOSCRIPT | BLOCKING,
            W_BLOCKING,
            multipop::brpop,
        )
    },
];
