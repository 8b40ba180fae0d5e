//! The replica's link to its master as a plain state machine: it owns no socket and reads no
//! clock. The driver feeds it events (`Connected`, `Data`, `Closed`, `Tick`) with `now` and
//! executes the actions it queues (`Connect`, `Send`, `WriteToTemp`, `LoadTemp`, `Stream`,
//! `Close`). Handshake and transfer follow Redis 7.0: PING, pipelined AUTH / REPLCONF
//! listening-port / REPLCONF capa, PSYNC, then a `$len` or `$EOF:<mark>` payload, then the
//! command stream. See `../LIFECYCLE.md` for the drawing.
use crate::resp::encode::command;
use log::{info, warn};
use std::collections::VecDeque;

/// Wait between a failure and the next connection attempt (Redis retries from its 1 s cron).
pub const RETRY_MS: i64 = 1000;
/// Length of the diskless end-of-payload mark.
pub const EOF_MARK_LEN: usize = 40;

/// Where the link is; names follow Redis's `repl_state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Waiting for `retry_at` before the next connection attempt.
    Connect,
    /// Non-blocking connect in progress.
    Connecting,
    /// PING sent, waiting for its reply.
    ReceivePong,
    /// AUTH sent (pipelined with the REPLCONFs), waiting for its reply.
    ReceiveAuth,
    ReceivePort,
    /// `REPLCONF ip-address` sent (only with replica-announce-ip).
    ReceiveIp,
    ReceiveCapa,
    /// PSYNC sent, waiting for `+FULLRESYNC` / `+CONTINUE`.
    ReceivePsync,
    /// After `+FULLRESYNC`: waiting for the `$` header, then receiving the payload.
    Transfer(Payload),
    /// Payload complete, `LoadTemp` queued; waiting for `loaded()`.
    Loading,
    /// Streaming commands from the master.
    Connected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Newline keep-alives may come before the `$` line.
    Header,
    /// Disk transfer: this many bytes are still to come.
    Sized { left: u64 },
    /// Diskless transfer: ends with this 40-byte mark.
    Eof { mark: Vec<u8> },
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Connect {
        host: String,
        port: u16,
    },
    Send(Vec<u8>),
    /// A full resync starts: truncate/create the temp file.
    StartTransfer,
    WriteToTemp(Vec<u8>),
    /// The payload is complete: load the temp file and call `loaded(ok)`.
    LoadTemp,
    /// `+CONTINUE`: the cached master resumes at `offset`.
    Continued,
    /// Replication stream bytes for the master client.
    Stream(Vec<u8>),
    /// Drop the connection (and the temp file, if any).
    Close,
}

#[derive(Debug)]
pub enum Event<'a> {
    Connected,
    Data(&'a [u8]),
    Closed,
    Tick,
}

/// Credentials sent with AUTH (`masteruser` / `masterauth`).
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub user: Option<String>,
    pub pass: String,
}

#[derive(Debug)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    pub state: State,
    pub auth: Option<Auth>,
    pub listening_port: u16,
    /// replica-announce-ip, sent as `REPLCONF ip-address`.
    pub announce_ip: Option<String>,
    pub timeout_ms: i64,
    /// Master replid and offset to ask for with PSYNC (the cached master), if any.
    pub cached: Option<(String, i64)>,
    /// The master's replid and the offset processed so far, once synced.
    pub master_replid: String,
    pub offset: i64,
    /// Set by `+FULLRESYNC`, becomes `master_replid`/`offset` when the load succeeds.
    pending: Option<(String, i64)>,
    retry_at: i64,
    pub last_io: i64,
    /// When the link to a master it had synced with went down (master_link_down_since_seconds);
    /// 0 while up or before the first sync.
    pub down_since: i64,
    /// Transfer progress for INFO: total size (-1 diskless), bytes read, start time.
    pub transfer_size: i64,
    pub transfer_read: u64,
    pub transfer_start: i64,
    buf: Vec<u8>,
    actions: VecDeque<Action>,
}

