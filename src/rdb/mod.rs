//! RDB files: Redis's snapshot format. One serializer (`save`) writes what Redis 7.0 writes
//! (version 10: listpack, intset and quicklist-2 encodings, AUX fields, CRC64 trailer) and is
//! used by SAVE, the BGSAVE child, DUMP payloads and replication; one reader (`load`) takes
//! every encoding Redis 6.x, 7.0 and 7.2 write, and fails cleanly on anything else.
//!
//! ```text
//! Keyspace ─► save ─► encode::{listpack,intset} ─► sink::Writer (LZF, CRC64) ─► impl Write
//! impl Read ─► source::Reader (CRC64, bounded reads) ─► load ─► decode::{listpack,ziplist,
//!              zipmap,intset} ─► a new Keyspace (swapped in only when the whole file loaded)
//! ```
pub mod check;
pub mod consts;
pub mod decode;
pub mod dump;
pub mod encode;
pub mod error;
pub mod load;
pub mod save;
pub mod sink;
pub mod source;
pub mod stream;

pub use error::RdbError;
pub use load::{load, LoadInfo, LoadOpts};
pub use save::{save, SaveInfo};

use crc::{Crc, Table, CRC_64_REDIS};

/// The CRC64 Redis appends to RDB files and DUMP payloads (Jones polynomial, reflected).
pub static CRC64: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_REDIS);

#[cfg(test)]
mod tests {
    #[test]
    fn crc64_matches_redis_check_value() {
        // Redis's crc64.c self-test: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
        assert_eq!(super::CRC64.checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
    }
}
