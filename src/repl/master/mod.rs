//! Master side of replication, as state: the backlog, the record of each attached replica and
//! where it is in its sync, and the payload in flight (`transfer`). `core` holds the decisions
//! on this state (a sans-IO state machine queueing `MasterAction`s); `node` drives it
//! (`propagate` feeds the stream, `master_sync` executes the actions and forks, `transfer`
//! moves payloads); SYNC/PSYNC/REPLCONF/WAIT/ROLE are handlers in `cmd`.
pub mod backlog;
pub mod core;
#[cfg(test)]
mod core_tests;
pub mod transfer;

use backlog::Backlog;

/// Where one attached replica is in its sync (Redis's `replstate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplState {
    /// Needs a BGSAVE that has not started yet.
    WaitBgsaveStart,
    /// Waits for the running replication BGSAVE; the stream since its fork is buffered.
    WaitBgsaveEnd,
    /// The RDB payload is being written (`ReplicaRecord::bulk`); the stream is still buffered.
    SendBulk,
    /// Receives the stream.
    Online,
}

/// The master's record of one replica client.
#[derive(Debug)]
pub struct ReplicaRecord {
    pub token: usize,
    pub client_id: u64,
    pub state: ReplState,
    /// Stream buffered while the RDB is produced and sent, written after it.
    pub pending: Vec<u8>,
    /// The payload in flight while `SendBulk`.
    pub bulk: Option<transfer::Bulk>,
    /// Announced `REPLCONF capa eof` (can take a diskless `$EOF:` payload).
    pub capa_eof: bool,
    /// Online after a diskless payload: the stream is held in `pending` until its first
    /// `REPLCONF ACK` (bytes after the EOF mark would hide the mark from the replica).
    pub stream_on_ack: bool,
    pub ip: String,
    pub listening_port: u16,
    pub ack_offset: i64,
    /// Unix ms of the last REPLCONF ACK (or of going online).
    pub ack_ms: i64,
    /// Attached by SYNC (no `+FULLRESYNC` line, no partial resync).
    pub old_sync: bool,
}

impl ReplicaRecord {
    pub fn id(&self) -> core::ReplicaId {
        core::ReplicaId {
            token: self.token,
            client_id: self.client_id,
        }
    }

    /// `ip:port` as Redis names a replica in the log (`replicationGetSlaveName`).
    pub fn name(&self) -> String {
        format!("{}:{}", self.ip, self.listening_port)
    }
}

#[derive(Debug, Default)]
pub struct Master {
    /// Created when the first replica attaches.
    pub backlog: Option<Backlog>,
    /// Database of the last command propagated (None: the next one is preceded by SELECT).
    pub last_db: Option<usize>,
    pub replicas: Vec<ReplicaRecord>,
    /// A BGSAVE started for replication runs (and where it writes); `fork_offset` is the
    /// offset at its fork.
    pub repl_bgsave: Option<transfer::Target>,
    /// The diskless transfer in progress (pipe from the child), if any.
    pub diskless: Option<transfer::Diskless>,
    /// Unix ms since when no replica is attached (for repl-backlog-ttl); 0 = unknown yet.
    pub no_replicas_since: i64,
    pub fork_offset: i64,
    pub replid2: Option<String>,
    pub second_repl_offset: i64,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// REPLCONF listening-port / ip-address announced by clients not yet replicas, by id.
    pub announced: std::collections::HashMap<u64, (u16, Option<String>)>,
    /// Clients (by id) that announced `REPLCONF capa eof`.
    pub capa_eof: std::collections::HashSet<u64>,
    pub last_ping_ms: i64,
    /// Last newline keep-alive round (ms).
    pub last_keepalive_ms: i64,
    /// Reused buffer for encoding the command being propagated.
    pub scratch: Vec<u8>,
    /// Inside EXEC: whether the MULTI that wraps the transaction in the stream is still due
    /// (`Some(false)`) or was sent (`Some(true)`); None outside EXEC.
    pub exec_wrap: Option<bool>,
    /// What the driver must do next (`core`), oldest first.
    actions: std::collections::VecDeque<core::MasterAction>,
}

/// `-NOREPLICAS`: a write refused by min-replicas-to-write.
pub const NOREPLICAS_ERR: &str = "NOREPLICAS Not enough good replicas to write.";

impl Master {
    pub fn new() -> Self {
        Master {
            second_repl_offset: -1,
            ..Default::default()
        }
    }

    /// Online replicas whose acknowledged offset reached `offset` (WAIT).
    pub fn count_acks(&self, offset: i64) -> usize {
        self.replicas
            .iter()
            .filter(|r| r.state == ReplState::Online && r.ack_offset >= offset)
            .count()
    }

