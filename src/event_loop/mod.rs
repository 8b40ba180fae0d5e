//! The single-threaded mio loop: accepts connections, reads and parses requests, runs commands,
//! flushes replies (registering WRITABLE only while bytes remain), runs the cron at `hz`, and
//! handles signals. It is the only code that touches sockets.
//!
//! The loop is generic over the role it serves (`Serve`): the client side above is the same for
//! a data node (`EventLoop<DataNode>`, `data_node`: the link to its master, RDB payloads, the
//! diskless pipe, blocked clients) and a sentinel (`EventLoop<Sentinel>`, `sentinel_links`: its
//! links to the instances it watches); what differs is the role's `Serve` methods.
mod busy;
mod data_node;
pub mod loading;
pub mod outbound;
mod repl_bulk;
mod replica_conn;
pub mod sentinel_links;
mod sync_status;
use crate::resp::Reply;
use crate::server::client::{Client, ReplyMode};
use crate::server::command::Args;
use crate::server::{DataNode, Server, Shutdown};
use log::{info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);
const LISTENER_BASE: usize = usize::MAX - 64;
/// Client tokens (slab keys) are below; the role's own tokens (links, the master, the waker,
/// the pipe) above, the listeners and signals aside.
const CLIENT_END: usize = usize::MAX / 2;
/// Read chunk size, as Redis's PROTO_IOBUF_LEN.
const IOBUF_LEN: usize = 16 * 1024;
/// Reply sent before closing a client whose unparsed input exceeds client-query-buffer-limit.
pub const QBUF_LIMIT_ERR: &str =
    "ERR Protocol error: client query buffer limit reached (client-query-buffer-limit), closing connection";

/// What the loop does differently for each role: a data node (`DataNode`, in `data_node`) or a
/// sentinel (`Sentinel`, in `sentinel_links`). Accepting, reading, decoding, replying, pub/sub
/// delivery and flushing are the loop's own, the same for both.
pub trait Serve: Sized {
    /// The role's own connections and their bookkeeping.
    type Links: Default;
    /// Run one command a client sent, and serve the clients it unblocked.
    fn execute(srv: &mut Server<Self>, client: &mut Client, args: &mut Args) -> Reply;
    /// Once, before the first poll.
    fn start(el: &mut EventLoop<Self>);
    /// When the role needs the loop awake next (the cron aside).
    fn wake_at(el: &EventLoop<Self>) -> Option<i64>;
    /// Readiness on one of the role's own tokens (the waker's included).
    fn on_event(el: &mut EventLoop<Self>, ev: &mio::event::Event);
    /// Every iteration, after the poll's events.
    fn step(el: &mut EventLoop<Self>, now: i64);
    /// `hz` times a second.
    fn cron(srv: &mut Server<Self>, now: i64);
    /// Last thing before the replies are flushed.
    fn before_flush(srv: &mut Server<Self>);
    /// An empty line from a client (a replica's keep-alive).
    fn empty_line(srv: &mut Server<Self>, client: &Client);
    /// Clients unblocked since the loop last looked: their buffered input can run now.
    fn take_unblocked(srv: &mut Server<Self>) -> Vec<usize>;
    /// Once a client's output buffer went out: write what follows it (a replica's RDB
    /// payload), if anything does.
    fn write_more(el: &mut EventLoop<Self>, token: usize) -> Option<PayloadIo>;
    /// Client `token` is going away: drop what the server keeps about it.
    fn forget(srv: &mut Server<Self>, token: usize, client: &mut Client);
}

/// What writing the bytes after a client's output buffer did.
pub struct PayloadIo {
    pub written: u64,
    /// The socket failed, or the file could not be read: close the client.
    pub error: bool,
    /// Bytes are waiting for the socket to become writable.
    pub want_write: bool,
}

pub struct EventLoop<R: Serve = DataNode> {
    pub poll: Poll,
    pub listeners: Vec<TcpListener>,
    pub srv: Server<R>,
    signals: Signals,
    /// Scratch buffer every socket read lands in; only the bytes read are copied to the client.
    read_buf: Box<[u8]>,
    /// systemd's notify socket when supervised (see `sync_status`).
    pub status_notifier: Option<crate::daemon::notify::Notifier>,
    /// The role's own connections (see `Serve::Links`).
    links: R::Links,
    /// Wakes the poll when an outgoing connection's name resolution ends (see `outbound`).
    waker: std::sync::Arc<mio::Waker>,
}

