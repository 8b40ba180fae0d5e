//! Sentinel failover end to end, for any sentinel binary (real `redis-sentinel` or
//! `oxidis --sentinel`) over any data nodes (oxidis or redis-server): three nodes and three
//! sentinels (quorum 2, down-after 1000 ms), the master killed with SIGKILL under a steady write
//! load; a new master is elected, the other replica follows it, the old master comes back as a
//! replica, every sentinel agrees, and the sentinels' files hold the new topology across a
//! restart. Also redis-py's Sentinel client writing across the failover, and a quorum of mixed
//! sentinels. The variants with real redis-sentinel over oxidis nodes are interop tests that
//! run now; the oxidis-sentinel variants wait for issue 6's sentinel.
mod common;
use common::sentinel::*;
use common::*;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn have_tools(sentinels: &[SentinelKind], nodes: NodeKind) -> bool {
    let redis_nodes = nodes == NodeKind::Oxidis || have_redis();
    let redis_sentinels = !sentinels.contains(&SentinelKind::Redis) || have_redis_sentinel();
    redis_nodes && redis_sentinels
}

/// Writes acknowledged by a master: (sequence number, port of the node that said OK).
#[derive(Default)]
struct Acks {
    acked: Vec<(u64, u16)>,
    errors: u64,
}

impl Acks {
    fn on_port(&self, port: u16) -> Vec<u64> {
        self.acked
            .iter()
            .filter(|(_, p)| *p == port)
            .map(|(i, _)| *i)
            .collect()
    }
}

/// A sentinel-aware writer thread: asks the sentinels for the master, then `SET w:<i> <i>` in
/// a loop on it; on any error it asks again. Runs until `stop`.
fn spawn_writer(
    sentinels: Vec<u16>,
    stop: Arc<AtomicBool>,
    acks: Arc<Mutex<Acks>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let master = sentinels.iter().find_map(|&p| master_addr_at(p));
            let conn = master.and_then(|(_, port)| {
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                let s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
                let c = Conn::from_stream(s);
                c.w.set_read_timeout(Some(Duration::from_millis(500)))
                    .ok()?;
                Some((c, port))
            });
            let Some((mut c, port)) = conn else {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let (k, v) = (format!("w:{i}"), i.to_string());
                let ok = matches!(c.try_cmd(&["SET", &k, &v]), Ok(r) if r == b"+OK\r\n");
                if let Ok(mut a) = acks.lock() {
                    if ok {
                        a.acked.push((i, port));
                    } else {
                        a.errors += 1;
                    }
                }
                if !ok {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

/// The issue 6 end-to-end scenario.
fn failover_under_load(nodes: NodeKind, kinds: [SentinelKind; 3]) {
    if !have_tools(&kinds, nodes) {
        return;
    }
    let mut d = Deployment::start(nodes, 3, &kinds, Settings::default());
    let old_port = d.nodes[0].port;
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(Mutex::new(Acks::default()));
    let writer = spawn_writer(d.sentinel_ports(), stop.clone(), acks.clone());
    let acked_on = |port: u16| acks.lock().map(|a| a.on_port(port).len()).unwrap_or(0);
    d.wait(20, "writes acknowledged by the first master", |_| {
        acked_on(old_port) >= 50
    });

    d.nodes[0].kill9();
    let new = d.wait_settled(old_port, 60);
    assert!(new == 1 || new == 2, "the new master is a former replica");
    let acked_elsewhere = || {
        acks.lock()
            .map(|a| a.acked.iter().filter(|(_, p)| *p != old_port).count())
            .unwrap_or(0)
    };
    d.wait(30, "the writer continues on the new master", |_| {
        acked_elsewhere() >= 50
    });

    d.nodes[0].start_ready();
    let m = d.wait_settled(0, 60);
    let m_port = d.nodes[m].port;
    stop.store(true, Ordering::Relaxed);
    let _ = writer.join();
    let (last, errors) = {
        let a = acks.lock().expect("acks");
        (a.acked.last().copied(), a.errors)
    };
    eprintln!("writer: last acknowledged write {last:?}, {errors} failed attempts");
    // The settled master's data reaches every replica, the returned old master included.
    assert_eq!(d.nodes[m].cmd(&["SET", "final", "1"]).text(), "OK");
    for i in (0..3).filter(|&i| i != m) {
        d.wait_key(i, "final", "1", 20);
    }
    assert_eq!(d.agreed_master(), Some(("127.0.0.1".to_string(), m_port)));

    // Every sentinel persisted the new topology and resumes with it after a restart.
    let mut expect_replicas: Vec<u16> = (0..3)
        .filter(|&i| i != m)
        .map(|i| d.nodes[i].port)
        .collect();
    expect_replicas.sort_unstable();
    for i in 0..d.sentinels.len() {
        d.wait(10, "sentinel file holds the new topology", |d| {
            persisted_topology(&d.sentinels[i].config_text())
                == (Some(m_port), expect_replicas.clone())
        });
        d.sentinels[i].restart();
    }
    d.wait(30, "restarted sentinels agree on the new master", |d| {
        d.agreed_master() == Some(("127.0.0.1".to_string(), m_port))
    });
    d.wait_discovery(30);
}

#[test]
fn failover_under_load_redis_sentinels_oxidis_nodes() {
    failover_under_load(NodeKind::Oxidis, [SentinelKind::Redis; 3]);
}

#[test]
fn failover_under_load_oxidis_sentinels_oxidis_nodes() {
    failover_under_load(NodeKind::Oxidis, [SentinelKind::Oxidis; 3]);
}

#[test]
fn failover_under_load_oxidis_sentinels_redis_nodes() {
    failover_under_load(NodeKind::Redis, [SentinelKind::Oxidis; 3]);
}

/// redis-py's `Sentinel(...).master_for(...)` keeps writing across the failover.
fn redis_py_follows_failover(kinds: [SentinelKind; 3]) {
    if !have_tools(&kinds, NodeKind::Oxidis) {
        return;
    }
    if !common::have_redis_py() {
        return;
    }
    let mut d = Deployment::start(NodeKind::Oxidis, 3, &kinds, Settings::default());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/redis_py_sentinel.py"
    );
    let mut args = vec![script.to_string(), MASTER.to_string()];
    args.extend(d.sentinel_ports().iter().map(|p| p.to_string()));
    let mut child = Command::new("python3")
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let out = child.stdout.take().expect("stdout");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if let Ok(mut v) = sink.lock() {
                v.push(l);
            }
        }
    });
    let seen = |prefix: &str| {
        lines
            .lock()
            .map(|v| v.iter().any(|l| l.starts_with(prefix)))
            .unwrap_or(false)
    };
    d.wait(30, "redis-py writes to the first master", |_| seen("ready"));
    d.nodes[0].kill9();
    let deadline = Instant::now() + Duration::from_secs(100);
    let status = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    let printed = lines.lock().map(|v| v.join("\n")).unwrap_or_default();
    eprintln!("redis-py: {printed}\n{err}");
    assert!(
        status.is_some_and(|s| s.success()),
        "redis-py did not keep writing across the failover: {printed}\n{err}\n{}",
        d.all_logs()
    );
}

