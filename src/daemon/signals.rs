//! Process-wide signal dispositions set before the event loop starts. SIGTERM and SIGINT are
//! handled by the event loop; SIGPIPE is already ignored by Rust's runtime.
use nix::sys::signal::{signal, SigHandler, Signal};

/// Ignore SIGHUP, as Redis does: losing the controlling terminal must not stop the server.
pub fn ignore_sighup() {
    // SAFETY: installing SIG_IGN runs no code in signal context.
    let _ = unsafe { signal(Signal::SIGHUP, SigHandler::SigIgn) };
}
