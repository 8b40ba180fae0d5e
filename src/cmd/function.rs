//! FUNCTION (LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE, STATS, KILL, HELP) and FCALL/FCALL_RO:
//! Redis 7.0's function libraries. Loading and calling live in `lua::functions`; a call runs
//! through the same host as EVAL (`scripting::run_with_host`). FUNCTION LOAD/DELETE/FLUSH/
//! RESTORE change the dataset (the libraries are saved in the RDB and replicated as called).
use super::keys::help_reply;
use super::scripting::{eval_keys, numkeys, run_with_host, Running};
use crate::lua::functions::{flags_reply, Functions};
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, Server};
use crate::util::eq_ic;

/// The libraries, made on first use.
fn functions(srv: &mut Server) -> Result<&mut Functions, Reply> {
    if srv.role.scripts.functions.is_none() {
        srv.role.scripts.functions = Some(Box::new(Functions::new().map_err(Reply::Error)?));
    }
    srv.role
        .scripts
        .functions
        .as_deref_mut()
        .ok_or_else(|| Reply::err("ERR functions are not available"))
}

fn fcall(ctx: &mut Ctx, a: &mut Args) -> Reply {
    fcall_generic(ctx, a, false)
}

fn fcall_ro(ctx: &mut Ctx, a: &mut Args) -> Reply {
    fcall_generic(ctx, a, true)
}

fn fcall_generic(ctx: &mut Ctx, a: &mut Args, ro: bool) -> Reply {
    let nkeys = match numkeys(a) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let name = String::from_utf8_lossy(&a[1]).into_owned();
    let (no_writes, allow_stale) = match ctx
        .srv
        .role
        .scripts
        .functions
        .as_deref()
        .and_then(|f| f.get(&name))
    {
        None => return Reply::err("ERR Function not found"),
        Some(f) => (f.has_flag("no-writes"), f.has_flag("allow-stale")),
    };
    if !no_writes {
        if let Err(e) = super::scripting::may_write(ctx) {
            return e;
        }
        if ro {
            return Reply::err(super::scripting::RO_WRITE_ERR);
        }
    }
    if !allow_stale {
        if let Err(e) = super::scripting::not_stale(ctx.srv) {
            return e;
        }
    }
    let Some(mut funcs) = ctx.srv.role.scripts.functions.take() else {
        return Reply::err("ERR Function not found");
    };
    let a = &a[..];
    let (keys, args) = (&a[3..3 + nkeys], &a[3 + nkeys..]);
    let how = Running {
        read_only: ro || no_writes,
        function: true,
        name: &name,
        command: a,
    };
    let reply = run_with_host(ctx, how, |host| funcs.call(&name, keys, args, host));
    ctx.srv.role.scripts.functions = Some(funcs);
    reply
}

fn function_load(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let replace = a.len() == 4 && eq_ic(&a[2], "replace");
    if a.len() == 4 && !replace {
        return Reply::err(format!(
            "ERR Unknown option given: {}",
            String::from_utf8_lossy(&a[2])
        ));
    }
    if a.len() > 4 {
        return Reply::syntax_error();
    }
    let code = a[a.len() - 1].clone();
    let f = match functions(ctx.srv) {
        Ok(f) => f,
        Err(e) => return e,
    };
    match f.load(&code, replace) {
        Ok(name) => {
            ctx.dirty(1);
            Reply::Bulk(name.into_bytes())
        }
        Err(e) => Reply::Error(e),
    }
}

fn function_delete(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let name = String::from_utf8_lossy(&a[2]).into_owned();
    let deleted = ctx
        .srv
        .role
        .scripts
        .functions
        .as_deref_mut()
        .is_some_and(|f| f.delete(&name));
    if !deleted {
        return Reply::err("ERR Library not found");
    }
    ctx.dirty(1);
    Reply::Ok
}

fn function_flush(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() > 3 || (a.len() == 3 && !eq_ic(&a[2], "sync") && !eq_ic(&a[2], "async")) {
        return Reply::err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    }
    ctx.srv.role.scripts.functions = None;
    ctx.dirty(1);
    Reply::Ok
}

