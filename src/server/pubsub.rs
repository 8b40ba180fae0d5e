//! Pub/Sub state: which clients listen on which channels, patterns and shard channels, and the
//! delivery of published messages straight into the subscribers' output buffers. The server
//! keeps channel → subscribers (in subscription order); each client keeps its own subscriptions
//! (for UNSUBSCRIBE without arguments, counts and CLIENT LIST).
use super::client::{Client, ClientKind};
use super::Server;
use crate::resp::{encode::encode, Reply};
use std::collections::{HashMap, HashSet};

/// The three kinds of subscription Redis 7.0 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// Name of the confirmation pushed for a subscribe / unsubscribe of this kind.
    fn verb(self, subscribe: bool) -> &'static str {
        match (self, subscribe) {
            (Kind::Channel, true) => "subscribe",
            (Kind::Channel, false) => "unsubscribe",
            (Kind::Pattern, true) => "psubscribe",
            (Kind::Pattern, false) => "punsubscribe",
            (Kind::Shard, true) => "ssubscribe",
            (Kind::Shard, false) => "sunsubscribe",
        }
    }
}

/// Server-wide subscriptions.
#[derive(Default)]
pub struct PubSub {
    channels: HashMap<Vec<u8>, Vec<usize>>,
    /// Patterns in the order they were first subscribed, with their subscribers.
    patterns: Vec<(Vec<u8>, Vec<usize>)>,
    shard: HashMap<Vec<u8>, Vec<usize>>,
}

impl PubSub {
    /// Active channels (or shard channels) matching `pat` (all without one).
    pub fn channels(&self, shard: bool, pat: Option<&[u8]>) -> Vec<Vec<u8>> {
        let map = if shard { &self.shard } else { &self.channels };
        map.keys()
            .filter(|c| pat.map_or(true, |p| crate::glob::matches(p, c, false)))
            .cloned()
            .collect()
    }

    /// Number of subscribers of a channel (or shard channel), patterns excluded.
    pub fn numsub(&self, shard: bool, ch: &[u8]) -> usize {
        let map = if shard { &self.shard } else { &self.channels };
        map.get(ch).map_or(0, |v| v.len())
    }

    /// Distinct (channels, patterns, shard channels) with subscribers (INFO stats).
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.channels.len(), self.patterns.len(), self.shard.len())
    }

    /// Number of distinct patterns subscribed to (PUBSUB NUMPAT).
    pub fn numpat(&self) -> usize {
        self.patterns.len()
    }
}

/// One client's subscriptions.
#[derive(Default, Debug)]
pub struct ClientSubs {
    pub channels: HashSet<Vec<u8>>,
    /// In subscription order (PUNSUBSCRIBE without arguments answers in this order).
    pub patterns: Vec<Vec<u8>>,
    pub shard: HashSet<Vec<u8>>,
}

impl ClientSubs {
    fn has(&self, kind: Kind, name: &[u8]) -> bool {
        match kind {
            Kind::Channel => self.channels.contains(name),
            Kind::Pattern => self.patterns.iter().any(|p| p == name),
            Kind::Shard => self.shard.contains(name),
        }
    }
}

/// Channel + pattern subscriptions of a client (the count Redis reports for them).
pub fn count(c: &Client) -> usize {
    c.subs
        .as_ref()
        .map_or(0, |s| s.channels.len() + s.patterns.len())
}

/// Shard-channel subscriptions of a client.
pub fn shard_count(c: &Client) -> usize {
    c.subs.as_ref().map_or(0, |s| s.shard.len())
}

/// (channels, patterns, shard channels) for CLIENT LIST.
pub fn counts(c: &Client) -> (usize, usize, usize) {
    c.subs.as_ref().map_or((0, 0, 0), |s| {
        (s.channels.len(), s.patterns.len(), s.shard.len())
    })
}

/// The count a confirmation of this kind carries.
fn kind_count(c: &Client, kind: Kind) -> usize {
    match kind {
        Kind::Shard => shard_count(c),
        _ => count(c),
    }
}

