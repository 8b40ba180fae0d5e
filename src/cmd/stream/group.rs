//! Consumer group management: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER,
//! HELP), XACK and XPENDING, with Redis 7.0's checks in its order (options, key, group).
use super::info::no_group;
use super::read::interval_id;
use super::{id_reply, parse_id, strict_id, typed};
use crate::cmd::args;
use crate::cmd::keys::help_reply;
use crate::db::stream::group::ENTRIES_READ_UNKNOWN;
use crate::db::stream::{Group, StreamId};
use crate::db::Stream;
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::eq_ic;

const NEED_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// The options after the id of CREATE (MKSTREAM, ENTRIESREAD) and SETID (ENTRIESREAD).
fn options(a: &Args, create: bool) -> Result<(bool, i64), Reply> {
    let (mut mkstream, mut entries_read) = (false, ENTRIES_READ_UNKNOWN);
    let mut i = 5;
    while i < a.len() {
        if create && eq_ic(&a[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if eq_ic(&a[i], "entriesread") && i + 1 < a.len() {
            entries_read = args::int(&a[i + 1])?;
            if entries_read < 0 && entries_read != ENTRIES_READ_UNKNOWN {
                return Err(Reply::err(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_error(a));
        }
    }
    Ok((mkstream, entries_read))
}

fn subcommand_error(a: &Args) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
        String::from_utf8_lossy(&a[1])
    ))
}

/// The stream at `a[2]` (None when missing), WRONGTYPE otherwise.
fn stream<'a>(ctx: &'a mut Ctx, a: &Args) -> Result<Option<&'a mut Box<Stream>>, Reply> {
    typed::write::<Box<Stream>>(ctx, &a[2])
}

/// The stream and its group `a[3]`, with XGROUP's errors for a missing key or group.
fn stream_group<'a>(ctx: &'a mut Ctx, a: &Args) -> Result<&'a mut Box<Stream>, Reply> {
    let s = stream(ctx, a)?.ok_or_else(|| Reply::err(NEED_KEY))?;
    if !s.groups.contains_key(&a[3]) {
        return Err(no_group(&a[3], &a[2]));
    }
    Ok(s)
}

pub fn create(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let (mkstream, entries_read) = tri!(options(a, true));
    let exists = tri!(stream(ctx, a)).is_some();
    if !exists && !mkstream {
        return Reply::err(NEED_KEY);
    }
    if a.len() > 8 {
        return subcommand_error(a);
    }
    let last = tri!(stream(ctx, a)).map(|s| s.last_id);
    let id = if a[4] == b"$" {
        last.unwrap_or(StreamId::MIN)
    } else {
        tri!(strict_id(&a[4], 0))
    };
    let s = tri!(typed::write_or_create::<Box<Stream>>(ctx, &a[2]));
    if s.groups.contains_key(&a[3]) {
        return Reply::err("BUSYGROUP Consumer Group name already exists");
    }
    s.groups.insert(a[3].clone(), Group::new(id, entries_read));
    ctx.dirty(1);
    Reply::Ok
}

pub fn setid(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let (_, entries_read) = tri!(options(a, false));
    let s = tri!(stream_group(ctx, a));
    if a.len() != 5 && a.len() != 7 {
        return subcommand_error(a);
    }
    let id = if a[4] == b"$" {
        s.last_id
    } else {
        tri!(parse_id(&a[4], 0, false, None))
    };
    if let Some(g) = s.groups.get_mut(&a[3]) {
        g.last_id = id;
        g.entries_read = entries_read;
    }
    ctx.dirty(1);
    Reply::Ok
}

pub fn destroy(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(s) = tri!(stream(ctx, a)) else {
        return Reply::err(NEED_KEY);
    };
    if s.groups.remove(&a[3]).is_none() {
        return Reply::Int(0);
    }
    ctx.dirty(1);
    Reply::Int(1)
}

pub fn createconsumer(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let s = tri!(stream_group(ctx, a));
    let created = s
        .groups
        .get_mut(&a[3])
        .is_some_and(|g| g.create_consumer(&a[4], now));
    if created {
        ctx.dirty(1);
    }
    Reply::Int(created as i64)
}

