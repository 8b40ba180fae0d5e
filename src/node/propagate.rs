//! Command propagation: every write that changed the data set is appended, in RESP multibulk
//! form, to the backlog and to each replica, preceded by SELECT when the database changes.
//! Commands whose effect depends on the master's clock or randomness are rewritten into
//! deterministic forms as Redis 7.0 does (relative TTLs become absolute `PXAT`/`PEXPIREAT`,
//! INCRBYFLOAT becomes SET, SPOP becomes SREM, served blocking pops their non-blocking form),
//! and keys removed by expiry are sent as DEL, so replicas never expire keys on their own.
use crate::repl::master::ReplState;
use crate::resp::encode::command_into;
use crate::resp::Reply;
use crate::server::command::Command;
use crate::server::Server;
use crate::util::eq_ic;

/// A write command's arguments kept for propagation before its handler runs (handlers may
/// take them): already encoded when the command goes out unchanged, as arguments when it
/// may be rewritten.
pub enum Kept {
    Args(Vec<Vec<u8>>),
    Encoded(Vec<u8>),
}

/// Commands `rewrite` may change.
fn may_rewrite(cmd: &Command, args: &[Vec<u8>]) -> bool {
    match cmd.name {
        "set" => args.len() > 3,
        n => matches!(
            n,
            "setex"
                | "psetex"
                | "restore"
                | "expire"
                | "pexpire"
                | "expireat"
                | "pexpireat"
                | "getex"
                | "incrbyfloat"
                | "hincrbyfloat"
                | "spop"
                | "blpop"
                | "brpop"
                | "bzpopmin"
                | "bzpopmax"
                | "brpoplpush"
                | "blmove"
                | "blmpop"
                | "bzmpop"
        ),
    }
}

/// Keep `args` of a write about to run, for `command` (or `discard`) afterwards.
pub fn keep(srv: &mut Server, cmd: &Command, args: &[Vec<u8>]) -> Kept {
    if may_rewrite(cmd, args) {
        return Kept::Args(args.to_vec());
    }
    let mut b = std::mem::take(&mut srv.master.scratch);
    b.clear();
    command_into(&mut b, args);
    Kept::Encoded(b)
}

/// The write changed nothing: propagate only pending expiry DELs.
pub fn discard(srv: &mut Server, kept: Kept) {
    expired(srv);
    if let Kept::Encoded(b) = kept {
        srv.master.scratch = b;
    }
}

/// Commands Redis propagates to replicas although they change no data: PUBLISH and SPUBLISH
/// reach the replicas' subscribers this way (sentinels and clients listening on a replica).
/// A replica forwards only what its master sent, never its own clients' messages.
pub fn always(srv: &Server, client: &crate::server::client::Client, cmd: &Command) -> bool {
    matches!(cmd.name, "publish" | "spublish")
        && (srv.replica.is_none() || client.kind == crate::server::client::ClientKind::Master)
}

/// Whether this node propagates its own writes (a master with a backlog, which exists once a
/// replica attached). A replica passes on its master's stream instead.
#[inline]
pub fn active(srv: &Server) -> bool {
    srv.master.backlog.is_some() && srv.replica.is_none()
}

/// Feed raw stream bytes to the backlog and the replicas. A replica feeds nothing of its
/// own: it passes on its master's stream (`feed_stream`), as Redis does.
pub fn feed(srv: &mut Server, bytes: &[u8]) {
    if srv.replica.is_none() {
        feed_stream(srv, bytes);
    }
}

