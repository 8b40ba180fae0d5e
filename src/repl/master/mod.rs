//! Master side of replication: the backlog, serving SYNC/PSYNC, and feeding every write to the
//! backlog and the attached replicas.
pub mod backlog;
