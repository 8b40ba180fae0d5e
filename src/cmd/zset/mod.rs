//! STUB: the zset command family (filled in by its own work item).
use crate::server::command::Command;

pub static COMMANDS: &[Command] = &[];
