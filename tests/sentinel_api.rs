//! The sentinel client API against real redis-sentinel 7.0: an oxidis sentinel and a real one
//! watch the same oxidis master and replica, and their SENTINEL MASTER / REPLICAS / SENTINELS
//! replies have the same fields in the same order with the same types; fixed replies and error
//! texts are byte-equal. Also: startup log lines, config persistence across restarts (SET,
//! MONITOR, REMOVE, myid), and loading a sentinel.conf that redis-sentinel wrote.
mod common;
use common::*;
use std::process::Command;
use std::time::Duration;

/// A parsed RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Status(String),
    Err(String),
    Int(i64),
    Bulk(Option<String>),
    Arr(Option<Vec<V>>),
}

fn parse(b: &[u8]) -> V {
    fn line(b: &[u8], p: &mut usize) -> String {
        let start = *p;
        while !(b[*p] == b'\r' && b[*p + 1] == b'\n') {
            *p += 1;
        }
        let s = String::from_utf8_lossy(&b[start..*p]).into_owned();
        *p += 2;
        s
    }
    fn one(b: &[u8], p: &mut usize) -> V {
        let t = b[*p];
        *p += 1;
        let l = line(b, p);
        match t {
            b'+' => V::Status(l),
            b'-' => V::Err(l),
            b':' => V::Int(l.parse().unwrap()),
            b'$' => {
                let n: i64 = l.parse().unwrap();
                if n < 0 {
                    return V::Bulk(None);
                }
                let s = String::from_utf8_lossy(&b[*p..*p + n as usize]).into_owned();
                *p += n as usize + 2;
                V::Bulk(Some(s))
            }
            b'*' => {
                let n: i64 = l.parse().unwrap();
                if n < 0 {
                    return V::Arr(None);
                }
                V::Arr(Some((0..n).map(|_| one(b, p)).collect()))
            }
            _ => panic!("unexpected reply type {}", t as char),
        }
    }
    let mut p = 0;
    one(b, &mut p)
}

fn items(v: &V) -> Vec<V> {
    match v {
        V::Arr(Some(x)) => x.clone(),
        other => panic!("not an array: {other:?}"),
    }
}

/// Field names of a flat map reply, each with a type letter (b bulk, i int...).
fn shape(v: &V) -> Vec<(String, char)> {
    items(v)
        .chunks(2)
        .map(|kv| {
            let V::Bulk(Some(k)) = &kv[0] else {
                panic!("key not bulk: {kv:?}")
            };
            let t = match &kv[1] {
                V::Bulk(_) => 'b',
                V::Int(_) => 'i',
                V::Status(_) => 's',
                V::Err(_) => 'e',
                V::Arr(_) => 'a',
            };
            (k.clone(), t)
        })
        .collect()
}

fn field(v: &V, name: &str) -> Option<String> {
    items(v).chunks(2).find_map(|kv| match (&kv[0], &kv[1]) {
        (V::Bulk(Some(k)), V::Bulk(Some(x))) if k == name => Some(x.clone()),
        _ => None,
    })
}

fn have_redis_sentinel() -> bool {
    have_redis()
        && Command::new("redis-sentinel")
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
}

/// Start a sentinel (`oxidis` or `redis-sentinel`) with `conf` as its sentinel.conf.
fn start_sentinel(real: bool, conf: &str) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    start_sentinel_in(real, conf, dir, free_port())
}

fn start_sentinel_in(real: bool, conf: &str, dir: tempfile::TempDir, port: u16) -> Proc {
    let path = dir.path().join("sentinel.conf");
    if !conf.is_empty() || !path.exists() {
        std::fs::write(&path, format!("port {port}\n{conf}")).unwrap();
    }
    let mut cmd = if real {
        Command::new("redis-sentinel")
    } else {
        Command::new(oxidis_bin())
    };
    cmd.arg(&path);
    if !real {
        cmd.arg("--sentinel");
    }
    spawn_ready(cmd, dir, port)
}

