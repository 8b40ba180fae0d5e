//! The command table: name, arity, flags, key positions, handler, and how the command goes to
//! replicas. Families register their commands in `cmd::*::COMMANDS`; dispatch checks arity,
//! auth and flags in one place, and asks the table (never the name) what a command is.
use super::{Ctx, Server};
use crate::resp::Reply;
use crate::sentinel::Sentinel;

/// Command arguments, including the command name at index 0. Handlers may take ownership of
/// individual arguments with `std::mem::take` to avoid copying values.
pub type Args = Vec<Vec<u8>>;
/// How a data node runs a command.
pub type Handler = fn(&mut Ctx, &mut Args) -> Reply;
/// How a sentinel runs a command.
pub type SentinelHandler = fn(&mut Ctx<Sentinel>, &mut Args) -> Reply;
/// Key positions of a command whose keys move with its arguments (ZUNIONSTORE, LMPOP, SORT
/// STORE, ...): indexes into the full argument vector, name at 0. Must not panic on any input
/// that passed the arity check.
pub type KeysFn = fn(&[Vec<u8>]) -> Vec<usize>;

pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const SENTINEL: u32 = 1 << 14;
    pub const ONLY_SENTINEL: u32 = 1 << 15;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 16;
    pub const PROTECTED: u32 = 1 << 17;
    pub const NO_ASYNC_LOADING: u32 = 1 << 18;
    pub const NO_MULTI: u32 = 1 << 19;
    pub const MOVABLE_KEYS: u32 = 1 << 20;
    pub const ALLOW_BUSY: u32 = 1 << 21;

    // Internal dispatch flags: not in `NAMES`, so COMMAND INFO never reports them.
    /// Runs at once inside MULTI instead of being queued (EXEC, DISCARD, MULTI, WATCH, QUIT,
    /// RESET).
    pub const TX_CONTROL: u32 = 1 << 22;
    /// May run while a RESP2 client is subscribed ((P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING,
    /// QUIT, RESET).
    pub const PUBSUB_CONTEXT: u32 = 1 << 23;
    /// Writes outside the client's database, or whole databases (MOVE, COPY ... DB, SWAPDB,
    /// FLUSHALL, FLUSHDB): every blocked key is re-checked, and the command's `touch` hook
    /// says which watched keys it affects.
    pub const ALL_DBS: u32 = 1 << 24;
    /// Refused with -MISCONF after a failed background save although it writes nothing
    /// (PING, as in Redis).
    pub const DENY_ON_DISK_ERROR: u32 = 1 << 25;
    /// Runs the transaction MULTI queued (EXEC): it counts as a write when a queued command
    /// does, and its refusal aborts the transaction (EXECABORT).
    pub const EXEC_QUEUED: u32 = 1 << 26;
    /// Propagated to replicas even when it changes no data (PUBLISH, SPUBLISH: the replicas'
    /// subscribers get the message), as Redis's forceCommandPropagation.
    pub const FORCE_REPL: u32 = 1 << 27;

    /// Flag names as COMMAND INFO reports them, in Redis's order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// One entry of the command table.
pub struct Command {
    /// Lowercase name.
    pub name: &'static str,
    /// Positive: exact argc; negative: at least -arity.
    pub arity: i32,
    pub flags: u32,
    /// Key positions for COMMAND INFO / GETKEYS (0 = no keys; last may be negative).
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// ACL categories without the `@`, e.g. `&["string", "fast"]`.
    pub acl: &'static [&'static str],
    pub handler: Handler,
    /// How a sentinel runs it, for the commands a sentinel serves (flagged `SENTINEL`): the
    /// same generic function as `handler` where both roles behave alike, else its own.
    pub sentinel: Option<SentinelHandler>,
    /// Subcommands of a container command (CLIENT, CONFIG, ...); `handler` of the container
    /// is then only used for `HELP`-less dispatch errors.
    pub subcommands: &'static [Command],
    /// For MOVABLE_KEYS commands: where the keys are. Others use first/last/step.
    pub getkeys: Option<KeysFn>,
    /// For commands not propagated as called (relative TTLs, randomness, served blocking
    /// pops, ...): what goes to the replicas instead. None: always as called.
    pub propagate: Option<Propagate>,
    /// For ALL_DBS commands: the watched keys the call touches (given the arguments as they
    /// were before the handler ran). Others touch their key arguments in the client's db.
    pub touch: Option<TouchFn>,
    /// For commands whose key spec has `variable_flags` (SET, BITFIELD): the flags of their
    /// key for these arguments (COMMAND GETKEYSANDFLAGS).
    pub key_flags: Option<KeyFlagsFn>,
}

/// The key flags of a call with these arguments (name first).
pub type KeyFlagsFn = fn(&[Vec<u8>]) -> &'static [&'static str];

/// Touch the watched keys a command affected in any database: `(srv, client db, args)`.
pub type TouchFn = fn(&mut Server, usize, &Args);

/// How a command's execution is propagated to replicas (and later the AOF) when it differs
/// from the call.
#[derive(Clone, Copy)]
pub struct Propagate {
    /// Whether this call may be propagated otherwise than as called, from its arguments
    /// alone. Checked before the handler runs; only then are the arguments copied for
    /// `rewrite` (the others go out as called, encoded at once).
    pub when: fn(&[Vec<u8>]) -> bool,
    /// What to propagate, once the call changed the data set: from the arguments as called,
    /// the reply, and the data set after the call.
    pub rewrite: fn(&PropagateCtx, &[Vec<u8>], &Reply) -> Propagation,
}

