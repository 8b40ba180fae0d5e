//! sentinel.conf in and out: parsing sentinel directives (in any order, tolerating duplicates)
//! into the state, and rewriting the file with the learned state (myid, epochs, known replicas and
//! sentinels) atomically: temp file, fsync, rename, fsync of the directory.
//!
//! Loading collects first and applies in three passes (masters, then global settings, then
//! per-master lines), so `sentinel down-after-milliseconds m ...` before `sentinel monitor m ...`
//! works, unlike in Redis. Error texts are Redis's, located at the offending line.
use super::core::Sentinel;
use super::state::{addr_key, Instance, MasterRecord, Role, DEFAULT_FAILOVER_TIMEOUT_MS};
use super::state::{DEFAULT_DOWN_AFTER_MS, DEFAULT_PARALLEL_SYNCS};
use crate::config::load::ConfigError;
use crate::config::{Config, SentinelLine};
use std::io::Write;
use std::path::Path;

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
    for pass in 0..3 {
        for l in lines {
            let Some(kw) = l.args.first() else { continue };
            let kw = kw.to_ascii_lowercase();
            let this_pass = match kw.as_str() {
                "monitor" => 0,
                "myid" | "current-epoch" | "announce-ip" | "announce-port" | "sentinel-user"
                | "sentinel-pass" | "resolve-hostnames" | "announce-hostnames"
                | "deny-scripts-reconfig" => 1,
                _ => 2,
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

/// C `atoi`: leading digits with an optional sign, 0 when none.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).take(18).collect();
    let v = digits.parse::<i64>().unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
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

/// Add a monitored master (SENTINEL MONITOR and `sentinel monitor`); an existing one with that
/// name is an error.
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
    let id = s.alloc_id();
    s.masters.insert(
        name.to_string(),
        MasterRecord::new(id, name, host, port, quorum, now),
    );
    Ok(())
}

/// A replica record for `m` at `host:port` (nothing when already known).
pub fn add_replica(s: &mut Sentinel, master: &str, host: &str, port: u16, now: i64) {
    let key = addr_key(host, port);
    let known = s
        .masters
        .get(master)
        .is_none_or(|m| m.replicas.contains_key(&key));
    if known {
        return;
    }
    let id = s.alloc_id();
    if let Some(m) = s.masters.get_mut(master) {
        let mut r = Instance::new(id, Role::Replica, key.clone(), host, port, now);
        r.down_after_ms = m.inst.down_after_ms;
        m.replicas.insert(key, r);
    }
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
            if let Some(m) = s.masters.get_mut(&a[0]) {
                m.inst.host = a[1].clone();
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
            add_replica(s, &a[0], &a[1], port, now);
            Ok(())
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
            add_sentinel(s, &a[0], &a[1], port, &a[3], now);
            Ok(())
        }
        ("rename-command", 3) => master_mut(s, &a[0]).map(|_| ()),
        _ => per_master(s, kw, a),
    }
}

/// A sentinel record for `master` (replacing one with the same run id).
pub fn add_sentinel(s: &mut Sentinel, master: &str, host: &str, port: u16, runid: &str, now: i64) {
    let id = s.alloc_id();
    if let Some(m) = s.masters.get_mut(master) {
        let mut si = Instance::new(id, Role::Sentinel, runid.to_string(), host, port, now);
        si.runid = Some(runid.to_string());
        si.down_after_ms = m.inst.down_after_ms;
        m.sentinels.insert(runid.to_string(), si);
    }
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
                return Err(
                    "Client reconfiguration script seems non existing or non executable.",
                );
            }
            m.client_reconfig_script = Some(v.clone());
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

/// A config value written back: bare when it reads back the same, else quoted.
fn val(v: &str) -> String {
    let plain = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain {
        v.to_string()
    } else {
        crate::config::value::repr(v)
    }
}

/// The sentinel block, in the order Redis 7.0 writes it.
pub fn render_block(s: &Sentinel) -> Vec<String> {
    let mut out = vec![format!("sentinel myid {}", s.myid)];
    let st = &s.settings;
    if !st.deny_scripts_reconfig {
        out.push("sentinel deny-scripts-reconfig no".into());
    }
    if st.resolve_hostnames {
        out.push("sentinel resolve-hostnames yes".into());
    }
    if st.announce_hostnames {
        out.push("sentinel announce-hostnames yes".into());
    }
    for (name, m) in &s.masters {
        let n = val(name);
        out.push(format!(
            "sentinel monitor {n} {} {} {}",
            val(&m.inst.host),
            m.inst.port,
            m.quorum
        ));
        if m.inst.down_after_ms != DEFAULT_DOWN_AFTER_MS {
            out.push(format!(
                "sentinel down-after-milliseconds {n} {}",
                m.inst.down_after_ms
            ));
        }
        if m.failover_timeout != DEFAULT_FAILOVER_TIMEOUT_MS {
            out.push(format!(
                "sentinel failover-timeout {n} {}",
                m.failover_timeout
            ));
        }
        if m.parallel_syncs != DEFAULT_PARALLEL_SYNCS {
            out.push(format!("sentinel parallel-syncs {n} {}", m.parallel_syncs));
        }
        if let Some(p) = &m.notification_script {
            out.push(format!("sentinel notification-script {n} {}", val(p)));
        }
        if let Some(p) = &m.client_reconfig_script {
            out.push(format!("sentinel client-reconfig-script {n} {}", val(p)));
        }
        if let Some(p) = &m.auth_pass {
            out.push(format!("sentinel auth-pass {n} {}", val(p)));
        }
        if let Some(p) = &m.auth_user {
            out.push(format!("sentinel auth-user {n} {}", val(p)));
        }
        out.push(format!("sentinel config-epoch {n} {}", m.inst.config_epoch));
        out.push(format!("sentinel leader-epoch {n} {}", m.leader_epoch));
        for r in m.replicas.values() {
            if r.host == m.inst.host && r.port == m.inst.port {
                continue;
            }
            out.push(format!(
                "sentinel known-replica {n} {} {}",
                val(&r.host),
                r.port
            ));
        }
        for si in m.sentinels.values() {
            let Some(runid) = &si.runid else { continue };
            out.push(format!(
                "sentinel known-sentinel {n} {} {} {}",
                val(&si.host),
                si.port,
                val(runid)
            ));
        }
    }
    out.push(format!("sentinel current-epoch {}", s.current_epoch));
    if let Some(ip) = &st.announce_ip {
        out.push(format!("sentinel announce-ip {}", val(ip)));
    }
    if st.announce_port != 0 {
        out.push(format!("sentinel announce-port {}", st.announce_port));
    }
    if let Some(u) = &st.sentinel_user {
        out.push(format!("sentinel sentinel-user {}", val(u)));
    }
    if let Some(p) = &st.sentinel_pass {
        out.push(format!("sentinel sentinel-pass {}", val(p)));
    }
    out
}

/// The new file text: every line of `old` that is not a sentinel directive (kept verbatim,
/// `sentinel rename-command` lines of still-monitored masters too), then the sentinel block.
pub fn rewrite_text(old: &str, s: &Sentinel) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut renames: Vec<&str> = Vec::new();
    for raw in old.split('\n') {
        let line = raw.trim_end_matches('\r');
        let args = crate::util::split_args(line.trim().as_bytes()).unwrap_or_default();
        let is_sentinel = args.len() > 1 && crate::util::eq_ic(&args[0], "sentinel");
        if !is_sentinel {
            kept.push(line);
            continue;
        }
        let rename = args.len() == 5 && crate::util::eq_ic(&args[1], "rename-command");
        if rename && s.masters.contains_key(&*String::from_utf8_lossy(&args[2])) {
            renames.push(line);
        }
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let mut out = String::new();
    for l in kept {
        out.push_str(l);
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str("# Generated by CONFIG REWRITE\n");
    for l in render_block(s) {
        out.push_str(&l);
        out.push('\n');
    }
    for l in renames {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Rewrite `path` with the current state: temp file beside it, fsync, rename, fsync the dir.
pub fn flush(path: &Path, s: &Sentinel) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let text = rewrite_text(&old, s);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sentinel.conf".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        // Keep the original file's permissions.
        if let Ok(meta) = std::fs::metadata(path) {
            let _ = std::fs::set_permissions(&tmp, meta.permissions());
        }
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<SentinelLine> {
        text.lines()
            .enumerate()
            .filter_map(|(i, l)| {
                let args: Vec<String> = l.split_whitespace().map(String::from).collect();
                (args.len() > 1).then(|| SentinelLine {
                    args: args[1..].to_vec(),
                    file: "s.conf".into(),
                    line: i + 1,
                    text: l.into(),
                })
            })
            .collect()
    }

    fn loaded(text: &str) -> Result<Sentinel, ConfigError> {
        let mut s = Sentinel::new(String::new(), 26379);
        load(&mut s, &lines(text), 1000).map(|_| s)
    }

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
        let e = loaded("sentinel monitor m 127.0.0.1 7001 0").unwrap_err();
        assert_eq!((e.line, e.msg.as_str()), (1, "Quorum must be 1 or greater."));
        let e = loaded("x\nsentinel down-after-milliseconds nope 10").unwrap_err();
        assert_eq!((e.line, e.msg.as_str()), (2, NO_MASTER));
        let e = loaded("sentinel bogus 1").unwrap_err();
        assert_eq!(e.msg, "Unrecognized sentinel configuration statement.");
        let e = loaded("sentinel myid abc").unwrap_err();
        assert_eq!(e.msg, "Malformed Sentinel id in myid option.");
        let e = loaded("sentinel monitor m h 7001 1\nsentinel failover-timeout m 0").unwrap_err();
        assert_eq!(e.msg, "negative or zero time parameter.");
        let e = loaded("sentinel resolve-hostnames maybe").unwrap_err();
        assert_eq!(
            e.msg,
            "Please specify yes or no for the resolve-hostnames option."
        );
    }

    #[test]
    fn rewrite_round_trips_and_keeps_other_lines() {
        let text = format!(
            "port 26380\nsentinel monitor m 127.0.0.1 7001 2\nsentinel myid {ID}\n\
             sentinel known-replica m 127.0.0.1 7002\nsentinel auth-pass m \"a b\"\n"
        );
        let mut s = loaded(&text).unwrap();
        s.current_epoch = 7;
        let out = rewrite_text(&text, &s);
        assert!(out.starts_with("port 26380\n"));
        assert!(out.contains("sentinel current-epoch 7\n"));
        assert!(out.contains("sentinel auth-pass m \"a b\"\n"));
        let again: Vec<SentinelLine> = out
            .lines()
            .enumerate()
            .filter_map(|(i, l)| {
                let a = crate::util::split_args(l.as_bytes())?;
                let a: Vec<String> = a
                    .iter()
                    .map(|x| String::from_utf8_lossy(x).into_owned())
                    .collect();
                (a.len() > 1 && a[0] == "sentinel").then(|| SentinelLine {
                    args: a[1..].to_vec(),
                    file: String::new(),
                    line: i + 1,
                    text: l.into(),
                })
            })
            .collect();
        let mut s2 = Sentinel::new(String::new(), 1);
        load(&mut s2, &again, 0).unwrap();
        assert_eq!(s2.myid, ID);
        assert_eq!(s2.current_epoch, 7);
        assert_eq!(s2.masters["m"].auth_pass.as_deref(), Some("a b"));
        assert_eq!(rewrite_text(&out, &s2), out);
    }
}
