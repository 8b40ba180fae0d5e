//! CLIENT subcommands (identity, listing, killing, pausing, reply mode) and the CLIENT PAUSE
//! checks the event loop consults before running a client's next command.
use super::role::Role;
use crate::cmd::connection::set_client_name;
use crate::resp::Reply;
use crate::server::client::client_line;
use crate::server::client::{Client, ClientKind, ReplyMode};
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, Pause, Server};
use crate::tri;
use crate::util::eq_ic;

fn pause_active<R>(srv: &Server<R>, c: &Client) -> Option<Pause> {
    if matches!(c.kind, ClientKind::Replica | ClientKind::Master) {
        return None;
    }
    match srv.pause {
        Pause::All(until) | Pause::Write(until) if srv.now_ms < until => Some(srv.pause),
        _ => None,
    }
}

/// True while `c` must not run any command because of `CLIENT PAUSE ... ALL`.
pub fn is_paused_for<R>(srv: &Server<R>, c: &Client) -> bool {
    matches!(pause_active(srv, c), Some(Pause::All(_)))
}

/// True while `c` must wait before running `cmd`: every command in ALL mode; in WRITE mode
/// the commands that may change data or be propagated (write and may-replicate commands).
pub fn blocks_command<R>(srv: &Server<R>, c: &Client, cmd: Option<&Command>) -> bool {
    match pause_active(srv, c) {
        Some(Pause::All(_)) => true,
        Some(Pause::Write(_)) => cmd.is_some_and(|k| {
            // EXEC counts as a write when its transaction holds one.
            let queued = match &c.multi {
                Some(m) if k.has(EXEC_QUEUED) => m.flags,
                _ => 0,
            };
            (k.flags | queued) & (WRITE | MAY_REPLICATE) != 0
        }),
        _ => false,
    }
}

/// Clear an expired pause; true when a pause just ended (paused clients need waking).
pub fn pause_just_ended<R>(srv: &mut Server<R>) -> bool {
    match srv.pause {
        Pause::All(until) | Pause::Write(until) if srv.now_ms >= until => {
            srv.pause = Pause::None;
            true
        }
        _ => false,
    }
}

fn kind_by_name(name: &[u8]) -> Option<ClientKind> {
    let n = crate::util::lower(name);
    match n.as_slice() {
        b"normal" => Some(ClientKind::Normal),
        b"slave" | b"replica" => Some(ClientKind::Replica),
        b"master" => Some(ClientKind::Master),
        b"pubsub" => Some(ClientKind::PubSub),
        _ => None,
    }
}

fn unknown_type(name: &[u8]) -> Reply {
    Reply::Error(format!(
        "ERR Unknown client type '{}'",
        String::from_utf8_lossy(name)
    ))
}

fn argv_mem(a: &Args) -> usize {
    a.iter().map(|x| x.len()).sum()
}

fn sub_syntax_error(a: &Args) -> Reply {
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
        String::from_utf8_lossy(&a[1])
            .chars()
            .take(128)
            .collect::<String>()
    ))
}

fn id<R>(ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    Reply::Int(ctx.client.id as i64)
}

fn setname<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    match set_client_name(ctx.client, &a[2]) {
        Ok(()) => Reply::Ok,
        Err(e) => e,
    }
}

fn getname<R>(ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    match &ctx.client.name {
        Some(n) => Reply::Bulk(n.clone()),
        None => Reply::Nil,
    }
}

