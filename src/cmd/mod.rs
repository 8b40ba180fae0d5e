//! Command families, one file each. Every family exports a `COMMANDS` table; `all_commands`
//! gathers a data node's for the dispatcher and for COMMAND, `sentinel::table` a sentinel's.
//! The commands both roles serve have one handler, generic over `role::Role`.
pub mod args;
pub mod bitfield;
pub mod bitmap;
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
pub mod function;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod info;
pub mod info_master;
pub mod info_persist;
pub mod info_replica;
pub mod key_specs;
pub mod keys;
pub mod lcs;
pub mod list;
pub mod multi;
pub mod persist;
pub mod pubsub;
pub mod repl_sync;
pub mod replicaof;
pub mod role;
pub mod sample;
pub mod scripting;
pub mod sentinel;
pub mod server;
pub mod set;
pub mod sort;
pub mod stream;
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
        bitmap::COMMANDS,
        lcs::COMMANDS,
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
        hll::COMMANDS,
        stream::COMMANDS,
        geo::COMMANDS,
        pubsub::COMMANDS,
        multi::COMMANDS,
        persist::COMMANDS,
        sort::COMMANDS,
        repl_sync::COMMANDS,
        info_master::COMMANDS,
        wait::COMMANDS,
        replicaof::COMMANDS,
        scripting::COMMANDS,
        function::COMMANDS,
    ];
    families.iter().flat_map(|f| f.iter()).collect()
}

#[cfg(test)]
mod tests {
    use super::all_commands;
    use crate::server::command::{flags::*, Command};
    use std::collections::BTreeSet;

