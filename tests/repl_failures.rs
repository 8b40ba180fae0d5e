//! Replication when things go wrong: the master killed mid-transfer, the replica killed
//! mid-load, a transfer larger than the replica output buffer limit, a backlog too small to
//! continue, the backlog freed after repl-backlog-ttl, a silent replica dropped after the
//! master's repl-timeout (and one loading for longer than it kept), -MASTERDOWN and -LOADING on
//! a replica, and diskless sync to an oxidis and a real Redis replica. Slow dumps and loads come from the
//! `rdb-key-save-delay` / `key-load-delay` test directives.
mod common;
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

fn info(c: &mut Conn, section: &str) -> String {
    c.s(&["INFO", section])
}

fn field(c: &mut Conn, section: &str, name: &str) -> String {
    info_field(&info(c, section), name).unwrap_or_default()
}

fn num(c: &mut Conn, section: &str, name: &str) -> i64 {
    field(c, section, name).parse().unwrap_or(-1)
}

/// Wait (bounded) until `f` holds; panic with `what` and `ctx()` otherwise.
fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool, ctx: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}\n{}", ctx());
}

/// A fresh connection each time (a server may have restarted meanwhile); None if refused.
fn try_conn(port: u16) -> Option<Conn> {
    std::net::TcpStream::connect(("127.0.0.1", port))
        .ok()
        .map(Conn::from_stream)
}

fn link_up(port: u16) -> bool {
    try_conn(port)
        .and_then(|mut c| c.try_cmd(&["INFO", "replication"]).ok())
        .map(|i| String::from_utf8_lossy(&i).contains("master_link_status:up"))
        .unwrap_or(false)
}

/// Same DBSIZE and DEBUG DIGEST on both.
fn same_data(a: &mut Conn, b: &mut Conn) -> bool {
    a.s(&["DBSIZE"]) == b.s(&["DBSIZE"]) && a.s(&["DEBUG", "DIGEST"]) == b.s(&["DEBUG", "DIGEST"])
}

/// Start oxidis on a given port and dir (restarts keep both).
fn oxidis_at(port: u16, dir: tempfile::TempDir, extra: &[&str]) -> Proc {
    let mut cmd = Command::new(oxidis_bin());
    cmd.args(["--port", &port.to_string(), "--save", "", "--dir"])
        .arg(dir.path())
        .args(["--enable-debug-command", "yes"])
        .args(extra);
    spawn_ready(cmd, dir, port)
}

fn kill9(p: &mut Proc) {
    p.signal("KILL");
    p.wait_exit(Duration::from_secs(10));
}

#[test]
fn master_killed_mid_transfer_keeps_old_data_then_resyncs() {
    let mport = free_port();
    let mut master = oxidis_at(
        mport,
        tempfile::tempdir().unwrap(),
        &[
            "--repl-diskless-sync-delay",
            "0",
            "--rdb-key-save-delay",
            "300",
        ],
    );
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "20000", "new"]);
    // The replica holds old data of its own before following the master.
    let replica = start_oxidis_debug(&[]);
    let mut r = replica.conn();
    r.cmd(&["DEBUG", "POPULATE", "100", "old"]);
    r.cmd(&["REPLICAOF", "127.0.0.1", &mport.to_string()]);
    wait_for(
        15,
        "payload bytes arriving",
        || num(&mut r, "replication", "master_sync_read_bytes") > 0,
        || replica.logs(),
    );
    kill9(&mut master);
    drop(master);
    // Old data serves; the link is down.
    wait_for(
        10,
        "link down",
        || field(&mut r, "replication", "master_sync_in_progress") == "0",
        || replica.logs(),
    );
    assert_eq!(field(&mut r, "replication", "master_link_status"), "down");
    assert_eq!(r.s(&["DBSIZE"]), ":100\r\n");
    assert_eq!(r.s(&["GET", "old:7"]), "$7\r\nvalue:7\r\n");
    // A master is back on the same port: full sync.
    let master = oxidis_at(mport, tempfile::tempdir().unwrap(), &[]);
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "3000", "back"]);
    wait_for(
        20,
        "resync with the new master",
        || link_up(replica.port) && same_data(&mut m, &mut r),
        || replica.logs(),
    );
    assert_eq!(r.s(&["EXISTS", "old:7"]), ":0\r\n");
}

