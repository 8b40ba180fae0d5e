//! XINFO: a stream's counters and edges (STREAM), or everything in it with its consumer groups,
//! pending entries and consumers (STREAM ... FULL), in Redis 7.0's reply shapes.
use super::{entry_reply, id_reply, range_reply, typed};
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

fn field(name: &str, v: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), v)
}

fn subcommand_error(a: &Args) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(&a[1]),
        String::from_utf8_lossy(&a[0]).to_uppercase()
    ))
}

/// A group's lag, when it can be known.
pub(crate) fn lag(s: &Stream, g: &Group) -> Reply {
    if s.entries_added == 0 {
        return Reply::Int(0);
    }
    if g.entries_read != ENTRIES_READ_UNKNOWN && !s.tombstones_from(g.last_id) {
        return Reply::Int(s.entries_added as i64 - g.entries_read);
    }
    match s.estimate_entries_read(g.last_id) {
        ENTRIES_READ_UNKNOWN => Reply::Nil,
        read => Reply::Int(s.entries_added as i64 - read),
    }
}

fn entries_read(g: &Group) -> Reply {
    if g.entries_read == ENTRIES_READ_UNKNOWN {
        Reply::Nil
    } else {
        Reply::Int(g.entries_read)
    }
}

fn full_group(name: &[u8], g: &Group, s: &Stream, count: usize) -> Reply {
    let pending = g
        .pel
        .iter()
        .take(count)
        .map(|(id, n)| {
            Reply::Array(vec![
                id_reply(*id),
                Reply::bulk(n.consumer.clone()),
                Reply::Int(n.delivery_time),
                Reply::Int(n.delivery_count as i64),
            ])
        })
        .collect();
    let consumers = g
        .consumers
        .iter()
        .map(|(cname, c)| {
            let pel = c
                .pel
                .iter()
                .take(count)
                .map(|id| {
                    let (t, n) = g
                        .pel
                        .get(id)
                        .map_or((0, 0), |n| (n.delivery_time, n.delivery_count as i64));
                    Reply::Array(vec![id_reply(*id), Reply::Int(t), Reply::Int(n)])
                })
                .collect();
            Reply::Map(vec![
                field("name", Reply::bulk(cname.clone())),
                field("seen-time", Reply::Int(c.seen_time)),
                field("pel-count", Reply::Int(c.pel.len() as i64)),
                field("pending", Reply::Array(pel)),
            ])
        })
        .collect();
    Reply::Map(vec![
        field("name", Reply::bulk(name)),
        field("last-delivered-id", id_reply(g.last_id)),
        field("entries-read", entries_read(g)),
        field("lag", lag(s, g)),
        field("pel-count", Reply::Int(g.pel.len() as i64)),
        field("pending", Reply::Array(pending)),
        field("consumers", Reply::Array(consumers)),
    ])
}

pub fn xinfo_stream(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(s) = tri!(typed::read::<Box<Stream>>(ctx, &a[2])) else {
        return Reply::no_such_key();
    };
    let mut full = None;
    if a.len() > 3 {
        if !eq_ic(&a[3], "full") {
            return subcommand_error(a);
        }
        let mut count: i64 = 10;
        if a.len() > 4 {
            if a.len() != 6 || !eq_ic(&a[4], "count") {
                return subcommand_error(a);
            }
            count = tri!(args::int(&a[5])).max(0);
        }
        full = Some(if count == 0 {
            usize::MAX
        } else {
            count as usize
        });
    }
    let mut out = vec![
        field("length", Reply::Int(s.length as i64)),
        field("radix-tree-keys", Reply::Int(s.nodes.len() as i64)),
        field("radix-tree-nodes", Reply::Int(s.rax_nodes() as i64)),
        field("last-generated-id", id_reply(s.last_id)),
        field("max-deleted-entry-id", id_reply(s.max_deleted)),
        field("entries-added", Reply::Int(s.entries_added as i64)),
        field("recorded-first-entry-id", id_reply(s.first_id)),
    ];
    match full {
        None => {
            let first = s.iter(false).next().map_or(Reply::Nil, |e| entry_reply(&e));
            let last = s.iter(true).next().map_or(Reply::Nil, |e| entry_reply(&e));
            out.push(field("groups", Reply::Int(s.groups.len() as i64)));
            out.push(field("first-entry", first));
            out.push(field("last-entry", last));
        }
        Some(count) => {
            let entries = range_reply(s, StreamId::MIN, StreamId::MAX, count, false);
            out.push(field("entries", entries));
            let groups = s
                .groups
                .iter()
                .map(|(name, g)| full_group(name, g, s, count))
                .collect();
            out.push(field("groups", Reply::Array(groups)));
        }
    }
    Reply::Map(out)
}

pub fn xinfo_groups(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(s) = tri!(typed::read::<Box<Stream>>(ctx, &a[2])) else {
        return Reply::no_such_key();
    };
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| {
            Reply::Map(vec![
                field("name", Reply::bulk(name.clone())),
                field("consumers", Reply::Int(g.consumers.len() as i64)),
                field("pending", Reply::Int(g.pel.len() as i64)),
                field("last-delivered-id", id_reply(g.last_id)),
                field("entries-read", entries_read(g)),
                field("lag", lag(s, g)),
            ])
        })
        .collect();
    Reply::Array(groups)
}

/// The NOGROUP error of the group commands.
pub(crate) fn no_group(group: &[u8], key: &[u8]) -> Reply {
    Reply::err(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

pub fn xinfo_consumers(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let Some(s) = tri!(typed::read::<Box<Stream>>(ctx, &a[2])) else {
        return Reply::no_such_key();
    };
    let Some(g) = s.groups.get(&a[3]) else {
        return no_group(&a[3], &a[2]);
    };
    let consumers = g
        .consumers
        .iter()
        .map(|(name, c)| {
            Reply::Map(vec![
                field("name", Reply::bulk(name.clone())),
                field("pending", Reply::Int(c.pel.len() as i64)),
                field("idle", Reply::Int((now - c.seen_time).max(0))),
            ])
        })
        .collect();
    Reply::Array(consumers)
}

pub fn xinfo_help(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    help_reply(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    )
}
