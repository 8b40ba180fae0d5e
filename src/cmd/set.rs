//! Set commands (SADD, SREM, SINTER/SUNION/SDIFF and their STORE forms, SPOP, SRANDMEMBER,
//! SMOVE, SINTERCARD, SSCAN, ...). Replies, error texts, result encodings and the order of
//! argument checks follow Redis 7.0's `t_set.c`.
use super::typed;
use crate::cmd::{coll_scan, sample};
use crate::config::EncLimits;
use crate::db::{Set, Value};
use crate::resp::Reply;
use crate::server::command::{
    flags::*, reply_bulk, reply_items, single_key, Args, Command, Propagate, Propagation, BASE,
};
use crate::server::Ctx;
use crate::tri;
use crate::util::{eq_ic, parse_i64};

fn bulks(v: Vec<Vec<u8>>) -> Vec<Reply> {
    v.into_iter().map(Reply::Bulk).collect()
}

fn sadd(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let lim = ctx.srv.config.enc;
    let s = tri!(typed::write_or_create::<Set>(ctx, &a[1]));
    let added = a[2..].iter().filter(|m| s.add(m, &lim)).count();
    if added > 0 {
        ctx.dirty(added as u64);
    }
    Reply::Int(added as i64)
}

fn srem(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(s) = tri!(typed::write::<Set>(ctx, &a[1])) else {
        return Reply::Int(0);
    };
    let mut deleted = 0;
    for m in &a[2..] {
        if s.remove(m) {
            deleted += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        typed::delete_if_empty(ctx, &a[1]);
        ctx.dirty(deleted);
    }
    Reply::Int(deleted as i64)
}

fn sismember(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let s = tri!(typed::read::<Set>(ctx, &a[1]));
    Reply::Int(s.is_some_and(|s| s.contains(&a[2])) as i64)
}

fn smismember(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let s = tri!(typed::read::<Set>(ctx, &a[1]));
    let s = s.as_deref();
    Reply::Array(
        a[2..]
            .iter()
            .map(|m| Reply::Int(s.is_some_and(|s| s.contains(m)) as i64))
            .collect(),
    )
}

fn scard(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let s = tri!(typed::read::<Set>(ctx, &a[1]));
    Reply::Int(s.map_or(0, |s| s.len() as i64))
}

fn smove(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let (now, lim) = (ctx.now, ctx.srv.config.enc);
    let db = ctx.db();
    let dst_ok = match db.get(&a[2], now) {
        None => true,
        Some(e) => e.value.as_set().is_some(),
    };
    let Some(src) = tri!(typed::write::<Set>(ctx, &a[1])) else {
        return Reply::Int(0);
    };
    if !dst_ok {
        return Reply::wrong_type();
    }
    if a[1] == a[2] {
        return Reply::Int(src.contains(&a[3]) as i64);
    }
    if !src.remove(&a[3]) {
        return Reply::Int(0);
    }
    typed::delete_if_empty(ctx, &a[1]);
    let dst = tri!(typed::write_or_create::<Set>(ctx, &a[2]));
    let added = dst.add(&a[3], &lim);
    ctx.dirty(1 + added as u64);
    Reply::Int(1)
}

fn smembers(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let s = tri!(typed::read::<Set>(ctx, &a[1]));
    Reply::Set(s.map_or_else(Vec::new, |s| bulks(s.members())))
}

/// SPOP with a count: always a set reply. Pops everything when the count covers the set; when
/// few members would remain, keeps a random few in a new set (whose encoding is chosen
/// afresh, as Redis's rebuild does); otherwise pops members one by one.
fn spop_count(ctx: &mut Ctx, a: &Args) -> Reply {
    let count = match parse_i64(&a[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return Reply::err("ERR value is out of range, must be positive"),
    };
    let lim = ctx.srv.config.enc;
    let Some(s) = tri!(typed::write::<Set>(ctx, &a[1])) else {
        return Reply::Set(vec![]);
    };
    if count == 0 {
        return Reply::Set(vec![]);
    }
    let size = s.len() as u64;
    let members = s.members();
    let popped: Vec<Vec<u8>> = if count >= size {
        *s = Set::default();
        members
    } else if (size - count) * 5 > count {
        let picks = sample::distinct(members.len(), count as usize);
        let mut out = Vec::with_capacity(picks.len());
        for i in picks {
            s.remove(&members[i]);
            out.push(members[i].clone());
        }
        out
    } else {
        let keep = sample::distinct(members.len(), (size - count) as usize);
        let mut kept = vec![false; members.len()];
        let mut fresh = Set::default();
        for i in keep {
            kept[i] = true;
            fresh.add(&members[i], &lim);
        }
        *s = fresh;
        members
            .into_iter()
            .zip(kept)
            .filter(|(_, k)| !k)
            .map(|(m, _)| m)
            .collect()
    };
    typed::delete_if_empty(ctx, &a[1]);
    ctx.dirty(popped.len() as u64);
    Reply::Set(bulks(popped))
}

fn spop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() == 3 {
        return spop_count(ctx, a);
    }
    if a.len() > 3 {
        return Reply::syntax_error();
    }
    let Some(s) = tri!(typed::write::<Set>(ctx, &a[1])) else {
        return Reply::Nil;
    };
    let Some(m) = s.random_member(sample::below(usize::MAX)) else {
        return Reply::Nil;
    };
    s.remove(&m);
    typed::delete_if_empty(ctx, &a[1]);
    ctx.dirty(1);
    Reply::Bulk(m)
}

fn srandmember(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() > 3 {
        return Reply::syntax_error();
    }
    if a.len() == 2 {
        return match tri!(typed::read::<Set>(ctx, &a[1])) {
            Some(s) => s
                .random_member(sample::below(usize::MAX))
                .map_or(Reply::Nil, Reply::Bulk),
            None => Reply::Nil,
        };
    }
    let count = tri!(sample::parse_count(&a[2]));
    let Some(s) = tri!(typed::read::<Set>(ctx, &a[1])) else {
        return Reply::Array(vec![]);
    };
    if count == 0 {
        return Reply::Array(vec![]);
    }
    let members = s.members();
    let out: Vec<Reply> = if count < 0 {
        (0..count.unsigned_abs())
            .map(|_| Reply::Bulk(members[sample::below(members.len())].clone()))
            .collect()
    } else if count as usize >= members.len() {
        bulks(members)
    } else {
        sample::distinct(members.len(), count as usize)
            .into_iter()
            .map(|i| Reply::Bulk(members[i].clone()))
            .collect()
    };
    Reply::Array(out)
}

/// Look up the source sets of SINTER & co: a read lookup per key (counting hits and misses;
/// WRONGTYPE on any other type, even after a missing key), then borrow every set, None for a
/// missing key.
fn sources<'a>(ctx: &'a mut Ctx, keys: &[Vec<u8>]) -> Result<Vec<Option<&'a Set>>, Reply> {
    for k in keys {
        typed::read::<Set>(ctx, k)?;
    }
    let (now, db) = (ctx.now, &ctx.srv.role.keyspace.dbs[ctx.client.db]);
    Ok(keys
        .iter()
        .map(|k| db.peek(k, now).and_then(|e| e.value.as_set()))
        .collect())
}

