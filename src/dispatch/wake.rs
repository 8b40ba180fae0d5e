//! Serving clients blocked on keys once a write made them ready: each blocked command is run
//! again through `execute` for the key that became ready, in the order its clients blocked
//! (FIFO), as long as the key still holds data of the awaited type (see `server::blocking`
//! for the registry).
use crate::db::Value;
use crate::resp::Reply;
use crate::server::blocking::{finish, Awaits};
use crate::server::Server;

/// Whether `key` of `db` holds data of the awaited type.
fn servable(srv: &mut Server, db: usize, key: &[u8], awaits: Awaits, now: i64) -> bool {
    match srv.role.keyspace.dbs[db].peek(key, now).map(|e| &e.value) {
        Some(Value::List(l)) => awaits == Awaits::List && !l.is_empty(),
        Some(Value::ZSet(z)) => awaits == Awaits::ZSet && !z.is_empty(),
        // Any write may serve a stream reader (XGROUP DESTROY answers its readers NOGROUP):
        // the re-run decides, and leaves the client blocked when nothing is new.
        Some(Value::Stream(_)) => awaits == Awaits::Stream,
        _ => false,
    }
}

/// Serve the clients blocked on every ready key, in blocking order, re-running each one's
/// command. Serving may write other keys (BLMOVE's destination), which are served in turn.
pub fn serve_ready(srv: &mut Server) {
    // Bounded by the writes the served commands make; each round consumes data.
    while srv.role.blocking.has_ready() {
        for (db, key) in srv.role.blocking.take_ready() {
            serve_key(srv, db, &key);
        }
    }
}

fn serve_key(srv: &mut Server, db: usize, key: &[u8]) {
    for token in srv.role.blocking.waiting_on(db, key) {
        let now = srv.now_ms;
        let Some(c) = srv.clients.get(token) else {
            continue;
        };
        let Some(b) = c.blocked.as_ref() else {
            continue;
        };
        if !servable(srv, db, key, b.awaits, now) {
            break;
        }
        let mut client = srv.clients.remove(token);
        let Some(mut args) = client.blocked.as_ref().map(|b| b.args.clone()) else {
            srv.clients.insert(client);
            continue;
        };
        // Serve the key that became ready first: BLPOP k1 k2 with k2 ready pops from k2 even
        // when k1 also has data by now, as Redis does.
        client.reexec = true;
        client.serving_key = Some(key.to_vec());
        let reply = super::execute(srv, &mut client, &mut args);
        client.reexec = false;
        client.serving_key = None;
        if !matches!(reply, Reply::None) {
            finish(srv, &mut client, &reply);
        }
        let t = srv.clients.insert(client);
        debug_assert_eq!(t, token);
    }
}
