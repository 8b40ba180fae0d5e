//! `sentinel rename-command` end to end: an oxidis data node started with
//! `rename-command PING XPING` (its plain PING is an unknown command) watched by two oxidis
//! sentinels under two master names (their hellos ignore each other). The one configured with
//! `sentinel rename-command <master> PING XPING` keeps the master up; the other marks it S_DOWN
//! until `SENTINEL SET <master> rename-command ping XPING` makes it send XPING too.
mod common;
use common::sentinel::{cmd_at, Val};
use common::*;
use std::process::Command;

/// A sentinel monitoring the node at `node` as `name`, with `extra` sentinel lines.
fn start_sentinel(name: &str, node: u16, extra: &str) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let path = dir.path().join("sentinel.conf");
    let conf = format!(
        "port {port}\n\
         sentinel monitor {name} 127.0.0.1 {node} 2\n\
         sentinel down-after-milliseconds {name} 1000\n{extra}"
    );
    std::fs::write(&path, conf).expect("write sentinel.conf");
    let mut cmd = Command::new(oxidis_bin());
    cmd.arg(&path).arg("--sentinel");
    spawn_ready(cmd, dir, port)
}

/// The `flags` field of SENTINEL MASTER `name`.
fn flags(s: &Proc, name: &str) -> String {
    let Some(r) = cmd_at(s.port, &["SENTINEL", "MASTER", name]) else {
        return String::new();
    };
    let Val::Arr(items) = r else {
        return String::new();
    };
    items
        .chunks(2)
        .find(|kv| kv[0].text() == "flags")
        .map(|kv| kv[1].text())
        .unwrap_or_default()
}

#[test]
fn renamed_ping_keeps_the_master_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node_port = free_port();
    let conf = dir.path().join("node.conf");
    std::fs::write(
        &conf,
        format!("port {node_port}\nsave \"\"\nrename-command PING XPING\n"),
    )
    .expect("write node.conf");
    let mut cmd = Command::new(oxidis_bin());
    cmd.arg(&conf);
    let node = spawn_logged(cmd, dir, node_port);
    let up = wait_until(10, || {
        cmd_at(node_port, &["XPING"]).is_some_and(|v| v == Val::Str("PONG".into()))
    });
    assert!(up, "node did not start: {}", node.logs());
    assert!(cmd_at(node_port, &["PING"]).is_some_and(|v| matches!(v, Val::Err(_))));

    let renamed = start_sentinel(
        "renamed",
        node_port,
        "sentinel rename-command renamed PING XPING\n",
    );
    let plain = start_sentinel("plain", node_port, "");

    // Without the directive the sentinel's PING fails: S_DOWN after down-after (1 s).
    let down = wait_until(15, || flags(&plain, "plain").contains("s_down"));
    assert!(down, "plain never s_down: {}", plain.logs());
    // Meanwhile the sentinel that sends XPING sees a connected, answering master.
    assert_eq!(flags(&renamed, "renamed"), "master", "{}", renamed.logs());

    // SENTINEL SET rename-command takes effect at once (and is persisted).
    let r = cmd_at(
        plain.port,
        &[
            "SENTINEL",
            "SET",
            "plain",
            "rename-command",
            "ping",
            "XPING",
        ],
    );
    assert_eq!(r, Some(Val::Str("OK".into())));
    let back = wait_until(10, || flags(&plain, "plain") == "master");
    assert!(back, "plain still down: {}", plain.logs());
    let saved = std::fs::read_to_string(plain.path("sentinel.conf")).unwrap_or_default();
    assert!(
        saved.contains("sentinel rename-command plain ping XPING\n"),
        "{saved}"
    );
    let saved = std::fs::read_to_string(renamed.path("sentinel.conf")).unwrap_or_default();
    assert!(
        saved.contains("sentinel rename-command renamed PING XPING\n"),
        "{saved}"
    );
    assert_eq!(flags(&renamed, "renamed"), "master");
}
