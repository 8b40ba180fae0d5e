//! Serving the other clients while a script runs past `busy-reply-threshold`: the script's
//! instruction hook calls this (through `server::busy::BusyServe`) every few hundred thousand
//! instructions. It accepts connections and reads, answers and writes every idle client, so
//! they get `-BUSY` (or run what may run meanwhile: SCRIPT KILL, SHUTDOWN NOSAVE...) instead of
//! hanging. Sockets are read to the end (mio is edge-triggered, so nothing is left unsignalled);
//! output that does not fit is left to the main loop's pending writes.
use super::{admit, read_socket, write_out, IOBUF_LEN};
use crate::dispatch::execute;
use crate::server::busy::BusyServe;
use crate::server::client::ClientKind;
use crate::server::Server;
use mio::net::TcpListener;
use std::io;
use std::os::fd::AsFd;

pub struct BusyIo {
    registry: mio::Registry,
    /// The listening sockets (duplicated descriptors of the loop's own), polled by accept.
    listeners: Vec<TcpListener>,
    buf: Box<[u8]>,
}

impl BusyIo {
    pub fn new(registry: &mio::Registry, listeners: &[TcpListener]) -> io::Result<BusyIo> {
        let mut dup = Vec::with_capacity(listeners.len());
        for l in listeners {
            let fd = l.as_fd().try_clone_to_owned()?;
            dup.push(TcpListener::from_std(std::net::TcpListener::from(fd)));
        }
        Ok(BusyIo {
            registry: registry.try_clone()?,
            listeners: dup,
            buf: vec![0u8; IOBUF_LEN].into_boxed_slice(),
        })
    }
}

impl BusyServe for BusyIo {
    fn serve(&mut self, srv: &mut Server) {
        // Hold the caller's slot (its client is out of the slab while its script runs) so that
        // no accepted connection takes it.
        let held = srv
            .role
            .scripts
            .caller_token
            .filter(|t| !srv.clients.contains(*t))
            .and_then(|t| hold_slot(srv, t));
        for l in &self.listeners {
            // Bounded: a listener yields WouldBlock once its queue is empty.
            for _ in 0..1024 {
                match l.accept() {
                    Ok((stream, peer)) => admit(srv, &self.registry, stream, peer),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        if let Some(t) = held {
            srv.clients.remove(t);
        }
        let limit = srv.config.client_query_buffer_limit;
        let tokens: Vec<usize> = srv
            .clients
            .iter()
            .filter(|(_, c)| {
                matches!(c.kind, ClientKind::Normal | ClientKind::PubSub)
                    && c.blocked.is_none()
                    && !c.close_asap
            })
            .map(|(t, _)| t)
            .collect();
        for t in tokens {
            let Some(c) = srv.clients.get_mut(t) else {
                continue;
            };
            let (n, closed) = read_socket(c, &mut self.buf, true, limit);
            c.net_in += n;
            srv.stats.net_input_bytes += n;
            if n > 0 {
                answer(srv, t);
            }
            let Some(c) = srv.clients.get_mut(t) else {
                continue;
            };
            let (w, err) = write_out(c);
            c.net_out += w;
            srv.stats.net_output_bytes += w;
            if closed || err {
                c.close_asap = true;
            }
            if (c.close_asap || c.opos < c.out.len()) && !c.pending_write {
                c.pending_write = true;
                srv.pending_writes.push(t);
            }
        }
    }
}

/// Fill the free slots up to `token` with placeholders, keep the one at `token` and free the
/// others: the slab then hands out every free slot but that one. Returns it when held.
fn hold_slot(srv: &mut Server, token: usize) -> Option<usize> {
    let mut taken = Vec::new();
    let mut held = None;
    // Bounded: each round fills one free slot, and slots at or below `token` run out.
    for _ in 0..=token {
        let key = srv.clients.vacant_entry().key();
        if key > token {
            break;
        }
        let placeholder = Box::new(crate::server::client::Client::new(0, key, None, srv.now_ms));
        srv.clients.insert(placeholder);
        if key == token {
            held = Some(key);
            break;
        }
        taken.push(key);
    }
    for k in taken {
        srv.clients.remove(k);
    }
    held
}

/// Run the complete commands a client sent (most are refused with -BUSY by the dispatcher).
fn answer(srv: &mut Server, token: usize) {
    let mut client = srv.clients.remove(token);
    let max_bulk = srv.config.proto_max_bulk_len;
    // Bounded by the input: each round consumes one command or stops.
    loop {
        let auth_required = srv.auth_required(&client);
        let mut pos = client.qpos;
        let res = client
            .decoder
            .next(&client.query, &mut pos, max_bulk, auth_required);
        client.qpos = pos;
        let Ok(Some(mut args)) = res else {
            break;
        };
        if args.is_empty() {
            continue;
        }
        let reply = execute(srv, &mut client, &mut args);
        client.reply(&reply);
    }
    let t = srv.clients.insert(client);
    debug_assert_eq!(t, token);
}
