//! Replication: the master side (backlog, SYNC/PSYNC, propagation to replicas) and the replica
//! side (the link to a master: handshake, transfer, loading, streaming). Each side is a state
//! machine fed with events and `now`; the event loop only moves bytes. `LIFECYCLE.md` beside
//! this file draws the states and transitions.

pub mod master;
pub mod replica;
