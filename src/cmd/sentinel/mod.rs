//! The client API of a sentinel: the SENTINEL command and its subcommands, its own ROLE and
//! PUBLISH, and the command set a sentinel answers (`table`: the entries flagged `SENTINEL`,
//! PING, INFO, ROLE, SUBSCRIBE, PUBLISH, AUTH, HELLO, CLIENT, COMMAND, SHUTDOWN, whose shared
//! handlers are generic over `cmd::role::Role`, implemented here for `Sentinel`); every other
//! command is unknown, as in redis-sentinel. Also the sentinel's server (`server`: no keyspace,
//! persistence or replication), its startup steps (`prepare`, `is_running`) and config
//! flushing. Replies and error texts are redis-sentinel 7.0's; field maps come from `report`.
mod settings;

use super::role::{InfoCounters, Role};
use crate::config::Config;
use crate::resp::Reply;
use crate::sentinel::core::{Action, Sentinel, XorShift};
use crate::sentinel::report;
use crate::sentinel::state::{self, FailoverState, Flags};
use crate::sentinel::{config, config_rewrite};
use crate::server::command::flags::*;
use crate::server::command::{Args, Command, BASE};
use crate::server::{command_map, Ctx, Server};
use log::{info, warn};
use settings::*;

/// Sentinel-mode setup before the server exists: the config file must be writable, nothing
/// is saved or loaded, and the sentinel state is built from the `sentinel` lines. `Ok(None)`
/// when not in sentinel mode; `Err` is the message to log before exiting.
pub fn prepare(cfg: &mut Config) -> Result<Option<Sentinel>, String> {
    if !cfg.sentinel_mode {
        return Ok(None);
    }
    config::check_config_file(cfg)?;
    // A sentinel must be reachable by the others: protected mode is off unless asked for.
    if !cfg.set_directives.contains("protected-mode") {
        cfg.protected_mode = false;
    }
    cfg.save.clear();
    cfg.appendonly = false;
    config::from_config(cfg, crate::util::now_ms())
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The commands a sentinel answers: the normal ones it also serves (flagged `SENTINEL`, each
/// with its sentinel handler) and SENTINEL. `rename-command` does not apply to them.
pub fn table() -> Vec<&'static Command> {
    let mut v: Vec<&'static Command> = super::all_commands()
        .into_iter()
        .filter(|c| c.has(SENTINEL))
        .collect();
    v.extend(COMMANDS.iter());
    v
}

/// A sentinel's server: clients, pub/sub and the sentinel core `s`, answering `table()`.
pub fn server(cfg: Config, s: Sentinel) -> Server<Sentinel> {
    Server::with_role(cfg, command_map(table()), s)
}

/// Redis's sentinelIsRunning: pick and persist an id on first start, log it, announce the
/// monitored masters.
pub fn is_running(srv: &mut Server<Sentinel>) {
    if srv.role.myid.len() != 40 {
        srv.role.myid = crate::util::random_hex40();
        save_config(srv);
    }
    let s = &mut srv.role;
    warn!("Sentinel ID is {}", s.myid);
    let monitors: Vec<(String, u32)> = s
        .masters
        .iter()
        .map(|(n, m)| (n.clone(), m.quorum))
        .collect();
    for (name, quorum) in monitors {
        master_event(s, &name, "+monitor", &format!("quorum {quorum}"));
    }
}

/// Rewrite the config file with the current state now, logging as Redis does.
pub fn save_config(srv: &Server<Sentinel>) {
    let (s, Some(path)) = (&srv.role, srv.config.file.as_ref()) else {
        return;
    };
    match config_rewrite::flush(path, s) {
        Ok(()) => info!("Sentinel new configuration saved on disk"),
        Err(e) => warn!(
            "WARNING: Sentinel was not able to save the new configuration on disk!!!: {}",
            crate::config::strerror(&e)
        ),
    }
}

impl Role for Sentinel {
    const SENTINEL: bool = true;
    const INFO_SECTIONS: &'static [(&'static str, bool)] = &[
        ("server", true),
        ("clients", true),
        ("stats", true),
        ("cpu", true),
        ("sentinel", true),
    ];

    /// The `# Sentinel` section.
    fn info_section(srv: &Server<Sentinel>, name: &str, o: &mut String) {
        if name == "sentinel" {
            report::info_section(&srv.role, srv.now_ms, o);
        }
    }

    fn info_counters(&self) -> InfoCounters {
        InfoCounters::default()
    }

    /// A sentinel has no MULTI/WATCH.
    fn watch_dirty(&self, _token: usize) -> bool {
        false
    }

    /// Nothing blocks on a sentinel.
    fn unblock(_srv: &mut Server<Sentinel>, _token: usize, _with_error: bool) -> bool {
        false
    }
}