pub fn delconsumer(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let s = tri!(stream_group(ctx, a));
    let pending = s.groups.get_mut(&a[3]).and_then(|g| g.del_consumer(&a[4]));
    match pending {
        Some(n) => {
            ctx.dirty(1);
            Reply::Int(n as i64)
        }
        None => Reply::Int(0),
    }
}

pub fn help(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    help_reply(
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    )
}

pub fn xack(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(s) = tri!(typed::read::<Box<Stream>>(ctx, &a[1])) else {
        return Reply::Int(0);
    };
    if !s.groups.contains_key(&a[2]) {
        return Reply::Int(0);
    }
    let mut ids = Vec::with_capacity(a.len() - 3);
    for x in &a[3..] {
        ids.push(tri!(strict_id(x, 0)));
    }
    let Some(g) = s.groups.get_mut(&a[2]) else {
        return Reply::Int(0);
    };
    let acked = ids.into_iter().filter(|id| g.ack(*id)).count() as u64;
    ctx.dirty(acked);
    Reply::Int(acked as i64)
}

pub fn xpending(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let summary = a.len() == 3;
    if a.len() != 3 && !(6..=9).contains(&a.len()) {
        return Reply::syntax_error();
    }
    let (mut start, mut end, mut count, mut minidle) = (StreamId::MIN, StreamId::MAX, 0i64, 0i64);
    let mut consumer = None;
    if a.len() >= 6 {
        let mut i = 3;
        if eq_ic(&a[3], "idle") {
            minidle = tri!(args::int(&a[4]));
            if a.len() < 8 {
                return Reply::syntax_error();
            }
            i += 2;
        }
        count = tri!(args::int(&a[i + 2])).max(0);
        let (s, sx) = tri!(interval_id(&a[i], 0));
        start = s;
        if sx {
            match start.incr() {
                Some(s) => start = s,
                None => return Reply::err("ERR invalid start ID for the interval"),
            }
        }
        let (e, ex) = tri!(interval_id(&a[i + 1], u64::MAX));
        end = e;
        if ex {
            match end.decr() {
                Some(e) => end = e,
                None => return Reply::err("ERR invalid end ID for the interval"),
            }
        }
        consumer = a.get(i + 3).cloned();
    }
    let nogroup = || {
        Reply::err(format!(
            "NOGROUP No such key '{}' or consumer group '{}'",
            String::from_utf8_lossy(&a[1]),
            String::from_utf8_lossy(&a[2])
        ))
    };
    let Some(s) = tri!(typed::read::<Box<Stream>>(ctx, &a[1])) else {
        return nogroup();
    };
    let Some(g) = s.groups.get(&a[2]) else {
        return nogroup();
    };
    if summary {
        let (Some(first), Some(last)) = (g.pel.keys().next(), g.pel.keys().next_back()) else {
            return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
        };
        let owners = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(n, c)| {
                Reply::Array(vec![
                    Reply::bulk(n.clone()),
                    Reply::bulk(c.pel.len().to_string()),
                ])
            })
            .collect();
        return Reply::Array(vec![
            Reply::Int(g.pel.len() as i64),
            id_reply(*first),
            id_reply(*last),
            Reply::Array(owners),
        ]);
    }
    let ids: Vec<StreamId> = match &consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) => c.pel.range(start..).copied().collect(),
            None => return Reply::Array(vec![]),
        },
        None => g.pel.range(start..).map(|(id, _)| *id).collect(),
    };
    let mut out = Vec::new();
    for id in ids {
        if count == 0 || id > end {
            break;
        }
        let Some(n) = g.pel.get(&id) else {
            continue;
        };
        if minidle != 0 && now - n.delivery_time < minidle {
            continue;
        }
        count -= 1;
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::bulk(n.consumer.clone()),
            Reply::Int((now - n.delivery_time).max(0)),
            Reply::Int(n.delivery_count as i64),
        ]));
    }
    Reply::Array(out)
}
