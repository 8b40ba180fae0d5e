//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, ...). A blocking handler that finds nothing
//! to serve calls `block`; writes that may have filled a watched key mark it ready
//! (`signal_key`); after each command the event loop calls `dispatch::wake::serve_ready`, which re-runs the
//! blocked commands of each ready key in the order their clients blocked (FIFO), as long as the
//! key still holds data of the awaited type. Timeouts are kept sorted by deadline so the event
//! loop can sleep exactly until the next one (`next_deadline`) and expire them (`expire_due`).
//! WAIT blocks on no key: its clients wait for replica ACKs (`Awaits::Acks`) and are served
//! from the event loop once enough replicas acknowledged their offset (`serve_acks`).
use super::client::Client;
use super::{Ctx, Server};
use crate::resp::Reply;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

/// The type of value a blocked client waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaits {
    List,
    ZSet,
    /// XREAD: any write to the stream (the re-run decides whether it has newer entries).
    Stream,
    /// WAIT: `numreplicas` replicas acknowledging stream offset `offset`.
    Acks {
        offset: i64,
        numreplicas: i64,
    },
}

/// What a blocked client waits for.
#[derive(Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    pub awaits: Awaits,
    /// Absolute deadline in ms, or None to wait forever.
    pub deadline: Option<i64>,
    /// The command to run again once a key is ready.
    pub args: Vec<Vec<u8>>,
    /// The reply sent when the timeout passes (or on CLIENT UNBLOCK ... TIMEOUT).
    pub timeout_reply: Reply,
    /// When the client blocked (ms), for stats.
    pub since: i64,
}

/// The server-wide registry of blocked clients.
#[derive(Default)]
pub struct Registry {
    /// (db, key) → tokens of the clients blocked on it, in blocking order.
    by_key: HashMap<(usize, Vec<u8>), VecDeque<usize>>,
    /// Keys written since the last `serve_ready`, in the order they were signalled.
    ready: Vec<(usize, Vec<u8>)>,
    ready_set: HashSet<(usize, Vec<u8>)>,
    /// (deadline ms, token) of every blocked client with a timeout.
    timeouts: BTreeSet<(i64, usize)>,
    /// Clients unblocked since the event loop last looked: their buffered input can run now.
    unblocked: Vec<usize>,
    /// Clients blocked in WAIT, in blocking order.
    acks: Vec<usize>,
    /// Set when a client started waiting: ask the replicas for an ACK before sleeping.
    pub get_ack: bool,
    /// Number of blocked clients (INFO blocked_clients).
    pub count: usize,
}

impl Registry {
    /// Number of distinct keys clients are blocked on (INFO total_blocking_keys).
    pub fn total_keys(&self) -> usize {
        self.by_key.len()
    }

    /// True when some client is blocked on `key` of `db`.
    pub fn is_watched(&self, db: usize, key: &[u8]) -> bool {
        !self.by_key.is_empty() && self.by_key.contains_key(&(db, key.to_vec()))
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Blocked clients that have a timeout (INFO clients_in_timeout_table).
    pub fn with_timeout(&self) -> usize {
        self.timeouts.len()
    }

    /// The earliest timeout, if any client waits with one.
    pub fn next_deadline(&self) -> Option<i64> {
        self.timeouts.iter().next().map(|(d, _)| *d)
    }

    /// Clients unblocked since the last call.
    pub fn take_unblocked(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.unblocked)
    }

    /// The keys signalled since the last call, in signal order (`dispatch::wake` serves them).
    pub fn take_ready(&mut self) -> Vec<(usize, Vec<u8>)> {
        self.ready_set.clear();
        std::mem::take(&mut self.ready)
    }

