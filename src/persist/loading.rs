//! Loading the dump at startup (and for DEBUG RELOAD). The file is read into a new keyspace
//! that replaces the empty one only when the whole file loaded, so a bad file never leaves
//! half a dataset. Meanwhile the event loop keeps accepting and answering clients from the
//! reader's progress callback: commands without the `loading` flag get -LOADING, and INFO
//! shows `loading:1` with the loading_* fields.
use crate::config::Config;
use crate::event_loop::EventLoop;
use crate::rdb::{self, LoadInfo, LoadOpts, RdbError};
use crate::server::Server;
use log::{info, warn};
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

/// The value of AUX field `name`, as text.
fn aux<'a>(li: &'a LoadInfo, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    li.aux
        .iter()
        .find(|(k, _)| k == name.as_bytes())
        .map(|(_, v)| String::from_utf8_lossy(v))
}

/// Log what Redis logs about a loaded file and install its dataset.
pub fn install(srv: &mut Server, li: LoadInfo, secs: f64) {
    if let Some(v) = aux(&li, "redis-ver") {
        info!("Loading RDB produced by version {v}");
    }
    if let Some(ctime) = aux(&li, "ctime").and_then(|c| c.parse::<i64>().ok()) {
        let age = (crate::util::now_ms() / 1000 - ctime).max(0);
        info!("RDB age {age} seconds");
    }
    if let Some(mem) = aux(&li, "used-mem").and_then(|c| c.parse::<u64>().ok()) {
        info!(
            "RDB memory usage when created {:.2} Mb",
            mem as f64 / (1024.0 * 1024.0)
        );
    }
    info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        li.keys_loaded, li.expired_skipped
    );
    srv.persist.last_load_keys_loaded = li.keys_loaded;
    srv.persist.last_load_keys_expired = li.expired_skipped;
    srv.keyspace = li.keyspace;
    info!("DB loaded from disk: {secs:.3} seconds");
}

/// Load `dir/dbfilename` at startup (a missing file is an empty dataset), serving clients
/// while it loads. A shutdown requested meanwhile exits at once without saving, as Redis does
/// (`pidfile` is removed first). The error text stops the server.
pub fn load_at_start(el: &mut EventLoop, pidfile: Option<&Path>) -> Result<(), String> {
    let cfg = &el.srv.config;
    super::file::remove_stale_temp_files(&cfg.dir);
    let path = cfg.dir.join(&cfg.dbfilename);
    let total = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(crate::config::strerror(&e)),
    };
    let t0 = std::time::Instant::now();
    el.srv.persist.loading = Some(Progress {
        start_secs: crate::util::now_ms() / 1000,
        total_bytes: total,
        ..Progress::default()
    });
    // The reader needs the settings, not the server: a copy lets the callback borrow the loop.
    let cfg = el.srv.config.clone();
    let mut events = mio::Events::with_capacity(256);
    let mut serve = |bytes: u64| {
        if let Some(l) = el.srv.persist.loading.as_mut() {
            l.loaded_bytes = bytes;
        }
        el.serve_while_blocked(&mut events);
        if el.srv.shutdown.is_some() {
            exit_during_load(pidfile);
        }
    };
    let res = load_file(&cfg, &path, Some(&mut serve));
    el.srv.persist.loading = None;
    match res {
        Ok(Some(mut li)) => {
            let (id, off, db) = (li.repl_id.take(), li.repl_offset, li.repl_stream_db);
            install(&mut el.srv, li, t0.elapsed().as_secs_f64());
            crate::repl::ids::restore_from_rdb(&mut el.srv, id, off, db);
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => {
            warn!("{e}");
            Err(e.to_string())
        }
    }
}

/// A shutdown asked for while loading: leave now, without saving a half-loaded dataset.
fn exit_during_load(pidfile: Option<&Path>) -> ! {
    warn!("User requested shutdown...");
    if let Some(p) = pidfile {
        let _ = std::fs::remove_file(p);
    }
    warn!("Redis is now ready to exit, bye bye...");
    std::process::exit(0)
}
