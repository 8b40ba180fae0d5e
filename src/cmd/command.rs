//! COMMAND and its subcommands: introspection of the command table (INFO, DOCS, COUNT, LIST,
//! GETKEYS) in the shapes Redis 7.0 replies, which client libraries and redis-cli parse.
use crate::cmd::client::help_reply;
use crate::cmd::command_docs;
use crate::cmd::command_tables::{KEY_SPEC_FLAGS, TIPS};
use crate::resp::Reply;
use crate::server::command::{flags, flags::*, key_positions, Args, Command, BASE};
use crate::server::Ctx;
use crate::util::eq_ic;

fn lookup<'a>(table: &'a [(&str, &'a [&'a str])], name: &str) -> Option<&'a [&'a str]> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn full_name(parent: Option<&Command>, c: &Command) -> String {
    match parent {
        Some(p) => format!("{}|{}", p.name, c.name),
        None => c.name.to_string(),
    }
}

/// Flag and category lists: sets in RESP3, as Redis replies them.
fn status_list<'a>(items: impl Iterator<Item = &'a str>) -> Reply {
    Reply::Set(items.map(Reply::status).collect())
}

fn bulk_map(pairs: Vec<(&str, Reply)>) -> Reply {
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk(k.as_bytes()), v))
            .collect(),
    )
}

fn key_specs(name: &str, c: &Command) -> Reply {
    if let Some(specs) = crate::cmd::key_specs::lookup(name) {
        return crate::cmd::key_specs::render(specs);
    }
    if c.first_key <= 0 {
        return Reply::Set(vec![]);
    }
    let derived: &[&str] = if c.is_write() {
        &["RW", "update"]
    } else {
        &["RO", "access"]
    };
    let fl = lookup(KEY_SPEC_FLAGS, name).unwrap_or(derived);
    let lastkey = if c.last_key < 0 {
        c.last_key
    } else {
        c.last_key - c.first_key
    };
    Reply::Set(vec![bulk_map(vec![
        ("flags", status_list(fl.iter().copied())),
        (
            "begin_search",
            bulk_map(vec![
                ("type", Reply::bulk("index")),
                (
                    "spec",
                    bulk_map(vec![("index", Reply::Int(c.first_key as i64))]),
                ),
            ]),
        ),
        (
            "find_keys",
            bulk_map(vec![
                ("type", Reply::bulk("range")),
                (
                    "spec",
                    bulk_map(vec![
                        ("lastkey", Reply::Int(lastkey as i64)),
                        ("keystep", Reply::Int(c.step.max(1) as i64)),
                        ("limit", Reply::Int(0)),
                    ]),
                ),
            ]),
        ),
    ])])
}

/// The COMMAND INFO entry of `c` (a subcommand of `parent` if given).
pub fn command_info(parent: Option<&Command>, c: &Command) -> Reply {
    let name = full_name(parent, c);
    let fl = status_list(
        flags::NAMES
            .iter()
            .filter(|(f, _)| c.flags & f != 0)
            .map(|(_, n)| *n),
    );
    let acl: Vec<String> = c.acl.iter().map(|a| format!("@{a}")).collect();
    let tips = lookup(TIPS, &name).unwrap_or(&[]);
    let subs: Vec<Reply> = c
        .subcommands
        .iter()
        .map(|s| command_info(Some(c), s))
        .collect();
    // Redis replies an empty set, not an empty array, for a command without subcommands.
    let subs = if subs.is_empty() {
        Reply::Set(subs)
    } else {
        Reply::Array(subs)
    };
    Reply::Array(vec![
        Reply::bulk(name.as_bytes()),
        Reply::Int(c.arity as i64),
        fl,
        Reply::Int(c.first_key as i64),
        Reply::Int(c.last_key as i64),
        Reply::Int(c.step as i64),
        status_list(acl.iter().map(|s| s.as_str())),
        Reply::Set(tips.iter().map(|t| Reply::bulk(t.as_bytes())).collect()),
        key_specs(&name, c),
        subs,
    ])
}

