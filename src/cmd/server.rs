//! Server commands: TIME, SHUTDOWN and INFO (whose report is built in `cmd::info`).
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, Shutdown};
use crate::util::eq_ic;

fn shutdown<R: super::role::Role>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    let (mut save, mut nosave, mut abort, mut other) = (false, false, false, false);
    for arg in &a[1..] {
        if eq_ic(arg, "nosave") {
            nosave = true;
        } else if eq_ic(arg, "save") {
            save = true;
        } else if eq_ic(arg, "abort") {
            abort = true;
        } else if eq_ic(arg, "now") || eq_ic(arg, "force") {
            other = true;
        } else {
            return Reply::syntax_error();
        }
    }
    if (save && nosave) || (abort && (save || nosave || other)) {
        return Reply::syntax_error();
    }
    if abort {
        // Shutdown here is immediate, so there is never one in progress to abort.
        return Reply::err("ERR No shutdown in progress.");
    }
    if let Some(e) = ctx.srv.role.busy_script_error() {
        // Only SHUTDOWN NOSAVE may stop a server whose script is running past the threshold.
        if !nosave {
            return Reply::err(e);
        }
    }
    ctx.srv.shutdown_client = Some(ctx.client.token);
    ctx.srv.shutdown = Some(if nosave {
        Shutdown::NoSave
    } else if save {
        Shutdown::Save
    } else {
        Shutdown::Default
    });
    Reply::None
}

fn time(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    let us = crate::util::now_us();
    Reply::Array(vec![
        Reply::bulk((us / 1_000_000).to_string()),
        Reply::bulk((us % 1_000_000).to_string()),
    ])
}

fn info<R: super::role::Role>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    Reply::Verbatim(crate::cmd::info::report(ctx, &a[1..]).into_bytes())
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "shutdown",
        arity: -1,
        flags: ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY,
        acl: &["admin", "slow", "dangerous"],
        handler: shutdown,
        sentinel: Some(shutdown),
        ..BASE
    },
    Command {
        name: "info",
        arity: -1,
        flags: LOADING | STALE | SENTINEL,
        acl: &["slow", "dangerous"],
        handler: info,
        sentinel: Some(info),
        ..BASE
    },
    Command {
        name: "time",
        arity: 1,
        flags: LOADING | STALE | FAST,
        acl: &["fast"],
        handler: time,
        ..BASE
    },
];
