//! The master side of replication as a sans-IO state machine, the counterpart of
//! `replica/link.rs`: it decides, for every attached replica, when its snapshot starts, when
//! it is kept alive, timed out or dropped, and what it is sent, but forks nothing, reads no
//! file, pipe or clock and touches no client. The driver (`node::master_sync`) feeds it
//! events with `now` and the facts it does not own (the replication id and offset, whether a
//! fork child runs, the `repl-*` settings) and executes the `MasterAction`s it queues:
//! writing to a replica's output buffer, forking the snapshot, closing a replica, feeding a
//! PING to the stream, taking a new replication id. It exists so that these decisions can be
//! tested on simulated time (`core_tests.rs`) without a server, a socket or a child process.
//! See `../LIFECYCLE.md` for the states and transitions.
use super::transfer::{Bulk, Target};
use super::{Master, ReplState};
use log::{info, warn};

/// One attached replica as the core names it: its client's slab token and client id (a
/// token is reused once a connection closes, the id never is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplicaId {
    pub token: usize,
    pub client_id: u64,
}

/// The settings the core decides with, copied from the configuration at each call (so that
/// CONFIG SET applies at once). Durations in seconds, as in redis.conf.
#[derive(Debug, Clone, Copy, Default)]
pub struct Knobs {
    /// repl-diskless-sync
    pub diskless_sync: bool,
    /// repl-diskless-sync-delay
    pub diskless_sync_delay: i64,
    /// repl-diskless-sync-max-replicas (0: no limit)
    pub diskless_sync_max_replicas: usize,
    /// repl-timeout
    pub timeout: u64,
    /// repl-ping-replica-period (0: no PING)
    pub ping_period: i64,
    /// repl-backlog-ttl (0: never freed)
    pub backlog_ttl: i64,
}

impl Knobs {
    pub fn from_config(c: &crate::config::Config) -> Self {
        Knobs {
            diskless_sync: c.repl_diskless_sync,
            diskless_sync_delay: i64::try_from(c.repl_diskless_sync_delay).unwrap_or(i64::MAX),
            diskless_sync_max_replicas: c.repl_diskless_sync_max_replicas as usize,
            timeout: c.repl_timeout,
            ping_period: i64::try_from(c.repl_ping_replica_period).unwrap_or(i64::MAX),
            backlog_ttl: i64::try_from(c.repl_backlog_ttl).unwrap_or(i64::MAX),
        }
    }
}

/// Why the core closes a replica; the driver logs the line (only when the connection was
/// not already being closed for another reason, as Redis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// Online and silent for more than repl-timeout seconds ("Disconnecting timedout
    /// replica (streaming sync): <name>").
    Timeout { name: String },
}

/// What the driver must do, in the order queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterAction {
    /// Append `bytes` to the replica's output buffer (and have it written).
    Send { replica: ReplicaId, bytes: Vec<u8> },
    /// Fork a snapshot for the replicas waiting for one, to disk or into a pipe
    /// (`Target::Socket`); answer with `snapshot_started` or `snapshot_failed`.
    StartSnapshot(Target),
    /// Close the replica's connection (it reconnects and retries).
    Close {
        replica: ReplicaId,
        reason: CloseReason,
    },
    /// Feed a `PING` to the replication stream (backlog and replicas).
    Ping,
    /// The backlog was freed (repl-backlog-ttl): take a new replication id and stop
    /// recording expired keys for propagation.
    BacklogFreed,
}

/// `+FULLRESYNC <replid> <offset>\r\n`, the line a replica is told before its payload.
pub fn fullresync_line(replid: &str, offset: i64) -> Vec<u8> {
    format!("+FULLRESYNC {replid} {offset}\r\n").into_bytes()
}

impl Master {
    /// The next action for the driver, oldest first.
    pub fn poll_action(&mut self) -> Option<MasterAction> {
        self.actions.pop_front()
    }

    fn queue(&mut self, a: MasterAction) {
        self.actions.push_back(a);
    }

    /// Queue `StartSnapshot` when replicas wait for a snapshot and one is due now: to disk,
    /// or to their sockets when diskless sync is on and every waiting replica takes `$EOF:`
    /// payloads, once the one waiting longest waited `repl-diskless-sync-delay` seconds or
    /// `repl-diskless-sync-max-replicas` wait. The caller knows no fork child runs.
    pub fn start_snapshot_if_due(&mut self, now: i64, knobs: &Knobs) {
        let waiting = || {
            self.replicas
                .iter()
                .filter(|r| r.state == ReplState::WaitBgsaveStart)
        };
        let count = waiting().count();
        if count == 0 {
            return;
        }
        let diskless = knobs.diskless_sync && waiting().all(|r| r.capa_eof);
        if diskless {
            let max_idle = waiting()
                .map(|r| (now - r.ack_ms) / 1000)
                .max()
                .unwrap_or(0);
            let max = knobs.diskless_sync_max_replicas;
            let enough = max > 0 && count >= max;
            if max_idle < knobs.diskless_sync_delay && !enough {
                return;
            }
        }
        let target = if diskless {
            info!("Starting BGSAVE for SYNC with target: replicas sockets");
            Target::Socket
        } else {
            info!("Starting BGSAVE for SYNC with target: disk");
            Target::Disk
        };
        self.queue(MasterAction::StartSnapshot(target));
    }

