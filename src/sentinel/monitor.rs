//! Periodic monitoring of every instance: PING every second, INFO every 10 s (every second during
//! a failover or when the master is down), hello every 2 s; reply handling; subjective down after
//! down-after-milliseconds without a valid reply, objective down when quorum sentinels agree; TILT
//! mode on clock jumps. Redis's `sentinelHandleRedisInstance` and its helpers, one tick at a time.
use super::core::{
    argv, inst_of, inst_of_mut, Action, Level, LinkKind, ReqTag, Rng, Sentinel, Who, HELLO_CHANNEL,
};
use super::state::{FailoverState, MasterRecord, Role};
use crate::resp::frame::Frame;

/// No more periodic commands on a link with this many unanswered.
pub const MAX_PENDING_COMMANDS: u32 = 100;
/// INFO period when the master is down or failing over.
pub const FAST_INFO_PERIOD_MS: i64 = 1000;

impl Sentinel {
    /// One timer run (Redis's `sentinelTimer`): TILT check, then every master with its
    /// replicas and sentinels; masters whose failover reached UpdateConfig switch at the end.
    pub(crate) fn tick(&mut self, now: i64, rng: &mut dyn Rng) {
        self.check_tilt(now);
        let names: Vec<String> = self.masters.keys().cloned().collect();
        let mut switch = Vec::new();
        for name in names {
            self.with_master(&name, |s, m| {
                s.handle_instance(m, &Who::Master, now, rng);
                let replicas: Vec<String> = m.replicas.keys().cloned().collect();
                for k in replicas {
                    s.handle_instance(m, &Who::Replica(k), now, rng);
                }
                let sentinels: Vec<String> = m.sentinels.keys().cloned().collect();
                for k in sentinels {
                    s.handle_instance(m, &Who::Sentinel(k), now, rng);
                }
                if m.failover_state == FailoverState::UpdateConfig {
                    switch.push(name.clone());
                }
            });
        }
        for name in switch {
            self.with_master(&name, |s, m| s.switch_to_promoted(m, now));
        }
    }

    fn check_tilt(&mut self, now: i64) {
        let delta = now - self.previous_tick;
        if self.previous_tick != 0 && !(0..=self.timers.tilt_trigger).contains(&delta) {
            self.tilt = true;
            self.tilt_start_time = now;
            self.event(None, Level::Warning, "+tilt", "#tilt mode entered".into());
        }
        self.previous_tick = now;
    }

    fn handle_instance(&mut self, m: &mut MasterRecord, who: &Who, now: i64, rng: &mut dyn Rng) {
        if inst_of(m, who).is_none() {
            return;
        }
        self.reconnect(m, who, now);
        self.send_periodic(m, who, now);
        if self.tilt {
            if now - self.tilt_start_time < self.timers.tilt_period {
                return;
            }
            self.tilt = false;
            self.event(None, Level::Warning, "-tilt", "#tilt mode exited".into());
        }
        self.check_sdown(m, who, now);
        if *who == Who::Master {
            self.check_odown(m, now);
            if self.start_failover_if_needed(m, now, rng) {
                self.ask_master_state(m, now, true);
            }
            self.failover_state_machine(m, now, rng);
            self.ask_master_state(m, now, false);
        }
    }

