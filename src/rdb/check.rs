//! `oxidis check-rdb FILE`: validate an RDB file and report what it holds, like
//! redis-check-rdb.
// STUB: the reader helper fills this in.
