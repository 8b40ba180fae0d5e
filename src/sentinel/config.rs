//! sentinel.conf in: parsing sentinel directives (in any order, tolerating duplicates) into the
//! state, the startup checks on the file, and the state changes configuration statements and
//! SENTINEL commands share (adding masters, replicas and sentinels, down-after). Writing the
//! learned state back out is `config_rewrite`'s job; this file stays about reading it.
//!
//! Loading collects first and applies in four passes (resolve-hostnames/announce-hostnames,
//! masters, other global settings, per-master lines), so `sentinel down-after-milliseconds m ...`
//! before `sentinel monitor m ...`, or `sentinel resolve-hostnames yes` after a `monitor` with a
//! host name, work. Error texts are Redis's, located at the offending line.
use super::core::Sentinel;
use super::state::{addr_key, Instance, MasterRecord, Role};
use crate::config::load::ConfigError;
use crate::config::{Config, SentinelLine};

const NO_MASTER: &str = "No such master with specified name.";

/// Build the sentinel a config describes (myid empty when the file has none).
pub fn from_config(cfg: &Config, now: i64) -> Result<Sentinel, ConfigError> {
    let mut s = Sentinel::new(String::new(), cfg.port);
    // Redis's default: scripts paths cannot be changed at runtime.
    s.settings.deny_scripts_reconfig = true;
    load(&mut s, &cfg.sentinel_directives, now)?;
    Ok(s)
}

/// Apply `lines` to `s`. Errors carry the line's location.
pub fn load(s: &mut Sentinel, lines: &[SentinelLine], now: i64) -> Result<(), ConfigError> {
    let located = |l: &SentinelLine, msg: &str| ConfigError {
        file: l.file.clone(),
        line: l.line,
        text: l.text.clone(),
        msg: msg.to_string(),
    };
    for pass in 0..4 {
        for l in lines {
            let Some(kw) = l.args.first() else { continue };
            let kw = kw.to_ascii_lowercase();
            let this_pass = match kw.as_str() {
                "resolve-hostnames" | "announce-hostnames" => 0,
                "monitor" => 1,
                "myid"
                | "current-epoch"
                | "announce-ip"
                | "announce-port"
                | "sentinel-user"
                | "sentinel-pass"
                | "deny-scripts-reconfig" => 2,
                _ => 3,
            };
            if this_pass != pass {
                continue;
            }
            apply(s, &kw, &l.args[1..], now).map_err(|m| located(l, m))?;
        }
    }
    Ok(())
}

fn yes_no(v: &str, what: &'static str) -> Result<bool, &'static str> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(what),
    }
}

/// C `atoi` on a config argument (`util::atoi`).
fn atoi(s: &str) -> i64 {
    crate::util::atoi(s.as_bytes())
}

fn epoch(s: &str) -> u64 {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(0)
}

fn port_of(s: &str) -> Result<u16, &'static str> {
    u16::try_from(atoi(s)).map_err(|_| "Invalid port number.")
}

fn executable(path: &str) -> bool {
    nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok()
}

const UNRESOLVED: &str = "Can't resolve instance hostname.";

/// The IP of a new record at `host`, as Redis's `createSentinelAddr` when creating an
/// instance: a host name is an error without resolve-hostnames; with it, a name that does not
/// resolve (yet) is accepted with no IP (resolved again before each connection attempt).
pub fn new_ip(s: &Sentinel, host: &str) -> Result<String, &'static str> {
    match s.resolve(host) {
        Some(ip) => Ok(ip),
        None if s.settings.resolve_hostnames => {
            log::warn!("Failed to resolve hostname '{host}'");
            Ok(String::new())
        }
        None => Err(UNRESOLVED),
    }
}

/// Add a monitored master (SENTINEL MONITOR and `sentinel monitor`); an existing one with that
/// name is an error, so is a host name without resolve-hostnames.
pub fn add_master(
    s: &mut Sentinel,
    name: &str,
    host: &str,
    port: u16,
    quorum: u32,
    now: i64,
) -> Result<(), &'static str> {
    if s.masters.contains_key(name) {
        return Err("Duplicate master name.");
    }
    let ip = new_ip(s, host)?;
    let id = s.alloc_id();
    let mut m = MasterRecord::new(id, name, host, port, quorum, now);
    m.inst.ip = ip;
    s.masters.insert(name.to_string(), m);
    Ok(())
}

