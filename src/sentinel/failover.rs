//! The failover state machine for one master: wait start (election), select a replica, promote
//! it (SLAVEOF NO ONE in a MULTI with CONFIG REWRITE and CLIENT KILL), wait for promotion,
//! reconfigure the other replicas with parallel-syncs, update the config (switch the master
//! record to the promoted replica); plus replica selection and the manual SENTINEL FAILOVER.
use super::core::{argv, Level, LinkKind, ReqTag, Rng, Sentinel, Who};
use super::state::{FailoverState, Instance, LinkState, MasterRecord, Role, Timers};
use std::cmp::Ordering;

/// Redis's `compareSlavesForPromotion`: lower priority first, then larger replication offset,
/// then smaller run id (a replica with no known run id last).
pub fn compare_for_promotion(a: &Instance, b: &Instance) -> Ordering {
    a.slave_priority
        .cmp(&b.slave_priority)
        .then(b.slave_repl_offset.cmp(&a.slave_repl_offset))
        .then_with(|| match (&a.runid, &b.runid) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        })
}

/// Redis's `sentinelSelectSlave`: the best replica to promote, or None. Excluded: down,
/// disconnected, no valid PING reply for 5 s, priority 0, INFO older than 3 INFO periods (5 s
/// when the master is S_DOWN), master link down for longer than 10 down-after periods plus the
/// time the master has been down.
pub fn select_replica(m: &MasterRecord, now: i64, t: &Timers) -> Option<String> {
    let mut max_master_down = 0;
    if m.inst.flags.s_down {
        max_master_down += now - m.inst.s_down_since;
    }
    max_master_down += m.inst.down_after_ms * 10;
    let info_validity = if m.inst.flags.s_down {
        t.ping_period * 5
    } else {
        t.info_period * 3
    };
    let mut best: Option<&Instance> = None;
    for r in m.replicas.values() {
        if r.flags.s_down || r.flags.o_down || r.link.disconnected(Role::Replica) {
            continue;
        }
        if now - r.link.last_avail_time > t.ping_period * 5 || r.slave_priority == 0 {
            continue;
        }
        if now - r.info_refresh > info_validity || r.master_link_down_time > max_master_down {
            continue;
        }
        if best.map_or(true, |b| compare_for_promotion(r, b) == Ordering::Less) {
            best = Some(r);
        }
    }
    best.map(|r| r.addr_key())
}

impl Sentinel {
    /// Start a failover when the master is O_DOWN, none is running, and none started in the
    /// last 2 failover-timeouts.
    pub(crate) fn start_failover_if_needed(
        &mut self,
        m: &mut MasterRecord,
        now: i64,
        rng: &mut dyn Rng,
    ) -> bool {
        if !m.inst.flags.o_down || m.inst.flags.failover_in_progress {
            return false;
        }
        if now.saturating_sub(m.failover_start_time) < m.failover_timeout.saturating_mul(2) {
            return false;
        }
        let delay = rng.below(self.timers.max_desync.max(0) as u64) as i64;
        self.start_failover(m, now, delay);
        true
    }

    /// Redis's `sentinelStartFailover`: a new epoch, WaitStart until `now + delay`.
    fn start_failover(&mut self, m: &mut MasterRecord, now: i64, delay: i64) {
        m.failover_state = FailoverState::WaitStart;
        m.inst.flags.failover_in_progress = true;
        self.current_epoch += 1;
        m.failover_epoch = self.current_epoch;
        self.push(super::core::Action::SaveConfig);
        self.event(
            Some(m),
            Level::Warning,
            "+new-epoch",
            self.current_epoch.to_string(),
        );
        self.event_at(m, &Who::Master, Level::Warning, "+try-failover", "");
        m.failover_start_time = now + delay;
        m.failover_state_change_time = now;
    }

    /// SENTINEL FAILOVER <name>: force a failover without agreement. Errors are the reply text
    /// without the leading `-` (`INPROG Failover already in progress`, `NOGOODSLAVE No suitable
    /// replica to promote`).
    pub fn manual_failover(&mut self, name: &str, now: i64) -> Result<(), String> {
        let Some(m) = self.masters.get(name) else {
            return Err("ERR No such master with that name".into());
        };
        if m.inst.flags.failover_in_progress {
            return Err("INPROG Failover already in progress".into());
        }
        if select_replica(m, now, &self.timers).is_none() {
            return Err("NOGOODSLAVE No suitable replica to promote".into());
        }
        log::warn!("Executing user requested FAILOVER of '{name}'");
        self.with_master(name, |s, m| {
            s.start_failover(m, now, 0);
            m.inst.flags.force_failover = true;
        });
        Ok(())
    }

