//! Connection commands: PING, ECHO, QUIT, SELECT, AUTH.
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::Ctx;

fn ping(_ctx: &mut Ctx, a: &mut Args) -> Reply {
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
    if n < 0 || n as usize >= ctx.srv.keyspace.dbs.len() {
        return Reply::err("ERR DB index is out of range");
    }
    ctx.client.db = n as usize;
    Reply::Ok
}

fn auth(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let (user, pass) = match a.len() {
        2 => (b"default".to_vec(), &a[1]),
        3 => (a[1].clone(), &a[2]),
        _ => return Reply::syntax_error(),
    };
    match &ctx.srv.config.requirepass {
        None if a.len() == 2 => Reply::err(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ),
        Some(p) if user == b"default" && p == pass => {
            ctx.client.authenticated = true;
            Reply::Ok
        }
        None if user == b"default" => {
            ctx.client.authenticated = true;
            Reply::Ok
        }
        _ => Reply::err("WRONGPASS invalid username-password pair or user is disabled."),
    }
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        flags: FAST | SENTINEL,
        acl: &["fast", "connection"],
        group: "connection",
        handler: ping,
        summary: "Returns the server's liveliness response.",
        ..BASE
    },
    Command {
        name: "echo",
        arity: 2,
        flags: FAST,
        acl: &["fast", "connection"],
        group: "connection",
        handler: echo,
        summary: "Returns the given string.",
        ..BASE
    },
    Command {
        name: "quit",
        arity: -1,
        flags: ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        acl: &["fast", "connection"],
        group: "connection",
        handler: quit,
        summary: "Closes the connection.",
        ..BASE
    },
    Command {
        name: "select",
        arity: 2,
        flags: LOADING | STALE | FAST,
        acl: &["fast", "connection"],
        group: "connection",
        handler: select,
        summary: "Changes the selected database.",
        ..BASE
    },
    Command {
        name: "auth",
        arity: -2,
        flags: NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        acl: &["fast", "connection"],
        group: "connection",
        handler: auth,
        summary: "Authenticates the connection.",
        ..BASE
    },
];