fn list<R: Role>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    let mut kind = None;
    let mut ids: Option<Vec<u64>> = None;
    if a.len() == 4 && eq_ic(&a[2], "type") {
        match kind_by_name(&a[3]) {
            Some(k) => kind = Some(k),
            None => return unknown_type(&a[3]),
        }
    } else if a.len() >= 4 && eq_ic(&a[2], "id") {
        let mut v = Vec::new();
        for x in &a[3..] {
            match crate::util::parse_i64(x) {
                Some(n) if n > 0 => v.push(n as u64),
                Some(_) => {}
                None => return Reply::err("ERR Invalid client ID"),
            }
        }
        ids = Some(v);
    } else if a.len() != 2 {
        return Reply::syntax_error();
    }
    let now = ctx.srv.now_ms;
    let me_mem = argv_mem(a);
    let mut all: Vec<(&Client, usize)> = ctx.srv.clients.iter().map(|(_, c)| (&**c, 0)).collect();
    all.push((&*ctx.client, me_mem));
    all.sort_by_key(|(c, _)| c.id);
    let mut out = String::new();
    for (c, mem) in all {
        if kind.is_some_and(|k| k != c.kind) {
            continue;
        }
        if ids.as_ref().is_some_and(|v| !v.contains(&c.id)) {
            continue;
        }
        let dirty = ctx.srv.role.watch_dirty(c.token);
        out.push_str(&client_line(c, now, mem, dirty));
        out.push('\n');
    }
    Reply::Verbatim(out.into_bytes())
}

fn info<R: Role>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    let dirty = ctx.srv.role.watch_dirty(ctx.client.token);
    let mut line = client_line(ctx.client, ctx.srv.now_ms, argv_mem(a), dirty);
    line.push('\n');
    Reply::Verbatim(line.into_bytes())
}

/// Filters of `CLIENT KILL <filter> <value> ...`.
#[derive(Default)]
struct KillFilter {
    addr: Option<String>,
    laddr: Option<String>,
    id: Option<u64>,
    kind: Option<ClientKind>,
    user: Option<String>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, c: &Client) -> bool {
        self.addr.as_ref().map_or(true, |a| *a == c.addr)
            && self.laddr.as_ref().map_or(true, |a| *a == c.laddr)
            && self.id.map_or(true, |i| i == c.id)
            && self.kind.map_or(true, |k| k == c.kind)
            && self.user.as_ref().map_or(true, |u| *u == c.user)
    }
}

fn parse_kill_filter(a: &Args) -> Result<KillFilter, Reply> {
    let mut f = KillFilter {
        skipme: true,
        ..Default::default()
    };
    let mut i = 2;
    while i < a.len() {
        if i + 1 >= a.len() {
            return Err(Reply::syntax_error());
        }
        let (opt, val) = (&a[i], &a[i + 1]);
        let text = String::from_utf8_lossy(val).to_string();
        if eq_ic(opt, "id") {
            match crate::util::parse_i64(val) {
                Some(n) if n > 0 => f.id = Some(n as u64),
                _ => return Err(Reply::err("ERR client-id should be greater than 0")),
            }
        } else if eq_ic(opt, "type") {
            f.kind = Some(kind_by_name(val).ok_or_else(|| unknown_type(val))?);
        } else if eq_ic(opt, "addr") {
            f.addr = Some(text);
        } else if eq_ic(opt, "laddr") {
            f.laddr = Some(text);
        } else if eq_ic(opt, "user") {
            if text != "default" {
                return Err(Reply::Error(format!("ERR No such user '{text}'")));
            }
            f.user = Some(text);
        } else if eq_ic(opt, "skipme") {
            if eq_ic(val, "yes") {
                f.skipme = true;
            } else if eq_ic(val, "no") {
                f.skipme = false;
            } else {
                return Err(Reply::syntax_error());
            }
        } else {
            return Err(Reply::syntax_error());
        }
        i += 2;
    }
    Ok(f)
}

/// Mark another client for closing; the event loop frees it when it flushes pending writes.
fn kill_other<R>(srv: &mut Server<R>, token: usize) {
    if let Some(c) = srv.clients.get_mut(token) {
        c.close_asap = true;
        if !c.pending_write {
            c.pending_write = true;
            srv.pending_writes.push(token);
        }
    }
}

