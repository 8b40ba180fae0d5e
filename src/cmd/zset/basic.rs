//! Sorted set commands on single members and counts: ZADD/ZINCRBY (with NX XX GT LT CH INCR),
//! ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT and ZSCAN.
use super::span::{Kind, Span};
use crate::cmd::keys::{parse_cursor, scan_opts, ScanOpts};
use crate::cmd::typed;
use crate::db::zset::score::parse_score;
use crate::db::ZSet;
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::eq_ic;

pub(super) const NAN_ERR: &str = "ERR resulting score is not a number (NaN)";

pub(super) fn score_arg(b: &[u8]) -> Result<f64, Reply> {
    parse_score(b).ok_or_else(Reply::not_float)
}

#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

pub fn zadd(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let mut f = AddFlags::default();
    let mut idx = 2;
    while idx < a.len() {
        let o = &a[idx];
        if eq_ic(o, "nx") {
            f.nx = true;
        } else if eq_ic(o, "xx") {
            f.xx = true;
        } else if eq_ic(o, "ch") {
            f.ch = true;
        } else if eq_ic(o, "incr") {
            f.incr = true;
        } else if eq_ic(o, "gt") {
            f.gt = true;
        } else if eq_ic(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    add_generic(ctx, a, idx, f)
}

pub fn zincrby(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    add_generic(ctx, a, 2, f)
}

fn add_generic(ctx: &mut Ctx, a: &mut Args, idx: usize, f: AddFlags) -> Reply {
    let elements = a.len() - idx;
    if elements % 2 != 0 || elements == 0 {
        return Reply::syntax_error();
    }
    if f.nx && f.xx {
        return Reply::err("ERR XX and NX options at the same time are not compatible");
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Reply::err("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && elements > 2 {
        return Reply::err("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(elements / 2);
    for j in (idx..a.len()).step_by(2) {
        scores.push(tri!(score_arg(&a[j])));
    }
    let key: &[u8] = &a[1];
    let lim = ctx.srv.config.enc;
    let exists = tri!(typed::write::<ZSet>(ctx, key)).is_some();
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut last = 0.0;
    let mut nan = false;
    if exists || !f.xx {
        let z = tri!(typed::write_or_create::<ZSet>(ctx, key));
        for (j, &score) in scores.iter().enumerate() {
            let member = &a[idx + 1 + 2 * j];
            match z.score(member) {
                Some(cur) => {
                    if f.nx {
                        continue;
                    }
                    let new = if f.incr { score + cur } else { score };
                    if new.is_nan() {
                        nan = true;
                        break;
                    }
                    if (f.lt && new >= cur) || (f.gt && new <= cur) {
                        continue;
                    }
                    processed += 1;
                    last = new;
                    if new != cur {
                        z.set(member, new, &lim);
                        updated += 1;
                    }
                }
                None if !f.xx => {
                    z.set(member, score, &lim);
                    added += 1;
                    processed += 1;
                    last = score;
                }
                None => {}
            }
        }
        typed::delete_if_empty(ctx, key);
    }
    if nan {
        return Reply::err(NAN_ERR);
    }
    if added + updated > 0 {
        ctx.dirty(added + updated);
    }
    if f.incr {
        if processed > 0 {
            Reply::Double(last)
        } else {
            Reply::Nil
        }
    } else {
        Reply::Int((if f.ch { added + updated } else { added }) as i64)
    }
}

pub fn zrem(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let key: &[u8] = &a[1];
    let Some(z) = tri!(typed::write::<ZSet>(ctx, key)) else {
        return Reply::Int(0);
    };
    let mut deleted = 0;
    for m in &a[2..] {
        if z.remove(m).is_some() {
            deleted += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    typed::delete_if_empty(ctx, key);
    if deleted > 0 {
        ctx.dirty(deleted);
    }
    Reply::Int(deleted as i64)
}

pub fn zcard(ctx: &mut Ctx, a: &mut Args) -> Reply {
    match tri!(typed::read::<ZSet>(ctx, &a[1])) {
        Some(z) => Reply::Int(z.len() as i64),
        None => Reply::Int(0),
    }
}

pub fn zscore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    match tri!(typed::read::<ZSet>(ctx, &a[1])).and_then(|z| z.score(&a[2])) {
        Some(s) => Reply::Double(s),
        None => Reply::Nil,
    }
}

pub fn zmscore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let z = tri!(typed::read::<ZSet>(ctx, &a[1]));
    Reply::Array(
        a[2..]
            .iter()
            .map(|m| match z.as_ref().and_then(|z| z.score(m)) {
                Some(s) => Reply::Double(s),
                None => Reply::Nil,
            })
            .collect(),
    )
}

fn rank_generic(ctx: &mut Ctx, a: &Args, rev: bool) -> Reply {
    let Some(z) = tri!(typed::read::<ZSet>(ctx, &a[1])) else {
        return Reply::Nil;
    };
    match z.rank(&a[2]) {
        Some(r) if rev => Reply::Int((z.len() - 1 - r) as i64),
        Some(r) => Reply::Int(r as i64),
        None => Reply::Nil,
    }
}

pub fn zrank(ctx: &mut Ctx, a: &mut Args) -> Reply {
    rank_generic(ctx, a, false)
}

pub fn zrevrank(ctx: &mut Ctx, a: &mut Args) -> Reply {
    rank_generic(ctx, a, true)
}

fn count_generic(ctx: &mut Ctx, a: &Args, kind: Kind) -> Reply {
    let span = tri!(Span::parse(kind, &a[2], &a[3]));
    match tri!(typed::read::<ZSet>(ctx, &a[1])) {
        Some(z) => {
            let (lo, hi) = span.resolve(z, false);
            Reply::Int((hi - lo) as i64)
        }
        None => Reply::Int(0),
    }
}

pub fn zcount(ctx: &mut Ctx, a: &mut Args) -> Reply {
    count_generic(ctx, a, Kind::Score)
}

pub fn zlexcount(ctx: &mut Ctx, a: &mut Args) -> Reply {
    count_generic(ctx, a, Kind::Lex)
}

pub fn zscan(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(cursor) = parse_cursor(&a[2]) else {
        return Reply::err("ERR invalid cursor");
    };
    let empty = || Reply::Array(vec![Reply::bulk("0"), Reply::Array(vec![])]);
    let Some(z) = tri!(typed::read::<ZSet>(ctx, &a[1])) else {
        return empty();
    };
    let ScanOpts { count, pat, .. } = tri!(scan_opts(a, 3, false));
    let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut next = 0;
    match z.is_listpack() {
        true => z.for_each(|m, s| found.push((m.to_vec(), s))),
        false => {
            let mut cur = cursor;
            let mut maxit = count.saturating_mul(10);
            loop {
                cur = z.scan(cur, |m, s| found.push((m.to_vec(), s))).unwrap_or(0);
                if cur == 0 || maxit == 0 || found.len() as i64 >= count {
                    break;
                }
                maxit -= 1;
            }
            next = cur;
        }
    }
    let mut out = Vec::with_capacity(found.len() * 2);
    for (m, s) in found {
        if let Some(p) = pat {
            if !crate::glob::matches(p, &m, false) {
                continue;
            }
        }
        out.push(Reply::Bulk(m));
        out.push(Reply::Bulk(crate::util::fmt_double(s).into_bytes()));
    }
    Reply::Array(vec![
        Reply::Bulk(next.to_string().into_bytes()),
        Reply::Array(out),
    ])
}
