//! Black-box MULTI/EXEC/WATCH tests with several connections: WATCH invalidated by another
//! client's write, by expiry (lazy, active, or just time passing), by FLUSHALL; EXECABORT after
//! a queueing error; a runtime error in the middle of EXEC; CLIENT LIST flags; and EXEC of a
//! write transaction held back by CLIENT PAUSE WRITE.
mod common;
use common::*;
use std::time::{Duration, Instant};

/// MULTI, one INCR, EXEC: the EXEC reply.
fn try_incr(c: &mut Conn, key: &str) -> String {
    assert_eq!(c.s(&["multi"]), "+OK\r\n");
    assert_eq!(c.s(&["incr", key]), "+QUEUED\r\n");
    c.s(&["exec"])
}

#[test]
fn watch_is_invalidated_by_another_clients_write() {
    let srv = start_oxidis(&[]);
    let mut a = srv.conn();
    let mut b = srv.conn();
    a.cmd(&["set", "k", "1"]);
    a.cmd(&["watch", "k"]);
    assert_eq!(b.s(&["set", "k", "2"]), "+OK\r\n");
    let list = b.s(&["client", "list"]);
    assert!(list.contains("flags=d "), "{list}");
    assert_eq!(try_incr(&mut a, "k"), "*-1\r\n");
    assert_eq!(a.s(&["get", "k"]), "$1\r\n2\r\n");
    // Not watching any more: the next transaction runs.
    assert_eq!(try_incr(&mut a, "k"), "*1\r\n:3\r\n");
    // A write to an unrelated key leaves the watch alone.
    a.cmd(&["watch", "k"]);
    b.cmd(&["set", "other", "x"]);
    assert_eq!(try_incr(&mut a, "k"), "*1\r\n:4\r\n");
    // Deleting the key, or a write in another db with the same name.
    a.cmd(&["watch", "k"]);
    b.cmd(&["select", "1"]);
    b.cmd(&["set", "k", "x"]);
    assert_eq!(try_incr(&mut a, "k"), "*1\r\n:5\r\n");
    a.cmd(&["watch", "k"]);
    b.cmd(&["select", "0"]);
    assert_eq!(b.s(&["del", "k"]), ":1\r\n");
    assert_eq!(try_incr(&mut a, "k"), "*-1\r\n");
}