    pub(crate) fn failover_state_machine(
        &mut self,
        m: &mut MasterRecord,
        now: i64,
        rng: &mut dyn Rng,
    ) {
        if !m.inst.flags.failover_in_progress {
            return;
        }
        match m.failover_state {
            FailoverState::WaitStart => self.wait_start(m, now, rng),
            FailoverState::SelectSlave => self.select_slave_step(m, now),
            FailoverState::SendSlaveofNoone => self.send_slaveof_noone(m, now),
            FailoverState::WaitPromotion => {
                self.abort_if_slave_timeout(m, now);
            }
            FailoverState::ReconfSlaves => self.reconf_next_slave(m, now),
            FailoverState::None | FailoverState::UpdateConfig => {}
        }
    }

    fn wait_start(&mut self, m: &mut MasterRecord, now: i64, rng: &mut dyn Rng) {
        let forced = m.inst.flags.force_failover;
        if now < m.failover_start_time && !forced {
            return;
        }
        if m.votes_asked_epoch != m.failover_epoch {
            m.votes_asked_epoch = m.failover_epoch;
            self.ask_master_state(m, now, true);
        }
        let leader = self.get_leader(m, m.failover_epoch, now, rng);
        let is_leader = leader.as_deref() == Some(self.myid.as_str());
        if !is_leader && !forced {
            let timeout = self.timers.election_timeout.min(m.failover_timeout);
            if now - m.failover_start_time > timeout {
                self.event_at(
                    m,
                    &Who::Master,
                    Level::Warning,
                    "-failover-abort-not-elected",
                    "",
                );
                self.abort_failover(m, now);
            }
            return;
        }
        self.event_at(m, &Who::Master, Level::Warning, "+elected-leader", "");
        if self.simfailure_crash_after_election {
            self.push(super::core::Action::Crash);
        }
        m.failover_state = FailoverState::SelectSlave;
        m.failover_state_change_time = now;
        self.event_at(
            m,
            &Who::Master,
            Level::Warning,
            "+failover-state-select-slave",
            "",
        );
    }

    fn select_slave_step(&mut self, m: &mut MasterRecord, now: i64) {
        let Some(key) = select_replica(m, now, &self.timers) else {
            self.event_at(
                m,
                &Who::Master,
                Level::Warning,
                "-failover-abort-no-good-slave",
                "",
            );
            self.abort_failover(m, now);
            return;
        };
        let who = Who::Replica(key.clone());
        self.event_at(m, &who, Level::Warning, "+selected-slave", "");
        if let Some(r) = m.replicas.get_mut(&key) {
            r.flags.promoted = true;
        }
        m.promoted_replica = Some(key);
        m.failover_state = FailoverState::SendSlaveofNoone;
        m.failover_state_change_time = now;
        self.event_at(
            m,
            &who,
            Level::Notice,
            "+failover-state-send-slaveof-noone",
            "",
        );
    }

    fn send_slaveof_noone(&mut self, m: &mut MasterRecord, now: i64) {
        let Some(key) = m.promoted_replica.clone() else {
            self.abort_failover(m, now);
            return;
        };
        let who = Who::Replica(key.clone());
        let connected = m.replicas.get(&key).is_some_and(|r| r.link.cmd_connected);
        if !connected {
            self.abort_if_slave_timeout(m, now);
            return;
        }
        if !self.send_slaveof(m, &who, None) {
            return;
        }
        self.event_at(m, &who, Level::Notice, "+failover-state-wait-promotion", "");
        m.failover_state = FailoverState::WaitPromotion;
        m.failover_state_change_time = now;
    }

