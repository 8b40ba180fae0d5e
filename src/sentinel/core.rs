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
use super::state::{InstId, MasterRecord, SentinelSettings};
use crate::resp::frame::Frame;
use std::collections::{BTreeMap, VecDeque};

/// Which of an instance's two links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Run a notification or client-reconfig script with these arguments.
    RunScript { path: String, args: Vec<String> },
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
        let hex = crate::server::random_hex40();
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
    /// Count of running scripts / queued scripts (INFO sentinel).
    pub running_scripts: u32,
    pub scripts_queue_length: u32,
    /// SENTINEL SIMULATE-FAILURE flags.
    pub simfailure_crash_after_election: bool,
    pub simfailure_crash_after_promotion: bool,
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
            running_scripts: 0,
            scripts_queue_length: 0,
            simfailure_crash_after_election: false,
            simfailure_crash_after_promotion: false,
            next_id: 1,
            out: VecDeque::new(),
        }
    }

    pub fn alloc_id(&mut self) -> InstId {
        let id = self.next_id;
        self.next_id += 1;
        id
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

    /// Feed one event. TODO(sentinel-core): route to monitor / hello / info / election /
    /// failover handling.
    pub fn handle(&mut self, ev: Event, now: i64, rng: &mut dyn Rng) {
        let _ = (ev, now, rng);
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
