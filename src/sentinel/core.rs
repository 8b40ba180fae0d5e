//! The sentinel as one state machine: `Sentinel` owns every master record, takes `Event`s (a
//! link came up or went down, a reply arrived, a pub/sub message arrived, time passed) with the
//! current time and an injected random source, and queues `Action`s (connect, send a command,
//! publish an event, persist the config) for the driver to execute. It never touches a socket or
//! reads the clock, so tests drive several sentinels over a simulated network with no sleeps.
//!
//! Contract with the driver (`event_loop::sentinel_links`):
//! - the driver keeps at most one command link and one pub/sub link per `InstId`;
//! - replies on a link come back in the order the `Send`s for that link were executed, each
//!   with the `ReqTag` given in its `Send` (the driver keeps the FIFO of tags);
//! - a link that fails or closes yields `LinkDown` once; pending tags on it are dropped;
//! - `tick` is called at least every 100 ms (Redis runs the sentinel timer at hz 10, with jitter).
//! - records may be added to or removed from `masters` between calls (SENTINEL MONITOR/REMOVE):
//!   the next tick connects whatever link is missing; events for unknown ids are ignored; the
//!   caller removing a record closes its links (`Action::Disconnect`).
//!
//! For the API and config: `MasterRecord::announced_addr` is the address to report
//! (GET-MASTER-ADDR-BY-NAME) and to persist in `sentinel monitor`; `persisted_replicas` the
//! `known-replica` list; `Sentinel::timers` the SENTINEL DEBUG periods; `describe` Redis's `%@`;
//! `Sentinel::event` logs/publishes an event and runs the notification script.
use super::resolve::Resolver;
use super::scripts::Scripts;
use super::state::{InstId, Instance, MasterRecord, Role, SentinelSettings, Timers};
use crate::resp::frame::Frame;
use std::collections::{BTreeMap, VecDeque};

/// Which of an instance's two links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkKind {
    /// Commands: AUTH, CLIENT SETNAME, PING, INFO, PUBLISH hello, IS-MASTER-DOWN-BY-ADDR,
    /// failover commands.
    Cmd,
    /// `SUBSCRIBE __sentinel__:hello` (masters and replicas only).
    PubSub,
}

/// What a sent command was for, so its reply can be routed back to the right handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReqTag {
    /// AUTH, CLIENT SETNAME, SUBSCRIBE: reply only checked for errors.
    Setup,
    Ping,
    Info,
    /// PUBLISH of our hello message.
    Hello,
    /// SENTINEL IS-MASTER-DOWN-BY-ADDR sent to the sentinel with this run id, for this master.
    IsMasterDown {
        master: String,
    },
    /// Any command of the failover (MULTI ... EXEC, SLAVEOF), for this master.
    Failover {
        master: String,
    },
    /// SCRIPT KILL on -BUSY.
    ScriptKill,
    /// Reply ignored.
    Ignore,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Time passed; run every periodic job (pings, INFO, hellos, down checks, failover).
    Tick,
    LinkUp {
        inst: InstId,
        link: LinkKind,
        /// Our local address on this link (Redis announces it in hellos when no announce-ip).
        local_ip: String,
    },
    LinkDown {
        inst: InstId,
        link: LinkKind,
    },
    Reply {
        inst: InstId,
        link: LinkKind,
        tag: ReqTag,
        reply: Frame,
    },
    /// A pub/sub `message` on a pub/sub link (channel `__sentinel__:hello`).
    Message {
        inst: InstId,
        channel: Vec<u8>,
        payload: Vec<u8>,
    },
    /// A hello received directly from another sentinel (a client PUBLISHing to our
    /// `__sentinel__:hello`, as Redis sentinels do when they send hellos to sentinels).
    HelloFromClient {
        payload: Vec<u8>,
    },
    /// The driver started script job `job` (from `Action::StartScript`) as process `pid`.
    ScriptStarted {
        job: u64,
        pid: u32,
    },
    /// The driver could not start script job `job` (not executable, no such file...).
    ScriptStartFailed {
        job: u64,
    },
    /// Script process `pid` ended: exit `status` (0 when killed) or killed by `signal` (0 when
    /// it exited).
    ScriptExited {
        pid: u32,
        status: i32,
        signal: i32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open a link to `host:port` for `inst` (replacing any existing one of that kind).
    Connect {
        inst: InstId,
        link: LinkKind,
        host: String,
        port: u16,
    },
    /// Close a link (no LinkDown event follows).
    Disconnect { inst: InstId, link: LinkKind },
    /// Send one command on a link.
    Send {
        inst: InstId,
        link: LinkKind,
        argv: Vec<Vec<u8>>,
        tag: ReqTag,
    },
    /// An event: log it (`+sdown master mymaster 127.0.0.1 6379`, at `warning` level unless
    /// `debug`) and publish `text` on the pub/sub channel `name` of this sentinel.
    Emit {
        name: String,
        text: String,
        debug: bool,
    },
    /// Persist the learned state now (config rewrite: temp file, fsync, rename).
    SaveConfig,
    /// SENTINEL SIMULATE-FAILURE asked to crash at this point: the driver exits at once
    /// (status 99, as Redis), running none of the actions queued after this one.
    Crash,
    /// Start script job `job`: `argv[0]` is the program, the rest its arguments; report
    /// `ScriptStarted` with the child's pid (or `ScriptStartFailed`), then `ScriptExited`.
    StartScript { job: u64, argv: Vec<String> },
    /// Kill script process `pid` with SIGKILL (it ran too long); `ScriptExited` follows.
    KillScript { pid: u32 },
}

