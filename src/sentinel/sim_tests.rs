//! Election and failover scenarios on the simulated network (`sim`): master loss, partitions,
//! dropped votes, a sentinel restarting mid-failover, clock jumps (TILT), the old master
//! returning, replica priority, scripts. The direct tests of one `Sentinel` are in
//! `sim_tests_core.rs`, the master reboot and renamed-command ones in `sim_tests_reboot.rs`.
use super::core::XorShift;
use super::sim::{Ep, Net, NAME, NODE_BASE};
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
