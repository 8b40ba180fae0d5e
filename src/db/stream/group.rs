//! Consumer groups of a stream: the last delivered id, the entries-read counter (lag), the
//! pending entries list (PEL) with each entry's delivery time, count and owner, and the
//! consumers with their own pending ids and last-seen time.
use super::{Stream, StreamId};
use std::collections::{BTreeMap, BTreeSet};

/// `entries_read` when it is not known (SCG_INVALID_ENTRIES_READ).
pub const ENTRIES_READ_UNKNOWN: i64 = -1;

/// A pending entry: delivered, not acknowledged yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Nack {
    pub delivery_time: i64,
    pub delivery_count: u64,
    pub consumer: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Consumer {
    pub seen_time: i64,
    pub pel: BTreeSet<StreamId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Self {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }
}

impl Stream {
    /// How many entries were added up to `id`, when that can be known from the counters alone
    /// (Redis's `streamEstimateDistanceFromFirstEverEntry`); `ENTRIES_READ_UNKNOWN` otherwise.
    pub fn estimate_entries_read(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        }
        if id > self.last_id {
            return ENTRIES_READ_UNKNOWN;
        }
        if self.max_deleted == StreamId::MIN || self.max_deleted < self.first_id {
            if id < self.first_id {
                return added - self.length as i64;
            }
            if id == self.first_id {
                return added - self.length as i64 + 1;
            }
        }
        ENTRIES_READ_UNKNOWN
    }
}

impl Stream {
    /// Whether a tombstone may lie at or after `start` (Redis's `streamRangeHasTombstones`
    /// with no end).
    pub fn tombstones_from(&self, start: StreamId) -> bool {
        if self.length == 0 || self.max_deleted == StreamId::MIN || self.first_id > self.max_deleted
        {
            return false;
        }
        start <= self.max_deleted
    }

    /// Whether a live entry `id` exists.
    pub fn contains(&self, id: StreamId) -> bool {
        self.range(id, id, false).next().is_some()
    }

    /// A group's read counter after it is advanced to the entry `id`.
    pub fn entries_read_after(&self, g: &Group, id: StreamId) -> i64 {
        if g.entries_read != ENTRIES_READ_UNKNOWN && !self.tombstones_from(id) {
            g.entries_read + 1
        } else if self.entries_added > 0 {
            self.estimate_entries_read(id)
        } else {
            g.entries_read
        }
    }
}

impl Group {
    /// Add a consumer; false if it exists.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.to_vec(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Find a consumer and mark it seen now; false if there is none.
    pub fn touch_consumer(&mut self, name: &[u8], now: i64) -> bool {
        match self.consumers.get_mut(name) {
            Some(c) => {
                c.seen_time = now;
                true
            }
            None => false,
        }
    }

    /// Delete a consumer and its pending entries; the number it had, or None.
    pub fn del_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Acknowledge `id`; true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(n) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&n.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Make `id` pending for `consumer` (which exists), moving it from its previous owner.
    /// A new NACK starts as Redis creates one: delivered at `time`, once.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: i64) -> &mut Nack {
        let old = self.pel.get(&id).map(|n| n.consumer.clone());
        if let Some(old) = old.filter(|o| o != consumer) {
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
        let n = self.pel.entry(id).or_insert_with(|| Nack {
            delivery_time: time,
            delivery_count: 1,
            consumer: consumer.to_vec(),
        });
        n.consumer = consumer.to_vec();
        n
    }
}
