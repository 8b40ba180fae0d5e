//! The one driver for an outgoing TCP connection (the replica's link to its master, a
//! sentinel's links to the instances it watches, and the test driver in
//! tests/sentinel_core_real.rs): non-blocking name resolution, non-blocking connect settled on
//! WRITABLE (with a connect deadline the owner checks), buffered writes that keep WRITABLE
//! interest on only while bytes remain, reads until WouldBlock, and close. It knows nothing of
//! the bytes it carries: the owners feed them to their sans-IO state machines
//! (`repl::replica::link`, the `sentinel` core).
//!
//! Name resolution has the semantics of `sentinel::resolve::system_resolve` (an IP literal as
//! is, else the first IPv4 address getaddrinfo gives, else its first address), but a name is
//! resolved on a short-lived helper thread so getaddrinfo never stalls the loop; the thread
//! wakes the poll through a `mio::Waker` registered with `WAKE_TOKEN`, and the owner then calls
//! `poll_resolution`. A reconnect is simply a new `Outbound` (the old one closed first).
use crate::sentinel::resolve::{ip_literal, system_resolve};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token, Waker};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;

/// Token of the waker resolver threads use to wake the loop (see `EventLoop::new`).
pub const WAKE_TOKEN: Token = Token(usize::MAX - 4);

enum State {
    /// A helper thread is resolving the name; its answer comes on the channel.
    Resolving {
        answer: Receiver<Option<String>>,
        port: u16,
    },
    /// `connect()` is in progress; WRITABLE (or an error) settles it.
    Connecting(TcpStream),
    Connected(TcpStream),
    Closed,
}

/// What a readiness event did to a connection that was not yet connected.
#[derive(Debug)]
pub enum Ready {
    /// Still resolving or connecting: nothing to do yet.
    Pending,
    /// Connected (now or before): write and read.
    Connected,
    /// The connect failed (or the connection is closed): drop it.
    Failed,
}

/// What one `read` returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    /// This many bytes landed at the start of the buffer.
    Data(usize),
    /// Nothing more for now.
    WouldBlock,
    /// End of stream or a socket error (or not connected).
    Closed,
}

/// One outgoing connection registered with a mio `Registry` under one token.
pub struct Outbound {
    token: Token,
    state: State,
    /// When the connection was asked for (resolution and connect deadlines count from here).
    started: i64,
    out: Vec<u8>,
    want_write: bool,
}

fn register(registry: &Registry, token: Token, addr: SocketAddr) -> io::Result<TcpStream> {
    let mut s = TcpStream::connect(addr)?;
    registry.register(&mut s, token, Interest::READABLE | Interest::WRITABLE)?;
    let _ = s.set_nodelay(true);
    Ok(s)
}

fn ip_of(text: &str) -> io::Result<IpAddr> {
    text.parse()
        .map_err(|_| io::Error::other(format!("bad address {text}")))
}

impl Outbound {
    /// Start connecting to `host:port` under `token`. An IP literal connects now; a name is
    /// resolved on a helper thread that wakes `waker` when done. An error means the attempt
    /// could not even start (no socket, no thread).
    pub fn connect(
        host: &str,
        port: u16,
        token: Token,
        now: i64,
        registry: &Registry,
        waker: &Arc<Waker>,
    ) -> io::Result<Outbound> {
        let state = match ip_literal(host) {
            Some(ip) => State::Connecting(register(
                registry,
                token,
                SocketAddr::new(ip_of(&ip)?, port),
            )?),
            None => {
                let (tx, answer) = mpsc::channel();
                let (name, waker) = (host.to_string(), Arc::clone(waker));
                std::thread::Builder::new()
                    .name("resolve".into())
                    .spawn(move || {
                        // The receiver may be gone (the connection was dropped): fine.
                        let _ = tx.send(system_resolve(&name));
                        let _ = waker.wake();
                    })?;
                State::Resolving { answer, port }
            }
        };
        Ok(Outbound {
            token,
            state,
            started: now,
            out: Vec::new(),
            want_write: true,
        })
    }

