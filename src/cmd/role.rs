//! What the commands both roles serve (PING, AUTH, HELLO, CLIENT, COMMAND, INFO, SHUTDOWN, the
//! (P)(UN)SUBSCRIBE family) ask of the role they run in. Their handlers are generic over it, so
//! one function serves a data node (`DataNode`) and a sentinel (`Sentinel`, in
//! `cmd::sentinel`); what differs between the two is said here, once.
use crate::server::{DataNode, Server};

/// A role's answers to the commands every role serves.
pub trait Role: Sized {
    /// A sentinel (HELLO's and INFO's `mode`; a sentinel's HELLO has no `role`).
    const SENTINEL: bool;
    /// INFO's sections in output order, and whether each is part of the default report.
    const INFO_SECTIONS: &'static [(&'static str, bool)];
    /// Write INFO section `name` when it is one of this role's own (persistence, replication,
    /// keyspace; sentinel); the others are `cmd::info`'s.
    fn info_section(srv: &Server<Self>, name: &str, o: &mut String);
    /// The figures of the shared INFO sections that only a data node has.
    fn info_counters(&self) -> InfoCounters;
    /// Whether a key WATCHed by the client at `token` changed (CLIENT LIST's `d` flag).
    fn watch_dirty(&self, token: usize) -> bool;
    /// CLIENT UNBLOCK of the client at `token`; false when it was not blocked.
    fn unblock(srv: &mut Server<Self>, token: usize, with_error: bool) -> bool;
    /// The -BUSY refusal while a script runs past `busy-reply-threshold` (SHUTDOWN without
    /// NOSAVE gets it); a role without scripts has none.
    fn busy_script_error(&self) -> Option<&'static str> {
        None
    }
}

/// Figures INFO's clients and stats sections print that only a data node keeps (all zero on a
/// sentinel).
#[derive(Default)]
pub struct InfoCounters {
    pub blocked_clients: usize,
    pub clients_in_timeout_table: usize,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pub latest_fork_usec: u64,
    pub total_forks: u64,
    /// Scripting (INFO memory): the interpreters' memory, the scripts cache and the libraries.
    pub vm_eval: u64,
    pub scripts_eval: u64,
    pub cached_scripts: u64,
    pub vm_functions: u64,
    pub functions_mem: u64,
    pub functions: u64,
    pub libraries: u64,
}

impl Role for DataNode {
    const SENTINEL: bool = false;
    const INFO_SECTIONS: &'static [(&'static str, bool)] = &[
        ("server", true),
        ("clients", true),
        ("memory", true),
        ("persistence", true),
        ("stats", true),
        ("replication", true),
        ("cpu", true),
        ("modules", true),
        ("commandstats", false),
        ("errorstats", true),
        ("latencystats", false),
        ("cluster", true),
        ("keyspace", true),
    ];

    fn info_section(srv: &Server, name: &str, o: &mut String) {
        super::info::node_section(srv, name, o);
    }

    fn info_counters(&self) -> InfoCounters {
        InfoCounters {
            blocked_clients: self.blocking.count,
            clients_in_timeout_table: self.blocking.with_timeout(),
            sync_full: self.master.sync_full,
            sync_partial_ok: self.master.sync_partial_ok,
            sync_partial_err: self.master.sync_partial_err,
            latest_fork_usec: self.persist.latest_fork_usec,
            total_forks: self.persist.total_forks,
            ..script_counters(&self.scripts)
        }
    }

    fn busy_script_error(&self) -> Option<&'static str> {
        self.scripts
            .busy
            .as_ref()
            .map(crate::server::busy::busy_error)
    }

    fn watch_dirty(&self, token: usize) -> bool {
        self.watched.is_dirty(token)
    }

    fn unblock(srv: &mut Server, token: usize, with_error: bool) -> bool {
        crate::server::blocking::unblock(srv, token, with_error)
    }
}

/// INFO memory's scripting figures of a data node.
fn script_counters(sc: &crate::server::Scripts) -> InfoCounters {
    let e = sc.engine.as_deref();
    let f = sc.functions.as_deref();
    InfoCounters {
        vm_eval: e.map_or(0, |e| e.vm_memory()) as u64,
        cached_scripts: e.map_or(0, |e| e.len()) as u64,
        // The bodies and, as Redis counts them, a dict entry and a script object per script.
        scripts_eval: e.map_or(0, |e| e.bodies + e.len() * 96) as u64,
        vm_functions: f.map_or(0, |f| f.vm_memory()) as u64,
        functions: f.map_or(0, |f| f.function_count()) as u64,
        libraries: f.map_or(0, |f| f.libs.len()) as u64,
        functions_mem: f.map_or(0, |f| {
            f.libs
                .values()
                .map(|l| l.code.len() + 64 * (1 + l.functions.len()))
                .sum::<usize>()
        }) as u64,
        ..InfoCounters::default()
    }
}
