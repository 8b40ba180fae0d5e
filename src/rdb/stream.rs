//! Streams in RDB files: Redis's listpack nodes keyed by their master id, the stream's ids and
//! counters, and the consumer groups with their pending entries and consumers. Written as
//! `RDB_TYPE_STREAM_LISTPACKS_2` the way Redis 7.0 writes it; read from the 5.0-6.2 (15), 7.0
//! (19) and 7.2 (21, consumers with an active time) forms.
use super::consts::*;
use super::decode::{listpack, Item};
use super::encode::listpack::Builder;
use super::error::RdbError;
use super::sink::Writer;
use super::source::Reader;
use crate::db::stream::{Consumer, Group, Nack, Node, Stream, StreamId, FLAG_SAMEFIELDS};
use std::io::{self, Read, Write};

/// One node's listpack, byte for byte as Redis 7.0 keeps it.
pub fn node_listpack(lp: &mut Builder, n: &Node) {
    lp.clear();
    lp.push_int(n.live as i64);
    lp.push_int(n.deleted as i64);
    lp.push_int(n.master_fields.len() as i64);
    for f in &n.master_fields {
        lp.push(f);
    }
    lp.push_int(0);
    for e in n.entries() {
        lp.push_int(e.flags as i64);
        lp.push_int(e.id.ms.wrapping_sub(n.master.ms) as i64);
        lp.push_int(e.id.seq.wrapping_sub(n.master.seq) as i64);
        let count = e.item_count();
        let lp_count = if e.flags & FLAG_SAMEFIELDS != 0 {
            count + 3
        } else {
            lp.push_int((count / 2) as i64);
            count + 4
        };
        for x in e.items() {
            lp.push(x);
        }
        lp.push_int(lp_count as i64);
    }
}

fn put_id<W: Write>(w: &mut Writer<W>, id: StreamId) -> io::Result<()> {
    w.put_len(id.ms)?;
    w.put_len(id.seq)
}

/// The body of a `RDB_TYPE_STREAM_LISTPACKS_2` value.
pub fn write_stream<W: Write>(w: &mut Writer<W>, s: &Stream, lp: &mut Builder) -> io::Result<()> {
    w.put_len(s.nodes.len() as u64)?;
    for (k, n) in &s.nodes {
        w.put_string(&k.to_be())?;
        node_listpack(lp, n);
        w.put_string(lp.finish())?;
    }
    w.put_len(s.length)?;
    put_id(w, s.last_id)?;
    put_id(w, s.first_id)?;
    put_id(w, s.max_deleted)?;
    w.put_len(s.entries_added)?;
    w.put_len(s.groups.len() as u64)?;
    for (name, g) in &s.groups {
        w.put_string(name)?;
        put_id(w, g.last_id)?;
        w.put_len(g.entries_read as u64)?;
        w.put_len(g.pel.len() as u64)?;
        for (id, nack) in &g.pel {
            w.put_raw(&id.to_be())?;
            w.put_millis(nack.delivery_time)?;
            w.put_len(nack.delivery_count)?;
        }
        w.put_len(g.consumers.len() as u64)?;
        for (cname, c) in &g.consumers {
            w.put_string(cname)?;
            w.put_millis(c.seen_time)?;
            w.put_len(c.pel.len() as u64)?;
            for id in &c.pel {
                w.put_raw(&id.to_be())?;
            }
        }
    }
    Ok(())
}

fn int(it: Option<&Item<'_>>) -> Result<i64, &'static str> {
    match it {
        Some(Item::Int(v)) => Ok(*v),
        Some(Item::Str(s)) => crate::util::parse_i64(s).ok_or("Stream listpack integer expected"),
        None => Err("Stream listpack truncated"),
    }
}

/// Parse one node's listpack.
fn parse_node(master: StreamId, blob: &[u8]) -> Result<Node, &'static str> {
    let items = listpack::decode(blob)?;
    if items.is_empty() {
        return Err("Empty listpack inside stream");
    }
    let mut it = items.iter();
    let live = int(it.next())?;
    let deleted = int(it.next())?;
    let nfields = int(it.next())?;
    if nfields < 0 || nfields as usize > items.len() {
        return Err("Stream master entry with a bad field count");
    }
    let mut fields = Vec::with_capacity(nfields as usize);
    for _ in 0..nfields {
        fields.push(it.next().ok_or("Stream listpack truncated")?.to_vec());
    }
    if int(it.next())? != 0 {
        return Err("Stream master entry not terminated");
    }
    let mut node = Node::new(master, fields);
    while let Some(flags) = it.next() {
        let flags = int(Some(flags))?;
        if !(0..=3).contains(&flags) {
            return Err("Stream entry with invalid flags");
        }
        let ms = master.ms.wrapping_add(int(it.next())? as u64);
        let seq = master.seq.wrapping_add(int(it.next())? as u64);
        let id = StreamId::new(ms, seq);
        let after_last = node.live + node.deleted == 0 || id > node.last_id();
        if !after_last || id < master {
            return Err("Stream entries out of order");
        }
        let n = if flags as u8 & FLAG_SAMEFIELDS != 0 {
            nfields as usize
        } else {
            let n = int(it.next())?;
            if n < 0 || n as usize > items.len() {
                return Err("Stream entry with a bad field count");
            }
            2 * n as usize
        };
        let mut vals: Vec<Vec<u8>> = Vec::with_capacity(n);
        for _ in 0..n {
            vals.push(it.next().ok_or("Stream listpack truncated")?.to_vec());
        }
        let lp_count = int(it.next())?;
        let want = if flags as u8 & FLAG_SAMEFIELDS != 0 {
            n + 3
        } else {
            n + 4
        };
        if lp_count != want as i64 {
            return Err("Stream entry with a bad lp-count");
        }
        let items: Vec<&[u8]> = vals.iter().map(|v| &v[..]).collect();
        node.push_raw(id, flags as u8, &items);
    }
    if node.live as i64 != live || node.deleted as i64 != deleted {
        return Err("Stream node counters do not match its entries");
    }
    // A node whose entries are all tombstones is legal (an exact MINID trim can leave one).
    Ok(node)
}

