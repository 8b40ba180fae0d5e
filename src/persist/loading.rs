//! Reading a dump with the server's limits, and how far a running load is. The file is read
//! into a new keyspace that replaces the old one only when the whole file loaded (see
//! `node::loading`), so a bad file never leaves half a dataset; the reader reports progress
//! through a callback, from which the event loop keeps answering clients (-LOADING).
use crate::config::Config;
use crate::rdb::{self, LoadInfo, LoadOpts, RdbError};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// How far the running load is (INFO loading_*).
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub start_secs: i64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
    pub rdb_used_mem: u64,
}

/// Read `path` with the server's limits; `None` when the file does not exist.
pub fn load_file(
    cfg: &Config,
    path: &Path,
    progress: Option<&mut dyn FnMut(u64)>,
) -> Result<Option<LoadInfo>, RdbError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RdbError::Io(e)),
    };
    let opts = LoadOpts {
        databases: cfg.databases,
        lim: cfg.enc,
        now: crate::util::now_ms(),
        // A master drops keys already expired; a replica keeps them for its master to expire.
        drop_expired: cfg.replicaof.is_none(),
        key_load_delay_us: cfg.key_load_delay,
        progress,
    };
    rdb::load(BufReader::with_capacity(256 * 1024, f), opts).map(Some)
}
