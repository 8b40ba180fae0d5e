//! Range commands: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) and the older forms it unifies
//! (ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX), ZRANGESTORE, and ZREMRANGEBY{RANK,SCORE,LEX}.
//! Option parsing and the order of checks follow Redis's `zrangeGenericCommand`.
use super::entries_reply;
use super::span::{Kind, Span};
use crate::cmd::typed;
use crate::db::{Value, ZSet};
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::eq_ic;

/// Members of `lo..hi` (ascending ranks) after skipping `offset` and taking `limit` (negative:
/// all), walking down from the top when `rev`.
fn span_items(
    z: &ZSet,
    lo: usize,
    hi: usize,
    rev: bool,
    offset: i64,
    limit: i64,
) -> Vec<(Vec<u8>, f64)> {
    if offset < 0 || hi <= lo {
        return Vec::new();
    }
    let off = offset as usize;
    let n = hi - lo;
    if off >= n {
        return Vec::new();
    }
    let take = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    if rev {
        z.range(lo, hi - 1 - off, true, take)
    } else {
        z.range(lo + off, hi - 1, false, take)
    }
}

/// The shared body of every ZRANGE form. `src` is the index of the source key (the range
/// arguments follow it); `dst` is the destination of ZRANGESTORE.
fn generic(
    ctx: &mut Ctx,
    a: &Args,
    src: usize,
    dst: Option<usize>,
    mut kind: Kind,
    rev: Option<bool>,
) -> Reply {
    let mut rev = rev;
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = src + 3;
    while j < a.len() {
        let left = a.len() - j - 1;
        let o = &a[j];
        if dst.is_none() && eq_ic(o, "withscores") {
            withscores = true;
        } else if eq_ic(o, "limit") && left >= 2 {
            offset = tri!(crate::cmd::args::int(&a[j + 1]));
            limit = tri!(crate::cmd::args::int(&a[j + 2]));
            j += 2;
        } else if rev.is_none() && eq_ic(o, "rev") {
            rev = Some(true);
        } else if kind == Kind::Auto && eq_ic(o, "bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && eq_ic(o, "byscore") {
            kind = Kind::Score;
        } else {
            return Reply::syntax_error();
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        return Reply::err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if kind == Kind::Rank {
        // Redis rejects a LIMIT count with rank ranges but ignores a bare offset (`LIMIT 1 -1`).
        offset = 0;
    }
    if withscores && kind == Kind::Lex {
        return Reply::err("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let (mut mi, mut ma) = (src + 1, src + 2);
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut mi, &mut ma);
    }
    let span = tri!(Span::parse(kind, &a[mi], &a[ma]));
    let items = match tri!(typed::read::<ZSet>(ctx, &a[src])) {
        None => Vec::new(),
        Some(z) => {
            let (lo, hi) = span.resolve(z, rev);
            span_items(z, lo, hi, rev, offset, limit)
        }
    };
    match dst {
        Some(d) => {
            // Redis sizes the destination by the result length when it knows it (rank ranges).
            let known_len = kind == Kind::Rank;
            store_result(ctx, &a[d], items, Some(known_len))
        }
        None => entries_reply(ctx, items, withscores, true),
    }
}

/// Store a computed set under `key` (deleting it when empty) and reply its size, as the STORE
/// commands do; one change either way (none when there was nothing to delete).
/// `sequential: Some(known_len)`: build it by adding the members in order, as ZRANGESTORE does:
/// it starts as a skiplist when the length is known and over the listpack limit, else as a
/// listpack (members added while it is a listpack lose the sign of a -0 score). `None`: encode
/// the finished set at once.
pub(crate) fn store_result(
    ctx: &mut Ctx,
    key: &[u8],
    items: Vec<(Vec<u8>, f64)>,
    sequential: Option<bool>,
) -> Reply {
    let n = items.len();
    if n == 0 {
        let now = ctx.now;
        if ctx.db().exists(key, now) {
            ctx.db().remove(key);
            ctx.dirty(1);
        }
        return Reply::Int(0);
    }
    let lim = ctx.srv.config.enc;
    let z = if let Some(known_len) = sequential {
        let mut z = ZSet::new();
        if known_len && n as u64 > lim.zset_max_listpack_entries {
            z.convert_to_skiplist();
        }
        for (m, s) in &items {
            z.set(m, *s, &lim);
        }
        z
    } else {
        ZSet::from_entries(items, &lim)
    };
    typed::store(ctx, key, Value::ZSet(z), n);
    ctx.dirty(1);
    Reply::Int(n as i64)
}

pub fn zrange(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, 1, None, Kind::Auto, None)
}

pub fn zrangestore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, 2, Some(1), Kind::Auto, None)
}

pub fn zrevrange(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, 1, None, Kind::Rank, Some(true))
}

pub fn zrangebyscore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, 1, None, Kind::Score, Some(false))
}

pub fn zrevrangebyscore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, 1, None, Kind::Score, Some(true))
}

pub fn zrangebylex(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, 1, None, Kind::Lex, Some(false))
}

pub fn zrevrangebylex(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, 1, None, Kind::Lex, Some(true))
}

fn remrange(ctx: &mut Ctx, a: &mut Args, kind: Kind) -> Reply {
    let span = tri!(Span::parse(kind, &a[2], &a[3]));
    let key: &[u8] = &a[1];
    let Some(z) = tri!(typed::write::<ZSet>(ctx, key)) else {
        return Reply::Int(0);
    };
    let (lo, hi) = span.resolve(z, false);
    let removed = if hi > lo {
        z.remove_range(lo, hi - 1)
    } else {
        0
    };
    typed::delete_if_empty(ctx, key);
    if removed > 0 {
        ctx.dirty(removed as u64);
    }
    Reply::Int(removed as i64)
}

pub fn zremrangebyrank(ctx: &mut Ctx, a: &mut Args) -> Reply {
    remrange(ctx, a, Kind::Rank)
}

pub fn zremrangebyscore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    remrange(ctx, a, Kind::Score)
}

pub fn zremrangebylex(ctx: &mut Ctx, a: &mut Args) -> Reply {
    remrange(ctx, a, Kind::Lex)
}
