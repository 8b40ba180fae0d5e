//! The replica's outgoing connection to its master: a non-blocking mio socket the loop reads
//! into the replica link (`repl::replica::link`) and writes the link's output from. It executes
//! the link's actions (connect, send, temp file, load, stream) and sends `REPLCONF ACK` every
//! second. Nothing here decides anything about replication; the link does.
use super::EventLoop;
use crate::node::replica_sync as sync;
use crate::repl::replica::link::{Action, Event};
use log::warn;
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::io::{self, Read};
use std::net::ToSocketAddrs;

pub const MASTER_TOKEN: Token = Token(usize::MAX - 2);

/// The socket to the master and what still has to be written to it.
pub struct MasterConn {
    stream: TcpStream,
    /// The link (`Replica::epoch`) this socket was opened for.
    epoch: u64,
    out: Vec<u8>,
    connected: bool,
    want_write: bool,
}

impl EventLoop {
    /// Once per loop iteration: drop a socket whose link is gone, tick the link, send ACKs.
    pub(super) fn replica_cron(&mut self, now: i64) {
        let epoch = self.srv.replica.as_ref().map(|r| r.epoch);
        if self
            .master_conn
            .as_ref()
            .is_some_and(|c| Some(c.epoch) != epoch)
        {
            self.close_master_conn();
        }
        let Some(r) = self.srv.replica.as_mut() else {
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
        let Some(c) = self.master_conn.as_mut() else {
            return;
        };
        if !c.connected && (writable || closed) {
            let ok = matches!(c.stream.take_error(), Ok(None)) && c.stream.peer_addr().is_ok();
            if !ok {
                warn!("Error condition on socket for SYNC: Connection refused");
                self.link_event(Event::Closed, now);
                return;
            }
            c.connected = true;
            self.link_event(Event::Connected, now);
        }
        if writable {
            self.flush_master();
        }
        if readable || closed {
            self.read_master(now);
        }
    }

    fn link_event(&mut self, ev: Event, now: i64) {
        if let Some(r) = self.srv.replica.as_mut() {
            r.link.handle(ev, now);
        }
        self.run_replica_actions(now);
    }

    fn read_master(&mut self, now: i64) {
        loop {
            let Some(c) = self.master_conn.as_mut() else {
                return;
            };
            let n = match c.stream.read(&mut self.read_buf) {
                Ok(0) => {
                    self.link_event(Event::Closed, now);
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.link_event(Event::Closed, now);
                    return;
                }
            };
            self.srv.stats.net_input_bytes += n as u64;
            if let Some(r) = self.srv.replica.as_mut() {
                r.link.handle(Event::Data(&self.read_buf[..n]), now);
            }
            self.run_replica_actions(now);
        }
    }

    fn run_replica_actions(&mut self, now: i64) {
        loop {
            let Some(a) = self.srv.replica.as_mut().and_then(|r| r.link.poll_action()) else {
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
                    if let Some(r) = self.srv.replica.as_mut() {
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
        self.srv.persist.loading = Some(crate::persist::loading::Progress {
            start_secs: now / 1000,
            total_bytes: total,
            ..Default::default()
        });
        let cfg = self.srv.config.clone();
        let mut events = mio::Events::with_capacity(256);
        let mut last_newline = now;
        let mut serve = |bytes: u64| {
            if let Some(l) = self.srv.persist.loading.as_mut() {
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
        self.srv.persist.loading = None;
        let now = crate::util::now_ms();
        self.srv.now_ms = now;
        sync::install_payload(&mut self.srv, res, &path, now);
        self.read_master(now);
    }

    fn connect_master(&mut self, host: &str, port: u16, now: i64) {
        self.close_master_conn();
        let Some(epoch) = self.srv.replica.as_ref().map(|r| r.epoch) else {
            return;
        };
        let addr = (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next());
        let res = match addr {
            Some(a) => TcpStream::connect(a),
            None => Err(io::Error::other("can't resolve")),
        };
        let registered = res.and_then(|mut s| {
            self.poll.registry().register(
                &mut s,
                MASTER_TOKEN,
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Ok(s)
        });
        match registered {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                self.master_conn = Some(MasterConn {
                    stream,
                    epoch,
                    out: Vec::new(),
                    connected: false,
                    want_write: true,
                });
            }
            Err(e) => {
                warn!("Unable to connect to MASTER: {e}");
                if let Some(r) = self.srv.replica.as_mut() {
                    r.link.fail(now);
                    // fail() queued a Close for a socket that does not exist: harmless.
                }
            }
        }
    }

    fn send_master(&mut self, bytes: &[u8]) {
        if let Some(c) = self.master_conn.as_mut() {
            c.out.extend_from_slice(bytes);
        }
        self.flush_master();
    }

    fn flush_master(&mut self) {
        let Some(c) = self.master_conn.as_mut() else {
            return;
        };
        if !c.connected {
            return;
        }
        // A write error is noticed by the read side, which closes the link.
        let (written, _) = super::outgoing::write_pending(
            &mut c.stream,
            &mut c.out,
            &mut c.want_write,
            self.poll.registry(),
            MASTER_TOKEN,
        );
        self.srv.stats.net_output_bytes += written as u64;
    }

    fn close_master_conn(&mut self) {
        if let Some(mut c) = self.master_conn.take() {
            let _ = self.poll.registry().deregister(&mut c.stream);
        }
    }
}