/// Keep the client's type in step with its subscriptions (CLIENT LIST flag P, KILL TYPE,
/// the output-buffer class).
fn update_kind(c: &mut Client) {
    let total = c
        .subs
        .as_ref()
        .map_or(0, |s| s.channels.len() + s.patterns.len() + s.shard.len());
    if total > 0 && c.kind == ClientKind::Normal {
        c.kind = ClientKind::PubSub;
    } else if total == 0 {
        if c.kind == ClientKind::PubSub {
            c.kind = ClientKind::Normal;
        }
        c.subs = None;
    }
}

fn confirm(c: &mut Client, kind: Kind, subscribe: bool, name: Option<&[u8]>) {
    let n = kind_count(c, kind) as i64;
    // Pushes ignore CLIENT REPLY OFF/SKIP, as in Redis.
    c.reply_always(&Reply::Push(vec![
        Reply::bulk(kind.verb(subscribe)),
        name.map_or(Reply::Nil, Reply::bulk),
        Reply::Int(n),
    ]));
}

/// Subscribe `c` to `name`, pushing the confirmation.
pub fn subscribe<R>(srv: &mut Server<R>, c: &mut Client, kind: Kind, name: &[u8]) {
    let subs = c.subs.get_or_insert_with(Default::default);
    if !subs.has(kind, name) {
        match kind {
            Kind::Channel => {
                subs.channels.insert(name.to_vec());
                let v = srv.pubsub.channels.entry(name.to_vec()).or_default();
                v.push(c.token);
            }
            Kind::Shard => {
                subs.shard.insert(name.to_vec());
                srv.pubsub
                    .shard
                    .entry(name.to_vec())
                    .or_default()
                    .push(c.token);
            }
            Kind::Pattern => {
                subs.patterns.push(name.to_vec());
                let pats = &mut srv.pubsub.patterns;
                match pats.iter_mut().find(|(p, _)| p == name) {
                    Some((_, v)) => v.push(c.token),
                    None => pats.push((name.to_vec(), vec![c.token])),
                }
            }
        }
    }
    update_kind(c);
    confirm(c, kind, true, Some(name));
}

fn drop_token(v: &mut Vec<usize>, token: usize) {
    if let Some(i) = v.iter().position(|&t| t == token) {
        v.remove(i);
    }
}

/// Remove one subscription from both sides; true if the client had it.
fn remove<R>(srv: &mut Server<R>, c: &mut Client, kind: Kind, name: &[u8]) -> bool {
    let Some(subs) = c.subs.as_mut() else {
        return false;
    };
    let token = c.token;
    let had = match kind {
        Kind::Channel | Kind::Shard => {
            let (mine, map) = if kind == Kind::Channel {
                (&mut subs.channels, &mut srv.pubsub.channels)
            } else {
                (&mut subs.shard, &mut srv.pubsub.shard)
            };
            let had = mine.remove(name);
            if had {
                if let Some(v) = map.get_mut(name) {
                    drop_token(v, token);
                    if v.is_empty() {
                        map.remove(name);
                    }
                }
            }
            had
        }
        Kind::Pattern => match subs.patterns.iter().position(|p| p == name) {
            Some(i) => {
                subs.patterns.remove(i);
                let pats = &mut srv.pubsub.patterns;
                if let Some(j) = pats.iter().position(|(p, _)| p == name) {
                    drop_token(&mut pats[j].1, token);
                    if pats[j].1.is_empty() {
                        pats.remove(j);
                    }
                }
                true
            }
            None => false,
        },
    };
    update_kind(c);
    had
}

/// Unsubscribe `c` from `name`, pushing the confirmation (sent even if it was not subscribed).
pub fn unsubscribe<R>(srv: &mut Server<R>, c: &mut Client, kind: Kind, name: &[u8]) {
    remove(srv, c, kind, name);
    confirm(c, kind, false, Some(name));
}

fn names_of(c: &Client, kind: Kind) -> Vec<Vec<u8>> {
    match (c.subs.as_ref(), kind) {
        (None, _) => Vec::new(),
        (Some(s), Kind::Channel) => s.channels.iter().cloned().collect(),
        (Some(s), Kind::Pattern) => s.patterns.clone(),
        (Some(s), Kind::Shard) => s.shard.iter().cloned().collect(),
    }
}

