//! A simulated network for the sentinel state machines (tests only): several `Sentinel`s and
//! fake data nodes (answering PING, INFO, the SLAVEOF MULTI block, PUBLISH, SUBSCRIBE with
//! `Frame`s and tracking their role and master) connected by a router that can drop requests,
//! partition endpoints, kill and restart nodes, restart a sentinel from its persisted state and
//! jump a sentinel's clock. Time is a number; nothing sleeps; every run is seeded.
use super::core::{Action, Event, LinkKind, Sentinel, XorShift};
use super::state::{MasterRecord, Role};
use crate::resp::frame::Frame;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// An endpoint of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ep {
    Node(usize),
    Sent(usize),
}

/// A fake Redis data node.
pub struct Node {
    pub port: u16,
    pub runid: String,
    pub alive: bool,
    /// None: master; Some(port): replica of 127.0.0.1:port.
    pub master_of: Option<u16>,
    pub offset: i64,
    pub priority: i64,
    /// Answer PING with `-LOADING` (a node still loading its data set after a restart).
    pub loading: bool,
    /// The node's `rename-command` pairs (original, new): the new name runs the command, the
    /// original one is unknown.
    pub renamed: Vec<(String, String)>,
    /// Pub/sub subscribers: (sentinel, link owner id).
    subs: BTreeSet<(usize, u64)>,
}

struct Conn {
    target: Ep,
    multi: Option<Vec<Vec<Vec<u8>>>>,
}

pub struct SimSentinel {
    pub s: Sentinel,
    rng: XorShift,
    pub clock_offset: i64,
    pub up: bool,
    conns: BTreeMap<(u64, LinkKind), Conn>,
    pub saves: usize,
}

/// One emitted event: (sentinel, time, name, text, failover epoch of mymaster at that time).
pub type Logged = (usize, i64, String, String, u64);

type DropFn = Box<dyn FnMut(i64, usize, Ep, &[Vec<u8>]) -> bool>;

pub struct Net {
    pub now: i64,
    pub nodes: Vec<Node>,
    pub sents: Vec<SimSentinel>,
    cut: BTreeSet<(Ep, Ep)>,
    queue: VecDeque<(usize, Event)>,
    pub log: Vec<Logged>,
    pub drop: Option<DropFn>,
    /// Scripts run: (sentinel, path, args).
    pub scripts: Vec<(usize, String, Vec<String>)>,
    /// When true, every command delivered is recorded in `sent`: (sentinel, target, argv).
    pub record: bool,
    pub sent: Vec<(usize, Ep, Vec<Vec<u8>>)>,
}

pub const NODE_BASE: u16 = 7000;
pub const SENT_BASE: u16 = 26000;
pub const HOST: &str = "127.0.0.1";
pub const NAME: &str = "mymaster";

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok() -> Frame {
    Frame::Simple(b"OK".to_vec())
}

impl Net {
    /// `nodes` data nodes (node 0 master, the others its replicas) and `sentinels` sentinels
    /// monitoring node 0 with `quorum`.
    pub fn new(nodes: usize, sentinels: usize, quorum: u32, seed: u64) -> Net {
        let mut net = Net {
            now: 1_000_000,
            nodes: Vec::new(),
            sents: Vec::new(),
            cut: BTreeSet::new(),
            queue: VecDeque::new(),
            log: Vec::new(),
            drop: None,
            scripts: Vec::new(),
            record: false,
            sent: Vec::new(),
        };
        for i in 0..nodes {
            net.nodes.push(Node {
                port: NODE_BASE + i as u16,
                runid: format!("{:040x}", 0xd0d0_0000u64 + i as u64),
                alive: true,
                master_of: if i == 0 { None } else { Some(NODE_BASE) },
                offset: 1000,
                priority: 100,
                loading: false,
                renamed: Vec::new(),
                subs: BTreeSet::new(),
            });
        }
        for i in 0..sentinels {
            let myid = format!("{:x}{:039x}", i + 1, i);
            let mut s = Sentinel::new(myid, SENT_BASE + i as u16);
            let id = s.alloc_id();
            let mut m = MasterRecord::new(id, NAME, HOST, NODE_BASE, quorum, net.now);
            m.inst.down_after_ms = 1000;
            m.failover_timeout = 10_000;
            s.masters.insert(NAME.into(), m);
            s.previous_tick = net.now;
            net.sents.push(SimSentinel {
                s,
                rng: XorShift(seed.wrapping_mul(31).wrapping_add(i as u64 * 7919) | 1),
                clock_offset: 0,
                up: true,
                conns: BTreeMap::new(),
                saves: 0,
            });
        }
        net
    }

