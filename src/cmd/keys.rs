//! Generic keyspace commands.
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::Ctx;

fn del(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let mut n = 0;
    for k in &a[1..] {
        let db = &mut ctx.srv.keyspace.dbs[ctx.client.db];
        if db.exists(k, now) && db.remove(k).is_some() {
            n += 1;
        }
    }
    ctx.dirty(n as u64);
    Reply::Int(n)
}

fn exists(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let db = &mut ctx.srv.keyspace.dbs[ctx.client.db];
    Reply::Int(a[1..].iter().filter(|k| db.exists(k, now)).count() as i64)
}

fn dbsize(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::Int(ctx.db().len() as i64)
}

fn flushall(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    let n: usize = ctx.srv.keyspace.total_keys();
    for db in ctx.srv.keyspace.dbs.iter_mut() {
        db.clear();
    }
    ctx.dirty(n as u64 + 1);
    Reply::Ok
}

fn flushdb(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    let n = ctx.db().len();
    ctx.db().clear();
    ctx.dirty(n as u64 + 1);
    Reply::Ok
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "del",
        arity: -2,
        flags: WRITE,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["keyspace", "write", "slow"],
        group: "generic",
        handler: del,
        summary: "Deletes one or more keys.",
        ..BASE
    },
    Command {
        name: "exists",
        arity: -2,
        flags: READONLY | FAST,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: &["keyspace", "read", "fast"],
        group: "generic",
        handler: exists,
        summary: "Determines whether one or more keys exist.",
        since: "1.0.0",
        ..BASE
    },
    Command {
        name: "dbsize",
        arity: 1,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        group: "server",
        handler: dbsize,
        summary: "Returns the number of keys in the database.",
        ..BASE
    },
    Command {
        name: "flushall",
        arity: -1,
        flags: WRITE,
        acl: &["keyspace", "write", "slow", "dangerous"],
        group: "server",
        handler: flushall,
        summary: "Removes all keys from all databases.",
        ..BASE
    },
    Command {
        name: "flushdb",
        arity: -1,
        flags: WRITE,
        acl: &["keyspace", "write", "slow", "dangerous"],
        group: "server",
        handler: flushdb,
        summary: "Remove all keys from the current database.",
        ..BASE
    },
];
