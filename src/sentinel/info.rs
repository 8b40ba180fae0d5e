//! Parsing the INFO reply of a monitored master or replica and applying it: run id, role changes,
//! replicas discovered from slaveN: lines, replica fields (master_host, master_link_status,
//! slave_priority, slave_repl_offset, replica_announced); then the reactions Redis has to what
//! INFO shows: promotion seen during our failover, an instance to convert back to a replica,
//! a replica to repoint, a replica's reconfiguration progress.
use super::core::{describe, inst_of, inst_of_mut, Action, Level, Sentinel, Who};
use super::state::{addr_key, FailoverState, Instance, MasterRecord, Role};

/// What an INFO reply says, field by field (None when the line is absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfoReport {
    pub run_id: Option<String>,
    pub role: Option<Role>,
    pub master_host: Option<String>,
    pub master_port: Option<u16>,
    pub master_link_up: Option<bool>,
    pub master_link_down_since_seconds: Option<i64>,
    pub slave_priority: Option<i64>,
    pub slave_repl_offset: Option<i64>,
    pub replica_announced: Option<bool>,
    /// `slaveN:` lines of a master: (ip, port).
    pub replicas: Vec<(String, u16)>,
}

fn num(v: &str) -> Option<i64> {
    v.trim().parse().ok()
}

/// Parse an INFO reply (any line order, CRLF or LF, unknown lines ignored).
pub fn parse_info(text: &str) -> InfoReport {
    let mut r = InfoReport::default();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k {
            "run_id" if v.len() == 40 => r.run_id = Some(v.to_string()),
            "role" => {
                r.role = match v {
                    "master" => Some(Role::Master),
                    "slave" => Some(Role::Replica),
                    _ => None,
                }
            }
            "master_host" => r.master_host = Some(v.to_string()),
            "master_port" => r.master_port = v.parse().ok(),
            "master_link_status" => r.master_link_up = Some(v == "up"),
            "master_link_down_since_seconds" => r.master_link_down_since_seconds = num(v),
            "slave_priority" | "replica_priority" => r.slave_priority = num(v),
            "slave_repl_offset" => r.slave_repl_offset = num(v),
            "replica_announced" => r.replica_announced = Some(v != "0"),
            _ if k.len() > 5
                && k.starts_with("slave")
                && k[5..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                if let Some(a) = parse_slave_line(v) {
                    r.replicas.push(a);
                }
            }
            _ => {}
        }
    }
    r
}

/// `ip=..,port=..,state=..,offset=..,lag=..` or the old `ip,port,state`.
fn parse_slave_line(v: &str) -> Option<(String, u16)> {
    if v.contains("ip=") {
        let mut ip = None;
        let mut port = None;
        for f in v.split(',') {
            if let Some(x) = f.strip_prefix("ip=") {
                ip = Some(x.to_string());
            } else if let Some(x) = f.strip_prefix("port=") {
                port = x.parse().ok();
            }
        }
        Some((ip?, port?))
    } else {
        let mut it = v.split(',');
        let ip = it.next()?.to_string();
        let port = it.next()?.parse().ok()?;
        Some((ip, port))
    }
}

/// Redis's `sentinelMasterLooksSane`: master, reporting master, not down, INFO fresh.
pub fn master_looks_sane(m: &MasterRecord, now: i64, info_period: i64) -> bool {
    m.inst.role_reported == Role::Master
        && !m.inst.flags.s_down
        && !m.inst.flags.o_down
        && now - m.inst.info_refresh < info_period * 2
}

/// Not subjectively or objectively down for the last `ms` milliseconds.
pub fn no_down_for(i: &Instance, ms: i64, now: i64) -> bool {
    let recent = i.s_down_since.max(i.o_down_since);
    recent == 0 || now - recent > ms
}

