//! Full key specifications (COMMAND INFO element 9, COMMAND GETKEYSANDFLAGS) of the commands
//! whose keys are not one range starting at `first_key`: several specs with different flags
//! (SMOVE, SINTERSTORE, ...) or a key count argument (SINTERCARD, ...). Every other command's
//! single spec is derived from its table entry and `KEY_SPEC_FLAGS`.
use crate::resp::Reply;
use crate::util::parse_i64;

/// Where the search for a spec's keys begins.
pub enum Begin {
    /// At this argument index (the command name is index 0).
    Index(i64),
    /// Just after the first `keyword` (any case) at index `startfrom` or later, the last
    /// argument excepted (GEORADIUS's STORE).
    Keyword {
        keyword: &'static str,
        startfrom: i64,
    },
    /// Not knowable from the arguments' positions (SORT's BY/GET patterns, its STORE keyword).
    Unknown,
}

/// How the keys are found from the beginning.
pub enum Find {
    /// `lastkey` relative to the beginning (negative: from the end of the arguments).
    Range {
        lastkey: i64,
        keystep: i64,
        limit: i64,
    },
    /// A key count at `keynumidx` (relative), the first key at `firstkey` (relative).
    Keynum {
        keynumidx: i64,
        firstkey: i64,
        keystep: i64,
    },
    Unknown,
}

pub struct KeySpec {
    /// Redis's explanation, for the specs it marks unknown.
    pub notes: Option<&'static str>,
    pub flags: &'static [&'static str],
    pub begin: Begin,
    pub find: Find,
}

const fn range(flags: &'static [&'static str], index: i64, lastkey: i64) -> KeySpec {
    KeySpec {
        notes: None,
        flags,
        begin: Begin::Index(index),
        find: Find::Range {
            lastkey,
            keystep: 1,
            limit: 0,
        },
    }
}

const fn keynum(flags: &'static [&'static str], index: i64) -> KeySpec {
    KeySpec {
        notes: None,
        flags,
        begin: Begin::Index(index),
        find: Find::Keynum {
            keynumidx: 0,
            firstkey: 1,
            keystep: 1,
        },
    }
}

const RO: &[&str] = &["RO", "access"];

/// A single range spec from argument 1 that Redis annotates with notes.
const fn noted(notes: &'static str, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        notes: Some(notes),
        ..range(flags, 1, 0)
    }
}

const fn keyword(flags: &'static [&'static str], keyword: &'static str, startfrom: i64) -> KeySpec {
    KeySpec {
        notes: None,
        flags,
        begin: Begin::Keyword { keyword, startfrom },
        find: Find::Range {
            lastkey: 0,
            keystep: 1,
            limit: 0,
        },
    }
}

/// Where a keyword search finds its key: the argument after the first `keyword` from index
/// `startfrom` on; the last argument is never taken for the keyword, as in Redis.
pub fn keyword_key(args: &[Vec<u8>], keyword: &str, startfrom: usize) -> Option<usize> {
    let end = args.len().saturating_sub(1);
    (startfrom.max(1)..end)
        .find(|&i| crate::util::eq_ic(&args[i], keyword))
        .map(|i| i + 1)
}

const fn unknown(notes: &'static str, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        notes: Some(notes),
        flags,
        begin: Begin::Unknown,
        find: Find::Unknown,
    }
}

const SORT_BY_GET: KeySpec = unknown(
    "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
    RO,
);
const OW: &[&str] = &["OW", "update"];
const RW_POP: &[&str] = &["RW", "access", "delete"];
const LIST_MOVE: &[KeySpec] = &[range(RW_POP, 1, 0), range(&["RW", "insert"], 2, 0)];
const ZSTORE: &[KeySpec] = &[range(OW, 1, 0), keynum(RO, 2)];
const STORE_SOURCES: &[KeySpec] = &[range(&["OW", "update"], 1, 0), range(RO, 2, -1)];

const SCRIPT_RW: &[&str] = &["RW", "access", "update"];
const fn script_keys(notes: Option<&'static str>, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        notes,
        ..keynum(flags, 2)
    }
}
const SCRIPT_RW_NOTE: Option<&str> =
    Some("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE flags");
const SCRIPT_RO_NOTE: Option<&str> =
    Some("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS flags");

