//! The state of a background save child (see `node::fork`, which forks and reaps it).
use nix::unistd::Pid;
use std::os::fd::OwnedFd;

/// The running BGSAVE child.
#[derive(Debug)]
pub struct Child {
    pub pid: Pid,
    /// Unix ms when it was forked.
    pub start_ms: i64,
    /// Keys in the snapshot (INFO current_save_keys_total).
    pub keys_total: u64,
    /// Read end of the pipe the child writes its copy-on-write size into.
    pub cow: Option<OwnedFd>,
    /// Writes to a pipe for replicas (diskless sync) rather than the dump file.
    pub to_pipe: bool,
}

/// Where a child writes the dump.
pub enum Dest {
    /// `dir/dbfilename`, through a temp file.
    File,
    /// The write end of a pipe (diskless replication).
    Pipe(OwnedFd),
}
