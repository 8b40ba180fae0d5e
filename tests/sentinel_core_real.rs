//! The sentinel decision core (`oxidis::sentinel::Sentinel`) against REAL data nodes: three
//! in-process `Sentinel`s, driven by a small blocking-socket driver written here, monitor a
//! real master with two real replicas (redis-server, and oxidis nodes), the master is killed,
//! and the core must fail over for real: INFO parsing, the SLAVEOF MULTI block, hellos over
//! real pub/sub, then the old master restarted on its port converted to a replica. Sentinel to
//! sentinel traffic is routed in-process (no sentinel port is opened).
//!
//! The sockets are the server's own outbound driver (`oxidis::event_loop::outbound`, through
//! `sentinel_links::InstLink` for the reply tags and frames), on a mio `Poll` of this test's:
//! what differs from the server is only the clock, the in-process peers, and the polling
//! (every 10 ms, not event-driven).
mod common;

use common::*;
use mio::{Events, Poll, Token, Waker};
use oxidis::event_loop::outbound::{Outbound, Ready, WAKE_TOKEN};
use oxidis::event_loop::sentinel_links::InstLink;
use oxidis::resp::frame::Frame;
use oxidis::sentinel::state::MasterRecord;
use oxidis::sentinel::{Action, Event, LinkKind, Sentinel, XorShift};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A connect not completed by then is a failed link.
const CONNECT_TIMEOUT_MS: i64 = 300;

type Key = (u64, LinkKind);

struct Node {
    s: Sentinel,
    rng: XorShift,
    links: BTreeMap<Key, InstLink>,
    /// In-process links to other sentinels: (inst, link) -> sentinel index.
    peer_links: BTreeMap<u64, usize>,
    events: Vec<String>,
}

struct Driver {
    t0: Instant,
    nodes: Vec<Node>,
    queue: VecDeque<(usize, Event)>,
    poll: Poll,
    waker: Arc<Waker>,
    /// Socket token -> (node, link); a link's entry goes with it.
    tokens: HashMap<Token, (usize, Key)>,
    next_token: usize,
}

impl Driver {
    /// Close and forget a link (without telling the core).
    fn drop_link(&mut self, i: usize, key: Key) {
        if let Some(mut l) = self.nodes[i].links.remove(&key) {
            self.tokens.remove(&l.conn.token());
            l.conn.close(self.poll.registry());
        }
    }

    /// The link broke: close it and report `LinkDown`.
    fn link_down(&mut self, i: usize, key: Key) {
        self.drop_link(i, key);
        self.queue.push_back((
            i,
            Event::LinkDown {
                inst: key.0,
                link: key.1,
            },
        ));
    }

    fn now(&self) -> i64 {
        1_000_000 + self.t0.elapsed().as_millis() as i64
    }

    fn deliver(&mut self, i: usize, ev: Event) {
        let now = self.now();
        let n = &mut self.nodes[i];
        n.s.handle(ev, now, &mut n.rng);
        self.drain(i);
    }

    fn peer_of(&self, port: u16) -> Option<usize> {
        self.nodes.iter().position(|n| n.s.port == port)
    }

