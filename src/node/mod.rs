//! What a data node does with its whole state (`server::Server`): the master side of
//! replication (propagation, full resyncs, payload transfer, ids), the replica side (following
//! a master, loading its payload), saving and loading (blocking saves, the BGSAVE child, save
//! points), and active expiry. The state machines and plain state these build on live in the
//! lower `repl`, `persist` and `db` layers; `dispatch` and the handlers call in here.
pub mod expire;
pub mod follow;
pub mod fork;
pub mod ids;
pub mod loading;
pub mod master_sync;
pub mod persist;
pub mod propagate;
pub mod replica_sync;
pub mod savepoints;
pub mod transfer;
pub mod wait;
