//! What a sentinel tells about its state, shaped as redis-sentinel 7.0 replies it: the field
//! maps of SENTINEL MASTER / REPLICAS / SENTINELS (names, order, bulk values), the flags string,
//! the `# Sentinel` INFO section and the CKQUORUM verdict. Read-only views of `state`.
use super::core::Sentinel;
use super::state::{FailoverState, Instance, MasterRecord, Role};
use crate::resp::Reply;
use std::fmt::Write as _;

/// Redis's comma-separated flags string, in its order.
pub fn flags(i: &Instance) -> String {
    let f = &i.flags;
    let mut v: Vec<&str> = Vec::new();
    if f.s_down {
        v.push("s_down");
    }
    if f.o_down {
        v.push("o_down");
    }
    v.push(match i.role {
        Role::Master => "master",
        Role::Replica => "slave",
        Role::Sentinel => "sentinel",
    });
    if i.link.disconnected(i.role) {
        v.push("disconnected");
    }
    let rest = [
        (f.master_down, "master_down"),
        (f.failover_in_progress, "failover_in_progress"),
        (f.promoted, "promoted"),
        (f.reconf_sent, "reconf_sent"),
        (f.reconf_inprog, "reconf_inprog"),
        (f.reconf_done, "reconf_done"),
        (f.force_failover, "force_failover"),
        (f.script_kill_sent, "script_kill_sent"),
    ];
    v.extend(rest.iter().filter(|(on, _)| *on).map(|(_, n)| *n));
    v.join(",")
}

fn b(s: &str) -> Reply {
    Reply::bulk(s.as_bytes())
}

fn n(v: i64) -> Reply {
    Reply::bulk(v.to_string().into_bytes())
}

/// The fields every instance reply starts with, up to `down-after-milliseconds`.
fn common(i: &Instance, fo: Option<FailoverState>, now: i64, hn: bool) -> Vec<(Reply, Reply)> {
    let l = &i.link;
    let name = match (i.role, &i.runid) {
        (Role::Sentinel, Some(id)) => id.as_str(),
        _ => i.name.as_str(),
    };
    let mut m = vec![
        (b("name"), b(name)),
        (b("ip"), b(i.shown(hn))),
        (b("port"), n(i.port as i64)),
        (b("runid"), b(i.runid.as_deref().unwrap_or(""))),
        (b("flags"), b(&flags(i))),
        (b("link-pending-commands"), n(l.pending_commands as i64)),
        (b("link-refcount"), n(1)),
    ];
    if let Some(st) = fo.filter(|_| i.flags.failover_in_progress) {
        m.push((b("failover-state"), b(st.name())));
    }
    let since = |t: i64| if t != 0 { now - t } else { 0 };
    m.push((b("last-ping-sent"), n(since(l.act_ping_time))));
    m.push((b("last-ok-ping-reply"), n(now - l.last_avail_time)));
    m.push((b("last-ping-reply"), n(now - l.last_pong_time)));
    if i.flags.s_down {
        m.push((b("s-down-time"), n(now - i.s_down_since)));
    }
    if i.flags.o_down {
        m.push((b("o-down-time"), n(now - i.o_down_since)));
    }
    m.push((b("down-after-milliseconds"), n(i.down_after_ms)));
    if i.role != Role::Sentinel {
        m.push((b("info-refresh"), n(since(i.info_refresh))));
        let rr = if i.role_reported == Role::Master {
            "master"
        } else {
            "slave"
        };
        m.push((b("role-reported"), b(rr)));
        m.push((b("role-reported-time"), n(now - i.role_reported_time)));
    }
    m
}

/// SENTINEL MASTER <name>.
/// `hn`: announce-hostnames (the `ip` field shows host names).
pub fn master(m: &MasterRecord, now: i64, hn: bool) -> Reply {
    let mut f = common(&m.inst, Some(m.failover_state), now, hn);
    f.push((b("config-epoch"), n(m.inst.config_epoch as i64)));
    f.push((b("num-slaves"), n(m.replicas.len() as i64)));
    f.push((b("num-other-sentinels"), n(m.sentinels.len() as i64)));
    f.push((b("quorum"), n(m.quorum as i64)));
    f.push((b("failover-timeout"), n(m.failover_timeout)));
    f.push((b("parallel-syncs"), n(m.parallel_syncs as i64)));
    if let Some(s) = &m.notification_script {
        f.push((b("notification-script"), b(s)));
    }
    if let Some(s) = &m.client_reconfig_script {
        f.push((b("client-reconfig-script"), b(s)));
    }
    Reply::Map(f)
}

