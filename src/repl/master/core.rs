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
use super::backlog::Backlog;
use super::transfer::{Bulk, Target};
use super::{Master, ReplState, ReplicaRecord};
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
    /// Its full sync failed (the core logged why); closed even if already closing.
    SyncFailed,
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
    /// Have the replica's socket written (payload bytes are ready).
    Wake { replica: ReplicaId },
    /// The disk snapshot ended (`snapshot_ok`: it succeeded): open the dump file for the
    /// replica and answer with `payload_opened`.
    OpenPayload {
        replica: ReplicaId,
        snapshot_ok: bool,
    },
    /// No replica is left to receive the diskless snapshot: kill its child.
    KillPipeChild,
    /// Feed a `PING` to the replication stream (backlog and replicas).
    Ping,
    /// The backlog was freed (repl-backlog-ttl): take a new replication id and stop
    /// recording expired keys for propagation.
    BacklogFreed,
}

/// What one replica needs from the driver after `Master::feed`, in replica order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedTarget {
    /// Online: append the bytes to its output buffer (output-buffer limit applies).
    Send(ReplicaId),
    /// Waiting for or receiving its snapshot: the bytes were buffered in the core; the
    /// `held` bytes now held for it count against its output-buffer limit, as in Redis.
    Held { replica: ReplicaId, held: u64 },
}

/// The replicas the bytes given to `Master::feed` concern (`FeedTarget`s) and the stream
/// offset after them. Borrows the replica records: no allocation per write.
pub struct Fed<'a> {
    /// `master_repl_offset` after the bytes.
    pub offset: i64,
    replicas: std::slice::Iter<'a, ReplicaRecord>,
}

impl Iterator for Fed<'_> {
    type Item = FeedTarget;

    #[inline]
    fn next(&mut self) -> Option<FeedTarget> {
        for r in self.replicas.by_ref() {
            match r.state {
                ReplState::Online if !r.stream_on_ack => return Some(FeedTarget::Send(r.id())),
                ReplState::WaitBgsaveEnd | ReplState::SendBulk => {
                    let held = r.pending.len() as u64;
                    let replica = r.id();
                    return Some(FeedTarget::Held { replica, held });
                }
                ReplState::Online | ReplState::WaitBgsaveStart => {}
            }
        }
        None
    }
}

/// The replication id of a stream with no history (Redis's unset `replid2`).
pub const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// A SYNC or PSYNC from a client.
#[derive(Debug, Clone, Copy)]
pub struct SyncRequest<'a> {
    pub replica: ReplicaId,
    /// The client's address without its port (its ip unless it announced another).
    pub peer_ip: Option<&'a str>,
    /// PSYNC's replication id and offset; None for SYNC.
    pub psync: Option<(&'a str, i64)>,
}

/// The stream facts the server owns: its replication id and `master_repl_offset`.
#[derive(Debug, Clone, Copy)]
pub struct Stream<'a> {
    pub replid: &'a str,
    pub offset: i64,
}

