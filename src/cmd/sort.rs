//! SORT and SORT_RO: sort a list, set or sorted set by the elements themselves or by weights
//! found through a key pattern (`BY w_*`, `BY h_*->field`), optionally projecting other keys
//! (`GET`), with LIMIT, DESC, ALPHA and (SORT only) STORE into a list. Follows Redis 7.0's
//! `sortCommandGeneric`: option parsing order, the `nosort` fast paths, clamping of LIMIT, the
//! destructive skiplist conversion of sorted sets, and its error texts.
mod strtod;

use super::keys::lookup_read;
use super::typed;
use crate::db::{List, Value};
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::Ctx;
use crate::util::{eq_ic, parse_i64};
use std::cmp::Ordering;

const CONVERT_ERR: &str = "ERR One or more scores can't be converted into double";

/// The parsed options of one SORT call.
#[derive(Debug, Default, PartialEq)]
struct Opts {
    desc: bool,
    alpha: bool,
    /// LIMIT offset count as given (clamped later against the length).
    limit: Option<(i64, i64)>,
    store: Option<Vec<u8>>,
    /// BY pattern containing `*` (sort by external weights).
    by: Option<Vec<u8>>,
    /// BY with a pattern without `*`: keep the native order.
    dontsort: bool,
    gets: Vec<Vec<u8>>,
}

