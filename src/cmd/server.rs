//! Server commands: SHUTDOWN, COMMAND, INFO.
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, Shutdown};
use crate::util::eq_ic;

fn shutdown(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let mut mode = Shutdown::Default;
    for arg in &a[1..] {
        if eq_ic(arg, "nosave") {
            mode = Shutdown::NoSave;
        } else if eq_ic(arg, "save") {
            mode = Shutdown::Save;
        } else if !(eq_ic(arg, "now") || eq_ic(arg, "force") || eq_ic(arg, "abort")) {
            return Reply::syntax_error();
        }
    }
    ctx.srv.shutdown = Some(mode);
    Reply::None
}

fn command(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::Array(vec![])
}

fn info(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    let s = format!(
        "# Server\r\nredis_version:7.0.15\r\nrun_id:{}\r\ntcp_port:{}\r\n\r\n# Replication\r\nrole:master\r\n",
        ctx.srv.run_id, ctx.srv.config.port
    );
    Reply::Verbatim(s.into_bytes())
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "shutdown",
        arity: -1,
        flags: ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY,
        acl: &["admin", "slow", "dangerous"],
        group: "server",
        handler: shutdown,
        summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        ..BASE
    },
    Command {
        name: "command",
        arity: -1,
        flags: LOADING | STALE | SENTINEL,
        acl: &["slow", "connection"],
        group: "server",
        handler: command,
        summary: "Returns detailed information about all commands.",
        ..BASE
    },
    Command {
        name: "info",
        arity: -1,
        flags: LOADING | STALE | SENTINEL,
        acl: &["slow", "dangerous"],
        group: "server",
        handler: info,
        summary: "Returns information and statistics about the server.",
        ..BASE
    },
];
