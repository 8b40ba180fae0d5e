//! XCLAIM and XAUTOCLAIM: moving pending entries to another consumer. Like Redis 7.0, neither
//! is propagated as called: replicas get one idempotent `XCLAIM ... FORCE JUSTID LASTID` per
//! entry claimed (or dropped because it was deleted), or `XGROUP SETID` when only the group's
//! last id moved. XREADGROUP uses the same forms.
use super::read::interval_id;
use super::{entry_reply, id_reply, strict_id, typed};
use crate::cmd::args;
use crate::db::stream::{Group, Nack, StreamId};
use crate::db::Stream;
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::eq_ic;

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// The XCLAIM replicas apply for one pending entry.
pub(crate) fn xclaim_form(key: &[u8], group: &[u8], id: StreamId, n: &Nack, g: &Group) -> Args {
    vec![
        b("XCLAIM"),
        key.to_vec(),
        group.to_vec(),
        n.consumer.clone(),
        b("0"),
        id.to_bytes(),
        b("TIME"),
        n.delivery_time.to_string().into_bytes(),
        b("RETRYCOUNT"),
        n.delivery_count.to_string().into_bytes(),
        b("FORCE"),
        b("JUSTID"),
        b("LASTID"),
        g.last_id.to_bytes(),
    ]
}

/// XGROUP SETID with the group's read counter.
pub(crate) fn setid_form(key: &[u8], group: &[u8], g: &Group) -> Args {
    vec![
        b("XGROUP"),
        b("SETID"),
        key.to_vec(),
        group.to_vec(),
        g.last_id.to_bytes(),
        b("ENTRIESREAD"),
        g.entries_read.to_string().into_bytes(),
    ]
}

fn nogroup(a: &Args) -> Reply {
    Reply::err(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(&a[1]),
        String::from_utf8_lossy(&a[2])
    ))
}

fn int_or(a: &[u8], msg: &str) -> Result<i64, Reply> {
    crate::util::parse_i64(a).ok_or_else(|| Reply::err(format!("ERR {msg}")))
}

/// Drop the pending entry `id` whose stream entry is gone, queueing its XCLAIM first.
fn drop_deleted(ctx_props: &mut Vec<Args>, a: &Args, g: &mut Group, id: StreamId) -> bool {
    let Some(n) = g.pel.get(&id) else {
        return false;
    };
    ctx_props.push(xclaim_form(&a[1], &a[2], id, n, g));
    g.ack(id);
    true
}

