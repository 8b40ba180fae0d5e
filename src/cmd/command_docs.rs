//! COMMAND DOCS data model: the per-command documentation (argument trees, history,
//! deprecation) that redis-cli and client libraries read, and its RESP shape as Redis 7.0 replies.
//! The data itself lives in the generated `command_docs_table` module.
use crate::cmd::command_docs_table::DOCS;
use crate::resp::Reply;

/// The type of a documented argument (`type` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

impl ArgType {
    fn name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }
}

/// Argument flags (`flags` field), reported in this order.
pub const OPTIONAL: u8 = 1;
pub const MULTIPLE: u8 = 2;
pub const MULTIPLE_TOKEN: u8 = 4;
const FLAG_NAMES: [(u8, &str); 3] = [
    (OPTIONAL, "optional"),
    (MULTIPLE, "multiple"),
    (MULTIPLE_TOKEN, "multiple_token"),
];

/// One documented argument; `args` holds the members of a `oneof` or `block`.
#[derive(Debug)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgType,
    /// Index into the command's key specs, or -1 when the argument is not a key.
    pub key_spec_index: i32,
    pub token: Option<&'static str>,
    pub summary: Option<&'static str>,
    pub since: Option<&'static str>,
    pub deprecated_since: Option<&'static str>,
    pub flags: u8,
    pub args: &'static [Arg],
}

/// Defaults for the generated table's `..ARG`.
pub const ARG: Arg = Arg {
    name: "",
    kind: ArgType::String,
    key_spec_index: -1,
    token: None,
    summary: None,
    since: None,
    deprecated_since: None,
    flags: 0,
    args: &[],
};

/// The documentation of one command or subcommand.
#[derive(Debug)]
pub struct Doc {
    pub summary: &'static str,
    pub since: &'static str,
    pub group: &'static str,
    pub complexity: Option<&'static str>,
    pub doc_flags: &'static [&'static str],
    pub deprecated_since: Option<&'static str>,
    pub replaced_by: Option<&'static str>,
    /// (version, change) pairs.
    pub history: &'static [(&'static str, &'static str)],
    pub args: &'static [Arg],
}

/// Defaults for the generated table's `..DOC`.
pub const DOC: Doc = Doc {
    summary: "",
    since: "",
    group: "",
    complexity: None,
    doc_flags: &[],
    deprecated_since: None,
    replaced_by: None,
    history: &[],
    args: &[],
};

/// The documentation of `name` (`container|sub` for a subcommand), if the table has it.
pub fn lookup(name: &str) -> Option<&'static Doc> {
    DOCS.binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| &DOCS[i].1)
}

fn bulk_str(s: &str) -> Reply {
    Reply::bulk(s.as_bytes())
}

fn field(out: &mut Vec<(Reply, Reply)>, key: &str, value: Reply) {
    out.push((bulk_str(key), value));
}

fn arg_reply(a: &Arg) -> Reply {
    let mut m = Vec::new();
    field(&mut m, "name", bulk_str(a.name));
    field(&mut m, "type", bulk_str(a.kind.name()));
    if a.key_spec_index >= 0 {
        field(
            &mut m,
            "key_spec_index",
            Reply::Int(a.key_spec_index as i64),
        );
    }
    for (key, value) in [
        ("token", a.token),
        ("summary", a.summary),
        ("since", a.since),
        ("deprecated_since", a.deprecated_since),
    ] {
        if let Some(v) = value {
            field(&mut m, key, bulk_str(v));
        }
    }
    if a.flags != 0 {
        let names = FLAG_NAMES
            .iter()
            .filter(|(f, _)| a.flags & f != 0)
            .map(|(_, n)| Reply::status(*n));
        field(&mut m, "flags", Reply::Set(names.collect()));
    }
    if matches!(a.kind, ArgType::OneOf | ArgType::Block) {
        field(&mut m, "arguments", args_reply(a.args));
    }
    Reply::Map(m)
}

fn args_reply(args: &[Arg]) -> Reply {
    Reply::Array(args.iter().map(arg_reply).collect())
}

/// The fields of `d` in Redis's order, up to and including `arguments` (the caller appends
/// `subcommands`). Fields Redis omits when empty are omitted here too.
pub fn doc_fields(d: &Doc) -> Vec<(Reply, Reply)> {
    let mut m = Vec::new();
    field(&mut m, "summary", bulk_str(d.summary));
    field(&mut m, "since", bulk_str(d.since));
    field(&mut m, "group", bulk_str(d.group));
    if let Some(c) = d.complexity {
        field(&mut m, "complexity", bulk_str(c));
    }
    if !d.doc_flags.is_empty() {
        let flags = d.doc_flags.iter().map(|f| Reply::status(*f)).collect();
        field(&mut m, "doc_flags", Reply::Set(flags));
    }
    if let Some(v) = d.deprecated_since {
        field(&mut m, "deprecated_since", bulk_str(v));
    }
    if let Some(v) = d.replaced_by {
        field(&mut m, "replaced_by", bulk_str(v));
    }
    if !d.history.is_empty() {
        let h = d
            .history
            .iter()
            .map(|(v, t)| Reply::Array(vec![bulk_str(v), bulk_str(t)]))
            .collect();
        field(&mut m, "history", Reply::Set(h));
    }
    if !d.args.is_empty() {
        field(&mut m, "arguments", args_reply(d.args));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(DOCS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn set_has_its_options() {
        let d = lookup("set").unwrap();
        assert_eq!(d.args[0].name, "key");
        assert_eq!(d.args[0].kind, ArgType::Key);
        assert_eq!(d.args[0].key_spec_index, 0);
        let expiration = d.args.iter().find(|a| a.name == "expiration").unwrap();
        assert_eq!(expiration.kind, ArgType::OneOf);
        assert_eq!(expiration.flags, OPTIONAL);
        assert_eq!(expiration.args[0].token, Some("EX"));
        assert!(lookup("client|kill").is_some());
        assert!(lookup("nosuchcommand").is_none());
    }
}
