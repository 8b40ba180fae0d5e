//! resolve-hostnames / announce-hostnames without DNS: a fixed resolver table is injected, and
//! the tests check config loading in any order, refusal of names without resolve-hostnames,
//! which IP links connect to, and which address replies, events, hellos and the rewritten
//! config show.
use super::config::load;
use super::config_rewrite::render_block;
use super::core::{describe, Action, Event, LinkKind, ReqTag, Sentinel, XorShift};
use super::report;
use crate::config::load::ConfigError;
use crate::resp::frame::Frame;
use crate::resp::reply::Reply;

fn table(host: &str) -> Option<String> {
    let ip = match host.to_ascii_lowercase().as_str() {
        "db.example" => "10.0.0.1",
        "replica.example" => "10.0.0.2",
        "new.example" => "10.0.0.3",
        _ => return None,
    };
    Some(ip.to_string())
}

fn empty_table(_: &str) -> Option<String> {
    None
}

fn loaded_with(text: &str, resolver: super::resolve::Resolver) -> Result<Sentinel, ConfigError> {
    let mut s = Sentinel::new("a".repeat(40), 26379);
    s.resolver = resolver;
    load(&mut s, &super::config::test_lines(text), 1000).map(|_| s)
}

fn loaded(text: &str) -> Sentinel {
    match loaded_with(text, table) {
        Ok(s) => s,
        Err(e) => panic!("{}: {}", e.line, e.msg),
    }
}

fn drain(s: &mut Sentinel) -> Vec<Action> {
    std::iter::from_fn(|| s.poll_action()).collect()
}

fn emitted(acts: &[Action]) -> Vec<String> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Emit { name, text, .. } => Some(format!("{name} {text}")),
            _ => None,
        })
        .collect()
}

fn connects(acts: &[Action]) -> Vec<(String, u16)> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Connect { host, port, .. } => Some((host.clone(), *port)),
            _ => None,
        })
        .collect()
}

