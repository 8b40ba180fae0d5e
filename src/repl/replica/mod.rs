//! Replica side of replication: the link to a master as a state machine (connect, handshake,
//! PSYNC, transfer, load, stream) and what a follower keeps about its master. `link` is the
//! pure state machine; `node::replica_sync` loads a received payload, `dispatch::stream`
//! applies the command stream as the master client; the socket lives in
//! `event_loop::replica_conn`.
pub mod link;

use crate::config::Config;
use link::{Auth, MasterLink};

/// Everything a server that follows a master keeps about it. `C` is the server's client type:
/// the master runs its stream as a client, which this layer does not know.
pub struct Follower<C> {
    /// Identifies this link (a client id): a socket opened for an older link is dropped.
    pub epoch: u64,
    pub link: MasterLink,
    /// The master as a client without a socket: the stream runs through it (its db, MULTI).
    pub master: Option<Box<C>>,
    /// Stream bytes received and not yet applied: the first `partial` were consumed by the
    /// decoder (a command being decoded, or a transaction not yet executed); the offset
    /// advances, and sub-replicas get them, only once they are applied.
    pub unapplied: Vec<u8>,
    pub partial: usize,
    /// Database the master client starts in when it is created by `+CONTINUE` (the
    /// `repl-stream-db` of the RDB a restarted replica loaded).
    pub cached_db: usize,
    /// Temp file receiving the payload and its path.
    pub temp: Option<(std::fs::File, std::path::PathBuf)>,
    /// Last `REPLCONF ACK` sent (ms).
    pub last_ack: i64,
    /// Bytes read from the master since the link came up (INFO slave_read_repl_offset).
    pub read_offset: i64,
}

impl<C> Follower<C> {
    /// A new follower of `host:port`; `epoch` is a fresh client id.
    pub fn new(epoch: u64, cfg: &Config, host: &str, port: u16, now: i64) -> Self {
        let announce = match cfg.replica_announce_port {
            0 => cfg.port,
            p => p,
        };
        let mut link = MasterLink::new(host, port, announce, now);
        link.timeout_ms = (cfg.repl_timeout as i64).max(1) * 1000;
        link.announce_ip = cfg.replica_announce_ip.clone().filter(|ip| !ip.is_empty());
        link.auth = cfg.masterauth.as_ref().map(|p| Auth {
            user: cfg.masteruser.clone(),
            pass: p.clone(),
        });
        Follower {
            epoch,
            link,
            master: None,
            unapplied: Vec::new(),
            partial: 0,
            cached_db: 0,
            temp: None,
            last_ack: 0,
            read_offset: 0,
        }
    }
}

/// The `REPLCONF ACK <offset>` a replica sends.
pub fn ack_bytes(offset: i64) -> Vec<u8> {
    crate::resp::encode::command(&["REPLCONF", "ACK", &offset.to_string()])
}

/// A message of the replication link itself in the master's stream, as opposed to a command
/// to apply to the data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMessage {
    /// `REPLCONF GETACK *`: answer with `ack_bytes` once the bytes before it are applied.
    GetAck,
    /// Any other `REPLCONF`: nothing to do.
    Other,
}

/// Whether `args` (one command of the master's stream) is a link message. These are part of
/// the replication protocol, recognised by their wire name whatever the replica's own command
/// table says (a `rename-command` on the replica does not break its link); they are never run
/// as commands.
pub fn link_message(args: &[Vec<u8>]) -> Option<LinkMessage> {
    if !args.first()?.eq_ignore_ascii_case(b"replconf") {
        return None;
    }
    Some(match args.get(1) {
        Some(sub) if sub.eq_ignore_ascii_case(b"getack") => LinkMessage::GetAck,
        _ => LinkMessage::Other,
    })
}
