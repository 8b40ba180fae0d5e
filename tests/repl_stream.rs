//! The replication stream as bytes: the test attaches to an oxidis master as a bare replica
//! (PSYNC ? -1), skips the RDB, and checks what the master sends for transactions.
mod common;
mod repl_util;
use common::*;
use repl_util::{attach, read_until};

#[test]
fn transactions_are_propagated_inside_multi_exec() {
    let master = start_oxidis(&[]);
    let mut r = attach(master.port);
    let mut m = master.conn();
    for c in [
        &["MULTI"][..],
        &["SET", "a", "1"],
        &["GET", "a"],
        &["INCR", "a"],
        &["EXEC"],
    ] {
        m.cmd(c);
    }
    // A transaction that writes nothing is not wrapped (nothing is propagated at all).
    for c in [&["MULTI"][..], &["GET", "a"], &["EXEC"]] {
        m.cmd(c);
    }
    m.cmd(&["SET", "after", "x"]);
    let got = read_until(&mut r, b"after");
    let want = b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n";
    assert!(
        got.windows(want.len()).any(|w| w == want),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(
        got.windows(7).filter(|w| w == b"\r\nMULTI").count(),
        1,
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[test]
fn a_replica_applies_a_propagated_transaction() {
    let master = start_oxidis(&[]);
    let replica = start_oxidis(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut m = master.conn();
    for c in [
        &["MULTI"][..],
        &["SET", "a", "1"],
        &["LPUSH", "l", "x", "y"],
        &["INCR", "a"],
        &["EXEC"],
    ] {
        m.cmd(c);
    }
    let mut r = replica.conn();
    assert!(wait_until(10, || r.cmd(&["GET", "a"]) == b"$1\r\n2\r\n"));
    assert_eq!(r.cmd(&["LLEN", "l"]), b":2\r\n");
}

#[test]
fn restore_with_a_relative_ttl_is_propagated_with_the_absolute_time() {
    let master = start_oxidis(&[]);
    let mut m = master.conn();
    m.cmd(&["SET", "src", "value"]);
    let dump = m.cmd(&["DUMP", "src"]);
    // `$len\r\npayload\r\n` -> payload
    let start = dump.iter().position(|&c| c == b'\n').unwrap() + 1;
    let payload = dump[start..dump.len() - 2].to_vec();
    let mut r = attach(master.port);
    assert_eq!(
        m.cmd_bin(&[b"RESTORE", b"dst", b"100000", &payload]),
        b"+OK\r\n"
    );
    m.cmd(&["SET", "after", "x"]);
    let got = read_until(&mut r, b"after");
    let text = String::from_utf8_lossy(&got).into_owned();
    let at: i64 = text
        .split("\r\n")
        .skip_while(|l| *l != "dst")
        .nth(2)
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("no RESTORE dst in {text:?}"));
    let pttl_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(
        at > pttl_at && at <= pttl_at + 100_000,
        "{at} vs now {pttl_at}"
    );
    assert!(text.contains("$6\r\nABSTTL\r\n"), "{text:?}");
}
