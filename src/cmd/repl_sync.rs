//! SYNC, PSYNC and REPLCONF: a replica attaching to this master, continuing from the backlog
//! or waiting for a full resync (the master core decides, `node::master_sync` executes), and
//! the REPLCONF options a replica announces (listening port, capabilities, ACKs).
use crate::node::master_sync::run_actions;
use crate::repl::master::core::{Knobs, PsyncOutcome, ReplicaId, Stream, SyncRequest};
use crate::resp::Reply;
use crate::server::client::ClientKind;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::Ctx;
use crate::util::eq_ic;

pub const COMMANDS: &[Command] = &[
    Command {
        name: "sync",
        arity: 1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        acl: &["admin", "slow", "dangerous"],
        handler: sync,
        ..BASE
    },
    Command {
        name: "psync",
        arity: -3,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        acl: &["admin", "slow", "dangerous"],
        handler: psync,
        ..BASE
    },
    Command {
        name: "replconf",
        arity: -1,
        flags: ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        acl: &["admin", "slow", "dangerous"],
        handler: replconf,
        ..BASE
    },
];

fn sync(ctx: &mut Ctx, _args: &mut Args) -> Reply {
    attach(ctx, None)
}

fn psync(ctx: &mut Ctx, args: &mut Args) -> Reply {
    let replid = String::from_utf8_lossy(&args[1]).into_owned();
    let offset = std::str::from_utf8(&args[2])
        .ok()
        .and_then(|s| s.parse::<i64>().ok());
    attach(ctx, Some((replid, offset.unwrap_or(-1))))
}

fn attach(ctx: &mut Ctx, psync: Option<(String, i64)>) -> Reply {
    if ctx.client.kind == ClientKind::Replica {
        return Reply::None;
    }
    if ctx.client.multi.is_some() {
        return Reply::err("ERR Replica can't be in the middle of a transaction");
    }
    if ctx
        .srv
        .role
        .replica
        .as_ref()
        .is_some_and(|r| !r.link.is_up())
    {
        return Reply::err("NOMASTERLINK Can't SYNC while not connected with my master");
    }
    let srv = &mut *ctx.srv;
    let addr = ctx.client.addr.clone();
    let req = SyncRequest {
        replica: ReplicaId {
            token: ctx.client.token,
            client_id: ctx.client.id,
        },
        peer_ip: addr.rsplit_once(':').map(|(ip, _)| ip),
        psync: psync.as_ref().map(|(id, off)| (id.as_str(), *off)),
    };
    let replid = srv.role.replid.clone();
    let stream = Stream {
        replid: &replid,
        offset: srv.role.master_repl_offset,
    };
    if srv.role.master.psync(&req, stream, ctx.now) == PsyncOutcome::Continue {
        ctx.client.kind = ClientKind::Replica;
        run_actions(srv, Some(ctx.client));
        return Reply::None;
    }
    if srv.role.replica.is_some() {
        // A replica serves its master's history: same id, its backlog (already there once
        // its link came up).
        crate::node::ids::ensure_backlog(srv);
    }
    if srv.role.master.backlog.is_none() {
        srv.role.replid = crate::util::random_hex40();
        let size = srv.config.repl_backlog_size as usize;
        srv.role
            .master
            .create_backlog(size, srv.role.master_repl_offset, &srv.role.replid);
        for db in srv.role.keyspace.dbs.iter_mut() {
            db.expired_log = Some(Vec::new());
        }
    }
    ctx.client.kind = ClientKind::Replica;
    let stream = Stream {
        replid: &srv.role.replid,
        offset: srv.role.master_repl_offset,
    };
    let knobs = Knobs::from_config(&srv.config);
    let child = srv.role.persist.child.is_some();
    srv.role
        .master
        .attach_full(&req, stream, &knobs, child, ctx.now);
    run_actions(srv, Some(ctx.client));
    Reply::None
}

fn replconf(ctx: &mut Ctx, args: &mut Args) -> Reply {
    if args.len() % 2 == 0 {
        return Reply::err("ERR syntax error");
    }
    let mut i = 1;
    while i + 1 < args.len() {
        let (opt, val) = (&args[i], &args[i + 1]);
        if eq_ic(opt, "listening-port") {
            let Some(port) = std::str::from_utf8(val)
                .ok()
                .and_then(|s| s.parse::<u16>().ok())
            else {
                return Reply::err("ERR value is out of range");
            };
            announced(ctx).0 = port;
        } else if eq_ic(opt, "ip-address") {
            let ip = String::from_utf8_lossy(val).into_owned();
            announced(ctx).1 = Some(ip);
        } else if eq_ic(opt, "capa") {
            if eq_ic(val, "eof") {
                ctx.srv.role.master.capa_eof.insert(ctx.client.id);
            }
        } else if eq_ic(opt, "rdb-only") {
            // Only used by redis-cli --rdb; the payload is the same.
        } else if eq_ic(opt, "ack") || eq_ic(opt, "fack") {
            if eq_ic(opt, "ack") {
                let off = std::str::from_utf8(val)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok());
                let replica = ReplicaId {
                    token: ctx.client.token,
                    client_id: ctx.client.id,
                };
                ctx.srv.role.master.ack(replica, off, ctx.now);
                run_actions(ctx.srv, Some(ctx.client));
            }
            return Reply::None;
        } else if eq_ic(opt, "getack") {
            return Reply::None;
        } else {
            return Reply::Error(format!(
                "ERR Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(opt)
            ));
        }
        i += 2;
    }
    Reply::Ok
}

/// The address a replica announced with REPLCONF listening-port / ip-address.
fn announced<'a>(ctx: &'a mut Ctx) -> &'a mut (u16, Option<String>) {
    ctx.srv
        .role
        .master
        .announced
        .entry(ctx.client.id)
        .or_default()
}