    pub fn replica_mut(&mut self, token: usize) -> Option<&mut ReplicaRecord> {
        self.replicas.iter_mut().find(|r| r.token == token)
    }

    /// Online replicas whose last ACK is at most `max_lag` seconds old (Redis's "good"
    /// replicas for min-replicas-to-write).
    pub fn good_replicas(&self, now_ms: i64, max_lag: u64) -> usize {
        self.replicas
            .iter()
            .filter(|r| {
                r.state == ReplState::Online && (now_ms - r.ack_ms) / 1000 <= max_lag as i64
            })
            .count()
    }

    /// The replicas `repl-timeout` drops now (Redis's replication cron: "Disconnecting
    /// timedout replica (streaming sync)"), as `(token, client_id)`: online replicas whose
    /// last `REPLCONF ACK` (or newline, or going online) is more than `timeout_s` seconds old,
    /// counted in whole Unix seconds as Redis's `server.unixtime - repl_ack_time`. A replica
    /// still in its full sync (waiting for the BGSAVE or receiving the payload) is not
    /// concerned: it acknowledges nothing before it is online. Neither is one attached by
    /// SYNC (`redis-cli --replica`, Redis's CLIENT_PRE_PSYNC): it never sends ACKs.
    pub fn timed_out(&self, now_ms: i64, timeout_s: u64) -> Vec<(usize, u64)> {
        let timeout = i64::try_from(timeout_s).unwrap_or(i64::MAX);
        self.replicas
            .iter()
            .filter(|r| {
                r.state == ReplState::Online
                    && !r.old_sync
                    && now_ms.div_euclid(1000) - r.ack_ms.div_euclid(1000) > timeout
            })
            .map(|r| (r.token, r.client_id))
            .collect()
    }

    /// Forget a replica whose connection closed.
    pub fn remove(&mut self, token: usize, client_id: u64) {
        self.announced.remove(&client_id);
        self.capa_eof.remove(&client_id);
        self.replicas
            .retain(|r| !(r.token == token && r.client_id == client_id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(token: usize, state: ReplState, ack_ms: i64) -> ReplicaRecord {
        ReplicaRecord {
            token,
            client_id: token as u64 + 100,
            state,
            pending: Vec::new(),
            bulk: None,
            capa_eof: false,
            stream_on_ack: false,
            ip: "127.0.0.1".into(),
            listening_port: 6380,
            ack_offset: 0,
            ack_ms,
            old_sync: false,
        }
    }

    #[test]
    fn repl_timeout_drops_only_silent_online_replicas() {
        let mut m = Master::new();
        // Last ACK at second 10.
        m.replicas.push(replica(1, ReplState::Online, 10_500));
        // Timeout 60: seconds 70 (and the end of it) keep it, second 71 drops it.
        assert!(m.timed_out(70_000, 60).is_empty());
        assert!(m.timed_out(70_999, 60).is_empty());
        assert_eq!(m.timed_out(71_000, 60), vec![(1, 101)]);
        // A fresh ACK keeps it.
        if let Some(r) = m.replica_mut(1) {
            r.ack_ms = 70_900;
        }
        assert!(m.timed_out(71_000, 60).is_empty());
        assert_eq!(m.timed_out(131_000, 60), vec![(1, 101)]);
    }

    #[test]
    fn repl_timeout_spares_replicas_in_full_sync_or_attached_by_sync() {
        let mut m = Master::new();
        for (t, st) in [
            (1, ReplState::WaitBgsaveStart),
            (2, ReplState::WaitBgsaveEnd),
            (3, ReplState::SendBulk),
        ] {
            m.replicas.push(replica(t, st, 0));
        }
        // Attached by SYNC: no ACKs expected.
        let mut r = replica(6, ReplState::Online, 0);
        r.old_sync = true;
        m.replicas.push(r);
        assert!(m.timed_out(1_000_000, 2).is_empty());
        // Online (here waiting for the first ACK after a diskless payload): the rule applies,
        // as in Redis.
        let mut r = replica(4, ReplState::Online, 0);
        r.stream_on_ack = true;
        m.replicas.push(r);
        m.replicas.push(replica(5, ReplState::Online, 999_500));
        assert_eq!(m.timed_out(1_000_000, 2), vec![(4, 104)]);
        assert_eq!(m.timed_out(1_001_999, 2), vec![(4, 104)]);
        assert_eq!(m.timed_out(1_002_000, 2), vec![(4, 104), (5, 105)]);
    }
}
