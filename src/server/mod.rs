//! Server state shared by every command handler, the execution context handed to handlers, and
//! `execute`, the single place where a parsed command is checked (arity, auth) and dispatched.
pub mod blocking;
pub mod client;
pub mod command;
pub mod multi;
pub mod obuf;
pub mod pubsub;

use crate::config::Config;
use crate::db::{Db, Keyspace};
use crate::resp::Reply;
use crate::util::lower;
use client::Client;
use command::{flags, Args, Command};
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

pub struct Server {
    pub config: Config,
    pub keyspace: Keyspace,
    pub clients: Slab<Box<Client>>,
    pub next_client_id: u64,
    pub stats: Stats,
    /// Server start, unix ms.
    pub start_ms: i64,
    pub run_id: String,
    /// Changes since the last save.
    pub dirty: u64,
    pub shutdown: Option<Shutdown>,
    /// The client whose SHUTDOWN is in progress (told why when the shutdown fails).
    pub shutdown_client: Option<usize>,
    /// Tokens of clients with output to flush before the next poll.
    pub pending_writes: Vec<usize>,
    pub commands: HashMap<Vec<u8>, &'static Command, crate::util::FastBuild>,
    pub pause: Pause,
    /// Cached time for this event-loop iteration (ms).
    pub now_ms: i64,
    /// Whether the active expire cycle runs (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: bool,
    /// Ops/sec samples for INFO instantaneous_ops_per_sec.
    pub ops_samples: crate::server::OpsSampler,
    pub executable: String,
    pub tcp_port: u16,
    /// When the command now running started: set at the start of each input batch and
    /// advanced by `execute` after each command.
    pub cmd_clock: std::time::Instant,
    /// Clients blocked on keys (BLPOP and friends).
    pub blocking: blocking::Registry,
    /// WATCHed keys (MULTI/EXEC optimistic locking).
    pub watched: multi::Watched,
    /// Pub/Sub subscriptions.
    pub pubsub: pubsub::PubSub,
    /// Saving and loading state (BGSAVE child, LASTSAVE, loading progress).
    pub persist: crate::persist::Persist,
    /// Replication id and offset (INFO replication, RDB AUX fields).
    pub replid: String,
    pub master_repl_offset: i64,
    /// Master side of replication: backlog, attached replicas, sync counters.
    pub master: crate::repl::master::Master,
    /// Set while this server follows a master (REPLICAOF / `replicaof`).
    pub replica: Option<Box<crate::repl::replica::Replica>>,
    /// Set in sentinel mode: the sentinel state machine (`sentinel::core`).
    pub sentinel: Option<Box<crate::sentinel::Sentinel>>,
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
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    pub client: &'a mut Client,
    pub now: i64,
}

impl<'a> Ctx<'a> {
    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.keyspace.dbs[self.client.db]
    }

    /// Record a write for save points and (later) propagation.
    pub fn dirty(&mut self, n: u64) {
        self.srv.dirty += n;
    }
}

