//! The replica's outgoing connection to its master: an `outbound::Outbound` whose input the
//! loop feeds to the replica link (`repl::replica::link`) and whose output is the link's. It
//! executes the link's actions (connect, send, temp file, load, stream) and sends
//! `REPLCONF ACK` every second. Nothing here decides anything about replication; the link does
//! (including the connect timeout: its repl-timeout covers the connecting state).
use super::outbound::{Input, Outbound, Ready};
use super::EventLoop;
use crate::node::replica_sync as sync;
use crate::repl::replica::link::{Action, Event};
use log::warn;
use mio::Token;

pub const MASTER_TOKEN: Token = Token(usize::MAX - 2);

/// The connection to the master.
pub struct MasterConn {
    conn: Outbound,
    /// The link (`Replica::epoch`) this socket was opened for.
    epoch: u64,
}

impl EventLoop {
    /// Once per loop iteration: drop a socket whose link is gone, tick the link, send ACKs.
    pub(super) fn replica_cron(&mut self, now: i64) {
        let epoch = self.srv.role.replica.as_ref().map(|r| r.epoch);
        if self
            .links
            .master_conn
            .as_ref()
            .is_some_and(|c| Some(c.epoch) != epoch)
        {
            self.close_master_conn();
        }
        let Some(r) = self.srv.role.replica.as_mut() else {
            return;
        };
        r.link.handle(Event::Tick, now);
        if r.link.is_up() && now - r.last_ack >= 1000 {
            r.last_ack = now;
            let ack = crate::repl::replica::ack_bytes(r.link.offset);
            self.send_master(&ack);
        }
        self.run_replica_actions(now);
    }

    /// Readiness on the master socket.
    pub(super) fn replica_io(&mut self, readable: bool, writable: bool, closed: bool) {
        let now = self.srv.now_ms;
        let Some(c) = self.links.master_conn.as_mut() else {
            return;
        };
        let was_up = c.conn.is_connected();
        match c.conn.on_ready(writable, closed) {
            Ready::Pending => return,
            Ready::Failed => {
                warn!("Error condition on socket for SYNC: Connection refused");
                self.link_event(Event::Closed, now);
                return;
            }
            Ready::Connected if !was_up => self.link_event(Event::Connected, now),
            Ready::Connected => {}
        }
        if writable {
            self.flush_master();
        }
        if readable || closed {
            self.read_master(now);
        }
    }

    /// A name resolution finished (the waker fired): start the connect, or fail the link.
    pub(super) fn master_resolved(&mut self) {
        let now = self.srv.now_ms;
        let Some(c) = self.links.master_conn.as_mut() else {
            return;
        };
        if let Err(e) = c.conn.poll_resolution(self.poll.registry()) {
            warn!("Unable to connect to MASTER: {e}");
            self.close_master_conn();
            if let Some(r) = self.srv.role.replica.as_mut() {
                r.link.fail(now);
            }
            self.run_replica_actions(now);
        }
    }

    fn link_event(&mut self, ev: Event, now: i64) {
        if let Some(r) = self.srv.role.replica.as_mut() {
            r.link.handle(ev, now);
        }
        self.run_replica_actions(now);
    }

    fn read_master(&mut self, now: i64) {
        loop {
            let Some(c) = self.links.master_conn.as_mut() else {
                return;
            };
            let n = match c.conn.read(&mut self.read_buf) {
                Input::Data(n) => n,
                Input::WouldBlock => return,
                Input::Closed => {
                    self.link_event(Event::Closed, now);
                    return;
                }
            };
            self.srv.stats.net_input_bytes += n as u64;
            if let Some(r) = self.srv.role.replica.as_mut() {
                r.link.handle(Event::Data(&self.read_buf[..n]), now);
            }
            self.run_replica_actions(now);
        }
    }

    fn run_replica_actions(&mut self, now: i64) {
        loop {
            let Some(a) = self
                .srv
                .role
                .replica
                .as_mut()
                .and_then(|r| r.link.poll_action())
            else {
                return;
            };
            match a {
                Action::Connect { host, port } => self.connect_master(&host, port, now),
                Action::Send(b) => self.send_master(&b),
                Action::StartTransfer => sync::start_transfer(&mut self.srv, now),
                Action::WriteToTemp(b) => sync::write_temp(&mut self.srv, &b, now),
                Action::LoadTemp => self.load_from_master(now),
                Action::Continued => sync::continued(&mut self.srv, now),
                Action::Stream(b) => {
                    let reply = crate::dispatch::stream::apply_stream(&mut self.srv, &b);
                    if !reply.is_empty() {
                        self.send_master(&reply);
                    }
                }
                Action::Close => {
                    self.close_master_conn();
                    if let Some(r) = self.srv.role.replica.as_mut() {
                        sync::link_closed(r);
                    }
                }
            }
        }
    }

    /// Load the payload received from the master, serving clients meanwhile (commands without
    /// the `loading` flag get -LOADING, as at startup). The master socket is not read during
    /// the load (what arrived meanwhile is read right after); a newline goes to it every second.
    fn load_from_master(&mut self, now: i64) {
        let Some(path) = sync::take_payload(&mut self.srv, now) else {
            return;
        };
        let total = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        self.srv.role.persist.loading = Some(crate::persist::loading::Progress {
            start_secs: now / 1000,
            total_bytes: total,
            ..Default::default()
        });
        let cfg = self.srv.config.clone();
        let mut events = mio::Events::with_capacity(256);
        let mut last_newline = now;
        let mut serve = |bytes: u64| {
            if let Some(l) = self.srv.role.persist.loading.as_mut() {
                l.loaded_bytes = bytes;
            }
            self.serve_while_blocked(&mut events);
            // A newline every second tells the master we are alive, or its repl-timeout would
            // drop us during a long load (Redis's replicationSendNewlineToMaster).
            let t = self.srv.now_ms;
            if t - last_newline >= 1000 {
                last_newline = t;
                self.send_master(b"\n");
            }
        };
        let res = sync::load_payload(&cfg, &path, now, Some(&mut serve));
        self.srv.role.persist.loading = None;
        let now = crate::util::now_ms();
        self.srv.now_ms = now;
        sync::install_payload(&mut self.srv, res, &path, now);
        self.read_master(now);
    }

    fn connect_master(&mut self, host: &str, port: u16, now: i64) {
        self.close_master_conn();
        let Some(epoch) = self.srv.role.replica.as_ref().map(|r| r.epoch) else {
            return;
        };
        let res = Outbound::connect(
            host,
            port,
            MASTER_TOKEN,
            now,
            self.poll.registry(),
            &self.waker,
        );
        match res {
            Ok(conn) => self.links.master_conn = Some(MasterConn { conn, epoch }),
            Err(e) => {
                warn!("Unable to connect to MASTER: {e}");
                if let Some(r) = self.srv.role.replica.as_mut() {
                    r.link.fail(now);
                    // fail() queued a Close for a socket that does not exist: harmless.
                }
            }
        }
    }

    fn send_master(&mut self, bytes: &[u8]) {
        if let Some(c) = self.links.master_conn.as_mut() {
            c.conn.queue(bytes);
        }
        self.flush_master();
    }

    fn flush_master(&mut self) {
        let Some(c) = self.links.master_conn.as_mut() else {
            return;
        };
        // A write error is noticed by the read side, which closes the link.
        let (written, _) = c.conn.flush(self.poll.registry());
        self.srv.stats.net_output_bytes += written as u64;
    }

    fn close_master_conn(&mut self) {
        if let Some(mut c) = self.links.master_conn.take() {
            c.conn.close(self.poll.registry());
        }
    }
}
