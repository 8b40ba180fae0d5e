//! Saving and loading operations on the whole node: a blocking save (SAVE, shutdown, DEBUG
//! RELOAD), the AUX fields a save records, the refusals a failed save or a running load
//! impose on commands, and what FLUSHALL and shutdown do to saving.
use super::fork;
use crate::persist::{file, Failed};
use crate::rdb::SaveInfo;
use crate::server::{Server, Shutdown};
use log::{info, warn};

/// The AUX fields and options a save of `srv` writes.
pub fn save_info(srv: &Server) -> SaveInfo {
    SaveInfo {
        ctime: crate::util::now_ms() / 1000,
        used_mem: crate::alloc::used_memory() as u64,
        repl_id: srv.role.replid.clone(),
        repl_offset: srv.role.master_repl_offset,
        repl_stream_db: crate::node::ids::stream_db(srv),
        compress: srv.config.rdbcompression,
        checksum: srv.config.rdbchecksum,
        key_save_delay_us: srv.config.rdb_key_save_delay,
        functions: crate::lua::functions::codes(srv.role.scripts.functions.as_deref()),
    }
}

/// A blocking save of the whole dataset to `dir/dbfilename` (SAVE, shutdown, DEBUG RELOAD).
/// On success the dirty counter is reset and LASTSAVE advances.
pub fn save_sync(srv: &mut Server) -> Result<(), Failed> {
    let info = save_info(srv);
    let cfg = &srv.config;
    match file::save_to_file(
        &srv.role.keyspace,
        &cfg.dir,
        &cfg.dbfilename,
        &info,
        cfg.enc.list_max_listpack_size,
    ) {
        Ok(()) => {
            info!("DB saved on disk");
            srv.role.dirty = 0;
            srv.role.persist.lastsave = crate::util::now_ms() / 1000;
            srv.role.persist.lastbgsave_ok = true;
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
        && !srv.role.persist.lastbgsave_ok
        && srv.config.replicaof.is_none()
}

/// Whether the dataset is being loaded (commands without the `loading` flag are refused).
pub fn is_loading(srv: &Server) -> bool {
    srv.role.persist.loading.is_some()
}

/// The save before exiting: kill a running child first (its file would race ours), then save
/// when save points exist or SHUTDOWN SAVE asked, unless SHUTDOWN NOSAVE. `Err` carries the
/// status that cancels the shutdown.
pub fn final_save(srv: &mut Server, mode: Shutdown) -> Result<(), String> {
    if srv.role.persist.child.is_some() {
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
    if srv.role.persist.child.is_some() {
        fork::kill_child(srv);
    }
    if !srv.config.save.is_empty() {
        let dirty = srv.role.dirty;
        let _ = save_sync(srv);
        srv.role.dirty = dirty;
    }
}