    fn ep_of(&self, port: u16) -> Option<Ep> {
        if let Some(i) = self.nodes.iter().position(|n| n.port == port) {
            return Some(Ep::Node(i));
        }
        self.sents
            .iter()
            .position(|x| x.s.port == port)
            .map(Ep::Sent)
    }

    fn alive(&self, e: Ep) -> bool {
        match e {
            Ep::Node(i) => self.nodes[i].alive,
            Ep::Sent(i) => self.sents[i].up,
        }
    }

    fn reachable(&self, a: Ep, b: Ep) -> bool {
        self.alive(a) && self.alive(b) && !self.cut.contains(&(a.min(b), a.max(b)))
    }

    pub fn partition(&mut self, a: Ep, b: Ep) {
        self.cut.insert((a.min(b), a.max(b)));
    }

    pub fn sentinel_now(&self, i: usize) -> i64 {
        self.now + self.sents[i].clock_offset
    }

    /// Deliver one event to sentinel `i` and execute what it asks.
    fn deliver(&mut self, i: usize, ev: Event) {
        if !self.sents[i].up {
            return;
        }
        let now = self.sentinel_now(i);
        let sim = &mut self.sents[i];
        sim.s.handle(ev, now, &mut sim.rng);
        self.drain(i);
    }

    fn drain(&mut self, i: usize) {
        for a in self.sents[i].s.take_actions() {
            self.exec(i, a);
        }
    }

    fn exec(&mut self, i: usize, a: Action) {
        match a {
            Action::Connect {
                inst, link, port, ..
            } => {
                self.close(i, inst, link);
                let target = self.ep_of(port);
                match target {
                    Some(t) if self.reachable(Ep::Sent(i), t) => {
                        self.sents[i].conns.insert(
                            (inst, link),
                            Conn {
                                target: t,
                                multi: None,
                            },
                        );
                        self.queue.push_back((
                            i,
                            Event::LinkUp {
                                inst,
                                link,
                                local_ip: HOST.into(),
                            },
                        ));
                    }
                    _ => self.queue.push_back((i, Event::LinkDown { inst, link })),
                }
            }
            Action::Disconnect { inst, link } => self.close(i, inst, link),
            Action::Send {
                inst,
                link,
                argv,
                tag,
            } => {
                let Some(target) = self.sents[i].conns.get(&(inst, link)).map(|c| c.target) else {
                    return;
                };
                if !self.reachable(Ep::Sent(i), target) {
                    return;
                }
                if let Some(d) = self.drop.as_mut() {
                    if d(self.now, i, target, &argv) {
                        return;
                    }
                }
                if self.record {
                    self.sent.push((i, target, argv.clone()));
                }
                let reply = self.serve(i, inst, link, target, &argv);
                self.queue.push_back((
                    i,
                    Event::Reply {
                        inst,
                        link,
                        tag,
                        reply,
                    },
                ));
            }
            Action::Emit { name, text, .. } => {
                let epoch = self.sents[i]
                    .s
                    .masters
                    .get(NAME)
                    .map_or(0, |m| m.failover_epoch);
                self.log.push((i, self.now, name, text, epoch));
            }
            Action::SaveConfig => self.sents[i].saves += 1,
            Action::Crash => {
                panic!("simulated sentinel {i} asked to crash (no sim test sets simulate-failure)")
            }
            Action::StartScript { job, argv } => {
                // Every script starts and exits 0 at once.
                let pid = self.scripts.len() as u32 + 100;
                let mut argv = argv.into_iter();
                let path = argv.next().unwrap_or_default();
                self.scripts.push((i, path, argv.collect()));
                self.queue.push_back((i, Event::ScriptStarted { job, pid }));
                let exit = Event::ScriptExited {
                    pid,
                    status: 0,
                    signal: 0,
                };
                self.queue.push_back((i, exit));
            }
            Action::KillScript { .. } => {}
        }
    }