#[test]
fn replica_killed_mid_load_resyncs_after_restart() {
    let master = start_oxidis_debug(&["--repl-diskless-sync", "no"]);
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "30000"]);
    let rport = free_port();
    let mport = master.port.to_string();
    let rdir = tempfile::tempdir().unwrap();
    let rpath = rdir.path().to_path_buf();
    let mut replica = oxidis_at(
        rport,
        rdir,
        &[
            "--key-load-delay",
            "200",
            "--replicaof",
            "127.0.0.1",
            &mport,
        ],
    );
    let mut r = replica.conn();
    wait_for(
        15,
        "the replica loading",
        || field(&mut r, "persistence", "loading") == "1",
        || replica.logs(),
    );
    // While it loads it answers -LOADING, as at startup.
    assert_eq!(
        r.s(&["GET", "key:1"]),
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    kill9(&mut replica);
    // Restart in the same dir (the half-loaded temp file is still there) without the delay.
    let dir = std::mem::replace(&mut replica.dir, tempfile::tempdir().unwrap());
    drop(replica);
    assert_eq!(dir.path(), rpath);
    let replica = oxidis_at(rport, dir, &["--replicaof", "127.0.0.1", &mport]);
    let mut r = replica.conn();
    wait_for(
        20,
        "restarted replica in sync",
        || link_up(rport) && same_data(&mut m, &mut r),
        || replica.logs(),
    );
}

#[test]
fn transfer_over_output_buffer_limit_drops_replica_until_raised() {
    let master = start_oxidis_debug(&[
        "--repl-diskless-sync",
        "no",
        "--rdb-key-save-delay",
        "500",
        "--client-output-buffer-limit",
        "replica",
        "256kb",
        "0",
        "0",
    ]);
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "4000"]);
    let mport = master.port.to_string();
    let replica = start_oxidis_debug(&["--replicaof", "127.0.0.1", &mport]);
    let mut r = replica.conn();
    wait_for(
        10,
        "the replication BGSAVE",
        || field(&mut m, "replication", "slave0").contains("state=wait_bgsave"),
        || master.logs(),
    );
    // 1 MB written while the dump runs: more than the limit.
    let big = "x".repeat(10_000);
    for i in 0..100 {
        m.cmd(&["SET", &format!("big{i}"), &big]);
    }
    wait_for(
        10,
        "the limit log line",
        || {
            master
                .logs()
                .contains("scheduled to be closed ASAP for overcoming of output buffer limits.")
        },
        || master.logs(),
    );
    assert!(master.logs().contains("flags=S"), "{}", master.logs());
    m.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "replica 0 0 0",
    ]);
    m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    wait_for(
        30,
        "sync once the limit is raised",
        || link_up(replica.port) && same_data(&mut m, &mut r),
        || format!("{}\n{}", master.logs(), replica.logs()),
    );
}

#[test]
fn backlog_too_small_falls_back_to_full_sync() {
    let master = start_oxidis_debug(&["--repl-backlog-size", "16kb"]);
    let mut m = master.conn();
    m.cmd(&["SET", "a", "1"]);
    let mport = master.port.to_string();
    let replica = start_oxidis_debug(&["--replicaof", "127.0.0.1", &mport]);
    let mut r = replica.conn();
    wait_for(
        15,
        "first sync",
        || link_up(replica.port) && same_data(&mut m, &mut r),
        || replica.logs(),
    );
    let err0 = num(&mut m, "stats", "sync_partial_err");
    let full0 = num(&mut m, "stats", "sync_full");
    // Freeze the replica, drop its link, write more than the backlog holds, let it go on.
    replica.signal("STOP");
    m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    let v = "y".repeat(1000);
    for i in 0..100 {
        m.cmd(&["SET", &format!("k{i}"), &v]);
    }
    replica.signal("CONT");
    wait_for(
        20,
        "full resync",
        || link_up(replica.port) && same_data(&mut m, &mut r),
        || master.logs(),
    );
    assert_eq!(num(&mut m, "stats", "sync_partial_err"), err0 + 1);
    assert_eq!(num(&mut m, "stats", "sync_full"), full0 + 1);
    let logs = master.logs();
    assert!(
        logs.contains("for lack of backlog (Replica request was: "),
        "{logs}"
    );
}

