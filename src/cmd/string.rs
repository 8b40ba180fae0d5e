//! String commands.
use crate::db::Value;
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::Ctx;

fn get(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    match ctx.db().get_value(&a[1], now) {
        None => {
            ctx.srv.stats.keyspace_misses += 1;
            Reply::Nil
        }
        Some(Value::Str(s)) => {
            let r = Reply::Bulk(s.clone());
            ctx.srv.stats.keyspace_hits += 1;
            r
        }
    }
}

fn set(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() != 3 {
        return Reply::syntax_error();
    }
    let now = ctx.now;
    let key = std::mem::take(&mut a[1]);
    let val = std::mem::take(&mut a[2]);
    ctx.db().set(key, Value::Str(val), false, now);
    ctx.dirty(1);
    Reply::Ok
}

pub static COMMANDS: &[Command] = &[
    Command { name: "get", arity: 2, flags: READONLY | FAST, first_key: 1, last_key: 1, step: 1, acl: &["read", "string", "fast"], group: "string", handler: get, summary: "Returns the string value of a key.", ..BASE },
    Command { name: "set", arity: -3, flags: WRITE | DENYOOM, first_key: 1, last_key: 1, step: 1, acl: &["write", "string", "slow"], group: "string", handler: set, summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", ..BASE },
];
