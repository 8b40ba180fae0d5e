//! MULTI/EXEC support state: the commands a client queued, which clients WATCH which keys, and
//! invalidation of those watches when a key is written, flushed, swapped or expires.
//!
//! A watch remembers whether the key was alive, absent or already logically expired when it was
//! watched. A write to the key makes the watcher "dirty" (its EXEC fails), except that deleting a
//! key that was already expired at WATCH time is no logical change (Redis 7.0). Keys removed by
//! expiry do not go through the write path; instead EXEC checks that every key alive at WATCH
//! time is still alive (a watched key that expired, lazily, actively or just by time passing,
//! aborts the transaction as in Redis 7.0).
use super::client::Client;
use super::command::{Args, Command};
use super::Server;
use std::collections::HashMap;

/// A client's open transaction.
#[derive(Default, Debug)]
pub struct MultiState {
    /// Queued commands, each with its name at index 0.
    pub cmds: Vec<Args>,
    /// Union of the queued commands' flags (CLIENT PAUSE WRITE holds an EXEC with writes).
    pub flags: u32,
    /// A command was rejected while queueing: EXEC answers EXECABORT.
    pub dirty_exec: bool,
    /// Bytes of the queued arguments (CLIENT LIST multi-mem).
    pub mem: usize,
}

/// What a watched key looked like when WATCH ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtWatch {
    Absent,
    Alive,
    /// Still stored but its TTL had passed.
    Expired,
}

#[derive(Debug)]
struct WatchedKey {
    db: usize,
    key: Vec<u8>,
    state: AtWatch,
}

#[derive(Default, Debug)]
struct ClientWatch {
    keys: Vec<WatchedKey>,
    /// A watched key was touched: the next EXEC fails.
    dirty: bool,
}

/// (db, key) → tokens of the clients watching it, and each watching client's keys.
#[derive(Default)]
pub struct Watched {
    pub by_key: HashMap<(usize, Vec<u8>), Vec<usize>>,
    by_client: HashMap<usize, ClientWatch>,
}

impl Watched {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// CLIENT LIST flag `d`: a watched key of this client was touched.
    pub fn is_dirty(&self, token: usize) -> bool {
        self.by_client.get(&token).is_some_and(|w| w.dirty)
    }

    /// Stop watching every key of `token` (the dirty mark stays until `clear`).
    fn drop_keys(&mut self, token: usize) {
        let Some(w) = self.by_client.get_mut(&token) else {
            return;
        };
        for wk in w.keys.drain(..) {
            let id = (wk.db, wk.key);
            if let Some(v) = self.by_key.get_mut(&id) {
                v.retain(|&t| t != token);
                if v.is_empty() {
                    self.by_key.remove(&id);
                }
            }
        }
    }

    /// Mark `token` dirty; its watches no longer matter, so they are dropped.
    fn mark_dirty(&mut self, token: usize) {
        self.drop_keys(token);
        self.by_client.entry(token).or_default().dirty = true;
    }
}

/// WATCH one key for the client `token`.
pub fn watch(srv: &mut Server, token: usize, db: usize, key: &[u8]) {
    let w = srv.role.watched.by_client.entry(token).or_default();
    if w.dirty || w.keys.iter().any(|k| k.db == db && k.key == key) {
        // Once dirty the EXEC fails whatever happens: no need to track more keys.
        return;
    }
    let now = srv.now_ms;
    let state = match srv.role.keyspace.dbs[db].dict.get(key) {
        None => AtWatch::Absent,
        Some(e) if e.is_expired(now) => AtWatch::Expired,
        Some(_) => AtWatch::Alive,
    };
    w.keys.push(WatchedKey {
        db,
        key: key.to_vec(),
        state,
    });
    srv.role
        .watched
        .by_key
        .entry((db, key.to_vec()))
        .or_default()
        .push(token);
}

/// UNWATCH (and the end of a transaction): forget every watch and the dirty mark.
pub fn unwatch_all(srv: &mut Server, token: usize) {
    srv.role.watched.drop_keys(token);
    srv.role.watched.by_client.remove(&token);
}

/// Whether EXEC must fail because of WATCH: a watched key was touched, or a key alive at WATCH
/// time is now gone or logically expired.
pub fn cas_failed(srv: &Server, token: usize) -> bool {
    let Some(w) = srv.role.watched.by_client.get(&token) else {
        return false;
    };
    if w.dirty {
        return true;
    }
    let now = srv.now_ms;
    w.keys.iter().any(|k| {
        k.state == AtWatch::Alive && srv.role.keyspace.dbs[k.db].peek(&k.key, now).is_none()
    })
}

/// Apply a touch of (db, key) to each watcher: `effect` decides from the key's state at WATCH.
fn touch_with(srv: &mut Server, db: usize, key: &[u8], effect: impl Fn(AtWatch) -> Touch) {
    let Some(tokens) = srv.role.watched.by_key.get(&(db, key.to_vec())).cloned() else {
        return;
    };
    for t in tokens {
        let Some(w) = srv.role.watched.by_client.get_mut(&t) else {
            continue;
        };
        let Some(wk) = w.keys.iter_mut().find(|k| k.db == db && k.key == key) else {
            continue;
        };
        match effect(wk.state) {
            Touch::Dirty => srv.role.watched.mark_dirty(t),
            Touch::Becomes(s) => wk.state = s,
            Touch::Nothing => {}
        }
    }
}

