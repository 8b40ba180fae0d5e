//! Writing a replica's RDB payload (`repl::master::transfer::Bulk`) to its socket ahead of its
//! output buffer, and forwarding the diskless child's pipe (registered with the poll so its
//! data wakes the loop). Only bytes move here; `transfer` decides what they are.
use super::{EventLoop, PayloadIo};
use crate::node::transfer;
use log::warn;
use mio::unix::SourceFd;
use mio::{Interest, Token};
use std::io::{self, Write};

pub const PIPE_TOKEN: Token = Token(usize::MAX - 3);

impl EventLoop {
    /// Write as much of replica `token`'s payload as its socket takes; when all of it went
    /// out, the buffered stream is moved into its output buffer.
    pub(super) fn write_payload(&mut self, token: usize) -> PayloadIo {
        let mut io = PayloadIo {
            written: 0,
            error: false,
            want_write: false,
        };
        let srv = &mut self.srv;
        let Some(r) = srv
            .role
            .master
            .replicas
            .iter_mut()
            .find(|r| r.token == token)
        else {
            return io;
        };
        let Some(b) = r.bulk.as_mut() else {
            return io;
        };
        let Some(conn) = srv.clients.get_mut(token).and_then(|c| c.conn.as_mut()) else {
            return io;
        };
        loop {
            let chunk = match b.next_chunk() {
                Ok(c) => c,
                Err(e) => {
                    warn!("Read error sending DB to replica: {e}");
                    io.error = true;
                    return io;
                }
            };
            if chunk.is_empty() {
                break;
            }
            match conn.write(chunk) {
                Ok(0) => {
                    io.error = true;
                    return io;
                }
                Ok(n) => {
                    b.consume(n);
                    io.written += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    io.error = true;
                    return io;
                }
            }
        }
        if b.done() {
            transfer::payload_sent(srv, token);
        } else {
            io.want_write = b.has_unsent();
        }
        io
    }

    /// Once per loop iteration: keep the diskless pipe registered and forward what it holds.
    pub(super) fn pump_diskless(&mut self) {
        let d = self.srv.role.master.diskless.as_ref();
        let id = d.map(|d| d.mark.clone());
        if id != self.links.pipe_registered {
            if let Some(fd) = d.map(|d| d.fd()) {
                let _ = self.poll.registry().register(
                    &mut SourceFd(&fd),
                    PIPE_TOKEN,
                    Interest::READABLE,
                );
            }
            // A closed pipe left the poll set by itself.
            self.links.pipe_registered = id;
        }
        if self.links.pipe_registered.is_some() {
            transfer::pump(&mut self.srv);
        }
    }
}