/// One entry of SENTINEL REPLICAS.
pub fn replica(r: &Instance, now: i64, hn: bool) -> Reply {
    let mut f = common(r, None, now, hn);
    let status = if r.slave_master_link_status_up {
        "ok"
    } else {
        "err"
    };
    f.push((b("master-link-down-time"), n(r.master_link_down_time)));
    f.push((b("master-link-status"), b(status)));
    f.push((
        b("master-host"),
        b(r.slave_master_host.as_deref().unwrap_or("?")),
    ));
    f.push((b("master-port"), n(r.slave_master_port as i64)));
    f.push((b("slave-priority"), n(r.slave_priority)));
    f.push((b("slave-repl-offset"), n(r.slave_repl_offset)));
    f.push((b("replica-announced"), n(r.replica_announced as i64)));
    Reply::Map(f)
}

/// One entry of SENTINEL SENTINELS.
pub fn sentinel(si: &Instance, now: i64, hn: bool) -> Reply {
    let mut f = common(si, None, now, hn);
    f.push((b("last-hello-message"), n(now - si.last_hello_time)));
    f.push((b("voted-leader"), b(si.leader.as_deref().unwrap_or("?"))));
    f.push((b("voted-leader-epoch"), n(si.leader_epoch as i64)));
    Reply::Map(f)
}

/// SENTINEL CKQUORUM: `Ok(usable)` or the NOQUORUM error text.
pub fn ckquorum(m: &MasterRecord) -> Result<usize, String> {
    let voters = m.sentinels.len() + 1;
    let usable = 1 + m
        .sentinels
        .values()
        .filter(|s| !s.flags.s_down && !s.flags.o_down)
        .count();
    let no_quorum = usable < m.quorum as usize;
    let no_auth = usable < voters / 2 + 1;
    if !no_quorum && !no_auth {
        return Ok(usable);
    }
    let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
    if no_quorum {
        e.push_str("Not enough available Sentinels to reach the specified quorum for this master");
    }
    if no_auth {
        if no_quorum {
            e.push_str(". ");
        }
        e.push_str("Not enough available Sentinels to reach the majority and authorize a failover");
    }
    Err(e)
}

/// The `# Sentinel` INFO section.
pub fn info_section(s: &Sentinel, now: i64, o: &mut String) {
    let tilt_since = if s.tilt {
        (now - s.tilt_start_time) / 1000
    } else {
        -1
    };
    let sim =
        s.simfailure_crash_after_election as u32 | (s.simfailure_crash_after_promotion as u32) << 1;
    let _ = write!(
        o,
        "# Sentinel\r\nsentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}\r\n\
         sentinel_running_scripts:{}\r\nsentinel_scripts_queue_length:{}\r\n\
         sentinel_simulate_failure_flags:{}\r\n",
        s.masters.len(),
        s.tilt as u8,
        tilt_since,
        s.scripts.running(),
        s.scripts.len(),
        sim
    );
    for (i, (name, m)) in s.masters.iter().enumerate() {
        let status = if m.inst.flags.o_down {
            "odown"
        } else if m.inst.flags.s_down {
            "sdown"
        } else {
            "ok"
        };
        let _ = write!(
            o,
            "master{i}:name={name},status={status},address={}:{},slaves={},sentinels={}\r\n",
            s.shown(&m.inst),
            m.inst.port,
            m.replicas.len(),
            m.sentinels.len() + 1
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentinel::state::MasterRecord;

    #[test]
    fn flags_in_redis_order() {
        let mut m = MasterRecord::new(1, "m", "127.0.0.1", 7001, 2, 0);
        assert_eq!(flags(&m.inst), "master,disconnected");
        m.inst.link.cmd_connected = true;
        m.inst.link.pubsub_connected = true;
        m.inst.flags.s_down = true;
        m.inst.flags.o_down = true;
        m.inst.flags.failover_in_progress = true;
        assert_eq!(flags(&m.inst), "s_down,o_down,master,failover_in_progress");
    }

    #[test]
    fn ckquorum_texts() {
        let m = MasterRecord::new(1, "m", "127.0.0.1", 7001, 2, 0);
        assert_eq!(
            ckquorum(&m).unwrap_err(),
            "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master"
        );
    }
}
