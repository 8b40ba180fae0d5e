//! A sentinel's outgoing links: one command socket and one pub/sub socket per monitored
//! instance (`sentinel::state::InstId`). It executes the sentinel core's actions (connect,
//! send, disconnect, emit, save config, run scripts), parses replies with `resp::frame` and feeds
//! them back as events in the order the commands were sent, and ticks the core every 100 ms.
//! Nothing here decides anything; the core does. The sockets are `outbound::Outbound`s; an
//! `InstLink` adds the reply bookkeeping (tags, frames to events) that
//! tests/sentinel_core_real.rs shares.
//!
//! Tokens: each socket gets a fresh token from `LINK_BASE` upward, never reused, so a readiness
//! event for a closed socket can never reach a newer one. The range sits far above client slab
//! keys and below the listener and signal tokens.
use super::outbound::{self, Outbound, Ready};
use super::{EventLoop, PayloadIo, Serve};
use crate::resp::encode::command;
use crate::resp::frame::{self, Frame};
use crate::resp::Reply;
use crate::sentinel::{Action, Event, LinkKind, ReqTag, Sentinel, XorShift};
use crate::server::client::Client;
use crate::server::command::Args;
use crate::server::Server;
use log::{debug, info, warn};
use mio::Token;
use std::collections::{HashMap, VecDeque};

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

/// One socket to an instance: the connection, the unparsed input, and the tags of the
/// commands sent and not answered yet.
pub struct InstLink {
    pub inst: u64,
    pub kind: LinkKind,
    pub conn: Outbound,
    inbuf: Vec<u8>,
    /// Oldest first.
    tags: VecDeque<ReqTag>,
}

impl InstLink {
    pub fn new(inst: u64, kind: LinkKind, conn: Outbound) -> Self {
        InstLink {
            inst,
            kind,
            conn,
            inbuf: Vec::new(),
            tags: VecDeque::new(),
        }
    }

    /// Queue an encoded command whose reply the core expects under `tag` (`flush` sends it).
    pub fn queue(&mut self, cmd: &[u8], tag: ReqTag) {
        self.conn.queue(cmd);
        self.tags.push_back(tag);
    }

    /// Read what the socket has and hand every complete reply (with the tag of the command it
    /// answers) or pub/sub message to `emit` as an event. Returns the bytes read and whether
    /// the link is still good (false: closed, broken, or a protocol error; its `LinkDown` is
    /// the caller's to report).
    pub fn read(&mut self, scratch: &mut [u8], mut emit: impl FnMut(Event)) -> (usize, bool) {
        let (n, mut ok) = self.conn.read_into(scratch, &mut self.inbuf, MAX_INBUF);
        let mut pos = 0;
        loop {
            match frame::parse(&self.inbuf[pos..]) {
                Ok(Some((f, used))) => {
                    pos += used;
                    if self.kind == LinkKind::PubSub {
                        if let Some((channel, payload)) = as_message(&f) {
                            emit(Event::Message {
                                inst: self.inst,
                                channel,
                                payload,
                            });
                            continue;
                        }
                    }
                    let tag = self.tags.pop_front().unwrap_or(ReqTag::Ignore);
                    emit(Event::Reply {
                        inst: self.inst,
                        link: self.kind,
                        tag,
                        reply: f,
                    });
                }
                Ok(None) => break,
                Err(_) => {
                    ok = false;
                    break;
                }
            }
        }
        self.inbuf.drain(..pos);
        (n, ok)
    }
}

/// The driver's state.
pub struct Links {
    by_key: HashMap<(u64, LinkKind), usize>,
    links: HashMap<usize, InstLink>,
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

/// What the loop does for a sentinel: its links to the instances it monitors, the core's
/// ticks and actions. It has no dataset, no replicas and nothing that blocks.
impl Serve for Sentinel {
    type Links = Links;

    fn execute(srv: &mut Server<Sentinel>, client: &mut Client, args: &mut Args) -> Reply {
        crate::dispatch::execute_sentinel(srv, client, args)
    }

    /// Seed the RNG from entropy.
    fn start(el: &mut EventLoop<Sentinel>) {
        el.links.rng = XorShift::from_entropy();
    }

    fn wake_at(el: &EventLoop<Sentinel>) -> Option<i64> {
        Some(el.links.next_tick)
    }

