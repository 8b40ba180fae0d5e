//! Command propagation: every write that changed the data set is appended, in RESP multibulk
//! form, to the backlog and to each replica, preceded by SELECT when the database changes.
//! Commands whose effect depends on the master's clock or randomness go out in deterministic
//! forms as Redis 7.0 sends them (relative TTLs become absolute `PXAT`/`PEXPIREAT`, INCRBYFLOAT
//! becomes SET, SPOP becomes SREM, served blocking pops their non-blocking form): each such
//! command's table entry carries its propagation hook (`Command::propagate`), asked here. Keys
//! removed by expiry are sent as DEL, so replicas never expire keys on their own.
use crate::repl::master::core::FeedTarget;
use crate::resp::encode::command_into;
use crate::resp::Reply;
use crate::server::command::flags::FORCE_REPL;
use crate::server::command::{Command, PropagateCtx, Propagation};
use crate::server::Server;

/// A write command's arguments kept for propagation before its handler runs (handlers may
/// take them): already encoded when the command goes out unchanged, as arguments when it
/// may be rewritten.
pub enum Kept {
    Args(Vec<Vec<u8>>),
    Encoded(Vec<u8>),
}

/// Keep `args` of a write about to run, for `command` (or `discard`) afterwards.
pub fn keep(srv: &mut Server, cmd: &Command, args: &[Vec<u8>]) -> Kept {
    if cmd.propagate.is_some_and(|p| (p.when)(args)) {
        return Kept::Args(args.to_vec());
    }
    let mut b = std::mem::take(&mut srv.role.master.scratch);
    b.clear();
    command_into(&mut b, args);
    Kept::Encoded(b)
}

/// The write changed nothing: propagate only pending expiry DELs.
pub fn discard(srv: &mut Server, kept: Kept) {
    expired(srv);
    if let Kept::Encoded(b) = kept {
        srv.role.master.scratch = b;
    }
}

/// Commands Redis propagates to replicas although they change no data (FORCE_REPL): PUBLISH
/// and SPUBLISH reach the replicas' subscribers this way (sentinels and clients listening on
/// a replica). A replica forwards only what its master sent, never its own clients' messages.
pub fn always(srv: &Server, client: &crate::server::client::Client, cmd: &Command) -> bool {
    cmd.has(FORCE_REPL)
        && (srv.role.replica.is_none() || client.kind == crate::server::client::ClientKind::Master)
}

/// Whether this node propagates its own writes (a master with a backlog, which exists once a
/// replica attached), unless a running script turned it off (`redis.set_repl`). A replica
/// passes on its master's stream instead.
#[inline]
pub fn active(srv: &Server) -> bool {
    srv.role.master.backlog.is_some()
        && srv.role.replica.is_none()
        && (srv.role.scripts.running_client == 0
            || srv.role.scripts.repl & crate::lua::REPL_REPLICA != 0)
}

/// Feed raw stream bytes to the backlog and the replicas. A replica feeds nothing of its
/// own: it passes on its master's stream (`feed_stream`), as Redis does.
pub fn feed(srv: &mut Server, bytes: &[u8]) {
    if srv.role.replica.is_none() {
        feed_stream(srv, bytes);
    }
}

/// Append stream bytes to the backlog and send them to every attached replica: the master
/// core (`Master::feed`) records them and buffers them for syncing replicas; here they go
/// into the online replicas' output buffers, and the per-client output-buffer limits apply.
pub fn feed_stream(srv: &mut Server, bytes: &[u8]) {
    let Some(fed) = srv.role.master.feed(bytes) else {
        return;
    };
    srv.role.master_repl_offset = fed.offset;
    for target in fed {
        match target {
            FeedTarget::Held { replica, held } => {
                // The stream held back during the transfer counts against the replica's
                // output buffer limit, as in Redis.
                if let Some(c) = srv.clients.get_mut(replica.token) {
                    crate::server::obuf::enforce_with(
                        &srv.config,
                        &mut srv.stats,
                        c,
                        srv.now_ms,
                        held,
                    );
                }
            }
            FeedTarget::Send(replica) => {
                if let Some(c) = srv.clients.get_mut(replica.token) {
                    if c.close_asap {
                        continue;
                    }
                    c.out.extend_from_slice(bytes);
                    if !c.pending_write {
                        c.pending_write = true;
                        srv.pending_writes.push(replica.token);
                    }
                    crate::server::obuf::enforce(&srv.config, &mut srv.stats, c, srv.now_ms);
                }
            }
        }
    }
}

