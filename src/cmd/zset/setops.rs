//! Multi-key operations: ZUNION/ZINTER/ZDIFF, their STORE forms, and ZINTERCARD (WEIGHTS,
//! AGGREGATE SUM|MIN|MAX, WITHSCORES, LIMIT). Plain sets are accepted as inputs, every member
//! scoring 1. Argument checks come in Redis's order: numkeys, key types, then options.
use super::entries_reply;
use super::range::store_result;
use crate::db::zset::score::parse_score;
use crate::db::Value;
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::{eq_ic, parse_i64};
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggr {
    Sum,
    Min,
    Max,
}

impl Aggr {
    fn apply(self, acc: &mut f64, v: f64) {
        match self {
            Aggr::Sum => {
                *acc += v;
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            // C comparisons: a NaN operand keeps the accumulated value, and so does -0 vs 0.
            Aggr::Min => {
                if v < *acc {
                    *acc = v
                }
            }
            Aggr::Max => {
                if v > *acc {
                    *acc = v
                }
            }
        }
    }
}

/// One input: its members with scores (empty for a missing key) and its weight.
struct Src {
    items: Vec<(Vec<u8>, f64)>,
    weight: f64,
}

/// The members and scores of an input key: a sorted set, or a set (scores 1).
fn load(ctx: &mut Ctx, key: &[u8], write: bool) -> Result<Vec<(Vec<u8>, f64)>, Reply> {
    let now = ctx.now;
    let dbi = ctx.client.db;
    let e = if write {
        ctx.db().get(key, now)
    } else {
        crate::cmd::keys::lookup_read(ctx.srv, dbi, key, now)
    };
    match e.map(|e| &e.value) {
        None => Ok(Vec::new()),
        Some(Value::ZSet(z)) => Ok(z.members()),
        Some(Value::Set(s)) => Ok(s.members().into_iter().map(|m| (m, 1.0)).collect()),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// `dst` is the destination index for the STORE forms; `nk` the index of numkeys.
fn generic(ctx: &mut Ctx, a: &Args, dst: Option<usize>, nk: usize, op: Op, card: bool) -> Reply {
    let setnum = tri!(parse_i64(&a[nk]).ok_or_else(Reply::not_integer));
    if setnum < 1 {
        return Reply::Error(format!(
            "ERR at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(&a[0]).to_ascii_lowercase()
        ));
    }
    if setnum as u64 > (a.len() - nk - 1) as u64 {
        return Reply::syntax_error();
    }
    let setnum = setnum as usize;
    let mut srcs = Vec::with_capacity(setnum);
    for k in &a[nk + 1..nk + 1 + setnum] {
        srcs.push(Src {
            items: tri!(load(ctx, k, dst.is_some())),
            weight: 1.0,
        });
    }
    let mut aggr = Aggr::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = nk + 1 + setnum;
    while j < a.len() {
        let remaining = a.len() - j;
        if op != Op::Diff && !card && remaining > setnum && eq_ic(&a[j], "weights") {
            j += 1;
            for s in srcs.iter_mut() {
                s.weight =
                    tri!(parse_score(&a[j])
                        .ok_or_else(|| Reply::err("ERR weight value is not a float")));
                j += 1;
            }
        } else if op != Op::Diff && !card && remaining >= 2 && eq_ic(&a[j], "aggregate") {
            let v = &a[j + 1];
            aggr = if eq_ic(v, "sum") {
                Aggr::Sum
            } else if eq_ic(v, "min") {
                Aggr::Min
            } else if eq_ic(v, "max") {
                Aggr::Max
            } else {
                return Reply::syntax_error();
            };
            j += 2;
        } else if dst.is_none() && !card && eq_ic(&a[j], "withscores") {
            withscores = true;
            j += 1;
        } else if card && remaining >= 2 && eq_ic(&a[j], "limit") {
            limit = match parse_i64(&a[j + 1]) {
                Some(n) if n >= 0 => n as usize,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            };
            j += 2;
        } else {
            return Reply::syntax_error();
        }
    }
    if card {
        return Reply::Int(intercard(&mut srcs, limit) as i64);
    }
    let mut items = match op {
        Op::Union => union(&mut srcs, aggr),
        Op::Inter => inter(&mut srcs, aggr),
        Op::Diff => diff(&srcs),
    };
    match dst {
        Some(d) => store_result(ctx, &a[d], items, None),
        None => {
            items.sort_by(|x, y| crate::db::zset::skiplist::cmp_entry(x.1, &x.0, y.1, &y.0));
            entries_reply(ctx, items, withscores, true)
        }
    }
}

fn weighted(w: f64, s: f64) -> f64 {
    let v = w * s;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn union(srcs: &mut [Src], aggr: Aggr) -> Vec<(Vec<u8>, f64)> {
    srcs.sort_by_key(|s| s.items.len());
    let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
    let mut order: Vec<Vec<u8>> = Vec::new();
    for s in srcs.iter_mut() {
        for (m, sc) in std::mem::take(&mut s.items) {
            let v = weighted(s.weight, sc);
            match acc.get_mut(&m) {
                Some(cur) => aggr.apply(cur, v),
                None => {
                    acc.insert(m.clone(), v);
                    order.push(m);
                }
            }
        }
    }
    order
        .into_iter()
        .map(|m| {
            let s = acc.get(&m).copied().unwrap_or(0.0);
            (m, s)
        })
        .collect()
}

fn inter(srcs: &mut [Src], aggr: Aggr) -> Vec<(Vec<u8>, f64)> {
    srcs.sort_by_key(|s| s.items.len());
    if srcs.iter().any(|s| s.items.is_empty()) {
        return Vec::new();
    }
    let maps: Vec<HashMap<&[u8], f64>> = srcs[1..]
        .iter()
        .map(|s| s.items.iter().map(|(m, sc)| (m.as_slice(), *sc)).collect())
        .collect();
    let mut out = Vec::new();
    'outer: for (m, sc) in &srcs[0].items {
        let mut v = weighted(srcs[0].weight, *sc);
        for (i, map) in maps.iter().enumerate() {
            match map.get(m.as_slice()) {
                // Only the first score is cleaned of NaN (as Redis does); SUM cleans its result.
                Some(&o) => aggr.apply(&mut v, o * srcs[i + 1].weight),
                None => continue 'outer,
            }
        }
        out.push((m.clone(), v));
    }
    out
}

fn intercard(srcs: &mut [Src], limit: usize) -> usize {
    srcs.sort_by_key(|s| s.items.len());
    if srcs.iter().any(|s| s.items.is_empty()) {
        return 0;
    }
    let maps: Vec<std::collections::HashSet<&[u8]>> = srcs[1..]
        .iter()
        .map(|s| s.items.iter().map(|(m, _)| m.as_slice()).collect())
        .collect();
    let mut n = 0;
    for (m, _) in &srcs[0].items {
        if maps.iter().all(|s| s.contains(m.as_slice())) {
            n += 1;
            if limit != 0 && n >= limit {
                break;
            }
        }
    }
    n
}

fn diff(srcs: &[Src]) -> Vec<(Vec<u8>, f64)> {
    let others: Vec<std::collections::HashSet<&[u8]>> = srcs[1..]
        .iter()
        .map(|s| s.items.iter().map(|(m, _)| m.as_slice()).collect())
        .collect();
    srcs[0]
        .items
        .iter()
        .filter(|(m, _)| !others.iter().any(|o| o.contains(m.as_slice())))
        .cloned()
        .collect()
}

pub fn zunionstore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, Some(1), 2, Op::Union, false)
}

pub fn zinterstore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, Some(1), 2, Op::Inter, false)
}

pub fn zdiffstore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, Some(1), 2, Op::Diff, false)
}

pub fn zunion(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, None, 1, Op::Union, false)
}

pub fn zinter(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, None, 1, Op::Inter, false)
}

pub fn zdiff(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, None, 1, Op::Diff, false)
}

pub fn zintercard(ctx: &mut Ctx, a: &mut Args) -> Reply {
    generic(ctx, a, None, 1, Op::Inter, true)
}
