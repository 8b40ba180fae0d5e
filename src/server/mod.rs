//! Server state shared by every command handler: what every role has (`Server<R>`) and what a
//! data node adds (`DataNode`); the execution context handed to handlers, the command lookup
//! (name, subcommand, arity) and the per-command stats. `dispatch::execute` runs commands
//! against it.
pub mod blocking;
pub mod busy;
pub mod client;
pub mod command;
pub mod multi;
pub mod obuf;
pub mod pubsub;
pub mod rename;

use crate::config::Config;
use crate::db::{Db, Keyspace};
use crate::resp::Reply;
use crate::util::lower;
use client::Client;
use command::{Args, Command};
use slab::Slab;
use std::collections::HashMap;

/// Counters reported by INFO stats and reset by CONFIG RESETSTAT.
#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub client_qbuf_limit_disconnections: u64,
    pub client_outbuf_limit_disconnections: u64,
    /// Socket reads and writes performed (INFO total_reads_processed / total_writes_processed).
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    /// Per-command `(calls, usec, rejected, failed)`, keyed by command name; subcommands are
    /// keyed `container|sub` as in Redis (`client|list`).
    /// Per-command counters keyed by the resolved (command, subcommand) table entries.
    pub commands: HashMap<StatKey, CommandStats, crate::util::FastBuild>,
    /// Error prefixes counted for INFO errorstats.
    pub errors: HashMap<String, u64>,
}

/// Identity of a resolved command for stats: addresses of its static table entries.
pub type StatKey = (usize, usize);

#[derive(Default, Debug, Clone)]
pub struct CommandStats {
    /// The name stats report (`get`, `client|list`).
    pub name: std::borrow::Cow<'static, str>,
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// Why and how the server is going down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Save if save points are configured (SIGTERM, plain SHUTDOWN).
    Default,
    Save,
    NoSave,
}

/// CLIENT PAUSE state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    None,
    /// Pause write commands only until the deadline (ms).
    Write(i64),
    All(i64),
}

/// The command table a server answers, by lowercase name (after `rename-command`).
pub type CommandMap = HashMap<Vec<u8>, &'static Command, crate::util::FastBuild>;

/// The state of a server: what every role has (clients, the command table, pub/sub, config,
/// stats, ids, shutdown) and `role`, what its role adds: a data node's keyspaces, persistence and
/// replication (`DataNode`, the default), or the sentinel core (`Server<Sentinel>`), which has
/// none of them. Code that serves clients is generic over the role; the rest names one.
pub struct Server<R = DataNode> {
    pub config: Config,
    pub clients: Slab<Box<Client>>,
    pub next_client_id: u64,
    pub stats: Stats,
    /// Server start, unix ms.
    pub start_ms: i64,
    pub run_id: String,
    pub shutdown: Option<Shutdown>,
    /// The client whose SHUTDOWN is in progress (told why when the shutdown fails).
    pub shutdown_client: Option<usize>,
    /// Tokens of clients with output to flush before the next poll.
    pub pending_writes: Vec<usize>,
    pub commands: CommandMap,
    pub pause: Pause,
    /// Cached time for this event-loop iteration (ms).
    pub now_ms: i64,
    /// Ops/sec samples for INFO instantaneous_ops_per_sec.
    pub ops_samples: crate::server::OpsSampler,
    pub executable: String,
    pub tcp_port: u16,
    /// When the command now running started: set at the start of each input batch and
    /// advanced by `execute` after each command.
    pub cmd_clock: std::time::Instant,
    /// Pub/Sub subscriptions.
    pub pubsub: pubsub::PubSub,
    /// What the role adds.
    pub role: R,
}

/// What a data node adds to the state every role has: the keyspaces, persistence and
/// replication, and the clients' key-related registries (blocked on keys, WATCHed keys).
pub struct DataNode {
    pub keyspace: Keyspace,
    /// Changes since the last save.
    pub dirty: u64,
    /// Whether the active expire cycle runs (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: bool,
    /// Clients blocked on keys (BLPOP and friends).
    pub blocking: blocking::Registry,
    /// WATCHed keys (MULTI/EXEC optimistic locking).
    pub watched: multi::Watched,
    /// Saving and loading state (BGSAVE child, LASTSAVE, loading progress).
    pub persist: crate::persist::Persist,
    /// Replication id and offset (INFO replication, RDB AUX fields).
    pub replid: String,
    pub master_repl_offset: i64,
    /// Master side of replication: backlog, attached replicas, sync counters.
    pub master: crate::repl::master::Master,
    /// Set while this server follows a master (REPLICAOF / `replicaof`).
    pub replica: Option<Box<crate::repl::replica::Follower<Client>>>,
    /// The Lua interpreters (made on first use) and the client scripts' commands run as.
    pub scripts: Scripts,
    /// Commands a handler wants replicas to get instead of its call (see
    /// `Propagation::Also`); emptied after every command.
    pub also_propagate: Vec<Vec<Vec<u8>>>,
    /// How a script past `busy-reply-threshold` serves the other clients (installed by the
    /// event loop).
    pub busy_serve: Option<Box<dyn busy::BusyServe>>,
}