    /// Reconfigure up to parallel-syncs replicas at a time to follow the promoted one.
    fn reconf_next_slave(&mut self, m: &mut MasterRecord, now: i64) {
        let Some(target) = promoted_addr(m, self.settings.announce_hostnames) else {
            return;
        };
        let mut in_progress = m
            .replicas
            .values()
            .filter(|r| r.flags.reconf_sent || r.flags.reconf_inprog)
            .count() as u32;
        let keys: Vec<String> = m.replicas.keys().cloned().collect();
        for k in keys {
            if in_progress >= m.parallel_syncs {
                break;
            }
            let who = Who::Replica(k.clone());
            let Some(r) = m.replicas.get_mut(&k) else {
                continue;
            };
            if r.flags.promoted || r.flags.reconf_done {
                continue;
            }
            if r.flags.reconf_sent
                && now - r.slave_reconf_sent_time > self.timers.slave_reconf_timeout
            {
                r.flags.reconf_sent = false;
                r.flags.reconf_done = true;
                self.event_at(m, &who, Level::Notice, "-slave-reconf-sent-timeout", "");
                continue;
            }
            if r.flags.reconf_sent || r.flags.reconf_inprog || !r.link.cmd_connected {
                continue;
            }
            if self.send_slaveof(m, &who, Some(target.clone())) {
                if let Some(r) = m.replicas.get_mut(&k) {
                    r.flags.reconf_sent = true;
                    r.slave_reconf_sent_time = now;
                }
                self.event_at(m, &who, Level::Notice, "+slave-reconf-sent", "");
                in_progress += 1;
            }
        }
        self.detect_end(m, now);
    }

    /// The failover ends when every reachable replica is reconfigured, or failover-timeout
    /// after the promotion (then SLAVEOF goes to the rest anyway).
    fn detect_end(&mut self, m: &mut MasterRecord, now: i64) {
        let Some(pk) = m.promoted_replica.clone() else {
            return;
        };
        let Some(p) = m.replicas.get(&pk) else { return };
        if p.flags.s_down {
            return;
        }
        let mut not_reconfigured = m
            .replicas
            .values()
            .filter(|r| !(r.flags.promoted || r.flags.reconf_done || r.flags.s_down))
            .count();
        let mut timeout = false;
        if now - m.failover_state_change_time > m.failover_timeout {
            not_reconfigured = 0;
            timeout = true;
            self.event_at(
                m,
                &Who::Master,
                Level::Warning,
                "+failover-end-for-timeout",
                "",
            );
        }
        if not_reconfigured == 0 {
            self.event_at(m, &Who::Master, Level::Warning, "+failover-end", "");
            m.failover_state = FailoverState::UpdateConfig;
            m.failover_state_change_time = now;
        }
        if timeout {
            let Some(target) = promoted_addr(m, self.settings.announce_hostnames) else {
                return;
            };
            let keys: Vec<String> = m.replicas.keys().cloned().collect();
            for k in keys {
                let Some(r) = m.replicas.get(&k) else {
                    continue;
                };
                let f = r.flags;
                if f.promoted || f.reconf_done || f.reconf_sent || !r.link.cmd_connected {
                    continue;
                }
                let who = Who::Replica(k.clone());
                if self.send_slaveof(m, &who, Some(target.clone())) {
                    self.event_at(m, &who, Level::Notice, "+slave-reconf-sent-be", "");
                    if let Some(r) = m.replicas.get_mut(&k) {
                        r.flags.reconf_sent = true;
                    }
                }
            }
        }
    }

    /// The promotion did not happen within failover-timeout: `-failover-abort-slave-timeout`.
    fn abort_if_slave_timeout(&mut self, m: &mut MasterRecord, now: i64) {
        if now - m.failover_state_change_time > m.failover_timeout {
            self.event_at(
                m,
                &Who::Master,
                Level::Warning,
                "-failover-abort-slave-timeout",
                "",
            );
            self.abort_failover(m, now);
        }
    }

    fn abort_failover(&mut self, m: &mut MasterRecord, now: i64) {
        m.inst.flags.failover_in_progress = false;
        m.inst.flags.force_failover = false;
        m.failover_state = FailoverState::None;
        m.failover_state_change_time = now;
        if let Some(k) = m.promoted_replica.take() {
            if let Some(r) = m.replicas.get_mut(&k) {
                r.flags.promoted = false;
            }
        }
    }

    /// The reconfiguration block Redis sends: MULTI, SLAVEOF host port (or NO ONE), CONFIG
    /// REWRITE, CLIENT KILL TYPE normal, CLIENT KILL TYPE pubsub, EXEC. False when the command
    /// link is down.
    pub(crate) fn send_slaveof(
        &mut self,
        m: &mut MasterRecord,
        who: &Who,
        target: Option<(String, u16)>,
    ) -> bool {
        let connected = super::core::inst_of(m, who).is_some_and(|i| i.link.cmd_connected);
        if !connected {
            return false;
        }
        let (host, port) = match &target {
            Some((h, p)) => (h.clone(), p.to_string()),
            None => ("NO".to_string(), "ONE".to_string()),
        };
        let tag = ReqTag::Failover {
            master: m.inst.name.clone(),
        };
        let block = [
            argv(&["MULTI"]),
            argv(&["SLAVEOF", &host, &port]),
            argv(&["CONFIG", "REWRITE"]),
            argv(&["CLIENT", "KILL", "TYPE", "normal"]),
            argv(&["CLIENT", "KILL", "TYPE", "pubsub"]),
            argv(&["EXEC"]),
        ];
        for a in block {
            self.send(m, who, LinkKind::Cmd, a, tag.clone());
        }
        // Not in Redis: ask INFO right behind the block so the new role is seen one round trip
        // later instead of at the next INFO period.
        self.send(m, who, LinkKind::Cmd, argv(&["INFO"]), ReqTag::Info);
        if let Some(i) = super::core::inst_of_mut(m, who) {
            i.info_sent_time = 0;
        }
        true
    }