/// A replica record for `m` at `host:port` (nothing when already known).
pub fn add_replica(
    s: &mut Sentinel,
    master: &str,
    host: &str,
    port: u16,
    now: i64,
) -> Result<(), &'static str> {
    let key = addr_key(host, port);
    let known = s
        .masters
        .get(master)
        .map_or(true, |m| m.replicas.contains_key(&key));
    if known {
        return Ok(());
    }
    let ip = new_ip(s, host)?;
    let id = s.alloc_id();
    if let Some(m) = s.masters.get_mut(master) {
        let mut r = Instance::new(id, Role::Replica, key.clone(), host, port, now);
        r.ip = ip;
        r.down_after_ms = m.inst.down_after_ms;
        m.replicas.insert(key, r);
    }
    Ok(())
}

fn apply(s: &mut Sentinel, kw: &str, a: &[String], now: i64) -> Result<(), &'static str> {
    let n = a.len();
    match (kw, n) {
        ("monitor", 4) => {
            let quorum = atoi(&a[3]);
            if quorum <= 0 {
                return Err("Quorum must be 1 or greater.");
            }
            let port = port_of(&a[2])?;
            // A repeated monitor line restates the master: the last one wins.
            if s.masters.contains_key(&a[0]) {
                let ip = new_ip(s, &a[1])?;
                let Some(m) = s.masters.get_mut(&a[0]) else {
                    return Err(NO_MASTER);
                };
                m.inst.host = a[1].clone();
                m.inst.ip = ip;
                m.inst.port = port;
                m.quorum = quorum as u32;
                return Ok(());
            }
            add_master(s, &a[0], &a[1], port, quorum as u32, now)
        }
        ("myid", 1) => {
            if a[0].len() != 40 {
                return Err("Malformed Sentinel id in myid option.");
            }
            s.myid = a[0].clone();
            Ok(())
        }
        ("current-epoch", 1) => {
            s.current_epoch = s.current_epoch.max(epoch(&a[0]));
            Ok(())
        }
        ("announce-ip", 1) => {
            s.settings.announce_ip = (!a[0].is_empty()).then(|| a[0].clone());
            Ok(())
        }
        ("announce-port", 1) => {
            s.settings.announce_port = u16::try_from(atoi(&a[0])).unwrap_or(0);
            Ok(())
        }
        ("sentinel-user", 1) => {
            s.settings.sentinel_user = (!a[0].is_empty()).then(|| a[0].clone());
            Ok(())
        }
        ("sentinel-pass", 1) => {
            s.settings.sentinel_pass = (!a[0].is_empty()).then(|| a[0].clone());
            Ok(())
        }
        ("resolve-hostnames", 1) => {
            s.settings.resolve_hostnames = yes_no(
                &a[0],
                "Please specify yes or no for the resolve-hostnames option.",
            )?;
            Ok(())
        }
        ("announce-hostnames", 1) => {
            s.settings.announce_hostnames = yes_no(
                &a[0],
                "Please specify yes or no for the announce-hostnames option.",
            )?;
            Ok(())
        }
        ("deny-scripts-reconfig", 1) => {
            s.settings.deny_scripts_reconfig = yes_no(
                &a[0],
                "Please specify yes or no for the deny-scripts-reconfig options.",
            )?;
            Ok(())
        }
        ("known-replica" | "known-slave", 3) => {
            let port = port_of(&a[2])?;
            if !s.masters.contains_key(&a[0]) {
                return Err(NO_MASTER);
            }
            add_replica(s, &a[0], &a[1], port, now)
        }
        // The old form without a run id is ignored, as Redis does.
        ("known-sentinel", 3) => master_mut(s, &a[0]).map(|_| ()),
        ("known-sentinel", 4) => {
            let port = port_of(&a[2])?;
            if !s.masters.contains_key(&a[0]) {
                return Err(NO_MASTER);
            }
            if a[3] == s.myid {
                return Ok(());
            }
            add_sentinel(s, &a[0], &a[1], port, &a[3], now)
        }
        ("rename-command", 3) => {
            let m = master_mut(s, &a[0])?;
            if m.renamed_commands
                .iter()
                .any(|(o, _)| o.eq_ignore_ascii_case(&a[1]))
            {
                return Err("Same command renamed multiple times with rename-command.");
            }
            m.renamed_commands.push((a[1].clone(), a[2].clone()));
            Ok(())
        }
        _ => per_master(s, kw, a),
    }
}