    fn close(&mut self, i: usize, inst: u64, link: LinkKind) {
        if let Some(c) = self.sents[i].conns.remove(&(inst, link)) {
            if let Ep::Node(n) = c.target {
                self.nodes[n].subs.remove(&(i, inst));
            }
        }
    }

    /// The reply of endpoint `target` to a command from sentinel `i` on link (inst, link).
    fn serve(
        &mut self,
        i: usize,
        inst: u64,
        link: LinkKind,
        target: Ep,
        argv: &[Vec<u8>],
    ) -> Frame {
        let cmd = argv
            .first()
            .map(|a| s(a).to_uppercase())
            .unwrap_or_default();
        match target {
            Ep::Sent(j) => self.serve_sentinel(j, argv),
            Ep::Node(n) => {
                // The node's rename-command: back to the original name, or unknown.
                let mut argv = argv.to_vec();
                let mut cmd = cmd;
                if let Some(name) = argv.first_mut() {
                    let renamed = &self.nodes[n].renamed;
                    if let Some((orig, _)) = renamed
                        .iter()
                        .find(|(_, new)| new.eq_ignore_ascii_case(&cmd))
                    {
                        *name = orig.as_bytes().to_vec();
                        cmd = orig.to_uppercase();
                    } else if renamed
                        .iter()
                        .any(|(orig, _)| orig.eq_ignore_ascii_case(&cmd))
                    {
                        return Frame::Error(
                            format!("ERR unknown command '{}'", s(name)).into_bytes(),
                        );
                    }
                }
                let argv = argv.as_slice();
                let Some(c) = self.sents[i].conns.get_mut(&(inst, link)) else {
                    return self.serve_node(i, inst, n, argv);
                };
                if cmd == "MULTI" {
                    c.multi = Some(Vec::new());
                    return ok();
                }
                if cmd == "EXEC" {
                    let queued = c.multi.take().unwrap_or_default();
                    let replies = queued
                        .iter()
                        .map(|a| self.serve_node(i, inst, n, a))
                        .collect();
                    return Frame::Array(Some(replies));
                }
                if let Some(q) = c.multi.as_mut() {
                    q.push(argv.to_vec());
                    return Frame::Simple(b"QUEUED".to_vec());
                }
                self.serve_node(i, inst, n, argv)
            }
        }
    }

    fn serve_sentinel(&mut self, j: usize, argv: &[Vec<u8>]) -> Frame {
        let now = self.sentinel_now(j);
        let sim = &mut self.sents[j];
        let r = sim.s.answer_peer(argv, now, &mut sim.rng);
        self.drain(j);
        r
    }