/// Commands with such specs, as Redis 7.0 declares them.
pub const TABLE: &[(&str, &[KeySpec])] = &[
    ("eval", &[script_keys(SCRIPT_RW_NOTE, SCRIPT_RW)]),
    ("evalsha", &[script_keys(None, SCRIPT_RW)]),
    ("eval_ro", &[script_keys(SCRIPT_RO_NOTE, RO)]),
    ("evalsha_ro", &[script_keys(None, RO)]),
    ("fcall", &[script_keys(SCRIPT_RW_NOTE, SCRIPT_RW)]),
    ("fcall_ro", &[script_keys(SCRIPT_RO_NOTE, RO)]),
    (
        "smove",
        &[
            range(&["RW", "access", "delete"], 1, 0),
            range(&["RW", "insert"], 2, 0),
        ],
    ),
    (
        "sinterstore",
        &[range(&["RW", "update"], 1, 0), range(RO, 2, -1)],
    ),
    ("sunionstore", STORE_SOURCES),
    ("sdiffstore", STORE_SOURCES),
    ("sintercard", &[keynum(RO, 1)]),
    ("lmove", LIST_MOVE),
    ("blmove", LIST_MOVE),
    ("rpoplpush", LIST_MOVE),
    ("brpoplpush", LIST_MOVE),
    ("lmpop", &[keynum(RW_POP, 1)]),
    (
        "xadd",
        &[noted(
            "UPDATE instead of INSERT because of the optional trimming feature",
            &["RW", "update"],
        )],
    ),
    (
        "xreadgroup",
        &[KeySpec {
            notes: None,
            flags: RO,
            begin: Begin::Keyword {
                keyword: "STREAMS",
                startfrom: 4,
            },
            find: Find::Range {
                lastkey: -1,
                keystep: 1,
                limit: 2,
            },
        }],
    ),
    (
        "xread",
        &[KeySpec {
            notes: None,
            flags: RO,
            begin: Begin::Keyword {
                keyword: "STREAMS",
                startfrom: 1,
            },
            find: Find::Range {
                lastkey: -1,
                keystep: 1,
                limit: 2,
            },
        }],
    ),
    ("blmpop", &[keynum(RW_POP, 2)]),
    ("copy", &[range(RO, 1, 0), range(OW, 2, 0)]),
    ("rename", &[range(RW_POP, 1, 0), range(OW, 2, 0)]),
    (
        "renamenx",
        &[range(RW_POP, 1, 0), range(&["OW", "insert"], 2, 0)],
    ),
    ("zrangestore", &[range(OW, 1, 0), range(RO, 2, 0)]),
    ("zunionstore", ZSTORE),
    ("zinterstore", ZSTORE),
    ("zdiffstore", ZSTORE),
    ("zunion", &[keynum(RO, 1)]),
    ("zinter", &[keynum(RO, 1)]),
    ("zdiff", &[keynum(RO, 1)]),
    ("zintercard", &[keynum(RO, 1)]),
    ("zmpop", &[keynum(RW_POP, 1)]),
    (
        "set",
        &[noted(
            "RW and ACCESS due to the optional `GET` argument",
            &["RW", "access", "update", "variable_flags"],
        )],
    ),
    (
        "getex",
        &[noted(
            "RW and UPDATE because it changes the TTL",
            &["RW", "access", "update"],
        )],
    ),
    (
        "sort",
        &[
            range(RO, 1, 0),
            SORT_BY_GET,
            unknown(
                "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
                OW,
            ),
        ],
    ),
    ("sort_ro", &[range(RO, 1, 0), SORT_BY_GET]),
    (
        "bitfield",
        &[noted(
            "This command allows both access and modification of the key",
            &["RW", "access", "update", "variable_flags"],
        )],
    ),
    ("bitop", &[range(OW, 2, 0), range(RO, 3, -1)]),
    ("bzmpop", &[keynum(RW_POP, 2)]),
    (
        "pfcount",
        &[KeySpec {
            notes: Some(
                "RW because it may change the internal representation of the key, and propagate to replicas",
            ),
            ..range(&["RW", "access"], 1, -1)
        }],
    ),
    (
        "pfmerge",
        &[range(&["RW", "access", "insert"], 1, 0), range(RO, 2, -1)],
    ),
    ("geosearchstore", &[range(OW, 1, 0), range(RO, 2, 0)]),
    ("georadius", GEORADIUS),
    ("georadiusbymember", GEORADIUSBYMEMBER),
];

const GEORADIUS: &[KeySpec] = &[
    range(RO, 1, 0),
    keyword(OW, "STORE", 6),
    keyword(OW, "STOREDIST", 6),
];
const GEORADIUSBYMEMBER: &[KeySpec] = &[
    range(RO, 1, 0),
    keyword(OW, "STORE", 5),
    keyword(OW, "STOREDIST", 5),
];

/// The keys single-key specs find, in spec order, as Redis's COMMAND GETKEYS lists them (the
/// key function of GEORADIUS, whose STORE keywords may be anywhere after its fixed arguments).
pub fn spec_keys(specs: &[KeySpec], args: &[Vec<u8>]) -> Vec<usize> {
    specs.iter().filter_map(|s| spec_first(s, args)).collect()
}