#[test]
fn watch_is_invalidated_by_expiry() {
    let srv = start_oxidis(&[]);
    let mut a = srv.conn();
    // Time passing alone (no access, active expiry off).
    a.cmd(&["debug", "set-active-expire", "0"]);
    a.cmd(&["set", "t", "v", "px", "100"]);
    a.cmd(&["watch", "t"]);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(try_incr(&mut a, "x"), "*-1\r\n");
    // Lazy expiry by another client's read.
    let mut b = srv.conn();
    a.cmd(&["set", "t", "v", "px", "100"]);
    a.cmd(&["watch", "t"]);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(b.s(&["get", "t"]), "$-1\r\n");
    let list = b.s(&["client", "list"]);
    assert!(list.contains("flags=d "), "{list}");
    assert_eq!(try_incr(&mut a, "x"), "*-1\r\n");
    // Active expiry.
    a.cmd(&["debug", "set-active-expire", "1"]);
    a.cmd(&["set", "t", "v", "px", "100"]);
    a.cmd(&["watch", "t"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.s(&["dbsize"]) != ":0\r\n" {
        // Empty once the cycle removed `t` (DBSIZE does not expire keys).
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    // The expiry cycle's deletion counts as a write: the watcher is flagged at once.
    let list = b.s(&["client", "list"]);
    assert!(list.contains("flags=d "), "{list}");
    assert_eq!(try_incr(&mut a, "x"), "*-1\r\n");
    // A key with a TTL that has not passed is fine.
    a.cmd(&["set", "t", "v", "ex", "100"]);
    a.cmd(&["watch", "t"]);
    assert_eq!(try_incr(&mut a, "x"), "*1\r\n:1\r\n");
}

#[test]
fn watch_is_invalidated_by_flushall() {
    let srv = start_oxidis(&[]);
    let mut a = srv.conn();
    let mut b = srv.conn();
    a.cmd(&["set", "k", "1"]);
    a.cmd(&["watch", "k"]);
    b.cmd(&["flushall"]);
    assert_eq!(try_incr(&mut a, "k"), "*-1\r\n");
    // A watched key that did not exist is not touched by a flush.
    a.cmd(&["watch", "nothere"]);
    b.cmd(&["flushall"]);
    assert_eq!(try_incr(&mut a, "k"), "*1\r\n:1\r\n");
    // FLUSHDB of another database leaves it alone; of its own database touches it.
    a.cmd(&["watch", "k"]);
    b.cmd(&["select", "3"]);
    b.cmd(&["flushdb"]);
    assert_eq!(try_incr(&mut a, "k"), "*1\r\n:2\r\n");
    a.cmd(&["watch", "k"]);
    b.cmd(&["select", "0"]);
    b.cmd(&["flushdb"]);
    assert_eq!(try_incr(&mut a, "k"), "*-1\r\n");
}

#[test]
fn execabort_and_runtime_errors() {
    let srv = start_oxidis(&[]);
    let mut a = srv.conn();
    assert_eq!(a.s(&["multi"]), "+OK\r\n");
    assert_eq!(a.s(&["set", "a", "1"]), "+QUEUED\r\n");
    assert_eq!(
        a.s(&["nosuch"]),
        "-ERR unknown command 'nosuch', with args beginning with: \r\n"
    );
    assert_eq!(
        a.s(&["exec"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(a.s(&["get", "a"]), "$-1\r\n");
    // A runtime error stays in the reply array; the other commands run.
    a.cmd(&["set", "s", "str"]);
    a.cmd(&["multi"]);
    a.cmd(&["set", "a", "1"]);
    a.cmd(&["incr", "s"]);
    a.cmd(&["incr", "a"]);
    assert_eq!(
        a.s(&["exec"]),
        "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n:2\r\n"
    );
    // Commands of a transaction count as calls when they run, not when queued.
    let stats = a.s(&["info", "commandstats"]);
    assert!(stats.contains("cmdstat_incr:calls=2,"), "{stats}");
    assert!(stats.contains("failed_calls=1"), "{stats}");
    // CLIENT LIST inside EXEC shows the transaction.
    a.cmd(&["multi"]);
    a.cmd(&["client", "info"]);
    let r = a.s(&["exec"]);
    assert!(r.contains("flags=x ") && r.contains(" multi=1 "), "{r}");
}

#[test]
fn exec_with_writes_waits_for_client_pause_write() {
    let srv = start_oxidis(&[]);
    let mut a = srv.conn();
    let mut b = srv.conn();
    a.cmd(&["multi"]);
    a.cmd(&["get", "k"]);
    b.cmd(&["client", "pause", "300", "write"]);
    // A read-only transaction runs at once.
    let t = Instant::now();
    assert_eq!(a.s(&["exec"]), "*1\r\n$-1\r\n");
    assert!(t.elapsed() < Duration::from_millis(200));
    // One with a write waits until the pause ends (queueing the write itself waits too).
    b.cmd(&["client", "pause", "300", "write"]);
    let t = Instant::now();
    a.cmd(&["multi"]);
    assert_eq!(a.s(&["set", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(a.s(&["exec"]), "*1\r\n+OK\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn own_writes_invalidate_and_reset_forgets() {
    let srv = start_oxidis(&[]);
    let mut a = srv.conn();
    // Own write to a watched key invalidates too; RESET drops MULTI and WATCH.
    a.cmd(&["watch", "k"]);
    a.cmd(&["set", "k", "1"]);
    assert_eq!(try_incr(&mut a, "k"), "*-1\r\n");
    a.cmd(&["watch", "k"]);
    a.cmd(&["set", "k", "1"]);
    a.cmd(&["multi"]);
    assert_eq!(a.s(&["reset"]), "+RESET\r\n");
    assert_eq!(a.s(&["exec"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(try_incr(&mut a, "k"), "*1\r\n:2\r\n");
}