/// Parse a `bind` entry: `-` prefix marks an address whose failure to bind is not fatal.
fn bind_one(addr: &str, port: u16, backlog: i32) -> io::Result<TcpListener> {
    let ip: std::net::IpAddr = match addr {
        "*" => "0.0.0.0".parse().map_err(io::Error::other)?,
        "::*" => "::".parse().map_err(io::Error::other)?,
        a => a
            .parse()
            .map_err(|_| io::Error::other(format!("Invalid bind address '{a}'")))?,
    };
    let sa = SocketAddr::new(ip, port);
    use nix::sys::socket::{self, sockopt, AddressFamily, SockFlag, SockType, SockaddrStorage};
    let family = if ip.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = socket::socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(io::Error::from)?;
    socket::setsockopt(&fd, sockopt::ReuseAddr, &true).map_err(io::Error::from)?;
    if ip.is_ipv6() {
        socket::setsockopt(&fd, sockopt::Ipv6V6Only, &true).map_err(io::Error::from)?;
    }
    socket::bind(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        &SockaddrStorage::from(sa),
    )
    .map_err(io::Error::from)?;
    let backlog = socket::Backlog::new(backlog).unwrap_or(socket::Backlog::MAXCONN);
    socket::listen(&fd, backlog).map_err(io::Error::from)?;
    let std_listener = std::net::TcpListener::from(fd);
    Ok(TcpListener::from_std(std_listener))
}

const DENIED_MSG: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

impl<R: Serve> EventLoop<R> {
    pub fn new(srv: Server<R>) -> io::Result<Self> {
        let poll = Poll::new()?;
        let mut listeners = Vec::new();
        let port = srv.config.port;
        if port != 0 {
            for (i, b) in srv.config.bind.iter().enumerate() {
                let (optional, addr) = match b.strip_prefix('-') {
                    Some(a) => (true, a),
                    None => (false, b.as_str()),
                };
                match bind_one(addr, port, srv.config.tcp_backlog) {
                    Ok(mut l) => {
                        poll.registry().register(
                            &mut l,
                            Token(LISTENER_BASE + i),
                            Interest::READABLE,
                        )?;
                        listeners.push(l);
                    }
                    Err(e) if optional => {
                        warn!("Warning: Could not create server TCP listening socket {addr}:{port}: {e}");
                    }
                    Err(e) => {
                        return Err(io::Error::new(
                            e.kind(),
                            format!(
                                "Failed listening on port {port} (tcp), aborting. ({addr}: {e})"
                            ),
                        ));
                    }
                }
            }
            if listeners.is_empty() {
                return Err(io::Error::other(format!(
                    "Failed listening on port {port} (tcp), aborting."
                )));
            }
        }
        let mut signals = Signals::new([SIGTERM, SIGINT])?;
        poll.registry()
            .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
        let waker = std::sync::Arc::new(mio::Waker::new(poll.registry(), outbound::WAKE_TOKEN)?);
        Ok(EventLoop {
            poll,
            listeners,
            srv,
            signals,
            read_buf: vec![0u8; IOBUF_LEN].into_boxed_slice(),
            status_notifier: None,
            links: R::Links::default(),
            waker,
        })
    }

    /// Run until shutdown. Returns the shutdown mode that ended the loop.
    pub fn run(&mut self) -> io::Result<Shutdown> {
        let mut events = Events::with_capacity(1024);
        let mut next_cron = crate::util::now_ms();
        R::start(self);
        loop {
            let now = crate::util::now_ms();
            let wake = R::wake_at(self).map_or(next_cron, |t| t.min(next_cron));
            let wait = (wake - now).clamp(0, 1000) as u64;
            if let Err(e) = self
                .poll
                .poll(&mut events, Some(Duration::from_millis(wait)))
            {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            self.srv.now_ms = crate::util::now_ms();
            self.dispatch(&events);
            let now = crate::util::now_ms();
            self.srv.now_ms = now;
            R::step(self, now);
            if now >= next_cron {
                R::cron(&mut self.srv, now);
                let hz = self.srv.config.hz.clamp(1, 500) as i64;
                next_cron = now + 1000 / hz;
                self.close_marked_clients();
            }
            R::before_flush(&mut self.srv);
            self.flush_pending();
            if let Some(mode) = self.srv.shutdown {
                self.flush_all_best_effort();
                return Ok(mode);
            }
        }
    }

    /// Handle one poll's worth of events: signals, new connections, client I/O, and the role's
    /// own sockets.
    fn dispatch(&mut self, events: &Events) {
        for ev in events.iter() {
            match ev.token() {
                SIGNAL_TOKEN => self.handle_signals(),
                Token(t) if (LISTENER_BASE..LISTENER_BASE + self.listeners.len()).contains(&t) => {
                    self.accept(t - LISTENER_BASE)
                }
                Token(t) if t < CLIENT_END => {
                    if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                        // After a FIN or error, read to the end so the close is seen now.
                        self.read_client(t, ev.is_read_closed() || ev.is_error());
                    }
                    if ev.is_writable() {
                        self.write_client(t);
                    }
                }
                _ => R::on_event(self, ev),
            }
        }
    }

