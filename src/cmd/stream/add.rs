//! XADD and XTRIM: their shared option parser (MAXLEN/MINID with `=`/`~`, LIMIT, NOMKSTREAM,
//! the id), id generation, and what replicas get: the generated id instead of `*`/`ms-*`, and
//! an approximate trim as the exact trim it performed.
use super::{id_reply, parse_id, strict_id, typed};
use crate::cmd::args;
use crate::db::stream::trim::{Strategy, Trim};
use crate::db::stream::{StreamId, LISTPACK_MAX_SIZE};
use crate::db::Stream;
use crate::resp::Reply;
use crate::server::client::ClientKind;
use crate::server::command::{Args, PropagateCtx, Propagation};
use crate::server::Ctx;
use crate::tri;
use crate::util::eq_ic;

/// Parsed XADD/XTRIM options.
#[derive(Debug, Default)]
pub struct Opts {
    pub trim: Option<Trim>,
    /// Index of the MAXLEN/MINID argument (the count or id).
    pub trim_arg: usize,
    pub limit_given: bool,
    pub no_mkstream: bool,
    /// The id argument's index (XADD), and the id if one (not `*`) was given.
    pub id_pos: usize,
    pub id: Option<StreamId>,
    pub seq_given: bool,
}

/// Redis's `streamParseAddOrTrimArgsOrReply`. `obey`: the caller is the master (LIMIT ignored);
/// `node_entries`: `stream-node-max-entries`, which sets the default LIMIT of a `~` trim.
pub fn parse(a: &[Vec<u8>], xadd: bool, obey: bool, node_entries: u64) -> Result<Opts, Reply> {
    let mut o = Opts::default();
    let mut approx = false;
    let mut limit: i64 = 0;
    let mut strategy: Option<Strategy> = None;
    let mut i = 2;
    while i < a.len() {
        let more = a.len() - 1 - i;
        let opt = &a[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (eq_ic(opt, "maxlen") || eq_ic(opt, "minid")) && more > 0 {
            if strategy.is_some() {
                return Err(Reply::err(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            approx = false;
            let next = &a[i + 1][..];
            if more >= 2 && next == b"~" {
                approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if eq_ic(opt, "maxlen") {
                let n = args::int(&a[i + 1])?;
                if n < 0 {
                    return Err(Reply::err("ERR The MAXLEN argument must be >= 0."));
                }
                strategy = Some(Strategy::MaxLen(n as u64));
            } else {
                strategy = Some(Strategy::MinId(strict_id(&a[i + 1], 0)?));
            }
            i += 1;
            o.trim_arg = i;
        } else if eq_ic(opt, "limit") && more > 0 {
            limit = args::int(&a[i + 1])?;
            if limit < 0 {
                return Err(Reply::err("ERR The LIMIT argument must be >= 0."));
            }
            o.limit_given = true;
            i += 1;
        } else if xadd && eq_ic(opt, "nomkstream") {
            o.no_mkstream = true;
        } else if xadd {
            let mut seq_given = false;
            o.id = Some(parse_id(opt, 0, true, Some(&mut seq_given))?);
            o.seq_given = seq_given;
            break;
        } else {
            return Err(Reply::syntax_error());
        }
        i += 1;
    }
    o.id_pos = i;
    if limit != 0 && strategy.is_none() {
        return Err(Reply::err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && strategy.is_none() {
        return Err(Reply::err(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if obey {
        limit = 0;
    } else if o.limit_given {
        if !approx {
            return Err(Reply::err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if approx {
        limit = 100i64.saturating_mul(node_entries.min(i64::MAX as u64) as i64);
        if limit <= 0 || limit > 10000 {
            limit = 10000;
        }
    } else {
        limit = 0;
    }
    o.trim = strategy.map(|strategy| Trim {
        strategy,
        approx,
        limit: limit as u64,
    });
    Ok(o)
}

const NOT_GREATER: &str =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
/// Redis 7.0 fails `ms-*` past the last sequence without setting errno, so XADD reports the
/// other error it knows.
const TOO_LARGE: &str = "ERR Elements are too large to be stored";

/// The id XADD adds: given, `ms-*` (next sequence in that ms), or generated from the clock.
fn new_id(s: &Stream, o: &Opts, now: i64) -> Result<StreamId, &'static str> {
    let id = match o.id {
        Some(id) if o.seq_given => id,
        Some(id) if s.last_id.ms == id.ms => {
            if s.last_id.seq == u64::MAX {
                return Err(TOO_LARGE);
            }
            StreamId::new(id.ms, s.last_id.seq + 1)
        }
        Some(id) => id,
        None => {
            let ms = now.max(0) as u64;
            if ms > s.last_id.ms {
                StreamId::new(ms, 0)
            } else {
                s.last_id.incr().ok_or(NOT_GREATER)?
            }
        }
    };
    if id <= s.last_id {
        return Err(NOT_GREATER);
    }
    Ok(id)
}

pub fn xadd(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let obey = ctx.client.kind == ClientKind::Master;
    let lim = ctx.srv.config.enc;
    let o = tri!(parse(a, true, obey, lim.stream_node_max_entries));
    let field_pos = o.id_pos + 1;
    let nfields = a.len().saturating_sub(field_pos);
    if nfields < 2 || nfields % 2 == 1 {
        return Reply::wrong_arity("xadd");
    }
    if o.seq_given && o.id == Some(StreamId::MIN) {
        return Reply::err("ERR The ID specified in XADD must be greater than 0-0");
    }
    let now = ctx.now;
    let s = if o.no_mkstream {
        match tri!(typed::write::<Box<Stream>>(ctx, &a[1])) {
            Some(s) => s,
            None => return Reply::Nil,
        }
    } else {
        tri!(typed::write_or_create::<Box<Stream>>(ctx, &a[1]))
    };
    if s.last_id == StreamId::MAX {
        return Reply::err(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        );
    }
    let id = match new_id(s, &o, now) {
        Ok(id) => id,
        Err(e) => return Reply::err(e),
    };
    let pairs = &a[field_pos..];
    if pairs.iter().map(|x| x.len()).sum::<usize>() > LISTPACK_MAX_SIZE {
        return Reply::err("ERR Elements are too large to be stored");
    }
    let max_bytes = usize::try_from(lim.stream_node_max_bytes).unwrap_or(usize::MAX);
    s.append(id, pairs, max_bytes, lim.stream_node_max_entries);
    if let Some(t) = &o.trim {
        s.trim(t);
    }
    ctx.dirty(1);
    id_reply(id)
}

/// The trim argument replicas get after an approximate trim: the length left, or the first id
/// (tombstones included; the maximum id when the stream is empty).
fn exact_trim_arg(s: &Stream, t: &Trim) -> Vec<u8> {
    match t.strategy {
        Strategy::MaxLen(_) => s.length.to_string().into_bytes(),
        Strategy::MinId(_) => {
            let first = s
                .nodes
                .values()
                .find_map(|n| n.first_id())
                .unwrap_or(StreamId::MAX);
            first.to_bytes()
        }
    }
}

/// Rewrite `~ <arg>` as `= <exact>` in `out`.
fn exact_trim(ctx: &PropagateCtx, key: &[u8], o: &Opts, out: &mut Args) -> bool {
    let Some(t) = o.trim.filter(|t| t.approx) else {
        return false;
    };
    let Some(s) = ctx.srv.role.keyspace.dbs[ctx.db]
        .dict
        .get(key)
        .and_then(|e| e.value.as_stream())
    else {
        return false;
    };
    out[o.trim_arg - 1] = b"=".to_vec();
    out[o.trim_arg] = exact_trim_arg(s, &t);
    true
}

pub fn xadd_propagate(ctx: &PropagateCtx, a: &[Vec<u8>], reply: &Reply) -> Propagation {
    // Replicas and AOF obey; LIMIT is checked before this point on the master.
    let Ok(o) = parse(a, true, true, 0) else {
        return Propagation::AsCalled;
    };
    let mut out = a.to_vec();
    let mut changed = exact_trim(ctx, &a[1], &o, &mut out);
    if o.id.is_none() || !o.seq_given {
        if let Reply::Bulk(id) = reply {
            out[o.id_pos] = id.clone();
            changed = true;
        }
    }
    if changed {
        Propagation::Instead(out)
    } else {
        Propagation::AsCalled
    }
}

pub fn xtrim(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let obey = ctx.client.kind == ClientKind::Master;
    let o = tri!(parse(
        a,
        false,
        obey,
        ctx.srv.config.enc.stream_node_max_entries
    ));
    let Some(s) = tri!(typed::write::<Box<Stream>>(ctx, &a[1])) else {
        return Reply::Int(0);
    };
    let Some(t) = o.trim else {
        return Reply::Int(0);
    };
    let deleted = s.trim(&t);
    ctx.dirty(deleted);
    Reply::Int(deleted as i64)
}

pub fn xtrim_propagate(ctx: &PropagateCtx, a: &[Vec<u8>], _reply: &Reply) -> Propagation {
    let Ok(o) = parse(a, false, true, 0) else {
        return Propagation::AsCalled;
    };
    let mut out = a.to_vec();
    if exact_trim(ctx, &a[1], &o, &mut out) {
        Propagation::Instead(out)
    } else {
        Propagation::AsCalled
    }
}