impl MasterLink {
    /// A new link; the first `Tick` starts connecting.
    pub fn new(host: &str, port: u16, listening_port: u16, now: i64) -> Self {
        MasterLink {
            host: host.to_string(),
            port,
            state: State::Connect,
            auth: None,
            listening_port,
            announce_ip: None,
            timeout_ms: 60_000,
            cached: None,
            master_replid: String::new(),
            offset: -1,
            pending: None,
            retry_at: now,
            last_io: now,
            down_since: 0,
            transfer_size: -1,
            transfer_read: 0,
            transfer_start: 0,
            buf: Vec::new(),
            actions: VecDeque::new(),
        }
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Next time the link needs a `Tick` (ms).
    pub fn poll_timeout(&self) -> i64 {
        match self.state {
            State::Connect => self.retry_at,
            _ => self.last_io + self.timeout_ms,
        }
    }

    pub fn is_up(&self) -> bool {
        self.state == State::Connected
    }

    /// Redis's state name for ROLE.
    pub fn role_state(&self) -> &'static str {
        match self.state {
            State::Connect => "connect",
            State::Connecting => "connecting",
            State::Transfer(_) | State::Loading => "sync",
            State::Connected => "connected",
            _ => "handshake",
        }
    }

    pub fn in_transfer(&self) -> bool {
        matches!(self.state, State::Transfer(_) | State::Loading)
    }

    pub fn handle(&mut self, ev: Event, now: i64) {
        match ev {
            Event::Tick => self.tick(now),
            Event::Connected => {
                if self.state == State::Connecting {
                    info!("Non blocking connect for SYNC fired the event.");
                    self.last_io = now;
                    self.state = State::ReceivePong;
                    self.actions.push_back(Action::Send(command(&["PING"])));
                }
            }
            Event::Closed => {
                if self.state == State::Connected {
                    info!("Connection with master lost.");
                    info!("Caching the disconnected master state.");
                    self.cache_master();
                } else {
                    warn!(
                        "Master closed the connection during the replication handshake or transfer"
                    );
                }
                self.fail(now);
            }
            Event::Data(bytes) => {
                self.last_io = now;
                self.buf.extend_from_slice(bytes);
                self.consume(now);
            }
        }
    }

    /// The driver finished loading the payload.
    pub fn loaded(&mut self, ok: bool, now: i64) {
        if self.state != State::Loading {
            return;
        }
        if !ok {
            warn!(
                "Failed trying to load the MASTER synchronization DB from disk, check server logs."
            );
            self.fail(now);
            return;
        }
        if let Some((id, off)) = self.pending.take() {
            self.master_replid = id;
            self.offset = off;
        }
        info!("MASTER <-> REPLICA sync: Finished with success");
        self.up(now);
    }

    /// Count stream bytes the driver has applied.
    pub fn applied(&mut self, n: usize) {
        self.offset += n as i64;
    }

    fn up(&mut self, now: i64) {
        self.state = State::Connected;
        self.down_since = 0;
        self.last_io = now;
        let rest = std::mem::take(&mut self.buf);
        if !rest.is_empty() {
            self.actions.push_back(Action::Stream(rest));
        }
    }

    /// Keep the current master's id and offset for a PSYNC after reconnecting.
    fn cache_master(&mut self) {
        if !self.master_replid.is_empty() && self.offset >= 0 {
            self.cached = Some((self.master_replid.clone(), self.offset));
        }
    }