pub fn random_hex40() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 20];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !ok {
        let mut x = crate::util::now_us() as u64 ^ (std::process::id() as u64) << 32;
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Server {
    pub fn new(config: Config) -> Self {
        let now = crate::util::now_ms();
        let mut commands = HashMap::default();
        for c in crate::cmd::all_commands() {
            commands.insert(c.name.as_bytes().to_vec(), c);
        }
        // Validated when the config was loaded; a failure here cannot happen.
        if let Err(e) = crate::config::rename::apply(&mut commands, &config.rename_commands) {
            log::warn!("rename-command: {e}");
        }
        // One startup warning naming the directives that are set but not acted on yet.
        config.log_unimplemented();
        let srv = Server {
            keyspace: Keyspace::new(config.databases),
            tcp_port: config.port,
            config,
            clients: Slab::new(),
            next_client_id: 1,
            stats: Stats::default(),
            start_ms: now,
            run_id: random_hex40(),
            dirty: 0,
            shutdown: None,
            shutdown_client: None,
            pending_writes: Vec::new(),
            commands,
            cmd_clock: std::time::Instant::now(),
            blocking: blocking::Registry::default(),
            watched: multi::Watched::default(),
            pubsub: pubsub::PubSub::default(),
            persist: crate::persist::Persist::new(now),
            replid: random_hex40(),
            master_repl_offset: 0,
            master: crate::repl::master::Master::new(),
            replica: None,
            sentinel: None,
            pause: Pause::None,
            now_ms: now,
            active_expire_enabled: true,
            ops_samples: OpsSampler::default(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        };
        crate::alloc::mark_startup();
        srv
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
type Resolved = (&'static Command, Option<&'static Command>);

/// Resolve the command (and subcommand) named by `args`, or the error Redis replies.
pub fn resolve(srv: &Server, args: &Args) -> Result<&'static Command, Reply> {
    match resolve_full(srv, args) {
        Ok((top, sub)) => Ok(sub.unwrap_or(top)),
        Err((e, _)) => Err(e),
    }
}

/// Like `resolve`, keeping the container; on error also returns the command the error is
/// charged to (arity errors count as `rejected_calls` of the command).
fn resolve_full(srv: &Server, args: &Args) -> Result<Resolved, (Reply, Option<Resolved>)> {
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
fn stat_name(r: Resolved) -> std::borrow::Cow<'static, str> {
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
fn cmd_stats(srv: &mut Server, r: Resolved) -> &mut CommandStats {
    srv.stats
        .commands
        .entry(stat_key(r))
        .or_insert_with(|| CommandStats {
            name: stat_name(r),
            ..Default::default()
        })
}

/// Count an error reply for INFO stats/errorstats: the code is the first word of the message.
pub fn count_error(srv: &mut Server, msg: &str) {
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

/// Check and run one command for `client`, returning its reply. Inside MULTI the command is
/// queued instead (see `multi`); a subscribed RESP2 client may only run the Pub/Sub commands.
pub fn execute(srv: &mut Server, client: &mut Client, args: &mut Args) -> Reply {
    let resolved = match check(srv, client, args) {
        Ok(r) => r,
        Err((e, charged)) => return reject(srv, client, e, charged),
    };
    if !client.no_block {
        client.last_cmd.clear();
        match resolved {
            (top, None) => client.last_cmd.push_str(top.name),
            (top, Some(sub)) => {
                client.last_cmd.push_str(top.name);
                client.last_cmd.push('|');
                client.last_cmd.push_str(sub.name);
            }
        }
        if client.multi.is_some() && !multi_control(resolved.0) {
            let cmd = resolved.1.unwrap_or(resolved.0);
            if let Some(m) = client.multi.as_mut() {
                m.flags |= cmd.flags;
                m.mem += args.iter().map(|a| a.len() + 8).sum::<usize>();
                m.cmds.push(std::mem::take(args));
            }
            return Reply::status("QUEUED");
        }
    }
    call(srv, client, resolved, args)
}

/// Commands that run at once inside MULTI instead of being queued.
fn multi_control(top: &Command) -> bool {
    matches!(
        top.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Commands a subscribed RESP2 client may run.
fn pubsub_allowed(top: &Command) -> bool {
    matches!(
        top.name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

type Rejection = (Reply, Option<Resolved>);

/// Everything checked before a command may run or be queued: that it exists with the right
/// arity, authentication, and the subscribed-client restriction.
fn check(srv: &Server, client: &Client, args: &Args) -> Result<Resolved, Rejection> {
    let resolved = resolve_full(srv, args)?;
    let cmd = resolved.1.unwrap_or(resolved.0);
    if srv.auth_required(client) && !cmd.has(flags::NO_AUTH) {
        return Err((
            Reply::err("NOAUTH Authentication required."),
            Some(resolved),
        ));
    }
    if !client.no_block
        && crate::persist::writes_denied(srv)
        && denied_on_disk_error(client, resolved)
    {
        return Err((Reply::err(crate::persist::MISCONF_ERR), Some(resolved)));
    }
    if srv.config.min_replicas_to_write > 0
        && is_write_command(client, resolved)
        && !crate::repl::master::enough_good_replicas(srv)
    {
        return Err((
            Reply::err(crate::repl::master::NOREPLICAS_ERR),
            Some(resolved),
        ));
    }
    if srv.replica.is_some()
        && srv.config.replica_read_only
        && client.kind != client::ClientKind::Master
        && is_write_command(client, resolved)
    {
        return Err((
            Reply::err("READONLY You can't write against a read only replica."),
            Some(resolved),
        ));
    }
    if srv.replica.as_ref().is_some_and(|r| !r.link.is_up())
        && !srv.config.replica_serve_stale_data
        && !cmd.has(flags::STALE)
    {
        return Err((
            Reply::err(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ),
            Some(resolved),
        ));
    }
    if client.resp == 2
        && client.kind == client::ClientKind::PubSub
        && !client.no_block
        && !pubsub_allowed(resolved.0)
    {
        return Err((
            Reply::Error(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                stat_name(resolved)
            )),
            Some(resolved),
        ));
    }
    if crate::persist::is_loading(srv) && !cmd.has(flags::LOADING) {
        return Err((Reply::err(crate::persist::LOADING_ERR), Some(resolved)));
    }
    Ok(resolved)
}

/// Commands refused with -MISCONF when the last background save failed: writes, an EXEC of
/// queued writes, and (as in Redis) PING.
fn denied_on_disk_error(client: &Client, (top, sub): Resolved) -> bool {
    let cmd = sub.unwrap_or(top);
    cmd.is_write()
        || top.name == "ping"
        || (top.name == "exec"
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.flags & flags::WRITE != 0))
}

/// Writes, and an EXEC of queued writes (refused on a read-only replica).
fn is_write_command(client: &Client, (top, sub): Resolved) -> bool {
    sub.unwrap_or(top).is_write()
        || (top.name == "exec"
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.flags & flags::WRITE != 0))
}

/// A command refused before running: count it, flag an open transaction (its EXEC will
/// fail), and turn the refusal of EXEC itself into the EXECABORT Redis replies.
fn reject(srv: &mut Server, client: &mut Client, e: Reply, charged: Option<Resolved>) -> Reply {
    if let Some(r) = charged {
        cmd_stats(srv, r).rejected_calls += 1;
    }
    if client.no_block {
        if let Reply::Error(msg) = &e {
            count_error(srv, msg);
        }
        return e;
    }
    if let Some(m) = client.multi.as_mut() {
        m.dirty_exec = true;
    }
    let e = match (&e, charged) {
        (Reply::Error(msg), Some((top, _))) if top.name == "exec" => {
            multi::discard(srv, client);
            let why = msg.strip_prefix("ERR ").unwrap_or(msg);
            Reply::Error(format!("EXECABORT Transaction discarded because of: {why}"))
        }
        _ => e,
    };
    if let Reply::Error(msg) = &e {
        count_error(srv, msg);
    }
    e
}

/// Run a checked command: the handler, then the after-write hooks and the stats. EXEC runs
/// its queued commands through `execute` with `client.no_block` set, which lands here.
fn call(srv: &mut Server, client: &mut Client, resolved: Resolved, args: &mut Args) -> Reply {
    let cmd = resolved.1.unwrap_or(resolved.0);
    let now = srv.now_ms;
    let dirty_before = srv.dirty;
    let errors_before = srv.stats.total_error_replies;
    // Handlers may take their arguments: copy the keys first when someone waits on writes.
    let keys = if cmd.is_write() && !(srv.blocking.is_empty() && srv.watched.is_empty()) {
        Some(keys_before(cmd, args))
    } else {
        None
    };
    // Handlers may take their arguments: keep them for replication.
    let forced = crate::repl::master::propagate::always(srv, client, cmd);
    let repl_args = ((cmd.is_write() || forced) && crate::repl::master::propagate::active(srv))
        .then(|| crate::repl::master::propagate::keep(srv, cmd, args));
    let mode = match (srv.replica.is_some(), client.kind) {
        (false, _) => crate::db::ExpiryMode::Delete,
        (true, client::ClientKind::Master) => crate::db::ExpiryMode::Keep,
        (true, _) => crate::db::ExpiryMode::Hide,
    };
    srv.keyspace.set_expiry_mode(mode);
    let offset_before = srv.master_repl_offset;
    let reply = {
        let mut ctx = Ctx { srv, client, now };
        (cmd.handler)(&mut ctx, args)
    };
    if let Some(orig) = repl_args {
        if srv.dirty != dirty_before || forced {
            crate::repl::master::propagate::command(srv, client.db, cmd, orig, &reply);
        } else {
            crate::repl::master::propagate::discard(srv, orig);
        }
    }
    // Inside EXEC (no_block) the offset is taken when EXEC itself ends, as Redis propagates
    // a transaction as a whole: a WAIT queued in it counts acks for the writes before it.
    if srv.master_repl_offset != offset_before && !client.no_block {
        client.woff = srv.master_repl_offset;
    }
    if srv.dirty != dirty_before {
        if let Some(keys) = &keys {
            after_write(srv, client.db, cmd, args, keys);
        }
    }
    let just_blocked = client.blocked.is_some() && !client.reexec;
    if just_blocked {
        blocking::note_args(client, args);
    }
    let expired = srv.keyspace.take_expired();
    if expired > 0 {
        srv.stats.expired_keys += expired;
        if !srv.watched.is_empty() {
            // Keys the command found expired and deleted: a change for their watchers.
            for i in command::key_positions(cmd, args) {
                multi::note_expired(srv, client.db, &args[i]);
            }
        }
    }
    // One clock read per command: this command's end is the next one's start (clock reads
    // are syscalls on some VMs, and a pipelined batch runs back to back).
    let end = std::time::Instant::now();
    let usec = end.duration_since(srv.cmd_clock).as_micros() as u64;
    srv.cmd_clock = end;
    // Like Redis, a command fails when it replied an error to anyone (CLIENT UNBLOCK ... ERROR
    // sends one to the client it unblocks).
    let failed = reply.is_error() || srv.stats.total_error_replies != errors_before;
    let st = cmd_stats(srv, resolved);
    // A command that blocked is counted once, when it is finally served.
    st.calls += !just_blocked as u64;
    st.usec += usec;
    st.failed_calls += failed as u64;
    if let Reply::Error(e) = &reply {
        count_error(srv, e);
    }
    srv.stats.total_commands_processed += !client.reexec as u64;
    reply
}

/// The key arguments of a write command (position and copy), taken before its handler runs.
fn keys_before(cmd: &Command, args: &Args) -> Vec<(usize, Vec<u8>)> {
    command::key_positions(cmd, args)
        .into_iter()
        .map(|i| (i, args[i].clone()))
        .collect()
}

/// A command changed the data set: wake clients blocked on the keys it wrote and invalidate
/// WATCHes of those keys (`keys`: the key arguments as they were before the handler ran).
/// Commands that write outside the client's database (MOVE, COPY ... DB, SWAPDB, FLUSHALL)
/// re-check every blocked key and touch the watched keys they affect.
fn after_write(srv: &mut Server, db: usize, cmd: &Command, args: &Args, keys: &[(usize, Vec<u8>)]) {
    if srv.blocking.is_empty() && srv.watched.is_empty() {
        return;
    }
    match cmd.name {
        "move" | "copy" | "swapdb" | "flushall" | "flushdb" => {
            blocking::signal_all(srv);
            let mut restored = args.clone();
            for (i, k) in keys {
                if let Some(slot) = restored.get_mut(*i) {
                    slot.clone_from(k);
                }
            }
            multi::touch_command(srv, db, cmd, &restored);
            return;
        }
        _ => {}
    }
    for (_, k) in keys {
        blocking::signal_key(srv, db, k);
        multi::touch_key(srv, db, k);
    }
}
