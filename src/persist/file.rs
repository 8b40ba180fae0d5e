//! Writing a dump so a crash at any moment leaves the previous one intact: the data streams
//! through `atomic_file` into `temp-<pid>.rdb` in `dir` (Redis's name, which the startup sweep
//! below recognizes), is fsynced, renamed over `dbfilename`, and the directory is fsynced so
//! the rename itself survives a power loss. Also removes temp files left behind by saves that
//! were killed.
use super::Failed;
use crate::atomic_file::{AtomicFile, Step};
use crate::config::strerror;
use crate::db::Keyspace;
use crate::rdb::SaveInfo;
use log::{info, warn};
use std::path::Path;

/// The temporary file a save by process `pid` writes.
pub fn temp_name(pid: u32) -> String {
    format!("temp-{pid}.rdb")
}

/// The pid in a `temp-<pid>.rdb` file name.
fn temp_pid(name: &str) -> Option<u32> {
    name.strip_prefix("temp-")?
        .strip_suffix(".rdb")?
        .parse()
        .ok()
}

/// Save `ks` to `dir/dbfilename` through `dir/temp-<our pid>.rdb`. Failures are logged in
/// Redis's words and leave the previous dump untouched (the temp file is removed).
pub fn save_to_file(
    ks: &Keyspace,
    dir: &Path,
    dbfilename: &str,
    info: &SaveInfo,
    list_fill: i64,
) -> Result<(), Failed> {
    let tmp_name = temp_name(std::process::id());
    let file = AtomicFile::in_dir(dir, Path::new(&tmp_name), &dir.join(dbfilename));
    let saved = file.write_with(|f| crate::rdb::save::save_with(ks, f, info, list_fill).map(drop));
    let Err(e) = saved else {
        return Ok(());
    };
    let err = strerror(&e.io);
    match e.step {
        Step::Create => warn!(
            "Failed opening the temp RDB file {tmp_name} (in server root dir {}) for saving: {err}",
            dir.display()
        ),
        Step::Write => warn!("Write error saving DB on disk: {err}"),
        Step::Rename => warn!(
            "Error moving temp DB file {tmp_name} on the final destination {dbfilename} (in server root dir {}): {err}",
            dir.display()
        ),
        Step::SyncDir => warn!("Failed to fsync directory while saving DB: {err}"),
    }
    Err(Failed)
}

/// Remove `dir/temp-<pid>.rdb` (a failed or killed child's file).
pub fn remove_temp(dir: &Path, pid: u32) {
    let _ = std::fs::remove_file(dir.join(temp_name(pid)));
}

/// Whether a process with this pid exists (a zombie counts: its parent may still reap it).
fn process_exists(pid: u32) -> bool {
    let Ok(p) = i32::try_from(pid) else {
        return false;
    };
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

/// At startup: remove `temp-<pid>.rdb` files in `dir` whose writer no longer runs (a save
/// killed by a crash or `kill -9`), so they never pile up. A file named after our own pid is
/// stale too (a previous process with the same pid).
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        if pid != me && process_exists(pid) {
            continue;
        }
        match std::fs::remove_file(e.path()) {
            Ok(()) => info!(
                "Removed the temporary RDB file {} left by an interrupted save",
                e.path().display()
            ),
            Err(err) => warn!(
                "Can't remove the stale temporary RDB file {}: {}",
                e.path().display(),
                strerror(&err)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names() {
        assert_eq!(temp_name(42), "temp-42.rdb");
        assert_eq!(temp_pid("temp-42.rdb"), Some(42));
        assert_eq!(temp_pid("temp-x.rdb"), None);
        assert_eq!(temp_pid("dump.rdb"), None);
    }
}
