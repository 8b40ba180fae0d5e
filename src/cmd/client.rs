//! CLIENT subcommands and CLIENT PAUSE bookkeeping.
use crate::server::client::Client;
use crate::server::command::Command;
use crate::server::{Pause, Server};

/// True while `c` must not run commands because of CLIENT PAUSE.
pub fn is_paused_for(srv: &Server, _c: &Client) -> bool {
    match srv.pause {
        Pause::None => false,
        Pause::All(until) | Pause::Write(until) => {
            srv.now_ms < until && matches!(srv.pause, Pause::All(_))
        }
    }
}

/// Clear an expired pause; true when a pause just ended (paused clients need waking).
pub fn pause_just_ended(srv: &mut Server) -> bool {
    match srv.pause {
        Pause::All(until) | Pause::Write(until) if srv.now_ms >= until => {
            srv.pause = Pause::None;
            true
        }
        _ => false,
    }
}

pub static COMMANDS: &[Command] = &[];