#[test]
fn backlog_freed_after_ttl_without_replicas() {
    let master = start_oxidis_debug(&["--repl-backlog-ttl", "1"]);
    let mut m = master.conn();
    let mport = master.port.to_string();
    let replica = start_oxidis_debug(&["--replicaof", "127.0.0.1", &mport]);
    wait_for(15, "sync", || link_up(replica.port), || replica.logs());
    assert_eq!(field(&mut m, "replication", "repl_backlog_active"), "1");
    let id = field(&mut m, "replication", "master_replid");
    drop(replica);
    wait_for(
        10,
        "backlog freed",
        || field(&mut m, "replication", "repl_backlog_active") == "0",
        || master.logs(),
    );
    assert_ne!(field(&mut m, "replication", "master_replid"), id);
    assert!(master
        .logs()
        .contains("Replication backlog freed after 1 seconds without connected replicas."));
}

/// The master's repl-timeout: a replica that stops acknowledging (SIGSTOP) is dropped with
/// Redis's log line; running again, it reconnects and continues with a partial resync.
#[test]
fn master_drops_replica_silent_past_repl_timeout() {
    let master = start_oxidis_debug(&["--repl-timeout", "2", "--repl-diskless-sync", "no"]);
    let mut m = master.conn();
    m.cmd(&["SET", "a", "1"]);
    let mport = master.port.to_string();
    let replica = start_oxidis_debug(&["--replicaof", "127.0.0.1", &mport]);
    let mut r = replica.conn();
    let both_logs = || format!("{}\n{}", master.logs(), replica.logs());
    wait_for(
        15,
        "first sync",
        || link_up(replica.port) && same_data(&mut m, &mut r),
        both_logs,
    );
    assert_eq!(field(&mut m, "replication", "connected_slaves"), "1");
    let partial0 = num(&mut m, "stats", "sync_partial_ok");
    let full0 = num(&mut m, "stats", "sync_full");
    replica.signal("STOP");
    let stopped = Instant::now();
    wait_for(
        15,
        "the master dropping the stopped replica",
        || field(&mut m, "replication", "connected_slaves") == "0",
        both_logs,
    );
    // Not at once: its last ACK has to get older than 2 s first.
    assert!(
        stopped.elapsed() >= Duration::from_millis(500),
        "{:?}",
        stopped.elapsed()
    );
    let line = format!(
        "Disconnecting timedout replica (streaming sync): 127.0.0.1:{}",
        replica.port
    );
    assert!(master.logs().contains(&line), "{}", master.logs());
    // Written while it is away: the backlog carries it.
    m.cmd(&["SET", "b", "2"]);
    replica.signal("CONT");
    wait_for(
        15,
        "the replica back with a partial resync",
        || {
            field(&mut m, "replication", "connected_slaves") == "1"
                && num(&mut m, "stats", "sync_partial_ok") > partial0
                && link_up(replica.port)
                && same_data(&mut m, &mut r)
        },
        both_logs,
    );
    assert_eq!(r.s(&["GET", "b"]), "$1\r\n2\r\n");
    assert_eq!(num(&mut m, "stats", "sync_full"), full0);
    assert_eq!(field(&mut r, "replication", "master_link_status"), "up");
    let accepted = format!(
        "Partial resynchronization request from 127.0.0.1:{} accepted.",
        replica.port
    );
    assert!(master.logs().contains(&accepted), "{}", master.logs());
}

/// A replica loading its payload for longer than the master's repl-timeout is not dropped:
/// it sends the master a newline every second while it loads (as Redis).
#[test]
fn replica_loading_past_master_repl_timeout_is_kept() {
    let master = start_oxidis_debug(&["--repl-timeout", "2", "--repl-diskless-sync", "no"]);
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "2000"]);
    let mport = master.port.to_string();
    // 2000 keys at 2 ms each: a load of about 4 s.
    let replica = start_oxidis_debug(&[
        "--key-load-delay",
        "2000",
        "--replicaof",
        "127.0.0.1",
        &mport,
    ]);
    let mut r = replica.conn();
    wait_for(
        30,
        "sync after the slow load",
        || link_up(replica.port) && same_data(&mut m, &mut r),
        || format!("{}\n{}", master.logs(), replica.logs()),
    );
    let logs = master.logs();
    assert!(!logs.contains("Disconnecting timedout replica"), "{logs}");
    assert_eq!(num(&mut m, "stats", "sync_full"), 1, "{logs}");
    assert!(
        replica
            .logs()
            .contains("MASTER <-> REPLICA sync: Loading DB in memory"),
        "{}",
        replica.logs()
    );
}

