//! Per-connection state: buffers, protocol version, selected db, auth, reply mode, flags.
use crate::resp::{encode::encode, Decoder, Reply};
use mio::net::TcpStream;

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Set while executing the command whose reply is skipped.
    Skip,
}

pub struct Client {
    pub id: u64,
    /// Slab key of this client, also its mio token.
    pub token: usize,
    pub conn: Option<TcpStream>,
    pub fd: i32,
    /// Peer address `ip:port`.
    pub addr: String,
    /// Local address `ip:port`.
    pub laddr: String,
    pub name: Option<Vec<u8>>,
    pub db: usize,
    /// Protocol version: 2 or 3.
    pub resp: u8,
    pub authenticated: bool,
    pub user: String,
    pub query: Vec<u8>,
    pub qpos: usize,
    pub decoder: Decoder,
    pub out: Vec<u8>,
    /// Bytes of `out` already written to the socket.
    pub opos: usize,
    /// Close once the output buffer has been flushed (QUIT, protocol error).
    pub close_after_reply: bool,
    /// Close at the next opportunity without flushing (CLIENT KILL, limits).
    pub close_asap: bool,
    pub ctime_ms: i64,
    pub last_interaction_ms: i64,
    pub last_cmd: String,
    pub reply_mode: ReplyMode,
    /// Registered for WRITABLE events (only while output remains after a write attempt).
    pub want_write: bool,
    /// Queued in the server's pending-writes list.
    pub pending_write: bool,
    /// Kind of client for CLIENT LIST/KILL TYPE: normal, master, replica, pubsub.
    pub kind: ClientKind,
    /// Total bytes read and written, for CLIENT INFO / INFO stats.
    pub net_in: u64,
    pub net_out: u64,
    /// CLIENT NO-EVICT: protected from client eviction.
    pub no_evict: bool,
    /// A parsed command held back by CLIENT PAUSE WRITE, run once the pause ends.
    pub postponed: Option<Vec<Vec<u8>>>,
    /// Set while the client waits on keys (BLPOP, ...): its input is not processed meanwhile.
    pub blocked: Option<Box<crate::server::blocking::Blocked>>,
    /// Set while a blocked command is re-run because one of its keys became ready.
    pub reexec: bool,
    /// The key whose readiness caused the re-run: the handler serves from it first.
    pub serving_key: Option<Vec<u8>>,
    /// Blocking commands return their timeout reply at once (inside MULTI/EXEC).
    pub no_block: bool,
    /// Channel / pattern / shard-channel subscriptions (None when there are none).
    pub subs: Option<Box<crate::server::pubsub::ClientSubs>>,
    /// MULTI state: the queued commands (None outside MULTI).
    pub multi: Option<Box<crate::server::multi::MultiState>>,
    /// When the output first stayed above the soft output-buffer limit (ms), 0 if it is not.
    pub obuf_soft_since: i64,
    /// Replication offset right after this client's last propagated write (WAIT waits for it).
    pub woff: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Normal,
    Replica,
    Master,
    PubSub,
}

impl Client {
    pub fn new(id: u64, token: usize, conn: Option<TcpStream>, now_ms: i64) -> Self {
        let (fd, addr, laddr) = match &conn {
            Some(s) => {
                use std::os::fd::AsRawFd;
                (
                    s.as_raw_fd(),
                    s.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
                    s.local_addr().map(|a| a.to_string()).unwrap_or_default(),
                )
            }
            None => (-1, String::new(), String::new()),
        };
        Client {
            id,
            token,
            conn,
            fd,
            addr,
            laddr,
            name: None,
            db: 0,
            resp: 2,
            authenticated: false,
            user: "default".into(),
            query: Vec::new(),
            qpos: 0,
            decoder: Decoder::new(),
            out: Vec::new(),
            opos: 0,
            close_after_reply: false,
            close_asap: false,
            ctime_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL".into(),
            reply_mode: ReplyMode::On,
            want_write: false,
            pending_write: false,
            kind: ClientKind::Normal,
            net_in: 0,
            net_out: 0,
            no_evict: false,
            postponed: None,
            blocked: None,
            reexec: false,
            serving_key: None,
            no_block: false,
            subs: None,
            multi: None,
            obuf_soft_since: 0,
            woff: 0,
        }
    }

    /// Append a reply to the output buffer unless replies are switched off.
    pub fn reply(&mut self, r: &Reply) {
        if matches!(self.reply_mode, ReplyMode::On) {
            encode(&mut self.out, r, self.resp);
        }
    }

    /// Append a reply regardless of CLIENT REPLY mode (pushes, errors before dispatch).
    pub fn reply_always(&mut self, r: &Reply) {
        encode(&mut self.out, r, self.resp);
    }

    pub fn pending_output(&self) -> usize {
        self.out.len() - self.opos
    }

    /// Bytes received but not yet parsed.
    pub fn pending_query(&self) -> usize {
        self.query.len() - self.qpos
    }
}

/// Read buffer size reported as `rbs`/`rbp`: the event loop reads in chunks of this size.
const READ_BUF: usize = 16 * 1024;

/// One CLIENT LIST / CLIENT INFO line (without the trailing newline), fields in Redis 7.0's
/// order. `argv_mem` is the size of the command being run (only non-zero for the caller);
/// `dirty_cas` is whether a key the client WATCHes was touched.
pub fn client_line(c: &Client, now_ms: i64, argv_mem: usize, dirty_cas: bool) -> String {
    let mut flags = String::new();
    match c.kind {
        ClientKind::Replica => flags.push('S'),
        ClientKind::Master => flags.push('M'),
        ClientKind::PubSub => flags.push('P'),
        ClientKind::Normal => {}
    }
    if c.multi.is_some() {
        flags.push('x');
    }
    if c.blocked.is_some() {
        flags.push('b');
    }
    if dirty_cas {
        flags.push('d');
    }
    if c.close_after_reply {
        flags.push('c');
    }
    if c.close_asap {
        flags.push('A');
    }
    if c.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let qbuf = c.pending_query();
    let qbuf_free = c.query.capacity().saturating_sub(c.query.len());
    let rbs = c.query.capacity().max(READ_BUF);
    let obl = c.pending_output();
    let tot_mem = std::mem::size_of::<Client>() + c.query.capacity() + c.out.capacity() + argv_mem;
    let events = if c.want_write { "rw" } else { "r" };
    let (sub, psub, ssub) = super::pubsub::counts(c);
    let (multi, multi_mem) = match &c.multi {
        Some(m) => (m.cmds.len() as i64, m.mem),
        None => (-1, 0),
    };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll=0 omem=0 tot-mem={} events={} cmd={} user={} redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        c.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
        (now_ms - c.ctime_ms).max(0) / 1000,
        (now_ms - c.last_interaction_ms).max(0) / 1000,
        flags,
        c.db,
        sub,
        psub,
        ssub,
        multi,
        qbuf,
        qbuf_free,
        argv_mem,
        multi_mem,
        rbs,
        rbs,
        obl,
        tot_mem,
        events,
        c.last_cmd,
        c.user,
        c.resp,
    )
}
