//! Election and failover scenarios on the simulated network (`sim`): master loss, partitions,
//! dropped votes, a sentinel restarting mid-failover, clock jumps (TILT), the old master
//! returning, replica priority; plus table tests of replica ranking and of voting.
use super::core::{Sentinel, XorShift};
use super::failover::select_replica;
use super::sim::{Ep, Net, NAME, NODE_BASE, SENT_BASE};
use super::state::{Instance, MasterRecord, Role};
use std::collections::BTreeMap;

/// Run until every sentinel knows every replica and every other sentinel.
fn discovered(net: &mut Net) {
    let (nr, ns) = (net.nodes.len() - 1, net.sents.len() - 1);
    let ok = net.run_until(30_000, |n| {
        n.sents.iter().all(|x| {
            let m = &x.s.masters[NAME];
            m.replicas.len() == nr && m.sentinels.len() == ns
        })
    });
    assert!(ok, "discovery incomplete:\n{}", net.dump_log());
}

/// Every live sentinel agrees on a master other than `old`, it is the only live master node,
/// and every other live node replicates from it.
fn converged(n: &Net, old: u16) -> bool {
    let Some(p) = n.agreed_master() else {
        return false;
    };
    p != old
        && n.live_masters() == vec![p]
        && n.nodes
            .iter()
            .filter(|x| x.alive && x.port != p)
            .all(|x| x.master_of == Some(p))
        && n.sents.iter().all(|x| {
            let m = &x.s.masters[NAME];
            m.failover_state == super::state::FailoverState::None
        })
}

/// At most one `+elected-leader` per epoch, over the whole run.
fn one_leader_per_epoch(net: &Net) {
    let mut by_epoch: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for e in net.events("+elected-leader") {
        by_epoch.entry(e.4).or_default().push(e.0);
    }
    for (epoch, who) in &by_epoch {
        assert_eq!(
            who.len(),
            1,
            "epoch {epoch} leaders {who:?}\n{}",
            net.dump_log()
        );
    }
}

#[test]
fn master_dies_one_leader_one_failover_all_agree() {
    for seed in 1..=5 {
        let mut net = Net::new(3, 3, 2, seed);
        discovered(&mut net);
        net.run_ms(seed as i64 * 300);
        let killed = net.now;
        net.kill_node(0);
        let ok = net.run_until(60_000, |n| converged(n, NODE_BASE));
        assert!(ok, "seed {seed} no convergence:\n{}", net.dump_log());
        // S_DOWN counts from the last valid reply (at most a ping period before the kill).
        let sdown = net.events("+sdown")[0].1 - killed;
        assert!(sdown <= 1000 + 1000 + 100, "{sdown}");
        one_leader_per_epoch(&net);
        assert_eq!(net.events("+promoted-slave").len(), 1, "{}", net.dump_log());
        assert_eq!(net.events("+failover-end").len(), 1);
        // Every sentinel switched exactly once (the leader itself, the others from hellos).
        for i in 0..3 {
            let n = net
                .events("+switch-master")
                .iter()
                .filter(|e| e.0 == i)
                .count();
            assert_eq!(n, 1, "sentinel {i}:\n{}", net.dump_log());
        }
        assert!(!net.events("+odown").is_empty());
        let sw = net.events("+switch-master")[0].3.clone();
        assert!(
            sw.starts_with(&format!("{NAME} 127.0.0.1 {NODE_BASE} 127.0.0.1 ")),
            "{sw}"
        );
        // The new master's record lists the old master and the other replica.
        let p = net.agreed_master().unwrap();
        for x in &net.sents {
            let m = &x.s.masters[NAME];
            assert_eq!(m.replicas.len(), 2);
            assert!(m.replicas.contains_key(&format!("127.0.0.1:{NODE_BASE}")));
            assert!(!m.replicas.contains_key(&format!("127.0.0.1:{p}")));
            assert!(m.inst.config_epoch >= 1);
        }
        assert!(net.sents.iter().all(|x| x.saves > 0));
    }
}