/// The COMMAND DOCS map of `c` (a subcommand of `parent` if given): the generated Redis 7.0
/// documentation where the table has it, else the summary fields of the command table.
fn command_docs(parent: Option<&Command>, c: &Command) -> Reply {
    // The docs of every implemented command are generated from Redis into command_docs_table
    // (tests/command_docs.rs fails when one is missing); a missing one gets an empty map.
    let mut doc = command_docs::lookup(&full_name(parent, c))
        .map(command_docs::doc_fields)
        .unwrap_or_default();
    if !c.subcommands.is_empty() {
        let subs = c
            .subcommands
            .iter()
            .map(|s| {
                (
                    Reply::bulk(full_name(Some(c), s).into_bytes()),
                    command_docs(Some(c), s),
                )
            })
            .collect();
        doc.push((Reply::bulk("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(doc)
}

/// Every top-level command, sorted by name.
fn sorted_commands<R>(ctx: &Ctx<R>) -> Vec<&'static Command> {
    let mut v: Vec<&'static Command> = ctx.srv.commands.values().copied().collect();
    v.sort_by_key(|c| c.name);
    v
}

/// Find a command or subcommand by `name` or `container|sub`.
fn find_command<R>(
    ctx: &Ctx<R>,
    name: &[u8],
) -> Option<(Option<&'static Command>, &'static Command)> {
    let lname = crate::util::lower(name);
    match lname.iter().position(|&b| b == b'|') {
        None => ctx.srv.lookup_command(&lname).map(|c| (None, c)),
        Some(i) => {
            let parent = ctx.srv.lookup_command(&lname[..i])?;
            let sub = parent
                .subcommands
                .iter()
                .find(|s| s.name.as_bytes() == &lname[i + 1..])?;
            Some((Some(parent), sub))
        }
    }
}

fn command<R>(ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    Reply::Array(
        sorted_commands(ctx)
            .into_iter()
            .map(|c| command_info(None, c))
            .collect(),
    )
}

fn command_count<R>(ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    Reply::Int(ctx.srv.commands.len() as i64)
}

fn command_info_cmd<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    if a.len() == 2 {
        return command(ctx, a);
    }
    Reply::Array(
        a[2..]
            .iter()
            .map(|n| match find_command(ctx, n) {
                Some((p, c)) => command_info(p, c),
                None => Reply::Nil,
            })
            .collect(),
    )
}

fn command_docs_cmd<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    let mut out = Vec::new();
    if a.len() == 2 {
        for c in sorted_commands(ctx) {
            out.push((Reply::bulk(c.name.as_bytes()), command_docs(None, c)));
        }
    } else {
        for n in &a[2..] {
            if let Some((p, c)) = find_command(ctx, n) {
                out.push((
                    Reply::bulk(full_name(p, c).into_bytes()),
                    command_docs(p, c),
                ));
            }
        }
    }
    Reply::Map(out)
}

fn command_list<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    enum Filter {
        All,
        Module,
        AclCat(String),
        Pattern(Vec<u8>),
    }
    let filter = match a.len() {
        2 => Filter::All,
        5 if eq_ic(&a[2], "filterby") => {
            if eq_ic(&a[3], "module") {
                Filter::Module
            } else if eq_ic(&a[3], "aclcat") {
                Filter::AclCat(String::from_utf8_lossy(&a[4]).to_ascii_lowercase())
            } else if eq_ic(&a[3], "pattern") {
                Filter::Pattern(a[4].clone())
            } else {
                return Reply::syntax_error();
            }
        }
        _ => return Reply::syntax_error(),
    };
    let mut names = Vec::new();
    for c in sorted_commands(ctx) {
        let mut all = vec![(c.name.to_string(), c)];
        all.extend(c.subcommands.iter().map(|s| (full_name(Some(c), s), s)));
        for (name, cmd) in all {
            let keep = match &filter {
                Filter::All => true,
                Filter::Module => false,
                Filter::AclCat(cat) => cmd.acl.iter().any(|x| x == cat),
                Filter::Pattern(p) => glob_match(p, name.as_bytes()),
            };
            if keep {
                names.push(Reply::bulk(name.into_bytes()));
            }
        }
    }
    Reply::Array(names)
}

/// Case-insensitive glob match (`*`, `?`, `[...]`, `\x`) for COMMAND LIST FILTERBY PATTERN.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    if p.is_empty() {
        return s.is_empty();
    }
    match p[0] {
        b'*' => (0..=s.len()).any(|i| glob_match(&p[1..], &s[i..])),
        b'?' => !s.is_empty() && glob_match(&p[1..], &s[1..]),
        b'[' => {
            let Some(&ch) = s.first() else { return false };
            let mut i = 1;
            let negate = p.get(1) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut hit = false;
            while i < p.len() && p[i] != b']' {
                if p[i] == b'\\' && i + 1 < p.len() {
                    hit |= p[i + 1].eq_ignore_ascii_case(&ch);
                    i += 2;
                } else if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
                    let (lo, hi) = (p[i].min(p[i + 2]), p[i].max(p[i + 2]));
                    hit |= (lo..=hi).contains(&ch.to_ascii_lowercase())
                        || (lo..=hi).contains(&ch.to_ascii_uppercase());
                    i += 3;
                } else {
                    hit |= p[i].eq_ignore_ascii_case(&ch);
                    i += 1;
                }
            }
            let rest = if i < p.len() { &p[i + 1..] } else { &p[i..] };
            hit != negate && glob_match(rest, &s[1..])
        }
        b'\\' if p.len() > 1 => {
            !s.is_empty() && p[1].eq_ignore_ascii_case(&s[0]) && glob_match(&p[2..], &s[1..])
        }
        c => !s.is_empty() && c.eq_ignore_ascii_case(&s[0]) && glob_match(&p[1..], &s[1..]),
    }
}

