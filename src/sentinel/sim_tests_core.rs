//! Tests of one `Sentinel` driven by hand, without the simulated network: replica ranking and
//! voting tables, hello discovery, the link state machine, random events. Split from
//! `sim_tests.rs` (the network scenarios) to keep each file short.
use super::core::{Sentinel, XorShift};
use super::failover::select_replica;
use super::sim::{NAME, NODE_BASE, SENT_BASE};
use super::state::{Instance, MasterRecord, Role};

fn replica(key: u16, prio: i64, off: i64, runid: Option<&str>, now: i64) -> Instance {
    let mut r = Instance::new(
        key as u64,
        Role::Replica,
        format!("127.0.0.1:{key}"),
        "127.0.0.1",
        key,
        now,
    );
    r.slave_priority = prio;
    r.slave_repl_offset = off;
    r.runid = runid.map(str::to_string);
    r.link.cmd_connected = true;
    r.link.pubsub_connected = true;
    r.link.last_avail_time = now;
    r.info_refresh = now;
    r
}

#[test]
fn selection_ranking_table() {
    let now = 10_000_000;
    // (replicas as (port, priority, offset, runid), expected winner port or None)
    type Row = (Vec<(u16, i64, i64, Option<&'static str>)>, Option<u16>);
    let table: Vec<Row> = vec![
        (
            vec![(1, 100, 10, Some("b")), (2, 10, 5, Some("c"))],
            Some(2),
        ),
        (
            vec![(1, 100, 10, Some("b")), (2, 100, 50, Some("c"))],
            Some(2),
        ),
        (
            vec![(1, 100, 50, Some("b")), (2, 100, 50, Some("a"))],
            Some(2),
        ),
        (vec![(1, 100, 50, None), (2, 100, 50, Some("z"))], Some(2)),
        (vec![(1, 0, 99, Some("a")), (2, 100, 1, Some("b"))], Some(2)),
        (vec![(1, 0, 99, Some("a"))], None),
        (vec![], None),
        (vec![(1, 1, 1, Some("B")), (2, 1, 1, Some("a"))], Some(2)),
    ];
    for (rows, want) in table {
        let mut m = MasterRecord::new(1000, NAME, "127.0.0.1", 1, 2, now);
        for (p, prio, off, id) in &rows {
            let r = replica(*p, *prio, *off, *id, now);
            m.replicas.insert(r.addr_key(), r);
        }
        let got = select_replica(&m, now, &Default::default());
        assert_eq!(got, want.map(|p| format!("127.0.0.1:{p}")), "{rows:?}");
    }
    // Exclusions: down, disconnected, stale ping reply, stale INFO, long master link down.
    let base = |f: &dyn Fn(&mut Instance)| {
        let mut m = MasterRecord::new(1000, NAME, "127.0.0.1", 1, 2, now);
        m.inst.down_after_ms = 1000;
        let mut r = replica(5, 100, 1, Some("a"), now);
        f(&mut r);
        m.replicas.insert(r.addr_key(), r);
        select_replica(&m, now, &Default::default())
    };
    assert!(base(&|_| {}).is_some());
    assert!(base(&|r| r.flags.s_down = true).is_none());
    assert!(base(&|r| r.link.pubsub_connected = false).is_none());
    assert!(base(&|r| r.link.last_avail_time = now - 5001).is_none());
    assert!(base(&|r| r.info_refresh = now - 30_001).is_none());
    assert!(base(&|r| r.master_link_down_time = 10_001).is_none());
    assert!(base(&|r| r.master_link_down_time = 9_000).is_some());
}

#[test]
fn one_vote_per_epoch() {
    let mut s = Sentinel::new("a".repeat(40), SENT_BASE);
    let id = s.alloc_id();
    s.masters.insert(
        NAME.into(),
        MasterRecord::new(id, NAME, "127.0.0.1", NODE_BASE, 2, 1000),
    );
    let mut rng = XorShift(3);
    let b = "b".repeat(40);
    let c = "c".repeat(40);
    let r = s.is_master_down_by_addr("127.0.0.1", NODE_BASE, 1, &b, 1000, &mut rng);
    assert_eq!((r.leader.as_str(), r.leader_epoch), (b.as_str(), 1));
    assert_eq!(s.current_epoch, 1);
    // Same epoch, another candidate: the vote stays.
    let r = s.is_master_down_by_addr("127.0.0.1", NODE_BASE, 1, &c, 1000, &mut rng);
    assert_eq!((r.leader.as_str(), r.leader_epoch), (b.as_str(), 1));
    // A newer epoch: a new vote.
    let r = s.is_master_down_by_addr("127.0.0.1", NODE_BASE, 2, &c, 1000, &mut rng);
    assert_eq!((r.leader.as_str(), r.leader_epoch), (c.as_str(), 2));
    // An older epoch gets the current vote back.
    let r = s.is_master_down_by_addr("127.0.0.1", NODE_BASE, 1, &b, 1000, &mut rng);
    assert_eq!((r.leader.as_str(), r.leader_epoch), (c.as_str(), 2));
    // `*` asks no vote; an unknown address is not down.
    let r = s.is_master_down_by_addr("127.0.0.1", NODE_BASE, 9, "*", 1000, &mut rng);
    assert_eq!((r.leader.as_str(), r.leader_epoch, r.down), ("*", 0, false));
    let r = s.is_master_down_by_addr("10.9.9.9", 1, 9, &b, 1000, &mut rng);
    assert_eq!((r.leader.as_str(), r.leader_epoch), ("*", 0));
    let mut names = Vec::new();
    while let Some(a) = s.poll_action() {
        if let super::core::Action::Emit { name, text, .. } = a {
            names.push(format!("{name} {text}"));
        }
    }
    assert_eq!(
        names,
        vec![
            "+new-epoch 1".to_string(),
            format!("+vote-for-leader {b} 1"),
            "+new-epoch 2".to_string(),
            format!("+vote-for-leader {c} 2"),
        ]
    );
}

fn drain_events(s: &mut Sentinel) -> Vec<String> {
    let mut v = Vec::new();
    while let Some(a) = s.poll_action() {
        match a {
            super::core::Action::Emit { name, text, .. } => v.push(format!("{name} {text}")),
            super::core::Action::SaveConfig => v.push("SAVE".into()),
            _ => {}
        }
    }
    v
}

#[test]
fn hello_discovery_address_switch_and_config_update() {
    let mut s = Sentinel::new("a".repeat(40), SENT_BASE);
    let id = s.alloc_id();
    let mut m = MasterRecord::new(id, NAME, "127.0.0.1", NODE_BASE, 2, 1000);
    m.inst.config_epoch = 3;
    s.masters.insert(NAME.into(), m);
    let b = "b".repeat(40);
    let hello = |ip: &str, port: u16, runid: &str, epoch: u64, mport: u16, ce: u64| {
        format!("{ip},{port},{runid},{epoch},{NAME},127.0.0.1,{mport},{ce}").into_bytes()
    };
    // Our own hello and a hello for an unknown master are ignored.
    s.process_hello(&hello("127.0.0.1", 1, &"a".repeat(40), 9, 1, 9), 1000);
    s.process_hello(b"127.0.0.1,1,x,0,other,127.0.0.1,1,0", 1000);
    assert!(drain_events(&mut s).is_empty());
    s.process_hello(&hello("127.0.0.1", 26001, &b, 0, NODE_BASE, 3), 1000);
    assert_eq!(
        drain_events(&mut s),
        vec![
            format!("+sentinel sentinel {b} 127.0.0.1 26001 @ {NAME} 127.0.0.1 {NODE_BASE}"),
            "SAVE".into()
        ]
    );
    // Same run id at a new address.
    s.process_hello(&hello("127.0.0.1", 26009, &b, 0, NODE_BASE, 3), 1000);
    let ev = drain_events(&mut s);
    assert_eq!(
        ev[0],
        format!("+sentinel-address-switch master {NAME} 127.0.0.1 {NODE_BASE} ip 127.0.0.1 port 26009 for {b}")
    );
    assert_eq!(s.masters[NAME].sentinels[&b].port, 26009);
    // Same address, new run id: the old record goes.
    let c = "c".repeat(40);
    s.process_hello(&hello("127.0.0.1", 26009, &c, 0, NODE_BASE, 3), 1000);
    let ev = drain_events(&mut s);
    assert!(
        ev[0].starts_with("+sentinel-invalid-addr sentinel "),
        "{ev:?}"
    );
    assert!(ev
        .iter()
        .any(|e| e.starts_with(&format!("+sentinel sentinel {c}"))));
    assert_eq!(s.masters[NAME].sentinels.len(), 1);
    // Newer epoch, and a newer config with another master address.
    s.masters.get_mut(NAME).unwrap().replicas.insert(
        "127.0.0.1:7001".into(),
        Instance::new(
            50,
            Role::Replica,
            "127.0.0.1:7001".into(),
            "127.0.0.1",
            7001,
            1000,
        ),
    );
    s.process_hello(&hello("127.0.0.1", 26009, &c, 5, 7001, 4), 2000);
    let ev = drain_events(&mut s);
    assert_eq!(s.current_epoch, 5);
    assert!(ev.contains(&"+new-epoch 5".to_string()), "{ev:?}");
    assert!(ev
        .iter()
        .any(|e| e.starts_with("+config-update-from sentinel ")));
    assert!(ev.contains(&format!(
        "+switch-master {NAME} 127.0.0.1 {NODE_BASE} 127.0.0.1 7001"
    )));
    let m = &s.masters[NAME];
    assert_eq!((m.inst.port, m.inst.config_epoch), (7001, 4));
    assert_eq!(
        m.replicas.keys().collect::<Vec<_>>(),
        vec![&format!("127.0.0.1:{NODE_BASE}")]
    );
    assert_eq!(m.inst.id, id, "a master keeps its id across a switch");
    // An older config epoch changes nothing.
    s.process_hello(&hello("127.0.0.1", 26009, &c, 5, 7002, 2), 3000);
    assert!(drain_events(&mut s).is_empty());
    assert_eq!(s.masters[NAME].inst.port, 7001);
}

#[test]
fn links_connect_handshake_reconnect_and_stale_drop() {
    use super::core::{Action, Event, LinkKind, ReqTag};
    use crate::resp::frame::Frame;
    let mut s = Sentinel::new("0123456789abcdef".repeat(3)[..40].to_string(), SENT_BASE);
    s.previous_tick = 1000;
    let id = s.alloc_id();
    let mut m = MasterRecord::new(id, NAME, "127.0.0.1", NODE_BASE, 2, 1000);
    m.auth_pass = Some("pw".into());
    m.inst.down_after_ms = 5000;
    s.masters.insert(NAME.into(), m);
    let mut rng = XorShift(1);
    let acts = |s: &mut Sentinel| {
        let mut v = Vec::new();
        while let Some(a) = s.poll_action() {
            v.push(a);
        }
        v
    };
    s.handle(Event::Tick, 1100, &mut rng);
    let a = acts(&mut s);
    let connects: Vec<LinkKind> = a
        .iter()
        .filter_map(|x| match x {
            Action::Connect {
                inst, link, port, ..
            } if *inst == id && *port == NODE_BASE => Some(*link),
            _ => None,
        })
        .collect();
    assert_eq!(connects, vec![LinkKind::Cmd, LinkKind::PubSub]);
    // Nothing reissued while connecting.
    s.handle(Event::Tick, 1200, &mut rng);
    assert!(acts(&mut s).is_empty());
    let up = |link| Event::LinkUp {
        inst: id,
        link,
        local_ip: "10.1.1.1".into(),
    };
    s.handle(up(LinkKind::Cmd), 1200, &mut rng);
    s.handle(up(LinkKind::PubSub), 1200, &mut rng);
    let sent: Vec<(LinkKind, String)> = acts(&mut s)
        .into_iter()
        .filter_map(|x| match x {
            Action::Send { link, argv, .. } => Some((
                link,
                argv.iter()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
            _ => None,
        })
        .collect();
    let want: Vec<(LinkKind, String)> = vec![
        (LinkKind::Cmd, "AUTH pw".into()),
        (LinkKind::Cmd, "CLIENT SETNAME sentinel-01234567-cmd".into()),
        (LinkKind::Cmd, "PING".into()),
        (LinkKind::PubSub, "AUTH pw".into()),
        (
            LinkKind::PubSub,
            "CLIENT SETNAME sentinel-01234567-pubsub".into(),
        ),
        (LinkKind::PubSub, "SUBSCRIBE __sentinel__:hello".into()),
    ];
    assert_eq!(sent, want);
    // Next tick: INFO first; a hello carries the link's local address.
    s.handle(Event::Tick, 1300, &mut rng);
    let a = acts(&mut s);
    assert!(
        matches!(
            &a[..],
            [Action::Send {
                tag: ReqTag::Info,
                ..
            }]
        ),
        "{a:?}"
    );
    let reply = |tag, f| Event::Reply {
        inst: id,
        link: LinkKind::Cmd,
        tag,
        reply: f,
    };
    s.handle(
        reply(ReqTag::Ping, Frame::Simple(b"PONG".to_vec())),
        1300,
        &mut rng,
    );
    s.handle(
        reply(
            ReqTag::Info,
            Frame::Bulk(Some(
                b"role:master\r\nrun_id:0000000000000000000000000000000000000001\r\n".to_vec(),
            )),
        ),
        1300,
        &mut rng,
    );
    assert!(acts(&mut s).is_empty());
    s.handle(Event::Tick, 2400, &mut rng);
    let a = acts(&mut s);
    assert!(
        matches!(
            &a[..],
            [Action::Send {
                tag: ReqTag::Ping,
                ..
            }]
        ),
        "{a:?}"
    );
    s.handle(Event::Tick, 2500, &mut rng);
    let a = acts(&mut s);
    let Some(Action::Send {
        argv,
        tag: ReqTag::Hello,
        ..
    }) = a.first()
    else {
        panic!("{a:?}")
    };
    let payload = String::from_utf8_lossy(&argv[2]).into_owned();
    assert_eq!(
        payload,
        format!(
            "10.1.1.1,{SENT_BASE},{},0,{NAME},127.0.0.1,{NODE_BASE},0",
            s.myid
        )
    );
    // The master stops answering: after 15 s of link age and down-after/2 of silence the cmd
    // link is dropped and reopened (at most once a second), and it is S_DOWN after 5 s.
    let mut t = 2500;
    let mut dropped = 0;
    let mut reconnects = 0;
    while t < 20_000 {
        t += 100;
        s.handle(Event::Tick, t, &mut rng);
        for x in acts(&mut s) {
            match x {
                Action::Disconnect {
                    link: LinkKind::Cmd,
                    ..
                } => dropped += 1,
                Action::Connect {
                    link: LinkKind::Cmd,
                    ..
                } => reconnects += 1,
                _ => {}
            }
        }
    }
    assert_eq!((dropped, reconnects), (1, 1));
    assert!(s.masters[NAME].inst.flags.s_down);
    // Events for ids that no longer exist are ignored; a record added later gets links.
    s.masters.clear();
    s.handle(up(LinkKind::Cmd), t, &mut rng);
    s.handle(
        reply(ReqTag::Ping, Frame::Simple(b"PONG".to_vec())),
        t,
        &mut rng,
    );
    let id2 = s.alloc_id();
    s.masters.insert(
        "m2".into(),
        MasterRecord::new(id2, "m2", "127.0.0.1", 1, 1, t),
    );
    s.handle(Event::Tick, t + 100, &mut rng);
    let a = acts(&mut s);
    assert_eq!(
        a.iter()
            .filter(|x| matches!(x, Action::Connect { inst, .. } if *inst == id2))
            .count(),
        2
    );
}

#[test]
fn random_events_never_panic() {
    use super::core::{Event, LinkKind, ReqTag, Rng};
    use crate::resp::frame::Frame;
    let mut r = XorShift(77);
    for round in 0..20 {
        let mut s = Sentinel::new(format!("{round:040}"), SENT_BASE);
        let id = s.alloc_id();
        let mut m = MasterRecord::new(id, NAME, "127.0.0.1", NODE_BASE, 1 + (round % 3), 1000);
        m.inst.down_after_ms = 1 + r.below(3000) as i64;
        m.failover_timeout = r.below(20_000) as i64;
        s.masters.insert(NAME.into(), m);
        let mut now = 1000i64;
        let frames = |r: &mut XorShift| -> Frame {
            match r.below(8) {
                0 => Frame::Simple(b"PONG".to_vec()),
                1 => Frame::Error(b"BUSY x".to_vec()),
                2 => Frame::Bulk(Some(
                    format!(
                        "role:{}\r\nrun_id:{:040}\r\nmaster_host:127.0.0.1\r\nmaster_port:{}\r\nmaster_link_status:up\r\nslave0:ip=127.0.0.1,port={},state=online\r\nslave_priority:{}\r\nmaster_link_down_since_seconds:{}\r\n",
                        if r.below(2) == 0 { "master" } else { "slave" },
                        r.below(3),
                        NODE_BASE + r.below(3) as u16,
                        NODE_BASE + r.below(3) as u16,
                        r.below(3),
                        r.next_u64() as i64
                    )
                    .into_bytes(),
                )),
                3 => Frame::Array(Some(vec![
                    Frame::Int(r.below(2) as i64),
                    Frame::Bulk(Some(format!("{:040}", r.below(4)).into_bytes())),
                    Frame::Int(r.below(5) as i64),
                ])),
                4 => Frame::Array(None),
                5 => Frame::Int(-1),
                6 => Frame::Bulk(Some(vec![0xff, b':', b'\n'])),
                _ => Frame::Array(Some(vec![Frame::Bulk(None)])),
            }
        };
        for _ in 0..3000 {
            now += match r.below(50) {
                0 => -5000,
                1 => 100_000,
                _ => r.below(300) as i64,
            };
            let ids: Vec<u64> = {
                let m = &s.masters.get(NAME);
                m.map(|m| {
                    std::iter::once(m.inst.id)
                        .chain(m.replicas.values().map(|x| x.id))
                        .chain(m.sentinels.values().map(|x| x.id))
                        .collect()
                })
                .unwrap_or_default()
            };
            let inst = ids
                .get(r.below(ids.len() as u64 + 1) as usize)
                .copied()
                .unwrap_or(999);
            let link = if r.below(2) == 0 {
                LinkKind::Cmd
            } else {
                LinkKind::PubSub
            };
            let tag = match r.below(6) {
                0 => ReqTag::Ping,
                1 => ReqTag::Info,
                2 => ReqTag::IsMasterDown {
                    master: NAME.into(),
                },
                3 => ReqTag::Hello,
                4 => ReqTag::Failover {
                    master: NAME.into(),
                },
                _ => ReqTag::Setup,
            };
            let hello = format!(
                "127.0.0.1,{},{:040},{},{NAME},127.0.0.1,{},{}",
                26000 + r.below(4),
                r.below(4),
                r.below(6),
                NODE_BASE + r.below(3) as u16,
                r.below(6)
            );
            let ev = match r.below(7) {
                0 | 1 => Event::Tick,
                2 => Event::LinkUp {
                    inst,
                    link,
                    local_ip: "127.0.0.1".into(),
                },
                3 => Event::LinkDown { inst, link },
                4 => Event::Reply {
                    inst,
                    link,
                    tag,
                    reply: frames(&mut r),
                },
                5 => Event::Message {
                    inst,
                    channel: b"__sentinel__:hello".to_vec(),
                    payload: hello.into_bytes(),
                },
                _ => Event::HelloFromClient {
                    payload: b"1,2,3".to_vec(),
                },
            };
            s.handle(ev, now, &mut r);
            if r.below(100) == 0 {
                let _ = s.manual_failover(NAME, now);
            }
            if r.below(100) == 0 {
                let _ =
                    s.is_master_down_by_addr("127.0.0.1", NODE_BASE, r.below(9), "x", now, &mut r);
            }
            while s.poll_action().is_some() {}
        }
    }
}