/// The first key a single-key spec finds.
fn spec_first(spec: &KeySpec, args: &[Vec<u8>]) -> Option<usize> {
    let first = match spec.begin {
        Begin::Index(i) => i as usize,
        Begin::Keyword { keyword, startfrom } => keyword_key(args, keyword, startfrom as usize)?,
        Begin::Unknown => return None,
    };
    (first < args.len()).then_some(first)
}

pub fn lookup(name: &str) -> Option<&'static [KeySpec]> {
    TABLE.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

fn map(pairs: Vec<(&str, Reply)>) -> Reply {
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk(k.as_bytes()), v))
            .collect(),
    )
}

/// The COMMAND INFO rendering of `specs`.
pub fn render(specs: &[KeySpec]) -> Reply {
    Reply::Set(
        specs
            .iter()
            .map(|s| {
                let unknown = || {
                    map(vec![
                        ("type", Reply::bulk("unknown")),
                        ("spec", map(vec![])),
                    ])
                };
                let begin = match s.begin {
                    Begin::Index(i) => map(vec![
                        ("type", Reply::bulk("index")),
                        ("spec", map(vec![("index", Reply::Int(i))])),
                    ]),
                    Begin::Keyword { keyword, startfrom } => map(vec![
                        ("type", Reply::bulk("keyword")),
                        (
                            "spec",
                            map(vec![
                                ("keyword", Reply::bulk(keyword)),
                                ("startfrom", Reply::Int(startfrom)),
                            ]),
                        ),
                    ]),
                    Begin::Unknown => unknown(),
                };
                let find = match s.find {
                    Find::Unknown => unknown(),
                    Find::Range {
                        lastkey,
                        keystep,
                        limit,
                    } => map(vec![
                        ("type", Reply::bulk("range")),
                        (
                            "spec",
                            map(vec![
                                ("lastkey", Reply::Int(lastkey)),
                                ("keystep", Reply::Int(keystep)),
                                ("limit", Reply::Int(limit)),
                            ]),
                        ),
                    ]),
                    Find::Keynum {
                        keynumidx,
                        firstkey,
                        keystep,
                    } => map(vec![
                        ("type", Reply::bulk("keynum")),
                        (
                            "spec",
                            map(vec![
                                ("keynumidx", Reply::Int(keynumidx)),
                                ("firstkey", Reply::Int(firstkey)),
                                ("keystep", Reply::Int(keystep)),
                            ]),
                        ),
                    ]),
                };
                let mut fields = Vec::new();
                if let Some(n) = s.notes {
                    fields.push(("notes", Reply::bulk(n)));
                }
                fields.push((
                    "flags",
                    Reply::Set(s.flags.iter().map(|f| Reply::status(*f)).collect()),
                ));
                fields.push(("begin_search", begin));
                fields.push(("find_keys", find));
                map(fields)
            })
            .collect(),
    )
}

/// Whether argument `pos` of `args` is one of the keys `spec` finds.
fn covers(spec: &KeySpec, args: &[Vec<u8>], pos: usize) -> bool {
    let start = match spec.begin {
        Begin::Index(i) => i,
        Begin::Keyword { keyword, startfrom } => {
            match keyword_key(args, keyword, startfrom as usize) {
                Some(k) => k as i64,
                None => return false,
            }
        }
        Begin::Unknown => return false,
    };
    let argc = args.len() as i64;
    let pos = pos as i64;
    let (first, last, step) = match spec.find {
        Find::Range {
            lastkey, keystep, ..
        } => {
            let last = if lastkey >= 0 {
                start + lastkey
            } else {
                argc + lastkey
            };
            (start, last, keystep)
        }
        Find::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            let n = args
                .get((start + keynumidx) as usize)
                .and_then(|a| parse_i64(a))
                .unwrap_or(0);
            let first = start + firstkey;
            (first, first + (n - 1) * keystep, keystep)
        }
        Find::Unknown => return false,
    };
    pos >= first && pos <= last && (pos - first) % step.max(1) == 0
}

/// The flags of the spec that finds the key at `pos` (COMMAND GETKEYSANDFLAGS). A key no
/// positional spec finds was found by the command's own key function: it belongs to the last
/// spec marked unknown (SORT's STORE destination).
pub fn flags_at(
    specs: &[KeySpec],
    args: &[Vec<u8>],
    pos: usize,
) -> Option<&'static [&'static str]> {
    specs
        .iter()
        .find(|s| covers(s, args, pos))
        .or_else(|| specs.iter().rev().find(|s| matches!(s.find, Find::Unknown)))
        .map(|s| s.flags)
}
