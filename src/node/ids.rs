//! PSYNC2 replication ids: the id changes a node makes, as Redis 7.0 makes them, so that
//! replicas can continue partially across promotions, master switches and restarts.
//! - promoted (`REPLICAOF NO ONE`): the old id becomes `replid2`, valid up to offset + 1, and a
//!   new random id starts (`shift`);
//! - a replica told `+CONTINUE <newid>` by a master with another id: the old id becomes
//!   `replid2`, the master's id becomes ours, sub-replicas are dropped to learn it
//!   (`continued_with`);
//! - a replica that loaded a full sync: the master's id and offset, no `replid2`, a fresh
//!   backlog, sub-replicas dropped (`full_synced`);
//! - restarted from an RDB with `repl-id`/`repl-offset`: a replica offers them in PSYNC; a
//!   master keeps them as `replid2` with an empty backlog at that offset (`restore_from_rdb`).
use crate::repl::master::backlog::Backlog;
use crate::server::Server;
use log::info;

pub use crate::repl::master::core::ZERO_ID;

/// The node becomes a master: the current id stays valid as `replid2` up to offset + 1.
pub fn shift(srv: &mut Server) {
    srv.role.master.replid2 = Some(std::mem::replace(
        &mut srv.role.replid,
        crate::util::random_hex40(),
    ));
    srv.role.master.second_repl_offset = srv.role.master_repl_offset + 1;
    info!(
        "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
        srv.role.master.replid2.as_deref().unwrap_or(ZERO_ID),
        srv.role.master.second_repl_offset,
        srv.role.replid
    );
}

/// `+CONTINUE` from a master whose id differs from the one we had (`old`).
pub fn continued_with(srv: &mut Server, old: &str, new: &str) {
    srv.role.master.replid2 = Some(old.to_string());
    srv.role.master.second_repl_offset = srv.role.master_repl_offset + 1;
    srv.role.replid = new.to_string();
    disconnect_replicas(srv);
}

/// A full sync was loaded: the master's history replaces ours.
pub fn full_synced(srv: &mut Server, id: &str, offset: i64) {
    disconnect_replicas(srv);
    srv.role.replid = id.to_string();
    srv.role.master_repl_offset = offset;
    srv.role.master.replid2 = None;
    srv.role.master.second_repl_offset = -1;
    srv.role.master.backlog = Some(Backlog::new(srv.config.repl_backlog_size as usize, offset));
    srv.role.master.last_db = None;
}

/// A replica whose link came up keeps a backlog of the stream it applies (for its own
/// sub-replicas, and for the replicas that follow it once promoted).
pub fn ensure_backlog(srv: &mut Server) {
    if srv.role.master.backlog.is_none() {
        srv.role.master.backlog = Some(Backlog::new(
            srv.config.repl_backlog_size as usize,
            srv.role.master_repl_offset,
        ));
    }
}

/// Close every attached replica (they reconnect and PSYNC).
pub fn disconnect_replicas(srv: &mut Server) {
    for r in std::mem::take(&mut srv.role.master.replicas) {
        if let Some(c) = srv.clients.get_mut(r.token) {
            if c.id == r.client_id {
                c.close_asap = true;
                if !c.pending_write {
                    c.pending_write = true;
                    srv.pending_writes.push(r.token);
                }
            }
        }
    }
}

/// The `repl-stream-db` a save records (-1: none, and then no repl-id/repl-offset either), as
/// Redis 7.0: a master with a backlog its last propagated db (0 if none yet), a replica the
/// db its master's stream has selected.
pub fn stream_db(srv: &Server) -> i32 {
    match srv.role.replica.as_ref() {
        None if srv.role.master.backlog.is_some() => srv.role.master.last_db.unwrap_or(0) as i32,
        None => -1,
        Some(r) => match &r.master {
            Some(m) => m.db as i32,
            None if r.link.cached.is_some() => r.cached_db as i32,
            None => -1,
        },
    }
}

/// The `repl-id`/`repl-offset`/`repl-stream-db` AUX fields of the RDB loaded at startup.
pub fn restore_from_rdb(
    srv: &mut Server,
    id: Option<String>,
    offset: Option<i64>,
    db: Option<i32>,
) {
    let (Some(id), Some(offset)) = (id.filter(|i| i.len() == 40), offset.filter(|o| *o >= 0))
    else {
        return;
    };
    let Some(db) = db.filter(|d| *d >= 0) else {
        return;
    };
    if let Some(r) = srv.role.replica.as_mut() {
        // A replica offers the stored history to its master (PSYNC id offset+1).
        r.link.cached = Some((id.clone(), offset));
        r.cached_db = (db as usize).min(srv.config.databases.saturating_sub(1));
        srv.role.replid = id;
        srv.role.master_repl_offset = offset;
        return;
    }
    // A master keeps it as its secondary id: its replicas can continue from it.
    srv.role.master.replid2 = Some(id);
    srv.role.master.second_repl_offset = offset + 1;
    srv.role.master_repl_offset = offset;
    srv.role.master.backlog = Some(Backlog::new(srv.config.repl_backlog_size as usize, offset));
    srv.role.master.last_db = None;
    for d in srv.role.keyspace.dbs.iter_mut() {
        d.expired_log = Some(Vec::new());
    }
}