    /// Open whichever link is missing, at most once per ping period per instance.
    fn reconnect(&mut self, m: &mut MasterRecord, who: &Who, now: i64) {
        // With resolve-hostnames, a host name is resolved again before each command-link
        // attempt (Redis 7.0 does so: the instance may have moved, or not resolved earlier).
        let Some(i) = inst_of(m, who) else { return };
        let need_pc = i.role != Role::Sentinel;
        if (i.link.cmd_link && (!need_pc || i.link.pc_link)) || i.port == 0 {
            return;
        }
        if now - i.link.last_reconn_time < self.timers.ping_period {
            return;
        }
        let fresh_ip = (self.settings.resolve_hostnames && !i.link.cmd_link)
            .then(|| self.resolve(&i.host))
            .flatten();
        let Some(i) = inst_of_mut(m, who) else { return };
        i.link.last_reconn_time = now;
        if let Some(ip) = fresh_ip {
            i.ip = ip;
        }
        if i.ip.is_empty() {
            // The name does not resolve: no address to connect to, try again next period.
            return;
        }
        let (id, host, port) = (i.id, i.ip.clone(), i.port);
        let mut acts = Vec::new();
        if !i.link.cmd_link {
            i.link.cmd_link = true;
            i.link.cmd_connected = false;
            i.link.cc_conn_time = now;
            i.link.pending_commands = 0;
            // No PING is pending until the link is up: while it is not, S_DOWN counts from
            // the last valid reply (a refused connection does not restart the clock).
            acts.push(LinkKind::Cmd);
        }
        if need_pc && !i.link.pc_link {
            i.link.pc_link = true;
            i.link.pubsub_connected = false;
            i.link.pc_conn_time = now;
            i.link.pc_last_activity = now;
            acts.push(LinkKind::PubSub);
        }
        for link in acts {
            self.push(Action::Connect {
                inst: id,
                link,
                host: host.clone(),
                port,
            });
        }
    }

    /// A link came up: authenticate, name it, then PING (command link) or SUBSCRIBE (pub/sub).
    pub(crate) fn link_up(
        &mut self,
        m: &mut MasterRecord,
        who: &Who,
        link: LinkKind,
        local_ip: String,
        now: i64,
    ) {
        let auth = match who {
            Who::Sentinel(_) => (
                self.settings.sentinel_user.clone(),
                self.settings.sentinel_pass.clone(),
            ),
            _ => (m.auth_user.clone(), m.auth_pass.clone()),
        };
        let Some(i) = inst_of_mut(m, who) else { return };
        let kind = match link {
            LinkKind::Cmd => {
                i.link.cmd_link = true;
                i.link.cmd_connected = true;
                i.link.local_ip = Some(local_ip);
                i.link.pending_commands = 0;
                "cmd"
            }
            LinkKind::PubSub => {
                i.link.pc_link = true;
                i.link.pubsub_connected = true;
                i.link.pc_last_activity = now;
                "pubsub"
            }
        };
        if let (user, Some(pass)) = auth {
            let a = match user {
                Some(u) => argv(&["AUTH", &u, &pass]),
                None => argv(&["AUTH", &pass]),
            };
            self.send(m, who, link, a, ReqTag::Setup);
        }
        let name = format!(
            "sentinel-{}-{kind}",
            self.myid.get(..8).unwrap_or(&self.myid)
        );
        self.send(
            m,
            who,
            link,
            argv(&["CLIENT", "SETNAME", &name]),
            ReqTag::Setup,
        );
        match link {
            LinkKind::Cmd => self.send_ping(m, who, now),
            LinkKind::PubSub => self.send(
                m,
                who,
                link,
                argv(&["SUBSCRIBE", HELLO_CHANNEL]),
                ReqTag::Setup,
            ),
        }
    }

    pub(crate) fn link_down(&mut self, m: &mut MasterRecord, who: &Who, link: LinkKind) {
        let Some(i) = inst_of_mut(m, who) else { return };
        match link {
            LinkKind::Cmd => {
                i.link.cmd_link = false;
                i.link.cmd_connected = false;
                i.link.pending_commands = 0;
            }
            LinkKind::PubSub => {
                i.link.pc_link = false;
                i.link.pubsub_connected = false;
            }
        }
    }

    /// Close a link ourselves (no LinkDown follows) and forget it.
    pub(crate) fn close_link(&mut self, m: &mut MasterRecord, who: &Who, link: LinkKind) {
        let Some(i) = inst_of(m, who) else { return };
        let (id, open) = match link {
            LinkKind::Cmd => (i.id, i.link.cmd_link),
            LinkKind::PubSub => (i.id, i.link.pc_link),
        };
        if open {
            self.push(Action::Disconnect { inst: id, link });
        }
        self.link_down(m, who, link);
    }

