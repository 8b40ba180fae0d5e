//! A real Redis 7.0 replica of an oxidis master: full sync of a populated dataset, the live
//! command stream (every type, expiries), and a partial resync after the link is killed.
//! Equality is checked with DEBUG DIGEST on both sides plus DBSIZE.
mod common;
use common::*;
use std::time::{Duration, Instant};

fn info(c: &mut Conn, section: &str) -> String {
    c.s(&["INFO", section])
}

fn digest(c: &mut Conn) -> String {
    c.s(&["DEBUG", "DIGEST"])
}

/// Wait (bounded) until `f` holds.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Wait until the replica has the master's offset and the same data.
fn wait_in_sync(m: &mut Conn, r: &mut Conn) {
    let mut last = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let mo = info_field(&info(m, "replication"), "master_repl_offset");
        let ro = info_field(&info(r, "replication"), "slave_repl_offset");
        let (md, rd) = (digest(m), digest(r));
        let (ms, rs) = (m.s(&["DBSIZE"]), r.s(&["DBSIZE"]));
        if mo.is_some() && mo == ro && md == rd && ms == rs {
            return;
        }
        last = format!("offsets {mo:?} {ro:?} digests {md:?} {rd:?} dbsize {ms:?} {rs:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("replica did not catch up: {last}");
}

fn populate(m: &mut Conn, tag: &str) {
    let k = |s: &str| format!("{tag}:{s}");
    m.cmd(&["SET", &k("str"), "hello"]);
    m.cmd(&["SET", &k("int"), "12345"]);
    m.cmd(&["INCRBYFLOAT", &k("float"), "1.25"]);
    m.cmd(&["RPUSH", &k("list"), "a", "b", "c", "d"]);
    m.cmd(&["LPOP", &k("list")]);
    m.cmd(&["HSET", &k("hash"), "f1", "v1", "f2", "v2"]);
    m.cmd(&["HINCRBYFLOAT", &k("hash"), "f3", "2.5"]);
    m.cmd(&["SADD", &k("set"), "x", "y", "z", "w"]);
    m.cmd(&["SPOP", &k("set")]);
    m.cmd(&["SADD", &k("intset"), "1", "2", "3"]);
    m.cmd(&["ZADD", &k("zset"), "1", "one", "2", "two", "3", "three"]);
    m.cmd(&["ZINCRBY", &k("zset"), "5", "one"]);
    m.cmd(&["SET", &k("ex"), "v", "EX", "1000"]);
    m.cmd(&["SETEX", &k("setex"), "1000", "v"]);
    m.cmd(&["SET", &k("pexp"), "v"]);
    m.cmd(&["PEXPIRE", &k("pexp"), "500000"]);
    m.cmd(&["SET", &k("gone"), "v", "PX", "50"]);
    for i in 0..200 {
        m.cmd(&["SET", &format!("{tag}:n{i}"), &i.to_string()]);
    }
    m.cmd(&["SELECT", "3"]);
    m.cmd(&["SET", &k("db3"), "in three"]);
    m.cmd(&["SELECT", "0"]);
}

#[test]
fn redis_replica_follows_oxidis_master() {
    if !have_redis() {
        return;
    }
    let master = start_oxidis(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        "no",
    ]);
    let mut m = master.conn();
    populate(&mut m, "before");
    let port = master.port.to_string();
    let replica = start_redis(&[
        "--replicaof",
        "127.0.0.1",
        &port,
        "--enable-debug-command",
        "yes",
    ]);
    let mut r = replica.conn();
    wait_for("master_link_status:up", || {
        info_field(&info(&mut r, "replication"), "master_link_status").as_deref() == Some("up")
    });
    wait_in_sync(&mut m, &mut r);
    let mi = info(&mut m, "replication");
    assert_eq!(info_field(&mi, "connected_slaves").as_deref(), Some("1"));
    assert!(mi.contains("state=online"), "{mi}");
    assert_eq!(info_field(&mi, "repl_backlog_active").as_deref(), Some("1"));

    // The live stream: every type, expiries, a key expired on the master.
    populate(&mut m, "after");
    std::thread::sleep(Duration::from_millis(120));
    m.cmd(&["GET", "after:gone"]);
    m.cmd(&["EXPIRE", "after:str", "5000"]);
    wait_in_sync(&mut m, &mut r);
    assert_eq!(r.s(&["EXISTS", "after:gone"]), ":0\r\n");
    let ttl = r.s(&["TTL", "after:str"]);
    assert!(ttl.starts_with(":49") || ttl.starts_with(":50"), "{ttl}");

    // Kill the link: the replica comes back with a partial resync.
    let stats = info(&mut m, "stats");
    let full = info_field(&stats, "sync_full");
    let partial: u64 = info_field(&stats, "sync_partial_ok")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    for i in 0..500 {
        m.cmd(&["SET", &format!("later{i}"), "x"]);
    }
    wait_for("partial resync", || {
        let s = info(&mut m, "stats");
        info_field(&s, "sync_partial_ok").and_then(|v| v.parse::<u64>().ok()) > Some(partial)
    });
    wait_in_sync(&mut m, &mut r);
    assert_eq!(info_field(&info(&mut m, "stats"), "sync_full"), full);
    let logs = master.logs();
    assert!(
        logs.contains("Partial resynchronization request from"),
        "{logs}"
    );
    assert!(
        logs.contains("Starting BGSAVE for SYNC with target: disk"),
        "{logs}"
    );
}