    fn serve_node(&mut self, i: usize, inst: u64, n: usize, argv: &[Vec<u8>]) -> Frame {
        let cmd = argv
            .first()
            .map(|a| s(a).to_uppercase())
            .unwrap_or_default();
        match cmd.as_str() {
            "PING" if self.nodes[n].loading => {
                Frame::Error(b"LOADING Redis is loading the dataset in memory".to_vec())
            }
            "PING" => Frame::Simple(b"PONG".to_vec()),
            "INFO" => Frame::Bulk(Some(self.info(n).into_bytes())),
            "SLAVEOF" | "REPLICAOF" if argv.len() == 3 => {
                if s(&argv[1]).eq_ignore_ascii_case("no") {
                    self.nodes[n].master_of = None;
                } else {
                    self.nodes[n].master_of = s(&argv[2]).parse().ok();
                }
                ok()
            }
            "SUBSCRIBE" => {
                self.nodes[n].subs.insert((i, inst));
                Frame::Array(Some(vec![
                    Frame::Bulk(Some(b"subscribe".to_vec())),
                    Frame::Bulk(argv.get(1).cloned()),
                    Frame::Int(1),
                ]))
            }
            "PUBLISH" if argv.len() == 3 => {
                let subs: Vec<(usize, u64)> = self.nodes[n].subs.iter().copied().collect();
                let mut count = 0;
                for (j, id) in subs {
                    let live = self.sents[j]
                        .conns
                        .get(&(id, LinkKind::PubSub))
                        .is_some_and(|c| c.target == Ep::Node(n));
                    if live && self.reachable(Ep::Node(n), Ep::Sent(j)) {
                        count += 1;
                        self.queue.push_back((
                            j,
                            Event::Message {
                                inst: id,
                                channel: argv[1].clone(),
                                payload: argv[2].clone(),
                            },
                        ));
                    }
                }
                Frame::Int(count)
            }
            "SCRIPT" => Frame::Error(b"NOTBUSY No scripts in execution right now.".to_vec()),
            "CLIENT" if argv.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"kill")) => {
                Frame::Int(0)
            }
            _ => ok(),
        }
    }

    fn info(&self, n: usize) -> String {
        let node = &self.nodes[n];
        let mut t = format!("# Server\r\nrun_id:{}\r\n# Replication\r\n", node.runid);
        match node.master_of {
            None => {
                t.push_str("role:master\r\n");
                let mut k = 0;
                for r in &self.nodes {
                    if r.alive && r.master_of == Some(node.port) {
                        t.push_str(&format!(
                            "slave{k}:ip={HOST},port={},state=online,offset={},lag=0\r\n",
                            r.port, r.offset
                        ));
                        k += 1;
                    }
                }
            }
            Some(mp) => {
                let up = self.ep_of(mp).is_some_and(|e| match e {
                    Ep::Node(m) => {
                        self.nodes[m].master_of.is_none() && self.reachable(Ep::Node(n), e)
                    }
                    Ep::Sent(_) => false,
                });
                t.push_str(&format!(
                    "role:slave\r\nmaster_host:{HOST}\r\nmaster_port:{mp}\r\nmaster_link_status:{}\r\n",
                    if up { "up" } else { "down" }
                ));
                if !up {
                    t.push_str("master_link_down_since_seconds:1\r\n");
                }
                t.push_str(&format!(
                    "slave_repl_offset:{}\r\nslave_priority:{}\r\nreplica_announced:1\r\n",
                    node.offset, node.priority
                ));
            }
        }
        t
    }

    fn run_queue(&mut self) {
        let mut guard = 0;
        while let Some((i, ev)) = self.queue.pop_front() {
            self.deliver(i, ev);
            guard += 1;
            assert!(guard < 1_000_000, "event storm");
        }
    }

    /// Advance 100 ms: tick every sentinel and deliver everything that follows.
    pub fn step(&mut self) {
        self.now += 100;
        for i in 0..self.sents.len() {
            self.deliver(i, Event::Tick);
            self.run_queue();
        }
    }

    pub fn run_ms(&mut self, ms: i64) {
        let end = self.now + ms;
        while self.now < end {
            self.step();
        }
    }

    /// Step until `f` holds (true) or `ms` elapse (false).
    pub fn run_until(&mut self, ms: i64, mut f: impl FnMut(&Net) -> bool) -> bool {
        let end = self.now + ms;
        while self.now < end {
            if f(self) {
                return true;
            }
            self.step();
        }
        f(self)
    }

    /// Kill a data node: its connections reset (LinkDown to every sentinel holding one).
    pub fn kill_node(&mut self, n: usize) {
        self.nodes[n].alive = false;
        self.nodes[n].subs.clear();
        for i in 0..self.sents.len() {
            let dead: Vec<(u64, LinkKind)> = self.sents[i]
                .conns
                .iter()
                .filter(|(_, c)| c.target == Ep::Node(n))
                .map(|(k, _)| *k)
                .collect();
            for (inst, link) in dead {
                self.sents[i].conns.remove(&(inst, link));
                self.queue.push_back((i, Event::LinkDown { inst, link }));
            }
        }
        self.run_queue();
    }

    /// Restart a data node with its last configuration (role and master kept).
    pub fn revive_node(&mut self, n: usize) {
        self.nodes[n].alive = true;
    }

    /// Restart sentinel `i` from what its config file would hold: same myid, epoch, masters
    /// (current address, config epoch, leader epoch), known replicas and sentinels.
    pub fn restart_sentinel(&mut self, i: usize) {
        let now = self.sentinel_now(i);
        let old = &self.sents[i].s;
        let mut s = Sentinel::new(old.myid.clone(), old.port);
        s.current_epoch = old.current_epoch;
        s.settings = old.settings.clone();
        let masters: Vec<MasterRecord> = old.masters.values().cloned().collect();
        for om in masters {
            let id = s.alloc_id();
            // What the config file holds: the current master address (the promoted replica
            // once the failover reached reconf-slaves) and the replicas as Redis writes them.
            let (host, port) = om.current_addr();
            let mut m = MasterRecord::new(id, &om.inst.name, &host, port, om.quorum, now);
            m.inst.down_after_ms = om.inst.down_after_ms;
            m.failover_timeout = om.failover_timeout;
            m.parallel_syncs = om.parallel_syncs;
            m.inst.config_epoch = om.inst.config_epoch;
            m.leader_epoch = om.leader_epoch;
            // Redis persists `leader-epoch` only, not whom it voted for.
            for (h, p) in om.persisted_replicas(false) {
                let rid = s.alloc_id();
                let key = super::state::addr_key(&h, p);
                let mut x =
                    super::state::Instance::new(rid, Role::Replica, key.clone(), &h, p, now);
                x.down_after_ms = om.inst.down_after_ms;
                m.replicas.insert(key, x);
            }
            for (k, o) in &om.sentinels {
                let sid = s.alloc_id();
                let mut x = super::state::Instance::new(
                    sid,
                    Role::Sentinel,
                    k.clone(),
                    &o.host,
                    o.port,
                    now,
                );
                x.runid = Some(k.clone());
                x.down_after_ms = om.inst.down_after_ms;
                m.sentinels.insert(k.clone(), x);
            }
            s.masters.insert(om.inst.name.clone(), m);
        }
        s.previous_tick = now;
        // Everything connected to the old process is gone.
        let conns: Vec<(u64, LinkKind)> = self.sents[i].conns.keys().copied().collect();
        for (inst, link) in conns {
            self.close(i, inst, link);
        }
        for j in 0..self.sents.len() {
            if j == i {
                continue;
            }
            let dead: Vec<(u64, LinkKind)> = self.sents[j]
                .conns
                .iter()
                .filter(|(_, c)| c.target == Ep::Sent(i))
                .map(|(k, _)| *k)
                .collect();
            for (inst, link) in dead {
                self.sents[j].conns.remove(&(inst, link));
                self.queue.push_back((j, Event::LinkDown { inst, link }));
            }
        }
        self.sents[i].s = s;
        self.run_queue();
    }

    /// Events named `name` so far.
    pub fn events(&self, name: &str) -> Vec<&Logged> {
        self.log.iter().filter(|e| e.2 == name).collect()
    }

    /// The master address every live sentinel believes in, if they agree.
    pub fn agreed_master(&self) -> Option<u16> {
        let mut ports = self
            .sents
            .iter()
            .filter(|x| x.up)
            .map(|x| x.s.masters.get(NAME).map(|m| m.current_addr().1));
        let first = ports.next()??;
        ports.all(|p| p == Some(first)).then_some(first)
    }

    /// Live data nodes that are masters.
    pub fn live_masters(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.alive && n.master_of.is_none())
            .map(|n| n.port)
            .collect()
    }

    pub fn dump_log(&self) -> String {
        self.log
            .iter()
            .map(|(i, t, n, x, e)| format!("S{i} t={} e={e} {n} {x}", t - 1_000_000))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