impl Propagate {
    /// A hook asked for every call of its command.
    pub const fn always(rewrite: fn(&PropagateCtx, &[Vec<u8>], &Reply) -> Propagation) -> Self {
        Propagate {
            when: |_| true,
            rewrite,
        }
    }
}

/// What a propagation hook sends.
#[derive(Debug, PartialEq, Eq)]
pub enum Propagation {
    /// The command as the client called it.
    AsCalled,
    /// This command instead.
    Instead(Args),
    /// Nothing (the call changed nothing a replica must repeat).
    Nothing,
    /// The commands the handler queued in `Server::also_propagate` (Redis's `alsoPropagate`
    /// with the call itself not propagated: XREADGROUP and XCLAIM as XCLAIM/XGROUP SETID),
    /// wrapped in MULTI/EXEC when there are several.
    Also,
}

impl Propagation {
    /// `Instead` the given command, or as called when there is none.
    pub fn instead_or_as_called(args: Option<Args>) -> Self {
        args.map_or(Propagation::AsCalled, Propagation::Instead)
    }
}

/// What a propagation hook sees besides the call: the server after the call, and the
/// database the command ran against.
pub struct PropagateCtx<'a> {
    pub srv: &'a Server,
    pub db: usize,
}

impl PropagateCtx<'_> {
    /// The absolute expire time (ms) of `key` after the command, if it has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.srv.role.keyspace.dbs[self.db].get_expire(key)
    }

    /// The absolute expire of `key` after the command: `PEXPIREAT key at`, `PERSIST key`, or
    /// `DEL key` when the command removed it.
    pub fn ttl_form(&self, key: &[u8]) -> Args {
        let d = &self.srv.role.keyspace.dbs[self.db];
        if d.dict.get(key).is_none() {
            return vec![b"DEL".to_vec(), key.to_vec()];
        }
        match d.get_expire(key) {
            Some(at) => vec![
                b"PEXPIREAT".to_vec(),
                key.to_vec(),
                at.to_string().into_bytes(),
            ],
            None => vec![b"PERSIST".to_vec(), key.to_vec()],
        }
    }
}

/// A single value of a reply as an argument (bulk, status, integer or double).
pub fn reply_bulk(r: &Reply) -> Option<Vec<u8>> {
    match r {
        Reply::Bulk(v) | Reply::Verbatim(v) => Some(v.clone()),
        Reply::Status(s) => Some(s.as_bytes().to_vec()),
        Reply::Int(n) => Some(n.to_string().into_bytes()),
        Reply::Double(d) => Some(crate::util::fmt_double(*d).into_bytes()),
        Reply::DoubleText(t) => Some(t.as_bytes().to_vec()),
        _ => None,
    }
}

/// The elements of an aggregate reply.
pub fn reply_items(r: &Reply) -> Option<&[Reply]> {
    match r {
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => Some(v),
        _ => None,
    }
}

impl Command {
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    pub fn is_write(&self) -> bool {
        self.has(flags::WRITE)
    }
}

/// The reply of a table entry that has no handler (a container reached without a subcommand).
pub const NOT_IMPLEMENTED: &str = "ERR not implemented";

/// A `Command` with neutral defaults, for use with struct update syntax in tables.
pub const BASE: Command = Command {
    name: "",
    arity: 0,
    flags: 0,
    first_key: 0,
    last_key: 0,
    step: 0,
    acl: &[],
    handler: |_, _| Reply::err(NOT_IMPLEMENTED),
    sentinel: None,
    subcommands: &[],
    getkeys: None,
    propagate: None,
    touch: None,
    key_flags: None,
};

/// A command whose only key is its first argument (the common shape), for table brevity.
pub const fn single_key(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    handler: Handler,
) -> Command {
    Command {
        name,
        arity,
        flags,
        first_key: 1,
        last_key: 1,
        step: 1,
        acl,
        handler,
        ..BASE
    }
}

/// A command whose keys move with its arguments (a numkeys count, a STORE option): its key
/// positions come from `getkeys`.
pub const fn movable_keys(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    handler: Handler,
    getkeys: KeysFn,
) -> Command {
    Command {
        name,
        arity,
        flags: flags | flags::MOVABLE_KEYS,
        acl,
        handler,
        getkeys: Some(getkeys),
        ..BASE
    }
}

/// Positions of the keys in `args` (name first): from the command's key function when it has
/// one, else from its first/last/step range.
pub fn key_positions(c: &Command, args: &[Vec<u8>]) -> Vec<usize> {
    if let Some(f) = c.getkeys {
        return f(args).into_iter().filter(|&i| i < args.len()).collect();
    }
    let argc = args.len();
    if c.first_key <= 0 {
        return vec![];
    }
    let last = if c.last_key < 0 {
        argc as i64 + c.last_key as i64
    } else {
        c.last_key as i64
    };
    let step = c.step.max(1) as usize;
    (c.first_key as usize..=last.max(0) as usize)
        .step_by(step)
        .filter(|&i| i < argc)
        .collect()
}
