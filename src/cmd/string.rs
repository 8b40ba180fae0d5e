//! String commands: GET/SET and their variants, counters, APPEND and ranges. Replies and error
//! texts follow Redis 7.0 (`t_string.c` semantics), including the order in which arguments are
//! validated.
use super::keys::{lookup_read, proto_max_bulk_len};
use crate::db::{Entry, StrEnc, Value};
use crate::resp::Reply;
use crate::server::command::{
    flags::*, reply_bulk, single_key, Args, Command, Propagate, PropagateCtx, Propagation,
};
use crate::server::Ctx;
use crate::tri;
use crate::util::{eq_ic, parse_i64};

// Extended SET/GETEX option flags.
const NX: u32 = 1;
const XX: u32 = 2;
const GET: u32 = 4;
const KEEPTTL: u32 = 8;
const PERSIST: u32 = 16;
const EX: u32 = 32;
const PX: u32 = 64;
const EXAT: u32 = 128;
const PXAT: u32 = 256;

fn kw2(a: &[u8], c0: u8, c1: u8) -> bool {
    a.len() == 2 && a[0].to_ascii_uppercase() == c0 && a[1].to_ascii_uppercase() == c1
}

/// Parse SET (`is_set`) or GETEX options from `a[start..]`: flags and the index of the expire
/// argument. Conflicting options are a syntax error, as in Redis.
fn parse_ext(a: &Args, start: usize, is_set: bool) -> Result<(u32, Option<usize>), Reply> {
    let mut f = 0u32;
    let mut exp = None;
    let mut j = start;
    while j < a.len() {
        let o = &a[j][..];
        let has_next = j + 1 < a.len();
        let ttl_set = f & (EX | PX | EXAT | PXAT) != 0;
        if is_set && kw2(o, b'N', b'X') && f & XX == 0 {
            f |= NX;
        } else if is_set && kw2(o, b'X', b'X') && f & NX == 0 {
            f |= XX;
        } else if is_set && o.eq_ignore_ascii_case(b"GET") {
            f |= GET;
        } else if is_set && o.eq_ignore_ascii_case(b"KEEPTTL") && f & PERSIST == 0 && !ttl_set {
            f |= KEEPTTL;
        } else if !is_set && o.eq_ignore_ascii_case(b"PERSIST") && f & KEEPTTL == 0 && !ttl_set {
            f |= PERSIST;
        } else if kw2(o, b'E', b'X') && f & (KEEPTTL | PERSIST | EXAT | PX | PXAT) == 0 && has_next
        {
            f |= EX;
            exp = Some(j + 1);
            j += 1;
        } else if kw2(o, b'P', b'X') && f & (KEEPTTL | PERSIST | EX | EXAT | PXAT) == 0 && has_next
        {
            f |= PX;
            exp = Some(j + 1);
            j += 1;
        } else if o.eq_ignore_ascii_case(b"EXAT")
            && f & (KEEPTTL | PERSIST | EX | PX | PXAT) == 0
            && has_next
        {
            f |= EXAT;
            exp = Some(j + 1);
            j += 1;
        } else if o.eq_ignore_ascii_case(b"PXAT")
            && f & (KEEPTTL | PERSIST | EX | EXAT | PX) == 0
            && has_next
        {
            f |= PXAT;
            exp = Some(j + 1);
            j += 1;
        } else {
            return Err(Reply::syntax_error());
        }
        j += 1;
    }
    Ok((f, exp))
}

pub fn invalid_expire(cmd: &str) -> Reply {
    Reply::Error(format!("ERR invalid expire time in '{cmd}' command"))
}

/// The absolute expiry (unix ms) named by an EX/PX/EXAT/PXAT argument.
fn expire_ms(arg: &[u8], f: u32, now: i64, cmd: &str) -> Result<i64, Reply> {
    let mut ms = parse_i64(arg).ok_or_else(Reply::not_integer)?;
    let secs = f & (EX | EXAT) != 0;
    if ms <= 0 || (secs && ms > i64::MAX / 1000) {
        return Err(invalid_expire(cmd));
    }
    if secs {
        ms *= 1000;
    }
    if f & (EX | PX) != 0 {
        ms = ms.wrapping_add(now);
    }
    if ms <= 0 {
        return Err(invalid_expire(cmd));
    }
    Ok(ms)
}

fn str_of(e: &Entry) -> Result<&[u8], Reply> {
    e.value.as_str().ok_or_else(Reply::wrong_type)
}

