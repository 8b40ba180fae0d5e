//! Save points (`save <seconds> <changes>`): from the cron, start a background save when
//! enough changes happened for long enough, as Redis's serverCron does, retrying a failed
//! save only after `BGSAVE_RETRY_DELAY` seconds. Also runs a BGSAVE scheduled by MULTI.
use super::fork;
use crate::persist::BGSAVE_RETRY_DELAY;
use crate::server::Server;
use log::info;

/// The first save point `(seconds, changes)` that is due, if any.
pub fn due(srv: &Server, now_secs: i64) -> Option<(u64, u64)> {
    let p = &srv.role.persist;
    let retry_ok = p.lastbgsave_ok || now_secs - p.lastbgsave_try > BGSAVE_RETRY_DELAY;
    if !retry_ok {
        return None;
    }
    srv.config
        .save
        .iter()
        .copied()
        .find(|&(secs, changes)| srv.role.dirty >= changes && now_secs - p.lastsave > secs as i64)
}

/// One cron step: reap a finished child, then maybe start a new one.
pub fn cron(srv: &mut Server, now_ms: i64) {
    if srv.role.persist.child.is_some() {
        fork::reap(srv);
        if srv.role.persist.child.is_some() {
            return;
        }
    }
    if super::persist::is_loading(srv) {
        return;
    }
    let now = now_ms / 1000;
    if srv.role.persist.bgsave_scheduled
        && (srv.role.persist.lastbgsave_ok
            || now - srv.role.persist.lastbgsave_try > BGSAVE_RETRY_DELAY)
    {
        srv.role.persist.bgsave_scheduled = false;
        let _ = fork::start(srv);
        return;
    }
    if let Some((secs, changes)) = due(srv, now) {
        info!("{changes} changes in {secs} seconds. Saving...");
        let _ = fork::start(srv);
    }
}
