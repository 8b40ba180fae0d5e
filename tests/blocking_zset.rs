//! Blocking sorted-set pops (BZPOPMIN, BZPOPMAX, BZMPOP): clients blocked on one key are served
//! in the order they blocked, a write that fills a watched key wakes them, the key that became
//! ready is served first, and timeouts reply a null array.
mod common;
use common::*;
use std::time::{Duration, Instant};

fn read(c: &mut Conn) -> String {
    String::from_utf8_lossy(&c.read_reply()).to_string()
}

#[test]
fn fifo_order_and_wakeup() {
    let srv = start_oxidis(&[]);
    let mut admin = srv.conn();
    let mut clients: Vec<Conn> = (0..3).map(|_| srv.conn()).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.send(&[b"BZPOPMIN", b"k", b"0"]);
        wait_blocked(&mut admin, i + 1);
    }
    // One member: only the first client is served; the others stay blocked.
    assert_eq!(admin.s(&["ZADD", "k", "5", "x"]), ":1\r\n");
    assert_eq!(
        read(&mut clients[0]),
        "*3\r\n$1\r\nk\r\n$1\r\nx\r\n$1\r\n5\r\n"
    );
    wait_blocked(&mut admin, 2);
    // Two members: served lowest first, in blocking order.
    assert_eq!(admin.s(&["ZADD", "k", "1", "a", "2", "b"]), ":2\r\n");
    assert_eq!(
        read(&mut clients[1]),
        "*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        read(&mut clients[2]),
        "*3\r\n$1\r\nk\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    wait_blocked(&mut admin, 0);
    assert_eq!(admin.s(&["EXISTS", "k"]), ":0\r\n");
    // The served clients work normally afterwards.
    assert_eq!(clients[0].s(&["PING"]), "+PONG\r\n");
}

#[test]
fn bzpopmax_and_bzmpop_serve_the_ready_key() {
    let srv = start_oxidis(&[]);
    let mut admin = srv.conn();
    let mut c1 = srv.conn();
    let mut c2 = srv.conn();
    c1.send(&[b"BZPOPMAX", b"k1", b"k2", b"0"]);
    wait_blocked(&mut admin, 1);
    c2.send(&[b"BZMPOP", b"0", b"2", b"k1", b"k2", b"MAX", b"COUNT", b"2"]);
    wait_blocked(&mut admin, 2);
    // k2 fills: c1 (blocked first) takes the max, c2 gets what is left of k2.
    assert_eq!(
        admin.s(&["ZADD", "k2", "1", "a", "2", "b", "3", "c"]),
        ":3\r\n"
    );
    assert_eq!(read(&mut c1), "*3\r\n$2\r\nk2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    assert_eq!(
        read(&mut c2),
        "*2\r\n$2\r\nk2\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    wait_blocked(&mut admin, 0);
    // Writes of another type do not wake a sorted-set waiter.
    c1.send(&[b"BZPOPMIN", b"s", b"0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.s(&["SET", "s", "v"]), "+OK\r\n");
    std::thread::sleep(Duration::from_millis(50));
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.s(&["DEL", "s"]), ":1\r\n");
    assert_eq!(admin.s(&["ZADD", "s", "7", "m"]), ":1\r\n");
    assert_eq!(read(&mut c1), "*3\r\n$1\r\ns\r\n$1\r\nm\r\n$1\r\n7\r\n");
}

#[test]
fn timeouts_reply_null_array() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    let t = Instant::now();
    assert_eq!(c.s(&["BZPOPMIN", "nokey", "0.2"]), "*-1\r\n");
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(c.s(&["BZMPOP", "0.1", "1", "nokey", "MIN"]), "*-1\r\n");
    assert!(c.s(&["HELLO", "3"]).starts_with("%"));
    assert_eq!(c.s(&["BZPOPMAX", "nokey", "0.1"]), "_\r\n");
    // RESP3 scores are doubles.
    assert_eq!(c.s(&["ZADD", "k", "1.5", "a"]), ":1\r\n");
    assert_eq!(
        c.s(&["BZPOPMAX", "k", "0"]),
        "*3\r\n$1\r\nk\r\n$1\r\na\r\n,1.5\r\n"
    );
}