    fn on_event(el: &mut EventLoop<Sentinel>, ev: &mio::event::Event) {
        match ev.token() {
            outbound::WAKE_TOKEN => el.links_resolved(),
            Token(t) if (LINK_BASE..LINK_END).contains(&t) => el.link_io(
                t,
                ev.is_readable(),
                ev.is_writable(),
                ev.is_read_closed() || ev.is_error(),
            ),
            _ => {}
        }
    }

    fn step(el: &mut EventLoop<Sentinel>, now: i64) {
        el.sentinel_step(now);
    }

    fn cron(srv: &mut Server<Sentinel>, now: i64) {
        crate::cron::clients_tick(srv, now);
    }

    fn before_flush(_srv: &mut Server<Sentinel>) {}

    fn empty_line(_srv: &mut Server<Sentinel>, _client: &Client) {}

    fn take_unblocked(_srv: &mut Server<Sentinel>) -> Vec<usize> {
        Vec::new()
    }

    fn write_more(_el: &mut EventLoop<Sentinel>, _token: usize) -> Option<PayloadIo> {
        None
    }

    fn forget(srv: &mut Server<Sentinel>, _token: usize, client: &mut Client) {
        crate::server::pubsub::forget(srv, client);
    }
}

impl EventLoop<Sentinel> {
    /// Once per loop iteration: tick when due, feed pending events, execute every action, reap
    /// scripts, and flush the config once if any action asked for it.
    fn sentinel_step(&mut self, now: i64) {
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
            self.srv.role.handle(ev, now, &mut self.links.rng);
        }
        self.run_sentinel_actions(now);
        if std::mem::take(&mut self.links.save_pending) {
            crate::cmd::sentinel::save_config(&self.srv);
        }
    }

    fn run_sentinel_actions(&mut self, now: i64) {
        loop {
            let Some(a) = self.srv.role.poll_action() else {
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
                        l.queue(&command(&argv), tag);
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
        let token = self.links.next_token;
        self.links.next_token += 1;
        if self.links.next_token >= LINK_END {
            self.links.next_token = LINK_BASE;
        }
        let res = Outbound::connect(
            host,
            port,
            Token(token),
            now,
            self.poll.registry(),
            &self.waker,
        );
        match res {
            Ok(conn) => {
                self.links.by_key.insert((inst, kind), token);
                self.links
                    .links
                    .insert(token, InstLink::new(inst, kind, conn));
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
            l.conn.close(self.poll.registry());
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
            .iter()
            .filter(|(_, l)| l.conn.expired(now, CONNECT_TIMEOUT_MS))
            .map(|(t, _)| *t)
            .collect();
        for t in stale {
            self.link_failed(t);
        }
    }

    /// Readiness on a link socket.
    fn link_io(&mut self, token: usize, readable: bool, writable: bool, closed: bool) {
        let Some(l) = self.links.links.get_mut(&token) else {
            return;
        };
        let was_up = l.conn.is_connected();
        match l.conn.on_ready(writable, closed) {
            Ready::Pending => return,
            Ready::Failed => {
                self.link_failed(token);
                return;
            }
            Ready::Connected if !was_up => self.links.events.push_back(Event::LinkUp {
                inst: l.inst,
                link: l.kind,
                local_ip: l.conn.local_ip(),
            }),
            Ready::Connected => {}
        }
        if writable {
            self.link_flush(token);
        }
        if readable || closed {
            self.link_read(token);
        }
    }

    fn link_read(&mut self, token: usize) {
        let Some(l) = self.links.links.get_mut(&token) else {
            return;
        };
        let events = &mut self.links.events;
        let (n, ok) = l.read(&mut self.read_buf, |ev| events.push_back(ev));
        self.srv.stats.net_input_bytes += n as u64;
        if !ok {
            self.link_failed(token);
        }
    }

    /// A name resolution finished (the waker fired): start the connects whose answer is in.
    fn links_resolved(&mut self) {
        let resolving: Vec<usize> = self
            .links
            .links
            .iter()
            .filter(|(_, l)| l.conn.is_resolving())
            .map(|(t, _)| *t)
            .collect();
        for t in resolving {
            let Some(l) = self.links.links.get_mut(&t) else {
                continue;
            };
            if l.conn.poll_resolution(self.poll.registry()).is_err() {
                self.link_failed(t);
            }
        }
    }

    fn link_flush(&mut self, token: usize) {
        let Some(l) = self.links.links.get_mut(&token) else {
            return;
        };
        let (written, res) = l.conn.flush(self.poll.registry());
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
}