#[test]
fn redis_py_follows_failover_redis_sentinels() {
    redis_py_follows_failover([SentinelKind::Redis; 3]);
}

#[test]
fn redis_py_follows_failover_oxidis_sentinels() {
    redis_py_follows_failover([SentinelKind::Oxidis; 3]);
}

/// Sentinels of the given kinds agree on the failure and on the new master; every one of them
/// announces `+switch-master <name> <old ip> <old port> <new ip> <new port>` on its pub/sub.
fn quorum_agrees(kinds: [SentinelKind; 3]) {
    if !have_tools(&kinds, NodeKind::Oxidis) {
        return;
    }
    let mut d = Deployment::start(NodeKind::Oxidis, 3, &kinds, Settings::default());
    let events: Vec<Events> = d.sentinels.iter().map(|s| Events::listen(s.port)).collect();
    let old_port = d.nodes[0].port;
    d.nodes[0].kill9();
    d.wait_settled(old_port, 60);
    // Each sentinel announces the switch away from the dead master (a second failover, if
    // one follows, announces more).
    let want = format!("{MASTER} 127.0.0.1 {old_port} 127.0.0.1 ");
    d.wait(20, "+switch-master on every sentinel", |_| {
        events
            .iter()
            .all(|e| e.on("+switch-master").iter().any(|m| m.starts_with(&want)))
    });
    d.wait(10, "+odown on a quorum of sentinels", |_| {
        events.iter().filter(|e| !e.on("+odown").is_empty()).count() >= 2
    });
    let elected: usize = events.iter().map(|e| e.on("+elected-leader").len()).sum();
    assert!(elected >= 1, "a sentinel led the failover");
    for (s, e) in d.sentinels.iter().zip(&events) {
        eprintln!("{}: +switch-master {:?}", s.label, e.on("+switch-master"));
    }
}

#[test]
fn quorum_agrees_redis_sentinels() {
    quorum_agrees([SentinelKind::Redis; 3]);
}

#[test]
fn mixed_quorum_two_oxidis_sentinels_one_redis_sentinel() {
    quorum_agrees([
        SentinelKind::Oxidis,
        SentinelKind::Oxidis,
        SentinelKind::Redis,
    ]);
}