/// Random source, injected so simulated runs are reproducible.
pub trait Rng {
    fn next_u64(&mut self) -> u64;
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

/// xorshift64*, seeded from /dev/urandom in production and from a constant in tests.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn from_entropy() -> Self {
        let hex = crate::util::random_hex40();
        let seed = u64::from_str_radix(&hex[..16], 16).unwrap_or(0x9e37_79b9_7f4a_7c15);
        XorShift(seed | 1)
    }
}

impl Rng for XorShift {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The whole sentinel.
pub struct Sentinel {
    /// 40 hex chars, persisted as `sentinel myid`.
    pub myid: String,
    pub current_epoch: u64,
    /// Monitored masters by name.
    pub masters: BTreeMap<String, MasterRecord>,
    pub settings: SentinelSettings,
    /// Address and port other sentinels should use for us (announce-ip/port, else the
    /// listening port and the local address of the link the hello goes out on).
    pub port: u16,
    pub tilt: bool,
    pub tilt_start_time: i64,
    /// `now` at the previous tick (TILT detection).
    pub previous_tick: i64,
    /// Notification and client-reconfig script jobs (SENTINEL PENDING-SCRIPTS, INFO).
    pub scripts: Scripts,
    /// SENTINEL SIMULATE-FAILURE flags.
    pub simfailure_crash_after_election: bool,
    pub simfailure_crash_after_promotion: bool,
    /// Timer periods (SENTINEL DEBUG).
    pub timers: Timers,
    /// Host name resolution (the system's; tests inject a fixed table).
    pub resolver: Resolver,
    /// Next `InstId` to hand out.
    next_id: InstId,
    out: VecDeque<Action>,
}

impl Sentinel {
    pub fn new(myid: String, port: u16) -> Self {
        Sentinel {
            myid,
            current_epoch: 0,
            masters: BTreeMap::new(),
            settings: SentinelSettings::default(),
            port,
            tilt: false,
            tilt_start_time: 0,
            previous_tick: 0,
            scripts: Scripts::default(),
            simfailure_crash_after_election: false,
            simfailure_crash_after_promotion: false,
            timers: Timers::default(),
            resolver: super::resolve::system_resolve,
            next_id: 1,
            out: VecDeque::new(),
        }
    }

