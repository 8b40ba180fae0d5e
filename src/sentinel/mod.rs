//! Sentinel mode: the same binary monitoring masters, agreeing on failure by quorum, electing a
//! leader and failing over, while answering the sentinel client API. The decision code is a
//! socket-free state machine (`core::Sentinel`, fed `Event`s with `now` and an injected RNG,
//! emitting `Action`s); `event_loop::sentinel_links` owns the sockets. `LIFECYCLE.md` beside
//! this file describes the instance states, the failover states and the timers.
//!
//! Modules:
//! - `state`: the data model (masters, replicas, sentinels, flags, timers).
//! - `core`: `Sentinel`, `Event`, `Action`, `Rng`; routes events to the modules below.
//! - `monitor`: periodic pings/INFO/hellos, reply handling, SDOWN/ODOWN, TILT.
//! - `info`: parsing a data node's INFO reply and applying it (role, replicas discovered).
//! - `hello`: the `__sentinel__:hello` payload, encoding ours and applying others'.
//! - `election`: epochs, votes (IS-MASTER-DOWN-BY-ADDR answers), leader tally.
//! - `failover`: the failover state machine and replica selection.
//! - `config`: sentinel.conf directives in; `config_rewrite`: learned state out (atomic rewrite).
//! - `resolve`: host names in addresses (resolve-hostnames), the injected resolver.
//! - `report`: SENTINEL MASTER/REPLICAS/SENTINELS field maps, flags, INFO sentinel.
//! - `scripts`: the user scripts queue (limits, retries, timeouts) and its event handling.
//!
//! The SENTINEL command and the sentinel-mode command set (INFO, ROLE...) are handlers in
//! `cmd::sentinel`.
pub mod config;
pub mod config_rewrite;
pub mod core;
pub mod election;
pub mod failover;
pub mod hello;
pub mod info;
pub mod monitor;
pub mod report;
pub mod resolve;
pub mod scripts;
pub mod state;

pub use self::core::{Action, Event, LinkKind, ReqTag, Rng, Sentinel, XorShift};
#[cfg(test)]
mod hostname_tests;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod sim_tests_core;
#[cfg(test)]
mod sim_tests_reboot;
