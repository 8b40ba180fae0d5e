//! The keyspace: numbered databases of binary keys, each with its values and expiry times.
//! Expiry is lazy on access (every lookup takes `now`) plus an active cycle run from the cron.
pub mod dict;
pub mod expire;
pub mod value;

pub use dict::Dict;
pub use value::Value;

/// One key's record.
pub struct Entry {
    pub value: Value,
    /// Absolute expiry in unix milliseconds, or `NO_EXPIRE`.
    pub expire_at: i64,
    /// Last access time in unix seconds (OBJECT IDLETIME).
    pub access: u32,
}

pub const NO_EXPIRE: i64 = -1;

#[derive(Default)]
pub struct Db {
    pub dict: Dict<Entry>,
    /// Keys that carry a TTL, for counting and for sampling by the active expiry cycle.
    pub expires: Dict<()>,
    pub avg_ttl: i64,
}

fn secs(now_ms: i64) -> u32 {
    (now_ms / 1000) as u32
}

impl Db {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Delete `key` if its TTL has passed. Returns true when it was expired and removed.
    pub fn expire_if_needed(&mut self, key: &[u8], now: i64) -> bool {
        match self.dict.get(key) {
            Some(e) if e.expire_at != NO_EXPIRE && e.expire_at <= now => {
                self.remove(key);
                true
            }
            _ => false,
        }
    }

    /// Look a key up for reading: expired keys are removed first; touches the access time.
    pub fn get(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        self.expire_if_needed(key, now);
        let e = self.dict.get_mut(key)?;
        e.access = secs(now);
        Some(e)
    }

    /// Look a key up without touching its access time or expiring it (OBJECT, DEBUG, SCAN).
    pub fn peek(&self, key: &[u8], now: i64) -> Option<&Entry> {
        self.dict
            .get(key)
            .filter(|e| e.expire_at == NO_EXPIRE || e.expire_at > now)
    }

    pub fn get_value(&mut self, key: &[u8], now: i64) -> Option<&mut Value> {
        self.get(key, now).map(|e| &mut e.value)
    }

    pub fn exists(&mut self, key: &[u8], now: i64) -> bool {
        self.expire_if_needed(key, now);
        self.dict.contains_key(key)
    }

    /// Store a value. `keep_ttl` keeps an existing expiry (SET KEEPTTL), otherwise it is cleared.
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
        self.dict.insert(
            key,
            Entry {
                value,
                expire_at: NO_EXPIRE,
                access: secs(now),
            },
        );
    }

    /// Insert with an expiry (used by loaders and SET EX).
    pub fn set_with_expire(&mut self, key: Vec<u8>, value: Value, expire_at: i64, now: i64) {
        self.set(key.clone(), value, false, now);
        if expire_at != NO_EXPIRE {
            self.set_expire(&key, expire_at);
        }
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
}

impl Keyspace {
    pub fn new(n: usize) -> Self {
        Keyspace {
            dbs: (0..n.max(1)).map(|_| Db::new()).collect(),
        }
    }

    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(|d| d.len()).sum()
    }
}
