//! DUMP/RESTORE payloads: one value in RDB encoding, then the RDB version as 2 little-endian
//! bytes, then the CRC64 of everything before it, exactly as Redis frames them.
// STUB: the writer helper fills this in.
