//! Persistence behaviour seen from outside: SAVE/BGSAVE/LASTSAVE replies and the files they
//! leave, save points, the final save at shutdown (SAVE, NOSAVE, SIGTERM), -MISCONF after a
//! failed background save, stale temp files removed at start, restart reloading the dump,
//! and a corrupt or truncated dump stopping startup with a clear message.
mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const DEBUG: &[&str] = &["--enable-debug-command", "yes"];

fn start(extra: &[&str]) -> Proc {
    start_oxidis_debug(extra)
}

fn info(c: &mut Conn, field: &str) -> String {
    let s = c.s(&["INFO", "all"]);
    info_field(&s, field).unwrap_or_default()
}

/// Wait (bounded) until no background save runs.
fn wait_bgsave_done(c: &mut Conn) {
    assert!(
        wait_until(20, || info(c, "rdb_bgsave_in_progress") == "0"),
        "BGSAVE did not finish"
    );
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("temp-") && n.ends_with(".rdb"))
        .collect()
}

/// Start oxidis again in `p`'s directory (the previous process must have exited).
fn restart(p: &mut Proc, extra: &[&str]) -> Proc {
    let dir = std::mem::replace(&mut p.dir, tempfile::tempdir().unwrap());
    let port = free_port();
    let mut cmd = Command::new(oxidis_bin());
    cmd.args(["--port", &port.to_string(), "--save", ""]);
    cmd.args(DEBUG).args(extra);
    spawn_ready(cmd, dir, port)
}

#[test]
fn save_writes_the_dump_and_advances_lastsave() {
    let p = start(&[]);
    let mut c = p.conn();
    let before: i64 = c.s(&["LASTSAVE"]).trim()[1..].parse().unwrap();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "1");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(c.s(&["SAVE"]), "+OK\r\n");
    assert!(p.path("dump.rdb").exists());
    assert!(temp_files(p.dir.path()).is_empty());
    let after: i64 = c.s(&["LASTSAVE"]).trim()[1..].parse().unwrap();
    assert!(after > before, "{before} -> {after}");
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(info(&mut c, "rdb_saves"), "1");
    assert_eq!(info(&mut c, "rdb_last_save_time"), after.to_string());
    assert!(p.logs().contains("DB saved on disk"), "{}", p.logs());
}

#[test]
fn bgsave_forks_saves_and_is_reaped() {
    let p = start(&[]);
    let mut c = p.conn();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.s(&["BGSAVE", "x"]), "-ERR syntax error\r\n");
    assert_eq!(c.s(&["BGSAVE", "schedule", "x"]), "-ERR syntax error\r\n");
    assert_eq!(c.s(&["BGSAVE"]), "+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(info(&mut c, "total_forks"), "1");
    assert_eq!(info(&mut c, "rdb_saves"), "1");
    assert_ne!(info(&mut c, "rdb_last_bgsave_time_sec"), "-1");
    assert_eq!(info(&mut c, "rdb_current_bgsave_time_sec"), "-1");
    assert!(p.path("dump.rdb").exists());
    assert!(temp_files(p.dir.path()).is_empty());
    let logs = p.logs();
    for line in [
        "Background saving started by pid",
        "DB saved on disk",
        "Background saving terminated with success",
    ] {
        assert!(logs.contains(line), "missing {line:?} in {logs}");
    }
    // The child logs with role C.
    assert!(logs
        .lines()
        .any(|l| l.contains(":C ") && l.contains("DB saved on disk")));
    // BGSAVE SCHEDULE with nothing running starts at once; inside MULTI it is scheduled.
    assert_eq!(
        c.s(&["BGSAVE", "SCHEDULE"]),
        "+Background saving started\r\n"
    );
    wait_bgsave_done(&mut c);
    c.cmd(&["MULTI"]);
    c.cmd(&["BGSAVE"]);
    assert_eq!(c.s(&["EXEC"]), "*1\r\n+Background saving scheduled\r\n");
    assert!(wait_until(10, || info(&mut c, "total_forks") == "3"));
}

#[test]
fn save_point_triggers_a_background_save() {
    let p = start(&["--save", "1", "1"]);
    let mut c = p.conn();
    c.cmd(&["SET", "k", "v"]);
    assert!(
        wait_until(10, || p
            .logs()
            .contains("1 changes in 1 seconds. Saving...")),
        "{}",
        p.logs()
    );
    wait_bgsave_done(&mut c);
    assert!(wait_until(5, || p
        .logs()
        .contains("Background saving terminated with success")));
    assert!(p.path("dump.rdb").exists());
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "0");
}