    /// Serve clients without waiting, from inside a long operation (loading the dataset):
    /// accept, run what arrived (commands refused while loading get -LOADING), write replies.
    /// The cron does not run; a shutdown request is left in `srv.shutdown` for the caller.
    pub fn serve_while_blocked(&mut self, events: &mut Events) {
        if let Err(e) = self.poll.poll(events, Some(Duration::ZERO)) {
            if e.kind() != io::ErrorKind::Interrupted {
                return;
            }
        }
        self.srv.now_ms = crate::util::now_ms();
        self.dispatch(events);
        self.flush_pending();
    }

    fn handle_signals(&mut self) {
        for sig in self.signals.pending() {
            let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
            warn!("Received {name} scheduling shutdown...");
            if self.srv.shutdown.is_none() {
                self.srv.shutdown = Some(Shutdown::Default);
            }
        }
    }

    fn accept(&mut self, idx: usize) {
        loop {
            let res = match self.listeners.get(idx) {
                Some(l) => l.accept(),
                None => return,
            };
            match res {
                Ok((stream, peer)) => admit(&mut self.srv, self.poll.registry(), stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("Accepting client connection: {e}");
                    return;
                }
            }
        }
    }

    /// Read everything available (mio is edge-triggered), then run every complete command.
    fn read_client(&mut self, token: usize, drain: bool) {
        let limit = self.srv.config.client_query_buffer_limit;
        let Some(c) = self.srv.clients.get_mut(token) else {
            return;
        };
        let (nread_total, closed) = read_socket(c, &mut self.read_buf, drain, limit);
        c.net_in += nread_total;
        self.srv.stats.total_reads_processed += 1;
        self.srv.stats.net_input_bytes += nread_total;
        if nread_total > 0 {
            c.last_interaction_ms = self.srv.now_ms;
        }
        self.process_input(token);
        if closed {
            self.free_client(token);
        }
    }