    /// Queue one command on a link, counting it as pending on the command link. The command
    /// name goes out as the master's `rename-command` says: for the master, its replicas and
    /// (as Redis does) the sentinels recorded under it. Every command sent goes through here.
    pub(crate) fn send(
        &mut self,
        m: &mut MasterRecord,
        who: &Who,
        link: LinkKind,
        mut argv: Vec<Vec<u8>>,
        tag: ReqTag,
    ) {
        if let Some(name) = argv.first_mut() {
            let mapped = m.map_command(name);
            if mapped != name.as_slice() {
                *name = mapped.to_vec();
            }
        }
        let Some(i) = inst_of_mut(m, who) else { return };
        if link == LinkKind::Cmd {
            i.link.pending_commands += 1;
        }
        let id = i.id;
        self.push(Action::Send {
            inst: id,
            link,
            argv,
            tag,
        });
    }

    fn send_ping(&mut self, m: &mut MasterRecord, who: &Who, now: i64) {
        self.send(m, who, LinkKind::Cmd, argv(&["PING"]), ReqTag::Ping);
        if let Some(i) = inst_of_mut(m, who) {
            i.link.last_ping_time = now;
            if i.link.act_ping_time == 0 {
                i.link.act_ping_time = now;
            }
        }
    }

    /// Redis's `sentinelSendPeriodicCommands`: INFO when due, else PING when due, else a hello.
    fn send_periodic(&mut self, m: &mut MasterRecord, who: &Who, now: i64) {
        let master_busy =
            m.inst.flags.s_down || m.inst.flags.o_down || m.inst.flags.failover_in_progress;
        let down_after = m.inst.down_after_ms;
        let Some(i) = inst_of(m, who) else { return };
        if !i.link.cmd_connected || i.link.pending_commands >= MAX_PENDING_COMMANDS {
            return;
        }
        let fast = FAST_INFO_PERIOD_MS.min(self.timers.info_period);
        let info_period = if master_busy || (i.role == Role::Replica && i.master_link_down_time > 0)
        {
            fast
        } else {
            self.timers.info_period
        };
        let ping_period = down_after.clamp(1, self.timers.ping_period.max(1));
        let info_due = i.role != Role::Sentinel
            && (i.info_refresh == 0 || now - i.info_refresh > info_period)
            && now - i.info_sent_time >= fast;
        if info_due {
            self.send(m, who, LinkKind::Cmd, argv(&["INFO"]), ReqTag::Info);
            if let Some(i) = inst_of_mut(m, who) {
                i.info_sent_time = now;
            }
        } else if now - i.link.last_pong_time > ping_period
            && now - i.link.last_ping_time > ping_period / 2
        {
            self.send_ping(m, who, now);
        } else if now - i.last_pub_time > self.timers.publish_period {
            self.send_hello(m, who, now);
        }
    }

    /// Subjective down (and dropping stale links), Redis's `sentinelCheckSubjectivelyDown`.
    fn check_sdown(&mut self, m: &mut MasterRecord, who: &Who, now: i64) {
        let down_after = m.inst.down_after_ms;
        let Some(i) = inst_of(m, who) else { return };
        let l = &i.link;
        let elapsed = if l.act_ping_time != 0 {
            now - l.act_ping_time
        } else if !l.cmd_connected {
            now - l.last_avail_time
        } else {
            0
        };
        // A connecting link waits since its creation, a connected one since its oldest PING.
        let waiting_since = if l.act_ping_time != 0 {
            l.act_ping_time
        } else if !l.cmd_connected {
            l.cc_conn_time
        } else {
            0
        };
        if l.cmd_link
            && now - l.cc_conn_time > self.timers.min_link_reconnect_period
            && waiting_since != 0
            && now - waiting_since > down_after / 2
            && now - l.last_pong_time > down_after / 2
        {
            self.close_link(m, who, LinkKind::Cmd);
        }
        let Some(i) = inst_of(m, who) else { return };
        let l = &i.link;
        if l.pc_link
            && now - l.pc_conn_time > self.timers.min_link_reconnect_period
            && now - l.pc_last_activity > self.timers.publish_period * 3
        {
            self.close_link(m, who, LinkKind::PubSub);
        }
        let Some(i) = inst_of(m, who) else { return };
        let master_says_replica = i.role == Role::Master
            && i.role_reported == Role::Replica
            && now.saturating_sub(i.role_reported_time)
                > down_after.saturating_add(self.timers.info_period.saturating_mul(2));
        // A master seen restarting that has not answered +PONG for the reboot period.
        let reboot_down = i.flags.master_reboot
            && now.saturating_sub(i.master_reboot_since) > m.reboot_down_after_ms;
        let down = elapsed > down_after || master_says_replica || reboot_down;
        let was = i.flags.s_down;
        if down && !was {
            self.event_at(m, who, Level::Warning, "+sdown", "");
            if let Some(i) = inst_of_mut(m, who) {
                i.s_down_since = now;
                i.flags.s_down = true;
            }
        } else if !down && was {
            self.event_at(m, who, Level::Warning, "-sdown", "");
            if let Some(i) = inst_of_mut(m, who) {
                i.flags.s_down = false;
                i.flags.script_kill_sent = false;
            }
        }
    }