    fn exec(&mut self, i: usize, a: Action) {
        match a {
            Action::Connect {
                inst,
                link,
                host,
                port,
            } => {
                self.drop_link(i, (inst, link));
                self.nodes[i].peer_links.remove(&inst);
                if let Some(j) = self.peer_of(port) {
                    self.nodes[i].peer_links.insert(inst, j);
                    self.queue.push_back((
                        i,
                        Event::LinkUp {
                            inst,
                            link,
                            local_ip: "127.0.0.1".into(),
                        },
                    ));
                    return;
                }
                let token = Token(self.next_token);
                self.next_token += 1;
                let now = self.now();
                match Outbound::connect(&host, port, token, now, self.poll.registry(), &self.waker)
                {
                    Ok(conn) => {
                        self.nodes[i]
                            .links
                            .insert((inst, link), InstLink::new(inst, link, conn));
                        self.tokens.insert(token, (i, (inst, link)));
                    }
                    Err(_) => self.queue.push_back((i, Event::LinkDown { inst, link })),
                }
            }
            Action::Disconnect { inst, link } => {
                self.drop_link(i, (inst, link));
                self.nodes[i].peer_links.remove(&inst);
            }
            Action::Send {
                inst,
                link,
                argv,
                tag,
            } => {
                if let Some(&j) = self.nodes[i].peer_links.get(&inst) {
                    let reply = self.serve_peer(j, &argv);
                    self.queue.push_back((
                        i,
                        Event::Reply {
                            inst,
                            link,
                            tag,
                            reply,
                        },
                    ));
                    return;
                }
                let Some(l) = self.nodes[i].links.get_mut(&(inst, link)) else {
                    return;
                };
                let out = oxidis::resp::encode::command(&argv);
                l.queue(&out, tag);
                if l.conn.flush(self.poll.registry()).1.is_err() {
                    self.link_down(i, (inst, link));
                }
            }
            Action::Emit { name, text, .. } => {
                self.nodes[i].events.push(format!("{name} {text}"));
            }
            Action::SaveConfig | Action::StartScript { .. } | Action::KillScript { .. } => {}
            Action::Crash => {
                panic!("sentinel {i} asked to crash (simulate-failure is never set here)")
            }
        }
    }

    fn serve_peer(&mut self, j: usize, argv: &[Vec<u8>]) -> Frame {
        let now = self.now();
        let n = &mut self.nodes[j];
        let r = n.s.answer_peer(argv, now, &mut n.rng);
        self.drain(j);
        r
    }

    fn drain(&mut self, i: usize) {
        for a in self.nodes[i].s.take_actions() {
            self.exec(i, a);
        }
    }

    /// Handle what the sockets are ready for; turn complete replies into events.
    fn poll(&mut self) {
        let mut events = Events::with_capacity(256);
        let _ = self.poll.poll(&mut events, Some(Duration::ZERO));
        let mut scratch = vec![0u8; 16384];
        for ev in events.iter() {
            if ev.token() == WAKE_TOKEN {
                self.resolved();
                continue;
            }
            let Some(&(i, key)) = self.tokens.get(&ev.token()) else {
                continue;
            };
            let Some(l) = self.nodes[i].links.get_mut(&key) else {
                continue;
            };
            let closed = ev.is_read_closed() || ev.is_error();
            let was_up = l.conn.is_connected();
            match l.conn.on_ready(ev.is_writable(), closed) {
                Ready::Pending => continue,
                Ready::Failed => {
                    self.link_down(i, key);
                    continue;
                }
                Ready::Connected if !was_up => {
                    let local_ip = l.conn.local_ip();
                    self.queue.push_back((
                        i,
                        Event::LinkUp {
                            inst: key.0,
                            link: key.1,
                            local_ip,
                        },
                    ));
                }
                Ready::Connected => {}
            }
            let mut ok = true;
            if ev.is_writable() {
                ok = l.conn.flush(self.poll.registry()).1.is_ok();
            }
            if ok && (ev.is_readable() || closed) {
                let queue = &mut self.queue;
                ok = l.read(&mut scratch, |e| queue.push_back((i, e))).1;
            }
            if !ok {
                self.link_down(i, key);
            }
        }
        self.run_queue();
    }

    /// A name resolution ended: start the connects whose answer is in.
    fn resolved(&mut self) {
        for i in 0..self.nodes.len() {
            let keys: Vec<Key> = self.nodes[i].links.keys().copied().collect();
            for key in keys {
                let Some(l) = self.nodes[i].links.get_mut(&key) else {
                    continue;
                };
                if l.conn.poll_resolution(self.poll.registry()).is_err() {
                    self.link_down(i, key);
                }
            }
        }
    }

    /// Links whose connect did not complete in time are down.
    fn expire_connects(&mut self) {
        let now = self.now();
        for i in 0..self.nodes.len() {
            let stale: Vec<Key> = self.nodes[i]
                .links
                .iter()
                .filter(|(_, l)| l.conn.expired(now, CONNECT_TIMEOUT_MS))
                .map(|(k, _)| *k)
                .collect();
            for key in stale {
                self.link_down(i, key);
            }
        }
    }

