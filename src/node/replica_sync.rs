//! What a replica does with what its link delivers: the payload goes to a temp file in `dir`,
//! is loaded (while the loop answers -LOADING) into a new keyspace that replaces the old one
//! only on success (and is kept as the dump file, as Redis does). The command stream that
//! follows runs through `dispatch::stream`.
use crate::config::Config;
use crate::rdb::{self, LoadOpts};
use crate::repl::replica::Follower;
use crate::server::client::{Client, ClientKind};
use crate::server::Server;
use log::{info, warn};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A fresh master client (authenticated, replies discarded by the caller).
pub fn new_master_client(id: u64, now: i64) -> Box<Client> {
    let mut c = Client::new(id, usize::MAX, None, now);
    c.kind = ClientKind::Master;
    c.authenticated = true;
    Box::new(c)
}

/// Create (truncate) the temp file for a new full resync.
pub fn start_transfer(srv: &mut Server, now: i64) {
    let name = format!("temp-{}.{}.rdb", now / 1000, std::process::id());
    let path = srv.config.dir.join(name);
    let Some(r) = srv.role.replica.as_mut() else {
        return;
    };
    drop_temp(r);
    match std::fs::File::create(&path) {
        Ok(f) => r.temp = Some((f, path)),
        Err(e) => {
            warn!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}");
            r.link.fail(now);
        }
    }
}

/// Remove a half-received payload.
pub fn drop_temp(r: &mut Follower<Client>) {
    if let Some((_, p)) = r.temp.take() {
        let _ = std::fs::remove_file(p);
    }
}

pub fn write_temp(srv: &mut Server, bytes: &[u8], now: i64) {
    let Some(r) = srv.role.replica.as_mut() else {
        return;
    };
    let ok = match r.temp.as_mut() {
        Some((f, _)) => f.write_all(bytes).is_ok(),
        None => false,
    };
    if !ok {
        warn!("Write error saving the DB, shutting down the replication link");
        drop_temp(r);
        r.link.fail(now);
    }
}

/// The payload is complete: close the temp file and return its path (None, with the link
/// failed, when there is none).
pub fn take_payload(srv: &mut Server, now: i64) -> Option<PathBuf> {
    let r = srv.role.replica.as_mut()?;
    let Some((f, path)) = r.temp.take() else {
        r.link.loaded(false, now);
        return None;
    };
    drop(f);
    Some(path)
}

/// Read the payload at `path` into a new keyspace (`progress` is called as it goes, so the
/// caller can keep serving clients). A replica keeps keys already expired: its master will
/// delete them.
pub fn load_payload(
    cfg: &Config,
    path: &Path,
    now: i64,
    progress: Option<&mut dyn FnMut(u64)>,
) -> Result<rdb::LoadInfo, rdb::RdbError> {
    let opts = LoadOpts {
        databases: cfg.databases,
        lim: cfg.enc,
        now,
        drop_expired: false,
        key_load_delay_us: cfg.key_load_delay,
        progress,
    };
    std::fs::File::open(path)
        .map_err(rdb::RdbError::Io)
        .and_then(|f| rdb::load(std::io::BufReader::with_capacity(256 * 1024, f), opts))
}

/// Act on the load: on success swap the new dataset in (the payload becomes the dump file, as
/// in Redis) and bring the link up; on failure the old dataset stays and the link retries.
pub fn install_payload(
    srv: &mut Server,
    res: Result<rdb::LoadInfo, rdb::RdbError>,
    path: &Path,
    now: i64,
) {
    let r = match res {
        Ok(li) => {
            srv.role.keyspace = li.keyspace;
            crate::node::loading::install_functions(srv, &li.functions);
            srv.role.dirty = 0;
            let dump = srv.config.dir.join(&srv.config.dbfilename);
            if let Err(e) = std::fs::rename(path, &dump) {
                warn!(
                    "Failed trying to rename the temp DB into {}: {e}",
                    srv.config.dbfilename
                );
                let _ = std::fs::remove_file(path);
            }
            info!(
                "Done loading RDB, keys loaded: {}, keys expired: 0.",
                li.keys_loaded
            );
            let Some(r) = srv.role.replica.as_mut() else {
                return;
            };
            r.link.loaded(true, now);
            r
        }
        Err(e) => {
            warn!("Error loading the RDB received from the master: {e}");
            let _ = std::fs::remove_file(path);
            let Some(r) = srv.role.replica.as_mut() else {
                return;
            };
            r.link.loaded(false, now);
            return;
        }
    };
    r.master = Some(new_master_client(r.epoch, now));
    r.partial = 0;
    r.unapplied.clear();
    r.read_offset = r.link.offset;
    let (id, off) = (r.link.master_replid.clone(), r.link.offset);
    crate::node::ids::full_synced(srv, &id, off);
}

/// The link went down: forget a half-received command or transaction (the offset counts
/// applied ones only) and any half-received payload.
pub fn link_closed(r: &mut Follower<Client>) {
    drop_temp(r);
    if let Some(m) = r.master.as_mut() {
        m.query.clear();
        m.qpos = 0;
        m.decoder = crate::resp::Decoder::new();
        m.multi = None;
    }
    r.partial = 0;
    r.unapplied.clear();
}

/// After `+CONTINUE`: keep (or create) the master client and follow the new id.
pub fn continued(srv: &mut Server, now: i64) {
    let Some(r) = srv.role.replica.as_mut() else {
        return;
    };
    if r.master.is_none() {
        let mut m = new_master_client(r.epoch, now);
        m.db = r.cached_db;
        r.master = Some(m);
    }
    r.partial = 0;
    r.unapplied.clear();
    r.read_offset = r.link.offset;
    let new = r.link.master_replid.clone();
    srv.role.master_repl_offset = r.link.offset;
    if new != srv.role.replid {
        let old = srv.role.replid.clone();
        crate::node::ids::continued_with(srv, &old, &new);
    }
    crate::node::ids::ensure_backlog(srv);
}