fn function_list(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let (mut pattern, mut with_code) = (None, false);
    let mut i = 2;
    while i < a.len() {
        if eq_ic(&a[i], "withcode") {
            with_code = true;
        } else if eq_ic(&a[i], "libraryname") {
            let Some(p) = a.get(i + 1) else {
                return Reply::err("ERR library name argument was not given");
            };
            pattern = Some(p.clone());
            i += 1;
        } else {
            return Reply::err(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(&a[i])
            ));
        }
        i += 1;
    }
    let Some(f) = ctx.srv.role.scripts.functions.as_deref() else {
        return Reply::Array(vec![]);
    };
    let libs = f
        .libs
        .values()
        .filter(|l| {
            pattern
                .as_ref()
                .map_or(true, |p| crate::glob::matches(p, l.name.as_bytes(), false))
        })
        .map(|l| {
            let funcs = l
                .functions
                .iter()
                .map(|f| {
                    Reply::Map(vec![
                        (Reply::bulk("name"), Reply::bulk(f.name.as_bytes())),
                        (
                            Reply::bulk("description"),
                            f.description
                                .as_ref()
                                .map_or(Reply::Nil, |d| Reply::bulk(d.as_bytes())),
                        ),
                        (Reply::bulk("flags"), flags_reply(f)),
                    ])
                })
                .collect();
            let mut fields = vec![
                (Reply::bulk("library_name"), Reply::bulk(l.name.as_bytes())),
                (Reply::bulk("engine"), Reply::bulk("LUA")),
                (Reply::bulk("functions"), Reply::Array(funcs)),
            ];
            if with_code {
                fields.push((Reply::bulk("library_code"), Reply::bulk(l.code.clone())));
            }
            Reply::Map(fields)
        })
        .collect();
    Reply::Array(libs)
}

fn function_dump(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    let codes = crate::lua::functions::codes(ctx.srv.role.scripts.functions.as_deref());
    Reply::Bulk(crate::rdb::dump::functions_payload(
        &codes,
        ctx.srv.config.rdbcompression,
    ))
}

fn function_restore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    #[derive(PartialEq)]
    enum Policy {
        Flush,
        Append,
        Replace,
    }
    let policy =
        match a.get(3) {
            None => Policy::Append,
            Some(p) if eq_ic(p, "flush") => Policy::Flush,
            Some(p) if eq_ic(p, "append") => Policy::Append,
            Some(p) if eq_ic(p, "replace") => Policy::Replace,
            Some(_) => return Reply::err(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ),
        };
    if a.len() > 4 {
        return Reply::syntax_error();
    }
    if !crate::rdb::dump::verify(&a[2], false) {
        return Reply::err("ERR DUMP payload version or checksum are wrong");
    }
    let codes = match crate::rdb::dump::decode_functions(&a[2]) {
        Ok(c) => c,
        Err(e) => return Reply::Error(e),
    };
    // Load into a scratch set first: a library that fails leaves the current ones untouched.
    let mut scratch = match Functions::new() {
        Ok(f) => f,
        Err(e) => return Reply::Error(e),
    };
    for c in &codes {
        if let Err(e) = scratch.load(c, false) {
            return Reply::Error(e);
        }
    }
    if policy == Policy::Flush {
        ctx.srv.role.scripts.functions = None;
    }
    let f = match functions(ctx.srv) {
        Ok(f) => f,
        Err(e) => return e,
    };
    if policy == Policy::Append {
        if let Some(l) = scratch.libs.keys().find(|n| f.libs.contains_key(*n)) {
            return Reply::Error(format!("ERR Library {l} already exists"));
        }
    }
    for c in &codes {
        if let Err(e) = f.load(c, true) {
            return Reply::Error(e);
        }
    }
    ctx.dirty(1);
    Reply::Ok
}