/// Drop every subscription of one kind; with `notify`, push one confirmation per name (or a
/// single one with a null name when there was none).
pub fn unsubscribe_all<R>(srv: &mut Server<R>, c: &mut Client, kind: Kind, notify: bool) {
    let names = names_of(c, kind);
    if names.is_empty() && notify {
        confirm(c, kind, false, None);
    }
    for n in names {
        remove(srv, c, kind, &n);
        if notify {
            confirm(c, kind, false, Some(&n));
        }
    }
}

/// A client is going away or resetting: drop all its subscriptions silently.
pub fn forget<R>(srv: &mut Server<R>, c: &mut Client) {
    if c.subs.is_none() {
        return;
    }
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        unsubscribe_all(srv, c, kind, false);
    }
}

/// One message encoded once per protocol version, appended to every receiver.
struct Message {
    reply: Reply,
    enc: [Option<Vec<u8>>; 2],
}

impl Message {
    fn new(reply: Reply) -> Self {
        Message {
            reply,
            enc: [None, None],
        }
    }

    fn bytes(&mut self, resp: u8) -> &[u8] {
        let i = (resp == 3) as usize;
        let reply = &self.reply;
        self.enc[i].get_or_insert_with(|| {
            let mut v = Vec::new();
            encode(&mut v, reply, resp);
            v
        })
    }
}

/// Append a message to client `token` (the caller itself if it is `me`), queue the write and
/// enforce the output-buffer limit.
fn deliver<R>(srv: &mut Server<R>, me: &mut Option<&mut Client>, token: usize, msg: &mut Message) {
    let is_me = me.as_ref().is_some_and(|m| m.token == token);
    let c: &mut Client = match me {
        Some(m) if is_me => m,
        _ => match srv.clients.get_mut(token) {
            Some(c) => c,
            None => return,
        },
    };
    // Pushes ignore CLIENT REPLY OFF/SKIP, as in Redis.
    if c.close_asap {
        return;
    }
    c.out.extend_from_slice(msg.bytes(c.resp));
    if !c.pending_write && !is_me {
        c.pending_write = true;
        srv.pending_writes.push(token);
    }
    super::obuf::enforce(&srv.config, &mut srv.stats, c, srv.now_ms);
}

/// PUBLISH: deliver to channel subscribers, then to every matching pattern's subscribers.
/// `me` is the publishing client when a client publishes (it is out of the slab while its
/// command runs), None when the server itself does (sentinel events). Returns the number of
/// receivers.
pub fn publish<R>(
    srv: &mut Server<R>,
    mut me: Option<&mut Client>,
    ch: &[u8],
    payload: &[u8],
) -> usize {
    let mut n = 0;
    if let Some(tokens) = srv.pubsub.channels.get(ch).cloned() {
        let mut msg = Message::new(Reply::Push(vec![
            Reply::bulk("message"),
            Reply::bulk(ch),
            Reply::bulk(payload),
        ]));
        for t in tokens {
            deliver(srv, &mut me, t, &mut msg);
            n += 1;
        }
    }
    if srv.pubsub.patterns.is_empty() {
        return n;
    }
    let matching: Vec<(Vec<u8>, Vec<usize>)> = srv
        .pubsub
        .patterns
        .iter()
        .filter(|(p, _)| crate::glob::matches(p, ch, false))
        .cloned()
        .collect();
    for (pat, tokens) in matching {
        let mut msg = Message::new(Reply::Push(vec![
            Reply::bulk("pmessage"),
            Reply::Bulk(pat),
            Reply::bulk(ch),
            Reply::bulk(payload),
        ]));
        for t in tokens {
            deliver(srv, &mut me, t, &mut msg);
            n += 1;
        }
    }
    n
}

/// SPUBLISH: deliver to the shard channel's subscribers.
pub fn spublish<R>(srv: &mut Server<R>, me: &mut Client, ch: &[u8], payload: &[u8]) -> usize {
    let mut me = Some(me);
    let Some(tokens) = srv.pubsub.shard.get(ch).cloned() else {
        return 0;
    };
    let mut msg = Message::new(Reply::Push(vec![
        Reply::bulk("smessage"),
        Reply::bulk(ch),
        Reply::bulk(payload),
    ]));
    for &t in &tokens {
        deliver(srv, &mut me, t, &mut msg);
    }
    tokens.len()
}
