//! Process-level duties: logging in Redis's line format, daemonizing, the pidfile, and
//! systemd readiness notification.
pub mod log;
