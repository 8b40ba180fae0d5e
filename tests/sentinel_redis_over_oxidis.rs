//! Real Redis Sentinel (7.0) over oxidis data nodes: three real `redis-sentinel`s monitor an
//! oxidis master and two oxidis replicas and fail over when the master is killed with SIGKILL.
//! This proves what the data nodes serve to any sentinel: the INFO fields, `__sentinel__:hello`
//! pub/sub, the MULTI / REPLICAOF NO ONE / CONFIG REWRITE / CLIENT KILL / EXEC block, and a
//! config file rewritten with the new `replicaof`. Also: PUBLISH reaches replicas' subscribers.
mod common;
use common::sentinel::*;
use common::*;

fn skip() -> bool {
    !(have_redis() && have_redis_sentinel())
}

#[test]
fn redis_sentinels_fail_over_oxidis_nodes() {
    fail_over(Settings::default());
}

/// Nodes with `requirepass` + `masterauth`, sentinels with `sentinel auth-pass`.
#[test]
fn redis_sentinels_fail_over_oxidis_nodes_with_password() {
    fail_over(Settings {
        password: Some("s3cret".into()),
        ..Settings::default()
    });
}

fn fail_over(settings: Settings) {
    if skip() {
        return;
    }
    let mut d = Deployment::start(NodeKind::Oxidis, 3, &[SentinelKind::Redis; 3], settings);
    let old_port = d.nodes[0].port;
    assert_eq!(d.nodes[0].cmd(&["SET", "before", "1"]).text(), "OK");
    d.wait_key(1, "before", "1", 10);
    d.wait_key(2, "before", "1", 10);

    d.nodes[0].kill9();
    let new = d.wait_settled(old_port, 60);
    assert!(new == 1 || new == 2, "new master is a former replica");
    let other = 3 - new;
    assert_eq!(d.nodes[new].cmd(&["GET", "before"]).text(), "1");
    assert_eq!(d.nodes[new].cmd(&["SET", "after", "2"]).text(), "OK");
    d.wait_key(other, "after", "2", 10);
    // CONFIG REWRITE (sent by the sentinel in its MULTI block) persisted the new topology.
    d.wait_configs_follow(new, 10);

    // The old master comes back believing it is a master: the sentinels demote it.
    assert!(replicaof_line(&d.nodes[0].config_text()).is_none());
    d.nodes[0].start_ready();
    d.wait(60, "+convert-to-slave of the old master", |d| {
        d.sentinels
            .iter()
            .any(|s| !s.log_lines("+convert-to-slave").is_empty())
    });
    let m = d.wait_settled(0, 60);
    d.wait_key(0, "after", "2", 20);
    d.wait_configs_follow(m, 10);
    let m_port = d.nodes[m].port;
    for s in &d.sentinels {
        assert_eq!(
            master_addr(s),
            Some(("127.0.0.1".to_string(), m_port)),
            "{}",
            s.label
        );
        for l in s.log_lines("+switch-master") {
            eprintln!("{}: {l}", s.label);
        }
    }
}

/// A replica with `replica-priority 0` (INFO `slave_priority:0`) is never promoted.
#[test]
fn replica_priority_zero_is_not_promoted() {
    if skip() {
        return;
    }
    let mut d = Deployment::start(
        NodeKind::Oxidis,
        3,
        &[SentinelKind::Redis; 3],
        Settings::default(),
    );
    assert_eq!(
        d.nodes[1].cmd(&["CONFIG", "SET", "replica-priority", "0"]),
        Val::Str("OK".into())
    );
    let port1 = d.nodes[1].port.to_string();
    // Sentinels read INFO every 10 s.
    d.wait(30, "every sentinel sees slave-priority 0", |d| {
        d.sentinels.iter().all(|s| {
            let Some(Val::Arr(reps)) = s.try_cmd(&["SENTINEL", "REPLICAS", MASTER]) else {
                return false;
            };
            reps.iter().any(|r| {
                r.field("port").as_deref() == Some(port1.as_str())
                    && r.field("slave-priority").as_deref() == Some("0")
            })
        })
    });
    let old_port = d.nodes[0].port;
    d.nodes[0].kill9();
    // Only node 2 may be promoted (node 1 has priority 0, node 0 is dead).
    assert_eq!(d.wait_settled(old_port, 60), 2);
}

/// Read one pub/sub message from a subscribed connection.
fn next_message(c: &mut Conn) -> Val {
    parse(&c.read_reply())
}