    pub fn token(&self) -> Token {
        self.token
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Connected(_))
    }

    pub fn is_resolving(&self) -> bool {
        matches!(self.state, State::Resolving { .. })
    }

    /// Not connected `timeout_ms` after it was asked for (the owner decides what follows).
    pub fn expired(&self, now: i64, timeout_ms: i64) -> bool {
        !self.is_connected() && now - self.started > timeout_ms
    }

    /// While resolving: start the connect once the answer is in. `Ok(true)` when the connect
    /// started, `Ok(false)` when there is no answer yet (or nothing was being resolved), an
    /// error when the name does not resolve or the connect could not start.
    pub fn poll_resolution(&mut self, registry: &Registry) -> io::Result<bool> {
        let State::Resolving { answer, port } = &self.state else {
            return Ok(false);
        };
        let port = *port;
        let ip = match answer.try_recv() {
            Err(TryRecvError::Empty) => return Ok(false),
            Ok(Some(ip)) => ip,
            Ok(None) | Err(TryRecvError::Disconnected) => {
                self.state = State::Closed;
                return Err(io::Error::other("can't resolve"));
            }
        };
        let res = ip_of(&ip).and_then(|a| register(registry, self.token, SocketAddr::new(a, port)));
        match res {
            Ok(s) => {
                self.state = State::Connecting(s);
                Ok(true)
            }
            Err(e) => {
                self.state = State::Closed;
                Err(e)
            }
        }
    }

    /// A readiness event for this connection: while connecting, WRITABLE or an error settles
    /// the connect (`Connected` or `Failed`); afterwards it is `Connected` until closed.
    pub fn on_ready(&mut self, writable: bool, closed: bool) -> Ready {
        match &self.state {
            State::Connected(_) => Ready::Connected,
            State::Closed => Ready::Failed,
            State::Resolving { .. } => Ready::Pending,
            State::Connecting(_) if !(writable || closed) => Ready::Pending,
            State::Connecting(s) => {
                if matches!(s.take_error(), Ok(None)) && s.peer_addr().is_ok() {
                    let State::Connecting(s) = std::mem::replace(&mut self.state, State::Closed)
                    else {
                        return Ready::Failed;
                    };
                    self.state = State::Connected(s);
                    Ready::Connected
                } else {
                    Ready::Failed
                }
            }
        }
    }

    /// The local IP of the socket (empty when not connected).
    pub fn local_ip(&self) -> String {
        match &self.state {
            State::Connected(s) | State::Connecting(s) => s
                .local_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// Queue `bytes` (written by the next `flush`; nothing is written before the connect).
    pub fn queue(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Write the pending bytes until they are gone or the socket would block, and keep
    /// WRITABLE interest exactly while bytes remain. Returns the bytes written and whether
    /// the socket failed. Does nothing before the connection is up.
    pub fn flush(&mut self, registry: &Registry) -> (usize, io::Result<()>) {
        let State::Connected(stream) = &mut self.state else {
            return (0, Ok(()));
        };
        let mut written = 0;
        let mut result = Ok(());
        while written < self.out.len() {
            match stream.write(&self.out[written..]) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.out.drain(..written);
        let want = !self.out.is_empty();
        if want != self.want_write {
            self.want_write = want;
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let _ = registry.reregister(stream, self.token, interest);
        }
        (written, result)
    }

    /// One read into `buf` (callers loop until `WouldBlock`: mio is edge-triggered).
    pub fn read(&mut self, buf: &mut [u8]) -> Input {
        let State::Connected(stream) = &mut self.state else {
            return Input::Closed;
        };
        loop {
            return match stream.read(buf) {
                Ok(0) => Input::Closed,
                Ok(n) => Input::Data(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Input::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => Input::Closed,
            };
        }
    }

    /// Read everything available (through `scratch`) onto the end of `dst`. Returns the bytes
    /// read and whether the connection is still good: false at end of stream, on an error, or
    /// once `dst` holds more than `limit` bytes.
    pub fn read_into(
        &mut self,
        scratch: &mut [u8],
        dst: &mut Vec<u8>,
        limit: usize,
    ) -> (usize, bool) {
        let mut total = 0;
        loop {
            match self.read(scratch) {
                Input::Data(n) => {
                    dst.extend_from_slice(&scratch[..n]);
                    total += n;
                    if dst.len() > limit {
                        return (total, false);
                    }
                }
                Input::WouldBlock => return (total, true),
                Input::Closed => return (total, false),
            }
        }
    }

    /// Deregister and close the socket (a helper thread still resolving is left to finish).
    pub fn close(&mut self, registry: &Registry) {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Connecting(mut s) | State::Connected(mut s) => {
                let _ = registry.deregister(&mut s);
            }
            State::Resolving { .. } | State::Closed => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::{Events, Poll};
    use std::time::{Duration, Instant};

    /// Poll until the connection settles (resolving, then connecting), as the loop would.
    fn settle(poll: &mut Poll, c: &mut Outbound) -> Ready {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut events = Events::with_capacity(16);
        while Instant::now() < deadline {
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .expect("poll");
            for ev in events.iter() {
                if ev.token() == WAKE_TOKEN {
                    if c.poll_resolution(poll.registry()).is_err() {
                        return Ready::Failed;
                    }
                    continue;
                }
                match c.on_ready(ev.is_writable(), ev.is_read_closed() || ev.is_error()) {
                    Ready::Pending => {}
                    r => return r,
                }
            }
        }
        Ready::Pending
    }

    fn setup() -> (Poll, Arc<Waker>) {
        let poll = Poll::new().expect("poll");
        let waker = Arc::new(Waker::new(poll.registry(), WAKE_TOKEN).expect("waker"));
        (poll, waker)
    }

    #[test]
    fn connects_by_name_then_writes_and_reads() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (mut poll, waker) = setup();
        // localhost: answered by /etc/hosts, never a DNS query off this machine.
        let mut c =
            Outbound::connect("localhost", port, Token(1), 0, poll.registry(), &waker).expect("c");
        assert!(c.is_resolving());
        c.queue(b"PING\r\n");
        assert_eq!(
            c.flush(poll.registry()).0,
            0,
            "nothing written before the connect"
        );
        assert!(matches!(settle(&mut poll, &mut c), Ready::Connected));
        assert_eq!(c.local_ip(), "127.0.0.1");
        assert!(!c.expired(10_000, 5000));
        assert_eq!(c.flush(poll.registry()).0, 6);
        let (mut peer, _) = listener.accept().expect("accept");
        let mut got = [0u8; 6];
        peer.read_exact(&mut got).expect("read");
        assert_eq!(&got, b"PING\r\n");
        peer.write_all(b"+PONG\r\n").expect("write");
        drop(peer);
        let (mut scratch, mut input) = ([0u8; 4], Vec::new());
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut ok = true;
        while ok && Instant::now() < deadline {
            ok = c.read_into(&mut scratch, &mut input, 1024).1;
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(input, b"+PONG\r\n");
        assert!(!ok, "end of stream seen");
        c.close(poll.registry());
        assert_eq!(c.read(&mut scratch), Input::Closed);
    }

    #[test]
    fn refused_connect_and_unresolvable_name_fail() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let (mut poll, waker) = setup();
        let mut c =
            Outbound::connect("127.0.0.1", port, Token(1), 0, poll.registry(), &waker).expect("c");
        assert!(matches!(settle(&mut poll, &mut c), Ready::Failed));
        assert!(c.expired(5001, 5000));
        c.close(poll.registry());
        // An empty name never resolves (and asks no DNS server).
        let mut c = Outbound::connect("", port, Token(2), 0, poll.registry(), &waker).expect("c");
        assert!(matches!(settle(&mut poll, &mut c), Ready::Failed));
    }
}
