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

/// The stream after the commands of `cmds`, up to a closing `SET after x`, with keep-alive
/// PINGs and SELECTs removed.
fn stream_of(port: u16, cmds: &[&[&str]]) -> Vec<u8> {
    let mut r = attach(port);
    let mut m = Conn::connect(port);
    for c in cmds {
        m.cmd(c);
    }
    m.cmd(&["SET", "after", "x"]);
    let mut got = read_until(&mut r, b"after\r\n");
    for noise in [
        &b"*1\r\n$4\r\nPING\r\n"[..],
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n",
    ] {
        while let Some(i) = got.windows(noise.len()).position(|w| w == noise) {
            got.drain(i..i + noise.len());
        }
    }
    got
}

#[test]
fn hyperloglog_commands_propagate_as_in_redis() {
    // PFADD and PFMERGE go out when they changed something; a single-key PFCOUNT goes out
    // when it refreshed the cached cardinality (read-only, but it changed the value); a
    // PFDEBUG that converted the encoding goes out too.
    let cmds: &[&[&str]] = &[
        &["PFADD", "h", "a", "b", "c"],
        &["PFADD", "h", "a"],
        &["PFCOUNT", "h"],
        &["PFCOUNT", "h"],
        &["PFCOUNT", "h", "other"],
        &["PFCOUNT", "missing"],
        &["PFMERGE", "d", "h"],
        &["pfcount", "d"],
        &["PFDEBUG", "TODENSE", "h"],
        &["PFDEBUG", "TODENSE", "h"],
        &["PFDEBUG", "GETREG", "d"],
        &["PFADD", "h", "z"],
        // Inside transactions (of two writes: Redis 7.0 leaves a lone write unwrapped): the
        // refresh is part of the MULTI block, a cached count is not.
        &["PFADD", "t", "q"],
        &["MULTI"],
        &["PFCOUNT", "t"],
        &["GET", "x"],
        &["PFADD", "t", "r1", "r2", "r3"],
        &["EXEC"],
        &["MULTI"],
        &["PFCOUNT", "t"],
        &["PFCOUNT", "t"],
        &["SET", "y", "1"],
        &["EXEC"],
    ];
    let ox = start_oxidis(&[]);
    let rd = start_redis(&["--repl-diskless-sync", "no"]);
    let (a, b) = (stream_of(ox.port, cmds), stream_of(rd.port, cmds));
    assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    assert_eq!(a.windows(7).filter(|w| w == b"PFCOUNT").count(), 3);

    // A real Redis replica of oxidis ends with the same bytes, cached cardinalities included.
    let replica = start_redis(&["--replicaof", "127.0.0.1", &ox.port.to_string()]);
    let mut m = ox.conn();
    m.cmd(&["PFADD", "late", "x", "y"]);
    m.cmd(&["PFCOUNT", "late"]);
    let mut r = replica.conn();
    for k in ["h", "d", "late"] {
        let want = m.cmd(&["GET", k]);
        assert!(wait_until(10, || r.cmd(&["GET", k]) == want), "{k}");
    }
}

/// The bitmap commands reach replicas exactly when Redis sends them: only calls that changed
/// something (a SETBIT that keeps the bit, a BITFIELD of GETs or of failed INCRBYs, a BITOP
/// of empty sources over a missing target are not sent). Both streams must be equal bytes.
#[test]
fn bitmap_writes_are_propagated_as_redis_does() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    // Disk-based sync: `attach` reads a `$len` payload, not the diskless EOF marker.
    let redis = start_redis(&["--repl-diskless-sync", "no"]);
    let ox = start_oxidis(&[]);
    let script: &[&[&str]] = &[
        &["SETBIT", "b", "7", "1"],
        &["SETBIT", "b", "7", "1"],
        &["SETBIT", "b", "3", "0"],
        &["SETBIT", "b", "100", "0"],
        &["SETBIT", "b", "abc", "1"],
        &["BITFIELD", "b", "GET", "u8", "0"],
        &["BITFIELD", "b", "SET", "u8", "0", "1", "GET", "u4", "0"],
        &["BITFIELD", "b", "SET", "u8", "0", "1"],
        &["BITFIELD", "b", "INCRBY", "u8", "0", "0"],
        &[
            "BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "100",
        ],
        &[
            "BITFIELD", "nb", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "100",
        ],
        &["BITFIELD", "b", "SET", "u8", "200", "0"],
        &[
            "BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "1000",
        ],
        &["BITFIELD_RO", "b", "GET", "i8", "0"],
        &["BITOP", "AND", "d", "nokey", "nokey2"],
        &["BITOP", "AND", "d", "b", "b"],
        &["BITOP", "OR", "d", "nokey"],
        &["BITOP", "OR", "d", "nokey"],
        &["BITCOUNT", "b"],
        &["BITPOS", "b", "1"],
        &["GETBIT", "b", "7"],
        &["LCS", "b", "d"],
        &["SET", "i", "123"],
        &["SETBIT", "i", "2", "0"],
        &["SET", "after", "x"],
    ];
    let mut streams = Vec::new();
    let mut changes = Vec::new();
    for p in [&redis, &ox] {
        let mut r = attach(p.port);
        let mut c = p.conn();
        for cmd in script {
            c.cmd(cmd);
        }
        // The writes counted (`dirty`) must match too, not only what was sent.
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
        changes.push(
            info.lines()
                .find(|l| l.starts_with("rdb_changes_since_last_save:"))
                .map(str::to_string),
        );
        // Keep-alive PINGs come at times of their own: leave them out.
        let got = String::from_utf8_lossy(&read_until(&mut r, b"after")).into_owned();
        streams.push(got.replace("*1\r\n$4\r\nPING\r\n", ""));
    }
    assert_eq!(
        streams[1], streams[0],
        "oxidis's stream (left) differs from redis's (right)"
    );
    assert!(changes[0].is_some());
    assert_eq!(changes[1], changes[0], "dirty counts: oxidis, redis");
}
