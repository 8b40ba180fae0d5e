//! Three oxidis nodes on loopback: a populated master fully synced to two replicas, the live
//! stream of every type and of expiries, the read-only replica, WAIT, min-replicas-to-write
//! and a chained replica (A → B → C).
mod common;
mod repl_util;
use common::*;
use repl_util::*;
use std::time::{Duration, Instant};

#[test]
fn wait_counts_acks_and_times_out_with_a_stopped_replica() {
    let master = node(None, &[]);
    let mut m = master.conn();
    let r1 = node(Some(&master), &[]);
    let r2 = node(Some(&master), &[]);
    let (mut c1, mut c2) = (r1.conn(), r2.conn());
    wait_for("two replicas up", || link_up(&mut c1) && link_up(&mut c2));
    assert_eq!(m.s(&["WAIT", "0", "0"]), ":2\r\n");
    m.cmd(&["SET", "k", "v"]);
    assert_eq!(m.s(&["WAIT", "2", "0"]), ":2\r\n");
    // Already satisfied: at once. In MULTI: the current count at once.
    assert_eq!(m.s(&["WAIT", "2", "100"]), ":2\r\n");
    m.cmd(&["MULTI"]);
    m.cmd(&["SET", "k2", "v"]);
    m.cmd(&["WAIT", "5", "0"]);
    let exec = m.s(&["EXEC"]);
    assert!(exec.ends_with(":2\r\n"), "{exec}");
    assert_eq!(
        c1.s(&["WAIT", "1", "0"]),
        "-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n"
    );
    assert_eq!(
        m.s(&["WAIT", "x", "0"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        m.s(&["WAIT", "1", "1.5"]),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    assert_eq!(m.s(&["WAIT", "1", "-1"]), "-ERR timeout is negative\r\n");

    // One replica stopped: WAIT 2 returns 1 once its timeout passes.
    r2.signal("STOP");
    m.cmd(&["SET", "k3", "v"]);
    let t = Instant::now();
    assert_eq!(m.s(&["WAIT", "2", "300"]), ":1\r\n");
    assert!(t.elapsed() >= Duration::from_millis(250));
    // Another client is served meanwhile: the loop does not block.
    let mut other = master.conn();
    other.send(&[b"WAIT", b"2", b"0"]);
    assert_eq!(m.s(&["PING"]), "+PONG\r\n");
    r2.signal("CONT");
    assert_eq!(other.read_reply(), b":2\r\n");
}

#[test]
fn min_replicas_to_write_refuses_writes_while_a_replica_is_stopped() {
    let master = node(
        None,
        &[
            "--min-replicas-to-write",
            "2",
            "--min-replicas-max-lag",
            "2",
        ],
    );
    let mut m = master.conn();
    assert_eq!(
        m.s(&["SET", "k", "v"]),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    assert_eq!(
        field(&mut m, "replication", "min_slaves_good_slaves").as_deref(),
        Some("0")
    );
    let r1 = node(Some(&master), &[]);
    let r2 = node(Some(&master), &[]);
    let (mut c1, mut c2) = (r1.conn(), r2.conn());
    wait_for("two replicas up", || link_up(&mut c1) && link_up(&mut c2));
    wait_for("writes accepted", || m.s(&["SET", "k", "v"]) == "+OK\r\n");
    assert_eq!(m.s(&["GET", "k"]), "$1\r\nv\r\n");
    r2.signal("STOP");
    wait_for("NOREPLICAS", || {
        m.s(&["SET", "k", "w"]) == "-NOREPLICAS Not enough good replicas to write.\r\n"
    });
    assert_eq!(
        field(&mut m, "replication", "min_slaves_good_slaves").as_deref(),
        Some("1")
    );
    // Reads still work; a transaction with a write is aborted at EXEC.
    assert!(m.s(&["GET", "k"]).starts_with("$1\r\n"));
    m.cmd(&["MULTI"]);
    assert_eq!(
        m.s(&["SET", "k", "x"]),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    assert_eq!(
        m.s(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    r2.signal("CONT");
    wait_for("writes accepted again", || {
        m.s(&["SET", "k", "z"]) == "+OK\r\n"
    });
    wait_in_sync(&mut m, &mut c2);
    assert_eq!(c2.s(&["GET", "k"]), "$1\r\nz\r\n");
}

#[test]
fn populated_master_syncs_two_replicas_and_streams_every_type() {
    let master = node(None, &[]);
    let mut m = master.conn();
    populate(&mut m, "before");
    let r1 = node(Some(&master), &[]);
    let r2 = node(Some(&master), &[]);
    let (mut c1, mut c2) = (r1.conn(), r2.conn());
    wait_in_sync(&mut m, &mut c1);
    wait_in_sync(&mut m, &mut c2);
    let mi = info(&mut m, "replication");
    assert_eq!(info_field(&mi, "connected_slaves").as_deref(), Some("2"));
    assert_eq!(mi.matches("state=online").count(), 2, "{mi}");

    // Live stream: every type, TTLs, a key expired on the master, other databases.
    populate(&mut m, "after");
    m.cmd(&["EXPIRE", "after:str", "5000"]);
    m.cmd(&["SET", "short", "v", "PX", "100"]);
    std::thread::sleep(Duration::from_millis(150));
    m.cmd(&["GET", "after:gone"]);
    m.cmd(&["GET", "short"]);
    m.cmd(&["SELECT", "5"]);
    m.cmd(&["LPUSH", "l5", "x"]);
    m.cmd(&["SELECT", "0"]);
    for c in [&mut c1, &mut c2] {
        wait_in_sync(&mut m, c);
        assert_same_keys(&mut m, c);
        assert_eq!(c.s(&["EXISTS", "after:gone", "short"]), ":0\r\n");
        let ttl = c.s(&["TTL", "after:str"]);
        assert!(ttl.starts_with(":49") || ttl.starts_with(":50"), "{ttl}");
        assert_eq!(
            c.s(&["SET", "x", "y"]),
            "-READONLY You can't write against a read only replica.\r\n"
        );
        let ri = info(c, "replication");
        assert_eq!(info_field(&ri, "role").as_deref(), Some("slave"));
        assert_eq!(info_field(&ri, "slave_read_only").as_deref(), Some("1"));
        assert_eq!(info_field(&ri, "slave_priority").as_deref(), Some("100"));
        assert_eq!(info_field(&ri, "replica_announced").as_deref(), Some("1"));
    }
}

#[test]
fn announced_address_and_priority() {
    let master = node(None, &[]);
    let mut m = master.conn();
    let r = node(
        Some(&master),
        &[
            "--replica-announce-ip",
            "10.1.2.3",
            "--replica-announce-port",
            "4567",
            "--replica-priority",
            "7",
            "--replica-announced",
            "no",
        ],
    );
    let mut c = r.conn();
    wait_for("link up", || link_up(&mut c));
    let mi = info(&mut m, "replication");
    assert!(
        mi.contains("slave0:ip=10.1.2.3,port=4567,state=online"),
        "{mi}"
    );
    let ri = info(&mut c, "replication");
    assert_eq!(info_field(&ri, "slave_priority").as_deref(), Some("7"));
    assert_eq!(info_field(&ri, "replica_announced").as_deref(), Some("0"));
    let role = m.s(&["ROLE"]);
    assert!(role.contains("10.1.2.3") && role.contains("4567"), "{role}");
}

#[test]
fn becoming_a_replica_unblocks_waiting_clients() {
    let n = node(None, &[]);
    let (mut blpop, mut wait, mut admin) = (n.conn(), n.conn(), n.conn());
    blpop.send(&[b"BLPOP", b"nothing", b"0"]);
    wait.send(&[b"WAIT", b"1", b"0"]);
    wait_for("two blocked clients", || {
        num(&mut admin, "clients", "blocked_clients") == 2
    });
    let port = free_port().to_string();
    assert_eq!(admin.s(&["REPLICAOF", "127.0.0.1", &port]), "+OK\r\n");
    let want: &[u8] = b"-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n";
    assert_eq!(blpop.read_reply(), want);
    assert_eq!(wait.read_reply(), want);
}