/// GET semantics: the string at `key` (None when missing), counting a keyspace hit or miss.
fn get_generic(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Reply> {
    let now = ctx.now;
    match lookup_read(ctx.srv, ctx.client.db, key, now) {
        None => Ok(None),
        Some(e) => Ok(Some(str_of(e)?.to_vec())),
    }
}

fn opt_bulk(v: Option<Vec<u8>>) -> Reply {
    match v {
        Some(b) => Reply::Bulk(b),
        None => Reply::Nil,
    }
}

fn get(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    match lookup_read(ctx.srv, ctx.client.db, &a[1], now) {
        None => Reply::Nil,
        Some(e) => match e.value.as_str() {
            Some(s) => Reply::Bulk(s.to_vec()),
            None => Reply::wrong_type(),
        },
    }
}

/// The shared body of SET, SETNX, SETEX and PSETEX.
fn set_generic(
    ctx: &mut Ctx,
    a: &mut Args,
    f: u32,
    val_idx: usize,
    expire: Option<usize>,
    cmd: &str,
    (ok, abort): (Reply, Reply),
) -> Reply {
    let now = ctx.now;
    let at = match expire {
        Some(i) => Some(tri!(expire_ms(&a[i], f, now, cmd))),
        None => None,
    };
    let old = if f & GET != 0 {
        Some(tri!(get_generic(ctx, &a[1])))
    } else {
        None
    };
    let db = ctx.db();
    let found = db.get(&a[1], now).is_some();
    if (f & NX != 0 && found) || (f & XX != 0 && !found) {
        return match old {
            Some(v) => opt_bulk(v),
            None => abort,
        };
    }
    let key = std::mem::take(&mut a[1]);
    let val = Value::string(std::mem::take(&mut a[val_idx]));
    match at {
        Some(ms) => db.set_with_expire(key, val, ms, now),
        None => db.set(key, val, f & KEEPTTL != 0, now),
    }
    ctx.dirty(1);
    match old {
        Some(v) => opt_bulk(v),
        None => ok,
    }
}

fn set(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() == 3 {
        // Fast path: plain SET.
        let now = ctx.now;
        let db = ctx.db();
        db.expire_if_needed(&a[1], now);
        let key = std::mem::take(&mut a[1]);
        let val = Value::string(std::mem::take(&mut a[2]));
        db.set(key, val, false, now);
        ctx.dirty(1);
        return Reply::Ok;
    }
    let (f, exp) = tri!(parse_ext(a, 3, true));
    set_generic(ctx, a, f, 2, exp, "set", (Reply::Ok, Reply::Nil))
}

fn setnx(ctx: &mut Ctx, a: &mut Args) -> Reply {
    set_generic(ctx, a, NX, 2, None, "setnx", (Reply::Int(1), Reply::Int(0)))
}

fn setex(ctx: &mut Ctx, a: &mut Args) -> Reply {
    set_generic(ctx, a, EX, 3, Some(2), "setex", (Reply::Ok, Reply::Nil))
}

fn psetex(ctx: &mut Ctx, a: &mut Args) -> Reply {
    set_generic(ctx, a, PX, 3, Some(2), "psetex", (Reply::Ok, Reply::Nil))
}

fn getset(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let old = tri!(get_generic(ctx, &a[1]));
    let now = ctx.now;
    let key = std::mem::take(&mut a[1]);
    let val = Value::string(std::mem::take(&mut a[2]));
    ctx.db().set(key, val, false, now);
    ctx.dirty(1);
    opt_bulk(old)
}

fn getdel(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let old = tri!(get_generic(ctx, &a[1]));
    if old.is_some() {
        ctx.db().remove(&a[1]);
        ctx.dirty(1);
    }
    opt_bulk(old)
}

fn getex(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let (f, exp) = tri!(parse_ext(a, 2, false));
    let now = ctx.now;
    let Some(e) = lookup_read(ctx.srv, ctx.client.db, &a[1], now) else {
        return Reply::Nil;
    };
    let val = tri!(str_of(e)).to_vec();
    let at = match exp {
        Some(i) => Some(tri!(expire_ms(&a[i], f, now, "getex"))),
        None => None,
    };
    let db = ctx.db();
    match at {
        Some(ms)
            if f & (EXAT | PXAT) != 0
                && ms <= now
                && db.expiry_mode == crate::db::ExpiryMode::Delete =>
        {
            db.remove(&a[1]);
            ctx.dirty(1);
        }
        Some(ms) => {
            db.set_expire(&a[1], ms);
            ctx.dirty(1);
        }
        None if f & PERSIST != 0 && db.persist(&a[1]) => ctx.dirty(1),
        None => {}
    }
    Reply::Bulk(val)
}

fn mget(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let mut out = Vec::with_capacity(a.len() - 1);
    for k in &a[1..] {
        out.push(match lookup_read(ctx.srv, ctx.client.db, k, now) {
            Some(e) => match e.value.as_str() {
                Some(s) => Reply::Bulk(s.to_vec()),
                None => Reply::Nil,
            },
            None => Reply::Nil,
        });
    }
    Reply::Array(out)
}

fn mset_all(ctx: &mut Ctx, a: &mut Args) {
    let now = ctx.now;
    let pairs = (a.len() - 1) / 2;
    let db = ctx.db();
    for i in 0..pairs {
        let k = std::mem::take(&mut a[1 + 2 * i]);
        let v = std::mem::take(&mut a[2 + 2 * i]);
        db.expire_if_needed(&k, now);
        db.set(k, Value::string(v), false, now);
    }
    ctx.dirty(pairs as u64);
}

fn mset(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() % 2 == 0 {
        return Reply::wrong_arity("mset");
    }
    mset_all(ctx, a);
    Reply::Ok
}

fn msetnx(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() % 2 == 0 {
        return Reply::wrong_arity("msetnx");
    }
    let now = ctx.now;
    let db = ctx.db();
    for i in (1..a.len()).step_by(2) {
        if db.get(&a[i], now).is_some() {
            return Reply::Int(0);
        }
    }
    mset_all(ctx, a);
    Reply::Int(1)
}

/// Add `by` to the integer at `key` (created as 0), keeping its TTL.
fn incr_decr(ctx: &mut Ctx, key: &mut Vec<u8>, by: i64) -> Reply {
    let now = ctx.now;
    let db = ctx.db();
    if let Some(e) = db.get(key, now) {
        let Some((buf, enc)) = e.value.as_str_mut() else {
            return Reply::wrong_type();
        };
        let Some(cur) = parse_i64(buf) else {
            return Reply::not_integer();
        };
        let Some(new) = cur.checked_add(by) else {
            return Reply::err("ERR increment or decrement would overflow");
        };
        let mut itoa_buf = itoa::Buffer::new();
        buf.set(itoa_buf.format(new).as_bytes());
        *enc = StrEnc::Int;
        ctx.dirty(1);
        return Reply::Int(new);
    }
    let k = std::mem::take(key);
    db.dict.insert_new(k, Entry::new(Value::int(by), now));
    ctx.dirty(1);
    Reply::Int(by)
}

fn incr(ctx: &mut Ctx, a: &mut Args) -> Reply {
    incr_decr(ctx, &mut a[1], 1)
}

fn decr(ctx: &mut Ctx, a: &mut Args) -> Reply {
    incr_decr(ctx, &mut a[1], -1)
}

fn incrby(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let by = tri!(parse_i64(&a[2]).ok_or_else(Reply::not_integer));
    incr_decr(ctx, &mut a[1], by)
}

fn decrby(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let by = tri!(parse_i64(&a[2]).ok_or_else(Reply::not_integer));
    if by == i64::MIN {
        return Reply::err("ERR decrement would overflow");
    }
    incr_decr(ctx, &mut a[1], -by)
}

fn incrbyfloat(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let db = ctx.db();
    let cur = match db.get(&a[1], now) {
        Some(e) => tri!(str_of(e)).to_vec(),
        None => b"0".to_vec(),
    };
    let new = match crate::ldouble::incr_by_float(&cur, &a[2]) {
        Ok(s) => s.into_bytes(),
        Err(true) => return Reply::not_float(),
        Err(false) => return Reply::err("ERR increment would produce NaN or Infinity"),
    };
    let key = std::mem::take(&mut a[1]);
    db.set(key, Value::plain(new.clone()), true, now);
    ctx.dirty(1);
    Reply::Bulk(new)
}

fn append(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let max = proto_max_bulk_len(ctx);
    let db = ctx.db();
    if let Some(e) = db.get(&a[1], now) {
        let Some((buf, enc)) = e.value.as_str_mut() else {
            return Reply::wrong_type();
        };
        let total = buf.len() as i64 + a[2].len() as i64;
        if total > max {
            return Reply::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        }
        buf.to_mut().extend_from_slice(&a[2]);
        *enc = StrEnc::Raw;
        ctx.dirty(1);
        return Reply::Int(total);
    }
    let n = a[2].len() as i64;
    let key = std::mem::take(&mut a[1]);
    db.set(key, Value::string(std::mem::take(&mut a[2])), false, now);
    ctx.dirty(1);
    Reply::Int(n)
}

fn strlen(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    match lookup_read(ctx.srv, ctx.client.db, &a[1], now) {
        None => Reply::Int(0),
        Some(e) => Reply::Int(tri!(str_of(e)).len() as i64),
    }
}

fn getrange(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let mut start = tri!(parse_i64(&a[2]).ok_or_else(Reply::not_integer));
    let mut end = tri!(parse_i64(&a[3]).ok_or_else(Reply::not_integer));
    let now = ctx.now;
    let Some(e) = lookup_read(ctx.srv, ctx.client.db, &a[1], now) else {
        return Reply::Bulk(Vec::new());
    };
    let s = tri!(str_of(e));
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Reply::Bulk(Vec::new());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Reply::Bulk(Vec::new());
    }
    Reply::Bulk(s[start as usize..=end as usize].to_vec())
}