#[test]
fn event_texts_match_redis() {
    let mut net = Net::new(3, 3, 2, 9);
    discovered(&mut net);
    net.kill_node(0);
    assert!(net.run_until(60_000, |n| converged(n, NODE_BASE)));
    let sdown = &net.events("+sdown")[0].3;
    assert_eq!(sdown, "master mymaster 127.0.0.1 7000");
    let odown = &net.events("+odown")[0].3;
    assert!(
        odown.starts_with("master mymaster 127.0.0.1 7000 #quorum "),
        "{odown}"
    );
    assert!(odown.ends_with("/2"), "{odown}");
    let slave = &net.events("+slave")[0].3;
    assert!(
        slave.starts_with("slave 127.0.0.1:700") && slave.ends_with(" @ mymaster 127.0.0.1 7000"),
        "{slave}"
    );
    let sent = &net.events("+sentinel")[0].3;
    assert!(
        sent.starts_with("sentinel ") && sent.contains(" 127.0.0.1 260"),
        "{sent}"
    );
    let vote = &net.events("+vote-for-leader")[0].3;
    assert_eq!(vote.split(' ').count(), 2, "{vote}");
    for name in [
        "+new-epoch",
        "+try-failover",
        "+elected-leader",
        "+failover-state-select-slave",
        "+selected-slave",
        "+failover-state-send-slaveof-noone",
        "+failover-state-wait-promotion",
        "+promoted-slave",
        "+failover-state-reconf-slaves",
        "+slave-reconf-sent",
        "+slave-reconf-inprog",
        "+slave-reconf-done",
        "+failover-end",
        "+switch-master",
    ] {
        assert!(
            !net.events(name).is_empty(),
            "no {name}:\n{}",
            net.dump_log()
        );
    }
    let sel = &net.events("+selected-slave")[0].3;
    assert!(sel.starts_with("slave 127.0.0.1:700"), "{sel}");
}

#[test]
fn partitioned_minority_sentinel_cannot_fail_over() {
    // Quorum 1: the isolated sentinel reaches ODOWN alone but can never get a majority.
    let mut net = Net::new(3, 3, 1, 3);
    discovered(&mut net);
    net.partition(Ep::Sent(2), Ep::Node(0));
    net.partition(Ep::Sent(2), Ep::Sent(0));
    net.partition(Ep::Sent(2), Ep::Sent(1));
    net.run_ms(60_000);
    let mine = |name: &str| net.events(name).iter().filter(|e| e.0 == 2).count();
    assert!(mine("+odown") >= 1, "{}", net.dump_log());
    assert!(mine("+try-failover") >= 1);
    assert!(mine("-failover-abort-not-elected") >= 1);
    assert_eq!(mine("+elected-leader"), 0);
    assert!(net.events("+promoted-slave").is_empty());
    assert_eq!(net.live_masters(), vec![NODE_BASE]);
    // The majority side never saw the master down.
    assert!(net
        .events("+sdown")
        .iter()
        .all(|e| e.0 == 2 || !e.3.starts_with("master")));
}

#[test]
fn quorum_not_reached_no_odown() {
    let mut net = Net::new(3, 3, 2, 4);
    discovered(&mut net);
    net.partition(Ep::Sent(2), Ep::Node(0));
    net.run_ms(30_000);
    assert!(!net.events("+sdown").is_empty());
    assert!(net.events("+odown").is_empty(), "{}", net.dump_log());
    assert!(net.events("+try-failover").is_empty());
}

#[test]
fn dropped_votes_retry_with_new_epoch_and_converge() {
    for seed in [5, 6] {
        let mut net = Net::new(3, 3, 2, seed);
        discovered(&mut net);
        let until = net.now + 15_000;
        // Vote requests (runid not `*`) are lost for 15 s.
        net.drop = Some(Box::new(move |now, _, _, argv| {
            now < until
                && argv.first().is_some_and(|a| a == b"SENTINEL")
                && argv.get(5).is_some_and(|a| a != b"*")
        }));
        net.kill_node(0);
        let ok = net.run_until(120_000, |n| converged(n, NODE_BASE));
        assert!(ok, "no convergence:\n{}", net.dump_log());
        one_leader_per_epoch(&net);
        assert!(!net.events("-failover-abort-not-elected").is_empty());
        let first_try = net.events("+try-failover")[0].4;
        let elected = net.events("+elected-leader");
        assert_eq!(elected.len(), 1, "{}", net.dump_log());
        assert!(elected[0].4 > first_try);
        assert_eq!(net.events("+promoted-slave").len(), 1);
    }
}

