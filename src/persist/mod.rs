//! Persistence state: what the server remembers about saving and loading (the running child,
//! LASTSAVE, load progress), the crash-safe dump writer, and reading a dump with the
//! configured limits. The operations on the whole node live in `node` (`persist`, `fork`,
//! `savepoints`, `loading`):
//!
//! ```text
//! SAVE / final save ─► node::persist::save_sync ─► file::save_to_file (temp-<pid>.rdb, fsync, rename, fsync dir)
//! BGSAVE / savepoints ─► node::fork::start ─► child: file::save_to_file, _exit(0|1)
//! cron ─► node::fork::reap (waitpid WNOHANG) ─► lastsave / status / dirty
//! startup ─► event_loop::loading::load_at_start (serves -LOADING meanwhile) ─► node::loading::install
//! ```
pub mod file;
pub mod fork;
pub mod loading;

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
