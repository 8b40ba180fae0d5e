//! Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB
//! introspection. Subscription confirmations are pushed straight into the caller's output (one
//! per channel); the state and message delivery live in `server::pubsub`.
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::pubsub::{self, Kind};
use crate::server::Ctx;

fn subscribe_kind<R>(ctx: &mut Ctx<R>, a: &mut Args, kind: Kind) -> Reply {
    for name in &a[1..] {
        pubsub::subscribe(ctx.srv, ctx.client, kind, name);
    }
    Reply::None
}

fn unsubscribe_kind<R>(ctx: &mut Ctx<R>, a: &mut Args, kind: Kind) -> Reply {
    if a.len() == 1 {
        pubsub::unsubscribe_all(ctx.srv, ctx.client, kind, true);
    }
    for name in &a[1..] {
        pubsub::unsubscribe(ctx.srv, ctx.client, kind, name);
    }
    Reply::None
}

fn subscribe<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    subscribe_kind(ctx, a, Kind::Channel)
}

fn psubscribe<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    subscribe_kind(ctx, a, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx, a: &mut Args) -> Reply {
    subscribe_kind(ctx, a, Kind::Shard)
}

fn unsubscribe<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    unsubscribe_kind(ctx, a, Kind::Channel)
}

fn punsubscribe<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    unsubscribe_kind(ctx, a, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx, a: &mut Args) -> Reply {
    unsubscribe_kind(ctx, a, Kind::Shard)
}

fn publish(ctx: &mut Ctx, a: &mut Args) -> Reply {
    Reply::Int(pubsub::publish(ctx.srv, Some(ctx.client), &a[1], &a[2]) as i64)
}

fn spublish(ctx: &mut Ctx, a: &mut Args) -> Reply {
    Reply::Int(pubsub::spublish(ctx.srv, ctx.client, &a[1], &a[2]) as i64)
}

fn sub_error(a: &Args) -> Reply {
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
        String::from_utf8_lossy(&a[1])
            .chars()
            .take(128)
            .collect::<String>()
    ))
}

fn list_channels(ctx: &mut Ctx, a: &mut Args, shard: bool) -> Reply {
    if a.len() > 3 {
        return sub_error(a);
    }
    let pat = a.get(2).map(|p| p.as_slice());
    Reply::Array(
        ctx.srv
            .pubsub
            .channels(shard, pat)
            .into_iter()
            .map(Reply::Bulk)
            .collect(),
    )
}

fn count_subs(ctx: &mut Ctx, a: &mut Args, shard: bool) -> Reply {
    let mut out = Vec::with_capacity((a.len() - 2) * 2);
    for ch in a.iter_mut().skip(2) {
        let n = ctx.srv.pubsub.numsub(shard, ch);
        out.push(Reply::Bulk(std::mem::take(ch)));
        out.push(Reply::Int(n as i64));
    }
    Reply::Array(out)
}

fn channels(ctx: &mut Ctx, a: &mut Args) -> Reply {
    list_channels(ctx, a, false)
}

fn shardchannels(ctx: &mut Ctx, a: &mut Args) -> Reply {
    list_channels(ctx, a, true)
}

fn numsub(ctx: &mut Ctx, a: &mut Args) -> Reply {
    count_subs(ctx, a, false)
}

fn shardnumsub(ctx: &mut Ctx, a: &mut Args) -> Reply {
    count_subs(ctx, a, true)
}

fn numpat(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::Int(ctx.srv.pubsub.numpat() as i64)
}

fn help(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    super::keys::help_reply(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    )
}

const SUB_FLAGS: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
const ACL_SLOW: &[&str] = &["pubsub", "slow"];
const ACL_FAST: &[&str] = &["pubsub", "fast"];

const INTROSPECT: Command = Command {
    arity: -2,
    flags: PUBSUB | LOADING | STALE,
    acl: ACL_SLOW,
    ..BASE
};

pub static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "channels",
        handler: channels,
        ..INTROSPECT
    },
    Command {
        name: "numsub",
        handler: numsub,
        ..INTROSPECT
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: &["slow"],
        handler: help,
        ..INTROSPECT
    },
    Command {
        name: "shardnumsub",
        handler: shardnumsub,
        ..INTROSPECT
    },
    Command {
        name: "shardchannels",
        handler: shardchannels,
        ..INTROSPECT
    },
    Command {
        name: "numpat",
        arity: 2,
        handler: numpat,
        ..INTROSPECT
    },
];

pub static COMMANDS: &[Command] = &[
    Command {
        name: "subscribe",
        arity: -2,
        flags: SUB_FLAGS | PUBSUB_CONTEXT | SENTINEL,
        acl: ACL_SLOW,
        handler: subscribe,
        sentinel: Some(subscribe),
        ..BASE
    },
    Command {
        name: "unsubscribe",
        arity: -1,
        flags: SUB_FLAGS | PUBSUB_CONTEXT | SENTINEL,
        acl: ACL_SLOW,
        handler: unsubscribe,
        sentinel: Some(unsubscribe),
        ..BASE
    },
    Command {
        name: "psubscribe",
        arity: -2,
        flags: SUB_FLAGS | PUBSUB_CONTEXT | SENTINEL,
        acl: ACL_SLOW,
        handler: psubscribe,
        sentinel: Some(psubscribe),
        ..BASE
    },
    Command {
        name: "punsubscribe",
        arity: -1,
        flags: SUB_FLAGS | PUBSUB_CONTEXT | SENTINEL,
        acl: ACL_SLOW,
        handler: punsubscribe,
        sentinel: Some(punsubscribe),
        ..BASE
    },
    Command {
        name: "ssubscribe",
        arity: -2,
        flags: SUB_FLAGS | PUBSUB_CONTEXT,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: ACL_SLOW,
        handler: ssubscribe,
        ..BASE
    },
    Command {
        name: "sunsubscribe",
        arity: -1,
        flags: SUB_FLAGS | PUBSUB_CONTEXT,
        first_key: 1,
        last_key: -1,
        step: 1,
        acl: ACL_SLOW,
        handler: sunsubscribe,
        ..BASE
    },
    Command {
        name: "publish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST | SENTINEL | FORCE_REPL,
        acl: ACL_FAST,
        handler: publish,
        // A sentinel takes only hellos, for its core.
        sentinel: Some(super::sentinel::publish),
        ..BASE
    },
    Command {
        name: "spublish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST | FORCE_REPL,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl: ACL_FAST,
        handler: spublish,
        ..BASE
    },
    Command {
        name: "pubsub",
        arity: -2,
        flags: 0,
        acl: &["slow"],
        subcommands: SUBCOMMANDS,
        ..BASE
    },
];
