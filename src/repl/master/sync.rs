//! Serving replicas: SYNC, PSYNC and REPLCONF, and the cron step that drives full resyncs
//! (one BGSAVE serves every replica waiting for it, written to disk or, with diskless sync, to
//! a pipe; `transfer` then moves the payload and the stream buffered since the fork), pings
//! the replicas, sends newline keep-alives while they wait, drops online replicas silent for
//! longer than `repl-timeout`, and frees the backlog after `repl-backlog-ttl` seconds without
//! replicas.
use super::backlog::Backlog;
use super::transfer::{self, Target};
use super::{propagate, ReplState, Replica};
use crate::resp::Reply;
use crate::server::client::{Client, ClientKind};
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, Server};
use crate::util::eq_ic;
use log::{info, warn};

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

/// `ip:port` of a replica as Redis names it in the log (its listening port once announced).
fn replica_name(srv: &Server, c: &Client) -> String {
    let ip = c.addr.rsplit_once(':').map(|(ip, _)| ip).unwrap_or("?");
    match srv.master.announced.get(&c.id) {
        Some((port, Some(aip))) => format!("{aip}:{port}"),
        Some((port, None)) => format!("{ip}:{port}"),
        None => format!("{ip}:<unknown-replica-port>"),
    }
}

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

/// Try a partial resync for `(replid, offset)`; the reason it is refused otherwise.
fn can_continue(srv: &Server, replid: &str, offset: i64) -> Result<(), String> {
    let m = &srv.master;
    let same = replid.eq_ignore_ascii_case(&srv.replid);
    let old_id = m
        .replid2
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case(replid));
    let continues = same || (old_id && offset <= m.second_repl_offset);
    if !continues {
        if replid == "?" {
            return Err(String::new());
        }
        if !old_id {
            return Err(format!(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my replication IDs are '{}' and '{}')",
                srv.replid,
                m.replid2.as_deref().unwrap_or(crate::repl::ids::ZERO_ID)
            ));
        }
        return Err(format!(
            "Partial resynchronization not accepted: Requested offset for second ID was {offset}, but I can reply up to {}",
            m.second_repl_offset
        ));
    }
    if m.backlog
        .as_ref()
        .and_then(|b| b.copy_from(offset))
        .is_none()
    {
        let mut why = format!(
            "Unable to partial resync with replica {{}} for lack of backlog (Replica request was: {offset})."
        );
        if offset > srv.master_repl_offset {
            why.push_str("\nWarning: replica {} tried to PSYNC with an offset that is greater than the master replication offset.");
        }
        return Err(why);
    }
    Ok(())
}

