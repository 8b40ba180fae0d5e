//! What a replica does with what its link delivers: the payload goes to a temp file in `dir`,
//! is loaded (while the loop answers -LOADING) into a new keyspace that replaces the old one
//! only on success (and is kept as the dump file, as Redis does), and the command stream runs through the master client without
//! replies while the offset counts every complete command (a `REPLCONF GETACK` included, which
//! is answered with `REPLCONF ACK <offset>`).
use super::Replica;
use crate::config::Config;
use crate::rdb::{self, LoadOpts};
use crate::resp::encode::command;
use crate::server::{execute, Server};
use log::{info, warn};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Create (truncate) the temp file for a new full resync.
pub fn start_transfer(srv: &mut Server, now: i64) {
    let name = format!("temp-{}.{}.rdb", now / 1000, std::process::id());
    let path = srv.config.dir.join(name);
    let Some(r) = srv.replica.as_mut() else {
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
pub fn drop_temp(r: &mut Replica) {
    if let Some((_, p)) = r.temp.take() {
        let _ = std::fs::remove_file(p);
    }
}

pub fn write_temp(srv: &mut Server, bytes: &[u8], now: i64) {
    let Some(r) = srv.replica.as_mut() else {
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
    let r = srv.replica.as_mut()?;
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
            srv.keyspace = li.keyspace;
            srv.dirty = 0;
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
            let Some(r) = srv.replica.as_mut() else {
                return;
            };
            r.link.loaded(true, now);
            r
        }
        Err(e) => {
            warn!("Error loading the RDB received from the master: {e}");
            let _ = std::fs::remove_file(path);
            let Some(r) = srv.replica.as_mut() else {
                return;
            };
            r.link.loaded(false, now);
            return;
        }
    };
    r.master = Some(Replica::new_master_client(r.epoch, now));
    r.partial = 0;
    r.unapplied.clear();
    r.read_offset = r.link.offset;
    let (id, off) = (r.link.master_replid.clone(), r.link.offset);
    crate::repl::ids::full_synced(srv, &id, off);
}

/// The link went down: forget a half-received command or transaction (the offset counts
/// applied ones only) and any half-received payload.
pub fn link_closed(r: &mut Replica) {
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
    let Some(r) = srv.replica.as_mut() else {
        return;
    };
    if r.master.is_none() {
        let mut m = Replica::new_master_client(r.epoch, now);
        m.db = r.cached_db;
        r.master = Some(m);
    }
    r.partial = 0;
    r.unapplied.clear();
    r.read_offset = r.link.offset;
    let new = r.link.master_replid.clone();
    srv.master_repl_offset = r.link.offset;
    if new != srv.replid {
        let old = srv.replid.clone();
        crate::repl::ids::continued_with(srv, &old, &new);
    }
    crate::repl::ids::ensure_backlog(srv);
}

/// Run the stream bytes as the master client. Each command (a whole transaction, for MULTI)
/// counts in the offset once applied, and its exact bytes go on to the backlog and the
/// sub-replicas: a chain passes the stream on unchanged. Returns bytes to send back (ACKs).
pub fn apply_stream(srv: &mut Server, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(r) = srv.replica.as_mut() else {
        return out;
    };
    r.read_offset += bytes.len() as i64;
    r.unapplied.extend_from_slice(bytes);
    let Some(mut m) = r.master.take() else {
        return out;
    };
    m.query.extend_from_slice(bytes);
    let max_bulk = srv.config.proto_max_bulk_len;
    loop {
        let start = m.qpos;
        let mut pos = m.qpos;
        let res = m.decoder.next(&m.query, &mut pos, max_bulk, false);
        m.qpos = pos;
        let Some(r) = srv.replica.as_mut() else {
            break;
        };
        r.partial += pos - start;
        let mut args = match res {
            Ok(Some(a)) => a,
            Ok(None) => break,
            Err(e) => {
                warn!("Protocol error from MASTER: {}", e.0);
                break;
            }
        };
        let getack = is_getack(&args);
        let replconf = args
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(b"replconf"));
        if !args.is_empty() && !replconf {
            let _ = execute(srv, &mut m, &mut args);
            m.out.clear();
            m.opos = 0;
        }
        if m.multi.is_none() {
            applied(srv);
        }
        if let (true, Some(r)) = (getack, srv.replica.as_ref()) {
            out.extend(ack_bytes(r.link.offset));
        }
    }
    if m.qpos == m.query.len() {
        m.query.clear();
        m.qpos = 0;
    }
    if let Some(r) = srv.replica.as_mut() {
        r.master = Some(m);
    }
    out
}

/// The consumed bytes are applied: count them and pass them on.
fn applied(srv: &mut Server) {
    let Some(r) = srv.replica.as_mut() else {
        return;
    };
    let n = std::mem::take(&mut r.partial).min(r.unapplied.len());
    let done: Vec<u8> = r.unapplied.drain(..n).collect();
    r.link.applied(n);
    let offset = r.link.offset;
    crate::repl::master::propagate::feed_stream(srv, &done);
    srv.master_repl_offset = offset;
}

fn is_getack(args: &[Vec<u8>]) -> bool {
    args.len() >= 2
        && args[0].eq_ignore_ascii_case(b"replconf")
        && args[1].eq_ignore_ascii_case(b"getack")
}

pub fn ack_bytes(offset: i64) -> Vec<u8> {
    command(&["REPLCONF", "ACK", &offset.to_string()])
}