/// The reply when a string cannot grow to `n` bytes: the server stays up instead of aborting.
fn out_of_memory(n: usize) -> Reply {
    Reply::Error(format!("ERR out of memory allocating {n} bytes"))
}

fn setrange(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let offset = tri!(parse_i64(&a[2]).ok_or_else(Reply::not_integer));
    if offset < 0 {
        return Reply::err("ERR offset is out of range");
    }
    let max = proto_max_bulk_len(ctx);
    let too_big = |extra: usize| -> bool {
        offset
            .checked_add(extra as i64)
            .map(|t| t > max)
            .unwrap_or(true)
    };
    let now = ctx.now;
    let value = std::mem::take(&mut a[3]);
    let db = ctx.db();
    let off = offset as usize;
    if let Some(e) = db.get(&a[1], now) {
        let Some((buf, enc)) = e.value.as_str_mut() else {
            return Reply::wrong_type();
        };
        if value.is_empty() {
            return Reply::Int(buf.len() as i64);
        }
        if too_big(value.len()) {
            return Reply::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        }
        let buf = buf.to_mut();
        if buf.len() < off + value.len() {
            if buf.try_reserve(off + value.len() - buf.len()).is_err() {
                return out_of_memory(off + value.len());
            }
            buf.resize(off + value.len(), 0);
        }
        buf[off..off + value.len()].copy_from_slice(&value);
        *enc = StrEnc::Raw;
        let n = buf.len() as i64;
        ctx.dirty(1);
        return Reply::Int(n);
    }
    if value.is_empty() {
        return Reply::Int(0);
    }
    if too_big(value.len()) {
        return Reply::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    }
    let mut buf = Vec::new();
    if buf.try_reserve_exact(off + value.len()).is_err() {
        return out_of_memory(off + value.len());
    }
    buf.resize(off + value.len(), 0);
    buf[off..].copy_from_slice(&value);
    let n = buf.len() as i64;
    let key = std::mem::take(&mut a[1]);
    db.set(key, Value::raw(buf), false, now);
    ctx.dirty(1);
    Reply::Int(n)
}