fn attach(ctx: &mut Ctx, psync: Option<(String, i64)>) -> Reply {
    if ctx.client.kind == ClientKind::Replica {
        return Reply::None;
    }
    if ctx.client.multi.is_some() {
        return Reply::err("ERR Replica can't be in the middle of a transaction");
    }
    if ctx.srv.replica.as_ref().is_some_and(|r| !r.link.is_up()) {
        return Reply::err("NOMASTERLINK Can't SYNC while not connected with my master");
    }
    let name = replica_name(ctx.srv, ctx.client);
    info!("Replica {name} asks for synchronization");
    if let Some((replid, offset)) = &psync {
        match can_continue(ctx.srv, replid, *offset) {
            Ok(()) => return continue_partial(ctx, &name, *offset),
            Err(why) if why.is_empty() => info!("Full resync requested by replica {name}"),
            Err(why) => {
                ctx.srv.master.sync_partial_err += 1;
                for line in why.lines() {
                    info!("{}", line.replace("{}", &name));
                }
            }
        }
    }
    let srv = &mut *ctx.srv;
    srv.master.sync_full += 1;
    if srv.replica.is_some() {
        // A replica serves its master's history: same id, its backlog (already there once
        // its link came up).
        crate::repl::ids::ensure_backlog(srv);
    }
    if srv.master.backlog.is_none() {
        srv.replid = crate::server::random_hex40();
        srv.master.replid2 = None;
        srv.master.second_repl_offset = -1;
        srv.master.backlog = Some(Backlog::new(
            srv.config.repl_backlog_size as usize,
            srv.master_repl_offset,
        ));
        srv.master.last_db = None;
        for db in srv.keyspace.dbs.iter_mut() {
            db.expired_log = Some(Vec::new());
        }
        info!(
            "Replication backlog created, my new replication IDs are '{}' and '0000000000000000000000000000000000000000'",
            srv.replid
        );
    }
    ctx.client.kind = ClientKind::Replica;
    let (port, ip) = take_announced(srv, ctx.client);
    let mut r = Replica {
        token: ctx.client.token,
        client_id: ctx.client.id,
        state: ReplState::WaitBgsaveStart,
        pending: Vec::new(),
        bulk: None,
        capa_eof: srv.master.capa_eof.remove(&ctx.client.id) && psync.is_some(),
        stream_on_ack: false,
        ip,
        listening_port: port,
        ack_offset: 0,
        ack_ms: ctx.now,
        old_sync: psync.is_none(),
    };
    match srv.master.repl_bgsave {
        Some(Target::Disk) => {
            // Join the BGSAVE running for another replica: same snapshot, same buffered stream.
            if let Some(other) = srv
                .master
                .replicas
                .iter()
                .find(|o| o.state == ReplState::WaitBgsaveEnd)
            {
                r.pending = other.pending.clone();
                r.state = ReplState::WaitBgsaveEnd;
                info!("Waiting for end of BGSAVE for SYNC");
                if !r.old_sync {
                    fullresync_line(&mut ctx.client.out, &srv.replid, srv.master.fork_offset);
                }
            }
        }
        Some(Target::Socket) => {
            info!("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
        }
        None if srv.config.repl_diskless_sync
            && r.capa_eof
            && srv.config.repl_diskless_sync_delay > 0 =>
        {
            info!("Delay next BGSAVE for diskless SYNC");
        }
        None => {}
    }
    srv.master.replicas.push(r);
    if srv.persist.child.is_none() {
        start_bgsave(srv, Some(ctx.client), ctx.now);
    } else if srv.master.repl_bgsave.is_none() {
        info!("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed");
    }
    Reply::None
}

/// The listening port and address a new replica announced (its peer address by default).
fn take_announced(srv: &mut Server, c: &Client) -> (u16, String) {
    let (port, ip) = srv.master.announced.remove(&c.id).unwrap_or((0, None));
    let ip = ip.unwrap_or_else(|| {
        c.addr
            .rsplit_once(':')
            .map(|(ip, _)| ip.to_string())
            .unwrap_or_default()
    });
    (port, ip)
}

fn fullresync_line(out: &mut Vec<u8>, replid: &str, offset: i64) {
    out.extend_from_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
}

fn continue_partial(ctx: &mut Ctx, name: &str, offset: i64) -> Reply {
    let srv = &mut *ctx.srv;
    let data = srv
        .master
        .backlog
        .as_ref()
        .and_then(|b| b.copy_from(offset))
        .unwrap_or_default();
    ctx.client.kind = ClientKind::Replica;
    let (port, ip) = take_announced(srv, ctx.client);
    ctx.client
        .out
        .extend_from_slice(format!("+CONTINUE {}\r\n", srv.replid).as_bytes());
    ctx.client.out.extend_from_slice(&data);
    srv.master.capa_eof.remove(&ctx.client.id);
    srv.master.replicas.push(Replica {
        token: ctx.client.token,
        client_id: ctx.client.id,
        state: ReplState::Online,
        pending: Vec::new(),
        bulk: None,
        capa_eof: false,
        stream_on_ack: false,
        ip,
        listening_port: port,
        // It holds everything before the offset it asked for.
        ack_offset: offset - 1,
        ack_ms: ctx.now,
        old_sync: false,
    });
    srv.master.sync_partial_ok += 1;
    info!(
        "Partial resynchronization request from {name} accepted. Sending {} bytes of backlog starting from offset {offset}.",
        data.len()
    );
    Reply::None
}

/// Fork a BGSAVE for the replicas waiting for one (to disk, or to their sockets when
/// diskless sync applies and every waiting replica takes `$EOF:` payloads, once
/// `repl-diskless-sync-delay` passed or `repl-diskless-sync-max-replicas` wait) and tell each
/// `+FULLRESYNC`. `me` is the client running the command (not in the slab while it runs).
fn start_bgsave(srv: &mut Server, mut me: Option<&mut Client>, now: i64) {
    let waiting = || {
        srv.master
            .replicas
            .iter()
            .filter(|r| r.state == ReplState::WaitBgsaveStart)
    };
    let count = waiting().count();
    if count == 0 {
        return;
    }
    let cfg = &srv.config;
    let diskless = cfg.repl_diskless_sync && waiting().all(|r| r.capa_eof);
    if diskless {
        let max_idle = waiting()
            .map(|r| (now - r.ack_ms) / 1000)
            .max()
            .unwrap_or(0);
        let delay = cfg.repl_diskless_sync_delay as i64;
        let max_replicas = cfg.repl_diskless_sync_max_replicas as usize;
        let enough = max_replicas > 0 && count >= max_replicas;
        if max_idle < delay && !enough {
            return;
        }
    }
    let mut bulk_mark = None;
    if diskless {
        info!("Starting BGSAVE for SYNC with target: replicas sockets");
        let Some(d) = fork_diskless(srv) else {
            warn!("BGSAVE for replication failed");
            return;
        };
        bulk_mark = Some(d.mark.clone());
        srv.master.diskless = Some(d);
        srv.master.repl_bgsave = Some(Target::Socket);
    } else {
        info!("Starting BGSAVE for SYNC with target: disk");
        if crate::persist::fork::start(srv).is_err() {
            warn!("BGSAVE for replication failed");
            return;
        }
        srv.master.repl_bgsave = Some(Target::Disk);
    }
    srv.master.fork_offset = srv.master_repl_offset;
    let (replid, off) = (srv.replid.clone(), srv.master_repl_offset);
    for r in srv.master.replicas.iter_mut() {
        if r.state != ReplState::WaitBgsaveStart {
            continue;
        }
        r.state = ReplState::WaitBgsaveEnd;
        r.pending.clear();
        r.bulk = bulk_mark.as_deref().map(transfer::Bulk::for_pipe);
        let c = match me.as_deref_mut() {
            Some(c) if c.token == r.token && c.id == r.client_id => c,
            _ => match srv.clients.get_mut(r.token) {
                Some(c) => {
                    if !c.pending_write {
                        c.pending_write = true;
                        srv.pending_writes.push(r.token);
                    }
                    c
                }
                None => continue,
            },
        };
        if !r.old_sync {
            fullresync_line(&mut c.out, &replid, off);
        }
    }
}

/// Fork the diskless child writing into a pipe whose read end (non-blocking) the returned
/// transfer holds.
fn fork_diskless(srv: &mut Server) -> Option<transfer::Diskless> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).ok()?;
    fcntl(&r, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).ok()?;
    // A larger pipe means fewer wakeups per transfer (best effort).
    let _ = fcntl(&r, FcntlArg::F_SETPIPE_SZ(1 << 20));
    crate::persist::fork::start_to(srv, crate::persist::fork::Dest::Pipe(w)).ok()?;
    let mark = crate::server::random_hex40();
    Some(transfer::Diskless::new(std::fs::File::from(r), mark))
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
            let e = ctx.srv.master.announced.entry(ctx.client.id).or_default();
            e.0 = port;
        } else if eq_ic(opt, "ip-address") {
            let ip = String::from_utf8_lossy(val).into_owned();
            let e = ctx.srv.master.announced.entry(ctx.client.id).or_default();
            e.1 = Some(ip);
        } else if eq_ic(opt, "capa") {
            if eq_ic(val, "eof") {
                ctx.srv.master.capa_eof.insert(ctx.client.id);
            }
        } else if eq_ic(opt, "rdb-only") {
            // Only used by redis-cli --rdb; the payload is the same.
        } else if eq_ic(opt, "ack") || eq_ic(opt, "fack") {
            if eq_ic(opt, "ack") {
                let off = std::str::from_utf8(val)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok());
                let (token, now) = (ctx.client.token, ctx.now);
                if let (Some(off), Some(r)) = (off, ctx.srv.master.replica_mut(token)) {
                    if off > r.ack_offset {
                        r.ack_offset = off;
                    }
                    r.ack_ms = now;
                    if r.stream_on_ack {
                        transfer::start_stream(ctx.srv, ctx.client);
                    }
                }
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

/// The periodic step: propagate expiry DELs, finish or start replication BGSAVEs, send
/// keep-alives and pings, free an unused backlog.
pub fn cron(srv: &mut Server, now: i64) {
    if srv.master.backlog.is_none() {
        return;
    }
    if propagate::active(srv) {
        propagate::expired(srv);
    }
    match srv.master.repl_bgsave {
        Some(Target::Disk) if srv.persist.child.is_none() => {
            srv.master.repl_bgsave = None;
            transfer::disk_done(srv);
        }
        Some(Target::Socket) if transfer::diskless_finished(srv) => {
            srv.master.repl_bgsave = None;
            transfer::diskless_done(srv);
        }
        _ => {}
    }
    if srv.persist.child.is_none() && srv.master.repl_bgsave.is_none() {
        start_bgsave(srv, None, now);
    }
    let second = now / 1000 != srv.master.last_keepalive_ms / 1000;
    if second {
        srv.master.last_keepalive_ms = now;
        keepalive(srv);
        drop_timed_out(srv, now);
    }
    let period = srv.config.repl_ping_replica_period as i64 * 1000;
    if period > 0 && now - srv.master.last_ping_ms >= period {
        srv.master.last_ping_ms = now;
        if !srv.master.replicas.is_empty() {
            let mut ping = Vec::new();
            crate::resp::encode::command_into(&mut ping, &["PING"]);
            propagate::feed(srv, &ping);
        }
    }
    backlog_ttl(srv, now);
}

/// A newline every second to replicas waiting for their payload (before the `+FULLRESYNC`
/// reply or the `$` header), so their link does not time out during a long BGSAVE.
fn keepalive(srv: &mut Server) {
    let disk = srv.master.repl_bgsave != Some(Target::Socket);
    for r in srv.master.replicas.iter() {
        let waits = r.state == ReplState::WaitBgsaveStart
            || (r.state == ReplState::WaitBgsaveEnd && disk && r.bulk.is_none());
        if !waits {
            continue;
        }
        if let Some(c) = srv.clients.get_mut(r.token) {
            c.out.push(b'\n');
            if !c.pending_write {
                c.pending_write = true;
                srv.pending_writes.push(r.token);
            }
        }
    }
}

/// Mark for closing the online replicas silent for more than `repl-timeout` seconds (the
/// event loop frees them after the cron); they reconnect and continue with PSYNC.
fn drop_timed_out(srv: &mut Server, now: i64) {
    for (token, id) in srv.master.timed_out(now, srv.config.repl_timeout) {
        let Some(c) = srv.clients.get_mut(token).filter(|c| c.id == id) else {
            continue;
        };
        if c.close_asap {
            continue;
        }
        c.close_asap = true;
        if let Some(r) = srv.master.replicas.iter().find(|r| r.client_id == id) {
            warn!(
                "Disconnecting timedout replica (streaming sync): {}",
                r.name()
            );
        }
    }
}

/// Free the backlog after `repl-backlog-ttl` seconds without replicas, on a master that is
/// not itself a replica (its replicas could not continue anyway: the id changes).
fn backlog_ttl(srv: &mut Server, now: i64) {
    if !srv.master.replicas.is_empty() || srv.master.no_replicas_since == 0 {
        srv.master.no_replicas_since = now;
        return;
    }
    let ttl = srv.config.repl_backlog_ttl as i64;
    if ttl == 0 || srv.replica.is_some() || srv.master.backlog.is_none() {
        return;
    }
    let idle = (now - srv.master.no_replicas_since) / 1000;
    if idle <= ttl {
        return;
    }
    srv.replid = crate::server::random_hex40();
    srv.master.replid2 = None;
    srv.master.second_repl_offset = -1;
    srv.master.backlog = None;
    srv.master.last_db = None;
    for db in srv.keyspace.dbs.iter_mut() {
        db.expired_log = None;
    }
    info!("Replication backlog freed after {ttl} seconds without connected replicas.");
}
