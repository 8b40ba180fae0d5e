//! Interop, oxidis as a replica of a real Redis 7.0 master: full sync (diskless `$EOF:` and
//! disk `$len` payloads), the command stream of every data type across databases, equal
//! datasets (`DEBUG DIGEST` on both), `-READONLY` for normal clients, REPLICAOF at runtime
//! ("Already connected" included), ROLE, and `REPLICAOF NO ONE` making the node writable.
mod common;

use common::{have_redis, info_field, start_oxidis, start_redis, Conn, Proc};
use std::time::{Duration, Instant};

fn info(c: &mut Conn) -> String {
    c.s(&["INFO", "replication"])
}

/// Wait (bounded) until `cond` holds, with a message naming what did not happen.
fn wait_for(what: &str, replica: &Proc, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}\n{}", replica.logs());
}

fn populate(m: &mut Conn, tag: &str) {
    for db in ["0", "3"] {
        m.cmd(&["SELECT", db]);
        m.cmd(&["SET", &format!("{tag}str"), "hello"]);
        m.cmd(&["SET", &format!("{tag}int"), "12345"]);
        m.cmd(&["SET", &format!("{tag}big"), &"x".repeat(5000)]);
        m.cmd(&["SET", &format!("{tag}ttl"), "v", "EX", "5000"]);
        m.cmd(&["RPUSH", &format!("{tag}list"), "a", "b", "c"]);
        m.cmd(&["HSET", &format!("{tag}hash"), "f1", "v1", "f2", "2"]);
        m.cmd(&["SADD", &format!("{tag}iset"), "1", "2", "3"]);
        m.cmd(&["SADD", &format!("{tag}set"), "a", "b", "c"]);
        m.cmd(&["ZADD", &format!("{tag}zset"), "1", "a", "2.5", "b"]);
        for i in 0..300 {
            let s = i.to_string();
            m.cmd(&["RPUSH", &format!("{tag}biglist"), &s]);
            m.cmd(&["HSET", &format!("{tag}bighash"), &s, &s]);
            m.cmd(&["SADD", &format!("{tag}bigset"), &format!("m{s}")]);
            m.cmd(&["ZADD", &format!("{tag}bigzset"), &s, &s]);
        }
    }
    m.cmd(&["SELECT", "0"]);
}

fn digest(c: &mut Conn) -> String {
    c.s(&["DEBUG", "DIGEST"])
}

fn assert_same(m: &mut Conn, r: &mut Conn) {
    for db in ["0", "3"] {
        m.cmd(&["SELECT", db]);
        r.cmd(&["SELECT", db]);
        assert_eq!(m.s(&["DBSIZE"]), r.s(&["DBSIZE"]), "dbsize of db {db}");
    }
    m.cmd(&["SELECT", "0"]);
    r.cmd(&["SELECT", "0"]);
    assert_eq!(digest(m), digest(r), "DEBUG DIGEST");
}

fn wait_up(replica: &Proc) {
    let mut r = replica.conn();
    wait_for("master_link_status:up", replica, || {
        info_field(&info(&mut r), "master_link_status").as_deref() == Some("up")
    });
}

/// Wait until the replica processed everything the master wrote.
fn wait_caught_up(master: &mut Conn, replica: &Proc) {
    let target = info_field(&info(master), "master_repl_offset").unwrap_or_default();
    let mut r = replica.conn();
    wait_for("replica offset to reach the master's", replica, || {
        info_field(&info(&mut r), "slave_repl_offset").as_deref() == Some(target.as_str())
    });
}