impl Sentinel {
    /// Apply one INFO reply of instance `who` (Redis's `sentinelRefreshInstanceInfo`).
    pub(crate) fn apply_info(&mut self, m: &mut MasterRecord, who: &Who, text: &str, now: i64) {
        let rep = parse_info(text);
        let m_reboot_period = m.reboot_down_after_ms;
        let Some(i) = inst_of_mut(m, who) else { return };
        if i.role == Role::Sentinel {
            return;
        }
        i.info = text.to_string();
        i.master_link_down_time = 0;
        let mut reboot = false;
        if let Some(id) = &rep.run_id {
            if i.runid.as_deref() != Some(id.as_str()) {
                reboot = i.runid.is_some();
                i.runid = Some(id.clone());
                if reboot && i.role == Role::Master && m_reboot_period != 0 {
                    i.flags.master_reboot = true;
                    i.master_reboot_since = now;
                }
            }
        }
        if let Some(s) = rep.master_link_down_since_seconds {
            i.master_link_down_time = s.saturating_mul(1000);
        }
        if rep.role == Some(Role::Replica) {
            if let Some(h) = &rep.master_host {
                if i.slave_master_host.as_deref() != Some(h.as_str()) {
                    i.slave_master_host = Some(h.clone());
                    i.slave_conf_change_time = now;
                }
            }
            if let Some(p) = rep.master_port {
                if i.slave_master_port != p {
                    i.slave_master_port = p;
                    i.slave_conf_change_time = now;
                }
            }
            if let Some(up) = rep.master_link_up {
                i.slave_master_link_status_up = up;
            }
            if let Some(p) = rep.slave_priority {
                i.slave_priority = p;
            }
            if let Some(o) = rep.slave_repl_offset {
                i.slave_repl_offset = o;
            }
            if let Some(a) = rep.replica_announced {
                i.replica_announced = a;
            }
        }
        i.info_refresh = now;
        let mut role_change = None;
        if let Some(r) = rep.role {
            if r != i.role_reported {
                i.role_reported = r;
                i.role_reported_time = now;
                if r == Role::Replica {
                    i.slave_conf_change_time = now;
                }
                role_change = Some((r == i.role, r));
            }
        }
        if reboot {
            self.event_at(m, who, Level::Notice, "+reboot", "");
        }
        if let Some((matches, r)) = role_change {
            let kind = if matches {
                "+role-change"
            } else {
                "-role-change"
            };
            let rest = format!(
                "new reported role is {}",
                if r == Role::Master { "master" } else { "slave" }
            );
            self.event_at(m, who, Level::Verbose, kind, &rest);
        }
        if *who == Who::Master {
            self.add_replicas(m, &rep.replicas, now);
        }
        if self.tilt {
            return;
        }
        let (Some(role), Who::Replica(key)) = (rep.role, who) else {
            return;
        };
        match role {
            Role::Master => self.replica_reports_master(m, key, now),
            Role::Replica => self.replica_reports_replica(m, key, now),
            Role::Sentinel => {}
        }
    }

    /// Replicas a master lists that we do not know yet: `+slave`, persisted.
    fn add_replicas(&mut self, m: &mut MasterRecord, found: &[(String, u16)], now: i64) {
        for (host, port) in found {
            // Known under that name, or (a host name, replica-announce-ip) at the same IP.
            let key = addr_key(host, *port);
            let known = m.replicas.contains_key(&key)
                || self
                    .resolve(host)
                    .is_some_and(|ip| m.replicas.values().any(|r| r.port == *port && r.ip == ip));
            if known {
                continue;
            }
            if self.add_replica(m, host, *port, now) {
                self.push(Action::SaveConfig);
            }
        }
    }

    /// Create a replica record under `m` at `host:port` and announce it with `+slave`. False
    /// (nothing created) for a host name without resolve-hostnames.
    pub(crate) fn add_replica(
        &mut self,
        m: &mut MasterRecord,
        host: &str,
        port: u16,
        now: i64,
    ) -> bool {
        match super::config::new_ip(self, host) {
            Ok(ip) => {
                self.insert_replica(m, host, ip, port, now);
                true
            }
            Err(_) => false,
        }
    }

    /// `add_replica` with the IP already known.
    pub(crate) fn insert_replica(
        &mut self,
        m: &mut MasterRecord,
        host: &str,
        ip: String,
        port: u16,
        now: i64,
    ) {
        let key = addr_key(host, port);
        let mut r = Instance::new(self.alloc_id(), Role::Replica, key.clone(), host, port, now);
        r.ip = ip;
        r.down_after_ms = m.inst.down_after_ms;
        m.replicas.insert(key.clone(), r);
        self.event_at(m, &Who::Replica(key), Level::Notice, "+slave", "");
    }

    /// A replica record whose INFO says `role:master`: the replica we promote finished, or an
    /// instance (typically the old master back) to turn into a replica of the current master.
    fn replica_reports_master(&mut self, m: &mut MasterRecord, key: &str, now: i64) {
        let who = Who::Replica(key.to_string());
        let Some(r) = m.replicas.get(key) else { return };
        if r.flags.promoted {
            if m.inst.flags.failover_in_progress && m.failover_state == FailoverState::WaitPromotion
            {
                self.promotion_done(m, key, now);
            }
            return;
        }
        let wait = self.timers.publish_period * 4;
        if master_looks_sane(m, now, self.timers.info_period)
            && no_down_for(r, wait, now)
            && now - r.role_reported_time > wait
        {
            let target = (self.shown(&m.inst).to_string(), m.inst.port);
            if self.send_slaveof(m, &who, Some(target)) {
                self.event_at(m, &who, Level::Notice, "+convert-to-slave", "");
            }
        }
    }

    /// The promoted replica answers as master: config epoch adopted, reconfigure the others.
    fn promotion_done(&mut self, m: &mut MasterRecord, key: &str, now: i64) {
        m.inst.config_epoch = m.failover_epoch;
        m.failover_state = FailoverState::ReconfSlaves;
        m.failover_state_change_time = now;
        self.push(Action::SaveConfig);
        let who = Who::Replica(key.to_string());
        self.event_at(m, &who, Level::Warning, "+promoted-slave", "");
        if self.simfailure_crash_after_promotion {
            self.push(Action::Crash);
        }
        self.event_at(
            m,
            &Who::Master,
            Level::Warning,
            "+failover-state-reconf-slaves",
            "",
        );
        if let Some(r) = m.replicas.get(key) {
            let from = (self.shown(&m.inst).to_string(), m.inst.port);
            let to = (self.shown(r).to_string(), r.port);
            self.client_reconfig_script(m, "leader", "start", &from, &to);
        }
        // Announce the new configuration now rather than at the next hello period.
        m.inst.last_pub_time = 0;
        for r in m.replicas.values_mut() {
            r.last_pub_time = 0;
        }
        for s in m.sentinels.values_mut() {
            s.last_pub_time = 0;
        }
    }

