//! STUB: the pubsub command family (filled in by its own work item).
use crate::server::command::Command;

pub static COMMANDS: &[Command] = &[];
