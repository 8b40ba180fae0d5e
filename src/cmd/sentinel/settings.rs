//! SENTINEL subcommands that read or change the sentinel's settings and internals: SET,
//! CONFIG GET/SET, DEBUG, INFO-CACHE, PENDING-SCRIPTS, SIMULATE-FAILURE.
use super::*;
use crate::sentinel::core::Sentinel;
use crate::sentinel::state;

pub(super) fn s_set(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let name = text(&a[2]);
    let deny = sen(ctx).settings.deny_scripts_reconfig;
    let Some(m) = sen(ctx).masters.get_mut(&name) else {
        return Reply::err(NO_MASTER);
    };
    let mut changes = Vec::new();
    let mut j = 3;
    while j < a.len() {
        let opt = text(&a[j]).to_ascii_lowercase();
        let Some(v) = a.get(j + 1).map(|v| text(v)) else {
            return Reply::Error(format!(
                "ERR Unknown option or number of arguments for SENTINEL SET '{}'",
                text(&a[j])
            ));
        };
        let num = int_arg(v.as_bytes()).filter(|n| *n > 0);
        let bad = || {
            Reply::Error(format!(
                "ERR Invalid argument '{v}' for SENTINEL SET '{}'",
                text(&a[j])
            ))
        };
        match opt.as_str() {
            "down-after-milliseconds" => match num {
                Some(ms) => config::set_down_after(m, ms),
                None => return bad(),
            },
            "failover-timeout" => match num {
                Some(ms) => m.failover_timeout = ms,
                None => return bad(),
            },
            "parallel-syncs" => match num {
                Some(n) => m.parallel_syncs = n.min(u32::MAX as i64) as u32,
                None => return bad(),
            },
            "quorum" => match num {
                Some(n) => m.quorum = n.min(u32::MAX as i64) as u32,
                None => return bad(),
            },
            "notification-script" | "client-reconfig-script" => {
                if deny {
                    return Reply::err("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration");
                }
                let ok = v.is_empty()
                    || nix::unistd::access(v.as_str(), nix::unistd::AccessFlags::X_OK).is_ok();
                if !ok {
                    let what = if opt == "notification-script" {
                        "Notification script"
                    } else {
                        "Client reconfiguration script"
                    };
                    return Reply::Error(format!(
                        "ERR {what} seems non existing or non executable"
                    ));
                }
                let val = (!v.is_empty()).then(|| v.clone());
                if opt == "notification-script" {
                    m.notification_script = val;
                } else {
                    m.client_reconfig_script = val;
                }
            }
            "auth-pass" => m.auth_pass = (!v.is_empty()).then(|| v.clone()),
            "auth-user" => m.auth_user = (!v.is_empty()).then(|| v.clone()),
            "master-reboot-down-after-period" => match int_arg(v.as_bytes()) {
                Some(ms) if ms >= 0 => m.reboot_down_after_ms = ms,
                _ => return bad(),
            },
            "rename-command" if j + 2 < a.len() => {
                let new = text(&a[j + 2]);
                if v.is_empty() || new.is_empty() {
                    let shown = if v.is_empty() { &v } else { &new };
                    return Reply::Error(format!(
                        "ERR Invalid argument '{shown}' for SENTINEL SET '{}'",
                        text(&a[j])
                    ));
                }
                m.set_rename(&v, &new);
                changes.push(format!("{opt} {v} {new}"));
                j += 3;
                continue;
            }
            _ => {
                return Reply::Error(format!(
                    "ERR Unknown option or number of arguments for SENTINEL SET '{}'",
                    text(&a[j])
                ))
            }
        }
        let shown = if opt == "auth-pass" { "******" } else { &v };
        changes.push(format!("{opt} {shown}"));
        j += 2;
    }
    let s = sen(ctx);
    for c in changes {
        master_event(s, &name, "+set", &c);
    }
    save_config(ctx.srv);
    Reply::Ok
}

/// SENTINEL CONFIG GET/SET parameters, in Redis's order.
const CONFIG_PARAMS: &[&str] = &[
    "resolve-hostnames",
    "announce-hostnames",
    "announce-ip",
    "announce-port",
    "sentinel-user",
    "sentinel-pass",
];