/// The intersection, in the iteration order of the smallest set; stops at `limit` members
/// (0 = no limit).
fn inter(sets: &[Option<&Set>], limit: usize) -> Vec<Vec<u8>> {
    let mut present: Vec<&Set> = Vec::with_capacity(sets.len());
    for s in sets {
        match s {
            Some(s) => present.push(s),
            None => return vec![],
        }
    }
    present.sort_by_key(|s| s.len());
    let Some((first, rest)) = present.split_first() else {
        return vec![];
    };
    let mut out = Vec::new();
    first.for_each(|m| {
        if (limit == 0 || out.len() < limit) && rest.iter().all(|s| s.contains(m)) {
            out.push(m.to_vec());
        }
    });
    out
}

/// A new set holding `members`, encoded as Redis would encode a freshly built set.
fn build(members: impl IntoIterator<Item = Vec<u8>>, lim: &EncLimits) -> Set {
    let mut s = Set::default();
    for m in members {
        s.add(&m, lim);
    }
    s
}

/// SUNION / SDIFF: the result as a new set (its order is the reply order, as in Redis).
fn union_diff(sets: &[Option<&Set>], diff: bool, lim: &EncLimits) -> Set {
    if diff {
        let Some(Some(first)) = sets.first() else {
            return Set::default();
        };
        let others: Vec<&Set> = sets[1..].iter().flatten().copied().collect();
        let keep = first
            .members()
            .into_iter()
            .filter(|m| !others.iter().any(|s| s.contains(m)));
        return build(keep, lim);
    }
    build(sets.iter().flatten().flat_map(|s| s.members()), lim)
}