const R_FAST: &[&str] = &["read", "string", "fast"];
const R_SLOW: &[&str] = &["read", "string", "slow"];
const W_FAST: &[&str] = &["write", "string", "fast"];
const W_SLOW: &[&str] = &["write", "string", "slow"];

/// SET with EX/PX/EXAT goes out with the absolute `PXAT` the master set.
const SET_PROPAGATE: Propagate = Propagate {
    when: |args| args.len() > 3,
    rewrite: |ctx, args, _| Propagation::instead_or_as_called(set_pxat(ctx, args)),
};

fn set_pxat(ctx: &PropagateCtx, args: &[Vec<u8>]) -> Option<Args> {
    let key = args.get(1)?;
    let pos = args
        .iter()
        .skip(3)
        .position(|a| eq_ic(a, "ex") || eq_ic(a, "px") || eq_ic(a, "exat"))?
        + 3;
    let at = ctx.expire_of(key)?;
    let mut out = args.to_vec();
    out[pos] = b"PXAT".to_vec();
    *out.get_mut(pos + 1)? = at.to_string().into_bytes();
    Some(out)
}

/// SETEX / PSETEX go out as `SET key value PXAT <absolute ms>`.
const SETEX_PROPAGATE: Propagate =
    Propagate::always(|ctx, args, _| Propagation::instead_or_as_called(setex_pxat(ctx, args)));

fn setex_pxat(ctx: &PropagateCtx, args: &[Vec<u8>]) -> Option<Args> {
    let key = args.get(1)?;
    let at = ctx.expire_of(key)?;
    Some(vec![
        b"SET".to_vec(),
        key.clone(),
        args.get(3)?.clone(),
        b"PXAT".to_vec(),
        at.to_string().into_bytes(),
    ])
}

