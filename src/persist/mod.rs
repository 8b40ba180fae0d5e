//! Persistence state and the operations built on the RDB serializer: blocking saves (SAVE,
//! shutdown, DEBUG RELOAD), background saves in a forked child, save points, loading the
//! dump at startup, and the bookkeeping INFO persistence reports.
//!
//! ```text
//! SAVE / final save ─► save_sync ─► file::save_to_file (temp-<pid>.rdb, fsync, rename, fsync dir)
//! BGSAVE / savepoints ─► fork::start ─► child: file::save_to_file, _exit(0|1)
//! cron ─► fork::reap (waitpid WNOHANG) ─► lastsave / status / dirty
//! startup ─► loading::load_at_start (serves -LOADING meanwhile)
//! ```
pub mod file;
pub mod fork;
pub mod info;
pub mod loading;
pub mod savepoints;

use crate::rdb::SaveInfo;
use crate::server::{Server, Shutdown};
use log::{info, warn};

/// A save that failed; the reason was already logged in Redis's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// Seconds before a failed background save is retried by the save points (Redis's
/// CONFIG_BGSAVE_RETRY_DELAY).
pub const BGSAVE_RETRY_DELAY: i64 = 5;

/// The reply to write commands while the last background save failed.
pub const MISCONF_ERR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// The reply to commands refused while the dataset loads.
pub const LOADING_ERR: &str = "LOADING Redis is loading the dataset in memory";

/// Everything the server remembers about saving and loading.
#[derive(Debug)]
pub struct Persist {
    /// The running BGSAVE child, if any.
    pub child: Option<fork::Child>,
    /// Unix seconds of the last successful save (startup counts as one, as in Redis).
    pub lastsave: i64,
    /// Whether the last background save succeeded (SAVE success resets it too).
    pub lastbgsave_ok: bool,
    /// Whether the last child (dump file or diskless pipe) exited with success; false when
    /// it failed or the server killed it (its output must not be used).
    pub last_child_ok: bool,
    /// Unix seconds of the last background save attempt (for the retry delay).
    pub lastbgsave_try: i64,
    /// `dirty` when the running child was forked.
    pub dirty_before_bgsave: u64,
    /// A BGSAVE asked for while it could not start (inside MULTI): run from the cron.
    pub bgsave_scheduled: bool,
    /// Saves started (SAVE and BGSAVE), INFO rdb_saves.
    pub rdb_saves: u64,
    /// Duration of the last background save in seconds, -1 before the first.
    pub last_bgsave_time_sec: i64,
    pub latest_fork_usec: u64,
    pub total_forks: u64,
    /// Private dirty bytes the last child reported (INFO rdb_last_cow_size).
    pub last_cow_size: u64,
    /// Set while the dataset loads at startup.
    pub loading: Option<loading::Progress>,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
}

impl Persist {
    pub fn new(now_ms: i64) -> Self {
        Persist {
            child: None,
            lastsave: now_ms / 1000,
            lastbgsave_ok: true,
            last_child_ok: true,
            lastbgsave_try: 0,
            dirty_before_bgsave: 0,
            bgsave_scheduled: false,
            rdb_saves: 0,
            last_bgsave_time_sec: -1,
            latest_fork_usec: 0,
            total_forks: 0,
            last_cow_size: 0,
            loading: None,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
        }
    }
}

/// The AUX fields and options a save of `srv` writes.
pub fn save_info(srv: &Server) -> SaveInfo {
    SaveInfo {
        ctime: crate::util::now_ms() / 1000,
        used_mem: crate::alloc::used_memory() as u64,
        repl_id: srv.replid.clone(),
        repl_offset: srv.master_repl_offset,
        repl_stream_db: crate::repl::ids::stream_db(srv),
        compress: srv.config.rdbcompression,
        checksum: srv.config.rdbchecksum,
        key_save_delay_us: srv.config.rdb_key_save_delay,
    }
}

/// A blocking save of the whole dataset to `dir/dbfilename` (SAVE, shutdown, DEBUG RELOAD).
/// On success the dirty counter is reset and LASTSAVE advances.
pub fn save_sync(srv: &mut Server) -> Result<(), Failed> {
    let info = save_info(srv);
    let cfg = &srv.config;
    match file::save_to_file(
        &srv.keyspace,
        &cfg.dir,
        &cfg.dbfilename,
        &info,
        cfg.enc.list_max_listpack_size,
    ) {
        Ok(()) => {
            info!("DB saved on disk");
            srv.dirty = 0;
            srv.persist.lastsave = crate::util::now_ms() / 1000;
            srv.persist.lastbgsave_ok = true;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Whether write commands (and PING) are refused with -MISCONF: the last background save
/// failed, save points are configured, `stop-writes-on-bgsave-error yes`, and this is a master.
pub fn writes_denied(srv: &Server) -> bool {
    srv.config.stop_writes_on_bgsave_error
        && !srv.config.save.is_empty()
        && !srv.persist.lastbgsave_ok
        && srv.config.replicaof.is_none()
}

/// Whether the dataset is being loaded (commands without the `loading` flag are refused).
pub fn is_loading(srv: &Server) -> bool {
    srv.persist.loading.is_some()
}

/// The save before exiting: kill a running child first (its file would race ours), then save
/// when save points exist or SHUTDOWN SAVE asked, unless SHUTDOWN NOSAVE. `Err` carries the
/// status that cancels the shutdown.
pub fn final_save(srv: &mut Server, mode: Shutdown) -> Result<(), String> {
    if srv.persist.child.is_some() {
        warn!("There is a child saving an .rdb. Killing it!");
        fork::kill_child(srv);
    }
    let save = match mode {
        Shutdown::NoSave => false,
        Shutdown::Save => true,
        Shutdown::Default => !srv.config.save.is_empty(),
    };
    if !save {
        return Ok(());
    }
    info!("Saving the final RDB snapshot before exiting.");
    if save_sync(srv).is_err() {
        let msg = "Error trying to save the DB, can't exit.";
        warn!("{msg}");
        return Err(msg.to_string());
    }
    Ok(())
}

/// After FLUSHALL, as Redis does: stop a running child (its snapshot is obsolete) and, when
/// save points exist, save the now empty dataset at once, keeping the dirty count.
pub fn after_flushall(srv: &mut Server) {
    if srv.persist.child.is_some() {
        fork::kill_child(srv);
    }
    if !srv.config.save.is_empty() {
        let dirty = srv.dirty;
        let _ = save_sync(srv);
        srv.dirty = dirty;
    }
}