/// The STORE forms: replace `dst` with `result` (or delete it when empty); reply the size.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: Set) -> Reply {
    let n = result.len();
    if n == 0 {
        let now = ctx.now;
        let db = ctx.db();
        db.expire_if_needed(dst, now);
        if db.remove(dst).is_some() {
            ctx.dirty(1);
        }
        return Reply::Int(0);
    }
    typed::store(ctx, dst, Value::Set(result), n);
    ctx.dirty(1);
    Reply::Int(n as i64)
}

fn sinter(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let sets = tri!(sources(ctx, &a[1..]));
    Reply::Set(bulks(inter(&sets, 0)))
}

/// SUNION / SDIFF (`diff`) reply.
fn union_diff_reply(ctx: &mut Ctx, a: &Args, diff: bool) -> Reply {
    let lim = ctx.srv.config.enc;
    let sets = tri!(sources(ctx, &a[1..]));
    Reply::Set(bulks(union_diff(&sets, diff, &lim).members()))
}

/// SINTERSTORE (`op` None), SUNIONSTORE, SDIFFSTORE (`op` Some(diff)).
fn store_generic(ctx: &mut Ctx, a: &Args, op: Option<bool>) -> Reply {
    let lim = ctx.srv.config.enc;
    let sets = tri!(sources(ctx, &a[2..]));
    let result = match op {
        None => build(inter(&sets, 0), &lim),
        Some(diff) => union_diff(&sets, diff, &lim),
    };
    store_result(ctx, &a[1], result)
}

fn sinterstore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    store_generic(ctx, a, None)
}

fn sunion(ctx: &mut Ctx, a: &mut Args) -> Reply {
    union_diff_reply(ctx, a, false)
}

fn sunionstore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    store_generic(ctx, a, Some(false))
}

fn sdiff(ctx: &mut Ctx, a: &mut Args) -> Reply {
    union_diff_reply(ctx, a, true)
}

fn sdiffstore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    store_generic(ctx, a, Some(true))
}