/// Append stream bytes to the backlog and send them to every attached replica.
pub fn feed_stream(srv: &mut Server, bytes: &[u8]) {
    let Some(b) = srv.master.backlog.as_mut() else {
        return;
    };
    b.feed(bytes);
    srv.master_repl_offset = b.master_repl_offset();
    for r in srv.master.replicas.iter_mut() {
        match r.state {
            ReplState::WaitBgsaveStart => {}
            ReplState::Online if r.stream_on_ack => r.pending.extend_from_slice(bytes),
            ReplState::WaitBgsaveEnd | ReplState::SendBulk => {
                r.pending.extend_from_slice(bytes);
                // The stream held back during the transfer counts against the replica's
                // output buffer limit, as in Redis.
                if let Some(c) = srv.clients.get_mut(r.token) {
                    let held = r.pending.len() as u64;
                    crate::server::obuf::enforce_with(
                        &srv.config,
                        &mut srv.stats,
                        c,
                        srv.now_ms,
                        held,
                    );
                }
            }
            ReplState::Online => {
                if let Some(c) = srv.clients.get_mut(r.token) {
                    if c.close_asap {
                        continue;
                    }
                    c.out.extend_from_slice(bytes);
                    if !c.pending_write {
                        c.pending_write = true;
                        srv.pending_writes.push(r.token);
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
    if srv.master.last_db != Some(db) {
        command_into(
            out,
            &[
                b"SELECT" as &[u8],
                itoa::Buffer::new().format(db).as_bytes(),
            ],
        );
        srv.master.last_db = Some(db);
    }
    if srv.master.exec_wrap == Some(false) {
        command_into(out, &[b"MULTI"]);
        srv.master.exec_wrap = Some(true);
    }
}

/// EXEC starts running a transaction's commands.
pub fn exec_begin(srv: &mut Server) {
    srv.master.exec_wrap = Some(false);
}

/// EXEC has run them: close the MULTI if any write was propagated.
pub fn exec_end(srv: &mut Server) {
    if srv.master.exec_wrap.take() == Some(true) {
        let mut out = Vec::with_capacity(16);
        command_into(&mut out, &[b"EXEC"]);
        feed(srv, &out);
    }
}

/// Keys deleted by lazy or active expiry since the last call, propagated as DEL.
pub fn expired(srv: &mut Server) {
    for i in 0..srv.keyspace.dbs.len() {
        let keys = match srv.keyspace.dbs[i].expired_log.as_mut() {
            Some(log) if log.is_empty() => continue,
            Some(log) => std::mem::take(log),
            // A database replaced (FLUSHALL, SWAPDB, reload) starts recording again.
            None => {
                srv.keyspace.dbs[i].expired_log = Some(Vec::new());
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
            if srv.master.last_db != Some(db) || srv.master.exec_wrap == Some(false) {
                let mut pre = Vec::with_capacity(32);
                preamble(srv, db, &mut pre);
                feed(srv, &pre);
            }
            feed(srv, &b);
            srv.master.scratch = b;
            return;
        }
    };
    let args = &args[..];
    match rewrite(srv, db, cmd, args, reply) {
        Some(list) => {
            for a in list {
                propagate_args(srv, db, &a);
            }
        }
        None => propagate_args(srv, db, args),
    }
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn bulk_of(r: &Reply) -> Option<Vec<u8>> {
    match r {
        Reply::Bulk(v) | Reply::Verbatim(v) => Some(v.clone()),
        Reply::Status(s) => Some(s.as_bytes().to_vec()),
        Reply::Int(n) => Some(n.to_string().into_bytes()),
        Reply::Double(d) => Some(crate::util::fmt_double(*d).into_bytes()),
        _ => None,
    }
}

fn items(r: &Reply) -> Option<&[Reply]> {
    match r {
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => Some(v),
        _ => None,
    }
}

/// The absolute expire of `key` after the command: `PEXPIREAT key at`, `PERSIST key`, or
/// `DEL key` when the command removed it.
fn ttl_form(srv: &Server, db: usize, key: &[u8]) -> Vec<Vec<u8>> {
    let d = &srv.keyspace.dbs[db];
    if d.dict.get(key).is_none() {
        return vec![b("DEL"), key.to_vec()];
    }
    match d.get_expire(key) {
        Some(at) => vec![b("PEXPIREAT"), key.to_vec(), at.to_string().into_bytes()],
        None => vec![b("PERSIST"), key.to_vec()],
    }
}

/// The deterministic replacement of a command, or None to propagate it unchanged.
fn rewrite(
    srv: &Server,
    db: usize,
    cmd: &Command,
    args: &[Vec<u8>],
    reply: &Reply,
) -> Option<Vec<Vec<Vec<u8>>>> {
    let key = args.get(1)?;
    let expire_of = |k: &[u8]| srv.keyspace.dbs[db].get_expire(k);
    match cmd.name {
        "set" => {
            let pos = args
                .iter()
                .skip(3)
                .position(|a| eq_ic(a, "ex") || eq_ic(a, "px") || eq_ic(a, "exat"))?
                + 3;
            let at = expire_of(key)?;
            let mut out = args.to_vec();
            out[pos] = b("PXAT");
            *out.get_mut(pos + 1)? = at.to_string().into_bytes();
            Some(vec![out])
        }
        "setex" | "psetex" => {
            let at = expire_of(key)?;
            Some(vec![vec![
                b("SET"),
                key.clone(),
                args.get(3)?.clone(),
                b("PXAT"),
                at.to_string().into_bytes(),
            ]])
        }
        "expire" | "pexpire" | "expireat" | "pexpireat" | "getex" => {
            Some(vec![ttl_form(srv, db, key)])
        }
        // A relative TTL becomes the absolute time the master set (Redis 7.0 appends ABSTTL).
        "restore" => {
            if args.get(2).is_some_and(|t| t == b"0")
                || args.iter().skip(4).any(|a| eq_ic(a, "absttl"))
            {
                return None;
            }
            let at = expire_of(key)?;
            let mut out = args.to_vec();
            out[2] = at.to_string().into_bytes();
            out.push(b("ABSTTL"));
            Some(vec![out])
        }
        "incrbyfloat" => Some(vec![vec![
            b("SET"),
            key.clone(),
            bulk_of(reply)?,
            b("KEEPTTL"),
        ]]),
        "hincrbyfloat" => Some(vec![vec![
            b("HSET"),
            key.clone(),
            args.get(2)?.clone(),
            bulk_of(reply)?,
        ]]),
        "spop" => {
            let members: Vec<Vec<u8>> = match items(reply) {
                Some(v) => v.iter().filter_map(bulk_of).collect(),
                None => vec![bulk_of(reply)?],
            };
            if members.is_empty() {
                return Some(vec![]);
            }
            let mut out = vec![b("SREM"), key.clone()];
            out.extend(members);
            Some(vec![out])
        }
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => {
            let served = bulk_of(items(reply)?.first()?)?;
            let name = &cmd.name[1..];
            Some(vec![vec![name.to_ascii_uppercase().into_bytes(), served]])
        }
        "brpoplpush" => Some(vec![vec![
            b("RPOPLPUSH"),
            key.clone(),
            args.get(2)?.clone(),
        ]]),
        "blmove" => {
            let mut out = vec![b("LMOVE")];
            out.extend_from_slice(args.get(1..5)?);
            Some(vec![out])
        }
        "blmpop" | "bzmpop" => {
            let it = items(reply)?;
            let served = bulk_of(it.first()?)?;
            let n = items(it.get(1)?)?.len();
            let numkeys: usize = std::str::from_utf8(args.get(2)?).ok()?.parse().ok()?;
            let dir = args.get(3 + numkeys)?.clone();
            let name = if cmd.name == "blmpop" {
                "LMPOP"
            } else {
                "ZMPOP"
            };
            Some(vec![vec![
                b(name),
                b("1"),
                served,
                dir,
                b("COUNT"),
                n.to_string().into_bytes(),
            ]])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_multibulk() {
        let mut out = Vec::new();
        command_into(&mut out, &[b("SET"), b("k"), b("")]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        out.clear();
        command_into(&mut out, &[vec![b'x'; 1234567]]);
        assert!(out.starts_with(b"*1\r\n$1234567\r\nxx"));
    }
}
