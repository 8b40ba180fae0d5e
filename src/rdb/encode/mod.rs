//! Builders for the packed blobs Redis 7.0 stores inside RDB values: listpacks (small hashes,
//! small sorted sets, quicklist nodes) and intsets (small integer sets).
pub mod intset;
pub mod listpack;
pub mod quicklist;
