//! Stream commands (XADD, XRANGE, XREAD, XDEL, XTRIM, XSETID, XINFO, ...). Replies, error texts
//! and the order of argument checks follow Redis 7.0's `t_stream.c`; the stream itself lives in
//! `db::stream`.
mod add;
mod claim;
mod deliver;
mod edit;
mod group;
mod info;
mod read;

use super::typed;
use crate::db::stream::{EntryRef, StreamId};
use crate::db::Stream;
use crate::resp::Reply;
use crate::server::command::{flags::*, single_key, Command, Propagate, Propagation, BASE};

pub(crate) const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// Redis's `streamGenericParseIDOrReply`: `-` and `+` (unless `strict`), `ms-seq`, `ms` (seq
/// then `missing_seq`), and with `seq_given` also `ms-*` (which clears it).
pub(crate) fn parse_id(
    a: &[u8],
    missing_seq: u64,
    strict: bool,
    seq_given: Option<&mut bool>,
) -> Result<StreamId, Reply> {
    let invalid = || Reply::err(INVALID_ID);
    if a.len() > 127 {
        return Err(invalid());
    }
    // The C string stops at the first NUL byte.
    let a = a.split(|&c| c == 0).next().unwrap_or(&[]);
    if strict && (a == b"-" || a == b"+") {
        return Err(invalid());
    }
    let mut given = seq_given;
    if let Some(g) = given.as_deref_mut() {
        *g = true;
    }
    match a {
        b"-" => return Ok(StreamId::MIN),
        b"+" => return Ok(StreamId::MAX),
        _ => {}
    }
    let parse = crate::db::stream::id::parse_u64;
    match a.iter().position(|&c| c == b'-') {
        Some(p) => {
            let ms = parse(&a[..p]).ok_or_else(invalid)?;
            let rest = &a[p + 1..];
            if rest == b"*" {
                if let Some(g) = given {
                    *g = false;
                    return Ok(StreamId::new(ms, 0));
                }
            }
            Ok(StreamId::new(ms, parse(rest).ok_or_else(invalid)?))
        }
        None => Ok(StreamId::new(parse(a).ok_or_else(invalid)?, missing_seq)),
    }
}

/// A strict id (no `-` / `+`), seq defaulting to `missing_seq`.
pub(crate) fn strict_id(a: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id(a, missing_seq, true, None)
}

pub(crate) fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

/// One entry as XRANGE replies it: its id and a flat array of fields and values.
pub(crate) fn entry_reply(e: &EntryRef<'_>) -> Reply {
    let mut fv = Vec::new();
    for (f, v) in e.pairs() {
        fv.push(Reply::bulk(f));
        fv.push(Reply::bulk(v));
    }
    Reply::Array(vec![id_reply(e.id), Reply::Array(fv)])
}

/// Entries of `s` in `start..=end` (`count` 0: all).
pub(crate) fn range_reply(
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> Reply {
    let it = s.range(start, end, rev);
    let limit = if count == 0 { usize::MAX } else { count };
    Reply::Array(it.take(limit).map(|e| entry_reply(&e)).collect())
}

impl typed::Typed for Box<Stream> {
    fn get(v: &mut crate::db::Value) -> Option<&mut Self> {
        v.as_stream_mut()
    }
    fn wrap(self) -> crate::db::Value {
        crate::db::Value::Stream(self)
    }
}

const W_FAST: &[&str] = &["write", "stream", "fast"];
const W_SLOW: &[&str] = &["write", "stream", "slow"];
const R_FAST: &[&str] = &["read", "stream", "fast"];
const R_SLOW: &[&str] = &["read", "stream", "slow"];

/// An XGROUP subcommand: the key is the second argument.
const fn xgroup_sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    handler: crate::server::command::Handler,
) -> Command {
    Command {
        first_key: 2,
        last_key: 2,
        ..single_key(name, arity, flags, W_SLOW, handler)
    }
}

static XGROUP_SUBCOMMANDS: &[Command] = &[
    xgroup_sub("create", -5, WRITE | DENYOOM, group::create),
    xgroup_sub("setid", -5, WRITE, group::setid),
    xgroup_sub("destroy", 4, WRITE, group::destroy),
    xgroup_sub("createconsumer", 5, WRITE | DENYOOM, group::createconsumer),
    xgroup_sub("delconsumer", 5, WRITE, group::delconsumer),
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        ..single_key("help", 2, LOADING | STALE, &["stream", "slow"], group::help)
    },
];

/// Commands whose replicas get what the handler queued instead of the call.
const ALSO: Propagate = Propagate::always(|_, _, _| Propagation::Also);

static XINFO_SUBCOMMANDS: &[Command] = &[
    Command {
        first_key: 2,
        last_key: 2,
        ..single_key("consumers", 4, READONLY, R_SLOW, info::xinfo_consumers)
    },
    Command {
        first_key: 2,
        last_key: 2,
        ..single_key("groups", 3, READONLY, R_SLOW, info::xinfo_groups)
    },
    Command {
        first_key: 2,
        last_key: 2,
        ..single_key("stream", -3, READONLY, R_SLOW, info::xinfo_stream)
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        ..single_key(
            "help",
            2,
            LOADING | STALE,
            &["stream", "slow"],
            info::xinfo_help,
        )
    },
];

pub static COMMANDS: &[Command] = &[
    Command {
        propagate: Some(Propagate::always(add::xadd_propagate)),
        ..single_key("xadd", -5, WRITE | DENYOOM | FAST, W_FAST, add::xadd)
    },
    Command {
        propagate: Some(Propagate::always(add::xtrim_propagate)),
        ..single_key("xtrim", -4, WRITE, W_SLOW, add::xtrim)
    },
    single_key("xrange", -4, READONLY, R_SLOW, read::xrange),
    single_key("xrevrange", -4, READONLY, R_SLOW, read::xrevrange),
    single_key("xlen", 2, READONLY | FAST, R_FAST, read::xlen),
    single_key("xdel", -3, WRITE | FAST, W_FAST, edit::xdel),
    single_key("xsetid", -3, WRITE | DENYOOM | FAST, W_FAST, edit::xsetid),
    Command {
        name: "xread",
        arity: -4,
        flags: READONLY | BLOCKING | MOVABLE_KEYS,
        acl: &["read", "stream", "slow", "blocking"],
        handler: read::xread,
        getkeys: Some(read::xread_keys),
        ..BASE
    },
    Command {
        name: "xreadgroup",
        arity: -7,
        flags: WRITE | BLOCKING | MOVABLE_KEYS,
        acl: &["write", "stream", "slow", "blocking"],
        handler: read::xreadgroup,
        getkeys: Some(read::xread_keys),
        propagate: Some(ALSO),
        ..BASE
    },
    single_key("xack", -4, WRITE | FAST, W_FAST, group::xack),
    single_key("xpending", -3, READONLY, R_SLOW, group::xpending),
    Command {
        propagate: Some(ALSO),
        ..single_key("xclaim", -6, WRITE | FAST, W_FAST, claim::xclaim)
    },
    Command {
        propagate: Some(ALSO),
        ..single_key("xautoclaim", -6, WRITE | FAST, W_FAST, claim::xautoclaim)
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        subcommands: XGROUP_SUBCOMMANDS,
        ..single_key("xgroup", -2, 0, &["slow"], group::help)
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        subcommands: XINFO_SUBCOMMANDS,
        ..single_key("xinfo", -2, 0, &["slow"], info::xinfo_help)
    },
];
