//! The Lua 5.1 interpreter scripts run in, set up as Redis 7.0 sets up its own: the libraries
//! Redis loads, the `redis` table, read-only globals, its random generator and error texts.
//! It knows nothing of the server: a script's `redis.call` goes to a [`Host`], which the
//! scripting commands implement over the one command entry point.
//!
//! The interpreter is `mlua` with its vendored PUC Lua 5.1 (the version Redis embeds, so
//! scripts behave the same: number formatting, string patterns, `unpack`, `getn`...).
mod args;
mod bit;
mod cjson;
mod cjson_decode;
mod cmsgpack;
pub mod convert;
pub mod functions;
mod prelude;
pub mod rand48;
mod strtod;
mod struct_lib;

use crate::resp::Reply;
use mlua::{Function, Lua, MultiValue, Table, Value};
use std::cell::RefCell;
use std::collections::HashMap;

/// What a running script can ask of the server.
pub trait Host {
    /// Run one command from the script (`args[0]` is the name; never empty) with the reply
    /// shaped for protocol `resp`. Errors are error replies.
    fn call(&mut self, args: Vec<Vec<u8>>, resp: u8) -> Reply;
    /// `redis.set_repl`: where the script's next writes are propagated (`REPL_*` bits).
    fn set_repl(&mut self, flags: u8);
    /// Whether a command of this name exists (`redis.acl_check_cmd`).
    fn command_exists(&self, name: &[u8]) -> bool;
    /// Called every [`HOOK_INSTRUCTIONS`] instructions: the host serves other clients once the
    /// script is slow, and returns the error to stop the script with when it must stop.
    fn busy(&mut self) -> Option<String>;
}

/// A function's keys and arguments.
pub type Params<'a> = (&'a [Vec<u8>], &'a [Vec<u8>]);

/// How often (in Lua VM instructions) a running script checks the clock, as Redis does.
pub const HOOK_INSTRUCTIONS: u32 = 100_000;

thread_local! {
    /// While a library's code loads: when it must have finished.
    static LOAD_DEADLINE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
    /// The run in progress, for the instruction hook (which `mlua` requires to be `'static`).
    /// Set by `invoke` for exactly the length of one run, cleared by `RunGuard`.
    static CURRENT: std::cell::Cell<*const ()> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Clears `CURRENT` when the run ends, however it ends.
struct RunGuard;

impl Drop for RunGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null()));
    }
}

/// The instruction hook: ask the host whether the running script must stop.
fn hook() -> mlua::Result<mlua::VmState> {
    if let Some(d) = LOAD_DEADLINE.with(|d| d.get()) {
        if std::time::Instant::now() > d {
            return Err(raise("FUNCTION LOAD timeout"));
        }
    }
    // Outside a run (or with the run busy in a callback) there is nothing to ask.
    match with_run(|run| run.host.busy()).flatten() {
        Some(e) => Err(mlua::Error::RuntimeError(format!("\u{1}{e}"))),
        None => Ok(mlua::VmState::Continue),
    }
}

/// `redis.set_repl` flags, as Redis numbers them.
pub const REPL_NONE: u8 = 0;
pub const REPL_AOF: u8 = 1;
pub const REPL_REPLICA: u8 = 2;
pub const REPL_ALL: u8 = 3;

/// A compiled script kept by its SHA-1.
struct Script {
    func: Function,
    /// The flags of its `#!lua flags=...` line (none without one).
    flags: Vec<&'static str>,
    /// Whether it has a `#!lua` line (its flags are then checked before it runs).
    shebang: bool,
}

/// One interpreter and the scripts compiled in it (`SCRIPT FLUSH` replaces the whole engine).
pub struct Engine {
    lua: Lua,
    /// The real globals; scripts see them through a read-only view.
    globals: Table,
    view: Table,
    /// The real `redis` table, where each run puts its `call` and `pcall`.
    redis: Table,
    handler: Function,
    xpcall: Function,
    /// `xpcall` of `f(keys, args)` (Lua 5.1's xpcall passes no arguments).
    invoke_with: Function,
    /// The prelude's `seal`: a read-only view of a table.
    seal: Function,
    scripts: HashMap<String, Script>,
    /// Total length of the cached bodies (`used_memory_scripts_eval`).
    pub bodies: usize,
}

/// Why a script could not be loaded: the whole error reply text.
pub struct CompileError(pub String);

/// What one run needs while the script calls back: the host and the protocol it asked for.
struct Run<'h> {
    host: &'h mut dyn Host,
    resp: u8,
}

