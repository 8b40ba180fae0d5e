//! Reading streams: XRANGE, XREVRANGE, XLEN and XREAD (with BLOCK through the blocked-client
//! registry: `$` is turned into the stream's last id when the client blocks, so the re-run
//! after a write serves only newer entries).
use super::{parse_id, range_reply, strict_id, typed};
use crate::cmd::args;
use crate::db::stream::StreamId;
use crate::db::{Stream, Value};
use crate::resp::Reply;
use crate::server::blocking::{self, Awaits};
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::eq_ic;

/// An interval bound: `(id` excludes it (strict form only), otherwise as `parse_id`.
pub(crate) fn interval_id(a: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if a.len() > 1 && a[0] == b'(' {
        Ok((strict_id(&a[1..], missing_seq)?, true))
    } else {
        Ok((parse_id(a, missing_seq, false, None)?, false))
    }
}

fn range_generic(ctx: &mut Ctx, a: &Args, rev: bool) -> Reply {
    let (sa, ea) = if rev { (&a[3], &a[2]) } else { (&a[2], &a[3]) };
    let (mut start, sx) = tri!(interval_id(sa, 0));
    if sx {
        match start.incr() {
            Some(s) => start = s,
            None => return Reply::err("ERR invalid start ID for the interval"),
        }
    }
    let (mut end, ex) = tri!(interval_id(ea, u64::MAX));
    if ex {
        match end.decr() {
            Some(e) => end = e,
            None => return Reply::err("ERR invalid end ID for the interval"),
        }
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < a.len() {
        if eq_ic(&a[j], "count") && j + 1 < a.len() {
            count = tri!(args::int(&a[j + 1])).max(0);
            j += 2;
        } else {
            return Reply::syntax_error();
        }
    }
    let Some(s) = tri!(typed::read::<Box<Stream>>(ctx, &a[1])) else {
        return Reply::Array(vec![]);
    };
    if count == 0 {
        return Reply::NilArray;
    }
    range_reply(s, start, end, count.max(0) as usize, rev)
}

pub fn xrange(ctx: &mut Ctx, a: &mut Args) -> Reply {
    range_generic(ctx, a, false)
}

pub fn xrevrange(ctx: &mut Ctx, a: &mut Args) -> Reply {
    range_generic(ctx, a, true)
}

pub fn xlen(ctx: &mut Ctx, a: &mut Args) -> Reply {
    match tri!(typed::read::<Box<Stream>>(ctx, &a[1])) {
        Some(s) => Reply::Int(s.length as i64),
        None => Reply::Int(0),
    }
}

/// Redis's `xreadGetKeys`: the first half of the arguments after STREAMS.
pub fn xread_keys(a: &[Vec<u8>]) -> Vec<usize> {
    let mut pos = None;
    let mut i = 1;
    while i < a.len() {
        let x = &a[i][..];
        if eq_ic(x, "block") || eq_ic(x, "count") {
            i += 1;
        } else if eq_ic(x, "group") {
            i += 2;
        } else if eq_ic(x, "noack") {
        } else if eq_ic(x, "streams") {
            pos = Some(i);
            break;
        } else {
            break;
        }
        i += 1;
    }
    let Some(p) = pos else {
        return vec![];
    };
    let n = a.len() - p - 1;
    if n == 0 || n % 2 != 0 {
        return vec![];
    }
    (p + 1..p + 1 + n / 2).collect()
}

/// Entries served to a client blocked without COUNT (XREAD_BLOCKED_DEFAULT_COUNT).
const BLOCKED_DEFAULT_COUNT: usize = 1000;

pub fn xread(ctx: &mut Ctx, a: &mut Args) -> Reply {
    xread_generic(ctx, a, false)
}

pub fn xreadgroup(ctx: &mut Ctx, a: &mut Args) -> Reply {
    xread_generic(ctx, a, true)
}

/// The consumer group part of XREADGROUP.
struct GroupRead {
    group: Vec<u8>,
    consumer: Vec<u8>,
    noack: bool,
}

fn xread_generic(ctx: &mut Ctx, a: &mut Args, readgroup: bool) -> Reply {
    let mut timeout: Option<Option<i64>> = None;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut group: Option<GroupRead> = None;
    let mut noack = false;
    let mut i = 1;
    while i < a.len() {
        let more = a.len() - i - 1;
        let o = &a[i][..];
        if eq_ic(o, "block") && more > 0 {
            if ctx.srv.role.scripts.running_client != 0
                && ctx.srv.role.scripts.running_client == ctx.client.id
            {
                return Reply::err(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(&a[0])
                ));
            }
            i += 1;
            timeout = Some(tri!(parse_block_ms(&a[i], ctx.now)));
        } else if eq_ic(o, "count") && more > 0 {
            i += 1;
            count = tri!(args::int(&a[i])).max(0);
        } else if eq_ic(o, "streams") && more > 0 {
            streams_arg = i + 1;
            if (a.len() - streams_arg) % 2 != 0 {
                // Redis 7.0 names XREAD and `$` for XREADGROUP too.
                return Reply::err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
            }
            break;
        } else if eq_ic(o, "group") && more >= 2 {
            if !readgroup {
                return Reply::err(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
            }
            group = Some(GroupRead {
                group: a[i + 1].clone(),
                consumer: a[i + 2].clone(),
                noack: false,
            });
            i += 2;
        } else if eq_ic(o, "noack") {
            if !readgroup {
                return Reply::err(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
            }
            noack = true;
        } else {
            return Reply::syntax_error();
        }
        i += 1;
    }
    if streams_arg == 0 {
        return Reply::syntax_error();
    }
    if readgroup && group.is_none() {
        return Reply::err("ERR Missing GROUP option for XREADGROUP");
    }
    if let Some(g) = group.as_mut() {
        g.noack = noack;
    }
    let n = (a.len() - streams_arg) / 2;
    let (db, now) = (ctx.client.db, ctx.now);
    let mut ids = Vec::with_capacity(n);
    for k in 0..n {
        let key = &a[streams_arg + k];
        let idarg = &a[streams_arg + n + k];
        let s = match ctx.srv.role.keyspace.dbs[db]
            .peek(key, now)
            .map(|e| &e.value)
        {
            Some(Value::Stream(s)) => Some(s),
            Some(_) => return Reply::wrong_type(),
            None => None,
        };
        if let Some(g) = &group {
            if !s.is_some_and(|s| s.groups.contains_key(&g.group)) {
                if ctx.client.reexec {
                    // Served after blocking: the group went away meanwhile (XGROUP DESTROY).
                    return Reply::err(
                        "NOGROUP the consumer group this client was blocked on no longer exists",
                    );
                }
                return Reply::err(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(&g.group)
                ));
            }
        }
        if idarg.as_slice() == b"$" {
            if readgroup {
                return Reply::err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
            }
            ids.push(s.map_or(StreamId::MIN, |s| s.last_id));
        } else if idarg.as_slice() == b">" {
            if !readgroup {
                return Reply::err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
            }
            ids.push(StreamId::MAX);
        } else {
            ids.push(tri!(strict_id(idarg, 0)));
        }
    }
    let resp3 = ctx.client.resp >= 3;
    let limit = if count > 0 {
        count as usize
    } else if ctx.client.reexec {
        BLOCKED_DEFAULT_COUNT
    } else {
        0
    };
    let mut out: Vec<(Reply, Reply)> = Vec::new();
    for (k, gt) in ids.iter().enumerate() {
        let key = a[streams_arg + k].clone();
        if tri!(typed::read::<Box<Stream>>(ctx, &key)).is_none() {
            continue;
        }
        let served = match &group {
            Some(g) => super::deliver::serve(ctx, &key, g.into(), *gt, limit),
            None => {
                let Some(s) = tri!(typed::read::<Box<Stream>>(ctx, &key)) else {
                    continue;
                };
                if s.length == 0 || s.edge(true).map_or(true, |last| last <= *gt) {
                    continue;
                }
                let Some(start) = gt.incr() else {
                    continue;
                };
                Some(range_reply(s, start, StreamId::MAX, limit, false))
            }
        };
        if let Some(r) = served {
            out.push((Reply::bulk(key), r));
        }
    }
    if !out.is_empty() {
        return if resp3 {
            Reply::Map(out)
        } else {
            Reply::Array(
                out.into_iter()
                    .map(|(k, v)| Reply::Array(vec![k, v]))
                    .collect(),
            )
        };
    }
    let Some(deadline) = timeout else {
        return Reply::NilArray;
    };
    let keys: Vec<Vec<u8>> = a[streams_arg..streams_arg + n].to_vec();
    // Block with the ids resolved: a re-run must not see `$` as the newer last id.
    let mut rerun = a.clone();
    for (k, id) in ids.iter().enumerate() {
        if *id != StreamId::MAX || !readgroup {
            rerun[streams_arg + n + k] = id.to_bytes();
        }
    }
    let r = blocking::block(ctx, keys, Awaits::Stream, deadline, Reply::NilArray);
    if let Some(b) = ctx.client.blocked.as_mut() {
        if b.args.is_empty() {
            b.args = rerun;
        }
    }
    r
}

impl<'a> From<&'a GroupRead> for super::deliver::Reader<'a> {
    fn from(g: &'a GroupRead) -> Self {
        super::deliver::Reader {
            group: &g.group,
            consumer: &g.consumer,
            noack: g.noack,
        }
    }
}

/// XREAD's BLOCK argument: milliseconds (`getTimeoutFromObjectOrReply` with UNIT_MILLISECONDS).
fn parse_block_ms(a: &[u8], now: i64) -> Result<Option<i64>, Reply> {
    let ms = crate::util::parse_i64(a)
        .ok_or_else(|| Reply::err("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(Reply::err("ERR timeout is negative"));
    }
    if ms == 0 {
        return Ok(None);
    }
    if ms > i64::MAX - now {
        return Err(Reply::err("ERR timeout is out of range"));
    }
    Ok(Some(now + ms))
}
