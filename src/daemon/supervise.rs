//! Process supervision (`supervised no|upstart|systemd|auto`): decide from the environment who
//! supervises us, and tell it when we are ready and when we are stopping. systemd gets sd_notify
//! datagrams; upstart (`expect stop`) gets a SIGSTOP once we listen.
use super::notify::{self, Notifier};
use crate::config::Supervised;
use log::{debug, info, warn};

const UPSTART_ENV: &str = "UPSTART_JOB";
/// Status of a replica that serves but has not finished its first sync (Redis's words).
pub const REPLICA_WAITING_STATUS: &str =
    "STATUS=Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync";
/// Status once a replica's sync with its master has finished (Redis's words).
pub const REPLICA_SYNCED_STATUS: &str =
    "STATUS=MASTER <-> REPLICA sync: Finished with success. Ready to accept connections in read-write mode.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    None,
    Upstart,
    Systemd,
}

/// The supervision in effect for this process.
#[derive(Debug)]
pub struct Supervisor {
    requested: Supervised,
    kind: Kind,
    notifier: Option<Notifier>,
    /// Why the requested supervision could not be set up (logged by `announce`).
    problem: Option<String>,
}

impl Supervisor {
    /// Work out the supervision from the setting and the environment. Does not log (the logger
    /// is configured from the result); call `announce` once logging is up.
    pub fn detect(requested: Supervised) -> Supervisor {
        let mut kind = match requested {
            Supervised::No => Kind::None,
            Supervised::Upstart => Kind::Upstart,
            Supervised::Systemd => Kind::Systemd,
            Supervised::Auto => {
                if std::env::var_os(UPSTART_ENV).is_some() {
                    Kind::Upstart
                } else if std::env::var_os(notify::ENV).is_some() {
                    Kind::Systemd
                } else {
                    Kind::None
                }
            }
        };
        let mut notifier = None;
        let mut problem = None;
        match kind {
            Kind::Upstart if std::env::var_os(UPSTART_ENV).is_none() => {
                problem = Some("upstart supervision requested, but UPSTART_JOB not found!".into());
                kind = Kind::None;
            }
            Kind::Systemd => match Notifier::from_env() {
                Ok(Some(n)) => notifier = Some(n),
                Ok(None) => {
                    problem = Some("systemd supervision error: NOTIFY_SOCKET not found!".into());
                    kind = Kind::None;
                }
                Err(e) => {
                    problem = Some(format!(
                        "systemd supervision error: sd_notify: {}",
                        errno_code(&e)
                    ));
                    kind = Kind::None;
                }
            },
            _ => {}
        }
        Supervisor {
            requested,
            kind,
            notifier,
            problem,
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// True when a supervisor manages the process (it then must not daemonize).
    pub fn is_active(&self) -> bool {
        self.kind != Kind::None
    }

    /// True when stdout goes to journald: `supervised systemd`, or auto-detected systemd.
    pub fn journald(&self) -> bool {
        self.requested == Supervised::Systemd
            || (self.requested == Supervised::Auto && self.kind == Kind::Systemd)
    }

    /// Log what was detected and send the first status; a dead notify socket disables
    /// supervision, as Redis does.
    pub fn announce(&mut self) {
        if let Some(p) = self.problem.take() {
            warn!("{p}");
        }
        match self.kind {
            Kind::None => {}
            Kind::Upstart => {
                if self.requested == Supervised::Auto {
                    debug!("Upstart supervision detected.");
                }
                info!("supervised by upstart, will stop to signal readiness.");
            }
            Kind::Systemd => {
                if self.requested == Supervised::Auto {
                    debug!("Systemd supervision detected.");
                }
                if self.send("STATUS=Redis is loading...") {
                    info!("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
                } else {
                    self.kind = Kind::None;
                    self.notifier = None;
                }
            }
        }
    }

    /// Send one sd_notify message if systemd supervises us; false if that failed.
    pub fn send(&self, msg: &str) -> bool {
        let Some(n) = &self.notifier else {
            return true;
        };
        match n.send(msg) {
            Ok(()) => true,
            Err(e) => {
                warn!("systemd supervision error: sd_notify: {}", errno_code(&e));
                false
            }
        }
    }

    /// Where later status lines go (the event loop reports replica sync progress), if systemd
    /// supervises us.
    pub fn notifier(&self) -> Option<Notifier> {
        self.notifier.clone()
    }

    /// The server listens and has its data: tell the supervisor. A replica serves (stale or
    /// empty data, read-only) before its first sync; the status says it is still syncing, as
    /// Redis's does, and the event loop updates it when the sync finishes.
    pub fn ready(&self, replica: bool) {
        match self.kind {
            Kind::None => {}
            Kind::Systemd => {
                if replica {
                    self.send(REPLICA_WAITING_STATUS);
                } else {
                    self.send("STATUS=Ready to accept connections");
                }
                self.send("READY=1");
            }
            Kind::Upstart => {
                // upstart's `expect stop` resumes us with SIGCONT once it has seen the stop.
                let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP);
                std::env::remove_var(UPSTART_ENV);
            }
        }
    }

    /// Shutdown has begun.
    pub fn stopping(&self) {
        self.send("STOPPING=1");
    }

    /// Shutdown was cancelled (e.g. the final save failed): running again.
    pub fn shutdown_cancelled(&self, status: &str) {
        self.send(&format!("STATUS={status}"));
        self.send("READY=1");
    }
}

/// sd_notify reports failures as a negative errno; Redis logs that number.
fn errno_code(e: &std::io::Error) -> i32 {
    -e.raw_os_error().unwrap_or(nix::libc::EINVAL)
}
