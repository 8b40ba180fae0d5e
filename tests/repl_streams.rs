//! Streams across replication with real Redis 7.0 on the other side: an oxidis replica of a
//! Redis master loads streams (nodes, tombstones, consumer groups, pending entries, consumers)
//! in the full sync and applies a stream of XADD/XTRIM/XDEL/XSETID; a Redis replica of an
//! oxidis master gets XADD's generated ids and approximate trims as the exact trims performed.
//! Every stream is compared key by key with DEBUG DIGEST-VALUE and DUMP (same nodes, ids,
//! counters and groups byte for byte), and consumer groups by XINFO GROUPS and XPENDING.
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

/// Consumer group traffic both servers accept (the group is created by the first call).
fn group_writes(c: &mut Conn, round: usize) {
    let mut cmds: Vec<String> = Vec::new();
    if round == 0 {
        cmds.push("XGROUP CREATE s:big cg 0".into());
        cmds.push("XGROUP CREATE s:big cg2 $".into());
        cmds.push("XGROUP CREATE s:new cg $ MKSTREAM".into());
    }
    cmds.extend([
        "XREADGROUP GROUP cg alice COUNT 5 STREAMS s:big >".to_string(),
        "XREADGROUP GROUP cg bob COUNT 3 STREAMS s:big >".into(),
        "XREADGROUP GROUP cg alice STREAMS s:big 0".into(),
        "XREADGROUP GROUP cg2 carol NOACK COUNT 4 STREAMS s:big >".into(),
        "XCLAIM s:big cg dave 0 0-1".into(),
        "XAUTOCLAIM s:big cg erin 0 0 COUNT 2".into(),
        "XGROUP CREATECONSUMER s:big cg frank".into(),
        "XGROUP DELCONSUMER s:big cg bob".into(),
        "XREADGROUP GROUP cg gina COUNT 2 STREAMS s:big s:new > >".into(),
    ]);
    for cmd in cmds {
        let args: Vec<&str> = cmd.split(' ').collect();
        let r = c.cmd(&args);
        assert!(
            !r.starts_with(b"-"),
            "{cmd}: {}",
            String::from_utf8_lossy(&r)
        );
    }
    let first = c.cmd(&["XPENDING", "s:big", "cg", "-", "+", "1"]);
    let text = String::from_utf8_lossy(&first).to_string();
    if let Some(id) = text.split("\r\n").nth(3) {
        let id = id.to_string();
        c.cmd(&["XACK", "s:big", "cg", &id]);
    }
}

/// XPENDING's extended form without the idle times (the clocks of the two servers differ),
/// and without the delivery counts unless `counters`: re-reading a consumer's history counts
/// a delivery on the master only (Redis propagates nothing for it).
fn pending(c: &mut Conn, key: &str, group: &str, counters: bool) -> String {
    let r = c.s(&["XPENDING", key, group, "-", "+", "1000"]);
    let mut lines: Vec<String> = r.split("\r\n").map(|l| l.to_string()).collect();
    for i in 0..lines.len() {
        if lines[i] == "*4" && i + 6 < lines.len() {
            lines[i + 5] = ":idle".into();
            if !counters {
                lines[i + 6] = ":count".into();
            }
        }
    }
    lines.join("|")
}

/// XINFO GROUPS, without the read counters and lag unless `counters`: a replica (of Redis
/// too) gets the groups' last ids through XCLAIM's LASTID, which leaves the counter unknown,
/// so only replicas compare equal on them.
fn groups(c: &mut Conn, key: &str, counters: bool) -> String {
    let r = c.s(&["XINFO", "GROUPS", key]);
    let mut lines: Vec<String> = r.split("\r\n").map(|l| l.to_string()).collect();
    if !counters {
        for i in 0..lines.len() {
            if (lines[i] == "entries-read" || lines[i] == "lag") && i + 1 < lines.len() {
                lines[i + 1] = "?".into();
            }
        }
    }
    lines.join("|")
}

fn assert_same_groups(m: &mut Conn, r: &mut Conn, counters: bool) {
    for (k, g) in [("s:big", "cg"), ("s:big", "cg2"), ("s:new", "cg")] {
        assert_eq!(groups(m, k, counters), groups(r, k, counters), "{k}");
        assert_eq!(
            m.s(&["XPENDING", k, g]),
            r.s(&["XPENDING", k, g]),
            "{k} {g}"
        );
        assert_eq!(
            pending(m, k, g, counters),
            pending(r, k, g, counters),
            "{k} {g}"
        );
    }
}

fn assert_same_streams(m: &mut Conn, r: &mut Conn) {
    for k in KEYS {
        assert_eq!(
            m.s(&["DEBUG", "DIGEST-VALUE", k]),
            r.s(&["DEBUG", "DIGEST-VALUE", k]),
            "digest of {k}"
        );
        // Consumers' seen times are each server's own clock: DUMP only streams without groups.
        if m.s(&["XINFO", "GROUPS", k]) == "*0\r\n" {
            assert_eq!(m.cmd(&["DUMP", k]), r.cmd(&["DUMP", k]), "DUMP of {k}");
        }
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
    // A Redis replica of the same master: what the oxidis replica must hold.
    let twin = start_redis(&[
        "--enable-debug-command",
        "yes",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    wait_synced(&master, &replica);
    wait_synced(&master, &twin);
    let mut r = replica.conn();
    assert_same_streams(&mut m, &mut r);
    assert_eq!(
        m.cmd(&["XINFO", "STREAM", "s:groups", "FULL"]),
        r.cmd(&["XINFO", "STREAM", "s:groups", "FULL"])
    );
    group_writes(&mut m, 0);
    writes(&mut m, 1);
    group_writes(&mut m, 1);
    wait_synced(&master, &replica);
    wait_synced(&master, &twin);
    assert_same_streams(&mut m, &mut r);
    assert_same_groups(&mut m, &mut r, false);
    assert_same_groups(&mut twin.conn(), &mut r, true);
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
    group_writes(&mut m, 0);
    writes(&mut m, 1);
    group_writes(&mut m, 1);
    wait_synced(&master, &replica);
    assert_same_streams(&mut m, &mut r);
    assert_same_groups(&mut m, &mut r, false);
}
