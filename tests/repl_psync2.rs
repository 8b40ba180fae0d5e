//! PSYNC2 between oxidis nodes: partial resync after a killed link, after a restarted
//! replica and after a restarted master (repl-id/repl-offset in the RDB), a promoted replica
//! (`REPLICAOF NO ONE`) serving the other replica partially, and a chained replica that gets
//! the stream unchanged (same id and offsets as its upstream).
mod common;
mod repl_util;
use common::*;
use repl_util::*;
use std::path::Path;
use std::process::Command;

/// Start (or restart) an oxidis node on `port` keeping its data in `dir`.
fn node_in(dir: &Path, port: u16, extra: &[&str]) -> Proc {
    let mut cmd = Command::new(oxidis_bin());
    cmd.args(["--port", &port.to_string(), "--save", ""])
        .args(["--dir", &dir.display().to_string()])
        .args(["--enable-debug-command", "yes"])
        .args(extra);
    spawn_ready(cmd, tempfile::tempdir().expect("tempdir"), port)
}

fn write_keys(m: &mut Conn, tag: &str, n: usize) {
    let mut batch = Vec::new();
    for i in 0..n {
        let (k, v) = (format!("{tag}:{i}"), format!("value-{i}"));
        batch.extend(encode_cmd(&[b"SET", k.as_bytes(), v.as_bytes()]));
    }
    m.send_raw(&batch);
    for _ in 0..n {
        assert_eq!(m.read_reply(), b"+OK\r\n");
    }
}

fn stats(c: &mut Conn) -> (i64, i64, i64) {
    let s = info(c, "stats");
    let n = |f: &str| info_field(&s, f).and_then(|v| v.parse().ok()).unwrap_or(-1);
    (n("sync_full"), n("sync_partial_ok"), n("sync_partial_err"))
}

#[test]
fn killed_link_resyncs_partially_after_10000_writes() {
    let master = node(None, &["--repl-backlog-size", "10mb"]);
    let mut m = master.conn();
    populate(&mut m, "a");
    let replica = node(Some(&master), &[]);
    let mut r = replica.conn();
    wait_in_sync(&mut m, &mut r);
    let (full, ok, _) = stats(&mut m);
    assert_eq!((full, ok), (1, 0));
    m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    write_keys(&mut m, "k", 10_000);
    wait_for("partial resync", || stats(&mut m).1 == 1);
    wait_in_sync(&mut m, &mut r);
    assert_eq!(stats(&mut m).0, 1, "no second full sync");
    assert_eq!(r.s(&["DBSIZE"]), m.s(&["DBSIZE"]));
    assert_same_keys(&mut m, &mut r);
    let logs = master.logs();
    assert!(
        logs.contains("Partial resynchronization request from 127.0.0.1:"),
        "{logs}"
    );
    assert!(logs.contains(" accepted. Sending "), "{logs}");
}

#[test]
fn restarted_replica_continues_from_its_rdb() {
    let master = node(None, &["--repl-backlog-size", "10mb"]);
    let mut m = master.conn();
    populate(&mut m, "a");
    let rdir = tempfile::tempdir().expect("tempdir");
    let rport = free_port();
    let mport = master.port.to_string();
    let follow = ["--replicaof", "127.0.0.1", mport.as_str()];
    let mut replica = node_in(rdir.path(), rport, &follow);
    let mut r = replica.conn();
    wait_in_sync(&mut m, &mut r);
    // SHUTDOWN SAVE writes repl-id/repl-offset; writes go on while it is down.
    let _ = r.try_cmd(&["SHUTDOWN", "SAVE"]);
    assert!(replica
        .wait_exit(std::time::Duration::from_secs(10))
        .is_some());
    write_keys(&mut m, "k", 10_000);
    let replica = node_in(rdir.path(), rport, &follow);
    let mut r = replica.conn();
    wait_for("partial resync", || stats(&mut m).1 == 1);
    wait_in_sync(&mut m, &mut r);
    assert_eq!(stats(&mut m).0, 1, "no second full sync");
    assert_same_keys(&mut m, &mut r);
    let logs = replica.logs();
    assert!(
        logs.contains("Trying a partial resynchronization"),
        "{logs}"
    );
}

