//! Hash commands (HSET, HGET, HGETALL, HINCRBY, HRANDFIELD, HSCAN, ...). Replies, error texts
//! and the order of argument checks follow Redis 7.0's `t_hash.c`.
use super::typed;
use crate::cmd::{coll_scan, sample};
use crate::db::Hash;
use crate::ldouble::{self, LDouble};
use crate::resp::Reply;
use crate::server::command::{
    flags::*, reply_bulk, single_key, Args, Command, Propagate, Propagation,
};
use crate::server::Ctx;
use crate::tri;
use crate::util::parse_i64;

fn bulk(b: &[u8]) -> Reply {
    Reply::Bulk(b.to_vec())
}

/// HSET and HMSET: the pairs after the key; odd pair counts are an arity error.
fn hset_generic(ctx: &mut Ctx, a: &mut Args, name: &str) -> Reply {
    if a.len() % 2 == 1 {
        return Reply::wrong_arity(name);
    }
    let lim = ctx.srv.config.enc;
    let h = tri!(typed::write_or_create::<Hash>(ctx, &a[1]));
    h.fit_lengths(a[2..].iter().map(|x| x.as_slice()), &lim);
    let mut created = 0;
    for p in a[2..].chunks(2) {
        if h.set(&p[0], &p[1], &lim) {
            created += 1;
        }
    }
    ctx.dirty((a.len() as u64 - 2) / 2);
    if name == "hmset" {
        Reply::Ok
    } else {
        Reply::Int(created)
    }
}

fn hset(ctx: &mut Ctx, a: &mut Args) -> Reply {
    hset_generic(ctx, a, "hset")
}

fn hmset(ctx: &mut Ctx, a: &mut Args) -> Reply {
    hset_generic(ctx, a, "hmset")
}

fn hsetnx(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let lim = ctx.srv.config.enc;
    let h = tri!(typed::write_or_create::<Hash>(ctx, &a[1]));
    if h.contains(&a[2]) {
        return Reply::Int(0);
    }
    h.set(&a[2], &a[3], &lim);
    ctx.dirty(1);
    Reply::Int(1)
}

fn hget(ctx: &mut Ctx, a: &mut Args) -> Reply {
    match tri!(typed::read::<Hash>(ctx, &a[1])).and_then(|h| h.get_field(&a[2])) {
        Some(v) => bulk(v),
        None => Reply::Nil,
    }
}

fn hmget(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let h = tri!(typed::read::<Hash>(ctx, &a[1]));
    let out = a[2..]
        .iter()
        .map(|f| match h.as_ref().and_then(|h| h.get_field(f)) {
            Some(v) => bulk(v),
            None => Reply::Nil,
        })
        .collect();
    Reply::Array(out)
}

fn hdel(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(h) = tri!(typed::write::<Hash>(ctx, &a[1])) else {
        return Reply::Int(0);
    };
    let mut deleted = 0;
    for f in &a[2..] {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        typed::delete_if_empty(ctx, &a[1]);
        ctx.dirty(deleted as u64);
    }
    Reply::Int(deleted)
}

fn hlen(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let h = tri!(typed::read::<Hash>(ctx, &a[1]));
    Reply::Int(h.map_or(0, |h| h.len() as i64))
}

fn hstrlen(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let h = tri!(typed::read::<Hash>(ctx, &a[1]));
    Reply::Int(
        h.and_then(|h| h.get_field(&a[2]))
            .map_or(0, |v| v.len() as i64),
    )
}

fn hexists(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let h = tri!(typed::read::<Hash>(ctx, &a[1]));
    Reply::Int(h.is_some_and(|h| h.contains(&a[2])) as i64)
}

/// HKEYS, HVALS and HGETALL (a map in RESP3).
fn getall_generic(ctx: &mut Ctx, a: &Args, keys: bool, vals: bool) -> Reply {
    let h = tri!(typed::read::<Hash>(ctx, &a[1]));
    let Some(h) = h else {
        return if keys && vals {
            Reply::Map(vec![])
        } else {
            Reply::Array(vec![])
        };
    };
    if keys && vals {
        return Reply::Map(h.iter().map(|(f, v)| (bulk(f), bulk(v))).collect());
    }
    Reply::Array(
        h.iter()
            .map(|(f, v)| bulk(if keys { f } else { v }))
            .collect(),
    )
}

fn hkeys(ctx: &mut Ctx, a: &mut Args) -> Reply {
    getall_generic(ctx, a, true, false)
}

fn hvals(ctx: &mut Ctx, a: &mut Args) -> Reply {
    getall_generic(ctx, a, false, true)
}

fn hgetall(ctx: &mut Ctx, a: &mut Args) -> Reply {
    getall_generic(ctx, a, true, true)
}

fn hincrby(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let incr = tri!(parse_i64(&a[3]).ok_or_else(Reply::not_integer));
    let lim = ctx.srv.config.enc;
    let h = tri!(typed::write_or_create::<Hash>(ctx, &a[1]));
    let old = match h.get_field(&a[2]) {
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return Reply::err("ERR hash value is not an integer"),
        },
        None => 0,
    };
    let Some(new) = old.checked_add(incr) else {
        return Reply::err("ERR increment or decrement would overflow");
    };
    h.set(&a[2], itoa::Buffer::new().format(new).as_bytes(), &lim);
    ctx.dirty(1);
    Reply::Int(new)
}