/// The sentinel core of the server running the command.
pub(super) fn sen<'a>(ctx: &'a mut Ctx<Sentinel>) -> &'a mut Sentinel {
    &mut ctx.srv.role
}

pub(super) fn text(a: &[u8]) -> String {
    String::from_utf8_lossy(a).into_owned()
}

pub(super) const NO_MASTER: &str = "ERR No such master with that name";

pub(super) fn role(ctx: &mut Ctx<Sentinel>, _a: &mut Args) -> Reply {
    let names = sen(ctx)
        .masters
        .keys()
        .map(|n| Reply::bulk(n.as_bytes()))
        .collect();
    Reply::Array(vec![Reply::bulk("sentinel"), Reply::Array(names)])
}

pub(super) fn publish(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    if a[1] != b"__sentinel__:hello" {
        return Reply::err("ERR Only HELLO messages are accepted by Sentinel instances.");
    }
    let payload = std::mem::take(&mut a[2]);
    let now = ctx.now;
    let mut rng = XorShift::from_entropy();
    sen(ctx).handle(
        crate::sentinel::Event::HelloFromClient { payload },
        now,
        &mut rng,
    );
    Reply::Int(1)
}

pub(super) fn with_master(
    ctx: &mut Ctx<Sentinel>,
    name: &[u8],
    f: impl FnOnce(&state::MasterRecord, i64, bool) -> Reply,
) -> Reply {
    let now = ctx.now;
    let s = sen(ctx);
    match s.masters.get(&*text(name)) {
        Some(m) => f(m, now, s.settings.announce_hostnames),
        None => Reply::err(NO_MASTER),
    }
}

fn s_masters(ctx: &mut Ctx<Sentinel>, _a: &mut Args) -> Reply {
    let now = ctx.now;
    let s = sen(ctx);
    let hn = s.settings.announce_hostnames;
    let v = s
        .masters
        .values()
        .map(|m| report::master(m, now, hn))
        .collect();
    Reply::Array(v)
}

fn s_master(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    with_master(ctx, &a[2], report::master)
}

fn s_replicas(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    with_master(ctx, &a[2], |m, now, hn| {
        Reply::Array(
            m.replicas
                .values()
                .map(|r| report::replica(r, now, hn))
                .collect(),
        )
    })
}

fn s_sentinels(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    with_master(ctx, &a[2], |m, now, hn| {
        Reply::Array(
            m.sentinels
                .values()
                .map(|s| report::sentinel(s, now, hn))
                .collect(),
        )
    })
}

fn s_addr(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let s = sen(ctx);
    match s.masters.get(&*text(&a[2])) {
        Some(m) => {
            let (h, p) = m.announced_addr(s.settings.announce_hostnames);
            Reply::Array(vec![
                Reply::bulk(h.into_bytes()),
                Reply::bulk(p.to_string().into_bytes()),
            ])
        }
        None => Reply::NilArray,
    }
}

fn s_ckquorum(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    with_master(ctx, &a[2], |m, _, _| match report::ckquorum(m) {
        Ok(n) => Reply::status(format!(
            "OK {n} usable Sentinels. Quorum and failover authorization can be reached"
        )),
        Err(e) => Reply::Error(e),
    })
}

fn s_myid(ctx: &mut Ctx<Sentinel>, _a: &mut Args) -> Reply {
    Reply::bulk(sen(ctx).myid.as_bytes())
}

pub(super) fn int_arg(a: &[u8]) -> Option<i64> {
    crate::util::parse_i64(a)
}

fn s_is_down(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let (Some(port), Some(epoch)) = (int_arg(&a[3]), int_arg(&a[4])) else {
        return Reply::err("ERR value is not an integer or out of range");
    };
    let (ip, runid) = (text(&a[2]), text(&a[5]));
    let now = ctx.now;
    let mut rng = XorShift::from_entropy();
    let port = u16::try_from(port).unwrap_or(0);
    let r = sen(ctx).is_master_down_by_addr(&ip, port, epoch.max(0) as u64, &runid, now, &mut rng);
    let leader = if r.leader.is_empty() {
        "*".to_string()
    } else {
        r.leader
    };
    Reply::Array(vec![
        Reply::Int(r.down as i64),
        Reply::bulk(leader.into_bytes()),
        Reply::Int(r.leader_epoch as i64),
    ])
}