/// The `ip` field of a SENTINEL MASTER / REPLICAS entry.
fn ip_field(r: &Reply) -> String {
    let Reply::Map(f) = r else {
        panic!("not a map")
    };
    f.iter()
        .find_map(|(k, v)| match (k, v) {
            (Reply::Bulk(k), Reply::Bulk(v)) if k == b"ip" => {
                Some(String::from_utf8_lossy(v).into_owned())
            }
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn names_resolve_after_the_whole_file_in_any_order() {
    let s = loaded(
        "sentinel monitor m db.example 6379 1\n\
         sentinel known-replica m replica.example 6380\n\
         sentinel known-sentinel m db.example 26380 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n\
         sentinel resolve-hostnames yes\n",
    );
    let m = &s.masters["m"];
    assert_eq!(
        (m.inst.host.as_str(), m.inst.ip.as_str()),
        ("db.example", "10.0.0.1")
    );
    let r = &m.replicas["replica.example:6380"];
    assert_eq!(
        (r.host.as_str(), r.ip.as_str()),
        ("replica.example", "10.0.0.2")
    );
    assert_eq!(
        m.sentinels.values().next().map(|x| x.ip.as_str()),
        Some("10.0.0.1")
    );
}

#[test]
fn names_refused_without_resolve_hostnames() {
    for (text, line) in [
        ("port 26379\nsentinel monitor m db.example 6379 1\n", 2),
        (
            "sentinel monitor m 10.0.0.1 6379 1\nsentinel known-replica m replica.example 6380\n",
            2,
        ),
        (
            "sentinel monitor m db.example 6379 1\nsentinel resolve-hostnames no\n",
            1,
        ),
    ] {
        let Err(e) = loaded_with(text, table) else {
            panic!("loaded: {text}")
        };
        assert_eq!(e.msg, "Can't resolve instance hostname.", "{text}");
        assert_eq!((e.file.as_str(), e.line), ("s.conf", line), "{text}");
    }
    // IP addresses need no resolution.
    let s = loaded("sentinel monitor m ::0001 6379 1\n");
    assert_eq!(s.masters["m"].inst.ip, "::1");
    assert_eq!(s.resolve("db.example"), None);
}

#[test]
fn links_connect_to_the_ip_and_reresolve_an_unresolved_name() {
    let mut s = loaded("sentinel resolve-hostnames yes\nsentinel monitor m db.example 6379 1\n");
    let mut rng = XorShift(1);
    s.previous_tick = 1000;
    s.handle(Event::Tick, 1000, &mut rng);
    let c = connects(&drain(&mut s));
    assert_eq!(c, vec![("10.0.0.1".to_string(), 6379); 2]);

    // Accepted at load although it does not resolve yet (as Redis), not connected until it does.
    let mut s = match loaded_with(
        "sentinel monitor m db.example 6379 1\nsentinel resolve-hostnames yes\n",
        empty_table,
    ) {
        Ok(s) => s,
        Err(e) => panic!("{}", e.msg),
    };
    assert_eq!(s.masters["m"].inst.ip, "");
    s.previous_tick = 1000;
    s.handle(Event::Tick, 1000, &mut rng);
    assert!(connects(&drain(&mut s)).is_empty());
    s.resolver = table;
    s.handle(Event::Tick, 1100, &mut rng);
    assert!(
        connects(&drain(&mut s)).is_empty(),
        "retried before a ping period"
    );
    s.handle(Event::Tick, 2000, &mut rng);
    assert_eq!(connects(&drain(&mut s)).len(), 2);
    assert_eq!(s.masters["m"].inst.ip, "10.0.0.1");
}

#[test]
fn shown_address_follows_announce_hostnames() {
    let text = "sentinel resolve-hostnames yes\nsentinel monitor m db.example 6379 1\n\
                sentinel known-replica m replica.example 6380\n";
    for (hn, master, replica) in [
        (false, "10.0.0.1", "10.0.0.2"),
        (true, "db.example", "replica.example"),
    ] {
        let mut s = loaded(text);
        s.settings.announce_hostnames = hn;
        let m = &s.masters["m"];
        assert_eq!(m.announced_addr(hn), (master.to_string(), 6379));
        assert_eq!(ip_field(&report::master(m, 0, hn)), master);
        let r = &m.replicas["replica.example:6380"];
        assert_eq!(ip_field(&report::replica(r, 0, hn)), replica);
        assert_eq!(
            describe(m, r, hn),
            format!("slave replica.example:6380 {replica} 6380 @ m {master} 6379")
        );
        let block = render_block(&s);
        assert!(
            block.contains(&format!("sentinel monitor m {master} 6379 1")),
            "{block:?}"
        );
        assert!(
            block.contains(&format!("sentinel known-replica m {replica} 6380")),
            "{block:?}"
        );
        let hello = s.hello_for(m, Some("127.0.0.1")).map(|h| h.encode());
        assert_eq!(
            hello,
            Some(format!(
                "127.0.0.1,26379,{},0,m,{master},6379,0",
                "a".repeat(40)
            ))
        );
        // IS-MASTER-DOWN-BY-ADDR finds the master by either form.
        let mut rng = XorShift(1);
        for host in ["db.example", "10.0.0.1", "DB.EXAMPLE"] {
            let r = s.is_master_down_by_addr(host, 6379, 0, "*", 0, &mut rng);
            assert_eq!(r.leader, "*");
        }
        assert!(s.masters.values().any(|m| s.same_host(&m.inst, "10.0.0.1")));
        assert!(!s.same_host(&s.masters["m"].inst, "10.0.0.9"));
    }
}

#[test]
fn info_replicas_by_name_match_by_ip() {
    let mut s = loaded("sentinel resolve-hostnames yes\nsentinel monitor m db.example 6379 1\n");
    let id = s.masters["m"].inst.id;
    let mut rng = XorShift(1);
    let mut info = |s: &mut Sentinel, who: &str, t: i64| {
        let text =
            format!("role:master\r\nslave0:ip={who},port=6380,state=online,offset=0,lag=0\r\n");
        s.handle(
            Event::Reply {
                inst: id,
                link: LinkKind::Cmd,
                tag: ReqTag::Info,
                reply: Frame::Bulk(Some(text.into_bytes())),
            },
            t,
            &mut rng,
        );
        emitted(&drain(s))
    };
    assert_eq!(
        info(&mut s, "replica.example", 1000),
        vec!["+slave slave replica.example:6380 10.0.0.2 6380 @ m 10.0.0.1 6379"]
    );
    // The same replica reported by its IP (or another spelling) is not a new one.
    assert!(info(&mut s, "10.0.0.2", 1100).is_empty());
    assert!(info(&mut s, "REPLICA.example", 1200).is_empty());
    assert_eq!(s.masters["m"].replicas.len(), 1);
    // Without resolve-hostnames a name in INFO creates nothing.
    let mut s = loaded("sentinel monitor m 10.0.0.1 6379 1\n");
    let id2 = s.masters["m"].inst.id;
    assert_eq!(id2, id);
    assert!(info(&mut s, "replica.example", 1000).is_empty());
    assert!(s.masters["m"].replicas.is_empty());
}

#[test]
fn config_update_to_a_name_switches_and_reports_by_announce_rule() {
    let mut s = loaded(
        "sentinel resolve-hostnames yes\nsentinel monitor m db.example 6379 1\n\
         sentinel known-replica m new.example 6380\n",
    );
    let b = "b".repeat(40);
    // Same master under its IP: no switch.
    s.process_hello(
        format!("10.0.0.7,26380,{b},1,m,10.0.0.1,6379,1").as_bytes(),
        1000,
    );
    let ev = emitted(&drain(&mut s));
    assert!(
        !ev.iter().any(|e| e.starts_with("+switch-master")),
        "{ev:?}"
    );
    // A newer config naming the replica by host name.
    s.process_hello(
        format!("10.0.0.7,26380,{b},2,m,new.example,6380,2").as_bytes(),
        2000,
    );
    let ev = emitted(&drain(&mut s));
    assert!(
        ev.contains(&"+switch-master m 10.0.0.1 6379 new.example 6380".to_string()),
        "{ev:?}"
    );
    let m = &s.masters["m"];
    assert_eq!(
        (m.inst.host.as_str(), m.inst.ip.as_str(), m.inst.port),
        ("new.example", "10.0.0.3", 6380)
    );
    assert_eq!(
        m.replicas.keys().collect::<Vec<_>>(),
        vec!["db.example:6379"]
    );
    assert_eq!(m.replicas["db.example:6379"].ip, "10.0.0.1");
}