    /// The snapshot asked for by `StartSnapshot(target)` was forked when the stream was at
    /// `offset` (`mark`: the end mark of a diskless payload): every replica waiting for it
    /// is told `+FULLRESYNC <replid> <offset>` (unless attached by SYNC) and waits for its end,
    /// the stream from now on buffered for it.
    pub fn snapshot_started(&mut self, target: Target, replid: &str, offset: i64, mark: &str) {
        self.repl_bgsave = Some(target);
        self.fork_offset = offset;
        let mut sends = Vec::new();
        for r in self.replicas.iter_mut() {
            if r.state != ReplState::WaitBgsaveStart {
                continue;
            }
            r.state = ReplState::WaitBgsaveEnd;
            r.pending.clear();
            r.bulk = (target == Target::Socket).then(|| Bulk::for_pipe(mark));
            if !r.old_sync {
                sends.push((r.id(), fullresync_line(replid, offset)));
            }
        }
        for (replica, bytes) in sends {
            self.queue(MasterAction::Send { replica, bytes });
        }
    }

    /// The fork for `StartSnapshot` failed: the replicas keep waiting (the next tick retries).
    pub fn snapshot_failed(&mut self) {
        warn!("BGSAVE for replication failed");
    }

    /// The periodic duties after `start_snapshot_if_due` (the driver runs that one first and
    /// executes its `StartSnapshot`, so that replicas it started are counted as started
    /// here): once a second a newline keep-alive to the replicas waiting for their payload
    /// and the repl-timeout drop of silent online replicas; a PING into the stream every
    /// repl-ping-replica-period; freeing the backlog after repl-backlog-ttl seconds without
    /// replicas (`is_replica`: this node follows a master, and keeps its backlog).
    pub fn tick(&mut self, now: i64, knobs: &Knobs, is_replica: bool) {
        if now / 1000 != self.last_keepalive_ms / 1000 {
            self.last_keepalive_ms = now;
            self.keepalive();
            for (token, client_id) in self.timed_out(now, knobs.timeout) {
                let Some(r) = self.replicas.iter().find(|r| r.client_id == client_id) else {
                    continue;
                };
                let reason = CloseReason::Timeout { name: r.name() };
                let replica = ReplicaId { token, client_id };
                self.queue(MasterAction::Close { replica, reason });
            }
        }
        let period = knobs.ping_period.saturating_mul(1000);
        if period > 0 && now - self.last_ping_ms >= period {
            self.last_ping_ms = now;
            if !self.replicas.is_empty() {
                self.queue(MasterAction::Ping);
            }
        }
        self.backlog_ttl(now, knobs.backlog_ttl, is_replica);
    }

    /// A newline to each replica waiting for its payload (before the `+FULLRESYNC` reply or
    /// the `$` header), so that its link does not time out during a long BGSAVE.
    fn keepalive(&mut self) {
        let disk = self.repl_bgsave != Some(Target::Socket);
        let waiting: Vec<ReplicaId> = self
            .replicas
            .iter()
            .filter(|r| {
                r.state == ReplState::WaitBgsaveStart
                    || (r.state == ReplState::WaitBgsaveEnd && disk && r.bulk.is_none())
            })
            .map(|r| r.id())
            .collect();
        for replica in waiting {
            let bytes = b"\n".to_vec();
            self.queue(MasterAction::Send { replica, bytes });
        }
    }

    /// Free the backlog after `ttl` seconds without replicas, on a master that is not itself
    /// a replica (its replicas could not continue anyway: the id changes).
    fn backlog_ttl(&mut self, now: i64, ttl: i64, is_replica: bool) {
        if !self.replicas.is_empty() || self.no_replicas_since == 0 {
            self.no_replicas_since = now;
            return;
        }
        if ttl == 0 || is_replica || self.backlog.is_none() {
            return;
        }
        let idle = (now - self.no_replicas_since) / 1000;
        if idle <= ttl {
            return;
        }
        self.replid2 = None;
        self.second_repl_offset = -1;
        self.backlog = None;
        self.last_db = None;
        self.queue(MasterAction::BacklogFreed);
        info!("Replication backlog freed after {ttl} seconds without connected replicas.");
    }
}
