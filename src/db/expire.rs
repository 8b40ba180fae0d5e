//! Active expiry: each cron tick walks the keys that carry a TTL (with the same SCAN cursor the
//! dict offers, so a sparse table is never a problem) in samples of 20, deleting the expired
//! ones, and repeats on a database while more than 10% of a sample was expired. A time budget
//! (25% of a tick) keeps a mass expiry from stalling the event loop; the rest waits for the
//! next tick. Also maintains the per-db average TTL and the stale-key estimate for INFO.
use super::Keyspace;
use std::time::{Duration, Instant};

const KEYS_PER_LOOP: usize = 20;
/// Max share of a tick spent expiring, in percent (Redis: ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
const TIME_PERC: u64 = 25;
/// Keep sampling a db while more than this percentage of a sample was expired.
const ACCEPTABLE_STALE: usize = 10;
/// Databases visited per call (Redis: CRON_DBS_PER_CALL).
const DBS_PER_CALL: usize = 16;

/// What one cycle did, for the caller to apply to WATCHes and stats.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Keys deleted (db, key) when `track` was asked; empty otherwise.
    pub removed: Vec<(usize, Vec<u8>)>,
    pub sampled: usize,
    pub expired: usize,
    /// The time budget ran out before the cycle finished.
    pub timed_out: bool,
}

/// One cycle over `ks` at `now`, spending at most about `budget`. `track`: report the deleted
/// keys (someone WATCHes keys). The keyspace's expired counter counts the deletions.
pub fn active_expire_cycle(ks: &mut Keyspace, now: i64, budget: Duration, track: bool) -> Outcome {
    ks.set_expiry_mode(crate::db::ExpiryMode::Delete);
    let start = Instant::now();
    let ndb = ks.dbs.len();
    let (mut sampled_total, mut expired_total) = (0usize, 0usize);
    let mut timed_out = false;
    let mut iterations = 0u64;
    let mut removed: Vec<(usize, Vec<u8>)> = Vec::new();
    for _ in 0..ndb.min(DBS_PER_CALL) {
        let dbi = ks.expire_next_db % ndb;
        ks.expire_next_db = (dbi + 1) % ndb;
        let db = &mut ks.dbs[dbi];
        loop {
            if db.expires.is_empty() {
                db.avg_ttl = 0;
                break;
            }
            let num = KEYS_PER_LOOP.min(db.expires.len());
            let mut keys: Vec<Vec<u8>> = Vec::with_capacity(num);
            let mut cursor = db.expires_cursor;
            let mut buckets = 0;
            loop {
                cursor = db.expires.scan(cursor, |k, _| keys.push(k.to_vec()));
                buckets += 1;
                if cursor == 0 || keys.len() >= num || buckets >= num * 20 {
                    break;
                }
            }
            db.expires_cursor = cursor;
            let (mut expired, mut ttl_sum, mut ttl_n) = (0usize, 0i64, 0i64);
            for k in &keys {
                if db.expire_if_needed(k, now) {
                    expired += 1;
                    if track {
                        removed.push((dbi, k.clone()));
                    }
                } else if let Some(at) = db.get_expire(k) {
                    ttl_sum += at - now;
                    ttl_n += 1;
                }
            }
            if ttl_n > 0 {
                let avg = ttl_sum / ttl_n;
                db.avg_ttl = if db.avg_ttl == 0 {
                    avg
                } else {
                    db.avg_ttl / 50 * 49 + avg / 50
                };
            }
            sampled_total += keys.len();
            expired_total += expired;
            iterations += 1;
            if iterations % 16 == 0 && start.elapsed() > budget {
                timed_out = true;
                break;
            }
            if keys.is_empty() || expired * 100 / keys.len() <= ACCEPTABLE_STALE {
                break;
            }
        }
        if timed_out {
            break;
        }
    }
    Outcome {
        removed,
        sampled: sampled_total,
        expired: expired_total,
        timed_out,
    }
}

/// The time budget of one cycle at `hz` ticks per second (25% of a tick).
pub fn cycle_budget(hz: u32) -> Duration {
    Duration::from_micros(1_000_000 * TIME_PERC / 100 / hz.max(1) as u64)
}