/// Propagate one command executed against database `db`. The first write of a transaction is
/// preceded by MULTI, so replicas apply the transaction whole, as Redis 7.0 propagates it.
pub fn propagate_args(srv: &mut Server, db: usize, args: &[Vec<u8>]) {
    let mut out = Vec::with_capacity(64);
    preamble(srv, db, &mut out);
    command_into(&mut out, args);
    feed(srv, &out);
}

/// What must precede a command for database `db`: SELECT when the database changes, MULTI
/// before the first write of a transaction.
fn preamble(srv: &mut Server, db: usize, out: &mut Vec<u8>) {
    if srv.role.master.last_db != Some(db) {
        command_into(
            out,
            &[
                b"SELECT" as &[u8],
                itoa::Buffer::new().format(db).as_bytes(),
            ],
        );
        srv.role.master.last_db = Some(db);
    }
    if srv.role.master.exec_wrap == Some(false) {
        command_into(out, &[b"MULTI"]);
        srv.role.master.exec_wrap = Some(true);
    }
}

/// EXEC starts running a transaction's commands.
pub fn exec_begin(srv: &mut Server) {
    srv.role.master.exec_wrap = Some(false);
}

/// EXEC has run them: close the MULTI if any write was propagated.
pub fn exec_end(srv: &mut Server) {
    if srv.role.master.exec_wrap.take() == Some(true) {
        let mut out = Vec::with_capacity(16);
        command_into(&mut out, &[b"EXEC"]);
        feed(srv, &out);
    }
}

/// Keys deleted by lazy or active expiry since the last call, propagated as DEL.
pub fn expired(srv: &mut Server) {
    for i in 0..srv.role.keyspace.dbs.len() {
        let keys = match srv.role.keyspace.dbs[i].expired_log.as_mut() {
            Some(log) if log.is_empty() => continue,
            Some(log) => std::mem::take(log),
            // A database replaced (FLUSHALL, SWAPDB, reload) starts recording again.
            None => {
                srv.role.keyspace.dbs[i].expired_log = Some(Vec::new());
                continue;
            }
        };
        for k in keys {
            propagate_args(srv, i, &[b"DEL".to_vec(), k]);
        }
    }
}

/// A write command changed the data set: propagate it (rewritten where needed). `kept` holds
/// the arguments as the client sent them, `reply` is what the command answered.
pub fn command(srv: &mut Server, db: usize, cmd: &Command, kept: Kept, reply: &Reply) {
    expired(srv);
    let args = match kept {
        Kept::Args(a) => a,
        Kept::Encoded(b) => {
            if srv.role.master.last_db != Some(db) || srv.role.master.exec_wrap == Some(false) {
                let mut pre = Vec::with_capacity(32);
                preamble(srv, db, &mut pre);
                feed(srv, &pre);
            }
            feed(srv, &b);
            srv.role.master.scratch = b;
            return;
        }
    };
    // Only commands with a propagation hook keep their arguments.
    let Some(hook) = cmd.propagate else {
        propagate_args(srv, db, &args);
        return;
    };
    let ctx = PropagateCtx { srv, db };
    match (hook.rewrite)(&ctx, &args, reply) {
        Propagation::AsCalled => propagate_args(srv, db, &args),
        Propagation::Instead(a) => propagate_args(srv, db, &a),
        Propagation::Nothing => {}
        Propagation::Also => {
            let cmds = std::mem::take(&mut srv.role.also_propagate);
            let wrap = cmds.len() > 1 && srv.role.master.exec_wrap.is_none();
            if wrap {
                exec_begin(srv);
            }
            for a in &cmds {
                propagate_args(srv, db, a);
            }
            if wrap {
                exec_end(srv);
            }
        }
    }
}
