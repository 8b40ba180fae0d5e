//! Command propagation: every write that changed the data set is appended, in RESP multibulk
//! form, to the backlog and to each replica, preceded by SELECT when the database changes.
//! Commands whose effect depends on the master's clock or randomness are rewritten into
//! deterministic forms as Redis 7.0 does (relative TTLs become absolute `PXAT`/`PEXPIREAT`,
//! INCRBYFLOAT becomes SET, SPOP becomes SREM, served blocking pops their non-blocking form),
//! and keys removed by expiry are sent as DEL, so replicas never expire keys on their own.
use super::ReplState;
use crate::resp::Reply;
use crate::server::command::Command;
use crate::server::Server;
use crate::util::eq_ic;

/// Append `args` as a RESP multibulk to `out`.
pub fn encode(out: &mut Vec<u8>, args: &[Vec<u8>]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Whether writes are propagated at all (a backlog exists once a replica attached).
#[inline]
pub fn active(srv: &Server) -> bool {
    srv.master.backlog.is_some()
}

/// Commands Redis propagates to replicas although they change no data: PUBLISH and SPUBLISH
/// reach the replicas' subscribers this way (sentinels and clients listening on a replica).
/// A replica forwards only what its master sent, never its own clients' messages.
pub fn always(srv: &Server, client: &crate::server::client::Client, cmd: &Command) -> bool {
    matches!(cmd.name, "publish" | "spublish")
        && (srv.replica.is_none() || client.kind == crate::server::client::ClientKind::Master)
}

/// Feed raw stream bytes to the backlog and the replicas.
pub fn feed(srv: &mut Server, bytes: &[u8]) {
    let Some(b) = srv.master.backlog.as_mut() else {
        return;
    };
    b.feed(bytes);
    srv.master_repl_offset = b.master_repl_offset();
    for r in srv.master.replicas.iter_mut() {
        match r.state {
            ReplState::WaitBgsaveStart => {}
            ReplState::WaitBgsaveEnd => r.pending.extend_from_slice(bytes),
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

/// Propagate one command executed against database `db`.
pub fn propagate_args(srv: &mut Server, db: usize, args: &[Vec<u8>]) {
    let mut out = Vec::with_capacity(64);
    if srv.master.last_db != Some(db) {
        encode(&mut out, &[b"SELECT".to_vec(), db.to_string().into_bytes()]);
        srv.master.last_db = Some(db);
    }
    encode(&mut out, args);
    feed(srv, &out);
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

/// A write command changed the data set: propagate it (rewritten where needed). `args` are
/// the arguments as the client sent them, `reply` what the command answered.
pub fn command(srv: &mut Server, db: usize, cmd: &Command, args: &[Vec<u8>], reply: &Reply) {
    expired(srv);
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
        encode(&mut out, &[b("SET"), b("k"), b("")]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }
}