impl Engine {
    pub fn new() -> Result<Engine, String> {
        prelude::build().map_err(|e| format!("cannot set up the Lua interpreter: {e}"))
    }

    /// Compile `body` and keep it under its SHA-1 (lowercase hex), which is returned.
    pub fn load(&mut self, body: &[u8]) -> Result<String, CompileError> {
        let sha = crate::sha1::hex(&crate::sha1::sha1(body));
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, code) = match body.strip_prefix(b"#!") {
            Some(_) => eval_shebang(body).map_err(CompileError)?,
            None => (Vec::new(), std::borrow::Cow::Borrowed(body)),
        };
        let func = self
            .lua
            .load(&*code)
            .set_name("@user_script")
            .set_environment(self.view.clone())
            .into_function()
            .map_err(|e| {
                CompileError(format!(
                    "ERR Error compiling script (new function): {}",
                    compile_message(&e)
                ))
            })?;
        self.bodies += body.len();
        let shebang = body.starts_with(b"#!");
        self.scripts.insert(
            sha.clone(),
            Script {
                func,
                flags,
                shebang,
            },
        );
        Ok(sha)
    }

    /// The shebang flags of cached script `sha`.
    pub fn flags(&self, sha: &str) -> &[&'static str] {
        self.scripts.get(sha).map_or(&[], |s| &s.flags)
    }

    /// Whether cached script `sha` declares its flags (`#!lua`).
    pub fn has_shebang(&self, sha: &str) -> bool {
        self.scripts.get(sha).is_some_and(|s| s.shebang)
    }

    pub fn exists(&self, sha: &str) -> bool {
        self.scripts.contains_key(sha)
    }

    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// Bytes the interpreter holds (`used_memory_vm_eval`).
    pub fn vm_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Run the cached script `sha` (lowercase) with `KEYS` and `ARGV`; `None` if it is not
    /// cached. The reply is shaped as Redis shapes a script's return value.
    pub fn run(
        &mut self,
        sha: &str,
        keys: &[Vec<u8>],
        argv: &[Vec<u8>],
        host: &mut dyn Host,
    ) -> Option<Reply> {
        let func = self.scripts.get(sha)?.func.clone();
        let set = (|| {
            self.globals
                .raw_set("KEYS", string_array(&self.lua, keys)?)?;
            self.globals.raw_set("ARGV", string_array(&self.lua, argv)?)
        })();
        Some(match set.and_then(|_| self.invoke(func, None, sha, host)) {
            Ok(r) => r,
            Err(e) => Reply::Error(format!("ERR Error running script: {e}")),
        })
    }

    /// Run `func` (with `(keys, args)` as its parameters when given: functions get them so)
    /// under the error handler, with `redis.call` and friends bound to `host`. `name` names
    /// the script in error replies (its SHA-1, or the function's name).
    pub(crate) fn invoke(
        &mut self,
        func: Function,
        params: Option<Params>,
        name: &str,
        host: &mut dyn Host,
    ) -> mlua::Result<Reply> {
        let lua = &self.lua;
        let params = match params {
            Some((k, a)) => Some((string_array(lua, k)?, string_array(lua, a)?)),
            None => None,
        };
        let run = RefCell::new(Run { host, resp: 2 });
        CURRENT.with(|c| c.set(&run as *const RefCell<Run> as *const ()));
        let _guard = RunGuard;
        let out = (|| {
            let r: MultiValue = match params {
                None => self.xpcall.call((func, self.handler.clone()))?,
                Some((k, a)) => self.invoke_with.call((func, self.handler.clone(), k, a))?,
            };
            let mut it = r.into_iter();
            let ok = matches!(it.next(), Some(Value::Boolean(true)));
            let v = it.next().unwrap_or(Value::Nil);
            let resp = run.borrow().resp;
            Ok(if ok {
                convert::to_reply(&v, resp)
            } else {
                Reply::Error(convert::error_text(&v, name))
            })
        })();
        out
    }
}