fn getkeys_common<R>(ctx: &mut Ctx<R>, a: &Args, with_flags: bool) -> Reply {
    let target: Args = a[2..].to_vec();
    let Ok(c) = crate::server::resolve(ctx.srv, &target) else {
        return match ctx.srv.lookup_command(&target[0]) {
            None => Reply::err("ERR Invalid command specified"),
            Some(_) => Reply::err("ERR Invalid number of arguments specified for command"),
        };
    };
    let keys = key_positions(c, &target);
    if keys.is_empty() {
        // A command with key arguments whose keys cannot be found in these arguments (LMPOP
        // with a bad numkeys) is told apart from one that takes no keys at all, as in Redis.
        if c.first_key <= 0 && c.getkeys.is_none() {
            return Reply::err("ERR The command has no key arguments");
        }
        if c.has(NO_MANDATORY_KEYS) {
            return Reply::Array(Vec::new());
        }
        return Reply::err("ERR Invalid arguments specified for command");
    }
    let name = match ctx.srv.lookup_command(&target[0]) {
        Some(p) if !std::ptr::eq(p, c) => format!("{}|{}", p.name, c.name),
        _ => c.name.to_string(),
    };
    let derived: &[&str] = if c.is_write() {
        &["RW", "update"]
    } else {
        &["RO", "access"]
    };
    let fl = lookup(KEY_SPEC_FLAGS, &name).unwrap_or(derived);
    let fl = c.key_flags.map_or(fl, |f| f(&target));
    let specs = crate::cmd::key_specs::lookup(&name).filter(|_| c.key_flags.is_none());
    Reply::Array(
        keys.into_iter()
            .map(|i| {
                let k = Reply::Bulk(target[i].clone());
                let fl = specs
                    .and_then(|s| crate::cmd::key_specs::flags_at(s, &target, i))
                    .unwrap_or(fl);
                if with_flags {
                    Reply::Array(vec![k, status_list(fl.iter().copied())])
                } else {
                    k
                }
            })
            .collect(),
    )
}

fn command_getkeys<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    getkeys_common(ctx, a, false)
}

fn command_getkeysandflags<R>(ctx: &mut Ctx<R>, a: &mut Args) -> Reply {
    getkeys_common(ctx, a, true)
}

const COMMAND_HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all commands.",
    "COUNT",
    "    Return the number of commands.",
    "GETKEYS <full-command>",
    "    Return the keys of a full command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys of a full command and their access flags.",
    "INFO [<command-name> ...]",
    "    Return details about the given commands, or all commands.",
    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    Return the names of all commands, optionally filtered.",
    "DOCS [<command-name> ...]",
    "    Return documentation of the given commands, or all commands.",
    "HELP",
    "    Print this help.",
];

fn command_help<R>(_ctx: &mut Ctx<R>, _a: &mut Args) -> Reply {
    help_reply(COMMAND_HELP)
}

const CMD_SUB: Command = Command {
    flags: LOADING | STALE,
    acl: &["slow", "connection"],
    ..BASE
};

static COMMAND_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "count",
        arity: 2,
        handler: command_count,
        sentinel: Some(command_count),
        ..CMD_SUB
    },
    Command {
        name: "info",
        arity: -2,
        handler: command_info_cmd,
        sentinel: Some(command_info_cmd),
        ..CMD_SUB
    },
    Command {
        name: "docs",
        arity: -2,
        handler: command_docs_cmd,
        sentinel: Some(command_docs_cmd),
        ..CMD_SUB
    },
    Command {
        name: "list",
        arity: -2,
        handler: command_list,
        sentinel: Some(command_list),
        ..CMD_SUB
    },
    Command {
        name: "getkeys",
        arity: -4,
        handler: command_getkeys,
        sentinel: Some(command_getkeys),
        ..CMD_SUB
    },
    Command {
        name: "getkeysandflags",
        arity: -4,
        handler: command_getkeysandflags,
        sentinel: Some(command_getkeysandflags),
        ..CMD_SUB
    },
    Command {
        name: "help",
        arity: 2,
        handler: command_help,
        sentinel: Some(command_help),
        ..CMD_SUB
    },
];

pub static COMMANDS: &[Command] = &[Command {
    name: "command",
    arity: -1,
    flags: LOADING | STALE | SENTINEL,
    acl: &["slow", "connection"],
    handler: command,
    sentinel: Some(command),
    subcommands: COMMAND_SUBCOMMANDS,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match(b"cli*", b"client|list"));
        assert!(glob_match(b"g?t", b"GET"));
        assert!(glob_match(b"[a-c]x", b"bx"));
        assert!(!glob_match(b"[^a-c]x", b"bx"));
        assert!(!glob_match(b"get", b"getx"));
    }

    #[test]
    fn key_ranges() {
        let mset = Command {
            first_key: 1,
            last_key: -1,
            step: 2,
            ..BASE
        };
        let a = |n: usize| vec![Vec::new(); n];
        assert_eq!(key_positions(&mset, &a(5)), vec![1, 3]);
        let get = Command {
            first_key: 1,
            last_key: 1,
            step: 1,
            ..BASE
        };
        assert_eq!(key_positions(&get, &a(2)), vec![1]);
    }
}
