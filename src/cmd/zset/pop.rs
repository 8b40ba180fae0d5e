//! Removing members from the ends (ZPOPMIN, ZPOPMAX, ZMPOP), their blocking forms (BZPOPMIN,
//! BZPOPMAX, BZMPOP, which wait through `server::blocking`), and ZRANDMEMBER.
use super::entries_reply;
use crate::cmd::typed;
use crate::db::ZSet;
use crate::resp::Reply;
use crate::server::blocking::{self, Awaits};
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::{eq_ic, parse_i64};

/// A key and the members popped from it.
type Popped = (Vec<u8>, Vec<(Vec<u8>, f64)>);

/// Pop up to `count` members from the first key of `keys` that holds a sorted set (WRONGTYPE
/// for a key of another type met before it). None when no key exists. (A stored sorted set is
/// never empty, so this is also "the first key with something to pop" of the blocking forms.)
fn pop_first(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    max: bool,
    count: usize,
) -> Result<Option<Popped>, Reply> {
    for k in keys {
        let Some(z) = typed::write::<ZSet>(ctx, k)? else {
            continue;
        };
        let mut out = Vec::new();
        while out.len() < count {
            match z.pop(max) {
                Some(e) => out.push(e),
                None => break,
            }
        }
        typed::delete_if_empty(ctx, k);
        if !out.is_empty() {
            ctx.dirty(out.len() as u64);
        }
        return Ok(Some((k.clone(), out)));
    }
    Ok(None)
}

fn zpop(ctx: &mut Ctx, a: &mut Args, max: bool) -> Reply {
    if a.len() > 3 {
        return Reply::syntax_error();
    }
    let count = match a.get(2) {
        Some(c) => match parse_i64(c) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Reply::err("ERR value is out of range, must be positive"),
        },
        None => None,
    };
    match tri!(pop_first(ctx, &a[1..2], max, count.unwrap_or(1))) {
        None => Reply::Array(vec![]),
        Some((_, items)) => entries_reply(ctx, items, true, count.is_some()),
    }
}

pub fn zpopmin(ctx: &mut Ctx, a: &mut Args) -> Reply {
    zpop(ctx, a, false)
}

pub fn zpopmax(ctx: &mut Ctx, a: &mut Args) -> Reply {
    zpop(ctx, a, true)
}

/// `[key, [[member, score], ...]]`, the reply of ZMPOP and BZMPOP.
fn mpop_reply(key: Vec<u8>, items: Vec<(Vec<u8>, f64)>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(key),
        Reply::Array(
            items
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                .collect(),
        ),
    ])
}

/// Parsed `numkeys key [key ...] MIN|MAX [COUNT count]` starting at `at`.
struct MPop {
    keys: Vec<Vec<u8>>,
    max: bool,
    count: usize,
}

fn parse_mpop(a: &Args, at: usize) -> Result<MPop, Reply> {
    let numkeys = match parse_i64(&a[at]) {
        Some(n) if n > 0 => n as u64,
        _ => return Err(Reply::err("ERR numkeys should be greater than 0")),
    };
    let where_idx = (at as u64 + 1).saturating_add(numkeys);
    if where_idx >= a.len() as u64 {
        return Err(Reply::syntax_error());
    }
    let w = where_idx as usize;
    let max = if eq_ic(&a[w], "min") {
        false
    } else if eq_ic(&a[w], "max") {
        true
    } else {
        return Err(Reply::syntax_error());
    };
    let mut count = None;
    let mut j = w + 1;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if count.is_none() && eq_ic(&a[j], "count") && more > 0 {
            j += 1;
            match parse_i64(&a[j]) {
                Some(n) if n > 0 => count = Some(n as usize),
                _ => return Err(Reply::err("ERR count should be greater than 0")),
            }
        } else {
            return Err(Reply::syntax_error());
        }
        j += 1;
    }
    Ok(MPop {
        keys: a[at + 1..w].to_vec(),
        max,
        count: count.unwrap_or(1),
    })
}

pub fn zmpop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let p = tri!(parse_mpop(a, 1));
    match tri!(pop_first(ctx, &p.keys, p.max, p.count)) {
        Some((k, items)) if !items.is_empty() => mpop_reply(k, items),
        _ => Reply::NilArray,
    }
}