pub(super) fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub(super) fn s_config(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let sub = text(&a[2]).to_ascii_lowercase();
    if sub == "get" && a.len() == 4 {
        let st = &sen(ctx).settings;
        let mut out = Vec::new();
        for p in CONFIG_PARAMS {
            if !crate::glob::matches(&a[3], p.as_bytes(), true) {
                continue;
            }
            let v = match *p {
                "resolve-hostnames" => yes_no(st.resolve_hostnames).to_string(),
                "announce-hostnames" => yes_no(st.announce_hostnames).to_string(),
                "announce-ip" => st.announce_ip.clone().unwrap_or_default(),
                "announce-port" => st.announce_port.to_string(),
                "sentinel-user" => st.sentinel_user.clone().unwrap_or_default(),
                _ => st.sentinel_pass.clone().unwrap_or_default(),
            };
            out.push((Reply::bulk(p.as_bytes()), Reply::bulk(v.into_bytes())));
        }
        return Reply::Map(out);
    }
    if sub != "set" || a.len() != 5 {
        return Reply::err(
            "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.",
        );
    }
    let (opt, v) = (text(&a[3]), text(&a[4]));
    let bad = || {
        Reply::Error(format!(
            "ERR Invalid value '{v}' to SENTINEL CONFIG SET '{opt}'"
        ))
    };
    let st = &mut sen(ctx).settings;
    match opt.to_ascii_lowercase().as_str() {
        "resolve-hostnames" | "announce-hostnames" => {
            let b = match v.to_ascii_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                _ => return bad(),
            };
            if opt.eq_ignore_ascii_case("resolve-hostnames") {
                st.resolve_hostnames = b;
            } else {
                st.announce_hostnames = b;
            }
        }
        "announce-ip" => st.announce_ip = (!v.is_empty()).then(|| v.clone()),
        "announce-port" => match v.parse::<u16>() {
            Ok(p) => st.announce_port = p,
            Err(_) => return bad(),
        },
        "sentinel-user" => st.sentinel_user = (!v.is_empty()).then(|| v.clone()),
        "sentinel-pass" => st.sentinel_pass = (!v.is_empty()).then(|| v.clone()),
        _ => {
            return Reply::Error(format!(
                "ERR Invalid argument '{opt}' to SENTINEL CONFIG SET"
            ))
        }
    }
    save_config(ctx.srv);
    if opt.eq_ignore_ascii_case("sentinel-user") || opt.eq_ignore_ascii_case("sentinel-pass") {
        // New credentials: reconnect everything, as Redis's sentinelDropConnections.
        drop_links(sen(ctx));
    }
    Reply::Ok
}

/// Close every link of every instance; the next tick reconnects them.
pub(super) fn drop_links(s: &mut Sentinel) {
    let masters: Vec<state::MasterRecord> = s.masters.values().cloned().collect();
    for m in &masters {
        disconnect_all(s, m);
    }
    for m in s.masters.values_mut() {
        let insts = std::iter::once(&mut m.inst)
            .chain(m.replicas.values_mut())
            .chain(m.sentinels.values_mut());
        for i in insts {
            i.link.cmd_link = false;
            i.link.pc_link = false;
            i.link.cmd_connected = false;
            i.link.pubsub_connected = false;
            i.link.pending_commands = 0;
        }
    }
}

/// SENTINEL DEBUG parameters, in Redis's order, and the timer each one is.
const DEBUG_PARAMS: &[&str] = &[
    "INFO-PERIOD",
    "PING-PERIOD",
    "ASK-PERIOD",
    "PUBLISH-PERIOD",
    "DEFAULT-DOWN-AFTER",
    "DEFAULT-FAILOVER-TIMEOUT",
    "TILT-TRIGGER",
    "TILT-PERIOD",
    "SLAVE-RECONF-TIMEOUT",
    "MIN-LINK-RECONNECT-PERIOD",
    "ELECTION-TIMEOUT",
    "SCRIPT-MAX-RUNTIME",
    "SCRIPT-RETRY-DELAY",
];

fn timer<'a>(t: &'a mut state::Timers, name: &str) -> Option<&'a mut i64> {
    Some(match name.to_ascii_uppercase().as_str() {
        "INFO-PERIOD" => &mut t.info_period,
        "PING-PERIOD" => &mut t.ping_period,
        "ASK-PERIOD" => &mut t.ask_period,
        "PUBLISH-PERIOD" => &mut t.publish_period,
        "DEFAULT-DOWN-AFTER" => &mut t.default_down_after,
        "DEFAULT-FAILOVER-TIMEOUT" => &mut t.default_failover_timeout,
        "TILT-TRIGGER" => &mut t.tilt_trigger,
        "TILT-PERIOD" => &mut t.tilt_period,
        "SLAVE-RECONF-TIMEOUT" => &mut t.slave_reconf_timeout,
        "MIN-LINK-RECONNECT-PERIOD" => &mut t.min_link_reconnect_period,
        "ELECTION-TIMEOUT" => &mut t.election_timeout,
        "SCRIPT-MAX-RUNTIME" => &mut t.script_max_runtime,
        "SCRIPT-RETRY-DELAY" => &mut t.script_retry_delay,
        _ => return None,
    })
}