/// Parse the options after the key, left to right as Redis does (the last of repeated options
/// wins; STORE is a syntax error for SORT_RO).
fn parse(a: &Args, readonly: bool) -> Result<Opts, Reply> {
    let mut o = Opts::default();
    let mut j = 2;
    while j < a.len() {
        let left = a.len() - j - 1;
        let w = &a[j];
        if eq_ic(w, "asc") {
            o.desc = false;
        } else if eq_ic(w, "desc") {
            o.desc = true;
        } else if eq_ic(w, "alpha") {
            o.alpha = true;
        } else if eq_ic(w, "limit") && left >= 2 {
            let off = parse_i64(&a[j + 1]).ok_or_else(Reply::not_integer)?;
            let cnt = parse_i64(&a[j + 2]).ok_or_else(Reply::not_integer)?;
            o.limit = Some((off, cnt));
            j += 2;
        } else if !readonly && eq_ic(w, "store") && left >= 1 {
            o.store = Some(a[j + 1].clone());
            j += 1;
        } else if eq_ic(w, "by") && left >= 1 {
            let p = &a[j + 1];
            if p.contains(&b'*') {
                o.by = Some(p.clone());
                o.dontsort = false;
            } else {
                o.by = None;
                o.dontsort = true;
            }
            j += 1;
        } else if eq_ic(w, "get") && left >= 1 {
            o.gets.push(a[j + 1].clone());
            j += 1;
        } else {
            return Err(Reply::syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

/// The inclusive output range `start..=end` over `len` elements (empty when end < start),
/// clamped the way Redis clamps LIMIT.
fn range(limit: Option<(i64, i64)>, len: usize) -> (i64, i64) {
    let n = len as i64;
    let (off, cnt) = limit.unwrap_or((0, -1));
    let mut start = off.clamp(0, n);
    let cnt = cnt.clamp(-1, n);
    let mut end = if cnt < 0 {
        n - 1
    } else {
        start.saturating_add(cnt) - 1
    };
    if start >= n {
        start = n - 1;
        end = n - 2;
    }
    (start, end.min(n - 1))
}

fn slice<T>(v: Vec<T>, start: i64, end: i64) -> Vec<T> {
    if end < start || start < 0 {
        return Vec::new();
    }
    v.into_iter()
        .skip(start as usize)
        .take((end - start + 1) as usize)
        .collect()
}

/// Resolve a BY/GET pattern for `elem`: `#` is the element itself; otherwise the first `*` is
/// replaced by the element and the key must hold a string, or with `->field` (after the `*`,
/// non-empty) a hash with that field. A pattern without `*` names nothing.
fn lookup_pattern(ctx: &mut Ctx, pat: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    if pat == b"#" {
        return Some(elem.to_vec());
    }
    let star = pat.iter().position(|&c| c == b'*')?;
    let arrow = pat[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| i + star + 1)
        .filter(|&i| i + 2 < pat.len());
    let key_end = arrow.unwrap_or(pat.len());
    let mut key = pat[..star].to_vec();
    key.extend_from_slice(elem);
    key.extend_from_slice(&pat[star + 1..key_end]);
    let (db, now) = (ctx.client.db, ctx.now);
    let e = lookup_read(ctx.srv, db, &key, now)?;
    match arrow {
        Some(i) => e
            .value
            .as_hash()?
            .get_field(&pat[i + 2..])
            .map(|v| v.to_vec()),
        None => e.value.as_str().map(|s| s.to_vec()),
    }
}

/// Source kinds, which decide the `nosort` behaviour.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// The elements of the key to sort, in native order (list order, set iteration order, sorted
/// set rank order). A sorted set is converted to its skiplist encoding first, as Redis does.
fn load(ctx: &mut Ctx, key: &[u8]) -> Result<(Kind, Vec<Vec<u8>>), Reply> {
    let (db, now) = (ctx.client.db, ctx.now);
    let Some(e) = lookup_read(ctx.srv, db, key, now) else {
        return Ok((Kind::List, Vec::new()));
    };
    match &mut e.value {
        Value::List(l) => Ok((Kind::List, l.members())),
        Value::Set(s) => Ok((Kind::Set, s.members())),
        Value::ZSet(z) => {
            z.convert_to_skiplist();
            Ok((
                Kind::ZSet,
                z.members().into_iter().map(|(m, _)| m).collect(),
            ))
        }
        _ => Err(Reply::wrong_type()),
    }
}

/// Byte-wise comparison; `cstr` compares as C strings (up to the first NUL), as `strcoll` does
/// in the C/C.UTF-8 locale Redis reads replies with.
fn cmp_bytes(a: &[u8], b: &[u8], cstr: bool) -> Ordering {
    if cstr {
        let cut = |s: &[u8]| -> usize { s.iter().position(|&c| c == 0).unwrap_or(s.len()) };
        a[..cut(a)].cmp(&b[..cut(b)])
    } else {
        a.cmp(b)
    }
}

/// One element with what it is sorted by.
struct Item {
    elem: Vec<u8>,
    score: f64,
    /// ALPHA with BY: the weight string (None when the weight key is missing).
    cmp: Option<Vec<u8>>,
}

/// Sort `elems` by their weights. Err when a numeric weight does not parse.
fn sort_items(ctx: &mut Ctx, o: &Opts, elems: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, Reply> {
    let mut bad = false;
    let mut items = Vec::with_capacity(elems.len());
    for elem in elems {
        let w = match &o.by {
            Some(p) => lookup_pattern(ctx, p, &elem),
            None => Some(elem.clone()),
        };
        let mut it = Item {
            elem,
            score: 0.0,
            cmp: None,
        };
        match w {
            Some(w) if o.alpha => it.cmp = o.by.is_some().then_some(w),
            Some(w) => match strtod::weight(&w) {
                Some(v) => it.score = v,
                None => bad = true,
            },
            None => {}
        }
        items.push(it);
    }
    if bad {
        return Err(Reply::err(CONVERT_ERR));
    }
    let cstr = o.store.is_none();
    let by = o.by.is_some();
    items.sort_by(|x, y| {
        let c = if !o.alpha {
            x.score
                .partial_cmp(&y.score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| x.elem.cmp(&y.elem))
        } else if by {
            match (&x.cmp, &y.cmp) {
                (Some(p), Some(q)) => cmp_bytes(p, q, cstr),
                (p, q) => p.is_some().cmp(&q.is_some()),
            }
        } else {
            cmp_bytes(&x.elem, &y.elem, cstr)
        };
        if o.desc {
            c.reverse()
        } else {
            c
        }
    });
    Ok(items.into_iter().map(|i| i.elem).collect())
}

fn sort_generic(ctx: &mut Ctx, a: &mut Args, readonly: bool) -> Reply {
    let mut o = match parse(a, readonly) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let (kind, mut elems) = match load(ctx, &a[1]) {
        Ok(x) => x,
        Err(r) => return r,
    };
    // Unsorted set output would depend on the hash order: a stored result is sorted instead.
    if o.dontsort && kind == Kind::Set && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let (start, end) = range(o.limit, elems.len());
    let out = if o.dontsort {
        if kind != Kind::Set && o.desc {
            elems.reverse();
        }
        slice(elems, start, end)
    } else {
        match sort_items(ctx, &o, elems) {
            Ok(v) => slice(v, start, end),
            Err(r) => return r,
        }
    };
    // Rows: the element itself, or one value per GET pattern.
    let mut rows: Vec<Option<Vec<u8>>> = Vec::new();
    for elem in out {
        if o.gets.is_empty() {
            rows.push(Some(elem));
        } else {
            for g in &o.gets {
                rows.push(lookup_pattern(ctx, g, &elem));
            }
        }
    }
    match o.store {
        None => Reply::Array(
            rows.into_iter()
                .map(|r| r.map_or(Reply::Nil, Reply::Bulk))
                .collect(),
        ),
        Some(dst) => store(ctx, &dst, rows),
    }
}

/// STORE: the rows become a list at `dst` (missing GET values as empty strings); no rows delete
/// `dst`. Replies the number of rows.
fn store(ctx: &mut Ctx, dst: &[u8], rows: Vec<Option<Vec<u8>>>) -> Reply {
    let n = rows.len();
    if n == 0 {
        let now = ctx.now;
        if ctx.db().exists(dst, now) {
            ctx.db().remove(dst);
            ctx.dirty(1);
        }
        return Reply::Int(0);
    }
    let list = List::from_vec(rows.into_iter().map(|r| r.unwrap_or_default()).collect());
    typed::store(ctx, dst, Value::List(list), n);
    ctx.dirty(n as u64);
    Reply::Int(n as i64)
}

fn sort(ctx: &mut Ctx, a: &mut Args) -> Reply {
    sort_generic(ctx, a, false)
}

fn sort_ro(ctx: &mut Ctx, a: &mut Args) -> Reply {
    sort_generic(ctx, a, true)
}

/// SORT's keys: the sorted key and the destination of the last STORE (LIMIT skips two
/// arguments, GET and BY one), as Redis's `sortGetKeys`.
fn sort_keys(a: &[Vec<u8>]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < a.len() {
        if eq_ic(&a[i], "limit") {
            i += 2;
        } else if eq_ic(&a[i], "store") && i + 1 < a.len() {
            store = Some(i + 1);
        } else if eq_ic(&a[i], "get") || eq_ic(&a[i], "by") {
            i += 1;
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

fn sort_ro_keys(_: &[Vec<u8>]) -> Vec<usize> {
    vec![1]
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "sort",
        arity: -2,
        flags: WRITE | DENYOOM | MOVABLE_KEYS,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["write", "set", "sortedset", "list", "slow", "dangerous"],
        handler: sort,
        getkeys: Some(sort_keys),
        ..BASE
    },
    Command {
        name: "sort_ro",
        arity: -2,
        flags: READONLY | MOVABLE_KEYS,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: &["read", "set", "sortedset", "list", "slow", "dangerous"],
        handler: sort_ro,
        getkeys: Some(sort_ro_keys),
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Args {
        s.split(' ').map(|x| x.as_bytes().to_vec()).collect()
    }

    #[test]
    fn limits_clamp_like_redis() {
        assert_eq!(range(None, 5), (0, 4));
        assert_eq!(range(Some((1, 2)), 5), (1, 2));
        assert_eq!(range(Some((-3, 2)), 5), (0, 1));
        assert_eq!(range(Some((10, 2)), 5), (4, 3));
        assert_eq!(range(Some((0, 0)), 5), (0, -1));
        assert_eq!(range(Some((2, -7)), 5), (2, 4));
        assert_eq!(range(Some((i64::MAX, i64::MAX)), 5), (4, 3));
        assert_eq!(range(None, 0), (-1, -2));
    }

    #[test]
    fn options_parse() {
        let o = parse(
            &args("SORT k BY w_* LIMIT 0 2 GET # GET h_*->f DESC ALPHA STORE d"),
            false,
        );
        let o = o.unwrap_or_default();
        assert!(o.desc && o.alpha && !o.dontsort);
        assert_eq!(o.by.as_deref(), Some(&b"w_*"[..]));
        assert_eq!(o.limit, Some((0, 2)));
        assert_eq!(o.gets.len(), 2);
        assert_eq!(o.store.as_deref(), Some(&b"d"[..]));
        assert!(parse(&args("SORT k BY nosort"), false).is_ok_and(|o| o.dontsort));
        assert!(parse(&args("SORT_RO k STORE d"), true).is_err());
        assert!(parse(&args("SORT k LIMIT 1"), false).is_err());
        assert!(parse(&args("SORT k LIMIT x 1"), false).is_err());
    }

    #[test]
    fn keys_of_store() {
        assert_eq!(sort_keys(&args("sort a store b by x get y")), vec![1, 3]);
        assert_eq!(
            sort_keys(&args("sort a limit 0 1 store b store c")),
            vec![1, 8]
        );
        assert_eq!(sort_keys(&args("sort a STORE")), vec![1]);
        assert_eq!(sort_keys(&args("sort a get store")), vec![1]);
    }
}