/// The effect of a touch on one watch.
enum Touch {
    Dirty,
    Becomes(AtWatch),
    Nothing,
}

/// `key` of `db` was written: every client watching it will see its EXEC fail (unless the key
/// was already expired when watched and is simply gone now).
pub fn touch_key(srv: &mut Server, db: usize, key: &[u8]) {
    if srv.role.watched.by_key.is_empty() {
        return;
    }
    let stored = srv
        .role
        .keyspace
        .dbs
        .get(db)
        .is_some_and(|d| d.dict.contains_key(key));
    touch_with(srv, db, key, |s| match s {
        AtWatch::Expired if !stored => Touch::Becomes(AtWatch::Absent),
        _ => Touch::Dirty,
    });
}

/// `key` of `db` may just have been deleted because its TTL passed (lazy expiry): if it is gone,
/// watchers that saw it alive are dirty, and a key already expired when watched is now absent.
pub fn note_expired(srv: &mut Server, db: usize, key: &[u8]) {
    if srv.role.watched.by_key.is_empty() || srv.role.keyspace.dbs[db].dict.contains_key(key) {
        return;
    }
    touch_with(srv, db, key, |s| match s {
        AtWatch::Alive => Touch::Dirty,
        AtWatch::Expired => Touch::Becomes(AtWatch::Absent),
        AtWatch::Absent => Touch::Nothing,
    });
}

/// Watched keys of database `db`.
fn watched_in(srv: &Server, db: usize) -> Vec<Vec<u8>> {
    srv.role
        .watched
        .by_key
        .keys()
        .filter(|(d, _)| *d == db)
        .map(|(_, k)| k.clone())
        .collect()
}

/// Database `db` was emptied (FLUSHDB / FLUSHALL, already done): keys alive when watched are
/// gone, which is a change; keys that were expired when watched are simply gone.
pub fn touch_flushed(srv: &mut Server, db: usize) {
    for k in watched_in(srv, db) {
        touch_with(srv, db, &k, |s| match s {
            AtWatch::Alive => Touch::Dirty,
            AtWatch::Expired => Touch::Becomes(AtWatch::Absent),
            AtWatch::Absent => Touch::Nothing,
        });
    }
}

/// SWAPDB a b (already done): a watched key of `a` changed if it was stored in `a` before the
/// swap (now in `b`) or is stored in `a` after it, with Redis 7.0's expired-key nuances.
pub fn touch_swapped(srv: &mut Server, a: usize, b: usize) {
    let now = srv.now_ms;
    for (d, other) in [(a, b), (b, a)] {
        for k in watched_in(srv, d) {
            let before = srv.role.keyspace.dbs[other]
                .dict
                .get(&k)
                .map(|e| e.is_expired(now));
            let after = srv.role.keyspace.dbs[d]
                .dict
                .get(&k)
                .map(|e| e.is_expired(now));
            if before.is_none() && after.is_none() {
                continue;
            }
            touch_with(srv, d, &k, |s| match (s, after) {
                (AtWatch::Expired, None) => Touch::Becomes(AtWatch::Absent),
                (AtWatch::Expired, Some(true)) => Touch::Nothing,
                (_, Some(true)) if before.is_none() => Touch::Becomes(AtWatch::Expired),
                _ => Touch::Dirty,
            });
        }
    }
}

/// A database index argument naming an existing database.
pub fn db_arg(srv: &Server, arg: &[u8]) -> Option<usize> {
    let n = crate::util::parse_i64(arg)?;
    (n >= 0 && (n as usize) < srv.role.keyspace.dbs.len()).then_some(n as usize)
}

/// A command wrote: touch the watched keys it affects. Commands that write outside the
/// caller's database, or whole databases (MOVE, COPY ... DB, SWAPDB, FLUSHALL, FLUSHDB), say
/// which through their `touch` hook; the others touch their key arguments.
pub fn touch_command(srv: &mut Server, db: usize, cmd: &Command, args: &Args) {
    if srv.role.watched.by_key.is_empty() {
        return;
    }
    match cmd.touch {
        Some(touch) => touch(srv, db, args),
        None => {
            for i in super::command::key_positions(cmd, args) {
                touch_key(srv, db, &args[i]);
            }
        }
    }
}

/// End the client's transaction (EXEC, DISCARD, RESET) and drop its watches.
pub fn discard(srv: &mut Server, client: &mut Client) {
    client.multi = None;
    unwatch_all(srv, client.token);
}

/// A client is going away: drop its transaction, watches and subscriptions.
pub fn forget(srv: &mut Server, client: &mut Client) {
    discard(srv, client);
    super::pubsub::forget(srv, client);
}