#[test]
fn restarted_master_keeps_its_history_as_replid2() {
    let mdir = tempfile::tempdir().expect("tempdir");
    let mport = free_port();
    let mut master = node_in(mdir.path(), mport, &[]);
    let mut m = master.conn();
    populate(&mut m, "a");
    let replica = node(Some(&master), &[]);
    let mut r = replica.conn();
    wait_in_sync(&mut m, &mut r);
    let old_id = field(&mut m, "replication", "master_replid").unwrap_or_default();
    let off = num(&mut m, "replication", "master_repl_offset");
    let _ = m.try_cmd(&["SHUTDOWN", "SAVE"]);
    assert!(master
        .wait_exit(std::time::Duration::from_secs(10))
        .is_some());
    let master = node_in(mdir.path(), mport, &[]);
    let mut m = master.conn();
    let mi = info(&mut m, "replication");
    assert_eq!(info_field(&mi, "master_replid2"), Some(old_id.clone()));
    assert_eq!(
        info_field(&mi, "second_repl_offset"),
        Some((off + 1).to_string())
    );
    wait_for("partial resync", || stats(&mut m).1 == 1);
    m.cmd(&["SET", "after", "restart"]);
    wait_in_sync(&mut m, &mut r);
    assert_eq!(stats(&mut m).0, 0, "no full sync");
    let ri = info(&mut r, "replication");
    assert_eq!(info_field(&ri, "master_replid2"), Some(old_id));
    assert_eq!(
        info_field(&ri, "master_replid"),
        field(&mut m, "replication", "master_replid")
    );
    assert_same_keys(&mut m, &mut r);
}

