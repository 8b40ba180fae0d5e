//! A real Redis 7.0 replica of an oxidis master: full sync of a populated dataset, the live
//! command stream (every type, expiries), and a partial resync after the link is killed.
//! Equality is checked with DEBUG DIGEST on both sides plus DBSIZE.
mod common;
mod repl_util;
use common::*;
use repl_util::{info, populate, wait_for, wait_in_sync};
use std::time::Duration;

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
