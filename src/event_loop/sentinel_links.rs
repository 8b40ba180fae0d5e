//! A sentinel's outgoing links: one command socket and one pub/sub socket per monitored
//! instance (`sentinel::state::InstId`). It executes the sentinel core's actions (connect,
//! send, disconnect, emit, save config, run scripts), parses replies with `resp::frame` and feeds
//! them back as events in the order the commands were sent, and ticks the core every 100 ms.
//! Nothing here decides anything; the core does.
//!
//! Tokens: each socket gets a fresh token from `LINK_BASE` upward, never reused, so a readiness
//! event for a closed socket can never reach a newer one. The range sits far above client slab
//! keys and below the listener and signal tokens.
use super::EventLoop;
use crate::resp::encode::command_into;
use crate::resp::frame::{self, Frame};
use crate::sentinel::{Action, Event, LinkKind, ReqTag, XorShift};
use log::{debug, info, warn};
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Read};
use std::net::ToSocketAddrs;

/// First link token; `LINK_BASE + 2^40` tokens are available before the listener range.
pub const LINK_BASE: usize = usize::MAX / 2;
pub const LINK_END: usize = LINK_BASE + (1 << 40);
/// Sentinel timer period (Redis runs it at hz 10).
const TICK_MS: i64 = 100;
/// A connection attempt not completed by then is a failed link.
const CONNECT_TIMEOUT_MS: i64 = 5000;
/// Unparsed input a link may hold (INFO replies are a few KB): more is a broken peer.
const MAX_INBUF: usize = 32 * 1024 * 1024;
/// Events delivered in one round before yielding to the loop.
const MAX_EVENTS_PER_ROUND: usize = 10_000;

/// One socket to an instance.
struct Link {
    inst: u64,
    kind: LinkKind,
    stream: TcpStream,
    token: usize,
    connected: bool,
    started: i64,
    out: Vec<u8>,
    inbuf: Vec<u8>,
    /// Tags of the commands sent and not answered yet, oldest first.
    tags: VecDeque<ReqTag>,
    want_write: bool,
}

/// The driver's state (inert outside sentinel mode).
pub struct Links {
    by_key: HashMap<(u64, LinkKind), usize>,
    links: HashMap<usize, Link>,
    next_token: usize,
    next_tick: i64,
    rng: XorShift,
    /// Events waiting to be fed to the core.
    events: VecDeque<Event>,
    save_pending: bool,
    /// Running script processes by pid (the queue and its policy are the core's
    /// `sentinel::scripts`).
    scripts: HashMap<u32, std::process::Child>,
}

impl Default for Links {
    fn default() -> Self {
        Links {
            by_key: HashMap::new(),
            links: HashMap::new(),
            next_token: LINK_BASE,
            next_tick: 0,
            rng: XorShift(0x9e37_79b9_7f4a_7c15),
            events: VecDeque::new(),
            save_pending: false,
            scripts: HashMap::new(),
        }
    }
}

/// Events Redis logs at notice level (`*`); the others are warnings (`#`).
fn notice_level(name: &str) -> bool {
    matches!(
        name,
        "+slave"
            | "+sentinel"
            | "+failover-state-send-slaveof-noone"
            | "+failover-state-wait-promotion"
            | "+slave-reconf-sent"
            | "+slave-reconf-inprog"
            | "+slave-reconf-done"
            | "-slave-reconf-sent-timeout"
            | "+convert-to-slave"
            | "+fix-slave-config"
            | "+reboot"
            | "-dup-sentinel"
            | "-slave-restart-as-master"
            | "+role-change"
            | "-role-change"
    )
}

/// A pub/sub push (`message`) read on a pub/sub link: channel and payload.
fn as_message(f: &Frame) -> Option<(Vec<u8>, Vec<u8>)> {
    let items = f.items()?;
    if items.len() == 3 && items[0].bytes() == Some(b"message") {
        return Some((items[1].bytes()?.to_vec(), items[2].bytes()?.to_vec()));
    }
    None
}

impl EventLoop {
    /// When the sentinel wants the loop to wake up next.
    pub(super) fn sentinel_wake(&self) -> Option<i64> {
        self.srv.sentinel.as_ref().map(|_| self.links.next_tick)
    }

