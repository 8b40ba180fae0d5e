//! The one entry point that runs a command: `execute` checks it (arity, auth, the refusals a
//! replica, a failed save or a loading dataset impose), queues it inside MULTI, or calls its
//! handler and applies the effects: propagation to replicas, wake-ups of blocked clients and
//! WATCH invalidation, stats. Client input, EXEC, the replica applying its master's stream and
//! blocked clients being served all come through here; it decodes nothing and writes no socket.
//! A sentinel's commands come through `execute_sentinel`: the checks and stats both roles share
//! (`admit`, `pubsub_context`, `finish`), and none of a data node's.
pub mod stream;
pub mod wake;

use crate::resp::Reply;
use crate::sentinel::Sentinel;
use crate::server::client::{self, Client};
use crate::server::command::{self, flags, Args, Command, NOT_IMPLEMENTED};
use crate::server::{
    blocking, cmd_stats, count_error, multi, resolve_full, stat_name, Ctx, Resolved, Server,
};

/// Check and run one command for `client`, returning its reply. Inside MULTI the command is
/// queued instead (see `multi`); a subscribed RESP2 client may only run the Pub/Sub commands.
pub fn execute(srv: &mut Server, client: &mut Client, args: &mut Args) -> Reply {
    let resolved = match check(srv, client, args) {
        Ok(r) => r,
        Err((e, charged)) => return reject(srv, client, e, charged),
    };
    if !client.no_block {
        note_call(client, resolved);
        if client.multi.is_some() && !resolved.0.has(flags::TX_CONTROL) {
            let cmd = resolved.1.unwrap_or(resolved.0);
            if let Some(m) = client.multi.as_mut() {
                m.flags |= cmd.flags;
                m.mem += args.iter().map(|a| a.len() + 8).sum::<usize>();
                m.cmds.push(std::mem::take(args));
            }
            return Reply::status("QUEUED");
        }
    }
    call(srv, client, resolved, args)
}

/// Check and run one command for a sentinel's client, returning its reply: it must exist with
/// the right arity, the client be authenticated and, subscribed with RESP2, run only the Pub/Sub
/// commands. A sentinel has no MULTI, no dataset and no replicas.
pub fn execute_sentinel(srv: &mut Server<Sentinel>, client: &mut Client, args: &mut Args) -> Reply {
    let resolved = match admit(srv, client, args).and_then(|r| pubsub_context(client, r)) {
        Ok(r) => r,
        Err((e, charged)) => {
            if let Some(r) = charged {
                cmd_stats(srv, r).rejected_calls += 1;
            }
            if let Reply::Error(msg) = &e {
                count_error(srv, msg);
            }
            return e;
        }
    };
    note_call(client, resolved);
    let errors_before = srv.stats.total_error_replies;
    let now = srv.now_ms;
    let reply = match resolved.1.unwrap_or(resolved.0).sentinel {
        Some(handler) => handler(&mut Ctx { srv, client, now }, args),
        None => Reply::err(NOT_IMPLEMENTED),
    };
    finish(srv, client, resolved, &reply, false, errors_before);
    reply
}

/// The command's name, for CLIENT LIST's `cmd=`. Inlined (as `pubsub_context`): shared by the
/// two roles' paths, it would otherwise be a call per command on a data node's hot path.
#[inline(always)]
fn note_call(client: &mut Client, resolved: Resolved) {
    client.last_cmd.clear();
    match resolved {
        (top, None) => client.last_cmd.push_str(top.name),
        (top, Some(sub)) => {
            client.last_cmd.push_str(top.name);
            client.last_cmd.push('|');
            client.last_cmd.push_str(sub.name);
        }
    }
}

type Rejection = (Reply, Option<Resolved>);

/// What every role checks first: that the command exists with the right arity, and that the
/// client is authenticated.
#[inline]
fn admit<R>(srv: &Server<R>, client: &Client, args: &Args) -> Result<Resolved, Rejection> {
    let resolved = resolve_full(srv, args)?;
    let cmd = resolved.1.unwrap_or(resolved.0);
    if srv.auth_required(client) && !cmd.has(flags::NO_AUTH) {
        return Err((
            Reply::err("NOAUTH Authentication required."),
            Some(resolved),
        ));
    }
    Ok(resolved)
}

/// A subscribed RESP2 client may run only the Pub/Sub commands.
#[inline(always)]
fn pubsub_context(client: &Client, resolved: Resolved) -> Result<Resolved, Rejection> {
    if client.resp == 2
        && client.kind == client::ClientKind::PubSub
        && !client.no_block
        && !resolved.0.has(flags::PUBSUB_CONTEXT)
    {
        return Err((
            Reply::Error(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                stat_name(resolved)
            )),
            Some(resolved),
        ));
    }
    Ok(resolved)
}

