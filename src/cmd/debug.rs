//! DEBUG: the test-suite hooks of Redis that oxidis supports (SLEEP, SET-ACTIVE-EXPIRE,
//! POPULATE, OBJECT, DIGEST, DIGEST-VALUE, ERROR, LOG). Gated by `enable-debug-command` exactly
//! as Redis 7.0 gates it (`no` by default, `local` for loopback clients only).
use super::keys::{help_reply, idle_secs, lookup_read_notouch};
use crate::db::digest::{dataset_digest, value_digest};
use crate::db::{Entry, Value};
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::Ctx;
use crate::sha1::hex;
use crate::util::{eq_ic, parse_i64};

const NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

fn allowed(ctx: &Ctx) -> bool {
    match ctx
        .srv
        .config
        .enable_debug_command
        .to_ascii_lowercase()
        .as_str()
    {
        "yes" => true,
        "local" => crate::util::is_local_peer(&ctx.client.addr),
        _ => false,
    }
}

/// Bytes the value takes in an RDB file (DEBUG OBJECT serializedlength): the length of what
/// the RDB writer emits for it, type byte and key excluded, as Redis's rdbSavedObjectLen.
fn serialized_len(v: &Value, compress: bool, list_fill: i64) -> usize {
    let mut w = crate::rdb::sink::Writer::new(std::io::sink(), compress);
    let mut sc = crate::rdb::save::Scratch::new(list_fill);
    match crate::rdb::save::write_value_with(&mut w, v, &mut sc) {
        Ok(()) => w.written() as usize,
        Err(_) => 0,
    }
}

/// The quicklist details Redis 7.0 appends for lists: node count, average entries per node,
/// the fill factor, whether node compression is on, and the listpacks' total size.
fn quicklist_info(l: &crate::db::List, fill: i64, compressed: bool) -> String {
    let mut split = crate::rdb::encode::quicklist::Splitter::default();
    split.split(l.items.iter().map(|x| &x[..]), fill);
    let mut bytes = 0usize;
    let _ = split.for_each(
        |i| &l.items[i][..],
        |node| {
            bytes += match node {
                crate::rdb::encode::quicklist::Node::Packed(b) => b.len(),
                crate::rdb::encode::quicklist::Node::Plain(x) => x.len(),
            };
            Ok::<(), ()>(())
        },
    );
    let nodes = split.len();
    format!(
        " ql_nodes:{nodes} ql_avg_node:{:.2} ql_listpack_max:{fill} ql_compressed:{} \
         ql_uncompressed_size:{bytes}",
        l.len() as f64 / nodes.max(1) as f64,
        u8::from(compressed)
    )
}

fn object_info(ctx: &Ctx, e: &Entry, now: i64) -> String {
    let cfg = &ctx.srv.config;
    let fill = cfg.enc.list_max_listpack_size;
    let extra = match &e.value {
        Value::List(l) => {
            let depth = cfg.other.get("list-compress-depth").map(|d| d.as_str());
            quicklist_info(l, fill, !matches!(depth, None | Some("0")))
        }
        _ => String::new(),
    };
    format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{extra}",
        &e.value as *const Value,
        e.value.refcount(),
        e.value.encoding(),
        serialized_len(&e.value, cfg.rdbcompression, fill),
        e.access & ((1 << 24) - 1),
        idle_secs(e, now)
    )
}

fn populate(ctx: &mut Ctx, a: &Args) -> Reply {
    let positive = |b: &[u8]| -> Result<i64, Reply> {
        parse_i64(b)
            .filter(|v| *v >= 0)
            .ok_or_else(|| Reply::err("ERR value is out of range, must be positive"))
    };
    let count = match positive(&a[2]) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let size = if a.len() == 5 {
        match positive(&a[4]) {
            Ok(v) => v as usize,
            Err(r) => return r,
        }
    } else {
        0
    };
    let prefix: &[u8] = if a.len() >= 4 { &a[3] } else { b"key" };
    let now = ctx.now;
    let db = ctx.db();
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.push(b':');
        key.extend_from_slice(j.to_string().as_bytes());
        key.truncate(127);
        if db.get(&key, now).is_some() {
            continue;
        }
        let mut val = format!("value:{j}").into_bytes();
        if size > 0 {
            val.resize(size, 0);
        }
        db.set(key, Value::plain(val), false, now);
    }
    Reply::Ok
}

