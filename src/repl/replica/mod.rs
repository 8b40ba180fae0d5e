//! Replica side of replication: the link to a master as a state machine (connect, handshake,
//! PSYNC, transfer, load, stream), REPLICAOF/SLAVEOF, and the replica's view for INFO and ROLE.
//! `link` is the pure state machine; `sync` loads a received payload and applies the command
//! stream as the master client; the socket lives in `event_loop::replica_conn`.
pub mod cmd;
pub mod info;
pub mod link;
pub mod sync;

use crate::server::client::{Client, ClientKind};
use crate::server::Server;
use link::{Auth, Link};

/// Everything a server that follows a master keeps about it.
pub struct Replica {
    /// Identifies this link (a client id): a socket opened for an older link is dropped.
    pub epoch: u64,
    pub link: Link,
    /// The master as a client without a socket: the stream runs through it (its db, MULTI).
    pub master: Option<Box<Client>>,
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

impl Replica {
    pub fn new(srv: &mut Server, host: &str, port: u16, now: i64) -> Self {
        let epoch = srv.next_client_id;
        srv.next_client_id += 1;
        let cfg = &srv.config;
        let announce = match cfg.replica_announce_port {
            0 => cfg.port,
            p => p,
        };
        let mut link = Link::new(host, port, announce, now);
        link.timeout_ms = (cfg.repl_timeout as i64).max(1) * 1000;
        link.announce_ip = cfg.replica_announce_ip.clone().filter(|ip| !ip.is_empty());
        link.auth = cfg.masterauth.as_ref().map(|p| Auth {
            user: cfg.masteruser.clone(),
            pass: p.clone(),
        });
        Replica {
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

    /// A fresh master client (authenticated, replies discarded by the caller).
    pub fn new_master_client(id: u64, now: i64) -> Box<Client> {
        let mut c = Client::new(id, usize::MAX, None, now);
        c.kind = ClientKind::Master;
        c.authenticated = true;
        Box::new(c)
    }
}

/// Follow `replicaof` from the configuration (at startup).
pub fn start_from_config(srv: &mut Server) {
    if let Some((host, port)) = srv.config.replicaof.clone() {
        let now = srv.now_ms;
        let r = Replica::new(srv, &host, port, now);
        srv.replica = Some(Box::new(r));
    }
}
