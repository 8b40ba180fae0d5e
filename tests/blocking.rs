//! Blocking list commands with real processes and several connections: FIFO service of clients
//! blocked on one key, several keys, fractional timeouts, clients that hang up while blocked,
//! BLMOVE chains, CLIENT UNBLOCK, RESP3. Each scenario runs against oxidis and, when it is
//! installed, against a real redis-server; the transcripts of replies must be identical.
mod common;

use common::*;
use std::time::{Duration, Instant};

fn text(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).to_string()
}

/// A client that sends one (blocking) command now and reads the reply later.
fn send(port: u16, args: &[&str]) -> Conn {
    let mut c = Conn::connect(port);
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.send(&a);
    c
}

/// Run `scenario` against oxidis and, if available, redis; the transcripts must match.
fn both(scenario: fn(u16) -> Vec<String>) -> Vec<String> {
    let ox = start_oxidis(&[]);
    let mine = scenario(ox.port);
    if have_redis() {
        let rs = start_redis(&[]);
        let theirs = scenario(rs.port);
        assert_eq!(mine, theirs, "oxidis (left) and redis (right) differ");
    }
    mine
}

fn fifo_on_one_key(port: u16) -> Vec<String> {
    let mut ctl = Conn::connect(port);
    let mut waiting = Vec::new();
    for i in 0..3 {
        waiting.push(send(port, &["BLPOP", "q", "0"]));
        wait_blocked(&mut ctl, i + 1);
    }
    let mut out = vec![text(ctl.cmd(&["RPUSH", "q", "a", "b", "c", "d"]))];
    for c in waiting.iter_mut() {
        out.push(text(c.read_reply()));
    }
    out.push(text(ctl.cmd(&["LRANGE", "q", "0", "-1"])));
    // One element for two waiters: only the first is served, the second keeps waiting.
    ctl.cmd(&["DEL", "q"]);
    let mut first = send(port, &["BRPOP", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    let mut second = send(port, &["BRPOP", "q", "0"]);
    wait_blocked(&mut ctl, 2);
    out.push(text(ctl.cmd(&["LPUSH", "q", "x"])));
    out.push(text(first.read_reply()));
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["LPUSH", "q", "y", "z"])));
    out.push(text(second.read_reply()));
    out.push(text(ctl.cmd(&["LRANGE", "q", "0", "-1"])));
    out
}

#[test]
fn clients_blocked_on_one_key_are_served_in_order() {
    let t = both(fifo_on_one_key);
    assert_eq!(t[1], "*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_eq!(t[3], "*2\r\n$1\r\nq\r\n$1\r\nc\r\n");
    assert_eq!(t[4], "*1\r\n$1\r\nd\r\n");
}

fn several_keys(port: u16) -> Vec<String> {
    let mut ctl = Conn::connect(port);
    let mut out = Vec::new();
    // The key written is served, whatever its position among the keys.
    let mut c = send(port, &["BLPOP", "k1", "k2", "k3", "0"]);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["RPUSH", "k3", "three"])));
    out.push(text(c.read_reply()));
    // Keys filled in one transaction-less pipeline: the first write wakes the client.
    let mut c = send(port, &["BRPOP", "k1", "k2", "0"]);
    wait_blocked(&mut ctl, 1);
    ctl.send_raw(
        b"*3\r\n$5\r\nRPUSH\r\n$2\r\nk2\r\n$1\r\nb\r\n*3\r\n$5\r\nRPUSH\r\n$2\r\nk1\r\n$1\r\na\r\n",
    );
    out.push(text(ctl.read_reply()));
    out.push(text(ctl.read_reply()));
    out.push(text(c.read_reply()));
    out.push(text(ctl.cmd(&["LRANGE", "k1", "0", "-1"])));
    // BLMPOP waits on several keys and pops up to COUNT from the one written.
    let mut c = send(
        port,
        &["BLMPOP", "0", "2", "m1", "m2", "RIGHT", "COUNT", "2"],
    );
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["RPUSH", "m2", "x", "y", "z"])));
    out.push(text(c.read_reply()));
    // A key of another type does not wake anyone; a list pushed afterwards does.
    let mut c = send(port, &["BLPOP", "w", "0"]);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["SET", "w", "str"])));
    out.push(text(ctl.cmd(&["DEL", "w"])));
    out.push(text(ctl.cmd(&["LPUSH", "w", "v"])));
    out.push(text(c.read_reply()));
    // A waiter in another database is not woken by a push to db 0.
    let mut c = Conn::connect(port);
    c.cmd(&["SELECT", "1"]);
    c.send(&[b"BLPOP", b"d", b"0"]);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["LPUSH", "d", "db0"])));
    ctl.cmd(&["SELECT", "1"]);
    out.push(text(ctl.cmd(&["LPUSH", "d", "db1"])));
    out.push(text(c.read_reply()));
    ctl.cmd(&["SELECT", "0"]);
    out.push(text(ctl.cmd(&["LRANGE", "d", "0", "-1"])));
    out
}