fn hincrbyfloat(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let incr = tri!(ldouble::parse(&a[3]).ok_or_else(Reply::not_float));
    if matches!(incr, LDouble::Inf { .. }) {
        return Reply::err("ERR value is NaN or Infinity");
    }
    let lim = ctx.srv.config.enc;
    let h = tri!(typed::write_or_create::<Hash>(ctx, &a[1]));
    let old = match h.get_field(&a[2]) {
        Some(v) => match ldouble::parse(v) {
            Some(x) => x,
            None => return Reply::err("ERR hash value is not a float"),
        },
        None => match ldouble::parse(b"0") {
            Some(z) => z,
            None => return Reply::not_float(),
        },
    };
    let Some(sum) = ldouble::add(old, incr) else {
        return Reply::err("ERR increment would produce NaN or Infinity");
    };
    let new = ldouble::format_human(sum).into_bytes();
    h.set(&a[2], &new, &lim);
    ctx.dirty(1);
    Reply::Bulk(new)
}

fn hrandfield(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() == 2 {
        return match tri!(typed::read::<Hash>(ctx, &a[1])) {
            Some(h) => match h.random_pair(sample::below(usize::MAX)) {
                Some((f, _)) => Reply::Bulk(f),
                None => Reply::Nil,
            },
            None => Reply::Nil,
        };
    }
    let count = tri!(sample::parse_count(&a[2]));
    let with_values = a.len() == 4;
    if a.len() > 4 || (with_values && !crate::util::eq_ic(&a[3], "withvalues")) {
        return Reply::syntax_error();
    }
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Reply::err("ERR value is out of range");
    }
    let resp3 = ctx.client.resp >= 3;
    let Some(h) = tri!(typed::read::<Hash>(ctx, &a[1])) else {
        return Reply::Array(vec![]);
    };
    let pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
    let picks: Vec<usize> = if count < 0 {
        (0..count.unsigned_abs())
            .map(|_| sample::below(pairs.len()))
            .collect()
    } else if count as usize >= pairs.len() {
        (0..pairs.len()).collect()
    } else {
        sample::distinct(pairs.len(), count as usize)
    };
    let mut out = Vec::with_capacity(picks.len() * if with_values { 2 } else { 1 });
    for i in picks {
        let (f, v) = pairs[i];
        if !with_values {
            out.push(bulk(f));
        } else if resp3 {
            out.push(Reply::Array(vec![bulk(f), bulk(v)]));
        } else {
            out.push(bulk(f));
            out.push(bulk(v));
        }
    }
    Reply::Array(out)
}

fn hscan(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let cursor = tri!(coll_scan::cursor(a));
    let Some(h) = tri!(typed::read::<Hash>(ctx, &a[1])) else {
        return coll_scan::reply(0, vec![]);
    };
    let opts = tri!(coll_scan::options(a));
    opts.run(cursor, 2, |c, out| {
        h.scan(c, |f, v| {
            out.push(f.to_vec());
            out.push(v.to_vec());
        })
    })
}

const W_FAST: &[&str] = &["write", "hash", "fast"];
const R_FAST: &[&str] = &["read", "hash", "fast"];
const R_SLOW: &[&str] = &["read", "hash", "slow"];

/// HINCRBYFLOAT goes out as `HSET key field <result>`: replicas do no float arithmetic.
const HINCRBYFLOAT_PROPAGATE: Propagate = Propagate::always(|_, args, reply| {
    Propagation::instead_or_as_called(hincrbyfloat_hset(args, reply))
});

fn hincrbyfloat_hset(args: &[Vec<u8>], reply: &Reply) -> Option<Args> {
    Some(vec![
        b"HSET".to_vec(),
        args.get(1)?.clone(),
        args.get(2)?.clone(),
        reply_bulk(reply)?,
    ])
}

pub static COMMANDS: &[Command] = &[
    single_key("hset", -4, WRITE | DENYOOM | FAST, W_FAST, hset),
    single_key("hsetnx", 4, WRITE | DENYOOM | FAST, W_FAST, hsetnx),
    single_key("hget", 3, READONLY | FAST, R_FAST, hget),
    single_key("hmget", -3, READONLY | FAST, R_FAST, hmget),
    single_key("hmset", -4, WRITE | DENYOOM | FAST, W_FAST, hmset),
    single_key("hdel", -3, WRITE | FAST, W_FAST, hdel),
    single_key("hlen", 2, READONLY | FAST, R_FAST, hlen),
    single_key("hstrlen", 3, READONLY | FAST, R_FAST, hstrlen),
    single_key("hexists", 3, READONLY | FAST, R_FAST, hexists),
    single_key("hkeys", 2, READONLY, R_SLOW, hkeys),
    single_key("hvals", 2, READONLY, R_SLOW, hvals),
    single_key("hgetall", 2, READONLY, R_SLOW, hgetall),
    single_key("hincrby", 4, WRITE | DENYOOM | FAST, W_FAST, hincrby),
    Command {
        propagate: Some(HINCRBYFLOAT_PROPAGATE),
        ..single_key(
            "hincrbyfloat",
            4,
            WRITE | DENYOOM | FAST,
            W_FAST,
            hincrbyfloat,
        )
    },
    single_key("hrandfield", -2, READONLY, R_SLOW, hrandfield),
    single_key("hscan", -3, READONLY, R_SLOW, hscan),
];
