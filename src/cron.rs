//! The periodic tick (`hz` times a second). Every role's (`clients_tick`): the instantaneous
//! metrics, the memory peak, client idle timeouts. A data node's (`tick`) adds active expiry,
//! hash table shrinking, the persistence step (reaping the BGSAVE child, save points), and the
//! master side of replication (expiry DELs, replication BGSAVEs, pings).
use crate::server::Server;

/// A data node's tick.
pub fn tick(srv: &mut Server, now: i64) {
    clients_tick(srv, now);
    crate::node::savepoints::cron(srv, now);
    crate::node::expire::active_expire_cycle(srv, now);
    crate::node::master_sync::cron(srv, now);
    for db in srv.role.keyspace.dbs.iter_mut() {
        db.dict.shrink_if_needed();
        db.expires.shrink_if_needed();
        db.dict.rehash(100);
        db.expires.rehash(100);
    }
}

/// What every role does at each tick (all a sentinel does).
pub fn clients_tick<R>(srv: &mut Server<R>, now: i64) {
    srv.ops_samples
        .track(srv.stats.total_commands_processed, now);
    crate::alloc::update_peak();
    close_idle_clients(srv, now);
}

fn close_idle_clients<R>(srv: &mut Server<R>, now: i64) {
    let timeout = srv.config.timeout as i64 * 1000;
    if timeout == 0 {
        return;
    }
    for (_, c) in srv.clients.iter_mut() {
        use crate::server::client::ClientKind;
        if matches!(c.kind, ClientKind::Normal) && now - c.last_interaction_ms > timeout {
            log::debug!("Closing idle client");
            c.close_asap = true;
        }
    }
}