#[test]
fn blocking_on_several_keys() {
    let t = both(several_keys);
    assert_eq!(t[1], "*2\r\n$2\r\nk3\r\n$5\r\nthree\r\n");
    assert_eq!(t[4], "*2\r\n$2\r\nk2\r\n$1\r\nb\r\n");
}

fn timeouts(port: u16) -> Vec<String> {
    let mut out = Vec::new();
    let mut c = Conn::connect(port);
    for args in [
        &["BLPOP", "nokey", "0.1"][..],
        &["BRPOP", "a", "b", "0.1"],
        &["BLMOVE", "nokey", "d", "LEFT", "RIGHT", "0.1"],
        &["BRPOPLPUSH", "nokey", "d", "0.1"],
        &["BLMPOP", "0.1", "1", "nokey", "LEFT"],
    ] {
        let t0 = Instant::now();
        out.push(text(c.cmd(args)));
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_millis(90),
            "{args:?} returned after {took:?}"
        );
        assert!(
            took < Duration::from_secs(2),
            "{args:?} returned after {took:?}"
        );
    }
    out.push(text(c.cmd(&["EXISTS", "nokey", "d"])));
    // The connection works normally afterwards, and pipelined commands behind a blocking
    // one run once it is done.
    c.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nx\r\n$4\r\n0.05\r\n*1\r\n$4\r\nPING\r\n");
    out.push(text(c.read_reply()));
    out.push(text(c.read_reply()));
    let mut ctl = Conn::connect(port);
    out.push(
        ctl.s(&["INFO", "clients"])
            .contains("blocked_clients:0")
            .to_string(),
    );
    out
}

#[test]
fn fractional_timeouts_expire() {
    let t = both(timeouts);
    assert_eq!(t[0], "*-1\r\n");
    assert_eq!(t[2], "*-1\r\n");
    assert_eq!(t[7], "+PONG\r\n");
}

