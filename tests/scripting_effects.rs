//! A script's writes act on the rest of the server as any client's writes do, on oxidis and on
//! a real redis-server side by side: a WATCH sees them (the watcher's EXEC fails), a client
//! blocked on the key is woken, and EVAL queued in MULTI runs inside EXEC.
mod common;

use common::*;
use std::time::Duration;

#[allow(clippy::vec_init_then_push)] // one push per step reads as the exchange it records
fn transcript(p: &Proc) -> Vec<String> {
    let mut a = p.conn();
    let mut b = p.conn();
    let mut out = Vec::new();
    // WATCH, then another client's script writes the key: EXEC aborts.
    out.push(a.s(&["WATCH", "w"]));
    out.push(b.s(&[
        "EVAL",
        "return redis.call('set', KEYS[1], 'by-script')",
        "1",
        "w",
    ]));
    out.push(a.s(&["MULTI"]));
    out.push(a.s(&["SET", "w", "by-tx"]));
    out.push(a.s(&["EXEC"]));
    out.push(a.s(&["GET", "w"]));
    // A read-only script does not touch the watched key.
    out.push(a.s(&["WATCH", "w"]));
    out.push(b.s(&["EVAL", "return redis.call('get', KEYS[1])", "1", "w"]));
    out.push(a.s(&["MULTI"]));
    out.push(a.s(&["SET", "w", "by-tx"]));
    out.push(a.s(&["EXEC"]));
    // A client blocked on a list is woken by a script's push.
    a.send(&[b"BLPOP", b"q", b"10"]);
    std::thread::sleep(Duration::from_millis(200));
    out.push(b.s(&[
        "EVAL",
        "return redis.call('rpush', KEYS[1], 'job')",
        "1",
        "q",
    ]));
    out.push(String::from_utf8_lossy(&a.read_reply()).into_owned());
    // EVAL queued in a transaction runs in EXEC, its reply in EXEC's array.
    out.push(a.s(&["MULTI"]));
    out.push(a.s(&["EVAL", "return redis.call('incr', 'n')", "0"]));
    out.push(a.s(&["EVAL", "return redis.call('incr', 'n')", "0"]));
    out.push(a.s(&["EXEC"]));
    out
}

#[test]
fn script_writes_touch_watchers_and_wake_blocked_clients_as_redis() {
    if !have_redis() {
        return;
    }
    let ox = start_oxidis(&[]);
    let re = start_redis(&[]);
    let (o, r) = (transcript(&ox), transcript(&re));
    assert_eq!(o, r, "oxidis (left) and redis (right)");
    assert_eq!(o[4], "*-1\r\n", "the watched EXEC must fail: {o:?}");
    assert_eq!(o[12], "*2\r\n$1\r\nq\r\n$3\r\njob\r\n", "{o:?}");
}
