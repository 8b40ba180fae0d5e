//! Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET — the per-connection
//! state a client negotiates (database, protocol version, identity).
use super::role::Role;
use crate::resp::Reply;
use crate::server::client::{Client, ReplyMode};
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, Server};
use crate::util::eq_ic;

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn ping<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    if ctx.client.resp == 2 && ctx.client.kind == crate::server::client::ClientKind::PubSub {
        // A subscribed RESP2 client gets PING answered in the shape of a message.
        let payload = match a.len() {
            1 => Vec::new(),
            2 => std::mem::take(&mut a[1]),
            _ => return Reply::wrong_arity("ping"),
        };
        return Reply::Array(vec![Reply::bulk("pong"), Reply::Bulk(payload)]);
    }
    match a.len() {
        1 => Reply::status("PONG"),
        2 => Reply::Bulk(std::mem::take(&mut a[1])),
        _ => Reply::wrong_arity("ping"),
    }
}

fn echo(_ctx: &mut Ctx, a: &mut Args) -> Reply {
    Reply::Bulk(std::mem::take(&mut a[1]))
}

fn quit(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    ctx.client.close_after_reply = true;
    Reply::Ok
}

fn select(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(n) = crate::util::parse_i64(&a[1]) else {
        return Reply::err("ERR value is not an integer or out of range");
    };
    if n < 0 || n as usize >= ctx.srv.role.keyspace.dbs.len() {
        return Reply::err("ERR DB index is out of range");
    }
    ctx.client.db = n as usize;
    Reply::Ok
}

/// Whether `user`/`pass` authenticate against the only user there is, `default`. Without
/// `requirepass` the default user has no password, so any password is accepted.
fn credentials_ok<R>(srv: &Server<R>, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    match &srv.config.requirepass {
        None => true,
        Some(p) => p.as_slice() == pass,
    }
}

fn auth<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    let (user, pass): (&[u8], &[u8]) = match a.len() {
        2 => (b"default", &a[1]),
        3 => (&a[1], &a[2]),
        _ => return Reply::syntax_error(),
    };
    if a.len() == 2 && ctx.srv.config.requirepass.is_none() {
        return Reply::err(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        );
    }
    if credentials_ok(ctx.srv, user, pass) {
        ctx.client.authenticated = true;
        ctx.client.user = "default".into();
        Reply::Ok
    } else {
        Reply::err(WRONGPASS)
    }
}

/// Client names are printable ASCII without spaces (so CLIENT LIST stays parseable).
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// Set or clear (empty name) the client's name, or return the error Redis replies.
pub fn set_client_name(c: &mut Client, name: &[u8]) -> Result<(), Reply> {
    if !valid_client_name(name) {
        return Err(Reply::err(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    c.name = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    Ok(())
}

fn hello<R: Role>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    let mut proto = None;
    if a.len() >= 2 {
        match crate::util::parse_i64(&a[1]) {
            Some(v) if (2..=3).contains(&v) => proto = Some(v as u8),
            Some(_) => return Reply::err("NOPROTO unsupported protocol version"),
            None => return Reply::err("ERR Protocol version is not an integer or out of range"),
        }
    }
    let mut j = 2;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if eq_ic(&a[j], "auth") && more >= 2 {
            if !credentials_ok(ctx.srv, &a[j + 1], &a[j + 2]) {
                return Reply::err(WRONGPASS);
            }
            ctx.client.authenticated = true;
            ctx.client.user = "default".into();
            j += 3;
        } else if eq_ic(&a[j], "setname") && more >= 1 {
            if let Err(e) = set_client_name(ctx.client, &a[j + 1]) {
                return e;
            }
            j += 2;
        } else {
            return Reply::Error(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&a[j])
            ));
        }
    }
    if ctx.srv.auth_required(ctx.client) {
        return Reply::err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some(p) = proto {
        ctx.client.resp = p;
    }
    let b = |s: &str| Reply::bulk(s.as_bytes());
    let mut fields = vec![
        (b("server"), b("redis")),
        (b("version"), b(crate::util::REDIS_VERSION)),
        (b("proto"), Reply::Int(ctx.client.resp as i64)),
        (b("id"), Reply::Int(ctx.client.id as i64)),
    ];
    // A sentinel says so and has no role field.
    if R::SENTINEL {
        fields.push((b("mode"), b("sentinel")));
    } else {
        fields.push((b("mode"), b("standalone")));
        fields.push((b("role"), b("master")));
    }
    fields.push((b("modules"), Reply::Array(vec![])));
    Reply::Map(fields)
}

/// Put a connection back in the state of a fresh one (RESET).
pub fn reset_client(srv: &Server, c: &mut Client) {
    c.db = 0;
    c.resp = 2;
    c.name = None;
    c.reply_mode = ReplyMode::On;
    c.no_evict = false;
    c.user = "default".into();
    c.authenticated = srv.config.requirepass.is_none();
}

fn reset(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    // Leave MULTI, drop WATCHes and subscriptions (silently), then the per-connection state.
    crate::server::multi::forget(ctx.srv, ctx.client);
    reset_client(ctx.srv, ctx.client);
    Reply::status("RESET")
}

const CONN_FLAGS: u32 = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY;

pub static COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        flags: FAST | SENTINEL | PUBSUB_CONTEXT | DENY_ON_DISK_ERROR,
        acl: &["fast", "connection"],
        handler: ping,
        sentinel: Some(ping),
        ..BASE
    },
    Command {
        name: "echo",
        arity: 2,
        flags: LOADING | STALE | FAST,
        acl: &["fast", "connection"],
        handler: echo,
        ..BASE
    },
    Command {
        name: "quit",
        arity: -1,
        flags: CONN_FLAGS | TX_CONTROL | PUBSUB_CONTEXT,
        acl: &["fast", "connection"],
        handler: quit,
        ..BASE
    },
    Command {
        name: "select",
        arity: 2,
        flags: LOADING | STALE | FAST,
        acl: &["fast", "connection"],
        handler: select,
        ..BASE
    },
    Command {
        name: "auth",
        arity: -2,
        flags: CONN_FLAGS | SENTINEL,
        acl: &["fast", "connection"],
        handler: auth,
        sentinel: Some(auth),
        ..BASE
    },
    Command {
        name: "hello",
        arity: -1,
        flags: CONN_FLAGS | SENTINEL,
        acl: &["fast", "connection"],
        handler: hello,
        sentinel: Some(hello),
        ..BASE
    },
    Command {
        name: "reset",
        arity: 1,
        flags: CONN_FLAGS | TX_CONTROL | PUBSUB_CONTEXT,
        acl: &["fast", "connection"],
        handler: reset,
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    #[test]
    fn client_names() {
        assert!(super::valid_client_name(b"abc-1:2"));
        assert!(super::valid_client_name(b""));
        assert!(!super::valid_client_name(b"a b"));
        assert!(!super::valid_client_name(b"a\nb"));
        assert!(!super::valid_client_name("é".as_bytes()));
    }
}