/// `replica-serve-stale-data no`: while the link is down, data commands get -MASTERDOWN,
/// INFO still answers; the same as a real Redis replica of a dead master.
#[test]
fn stale_replica_answers_masterdown() {
    let dead = free_port().to_string();
    let args = [
        "--replicaof",
        "127.0.0.1",
        &dead,
        "--replica-serve-stale-data",
        "no",
        "--save",
        "",
    ];
    // PING is refused too, so readiness is checked with INFO.
    let start = |bin: &std::path::Path| {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(bin);
        cmd.args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .args(args);
        let p = spawn_logged(cmd, dir, port);
        wait_for(
            10,
            "server up",
            || {
                try_conn(port)
                    .and_then(|mut c| c.try_cmd(&["INFO", "server"]).ok())
                    .is_some()
            },
            || p.logs(),
        );
        p
    };
    let replica = start(&oxidis_bin());
    let mut r = replica.conn();
    let want =
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n";
    assert_eq!(r.s(&["GET", "k"]), want);
    assert!(r
        .s(&["INFO", "replication"])
        .contains("master_link_status:down"));
    if have_redis() {
        let real = start(std::path::Path::new("redis-server"));
        let mut c = real.conn();
        assert_eq!(c.s(&["GET", "k"]), want);
        assert_eq!(r.s(&["PING"]), c.s(&["PING"]));
    }
}

#[test]
fn diskless_sync_to_oxidis_and_redis_replicas() {
    let master = start_oxidis_debug(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "20000"]);
    m.cmd(&["HSET", "h", "f", "v"]);
    m.cmd(&["RPUSH", "l", "a", "b"]);
    let mport = master.port.to_string();
    let ox = start_oxidis_debug(&["--replicaof", "127.0.0.1", &mport]);
    let mut replicas = vec![ox];
    if have_redis() {
        replicas.push(start_redis(&[
            "--replicaof",
            "127.0.0.1",
            &mport,
            "--enable-debug-command",
            "yes",
        ]));
    }
    for rp in &replicas {
        let mut r = rp.conn();
        wait_for(
            20,
            "diskless sync",
            || link_up(rp.port) && same_data(&mut m, &mut r),
            || format!("{}\n{}", master.logs(), rp.logs()),
        );
    }
    // The stream follows the payload.
    m.cmd(&["SET", "after", "1"]);
    for rp in &replicas {
        let mut r = rp.conn();
        wait_for(
            10,
            "stream after diskless sync",
            || same_data(&mut m, &mut r),
            || rp.logs(),
        );
    }
    let logs = master.logs();
    assert!(
        logs.contains("Starting BGSAVE for SYNC with target: replicas sockets"),
        "{logs}"
    );
    assert!(logs.contains("Synchronization with replica"), "{logs}");
}

/// `repl-diskless-sync-max-replicas 2` starts the fork as soon as two replicas wait, long
/// before `repl-diskless-sync-delay`: one child serves both.
#[test]
fn diskless_max_replicas_shares_one_fork() {
    let master = start_oxidis_debug(&[
        "--repl-diskless-sync-delay",
        "60",
        "--repl-diskless-sync-max-replicas",
        "2",
    ]);
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "5000"]);
    let mport = master.port.to_string();
    let a = start_oxidis_debug(&["--replicaof", "127.0.0.1", &mport]);
    let b = start_oxidis_debug(&["--replicaof", "127.0.0.1", &mport]);
    for rp in [&a, &b] {
        let mut r = rp.conn();
        wait_for(
            20,
            "diskless sync of both",
            || link_up(rp.port) && same_data(&mut m, &mut r),
            || format!("{}\n{}", master.logs(), rp.logs()),
        );
    }
    let logs = master.logs();
    assert_eq!(
        logs.matches("Starting BGSAVE for SYNC with target: replicas sockets")
            .count(),
        1,
        "{logs}"
    );
    assert!(
        logs.contains("Delay next BGSAVE for diskless SYNC"),
        "{logs}"
    );
}