pub fn xclaim(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    {
        let Some(s) = tri!(typed::read::<Box<Stream>>(ctx, &a[1])) else {
            return nogroup(a);
        };
        if !s.groups.contains_key(&a[2]) {
            return nogroup(a);
        }
    }
    let minidle = tri!(int_or(&a[4], "Invalid min-idle-time argument for XCLAIM")).max(0);
    let mut j = 5;
    let mut ids = Vec::new();
    while j < a.len() {
        match strict_id(&a[j], 0) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let (mut force, mut justid) = (false, false);
    let (mut retrycount, mut deliverytime) = (-1i64, -1i64);
    let mut last_id = StreamId::MIN;
    while j < a.len() {
        let more = a.len() - 1 - j;
        let o = &a[j][..];
        if eq_ic(o, "force") {
            force = true;
        } else if eq_ic(o, "justid") {
            justid = true;
        } else if eq_ic(o, "idle") && more > 0 {
            j += 1;
            deliverytime = now - tri!(int_or(&a[j], "Invalid IDLE option argument for XCLAIM"));
        } else if eq_ic(o, "time") && more > 0 {
            j += 1;
            deliverytime = tri!(int_or(&a[j], "Invalid TIME option argument for XCLAIM"));
        } else if eq_ic(o, "retrycount") && more > 0 {
            j += 1;
            retrycount = tri!(int_or(
                &a[j],
                "Invalid RETRYCOUNT option argument for XCLAIM"
            ));
        } else if eq_ic(o, "lastid") && more > 0 {
            j += 1;
            last_id = tri!(strict_id(&a[j], 0));
        } else {
            return Reply::err(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(o)
            ));
        }
        j += 1;
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let mut props = Vec::new();
    let mut out = Vec::new();
    let mut dirty = 0;
    let Some(s) = tri!(typed::write::<Box<Stream>>(ctx, &a[1])) else {
        return nogroup(a);
    };
    let exists: Vec<bool> = ids.iter().map(|id| s.contains(*id)).collect();
    let replies: Vec<Option<Reply>> = ids
        .iter()
        .map(|id| s.range(*id, *id, false).next().map(|e| entry_reply(&e)))
        .collect();
    let Some(g) = s.groups.get_mut(&a[2]) else {
        return nogroup(a);
    };
    let mut propagate_last_id = false;
    if last_id > g.last_id {
        g.last_id = last_id;
        propagate_last_id = true;
    }
    let name = a[3].clone();
    let mut have_consumer = false;
    for (k, id) in ids.iter().enumerate() {
        if !exists[k] {
            if drop_deleted(&mut props, a, g, *id) {
                propagate_last_id = false;
                dirty += 1;
            }
            continue;
        }
        let pending = g.pel.get(id).map(|n| n.delivery_time);
        if pending.is_none() && !force {
            continue;
        }
        if let Some(t) = pending {
            if minidle != 0 && now - t < minidle {
                continue;
            }
        }
        if !have_consumer {
            if !g.touch_consumer(&name, now) {
                g.create_consumer(&name, now);
                dirty += 1;
            }
            have_consumer = true;
        }
        let n = g.assign(*id, &name, deliverytime);
        n.delivery_time = deliverytime;
        if retrycount >= 0 {
            n.delivery_count = retrycount as u64;
        } else if !justid {
            n.delivery_count += 1;
        }
        out.push(if justid {
            id_reply(*id)
        } else {
            replies[k].clone().unwrap_or(Reply::Nil)
        });
        if let Some(n) = g.pel.get(id) {
            props.push(xclaim_form(&a[1], &a[2], *id, n, g));
        }
        propagate_last_id = false;
        dirty += 1;
    }
    if propagate_last_id {
        props.push(setid_form(&a[1], &a[2], g));
        dirty += 1;
    }
    ctx.srv.role.also_propagate.extend(props);
    ctx.dirty(dirty);
    Reply::Array(out)
}

pub fn xautoclaim(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let minidle = tri!(int_or(
        &a[4],
        "Invalid min-idle-time argument for XAUTOCLAIM"
    ))
    .max(0);
    let (mut start, sx) = tri!(interval_id(&a[5], 0));
    if sx {
        match start.incr() {
            Some(s) => start = s,
            None => return Reply::err("ERR invalid start ID for the interval"),
        }
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if eq_ic(&a[j], "count") && more > 0 {
            let max = i64::MAX / 16;
            count = match args::int(&a[j + 1]) {
                Ok(c) if (1..=max).contains(&c) => c,
                _ => return Reply::err("ERR COUNT must be > 0"),
            };
            j += 1;
        } else if eq_ic(&a[j], "justid") {
            justid = true;
        } else {
            return Reply::syntax_error();
        }
        j += 1;
    }
    let Some(s) = tri!(typed::write::<Box<Stream>>(ctx, &a[1])) else {
        return nogroup(a);
    };
    if !s.groups.contains_key(&a[2]) {
        return nogroup(a);
    }
    let mut attempts = count * 10;
    let name = a[3].clone();
    let mut props = Vec::new();
    let mut out = Vec::new();
    let mut deleted = Vec::new();
    let mut dirty = 0;
    let mut have_consumer = false;
    let mut cursor = Some(start);
    let mut eof = false;
    loop {
        if attempts == 0 {
            break;
        }
        attempts -= 1;
        if count == 0 {
            break;
        }
        let Some(g) = s.groups.get(&a[2]) else {
            break;
        };
        let Some(id) = cursor.and_then(|c| g.pel.range(c..).next().map(|(id, _)| *id)) else {
            eof = true;
            break;
        };
        cursor = id.incr();
        let entry = s.range(id, id, false).next().map(|e| entry_reply(&e));
        let Some(g) = s.groups.get_mut(&a[2]) else {
            break;
        };
        let Some(entry) = entry else {
            drop_deleted(&mut props, a, g, id);
            deleted.push(id_reply(id));
            dirty += 1;
            count -= 1;
            continue;
        };
        let t = g.pel.get(&id).map_or(now, |n| n.delivery_time);
        if minidle != 0 && now - t < minidle {
            continue;
        }
        if !have_consumer {
            if !g.touch_consumer(&name, now) {
                g.create_consumer(&name, now);
                dirty += 1;
            }
            have_consumer = true;
        }
        let n = g.assign(id, &name, now);
        n.delivery_time = now;
        if !justid {
            n.delivery_count += 1;
        }
        out.push(if justid { id_reply(id) } else { entry });
        count -= 1;
        if let Some(n) = g.pel.get(&id) {
            props.push(xclaim_form(&a[1], &a[2], id, n, g));
        }
        dirty += 1;
    }
    let next = match (eof, s.groups.get(&a[2]), cursor) {
        (false, Some(g), Some(c)) => g.pel.range(c..).next().map(|(id, _)| *id),
        _ => None,
    };
    ctx.srv.role.also_propagate.extend(props);
    ctx.dirty(dirty);
    Reply::Array(vec![
        id_reply(next.unwrap_or(StreamId::MIN)),
        Reply::Array(out),
        Reply::Array(deleted),
    ])
}