    /// A replica record whose INFO says `role:slave`: repoint it when it follows the wrong
    /// master, and track the progress of a reconfiguration we sent.
    fn replica_reports_replica(&mut self, m: &mut MasterRecord, key: &str, now: i64) {
        let who = Who::Replica(key.to_string());
        let Some(r) = m.replicas.get(key) else { return };
        let follows_master = r.slave_master_port == m.inst.port
            && r.slave_master_host
                .as_deref()
                .is_some_and(|h| self.same_host(&m.inst, h));
        if !follows_master {
            let wait = m.failover_timeout;
            if master_looks_sane(m, now, self.timers.info_period)
                && no_down_for(r, wait, now)
                && now - r.slave_conf_change_time > wait
            {
                let target = (self.shown(&m.inst).to_string(), m.inst.port);
                if self.send_slaveof(m, &who, Some(target)) {
                    self.event_at(m, &who, Level::Notice, "+fix-slave-config", "");
                }
            }
        }
        let Some(r) = m.replicas.get(key) else { return };
        if !(r.flags.reconf_sent || r.flags.reconf_inprog) {
            return;
        }
        let promoted = m.promoted_replica.as_ref().and_then(|k| m.replicas.get(k));
        let follows_promoted = promoted.is_some_and(|p| {
            r.slave_master_port == p.port
                && r.slave_master_host
                    .as_deref()
                    .is_some_and(|h| self.same_host(p, h))
        });
        if r.flags.reconf_sent && follows_promoted {
            if let Some(r) = m.replicas.get_mut(key) {
                r.flags.reconf_sent = false;
                r.flags.reconf_inprog = true;
            }
            self.event_at(m, &who, Level::Notice, "+slave-reconf-inprog", "");
        }
        let Some(r) = m.replicas.get_mut(key) else {
            return;
        };
        if r.flags.reconf_inprog && r.slave_master_link_status_up {
            r.flags.reconf_inprog = false;
            r.flags.reconf_done = true;
            self.event_at(m, &who, Level::Notice, "+slave-reconf-done", "");
        }
    }

    /// Run the client-reconfig-script: `<master> <role> <state> <from-ip> <from-port> <to-ip>
    /// <to-port>`.
    pub(crate) fn client_reconfig_script(
        &mut self,
        m: &MasterRecord,
        role: &str,
        state: &str,
        from: &(String, u16),
        to: &(String, u16),
    ) {
        if let Some(path) = m.client_reconfig_script.clone() {
            let argv = vec![
                path,
                m.inst.name.clone(),
                role.to_string(),
                state.to_string(),
                from.0.clone(),
                from.1.to_string(),
                to.0.clone(),
                to.1.to_string(),
            ];
            self.schedule_script(argv);
        }
    }
}

/// `%@` of an instance of `m` (for callers outside `Sentinel`).
pub fn describe_who(m: &MasterRecord, who: &Who, hostnames: bool) -> Option<String> {
    inst_of(m, who).map(|i| describe(m, i, hostnames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_master_and_replica_fields() {
        let t = "# Server\r\nrun_id:0123456789012345678901234567890123456789\r\n# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=10.0.0.2,port=6380,state=online,offset=14,lag=0\r\nslave1:10.0.0.3,6381,online\r\nmaster_repl_offset:14\r\n";
        let r = parse_info(t);
        assert_eq!(r.role, Some(Role::Master));
        assert_eq!(r.run_id.as_deref().map(str::len), Some(40));
        assert_eq!(
            r.replicas,
            vec![("10.0.0.2".into(), 6380), ("10.0.0.3".into(), 6381)]
        );
        let t = "role:slave\nmaster_host:10.0.0.1\nmaster_port:6379\nmaster_link_status:down\nmaster_link_down_since_seconds:-1\nslave_repl_offset:99\nslave_priority:0\nreplica_announced:1\n";
        let r = parse_info(t);
        assert_eq!(r.role, Some(Role::Replica));
        assert_eq!(r.master_host.as_deref(), Some("10.0.0.1"));
        assert_eq!(r.master_port, Some(6379));
        assert_eq!(r.master_link_up, Some(false));
        assert_eq!(r.master_link_down_since_seconds, Some(-1));
        assert_eq!(r.slave_repl_offset, Some(99));
        assert_eq!(r.slave_priority, Some(0));
        assert_eq!(r.replica_announced, Some(true));
        assert!(r.replicas.is_empty());
        // Garbage never panics.
        let _ = parse_info("slave:\nslave0:ip=,port=x\nrole\n:::\n\u{0}");
    }
}
