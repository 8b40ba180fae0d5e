//! The master's side of full resyncs, driven from the cron: one BGSAVE serves every replica
//! waiting for it, written to disk or, with diskless sync, to a pipe; `transfer` then moves the
//! payload and the stream buffered since the fork. Also pings the replicas, sends newline
//! keep-alives while they wait, drops online replicas silent for longer than `repl-timeout`,
//! and frees the backlog after `repl-backlog-ttl` seconds without replicas.
use super::{propagate, transfer};
use crate::repl::master::transfer::{Bulk, Diskless, Target};
use crate::repl::master::ReplState;
use crate::server::client::Client;
use crate::server::Server;
use log::{info, warn};

/// Whether min-replicas-to-write lets writes through (always on a replica or when unset).
pub fn enough_good_replicas(srv: &Server) -> bool {
    let cfg = &srv.config;
    srv.replica.is_some()
        || cfg.min_replicas_to_write == 0
        || cfg.min_replicas_max_lag == 0
        || srv
            .master
            .good_replicas(srv.now_ms, cfg.min_replicas_max_lag)
            >= cfg.min_replicas_to_write as usize
}

/// Fork a BGSAVE for the replicas waiting for one (to disk, or to their sockets when
/// diskless sync applies and every waiting replica takes `$EOF:` payloads, once
/// `repl-diskless-sync-delay` passed or `repl-diskless-sync-max-replicas` wait) and tell each
/// `+FULLRESYNC`. `me` is the client running the command (not in the slab while it runs).
pub fn start_bgsave(srv: &mut Server, mut me: Option<&mut Client>, now: i64) {
    let waiting = || {
        srv.master
            .replicas
            .iter()
            .filter(|r| r.state == ReplState::WaitBgsaveStart)
    };
    let count = waiting().count();
    if count == 0 {
        return;
    }
    let cfg = &srv.config;
    let diskless = cfg.repl_diskless_sync && waiting().all(|r| r.capa_eof);
    if diskless {
        let max_idle = waiting()
            .map(|r| (now - r.ack_ms) / 1000)
            .max()
            .unwrap_or(0);
        let delay = cfg.repl_diskless_sync_delay as i64;
        let max_replicas = cfg.repl_diskless_sync_max_replicas as usize;
        let enough = max_replicas > 0 && count >= max_replicas;
        if max_idle < delay && !enough {
            return;
        }
    }
    let mut bulk_mark = None;
    if diskless {
        info!("Starting BGSAVE for SYNC with target: replicas sockets");
        let Some(d) = fork_diskless(srv) else {
            warn!("BGSAVE for replication failed");
            return;
        };
        bulk_mark = Some(d.mark.clone());
        srv.master.diskless = Some(d);
        srv.master.repl_bgsave = Some(Target::Socket);
    } else {
        info!("Starting BGSAVE for SYNC with target: disk");
        if crate::node::fork::start(srv).is_err() {
            warn!("BGSAVE for replication failed");
            return;
        }
        srv.master.repl_bgsave = Some(Target::Disk);
    }
    srv.master.fork_offset = srv.master_repl_offset;
    let (replid, off) = (srv.replid.clone(), srv.master_repl_offset);
    for r in srv.master.replicas.iter_mut() {
        if r.state != ReplState::WaitBgsaveStart {
            continue;
        }
        r.state = ReplState::WaitBgsaveEnd;
        r.pending.clear();
        r.bulk = bulk_mark.as_deref().map(Bulk::for_pipe);
        let c = match me.as_deref_mut() {
            Some(c) if c.token == r.token && c.id == r.client_id => c,
            _ => match srv.clients.get_mut(r.token) {
                Some(c) => {
                    if !c.pending_write {
                        c.pending_write = true;
                        srv.pending_writes.push(r.token);
                    }
                    c
                }
                None => continue,
            },
        };
        if !r.old_sync {
            fullresync_line(&mut c.out, &replid, off);
        }
    }
}

/// The `+FULLRESYNC <replid> <offset>` line a replica is told before its payload.
pub fn fullresync_line(out: &mut Vec<u8>, replid: &str, offset: i64) {
    out.extend_from_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
}

