//! oxidis: a Redis-compatible data server.
//!
//! ```text
//! socket bytes ─► resp::decode ─► server::execute (arity, auth, flags) ─► cmd handler ─► Reply
//!                                                                               │
//!                                                         resp::encode ◄────────┘ ─► socket
//! ```
//! `event_loop` is the only module that touches sockets; everything else works on values.
pub mod alloc;
pub mod cmd;
pub mod config;
pub mod cron;
pub mod daemon;
pub mod db;
pub mod event_loop;
pub mod glob;
pub mod launch;
pub mod ldouble;
pub mod lzf;
pub mod persist;
pub mod rdb;
pub mod repl;
pub mod resp;
pub mod sentinel;
pub mod server;
pub mod sha1;
pub mod util;
