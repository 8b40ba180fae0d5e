//! Popping from the first non-empty list among several keys: LMPOP, and the blocking BLPOP,
//! BRPOP and BLMPOP, which wait on all their keys while every one is missing. When a blocked
//! command is re-run because one key became ready, that key is served first, as Redis does.
use super::{bulks, drop_if_empty, parse_end};
use crate::cmd::typed;
use crate::db::list::{End, List};
use crate::resp::Reply;
use crate::server::blocking::{self, Awaits};
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::{eq_ic, parse_i64};
use std::ops::Range;

/// The reply shape: BLPOP's `[key, element]` or LMPOP's `[key, [elements]]` with a count.
#[derive(Clone, Copy)]
enum Shape {
    One,
    Many(usize),
}

/// Pop from the list at `key`: Ok(None) when there is none, WRONGTYPE for another type.
fn pop_from(ctx: &mut Ctx, key: &[u8], end: End, shape: Shape) -> Result<Option<Reply>, Reply> {
    let Some(list) = typed::write::<List>(ctx, key)? else {
        return Ok(None);
    };
    let (values, n) = match shape {
        Shape::One => match list.pop(end) {
            Some(v) => (Reply::Bulk(v), 1),
            None => return Ok(None),
        },
        Shape::Many(count) => {
            let v = list.pop_many(end, count);
            let n = v.len();
            if n == 0 {
                return Ok(None);
            }
            (bulks(v), n)
        }
    };
    let empty = list.is_empty();
    drop_if_empty(ctx, key, empty);
    ctx.dirty(n as u64);
    Ok(Some(Reply::Array(vec![Reply::Bulk(key.to_vec()), values])))
}

/// Pop from the first key holding a list; on a re-run for a ready key, from that key first.
fn pop_first(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    end: End,
    shape: Shape,
) -> Result<Option<Reply>, Reply> {
    if ctx.client.reexec {
        if let Some(k) = ctx.client.serving_key.clone() {
            if let Ok(Some(r)) = pop_from(ctx, &k, end, shape) {
                return Ok(Some(r));
            }
        }
    }
    for k in keys {
        if let Some(r) = pop_from(ctx, k, end, shape)? {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// BLPOP/BRPOP key [key ...] timeout.
fn blocking_pop(ctx: &mut Ctx, a: &Args, end: End) -> Reply {
    let last = a.len() - 1;
    let deadline = tri!(blocking::parse_timeout(&a[last], ctx.now));
    let keys = &a[1..last];
    match tri!(pop_first(ctx, keys, end, Shape::One)) {
        Some(r) => r,
        None => blocking::block(ctx, keys.to_vec(), Awaits::List, deadline, Reply::NilArray),
    }
}

pub fn blpop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    blocking_pop(ctx, a, End::Head)
}

pub fn brpop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    blocking_pop(ctx, a, End::Tail)
}

/// Parsed `numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
struct Mpop {
    keys: Range<usize>,
    end: End,
    count: usize,
}

/// Parse the LMPOP arguments starting with numkeys at `idx`, in Redis's order of checks.
fn parse_mpop(a: &Args, idx: usize) -> Result<Mpop, Reply> {
    let n = match parse_i64(&a[idx]) {
        Some(n) if n > 0 => n as u64,
        _ => return Err(Reply::err("ERR numkeys should be greater than 0")),
    };
    let where_idx = idx as u64 + n + 1;
    if where_idx >= a.len() as u64 {
        return Err(Reply::syntax_error());
    }
    let where_idx = where_idx as usize;
    let end = parse_end(&a[where_idx])?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < a.len() {
        if count.is_none() && j + 1 < a.len() && eq_ic(&a[j], "count") {
            count = match parse_i64(&a[j + 1]) {
                Some(c) if c > 0 => Some(c as usize),
                _ => return Err(Reply::err("ERR count should be greater than 0")),
            };
            j += 2;
        } else {
            return Err(Reply::syntax_error());
        }
    }
    Ok(Mpop {
        keys: idx + 1..where_idx,
        end,
        count: count.unwrap_or(1),
    })
}

pub fn lmpop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let m = tri!(parse_mpop(a, 1));
    match tri!(pop_first(ctx, &a[m.keys], m.end, Shape::Many(m.count))) {
        Some(r) => r,
        None => Reply::NilArray,
    }
}

pub fn blmpop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let m = tri!(parse_mpop(a, 2));
    let deadline = tri!(blocking::parse_timeout(&a[1], ctx.now));
    let keys = &a[m.keys];
    match tri!(pop_first(ctx, keys, m.end, Shape::Many(m.count))) {
        Some(r) => r,
        None => blocking::block(ctx, keys.to_vec(), Awaits::List, deadline, Reply::NilArray),
    }
}

/// Key positions of `numkeys key [key ...]` with numkeys at `idx` (none when it is invalid).
fn keys_after_numkeys(a: &[Vec<u8>], idx: usize) -> Vec<usize> {
    match a.get(idx).and_then(|v| parse_i64(v)) {
        Some(n) if n > 0 && (n as u64) < a.len().saturating_sub(idx) as u64 => {
            (idx + 1..idx + 1 + n as usize).collect()
        }
        _ => Vec::new(),
    }
}

pub fn lmpop_keys(a: &[Vec<u8>]) -> Vec<usize> {
    keys_after_numkeys(a, 1)
}

pub fn blmpop_keys(a: &[Vec<u8>]) -> Vec<usize> {
    keys_after_numkeys(a, 2)
}
