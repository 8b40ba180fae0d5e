//! The sentinel's data model: what it knows about every monitored master, its replicas and the
//! other sentinels watching it. Plain data, no sockets and no clock: the decision code
//! (`monitor`, `election`, `failover`) changes it when fed events and `now`; the client API
//! (`api`) reads it to answer SENTINEL MASTERS / REPLICAS / SENTINELS; `config` loads it from and
//! writes it to sentinel.conf. Field names follow Redis's so SENTINEL replies map one to one.
use std::collections::BTreeMap;

/// Identifies one instance record for the life of the process; the driver keys its links by it.
/// Never reused: a removed and re-added instance gets a new id.
pub type InstId = u64;

/// Timer defaults, as Redis 7.0 (milliseconds unless said otherwise).
pub const DEFAULT_DOWN_AFTER_MS: i64 = 30_000;
pub const DEFAULT_FAILOVER_TIMEOUT_MS: i64 = 180_000;
pub const DEFAULT_PARALLEL_SYNCS: u32 = 1;
pub const PING_PERIOD_MS: i64 = 1000;
pub const INFO_PERIOD_MS: i64 = 10_000;
pub const HELLO_PERIOD_MS: i64 = 2000;
pub const ASK_PERIOD_MS: i64 = 1000;
pub const DEFAULT_PORT: u16 = 26379;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Master,
    Replica,
    Sentinel,
}

/// Redis's SRI_* flags that SENTINEL replies print in the `flags` field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub s_down: bool,
    pub o_down: bool,
    /// A sentinel record: that sentinel said the master is down (`master_down`).
    pub master_down: bool,
    pub failover_in_progress: bool,
    pub promoted: bool,
    pub reconf_sent: bool,
    pub reconf_inprog: bool,
    pub reconf_done: bool,
    pub force_failover: bool,
    pub script_kill_sent: bool,
    /// A master seen restarting (new run id in INFO) while `master-reboot-down-after-period` is
    /// set, and not yet answering PING with `+PONG` (Redis's SRI_MASTER_REBOOT; not printed in
    /// the flags string, as in Redis 7.0).
    pub master_reboot: bool,
}

/// Connection bookkeeping of one instance's links (the sockets live in the driver).
#[derive(Debug, Clone, Default)]
pub struct LinkState {
    /// The command link is up (PING/INFO/commands are sent on it).
    pub cmd_connected: bool,
    /// The pub/sub link is up (subscribed to `__sentinel__:hello`); never used for sentinels.
    pub pubsub_connected: bool,
    pub cc_conn_time: i64,
    pub pc_conn_time: i64,
    pub pc_last_activity: i64,
    /// Last time the instance answered a PING validly (ms), or link creation.
    pub last_avail_time: i64,
    /// Time the oldest PING still unanswered was sent, 0 when none is pending.
    pub act_ping_time: i64,
    pub last_ping_time: i64,
    pub last_pong_time: i64,
    pub last_reconn_time: i64,
    /// Commands sent on the command link and not answered yet.
    pub pending_commands: u32,
    /// A command link exists (a `Connect` was issued and no `LinkDown` came since): connecting
    /// or connected. Reconnection is attempted only when this is false.
    pub cmd_link: bool,
    /// Same for the pub/sub link.
    pub pc_link: bool,
    /// Our local address on the command link (from `LinkUp`), announced in hellos when no
    /// announce-ip is set.
    pub local_ip: Option<String>,
}

impl LinkState {
    /// Redis's `disconnected` flag: either needed link is missing.
    pub fn disconnected(&self, role: Role) -> bool {
        !self.cmd_connected || (role != Role::Sentinel && !self.pubsub_connected)
    }
}