fn disconnect_while_blocked(port: u16) -> Vec<String> {
    let mut ctl = Conn::connect(port);
    let mut out = Vec::new();
    let gone = send(port, &["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    let mut next = send(port, &["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 2);
    drop(gone);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["RPUSH", "q", "a"])));
    out.push(text(next.read_reply()));
    // With nobody waiting any more, the element stays in the list.
    let gone = send(port, &["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    drop(gone);
    wait_blocked(&mut ctl, 0);
    out.push(text(ctl.cmd(&["RPUSH", "q", "b"])));
    out.push(text(ctl.cmd(&["LRANGE", "q", "0", "-1"])));
    out
}

#[test]
fn a_client_that_hangs_up_while_blocked_loses_nothing() {
    let t = both(disconnect_while_blocked);
    assert_eq!(t[1], "*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_eq!(t[3], "*1\r\n$1\r\nb\r\n");
}

fn blmove_chain(port: u16) -> Vec<String> {
    let mut ctl = Conn::connect(port);
    let mut out = Vec::new();
    // c1 waits on a and moves into b; c2 waits on b and moves into c; c3 waits on c.
    let mut c1 = send(port, &["BLMOVE", "a", "b", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut ctl, 1);
    let mut c2 = send(port, &["BRPOPLPUSH", "b", "c", "0"]);
    wait_blocked(&mut ctl, 2);
    let mut c3 = send(port, &["BLPOP", "c", "0"]);
    wait_blocked(&mut ctl, 3);
    out.push(text(ctl.cmd(&["LPUSH", "a", "v"])));
    out.push(text(c1.read_reply()));
    out.push(text(c2.read_reply()));
    out.push(text(c3.read_reply()));
    out.push(text(ctl.cmd(&["EXISTS", "a", "b", "c"])));
    // A served BLMOVE whose destination has the wrong type gets WRONGTYPE; the element stays.
    ctl.cmd(&["SET", "s", "x"]);
    let mut c = send(port, &["BLMOVE", "src", "s", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["RPUSH", "src", "e"])));
    out.push(text(c.read_reply()));
    out.push(text(ctl.cmd(&["LRANGE", "src", "0", "-1"])));
    // A list rotated onto itself by a waiter.
    ctl.cmd(&["DEL", "src"]);
    let mut c = send(port, &["BLMOVE", "src", "src", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["RPUSH", "src", "1", "2"])));
    out.push(text(c.read_reply()));
    out.push(text(ctl.cmd(&["LRANGE", "src", "0", "-1"])));
    out
}

#[test]
fn blmove_served_pushes_to_a_key_another_client_waits_on() {
    let t = both(blmove_chain);
    assert_eq!(t[3], "*2\r\n$1\r\nc\r\n$1\r\nv\r\n");
    assert_eq!(t[4], ":0\r\n");
    assert!(t[6].starts_with("-WRONGTYPE"));
}

fn client_id(c: &mut Conn) -> String {
    let r = text(c.cmd(&["CLIENT", "ID"]));
    r.trim_start_matches(':').trim().to_string()
}

fn unblock(port: u16) -> Vec<String> {
    let mut ctl = Conn::connect(port);
    let mut out = Vec::new();
    for (args, how) in [
        (&["BLPOP", "q", "0"][..], "TIMEOUT"),
        (&["BLPOP", "q", "0"], "ERROR"),
        (&["BLMOVE", "q", "d", "LEFT", "LEFT", "0"], "TIMEOUT"),
        (&["BLMPOP", "0", "1", "q", "LEFT"], "ERROR"),
        (&["BRPOPLPUSH", "q", "d", "0"], ""),
    ] {
        let mut c = Conn::connect(port);
        let id = client_id(&mut c);
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        c.send(&a);
        wait_blocked(&mut ctl, 1);
        let r = if how.is_empty() {
            ctl.cmd(&["CLIENT", "UNBLOCK", &id])
        } else {
            ctl.cmd(&["CLIENT", "UNBLOCK", &id, how])
        };
        out.push(text(r));
        out.push(text(c.read_reply()));
        // Not blocked any more: nothing to unblock.
        out.push(text(ctl.cmd(&["CLIENT", "UNBLOCK", &id])));
        out.push(text(c.cmd(&["PING"])));
    }
    out
}

#[test]
fn client_unblock_timeout_and_error() {
    let t = both(unblock);
    assert_eq!(t[0], ":1\r\n");
    assert_eq!(t[1], "*-1\r\n");
    assert_eq!(t[5], "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    assert_eq!(t[6], ":0\r\n");
}

fn resp3(port: u16) -> Vec<String> {
    let mut ctl = Conn::connect(port);
    let mut out = Vec::new();
    let mut c = Conn::connect(port);
    c.cmd(&["HELLO", "3"]);
    out.push(text(c.cmd(&["BLPOP", "nokey", "0.05"])));
    out.push(text(
        c.cmd(&["BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.05"]),
    ));
    out.push(text(c.cmd(&["BLMPOP", "0.05", "1", "nokey", "LEFT"])));
    c.send(&[b"BLMPOP", b"0", b"1", b"q", b"LEFT", b"COUNT", b"5"]);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["RPUSH", "q", "a", "b"])));
    out.push(text(c.read_reply()));
    c.send(&[b"BRPOP", b"q", b"0"]);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["RPUSH", "q", "c"])));
    out.push(text(c.read_reply()));
    let id = client_id(&mut c);
    c.send(&[b"BRPOPLPUSH", b"q", b"d", b"0"]);
    wait_blocked(&mut ctl, 1);
    out.push(text(ctl.cmd(&["CLIENT", "UNBLOCK", &id])));
    out.push(text(c.read_reply()));
    out
}

#[test]
fn blocking_replies_in_resp3() {
    let t = both(resp3);
    assert_eq!(t[0], "_\r\n");
    assert_eq!(t[4], "*2\r\n$1\r\nq\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

fn stats(port: u16) -> Vec<String> {
    let mut ctl = Conn::connect(port);
    let mut out = Vec::new();
    let mut c = send(port, &["BLPOP", "k1", "k2", "k1", "0"]);
    wait_blocked(&mut ctl, 1);
    let info = ctl.s(&["INFO", "clients"]);
    out.push(info_field(&info, "blocked_clients").unwrap_or_default());
    out.push(info_field(&info, "total_blocking_keys").unwrap_or_default());
    ctl.cmd(&["RPUSH", "k2", "x"]);
    out.push(text(c.read_reply()));
    let info = ctl.s(&["INFO", "clients"]);
    out.push(info_field(&info, "blocked_clients").unwrap_or_default());
    out.push(info_field(&info, "total_blocking_keys").unwrap_or_default());
    // Waits that time out or are ended by CLIENT UNBLOCK count as calls (the latter failed).
    c.cmd(&["BLPOP", "k1", "0.01"]);
    let id = client_id(&mut c);
    c.send(&[b"BLPOP", b"k1", b"0"]);
    wait_blocked(&mut ctl, 1);
    ctl.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]);
    c.read_reply();
    let info = ctl.s(&["INFO", "commandstats"]);
    let stat = |cmd: &str| -> String {
        let line = info_field(&info, &format!("cmdstat_{cmd}")).unwrap_or_default();
        line.split(',')
            .filter(|f| !f.starts_with("usec"))
            .collect::<Vec<_>>()
            .join(",")
    };
    out.push(stat("blpop"));
    out.push(stat("client|unblock"));
    out
}