/// SINTERCARD's numkeys when it is valid for `args` (at least 1, no more than the arguments).
fn intercard_numkeys(a: &[Vec<u8>]) -> Result<usize, Reply> {
    let n = match parse_i64(&a[1]) {
        Some(n) if n >= 1 => n as u64,
        _ => return Err(Reply::err("ERR numkeys should be greater than 0")),
    };
    if n > a.len() as u64 - 2 {
        return Err(Reply::err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    Ok(n as usize)
}

fn sintercard(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let n = tri!(intercard_numkeys(a));
    let mut limit = 0usize;
    let mut j = 2 + n;
    while j < a.len() {
        if eq_ic(&a[j], "limit") && j + 1 < a.len() {
            limit = match parse_i64(&a[j + 1]) {
                Some(l) if l >= 0 => l as usize,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            };
            j += 2;
        } else {
            return Reply::syntax_error();
        }
    }
    let sets = tri!(sources(ctx, &a[2..2 + n]));
    Reply::Int(inter(&sets, limit).len() as i64)
}

/// Key positions of SINTERCARD: `numkeys` keys after the count (none when it is invalid).
fn sintercard_keys(a: &[Vec<u8>]) -> Vec<usize> {
    match intercard_numkeys(a) {
        Ok(n) => (2..2 + n).collect(),
        Err(_) => vec![],
    }
}

fn sscan(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let cursor = tri!(coll_scan::cursor(a));
    let Some(s) = tri!(typed::read::<Set>(ctx, &a[1])) else {
        return coll_scan::reply(0, vec![]);
    };
    let opts = tri!(coll_scan::options(a));
    opts.run(cursor, 1, |c, out| s.scan(c, |m| out.push(m.to_vec())))
}

const W_FAST: &[&str] = &["write", "set", "fast"];
const W_SLOW: &[&str] = &["write", "set", "slow"];
const R_FAST: &[&str] = &["read", "set", "fast"];
const R_SLOW: &[&str] = &["read", "set", "slow"];

/// SINTER-like commands: every argument from the first on is a key.
const fn all_keys(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    handler: crate::server::command::Handler,
) -> Command {
    Command {
        last_key: -1,
        ..single_key(name, arity, flags, acl, handler)
    }
}

/// SPOP goes out as `SREM key <the members it popped>`, or nothing when it popped none.
const SPOP_PROPAGATE: Propagate = Propagate::always(|_, args, reply| {
    let Some(key) = args.get(1) else {
        return Propagation::AsCalled;
    };
    let members: Vec<Vec<u8>> = match reply_items(reply) {
        Some(v) => v.iter().filter_map(reply_bulk).collect(),
        None => match reply_bulk(reply) {
            Some(m) => vec![m],
            None => return Propagation::AsCalled,
        },
    };
    if members.is_empty() {
        return Propagation::Nothing;
    }
    let mut out = vec![b"SREM".to_vec(), key.clone()];
    out.extend(members);
    Propagation::Instead(out)
});

pub static COMMANDS: &[Command] = &[
    single_key("sadd", -3, WRITE | DENYOOM | FAST, W_FAST, sadd),
    single_key("srem", -3, WRITE | FAST, W_FAST, srem),
    single_key("smembers", 2, READONLY, R_SLOW, smembers),
    single_key("sismember", 3, READONLY | FAST, R_FAST, sismember),
    single_key("smismember", -3, READONLY | FAST, R_FAST, smismember),
    single_key("scard", 2, READONLY | FAST, R_FAST, scard),
    Command {
        propagate: Some(SPOP_PROPAGATE),
        ..single_key("spop", -2, WRITE | FAST, W_FAST, spop)
    },
    single_key("srandmember", -2, READONLY, R_SLOW, srandmember),
    Command {
        last_key: 2,
        ..single_key("smove", 4, WRITE | FAST, W_FAST, smove)
    },
    all_keys("sinter", -2, READONLY, R_SLOW, sinter),
    all_keys("sunion", -2, READONLY, R_SLOW, sunion),
    all_keys("sdiff", -2, READONLY, R_SLOW, sdiff),
    all_keys("sinterstore", -3, WRITE | DENYOOM, W_SLOW, sinterstore),
    all_keys("sunionstore", -3, WRITE | DENYOOM, W_SLOW, sunionstore),
    all_keys("sdiffstore", -3, WRITE | DENYOOM, W_SLOW, sdiffstore),
    Command {
        name: "sintercard",
        arity: -3,
        flags: READONLY | MOVABLE_KEYS,
        acl: R_SLOW,
        handler: sintercard,
        getkeys: Some(sintercard_keys),
        ..BASE
    },
    single_key("sscan", -3, READONLY, R_SLOW, sscan),
];
