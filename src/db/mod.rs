//! The keyspace: numbered databases of binary keys, each with its values and expiry times.
//! Expiry is lazy on access (every lookup takes `now`) plus an active cycle run from the cron.
//! Keys removed because their TTL passed are counted in `Db::expired` until the server moves the
//! count into its stats (`Keyspace::take_expired`).
pub mod dict;
pub mod dictkey;
pub mod digest;
pub mod expire;
pub mod hash;
pub mod hll;
pub mod list;
pub mod packed;
pub mod set;
pub mod strbuf;
pub mod stream;
pub mod value;
pub mod zset;

pub use dict::Dict;
pub use value::{Hash, List, Set, StrEnc, Stream, Value, ZSet};

/// One key's record.
pub struct Entry {
    pub value: Value,
    /// Absolute expiry in unix milliseconds, or `NO_EXPIRE`.
    pub expire_at: i64,
    /// Last access time in unix seconds (OBJECT IDLETIME, DEBUG OBJECT lru).
    pub access: u32,
}

impl Entry {
    pub fn new(value: Value, now: i64) -> Self {
        Entry {
            value,
            expire_at: NO_EXPIRE,
            access: secs(now),
        }
    }

    #[inline]
    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_at != NO_EXPIRE && self.expire_at <= now
    }
}

pub const NO_EXPIRE: i64 = -1;

#[derive(Default)]
pub struct Db {
    pub dict: Dict<Entry>,
    /// Keys that carry a TTL, for counting and for sampling by the active expiry cycle.
    pub expires: Dict<()>,
    pub avg_ttl: i64,
    /// Keys deleted because their TTL passed, not yet moved into the server stats.
    pub expired: u64,
    /// Where the active expiry cycle resumes its walk of `expires`.
    pub expires_cursor: u64,
    /// Keys removed by expiry, kept while a replication backlog exists so the master can
    /// propagate them as DEL (None: not recorded).
    pub expired_log: Option<Vec<Vec<u8>>>,
    /// What a key whose TTL passed looks like to the command now running (see `ExpiryMode`).
    pub expiry_mode: ExpiryMode,
}

/// How lookups treat a key whose TTL has passed. A master deletes it (and propagates a DEL). A
/// replica never deletes on its own, because its clock is not its master's: its clients see
/// the key as gone (`Hide`), while the master's stream sees it as it is (`Keep`), so a write
/// the master made to a key still alive there applies to the same value here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryMode {
    #[default]
    Delete,
    Hide,
    Keep,
}

/// Unix seconds as Redis keeps them in the object LRU field.
pub fn secs(now_ms: i64) -> u32 {
    (now_ms / 1000) as u32
}

