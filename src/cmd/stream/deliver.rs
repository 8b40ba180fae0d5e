//! Serving XREADGROUP for one stream: new entries (`>`) advance the group and become pending
//! for the consumer (unless NOACK), history ids re-read the consumer's own pending entries.
//! What replicas must apply is queued as Redis 7.0 propagates it: XGROUP CREATECONSUMER for a
//! consumer created here, one XCLAIM per delivered entry, XGROUP SETID after a NOACK read.
use super::claim::{setid_form, xclaim_form};
use super::{entry_reply, id_reply};
use crate::db::stream::StreamId;
use crate::db::{Stream, Value};
use crate::resp::Reply;
use crate::server::Ctx;

pub struct Reader<'a> {
    pub group: &'a [u8],
    pub consumer: &'a [u8],
    pub noack: bool,
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// Serve `r` from the stream at `key` after id `gt` (`StreamId::MAX` for `>`); None when there
/// is nothing new for the group.
pub fn serve(
    ctx: &mut Ctx,
    key: &[u8],
    r: Reader<'_>,
    gt: StreamId,
    limit: usize,
) -> Option<Reply> {
    let now = ctx.now;
    let db = ctx.client.db;
    let mut props = Vec::new();
    let mut dirty = 0;
    let s: &mut Stream = match ctx.srv.role.keyspace.dbs[db]
        .get(key, now)
        .map(|e| &mut e.value)
    {
        Some(Value::Stream(s)) => s,
        _ => return None,
    };
    let history = gt != StreamId::MAX;
    let group_last = s.groups.get(r.group)?.last_id;
    let mut gt = gt;
    if !history {
        match s.edge(true) {
            Some(max) if max > group_last => gt = group_last,
            _ => return None,
        }
    }
    let g = s.groups.get_mut(r.group)?;
    if !g.touch_consumer(r.consumer, now) {
        g.create_consumer(r.consumer, now);
        dirty += 1;
        props.push(vec![
            b("XGROUP"),
            b("CREATECONSUMER"),
            key.to_vec(),
            r.group.to_vec(),
            r.consumer.to_vec(),
        ]);
    }
    let cap = if limit == 0 { usize::MAX } else { limit };
    let mut out = Vec::new();
    if let Some(start) = gt.incr() {
        if history {
            let ids: Vec<StreamId> = g
                .consumers
                .get(r.consumer)
                .map(|c| c.pel.range(start..).take(cap).copied().collect())
                .unwrap_or_default();
            for id in ids {
                let entry = s.range(id, id, false).next().map(|e| entry_reply(&e));
                match entry {
                    Some(e) => {
                        out.push(e);
                        if let Some(n) = s.groups.get_mut(r.group).and_then(|g| g.pel.get_mut(&id))
                        {
                            n.delivery_time = now;
                            n.delivery_count += 1;
                        }
                    }
                    None => out.push(Reply::Array(vec![id_reply(id), Reply::NilArray])),
                }
            }
        } else {
            let entries: Vec<(StreamId, Reply)> = s
                .range(start, StreamId::MAX, false)
                .take(cap)
                .map(|e| (e.id, entry_reply(&e)))
                .collect();
            let mut moved = false;
            for (id, reply) in entries {
                let read = match s.groups.get(r.group) {
                    Some(g) if id > g.last_id => Some(s.entries_read_after(g, id)),
                    _ => None,
                };
                let g = s.groups.get_mut(r.group)?;
                if let Some(read) = read {
                    g.entries_read = read;
                    g.last_id = id;
                    moved |= r.noack;
                }
                out.push(reply);
                if !r.noack {
                    let n = g.assign(id, r.consumer, now);
                    n.delivery_time = now;
                    n.delivery_count = 1;
                    if let Some(n) = g.pel.get(&id) {
                        props.push(xclaim_form(key, r.group, id, n, g));
                    }
                }
            }
            if moved {
                if let Some(g) = s.groups.get(r.group) {
                    props.push(setid_form(key, r.group, g));
                }
            }
        }
    }
    dirty += 1;
    ctx.srv.role.also_propagate.extend(props);
    ctx.dirty(dirty);
    Some(Reply::Array(out))
}