/// A sentinel record for `master` (replacing one with the same run id).
pub fn add_sentinel(
    s: &mut Sentinel,
    master: &str,
    host: &str,
    port: u16,
    runid: &str,
    now: i64,
) -> Result<(), &'static str> {
    let ip = new_ip(s, host)?;
    let id = s.alloc_id();
    if let Some(m) = s.masters.get_mut(master) {
        let mut si = Instance::new(id, Role::Sentinel, runid.to_string(), host, port, now);
        si.ip = ip;
        si.runid = Some(runid.to_string());
        si.down_after_ms = m.inst.down_after_ms;
        m.sentinels.insert(runid.to_string(), si);
    }
    Ok(())
}

fn master_mut<'a>(s: &'a mut Sentinel, name: &str) -> Result<&'a mut MasterRecord, &'static str> {
    s.masters.get_mut(name).ok_or(NO_MASTER)
}

/// The per-master settings (`sentinel <option> <master> <value>`).
fn per_master(s: &mut Sentinel, kw: &str, a: &[String]) -> Result<(), &'static str> {
    if a.len() != 2 {
        return Err("Unrecognized sentinel configuration statement.");
    }
    let known = matches!(
        kw,
        "down-after-milliseconds"
            | "failover-timeout"
            | "parallel-syncs"
            | "notification-script"
            | "client-reconfig-script"
            | "auth-pass"
            | "auth-user"
            | "config-epoch"
            | "leader-epoch"
            | "master-reboot-down-after-period"
    );
    if !known {
        return Err("Unrecognized sentinel configuration statement.");
    }
    let v = &a[1];
    let current = s.current_epoch;
    let m = master_mut(s, &a[0])?;
    match kw {
        "down-after-milliseconds" => {
            let ms = atoi(v);
            if ms <= 0 {
                return Err("negative or zero time parameter.");
            }
            set_down_after(m, ms);
        }
        "failover-timeout" => {
            let ms = atoi(v);
            if ms <= 0 {
                return Err("negative or zero time parameter.");
            }
            m.failover_timeout = ms;
        }
        "parallel-syncs" => m.parallel_syncs = atoi(v).clamp(0, u32::MAX as i64) as u32,
        "notification-script" => {
            if !executable(v) {
                return Err("Notification script seems non existing or non executable.");
            }
            m.notification_script = Some(v.clone());
        }
        "client-reconfig-script" => {
            if !executable(v) {
                return Err("Client reconfiguration script seems non existing or non executable.");
            }
            m.client_reconfig_script = Some(v.clone());
        }
        "master-reboot-down-after-period" => {
            let ms = atoi(v);
            if ms < 0 {
                return Err("negative time parameter.");
            }
            m.reboot_down_after_ms = ms;
        }
        "auth-pass" => m.auth_pass = Some(v.clone()),
        "auth-user" => m.auth_user = Some(v.clone()),
        "config-epoch" => {
            m.inst.config_epoch = epoch(v);
            if m.inst.config_epoch > current {
                s.current_epoch = epoch(v);
            }
        }
        _ => m.leader_epoch = epoch(v),
    }
    Ok(())
}

/// Set a master's down-after period and propagate it to its replicas and sentinels.
pub fn set_down_after(m: &mut MasterRecord, ms: i64) {
    m.inst.down_after_ms = ms;
    for r in m.replicas.values_mut() {
        r.down_after_ms = ms;
    }
    for si in m.sentinels.values_mut() {
        si.down_after_ms = ms;
    }
}

