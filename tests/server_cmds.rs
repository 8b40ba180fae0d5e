//! Connection, CLIENT, COMMAND, INFO and connection-limit behaviour, checked byte for byte
//! against what Redis 7.0 replies (and against a real redis-server where that is installed).
mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn hello_map(resp: u8, id: i64) -> Vec<u8> {
    let head = if resp == 3 { "%7\r\n" } else { "*14\r\n" };
    format!(
        "{head}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{resp}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
    .into_bytes()
}

fn client_id(c: &mut Conn) -> i64 {
    let r = c.s(&["CLIENT", "ID"]);
    r.trim_start_matches(':').trim().parse().unwrap()
}

/// Bulk or verbatim body of a reply, as text.
fn body(reply: &[u8]) -> String {
    let s = String::from_utf8_lossy(reply).to_string();
    let (_, rest) = s.split_once("\r\n").unwrap();
    let rest = rest.strip_suffix("\r\n").unwrap();
    rest.strip_prefix("txt:").unwrap_or(rest).to_string()
}

/// True once the peer closed the connection (EOF or reset), within a bounded wait.
fn closed(c: &mut Conn, within: Duration) -> bool {
    c.r.get_ref().set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 256];
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        match c.r.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn hello_switches_protocol() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    let id = client_id(&mut c);
    assert_eq!(c.cmd(&["HELLO", "3"]), hello_map(3, id));
    assert_eq!(c.cmd(&["GET", "nokey"]), b"_\r\n");
    assert_eq!(c.cmd(&["HELLO"]), hello_map(3, id));
    assert_eq!(c.cmd(&["HELLO", "2"]), hello_map(2, id));
    assert_eq!(c.cmd(&["GET", "nokey"]), b"$-1\r\n");
    assert_eq!(
        c.s(&["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        c.s(&["HELLO", "x"]),
        "-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.s(&["HELLO", "3", "FOO"]),
        "-ERR Syntax error in HELLO option 'FOO'\r\n"
    );
    assert_eq!(c.cmd(&["HELLO", "3", "SETNAME", "me"]), hello_map(3, id));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$2\r\nme\r\n");
    // No password configured: the default user accepts any password.
    assert_eq!(
        c.cmd(&["HELLO", "2", "AUTH", "default", "whatever"]),
        hello_map(2, id)
    );
    assert_eq!(c.s(&["PING"]), "+PONG\r\n");
    assert_eq!(c.s(&["PING", "hi"]), "$2\r\nhi\r\n");
    assert_eq!(c.s(&["ECHO", "x y"]), "$3\r\nx y\r\n");
    assert_eq!(c.s(&["SELECT", "99"]), "-ERR DB index is out of range\r\n");
}

#[test]
fn reset_restores_a_fresh_connection() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["CLIENT", "SETNAME", "n"]);
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["RESET"]), b"+RESET\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), b"$-1\r\n");
    c.cmd(&["SELECT", "1"]);
    assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
}

