//! Sentinel safety with real processes (oxidis sentinels over oxidis nodes, quorum 2,
//! down-after 1000 ms):
//! - a master killed with SIGKILL comes back from its own snapshot, still configured as a
//!   master, after the sentinels promoted a replica. Whatever it answers until the sentinels
//!   turn it into a replica, no write sent to it is kept: with `min-replicas-to-write 1` (as in
//!   `etc/node-*.conf`) it refuses every one (`-NOREPLICAS`, then `-READONLY`); without it the
//!   writes it accepts are discarded when it resyncs, and never reach another node;
//! - a sentinel cut off from the other two (they are stopped with SIGSTOP) sees the master down
//!   and tries, but cannot be elected, so no failover happens until the others are back.
mod common;
use common::sentinel::*;
use common::*;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

/// Replies of the writes sent to the returning old master, by kind.
#[derive(Debug, Default)]
struct StaleWrites {
    /// Keys whose `SET` was answered `+OK`.
    accepted: Vec<String>,
    /// Error replies (first word), e.g. `-NOREPLICAS`.
    refused: Vec<String>,
}

/// `SET stale:<i> <i>` every 20 ms on the node at `port` until `done` holds (or 60 s pass),
/// reconnecting while the node is not accepting connections yet.
fn write_until(port: u16, mut done: impl FnMut() -> bool) -> StaleWrites {
    let mut out = StaleWrites::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut conn: Option<Conn> = None;
    let mut i = 0u64;
    while Instant::now() < deadline {
        if conn.is_none() {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            conn = TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .ok()
                .map(Conn::from_stream);
        }
        if let Some(c) = conn.as_mut() {
            i += 1;
            let key = format!("stale:{i}");
            match c.try_cmd(&["SET", &key, "x"]) {
                Ok(r) if r == b"+OK\r\n" => out.accepted.push(key),
                Ok(r) => {
                    let text = String::from_utf8_lossy(&r).to_string();
                    let word = text.split_whitespace().next().unwrap_or("").to_string();
                    out.refused.push(word);
                }
                Err(_) => conn = None,
            }
        }
        if i % 10 == 0 && done() {
            return out;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the old master was not turned into a replica within 60 s: {out:?}");
}

/// The number of `stale:*` keys on node `i`.
fn stale_keys(d: &Deployment, i: usize) -> usize {
    d.nodes[i].cmd(&["KEYS", "stale:*"]).len()
}

/// Kill the master, let the sentinels fail over, bring the old master back from its snapshot
/// (its config still says it is a master) and write to it until it follows the new master.
/// Returns the writes' replies, the deployment and the new master's index.
fn stale_master_returns(node_extra: &[&str]) -> (StaleWrites, Deployment, usize) {
    let settings = Settings {
        node_extra: node_extra.iter().map(|s| s.to_string()).collect(),
        ..Settings::default()
    };
    let kinds = [SentinelKind::Oxidis; 3];
    let mut d = Deployment::start(NodeKind::Oxidis, 3, &kinds, settings);
    let old_port = d.nodes[0].port;
    assert_eq!(d.nodes[0].cmd(&["SET", "before", "1"]).text(), "OK");
    assert_eq!(d.nodes[0].cmd(&["WAIT", "2", "5000"]), Val::Int(2));
    // The snapshot the old master comes back with: stale as soon as the new master writes.
    assert_eq!(d.nodes[0].cmd(&["SAVE"]).text(), "OK");

    d.nodes[0].kill9();
    let m = d.wait_settled(old_port, 60);
    let other = 3 - m;
    // Acknowledged by the new master and its replica: must survive everything that follows.
    d.wait(10, "SET after on the new master", |d| {
        d.nodes[m].try_cmd(&["SET", "after", "1"]) == Some(Val::Str("OK".into()))
    });
    assert_eq!(d.nodes[m].cmd(&["WAIT", "1", "5000"]), Val::Int(1));
    d.wait_key(other, "after", "1", 10);

    d.nodes[0].start();
    let writes = write_until(old_port, || {
        let n = &d.nodes[0];
        n.info_field("role").as_deref() == Some("slave")
            && n.info_field("master_link_status").as_deref() == Some("up")
    });
    eprintln!(
        "old master back: {} writes accepted, {} refused ({:?}...)",
        writes.accepted.len(),
        writes.refused.len(),
        writes.refused.first()
    );
    let m = d.wait_settled(old_port, 60);
    // The new master's data is on every node, the returned old master included.
    for i in 0..3 {
        d.wait_key(i, "before", "1", 10);
        d.wait_key(i, "after", "1", 10);
    }
    (writes, d, m)
}

#[test]
fn returning_stale_master_refuses_writes_with_min_replicas() {
    let extra = ["min-replicas-to-write 1", "min-replicas-max-lag 10"];
    let (writes, d, m) = stale_master_returns(&extra);
    assert!(
        writes.accepted.is_empty(),
        "the stale master acknowledged {:?}\n{}",
        writes.accepted,
        d.all_logs()
    );
    assert!(
        writes.refused.iter().any(|e| e == "-NOREPLICAS"),
        "before it was converted the stale master answered NOREPLICAS: {:?}",
        writes.refused
    );
    let allowed = ["-NOREPLICAS", "-READONLY", "-LOADING", "-MASTERDOWN"];
    assert!(
        writes.refused.iter().all(|e| allowed.contains(&e.as_str())),
        "unexpected replies: {:?}",
        writes.refused
    );
    for i in 0..3 {
        assert_eq!(stale_keys(&d, i), 0, "node {i}");
    }
    // The new master still takes writes (it has a replica in sync).
    assert_eq!(d.nodes[m].cmd(&["SET", "final", "1"]).text(), "OK");
}

#[test]
fn returning_stale_master_writes_are_discarded() {
    let (writes, d, _m) = stale_master_returns(&[]);
    // The sentinels wait 4 hello periods (8 s) of the old master being up before converting
    // it, as Redis does; without min-replicas-to-write it accepts writes meanwhile.
    assert!(
        !writes.accepted.is_empty(),
        "the stale master accepted no write (test precondition): {:?}",
        writes.refused
    );
    // None of them is kept: not on the old master after its resync, not anywhere else.
    for i in 0..3 {
        assert_eq!(stale_keys(&d, i), 0, "node {i} kept stale writes");
    }
    let synced_full = d.nodes[0].log_lines("MASTER <-> REPLICA sync: Finished with success");
    assert!(!synced_full.is_empty(), "{}", d.nodes[0].logs());
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid}");
}

#[test]
fn partitioned_minority_sentinel_cannot_fail_over() {
    // Quorum 1: the lone sentinel reaches O_DOWN by itself, so only the election's majority
    // rule (2 of 3 known sentinels) stands between it and a failover.
    let settings = Settings {
        quorum: 1,
        ..Settings::default()
    };
    let kinds = [SentinelKind::Oxidis; 3];
    let mut d = Deployment::start(NodeKind::Oxidis, 3, &kinds, settings);
    let old_port = d.nodes[0].port;
    let stopped: Vec<u32> = d.sentinels[1..].iter().filter_map(|s| s.pid()).collect();
    assert_eq!(stopped.len(), 2);
    for &p in &stopped {
        signal(p, "-STOP");
    }
    let events = Events::listen(d.sentinels[0].port);
    d.nodes[0].kill9();
    d.wait(20, "the lone sentinel tries to fail over", |_| {
        !events.on("+odown").is_empty() && !events.on("+try-failover").is_empty()
    });
    // Give it time to ask for votes and count them (twice the 1 s down-after, plus the
    // random start delay), then check nothing moved.
    std::thread::sleep(Duration::from_secs(4));
    let moved = events.on("+elected-leader").len() + events.on("+switch-master").len();
    let still = d.master_addr(0);
    for &p in &stopped {
        signal(p, "-CONT");
    }
    assert_eq!(
        moved,
        0,
        "a minority sentinel failed over\n{}",
        d.all_logs()
    );
    assert_eq!(still, Some(("127.0.0.1".to_string(), old_port)));
    // With the others back (their clocks jumped: they may be in TILT for a while, but they
    // vote), the majority elects a leader and the failover completes.
    d.wait(60, "+switch-master once the majority is back", |_| {
        !events.on("+switch-master").is_empty()
    });
}