    /// The clients blocked on `key` of `db`, in the order they blocked.
    pub fn waiting_on(&self, db: usize, key: &[u8]) -> Vec<usize> {
        self.by_key
            .get(&(db, key.to_vec()))
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    fn register(&mut self, token: usize, b: &Blocked) {
        for k in &b.keys {
            let q = self.by_key.entry((b.db, k.clone())).or_default();
            if !q.contains(&token) {
                q.push_back(token);
            }
        }
        if let Some(d) = b.deadline {
            self.timeouts.insert((d, token));
        }
        if matches!(b.awaits, Awaits::Acks { .. }) {
            self.acks.push(token);
        }
        self.count += 1;
    }

    fn unregister(&mut self, token: usize, b: &Blocked) {
        for k in &b.keys {
            let id = (b.db, k.clone());
            if let Some(q) = self.by_key.get_mut(&id) {
                q.retain(|&t| t != token);
                if q.is_empty() {
                    self.by_key.remove(&id);
                }
            }
        }
        if let Some(d) = b.deadline {
            self.timeouts.remove(&(d, token));
        }
        if matches!(b.awaits, Awaits::Acks { .. }) {
            self.acks.retain(|&t| t != token);
        }
        self.count = self.count.saturating_sub(1);
    }
}

/// Parse a blocking timeout in seconds (fractions allowed), as Redis 7.0's
/// `getTimeoutFromObjectOrReply` with UNIT_SECONDS: the absolute deadline in ms, or None for 0.
/// Redis rounds the milliseconds up (0.0001 waits 1 ms, -0.0001 means 0: forever) and casts
/// them to an integer, so values beyond that range, infinities included, count as negative.
pub fn parse_timeout(arg: &[u8], now: i64) -> Result<Option<i64>, Reply> {
    let secs = crate::util::parse_f64(arg)
        .ok_or_else(|| Reply::err("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).ceil();
    // 2^63: the first value an i64 cannot hold.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    let in_range = (-I64_END..I64_END).contains(&ms);
    if !in_range || ms < 0.0 {
        return Err(Reply::err("ERR timeout is negative"));
    }
    let ms = ms as i64;
    if ms == 0 {
        return Ok(None);
    }
    Ok(Some(now.saturating_add(ms)))
}

/// Called by a blocking handler that found nothing to serve. Inside MULTI (or a script) the
/// command does not block: the timeout reply is returned at once. When the command is being
/// re-run for a ready key and still finds nothing, the client simply stays blocked. Otherwise
/// the client blocks and `Reply::None` (nothing written) is returned.
pub fn block(
    ctx: &mut Ctx,
    keys: Vec<Vec<u8>>,
    awaits: Awaits,
    deadline: Option<i64>,
    timeout_reply: Reply,
) -> Reply {
    if ctx.client.reexec {
        return Reply::None;
    }
    if ctx.client.no_block {
        return timeout_reply;
    }
    let b = Blocked {
        db: ctx.client.db,
        keys,
        awaits,
        deadline,
        args: Vec::new(),
        timeout_reply,
        since: ctx.now,
    };
    ctx.srv.role.blocking.register(ctx.client.token, &b);
    ctx.client.blocked = Some(Box::new(b));
    Reply::None
}

/// After a command has run: if the client just blocked, keep its arguments for the re-run.
pub fn note_args(client: &mut Client, args: &[Vec<u8>]) {
    if let Some(b) = client.blocked.as_mut() {
        if b.args.is_empty() {
            b.args = args.to_vec();
        }
    }
}

/// A write touched `key` of `db`: if clients wait on it, queue it for `serve_ready`.
pub fn signal_key(srv: &mut Server, db: usize, key: &[u8]) {
    let reg = &mut srv.role.blocking;
    if !reg.is_watched(db, key) {
        return;
    }
    let id = (db, key.to_vec());
    if reg.ready_set.insert(id.clone()) {
        reg.ready.push(id);
    }
}

/// Mark every key some client waits on as ready (after FLUSHALL, SWAPDB, MOVE, ...).
pub fn signal_all(srv: &mut Server) {
    let ids: Vec<(usize, Vec<u8>)> = srv.role.blocking.by_key.keys().cloned().collect();
    for (db, k) in ids {
        signal_key(srv, db, &k);
    }
}

/// A wait that ends without being served (timeout, CLIENT UNBLOCK) still counts as one call
/// of the blocked command in INFO commandstats, as in Redis.
fn charge(srv: &mut Server, client: &Client, failed: bool) {
    let Some(b) = client.blocked.as_ref() else {
        return;
    };
    if let Ok(r) = super::resolve_full(srv, &b.args) {
        let st = super::cmd_stats(srv, r);
        st.calls += 1;
        st.failed_calls += failed as u64;
    }
}

/// Unblock a client: drop its registration, send `reply`, and let its buffered input run.
pub fn finish(srv: &mut Server, client: &mut Client, reply: &Reply) {
    if let Some(b) = client.blocked.take() {
        srv.role.blocking.unregister(client.token, &b);
    }
    client.reply(reply);
    srv.role.blocking.unblocked.push(client.token);
    if !client.pending_write {
        client.pending_write = true;
        srv.pending_writes.push(client.token);
    }
}

/// The reply that ends a wait without serving it: WAIT answers how many replicas have
/// acknowledged by now; the others their fixed timeout reply.
fn timeout_reply(srv: &Server, b: &Blocked) -> Reply {
    match b.awaits {
        Awaits::Acks { offset, .. } => Reply::Int(srv.role.master.count_acks(offset) as i64),
        _ => b.timeout_reply.clone(),
    }
}

/// Answer the WAIT clients whose offset enough replicas have acknowledged (called before
/// the event loop sleeps, after the ACKs read in this iteration).
pub fn serve_acks(srv: &mut Server) {
    if srv.role.blocking.acks.is_empty() {
        return;
    }
    for token in srv.role.blocking.acks.clone() {
        let Some(Awaits::Acks {
            offset,
            numreplicas,
        }) = srv
            .clients
            .get(token)
            .and_then(|c| c.blocked.as_ref())
            .map(|b| b.awaits)
        else {
            continue;
        };
        let n = srv.role.master.count_acks(offset) as i64;
        if n < numreplicas {
            continue;
        }
        let mut client = srv.clients.remove(token);
        if let Some(b) = client.blocked.as_ref() {
            if let Ok(r) = super::resolve_full(srv, &b.args) {
                super::cmd_stats(srv, r).calls += 1;
            }
        }
        finish(srv, &mut client, &Reply::Int(n));
        srv.clients.insert(client);
    }
}

/// Unblock every client whose deadline is at or before `now` with its timeout reply.
pub fn expire_due(srv: &mut Server, now: i64) {
    while let Some(&(d, token)) = srv.role.blocking.timeouts.iter().next() {
        if d > now {
            break;
        }
        srv.role.blocking.timeouts.remove(&(d, token));
        let Some(mut client) = srv.clients.try_remove(token) else {
            continue;
        };
        if let Some(reply) = client.blocked.as_ref().map(|b| timeout_reply(srv, b)) {
            charge(srv, &client, false);
            finish(srv, &mut client, &reply);
        }
        srv.clients.insert(client);
    }
}

/// CLIENT UNBLOCK: end the wait of client `token` with its timeout reply, or with an
/// `UNBLOCKED` error. Returns false if that client is not blocked.
pub fn unblock(srv: &mut Server, token: usize, with_error: bool) -> bool {
    let Some(mut client) = srv.clients.try_remove(token) else {
        return false;
    };
    let reply = match client.blocked.as_ref() {
        None => None,
        Some(_) if with_error => Some(Reply::err("UNBLOCKED client unblocked via CLIENT UNBLOCK")),
        Some(b) => Some(timeout_reply(srv, b)),
    };
    if let Some(r) = &reply {
        if let Reply::Error(e) = r {
            super::count_error(srv, e);
        }
        // Redis 7.0 counts a wait ended by CLIENT UNBLOCK as a failed call, either way.
        charge(srv, &client, true);
        finish(srv, &mut client, r);
    }
    srv.clients.insert(client);
    reply.is_some()
}

/// The node turned into a replica: every blocked client gets Redis's `-UNBLOCKED` error and
/// is closed after it.
pub fn disconnect_all(srv: &mut Server) {
    let tokens: Vec<usize> = srv
        .clients
        .iter()
        .filter(|(_, c)| c.blocked.is_some())
        .map(|(t, _)| t)
        .collect();
    let err = Reply::err(
        "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
    );
    for token in tokens {
        let Some(mut client) = srv.clients.try_remove(token) else {
            continue;
        };
        if let Reply::Error(e) = &err {
            super::count_error(srv, e);
        }
        finish(srv, &mut client, &err);
        client.close_after_reply = true;
        srv.clients.insert(client);
    }
}

/// A client is going away: forget its wait.
pub fn forget(srv: &mut Server, client: &mut Client) {
    if let Some(b) = client.blocked.take() {
        srv.role.blocking.unregister(client.token, &b);
    }
}