/// The keys of a blocking pop in serving order: on a re-run for a key that became ready, that
/// key first (Redis serves the key that was signalled).
fn serving_order(ctx: &Ctx, keys: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut order = keys.to_vec();
    if ctx.client.reexec {
        if let Some(k) = &ctx.client.serving_key {
            if let Some(i) = order.iter().position(|x| x == k) {
                let k = order.remove(i);
                order.insert(0, k);
            }
        }
    }
    order
}

fn bzpop(ctx: &mut Ctx, a: &mut Args, max: bool) -> Reply {
    let deadline = tri!(blocking::parse_timeout(&a[a.len() - 1], ctx.now));
    let keys = a[1..a.len() - 1].to_vec();
    match tri!(pop_first(ctx, &serving_order(ctx, &keys), max, 1)) {
        Some((k, mut items)) if !items.is_empty() => {
            let (m, s) = items.swap_remove(0);
            Reply::Array(vec![Reply::Bulk(k), Reply::Bulk(m), Reply::Double(s)])
        }
        _ => blocking::block(ctx, keys, Awaits::ZSet, deadline, Reply::NilArray),
    }
}

pub fn bzpopmin(ctx: &mut Ctx, a: &mut Args) -> Reply {
    bzpop(ctx, a, false)
}

pub fn bzpopmax(ctx: &mut Ctx, a: &mut Args) -> Reply {
    bzpop(ctx, a, true)
}

pub fn bzmpop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let p = tri!(parse_mpop(a, 2));
    let deadline = tri!(blocking::parse_timeout(&a[1], ctx.now));
    match tri!(pop_first(ctx, &serving_order(ctx, &p.keys), p.max, p.count)) {
        Some((k, items)) if !items.is_empty() => mpop_reply(k, items),
        _ => blocking::block(ctx, p.keys, Awaits::ZSet, deadline, Reply::NilArray),
    }
}

thread_local! {
    static RNG: std::cell::Cell<u64> = std::cell::Cell::new(crate::util::now_us() as u64 | 1);
}

/// A random number below `n` (n > 0), from a per-thread xorshift generator.
fn rand_below(n: usize) -> usize {
    RNG.with(|c| {
        let mut s = c.get();
        let x = crate::util::xorshift64(&mut s);
        c.set(s);
        (x.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as usize % n
    })
}

/// Most members ZRANDMEMBER returns with repetitions (negative count), far beyond any real use.
const MAX_REPEATED: i64 = 1 << 28;

pub fn zrandmember(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() == 2 {
        return match tri!(typed::read::<ZSet>(ctx, &a[1])) {
            Some(z) if !z.is_empty() => match z.at(rand_below(z.len())) {
                Some((m, _)) => Reply::Bulk(m.to_vec()),
                None => Reply::Nil,
            },
            _ => Reply::Nil,
        };
    }
    let l = match parse_i64(&a[2]) {
        None => return Reply::not_integer(),
        Some(i64::MIN) => {
            return Reply::err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            )
        }
        Some(l) => l,
    };
    if a.len() > 4 || (a.len() == 4 && !eq_ic(&a[3], "withscores")) {
        return Reply::syntax_error();
    }
    let withscores = a.len() == 4;
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
        return Reply::err("ERR value is out of range");
    }
    let Some(z) = tri!(typed::read::<ZSet>(ctx, &a[1])) else {
        return Reply::Array(vec![]);
    };
    let size = z.len();
    let count = l.unsigned_abs() as usize;
    if l < -MAX_REPEATED {
        // Redis would try to build the reply and run out of memory; refuse instead.
        return Reply::err("ERR value is out of range");
    }
    if count == 0 || size == 0 {
        return Reply::Array(vec![]);
    }
    let pick = |r: usize| z.at(r).map(|(m, s)| (m.to_vec(), s));
    let items: Vec<(Vec<u8>, f64)> = if l < 0 {
        (0..count).filter_map(|_| pick(rand_below(size))).collect()
    } else if count >= size {
        // The whole set; Redis walks a listpack from its tail here.
        let mut all = z.members();
        all.reverse();
        all
    } else if count * 3 > size {
        // Many wanted: drop random ranks until `count` remain (order stays by rank).
        let mut keep = vec![true; size];
        let mut left = size;
        while left > count {
            let r = rand_below(size);
            if keep[r] {
                keep[r] = false;
                left -= 1;
            }
        }
        (0..size).filter(|&r| keep[r]).filter_map(pick).collect()
    } else {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let r = rand_below(size);
            if seen.insert(r) {
                if let Some(e) = pick(r) {
                    out.push(e);
                }
            }
        }
        out
    };
    entries_reply(ctx, items, withscores, true)
}