    fn tick(&mut self, now: i64) {
        match self.state {
            State::Connect if now >= self.retry_at => {
                info!("Connecting to MASTER {}:{}", self.host, self.port);
                self.state = State::Connecting;
                self.last_io = now;
                self.actions.push_back(Action::Connect {
                    host: self.host.clone(),
                    port: self.port,
                });
            }
            State::Connect => {}
            State::Connected if now - self.last_io > self.timeout_ms => {
                warn!("MASTER timeout: no data nor PING received...");
                self.cache_master();
                self.fail(now);
            }
            State::Connected => {}
            State::Transfer(_) if now - self.last_io > self.timeout_ms => {
                warn!("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
                self.fail(now);
            }
            State::Connecting
            | State::ReceivePong
            | State::ReceiveAuth
            | State::ReceivePort
            | State::ReceiveIp
            | State::ReceiveCapa
            | State::ReceivePsync
                if now - self.last_io > self.timeout_ms =>
            {
                warn!("Timeout connecting to the MASTER...");
                self.fail(now);
            }
            _ => {}
        }
    }

    /// Drop the connection and retry later.
    pub fn fail(&mut self, now: i64) {
        if self.state == State::Connected {
            self.down_since = now;
        }
        if self.state != State::Connect {
            self.actions.push_back(Action::Close);
        }
        self.state = State::Connect;
        self.retry_at = now + RETRY_MS;
        self.buf.clear();
        self.pending = None;
    }

    /// Take one `\r\n`- or `\n`-terminated line from the buffer.
    fn line(&mut self) -> Option<String> {
        let nl = self.buf.iter().position(|&b| b == b'\n')?;
        let mut line: Vec<u8> = self.buf.drain(..=nl).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(String::from_utf8_lossy(&line).into_owned())
    }

    fn consume(&mut self, now: i64) {
        loop {
            let progressed = match self.state.clone() {
                State::Transfer(p) => self.payload(p, now),
                State::Connected => {
                    if !self.buf.is_empty() {
                        let b = std::mem::take(&mut self.buf);
                        self.actions.push_back(Action::Stream(b));
                    }
                    false
                }
                State::ReceivePong
                | State::ReceiveAuth
                | State::ReceivePort
                | State::ReceiveIp
                | State::ReceiveCapa
                | State::ReceivePsync => match self.line() {
                    Some(l) => {
                        self.reply(&l, now);
                        true
                    }
                    None => false,
                },
                _ => {
                    self.buf.clear();
                    false
                }
            };
            if !progressed {
                return;
            }
        }
    }

    fn reply(&mut self, l: &str, now: i64) {
        match self.state {
            State::ReceivePong => {
                if l.is_empty() {
                    return;
                }
                if l.starts_with('-')
                    && !l.starts_with("-NOAUTH")
                    && !l.starts_with("-NOPERM")
                    && !l.starts_with("-ERR operation not permitted")
                {
                    warn!("Error reply to PING from master: '{l}'");
                    return self.fail(now);
                }
                info!("Master replied to PING, replication can continue...");
                let mut out = Vec::new();
                if let Some(a) = &self.auth {
                    match &a.user {
                        Some(u) => out.extend(command(&["AUTH", u, &a.pass])),
                        None => out.extend(command(&["AUTH", &a.pass])),
                    }
                    self.state = State::ReceiveAuth;
                } else {
                    self.state = State::ReceivePort;
                }
                let port = self.listening_port.to_string();
                out.extend(command(&["REPLCONF", "listening-port", &port]));
                if let Some(ip) = &self.announce_ip {
                    out.extend(command(&["REPLCONF", "ip-address", ip]));
                }
                out.extend(command(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
                self.actions.push_back(Action::Send(out));
            }
            State::ReceiveAuth => {
                if l.starts_with('-') {
                    warn!("Unable to AUTH to MASTER: {l}");
                    return self.fail(now);
                }
                self.state = State::ReceivePort;
            }
            State::ReceivePort => {
                if l.starts_with('-') {
                    info!("(Non critical) Master does not understand REPLCONF listening-port: {l}");
                }
                self.state = if self.announce_ip.is_some() {
                    State::ReceiveIp
                } else {
                    State::ReceiveCapa
                };
            }
            State::ReceiveIp => {
                if l.starts_with('-') {
                    info!("(Non critical) Master does not understand REPLCONF ip-address: {l}");
                }
                self.state = State::ReceiveCapa;
            }
            State::ReceiveCapa => {
                if l.starts_with('-') {
                    info!("(Non critical) Master does not understand REPLCONF capa: {l}");
                }
                let msg = match &self.cached {
                    Some((id, off)) => {
                        info!(
                            "Trying a partial resynchronization (request {id}:{}).",
                            off + 1
                        );
                        command(&["PSYNC", id, &(off + 1).to_string()])
                    }
                    None => {
                        info!("Partial resynchronization not possible (no cached master)");
                        command(&["PSYNC", "?", "-1"])
                    }
                };
                self.state = State::ReceivePsync;
                self.actions.push_back(Action::Send(msg));
            }
            State::ReceivePsync => self.psync_reply(l, now),
            _ => {}
        }
    }

    fn psync_reply(&mut self, l: &str, now: i64) {
        if l.is_empty() {
            return; // keep-alive newline while the master prepares
        }
        if let Some(rest) = l.strip_prefix("+FULLRESYNC") {
            let mut it = rest.split_ascii_whitespace();
            let id = it.next().unwrap_or("").to_string();
            let off = it.next().and_then(|s| s.parse::<i64>().ok());
            let Some(off) = off.filter(|_| id.len() == 40) else {
                warn!("Master replied with wrong +FULLRESYNC syntax.");
                return self.fail(now);
            };
            info!("Full resync from master: {id}:{off}");
            self.cached = None;
            self.pending = Some((id, off));
            self.state = State::Transfer(Payload::Header);
            self.transfer_size = -1;
            self.transfer_read = 0;
            self.transfer_start = now;
            self.actions.push_back(Action::StartTransfer);
        } else if let Some(rest) = l.strip_prefix("+CONTINUE") {
            let Some((id, off)) = self.cached.take() else {
                return self.fail(now);
            };
            let newid = rest.trim();
            info!("Successful partial resynchronization with master.");
            self.master_replid = if newid.len() == 40 && newid != id {
                info!("Master replication ID changed to {newid}");
                newid.to_string()
            } else {
                id
            };
            self.offset = off;
            info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
            self.actions.push_back(Action::Continued);
            self.up(now);
        } else {
            if l.starts_with("-NOMASTERLINK") || l.starts_with("-LOADING") {
                info!("Master is currently unable to PSYNC but should be in the future: {l}");
            } else {
                warn!("Unexpected reply to PSYNC from master: {l}");
            }
            self.fail(now);
        }
    }

    /// Returns true when the state changed and the buffer must be looked at again.
    fn payload(&mut self, p: Payload, now: i64) -> bool {
        match p {
            Payload::Header => {
                let Some(l) = self.line() else { return false };
                if l.is_empty() {
                    return true;
                }
                if l.starts_with('-') {
                    warn!("MASTER aborted replication with an error: {l}");
                    self.fail(now);
                    return false;
                }
                let Some(h) = l.strip_prefix('$') else {
                    warn!("Bad protocol from MASTER, the first byte is not '$' (we received '{l}'), are you sure the host and port are right?");
                    self.fail(now);
                    return false;
                };
                if let Some(mark) = h.strip_prefix("EOF:") {
                    if mark.len() != EOF_MARK_LEN {
                        self.fail(now);
                        return false;
                    }
                    info!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk");
                    self.state = State::Transfer(Payload::Eof {
                        mark: mark.as_bytes().to_vec(),
                    });
                } else {
                    let Ok(n) = h.parse::<u64>() else {
                        self.fail(now);
                        return false;
                    };
                    info!("MASTER <-> REPLICA sync: receiving {n} bytes from master to disk");
                    self.transfer_size = n as i64;
                    self.state = State::Transfer(Payload::Sized { left: n });
                }
                true
            }
            Payload::Sized { left } => {
                let take = (left as usize).min(self.buf.len());
                if take > 0 {
                    let chunk: Vec<u8> = self.buf.drain(..take).collect();
                    self.transfer_read += take as u64;
                    self.actions.push_back(Action::WriteToTemp(chunk));
                }
                let left = left - take as u64;
                if left == 0 {
                    self.finish_transfer();
                    return false;
                }
                self.state = State::Transfer(Payload::Sized { left });
                false
            }
            Payload::Eof { mark } => {
                if self.buf.len() > EOF_MARK_LEN {
                    let n = self.buf.len() - EOF_MARK_LEN;
                    let chunk: Vec<u8> = self.buf.drain(..n).collect();
                    self.transfer_read += n as u64;
                    self.actions.push_back(Action::WriteToTemp(chunk));
                }
                if self.buf == mark {
                    self.buf.clear();
                    self.finish_transfer();
                }
                false
            }
        }
    }

    fn finish_transfer(&mut self) {
        info!("MASTER <-> REPLICA sync: Flushing old data");
        info!("MASTER <-> REPLICA sync: Loading DB in memory");
        self.state = State::Loading;
        self.actions.push_back(Action::LoadTemp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    fn drain(l: &mut MasterLink) -> Vec<Action> {
        std::iter::from_fn(|| l.poll_action()).collect()
    }

    fn handshake(l: &mut MasterLink) {
        l.handle(Event::Tick, 0);
        assert_eq!(
            drain(l),
            vec![Action::Connect {
                host: "h".into(),
                port: 7
            }]
        );
        l.handle(Event::Connected, 1);
        assert_eq!(drain(l), vec![Action::Send(command(&["PING"]))]);
        l.handle(Event::Data(b"+PONG\r\n"), 2);
        let mut want = command(&["REPLCONF", "listening-port", "6380"]);
        want.extend(command(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
        assert_eq!(drain(l), vec![Action::Send(want)]);
        l.handle(Event::Data(b"+OK\r\n+OK\r\n"), 3);
    }

    #[test]
    fn full_sync_disk_then_stream() {
        let mut l = MasterLink::new("h", 7, 6380, 0);
        handshake(&mut l);
        assert_eq!(
            drain(&mut l),
            vec![Action::Send(command(&["PSYNC", "?", "-1"]))]
        );
        let fr = format!("+FULLRESYNC {ID} 100\r\n\n\n$5\r\nab");
        l.handle(Event::Data(fr.as_bytes()), 4);
        assert_eq!(
            drain(&mut l),
            vec![Action::StartTransfer, Action::WriteToTemp(b"ab".to_vec())]
        );
        assert_eq!(l.role_state(), "sync");
        l.handle(Event::Data(b"cde*1\r\n$4\r\nPING\r\n"), 5);
        assert_eq!(
            drain(&mut l),
            vec![Action::WriteToTemp(b"cde".to_vec()), Action::LoadTemp]
        );
        l.loaded(true, 6);
        assert!(l.is_up());
        assert_eq!(l.offset, 100);
        assert_eq!(l.master_replid, ID);
        assert_eq!(
            drain(&mut l),
            vec![Action::Stream(b"*1\r\n$4\r\nPING\r\n".to_vec())]
        );
        l.handle(Event::Data(b"x"), 7);
        assert_eq!(drain(&mut l), vec![Action::Stream(b"x".to_vec())]);
    }

    #[test]
    fn announce_ip_is_sent_and_its_reply_awaited() {
        let mut l = MasterLink::new("h", 7, 6380, 0);
        l.announce_ip = Some("10.0.0.9".into());
        l.handle(Event::Tick, 0);
        l.handle(Event::Connected, 1);
        drain(&mut l);
        l.handle(Event::Data(b"+PONG\r\n"), 2);
        let mut want = command(&["REPLCONF", "listening-port", "6380"]);
        want.extend(command(&["REPLCONF", "ip-address", "10.0.0.9"]));
        want.extend(command(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
        assert_eq!(drain(&mut l), vec![Action::Send(want)]);
        l.handle(Event::Data(b"+OK\r\n+OK\r\n"), 3);
        assert!(drain(&mut l).is_empty(), "still waiting for the capa reply");
        l.handle(Event::Data(b"+OK\r\n"), 4);
        assert_eq!(
            drain(&mut l),
            vec![Action::Send(command(&["PSYNC", "?", "-1"]))]
        );
    }

    #[test]
    fn diskless_eof_mark() {
        let mut l = MasterLink::new("h", 7, 6380, 0);
        handshake(&mut l);
        drain(&mut l);
        let mark = "m".repeat(40);
        let fr = format!("+FULLRESYNC {ID} 0\r\n$EOF:{mark}\r\nPAYLOAD");
        l.handle(Event::Data(fr.as_bytes()), 4);
        l.handle(Event::Data(mark.as_bytes()), 5);
        let acts = drain(&mut l);
        let written: Vec<u8> = acts
            .iter()
            .filter_map(|a| match a {
                Action::WriteToTemp(b) => Some(b.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(written, b"PAYLOAD");
        assert_eq!(acts.last(), Some(&Action::LoadTemp));
    }

    #[test]
    fn auth_pipelined_and_psync_continue_after_loss() {
        let mut l = MasterLink::new("h", 7, 6380, 0);
        l.auth = Some(Auth {
            user: None,
            pass: "pw".into(),
        });
        l.master_replid = ID.into();
        l.offset = 41;
        l.state = State::Connected;
        l.handle(Event::Closed, 10);
        assert_eq!(drain(&mut l), vec![Action::Close]);
        assert_eq!(l.down_since, 10);
        assert_eq!(l.state, State::Connect);
        l.handle(Event::Tick, 500);
        assert!(drain(&mut l).is_empty(), "backoff");
        l.handle(Event::Tick, 1010);
        assert!(matches!(drain(&mut l)[..], [Action::Connect { .. }]));
        l.handle(Event::Connected, 1011);
        drain(&mut l);
        l.handle(Event::Data(b"-NOAUTH Authentication required.\r\n"), 1012);
        match &drain(&mut l)[..] {
            [Action::Send(b)] => assert!(b.starts_with(&command(&["AUTH", "pw"]))),
            a => panic!("{a:?}"),
        }
        l.handle(Event::Data(b"+OK\r\n+OK\r\n+OK\r\n"), 1013);
        assert_eq!(
            drain(&mut l),
            vec![Action::Send(command(&["PSYNC", ID, "42"]))]
        );
        let other = "f".repeat(40);
        l.handle(
            Event::Data(format!("+CONTINUE {other}\r\n").as_bytes()),
            1014,
        );
        assert!(l.is_up());
        assert_eq!(drain(&mut l), vec![Action::Continued]);
        assert_eq!(l.master_replid, other);
        assert_eq!(l.offset, 41);
    }

    #[test]
    fn errors_and_timeouts_retry() {
        let mut l = MasterLink::new("h", 7, 6380, 0);
        handshake(&mut l);
        drain(&mut l);
        l.handle(Event::Data(b"-LOADING Redis is loading\r\n"), 4);
        assert_eq!(drain(&mut l), vec![Action::Close]);
        assert_eq!(l.role_state(), "connect");
        l.handle(Event::Tick, 1004);
        l.handle(Event::Connected, 1005);
        drain(&mut l);
        l.handle(Event::Tick, 1005 + 60_001);
        assert_eq!(drain(&mut l), vec![Action::Close]);
        assert_eq!(l.down_since, 0, "never synced");
        // A failed load also retries.
        let mut l = MasterLink::new("h", 7, 6380, 0);
        handshake(&mut l);
        l.handle(
            Event::Data(format!("+FULLRESYNC {ID} 0\r\n$0\r\n").as_bytes()),
            5,
        );
        assert_eq!(l.state, State::Loading);
        l.loaded(false, 6);
        assert_eq!(l.state, State::Connect);
    }
}