    /// Once per loop iteration in sentinel mode: tick when due, feed pending events, execute
    /// every action, reap scripts, and flush the config once if any action asked for it.
    pub(super) fn sentinel_step(&mut self, now: i64) {
        if self.srv.sentinel.is_none() {
            return;
        }
        if now >= self.links.next_tick {
            self.links.next_tick = now + TICK_MS;
            self.expire_connects(now);
            self.reap_scripts();
            self.links.events.push_back(Event::Tick);
        }
        for _ in 0..MAX_EVENTS_PER_ROUND {
            self.run_sentinel_actions(now);
            let Some(ev) = self.links.events.pop_front() else {
                break;
            };
            if let Some(s) = self.srv.sentinel.as_deref_mut() {
                s.handle(ev, now, &mut self.links.rng);
            }
        }
        self.run_sentinel_actions(now);
        if std::mem::take(&mut self.links.save_pending) {
            crate::cmd::sentinel::save_config(&mut self.srv);
        }
    }

    fn run_sentinel_actions(&mut self, now: i64) {
        loop {
            let Some(a) = self
                .srv
                .sentinel
                .as_deref_mut()
                .and_then(|s| s.poll_action())
            else {
                return;
            };
            match a {
                Action::Connect {
                    inst,
                    link,
                    host,
                    port,
                } => self.link_connect(inst, link, &host, port, now),
                Action::Disconnect { inst, link } => {
                    if let Some(t) = self.links.by_key.get(&(inst, link)).copied() {
                        self.link_close(t);
                    }
                }
                Action::Send {
                    inst,
                    link,
                    argv,
                    tag,
                } => {
                    let Some(t) = self.links.by_key.get(&(inst, link)).copied() else {
                        continue;
                    };
                    if let Some(l) = self.links.links.get_mut(&t) {
                        command_into(&mut l.out, &argv);
                        l.tags.push_back(tag);
                    }
                    self.link_flush(t);
                }
                Action::Emit { name, text, debug } => self.sentinel_emit(&name, &text, debug),
                Action::SaveConfig => self.links.save_pending = true,
                Action::Crash => {
                    warn!("Sentinel CRASH because of SENTINEL simulate-failure");
                    std::process::exit(99);
                }
                Action::StartScript { job, argv } => self.start_script(job, &argv),
                Action::KillScript { pid } => {
                    if let Some(c) = self.links.scripts.get_mut(&pid) {
                        // SIGKILL; the exit is reported by the next reap.
                        let _ = c.kill();
                    }
                }
            }
        }
    }

    /// Log an event as Redis does and publish it to local subscribers on its channel.
    fn sentinel_emit(&mut self, name: &str, text: &str, is_debug: bool) {
        if is_debug {
            debug!("{name} {text}");
            return;
        }
        if notice_level(name) {
            info!("{name} {text}");
        } else {
            warn!("{name} {text}");
        }
        crate::server::pubsub::publish(&mut self.srv, None, name.as_bytes(), text.as_bytes());
    }

    fn link_connect(&mut self, inst: u64, kind: LinkKind, host: &str, port: u16, now: i64) {
        if let Some(t) = self.links.by_key.get(&(inst, kind)).copied() {
            self.link_close(t);
        }
        let addr = (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next());
        let token = self.links.next_token;
        self.links.next_token += 1;
        if self.links.next_token >= LINK_END {
            self.links.next_token = LINK_BASE;
        }
        let res = match addr {
            Some(a) => TcpStream::connect(a),
            None => Err(io::Error::other("can't resolve")),
        };
        let registered = res.and_then(|mut s| {
            self.poll.registry().register(
                &mut s,
                Token(token),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Ok(s)
        });
        match registered {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                self.links.by_key.insert((inst, kind), token);
                self.links.links.insert(
                    token,
                    Link {
                        inst,
                        kind,
                        stream,
                        token,
                        connected: false,
                        started: now,
                        out: Vec::new(),
                        inbuf: Vec::new(),
                        tags: VecDeque::new(),
                        want_write: true,
                    },
                );
            }
            Err(_) => self
                .links
                .events
                .push_back(Event::LinkDown { inst, link: kind }),
        }
    }

    /// Close a link without telling the core (it asked, or `link_failed` tells it).
    fn link_close(&mut self, token: usize) {
        if let Some(mut l) = self.links.links.remove(&token) {
            let _ = self.poll.registry().deregister(&mut l.stream);
            if self.links.by_key.get(&(l.inst, l.kind)) == Some(&token) {
                self.links.by_key.remove(&(l.inst, l.kind));
            }
        }
    }

    /// The link broke: close it and report `LinkDown` once.
    fn link_failed(&mut self, token: usize) {
        if let Some(l) = self.links.links.get(&token) {
            let (inst, link) = (l.inst, l.kind);
            self.link_close(token);
            self.links.events.push_back(Event::LinkDown { inst, link });
        }
    }