fn kill<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    if a.len() == 3 {
        // Old form: CLIENT KILL addr:port.
        let target = String::from_utf8_lossy(&a[2]).to_string();
        if ctx.client.addr == target {
            ctx.client.close_after_reply = true;
            return Reply::Ok;
        }
        let found = ctx
            .srv
            .clients
            .iter()
            .find(|(_, c)| c.addr == target)
            .map(|(t, _)| t);
        return match found {
            Some(t) => {
                kill_other(ctx.srv, t);
                Reply::Ok
            }
            None => Reply::err("ERR No such client"),
        };
    }
    let f = tri!(parse_kill_filter(a));
    let victims: Vec<usize> = ctx
        .srv
        .clients
        .iter()
        .filter(|(_, c)| f.matches(c))
        .map(|(t, _)| t)
        .collect();
    let mut killed = victims.len() as i64;
    for t in victims {
        kill_other(ctx.srv, t);
    }
    if !f.skipme && f.matches(ctx.client) {
        ctx.client.close_after_reply = true;
        killed += 1;
    }
    Reply::Int(killed)
}

fn pause<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    if a.len() > 4 {
        return sub_syntax_error(a);
    }
    let Some(ms) = crate::util::parse_i64(&a[2]) else {
        return Reply::err("ERR timeout is not an integer or out of range");
    };
    if ms < 0 {
        return Reply::err("ERR timeout is negative");
    }
    let all = if a.len() == 4 {
        if eq_ic(&a[3], "write") {
            false
        } else if eq_ic(&a[3], "all") {
            true
        } else {
            return Reply::err("ERR CLIENT PAUSE mode must be WRITE or ALL");
        }
    } else {
        true
    };
    let end = ctx.srv.now_ms.saturating_add(ms);
    // A new pause never shortens or weakens one already in force.
    ctx.srv.pause = match ctx.srv.pause {
        Pause::All(u) if u > ctx.srv.now_ms => Pause::All(u.max(end)),
        Pause::Write(u) if u > ctx.srv.now_ms => {
            if all {
                Pause::All(u.max(end))
            } else {
                Pause::Write(u.max(end))
            }
        }
        _ if all => Pause::All(end),
        _ => Pause::Write(end),
    };
    Reply::Ok
}

fn unpause<R>(ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    // An already-expired deadline: the event loop clears it and wakes the paused clients.
    if !matches!(ctx.srv.pause, Pause::None) {
        ctx.srv.pause = Pause::All(0);
    }
    Reply::Ok
}

fn reply<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    if eq_ic(&a[2], "on") {
        ctx.client.reply_mode = ReplyMode::On;
        Reply::Ok
    } else if eq_ic(&a[2], "off") {
        ctx.client.reply_mode = ReplyMode::Off;
        Reply::None
    } else if eq_ic(&a[2], "skip") {
        if ctx.client.reply_mode == ReplyMode::On {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
        Reply::None
    } else {
        Reply::syntax_error()
    }
}

fn no_evict<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    if eq_ic(&a[2], "on") {
        ctx.client.no_evict = true;
    } else if eq_ic(&a[2], "off") {
        ctx.client.no_evict = false;
    } else {
        return Reply::syntax_error();
    }
    Reply::Ok
}

fn unblock<R: Role>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    let Some(id) = crate::util::parse_i64(&a[2]) else {
        return Reply::not_integer();
    };
    if a.len() == 4 && !(eq_ic(&a[3], "timeout") || eq_ic(&a[3], "error")) {
        return Reply::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
    if a.len() > 4 {
        return sub_syntax_error(a);
    }
    let with_error = a.len() == 4 && eq_ic(&a[3], "error");
    let target = ctx
        .srv
        .clients
        .iter()
        .find(|(_, c)| c.id as i64 == id)
        .map(|(t, _)| t);
    match target {
        Some(t) => Reply::Int(R::unblock(ctx.srv, t, with_error) as i64),
        None => Reply::Int(0),
    }
}

fn getredir<R>(_ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    Reply::Int(-1)
}