#[test]
fn sentinel_restarting_mid_failover_still_converges() {
    for stage in [
        "+failover-state-wait-promotion",
        "+promoted-slave",
        "+elected-leader",
        "+config-update-from",
    ] {
        let mut net = Net::new(3, 3, 2, 7);
        discovered(&mut net);
        net.kill_node(0);
        let ok = net.run_until(60_000, |n| !n.events(stage).is_empty());
        assert!(ok, "{stage} never happened:\n{}", net.dump_log());
        let leader = net.events("+elected-leader")[0].0;
        net.restart_sentinel(leader);
        let ok = net.run_until(120_000, |n| converged(n, NODE_BASE));
        assert!(
            ok,
            "restart at {stage}: no convergence:\n{}",
            net.dump_log()
        );
        one_leader_per_epoch(&net);
        let restarted = &net.sents[leader].s;
        assert!(restarted.current_epoch >= 1);
    }
}

#[test]
fn clock_jump_enters_tilt_and_blocks_failover() {
    let mut net = Net::new(3, 3, 2, 8);
    discovered(&mut net);
    for x in net.sents.iter_mut() {
        x.clock_offset += 5_000;
    }
    net.step();
    assert_eq!(net.events("+tilt").len(), 3);
    assert_eq!(net.events("+tilt")[0].3, "#tilt mode entered");
    let tilt_at = net.now;
    net.kill_node(0);
    net.run_until(29_000, |_| false);
    assert!(net.events("+sdown").is_empty(), "{}", net.dump_log());
    assert!(net.events("+try-failover").is_empty());
    let ok = net.run_until(60_000, |n| converged(n, NODE_BASE));
    assert!(ok, "{}", net.dump_log());
    let exited = net.events("-tilt");
    assert_eq!(exited.len(), 3);
    assert_eq!(exited[0].3, "#tilt mode exited");
    assert!(exited[0].1 - tilt_at >= 29_000);
    assert!(net.events("+try-failover")[0].1 >= exited[0].1);
    // A backwards jump enters TILT too.
    net.sents[1].clock_offset -= 1_000;
    net.step();
    assert_eq!(net.events("+tilt").len(), 4);
}

#[test]
fn tilt_answers_not_down() {
    let mut net = Net::new(3, 3, 2, 10);
    discovered(&mut net);
    net.kill_node(0);
    assert!(net.run_until(10_000, |n| n.sents[0].s.masters[NAME].inst.flags.s_down));
    let mut rng = XorShift(1);
    let now = net.sentinel_now(0);
    let s = &mut net.sents[0].s;
    assert!(
        s.is_master_down_by_addr("127.0.0.1", NODE_BASE, 0, "*", now, &mut rng)
            .down
    );
    s.tilt = true;
    s.tilt_start_time = now;
    let r = s.is_master_down_by_addr("127.0.0.1", NODE_BASE, 0, "*", now, &mut rng);
    assert!(!r.down);
    assert_eq!(r.leader, "*");
}

#[test]
fn old_master_returning_is_converted_to_replica() {
    let mut net = Net::new(3, 3, 2, 11);
    discovered(&mut net);
    net.kill_node(0);
    assert!(net.run_until(60_000, |n| converged(n, NODE_BASE)));
    let newp = net.agreed_master().unwrap();
    net.revive_node(0);
    assert_eq!(net.nodes[0].master_of, None);
    let ok = net.run_until(60_000, |n| n.nodes[0].master_of == Some(newp));
    assert!(ok, "{}", net.dump_log());
    let conv = net.events("+convert-to-slave");
    assert!(!conv.is_empty());
    assert_eq!(
        conv[0].3,
        format!("slave 127.0.0.1:{NODE_BASE} 127.0.0.1 {NODE_BASE} @ {NAME} 127.0.0.1 {newp}")
    );
    // Not sooner than 8 s after it came back reporting master.
    assert!(net.run_until(30_000, |n| converged(n, 0)));
    assert_eq!(net.agreed_master(), Some(newp));
}

#[test]
fn priority_zero_replica_never_selected() {
    for seed in 1..=3 {
        let mut net = Net::new(3, 3, 2, seed);
        // Node 1 is the better-ranked by offset but has priority 0.
        net.nodes[1].priority = 0;
        net.nodes[1].offset = 5000;
        discovered(&mut net);
        net.run_ms(11_000);
        net.kill_node(0);
        assert!(
            net.run_until(60_000, |n| converged(n, NODE_BASE)),
            "{}",
            net.dump_log()
        );
        assert_eq!(net.agreed_master(), Some(NODE_BASE + 2));
    }
    // Only priority-0 replicas: the failover aborts, nothing is promoted.
    let mut net = Net::new(2, 3, 2, 1);
    net.nodes[1].priority = 0;
    discovered(&mut net);
    net.run_ms(11_000);
    net.kill_node(0);
    net.run_ms(30_000);
    assert!(
        !net.events("-failover-abort-no-good-slave").is_empty(),
        "{}",
        net.dump_log()
    );
    assert!(net.events("+promoted-slave").is_empty());
    assert_eq!(net.nodes[1].master_of, Some(NODE_BASE));
}

