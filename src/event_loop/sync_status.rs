//! Tells systemd (`STATUS=` over the notify socket) when a replica's link to its master comes up
//! or goes down, so `systemctl status` shows whether a replica is still syncing. Only the edge is
//! reported, never once per loop iteration. Also keeps the log's role letter right: `S` while
//! the server follows a master, `M` otherwise (as Redis's log lines show it).
use super::EventLoop;
use crate::daemon::supervise::{REPLICA_SYNCED_STATUS, REPLICA_WAITING_STATUS};

impl EventLoop {
    pub(super) fn report_sync_status(&mut self) {
        let role = if self.srv.role.replica.is_some() {
            'S'
        } else {
            'M'
        };
        if crate::daemon::log::role() != role {
            crate::daemon::log::set_role(role);
        }
        let Some(n) = &self.status_notifier else {
            return;
        };
        let up = self
            .srv
            .role
            .replica
            .as_ref()
            .is_some_and(|r| r.link.is_up());
        if up == self.links.link_was_up {
            return;
        }
        self.links.link_was_up = up;
        let status = if up {
            REPLICA_SYNCED_STATUS
        } else if self.srv.role.replica.is_some() {
            REPLICA_WAITING_STATUS
        } else {
            "STATUS=Ready to accept connections"
        };
        if let Err(e) = n.send(status) {
            log::warn!("systemd supervision error: sd_notify: {e}");
        }
    }
}
