//! Sentinel `resolve-hostnames` / `announce-hostnames` end to end: an oxidis sentinel monitors
//! an oxidis node as `localhost` (the `monitor` line before `resolve-hostnames`, which oxidis
//! accepts in any order), really connects to it (the master's run id is learned and it never
//! goes S_DOWN), and reports `localhost` or `127.0.0.1` as announce-hostnames says. Without
//! resolve-hostnames a host name is refused, at runtime and in the config file.
mod common;
use common::val::parse;
use common::*;
use std::process::Command;
use std::time::Duration;

fn sentinel_cmd(conf: &str, dir: &tempfile::TempDir, port: u16) -> Command {
    let path = dir.path().join("sentinel.conf");
    std::fs::write(&path, format!("port {port}\n{conf}")).expect("write sentinel.conf");
    let mut cmd = Command::new(oxidis_bin());
    cmd.arg(&path).arg("--sentinel");
    cmd
}

#[test]
fn monitor_by_hostname_connects_and_reports_per_announce_hostnames() {
    let node = start_oxidis(&[]);
    let conf = format!(
        "sentinel monitor m localhost {} 1\n\
         sentinel down-after-milliseconds m 1000\n\
         sentinel resolve-hostnames yes\n\
         sentinel announce-hostnames yes\n",
        node.port
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let s = spawn_ready(sentinel_cmd(&conf, &dir, port), dir, port);
    let mut c = s.conn();
    let master = |c: &mut Conn| parse(&c.cmd(&["SENTINEL", "MASTER", "m"]));

    // INFO answered over the link: the master's run id is known.
    let linked = wait_until(10, || {
        master(&mut c).field("runid").is_some_and(|r| r.len() == 40)
    });
    assert!(
        linked,
        "link never came up: {:?}\n{}",
        master(&mut c),
        s.logs()
    );
    // Longer than down-after: still not S_DOWN.
    std::thread::sleep(Duration::from_millis(1500));
    let m = master(&mut c);
    assert_eq!(m.field("flags").as_deref(), Some("master"), "{m:?}");
    assert_eq!(m.field("ip").as_deref(), Some("localhost"));
    let np = node.port.to_string();
    assert_eq!(
        c.cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"]),
        format!("*2\r\n$9\r\nlocalhost\r\n${}\r\n{np}\r\n", np.len()).into_bytes()
    );

    // announce-hostnames no: the resolved IP is shown, also in the rewritten config.
    assert_eq!(
        c.cmd(&["SENTINEL", "CONFIG", "SET", "announce-hostnames", "no"]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"]),
        format!("*2\r\n$9\r\n127.0.0.1\r\n${}\r\n{np}\r\n", np.len()).into_bytes()
    );
    assert_eq!(master(&mut c).field("ip").as_deref(), Some("127.0.0.1"));
    let text = std::fs::read_to_string(s.path("sentinel.conf")).expect("sentinel.conf");
    assert!(
        text.contains(&format!("sentinel monitor m 127.0.0.1 {np} 1\n")),
        "{text}"
    );
    assert!(text.contains("sentinel resolve-hostnames yes\n"), "{text}");

    // resolve-hostnames no: a host name is refused (Redis's text), an IP is not.
    assert_eq!(
        c.cmd(&["SENTINEL", "CONFIG", "SET", "resolve-hostnames", "no"]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["SENTINEL", "MONITOR", "m2", "localhost", &np, "1"]),
        b"-ERR Invalid IP address or hostname specified\r\n"
    );
    assert_eq!(
        c.cmd(&["SENTINEL", "MONITOR", "m2", "127.0.0.1", &np, "1"]),
        b"+OK\r\n"
    );
}

#[test]
fn hostname_in_config_without_resolve_hostnames_is_a_located_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let cmd = sentinel_cmd("sentinel monitor m localhost 6390 1\n", &dir, port);
    let mut p = spawn_logged(cmd, dir, port);
    let code = p.wait_exit(Duration::from_secs(10));
    assert!(
        matches!(code, Some(c) if c != 0),
        "exit {code:?}\n{}",
        p.logs()
    );
    let logs = p.logs();
    assert!(logs.contains("Can't resolve instance hostname."), "{logs}");
    assert!(logs.contains("line 2"), "{logs}");
    assert!(
        logs.contains("sentinel monitor m localhost 6390 1"),
        "{logs}"
    );
}