    pub fn alloc_id(&mut self) -> InstId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The IP of `host` (Redis's `anetResolve`): an IP literal always, a name only with
    /// resolve-hostnames.
    pub fn resolve(&self, host: &str) -> Option<String> {
        super::resolve::resolve(host, self.settings.resolve_hostnames, self.resolver)
    }

    /// Whether `host` (from INFO, a hello, a request) names instance `i`: same IP once
    /// resolved, else the same host name (Redis's `sentinelAddrEqualsHostname`).
    pub fn same_host(&self, i: &Instance, host: &str) -> bool {
        match self.resolve(host) {
            Some(ip) => ip == i.ip || (i.ip.is_empty() && i.host.eq_ignore_ascii_case(host)),
            None => i.host.eq_ignore_ascii_case(host),
        }
    }

    /// `Instance::shown` under the current announce-hostnames setting.
    pub fn shown<'a>(&self, i: &'a Instance) -> &'a str {
        i.shown(self.settings.announce_hostnames)
    }

    /// Queue an action for the driver.
    pub fn push(&mut self, a: Action) {
        self.out.push_back(a);
    }

    /// Queue an event to log and publish, formatted as Redis's `sentinelEvent` does.
    pub fn emit(&mut self, name: &str, text: String) {
        self.push(Action::Emit {
            name: name.to_string(),
            text,
            debug: false,
        });
    }

    /// Next action for the driver to execute, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.out.pop_front()
    }

    /// Every queued action, in order.
    pub fn take_actions(&mut self) -> Vec<Action> {
        self.out.drain(..).collect()
    }

    /// Feed one event: ticks run the periodic jobs (`monitor`), replies are routed by their
    /// `ReqTag`, hellos go to `hello`. Events about instances that no longer exist are ignored.
    pub fn handle(&mut self, ev: Event, now: i64, rng: &mut dyn Rng) {
        match ev {
            Event::Tick => {
                self.tick(now, rng);
                self.script_timer(now);
            }
            Event::LinkUp {
                inst,
                link,
                local_ip,
            } => {
                self.with_inst(inst, |s, m, who| s.link_up(m, &who, link, local_ip, now));
            }
            Event::LinkDown { inst, link } => {
                self.with_inst(inst, |s, m, who| s.link_down(m, &who, link));
            }
            Event::Reply {
                inst,
                link,
                tag,
                reply,
            } => {
                self.with_inst(inst, |s, m, who| {
                    s.on_reply(m, &who, link, tag, &reply, now)
                });
            }
            Event::Message {
                inst,
                channel,
                payload,
            } => {
                self.with_inst(inst, |_, m, who| {
                    if let Some(i) = inst_of_mut(m, &who) {
                        i.link.pc_last_activity = now;
                    }
                });
                if channel == HELLO_CHANNEL.as_bytes() {
                    self.process_hello(&payload, now);
                }
            }
            Event::HelloFromClient { payload } => self.process_hello(&payload, now),
            Event::ScriptStarted { job, pid } => self.script_started(job, pid),
            Event::ScriptStartFailed { job } => self.script_start_failed(job),
            Event::ScriptExited {
                pid,
                status,
                signal,
            } => self.script_exited(pid, status, signal, now),
        }
    }

    /// Log and publish an event, formatted as Redis's `sentinelEvent` (the text is already
    /// formatted: `master mymaster 127.0.0.1 6379 #quorum 2/2`); warning-level events also run
    /// the master's notification-script with `<type> <text>`.
    pub fn event(&mut self, m: Option<&MasterRecord>, level: Level, kind: &str, text: String) {
        let script = if level == Level::Warning {
            m.and_then(|m| m.notification_script.clone())
        } else {
            None
        };
        self.push(Action::Emit {
            name: kind.to_string(),
            text: text.clone(),
            debug: level <= Level::Verbose,
        });
        if let Some(path) = script {
            self.schedule_script(vec![path, kind.to_string(), text]);
        }
    }

    /// An event about instance `who` of `m`, text `%@ <rest>` as Redis prints it.
    pub(crate) fn event_at(
        &mut self,
        m: &MasterRecord,
        who: &Who,
        level: Level,
        kind: &str,
        rest: &str,
    ) {
        let Some(i) = inst_of(m, who) else { return };
        let mut text = describe(m, i, self.settings.announce_hostnames);
        if !rest.is_empty() {
            text.push(' ');
            text.push_str(rest);
        }
        self.event(Some(m), level, kind, text);
    }

    /// Where instance `id` lives: its master's name and which instance of that master.
    pub fn locate(&self, id: InstId) -> Option<(String, Who)> {
        for (name, m) in &self.masters {
            if m.inst.id == id {
                return Some((name.clone(), Who::Master));
            }
            if let Some((k, _)) = m.replicas.iter().find(|(_, r)| r.id == id) {
                return Some((name.clone(), Who::Replica(k.clone())));
            }
            if let Some((k, _)) = m.sentinels.iter().find(|(_, r)| r.id == id) {
                return Some((name.clone(), Who::Sentinel(k.clone())));
            }
        }
        None
    }

    /// Run `f` on the master record holding instance `id`, taken out of `masters` for the call
    /// (so `f` can queue actions on `self` while changing the record).
    pub(crate) fn with_inst<R>(
        &mut self,
        id: InstId,
        f: impl FnOnce(&mut Self, &mut MasterRecord, Who) -> R,
    ) -> Option<R> {
        let (name, who) = self.locate(id)?;
        let mut m = self.masters.remove(&name)?;
        let r = f(self, &mut m, who);
        self.masters.insert(name, m);
        Some(r)
    }

    /// Run `f` on master `name`, taken out of `masters` for the call.
    pub(crate) fn with_master<R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Self, &mut MasterRecord) -> R,
    ) -> Option<R> {
        let mut m = self.masters.remove(name)?;
        let r = f(self, &mut m);
        self.masters.insert(name.to_string(), m);
        Some(r)
    }

    /// Which master record and which instance `id` belongs to (master itself, a replica, or a
    /// sentinel), if it still exists.
    pub fn find(&self, id: InstId) -> Option<(&str, super::state::Role)> {
        for (name, m) in &self.masters {
            if m.inst.id == id {
                return Some((name, super::state::Role::Master));
            }
            if m.replicas.values().any(|r| r.id == id) {
                return Some((name, super::state::Role::Replica));
            }
            if m.sentinels.values().any(|s| s.id == id) {
                return Some((name, super::state::Role::Sentinel));
            }
        }
        None
    }
}

