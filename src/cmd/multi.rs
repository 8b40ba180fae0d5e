//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing itself happens in
//! `dispatch::execute` (before a handler would run); the state lives in `server::multi`.
use crate::dispatch::execute;
use crate::resp::encode::put_len;
use crate::resp::Reply;
use crate::server::client::ReplyMode;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::multi;
use crate::server::Ctx;

fn multi_cmd(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR MULTI calls can not be nested");
    }
    ctx.client.multi = Some(Box::default());
    Reply::Ok
}

fn discard(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    if ctx.client.multi.is_none() {
        return Reply::err("ERR DISCARD without MULTI");
    }
    multi::discard(ctx.srv, ctx.client);
    Reply::Ok
}

/// EXEC: fail on a queueing error (EXECABORT) or a touched WATCH (null array); otherwise run
/// every queued command and reply with an array of their replies. The array header is written
/// first and each reply appended as it is produced, as Redis does, so pushes that commands
/// emit (SUBSCRIBE confirmations, messages to itself) land where Redis puts them.
fn exec(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    let (n, dirty_exec) = match &ctx.client.multi {
        None => return Reply::err("ERR EXEC without MULTI"),
        Some(m) => (m.cmds.len(), m.dirty_exec),
    };
    if dirty_exec {
        multi::discard(ctx.srv, ctx.client);
        return Reply::err("EXECABORT Transaction discarded because of previous errors.");
    }
    if multi::cas_failed(ctx.srv, ctx.client.token) {
        multi::discard(ctx.srv, ctx.client);
        return Reply::NilArray;
    }
    multi::unwatch_all(ctx.srv, ctx.client.token);
    if ctx.client.reply_mode == ReplyMode::On {
        put_len(&mut ctx.client.out, b'*', n as i64);
    }
    // The client stays in MULTI while its commands run (CLIENT LIST shows flag x and the
    // count, as in Redis); `no_block` keeps them from being queued again or from blocking.
    let was = ctx.client.no_block;
    ctx.client.no_block = true;
    crate::node::propagate::exec_begin(ctx.srv);
    for i in 0..n {
        let Some(mut args) = ctx
            .client
            .multi
            .as_mut()
            .and_then(|m| m.cmds.get_mut(i))
            .map(std::mem::take)
        else {
            break;
        };
        let r = execute(ctx.srv, ctx.client, &mut args);
        ctx.client.reply(&r);
    }
    ctx.client.no_block = was;
    crate::node::propagate::exec_end(ctx.srv);
    multi::discard(ctx.srv, ctx.client);
    Reply::None
}

fn watch(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR WATCH inside MULTI is not allowed");
    }
    let db = ctx.client.db;
    for k in &a[1..] {
        multi::watch(ctx.srv, ctx.client.token, db, k);
    }
    Reply::Ok
}

fn unwatch(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    multi::unwatch_all(ctx.srv, ctx.client.token);
    Reply::Ok
}

const FLAGS: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;
const ACL: &[&str] = &["fast", "transaction"];

pub static COMMANDS: &[Command] = &[
    Command {
        name: "multi",
        arity: 1,
        flags: FLAGS | TX_CONTROL,
        acl: ACL,
        handler: multi_cmd,
        ..BASE
    },
    Command {
        name: "exec",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | TX_CONTROL | EXEC_QUEUED,
        acl: &["slow", "transaction"],
        handler: exec,
        ..BASE
    },
    Command {
        name: "discard",
        arity: 1,
        flags: FLAGS | TX_CONTROL,
        acl: ACL,
        handler: discard,
        ..BASE
    },
    Command {
        name: "watch",
        arity: -2,
        flags: FLAGS | TX_CONTROL,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: ACL,
        handler: watch,
        ..BASE
    },
    Command {
        name: "unwatch",
        arity: 1,
        flags: FLAGS,
        acl: ACL,
        handler: unwatch,
        ..BASE
    },
];