fn trackinginfo<R>(_ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    Reply::Map(vec![
        (Reply::bulk("flags"), Reply::Set(vec![Reply::bulk("off")])),
        (Reply::bulk("redirect"), Reply::Int(-1)),
        (Reply::bulk("prefixes"), Reply::Array(vec![])),
    ])
}

const HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill the connection at <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections matching every filter: ID <id>, TYPE normal|master|replica|pubsub,",
    "    USER <username>, ADDR <ip:port>, LADDR <ip:port>, SKIPME yes|no.",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return only clients of this type.",
    "    * ID <client-id> [<client-id> ...]",
    "      Return only the clients with these IDs.",
    "UNPAUSE",
    "    Stop pausing clients.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend clients (all, or only writers) for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Turn replies on or off, or skip the reply of the next command.",
    "SETNAME <name>",
    "    Name the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock a client blocked in a blocking command.",
    "NO-EVICT (ON|OFF)",
    "    Protect the current connection from client eviction.",
    "HELP",
    "    Print this help.",
];

/// A HELP reply: one status line per entry.
pub fn help_reply(lines: &[&str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::status(*l)).collect())
}

fn help<R>(_ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    help_reply(HELP)
}

const SUB_FLAGS: u32 = NOSCRIPT | LOADING | STALE;
const SUB_ADMIN: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const ACL: &[&str] = &["slow", "connection"];
const ACL_ADMIN: &[&str] = &["admin", "slow", "dangerous", "connection"];

const SUB: Command = Command {
    flags: SUB_FLAGS,
    acl: ACL,
    ..BASE
};

pub static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "id",
        arity: 2,
        handler: id,
        sentinel: Some(id),
        ..SUB
    },
    Command {
        name: "setname",
        arity: 3,
        handler: setname,
        sentinel: Some(setname),
        ..SUB
    },
    Command {
        name: "getname",
        arity: 2,
        handler: getname,
        sentinel: Some(getname),
        ..SUB
    },
    Command {
        name: "list",
        arity: -2,
        flags: SUB_ADMIN,
        acl: ACL_ADMIN,
        handler: list,
        sentinel: Some(list),
        ..SUB
    },
    Command {
        name: "info",
        arity: 2,
        handler: info,
        sentinel: Some(info),
        ..SUB
    },
    Command {
        name: "kill",
        arity: -3,
        flags: SUB_ADMIN,
        acl: ACL_ADMIN,
        handler: kill,
        sentinel: Some(kill),
        ..SUB
    },
    Command {
        name: "pause",
        arity: -3,
        flags: SUB_ADMIN,
        acl: ACL_ADMIN,
        handler: pause,
        sentinel: Some(pause),
        ..SUB
    },
    Command {
        name: "unpause",
        arity: 2,
        flags: SUB_ADMIN,
        acl: ACL_ADMIN,
        handler: unpause,
        sentinel: Some(unpause),
        ..SUB
    },
    Command {
        name: "reply",
        arity: 3,
        handler: reply,
        sentinel: Some(reply),
        ..SUB
    },
    Command {
        name: "no-evict",
        arity: 3,
        flags: SUB_ADMIN,
        acl: ACL_ADMIN,
        handler: no_evict,
        sentinel: Some(no_evict),
        ..SUB
    },
    Command {
        name: "unblock",
        arity: -3,
        flags: SUB_ADMIN,
        acl: ACL_ADMIN,
        handler: unblock,
        sentinel: Some(unblock),
        ..SUB
    },
    Command {
        name: "getredir",
        arity: 2,
        handler: getredir,
        sentinel: Some(getredir),
        ..SUB
    },
    Command {
        name: "trackinginfo",
        arity: 2,
        handler: trackinginfo,
        sentinel: Some(trackinginfo),
        ..SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        handler: help,
        sentinel: Some(help),
        ..SUB
    },
];

pub static COMMANDS: &[Command] = &[Command {
    name: "client",
    arity: -2,
    flags: SENTINEL,
    acl: &["slow"],
    subcommands: SUBCOMMANDS,
    ..BASE
}];