/// Everything checked before a command may run or be queued: that it exists with the right
/// arity, authentication, the refusals of a failed save, missing replicas, a read-only or
/// disconnected replica, the subscribed-client restriction, and loading.
fn check(srv: &Server, client: &Client, args: &Args) -> Result<Resolved, Rejection> {
    let resolved = admit(srv, client, args)?;
    let cmd = resolved.1.unwrap_or(resolved.0);
    if let Some(b) = &srv.role.scripts.busy {
        if client.id != srv.role.scripts.running_client && !cmd.has(flags::ALLOW_BUSY) {
            return Err((
                Reply::err(crate::server::busy::busy_error(b)),
                Some(resolved),
            ));
        }
    }
    if !client.no_block
        && crate::node::persist::writes_denied(srv)
        && denied_on_disk_error(client, resolved)
    {
        return Err((Reply::err(crate::persist::MISCONF_ERR), Some(resolved)));
    }
    if srv.config.min_replicas_to_write > 0
        && is_write_command(client, resolved)
        && !crate::node::master_sync::enough_good_replicas(srv)
    {
        return Err((
            Reply::err(crate::repl::master::NOREPLICAS_ERR),
            Some(resolved),
        ));
    }
    if srv.role.replica.is_some()
        && srv.config.replica_read_only
        && client.kind != client::ClientKind::Master
        && is_write_command(client, resolved)
    {
        return Err((
            Reply::err("READONLY You can't write against a read only replica."),
            Some(resolved),
        ));
    }
    if srv.role.replica.as_ref().is_some_and(|r| !r.link.is_up())
        && !srv.config.replica_serve_stale_data
        && !cmd.has(flags::STALE)
    {
        return Err((
            Reply::err(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ),
            Some(resolved),
        ));
    }
    pubsub_context(client, resolved)?;
    if crate::node::persist::is_loading(srv) && !cmd.has(flags::LOADING) {
        return Err((Reply::err(crate::persist::LOADING_ERR), Some(resolved)));
    }
    Ok(resolved)
}

/// Commands refused with -MISCONF when the last background save failed: writes, an EXEC of
/// queued writes, and (as in Redis) PING (DENY_ON_DISK_ERROR).
fn denied_on_disk_error(client: &Client, resolved: Resolved) -> bool {
    resolved.0.has(flags::DENY_ON_DISK_ERROR) || is_write_command(client, resolved)
}

/// Writes, and an EXEC of queued writes (refused on a read-only replica).
fn is_write_command(client: &Client, (top, sub): Resolved) -> bool {
    sub.unwrap_or(top).is_write()
        || (top.has(flags::EXEC_QUEUED)
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.flags & flags::WRITE != 0))
}

/// A command refused before running: count it, flag an open transaction (its EXEC will
/// fail), and turn the refusal of EXEC itself into the EXECABORT Redis replies.
fn reject(srv: &mut Server, client: &mut Client, e: Reply, charged: Option<Resolved>) -> Reply {
    if let Some(r) = charged {
        cmd_stats(srv, r).rejected_calls += 1;
    }
    if client.no_block {
        if let Reply::Error(msg) = &e {
            count_error(srv, msg);
        }
        return e;
    }
    if let Some(m) = client.multi.as_mut() {
        m.dirty_exec = true;
    }
    let e = match (&e, charged) {
        (Reply::Error(msg), Some((top, _))) if top.has(flags::EXEC_QUEUED) => {
            multi::discard(srv, client);
            let why = msg.strip_prefix("ERR ").unwrap_or(msg);
            Reply::Error(format!("EXECABORT Transaction discarded because of: {why}"))
        }
        _ => e,
    };
    if let Reply::Error(msg) = &e {
        count_error(srv, msg);
    }
    e
}