/// What a SYNC or PSYNC gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsyncOutcome {
    /// `+CONTINUE <replid>` and the backlog from the asked offset were queued; the replica
    /// is online.
    Continue,
    /// A full resync: the driver makes sure a backlog exists (`create_backlog`), then calls
    /// `attach_full`.
    FullResync,
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

    /// `ip:port` of a replica as Redis names it in the log (its listening port once
    /// announced).
    pub fn sync_name(&self, client_id: u64, peer_ip: Option<&str>) -> String {
        let peer_ip = peer_ip.unwrap_or("?");
        match self.announced.get(&client_id) {
            Some((port, Some(aip))) => format!("{aip}:{port}"),
            Some((port, None)) => format!("{peer_ip}:{port}"),
            None => format!("{peer_ip}:<unknown-replica-port>"),
        }
    }

    /// SYNC or PSYNC: continue from the backlog when the asked id is ours (or our previous
    /// one up to where it was valid) and the asked offset is still in the backlog, queueing
    /// `+CONTINUE` and exactly the bytes the replica lacks; otherwise a full resync (the
    /// reason logged in Redis's words).
    pub fn psync(&mut self, req: &SyncRequest, stream: Stream, now: i64) -> PsyncOutcome {
        let name = self.sync_name(req.replica.client_id, req.peer_ip);
        info!("Replica {name} asks for synchronization");
        if let Some((replid, offset)) = req.psync {
            match self.can_continue(replid, offset, stream) {
                Ok(()) => {
                    self.continue_partial(req, &name, offset, stream.replid, now);
                    return PsyncOutcome::Continue;
                }
                Err(why) if why.is_empty() => info!("Full resync requested by replica {name}"),
                Err(why) => {
                    self.sync_partial_err += 1;
                    for line in why.lines() {
                        info!("{}", line.replace("{}", &name));
                    }
                }
            }
        }
        self.sync_full += 1;
        PsyncOutcome::FullResync
    }

    /// Whether a partial resync for `(replid, offset)` is possible; the reason (with `{}`
    /// for the replica's name) otherwise, empty for `PSYNC ? -1`.
    fn can_continue(&self, replid: &str, offset: i64, stream: Stream) -> Result<(), String> {
        let same = replid.eq_ignore_ascii_case(stream.replid);
        let old_id = self
            .replid2
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(replid));
        let continues = same || (old_id && offset <= self.second_repl_offset);
        if !continues {
            if replid == "?" {
                return Err(String::new());
            }
            if !old_id {
                return Err(format!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my replication IDs are '{}' and '{}')",
                    stream.replid,
                    self.replid2.as_deref().unwrap_or(ZERO_ID)
                ));
            }
            return Err(format!(
                "Partial resynchronization not accepted: Requested offset for second ID was {offset}, but I can reply up to {}",
                self.second_repl_offset
            ));
        }
        if self
            .backlog
            .as_ref()
            .and_then(|b| b.copy_from(offset))
            .is_none()
        {
            let mut why = format!(
                "Unable to partial resync with replica {{}} for lack of backlog (Replica request was: {offset})."
            );
            if offset > stream.offset {
                why.push_str("\nWarning: replica {} tried to PSYNC with an offset that is greater than the master replication offset.");
            }
            return Err(why);
        }
        Ok(())
    }

    /// The listening port and address a new replica announced (its peer address by default).
    fn take_announced(&mut self, client_id: u64, peer_ip: Option<&str>) -> (u16, String) {
        let (port, ip) = self.announced.remove(&client_id).unwrap_or((0, None));
        (
            port,
            ip.unwrap_or_else(|| peer_ip.unwrap_or("").to_string()),
        )
    }

    fn continue_partial(
        &mut self,
        req: &SyncRequest,
        name: &str,
        offset: i64,
        replid: &str,
        now: i64,
    ) {
        let data = self
            .backlog
            .as_ref()
            .and_then(|b| b.copy_from(offset))
            .unwrap_or_default();
        let id = req.replica;
        let (port, ip) = self.take_announced(id.client_id, req.peer_ip);
        let mut bytes = format!("+CONTINUE {replid}\r\n").into_bytes();
        bytes.extend_from_slice(&data);
        self.queue(MasterAction::Send { replica: id, bytes });
        self.capa_eof.remove(&id.client_id);
        self.replicas.push(ReplicaRecord {
            token: id.token,
            client_id: id.client_id,
            state: ReplState::Online,
            pending: Vec::new(),
            bulk: None,
            capa_eof: false,
            stream_on_ack: false,
            ip,
            listening_port: port,
            // It holds everything before the offset it asked for.
            ack_offset: offset - 1,
            ack_ms: now,
            old_sync: false,
        });
        self.sync_partial_ok += 1;
        info!(
            "Partial resynchronization request from {name} accepted. Sending {} bytes of backlog starting from offset {offset}.",
            data.len()
        );
    }

    /// The first replica of a master: a backlog of `size` bytes at stream `offset`, under the
    /// new replication id `replid` the driver took (no previous id: nobody can continue).
    pub fn create_backlog(&mut self, size: usize, offset: i64, replid: &str) {
        self.replid2 = None;
        self.second_repl_offset = -1;
        self.backlog = Some(Backlog::new(size, offset));
        self.last_db = None;
        info!("Replication backlog created, my new replication IDs are '{replid}' and '{ZERO_ID}'");
    }

    /// A full resync after `psync`: the replica waits for a snapshot. It joins a running
    /// disk snapshot (same `+FULLRESYNC` offset, a copy of the stream buffered since the
    /// fork); a running diskless one cannot take it, it waits for the next. A snapshot
    /// starts now if due and no fork child runs (`child_running`).
    pub fn attach_full(
        &mut self,
        req: &SyncRequest,
        stream: Stream,
        knobs: &Knobs,
        child_running: bool,
        now: i64,
    ) {
        let id = req.replica;
        let (port, ip) = self.take_announced(id.client_id, req.peer_ip);
        let mut r = ReplicaRecord {
            token: id.token,
            client_id: id.client_id,
            state: ReplState::WaitBgsaveStart,
            pending: Vec::new(),
            bulk: None,
            capa_eof: self.capa_eof.remove(&id.client_id) && req.psync.is_some(),
            stream_on_ack: false,
            ip,
            listening_port: port,
            ack_offset: 0,
            ack_ms: now,
            old_sync: req.psync.is_none(),
        };
        match self.repl_bgsave {
            Some(Target::Disk) => {
                // Same snapshot, same buffered stream as the replica it joins.
                if let Some(other) = self
                    .replicas
                    .iter()
                    .find(|o| o.state == ReplState::WaitBgsaveEnd)
                {
                    r.pending = other.pending.clone();
                    r.state = ReplState::WaitBgsaveEnd;
                    info!("Waiting for end of BGSAVE for SYNC");
                    if !r.old_sync {
                        let bytes = fullresync_line(stream.replid, self.fork_offset);
                        self.queue(MasterAction::Send { replica: id, bytes });
                    }
                }
            }
            Some(Target::Socket) => {
                info!("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
            }
            None if knobs.diskless_sync && r.capa_eof && knobs.diskless_sync_delay > 0 => {
                info!("Delay next BGSAVE for diskless SYNC");
            }
            None => {}
        }
        self.replicas.push(r);
        if !child_running {
            self.start_snapshot_if_due(now, knobs);
        } else if self.repl_bgsave.is_none() {
            info!("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed");
        }
    }

    /// The disk snapshot for replication ended (`ok`: it succeeded): each replica waiting
    /// for it gets its payload opened (`OpenPayload`).
    pub fn disk_snapshot_done(&mut self, ok: bool) {
        self.repl_bgsave = None;
        let waiting: Vec<ReplicaId> = self
            .replicas
            .iter()
            .filter(|r| r.state == ReplState::WaitBgsaveEnd && r.bulk.is_none())
            .map(|r| r.id())
            .collect();
        for replica in waiting {
            let snapshot_ok = ok;
            self.queue(MasterAction::OpenPayload {
                replica,
                snapshot_ok,
            });
        }
    }

    /// The driver opened the dump file for `OpenPayload`: the replica starts receiving it
    /// (`SendBulk`), or is closed when the snapshot failed or the file cannot be read.
    pub fn payload_opened(
        &mut self,
        replica: ReplicaId,
        snapshot_ok: bool,
        payload: Result<Bulk, String>,
    ) {
        let Some(r) = self.replica_mut(replica.token) else {
            return;
        };
        match payload {
            Ok(b) if snapshot_ok => {
                r.bulk = Some(b);
                r.state = ReplState::SendBulk;
                self.queue(MasterAction::Wake { replica });
            }
            Ok(_) => {
                warn!("SYNC failed. BGSAVE child returned an error");
                self.close_failed(replica);
            }
            Err(e) => {
                warn!("SYNC failed. Can't open/stat DB after BGSAVE: {e}");
                self.close_failed(replica);
            }
        }
    }

    fn close_failed(&mut self, replica: ReplicaId) {
        let reason = CloseReason::SyncFailed;
        self.queue(MasterAction::Close { replica, reason });
    }

    fn in_pipe_transfer(r: &ReplicaRecord) -> bool {
        r.bulk.as_ref().is_some_and(Bulk::is_pipe)
    }

    /// Whether no replica is left to receive the diskless snapshot; `KillPipeChild` is
    /// queued then.
    pub fn pipe_abandoned(&mut self) -> bool {
        if self.replicas.iter().any(Self::in_pipe_transfer) {
            return false;
        }
        self.queue(MasterAction::KillPipeChild);
        true
    }

    /// Whether the pipe must not be read now: a receiver has `PIPE_HIGH_WATER` bytes or more
    /// not yet written (the slowest sets the pace, nothing piles up).
    pub fn pipe_paused(&self) -> bool {
        self.replicas
            .iter()
            .filter_map(|r| r.bulk.as_ref())
            .any(|b| b.is_pipe() && b.unsent() >= super::transfer::PIPE_HIGH_WATER)
    }

    /// Bytes the diskless child wrote: appended to every replica's payload.
    pub fn pipe_chunk(&mut self, bytes: &[u8]) {
        for r in self.replicas.iter_mut() {
            if let Some(b) = r.bulk.as_mut().filter(|b| b.is_pipe()) {
                b.push(bytes);
            }
        }
    }

    /// After `pipe_chunk`s: have the receivers' sockets written.
    pub fn pipe_fed(&mut self) {
        let ids: Vec<ReplicaId> = self
            .replicas
            .iter()
            .filter(|r| Self::in_pipe_transfer(r))
            .map(|r| r.id())
            .collect();
        for replica in ids {
            self.queue(MasterAction::Wake { replica });
        }
    }

    /// The diskless snapshot ended (`ok`: the child succeeded and its pipe was read to the
    /// end): each receiver gets the end `mark` and finishes its payload (`SendBulk`), or is
    /// closed on failure (and retries).
    pub fn diskless_snapshot_done(&mut self, ok: bool, mark: &str) {
        self.repl_bgsave = None;
        let mut failed = Vec::new();
        let mut woken = Vec::new();
        for r in self.replicas.iter_mut() {
            if !Self::in_pipe_transfer(r) {
                continue;
            }
            if ok {
                if let Some(b) = r.bulk.as_mut() {
                    b.push(mark.as_bytes());
                    b.complete = true;
                }
                r.state = ReplState::SendBulk;
                woken.push(r.id());
            } else {
                warn!(
                    "Diskless rdb transfer to replica {}:{} failed",
                    r.ip, r.listening_port
                );
                failed.push(r.id());
            }
        }
        for replica in failed {
            self.close_failed(replica);
        }
        for replica in woken {
            self.queue(MasterAction::Wake { replica });
        }
    }

    /// The whole payload was written to the replica: it is online. After a disk payload
    /// the stream buffered meanwhile follows at once; after a diskless one it is held until
    /// the replica's first ACK (bytes after the mark would hide it).
    pub fn payload_sent(&mut self, replica: ReplicaId, now: i64) {
        let Some(r) = self.replica_mut(replica.token) else {
            return;
        };
        let diskless = r.bulk.as_ref().is_some_and(|b| b.file.is_none());
        r.bulk = None;
        r.state = ReplState::Online;
        r.ack_ms = now;
        if diskless {
            info!(
                "Streamed RDB transfer with replica {}:{} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming",
                r.ip, r.listening_port
            );
            r.stream_on_ack = true;
            return;
        }
        self.stream_pending(replica);
    }

    /// `REPLCONF ACK <offset>` (None: not a number): the replica's offset and ACK time; the
    /// first one after a diskless payload starts its stream.
    pub fn ack(&mut self, replica: ReplicaId, offset: Option<i64>, now: i64) {
        let (Some(off), Some(r)) = (offset, self.replica_mut(replica.token)) else {
            return;
        };
        if off > r.ack_offset {
            r.ack_offset = off;
        }
        r.ack_ms = now;
        if r.stream_on_ack {
            r.stream_on_ack = false;
            self.stream_pending(replica);
        }
    }

    /// Stream bytes (a propagated write, a PING, or a master's stream passed on): appended
    /// to the backlog and buffered for the replicas still syncing (waiting for the end of
    /// their snapshot, receiving it, or online after a diskless payload until their first
    /// ACK); a replica waiting for its snapshot to start gets nothing (its payload will hold
    /// them). None without a backlog (nothing to feed); otherwise the new offset and the
    /// replicas the driver must serve (`Fed`): the per-write path, it allocates nothing.
    #[inline]
    pub fn feed(&mut self, bytes: &[u8]) -> Option<Fed<'_>> {
        let b = self.backlog.as_mut()?;
        b.feed(bytes);
        let offset = b.master_repl_offset();
        for r in self.replicas.iter_mut() {
            let holds = match r.state {
                ReplState::WaitBgsaveEnd | ReplState::SendBulk => true,
                ReplState::Online => r.stream_on_ack,
                ReplState::WaitBgsaveStart => false,
            };
            if holds {
                r.pending.extend_from_slice(bytes);
            }
        }
        Some(Fed {
            offset,
            replicas: self.replicas.iter(),
        })
    }

    /// An empty line from a replica: it refreshes the replica's last ACK time (a replica
    /// sends one every second while it loads its payload, as Redis's processInlineBuffer),
    /// so repl-timeout spares it.
    pub fn newline(&mut self, replica: ReplicaId, now: i64) {
        if let Some(r) = self.replica_mut(replica.token) {
            r.ack_ms = now;
        }
    }

    /// The stream held during the sync goes out: the replica is in sync.
    fn stream_pending(&mut self, replica: ReplicaId) {
        let Some(r) = self.replica_mut(replica.token) else {
            return;
        };
        let bytes = std::mem::take(&mut r.pending);
        info!(
            "Synchronization with replica {}:{} succeeded",
            r.ip, r.listening_port
        );
        self.queue(MasterAction::Send { replica, bytes });
    }
}