pub(super) fn s_debug(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let timers = &mut sen(ctx).timers;
    if a.len() == 2 {
        let v = DEBUG_PARAMS
            .iter()
            .map(|n| {
                let v = timer(timers, n).map(|v| *v).unwrap_or(0);
                (
                    Reply::bulk(n.as_bytes()),
                    Reply::bulk(v.to_string().into_bytes()),
                )
            })
            .collect();
        return Reply::Map(v);
    }
    // Validate everything first, then apply, so an error changes nothing.
    let mut updates = Vec::new();
    let mut j = 2;
    while j < a.len() {
        let name = text(&a[j]);
        if timer(timers, &name).is_none() || j + 1 >= a.len() {
            return Reply::Error(format!(
                "ERR Unknown option or number of arguments for SENTINEL DEBUG '{name}'"
            ));
        }
        match int_arg(&a[j + 1]).filter(|v| *v > 0) {
            Some(v) => updates.push((name, v)),
            None => {
                return Reply::Error(format!(
                    "ERR Invalid argument '{}' for SENTINEL DEBUG '{name}'",
                    text(&a[j + 1])
                ))
            }
        }
        j += 2;
    }
    for (name, v) in updates {
        if let Some(t) = timer(timers, &name) {
            *t = v;
        }
    }
    Reply::Ok
}

pub(super) fn s_info_cache(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    let now = ctx.now;
    let s = sen(ctx);
    let wanted: Vec<String> = a[2..].iter().map(|n| text(n)).collect();
    let mut out = Vec::new();
    for (name, m) in &s.masters {
        if !wanted.is_empty() && !wanted.contains(name) {
            continue;
        }
        let entry = |i: &state::Instance| {
            let age = if i.info_refresh != 0 {
                now - i.info_refresh
            } else {
                0
            };
            let info = if i.info.is_empty() {
                Reply::Nil
            } else {
                Reply::bulk(i.info.as_bytes())
            };
            Reply::Array(vec![Reply::Int(age), info])
        };
        let mut list = vec![entry(&m.inst)];
        list.extend(m.replicas.values().map(entry));
        out.push(Reply::bulk(name.as_bytes()));
        out.push(Reply::Array(list));
    }
    Reply::Array(out)
}

/// Every queued script job, oldest first, as redis-sentinel: a map of bulk strings per job,
/// `run-time` (ms) for a running job, `run-delay` (ms before it may start) for a scheduled one.
pub(super) fn s_pending_scripts(ctx: &mut Ctx<Sentinel>, _a: &mut Args) -> Reply {
    let now = ctx.now;
    let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
    let jobs = sen(ctx)
        .scripts
        .jobs()
        .map(|j| {
            let argv = j.argv.iter().map(|a| bulk(a)).collect();
            let (flag, timing, ms) = if j.running {
                ("running", "run-time", now - j.start_time)
            } else if j.start_time != 0 {
                ("scheduled", "run-delay", (j.start_time - now).max(0))
            } else {
                ("scheduled", "run-delay", 0)
            };
            Reply::Map(vec![
                (bulk("argv"), Reply::Array(argv)),
                (bulk("flags"), bulk(flag)),
                (bulk("pid"), bulk(&j.pid.to_string())),
                (bulk(timing), bulk(&ms.to_string())),
                (bulk("retry-num"), bulk(&j.retry_num.to_string())),
            ])
        })
        .collect();
    Reply::Array(jobs)
}

pub(super) fn s_simulate_failure(ctx: &mut Ctx<Sentinel>, a: &mut Args) -> Reply {
    for arg in a[2..].iter() {
        let s = sen(ctx);
        match text(arg).to_ascii_lowercase().as_str() {
            "crash-after-election" => {
                s.simfailure_crash_after_election = true;
                warn!("Failure simulation: this Sentinel will crash after being successfully elected as failover leader");
            }
            "crash-after-promotion" => {
                s.simfailure_crash_after_promotion = true;
                warn!("Failure simulation: this Sentinel will crash after promoting the selected replica to master");
            }
            "help" => {
                return Reply::Array(vec![
                    Reply::bulk("crash-after-election"),
                    Reply::bulk("crash-after-promotion"),
                ])
            }
            _ => return Reply::err("ERR Unknown failure simulation specified"),
        }
    }
    Reply::Ok
}
