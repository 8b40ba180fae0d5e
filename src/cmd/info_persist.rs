//! The INFO persistence section (every field Redis 7.0 prints, with the loading_* block
//! while a load runs) and the fork counters of INFO stats.
use crate::server::Server;
use std::fmt::Write as _;

/// Append `# Persistence` and its fields to `o`.
pub fn persistence(srv: &Server, o: &mut String) {
    let p = &srv.role.persist;
    let now_secs = crate::util::now_ms() / 1000;
    let (in_progress, current_secs, keys_total) = match &p.child {
        Some(c) => (1, now_secs - c.start_ms / 1000, c.keys_total),
        None => (0, -1, 0),
    };
    let lines: Vec<(&str, String)> = vec![
        ("loading", (p.loading.is_some() as u8).to_string()),
        ("async_loading", "0".into()),
        ("current_cow_peak", "0".into()),
        ("current_cow_size", "0".into()),
        ("current_cow_size_age", "0".into()),
        ("current_fork_perc", "0.00".into()),
        ("current_save_keys_processed", "0".into()),
        ("current_save_keys_total", keys_total.to_string()),
        ("rdb_changes_since_last_save", srv.role.dirty.to_string()),
        ("rdb_bgsave_in_progress", in_progress.to_string()),
        ("rdb_last_save_time", p.lastsave.to_string()),
        (
            "rdb_last_bgsave_status",
            if p.lastbgsave_ok { "ok" } else { "err" }.into(),
        ),
        (
            "rdb_last_bgsave_time_sec",
            p.last_bgsave_time_sec.to_string(),
        ),
        ("rdb_current_bgsave_time_sec", current_secs.to_string()),
        ("rdb_saves", p.rdb_saves.to_string()),
        ("rdb_last_cow_size", p.last_cow_size.to_string()),
        (
            "rdb_last_load_keys_expired",
            p.last_load_keys_expired.to_string(),
        ),
        (
            "rdb_last_load_keys_loaded",
            p.last_load_keys_loaded.to_string(),
        ),
        ("aof_enabled", "0".into()),
        ("aof_rewrite_in_progress", "0".into()),
        ("aof_rewrite_scheduled", "0".into()),
        ("aof_last_rewrite_time_sec", "-1".into()),
        ("aof_current_rewrite_time_sec", "-1".into()),
        ("aof_last_bgrewrite_status", "ok".into()),
        ("aof_rewrites", "0".into()),
        ("aof_rewrites_consecutive_failures", "0".into()),
        ("aof_last_write_status", "ok".into()),
        ("aof_last_cow_size", "0".into()),
        ("module_fork_in_progress", "0".into()),
        ("module_fork_last_cow_size", "0".into()),
    ];
    o.push_str("# Persistence\r\n");
    for (k, v) in lines {
        let _ = write!(o, "{k}:{v}\r\n");
    }
    if let Some(l) = &p.loading {
        loading_fields(l, now_secs, o);
    }
}

/// The loading_* fields, computed as Redis computes them (percentage of the file, and an ETA
/// from the rate so far; 1 second when nothing is known yet).
fn loading_fields(l: &crate::persist::loading::Progress, now_secs: i64, o: &mut String) {
    let total = l.total_bytes;
    let loaded = l.loaded_bytes;
    let (perc, remaining) = if total > 0 {
        (
            loaded as f64 * 100.0 / total as f64,
            total.saturating_sub(loaded),
        )
    } else {
        (0.0, 1)
    };
    let elapsed = now_secs - l.start_secs;
    let eta = if elapsed <= 0 {
        1
    } else {
        (elapsed as u64 * remaining / (loaded + 1)) as i64
    };
    let _ = write!(
        o,
        "loading_start_time:{}\r\nloading_total_bytes:{total}\r\nloading_rdb_used_mem:{}\r\nloading_loaded_bytes:{loaded}\r\nloading_loaded_perc:{perc:.2}\r\nloading_eta_seconds:{eta}\r\n",
        l.start_secs, l.rdb_used_mem
    );
}
