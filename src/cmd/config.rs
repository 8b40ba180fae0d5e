//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP. The parsing and validation live in
//! `config::*`; this module turns them into replies and applies the process-level side effects
//! of a successful CONFIG SET (log level, working directory).
use crate::config::glob::{config_glob_match, has_glob};
use crate::config::table::{self, HIDDEN};
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::{Ctx, OpsSampler, Stats};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn config_get(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let cfg = &ctx.srv.config;
    // Name as it will be replied → value; insertion order, no duplicates.
    let mut out: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for pat in &a[2..] {
        if !has_glob(pat) {
            let name = text(pat);
            if let Some(d) = table::lookup(&name) {
                if seen.insert(name.to_ascii_lowercase()) {
                    out.push((name, cfg.get(d)));
                }
            }
            continue;
        }
        for d in table::DIRECTIVES.iter().filter(|d| !d.has(HIDDEN)) {
            for n in std::iter::once(d.name).chain(d.alias) {
                if config_glob_match(pat, n.as_bytes()) && seen.insert(n.to_string()) {
                    out.push((n.to_string(), cfg.get(d)));
                }
            }
        }
    }
    Reply::Map(
        out.into_iter()
            .map(|(k, v)| (Reply::bulk(k), Reply::bulk(v)))
            .collect(),
    )
}

/// Whether this client may change PROTECTED directives (`enable-protected-configs`).
fn protected_allowed(ctx: &Ctx) -> bool {
    match ctx
        .srv
        .config
        .get_by_name("enable-protected-configs")
        .as_deref()
    {
        Some("yes") => true,
        Some("local") => crate::util::is_local_peer(&ctx.client.addr),
        _ => false,
    }
}

fn config_set(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if a.len() % 2 != 0 {
        return Reply::syntax_error();
    }
    let pairs: Vec<(String, String)> = a[2..]
        .chunks(2)
        .map(|p| (text(&p[0]), text(&p[1])))
        .collect();
    let protected_ok = protected_allowed(ctx);
    let mut next = ctx.srv.config.clone();
    let changed = match crate::config::set::config_set(&mut next, &pairs, protected_ok) {
        Ok(c) => c,
        Err(e) => return Reply::Error(e),
    };
    // Side effects that can fail run before the new config is committed.
    if changed.iter().any(|d| d.name == "dir") && next.dir != ctx.srv.config.dir {
        if let Err(e) = std::env::set_current_dir(&next.dir) {
            let name = pairs
                .iter()
                .find(|(n, _)| table::lookup(n).is_some_and(|d| d.name == "dir"))
                .map(|(n, _)| n.clone())
                .unwrap_or_else(|| "dir".into());
            return Reply::Error(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {}",
                crate::config::strerror(&e)
            ));
        }
    }
    if changed.iter().any(|d| d.name == "loglevel") {
        crate::daemon::log::set_level(next.loglevel);
    }
    ctx.srv.config = next;
    Reply::Ok
}

fn config_resetstat(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    ctx.srv.stats = Stats::default();
    ctx.srv.ops_samples = OpsSampler::default();
    Reply::Ok
}

fn config_rewrite(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    match crate::config::rewrite::rewrite(&ctx.srv.config) {
        Ok(()) => {
            log::info!("CONFIG REWRITE executed with success.");
            Reply::Ok
        }
        Err(e) => {
            log::warn!("CONFIG REWRITE failed: {e}");
            Reply::Error(format!("ERR {e}"))
        }
    }
}

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

fn config_help(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::Array(HELP.iter().map(|l| Reply::status(*l)).collect())
}

fn config_container(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::err("ERR wrong number of arguments for 'config' command")
}

const SUB: Command = Command {
    flags: ADMIN | NOSCRIPT | LOADING | STALE,
    acl: &["admin", "slow", "dangerous"],
    ..BASE
};

pub static CONFIG_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: -3,
        handler: config_get,
        ..SUB
    },
    Command {
        name: "set",
        arity: -4,
        flags: ADMIN | NOSCRIPT | LOADING | STALE,
        handler: config_set,
        ..SUB
    },
    Command {
        name: "resetstat",
        arity: 2,
        handler: config_resetstat,
        ..SUB
    },
    Command {
        name: "rewrite",
        arity: 2,
        handler: config_rewrite,
        ..SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: &["slow"],
        handler: config_help,
        ..SUB
    },
];

pub static COMMANDS: &[Command] = &[Command {
    name: "config",
    arity: -2,
    flags: 0,
    acl: &["slow"],
    handler: config_container,
    subcommands: CONFIG_SUBCOMMANDS,
    ..BASE
}];