    /// Every table entry, subcommands included.
    fn entries() -> Vec<&'static Command> {
        let mut v = Vec::new();
        for c in all_commands() {
            v.push(c);
            v.extend(c.subcommands.iter());
        }
        v
    }

    /// Names of the top-level commands with flag `f`.
    fn with(f: u32) -> BTreeSet<&'static str> {
        all_commands()
            .into_iter()
            .filter(|c| c.has(f))
            .map(|c| c.name)
            .collect()
    }

    fn set(names: &[&'static str]) -> BTreeSet<&'static str> {
        names.iter().copied().collect()
    }

    #[test]
    fn internal_flags_are_never_reported() {
        let internal = [
            TX_CONTROL,
            PUBSUB_CONTEXT,
            ALL_DBS,
            DENY_ON_DISK_ERROR,
            EXEC_QUEUED,
            FORCE_REPL,
            SENTINEL,
            ONLY_SENTINEL,
        ];
        for f in internal {
            assert_eq!(f.count_ones(), 1);
            assert!(NAMES.iter().all(|(n, _)| n & f == 0));
        }
        let all = internal.iter().fold(0, |a, f| a | f);
        assert_eq!(all.count_ones() as usize, internal.len(), "distinct bits");
        let reported = NAMES.iter().fold(0, |a, (f, _)| a | f);
        assert_eq!(reported & all, 0);
    }

    #[test]
    fn tx_control_commands() {
        assert_eq!(
            with(TX_CONTROL),
            set(&["exec", "discard", "multi", "watch", "quit", "reset"])
        );
    }

    #[test]
    fn pubsub_context_commands() {
        // Redis 7.0: "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are
        // allowed in this context".
        assert_eq!(
            with(PUBSUB_CONTEXT),
            set(&[
                "ping",
                "subscribe",
                "ssubscribe",
                "unsubscribe",
                "sunsubscribe",
                "psubscribe",
                "punsubscribe",
                "quit",
                "reset",
            ])
        );
    }

    #[test]
    fn exec_and_disk_error_flags() {
        assert_eq!(with(EXEC_QUEUED), set(&["exec"]));
        assert_eq!(with(DENY_ON_DISK_ERROR), set(&["ping"]));
        assert_eq!(with(FORCE_REPL), set(&["publish", "spublish"]));
    }

    #[test]
    fn all_dbs_commands_say_what_they_touch() {
        assert_eq!(
            with(ALL_DBS),
            set(&["move", "copy", "swapdb", "flushall", "flushdb"])
        );
        for c in entries() {
            assert_eq!(c.has(ALL_DBS), c.touch.is_some(), "{}", c.name);
            assert!(!c.has(ALL_DBS) || c.is_write(), "{}", c.name);
        }
    }

    #[test]
    fn propagation_hooks_only_on_writes() {
        let mut hooked = BTreeSet::new();
        for c in entries() {
            if c.propagate.is_some() {
                // PFCOUNT: read-only, but Redis propagates the cache it refreshed.
                let refreshes = c.name == "pfcount";
                assert!(
                    c.is_write() || c.has(MAY_REPLICATE) || refreshes,
                    "{}",
                    c.name
                );
                hooked.insert(c.name);
            }
        }
        assert_eq!(
            hooked,
            set(&[
                "set",
                "setex",
                "psetex",
                "getex",
                "incrbyfloat",
                "expire",
                "pexpire",
                "expireat",
                "pexpireat",
                "restore",
                "hincrbyfloat",
                "spop",
                "blpop",
                "brpop",
                "brpoplpush",
                "blmove",
                "blmpop",
                "bzpopmin",
                "bzpopmax",
                "bzmpop",
                "pfcount",
                "geoadd",
                "xadd",
                "xtrim",
                "xreadgroup",
                "xclaim",
                "xautoclaim",
            ])
        );
    }

    #[test]
    fn sentinel_serves_flagged_commands() {
        // The normal commands a sentinel keeps (Redis 7.0's `sentinel` flag); its own ROLE
        // and PUBLISH replace the normal ones.
        assert_eq!(
            with(SENTINEL),
            set(&[
                "ping",
                "auth",
                "hello",
                "client",
                "command",
                "shutdown",
                "info",
                "subscribe",
                "unsubscribe",
                "psubscribe",
                "punsubscribe",
                "role",
                "publish",
            ])
        );
        assert!(with(ONLY_SENTINEL).is_empty());
        for c in super::sentinel::COMMANDS {
            assert!(c.has(SENTINEL), "{}", c.name);
        }
    }

    #[test]
    fn sentinel_handlers_exactly_where_a_sentinel_serves() {
        // What a sentinel runs: the SENTINEL-flagged entries' sentinel handlers (a container's
        // on its subcommands); a data node's other commands have none.
        for c in super::sentinel::table() {
            assert!(c.has(SENTINEL), "{}", c.name);
            if c.subcommands.is_empty() {
                assert!(c.sentinel.is_some(), "{}", c.name);
            }
            for s in c.subcommands {
                assert!(s.sentinel.is_some(), "{}|{}", c.name, s.name);
            }
        }
        for c in all_commands().into_iter().filter(|c| !c.has(SENTINEL)) {
            assert!(c.sentinel.is_none(), "{}", c.name);
            assert!(
                c.subcommands.iter().all(|s| s.sentinel.is_none()),
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn served_blocking_pops_propagate_their_non_blocking_form() {
        use crate::resp::Reply;
        use crate::server::command::Propagation;
        let a = |s: &str| -> Vec<Vec<u8>> { s.split(' ').map(|x| x.as_bytes().to_vec()).collect() };
        let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
        let served = Reply::Array(vec![bulk("k2"), bulk("v")]);
        assert_eq!(
            super::list::served_pop("LPOP", &a("blpop k1 k2 0"), &served),
            Propagation::Instead(a("LPOP k2"))
        );
        let served = Reply::Array(vec![bulk("k2"), Reply::Array(vec![bulk("x"), bulk("y")])]);
        assert_eq!(
            super::list::served_mpop("LMPOP", &a("blmpop 0 2 k1 k2 LEFT COUNT 5"), &served),
            Propagation::Instead(a("LMPOP 1 k2 LEFT COUNT 2"))
        );
        assert_eq!(
            super::list::served_pop("LPOP", &a("blpop k1 0"), &Reply::Nil),
            Propagation::AsCalled
        );
    }
}
