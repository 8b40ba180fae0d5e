//! MULTI/EXEC support state: which clients WATCH which keys, and invalidation of those watches
//! when a key is written. STUB: owned by the transactions work.
use super::command::{Args, Command};
use super::Server;

/// (db, key) → tokens of the clients watching it.
#[derive(Default)]
pub struct Watched {
    pub by_key: std::collections::HashMap<(usize, Vec<u8>), Vec<usize>>,
}

impl Watched {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// `key` of `db` was written: every client watching it will see its EXEC fail.
pub fn touch_key(_srv: &mut Server, _db: usize, _key: &[u8]) {}

/// A command that writes outside the caller's database, or whole databases (MOVE, COPY ... DB,
/// SWAPDB, FLUSHALL, FLUSHDB): touch the watched keys it affects.
pub fn touch_command(_srv: &mut Server, _db: usize, _cmd: &Command, _args: &Args) {}

/// A client is going away: drop its watches (and, later, its subscriptions' peers).
pub fn forget(_srv: &mut Server, _client: &mut super::client::Client) {}