fn function_stats(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    let (libs, funcs) = ctx
        .srv
        .role
        .scripts
        .functions
        .as_deref()
        .map_or((0, 0), |f| (f.libs.len(), f.function_count()));
    let running = match ctx.srv.role.scripts.busy.as_ref() {
        Some(b) if b.function => Reply::Map(vec![
            (Reply::bulk("name"), Reply::bulk(b.name.as_bytes())),
            (
                Reply::bulk("command"),
                Reply::Array(b.command.iter().map(|c| Reply::bulk(c.clone())).collect()),
            ),
            (
                Reply::bulk("duration_ms"),
                Reply::Int(b.started.elapsed().as_millis() as i64),
            ),
        ]),
        _ => Reply::Nil,
    };
    Reply::Map(vec![
        (Reply::bulk("running_script"), running),
        (
            Reply::bulk("engines"),
            Reply::Map(vec![(
                Reply::bulk("LUA"),
                Reply::Map(vec![
                    (Reply::bulk("libraries_count"), Reply::Int(libs as i64)),
                    (Reply::bulk("functions_count"), Reply::Int(funcs as i64)),
                ]),
            )]),
        ),
    ])
}

fn function_kill(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    match ctx.srv.role.scripts.busy.as_mut() {
        Some(b) if b.function && b.wrote => Reply::err(super::scripting::UNKILLABLE_ERR),
        Some(b) if b.function => {
            b.kill = true;
            Reply::Ok
        }
        _ => Reply::err("NOTBUSY No scripts in execution right now."),
    }
}

fn function_help(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    help_reply("FUNCTION", HELP)
}

const HELP: &[&str] = &[
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
];

fn function_container(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::err("ERR wrong number of arguments for 'function' command")
}

const SUB: Command = Command {
    flags: NOSCRIPT,
    acl: &["slow", "scripting"],
    ..BASE
};
const WRITE_ACL: &[&str] = &["write", "slow", "scripting"];

pub static FUNCTION_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "flush",
        arity: -2,
        flags: WRITE | NOSCRIPT,
        acl: WRITE_ACL,
        handler: function_flush,
        ..SUB
    },
    Command {
        name: "load",
        arity: -3,
        flags: WRITE | DENYOOM | NOSCRIPT,
        acl: WRITE_ACL,
        handler: function_load,
        ..SUB
    },
    Command {
        name: "restore",
        arity: -3,
        flags: WRITE | DENYOOM | NOSCRIPT,
        acl: WRITE_ACL,
        handler: function_restore,
        ..SUB
    },
    Command {
        name: "stats",
        arity: 2,
        flags: NOSCRIPT | ALLOW_BUSY,
        handler: function_stats,
        ..SUB
    },
    Command {
        name: "delete",
        arity: 3,
        flags: WRITE | NOSCRIPT,
        acl: WRITE_ACL,
        handler: function_delete,
        ..SUB
    },
    Command {
        name: "list",
        arity: -2,
        handler: function_list,
        ..SUB
    },
    Command {
        name: "dump",
        arity: 2,
        handler: function_dump,
        ..SUB
    },
    Command {
        name: "kill",
        arity: 2,
        flags: NOSCRIPT | ALLOW_BUSY,
        handler: function_kill,
        ..SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        handler: function_help,
        ..SUB
    },
];

const FCALL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLE_KEYS;

pub static COMMANDS: &[Command] = &[
    Command {
        name: "function",
        arity: -2,
        acl: &["slow"],
        handler: function_container,
        subcommands: FUNCTION_SUBCOMMANDS,
        ..BASE
    },
    Command {
        name: "fcall",
        arity: -3,
        flags: FCALL_FLAGS,
        acl: &["slow", "scripting"],
        handler: fcall,
        getkeys: Some(eval_keys),
        ..BASE
    },
    Command {
        name: "fcall_ro",
        arity: -3,
        flags: FCALL_FLAGS | READONLY,
        acl: &["slow", "scripting"],
        handler: fcall_ro,
        getkeys: Some(eval_keys),
        ..BASE
    },
];
