//! Per-command metadata Redis 7.0 reports in COMMAND INFO that the command table does not
//! carry: command tips, the flags of the first key specification, and the full key
//! specifications of commands one index range cannot describe.

/// Command tips (COMMAND INFO element 8), as Redis 7.0 declares them.
pub const TIPS: &[(&str, &[&str])] = &[
    ("client|info", &["nondeterministic_output"]),
    ("client|list", &["nondeterministic_output"]),
    ("cluster|bumpepoch", &["nondeterministic_output"]),
    (
        "cluster|count-failure-reports",
        &["nondeterministic_output"],
    ),
    ("cluster|getkeysinslot", &["nondeterministic_output"]),
    ("cluster|info", &["nondeterministic_output"]),
    ("cluster|links", &["nondeterministic_output"]),
    ("cluster|nodes", &["nondeterministic_output"]),
    ("cluster|replicas", &["nondeterministic_output"]),
    ("cluster|shards", &["nondeterministic_output"]),
    ("cluster|slaves", &["nondeterministic_output"]),
    ("cluster|slots", &["nondeterministic_output"]),
    ("command", &["nondeterministic_output_order"]),
    ("command|docs", &["nondeterministic_output_order"]),
    ("command|info", &["nondeterministic_output_order"]),
    ("command|list", &["nondeterministic_output_order"]),
    (
        "config|set",
        &["request_policy:all_nodes", "response_policy:all_succeeded"],
    ),
    (
        "dbsize",
        &["request_policy:all_shards", "response_policy:agg_sum"],
    ),
    (
        "del",
        &["request_policy:multi_shard", "response_policy:agg_sum"],
    ),
    ("dump", &["nondeterministic_output"]),
    (
        "exists",
        &["request_policy:multi_shard", "response_policy:agg_sum"],
    ),
    (
        "flushall",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "flushdb",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "function|delete",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "function|flush",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "function|kill",
        &["request_policy:all_shards", "response_policy:one_succeeded"],
    ),
    ("function|list", &["nondeterministic_output_order"]),
    (
        "function|load",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "function|restore",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "function|stats",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    ("hgetall", &["nondeterministic_output_order"]),
    ("hkeys", &["nondeterministic_output_order"]),
    ("hrandfield", &["nondeterministic_output"]),
    ("hscan", &["nondeterministic_output"]),
    ("hvals", &["nondeterministic_output_order"]),
    (
        "info",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    (
        "keys",
        &["request_policy:all_shards", "nondeterministic_output_order"],
    ),
    ("lastsave", &["nondeterministic_output"]),
    (
        "latency|doctor",
        &[
            "nondeterministic_output",
            "request_policy:all_nodes",
            "response_policy:special",
        ],
    ),
    (
        "latency|graph",
        &[
            "nondeterministic_output",
            "request_policy:all_nodes",
            "response_policy:special",
        ],
    ),
    (
        "latency|histogram",
        &[
            "nondeterministic_output",
            "request_policy:all_nodes",
            "response_policy:special",
        ],
    ),
    (
        "latency|history",
        &[
            "nondeterministic_output",
            "request_policy:all_nodes",
            "response_policy:special",
        ],
    ),
    (
        "latency|latest",
        &[
            "nondeterministic_output",
            "request_policy:all_nodes",
            "response_policy:special",
        ],
    ),
    (
        "latency|reset",
        &["request_policy:all_nodes", "response_policy:all_succeeded"],
    ),
    (
        "memory|doctor",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    (
        "memory|malloc-stats",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    (
        "memory|purge",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "memory|stats",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    ("mget", &["request_policy:multi_shard"]),
    ("migrate", &["nondeterministic_output"]),
    ("module|list", &["nondeterministic_output_order"]),
    (
        "mset",
        &[
            "request_policy:multi_shard",
            "response_policy:all_succeeded",
        ],
    ),
    (
        "msetnx",
        &["request_policy:multi_shard", "response_policy:agg_min"],
    ),
    ("object|encoding", &["nondeterministic_output"]),
    ("object|freq", &["nondeterministic_output"]),
    ("object|idletime", &["nondeterministic_output"]),
    ("object|refcount", &["nondeterministic_output"]),
    (
        "ping",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    ("pttl", &["nondeterministic_output"]),
    (
        "randomkey",
        &["request_policy:all_shards", "nondeterministic_output"],
    ),
    (
        "scan",
        &["nondeterministic_output", "request_policy:special"],
    ),
    (
        "script|exists",
        &[
            "request_policy:all_shards",
            "response_policy:agg_logical_and",
        ],
    ),
    (
        "script|flush",
        &["request_policy:all_nodes", "response_policy:all_succeeded"],
    ),
    (
        "script|kill",
        &["request_policy:all_shards", "response_policy:one_succeeded"],
    ),
    (
        "script|load",
        &["request_policy:all_nodes", "response_policy:all_succeeded"],
    ),
    ("sdiff", &["nondeterministic_output_order"]),
    ("sinter", &["nondeterministic_output_order"]),
    (
        "slowlog|get",
        &["request_policy:all_nodes", "nondeterministic_output"],
    ),
    (
        "slowlog|len",
        &[
            "request_policy:all_nodes",
            "response_policy:agg_sum",
            "nondeterministic_output",
        ],
    ),
    (
        "slowlog|reset",
        &["request_policy:all_nodes", "response_policy:all_succeeded"],
    ),
    ("smembers", &["nondeterministic_output_order"]),
    ("spop", &["nondeterministic_output"]),
    ("srandmember", &["nondeterministic_output"]),
    ("sscan", &["nondeterministic_output"]),
    ("sunion", &["nondeterministic_output_order"]),
    ("time", &["nondeterministic_output"]),
    (
        "touch",
        &["request_policy:multi_shard", "response_policy:agg_sum"],
    ),
    ("ttl", &["nondeterministic_output"]),
    (
        "unlink",
        &["request_policy:multi_shard", "response_policy:agg_sum"],
    ),
    (
        "wait",
        &["request_policy:all_shards", "response_policy:agg_min"],
    ),
    ("xadd", &["nondeterministic_output"]),
    ("xautoclaim", &["nondeterministic_output"]),
    ("xclaim", &["nondeterministic_output"]),
    ("xinfo|consumers", &["nondeterministic_output"]),
    ("xpending", &["nondeterministic_output"]),
    ("xtrim", &["nondeterministic_output"]),
    ("zrandmember", &["nondeterministic_output"]),
    ("zscan", &["nondeterministic_output"]),
];

/// Flags of the first key specification, as Redis 7.0 declares them.
pub const KEY_SPEC_FLAGS: &[(&str, &[&str])] = &[
    ("append", &["RW", "insert"]),
    ("bitcount", &["RO", "access"]),
    ("bitfield", &["RW", "access", "update", "variable_flags"]),
    ("bitfield_ro", &["RO", "access"]),
    ("bitop", &["OW", "update"]),
    ("bitpos", &["RO", "access"]),
    ("blmove", &["RW", "access", "delete"]),
    ("blmpop", &["RW", "access", "delete"]),
    ("blpop", &["RW", "access", "delete"]),
    ("brpop", &["RW", "access", "delete"]),
    ("brpoplpush", &["RW", "access", "delete"]),
    ("bzmpop", &["RW", "access", "delete"]),
    ("bzpopmax", &["RW", "access", "delete"]),
    ("bzpopmin", &["RW", "access", "delete"]),
    ("copy", &["RO", "access"]),
    ("decr", &["RW", "access", "update"]),
    ("decrby", &["RW", "access", "update"]),
    ("del", &["RM", "delete"]),
    ("dump", &["RO", "access"]),
    ("eval", &["RW", "access", "update"]),
    ("eval_ro", &["RO", "access"]),
    ("evalsha", &["RW", "access", "update"]),
    ("evalsha_ro", &["RO", "access"]),
    ("exists", &["RO"]),
    ("expire", &["RW", "update"]),
    ("expireat", &["RW", "update"]),
    ("expiretime", &["RO", "access"]),
    ("fcall", &["RW", "access", "update"]),
    ("fcall_ro", &["RO", "access"]),
    ("geoadd", &["RW", "update"]),
    ("geodist", &["RO", "access"]),
    ("geohash", &["RO", "access"]),
    ("geopos", &["RO", "access"]),
    ("georadius", &["RO", "access"]),
    ("georadius_ro", &["RO", "access"]),
    ("georadiusbymember", &["RO", "access"]),
    ("georadiusbymember_ro", &["RO", "access"]),
    ("geosearch", &["RO", "access"]),
    ("geosearchstore", &["OW", "update"]),
    ("get", &["RO", "access"]),
    ("getbit", &["RO", "access"]),
    ("getdel", &["RW", "access", "delete"]),
    ("getex", &["RW", "access", "update"]),
    ("getrange", &["RO", "access"]),
    ("getset", &["RW", "access", "update"]),
    ("hdel", &["RW", "delete"]),
    ("hexists", &["RO"]),
    ("hget", &["RO", "access"]),
    ("hgetall", &["RO", "access"]),
    ("hincrby", &["RW", "access", "update"]),
    ("hincrbyfloat", &["RW", "access", "update"]),
    ("hkeys", &["RO", "access"]),
    ("hlen", &["RO"]),
    ("hmget", &["RO", "access"]),
    ("hmset", &["RW", "update"]),
    ("hrandfield", &["RO", "access"]),
    ("hscan", &["RO", "access"]),
    ("hset", &["RW", "update"]),
    ("hsetnx", &["RW", "insert"]),
    ("hstrlen", &["RO"]),
    ("hvals", &["RO", "access"]),
    ("incr", &["RW", "access", "update"]),
    ("incrby", &["RW", "access", "update"]),
    ("incrbyfloat", &["RW", "access", "update"]),
    ("lcs", &["RO", "access"]),
    ("lindex", &["RO", "access"]),
    ("linsert", &["RW", "insert"]),
    ("llen", &["RO"]),
    ("lmove", &["RW", "access", "delete"]),
    ("lmpop", &["RW", "access", "delete"]),
    ("lpop", &["RW", "access", "delete"]),
    ("lpos", &["RO", "access"]),
    ("lpush", &["RW", "insert"]),
    ("lpushx", &["RW", "insert"]),
    ("lrange", &["RO", "access"]),
    ("lrem", &["RW", "delete"]),
    ("lset", &["RW", "update"]),
    ("ltrim", &["RW", "delete"]),
    ("memory|usage", &["RO"]),
    ("mget", &["RO", "access"]),
    ("migrate", &["RW", "access", "delete"]),
    ("move", &["RW", "access", "update"]),
    ("mset", &["OW", "update"]),
    ("msetnx", &["OW", "insert"]),
    ("object|encoding", &["RO"]),
    ("object|freq", &["RO"]),
    ("object|idletime", &["RO"]),
    ("object|refcount", &["RO"]),
    ("persist", &["RW", "update"]),
    ("pexpire", &["RW", "update"]),
    ("pexpireat", &["RW", "update"]),
    ("pexpiretime", &["RO", "access"]),
    ("pfadd", &["RW", "insert"]),
    ("pfcount", &["RW", "access"]),
    ("pfdebug", &["RW", "access"]),
    ("pfmerge", &["RW", "access", "insert"]),
    ("psetex", &["OW", "update"]),
    ("pttl", &["RO", "access"]),
    ("rename", &["RW", "access", "delete"]),
    ("renamenx", &["RW", "access", "delete"]),
    ("restore", &["OW", "update"]),
    ("restore-asking", &["OW", "update"]),
    ("rpop", &["RW", "access", "delete"]),
    ("rpoplpush", &["RW", "access", "delete"]),
    ("rpush", &["RW", "insert"]),
    ("rpushx", &["RW", "insert"]),
    ("sadd", &["RW", "insert"]),
    ("scard", &["RO"]),
    ("sdiff", &["RO", "access"]),
    ("sdiffstore", &["OW", "update"]),
    ("set", &["RW", "access", "update", "variable_flags"]),
    ("setbit", &["RW", "access", "update"]),
    ("setex", &["OW", "update"]),
    ("setnx", &["OW", "insert"]),
    ("setrange", &["RW", "update"]),
    ("sinter", &["RO", "access"]),
    ("sintercard", &["RO", "access"]),
    ("sinterstore", &["RW", "update"]),
    ("sismember", &["RO"]),
    ("smembers", &["RO", "access"]),
    ("smismember", &["RO", "access"]),
    ("smove", &["RW", "access", "delete"]),
    ("sort", &["RO", "access"]),
    ("sort_ro", &["RO", "access"]),
    ("spop", &["RW", "access", "delete"]),
    ("spublish", &["not_key"]),
    ("srandmember", &["RO", "access"]),
    ("srem", &["RW", "delete"]),
    ("sscan", &["RO", "access"]),
    ("ssubscribe", &["not_key"]),
    ("strlen", &["RO"]),
    ("substr", &["RO", "access"]),
    ("sunion", &["RO", "access"]),
    ("sunionstore", &["OW", "update"]),
    ("sunsubscribe", &["not_key"]),
    ("touch", &["RO"]),
    ("ttl", &["RO", "access"]),
    ("type", &["RO"]),
    ("unlink", &["RM", "delete"]),
    ("watch", &["RO"]),
    ("xack", &["RW", "update"]),
    ("xadd", &["RW", "update"]),
    ("xautoclaim", &["RW", "delete"]),
    ("xclaim", &["RW", "update"]),
    ("xdel", &["RW", "delete"]),
    ("xgroup|create", &["RW", "insert"]),
    ("xgroup|createconsumer", &["RW", "insert"]),
    ("xgroup|delconsumer", &["RW", "delete"]),
    ("xgroup|destroy", &["RW", "delete"]),
    ("xgroup|setid", &["RW", "update"]),
    ("xinfo|consumers", &["RO", "access"]),
    ("xinfo|groups", &["RO", "access"]),
    ("xinfo|stream", &["RO", "access"]),
    ("xlen", &["RO"]),
    ("xpending", &["RO", "access"]),
    ("xrange", &["RO", "access"]),
    ("xread", &["RO", "access"]),
    ("xreadgroup", &["RO", "access"]),
    ("xrevrange", &["RO", "access"]),
    ("xsetid", &["RW", "update"]),
    ("xtrim", &["RW", "delete"]),
    ("zadd", &["RW", "update"]),
    ("zcard", &["RO"]),
    ("zcount", &["RO", "access"]),
    ("zdiff", &["RO", "access"]),
    ("zdiffstore", &["OW", "update"]),
    ("zincrby", &["RW", "access", "update"]),
    ("zinter", &["RO", "access"]),
    ("zintercard", &["RO", "access"]),
    ("zinterstore", &["OW", "update"]),
    ("zlexcount", &["RO", "access"]),
    ("zmpop", &["RW", "access", "delete"]),
    ("zmscore", &["RO", "access"]),
    ("zpopmax", &["RW", "access", "delete"]),
    ("zpopmin", &["RW", "access", "delete"]),
    ("zrandmember", &["RO", "access"]),
    ("zrange", &["RO", "access"]),
    ("zrangebylex", &["RO", "access"]),
    ("zrangebyscore", &["RO", "access"]),
    ("zrangestore", &["OW", "update"]),
    ("zrank", &["RO", "access"]),
    ("zrem", &["RW", "delete"]),
    ("zremrangebylex", &["RW", "delete"]),
    ("zremrangebyrank", &["RW", "delete"]),
    ("zremrangebyscore", &["RW", "delete"]),
    ("zrevrange", &["RO", "access"]),
    ("zrevrangebylex", &["RO", "access"]),
    ("zrevrangebyscore", &["RO", "access"]),
    ("zrevrank", &["RO", "access"]),
    ("zscan", &["RO", "access"]),
    ("zscore", &["RO", "access"]),
    ("zunion", &["RO", "access"]),
    ("zunionstore", &["OW", "update"]),
];

/// How a key specification finds its keys once `begin_search` found the first one.
pub enum FindKeys {
    /// `lastkey` (relative to the begin index; negative counts from the end), `keystep`, `limit`.
    Range(i64, i64, i64),
    /// `keynumidx` (relative), `firstkey` (relative), `keystep`: keys counted by an argument.
    Keynum(i64, i64, i64),
}

/// One key specification: its flags, the index where the search begins, how keys are found.
pub struct KeySpec {
    pub flags: &'static [&'static str],
    pub begin: i64,
    pub find: FindKeys,
}

/// A single key at argument `begin`.
const fn one(flags: &'static [&'static str], begin: i64) -> KeySpec {
    KeySpec {
        flags,
        begin,
        find: FindKeys::Range(0, 1, 0),
    }
}

/// Keys counted by the argument at `begin`, following it.
const fn counted(flags: &'static [&'static str], begin: i64) -> KeySpec {
    KeySpec {
        flags,
        begin,
        find: FindKeys::Keynum(0, 1, 1),
    }
}

const RW_ACCESS_DELETE: &[&str] = &["RW", "access", "delete"];
const RW_INSERT: &[&str] = &["RW", "insert"];

/// Key specifications of commands with more than one (a source and a destination) or whose
/// keys are counted by a numkeys argument, as Redis 7.0 declares them.
pub const KEY_SPECS: &[(&str, &[KeySpec])] = &[
    ("blmove", &[one(RW_ACCESS_DELETE, 1), one(RW_INSERT, 2)]),
    ("blmpop", &[counted(RW_ACCESS_DELETE, 2)]),
    ("brpoplpush", &[one(RW_ACCESS_DELETE, 1), one(RW_INSERT, 2)]),
    (
        "copy",
        &[one(&["RO", "access"], 1), one(&["OW", "update"], 2)],
    ),
    ("lmove", &[one(RW_ACCESS_DELETE, 1), one(RW_INSERT, 2)]),
    ("lmpop", &[counted(RW_ACCESS_DELETE, 1)]),
    (
        "rename",
        &[one(RW_ACCESS_DELETE, 1), one(&["OW", "update"], 2)],
    ),
    (
        "renamenx",
        &[one(RW_ACCESS_DELETE, 1), one(&["OW", "insert"], 2)],
    ),
    ("rpoplpush", &[one(RW_ACCESS_DELETE, 1), one(RW_INSERT, 2)]),
];

/// The key specifications of `name`, when the table above has them.
pub fn key_specs_of(name: &str) -> Option<&'static [KeySpec]> {
    KEY_SPECS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The flags of the key at argument `index` of `name`: those of the last specification
/// beginning at or before it.
pub fn key_flags_at(name: &str, index: usize) -> Option<&'static [&'static str]> {
    key_specs_of(name)?
        .iter()
        .rev()
        .find(|s| s.begin <= index as i64)
        .map(|s| s.flags)
}
