//! The failover state machine for one master: wait start, select a replica, promote it (REPLICAOF
//! NO ONE in a MULTI with CONFIG REWRITE and CLIENT KILL), wait for promotion, reconfigure the
//! other replicas with parallel-syncs, update the config; plus replica selection.
use super::core::Sentinel;

impl Sentinel {
    /// SENTINEL FAILOVER <name>: force a failover without agreement. Errors are the reply text
    /// without the leading `-` (`INPROG Failover already in progress`, `NOGOODSLAVE No suitable
    /// replica to promote`). TODO(sentinel-core): implement.
    pub fn manual_failover(&mut self, name: &str, now: i64) -> Result<(), String> {
        let _ = now;
        if !self.masters.contains_key(name) {
            return Err("ERR No such master with that name".into());
        }
        Err("NOGOODSLAVE No suitable replica to promote".into())
    }
}
