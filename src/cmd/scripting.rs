//! EVAL, EVALSHA, their read-only forms and SCRIPT: the scripts cache and running a script,
//! whose `redis.call`s go through `dispatch::execute` as a client of their own. A script's
//! writes reach replicas as their effects, wrapped in MULTI/EXEC, as Redis 7.0 replicates them.
use super::keys::help_reply;
use crate::dispatch::execute;
use crate::lua::{CompileError, Engine, Host};
use crate::resp::Reply;
use crate::server::busy::BusyScript;
use crate::server::client::Client;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{resolve_full, Ctx, Server};
use crate::util::{eq_ic, parse_i64};

/// How a script was asked to run.
#[derive(Clone, Copy)]
struct Mode {
    by_sha: bool,
    read_only: bool,
}

fn eval(ctx: &mut Ctx, a: &mut Args) -> Reply {
    run_script(
        ctx,
        a,
        Mode {
            by_sha: false,
            read_only: false,
        },
    )
}

fn evalsha(ctx: &mut Ctx, a: &mut Args) -> Reply {
    run_script(
        ctx,
        a,
        Mode {
            by_sha: true,
            read_only: false,
        },
    )
}

fn eval_ro(ctx: &mut Ctx, a: &mut Args) -> Reply {
    run_script(
        ctx,
        a,
        Mode {
            by_sha: false,
            read_only: true,
        },
    )
}

fn evalsha_ro(ctx: &mut Ctx, a: &mut Args) -> Reply {
    run_script(
        ctx,
        a,
        Mode {
            by_sha: true,
            read_only: true,
        },
    )
}

/// The interpreter, made on first use (a node that runs no script pays nothing).
fn engine(srv: &mut Server) -> Result<&mut Engine, Reply> {
    if srv.role.scripts.engine.is_none() {
        srv.role.scripts.engine = Some(Box::new(Engine::new().map_err(Reply::Error)?));
    }
    srv.role
        .scripts
        .engine
        .as_deref_mut()
        .ok_or_else(|| Reply::err("ERR scripting is not available"))
}

