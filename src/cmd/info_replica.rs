//! The replica's lines of INFO replication, in Redis 7.0's order and format: from `role:slave`
//! to `replica_announced`. `cmd::info` prints the lines shared with masters after them.
use crate::server::Server;
use std::fmt::Write;

/// Append the replica-only fields (each ending in CRLF). Does nothing on a master.
pub fn replica_fields(srv: &Server, now: i64, o: &mut String) {
    let Some(r) = srv.role.replica.as_ref() else {
        return;
    };
    let l = &r.link;
    let secs = |ms: i64| (now - ms) / 1000;
    let mut f = |s: String| {
        o.push_str(&s);
        o.push_str("\r\n");
    };
    f("role:slave".into());
    f(format!("master_host:{}", l.host));
    f(format!("master_port:{}", l.port));
    f(format!(
        "master_link_status:{}",
        if l.is_up() { "up" } else { "down" }
    ));
    f(format!(
        "master_last_io_seconds_ago:{}",
        if l.is_up() { secs(l.last_io) } else { -1 }
    ));
    f(format!("master_sync_in_progress:{}", l.in_transfer() as u8));
    let (read_off, off) = if r.master.is_some() {
        (r.read_offset, l.offset)
    } else {
        (1, 1)
    };
    f(format!("slave_read_repl_offset:{read_off}"));
    f(format!("slave_repl_offset:{off}"));
    if l.in_transfer() {
        let size = l.transfer_size;
        let read = l.transfer_read as i64;
        let perc = if size != 0 {
            read as f64 / size as f64 * 100.0
        } else {
            0.0
        };
        f(format!("master_sync_total_bytes:{size}"));
        f(format!("master_sync_read_bytes:{read}"));
        f(format!("master_sync_left_bytes:{}", size - read));
        f(format!("master_sync_perc:{perc:.2}"));
        f(format!(
            "master_sync_last_io_seconds_ago:{}",
            secs(l.last_io)
        ));
    }
    if !l.is_up() {
        let down = if l.down_since > 0 {
            secs(l.down_since)
        } else {
            -1
        };
        f(format!("master_link_down_since_seconds:{down}"));
    }
    f(format!("slave_priority:{}", srv.config.replica_priority));
    f(format!(
        "slave_read_only:{}",
        srv.config.replica_read_only as u8
    ));
    let announced = srv.config.get_by_name("replica-announced").as_deref() != Some("no");
    let _ = write!(o, "replica_announced:{}\r\n", announced as u8);
}
