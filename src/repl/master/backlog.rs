//! The replication backlog: a fixed-size ring holding the most recent bytes of the replication
//! stream, so a replica that lost its link can continue (PSYNC) from its offset instead of
//! resyncing fully. Offsets are stream offsets: the byte at offset `o` is the `o`-th byte ever
//! fed (the first byte fed after the stream starts at `offset + 1`, as Redis counts).

/// Redis's lower bound for `repl-backlog-size`.
pub const MIN_SIZE: usize = 16 * 1024;

#[derive(Debug, Clone)]
pub struct Backlog {
    buf: Vec<u8>,
    /// Next write position in `buf`.
    idx: usize,
    /// Bytes of valid history in the ring (<= buf.len()).
    histlen: usize,
    /// Offset of the last byte fed (Redis's `master_repl_offset`).
    offset: i64,
}

impl Backlog {
    /// An empty backlog of `size` bytes (at least `MIN_SIZE`) whose stream is at `offset`.
    pub fn new(size: usize, offset: i64) -> Self {
        Backlog {
            buf: vec![0; size.max(MIN_SIZE)],
            idx: 0,
            histlen: 0,
            offset,
        }
    }

    pub fn size(&self) -> usize {
        self.buf.len()
    }

    /// Offset of the last byte fed.
    pub fn master_repl_offset(&self) -> i64 {
        self.offset
    }

    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// Offset of the oldest byte held (Redis reports `offset + 1` when empty).
    pub fn first_byte_offset(&self) -> i64 {
        self.offset - self.histlen as i64 + 1
    }

    /// Append stream bytes, overwriting the oldest ones when the ring is full.
    pub fn feed(&mut self, mut data: &[u8]) {
        self.offset += data.len() as i64;
        let size = self.buf.len();
        if data.len() > size {
            data = &data[data.len() - size..];
        }
        while !data.is_empty() {
            let n = (size - self.idx).min(data.len());
            self.buf[self.idx..self.idx + n].copy_from_slice(&data[..n]);
            self.idx = (self.idx + n) % size;
            self.histlen = (self.histlen + n).min(size);
            data = &data[n..];
        }
    }

    /// The bytes from stream offset `from` (the first byte a replica at `from - 1` lacks) to
    /// the end, or None when `from` is outside the history (a partial resync is impossible).
    /// `from == offset + 1` is valid and yields nothing.
    pub fn copy_from(&self, from: i64) -> Option<Vec<u8>> {
        if from < self.first_byte_offset() || from > self.offset + 1 {
            return None;
        }
        let len = (self.offset + 1 - from) as usize;
        let size = self.buf.len();
        let start = (self.idx + size - len) % size;
        let mut out = Vec::with_capacity(len);
        let first = (size - start).min(len);
        out.extend_from_slice(&self.buf[start..start + first]);
        out.extend_from_slice(&self.buf[..len - first]);
        Some(out)
    }

    /// Change the ring size keeping the most recent history that fits (CONFIG SET).
    pub fn resize(&mut self, size: usize) {
        let size = size.max(MIN_SIZE);
        if size == self.buf.len() {
            return;
        }
        let keep = self.histlen.min(size);
        let tail = self
            .copy_from(self.offset + 1 - keep as i64)
            .unwrap_or_default();
        let offset = self.offset - tail.len() as i64;
        *self = Backlog::new(size, offset);
        self.feed(&tail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_backlog_reports_like_redis() {
        let b = Backlog::new(100, 0);
        assert_eq!(b.size(), MIN_SIZE);
        assert_eq!(b.histlen(), 0);
        assert_eq!(b.first_byte_offset(), 1);
        assert_eq!(b.copy_from(1), Some(vec![]));
        assert_eq!(b.copy_from(2), None);
        assert_eq!(b.copy_from(0), None);
    }

    #[test]
    fn feed_and_copy_within_history() {
        let mut b = Backlog::new(MIN_SIZE, 10);
        b.feed(b"hello");
        b.feed(b" world");
        assert_eq!(b.master_repl_offset(), 21);
        assert_eq!(b.first_byte_offset(), 11);
        assert_eq!(b.copy_from(11).unwrap(), b"hello world");
        assert_eq!(b.copy_from(17).unwrap(), b"world");
        assert_eq!(b.copy_from(22).unwrap(), b"");
        assert_eq!(b.copy_from(10), None);
    }

    #[test]
    fn wraps_and_drops_oldest() {
        let mut b = Backlog::new(MIN_SIZE, 0);
        let chunk: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let mut all = Vec::new();
        for _ in 0..40 {
            b.feed(&chunk);
            all.extend_from_slice(&chunk);
        }
        assert_eq!(b.histlen(), MIN_SIZE);
        assert_eq!(b.master_repl_offset(), 40_000);
        let first = b.first_byte_offset();
        assert_eq!(first, 40_000 - MIN_SIZE as i64 + 1);
        assert_eq!(b.copy_from(first).unwrap(), &all[(first - 1) as usize..]);
        assert_eq!(b.copy_from(first - 1), None);
        assert_eq!(b.copy_from(39_990).unwrap(), &all[39_989..]);
    }

    #[test]
    fn feed_larger_than_ring() {
        let mut b = Backlog::new(MIN_SIZE, 0);
        let big: Vec<u8> = (0..MIN_SIZE * 2 + 7).map(|i| (i % 251) as u8).collect();
        b.feed(&big);
        assert_eq!(b.master_repl_offset(), big.len() as i64);
        let first = b.first_byte_offset();
        assert_eq!(b.copy_from(first).unwrap(), &big[big.len() - MIN_SIZE..]);
    }

    #[test]
    fn resize_keeps_recent_history() {
        let mut b = Backlog::new(MIN_SIZE * 2, 0);
        let data: Vec<u8> = (0..MIN_SIZE * 2).map(|i| (i % 13) as u8).collect();
        b.feed(&data);
        b.resize(MIN_SIZE);
        assert_eq!(b.size(), MIN_SIZE);
        assert_eq!(b.master_repl_offset(), data.len() as i64);
        let first = b.first_byte_offset();
        assert_eq!(b.copy_from(first).unwrap(), &data[MIN_SIZE..]);
    }
}