/// The number of keys argument: how many of the arguments after it are keys.
pub fn numkeys(a: &Args) -> Result<usize, Reply> {
    let n = parse_i64(&a[2])
        .ok_or_else(|| Reply::err("ERR value is not an integer or out of range"))?;
    if n < 0 {
        return Err(Reply::err("ERR Number of keys can't be negative"));
    }
    if n as usize > a.len() - 3 {
        return Err(Reply::err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    Ok(n as usize)
}

fn compile_error(e: CompileError) -> Reply {
    Reply::Error(e.0)
}

const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";

fn run_script(ctx: &mut Ctx, a: &mut Args, mode: Mode) -> Reply {
    let nkeys = match numkeys(a) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let eng = match engine(ctx.srv) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let sha = if mode.by_sha {
        let sha = String::from_utf8_lossy(&a[1]).to_ascii_lowercase();
        if !eng.exists(&sha) {
            return Reply::err(NOSCRIPT_ERR);
        }
        sha
    } else {
        match eng.load(&a[1]) {
            Ok(sha) => sha,
            Err(e) => return compile_error(e),
        }
    };
    let declared_writes = eng.has_shebang(&sha) && !eng.flags(&sha).contains(&"no-writes");
    let allow_stale = eng.has_shebang(&sha) && eng.flags(&sha).contains(&"allow-stale");
    let no_writes_flag = eng.flags(&sha).contains(&"no-writes");
    if declared_writes {
        if let Err(e) = may_write(ctx) {
            return e;
        }
        if mode.read_only {
            return Reply::err(RO_WRITE_ERR);
        }
    }
    if !allow_stale {
        if let Err(e) = not_stale(ctx.srv) {
            return e;
        }
    }
    let keys = &a[3..3 + nkeys];
    let argv = &a[3 + nkeys..];
    let Some(mut eng) = ctx.srv.role.scripts.engine.take() else {
        return Reply::err(NOSCRIPT_ERR);
    };
    let how = Running {
        read_only: mode.read_only || no_writes_flag,
        function: false,
        name: &sha,
        command: &a[..],
    };
    let reply = run_with_host(ctx, how, |host| eng.run(&sha, keys, argv, host));
    ctx.srv.role.scripts.engine = Some(eng);
    reply.unwrap_or_else(|| Reply::err(NOSCRIPT_ERR))
}

/// A script or function that may write, called with EVAL_RO/EVALSHA_RO/FCALL_RO.
pub const RO_WRITE_ERR: &str = "ERR Can not execute a script with write flag using *_ro command.";

/// A script or function that declares it may write is refused up front where writes are
/// (a read-only replica), as Redis 7.0 refuses it, instead of failing at its first write.
pub fn may_write(ctx: &Ctx) -> Result<(), Reply> {
    if ctx.srv.role.replica.is_some()
        && ctx.srv.config.replica_read_only
        && ctx.client.kind != crate::server::client::ClientKind::Master
    {
        return Err(Reply::err(
            "READONLY You can't write against a read only replica.",
        ));
    }
    Ok(())
}

/// Whether this node is a replica whose link is down and that serves no stale data.
fn stale(srv: &Server) -> bool {
    srv.role.replica.as_ref().is_some_and(|r| !r.link.is_up())
        && !srv.config.replica_serve_stale_data
}

/// A script or function that does not declare `allow-stale` is refused on a stale replica
/// (scripts without a `#!lua` line included), as Redis 7.0 refuses it.
pub fn not_stale(srv: &Server) -> Result<(), Reply> {
    if stale(srv) {
        return Err(Reply::err(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        ));
    }
    Ok(())
}

/// What is about to run: for the host's refusals, the busy state and the logs.
pub struct Running<'n> {
    pub read_only: bool,
    pub function: bool,
    pub name: &'n str,
    /// The calling command (FUNCTION STATS shows it).
    pub command: &'n [Vec<u8>],
}

/// Run a script or function through `f` with a host bound to the caller: its database, the
/// script client, the MULTI/EXEC around its writes, the busy bookkeeping.
pub fn run_with_host<R>(ctx: &mut Ctx, how: Running, f: impl FnOnce(&mut dyn Host) -> R) -> R {
    let mut client = ctx
        .srv
        .role
        .scripts
        .client
        .take()
        .unwrap_or_else(|| Box::new(script_client(ctx.srv)));
    client.db = ctx.client.db;
    // A transaction around the script's writes, unless one is open already (EVAL in EXEC).
    let wrap = ctx.srv.role.master.exec_wrap.is_none();
    if wrap {
        crate::node::propagate::exec_begin(ctx.srv);
    }
    ctx.srv.role.scripts.running_client = client.id;
    ctx.srv.role.scripts.repl = crate::lua::REPL_ALL;
    ctx.srv.role.scripts.caller_token = Some(ctx.client.token);
    let reply = {
        let mut host = ScriptHost {
            srv: ctx.srv,
            client: &mut client,
            read_only: how.read_only,
            function: how.function,
            start: std::time::Instant::now(),
            wrote: false,
            name: how.name,
            command: how.command,
        };
        f(&mut host)
    };
    ctx.srv.role.scripts.running_client = 0;
    ctx.srv.role.scripts.caller_token = None;
    if ctx.srv.role.scripts.busy.take().is_some() {
        log::warn!(
            "Slow script finished after being reported busy: {}",
            how.name
        );
    }
    if wrap {
        crate::node::propagate::exec_end(ctx.srv);
    }
    ctx.srv.role.scripts.client = Some(client);
    reply
}

/// The client a script's commands run as: authenticated, never blocking.
fn script_client(srv: &mut Server) -> Client {
    let id = srv.new_client_id();
    let mut c = Client::new(id, usize::MAX, None, srv.now_ms);
    c.authenticated = true;
    c.no_block = true;
    c
}

/// The server side of `redis.call`: Redis's refusals for scripts, then the one entry point.
struct ScriptHost<'a> {
    srv: &'a mut Server,
    client: &'a mut Client,
    read_only: bool,
    function: bool,
    start: std::time::Instant,
    /// It called a write command (SCRIPT KILL then answers -UNKILLABLE).
    wrote: bool,
    /// For the slow-script log line and FUNCTION STATS.
    name: &'a str,
    command: &'a [Vec<u8>],
}

/// What a script stopped by SCRIPT KILL (or SHUTDOWN NOSAVE) replies to its caller.
const KILLED_ERR: &str = "ERR Script killed by user with SCRIPT KILL...";

impl Host for ScriptHost<'_> {
    fn call(&mut self, mut args: Vec<Vec<u8>>, resp: u8) -> Reply {
        let (top, sub) = match resolve_full(self.srv, &args) {
            Ok(r) => r,
            Err((_, None)) => return Reply::err("ERR Unknown Redis command called from script"),
            Err((_, Some((_, None)))) => {
                return Reply::err("ERR Wrong number of args calling Redis command from script")
            }
            Err((e, Some(_))) => return e,
        };
        let cmd = sub.unwrap_or(top);
        if cmd.has(NOSCRIPT) || top.has(NOSCRIPT) {
            return Reply::err("ERR This Redis command is not allowed from script");
        }
        if !cmd.has(STALE) && stale(self.srv) {
            return Reply::err("ERR Can not execute the command on a stale replica");
        }
        if self.read_only && cmd.is_write() {
            return Reply::err("ERR Write commands are not allowed from read-only scripts.");
        }
        if cmd.is_write() {
            self.wrote = true;
            if let Some(b) = self.srv.role.scripts.busy.as_mut() {
                b.wrote = true;
            }
        }
        self.client.resp = resp;
        execute(self.srv, self.client, &mut args)
    }

    fn set_repl(&mut self, flags: u8) {
        self.srv.role.scripts.repl = flags;
    }

    fn busy(&mut self) -> Option<String> {
        let elapsed = self.start.elapsed().as_millis() as i64;
        let threshold = self.srv.config.busy_reply_threshold;
        if threshold <= 0 || elapsed < threshold {
            return None;
        }
        if self.srv.role.scripts.busy.is_none() {
            log::warn!(
                "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the {} command. Script name is: {}.",
                if self.function { "FUNCTION KILL" } else { "SCRIPT KILL" },
                self.name
            );
            self.srv.role.scripts.busy = Some(BusyScript {
                wrote: self.wrote,
                function: self.function,
                kill: false,
                name: self.name.to_string(),
                command: self.command.to_vec(),
                started: self.start,
            });
        }
        crate::server::busy::serve_others(self.srv);
        let killed = self.srv.role.scripts.busy.as_ref().is_some_and(|b| b.kill);
        let shutting_down = self.srv.shutdown == Some(crate::server::Shutdown::NoSave);
        let err = if self.function {
            "ERR Script killed by user with FUNCTION KILL..."
        } else {
            KILLED_ERR
        };
        (killed || shutting_down).then(|| err.to_string())
    }

    fn command_exists(&self, name: &[u8]) -> bool {
        self.srv.lookup_command(name).is_some()
    }
}