/// Scripting state: the interpreter and its cache (`SCRIPT FLUSH` drops both), and the client
/// a script's commands run as (kept between runs).
#[derive(Default)]
pub struct Scripts {
    pub engine: Option<Box<crate::lua::Engine>>,
    /// Function libraries (FUNCTION LOAD), in an interpreter of their own.
    pub functions: Option<Box<crate::lua::functions::Functions>>,
    pub client: Option<Box<Client>>,
    /// The id of the client the running script's commands use (0: no script running).
    pub running_client: u64,
    /// The slot of the client that called the running script: taken out of `clients` while
    /// it runs, so clients accepted meanwhile must not be given it.
    pub caller_token: Option<usize>,
    /// Set once the running script is past `busy-reply-threshold`.
    pub busy: Option<busy::BusyScript>,
    /// Where the running script's writes go (`redis.set_repl`: `lua::REPL_*` bits).
    pub repl: u8,
}

impl DataNode {
    /// An empty data node with `databases` databases, started at `now` (ms).
    pub fn new(databases: usize, now: i64) -> Self {
        DataNode {
            keyspace: Keyspace::new(databases),
            dirty: 0,
            active_expire_enabled: true,
            blocking: blocking::Registry::default(),
            watched: multi::Watched::default(),
            persist: crate::persist::Persist::new(now),
            replid: crate::util::random_hex40(),
            master_repl_offset: 0,
            master: crate::repl::master::Master::new(),
            replica: None,
            scripts: Scripts::default(),
            also_propagate: Vec::new(),
            busy_serve: None,
        }
    }
}

/// Rolling samples of a counter, as Redis's `trackInstantaneousMetric`.
#[derive(Default, Debug, Clone)]
pub struct OpsSampler {
    samples: [f64; 16],
    idx: usize,
    last_count: u64,
    last_ms: i64,
}

impl OpsSampler {
    pub fn track(&mut self, count: u64, now_ms: i64) {
        let dt = now_ms - self.last_ms;
        if self.last_ms != 0 && dt > 0 {
            let ops = (count.saturating_sub(self.last_count)) as f64 * 1000.0 / dt as f64;
            self.samples[self.idx] = ops;
            self.idx = (self.idx + 1) % self.samples.len();
        }
        self.last_count = count;
        self.last_ms = now_ms;
    }
    pub fn value(&self) -> u64 {
        (self.samples.iter().sum::<f64>() / self.samples.len() as f64) as u64
    }
}

/// What a handler sees: the server, the calling client, and the time the command started.
/// A data node's handlers take `Ctx` (`Ctx<DataNode>`), a sentinel's own `Ctx<Sentinel>`, and
/// the handlers both roles share are generic over the role.
pub struct Ctx<'a, R = DataNode> {
    pub srv: &'a mut Server<R>,
    pub client: &'a mut Client,
    pub now: i64,
}

impl Ctx<'_> {
    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.role.keyspace.dbs[self.client.db]
    }

    /// Record a write for save points and (later) propagation.
    pub fn dirty(&mut self, n: u64) {
        self.srv.role.dirty += n;
    }
}

/// The table `table` by name, as a server answers it.
pub fn command_map(table: Vec<&'static Command>) -> CommandMap {
    table
        .into_iter()
        .map(|c| (c.name.as_bytes().to_vec(), c))
        .collect()
}

impl Server {
    /// A data node with `config` and the command `table` (`cmd::all_commands()`), renamed as
    /// the config's `rename-command` lines say.
    pub fn new(config: Config, table: Vec<&'static Command>) -> Self {
        let mut commands = command_map(table);
        // Validated when the config was loaded; a failure here cannot happen.
        if let Err(e) = rename::apply(&mut commands, &config.rename_commands) {
            log::warn!("rename-command: {e}");
        }
        let node = DataNode::new(config.databases, crate::util::now_ms());
        Server::with_role(config, commands, node)
    }
}

impl<R> Server<R> {
    /// A server of role `role` with `config`, answering `commands`.
    pub fn with_role(config: Config, commands: CommandMap, role: R) -> Self {
        let now = crate::util::now_ms();
        // One startup warning naming the directives that are set but not acted on yet.
        config.log_unimplemented();
        let srv = Server {
            tcp_port: config.port,
            config,
            clients: Slab::new(),
            next_client_id: 1,
            stats: Stats::default(),
            start_ms: now,
            run_id: crate::util::random_hex40(),
            shutdown: None,
            shutdown_client: None,
            pending_writes: Vec::new(),
            commands,
            cmd_clock: std::time::Instant::now(),
            pubsub: pubsub::PubSub::default(),
            pause: Pause::None,
            now_ms: now,
            ops_samples: OpsSampler::default(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            role,
        };
        crate::alloc::mark_startup();
        srv
    }

    /// A fresh client id (also the epoch of a replica's link to its master).
    pub fn new_client_id(&mut self) -> u64 {
        let id = self.next_client_id;
        self.next_client_id += 1;
        id
    }

    pub fn lookup_command(&self, name: &[u8]) -> Option<&'static Command> {
        if name.len() > 64 {
            return None;
        }
        let mut buf = [0u8; 64];
        let n = name.len();
        buf[..n].copy_from_slice(name);
        buf[..n].make_ascii_lowercase();
        self.commands.get(&buf[..n]).copied()
    }