/// Restart a stopped sentinel on the same port and directory (its file as it left it).
fn restart(p: Proc) -> Proc {
    let (port, mut p) = (p.port, p);
    p.signal("TERM");
    assert!(
        p.wait_exit(Duration::from_secs(10)).is_some(),
        "sentinel did not exit"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    // Move the state over: the TempDir of the old process is deleted on drop.
    std::fs::copy(p.path("sentinel.conf"), dir.path().join("sentinel.conf")).unwrap();
    drop(p);
    start_sentinel_in(false, "", dir, port)
}

fn monitor_conf(master_port: u16) -> String {
    format!(
        "sentinel monitor mymaster 127.0.0.1 {master_port} 2\n\
         sentinel down-after-milliseconds mymaster 5000\n"
    )
}

fn sentinels_see(s: &Proc, replicas: usize, others: usize) -> bool {
    let mut c = s.conn();
    let m = parse(&c.cmd(&["SENTINEL", "MASTER", "mymaster"]));
    let n = |f| field(&m, f).and_then(|v| v.parse::<usize>().ok());
    n("num-slaves") == Some(replicas)
        && n("num-other-sentinels") == Some(others)
        && field(&m, "flags").as_deref() == Some("master")
}

#[test]
fn replies_match_redis_sentinel() {
    if !have_redis_sentinel() {
        eprintln!("skipped: redis-sentinel not installed");
        return;
    }
    let master = start_oxidis(&[]);
    let rp = master.port.to_string();
    let _replica = start_oxidis(&["--replicaof", "127.0.0.1", &rp]);
    let conf = monitor_conf(master.port);
    let ours = start_sentinel(false, &conf);
    let real = start_sentinel(true, &conf);
    assert!(
        wait_until(30, || sentinels_see(&ours, 1, 1)
            && sentinels_see(&real, 1, 1)),
        "sentinels did not discover each other and the replica\n{}\n{}",
        ours.logs(),
        real.logs()
    );
    // The replica's link and offsets must be known too.
    assert!(wait_until(20, || {
        let r = parse(&ours.conn().cmd(&["SENTINEL", "REPLICAS", "mymaster"]));
        field(&items(&r)[0], "master-link-status").as_deref() == Some("ok")
    }));
    let (mut a, mut b) = (ours.conn(), real.conn());
    let same_shape = |a: &mut Conn, b: &mut Conn, cmd: &[&str]| {
        let (x, y) = (parse(&a.cmd(cmd)), parse(&b.cmd(cmd)));
        (x, y)
    };
    let (x, y) = same_shape(&mut a, &mut b, &["SENTINEL", "MASTER", "mymaster"]);
    assert_eq!(shape(&x), shape(&y), "SENTINEL MASTER");
    let (x, y) = same_shape(&mut a, &mut b, &["SENTINEL", "MASTERS"]);
    assert_eq!(
        shape(&items(&x)[0]),
        shape(&items(&y)[0]),
        "SENTINEL MASTERS"
    );
    for sub in ["REPLICAS", "SLAVES", "SENTINELS"] {
        let (x, y) = same_shape(&mut a, &mut b, &["SENTINEL", sub, "mymaster"]);
        assert_eq!(items(&x).len(), 1, "{sub}");
        assert_eq!(shape(&items(&x)[0]), shape(&items(&y)[0]), "SENTINEL {sub}");
    }
    let r = parse(&a.cmd(&["SENTINEL", "REPLICAS", "mymaster"]));
    let r = &items(&r)[0];
    assert_eq!(field(r, "flags").as_deref(), Some("slave"));
    assert_eq!(field(r, "master-port").as_deref(), Some(rp.as_str()));
    let s = parse(&a.cmd(&["SENTINEL", "SENTINELS", "mymaster"]));
    let real_id = String::from_utf8_lossy(&b.cmd(&["SENTINEL", "MYID"])).to_string();
    assert!(real_id.contains(&field(&items(&s)[0], "name").unwrap()));

    // Byte-equal replies.
    let equal: &[&[&str]] = &[
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope"],
        &["SENTINEL", "CKQUORUM", "mymaster"],
        &["SENTINEL", "CKQUORUM", "nope"],
        &["SENTINEL", "MASTER", "nope"],
        &["SENTINEL", "REPLICAS", "nope"],
        &["SENTINEL", "MASTER"],
        &["SENTINEL", "FOO"],
        &["SENTINEL"],
        &["SENTINEL", "HELP"],
        &["SENTINEL", "DEBUG"],
        &["SENTINEL", "DEBUG", "ping-period", "abc"],
        &["SENTINEL", "DEBUG", "foo", "1"],
        &["SENTINEL", "CONFIG", "GET", "*"],
        &["SENTINEL", "CONFIG", "GET", "announce-*"],
        &["SENTINEL", "CONFIG", "SET", "foo", "1"],
        &["SENTINEL", "CONFIG", "SET", "announce-port", "x"],
        &["SENTINEL", "CONFIG", "FOO"],
        &["SENTINEL", "PENDING-SCRIPTS"],
        &["SENTINEL", "SIMULATE-FAILURE", "x"],
        &["SENTINEL", "SIMULATE-FAILURE", "help"],
        &[
            "SENTINEL",
            "IS-MASTER-DOWN-BY-ADDR",
            "127.0.0.1",
            "x",
            "0",
            "*",
        ],
        &[
            "SENTINEL",
            "IS-MASTER-DOWN-BY-ADDR",
            "127.0.0.1",
            &rp,
            "0",
            "*",
        ],
        &["SENTINEL", "MONITOR", "mymaster", "127.0.0.1", &rp, "2"],
        &["SENTINEL", "MONITOR", "x", "127.0.0.1", "1", "x"],
        &["SENTINEL", "MONITOR", "x", "127.0.0.1", "abc", "2"],
        &["SENTINEL", "MONITOR", "x", "127.0.0.1", "1", "0"],
        &["SENTINEL", "MONITOR", "x", "127.0.0.1", "99999", "1"],
        &["SENTINEL", "SET", "mymaster", "quorum", "0"],
        &["SENTINEL", "SET", "mymaster", "foo", "1"],
        &[
            "SENTINEL",
            "SET",
            "mymaster",
            "notification-script",
            "/bin/true",
        ],
        &["SENTINEL", "SET", "nope", "quorum", "1"],
        &["SENTINEL", "REMOVE", "nope"],
        &["SENTINEL", "RESET", "nomatch*"],
        &["SENTINEL", "FAILOVER", "nope"],
        &["SENTINEL", "INFO-CACHE", "nope"],
        &["ROLE"],
        &["ROLE", "x"],
        &["PING"],
        &["GET", "x"],
        &["SET", "a", "b"],
        &["CONFIG", "GET", "port"],
        &["PUBLISH", "foo", "bar"],
        &["SUBSCRIBE", "+switch-master"],
    ];
    for cmd in equal {
        let (x, y) = (a.cmd(cmd), b.cmd(cmd));
        assert_eq!(
            String::from_utf8_lossy(&x),
            String::from_utf8_lossy(&y),
            "{cmd:?}"
        );
    }
    let (mut a, mut b) = (ours.conn(), real.conn());
    let id = parse(&a.cmd(&["SENTINEL", "MYID"]));
    assert!(matches!(&id, V::Bulk(Some(s)) if s.len() == 40));
    // INFO: same sections, same sentinel section.
    let info = |c: &mut Conn| {
        let V::Bulk(Some(t)) = parse(&c.cmd(&["INFO"])) else {
            panic!("INFO not bulk")
        };
        t
    };
    let (x, y) = (info(&mut a), info(&mut b));
    let heads = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with('#'))
            .map(String::from)
            .collect()
    };
    assert_eq!(heads(&x), heads(&y));
    let sentinel_part = |t: &str| t[t.find("# Sentinel").unwrap()..].to_string();
    assert_eq!(sentinel_part(&x), sentinel_part(&y));
    assert!(x.contains("redis_mode:sentinel\r\n"));
    // HELLO 3 reports sentinel mode.
    let h = String::from_utf8_lossy(&a.cmd(&["HELLO", "3"])).to_string();
    let hr = String::from_utf8_lossy(&b.cmd(&["HELLO", "3"])).to_string();
    // Equal except the client id (the line after `id`).
    let strip_id = |s: &str| {
        let lines: Vec<&str> = s.split("\r\n").collect();
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if i == 0 || lines[i - 1] != "id" {
                out.push(*l);
            }
        }
        out.join("\r\n")
    };
    assert_eq!(strip_id(&h), strip_id(&hr));
    assert!(h.contains("sentinel"));
}