fn script_load(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let eng = match engine(ctx.srv) {
        Ok(e) => e,
        Err(e) => return e,
    };
    match eng.load(&a[2]) {
        Ok(sha) => Reply::Bulk(sha.into_bytes()),
        Err(e) => compile_error(e),
    }
}

fn script_exists(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let eng = ctx.srv.role.scripts.engine.as_deref();
    Reply::Array(
        a[2..]
            .iter()
            .map(|s| {
                let sha = String::from_utf8_lossy(s).to_ascii_lowercase();
                Reply::Int(eng.is_some_and(|e| e.exists(&sha)) as i64)
            })
            .collect(),
    )
}

fn script_flush(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() > 3 || (a.len() == 3 && !eq_ic(&a[2], "sync") && !eq_ic(&a[2], "async")) {
        return Reply::err("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    ctx.srv.role.scripts.engine = None;
    Reply::Ok
}

fn script_kill(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    match ctx.srv.role.scripts.busy.as_mut() {
        Some(b) if !b.function && b.wrote => Reply::err(UNKILLABLE_ERR),
        Some(b) if !b.function => {
            b.kill = true;
            Reply::Ok
        }
        _ => Reply::err("NOTBUSY No scripts in execution right now."),
    }
}

pub const UNKILLABLE_ERR: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";

fn script_debug(_ctx: &mut Ctx, a: &mut Args) -> Reply {
    if eq_ic(&a[2], "no") {
        Reply::Ok
    } else if eq_ic(&a[2], "yes") || eq_ic(&a[2], "sync") {
        Reply::err("ERR The Lua debugger is not available in oxidis; use SCRIPT DEBUG NO")
    } else {
        Reply::err("ERR Use SCRIPT DEBUG YES/SYNC/NO")
    }
}

fn script_help(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    help_reply(
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    )
}

fn script_container(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::err("ERR wrong number of arguments for 'script' command")
}

/// EVAL-family keys: `numkeys` at argument 2, then that many keys.
pub fn eval_keys(a: &[Vec<u8>]) -> Vec<usize> {
    match a.get(2).and_then(|n| parse_i64(n)) {
        Some(n) if n > 0 && (n as usize) <= a.len().saturating_sub(3) => {
            (3..3 + n as usize).collect()
        }
        _ => vec![],
    }
}

const EVAL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLE_KEYS;
const ACL: &[&str] = &["slow", "scripting"];

const EVAL: Command = Command {
    arity: -3,
    flags: EVAL_FLAGS,
    acl: ACL,
    getkeys: Some(eval_keys),
    ..BASE
};

const SUB: Command = Command {
    flags: NOSCRIPT,
    acl: ACL,
    ..BASE
};

pub static SCRIPT_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "debug",
        arity: 3,
        handler: script_debug,
        ..SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        handler: script_help,
        ..SUB
    },
    Command {
        name: "exists",
        arity: -3,
        handler: script_exists,
        ..SUB
    },
    Command {
        name: "kill",
        arity: 2,
        flags: NOSCRIPT | ALLOW_BUSY,
        handler: script_kill,
        ..SUB
    },
    Command {
        name: "load",
        arity: 3,
        flags: NOSCRIPT | STALE,
        handler: script_load,
        ..SUB
    },
    Command {
        name: "flush",
        arity: -2,
        handler: script_flush,
        ..SUB
    },
];

pub static COMMANDS: &[Command] = &[
    Command {
        name: "eval",
        handler: eval,
        ..EVAL
    },
    Command {
        name: "evalsha",
        handler: evalsha,
        ..EVAL
    },
    Command {
        name: "eval_ro",
        flags: EVAL_FLAGS | READONLY,
        handler: eval_ro,
        ..EVAL
    },
    Command {
        name: "evalsha_ro",
        flags: EVAL_FLAGS | READONLY,
        handler: evalsha_ro,
        ..EVAL
    },
    Command {
        name: "script",
        arity: -2,
        acl: &["slow"],
        handler: script_container,
        subcommands: SCRIPT_SUBCOMMANDS,
        ..BASE
    },
];
