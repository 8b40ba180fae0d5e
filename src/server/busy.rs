//! A script running past `busy-reply-threshold`: the state other clients' commands see (they
//! get `-BUSY` unless their command may run meanwhile, such as SCRIPT KILL or SHUTDOWN NOSAVE)
//! and the hook the event loop installs so the script's interpreter hook can serve them.
use super::Server;

/// Serves the other clients once (read, answer, write) while a script runs; implemented by
/// the event loop, which owns the sockets, and called from the script's interpreter hook.
pub trait BusyServe {
    fn serve(&mut self, srv: &mut Server);
}

/// A script that has run past the threshold.
#[derive(Debug, Clone)]
pub struct BusyScript {
    /// The script's SHA-1 or the function's name, and the command that called it.
    pub name: String,
    pub command: Vec<Vec<u8>>,
    pub started: std::time::Instant,
    /// It called a write command: SCRIPT KILL can no longer stop it (-UNKILLABLE).
    pub wrote: bool,
    /// SCRIPT KILL (or FUNCTION KILL, or SHUTDOWN NOSAVE) asked it to stop.
    pub kill: bool,
    /// A function (FCALL) rather than an EVAL script.
    pub function: bool,
}

pub const SLOW_EVAL_ERR: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const SLOW_FUNCTION_ERR: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// The refusal for a command that may not run while `b` is busy.
pub fn busy_error(b: &BusyScript) -> &'static str {
    if b.function {
        SLOW_FUNCTION_ERR
    } else {
        SLOW_EVAL_ERR
    }
}

/// Serve the other clients once through the event loop's hook, if it installed one.
pub fn serve_others(srv: &mut Server) {
    if let Some(mut hook) = srv.role.busy_serve.take() {
        hook.serve(srv);
        srv.role.busy_serve = Some(hook);
    }
}