#[test]
fn startup_logs_and_refusals() {
    let master = start_oxidis(&[]);
    let s = start_sentinel(false, &monitor_conf(master.port));
    assert!(wait_until(10, || s.logs().contains("+monitor master")));
    let logs = s.logs();
    assert!(
        logs.contains(&format!("Running mode=sentinel, port={}.", s.port)),
        "{logs}"
    );
    assert!(logs.contains(":X "), "{logs}");
    assert!(logs.contains("# Sentinel ID is "), "{logs}");
    assert!(
        logs.contains(&format!(
            "# +monitor master mymaster 127.0.0.1 {} quorum 2",
            master.port
        )),
        "{logs}"
    );
    assert!(!logs.contains("Ready to accept"), "{logs}");
    // No config file: refused as Redis does.
    let out = Command::new(oxidis_bin())
        .args(["--sentinel", "--port", &free_port().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("Sentinel needs config file on disk to save state. Exiting..."));
    // --test-config checks sentinel directives, with file and line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.conf");
    std::fs::write(
        &bad,
        "port 1\nsentinel monitor m 127.0.0.1 7000 1\nsentinel down-after-milliseconds nope 10\n",
    )
    .unwrap();
    let out = Command::new(oxidis_bin())
        .args(["--test-config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at line 3"), "{err}");
    assert!(err.contains("No such master with specified name."), "{err}");
}

fn conf_text(p: &Proc) -> String {
    std::fs::read_to_string(p.path("sentinel.conf")).unwrap()
}

#[test]
fn config_survives_restart() {
    let master = start_oxidis(&[]);
    let other = start_oxidis(&[]);
    let s = start_sentinel(false, &monitor_conf(master.port));
    let myid = s.conn().s(&["SENTINEL", "MYID"]);
    assert!(conf_text(&s).contains("sentinel myid "));
    let mut c = s.conn();
    assert_eq!(
        c.s(&[
            "SENTINEL",
            "SET",
            "mymaster",
            "quorum",
            "1",
            "failover-timeout",
            "12345"
        ]),
        "+OK\r\n"
    );
    let op = other.port.to_string();
    assert_eq!(
        c.s(&["SENTINEL", "MONITOR", "second", "127.0.0.1", &op, "3"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.s(&["SENTINEL", "MONITOR", "third", "127.0.0.1", &op, "1"]),
        "+OK\r\n"
    );
    assert_eq!(c.s(&["SENTINEL", "REMOVE", "third"]), "+OK\r\n");
    let text = conf_text(&s);
    assert!(text.starts_with(&format!("port {}\n", s.port)), "{text}");
    assert!(
        text.contains("sentinel failover-timeout mymaster 12345"),
        "{text}"
    );
    let s = restart(s);
    let mut c = s.conn();
    assert_eq!(c.s(&["SENTINEL", "MYID"]), myid);
    let m = parse(&c.cmd(&["SENTINEL", "MASTER", "mymaster"]));
    assert_eq!(field(&m, "quorum").as_deref(), Some("1"));
    assert_eq!(field(&m, "failover-timeout").as_deref(), Some("12345"));
    assert_eq!(
        field(&m, "down-after-milliseconds").as_deref(),
        Some("5000")
    );
    let m = parse(&c.cmd(&["SENTINEL", "MASTER", "second"]));
    assert_eq!(field(&m, "quorum").as_deref(), Some("3"));
    assert_eq!(
        c.s(&["SENTINEL", "MASTER", "third"]),
        "-ERR No such master with that name\r\n"
    );
    // The replica learned before the restart is still known (from known-replica).
    let replica = start_oxidis(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    assert!(wait_until(20, || conf_text(&s).contains(&format!(
        "known-replica mymaster 127.0.0.1 {}",
        replica.port
    ))));
    let s = restart(s);
    let r = parse(&s.conn().cmd(&["SENTINEL", "REPLICAS", "mymaster"]));
    assert_eq!(items(&r).len(), 1);
    assert_eq!(s.conn().s(&["SENTINEL", "MYID"]), myid);
}

#[test]
fn loads_a_conf_written_by_redis_sentinel() {
    if !have_redis_sentinel() {
        eprintln!("skipped: redis-sentinel not installed");
        return;
    }
    let master = start_oxidis(&[]);
    let replica = start_oxidis(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let conf = format!(
        "{}sentinel parallel-syncs mymaster 2\nsentinel auth-pass mymaster secret\n",
        monitor_conf(master.port)
    );
    let mut real = start_sentinel(true, &conf);
    let known = format!("known-replica mymaster 127.0.0.1 {}", replica.port);
    assert!(wait_until(20, || std::fs::read_to_string(
        real.path("sentinel.conf")
    )
    .unwrap_or_default()
    .contains(&known)));
    real.signal("TERM");
    assert!(real.wait_exit(Duration::from_secs(10)).is_some());
    let written = std::fs::read_to_string(real.path("sentinel.conf")).unwrap();
    let id_line = written
        .lines()
        .find(|l| l.starts_with("sentinel myid "))
        .expect("redis wrote a myid")
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sentinel.conf"), &written).unwrap();
    let port = written
        .lines()
        .find_map(|l| l.strip_prefix("port "))
        .and_then(|p| p.trim().parse::<u16>().ok())
        .unwrap();
    // `real` keeps its directory alive: the file it wrote names it in `dir`.
    let ours = start_sentinel_in(false, "", dir, port);
    let mut c = ours.conn();
    assert_eq!(
        c.s(&["SENTINEL", "MYID"]),
        format!("$40\r\n{}\r\n", &id_line["sentinel myid ".len()..])
    );
    let m = parse(&c.cmd(&["SENTINEL", "MASTER", "mymaster"]));
    assert_eq!(field(&m, "parallel-syncs").as_deref(), Some("2"));
    assert_eq!(field(&m, "num-slaves").as_deref(), Some("1"));
    assert!(wait_until(20, || sentinels_see(&ours, 1, 0)));
    let text = std::fs::read_to_string(ours.path("sentinel.conf")).unwrap();
    assert!(
        text.contains("sentinel auth-pass mymaster secret"),
        "{text}"
    );
}