/// One monitored instance: a master, one of its replicas, or another sentinel.
#[derive(Debug, Clone)]
pub struct Instance {
    pub id: InstId,
    pub role: Role,
    /// Master: its configured name. Replica: `ip:port`. Sentinel: its run id (as Redis names
    /// sentinel instances; `sentinels` is keyed by run id too).
    pub name: String,
    /// The host as configured or learned: an IP address, or a host name when
    /// resolve-hostnames is on (Redis's `addr->hostname`).
    pub host: String,
    /// The IP `host` resolved to when the record was created (or at the last reconnect):
    /// what links connect to. Equal to `host` for an IP; empty while a name does not resolve.
    pub ip: String,
    pub port: u16,
    /// Run id reported by INFO (`run_id`) or the hello message; None until known.
    pub runid: Option<String>,
    pub flags: Flags,
    pub link: LinkState,
    /// Master: the epoch of its current configuration. Sentinel: what it last announced.
    pub config_epoch: u64,
    pub down_after_ms: i64,
    pub s_down_since: i64,
    pub o_down_since: i64,
    /// When the `master_reboot` flag was set.
    pub master_reboot_since: i64,
    /// Last hello published to / received from it.
    pub last_pub_time: i64,
    pub last_hello_time: i64,
    /// Sentinel record: last reply to IS-MASTER-DOWN-BY-ADDR.
    pub last_master_down_reply_time: i64,
    /// Last INFO reply (ms, 0 never) and its raw text (SENTINEL INFO-CACHE).
    pub info_refresh: i64,
    pub info: String,
    /// When the INFO still unanswered was sent (0 none): INFO is not resent within a second.
    pub info_sent_time: i64,
    /// Role from INFO and when it changed.
    pub role_reported: Role,
    pub role_reported_time: i64,
    pub slave_conf_change_time: i64,
    // -- replica fields (from the replica's INFO) --
    pub master_link_down_time: i64,
    pub slave_priority: i64,
    pub replica_announced: bool,
    pub slave_reconf_sent_time: i64,
    pub slave_master_host: Option<String>,
    pub slave_master_port: u16,
    pub slave_master_link_status_up: bool,
    pub slave_repl_offset: i64,
    // -- sentinel fields --
    /// The leader this sentinel voted for (runid) and in which epoch.
    pub leader: Option<String>,
    pub leader_epoch: u64,
}

impl Instance {
    pub fn new(id: InstId, role: Role, name: String, host: &str, port: u16, now: i64) -> Self {
        Instance {
            id,
            role,
            name,
            host: host.to_string(),
            ip: host.to_string(),
            port,
            runid: None,
            flags: Flags::default(),
            link: LinkState {
                last_avail_time: now,
                last_pong_time: now,
                ..Default::default()
            },
            config_epoch: 0,
            down_after_ms: DEFAULT_DOWN_AFTER_MS,
            s_down_since: 0,
            o_down_since: 0,
            master_reboot_since: 0,
            last_pub_time: 0,
            last_hello_time: 0,
            last_master_down_reply_time: 0,
            info_refresh: 0,
            info: String::new(),
            info_sent_time: 0,
            role_reported: role,
            role_reported_time: now,
            slave_conf_change_time: now,
            master_link_down_time: 0,
            slave_priority: 100,
            replica_announced: true,
            slave_reconf_sent_time: 0,
            slave_master_host: None,
            slave_master_port: 0,
            slave_master_link_status_up: false,
            slave_repl_offset: 0,
            leader: None,
            leader_epoch: 0,
        }
    }

    /// `host:port` (IPv6 in brackets), the key replicas are stored under.
    pub fn addr_key(&self) -> String {
        addr_key(&self.host, self.port)
    }

    /// The address shown to the outside (SENTINEL replies, events, hellos, the rewritten
    /// config, SLAVEOF targets): the host name with announce-hostnames, else the IP (the host
    /// when it did not resolve), as Redis's `announceSentinelAddr`.
    pub fn shown(&self, hostnames: bool) -> &str {
        if hostnames || self.ip.is_empty() {
            &self.host
        } else {
            &self.ip
        }
    }
}