    /// Parse and execute every complete command in the client's query buffer.
    pub fn process_input(&mut self, token: usize) {
        if !self.srv.clients.contains(token) {
            return;
        }
        let mut client = self.srv.clients.remove(token);
        let max_bulk = self.srv.config.proto_max_bulk_len;
        let limit = self.srv.config.client_query_buffer_limit;
        self.srv.cmd_clock = std::time::Instant::now();
        loop {
            if client.close_after_reply || client.close_asap || self.srv.shutdown.is_some() {
                break;
            }
            if client.blocked.is_some() || crate::cmd::client::is_paused_for(&self.srv, &client) {
                break;
            }
            let mut args = match client.postponed.take() {
                Some(args) => args,
                None => {
                    let auth_required = self.srv.auth_required(&client);
                    let (buf, mut pos) = (&client.query, client.qpos);
                    let res = client.decoder.next(buf, &mut pos, max_bulk, auth_required);
                    client.qpos = pos;
                    match res {
                        Ok(None) => break,
                        Ok(Some(args)) => args,
                        Err(e) => {
                            let msg = format!("ERR Protocol error: {}", e.0);
                            crate::server::count_error(&mut self.srv, &msg);
                            client.reply_always(&Reply::Error(msg));
                            info!(
                                "Protocol error ({}) from client: id={} addr={}",
                                e.0, client.id, client.addr
                            );
                            client.close_after_reply = true;
                            break;
                        }
                    }
                }
            };
            if args.is_empty() {
                R::empty_line(&mut self.srv, &client);
                continue;
            }
            if self.srv.pause != crate::server::Pause::None {
                let cmd = crate::server::resolve(&self.srv, &args).ok();
                if crate::cmd::client::blocks_command(&self.srv, &client, cmd) {
                    client.postponed = Some(args);
                    break;
                }
            }
            if client.reply_mode == ReplyMode::SkipNext {
                client.reply_mode = ReplyMode::Skip;
            }
            let reply = R::execute(&mut self.srv, &mut client, &mut args);
            client.reply(&reply);
            let srv = &mut self.srv;
            crate::server::obuf::enforce(&srv.config, &mut srv.stats, &mut client, srv.now_ms);
            if client.reply_mode == ReplyMode::Skip {
                client.reply_mode = ReplyMode::On;
            }
        }
        if client.pending_query() > limit {
            // Log, tell the client why (Redis 7.0 drops it silently; a clear error is kinder to
            // whoever debugs the client), close it, and leave everyone else alone.
            warn!(
                "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                client.id,
                client.addr,
                client.pending_query()
            );
            client.reply_always(&Reply::err(QBUF_LIMIT_ERR));
            client.close_after_reply = true;
            client.query.clear();
            client.qpos = 0;
            client.decoder = crate::resp::Decoder::new();
            self.srv.stats.client_qbuf_limit_disconnections += 1;
        }
        // Compact the query buffer once everything was consumed or the consumed part is large.
        if client.qpos == client.query.len() {
            client.query.clear();
            client.qpos = 0;
        } else if client.qpos > IOBUF_LEN {
            client.query.drain(..client.qpos);
            client.qpos = 0;
        }
        let needs_write =
            client.pending_output() > 0 || client.close_after_reply || client.close_asap;
        if needs_write && !client.pending_write {
            client.pending_write = true;
            self.srv.pending_writes.push(token);
        }
        // The slab hands back the slot just vacated as long as nothing was inserted meanwhile
        // (handlers never create clients); a different key would misroute this connection.
        let t = self.srv.clients.insert(client);
        assert_eq!(t, token, "client slot moved while its commands ran");
    }