fn read_id<R: Read>(r: &mut Reader<R>) -> Result<StreamId, RdbError> {
    Ok(StreamId::new(r.length()?, r.length()?))
}

fn raw_id<R: Read>(r: &mut Reader<R>) -> Result<StreamId, RdbError> {
    Ok(StreamId::from_be(&r.array::<16>()?))
}

/// Read a stream value of type `t` (15, 19 or 21).
pub fn read_stream<R: Read>(r: &mut Reader<R>, t: u8) -> Result<Stream, RdbError> {
    let mut s = Stream::new();
    let nodes = r.length()?;
    for _ in 0..nodes {
        let key = r.string()?;
        let key: [u8; 16] = key
            .as_slice()
            .try_into()
            .map_err(|_| r.corrupt("Stream node key entry is not the size of a stream ID"))?;
        let master = StreamId::from_be(&key);
        let blob = r.string()?;
        let node = parse_node(master, &blob).map_err(|e| r.corrupt(e))?;
        if s.nodes.keys().next_back().is_some_and(|k| *k >= master) {
            return Err(r.corrupt("Stream nodes out of order"));
        }
        s.nodes.insert(master, node);
    }
    s.length = r.length()?;
    s.last_id = read_id(r)?;
    if t >= TYPE_STREAM_LISTPACKS_2 {
        s.first_id = read_id(r)?;
        s.max_deleted = read_id(r)?;
        s.entries_added = r.length()?;
    } else {
        s.first_id = s.edge(false).unwrap_or(StreamId::MIN);
        s.entries_added = s.length;
    }
    let live: u64 = s.nodes.values().map(|n| n.live).sum();
    if live != s.length {
        return Err(r.corrupt("Stream length does not match its entries"));
    }
    let groups = r.length()?;
    for _ in 0..groups {
        let name = r.string()?;
        let last_id = read_id(r)?;
        let entries_read = if t >= TYPE_STREAM_LISTPACKS_2 {
            r.length()? as i64
        } else {
            s.estimate_entries_read(last_id)
        };
        let mut g = Group::new(last_id, entries_read);
        let pel = r.length()?;
        for _ in 0..pel {
            let id = raw_id(r)?;
            let delivery_time = r.millis()?;
            let delivery_count = r.length()?;
            let nack = Nack {
                delivery_time,
                delivery_count,
                consumer: Vec::new(),
            };
            if g.pel.insert(id, nack).is_some() {
                return Err(r.corrupt("Duplicated global PEL entry loading stream consumer group"));
            }
        }
        let consumers = r.length()?;
        for _ in 0..consumers {
            let cname = r.string()?;
            let seen_time = r.millis()?;
            if t >= TYPE_STREAM_LISTPACKS_3 {
                r.millis()?; // active time (7.2), not kept by a 7.0 server
            }
            let mut c = Consumer {
                seen_time,
                ..Consumer::default()
            };
            let n = r.length()?;
            for _ in 0..n {
                let id = raw_id(r)?;
                let Some(nack) = g.pel.get_mut(&id) else {
                    return Err(r.corrupt("Consumer entry not found in group global PEL"));
                };
                nack.consumer = cname.clone();
                c.pel.insert(id);
            }
            if g.consumers.insert(cname, c).is_some() {
                return Err(r.corrupt("Duplicated consumer name in stream consumer group"));
            }
        }
        if s.groups.insert(name, g).is_some() {
            return Err(r.corrupt("Duplicated consumer group name loading stream"));
        }
    }
    Ok(s)
}
