//! Active expiry on the node: runs `db::expire`'s cycle (on a master only: a replica waits for
//! its master's DELs), then invalidates the WATCHes of the deleted keys (Redis signals the
//! deletion as a write) and updates the expiry stats.
use crate::db::expire;
use crate::server::Server;

pub fn active_expire_cycle(srv: &mut Server, now: i64) {
    if !srv.role.active_expire_enabled || srv.role.replica.is_some() {
        return;
    }
    let budget = expire::cycle_budget(srv.config.hz);
    let track = !srv.role.watched.is_empty();
    let out = expire::active_expire_cycle(&mut srv.role.keyspace, now, budget, track);
    if out.timed_out {
        srv.stats.expired_time_cap_reached_count += 1;
    }
    for (dbi, k) in out.removed {
        crate::server::multi::touch_key(srv, dbi, &k);
    }
    let perc = if out.sampled > 0 {
        out.expired as f64 / out.sampled as f64
    } else {
        0.0
    };
    srv.stats.expired_stale_perc = perc * 0.05 + srv.stats.expired_stale_perc * 0.95;
    srv.stats.expired_keys += srv.role.keyspace.take_expired();
}
