//! The expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX/XX/GT/LT), TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME and PERSIST. Split from `keys.rs` to keep that file short; their
//! table entries stay in `keys::COMMANDS` so the command table keeps its order.
use super::keys::lookup_read_notouch;
use super::string::invalid_expire;
use crate::db::NO_EXPIRE;
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::{eq_ic, parse_i64};

const EXP_NX: u8 = 1;
const EXP_XX: u8 = 2;
const EXP_GT: u8 = 4;
const EXP_LT: u8 = 8;

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: `basetime` is now for the relative forms, 0 otherwise.
fn expire_generic(
    ctx: &mut Ctx,
    a: &mut Args,
    basetime: i64,
    secs_unit: bool,
    name: &str,
) -> Reply {
    let mut fl = 0u8;
    for o in &a[3..] {
        fl |= if eq_ic(o, "nx") {
            EXP_NX
        } else if eq_ic(o, "xx") {
            EXP_XX
        } else if eq_ic(o, "gt") {
            EXP_GT
        } else if eq_ic(o, "lt") {
            EXP_LT
        } else {
            let s = String::from_utf8_lossy(o);
            let s = s.split('\0').next().unwrap_or("");
            return Reply::Error(format!("ERR Unsupported option {s}"));
        };
    }
    if fl & EXP_NX != 0 && fl & (EXP_XX | EXP_GT | EXP_LT) != 0 {
        return Reply::err("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if fl & EXP_GT != 0 && fl & EXP_LT != 0 {
        return Reply::err("ERR GT and LT options at the same time are not compatible");
    }
    let mut when = tri!(parse_i64(&a[2]).ok_or_else(Reply::not_integer));
    if secs_unit {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return invalid_expire(name);
        }
        when *= 1000;
    }
    if when > i64::MAX - basetime {
        return invalid_expire(name);
    }
    when += basetime;
    let now = ctx.now;
    let db = ctx.db();
    let Some(e) = db.get(&a[1], now) else {
        return Reply::Int(0);
    };
    let cur = e.expire_at;
    if (fl & EXP_NX != 0 && cur != NO_EXPIRE)
        || (fl & EXP_XX != 0 && cur == NO_EXPIRE)
        || (fl & EXP_GT != 0 && (cur == NO_EXPIRE || when <= cur))
        || (fl & EXP_LT != 0 && cur != NO_EXPIRE && when >= cur)
    {
        return Reply::Int(0);
    }
    // A time already past deletes the key, except on a replica: there only the master's DEL
    // does (the key is hidden from clients meanwhile), as in Redis's checkAlreadyExpired.
    if when <= now && db.expiry_mode == crate::db::ExpiryMode::Delete {
        db.remove(&a[1]);
    } else {
        db.set_expire(&a[1], when);
    }
    ctx.dirty(1);
    Reply::Int(1)
}

pub(super) fn expire(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    expire_generic(ctx, a, now, true, "expire")
}

pub(super) fn pexpire(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    expire_generic(ctx, a, now, false, "pexpire")
}

pub(super) fn expireat(ctx: &mut Ctx, a: &mut Args) -> Reply {
    expire_generic(ctx, a, 0, true, "expireat")
}

pub(super) fn pexpireat(ctx: &mut Ctx, a: &mut Args) -> Reply {
    expire_generic(ctx, a, 0, false, "pexpireat")
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME.
fn ttl_generic(ctx: &mut Ctx, a: &mut Args, ms: bool, abs: bool) -> Reply {
    let now = ctx.now;
    let Some(e) = lookup_read_notouch(ctx.srv, ctx.client.db, &a[1], now) else {
        return Reply::Int(-2);
    };
    if e.expire_at == NO_EXPIRE {
        return Reply::Int(-1);
    }
    let t = if abs { e.expire_at } else { e.expire_at - now }.max(0);
    // Rounded to seconds in 128 bits: an expiry near i64::MAX must not wrap.
    Reply::Int(if ms {
        t
    } else {
        ((t as i128 + 500) / 1000) as i64
    })
}

pub(super) fn ttl(ctx: &mut Ctx, a: &mut Args) -> Reply {
    ttl_generic(ctx, a, false, false)
}

pub(super) fn pttl(ctx: &mut Ctx, a: &mut Args) -> Reply {
    ttl_generic(ctx, a, true, false)
}

pub(super) fn expiretime(ctx: &mut Ctx, a: &mut Args) -> Reply {
    ttl_generic(ctx, a, false, true)
}

pub(super) fn pexpiretime(ctx: &mut Ctx, a: &mut Args) -> Reply {
    ttl_generic(ctx, a, true, true)
}

pub(super) fn persist(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let db = ctx.db();
    if db.get(&a[1], now).is_none() || !db.persist(&a[1]) {
        return Reply::Int(0);
    }
    ctx.dirty(1);
    Reply::Int(1)
}