    fn run_queue(&mut self) {
        while let Some((i, ev)) = self.queue.pop_front() {
            self.deliver(i, ev);
        }
    }

    fn tick(&mut self) {
        self.expire_connects();
        self.run_queue();
        for i in 0..self.nodes.len() {
            self.deliver(i, Event::Tick);
            self.run_queue();
        }
    }

    /// Run (polling every 10 ms, ticking every 100 ms) until `f` or `secs` pass.
    fn run_until(&mut self, secs: u64, mut f: impl FnMut(&Driver) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut next_tick = Instant::now();
        while Instant::now() < deadline {
            if f(self) {
                return true;
            }
            self.poll();
            if Instant::now() >= next_tick {
                self.tick();
                next_tick += Duration::from_millis(100);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        f(self)
    }

    fn agreed(&self) -> Option<u16> {
        let mut it = self
            .nodes
            .iter()
            .map(|n| n.s.masters["mymaster"].current_addr().1);
        let first = it.next()?;
        it.all(|p| p == first).then_some(first)
    }

    fn dump(&self) -> String {
        let mut s = String::new();
        for (i, n) in self.nodes.iter().enumerate() {
            for e in &n.events {
                s.push_str(&format!("S{i} {e}\n"));
            }
        }
        s
    }
}

fn role_of(port: u16) -> (String, Option<u16>) {
    let Ok(s) = TcpStream::connect(("127.0.0.1", port)) else {
        return ("down".into(), None);
    };
    let mut c = Conn::from_stream(s);
    let Ok(info) = c.try_cmd(&["INFO", "replication"]) else {
        return ("down".into(), None);
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    let role = info_field(&info, "role").unwrap_or_default();
    let mp = info_field(&info, "master_port").and_then(|p| p.parse().ok());
    (role, mp)
}

fn start_node(bin: &Path, port: u16, extra: &[String]) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("node.conf");
    std::fs::write(&conf, "").expect("conf");
    let mut cmd = Command::new(bin);
    cmd.arg(&conf)
        .args(["--port", &port.to_string(), "--save", ""])
        .args(["--dir", &dir.path().display().to_string()])
        .args(extra);
    spawn_ready(cmd, dir, port)
}

/// A driver with `n` in-process sentinels monitoring `master` (quorum 2, down-after 1 s).
fn driver(n: usize, master: u16) -> Driver {
    let poll = Poll::new().expect("poll");
    let waker = Arc::new(Waker::new(poll.registry(), WAKE_TOKEN).expect("waker"));
    let mut d = Driver {
        t0: Instant::now(),
        nodes: Vec::new(),
        queue: VecDeque::new(),
        poll,
        waker,
        tokens: HashMap::new(),
        next_token: 1,
    };
    for i in 0..n {
        let mut s = Sentinel::new(format!("{:040x}", 0xabc0 + i), 40000 + i as u16);
        let id = s.alloc_id();
        let mut m = MasterRecord::new(id, "mymaster", "127.0.0.1", master, 2, d.now());
        m.inst.down_after_ms = 1000;
        m.failover_timeout = 10_000;
        s.masters.insert("mymaster".into(), m);
        s.previous_tick = d.now();
        d.nodes.push(Node {
            s,
            rng: XorShift(0x1234 + i as u64),
            links: BTreeMap::new(),
            peer_links: BTreeMap::new(),
            events: Vec::new(),
        });
    }
    d
}

/// A master and two replicas of it, on fresh ports.
fn start_trio(bin: &Path) -> (Vec<u16>, Vec<Option<Proc>>) {
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let replicaof = vec![
        "--replicaof".to_string(),
        "127.0.0.1".into(),
        ports[0].to_string(),
    ];
    let procs = vec![
        Some(start_node(bin, ports[0], &[])),
        Some(start_node(bin, ports[1], &replicaof)),
        Some(start_node(bin, ports[2], &replicaof)),
    ];
    (ports, procs)
}

/// Wait for discovery (2 replicas, 2 other sentinels each), kill the master (`procs[0]`), wait
/// until every in-process sentinel agrees on another master with no failover running; returns
/// its port. `extra` goes into failure messages.
fn kill_master_and_fail_over(d: &mut Driver, procs: &mut [Option<Proc>], extra: &str) -> u16 {
    let ok = d.run_until(30, |d| {
        d.nodes.iter().all(|n| {
            let m = &n.s.masters["mymaster"];
            m.replicas.len() == 2 && m.sentinels.len() == 2
        })
    });
    assert!(ok, "discovery:\n{}\n{extra}", d.dump());
    // Let replicas sync and INFO refresh before the kill.
    d.run_until(3, |_| false);
    let old = procs[0].as_ref().map_or(0, |p| p.port);
    procs[0] = None; // killed (SIGKILL on drop)
    let ok = d.run_until(60, |d| {
        d.agreed().is_some_and(|p| p != old)
            && d.nodes
                .iter()
                .all(|n| n.s.masters["mymaster"].failover_state.name() == "none")
    });
    assert!(ok, "no failover:\n{}\n{extra}", d.dump());
    d.agreed().unwrap_or(0)
}

fn failover_for_real(bin: &Path) {
    let (ports, mut procs) = start_trio(bin);
    let mut d = driver(3, ports[0]);
    let old = ports[0];
    let newp = kill_master_and_fail_over(&mut d, &mut procs, "");
    let other = if newp == ports[1] { ports[2] } else { ports[1] };
    assert_eq!(role_of(newp).0, "master");
    let ok = d.run_until(30, |_| role_of(other) == ("slave".into(), Some(newp)));
    assert!(
        ok,
        "other replica not repointed: {:?}\n{}",
        role_of(other),
        d.dump()
    );
    // The old master comes back (as a master, its own config) and is converted.
    procs[0] = Some(start_node(bin, old, &[]));
    let ok = d.run_until(40, |_| role_of(old) == ("slave".into(), Some(newp)));
    assert!(
        ok,
        "old master not converted: {:?}\n{}",
        role_of(old),
        d.dump()
    );
    let all = d.dump();
    assert!(all.contains("+convert-to-slave slave "), "{all}");
    assert_eq!(all.matches("+promoted-slave").count(), 1, "{all}");
    assert_eq!(d.agreed(), Some(newp));
}

#[test]
fn core_fails_over_real_redis_nodes() {
    if !have_redis() {
        return;
    }
    failover_for_real(Path::new("redis-server"));
}

#[test]
fn core_fails_over_oxidis_nodes() {
    failover_for_real(&oxidis_bin());
}

/// Two core sentinels and one real redis-sentinel (which cannot reach the in-process ones, so
/// only ours can lead): the real one learns ours from hellos, gives its vote, and follows the
/// failover our leader performs through our hellos.
#[test]
fn core_and_real_redis_sentinel_mixed_quorum() {
    if !have_redis() {
        return;
    }
    let bin = Path::new("redis-server");
    let (ports, mut procs) = start_trio(bin);
    let sport = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("sentinel.conf");
    std::fs::write(
        &conf,
        format!(
            "port {sport}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {} 2\n\
             sentinel down-after-milliseconds mymaster 1000\n\
             sentinel failover-timeout mymaster 10000\n",
            ports[0]
        ),
    )
    .expect("conf");
    let mut cmd = Command::new("redis-sentinel");
    cmd.arg(&conf);
    let real = spawn_ready(cmd, dir, sport);
    let mut d = driver(2, ports[0]);
    let newp = kill_master_and_fail_over(&mut d, &mut procs, &real.logs());
    let asked = |c: &mut Conn| {
        let r = c.cmd(&["SENTINEL", "get-master-addr-by-name", "mymaster"]);
        String::from_utf8_lossy(&r).contains(&format!("\r\n{newp}\r\n"))
    };
    let ok = d.run_until(30, |_| asked(&mut real.conn()));
    assert!(
        ok,
        "real sentinel did not follow:\n{}\n{}",
        d.dump(),
        real.logs()
    );
    let logs = real.logs();
    assert!(logs.contains("+sentinel sentinel "), "{logs}");
    assert!(logs.contains("+switch-master mymaster"), "{logs}");
    // The real sentinel voted for our leader.
    assert!(
        logs.contains("+vote-for-leader 000000000000000000000000000000000000abc"),
        "{logs}"
    );
}