fn debug(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if !allowed(ctx) {
        return Reply::err(NOT_ALLOWED);
    }
    let sub = &a[1];
    let n = a.len();
    let now = ctx.now;
    if eq_ic(sub, "help") && n == 2 {
        help_reply(
            "DEBUG",
            &[
                "DIGEST",
                "    Output a hex signature representing the current DB content.",
                "DIGEST-VALUE <key> [<key> ...]",
                "    Output a hex signature of the values of all the specified keys.",
                "ERROR <string>",
                "    Return a Redis protocol error with <string> as message. Useful for clients",
                "    unit tests to simulate Redis errors.",
                "LOG <message>",
                "    Write <message> to the server log.",
                "OBJECT <key>",
                "    Show low level info about `key` and associated value.",
                "PROTOCOL <type>",
                "    Reply with a test value of the specified type. <type> can be: string,",
                "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
                "    true, false.",
                "RELOAD [option ...]",
                "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
                "    * MERGE: conflicting keys will be loaded from RDB.",
                "    * NOFLUSH: the existing database will not be removed before load, but",
                "      conflicting keys will generate an exception and kill the server.",
                "    * NOSAVE: the database will be loaded from an existing RDB file.",
                "    Examples:",
                "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
                "      the database.",
                "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
                "      existing RDB file.",
                "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
                "      file to the database.",
                "POPULATE <count> [<prefix>] [<size>]",
                "    Create <count> string keys named key:<num>. If <prefix> is specified then",
                "    it is used instead of the 'key' prefix.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        )
    } else if eq_ic(sub, "sleep") && n == 3 {
        let secs = strtod_prefix(&a[2]);
        if secs > 0.0 && secs.is_finite() {
            std::thread::sleep(std::time::Duration::from_micros((secs * 1e6) as u64));
        }
        Reply::Ok
    } else if eq_ic(sub, "reload") {
        super::persist::debug_reload(ctx, a)
    } else if eq_ic(sub, "set-active-expire") && n == 3 {
        ctx.srv.role.active_expire_enabled = crate::util::atoi(&a[2]) != 0;
        Reply::Ok
    } else if eq_ic(sub, "populate") && (3..=5).contains(&n) {
        populate(ctx, a)
    } else if eq_ic(sub, "object") && n == 3 {
        let db = ctx.client.db;
        match ctx.srv.role.keyspace.dbs[db].dict.get(&a[2]) {
            Some(e) => Reply::Status(object_info(ctx, e, now)),
            None => Reply::no_such_key(),
        }
    } else if eq_ic(sub, "digest") && n == 2 {
        Reply::Status(hex(&dataset_digest(&ctx.srv.role.keyspace)))
    } else if eq_ic(sub, "digest-value") && n >= 2 {
        let mut out = Vec::with_capacity(n - 2);
        for k in &a[2..] {
            let mut d = [0u8; 20];
            if let Some(e) = lookup_read_notouch(ctx.srv, ctx.client.db, k, now) {
                value_digest(&mut d, e);
            }
            out.push(Reply::Status(hex(&d)));
        }
        Reply::Array(out)
    } else if eq_ic(sub, "protocol") && n == 3 {
        protocol(&a[2])
    } else if eq_ic(sub, "error") && n == 3 {
        Reply::Error(String::from_utf8_lossy(&a[2]).into_owned())
    } else if eq_ic(sub, "log") && n == 3 {
        log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&a[2]));
        Reply::Ok
    } else {
        let name: String = String::from_utf8_lossy(sub).chars().take(128).collect();
        Reply::Error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{name}'. Try DEBUG HELP."
        ))
    }
}

/// DEBUG PROTOCOL: one sample reply of each RESP type, for client test suites. `bignum` is sent
/// as a bulk string and `attrib` without its attribute (exact in RESP2); `push` is not offered.
fn protocol(kind: &[u8]) -> Reply {
    let ints = || (0..3).map(Reply::Int).collect::<Vec<_>>();
    match kind.to_ascii_lowercase().as_slice() {
        b"string" => Reply::bulk("Hello World"),
        b"integer" => Reply::Int(12345),
        // Not PI: the literal value Redis sends.
        #[allow(clippy::approx_constant)]
        b"double" => Reply::Double(3.141),
        b"bignum" => Reply::bulk("1234567999999999999999999999999999999"),
        b"null" => Reply::Nil,
        b"array" => Reply::Array(ints()),
        b"set" => Reply::Set(ints()),
        b"map" => Reply::Map((0..3).map(|j| (Reply::Int(j), Reply::Bool(j == 1))).collect()),
        b"attrib" => Reply::bulk("Some real reply following the attribute"),
        b"verbatim" => Reply::Verbatim(b"This is a verbatim\nstring".to_vec()),
        b"true" => Reply::Bool(true),
        b"false" => Reply::Bool(false),
        _ => Reply::err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"),
    }
}

/// C `strtod` ignoring trailing garbage: the longest numeric prefix, 0 if none.
fn strtod_prefix(b: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim_start();
    (1..=t.len())
        .rev()
        .filter(|&i| t.is_char_boundary(i))
        .find_map(|i| t[..i].parse::<f64>().ok())
        .unwrap_or(0.0)
}

pub static COMMANDS: &[Command] = &[Command {
    name: "debug",
    arity: -2,
    flags: ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    acl: &["admin", "slow", "dangerous"],
    handler: debug,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdb_lengths() {
        let len = |v: Value| serialized_len(&v, true, -2);
        assert_eq!(len(Value::string(b"1".to_vec())), 2);
        assert_eq!(len(Value::string(b"hello".to_vec())), 6);
        assert_eq!(len(Value::string(b"123456789012".to_vec())), 13);
        assert_eq!(len(Value::raw(b"123456789012x".to_vec())), 14);
        assert_eq!(len(Value::string(b"40000".to_vec())), 5);
        // RPUSH l a: node count, container, 10-byte listpack as a string.
        let l = crate::db::List::from_vec(vec![b"a".to_vec()]);
        assert_eq!(len(Value::List(l)), 1 + 1 + 1 + 10);
    }

    #[test]
    fn c_number_parsers() {
        assert_eq!(crate::util::atoi(b"1"), 1);
        assert_eq!(crate::util::atoi(b"0"), 0);
        assert_eq!(crate::util::atoi(b"abc"), 0);
        assert_eq!(crate::util::atoi(b" 12x"), 12);
        assert_eq!(strtod_prefix(b"0.5s"), 0.5);
        assert_eq!(strtod_prefix(b"abc"), 0.0);
    }
}