/// The pub/sub channel sentinels announce themselves on.
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";

/// Redis's log levels, as far as events care: warning-level events run the notification
/// script, verbose/debug ones are only logged (never published).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Verbose,
    Notice,
    Warning,
}

/// One instance of a master record: the master itself, a replica (by `ip:port`) or a sentinel
/// (by run id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    Master,
    Replica(String),
    Sentinel(String),
}

pub fn inst_of<'a>(m: &'a MasterRecord, who: &Who) -> Option<&'a Instance> {
    match who {
        Who::Master => Some(&m.inst),
        Who::Replica(k) => m.replicas.get(k),
        Who::Sentinel(k) => m.sentinels.get(k),
    }
}

pub fn inst_of_mut<'a>(m: &'a mut MasterRecord, who: &Who) -> Option<&'a mut Instance> {
    match who {
        Who::Master => Some(&mut m.inst),
        Who::Replica(k) => m.replicas.get_mut(k),
        Who::Sentinel(k) => m.sentinels.get_mut(k),
    }
}

/// Redis's `%@`: `master <name> <ip> <port>`, or `<slave|sentinel> <name> <ip> <port> @
/// <master-name> <master-ip> <master-port>`; addresses as `Instance::shown`.
pub fn describe(m: &MasterRecord, i: &Instance, hostnames: bool) -> String {
    let (ip, mip) = (i.shown(hostnames), m.inst.shown(hostnames));
    let kind = match i.role {
        Role::Master => return format!("master {} {ip} {}", i.name, i.port),
        Role::Replica => "slave",
        Role::Sentinel => "sentinel",
    };
    format!(
        "{kind} {} {ip} {} @ {} {mip} {}",
        i.name, i.port, m.inst.name, m.inst.port
    )
}

/// Command arguments as bytes.
pub fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}
