//! HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST) over string values in
//! Redis's format (`db::hll`). Replies, error texts, lookups (read or write, for the keyspace
//! hit/miss counters) and when a value turns raw or dense follow Redis 7.0's `hyperloglog.c`.
use super::keys::lookup_read;
use crate::db::hll::{self, Corrupt, REGISTERS};
use crate::db::{Entry, StrEnc, Value};
use crate::resp::Reply;
use crate::server::command::{flags::*, single_key, Args, Command, Propagate, Propagation, BASE};
use crate::server::Ctx;
use crate::tri;

fn not_hll() -> Reply {
    Reply::err("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

fn corrupt(_: Corrupt) -> Reply {
    Reply::err("INVALIDOBJ Corrupted HLL object detected")
}

/// The HyperLogLog bytes of `e`: WRONGTYPE for other types and for strings without a valid
/// header.
fn checked(e: &Entry) -> Result<&[u8], Reply> {
    let s = e.value.as_str().ok_or_else(Reply::wrong_type)?;
    if hll::is_hll(s) {
        Ok(s)
    } else {
        Err(not_hll())
    }
}

/// The checked HyperLogLog of `e` as a modifiable buffer; like Redis's unsharing, the string
/// becomes raw even when nothing changes afterwards.
fn checked_mut(e: &mut Entry) -> Result<&mut Vec<u8>, Reply> {
    checked(e)?;
    let (buf, enc) = e.value.as_str_mut().ok_or_else(Reply::wrong_type)?;
    *enc = StrEnc::Raw;
    Ok(buf.to_mut())
}

fn sparse_max(ctx: &Ctx) -> usize {
    usize::try_from(ctx.srv.config.enc.hll_sparse_max_bytes).unwrap_or(usize::MAX)
}

fn pfadd(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let (max, now) = (sparse_max(ctx), ctx.now);
    let db = ctx.db();
    let mut updated = 0u64;
    if db.get(&a[1], now).is_none() {
        db.set(a[1].clone(), Value::raw(hll::new_sparse()), false, now);
        updated += 1;
    }
    let Some(e) = db.get(&a[1], now) else {
        return Reply::Int(0);
    };
    let h = tri!(checked_mut(e));
    for el in &a[2..] {
        match hll::add(h, el, max) {
            Ok(changed) => updated += changed as u64,
            Err(c) => return corrupt(c),
        }
    }
    if updated > 0 {
        hll::invalidate_cache(h);
        ctx.dirty(updated);
    }
    Reply::Int((updated > 0) as i64)
}

/// The registers of the union of `keys` (missing keys count as empty); errors as PFCOUNT and
/// PFMERGE give them, in key order. Also says whether any input was dense.
fn union(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Result<(Vec<u8>, bool), Reply> {
    let mut max = vec![0u8; REGISTERS];
    let mut any_dense = false;
    for k in keys {
        let now = ctx.now;
        let Some(e) = lookup_read(ctx.srv, ctx.client.db, k, now) else {
            continue;
        };
        let h = checked(e)?;
        any_dense |= !hll::is_sparse(h);
        hll::merge_into(&mut max, h).map_err(corrupt)?;
    }
    Ok((max, any_dense))
}

fn pfcount(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() > 2 {
        let (max, _) = tri!(union(ctx, &a[1..]));
        return Reply::Int(hll::count_registers(&max) as i64);
    }
    let now = ctx.now;
    let Some(e) = lookup_read(ctx.srv, ctx.client.db, &a[1], now) else {
        return Reply::Int(0);
    };
    let h = tri!(checked_mut(e));
    if let Some(card) = hll::cached(h) {
        return Reply::Int(card as i64);
    }
    let card = tri!(hll::count(h).map_err(corrupt));
    hll::set_cache(h, card);
    // The value changed (its cache): replicas get the PFCOUNT too (`PFCOUNT_PROPAGATE`).
    ctx.dirty(1);
    Reply::Int(card as i64)
}

fn pfmerge(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let (max, any_dense) = tri!(union(ctx, &a[1..]));
    let (limit, now) = (sparse_max(ctx), ctx.now);
    let db = ctx.db();
    if db.get(&a[1], now).is_none() {
        db.set(a[1].clone(), Value::raw(hll::new_sparse()), false, now);
    }
    let Some(e) = db.get(&a[1], now) else {
        return Reply::Ok;
    };
    let h = tri!(checked_mut(e));
    if any_dense {
        tri!(hll::to_dense(h).map_err(corrupt));
    }
    for (i, &v) in max.iter().enumerate() {
        if v != 0 {
            // The destination was validated with the sources: a failure cannot happen, and
            // Redis ignores it too.
            let _ = hll::set(h, i, v, limit);
        }
    }
    hll::invalidate_cache(h);
    ctx.dirty(1);
    Reply::Ok
}

fn pfdebug(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let Some(e) = ctx.db().get(&a[2], now) else {
        return Reply::err("ERR The specified key does not exist");
    };
    let h = tri!(checked_mut(e));
    let sub = a[1].to_ascii_lowercase();
    match &sub[..] {
        b"getreg" => {
            let converted = tri!(hll::to_dense(h).map_err(corrupt));
            let regs = hll::registers(h);
            if converted {
                ctx.dirty(1);
            }
            Reply::Array(regs.into_iter().map(|r| Reply::Int(r as i64)).collect())
        }
        b"decode" if hll::is_sparse(h) => Reply::Bulk(hll::sparse::decode(h).into_bytes()),
        b"decode" => Reply::err("ERR HLL encoding is not sparse"),
        b"encoding" if hll::is_sparse(h) => Reply::status("sparse"),
        b"encoding" => Reply::status("dense"),
        b"todense" => {
            let converted = tri!(hll::to_dense(h).map_err(corrupt));
            if converted {
                ctx.dirty(1);
            }
            Reply::Int(converted as i64)
        }
        _ => Reply::Error(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(&a[1])
        )),
    }
}

fn pfselftest(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    match hll::selftest::run() {
        Ok(()) => Reply::Ok,
        Err(e) => Reply::Error(format!("ERR {e}")),
    }
}

/// A single-key PFCOUNT that recomputed the cached cardinality changed the value: Redis 7.0
/// then propagates it as called (replicas recompute the same cache), although the command is
/// read-only. Multi-key PFCOUNT never writes.
const PFCOUNT_PROPAGATE: Propagate = Propagate {
    when: |args| args.len() == 2,
    rewrite: |_, _, _| Propagation::AsCalled,
};

pub static COMMANDS: &[Command] = &[
    single_key(
        "pfadd",
        -2,
        WRITE | DENYOOM | FAST,
        &["write", "hyperloglog", "fast"],
        pfadd,
    ),
    Command {
        last_key: -1,
        propagate: Some(PFCOUNT_PROPAGATE),
        ..single_key(
            "pfcount",
            -2,
            READONLY,
            &["read", "hyperloglog", "slow"],
            pfcount,
        )
    },
    Command {
        last_key: -1,
        ..single_key(
            "pfmerge",
            -2,
            WRITE | DENYOOM,
            &["write", "hyperloglog", "slow"],
            pfmerge,
        )
    },
    Command {
        first_key: 2,
        last_key: 2,
        ..single_key(
            "pfdebug",
            3,
            WRITE | DENYOOM | ADMIN,
            &["write", "hyperloglog", "admin", "slow", "dangerous"],
            pfdebug,
        )
    },
    Command {
        name: "pfselftest",
        arity: 1,
        flags: ADMIN,
        acl: &["hyperloglog", "admin", "slow", "dangerous"],
        handler: pfselftest,
        ..BASE
    },
];
