//! Streams across replication with real Redis 7.0 on the other side: an oxidis replica of a
//! Redis master loads streams (nodes, tombstones, consumer groups, pending entries, consumers)
//! in the full sync and applies a stream of XADD/XTRIM/XDEL/XSETID; a Redis replica of an
//! oxidis master gets XADD's generated ids and approximate trims as the exact trims performed.
//! Every stream is compared key by key with DEBUG DIGEST-VALUE and DUMP (same nodes, ids,
//! counters and groups byte for byte).
mod common;

use common::{have_redis, info_field, start_oxidis, start_redis, wait_until, Conn, Proc};

const KEYS: &[&str] = &[
    "s:small", "s:big", "s:groups", "s:empty", "s:approx", "s:minid",
];

/// Commands that build streams with groups and pending entries (Redis-side only: consumer
/// groups are written by XGROUP/XREADGROUP).
fn with_groups(c: &mut Conn) {
    for cmd in [
        "XADD s:groups 1-1 a 1 b 2",
        "XADD s:groups 1-2 a 3 b 4",
        "XADD s:groups 5-0 c x",
        "XGROUP CREATE s:groups g1 0",
        "XGROUP CREATE s:groups g2 $",
        "XREADGROUP GROUP g1 alice COUNT 2 STREAMS s:groups >",
        "XREADGROUP GROUP g1 bob COUNT 1 STREAMS s:groups >",
        "XACK s:groups g1 1-2",
        "XGROUP CREATECONSUMER s:groups g2 carol",
    ] {
        let args: Vec<&str> = cmd.split(' ').collect();
        let r = c.cmd(&args);
        assert!(
            !r.starts_with(b"-"),
            "{cmd}: {}",
            String::from_utf8_lossy(&r)
        );
    }
}

/// Writes any of the two servers accepts: generated ids, trims of every kind, deletions.
fn writes(c: &mut Conn, round: usize) {
    let mut run = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let r = c.cmd(&a);
        assert!(
            !r.starts_with(b"-"),
            "{a:?}: {}",
            String::from_utf8_lossy(&r)
        );
    };
    let s = |t: &str| t.to_string();
    run(vec![
        s("XADD"),
        s("s:small"),
        s("*"),
        s("n"),
        round.to_string(),
    ]);
    for i in 0..250 {
        let v = "v".repeat((i * 7 + round) % 90);
        run(vec![
            s("XADD"),
            s("s:big"),
            s("*"),
            format!("f{}", i % 4),
            v,
        ]);
        run(vec![
            s("XADD"),
            s("s:approx"),
            s("MAXLEN"),
            s("~"),
            s("120"),
            s("*"),
            s("k"),
            i.to_string(),
        ]);
        run(vec![
            s("XADD"),
            s("s:minid"),
            s("MINID"),
            s("~"),
            format!("{}", i / 2),
            format!("{}-*", i + 1000 * round + 1),
            s("k"),
            s("v"),
        ]);
    }
    run(vec![s("XTRIM"), s("s:big"), s("MAXLEN"), s("~"), s("300")]);
    run(vec![
        s("XTRIM"),
        s("s:big"),
        s("MAXLEN"),
        s("~"),
        s("200"),
        s("LIMIT"),
        s("100"),
    ]);
    run(vec![s("XTRIM"), s("s:small"), s("MINID"), s("~"), s("0")]);
    run(vec![
        s("XADD"),
        s("s:empty"),
        s("MAXLEN"),
        s("0"),
        s("*"),
        s("a"),
        s("b"),
    ]);
    let first = c.cmd(&["XRANGE", "s:big", "-", "+", "COUNT", "1"]);
    let text = String::from_utf8_lossy(&first).to_string();
    if let Some(id) = text
        .split("\r\n")
        .find(|l| l.contains('-') && !l.starts_with('*'))
    {
        let id = id.to_string();
        c.cmd(&["XDEL", "s:big", &id, "1-1"]);
    }
    c.cmd(&["XSETID", "s:small", "99999999999999-0"]);
}

fn assert_same_streams(m: &mut Conn, r: &mut Conn) {
    for k in KEYS {
        assert_eq!(
            m.s(&["DEBUG", "DIGEST-VALUE", k]),
            r.s(&["DEBUG", "DIGEST-VALUE", k]),
            "digest of {k}"
        );
        assert_eq!(m.cmd(&["DUMP", k]), r.cmd(&["DUMP", k]), "DUMP of {k}");
        assert_eq!(
            m.cmd(&["XINFO", "STREAM", k]),
            r.cmd(&["XINFO", "STREAM", k]),
            "XINFO STREAM {k}"
        );
    }
    assert_eq!(m.s(&["DEBUG", "DIGEST"]), r.s(&["DEBUG", "DIGEST"]));
}

fn wait_synced(master: &Proc, replica: &Proc) {
    let mut m = master.conn();
    let mut r = replica.conn();
    let up = wait_until(30, || {
        info_field(&r.s(&["INFO", "replication"]), "master_link_status").as_deref() == Some("up")
    });
    assert!(up, "link not up\n{}", replica.logs());
    let target = info_field(&m.s(&["INFO", "replication"]), "master_repl_offset");
    let caught = wait_until(30, || {
        info_field(&r.s(&["INFO", "replication"]), "slave_repl_offset") == target
    });
    assert!(caught, "replica did not catch up\n{}", replica.logs());
}

#[test]
fn oxidis_replica_of_redis_master_with_streams() {
    if !have_redis() {
        return;
    }
    let master = start_redis(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut m = master.conn();
    with_groups(&mut m);
    writes(&mut m, 0);
    let port = master.port.to_string();
    let replica = start_oxidis(&[
        "--enable-debug-command",
        "yes",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    wait_synced(&master, &replica);
    let mut r = replica.conn();
    assert_same_streams(&mut m, &mut r);
    assert_eq!(
        m.cmd(&["XINFO", "STREAM", "s:groups", "FULL"]),
        r.cmd(&["XINFO", "STREAM", "s:groups", "FULL"])
    );
    writes(&mut m, 1);
    wait_synced(&master, &replica);
    assert_same_streams(&mut m, &mut r);
}

#[test]
fn redis_replica_of_oxidis_master_with_streams() {
    if !have_redis() {
        return;
    }
    let master = start_oxidis(&["--enable-debug-command", "yes"]);
    let mut m = master.conn();
    writes(&mut m, 0);
    let port = master.port.to_string();
    let replica = start_redis(&[
        "--enable-debug-command",
        "yes",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    wait_synced(&master, &replica);
    let mut r = replica.conn();
    assert_same_streams(&mut m, &mut r);
    writes(&mut m, 1);
    wait_synced(&master, &replica);
    assert_same_streams(&mut m, &mut r);
}
