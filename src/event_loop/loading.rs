//! Loading the dump at startup while serving clients: the reader's progress callback runs one
//! round of the loop (commands without the `loading` flag get -LOADING, INFO shows the
//! loading_* fields), and a SHUTDOWN asked for meanwhile exits at once.
use super::EventLoop;
use crate::persist::loading::{load_file, Progress};
use log::warn;
use std::path::Path;

/// Load `dir/dbfilename` at startup (a missing file is an empty dataset), serving clients
/// while it loads. A shutdown requested meanwhile exits at once without saving, as Redis does
/// (`pidfile` is removed first). The error text stops the server.
pub fn load_at_start(el: &mut EventLoop, pidfile: Option<&Path>) -> Result<(), String> {
    let cfg = &el.srv.config;
    crate::persist::file::remove_stale_temp_files(&cfg.dir);
    let path = cfg.dir.join(&cfg.dbfilename);
    let total = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(crate::config::strerror(&e)),
    };
    let t0 = std::time::Instant::now();
    el.srv.role.persist.loading = Some(Progress {
        start_secs: crate::util::now_ms() / 1000,
        total_bytes: total,
        ..Progress::default()
    });
    // The reader needs the settings, not the server: a copy lets the callback borrow the loop.
    let cfg = el.srv.config.clone();
    let mut events = mio::Events::with_capacity(256);
    let mut serve = |bytes: u64| {
        if let Some(l) = el.srv.role.persist.loading.as_mut() {
            l.loaded_bytes = bytes;
        }
        el.serve_while_blocked(&mut events);
        if el.srv.shutdown.is_some() {
            exit_during_load(pidfile);
        }
    };
    let res = load_file(&cfg, &path, Some(&mut serve));
    el.srv.role.persist.loading = None;
    match res {
        Ok(Some(mut li)) => {
            let (id, off, db) = (li.repl_id.take(), li.repl_offset, li.repl_stream_db);
            crate::node::loading::install(&mut el.srv, li, t0.elapsed().as_secs_f64());
            crate::node::ids::restore_from_rdb(&mut el.srv, id, off, db);
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
