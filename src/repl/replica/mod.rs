//! Replica side of replication: the link to a master as a state machine (connect, handshake,
//! PSYNC, transfer, load, stream), REPLICAOF/SLAVEOF, and the replica's view for INFO and ROLE.
pub mod link;