    /// Write as much of the client's output as the socket takes: its output buffer, then what
    /// the role writes after it (a replica receiving its RDB: the payload, then the stream that
    /// follows it). Returns false if closed.
    fn write_client(&mut self, token: usize) -> bool {
        let mut written = 0u64;
        let mut err = false;
        let mut payload_waits = false;
        for _ in 0..2 {
            let Some(c) = self.srv.clients.get_mut(token) else {
                return false;
            };
            let (n, e) = write_out(c);
            written += n;
            err |= e;
            if err || c.opos < c.out.len() {
                break;
            }
            let Some(p) = R::write_more(self, token) else {
                break;
            };
            written += p.written;
            err |= p.error;
            payload_waits = p.want_write;
            if err || payload_waits {
                break;
            }
        }
        let Some(c) = self.srv.clients.get_mut(token) else {
            return false;
        };
        c.net_out += written;
        if written > 0 {
            self.srv.stats.total_writes_processed += 1;
        }
        self.srv.stats.net_output_bytes += written;
        if c.opos == c.out.len() {
            c.out.clear();
            c.opos = 0;
            if c.out.capacity() > 64 * 1024 {
                c.out.shrink_to(16 * 1024);
            }
        }
        let remaining = c.opos < c.out.len() || payload_waits;
        let close = err || (!remaining && c.close_after_reply);
        if !close && remaining != c.want_write {
            c.want_write = remaining;
            let interest = if remaining {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if let Some(conn) = c.conn.as_mut() {
                let _ = self
                    .poll
                    .registry()
                    .reregister(conn, Token(token), interest);
            }
        }
        if close {
            self.free_client(token);
            return false;
        }
        true
    }

    /// Before sleeping: let clients woken by the end of a CLIENT PAUSE run their buffered
    /// input, then write every pending reply (freeing clients marked for closing).
    fn flush_pending(&mut self) {
        for t in self.woken_by_unpause() {
            self.process_input(t);
        }
        // Clients just unblocked run the input they buffered meanwhile; that may unblock
        // others in turn. Bounded: each round needs a client that was blocked until now.
        for _ in 0..self.srv.clients.len() + 1 {
            let woken = R::take_unblocked(&mut self.srv);
            if woken.is_empty() {
                break;
            }
            for t in woken {
                self.process_input(t);
            }
        }
        for t in std::mem::take(&mut self.srv.pending_writes) {
            let Some(c) = self.srv.clients.get_mut(t) else {
                continue;
            };
            c.pending_write = false;
            if c.close_asap {
                self.free_client(t);
            } else {
                self.write_client(t);
            }
        }
    }

    /// Clients with buffered or postponed input when a CLIENT PAUSE has just ended.
    fn woken_by_unpause(&mut self) -> Vec<usize> {
        if !crate::cmd::client::pause_just_ended(&mut self.srv) {
            return Vec::new();
        }
        self.srv
            .clients
            .iter()
            .filter(|(_, c)| c.pending_query() > 0 || c.postponed.is_some())
            .map(|(t, _)| t)
            .collect()
    }

    fn close_marked_clients(&mut self) {
        let marked: Vec<usize> = self
            .srv
            .clients
            .iter()
            .filter(|(_, c)| c.close_asap)
            .map(|(t, _)| t)
            .collect();
        for t in marked {
            self.free_client(t);
        }
    }

    pub fn free_client(&mut self, token: usize) {
        if !self.srv.clients.contains(token) {
            return;
        }
        let mut c = self.srv.clients.remove(token);
        R::forget(&mut self.srv, token, &mut c);
        if let Some(conn) = c.conn.as_mut() {
            let _ = self.poll.registry().deregister(conn);
        }
    }

    fn flush_all_best_effort(&mut self) {
        let tokens: Vec<usize> = self.srv.clients.iter().map(|(t, _)| t).collect();
        for t in tokens {
            if let Some(c) = self.srv.clients.get_mut(t) {
                if let Some(conn) = c.conn.as_mut() {
                    let _ = conn.write(&c.out[c.opos..]);
                }
            }
        }
    }
}

/// Write the client's output buffer until the socket would block. Returns (bytes, failed).
/// Take a new connection as a client (or refuse it as Redis does: maxclients, protected mode).
fn admit<R>(
    srv: &mut Server<R>,
    registry: &mio::Registry,
    mut stream: TcpStream,
    peer: SocketAddr,
) {
    let _ = stream.set_nodelay(true);
    if srv.config.tcp_keepalive > 0 {
        let _ = nix::sys::socket::setsockopt(&stream, nix::sys::socket::sockopt::KeepAlive, &true);
    }
    if srv.clients.len() >= srv.config.maxclients {
        let _ = stream.write(b"-ERR max number of clients reached\r\n");
        srv.stats.rejected_connections += 1;
        return;
    }
    if srv.config.protected_mode
        && srv.config.requirepass.is_none()
        && !crate::util::is_loopback_ip(peer.ip())
    {
        let _ = stream.write(DENIED_MSG.as_bytes());
        srv.stats.rejected_connections += 1;
        return;
    }
    let entry = srv.clients.vacant_entry();
    let token = entry.key();
    if registry
        .register(&mut stream, Token(token), Interest::READABLE)
        .is_err()
    {
        return;
    }
    let id = srv.next_client_id;
    srv.next_client_id += 1;
    let mut c = Client::new(id, token, Some(stream), srv.now_ms);
    c.authenticated = srv.config.requirepass.is_none();
    entry.insert(Box::new(c));
    srv.stats.total_connections_received += 1;
}

/// Read what the client's socket holds into its query buffer (everything when `drain`, else
/// up to a short read). Returns the bytes read and whether the connection closed.
fn read_socket(c: &mut Client, buf: &mut [u8], drain: bool, limit: usize) -> (u64, bool) {
    let mut closed = false;
    let mut nread_total = 0u64;
    if let Some(conn) = c.conn.as_mut() {
        loop {
            if c.qpos > 0 && c.qpos == c.query.len() {
                c.query.clear();
                c.qpos = 0;
            }
            match conn.read(buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    c.query.extend_from_slice(&buf[..n]);
                    nread_total += n as u64;
                    // A short read drained the socket: data arriving later raises a new
                    // edge, so skip the read that would only return WouldBlock.
                    if (!drain && n < buf.len()) || c.query.len() - c.qpos > limit {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
    }
    (nread_total, closed)
}

#[inline]
fn write_out(c: &mut Client) -> (u64, bool) {
    let mut written = 0u64;
    let Some(conn) = c.conn.as_mut() else {
        c.out.clear();
        c.opos = 0;
        return (0, false);
    };
    while c.opos < c.out.len() {
        match conn.write(&c.out[c.opos..]) {
            Ok(0) => return (written, true),
            Ok(n) => {
                c.opos += n;
                written += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return (written, true),
        }
    }
    (written, false)
}