    /// The failover is over: `+switch-master`, and the record now describes the promoted
    /// replica as master with the old master and the other replicas as its replicas.
    pub(crate) fn switch_to_promoted(&mut self, m: &mut MasterRecord, now: i64) {
        let hn = self.settings.announce_hostnames;
        let promoted = m.promoted_replica.as_ref().and_then(|k| m.replicas.get(k));
        let new = promoted.unwrap_or(&m.inst);
        let (nh, np) = (new.host.clone(), new.port);
        let text = format!(
            "{} {} {} {} {}",
            m.inst.name,
            m.inst.shown(hn),
            m.inst.port,
            new.shown(hn),
            np
        );
        self.event(Some(m), Level::Warning, "+switch-master", text);
        self.reset_master_and_change_address(m, &nh, np, now);
    }

    /// Redis's `sentinelResetMasterAndChangeAddress`: forget replicas and failover state, point
    /// the record at `host:port`, re-create the replicas (the old master included), persist.
    /// The master keeps its `InstId` (its links are closed and reopened to the new address);
    /// replicas get new ids. `host` may be a host name (a promoted replica's, or a hello's):
    /// the IP of the matching replica record is kept, else `host` is resolved.
    pub(crate) fn reset_master_and_change_address(
        &mut self,
        m: &mut MasterRecord,
        host: &str,
        port: u16,
        now: i64,
    ) {
        let is_new = |s: &Self, i: &Instance| {
            i.port == port && (i.host.eq_ignore_ascii_case(host) || s.same_host(i, host))
        };
        let new_ip = match m.replicas.values().find(|r| is_new(self, r)) {
            Some(r) if !r.ip.is_empty() => r.ip.clone(),
            _ => super::config::new_ip(self, host).unwrap_or_default(),
        };
        let mut addrs: Vec<(String, String, u16)> = m
            .replicas
            .values()
            .filter(|r| !is_new(self, r))
            .map(|r| (r.host.clone(), r.ip.clone(), r.port))
            .collect();
        if !is_new(self, &m.inst) {
            addrs.push((m.inst.host.clone(), m.inst.ip.clone(), m.inst.port));
        }
        let keys: Vec<String> = m.replicas.keys().cloned().collect();
        for k in keys {
            let who = Who::Replica(k);
            self.close_link(m, &who, LinkKind::Cmd);
            self.close_link(m, &who, LinkKind::PubSub);
        }
        m.replicas.clear();
        self.close_link(m, &Who::Master, LinkKind::Cmd);
        self.close_link(m, &Who::Master, LinkKind::PubSub);
        let i = &mut m.inst;
        i.host = host.to_string();
        i.ip = new_ip;
        i.port = port;
        i.flags = Default::default();
        i.link = LinkState {
            act_ping_time: now,
            last_pong_time: now,
            last_avail_time: now,
            ..Default::default()
        };
        i.runid = None;
        i.slave_master_host = None;
        i.role_reported = Role::Master;
        i.role_reported_time = now;
        i.info_refresh = 0;
        i.info_sent_time = 0;
        i.s_down_since = 0;
        i.o_down_since = 0;
        m.leader = None;
        m.failover_state = FailoverState::None;
        m.failover_state_change_time = 0;
        m.failover_start_time = 0;
        m.promoted_replica = None;
        for (h, ip, p) in addrs {
            self.insert_replica(m, &h, ip, p, now);
        }
        self.push(super::core::Action::SaveConfig);
    }
}

/// The promoted replica's address as shown (SLAVEOF targets), `hn` = announce-hostnames.
fn promoted_addr(m: &MasterRecord, hn: bool) -> Option<(String, u16)> {
    let k = m.promoted_replica.as_ref()?;
    m.replicas.get(k).map(|r| (r.shown(hn).to_string(), r.port))
}
