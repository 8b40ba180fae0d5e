//! WAIT numreplicas timeout: block the client (without blocking the loop) until that many
//! replicas acknowledged the stream offset of its last write, or the timeout passes; then
//! reply how many did. The wait is a keyless entry in `server::blocking`; `node::wait::before_sleep` asks
//! the replicas for an ACK (`REPLCONF GETACK *`, once per loop iteration, as Redis's
//! beforeSleep does) and answers the waits that are satisfied.
use crate::resp::Reply;
use crate::server::blocking::{self, Awaits};
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::Ctx;

pub const COMMANDS: &[Command] = &[Command {
    name: "wait",
    arity: 3,
    flags: NOSCRIPT,
    acl: &["slow", "connection"],
    handler: wait,
    ..BASE
}];

const ON_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";

fn int_arg(a: &[u8]) -> Option<i64> {
    std::str::from_utf8(a).ok()?.parse::<i64>().ok()
}

fn wait(ctx: &mut Ctx, args: &mut Args) -> Reply {
    if ctx.srv.role.replica.is_some() {
        return Reply::err(ON_REPLICA);
    }
    let Some(numreplicas) = int_arg(&args[1]) else {
        return Reply::err("ERR value is not an integer or out of range");
    };
    let Some(timeout) = int_arg(&args[2]) else {
        return Reply::err("ERR timeout is not an integer or out of range");
    };
    if timeout < 0 {
        return Reply::err("ERR timeout is negative");
    }
    let deadline = match timeout {
        0 => None,
        t => match ctx.now.checked_add(t) {
            Some(d) => Some(d),
            None => return Reply::err("ERR timeout is out of range"),
        },
    };
    let offset = ctx.client.woff;
    let acked = ctx.srv.role.master.count_acks(offset) as i64;
    if acked >= numreplicas || ctx.client.no_block {
        return Reply::Int(acked);
    }
    let awaits = Awaits::Acks {
        offset,
        numreplicas,
    };
    let r = blocking::block(ctx, Vec::new(), awaits, deadline, Reply::Int(0));
    ctx.srv.role.blocking.get_ack = true;
    r
}
