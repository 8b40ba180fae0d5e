//! End to end: three oxidis data nodes and three oxidis sentinels (quorum 2, down-after 1000 ms).
//! kill -9 the master: a subscribed client sees `+switch-master`, every sentinel names the same
//! promoted replica, the other replica follows it, the restarted old master is turned into a
//! replica, and the sentinels' files (and a restarted sentinel) hold the new topology.
mod common;
use common::*;
use std::io::BufRead;
use std::process::Command;
use std::time::{Duration, Instant};

fn start_sentinel(master_port: u16) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let conf = format!(
        "port {port}\nsentinel monitor mymaster 127.0.0.1 {master_port} 2\n\
         sentinel down-after-milliseconds mymaster 1000\n\
         sentinel failover-timeout mymaster 10000\n"
    );
    spawn_sentinel(dir, port, &conf)
}

fn spawn_sentinel(dir: tempfile::TempDir, port: u16, conf: &str) -> Proc {
    let path = dir.path().join("sentinel.conf");
    if !conf.is_empty() {
        std::fs::write(&path, conf).unwrap();
    }
    let mut cmd = Command::new(oxidis_bin());
    cmd.arg(&path);
    spawn_ready(cmd, dir, port)
}

fn start_node_on(port: u16, extra: &[&str]) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(oxidis_bin());
    cmd.args(["--port", &port.to_string(), "--save", ""]);
    cmd.args(extra);
    spawn_ready(cmd, dir, port)
}

fn addr(s: &Proc) -> String {
    s.conn()
        .try_cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"])
        .map(|r| String::from_utf8_lossy(&r).to_string())
        .unwrap_or_default()
}

fn sees_all(s: &Proc) -> bool {
    let info = s.conn().s(&["INFO", "sentinel"]);
    info.contains("status=ok") && info.contains("slaves=2,sentinels=3")
}

fn role_line(p: &Proc) -> String {
    p.conn()
        .try_cmd(&["ROLE"])
        .map(|r| String::from_utf8_lossy(&r).replace("\r\n", " "))
        .unwrap_or_default()
}

/// Read pub/sub pushes until a `+switch-master` message arrives or `secs` pass; notes when
/// `+odown` arrived.
fn wait_switch(c: &mut Conn, secs: u64, odown_at: &mut Option<Instant>) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let _ =
        c.r.get_ref()
            .set_read_timeout(Some(Duration::from_millis(500)));
    let mut lines: Vec<String> = Vec::new();
    while Instant::now() < deadline {
        let mut l = String::new();
        match c.r.read_line(&mut l) {
            Ok(0) => return None,
            Ok(_) => {
                lines.push(l.trim_end().to_string());
                let n = lines.len();
                if n >= 4 && lines[n - 3] == "+odown" && odown_at.is_none() {
                    *odown_at = Some(Instant::now());
                }
                if n >= 4 && lines[n - 3] == "+switch-master" {
                    return Some(lines[n - 1].clone());
                }
            }
            Err(_) => continue,
        }
    }
    None
}

#[test]
fn three_sentinels_fail_over_a_killed_master() {
    let mut master = start_oxidis(&[]);
    let mport = master.port;
    let mp = mport.to_string();
    let r1 = start_oxidis(&["--replicaof", "127.0.0.1", &mp]);
    let r2 = start_oxidis(&["--replicaof", "127.0.0.1", &mp]);
    let sentinels: Vec<Proc> = (0..3).map(|_| start_sentinel(mport)).collect();
    assert!(
        wait_until(30, || sentinels.iter().all(sees_all)),
        "sentinels did not see the whole topology:\n{}",
        sentinels[0].logs()
    );
    let mut sub = sentinels[0].conn();
    sub.send(&[b"SUBSCRIBE", b"+switch-master", b"+odown"]);
    let _ = (sub.read_reply(), sub.read_reply());

    let killed = Instant::now();
    master.child.kill().expect("kill -9 master");
    let _ = master.child.wait();

    let mut odown_at = None;
    let msg = wait_switch(&mut sub, 60, &mut odown_at).unwrap_or_else(|| {
        panic!(
            "no +switch-master:\n{}\n{}",
            sentinels[0].logs(),
            sentinels[1].logs()
        )
    });
    // Timings for the failover benchmark (not asserted: machines differ).
    eprintln!(
        "kill -> +odown {:?}, kill -> +switch-master {:?}",
        odown_at.map(|t| t - killed),
        killed.elapsed()
    );
    let parts: Vec<&str> = msg.split(' ').collect();
    assert_eq!(parts.len(), 5, "{msg}");
    assert_eq!(
        &parts[..3],
        &["mymaster", "127.0.0.1", mp.as_str()],
        "{msg}"
    );
    let new_port: u16 = parts[4].parse().unwrap();
    let (promoted, other) = if new_port == r1.port {
        (&r1, &r2)
    } else {
        assert_eq!(new_port, r2.port, "{msg}");
        (&r2, &r1)
    };
    let expected = format!(
        "*2\r\n$9\r\n127.0.0.1\r\n${}\r\n{}\r\n",
        parts[4].len(),
        new_port
    );
    assert!(
        wait_until(30, || sentinels.iter().all(|s| addr(s) == expected)),
        "sentinels disagree: {:?}",
        sentinels.iter().map(addr).collect::<Vec<_>>()
    );
    assert!(role_line(promoted).starts_with("*3 $6 master"));
    assert!(
        wait_until(30, || {
            let r = role_line(other);
            r.contains(&format!("slave $9 127.0.0.1 :{new_port} $9 connected"))
        }),
        "other replica does not follow: {}",
        role_line(other)
    );
    // The sentinels' files name the new master.
    let monitor = format!("sentinel monitor mymaster 127.0.0.1 {new_port} 2");
    assert!(wait_until(20, || sentinels.iter().all(|s| {
        std::fs::read_to_string(s.path("sentinel.conf"))
            .unwrap_or_default()
            .contains(&monitor)
    })));

    // The old master comes back as a master and is turned into a replica of the new one.
    let old = start_node_on(mport, &[]);
    assert!(
        wait_until(60, || role_line(&old)
            .contains(&format!("slave $9 127.0.0.1 :{new_port}"))),
        "old master not reconfigured: {}\n{}",
        role_line(&old),
        sentinels[0].logs()
    );

    // A restarted sentinel resumes with the new topology.
    let mut sentinels = sentinels;
    let mut s0 = sentinels.remove(0);
    let port = s0.port;
    s0.signal("TERM");
    assert!(s0.wait_exit(Duration::from_secs(10)).is_some());
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(s0.path("sentinel.conf"), dir.path().join("sentinel.conf")).unwrap();
    drop(s0);
    let s0 = spawn_sentinel(dir, port, "");
    assert_eq!(addr(&s0), expected);
    assert!(wait_until(30, || {
        let info = s0.conn().s(&["INFO", "sentinel"]);
        info.contains("status=ok") && info.contains("slaves=2,sentinels=3")
    }));
}
