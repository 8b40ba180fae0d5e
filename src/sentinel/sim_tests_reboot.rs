//! Scenarios on the simulated network around the master's node: a master rebooting (with
//! `master-reboot-down-after-period`), and nodes with renamed commands. Split from
//! `sim_tests.rs` (the failover scenarios) to keep each file short.
use super::sim::{Ep, Net, NAME, NODE_BASE};
use super::state::MasterRecord;

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