fn check_publish_reaches(replica: &Proc, master: &Proc) {
    assert!(
        wait_until(30, || {
            let i =
                String::from_utf8_lossy(&replica.conn().cmd(&["INFO", "replication"])).to_string();
            info_field(&i, "master_link_status").as_deref() == Some("up")
        }),
        "replica did not sync: {}",
        replica.logs()
    );
    let mut sub = replica.conn();
    sub.cmd(&["SUBSCRIBE", "__sentinel__:hello"]);
    let mut ssub = replica.conn();
    ssub.cmd(&["SSUBSCRIBE", "shard"]);
    let mut m = master.conn();
    // The master has no subscribers: 0 receivers, but the message travels to the replica.
    assert_eq!(m.cmd(&["PUBLISH", "__sentinel__:hello", "hi"]), b":0\r\n");
    assert_eq!(m.cmd(&["SPUBLISH", "shard", "s1"]), b":0\r\n");
    let msg = next_message(&mut sub);
    assert_eq!(
        msg,
        Val::Arr(vec![
            Val::Str("message".into()),
            Val::Str("__sentinel__:hello".into()),
            Val::Str("hi".into())
        ])
    );
    let msg = next_message(&mut ssub);
    assert_eq!(
        msg,
        Val::Arr(vec![
            Val::Str("smessage".into()),
            Val::Str("shard".into()),
            Val::Str("s1".into())
        ])
    );
}

#[test]
fn publish_is_propagated_to_replicas() {
    if !have_redis() {
        return;
    }
    let master = start_oxidis(&[]);
    let port = master.port.to_string();
    let ox = start_oxidis(&["--replicaof", "127.0.0.1", &port]);
    check_publish_reaches(&ox, &master);
    let rd = start_redis(&["--replicaof", "127.0.0.1", &port]);
    check_publish_reaches(&rd, &master);
}

/// Start `program` on a config file (a replica of `master_port`) in a temp dir.
fn start_with_config(program: std::path::PathBuf, master_port: u16) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let conf = dir.path().join("node.conf");
    let text = format!(
        "port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir \"{}\"\nreplicaof 127.0.0.1 {master_port}\n",
        dir.path().display()
    );
    std::fs::write(&conf, text).expect("config");
    let mut cmd = std::process::Command::new(program);
    cmd.arg(&conf);
    spawn_ready(cmd, dir, port)
}

/// The block a sentinel sends to promote a replica and the one it sends to repoint one, byte
/// for byte as Redis 7.0 answers them, and the config files they leave.
#[test]
fn reconfiguration_blocks_match_redis() {
    if skip() {
        return;
    }
    let master = start_redis(&[]);
    let other = start_redis(&[]);
    let ox = start_with_config(oxidis_bin(), master.port);
    let rd = start_with_config("redis-server".into(), master.port);
    let other_port = other.port.to_string();
    let promote: &[&[&str]] = &[
        &["MULTI"],
        &["REPLICAOF", "NO", "ONE"],
        &["CONFIG", "REWRITE"],
        &["CLIENT", "KILL", "TYPE", "normal"],
        &["CLIENT", "KILL", "TYPE", "pubsub"],
        &["EXEC"],
    ];
    let repoint: &[&[&str]] = &[
        &["MULTI"],
        &["SLAVEOF", "127.0.0.1", &other_port],
        &["CONFIG", "REWRITE"],
        &["CLIENT", "KILL", "TYPE", "normal"],
        &["EXEC"],
    ];
    let run = |p: &Proc, block: &[&[&str]]| -> Vec<Vec<u8>> {
        let mut c = p.conn();
        block.iter().map(|args| c.cmd(args)).collect()
    };
    for (name, block) in [("promote", promote), ("repoint", repoint)] {
        let (a, b) = (run(&ox, block), run(&rd, block));
        assert_eq!(
            a.iter()
                .map(|r| String::from_utf8_lossy(r))
                .collect::<Vec<_>>(),
            b.iter()
                .map(|r| String::from_utf8_lossy(r))
                .collect::<Vec<_>>(),
            "{name} block: oxidis vs redis"
        );
        let conf = |p: &Proc| std::fs::read_to_string(p.path("node.conf")).unwrap_or_default();
        assert_eq!(
            replicaof_line(&conf(&ox)),
            replicaof_line(&conf(&rd)),
            "{name}: replicaof in the rewritten config"
        );
    }
    assert_eq!(
        replicaof_line(&std::fs::read_to_string(ox.path("node.conf")).unwrap_or_default()),
        Some(format!("127.0.0.1 {other_port}"))
    );
    for cmd in [&["ROLE"][..], &["SCRIPT", "KILL"][..]] {
        let (a, b) = (ox.conn().cmd(cmd), rd.conn().cmd(cmd));
        if cmd[0] == "ROLE" {
            // Same shape: slave, host, port (offset and state may differ in time).
            let (a, b) = (parse(&a), parse(&b));
            assert_eq!(a.len(), b.len());
            if let (Val::Arr(x), Val::Arr(y)) = (&a, &b) {
                assert_eq!(x[..3], y[..3]);
            }
        } else {
            // Without scripting oxidis answers a clean error (a sentinel sends SCRIPT KILL only
            // after a -BUSY reply, which oxidis never gives).
            assert!(a.starts_with(b"-"), "{}", String::from_utf8_lossy(&a));
            assert!(
                b.starts_with(b"-NOTBUSY"),
                "{}",
                String::from_utf8_lossy(&b)
            );
        }
    }
}