#[test]
fn promoted_replica_serves_the_other_partially() {
    let a = node(None, &["--repl-backlog-size", "10mb"]);
    let mut ca = a.conn();
    populate(&mut ca, "a");
    let b = node(Some(&a), &[]);
    let c = node(Some(&a), &[]);
    let (mut cb, mut cc) = (b.conn(), c.conn());
    wait_in_sync(&mut ca, &mut cb);
    write_keys(&mut ca, "k", 1000);
    wait_in_sync(&mut ca, &mut cb);
    wait_in_sync(&mut ca, &mut cc);
    let a_id = field(&mut ca, "replication", "master_replid").unwrap_or_default();
    let off = num(&mut ca, "replication", "master_repl_offset");
    drop(a);

    assert_eq!(cb.s(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    let bi = info(&mut cb, "replication");
    assert_eq!(info_field(&bi, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&bi, "master_replid2"), Some(a_id.clone()));
    assert_eq!(
        info_field(&bi, "second_repl_offset"),
        Some((off + 1).to_string())
    );
    let b_id = info_field(&bi, "master_replid").unwrap_or_default();
    assert_ne!(b_id, a_id);
    let bport = b.port.to_string();
    assert_eq!(cc.s(&["REPLICAOF", "127.0.0.1", &bport]), "+OK\r\n");
    wait_for("partial resync on the promoted node", || {
        stats(&mut cb).1 == 1
    });
    cb.cmd(&["SET", "on", "b"]);
    populate(&mut cb, "b");
    wait_in_sync(&mut cb, &mut cc);
    assert_eq!(stats(&mut cb).0, 0, "no full sync");
    let ci = info(&mut cc, "replication");
    assert_eq!(info_field(&ci, "master_replid"), Some(b_id));
    assert_eq!(info_field(&ci, "master_replid2"), Some(a_id));
    assert_same_keys(&mut cb, &mut cc);
    let logs = b.logs();
    assert!(
        logs.contains("Partial resynchronization request from"),
        "{logs}"
    );
    assert!(
        logs.contains("Setting secondary replication ID to"),
        "{logs}"
    );
}

#[test]
fn chained_replica_gets_the_stream_unchanged() {
    let a = node(None, &[]);
    let mut ca = a.conn();
    populate(&mut ca, "a");
    let b = node(Some(&a), &[]);
    let mut cb = b.conn();
    wait_in_sync(&mut ca, &mut cb);
    let c = node(Some(&b), &[]);
    let mut cc = c.conn();
    wait_in_sync(&mut ca, &mut cc);
    populate(&mut ca, "live");
    ca.cmd(&["MULTI"]);
    ca.cmd(&["SET", "t1", "x"]);
    ca.cmd(&["INCR", "t2"]);
    ca.cmd(&["EXEC"]);
    wait_in_sync(&mut ca, &mut cb);
    wait_in_sync(&mut ca, &mut cc);
    let id = field(&mut ca, "replication", "master_replid");
    assert_eq!(field(&mut cb, "replication", "master_replid"), id);
    assert_eq!(field(&mut cc, "replication", "master_replid"), id);
    assert_eq!(
        field(&mut cc, "replication", "slave_repl_offset"),
        field(&mut ca, "replication", "master_repl_offset")
    );
    assert_same_keys(&mut ca, &mut cc);
    assert_eq!(
        cc.s(&["SET", "x", "y"]),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    // The middle node loses its link: C continues from B's backlog afterwards.
    cb.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    ca.cmd(&["SET", "after", "kill"]);
    wait_for("C continues partially", || stats(&mut cb).1 >= 1);
    wait_in_sync(&mut ca, &mut cc);
    assert_eq!(stats(&mut cb).0, 1);
}

#[test]
fn former_replica_with_its_own_history_gets_a_full_sync_and_the_reason_is_logged() {
    let master = node(None, &[]);
    let mut m = master.conn();
    populate(&mut m, "a");
    let replica = node(Some(&master), &[]);
    let mut r = replica.conn();
    wait_in_sync(&mut m, &mut r);
    r.cmd(&["REPLICAOF", "NO", "ONE"]);
    // Its own history (a new id, never seen by the master) cannot continue.
    r.cmd(&["SET", "own", "write"]);
    let port = master.port.to_string();
    r.cmd(&["REPLICAOF", "127.0.0.1", &port]);
    wait_for("second full sync", || stats(&mut m).0 == 2);
    wait_in_sync(&mut m, &mut r);
    assert_eq!(r.s(&["EXISTS", "own"]), ":0\r\n");
    assert_eq!(stats(&mut m).2, 1, "sync_partial_err");
    let logs = master.logs();
    assert!(
        logs.contains(
            "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '"
        ),
        "{logs}"
    );
}

/// A promoted node and the replica repointed to it, mixing oxidis and real Redis: `redis`
/// says which of (old master, promoted, repointed) are real Redis servers.
fn promotion_between(redis: [bool; 3]) {
    let start = |real: bool, master: Option<&Proc>| -> Proc {
        if !real {
            return node(master, &["--repl-backlog-size", "10mb"]);
        }
        let port = master.map(|m| m.port.to_string());
        let mut args = vec![
            "--enable-debug-command",
            "yes",
            "--repl-backlog-size",
            "10mb",
            "--repl-diskless-sync-delay",
            "0",
        ];
        if let Some(p) = &port {
            args.extend(["--replicaof", "127.0.0.1", p.as_str()]);
        }
        start_redis(&args)
    };
    let a = start(redis[0], None);
    let mut ca = a.conn();
    populate(&mut ca, "a");
    let b = start(redis[1], Some(&a));
    let c = start(redis[2], Some(&a));
    let (mut cb, mut cc) = (b.conn(), c.conn());
    wait_in_sync(&mut ca, &mut cb);
    write_keys(&mut ca, "k", 2000);
    wait_in_sync(&mut ca, &mut cb);
    wait_in_sync(&mut ca, &mut cc);
    drop(a);
    cb.cmd(&["REPLICAOF", "NO", "ONE"]);
    let bport = b.port.to_string();
    cc.cmd(&["REPLICAOF", "127.0.0.1", &bport]);
    wait_for("partial resync on the promoted node", || {
        stats(&mut cb).1 >= 1
    });
    populate(&mut cb, "b");
    wait_in_sync(&mut cb, &mut cc);
    assert_eq!(stats(&mut cb).0, 0, "no full sync");
    assert_eq!(
        field(&mut cc, "replication", "master_replid"),
        field(&mut cb, "replication", "master_replid")
    );
    assert_same_keys(&mut cb, &mut cc);
}

#[test]
fn promotion_interop_with_redis() {
    if !have_redis() {
        return;
    }
    // A real Redis replica follows a promoted oxidis node partially...
    promotion_between([false, false, true]);
    // ...and an oxidis replica a promoted real Redis.
    promotion_between([true, true, false]);
}

#[test]
fn sub_replica_follows_its_repointed_upstream_partially() {
    // A → B, A → C → D; B is promoted and C repointed to it: D continues with C partially
    // (C kept A's id as replid2) and ends up with B's id.
    let a = node(None, &["--repl-backlog-size", "10mb"]);
    let mut ca = a.conn();
    populate(&mut ca, "a");
    let b = node(Some(&a), &[]);
    let c = node(Some(&a), &[]);
    let d = node(Some(&c), &[]);
    let (mut cb, mut cc, mut cd) = (b.conn(), c.conn(), d.conn());
    wait_in_sync(&mut ca, &mut cb);
    wait_in_sync(&mut ca, &mut cc);
    wait_in_sync(&mut ca, &mut cd);
    write_keys(&mut ca, "k", 500);
    wait_in_sync(&mut ca, &mut cb);
    wait_in_sync(&mut ca, &mut cd);
    drop(a);
    cb.cmd(&["REPLICAOF", "NO", "ONE"]);
    let bport = b.port.to_string();
    cc.cmd(&["REPLICAOF", "127.0.0.1", &bport]);
    wait_for("C continues with B", || stats(&mut cb).1 == 1);
    wait_for("D continues with C", || stats(&mut cc).1 >= 1);
    populate(&mut cb, "b");
    wait_in_sync(&mut cb, &mut cd);
    assert_eq!(stats(&mut cb).0, 0);
    assert_eq!(stats(&mut cc).0, 1, "D's only full sync was the first one");
    assert_eq!(
        field(&mut cd, "replication", "master_replid"),
        field(&mut cb, "replication", "master_replid")
    );
    assert_same_keys(&mut cb, &mut cd);
}
