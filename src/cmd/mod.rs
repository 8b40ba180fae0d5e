//! Command families, one file each. Every family exports a `COMMANDS` table; `all_commands`
//! gathers them for the dispatcher and for COMMAND.
pub mod args;
pub mod client;
pub mod coll_scan;
pub mod command;
pub mod command_docs;
pub mod command_docs_table;
pub mod command_tables;
pub mod config;
pub mod connection;
pub mod debug;
pub mod dump;
pub mod expire;
pub mod hash;
pub mod info;
pub mod info_master;
pub mod info_persist;
pub mod info_replica;
pub mod key_specs;
pub mod keys;
pub mod list;
pub mod multi;
pub mod persist;
pub mod pubsub;
pub mod repl_sync;
pub mod replicaof;
pub mod sample;
pub mod sentinel;
pub mod server;
pub mod set;
pub mod sort;
pub mod string;
pub mod typed;
pub mod wait;
pub mod zset;

use crate::server::command::Command;

pub fn all_commands() -> Vec<&'static Command> {
    let families: &[&'static [Command]] = &[
        connection::COMMANDS,
        client::COMMANDS,
        string::COMMANDS,
        keys::COMMANDS,
        dump::COMMANDS,
        debug::COMMANDS,
        server::COMMANDS,
        command::COMMANDS,
        config::COMMANDS,
        list::COMMANDS,
        hash::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        pubsub::COMMANDS,
        multi::COMMANDS,
        persist::COMMANDS,
        sort::COMMANDS,
        repl_sync::COMMANDS,
        info_master::COMMANDS,
        wait::COMMANDS,
        replicaof::COMMANDS,
    ];
    families.iter().flat_map(|f| f.iter()).collect()
}