impl Db {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys, including keys whose TTL passed but that were not reclaimed yet (as
    /// Redis's DBSIZE counts them).
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Delete `key` if its TTL has passed. Returns true when it was expired and removed.
    /// Under `ExpiryMode::Hide` the key stays and true is returned; under `Keep`, false.
    pub fn expire_if_needed(&mut self, key: &[u8], now: i64) -> bool {
        if self.expires.is_empty() || self.expiry_mode == ExpiryMode::Keep {
            return false;
        }
        match self.dict.get(key) {
            Some(e) if e.is_expired(now) && self.expiry_mode == ExpiryMode::Hide => true,
            Some(e) if e.is_expired(now) => {
                self.remove(key);
                self.expired += 1;
                if let Some(log) = self.expired_log.as_mut() {
                    log.push(key.to_vec());
                }
                true
            }
            _ => false,
        }
    }

    /// Look a key up for reading or writing: expired keys are removed first; touches the
    /// access time (Redis's lookupKey without NOTOUCH).
    #[inline]
    pub fn get(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        if self.expire_if_needed(key, now) && self.expiry_mode == ExpiryMode::Hide {
            return None;
        }
        let e = self.dict.get_mut(key)?;
        e.access = secs(now);
        Some(e)
    }

    /// Like `get` but without touching the access time (LOOKUP_NOTOUCH: TYPE, TTL, OBJECT).
    pub fn get_notouch(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        if self.expire_if_needed(key, now) && self.expiry_mode == ExpiryMode::Hide {
            return None;
        }
        self.dict.get_mut(key)
    }

    /// Look a key up without touching its access time or expiring it (OBJECT, DEBUG, SCAN).
    pub fn peek(&self, key: &[u8], now: i64) -> Option<&Entry> {
        let keep = self.expiry_mode == ExpiryMode::Keep;
        self.dict.get(key).filter(|e| keep || !e.is_expired(now))
    }

    pub fn exists(&mut self, key: &[u8], now: i64) -> bool {
        !self.expire_if_needed(key, now) && self.dict.contains_key(key)
    }

    /// Store a value. `keep_ttl` keeps an existing expiry (SET KEEPTTL), otherwise it is cleared.
    /// The caller has already expired a stale `key` (or does not care: the value is replaced).
    #[inline]
    pub fn set(&mut self, key: Vec<u8>, value: Value, keep_ttl: bool, now: i64) {
        if let Some(e) = self.dict.get_mut(&key) {
            e.value = value;
            e.access = secs(now);
            if !keep_ttl && e.expire_at != NO_EXPIRE {
                e.expire_at = NO_EXPIRE;
                self.expires.remove(&key);
            }
            return;
        }
        self.dict.insert_new(key, Entry::new(value, now));
    }

    /// Insert with an expiry (used by loaders and SET EX).
    pub fn set_with_expire(&mut self, key: Vec<u8>, value: Value, expire_at: i64, now: i64) {
        if expire_at == NO_EXPIRE {
            self.set(key, value, false, now);
            return;
        }
        self.set(key.clone(), value, true, now);
        self.set_expire(&key, expire_at);
    }

    /// Add a whole entry under a key known to be absent (RENAME, MOVE, COPY).
    pub fn add_entry(&mut self, key: Vec<u8>, e: Entry) {
        let at = e.expire_at;
        if at != NO_EXPIRE {
            self.expires.insert(key.clone(), ());
        }
        self.dict.insert_new(key, e);
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.dict.remove(key)?;
        if e.expire_at != NO_EXPIRE {
            self.expires.remove(key);
        }
        Some(e)
    }

    /// Set the absolute expiry of an existing key. Returns false if the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        let Some(e) = self.dict.get_mut(key) else {
            return false;
        };
        let had = e.expire_at != NO_EXPIRE;
        e.expire_at = at_ms;
        if !had {
            self.expires.insert(key.to_vec(), ());
        }
        true
    }

    /// Remove the expiry of a key. Returns true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let Some(e) = self.dict.get_mut(key) else {
            return false;
        };
        if e.expire_at == NO_EXPIRE {
            return false;
        }
        e.expire_at = NO_EXPIRE;
        self.expires.remove(key);
        true
    }

    /// The expiry of a key (`NO_EXPIRE` if none), or None if the key does not exist.
    pub fn get_expire(&self, key: &[u8]) -> Option<i64> {
        self.dict.get(key).map(|e| e.expire_at)
    }

    pub fn clear(&mut self) {
        self.dict.clear();
        self.expires.clear();
        self.avg_ttl = 0;
    }
}

/// All databases of a server.
pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// The database the active expiry cycle visits first on its next run.
    pub expire_next_db: usize,
}

impl Keyspace {
    pub fn new(n: usize) -> Self {
        Keyspace {
            dbs: (0..n.max(1)).map(|_| Db::new()).collect(),
            expire_next_db: 0,
        }
    }

    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(|d| d.len()).sum()
    }

    /// Set how every database treats keys whose TTL passed (cheap when unchanged).
    #[inline]
    pub fn set_expiry_mode(&mut self, mode: ExpiryMode) {
        if self.dbs.first().is_some_and(|d| d.expiry_mode != mode) {
            for db in self.dbs.iter_mut() {
                db.expiry_mode = mode;
            }
        }
    }

    /// Keys expired (lazily or actively) since the last call, for `stats.expired_keys`.
    #[inline]
    pub fn take_expired(&mut self) -> u64 {
        let mut n = 0;
        for db in self.dbs.iter_mut() {
            n += std::mem::take(&mut db.expired);
        }
        n
    }
}