/// A real Redis master (diskless sync without delay) holding `populate(.., "a:")`, and an
/// oxidis replica started with `--replicaof` whose link is up.
fn populated_master_and_replica() -> (Proc, Proc) {
    let master = start_redis(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    populate(&mut master.conn(), "a:");
    let port = master.port.to_string();
    let replica = start_oxidis(&[
        "--enable-debug-command",
        "yes",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    wait_up(&replica);
    (master, replica)
}

#[test]
fn replica_of_real_redis_diskless_stream_readonly_promotion() {
    if !have_redis() {
        return;
    }
    let (master, replica) = populated_master_and_replica();
    let mut m = master.conn();
    let port = master.port;
    let mut r = replica.conn();
    assert_same(&mut m, &mut r);

    // The stream: every type, several databases, deletes and expiries.
    populate(&mut m, "b:");
    m.cmd(&["DEL", "a:str"]);
    m.cmd(&["EXPIRE", "a:list", "1000"]);
    m.cmd(&["INCR", "a:int"]);
    m.cmd(&["LPOP", "b:biglist"]);
    m.cmd(&["ZINCRBY", "a:zset", "3", "a"]);
    m.cmd(&["MULTI"]);
    m.cmd(&["SET", "tx1", "1"]);
    m.cmd(&["SET", "tx2", "2"]);
    m.cmd(&["EXEC"]);
    wait_caught_up(&mut m, &replica);
    assert_same(&mut m, &mut r);
    assert_eq!(r.s(&["TTL", "a:list"]), m.s(&["TTL", "a:list"]));

    // Read-only for normal clients, reads still served.
    assert_eq!(
        r.s(&["SET", "x", "1"]),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(r.s(&["GET", "tx1"]), "$1\r\n1\r\n");
    let role = r.s(&["ROLE"]);
    assert!(
        role.starts_with(&format!(
            "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$9\r\nconnected\r\n:"
        )),
        "{role}"
    );
    let i = info(&mut r);
    assert_eq!(info_field(&i, "role").as_deref(), Some("slave"));
    assert_eq!(
        info_field(&i, "master_sync_in_progress").as_deref(),
        Some("0")
    );

    // Promotion.
    assert_eq!(r.s(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    assert_eq!(r.s(&["SET", "x", "1"]), "+OK\r\n");
    assert_eq!(info_field(&info(&mut r), "role").as_deref(), Some("master"));

    let logs = replica.logs();
    for line in [
        &format!("Connecting to MASTER 127.0.0.1:{port}") as &str,
        "Master replied to PING, replication can continue...",
        "Partial resynchronization not possible (no cached master)",
        "Full resync from master: ",
        "MASTER <-> REPLICA sync: Flushing old data",
        "MASTER <-> REPLICA sync: Loading DB in memory",
        "MASTER <-> REPLICA sync: Finished with success",
        "MASTER MODE enabled (user request from ",
    ] {
        assert!(logs.contains(line), "log lacks {line:?}\n{logs}");
    }
}

#[test]
fn replicaof_at_runtime_with_disk_transfer() {
    if !have_redis() {
        return;
    }
    let master = start_redis(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        "no",
    ]);
    let mut m = master.conn();
    populate(&mut m, "a:");
    let replica = start_oxidis(&["--enable-debug-command", "yes"]);
    let mut r = replica.conn();
    r.cmd(&["SET", "old", "data"]);
    let port = master.port.to_string();
    assert_eq!(
        r.s(&["REPLICAOF", "127.0.0.1", "notaport"]),
        "-ERR Invalid master port\r\n"
    );
    assert_eq!(r.s(&["REPLICAOF", "127.0.0.1", &port]), "+OK\r\n");
    assert_eq!(
        r.s(&["SLAVEOF", "127.0.0.1", &port]),
        "+OK Already connected to specified master\r\n"
    );
    wait_up(&replica);
    assert_eq!(r.s(&["EXISTS", "old"]), ":0\r\n", "old data flushed");
    assert_same(&mut m, &mut r);
    m.cmd(&["SET", "after", "sync"]);
    m.cmd(&["SELECT", "3"]);
    m.cmd(&["SADD", "after-set", "x"]);
    m.cmd(&["SELECT", "0"]);
    wait_caught_up(&mut m, &replica);
    assert_same(&mut m, &mut r);
    let logs = replica.logs();
    assert!(
        logs.contains("MASTER <-> REPLICA sync: receiving ")
            && logs.contains(" bytes from master to disk"),
        "{logs}"
    );
}

#[test]
fn partial_resync_after_link_drop() {
    if !have_redis() {
        return;
    }
    let (master, replica) = populated_master_and_replica();
    let mut m = master.conn();
    m.cmd(&["SET", "before", "drop"]);
    wait_caught_up(&mut m, &replica);
    assert_eq!(m.s(&["CLIENT", "KILL", "TYPE", "replica"]), ":1\r\n");
    for i in 0..10_000 {
        m.send(&[b"SET", format!("k{i}").as_bytes(), b"v"]);
    }
    for _ in 0..10_000 {
        m.read_reply();
    }
    wait_up(&replica);
    wait_caught_up(&mut m, &replica);
    let mut r = replica.conn();
    assert_same(&mut m, &mut r);
    let stats = m.s(&["INFO", "stats"]);
    assert_eq!(info_field(&stats, "sync_full").as_deref(), Some("1"));
    assert_eq!(info_field(&stats, "sync_partial_ok").as_deref(), Some("1"));
    let logs = replica.logs();
    assert!(
        logs.contains("Successful partial resynchronization with master."),
        "{logs}"
    );
}