/// Run `f` on the run in progress (`None` outside a run, or if it is already borrowed).
fn with_run<R>(f: impl FnOnce(&mut Run<'static>) -> R) -> Option<R> {
    let ptr = CURRENT.with(|c| c.get()) as *const RefCell<Run<'static>>;
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `CURRENT` points at the `RefCell<Run>` on `invoke`'s stack while that function
    // runs the script and is cleared (RunGuard) before it returns, so the pointer is live
    // whenever the script calls back into Rust or the VM runs the instruction hook. The `'static` only names that lifetime: the
    // reference does not escape this function. The RefCell refuses an aliasing borrow.
    let run = unsafe { &*ptr };
    let mut run = run.try_borrow_mut().ok()?;
    Some(f(&mut run))
}

/// The `redis` functions bound to the running script's host (Rust functions, made once: they
/// find the run through `CURRENT`).
pub(crate) fn run_functions(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    redis.raw_set(
        "call",
        lua.create_function(|lua, args: MultiValue| redis_call(lua, args, true))?,
    )?;
    redis.raw_set(
        "pcall",
        lua.create_function(|lua, args: MultiValue| redis_call(lua, args, false))?,
    )?;
    redis.raw_set(
        "setresp",
        lua.create_function(|_, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise("redis.setresp() requires one argument."));
            }
            match args.front().and_then(convert::to_int) {
                Some(n @ (2 | 3)) => {
                    with_run(|r| r.resp = n as u8);
                    Ok(())
                }
                _ => Err(raise("RESP version must be 2 or 3.")),
            }
        })?,
    )?;
    redis.raw_set(
        "set_repl",
        lua.create_function(|_, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise("redis.set_repl() requires two arguments."));
            }
            match args.front().and_then(convert::to_int) {
                Some(n @ 0..=3) => {
                    with_run(|r| r.host.set_repl(n as u8));
                    Ok(())
                }
                _ => Err(raise(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                )),
            }
        })?,
    )?;
    redis.raw_set(
        "acl_check_cmd",
        lua.create_function(|_, args: MultiValue| {
            let Some(name) = args.front() else {
                return Err(raise(
                    "Please specify at least one argument for this redis lib call",
                ));
            };
            let name = convert::arg_bytes(name).unwrap_or_default();
            if with_run(|r| r.host.command_exists(&name)) != Some(true) {
                return Err(raise("Invalid command passed to redis.acl_check_cmd()"));
            }
            Ok(true)
        })?,
    )
}

/// An error raised to the script as Redis raises its error tables (`{err = "ERR <msg>"}`): the
/// prelude's handler and `pcall` recognise the leading `\u{1}`.
pub(crate) fn raise(msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!("\u{1}ERR {msg}"))
}

/// `redis.call` (`raise`) and `redis.pcall`: the converted reply. An error `redis.call` raises
/// goes out as a Rust error whose text starts with `\u{1}`; the prelude's error handler and
/// `pcall` turn it back into Redis's error table.
fn redis_call(lua: &Lua, args: MultiValue, raise: bool) -> mlua::Result<Value> {
    let argv = match convert::call_args(args) {
        Ok(a) => a,
        Err(msg) if raise => return Err(self::raise(msg)),
        Err(msg) => return convert::error_table(lua, msg),
    };
    let Some((reply, resp)) = with_run(|run| {
        let resp = run.resp;
        (run.host.call(argv, resp), resp)
    }) else {
        return Err(self::raise(
            "redis.call is only available while a script runs",
        ));
    };
    match reply {
        Reply::Error(e) if raise => Err(mlua::Error::RuntimeError(format!("\u{1}{e}"))),
        reply => convert::to_lua(lua, &reply, resp),
    }
}

/// A Lua array of byte strings (`KEYS`, `ARGV`).
fn string_array(lua: &Lua, items: &[Vec<u8>]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, a) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(a)?)?;
    }
    Ok(t)
}

/// An EVAL script's `#!lua [flags=a,b]` line: its flags, and the code with the line blanked
/// (line numbers in errors count it, as Redis's do).
fn eval_shebang(body: &[u8]) -> Result<(Vec<&'static str>, std::borrow::Cow<'_, [u8]>), String> {
    let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    if parts.next() != Some("#!lua") {
        let engine = line.split(' ').next().unwrap_or("");
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = Vec::new();
    for p in parts {
        let Some(list) = p.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {p}"));
        };
        for f in list.split(',').filter(|f| !f.is_empty()) {
            match functions::FLAG_NAMES.iter().find(|n| **n == f) {
                Some(n) => flags.push(*n),
                None => return Err(format!("ERR Unexpected flag in script shebang: {f}")),
            }
        }
    }
    Ok((flags, std::borrow::Cow::Owned(body[end..].to_vec())))
}

/// The compiler's message as Lua prints it (`user_script:1: unexpected symbol near ...`).
fn compile_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