/// GETEX (and the EXPIRE family) go out as the key's absolute expire after the call:
/// `PEXPIREAT`, `PERSIST`, or `DEL` when the key is gone.
pub(crate) const TTL_PROPAGATE: Propagate = Propagate::always(|ctx, args, _| {
    Propagation::instead_or_as_called(args.get(1).map(|key| ctx.ttl_form(key)))
});

/// INCRBYFLOAT goes out as `SET key <result> KEEPTTL`: replicas do no float arithmetic.
const INCRBYFLOAT_PROPAGATE: Propagate = Propagate::always(|_, args, reply| {
    Propagation::instead_or_as_called(incrbyfloat_set(args, reply))
});

fn incrbyfloat_set(args: &[Vec<u8>], reply: &Reply) -> Option<Args> {
    Some(vec![
        b"SET".to_vec(),
        args.get(1)?.clone(),
        reply_bulk(reply)?,
        b"KEEPTTL".to_vec(),
    ])
}

/// SET's key is read too only with GET.
fn set_key_flags(a: &[Vec<u8>]) -> &'static [&'static str] {
    if a.iter().skip(3).any(|x| eq_ic(x, "get")) {
        &["RW", "access", "update"]
    } else {
        &["OW", "update"]
    }
}

pub static COMMANDS: &[Command] = &[
    single_key("get", 2, READONLY | FAST, R_FAST, get),
    Command {
        propagate: Some(SET_PROPAGATE),
        key_flags: Some(set_key_flags),
        ..single_key("set", -3, WRITE | DENYOOM, W_SLOW, set)
    },
    single_key("setnx", 3, WRITE | DENYOOM | FAST, W_FAST, setnx),
    Command {
        propagate: Some(SETEX_PROPAGATE),
        ..single_key("setex", 4, WRITE | DENYOOM, W_SLOW, setex)
    },
    Command {
        propagate: Some(SETEX_PROPAGATE),
        ..single_key("psetex", 4, WRITE | DENYOOM, W_SLOW, psetex)
    },
    single_key("getset", 3, WRITE | DENYOOM | FAST, W_FAST, getset),
    single_key("getdel", 2, WRITE | FAST, W_FAST, getdel),
    Command {
        propagate: Some(TTL_PROPAGATE),
        ..single_key("getex", -2, WRITE | FAST, W_FAST, getex)
    },
    Command {
        last_key: -1,
        ..single_key("mget", -2, READONLY | FAST, R_FAST, mget)
    },
    Command {
        last_key: -1,
        step: 2,
        ..single_key("mset", -3, WRITE | DENYOOM, W_SLOW, mset)
    },
    Command {
        last_key: -1,
        step: 2,
        ..single_key("msetnx", -3, WRITE | DENYOOM, W_SLOW, msetnx)
    },
    single_key("incr", 2, WRITE | DENYOOM | FAST, W_FAST, incr),
    single_key("decr", 2, WRITE | DENYOOM | FAST, W_FAST, decr),
    single_key("incrby", 3, WRITE | DENYOOM | FAST, W_FAST, incrby),
    single_key("decrby", 3, WRITE | DENYOOM | FAST, W_FAST, decrby),
    Command {
        propagate: Some(INCRBYFLOAT_PROPAGATE),
        ..single_key(
            "incrbyfloat",
            3,
            WRITE | DENYOOM | FAST,
            W_FAST,
            incrbyfloat,
        )
    },
    single_key("append", 3, WRITE | DENYOOM | FAST, W_FAST, append),
    single_key("strlen", 2, READONLY | FAST, R_FAST, strlen),
    single_key("getrange", 4, READONLY, R_SLOW, getrange),
    single_key("substr", 4, READONLY, R_SLOW, getrange),
    single_key("setrange", 4, WRITE | DENYOOM, W_SLOW, setrange),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Args {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn set_option_conflicts() {
        let ok = |v: &[&str]| parse_ext(&args(v), 3, true).is_ok();
        assert!(ok(&["set", "k", "v", "EX", "10", "ex", "20"]));
        assert!(ok(&["set", "k", "v", "nx", "get"]));
        assert!(!ok(&["set", "k", "v", "nx", "xx"]));
        assert!(!ok(&["set", "k", "v", "ex", "10", "px", "10"]));
        assert!(!ok(&["set", "k", "v", "keepttl", "ex", "1"]));
        assert!(!ok(&["set", "k", "v", "ex"]));
        assert!(!ok(&["set", "k", "v", "persist"]));
        assert!(parse_ext(&args(&["getex", "k", "persist"]), 2, false).is_ok());
        assert!(parse_ext(&args(&["getex", "k", "nx"]), 2, false).is_err());
        assert!(parse_ext(&args(&["getex", "k", "persist", "ex", "1"]), 2, false).is_err());
    }
}