    /// Objective down: we and enough other sentinels (their last IS-MASTER-DOWN-BY-ADDR reply)
    /// see the master down.
    fn check_odown(&mut self, m: &mut MasterRecord, now: i64) {
        let mut votes = 0u32;
        if m.inst.flags.s_down {
            votes = 1 + m.sentinels.values().filter(|s| s.flags.master_down).count() as u32;
        }
        let odown = m.inst.flags.s_down && votes >= m.quorum;
        if odown && !m.inst.flags.o_down {
            let rest = format!("#quorum {votes}/{}", m.quorum);
            self.event_at(m, &Who::Master, Level::Warning, "+odown", &rest);
            m.inst.flags.o_down = true;
            m.inst.o_down_since = now;
        } else if !odown && m.inst.flags.o_down {
            self.event_at(m, &Who::Master, Level::Warning, "-odown", "");
            m.inst.flags.o_down = false;
        }
    }

    /// A reply on one of `who`'s links, routed by what the command was for.
    pub(crate) fn on_reply(
        &mut self,
        m: &mut MasterRecord,
        who: &Who,
        link: LinkKind,
        tag: ReqTag,
        reply: &Frame,
        now: i64,
    ) {
        let Some(i) = inst_of_mut(m, who) else { return };
        match link {
            LinkKind::Cmd => i.link.pending_commands = i.link.pending_commands.saturating_sub(1),
            LinkKind::PubSub => i.link.pc_last_activity = now,
        }
        match tag {
            ReqTag::Ping => self.ping_reply(m, who, reply, now),
            ReqTag::Info => {
                if let (Frame::Bulk(Some(b)), Some(i)) = (reply, inst_of_mut(m, who)) {
                    let text = String::from_utf8_lossy(b).into_owned();
                    i.info_sent_time = 0;
                    self.apply_info(m, who, &text, now);
                }
            }
            ReqTag::Hello if !reply.is_error() => {
                if let Some(i) = inst_of_mut(m, who) {
                    i.last_pub_time = now;
                }
            }
            ReqTag::IsMasterDown { .. } => self.is_master_down_reply(m, who, reply, now),
            _ => {}
        }
    }

    fn ping_reply(&mut self, m: &mut MasterRecord, who: &Who, reply: &Frame, now: i64) {
        let s_down = inst_of(m, who).is_some_and(|i| i.flags.s_down);
        let Some(i) = inst_of_mut(m, who) else { return };
        let text = match reply {
            Frame::Simple(b) | Frame::Error(b) => b.as_slice(),
            _ => b"",
        };
        if text.starts_with(b"PONG")
            || text.starts_with(b"LOADING")
            || text.starts_with(b"MASTERDOWN")
        {
            i.link.last_avail_time = now;
            i.link.act_ping_time = 0;
            // Only a real +PONG ends a reboot: -LOADING means the restart is still going on.
            if text.starts_with(b"PONG") {
                i.flags.master_reboot = false;
            }
        } else if text.starts_with(b"BUSY") && s_down && !i.flags.script_kill_sent {
            i.flags.script_kill_sent = true;
            self.send(
                m,
                who,
                LinkKind::Cmd,
                argv(&["SCRIPT", "KILL"]),
                ReqTag::ScriptKill,
            );
        }
        if let Some(i) = inst_of_mut(m, who) {
            i.link.last_pong_time = now;
        }
    }
}