#[test]
fn higher_offset_wins_the_promotion() {
    let mut net = Net::new(3, 3, 2, 2);
    net.nodes[2].offset = 9000;
    discovered(&mut net);
    net.run_ms(11_000);
    net.kill_node(0);
    assert!(net.run_until(60_000, |n| converged(n, NODE_BASE)));
    assert_eq!(net.agreed_master(), Some(NODE_BASE + 2));
}

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

#[test]
fn timers_debug_names_and_shorter_periods_still_converge() {
    let mut t = super::state::Timers::default();
    assert_eq!(t.list()[0], ("INFO-PERIOD", 10_000));
    assert_eq!(t.list()[12], ("SCRIPT-RETRY-DELAY", 30_000));
    assert!(t.set("ping-period", 500));
    assert!(!t.set("nope", 1));
    assert_eq!(t.ping_period, 500);
    let mut net = Net::new(3, 3, 2, 12);
    for x in net.sents.iter_mut() {
        x.s.timers.ping_period = 200;
        x.s.timers.publish_period = 500;
        x.s.timers.ask_period = 200;
        x.s.masters.get_mut(NAME).unwrap().inst.down_after_ms = 400;
    }
    discovered(&mut net);
    net.kill_node(0);
    let t0 = net.now;
    assert!(
        net.run_until(60_000, |n| converged(n, NODE_BASE)),
        "{}",
        net.dump_log()
    );
    let sdown = net.events("+sdown")[0].1;
    assert!(sdown - t0 <= 700, "{}", sdown - t0);
    one_leader_per_epoch(&net);
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

#[test]
fn scripts_parallel_syncs_and_many_replicas() {
    let mut net = Net::new(5, 3, 2, 21);
    for x in net.sents.iter_mut() {
        let m = x.s.masters.get_mut(NAME).unwrap();
        m.notification_script = Some("/bin/notify".into());
        m.client_reconfig_script = Some("/bin/reconf".into());
        m.parallel_syncs = 1;
    }
    discovered(&mut net);
    net.kill_node(0);
    assert!(
        net.run_until(90_000, |n| converged(n, NODE_BASE)),
        "{}",
        net.dump_log()
    );
    one_leader_per_epoch(&net);
    let newp = net.agreed_master().unwrap();
    // Three replicas reconfigured, one at a time: each sent after the previous one is done.
    let leader = net.events("+elected-leader")[0].0;
    let seq: Vec<&str> = net
        .log
        .iter()
        .filter(|e| e.0 == leader && e.2.starts_with("+slave-reconf-"))
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(seq.len(), 9, "{seq:?}");
    for chunk in seq.chunks(3) {
        assert_eq!(
            chunk,
            [
                "+slave-reconf-sent",
                "+slave-reconf-inprog",
                "+slave-reconf-done"
            ]
        );
    }
    // Notification script: warning events only, `<type> <text>`.
    let notes: Vec<&Vec<String>> = net
        .scripts
        .iter()
        .filter(|s| s.1 == "/bin/notify")
        .map(|s| &s.2)
        .collect();
    assert!(notes
        .iter()
        .any(|a| a[0] == "+sdown" && a[1] == "master mymaster 127.0.0.1 7000"));
    assert!(notes.iter().any(|a| a[0] == "+switch-master"));
    assert!(!notes
        .iter()
        .any(|a| a[0] == "+slave" || a[0] == "+slave-reconf-sent"));
    // Client reconfig: the leader once (leader start), observers once each (observer start).
    let reconf: Vec<&(usize, String, Vec<String>)> = net
        .scripts
        .iter()
        .filter(|s| s.1 == "/bin/reconf")
        .collect();
    assert_eq!(reconf.len(), 3, "{reconf:?}");
    let np = newp.to_string();
    for (i, _, a) in &reconf {
        let role = if *i == leader { "leader" } else { "observer" };
        let want = [
            NAME,
            role,
            "start",
            "127.0.0.1",
            "7000",
            "127.0.0.1",
            np.as_str(),
        ];
        assert_eq!(a, &want.to_vec());
    }
}

#[test]
fn promoted_replica_lost_aborts_then_retries() {
    let mut net = Net::new(3, 3, 2, 22);
    discovered(&mut net);
    net.run_ms(11_000);
    net.kill_node(0);
    let ok = net.run_until(30_000, |n| !n.events("+selected-slave").is_empty());
    assert!(ok);
    // The selected replica dies before it is promoted (and we drop SLAVEOF to it).
    let sel = net.events("+selected-slave")[0].3.clone();
    let port: u16 = sel.split(' ').nth(3).and_then(|p| p.parse().ok()).unwrap();
    let idx = net.nodes.iter().position(|n| n.port == port).unwrap();
    net.kill_node(idx);
    let ok = net.run_until(120_000, |n| {
        n.agreed_master()
            .is_some_and(|p| p != NODE_BASE && p != port)
            && n.live_masters().len() == 1
    });
    assert!(ok, "{}", net.dump_log());
    assert!(
        !net.events("-failover-abort-slave-timeout").is_empty()
            || net.events("+promoted-slave").len() == 1,
        "{}",
        net.dump_log()
    );
    one_leader_per_epoch(&net);
}

#[test]
fn restarted_sentinel_never_votes_twice_in_an_epoch() {
    let mut net = Net::new(3, 3, 2, 30);
    discovered(&mut net);
    let mut rng = XorShift(5);
    let now = net.sentinel_now(0);
    let b = "b".repeat(40);
    let r = net.sents[0]
        .s
        .is_master_down_by_addr("127.0.0.1", NODE_BASE, 7, &b, now, &mut rng);
    assert_eq!((r.leader.as_str(), r.leader_epoch), (b.as_str(), 7));
    net.restart_sentinel(0);
    let c = "c".repeat(40);
    let r = net.sents[0]
        .s
        .is_master_down_by_addr("127.0.0.1", NODE_BASE, 7, &c, now, &mut rng);
    assert_ne!(r.leader, c, "voted twice in epoch 7");
    assert_eq!(net.sents[0].s.current_epoch, 7);
    let r = net.sents[0]
        .s
        .is_master_down_by_addr("127.0.0.1", NODE_BASE, 8, &c, now, &mut rng);
    assert_eq!((r.leader.as_str(), r.leader_epoch), (c.as_str(), 8));
}

/// Restart node 0 with a new run id (answering `-LOADING` or not) under a sentinel whose
/// `master-reboot-down-after-period` is `period`; returns the net after `ms` more.
fn reboot_master(period: i64, loading: bool, ms: i64) -> (Net, i64) {
    let mut net = Net::new(1, 1, 1, 7);
    // INFO (which reveals the new run id) every 500 ms instead of 10 s.
    net.sents[0].s.timers.info_period = 500;
    net.sents[0]
        .s
        .masters
        .get_mut(NAME)
        .unwrap()
        .reboot_down_after_ms = period;
    net.run_ms(3000);
    assert!(net.events("+sdown").is_empty(), "{}", net.dump_log());
    net.kill_node(0);
    net.nodes[0].runid = format!("{:040x}", 0xbeef);
    net.nodes[0].loading = loading;
    net.revive_node(0);
    let restarted = net.now;
    net.run_ms(ms);
    (net, restarted)
}

#[test]
fn rebooted_master_loading_past_the_period_is_sdown() {
    let (mut net, _) = reboot_master(2000, true, 5000);
    let reboot = net.events("+reboot");
    assert_eq!(reboot.len(), 1, "{}", net.dump_log());
    assert_eq!(reboot[0].3, format!("master {NAME} 127.0.0.1 {NODE_BASE}"));
    let sdown = net.events("+sdown");
    assert_eq!(sdown.len(), 1, "{}", net.dump_log());
    // Down once the reboot is older than the period (ticks are 100 ms apart).
    let after = sdown[0].1 - reboot[0].1;
    assert!(
        (2000..=2200).contains(&after),
        "{after}\n{}",
        net.dump_log()
    );
    // -LOADING is a valid PING reply: without the reboot rule it would never be down.
    let m = &net.sents[0].s.masters[NAME];
    assert!(m.inst.flags.s_down && m.inst.flags.master_reboot);
    // Loading done: the first +PONG clears the reboot, and with it the S_DOWN.
    net.nodes[0].loading = false;
    let ok = net.run_until(3000, |n| !n.events("-sdown").is_empty());
    assert!(ok, "{}", net.dump_log());
    assert!(!net.sents[0].s.masters[NAME].inst.flags.master_reboot);
}

#[test]
fn rebooted_master_answering_pong_or_period_off_is_not_sdown() {
    // +PONG right after the restart: the reboot flag is cleared before the period ends.
    let (net, _) = reboot_master(2000, false, 5000);
    assert_eq!(net.events("+reboot").len(), 1, "{}", net.dump_log());
    assert!(net.events("+sdown").is_empty(), "{}", net.dump_log());
    // Period 0 (the default): a loading master is never down for having rebooted.
    let (net, _) = reboot_master(0, true, 5000);
    assert_eq!(net.events("+reboot").len(), 1, "{}", net.dump_log());
    assert!(net.events("+sdown").is_empty(), "{}", net.dump_log());
    assert!(!net.sents[0].s.masters[NAME].inst.flags.master_reboot);
}

/// Nodes with CONFIG and PING renamed, monitored by a sentinel that knows the renames (or not).
fn renamed_net(sentinel_knows: bool) -> Net {
    let mut net = Net::new(2, 1, 1, 3);
    for n in &mut net.nodes {
        n.renamed = vec![
            ("CONFIG".into(), "XCONFIG".into()),
            ("PING".into(), "XPING".into()),
        ];
    }
    if sentinel_knows {
        let m = net.sents[0].s.masters.get_mut(NAME).unwrap();
        m.renamed_commands = vec![
            ("config".into(), "XCONFIG".into()),
            ("Ping".into(), "XPING".into()),
        ];
    }
    net.record = true;
    net
}

#[test]
fn renamed_commands_are_sent_to_master_and_replicas() {
    let mut net = renamed_net(true);
    net.run_ms(4000);
    assert!(net.events("+sdown").is_empty(), "{}", net.dump_log());
    assert_eq!(net.sents[0].s.masters[NAME].replicas.len(), 1);
    net.kill_node(0);
    let ok = net.run_until(30_000, |n| n.live_masters() == vec![NODE_BASE + 1]);
    assert!(ok, "{}", net.dump_log());
    let to_node = |n: usize| -> Vec<String> {
        net.sent
            .iter()
            .filter(|(_, t, _)| *t == Ep::Node(n))
            .map(|(_, _, a)| {
                a.iter()
                    .map(|x| String::from_utf8_lossy(x).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let promoted = to_node(1);
    let at = promoted
        .iter()
        .position(|c| c == "SLAVEOF NO ONE")
        .unwrap_or_else(|| panic!("{promoted:?}"));
    assert_eq!(promoted[at - 1], "MULTI");
    assert_eq!(promoted[at + 1], "XCONFIG REWRITE");
    for c in to_node(0).iter().chain(&promoted) {
        let name = c.split(' ').next().unwrap_or("");
        assert!(name != "PING" && name != "CONFIG", "{c}");
    }
    assert!(promoted.iter().any(|c| c == "XPING"));
    assert!(to_node(0).iter().any(|c| c == "XPING"));
}

#[test]
fn unrenamed_ping_to_renamed_master_is_sdown() {
    let mut net = renamed_net(false);
    let ok = net.run_until(4000, |n| !n.events("+sdown").is_empty());
    assert!(ok, "{}", net.dump_log());
    assert_eq!(
        net.events("+sdown")[0].3,
        format!("master {NAME} 127.0.0.1 {NODE_BASE}")
    );
}

#[test]
fn sentinel_set_rename_replaces_and_self_rename_removes() {
    let mut m = MasterRecord::new(1, "m", "127.0.0.1", 7000, 1, 0);
    m.set_rename("CONFIG", "XCONFIG");
    m.set_rename("config", "YCONFIG");
    assert_eq!(
        m.renamed_commands,
        vec![("config".into(), "YCONFIG".into())]
    );
    assert_eq!(m.map_command(b"CONFIG"), b"YCONFIG");
    assert_eq!(m.map_command(b"PING"), b"PING");
    m.set_rename("Config", "CONFIG");
    assert!(m.renamed_commands.is_empty());
    assert_eq!(m.map_command(b"CONFIG"), b"CONFIG");
}
