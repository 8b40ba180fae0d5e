//! REPLICAOF / SLAVEOF (follow a master, or `NO ONE` to become a master again) and ROLE, with
//! Redis 7.0's replies. The handlers only change `srv.role.replica` (through `node::follow`); the
//! event loop notices and opens or drops the socket.
use crate::node::follow::{set_master, unset_master};
use crate::resp::Reply;
use crate::server::client::ClientKind;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, Server};
use crate::util::eq_ic;
use log::info;

fn replicaof(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if ctx.client.kind == ClientKind::Replica {
        return Reply::err("ERR Command is not valid when client is a replica.");
    }
    let who = format!("id={} addr={}", ctx.client.id, ctx.client.addr);
    if eq_ic(&a[1], "no") && eq_ic(&a[2], "one") {
        if ctx.srv.role.replica.is_some() {
            unset_master(ctx.srv);
            info!("MASTER MODE enabled (user request from '{who}')");
        }
        return Reply::Ok;
    }
    let port = std::str::from_utf8(&a[2])
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|p| (0..=65535).contains(p));
    let Some(port) = port else {
        return Reply::err("ERR Invalid master port");
    };
    let host = String::from_utf8_lossy(&a[1]).into_owned();
    if let Some(r) = &ctx.srv.role.replica {
        if r.link.host.eq_ignore_ascii_case(&host) && r.link.port as i64 == port {
            info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            return Reply::status("OK Already connected to specified master");
        }
    }
    set_master(ctx.srv, &host, port as u16);
    info!("REPLICAOF {host}:{port} enabled (user request from '{who}')");
    Reply::Ok
}

/// ROLE of a replica (`slave`, master host and port, link state, offset); None on a master.
pub fn replica_role(srv: &Server) -> Option<Reply> {
    srv.role.replica.as_ref().map(|r| {
        Reply::Array(vec![
            Reply::bulk("slave"),
            Reply::bulk(r.link.host.as_bytes()),
            Reply::Int(r.link.port as i64),
            Reply::bulk(r.link.role_state()),
            Reply::Int(if r.link.is_up() { r.link.offset } else { -1 }),
        ])
    })
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "replicaof",
        arity: 3,
        flags: ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        acl: &["admin", "slow", "dangerous"],
        handler: replicaof,
        ..BASE
    },
    Command {
        name: "slaveof",
        arity: 3,
        flags: ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        acl: &["admin", "slow", "dangerous"],
        handler: replicaof,
        ..BASE
    },
];
