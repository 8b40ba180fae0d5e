//! Active expiry: each cron tick samples keys with a TTL and deletes the expired ones, repeating
//! while more than a quarter of a sample was expired, within a time budget so the loop never stalls.
use crate::server::Server;

const KEYS_PER_LOOP: usize = 20;
/// Max share of a tick spent expiring, in percent (Redis: ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
const TIME_PERC: i64 = 25;

pub fn active_expire_cycle(srv: &mut Server, now: i64) {
    if !srv.active_expire_enabled {
        return;
    }
    let budget_us = 1_000_000 * TIME_PERC / 100 / srv.config.hz.max(1) as i64;
    let start = std::time::Instant::now();
    let mut expired_total = 0u64;
    for db in srv.keyspace.dbs.iter_mut() {
        loop {
            if db.expires.is_empty() {
                break;
            }
            let sample = KEYS_PER_LOOP.min(db.expires.len());
            let mut expired = 0;
            for _ in 0..sample {
                let Some(k) = db.expires.random_key().map(|k| k.to_vec()) else {
                    break;
                };
                if db.expire_if_needed(&k, now) {
                    expired += 1;
                }
            }
            expired_total += expired as u64;
            if expired * 4 <= sample {
                break;
            }
            if start.elapsed().as_micros() as i64 > budget_us {
                srv.stats.expired_time_cap_reached_count += 1;
                break;
            }
        }
    }
    srv.stats.expired_keys += expired_total;
}