/// Run a checked command: the handler, then the after-write hooks and the stats. EXEC runs
/// its queued commands through `execute` with `client.no_block` set, which lands here.
fn call(srv: &mut Server, client: &mut Client, resolved: Resolved, args: &mut Args) -> Reply {
    let cmd = resolved.1.unwrap_or(resolved.0);
    let now = srv.now_ms;
    let dirty_before = srv.role.dirty;
    let errors_before = srv.stats.total_error_replies;
    // Handlers may take their arguments: copy the keys first when someone waits on writes.
    // A read-only command with a propagation hook that applies may still change its keys
    // (PFCOUNT refreshing a cached cardinality): it is handled as a write once it did.
    let may_write = cmd.is_write() || cmd.propagate.is_some_and(|p| (p.when)(args));
    let keys = if may_write && !(srv.role.blocking.is_empty() && srv.role.watched.is_empty()) {
        Some(keys_before(cmd, args))
    } else {
        None
    };
    // Handlers may take their arguments: keep them for replication.
    let forced = crate::node::propagate::always(srv, client, cmd);
    let repl_args = ((may_write || forced) && crate::node::propagate::active(srv))
        .then(|| crate::node::propagate::keep(srv, cmd, args));
    let mode = match (srv.role.replica.is_some(), client.kind) {
        (false, _) => crate::db::ExpiryMode::Delete,
        (true, client::ClientKind::Master) => crate::db::ExpiryMode::Keep,
        (true, _) => crate::db::ExpiryMode::Hide,
    };
    srv.role.keyspace.set_expiry_mode(mode);
    let offset_before = srv.role.master_repl_offset;
    let reply = {
        let mut ctx = Ctx { srv, client, now };
        (cmd.handler)(&mut ctx, args)
    };
    if let Some(orig) = repl_args {
        if srv.role.dirty != dirty_before || forced {
            crate::node::propagate::command(srv, client.db, cmd, orig, &reply);
        } else {
            crate::node::propagate::discard(srv, orig);
        }
    }
    srv.role.also_propagate.clear();
    // Inside EXEC (no_block) the offset is taken when EXEC itself ends, as Redis propagates
    // a transaction as a whole: a WAIT queued in it counts acks for the writes before it.
    if srv.role.master_repl_offset != offset_before && !client.no_block {
        client.woff = srv.role.master_repl_offset;
    }
    if srv.role.dirty != dirty_before {
        if let Some(keys) = &keys {
            after_write(srv, client.db, cmd, args, keys);
        }
    }
    let just_blocked = client.blocked.is_some() && !client.reexec;
    if just_blocked {
        blocking::note_args(client, args);
    }
    let expired = srv.role.keyspace.take_expired();
    if expired > 0 {
        srv.stats.expired_keys += expired;
        if !srv.role.watched.is_empty() {
            // Keys the command found expired and deleted: a change for their watchers.
            for i in command::key_positions(cmd, args) {
                multi::note_expired(srv, client.db, &args[i]);
            }
        }
    }
    finish(srv, client, resolved, &reply, just_blocked, errors_before);
    reply
}

/// A command's handler returned `reply`: time it and count the call, its failure and its
/// error (`errors_before`: the error replies counted before the handler ran).
fn finish<R>(
    srv: &mut Server<R>,
    client: &Client,
    resolved: Resolved,
    reply: &Reply,
    just_blocked: bool,
    errors_before: u64,
) {
    // One clock read per command: this command's end is the next one's start (clock reads
    // are syscalls on some VMs, and a pipelined batch runs back to back).
    let end = std::time::Instant::now();
    let usec = end.duration_since(srv.cmd_clock).as_micros() as u64;
    srv.cmd_clock = end;
    // Like Redis, a command fails when it replied an error to anyone (CLIENT UNBLOCK ... ERROR
    // sends one to the client it unblocks).
    let failed = reply.is_error() || srv.stats.total_error_replies != errors_before;
    let st = cmd_stats(srv, resolved);
    // A command that blocked is counted once, when it is finally served.
    st.calls += !just_blocked as u64;
    st.usec += usec;
    st.failed_calls += failed as u64;
    if let Reply::Error(e) = reply {
        count_error(srv, e);
    }
    srv.stats.total_commands_processed += !client.reexec as u64;
}

/// The key arguments of a write command (position and copy), taken before its handler runs.
fn keys_before(cmd: &Command, args: &Args) -> Vec<(usize, Vec<u8>)> {
    command::key_positions(cmd, args)
        .into_iter()
        .map(|i| (i, args[i].clone()))
        .collect()
}

/// A command changed the data set: wake clients blocked on the keys it wrote and invalidate
/// WATCHes of those keys (`keys`: the key arguments as they were before the handler ran).
/// Commands that write outside the client's database (MOVE, COPY ... DB, SWAPDB, FLUSHALL)
/// re-check every blocked key and touch the watched keys they affect.
fn after_write(srv: &mut Server, db: usize, cmd: &Command, args: &Args, keys: &[(usize, Vec<u8>)]) {
    if srv.role.blocking.is_empty() && srv.role.watched.is_empty() {
        return;
    }
    if cmd.has(flags::ALL_DBS) {
        blocking::signal_all(srv);
        let mut restored = args.clone();
        for (i, k) in keys {
            if let Some(slot) = restored.get_mut(*i) {
                slot.clone_from(k);
            }
        }
        multi::touch_command(srv, db, cmd, &restored);
        return;
    }
    for (_, k) in keys {
        blocking::signal_key(srv, db, k);
        multi::touch_key(srv, db, k);
    }
}