pub fn addr_key(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Failover progress of one master (Redis's SENTINEL_FAILOVER_STATE_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailoverState {
    #[default]
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoone,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

impl FailoverState {
    /// The name Redis prints (`failover_state` in SENTINEL MASTER, `+failover-state-*` events).
    pub fn name(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectSlave => "select_slave",
            FailoverState::SendSlaveofNoone => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfSlaves => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

/// Everything about one monitored master.
#[derive(Debug, Clone)]
pub struct MasterRecord {
    pub inst: Instance,
    pub quorum: u32,
    pub parallel_syncs: u32,
    pub failover_timeout: i64,
    pub auth_pass: Option<String>,
    pub auth_user: Option<String>,
    pub notification_script: Option<String>,
    pub client_reconfig_script: Option<String>,
    /// `master-reboot-down-after-period` (ms, 0 = off): a master that restarted (new run id)
    /// is S_DOWN once it has not answered `+PONG` for this long since the restart was seen.
    pub reboot_down_after_ms: i64,
    /// `rename-command` pairs (original, renamed), in the order given; the original is matched
    /// case-insensitively. Applied to every command sent for this master (`map_command`).
    pub renamed_commands: Vec<(String, String)>,
    /// Replicas by `ip:port`.
    pub replicas: BTreeMap<String, Instance>,
    /// Other sentinels by run id.
    pub sentinels: BTreeMap<String, Instance>,
    /// The leader this sentinel voted for in `leader_epoch` (runid; our own id when we are it).
    pub leader: Option<String>,
    pub leader_epoch: u64,
    pub failover_epoch: u64,
    pub failover_state: FailoverState,
    pub failover_state_change_time: i64,
    pub failover_start_time: i64,
    pub failover_delay_logged: i64,
    /// `ip:port` of the replica being promoted.
    pub promoted_replica: Option<String>,
    /// The failover epoch for which we already asked the other sentinels for their vote (the
    /// forced ask once the randomized start delay of WaitStart is over).
    pub votes_asked_epoch: u64,
}

impl MasterRecord {
    pub fn new(id: InstId, name: &str, host: &str, port: u16, quorum: u32, now: i64) -> Self {
        MasterRecord {
            inst: Instance::new(id, Role::Master, name.to_string(), host, port, now),
            quorum,
            parallel_syncs: DEFAULT_PARALLEL_SYNCS,
            failover_timeout: DEFAULT_FAILOVER_TIMEOUT_MS,
            auth_pass: None,
            auth_user: None,
            notification_script: None,
            client_reconfig_script: None,
            reboot_down_after_ms: 0,
            renamed_commands: Vec::new(),
            replicas: BTreeMap::new(),
            sentinels: BTreeMap::new(),
            leader: None,
            leader_epoch: 0,
            failover_epoch: 0,
            failover_state: FailoverState::None,
            failover_state_change_time: 0,
            failover_start_time: 0,
            failover_delay_logged: 0,
            promoted_replica: None,
            votes_asked_epoch: 0,
        }
    }

    /// The name to send `command` under to this master's instances: its rename, if any.
    pub fn map_command<'a>(&'a self, command: &'a [u8]) -> &'a [u8] {
        self.renamed_commands
            .iter()
            .find(|(old, _)| old.as_bytes().eq_ignore_ascii_case(command))
            .map_or(command, |(_, new)| new.as_bytes())
    }

    /// SENTINEL SET `rename-command old new`: any rename of `old` is dropped, and `old -> new`
    /// added unless `new` is `old` itself (case-insensitively), as Redis does.
    pub fn set_rename(&mut self, old: &str, new: &str) {
        self.renamed_commands
            .retain(|(o, _)| !o.eq_ignore_ascii_case(old));
        if !old.eq_ignore_ascii_case(new) {
            self.renamed_commands
                .push((old.to_string(), new.to_string()));
        }
    }

    /// The key of the replica clients should use now instead of the master: the promoted
    /// replica once it answered as master during our failover.
    fn current_replica(&self) -> Option<&String> {
        let promoted = self.inst.flags.failover_in_progress
            && matches!(
                self.failover_state,
                FailoverState::ReconfSlaves | FailoverState::UpdateConfig
            );
        self.promoted_replica
            .as_ref()
            .filter(|k| promoted && self.replicas.contains_key(*k))
    }

    /// The instance clients should use now: the promoted replica (see `current_replica`), else
    /// the master.
    pub fn current_inst(&self) -> &Instance {
        self.current_replica()
            .and_then(|k| self.replicas.get(k))
            .unwrap_or(&self.inst)
    }

    /// The address clients should use now (SENTINEL GET-MASTER-ADDR-BY-NAME, hellos, the
    /// `sentinel monitor` line), shown as `Instance::shown` (`hostnames`: announce-hostnames).
    pub fn announced_addr(&self, hostnames: bool) -> (String, u16) {
        let i = self.current_inst();
        (i.shown(hostnames).to_string(), i.port)
    }

    /// `announced_addr` with announce-hostnames off: the IP clients should use now.
    pub fn current_addr(&self) -> (String, u16) {
        self.announced_addr(false)
    }

    /// The replica addresses to persist (`known-replica` lines), as Redis writes them: when a
    /// failover already promoted a replica (`announced_addr` is its address), that replica is
    /// written as the old master's address instead, so a restarted sentinel resumes with the
    /// promoted replica as master and the old master as a replica.
    pub fn persisted_replicas(&self, hostnames: bool) -> Vec<(String, u16)> {
        let current = self.current_replica();
        self.replicas
            .iter()
            .map(|(k, r)| {
                let i = if Some(k) == current { &self.inst } else { r };
                (i.shown(hostnames).to_string(), i.port)
            })
            .collect()
    }
}

/// Settings of this sentinel itself (not per master).
#[derive(Debug, Clone, Default)]
pub struct SentinelSettings {
    pub announce_ip: Option<String>,
    pub announce_port: u16,
    pub resolve_hostnames: bool,
    pub announce_hostnames: bool,
    pub sentinel_user: Option<String>,
    pub sentinel_pass: Option<String>,
    pub deny_scripts_reconfig: bool,
}

/// The sentinel's timer periods (ms), Redis 7.0 defaults; SENTINEL DEBUG lists and changes them
/// (tests and benchmarks shorten them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    pub info_period: i64,
    pub ping_period: i64,
    pub ask_period: i64,
    pub publish_period: i64,
    pub default_down_after: i64,
    pub default_failover_timeout: i64,
    pub tilt_trigger: i64,
    pub tilt_period: i64,
    pub slave_reconf_timeout: i64,
    pub min_link_reconnect_period: i64,
    pub election_timeout: i64,
    pub script_max_runtime: i64,
    pub script_retry_delay: i64,
    /// Upper bound of the random delay before a failover asks for votes (and pushed onto our
    /// own next attempt when we vote for another sentinel): Redis's SENTINEL_MAX_DESYNC. Not a
    /// SENTINEL DEBUG parameter.
    pub max_desync: i64,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            info_period: INFO_PERIOD_MS,
            ping_period: PING_PERIOD_MS,
            ask_period: ASK_PERIOD_MS,
            publish_period: HELLO_PERIOD_MS,
            default_down_after: DEFAULT_DOWN_AFTER_MS,
            default_failover_timeout: DEFAULT_FAILOVER_TIMEOUT_MS,
            tilt_trigger: 2000,
            tilt_period: PING_PERIOD_MS * 30,
            slave_reconf_timeout: 10_000,
            min_link_reconnect_period: 15_000,
            election_timeout: 10_000,
            script_max_runtime: 60_000,
            script_retry_delay: 30_000,
            max_desync: 1000,
        }
    }
}

impl Timers {
    /// `(NAME, value)` in the order SENTINEL DEBUG prints them.
    pub fn list(&self) -> [(&'static str, i64); 13] {
        [
            ("INFO-PERIOD", self.info_period),
            ("PING-PERIOD", self.ping_period),
            ("ASK-PERIOD", self.ask_period),
            ("PUBLISH-PERIOD", self.publish_period),
            ("DEFAULT-DOWN-AFTER", self.default_down_after),
            ("DEFAULT-FAILOVER-TIMEOUT", self.default_failover_timeout),
            ("TILT-TRIGGER", self.tilt_trigger),
            ("TILT-PERIOD", self.tilt_period),
            ("SLAVE-RECONF-TIMEOUT", self.slave_reconf_timeout),
            ("MIN-LINK-RECONNECT-PERIOD", self.min_link_reconnect_period),
            ("ELECTION-TIMEOUT", self.election_timeout),
            ("SCRIPT-MAX-RUNTIME", self.script_max_runtime),
            ("SCRIPT-RETRY-DELAY", self.script_retry_delay),
        ]
    }

    /// Set one by its SENTINEL DEBUG name (case-insensitive); false for an unknown name.
    pub fn set(&mut self, name: &str, ms: i64) -> bool {
        let slot = match name.to_ascii_uppercase().as_str() {
            "INFO-PERIOD" => &mut self.info_period,
            "PING-PERIOD" => &mut self.ping_period,
            "ASK-PERIOD" => &mut self.ask_period,
            "PUBLISH-PERIOD" => &mut self.publish_period,
            "DEFAULT-DOWN-AFTER" => &mut self.default_down_after,
            "DEFAULT-FAILOVER-TIMEOUT" => &mut self.default_failover_timeout,
            "TILT-TRIGGER" => &mut self.tilt_trigger,
            "TILT-PERIOD" => &mut self.tilt_period,
            "SLAVE-RECONF-TIMEOUT" => &mut self.slave_reconf_timeout,
            "MIN-LINK-RECONNECT-PERIOD" => &mut self.min_link_reconnect_period,
            "ELECTION-TIMEOUT" => &mut self.election_timeout,
            "SCRIPT-MAX-RUNTIME" => &mut self.script_max_runtime,
            "SCRIPT-RETRY-DELAY" => &mut self.script_retry_delay,
            _ => return false,
        };
        *slot = ms;
        true
    }
}