fn s_failover(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let now = ctx.now;
    let name = text(&a[2]);
    match sen(ctx).manual_failover(&name, now) {
        Ok(()) => Reply::Ok,
        Err(e) => Reply::Error(e),
    }
}

fn s_flushconfig(ctx: &mut Ctx<Sentinel>, _a: &mut Args) -> Reply {
    save_config(ctx.srv);
    Reply::Ok
}

fn s_monitor(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let Some(port) = int_arg(&a[4]) else {
        return Reply::err("ERR Invalid port");
    };
    let Some(quorum) = int_arg(&a[5]) else {
        return Reply::err("ERR Invalid quorum");
    };
    if quorum <= 0 {
        return Reply::err("ERR Quorum must be 1 or greater.");
    }
    let (name, host) = (text(&a[2]), text(&a[3]));
    // A host name only with resolve-hostnames, and it must resolve now (Redis's anetResolve).
    if sen(ctx).resolve(&host).is_none() {
        return Reply::err("ERR Invalid IP address or hostname specified");
    }
    let Ok(port) = u16::try_from(port) else {
        return Reply::err("ERR Invalid port number.");
    };
    let now = ctx.now;
    let s = sen(ctx);
    if let Err(e) = config::add_master(s, &name, &host, port, quorum as u32, now) {
        return Reply::Error(format!("ERR {e}"));
    }
    master_event(s, &name, "+monitor", &format!("quorum {quorum}"));
    save_config(ctx.srv);
    Reply::Ok
}

/// A warning-level event about master `name` (`%@ rest`), as Redis's sentinelEvent: logged,
/// published, and given to the master's notification script.
pub(super) fn master_event(s: &mut Sentinel, name: &str, kind: &str, rest: &str) {
    let Some(m) = s.masters.get(name).cloned() else {
        return;
    };
    let mut text = format!(
        "master {} {} {}",
        m.inst.name,
        s.shown(&m.inst),
        m.inst.port
    );
    if !rest.is_empty() {
        text.push(' ');
        text.push_str(rest);
    }
    s.event(Some(&m), crate::sentinel::core::Level::Warning, kind, text);
}

/// Close every link of a master record and its replicas and sentinels.
pub(super) fn disconnect_all(s: &mut Sentinel, m: &state::MasterRecord) {
    let ids: Vec<u64> = std::iter::once(m.inst.id)
        .chain(m.replicas.values().map(|r| r.id))
        .chain(m.sentinels.values().map(|r| r.id))
        .collect();
    for inst in ids {
        for link in [
            crate::sentinel::LinkKind::Cmd,
            crate::sentinel::LinkKind::PubSub,
        ] {
            s.push(Action::Disconnect { inst, link });
        }
    }
}

fn s_remove(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let name = text(&a[2]);
    let s = sen(ctx);
    if !s.masters.contains_key(&name) {
        return Reply::err(NO_MASTER);
    }
    master_event(s, &name, "-monitor", "");
    let Some(m) = s.masters.remove(&name) else {
        return Reply::err(NO_MASTER);
    };
    disconnect_all(s, &m);
    save_config(ctx.srv);
    Reply::Ok
}

/// Redis's sentinelResetMaster: forget replicas, sentinels and failover state, reconnect.
pub(super) fn reset_master(s: &mut Sentinel, name: &str, now: i64) {
    let Some(m) = s.masters.get(name).cloned() else {
        return;
    };
    disconnect_all(s, &m);
    let Some(m) = s.masters.get_mut(name) else {
        return;
    };
    m.replicas.clear();
    m.sentinels.clear();
    m.inst.flags = Flags::default();
    m.inst.link = state::LinkState {
        last_avail_time: now,
        last_pong_time: now,
        ..Default::default()
    };
    m.inst.s_down_since = 0;
    m.inst.o_down_since = 0;
    m.inst.runid = None;
    m.inst.info_refresh = 0;
    m.inst.role_reported = state::Role::Master;
    m.inst.role_reported_time = now;
    m.leader = None;
    m.failover_state = FailoverState::None;
    m.failover_state_change_time = 0;
    m.failover_start_time = 0;
    m.promoted_replica = None;
    master_event(s, name, "+reset-master", "");
}

fn s_reset(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let now = ctx.now;
    let s = sen(ctx);
    let names: Vec<String> = s
        .masters
        .keys()
        .filter(|n| crate::glob::matches(&a[2], n.as_bytes(), false))
        .cloned()
        .collect();
    for n in &names {
        reset_master(s, n, now);
    }
    if !names.is_empty() {
        save_config(ctx.srv);
    }
    Reply::Int(names.len() as i64)
}