/// Start oxidis with a password; the harness's readiness probe expects PONG, so wait for the
/// NOAUTH error instead.
fn start_with_password(pw: &str) -> Proc {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = std::process::Command::new(oxidis_bin())
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--requirepass",
            pw,
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let p = Proc { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            let mut c = Conn::from_stream(s);
            if c.try_cmd(&["PING"])
                .is_ok_and(|r| r.starts_with(b"-NOAUTH"))
            {
                return p;
            }
        }
        assert!(
            Instant::now() < deadline,
            "server with requirepass never came up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn auth_with_requirepass() {
    let srv = start_with_password("pw");
    let mut c = srv.conn();
    assert_eq!(c.s(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(
        c.s(&["HELLO", "3"]),
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
    );
    let wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    assert_eq!(c.s(&["AUTH", "bad"]), wrongpass);
    assert_eq!(c.s(&["AUTH", "someone", "pw"]), wrongpass);
    assert_eq!(c.s(&["HELLO", "3", "AUTH", "default", "bad"]), wrongpass);
    assert_eq!(c.s(&["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(c.s(&["PING"]), "+PONG\r\n");
    assert_eq!(c.s(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.s(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(c.s(&["AUTH", "default", "pw"]), "+OK\r\n");
    c.cmd(&["RESET"]);
    let id = client_id_after_hello(&mut c);
    assert!(id > 0);
    assert_eq!(c.s(&["PING"]), "+PONG\r\n");

    let srv2 = start_oxidis(&[]);
    let mut d = srv2.conn();
    assert_eq!(
        d.s(&["AUTH", "x"]),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    assert_eq!(d.s(&["AUTH", "default", "x"]), "+OK\r\n");
}

fn client_id_after_hello(c: &mut Conn) -> i64 {
    let r = c.cmd(&["HELLO", "3", "AUTH", "default", "pw"]);
    assert!(r.starts_with(b"%7\r\n"), "{}", String::from_utf8_lossy(&r));
    let id = client_id(c);
    assert_eq!(r, hello_map(3, id));
    c.cmd(&["HELLO", "2"]);
    id
}

const LIST_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];

fn fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn client_names_list_and_info() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    let mut other = srv.conn();
    other.cmd(&["CLIENT", "SETNAME", "other"]);
    assert_eq!(
        c.s(&["CLIENT", "SETNAME", "a b"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "me"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), b"$2\r\nme\r\n");
    let id = client_id(&mut c);

    // The harness's readiness PING connection may not be closed yet: wait (bounded) until
    // the server has seen it go.
    let mut list = String::new();
    let gone = wait_until(5, || {
        list = body(&c.cmd(&["CLIENT", "LIST"]));
        list.lines().count() == 2
    });
    assert!(gone, "{list}");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    for l in &lines {
        let keys: Vec<String> = fields(l).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, LIST_FIELDS);
    }
    let mine = lines
        .iter()
        .map(|l| fields(l))
        .find(|f| f[0].1 == id.to_string())
        .unwrap();
    let get = |k: &str| mine.iter().find(|(a, _)| a == k).unwrap().1.clone();
    assert_eq!(get("name"), "me");
    assert_eq!(get("cmd"), "client|list");
    assert_eq!(get("flags"), "N");
    assert_eq!(get("resp"), "2");
    assert!(list.contains("name=other"));

    let info = body(&c.cmd(&["CLIENT", "INFO"]));
    assert!(info.ends_with('\n'));
    assert!(info.starts_with(&format!("id={id} ")), "{info}");
    assert!(info.contains(" cmd=client|info "));

    let only_me = body(&c.cmd(&["CLIENT", "LIST", "ID", &id.to_string()]));
    assert_eq!(only_me.lines().count(), 1);
    assert_eq!(
        c.s(&["CLIENT", "LIST", "ID", "x"]),
        "-ERR Invalid client ID\r\n"
    );
    assert_eq!(
        c.s(&["CLIENT", "LIST", "TYPE", "foo"]),
        "-ERR Unknown client type 'foo'\r\n"
    );
    assert_eq!(body(&c.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"])), "");
    assert_eq!(c.s(&["CLIENT", "LIST", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.s(&["CLIENT", "NOPE"]),
        "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(
        c.s(&["CLIENT"]),
        "-ERR wrong number of arguments for 'client' command\r\n"
    );
    assert_eq!(c.s(&["CLIENT", "NO-EVICT", "on"]), "+OK\r\n");
    assert!(c.s(&["CLIENT", "HELP"]).starts_with('*'));
    // RESP3 sends CLIENT INFO as a verbatim string.
    c.cmd(&["HELLO", "3"]);
    assert!(c.cmd(&["CLIENT", "INFO"]).starts_with(b"="));
}

#[test]
fn client_reply_modes() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    c.send_raw(
        b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\nCLIENT REPLY SKIP\r\nPING\r\nECHO last\r\n",
    );
    let mut got = Vec::new();
    for _ in 0..3 {
        got.extend(c.read_reply());
    }
    assert_eq!(got, b"+OK\r\n+PONG\r\n$4\r\nlast\r\n");
    assert_eq!(c.s(&["CLIENT", "REPLY", "maybe"]), "-ERR syntax error\r\n");
}

#[test]
fn client_kill_forms() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    let mut victim = srv.conn();
    let vid = client_id(&mut victim);
    let vaddr = victim.w.local_addr().unwrap().to_string();
    assert_eq!(
        c.s(&["CLIENT", "KILL", "1.2.3.4:5"]),
        "-ERR No such client\r\n"
    );
    assert_eq!(c.s(&["CLIENT", "KILL", &vaddr]), "+OK\r\n");
    assert!(closed(&mut victim, Duration::from_secs(10)));

    let mut v2 = srv.conn();
    let v2id = client_id(&mut v2);
    assert_ne!(vid, v2id);
    assert_eq!(c.s(&["CLIENT", "KILL", "ID", &v2id.to_string()]), ":1\r\n");
    assert!(closed(&mut v2, Duration::from_secs(10)));
    assert_eq!(c.s(&["CLIENT", "KILL", "ID", "999999"]), ":0\r\n");
    assert_eq!(
        c.s(&["CLIENT", "KILL", "ID", "0"]),
        "-ERR client-id should be greater than 0\r\n"
    );
    assert_eq!(
        c.s(&["CLIENT", "KILL", "TYPE", "foo"]),
        "-ERR Unknown client type 'foo'\r\n"
    );
    assert_eq!(
        c.s(&["CLIENT", "KILL", "USER", "foo"]),
        "-ERR No such user 'foo'\r\n"
    );
    assert_eq!(
        c.s(&["CLIENT", "KILL", "ID", "1", "SKIPME", "x"]),
        "-ERR syntax error\r\n"
    );
    // SKIPME yes (default) spares the caller; TYPE normal kills everyone else.
    let mut v3 = srv.conn();
    v3.cmd(&["PING"]);
    assert_eq!(c.s(&["CLIENT", "KILL", "TYPE", "normal"]), ":1\r\n");
    assert!(closed(&mut v3, Duration::from_secs(10)));
    assert_eq!(c.s(&["PING"]), "+PONG\r\n");
    // Killing yourself replies first, then closes.
    let me = client_id(&mut c);
    assert_eq!(
        c.s(&["CLIENT", "KILL", "ID", &me.to_string(), "SKIPME", "no"]),
        ":1\r\n"
    );
    assert!(closed(&mut c, Duration::from_secs(10)));
    // The server is still fine.
    assert_eq!(srv.conn().s(&["PING"]), "+PONG\r\n");
}

#[test]
fn client_pause_write_and_all() {
    let srv = start_oxidis(&[]);
    let mut a = srv.conn();
    let mut b = srv.conn();
    b.cmd(&["SET", "k", "v1"]);
    assert_eq!(a.s(&["CLIENT", "PAUSE", "100000", "WRITE"]), "+OK\r\n");
    // Reads still run during a WRITE pause; the write waits.
    assert_eq!(b.cmd(&["GET", "k"]), b"$2\r\nv1\r\n");
    b.send(&[b"SET", b"k", b"v2"]);
    b.r.get_ref()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(b.try_read_reply().is_err(), "write ran during pause");
    assert_eq!(a.cmd(&["GET", "k"]), b"$2\r\nv1\r\n");
    assert_eq!(a.s(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    b.r.get_ref()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(b.read_reply(), b"+OK\r\n");
    assert_eq!(a.cmd(&["GET", "k"]), b"$2\r\nv2\r\n");

    // ALL: every command waits until the pause expires, even reads and the pausing client's.
    assert_eq!(a.s(&["CLIENT", "PAUSE", "1500"]), "+OK\r\n");
    b.send(&[b"GET", b"k"]);
    b.r.get_ref()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(b.try_read_reply().is_err(), "read ran during ALL pause");
    b.r.get_ref()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(b.read_reply(), b"$2\r\nv2\r\n");
    assert_eq!(a.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(
        a.s(&["CLIENT", "PAUSE", "x"]),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    assert_eq!(
        a.s(&["CLIENT", "PAUSE", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        a.s(&["CLIENT", "PAUSE", "10", "foo"]),
        "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    );
}

#[test]
fn command_introspection() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    let count: i64 = c.s(&["COMMAND", "COUNT"]).trim()[1..].parse().unwrap();
    assert!(count >= 10);
    let all = c.cmd(&["COMMAND"]);
    assert!(all.starts_with(format!("*{count}\r\n").as_bytes()));
    assert_eq!(
        c.cmd(&["COMMAND", "INFO", "ping", "nosuch"]),
        b"*2\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n$-1\r\n"
    );
    let docs = c.s(&["COMMAND", "DOCS", "hello"]);
    assert!(
        docs.starts_with("*2\r\n$5\r\nhello\r\n*12\r\n$7\r\nsummary\r\n"),
        "{docs}"
    );
    assert!(docs.contains("$5\r\nsince\r\n$5\r\n6.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n"));
    let sub_docs = c.s(&["COMMAND", "DOCS", "client"]);
    assert!(sub_docs.contains("$11\r\nsubcommands\r\n"));
    assert!(sub_docs.contains("$11\r\nclient|list\r\n"));
    assert_eq!(
        c.s(&["COMMAND", "GETKEYS", "get", "a"]),
        "*1\r\n$1\r\na\r\n"
    );
    assert_eq!(
        c.s(&["COMMAND", "GETKEYS", "nosuch", "a"]),
        "-ERR Invalid command specified\r\n"
    );
    assert_eq!(
        c.s(&["COMMAND", "GETKEYS", "set", "a"]),
        "-ERR Invalid number of arguments specified for command\r\n"
    );
    let list = c.s(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "client|l*"]);
    assert_eq!(list, "*1\r\n$11\r\nclient|list\r\n");
}

/// Commands this module owns must describe themselves exactly as Redis 7.0 does.
#[test]
fn command_info_matches_redis() {
    if !have_redis() {
        return;
    }
    let ox = start_oxidis(&[]);
    let rs = start_redis(&[]);
    let (mut a, mut b) = (ox.conn(), rs.conn());
    for name in [
        "ping",
        "echo",
        "quit",
        "select",
        "auth",
        "hello",
        "reset",
        "time",
        "info",
        "shutdown",
        "client|list",
        "client|kill",
        "client|pause",
        "client|setname",
        "client|reply",
        "client|id",
        "client|info",
        "command|info",
        "command|docs",
        "command|count",
        "command|getkeys",
        "command|list",
    ] {
        assert_eq!(
            String::from_utf8_lossy(&a.cmd(&["COMMAND", "INFO", name])),
            String::from_utf8_lossy(&b.cmd(&["COMMAND", "INFO", name])),
            "COMMAND INFO {name}"
        );
    }
}

/// `(arity, first_key, last_key, step)` from a raw single-entry COMMAND INFO reply.
fn arity_and_keys(raw: &[u8]) -> Option<(i64, i64, i64, i64)> {
    let text = String::from_utf8_lossy(raw).to_string();
    let lines: Vec<&str> = text.split("\r\n").collect();
    if lines.get(1) != Some(&"*10") {
        return None;
    }
    let int = |i: usize| lines.get(i)?.strip_prefix(':')?.parse::<i64>().ok();
    let nflags: usize = lines.get(5)?.strip_prefix('*')?.parse().ok()?;
    let k = 6 + nflags;
    Some((int(4)?, int(k)?, int(k + 1)?, int(k + 2)?))
}

/// Every command oxidis knows (subcommands included) reports Redis 7.0's arity and key range.
#[test]
fn every_command_arity_matches_redis() {
    if !have_redis() {
        return;
    }
    let ox = start_oxidis(&[]);
    let rs = start_redis(&[]);
    let (mut a, mut b) = (ox.conn(), rs.conn());
    let list = String::from_utf8_lossy(&a.cmd(&["COMMAND", "LIST"])).to_string();
    let names: Vec<String> = list
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
        .map(String::from)
        .collect();
    assert!(names.len() > 10);
    assert_eq!(
        arity_and_keys(&a.cmd(&["COMMAND", "INFO", "get"])),
        Some((2, 1, 1, 1))
    );
    let mut bad = Vec::new();
    for n in &names {
        let mine = arity_and_keys(&a.cmd(&["COMMAND", "INFO", n]));
        let theirs = arity_and_keys(&b.cmd(&["COMMAND", "INFO", n]));
        if theirs.is_some() && mine != theirs {
            bad.push(format!("{n}: oxidis {mine:?} redis {theirs:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn info_keys(info: &str) -> Vec<String> {
    info.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect()
}

#[test]
fn info_sections_and_fields() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["NOSUCHCMD"]);
    c.cmd(&["CLIENT", "LIST"]);
    let info = body(&c.cmd(&["INFO"]));
    assert_eq!(info_field(&info, "role").as_deref(), Some("master"));
    assert_eq!(
        info_field(&info, "redis_version").as_deref(),
        Some("7.0.15")
    );
    assert_eq!(
        info_field(&info, "oxidis_version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let run_id = info_field(&info, "run_id").unwrap();
    assert_eq!(run_id.len(), 40);
    assert!(run_id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(info_field(&info, "tcp_port").unwrap(), srv.port.to_string());
    assert_eq!(
        info_field(&info, "db0").as_deref(),
        Some("keys=1,expires=0,avg_ttl=0")
    );
    assert_eq!(info_field(&info, "connected_clients").as_deref(), Some("1"));
    assert_eq!(
        info_field(&info, "errorstat_ERR").as_deref(),
        Some("count=1")
    );
    let used: u64 = info_field(&info, "used_memory").unwrap().parse().unwrap();
    assert!(used > 0);
    let rss: u64 = info_field(&info, "used_memory_rss")
        .unwrap()
        .parse()
        .unwrap();
    assert!(rss > 0);
    assert!(
        info_field(&info, "rdb_changes_since_last_save")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert!(!info.contains("# Commandstats"));
    let master_replid = info_field(&info, "master_replid").unwrap();
    assert_eq!(master_replid.len(), 40);

    let cs = body(&c.cmd(&["INFO", "commandstats"]));
    assert!(cs.starts_with("# Commandstats\r\n"));
    let line = info_field(&cs, "cmdstat_client|list").unwrap();
    assert!(line.starts_with("calls=1,usec="), "{line}");
    assert!(line.ends_with(",rejected_calls=0,failed_calls=0"), "{line}");
    assert!(info_field(&cs, "cmdstat_set").is_some());

    let two = body(&c.cmd(&["INFO", "keyspace", "server"]));
    let heads: Vec<&str> = two.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(heads, ["# Server", "# Keyspace"]);
    assert_eq!(c.cmd(&["INFO", "nosuch"]), b"$0\r\n\r\n");
    let every = body(&c.cmd(&["INFO", "everything"]));
    assert!(every.contains("# Commandstats") && every.contains("# Latencystats"));

    c.cmd(&["HELLO", "3"]);
    let v = c.cmd(&["INFO", "server"]);
    assert!(v.starts_with(b"="), "RESP3 INFO is a verbatim string");
    assert!(String::from_utf8_lossy(&v).contains("\r\ntxt:# Server\r\n"));
}

/// Every field name of the default INFO sections, in order, as Redis 7.0 prints them, plus
/// oxidis's one addition, `oxidis_version` (right after `redis_version`).
#[test]
fn info_field_names_match_redis() {
    if !have_redis() {
        return;
    }
    let ox = start_oxidis(&[]);
    let rs = start_redis(&[]);
    let strip = |s: String| -> Vec<String> {
        info_keys(&s)
            .into_iter()
            .filter(|k| !k.starts_with("errorstat_") && !k.starts_with("db"))
            .collect()
    };
    let a = strip(body(&ox.conn().cmd(&["INFO"])));
    let b = strip(body(&rs.conn().cmd(&["INFO"])));
    let at = a.iter().position(|k| k == "redis_version").unwrap();
    assert_eq!(a[at + 1], "oxidis_version");
    let a: Vec<String> = a.into_iter().filter(|k| k != "oxidis_version").collect();
    assert_eq!(a, b);
}

#[test]
fn maxclients_rejects_extra_connections() {
    let srv = start_oxidis(&["--maxclients", "2"]);
    // The readiness probe may still hold a slot for a moment: retry (bounded) until two fit.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut c1, mut c2) = loop {
        let mut c1 = srv.conn();
        let mut c2 = srv.conn();
        let ok1 = c1
            .try_cmd(&["PING"])
            .map(|r| r == b"+PONG\r\n")
            .unwrap_or(false);
        let ok2 = c2
            .try_cmd(&["PING"])
            .map(|r| r == b"+PONG\r\n")
            .unwrap_or(false);
        if ok1 && ok2 {
            break (c1, c2);
        }
        assert!(Instant::now() < deadline, "two clients never fit");
        drop((c1, c2));
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut c3 = srv.conn();
    assert_eq!(c3.read_reply(), b"-ERR max number of clients reached\r\n");
    assert!(closed(&mut c3, Duration::from_secs(10)));
    assert_eq!(c1.cmd(&["PING"]), b"+PONG\r\n");
    let info = body(&c2.cmd(&["INFO", "stats"]));
    assert!(
        info_field(&info, "rejected_connections")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
}

#[test]
fn idle_timeout_closes_client() {
    let srv = start_oxidis(&["--timeout", "1"]);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert!(
        closed(&mut c, Duration::from_secs(15)),
        "idle client not closed"
    );
    assert_eq!(srv.conn().cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn protocol_errors_close_the_connection() {
    let srv = start_oxidis(&[]);
    let cases: &[(&[u8], &str)] = &[
        (
            b"*1\r\n$600000000\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*x\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*3000000000\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n+a\r\n",
            "-ERR Protocol error: expected '$', got '+'\r\n",
        ),
    ];
    for (input, want) in cases {
        let mut c = srv.conn();
        c.send_raw(input);
        assert_eq!(String::from_utf8_lossy(&c.read_reply()), *want);
        assert!(closed(&mut c, Duration::from_secs(10)));
    }
    let info = body(&srv.conn().cmd(&["INFO", "errorstats"]));
    assert_eq!(
        info_field(&info, "errorstat_ERR").as_deref(),
        Some("count=4")
    );
}

#[test]
fn query_buffer_limit_closes_only_the_offender() {
    let srv = start_oxidis(&["--client-query-buffer-limit", "1mb"]);
    let mut bystander = srv.conn();
    bystander.cmd(&["SET", "k", "v"]);
    let mut s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$3000000\r\n");
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..40 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let mut off = Conn::from_stream(s);
    let reply = off.read_reply();
    assert!(
        String::from_utf8_lossy(&reply)
            .starts_with("-ERR Protocol error: client query buffer limit reached"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert!(
        closed(&mut off, Duration::from_secs(10)),
        "offender not closed"
    );
    assert_eq!(bystander.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    assert_eq!(bystander.cmd(&["EXISTS", "x"]), b":0\r\n");
}

#[test]
fn redis_cli_works() {
    if !have_redis() {
        return;
    }
    let srv = start_oxidis(&[]);
    let port = srv.port.to_string();
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port, "INFO"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("redis_version:7.0.15"));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port, "COMMAND", "DOCS", "get"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("get\nsummary\n"), "{text}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
