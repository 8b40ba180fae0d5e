//! oxidis: a Redis-compatible data server, and a Redis-compatible sentinel.
//!
//! ```text
//! socket bytes ─► resp::decode ─► dispatch::execute (arity, auth, flags) ─► cmd handler ─► Reply
//!                                        │                                                 │
//!                                        └─► node::propagate (backlog, replicas)           │
//!                                                          resp::encode ◄──────────────────┘ ─► socket
//! ```
//! `event_loop` is the only module that touches sockets; everything else works on values.
//!
//! `launch` chooses the role once: a data node (`Server`, i.e. `Server<DataNode>`: keyspaces,
//! persistence, replication) or a sentinel (`Server<Sentinel>`: clients, pub/sub and the
//! sentinel core, nothing else). The client side (the loop's accept/read/reply/flush, pub/sub,
//! the commands both roles serve) is written once, generic over the role.
//!
//! # Layers
//! Each top-level module sits in one layer; a module imports (`crate::…`) only from its own
//! layer or lower ones, and the top-level modules form no cycle. `tests/layers.rs` reads this
//! table and the sources, and fails naming the file and line of an import that points up.
//!
//! ```text
//! layer 0  leaves:    alloc atomic_file bits geohash glob ldouble lzf pqsort sha1 util
//! layer 1  protocol:  resp config
//! layer 2  base:      daemon db
//! layer 3  format:    rdb
//! layer 4  cores:     repl sentinel persist lua
//! layer 5  state:     server
//! layer 6  node:      node
//! layer 7  dispatch:  dispatch
//! layer 8  handlers:  cmd
//! layer 9  drivers:   event_loop cron
//! layer 10 top:       launch
//! ```
//! - leaves: no knowledge of the server (byte helpers, bit operations, the Redis glob, LZF,
//!   SHA-1, long double, geohash cells and distances, Redis's partial quicksort, atomic file
//!   replacement).
//! - protocol: RESP frames and replies; the redis.conf lexer, typed values and rewrite.
//! - base: logging, signals, pidfile, daemonize; the keyspace, its values and expiry.
//! - format: the RDB serializer over `impl Read`/`impl Write`.
//! - cores: state machines and plain state, fed with arguments and `now`, returning values or
//!   actions: the replication backlog and links, the sentinel, the persistence bookkeeping,
//!   the Lua interpreter scripts run in.
//! - state: `Server<R>`, the state every command sees: what every role has (clients, pub/sub,
//!   the command table, config, stats) and what its role `R` adds (`DataNode`: keyspaces,
//!   persistence, replication, blocked and watched keys, scripts; or the sentinel core); and
//!   the command table's types.
//! - node: what a data node does with its whole state: replication master and replica
//!   operations, background saves and loading, active expiry.
//! - dispatch: the one entry point that runs a command, for clients, the master's stream and
//!   EXEC alike: checks, call, effects (propagation, wake-ups, stats); a sentinel's clients
//!   have theirs (`execute_sentinel`), made of the checks and stats both roles share.
//! - handlers: one file per command family; each command's flags live in its table entry, with
//!   a data node's handler and, for the commands a sentinel serves, the sentinel's (the same
//!   function, generic over `cmd::role::Role`, where both roles behave alike).
//! - drivers: the mio loop (generic over the role it serves: `event_loop::Serve`), the
//!   outbound connections, the periodic tick.
//! - top: launching a node or a sentinel from a parsed configuration (the role chosen once).
pub mod alloc;
pub mod atomic_file;
pub mod bits;
pub mod cmd;
pub mod config;
pub mod cron;
pub mod daemon;
pub mod db;
pub mod dispatch;
pub mod event_loop;
pub mod geohash;
pub mod glob;
pub mod launch;
pub mod ldouble;
pub mod lua;
pub mod lzf;
pub mod node;
pub mod persist;
pub mod pqsort;
pub mod rdb;
pub mod repl;
pub mod resp;
pub mod sentinel;
pub mod server;
pub mod sha1;
pub mod util;
