//! The driver of the master core (`repl::master::core`): it feeds the core from the cron and
//! the handlers and executes its actions (forking the BGSAVE that serves every replica
//! waiting for one, to disk or, with diskless sync, to a pipe; writing to replicas' output
//! buffers; closing them; feeding PINGs; taking a new id when the backlog is freed).
//! `transfer` then moves the payload and the stream buffered since the fork.
use super::{propagate, transfer};
use crate::repl::master::core::{CloseReason, Knobs, MasterAction};
use crate::repl::master::transfer::{Diskless, Target};
use crate::server::client::Client;
use crate::server::Server;
use log::warn;

/// Whether min-replicas-to-write lets writes through (always on a replica or when unset).
pub fn enough_good_replicas(srv: &Server) -> bool {
    let cfg = &srv.config;
    srv.role.replica.is_some()
        || cfg.min_replicas_to_write == 0
        || cfg.min_replicas_max_lag == 0
        || srv
            .role
            .master
            .good_replicas(srv.now_ms, cfg.min_replicas_max_lag)
            >= cfg.min_replicas_to_write as usize
}

/// Execute what the master core queued. `me`: the client running the command, if any (not
/// in the slab while it runs).
pub fn run_actions(srv: &mut Server, mut me: Option<&mut Client>) {
    while let Some(action) = srv.role.master.poll_action() {
        match action {
            MasterAction::Send { replica, bytes } => {
                let c = match me.as_deref_mut() {
                    Some(c) if c.token == replica.token && c.id == replica.client_id => c,
                    _ => match srv.clients.get_mut(replica.token) {
                        Some(c) if c.id == replica.client_id => {
                            if !c.pending_write {
                                c.pending_write = true;
                                srv.pending_writes.push(replica.token);
                            }
                            c
                        }
                        _ => continue,
                    },
                };
                c.out.extend_from_slice(&bytes);
            }
            MasterAction::StartSnapshot(target) => fork_snapshot(srv, target),
            MasterAction::Close { replica, reason } => {
                let Some(c) = srv
                    .clients
                    .get_mut(replica.token)
                    .filter(|c| c.id == replica.client_id)
                else {
                    continue;
                };
                match reason {
                    CloseReason::Timeout { name } => {
                        if c.close_asap {
                            continue;
                        }
                        // Closed by the loop after the cron.
                        c.close_asap = true;
                        warn!("Disconnecting timedout replica (streaming sync): {name}")
                    }
                    CloseReason::SyncFailed => {
                        c.close_asap = true;
                        wake(srv, replica.token);
                    }
                }
            }
            MasterAction::Wake { replica } => wake(srv, replica.token),
            MasterAction::OpenPayload {
                replica,
                snapshot_ok,
            } => {
                let payload = transfer::open_payload(srv);
                srv.role
                    .master
                    .payload_opened(replica, snapshot_ok, payload);
            }
            MasterAction::KillPipeChild => transfer::kill_pipe_child(srv),
            MasterAction::Ping => {
                let mut ping = Vec::new();
                crate::resp::encode::command_into(&mut ping, &["PING"]);
                propagate::feed(srv, &ping);
            }
            MasterAction::BacklogFreed => {
                srv.role.replid = crate::util::random_hex40();
                for db in srv.role.keyspace.dbs.iter_mut() {
                    db.expired_log = None;
                }
            }
        }
    }
}

/// Have the client's output (and payload) written.
fn wake(srv: &mut Server, token: usize) {
    if let Some(c) = srv.clients.get_mut(token) {
        if !c.pending_write {
            c.pending_write = true;
            srv.pending_writes.push(token);
        }
    }
}

/// Fork the snapshot `StartSnapshot` asked for and report the outcome to the core.
fn fork_snapshot(srv: &mut Server, target: Target) {
    let mut mark = String::new();
    let forked = match target {
        Target::Socket => fork_diskless(srv).map(|d| {
            mark = d.mark.clone();
            srv.role.master.diskless = Some(d);
        }),
        Target::Disk => crate::node::fork::start(srv).ok(),
    };
    if forked.is_none() {
        srv.role.master.snapshot_failed();
        return;
    }
    let (replid, off) = (srv.role.replid.clone(), srv.role.master_repl_offset);
    srv.role
        .master
        .snapshot_started(target, &replid, off, &mark);
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
    if srv.role.master.backlog.is_none() {
        return;
    }
    if propagate::active(srv) {
        propagate::expired(srv);
    }
    match srv.role.master.repl_bgsave {
        Some(Target::Disk) if srv.role.persist.child.is_none() => transfer::disk_done(srv),
        Some(Target::Socket) if transfer::diskless_finished(srv) => transfer::diskless_done(srv),
        _ => {}
    }
    let knobs = Knobs::from_config(&srv.config);
    if srv.role.persist.child.is_none() && srv.role.master.repl_bgsave.is_none() {
        srv.role.master.start_snapshot_if_due(now, &knobs);
        run_actions(srv, None);
    }
    let is_replica = srv.role.replica.is_some();
    srv.role.master.tick(now, &knobs, is_replica);
    run_actions(srv, None);
}
