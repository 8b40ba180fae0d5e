//! Command families, one file each. Every family exports a `COMMANDS` table; `all_commands`
//! gathers them for the dispatcher and for COMMAND.
pub mod args;
pub mod client;
pub mod config;
pub mod connection;
pub mod keys;
pub mod server;
pub mod string;

use crate::server::command::Command;

pub fn all_commands() -> Vec<&'static Command> {
    let families: &[&'static [Command]] = &[
        connection::COMMANDS,
        client::COMMANDS,
        string::COMMANDS,
        keys::COMMANDS,
        server::COMMANDS,
        config::COMMANDS,
    ];
    families.iter().flat_map(|f| f.iter()).collect()
}