    /// True when the client must authenticate before running `cmd`.
    pub fn auth_required(&self, c: &Client) -> bool {
        !c.authenticated && self.config.requirepass.is_some()
    }
}

fn arity_ok(arity: i32, argc: usize) -> bool {
    (arity > 0 && argc as i32 == arity) || (arity < 0 && argc as i32 >= -arity)
}

/// A resolved command: the top-level entry and, for container commands, the subcommand.
pub type Resolved = (&'static Command, Option<&'static Command>);

/// Resolve the command (and subcommand) named by `args`, or the error Redis replies.
pub fn resolve<R>(srv: &Server<R>, args: &Args) -> Result<&'static Command, Reply> {
    match resolve_full(srv, args) {
        Ok((top, sub)) => Ok(sub.unwrap_or(top)),
        Err((e, _)) => Err(e),
    }
}

/// Like `resolve`, keeping the container; on error also returns the command the error is
/// charged to (arity errors count as `rejected_calls` of the command).
pub fn resolve_full<R>(
    srv: &Server<R>,
    args: &Args,
) -> Result<Resolved, (Reply, Option<Resolved>)> {
    let Some(cmd) = srv.lookup_command(&args[0]) else {
        let mut rest = String::new();
        for a in args.iter().skip(1) {
            if rest.len() >= 128 {
                break;
            }
            let room = 128 - rest.len();
            let s = String::from_utf8_lossy(a);
            let s: String = s.chars().take(room).collect();
            rest.push_str(&format!("'{s}' "));
        }
        let name: String = String::from_utf8_lossy(&args[0])
            .chars()
            .take(128)
            .collect();
        return Err((
            Reply::Error(format!(
                "ERR unknown command '{name}', with args beginning with: {rest}"
            )),
            None,
        ));
    };
    if cmd.subcommands.is_empty() || args.len() < 2 {
        if !arity_ok(cmd.arity, args.len()) {
            return Err((Reply::wrong_arity(cmd.name), Some((cmd, None))));
        }
        return Ok((cmd, None));
    }
    let sub = lower(&args[1]);
    match cmd
        .subcommands
        .iter()
        .find(|s| s.name.as_bytes() == sub.as_slice())
    {
        Some(s) => {
            if !arity_ok(s.arity, args.len()) {
                return Err((
                    Reply::Error(format!(
                        "ERR wrong number of arguments for '{}|{}' command",
                        cmd.name, s.name
                    )),
                    Some((cmd, Some(s))),
                ));
            }
            Ok((cmd, Some(s)))
        }
        None => {
            let name: String = String::from_utf8_lossy(&args[1])
                .chars()
                .take(128)
                .collect();
            Err((
                Reply::Error(format!(
                    "ERR unknown subcommand '{}'. Try {} HELP.",
                    name,
                    cmd.name.to_ascii_uppercase()
                )),
                None,
            ))
        }
    }
}

/// The name a command is known by in stats and CLIENT LIST (`get`, `client|list`).
pub fn stat_name(r: Resolved) -> std::borrow::Cow<'static, str> {
    match r {
        (top, None) => std::borrow::Cow::Borrowed(top.name),
        (top, Some(sub)) => std::borrow::Cow::Owned(format!("{}|{}", top.name, sub.name)),
    }
}

fn stat_key(r: Resolved) -> StatKey {
    (
        r.0 as *const Command as usize,
        r.1.map(|c| c as *const Command as usize).unwrap_or(0),
    )
}

/// The stats entry of a resolved command, created (and named) on first use.
pub fn cmd_stats<R>(srv: &mut Server<R>, r: Resolved) -> &mut CommandStats {
    srv.stats
        .commands
        .entry(stat_key(r))
        .or_insert_with(|| CommandStats {
            name: stat_name(r),
            ..Default::default()
        })
}

/// Count an error reply for INFO stats/errorstats: the code is the first word of the message.
pub fn count_error<R>(srv: &mut Server<R>, msg: &str) {
    srv.stats.total_error_replies += 1;
    let head = &msg.as_bytes()[..msg.len().min(32)];
    let code = match head.iter().position(|&b| b == b' ') {
        Some(i) => &msg[..i],
        None => "ERR",
    };
    if let Some(n) = srv.stats.errors.get_mut(code) {
        *n += 1;
    } else if srv.stats.errors.len() < 128 {
        // Like Redis, stop tracking new error codes past 128 distinct ones.
        srv.stats.errors.insert(code.to_string(), 1);
    }
}