#[test]
fn blocked_client_stats() {
    let t = both(stats);
    assert_eq!(t[0], "1");
    assert_eq!(t[3], "0");
}

/// MULTI/EXEC: blocking commands inside a transaction answer their timeout reply at once, and
/// a waiter woken by a transaction sees its final state.
fn transactions(port: u16) -> Vec<String> {
    let mut c = Conn::connect(port);
    assert_eq!(c.cmd(&["MULTI"]), b"+OK\r\n");
    let mut out = Vec::new();
    for args in [
        &["BLPOP", "nokey", "0"][..],
        &["BRPOP", "nokey", "0"],
        &["BLMOVE", "nokey", "dst", "LEFT", "RIGHT", "0"],
        &["BRPOPLPUSH", "nokey", "dst", "0"],
        &["BLMPOP", "0", "1", "nokey", "LEFT"],
        &["RPUSH", "l", "a"],
        &["BLPOP", "l", "0"],
    ] {
        out.push(text(c.cmd(args)));
    }
    out.push(text(c.cmd(&["EXEC"])));
    let mut ctl = Conn::connect(port);
    let mut waiter = send(port, &["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    for args in [
        &["MULTI"][..],
        &["RPUSH", "q", "a", "b"],
        &["LPOP", "q"],
        &["EXEC"],
    ] {
        out.push(text(ctl.cmd(args)));
    }
    out.push(text(waiter.read_reply()));
    out.push(text(ctl.cmd(&["EXISTS", "q"])));
    out
}

#[test]
fn blocking_commands_in_transactions() {
    let ox = start_oxidis(&[]);
    let mine = transactions(ox.port);
    assert_eq!(
        mine[7],
        "*7\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n:1\r\n*2\r\n$1\r\nl\r\n$1\r\na\r\n"
    );
    if have_redis() {
        let rs = start_redis(&[]);
        assert_eq!(mine, transactions(rs.port));
    }
}

fn other_writers(port: u16) -> Vec<String> {
    let mut ctl = Conn::connect(port);
    let mut out = Vec::new();
    let mut in_db1 = |args: &[&str], setup: &[&[&str]]| {
        let mut c = Conn::connect(port);
        c.cmd(&["SELECT", "1"]);
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        c.send(&a);
        wait_blocked(&mut ctl, 1);
        for s in setup {
            out.push(text(ctl.cmd(s)));
        }
        out.push(text(c.read_reply()));
    };
    // A list arriving by RENAME, COPY, MOVE or SWAPDB wakes whoever waits on its name.
    in_db1(
        &["BLPOP", "dst", "0"],
        &[
            &["SELECT", "1"],
            &["RPUSH", "src", "r"],
            &["RENAME", "src", "dst"],
        ],
    );
    in_db1(
        &["BLPOP", "dst", "0"],
        &[&["RPUSH", "src", "c"], &["COPY", "src", "dst"]],
    );
    in_db1(
        &["BRPOP", "m", "0"],
        &[
            &["SELECT", "0"],
            &["RPUSH", "m", "moved"],
            &["MOVE", "m", "1"],
        ],
    );
    in_db1(
        &["BLMPOP", "0", "1", "sw", "LEFT", "COUNT", "9"],
        &[&["RPUSH", "sw", "s1", "s2"], &["SWAPDB", "0", "1"]],
    );
    out.push(text(ctl.cmd(&["DBSIZE"])));
    out
}

#[test]
fn lists_arriving_by_rename_copy_move_or_swapdb_wake_waiters() {
    let t = both(other_writers);
    assert_eq!(t[3], "*2\r\n$3\r\ndst\r\n$1\r\nr\r\n");
}
