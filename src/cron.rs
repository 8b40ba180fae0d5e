//! The periodic tick (`hz` times a second): client idle timeouts, active expiry, hash table
//! shrinking, the instantaneous metrics, and the persistence step (reaping the BGSAVE child, save
//! points), and the master side of replication (expiry DELs, replication BGSAVEs, pings).
use crate::server::Server;

pub fn tick(srv: &mut Server, now: i64) {
    srv.ops_samples
        .track(srv.stats.total_commands_processed, now);
    crate::alloc::update_peak();
    close_idle_clients(srv, now);
    crate::node::savepoints::cron(srv, now);
    crate::node::expire::active_expire_cycle(srv, now);
    crate::node::master_sync::cron(srv, now);
    for db in srv.keyspace.dbs.iter_mut() {
        db.dict.shrink_if_needed();
        db.expires.shrink_if_needed();
        db.dict.rehash(100);
        db.expires.rehash(100);
    }
}

fn close_idle_clients(srv: &mut Server, now: i64) {
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