#[test]
fn shutdown_save_nosave_and_sigterm() {
    // No save points: plain SHUTDOWN does not save, SHUTDOWN SAVE does.
    let mut p = start(&[]);
    p.conn().cmd(&["SET", "k", "v"]);
    let _ = p.conn().try_cmd(&["SHUTDOWN"]);
    assert_eq!(p.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(!p.path("dump.rdb").exists());
    let mut p = start(&[]);
    let _ = p.conn().try_cmd(&["SHUTDOWN", "SAVE"]);
    assert_eq!(p.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(p.path("dump.rdb").exists());
    assert!(p
        .logs()
        .contains("Saving the final RDB snapshot before exiting."));
    // Save points: NOSAVE skips the save, SIGTERM saves.
    let mut p = start(&["--save", "3600", "1"]);
    let _ = p.conn().try_cmd(&["SHUTDOWN", "NOSAVE"]);
    assert_eq!(p.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(!p.path("dump.rdb").exists());
    let mut p = start(&["--save", "3600", "1"]);
    p.conn().cmd(&["SET", "k", "v"]);
    p.signal("TERM");
    assert_eq!(p.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(p.path("dump.rdb").exists());
    let logs = p.logs();
    assert!(logs.contains("Saving the final RDB snapshot before exiting."));
    assert!(logs.contains("DB saved on disk"));
}

#[test]
fn failed_bgsave_refuses_writes_with_misconf() {
    const MISCONF: &str = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n";
    let p = start(&["--save", "3600", "1"]);
    let mut c = p.conn();
    c.cmd(&["SET", "k", "v"]);
    // The final rename fails: the destination is a directory.
    std::fs::create_dir(p.path("dump.rdb")).unwrap();
    assert_eq!(c.s(&["BGSAVE"]), "+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "rdb_last_bgsave_status"), "err");
    assert!(p.logs().contains("Background saving error"), "{}", p.logs());
    assert!(temp_files(p.dir.path()).is_empty());
    assert_eq!(c.s(&["SET", "k", "w"]), MISCONF);
    assert_eq!(c.s(&["PING"]), MISCONF);
    assert_eq!(c.s(&["GET", "k"]), "$1\r\nv\r\n");
    // A transaction with a write is refused when queued, and EXEC aborts.
    c.cmd(&["MULTI"]);
    assert_eq!(c.s(&["SET", "k", "x"]), MISCONF);
    assert_eq!(
        c.s(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // A failed SAVE does not change the status; a good save clears it.
    assert_eq!(c.s(&["SAVE"]), "-ERR\r\n");
    std::fs::remove_dir(p.path("dump.rdb")).unwrap();
    assert_eq!(c.s(&["BGSAVE"]), "+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    assert_eq!(c.s(&["SET", "k", "w"]), "+OK\r\n");
    // Without save points (or with stop-writes-on-bgsave-error no) writes pass anyway.
    std::fs::remove_file(p.path("dump.rdb")).unwrap();
    std::fs::create_dir(p.path("dump.rdb")).unwrap();
    c.cmd(&["BGSAVE"]);
    wait_bgsave_done(&mut c);
    assert_eq!(c.s(&["PING"]), MISCONF);
    c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]);
    assert_eq!(c.s(&["SET", "k", "y"]), "+OK\r\n");
    c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]);
    assert_eq!(c.s(&["PING"]), MISCONF);
    c.cmd(&["CONFIG", "SET", "save", ""]);
    assert_eq!(c.s(&["SET", "k", "z"]), "+OK\r\n");
}

#[test]
fn stale_temp_files_are_removed_at_start() {
    // A pid that no longer runs: a process that has exited and been reaped.
    let mut done = Command::new("true").spawn().unwrap();
    let dead = done.id();
    done.wait().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join(format!("temp-{dead}.rdb"));
    std::fs::write(&stale, b"partial").unwrap();
    // A file named after a live process (ours) is left alone.
    let live = dir.path().join(format!("temp-{}.rdb", std::process::id()));
    std::fs::write(&live, b"busy").unwrap();
    let port = free_port();
    let mut cmd = Command::new(oxidis_bin());
    cmd.args(["--port", &port.to_string(), "--save", ""]);
    let p = spawn_ready(cmd, dir, port);
    assert!(!stale.exists(), "{}", p.logs());
    assert!(live.exists());
}

#[test]
fn missing_dump_starts_empty() {
    let p = start(&[]);
    assert_eq!(p.conn().s(&["DBSIZE"]), ":0\r\n");
    let mut c = p.conn();
    assert_eq!(info(&mut c, "loading"), "0");
    assert_eq!(info(&mut c, "rdb_last_load_keys_loaded"), "0");
}

/// Start oxidis on a directory holding `dump` as dump.rdb; returns its exit code and logs.
fn start_on_dump(dump: &[u8]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dump.rdb"), dump).unwrap();
    let port = free_port();
    let mut cmd = Command::new(oxidis_bin());
    cmd.args(["--port", &port.to_string(), "--save", ""]);
    let mut p = spawn_logged(cmd, dir, port);
    let code = p.wait_exit(Duration::from_secs(10));
    (code, p.logs())
}

#[test]
fn corrupt_dumps_stop_startup_with_a_clear_message() {
    // Needs the merged reader for the exact messages.
    let (code, logs) = start_on_dump(b"HELLO WORLD, NOT AN RDB");
    assert_eq!(code, Some(1), "{logs}");
    assert!(logs.contains("Fatal error loading the DB"), "{logs}");
    assert!(logs.contains("Wrong signature"), "{logs}");
    let (code, logs) = start_on_dump(b"REDIS0010\xfa\x09redis-ver\x06");
    assert_eq!(code, Some(1), "{logs}");
    assert!(logs.contains("Short read"), "{logs}");
}

#[test]
fn restart_reloads_the_dump() {
    // Needs the merged writer and reader.
    let mut p = start(&[]);
    let mut c = p.conn();
    c.cmd(&["SET", "s", "hello"]);
    c.cmd(&["RPUSH", "l", "a", "b", "c"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    c.cmd(&["SADD", "st", "1", "2", "3"]);
    c.cmd(&["ZADD", "z", "1.5", "m"]);
    c.cmd(&["SET", "ttl", "x", "EX", "1000"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "db3", "yes"]);
    c.cmd(&["SELECT", "0"]);
    let digest = c.s(&["DEBUG", "DIGEST"]);
    let _ = c.try_cmd(&["SHUTDOWN", "SAVE"]);
    assert_eq!(p.wait_exit(Duration::from_secs(10)), Some(0));
    let dump = std::fs::read(p.path("dump.rdb")).unwrap();
    assert!(
        dump.starts_with(b"REDIS0010"),
        "{:?}",
        &dump[..dump.len().min(16)]
    );
    let q = restart(&mut p, &[]);
    let mut c = q.conn();
    assert_eq!(c.s(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(c.s(&["DBSIZE"]), ":6\r\n");
    let logs = q.logs();
    for line in [
        "Loading RDB produced by version 7.0.15",
        "RDB age ",
        "RDB memory usage when created ",
        "Done loading RDB, keys loaded: 7, keys expired: 0.",
        "DB loaded from disk: ",
    ] {
        assert!(logs.contains(line), "missing {line:?} in {logs}");
    }
    assert_eq!(info(&mut c, "rdb_last_load_keys_loaded"), "7");
    // DEBUG RELOAD saves and loads the same data back.
    assert_eq!(c.s(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.s(&["DEBUG", "DIGEST"]), digest);
    // NOSAVE loads the file as it is; NOFLUSH MERGE adds its keys to the current ones.
    c.cmd(&["SET", "s", "changed"]);
    c.cmd(&["SET", "extra", "1"]);
    assert_eq!(c.s(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(c.s(&["DEBUG", "DIGEST"]), digest);
    c.cmd(&["SET", "extra", "1"]);
    assert_eq!(
        c.s(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]),
        "+OK\r\n"
    );
    assert_eq!(c.s(&["DBSIZE"]), ":7\r\n");
    assert_eq!(
        c.s(&["DEBUG", "RELOAD", "bogus"]),
        "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
}

#[test]
fn failed_final_save_cancels_the_shutdown() {
    let mut p = start(&["--save", "3600", "1"]);
    let mut c = p.conn();
    c.cmd(&["SET", "k", "v"]);
    std::fs::create_dir(p.path("dump.rdb")).unwrap();
    assert_eq!(
        c.s(&["SHUTDOWN"]),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    assert_eq!(c.s(&["GET", "k"]), "$1\r\nv\r\n");
    let logs = p.logs();
    assert!(
        logs.contains("Error trying to save the DB, can't exit."),
        "{logs}"
    );
    // SIGTERM fails the same way; NOSAVE still exits.
    p.signal("TERM");
    assert!(wait_until(5, || p.logs().matches("can't exit").count() == 2));
    assert_eq!(c.s(&["PING"]), "+PONG\r\n");
    let _ = c.try_cmd(&["SHUTDOWN", "NOSAVE"]);
    assert_eq!(p.wait_exit(Duration::from_secs(10)), Some(0));
}

#[test]
fn flushall_with_save_points_saves_the_empty_dataset() {
    let p = start(&["--save", "3600", "1"]);
    let mut c = p.conn();
    c.cmd(&["SET", "k", "v"]);
    assert!(!p.path("dump.rdb").exists());
    assert_eq!(c.s(&["FLUSHALL"]), "+OK\r\n");
    assert!(p.path("dump.rdb").exists());
    assert!(p.logs().contains("DB saved on disk"));
    // Without save points FLUSHALL writes nothing.
    let q = start(&[]);
    let mut c = q.conn();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.s(&["FLUSHALL"]), "+OK\r\n");
    assert!(!q.path("dump.rdb").exists());
}