const HELP: &[&str] = &[
    "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CKQUORUM <master-name>",
    "    Check if the current Sentinel configuration is able to reach the quorum",
    "    needed to failover a master and the majority needed to authorize the",
    "    failover.",
    "CONFIG SET <param> <value>",
    "    Set a global Sentinel configuration parameter.",
    "CONFIG GET <param>",
    "    Get global Sentinel configuration parameter.",
    "DEBUG [<param> <value> ...]",
    "    Show a list of configurable time parameters and their values (milliseconds).",
    "    Or update current configurable parameters values (one or more).",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    Return the ip and port number of the master with that name.",
    "FAILOVER <master-name>",
    "    Manually failover a master node without asking for agreement from other",
    "    Sentinels",
    "FLUSHCONFIG",
    "    Force Sentinel to rewrite its configuration on disk, including the current",
    "    Sentinel state.",
    "INFO-CACHE <master-name>",
    "    Return last cached INFO output from masters and all its replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
    "    Check if the master specified by ip:port is down from current Sentinel's",
    "    point of view.",
    "MASTER <master-name>",
    "    Show the state and info of the specified master.",
    "MASTERS",
    "    Show a list of monitored masters and their state.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a new master with the specified name, ip, port and quorum.",
    "MYID",
    "    Return the ID of the Sentinel instance.",
    "PENDING-SCRIPTS",
    "    Get pending scripts information.",
    "REMOVE <master-name>",
    "    Remove master from Sentinel's monitor list.",
    "REPLICAS <master-name>",
    "    Show a list of replicas for this master and their state.",
    "RESET <pattern>",
    "    Reset masters for specific master name matching this pattern.",
    "SENTINELS <master-name>",
    "    Show a list of Sentinel instances for this master and their state.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Set configuration parameters for certain masters.",
    "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
    "    Simulate a Sentinel crash.",
    "HELP",
    "    Prints this help.",
];

fn s_help(_ctx: &mut Ctx<Sentinel>, _a: &mut Args) -> Reply {
    Reply::Array(HELP.iter().map(|l| Reply::status(*l)).collect())
}

/// Container handler: only reached when resolution did not pick a subcommand.
pub(super) fn sentinel_container(_ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    Reply::Error(format!(
        "ERR unknown subcommand '{}'. Try SENTINEL HELP.",
        a.get(1).map(|s| text(s)).unwrap_or_default()
    ))
}

const ADMIN_ACL: &[&str] = &["admin", "slow", "dangerous"];

macro_rules! sub {
    ($name:expr, $arity:expr, $h:expr) => {
        Command {
            name: $name,
            arity: $arity,
            flags: ADMIN | SENTINEL | ONLY_SENTINEL,
            acl: ADMIN_ACL,
            sentinel: Some($h),
            ..BASE
        }
    };
}

static SUBCOMMANDS: &[Command] = &[
    sub!("is-master-down-by-addr", 6, s_is_down),
    sub!("info-cache", -3, s_info_cache),
    sub!("masters", 2, s_masters),
    sub!("monitor", 6, s_monitor),
    sub!("remove", 3, s_remove),
    sub!("set", -5, s_set),
    sub!("reset", 3, s_reset),
    sub!("debug", -2, s_debug),
    sub!("flushconfig", 2, s_flushconfig),
    sub!("master", 3, s_master),
    sub!("pending-scripts", 2, s_pending_scripts),
    sub!("replicas", 3, s_replicas),
    sub!("sentinels", 3, s_sentinels),
    sub!("simulate-failure", -3, s_simulate_failure),
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE | SENTINEL | ONLY_SENTINEL,
        acl: &["slow"],
        sentinel: Some(s_help),
        ..BASE
    },
    sub!("get-master-addr-by-name", 3, s_addr),
    sub!("ckquorum", 3, s_ckquorum),
    sub!("myid", 2, s_myid),
    sub!("slaves", 3, s_replicas),
    sub!("config", -3, s_config),
    sub!("failover", 3, s_failover),
];

/// The command only a sentinel has.
pub static COMMANDS: &[Command] = &[Command {
    name: "sentinel",
    arity: -2,
    flags: ADMIN | SENTINEL | ONLY_SENTINEL,
    acl: ADMIN_ACL,
    sentinel: Some(sentinel_container),
    subcommands: SUBCOMMANDS,
    ..BASE
}];
