//! Leader election: epochs, one vote per epoch (answering IS-MASTER-DOWN-BY-ADDR), and tallying
//! the votes other sentinels report; a leader needs max(quorum, majority of known sentinels).
use super::core::{Rng, Sentinel};

/// Answer to `SENTINEL IS-MASTER-DOWN-BY-ADDR ip port epoch runid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownReply {
    /// 1 when the master at that address is subjectively down here (and we are not in TILT).
    pub down: bool,
    /// The run id we voted for in `leader_epoch`, or `*` when `runid` was `*` (no vote asked).
    pub leader: String,
    pub leader_epoch: u64,
}

impl Sentinel {
    /// Serve IS-MASTER-DOWN-BY-ADDR: report our down state for the master at `ip:port` and, when
    /// `runid` is not `*`, vote for `runid` in `req_epoch` (one vote per epoch; a newer epoch
    /// updates `current_epoch`, which is persisted and announced with `+new-epoch`).
    /// TODO(sentinel-core): implement.
    pub fn is_master_down_by_addr(
        &mut self,
        ip: &str,
        port: u16,
        req_epoch: u64,
        runid: &str,
        now: i64,
        rng: &mut dyn Rng,
    ) -> DownReply {
        let _ = (ip, port, req_epoch, now, rng);
        DownReply {
            down: false,
            leader: if runid == "*" {
                "*".into()
            } else {
                String::new()
            },
            leader_epoch: 0,
        }
    }
}