    fn expire_connects(&mut self, now: i64) {
        let stale: Vec<usize> = self
            .links
            .links
            .values()
            .filter(|l| !l.connected && now - l.started > CONNECT_TIMEOUT_MS)
            .map(|l| l.token)
            .collect();
        for t in stale {
            self.link_failed(t);
        }
    }

    /// Readiness on a link socket.
    pub(super) fn link_io(&mut self, token: usize, readable: bool, writable: bool, closed: bool) {
        let Some(l) = self.links.links.get_mut(&token) else {
            return;
        };
        if !l.connected {
            if !(writable || closed) {
                return;
            }
            let ok = matches!(l.stream.take_error(), Ok(None)) && l.stream.peer_addr().is_ok();
            if !ok {
                self.link_failed(token);
                return;
            }
            l.connected = true;
            let local_ip = l
                .stream
                .local_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default();
            self.links.events.push_back(Event::LinkUp {
                inst: l.inst,
                link: l.kind,
                local_ip,
            });
        }
        if writable {
            self.link_flush(token);
        }
        if readable || closed {
            self.link_read(token);
        }
    }

    fn link_read(&mut self, token: usize) {
        let mut failed = false;
        {
            let Some(l) = self.links.links.get_mut(&token) else {
                return;
            };
            loop {
                match l.stream.read(&mut self.read_buf) {
                    Ok(0) => {
                        failed = true;
                        break;
                    }
                    Ok(n) => {
                        l.inbuf.extend_from_slice(&self.read_buf[..n]);
                        self.srv.stats.net_input_bytes += n as u64;
                        if l.inbuf.len() > MAX_INBUF {
                            failed = true;
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            let mut pos = 0;
            loop {
                match frame::parse(&l.inbuf[pos..]) {
                    Ok(Some((f, used))) => {
                        pos += used;
                        if l.kind == LinkKind::PubSub {
                            if let Some((channel, payload)) = as_message(&f) {
                                self.links.events.push_back(Event::Message {
                                    inst: l.inst,
                                    channel,
                                    payload,
                                });
                                continue;
                            }
                        }
                        let tag = l.tags.pop_front().unwrap_or(ReqTag::Ignore);
                        self.links.events.push_back(Event::Reply {
                            inst: l.inst,
                            link: l.kind,
                            tag,
                            reply: f,
                        });
                    }
                    Ok(None) => break,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            l.inbuf.drain(..pos);
        }
        if failed {
            self.link_failed(token);
        }
    }

    fn link_flush(&mut self, token: usize) {
        let Some(l) = self.links.links.get_mut(&token) else {
            return;
        };
        if !l.connected {
            return;
        }
        let (written, res) = super::outgoing::write_pending(
            &mut l.stream,
            &mut l.out,
            &mut l.want_write,
            self.poll.registry(),
            Token(token),
        );
        self.srv.stats.net_output_bytes += written as u64;
        if res.is_err() {
            self.link_failed(token);
        }
    }

    /// Start one script job (stdin/stdout/stderr to /dev/null) and report its pid.
    fn start_script(&mut self, job: u64, argv: &[String]) {
        let Some((path, args)) = argv.split_first() else {
            self.links
                .events
                .push_back(Event::ScriptStartFailed { job });
            return;
        };
        let child = std::process::Command::new(path)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        match child {
            Ok(child) => {
                let pid = child.id();
                self.links.scripts.insert(pid, child);
                self.links
                    .events
                    .push_back(Event::ScriptStarted { job, pid });
            }
            Err(e) => {
                warn!("Can't execute script {path}: {e}");
                self.links
                    .events
                    .push_back(Event::ScriptStartFailed { job });
            }
        }
    }

    /// Collect the scripts that ended and report them (status, or the signal that killed it).
    fn reap_scripts(&mut self) {
        use std::os::unix::process::ExitStatusExt;
        let mut ended = Vec::new();
        for (pid, child) in self.links.scripts.iter_mut() {
            match child.try_wait() {
                Ok(None) => {}
                Ok(Some(st)) => {
                    ended.push((*pid, st.code().unwrap_or(0), st.signal().unwrap_or(0)))
                }
                // Lost track of it: report it as a failure that is not retried.
                Err(_) => ended.push((*pid, 2, 0)),
            }
        }
        ended.sort_unstable();
        for (pid, status, signal) in ended {
            self.links.scripts.remove(&pid);
            self.links.events.push_back(Event::ScriptExited {
                pid,
                status,
                signal,
            });
        }
    }

    /// Seed the RNG from entropy when the loop starts in sentinel mode.
    pub(super) fn sentinel_init(&mut self) {
        if self.srv.sentinel.is_some() {
            self.links.rng = XorShift::from_entropy();
        }
    }
}
