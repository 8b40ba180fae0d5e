//! Process-level duties: logging in Redis's line format, daemonizing, the pidfile, signal
//! dispositions, and readiness notification to a supervisor (systemd, upstart).
pub mod daemonize;
pub mod log;
pub mod notify;
pub mod pidfile;
pub mod signals;
pub mod supervise;
