//! DUMP and RESTORE: a key's value serialized as an RDB payload (Redis's framing: value,
//! RDB version, CRC64) and the same payload turned back into a key, with REPLACE, ABSTTL,
//! IDLETIME and FREQ and Redis 7.0's checks and error texts, in Redis's order.
use super::keys::lookup_read;
use crate::db::{secs, Entry, NO_EXPIRE};
use crate::rdb::dump;
use crate::resp::Reply;
use crate::server::command::{
    flags::*, single_key, Args, Command, Propagate, PropagateCtx, Propagation,
};
use crate::server::Ctx;
use crate::tri;
use crate::util::{eq_ic, parse_i64};

fn dump_cmd(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let compress = ctx.srv.config.rdbcompression;
    let fill = ctx.srv.config.enc.list_max_listpack_size;
    let now = ctx.now;
    match lookup_read(ctx.srv, ctx.client.db, &a[1], now) {
        None => Reply::Nil,
        Some(e) => Reply::bulk(dump::payload(&e.value, compress, fill)),
    }
}

/// RESTORE's options after the payload.
struct RestoreOpts {
    replace: bool,
    absttl: bool,
    /// IDLETIME seconds, -1 when not given.
    idle: i64,
    /// FREQ, -1 when not given (kept for validation: no LFU policy tracks it).
    freq: i64,
}

fn restore_opts(a: &Args) -> Result<RestoreOpts, Reply> {
    let mut o = RestoreOpts {
        replace: false,
        absttl: false,
        idle: -1,
        freq: -1,
    };
    let int = |b: &[u8]| parse_i64(b).ok_or_else(Reply::not_integer);
    let mut j = 4;
    while j < a.len() {
        let more = j + 1 < a.len();
        if eq_ic(&a[j], "replace") {
            o.replace = true;
        } else if eq_ic(&a[j], "absttl") {
            o.absttl = true;
        } else if eq_ic(&a[j], "idletime") && more && o.freq == -1 {
            o.idle = int(&a[j + 1])?;
            if o.idle < 0 {
                return Err(Reply::err("ERR Invalid IDLETIME value, must be >= 0"));
            }
            j += 1;
        } else if eq_ic(&a[j], "freq") && more && o.idle == -1 {
            o.freq = int(&a[j + 1])?;
            if !(0..=255).contains(&o.freq) {
                return Err(Reply::err(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            j += 1;
        } else {
            return Err(Reply::syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

fn restore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let o = tri!(restore_opts(a));
    let now = ctx.now;
    if !o.replace && ctx.db().exists(&a[1], now) {
        return Reply::err("BUSYKEY Target key name already exists.");
    }
    let ttl = tri!(parse_i64(&a[2]).ok_or_else(Reply::not_integer));
    if ttl < 0 {
        return Reply::err("ERR Invalid TTL value, must be >= 0");
    }
    if !dump::verify(&a[3], false) {
        return Reply::err("ERR DUMP payload version or checksum are wrong");
    }
    let lim = ctx.srv.config.enc;
    let value = match dump::decode(&a[3], &lim, &a[1]) {
        Ok(v) => v,
        Err(_) => return Reply::err("ERR Bad data format"),
    };
    let db = ctx.db();
    let deleted = o.replace && db.remove(&a[1]).is_some();
    let mut at = ttl;
    if ttl != 0 && !o.absttl {
        at = ttl.wrapping_add(now);
    }
    if ttl != 0 && at <= now {
        // Already expired: the key is not created (an old one was still replaced).
        if deleted {
            ctx.dirty(1);
        }
        return Reply::Ok;
    }
    let mut e = Entry::new(value, now);
    e.expire_at = if ttl != 0 { at } else { NO_EXPIRE };
    if o.idle >= 0 {
        e.access = secs(now).saturating_sub(o.idle.min(u32::MAX as i64) as u32);
    }
    db.add_entry(std::mem::take(&mut a[1]), e);
    ctx.dirty(1);
    Reply::Ok
}

/// RESTORE with a relative TTL goes out with the absolute time the master set and ABSTTL, as
/// Redis 7.0 sends it.
const RESTORE_PROPAGATE: Propagate =
    Propagate::always(|ctx, args, _| Propagation::instead_or_as_called(restore_absttl(ctx, args)));

fn restore_absttl(ctx: &PropagateCtx, args: &[Vec<u8>]) -> Option<Args> {
    let key = args.get(1)?;
    if args.get(2).is_some_and(|t| t == b"0") || args.iter().skip(4).any(|a| eq_ic(a, "absttl")) {
        return None;
    }
    let at = ctx.expire_of(key)?;
    let mut out = args.to_vec();
    out[2] = at.to_string().into_bytes();
    out.push(b"ABSTTL".to_vec());
    Some(out)
}

pub static COMMANDS: &[Command] = &[
    single_key("dump", 2, READONLY, &["keyspace", "read", "slow"], dump_cmd),
    Command {
        propagate: Some(RESTORE_PROPAGATE),
        ..single_key(
            "restore",
            -4,
            WRITE | DENYOOM,
            &["keyspace", "write", "slow", "dangerous"],
            restore,
        )
    },
];