/// Startup checks Redis makes: a config file must exist and be writable. Returns the message
/// to log before exiting.
pub fn check_config_file(cfg: &Config) -> Result<(), String> {
    let Some(path) = &cfg.file else {
        return Err("Sentinel needs config file on disk to save state. Exiting...".into());
    };
    if let Err(e) = nix::unistd::access(path.as_path(), nix::unistd::AccessFlags::W_OK) {
        return Err(format!(
            "Sentinel config file {} is not writable: {}. Exiting...",
            path.display(),
            e.desc()
        ));
    }
    Ok(())
}

/// Test helper: the `sentinel` lines of a config text, as the config loader hands them over.
#[cfg(test)]
pub(crate) fn test_lines(text: &str) -> Vec<SentinelLine> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let a = crate::util::split_args(l.as_bytes())?;
            let a: Vec<String> = a
                .iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect();
            (a.len() > 1 && a[0] == "sentinel").then(|| SentinelLine {
                args: a[1..].to_vec(),
                file: "s.conf".into(),
                line: i + 1,
                text: l.into(),
            })
        })
        .collect()
}

/// Test helper: a sentinel loaded from the config `text` (port 26379, at time 1000).
#[cfg(test)]
pub(crate) fn test_loaded(text: &str) -> Result<Sentinel, ConfigError> {
    let mut s = Sentinel::new(String::new(), 26379);
    load(&mut s, &test_lines(text), 1000).map(|_| s)
}

/// Test helper: the error loading the config `text` fails with.
#[cfg(test)]
pub(crate) fn test_load_err(text: &str) -> ConfigError {
    match test_loaded(text) {
        Ok(_) => panic!("loaded: {text}"),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_load_err as load_err;
    use super::test_loaded as loaded;

    const ID: &str = "f2104b8c0aa1a115a74a4907a0adc6931e509392";
    const OTHER: &str = "a6cb812512fba7b1c0e7fbbf69f5bb57470b3769";

    #[test]
    fn any_order_and_duplicates() {
        let text = format!(
            "sentinel down-after-milliseconds m 2000\n\
             sentinel known-replica m 127.0.0.1 7002\n\
             sentinel known-replica m 127.0.0.1 7002\n\
             sentinel known-sentinel m 127.0.0.1 26380 {OTHER}\n\
             sentinel known-sentinel m 127.0.0.1 26380 {OTHER}\n\
             sentinel config-epoch m 3\n\
             sentinel monitor m 127.0.0.1 7001 2\n\
             sentinel monitor m 127.0.0.1 7001 2\n\
             sentinel myid {ID}\n\
             sentinel current-epoch 2\n\
             sentinel rename-command m CONFIG GUESSME\n"
        );
        let s = loaded(&text).unwrap();
        let m = &s.masters["m"];
        assert_eq!(m.inst.down_after_ms, 2000);
        assert_eq!(m.replicas.len(), 1);
        assert_eq!(m.replicas["127.0.0.1:7002"].down_after_ms, 2000);
        assert_eq!(m.sentinels.len(), 1);
        assert_eq!(s.current_epoch, 3);
        assert_eq!(s.myid, ID);
    }

    #[test]
    fn errors_are_located_with_redis_texts() {
        let e = load_err("sentinel monitor m 127.0.0.1 7001 0");
        assert_eq!(
            (e.line, e.msg.as_str()),
            (1, "Quorum must be 1 or greater.")
        );
        let e = load_err("x\nsentinel down-after-milliseconds nope 10");
        assert_eq!((e.line, e.msg.as_str()), (2, NO_MASTER));
        let e = load_err("sentinel bogus 1");
        assert_eq!(e.msg, "Unrecognized sentinel configuration statement.");
        let e = load_err("sentinel myid abc");
        assert_eq!(e.msg, "Malformed Sentinel id in myid option.");
        let e = load_err("sentinel monitor m 127.0.0.1 7001 1\nsentinel failover-timeout m 0");
        assert_eq!(e.msg, "negative or zero time parameter.");
        let e = load_err("sentinel resolve-hostnames maybe");
        assert_eq!(
            e.msg,
            "Please specify yes or no for the resolve-hostnames option."
        );
    }
}
