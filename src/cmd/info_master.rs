//! The master's view for introspection: the master half of INFO replication (field for field
//! as Redis 7.0) and the ROLE reply of a master.
use crate::repl::master::ReplState;
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, Server};

pub const COMMANDS: &[Command] = &[Command {
    name: "role",
    arity: 1,
    flags: NOSCRIPT | LOADING | STALE | FAST | SENTINEL,
    acl: &["admin", "fast", "dangerous"],
    handler: role,
    sentinel: Some(super::sentinel::role),
    ..BASE
}];

fn state_name(s: ReplState) -> &'static str {
    match s {
        ReplState::WaitBgsaveStart => "wait_bgsave",
        ReplState::WaitBgsaveEnd => "wait_bgsave",
        ReplState::SendBulk => "send_bulk",
        ReplState::Online => "online",
    }
}

/// The INFO replication lines of a master (each ends with CRLF), after the `# Replication`
/// header.
pub fn info_lines(srv: &Server, now: i64, o: &mut String) {
    let m = &srv.role.master;
    let mut line = |s: String| {
        o.push_str(&s);
        o.push_str("\r\n");
    };
    if srv.role.replica.is_none() {
        line("role:master".into());
    }
    line(format!("connected_slaves:{}", m.replicas.len()));
    let cfg = &srv.config;
    if cfg.min_replicas_to_write > 0 && cfg.min_replicas_max_lag > 0 {
        let good = m.good_replicas(now, cfg.min_replicas_max_lag);
        line(format!("min_slaves_good_slaves:{good}"));
    }
    for (i, r) in m.replicas.iter().enumerate() {
        line(format!(
            "slave{i}:ip={},port={},state={},offset={},lag={}",
            r.ip,
            r.listening_port,
            state_name(r.state),
            r.ack_offset,
            ((now - r.ack_ms) / 1000).max(0)
        ));
    }
    line("master_failover_state:no-failover".into());
    line(format!("master_replid:{}", srv.role.replid));
    line(format!(
        "master_replid2:{}",
        m.replid2
            .as_deref()
            .unwrap_or("0000000000000000000000000000000000000000")
    ));
    line(format!(
        "master_repl_offset:{}",
        srv.role.master_repl_offset
    ));
    line(format!("second_repl_offset:{}", m.second_repl_offset));
    match &m.backlog {
        Some(b) => {
            line("repl_backlog_active:1".into());
            line(format!("repl_backlog_size:{}", b.size()));
            line(format!(
                "repl_backlog_first_byte_offset:{}",
                b.first_byte_offset()
            ));
            line(format!("repl_backlog_histlen:{}", b.histlen()));
        }
        None => {
            line("repl_backlog_active:0".into());
            line(format!(
                "repl_backlog_size:{}",
                srv.config.repl_backlog_size
            ));
            line("repl_backlog_first_byte_offset:0".into());
            line("repl_backlog_histlen:0".into());
        }
    }
}

fn role(ctx: &mut Ctx, _args: &mut Args) -> Reply {
    let srv = &*ctx.srv;
    if let Some(r) = crate::cmd::replicaof::replica_role(srv) {
        return r;
    }
    let replicas = srv
        .role
        .master
        .replicas
        .iter()
        .map(|r| {
            Reply::Array(vec![
                Reply::bulk(r.ip.as_bytes()),
                Reply::bulk(r.listening_port.to_string().as_bytes()),
                Reply::bulk(r.ack_offset.to_string().as_bytes()),
            ])
        })
        .collect();
    Reply::Array(vec![
        Reply::bulk(b"master"),
        Reply::Int(srv.role.master_repl_offset),
        Reply::Array(replicas),
    ])
}
