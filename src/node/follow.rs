//! Following a master or not: the config's `replicaof` at startup, REPLICAOF host port, and
//! REPLICAOF NO ONE (a new replication id, the old one kept as `replid2`).
use crate::repl::replica::Follower;
use crate::server::client::Client;
use crate::server::Server;

/// A new follower state for `host:port`; its epoch is a fresh client id.
fn new_follower(srv: &mut Server, host: &str, port: u16) -> Follower<Client> {
    let epoch = srv.new_client_id();
    Follower::new(epoch, &srv.config, host, port, srv.now_ms)
}

/// Follow `replicaof` from the configuration (at startup).
pub fn start_from_config(srv: &mut Server) {
    if let Some((host, port)) = srv.config.replicaof.clone() {
        srv.role.replica = Some(Box::new(new_follower(srv, &host, port)));
    }
}

/// Start following `host:port`. A server that was a master offers its own history for a
/// partial resync (PSYNC with its replid and offset), as Redis does.
pub fn set_master(srv: &mut Server, host: &str, port: u16) {
    let was_master = srv.role.replica.is_none();
    let mut r = new_follower(srv, host, port);
    if was_master {
        r.link.cached = Some((srv.role.replid.clone(), srv.role.master_repl_offset));
    } else if let Some(old) = srv.role.replica.as_ref() {
        r.link.cached = old.link.cached.clone().or_else(|| {
            (old.link.offset >= 0).then(|| (old.link.master_replid.clone(), old.link.offset))
        });
        // The stream goes on in the database the old master's stream had selected.
        r.cached_db = old.master.as_ref().map_or(old.cached_db, |m| m.db);
    }
    if let Some(mut old) = srv.role.replica.take() {
        super::replica_sync::drop_temp(&mut old);
    }
    crate::server::blocking::disconnect_all(srv);
    srv.config.replicaof = Some((host.to_string(), port));
    srv.role.replica = Some(Box::new(r));
}

/// Stop following the master and become a master with a new replication id; the old one
/// stays valid as `replid2` so replicas of the same master can continue with us. Our own
/// replicas are dropped to learn the new id (they continue partially).
pub fn unset_master(srv: &mut Server) {
    if let Some(mut old) = srv.role.replica.take() {
        super::replica_sync::drop_temp(&mut old);
    }
    srv.config.replicaof = None;
    super::ids::shift(srv);
    super::ids::disconnect_replicas(srv);
    srv.role.master.last_db = None;
    for db in srv.role.keyspace.dbs.iter_mut() {
        db.expired_log = Some(Vec::new());
    }
}