/// Fork the diskless child writing into a pipe whose read end (non-blocking) the returned
/// transfer holds.
fn fork_diskless(srv: &mut Server) -> Option<Diskless> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).ok()?;
    fcntl(&r, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).ok()?;
    // A larger pipe means fewer wakeups per transfer (best effort).
    let _ = fcntl(&r, FcntlArg::F_SETPIPE_SZ(1 << 20));
    crate::node::fork::start_to(srv, crate::persist::fork::Dest::Pipe(w)).ok()?;
    let mark = crate::util::random_hex40();
    Some(Diskless::new(std::fs::File::from(r), mark))
}

/// The periodic step: propagate expiry DELs, finish or start replication BGSAVEs, send
/// keep-alives and pings, free an unused backlog.
pub fn cron(srv: &mut Server, now: i64) {
    if srv.master.backlog.is_none() {
        return;
    }
    if propagate::active(srv) {
        propagate::expired(srv);
    }
    match srv.master.repl_bgsave {
        Some(Target::Disk) if srv.persist.child.is_none() => {
            srv.master.repl_bgsave = None;
            transfer::disk_done(srv);
        }
        Some(Target::Socket) if transfer::diskless_finished(srv) => {
            srv.master.repl_bgsave = None;
            transfer::diskless_done(srv);
        }
        _ => {}
    }
    if srv.persist.child.is_none() && srv.master.repl_bgsave.is_none() {
        start_bgsave(srv, None, now);
    }
    let second = now / 1000 != srv.master.last_keepalive_ms / 1000;
    if second {
        srv.master.last_keepalive_ms = now;
        keepalive(srv);
        drop_timed_out(srv, now);
    }
    let period = srv.config.repl_ping_replica_period as i64 * 1000;
    if period > 0 && now - srv.master.last_ping_ms >= period {
        srv.master.last_ping_ms = now;
        if !srv.master.replicas.is_empty() {
            let mut ping = Vec::new();
            crate::resp::encode::command_into(&mut ping, &["PING"]);
            propagate::feed(srv, &ping);
        }
    }
    backlog_ttl(srv, now);
}

/// A newline every second to replicas waiting for their payload (before the `+FULLRESYNC`
/// reply or the `$` header), so their link does not time out during a long BGSAVE.
fn keepalive(srv: &mut Server) {
    let disk = srv.master.repl_bgsave != Some(Target::Socket);
    for r in srv.master.replicas.iter() {
        let waits = r.state == ReplState::WaitBgsaveStart
            || (r.state == ReplState::WaitBgsaveEnd && disk && r.bulk.is_none());
        if !waits {
            continue;
        }
        if let Some(c) = srv.clients.get_mut(r.token) {
            c.out.push(b'\n');
            if !c.pending_write {
                c.pending_write = true;
                srv.pending_writes.push(r.token);
            }
        }
    }
}

/// Mark for closing the online replicas silent for more than `repl-timeout` seconds (the
/// event loop frees them after the cron); they reconnect and continue with PSYNC.
fn drop_timed_out(srv: &mut Server, now: i64) {
    for (token, id) in srv.master.timed_out(now, srv.config.repl_timeout) {
        let Some(c) = srv.clients.get_mut(token).filter(|c| c.id == id) else {
            continue;
        };
        if c.close_asap {
            continue;
        }
        c.close_asap = true;
        if let Some(r) = srv.master.replicas.iter().find(|r| r.client_id == id) {
            warn!(
                "Disconnecting timedout replica (streaming sync): {}",
                r.name()
            );
        }
    }
}

/// Free the backlog after `repl-backlog-ttl` seconds without replicas, on a master that is
/// not itself a replica (its replicas could not continue anyway: the id changes).
fn backlog_ttl(srv: &mut Server, now: i64) {
    if !srv.master.replicas.is_empty() || srv.master.no_replicas_since == 0 {
        srv.master.no_replicas_since = now;
        return;
    }
    let ttl = srv.config.repl_backlog_ttl as i64;
    if ttl == 0 || srv.replica.is_some() || srv.master.backlog.is_none() {
        return;
    }
    let idle = (now - srv.master.no_replicas_since) / 1000;
    if idle <= ttl {
        return;
    }
    srv.replid = crate::util::random_hex40();
    srv.master.replid2 = None;
    srv.master.second_repl_offset = -1;
    srv.master.backlog = None;
    srv.master.last_db = None;
    for db in srv.keyspace.dbs.iter_mut() {
        db.expired_log = None;
    }
    info!("Replication backlog freed after {ttl} seconds without connected replicas.");
}
