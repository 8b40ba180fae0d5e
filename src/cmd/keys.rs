//! Generic keyspace commands: deletion, existence, type, iteration (KEYS/SCAN/RANDOMKEY),
//! renaming and copying between databases, OBJECT introspection and flushing, and the table of
//! all of them and of the expiry commands (whose handlers live in `expire.rs`). Every path
//! respects TTLs as Redis 7.0 does, and read lookups count keyspace hits and misses.
use super::expire::{
    expire, expireat, expiretime, persist, pexpire, pexpireat, pexpiretime, pttl, ttl,
};
use super::string::TTL_PROPAGATE;
use crate::db::{secs, Entry};
use crate::resp::Reply;
use crate::server::command::{flags::*, single_key, Args, Command};
use crate::server::{multi, Ctx, Server};
use crate::tri;
use crate::util::{eq_ic, parse_i64};

/// Redis's lookupKeyRead: expire a stale key, touch the access time, count a hit or a miss.
pub fn lookup_read<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    now: i64,
) -> Option<&'a mut Entry> {
    let e = srv.role.keyspace.dbs[db].get(key, now);
    if e.is_some() {
        srv.stats.keyspace_hits += 1;
    } else {
        srv.stats.keyspace_misses += 1;
    }
    e
}

/// lookupKeyRead with LOOKUP_NOTOUCH (TYPE, TTL, EXISTS, OBJECT): no access-time update.
pub fn lookup_read_notouch<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    now: i64,
) -> Option<&'a mut Entry> {
    let e = srv.role.keyspace.dbs[db].get_notouch(key, now);
    if e.is_some() {
        srv.stats.keyspace_hits += 1;
    } else {
        srv.stats.keyspace_misses += 1;
    }
    e
}

pub fn proto_max_bulk_len(ctx: &Ctx) -> i64 {
    ctx.srv.config.proto_max_bulk_len
}

fn del(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let db = ctx.db();
    let mut n = 0;
    for k in &a[1..] {
        db.expire_if_needed(k, now);
        if db.remove(k).is_some() {
            n += 1;
        }
    }
    ctx.dirty(n as u64);
    Reply::Int(n)
}

fn exists(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let mut n = 0;
    for k in &a[1..] {
        if lookup_read_notouch(ctx.srv, ctx.client.db, k, now).is_some() {
            n += 1;
        }
    }
    Reply::Int(n)
}

fn type_(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    match lookup_read_notouch(ctx.srv, ctx.client.db, &a[1], now) {
        Some(e) => Reply::status(e.value.type_name()),
        None => Reply::status("none"),
    }
}

fn touch(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let mut n = 0;
    for k in &a[1..] {
        if lookup_read(ctx.srv, ctx.client.db, k, now).is_some() {
            n += 1;
        }
    }
    Reply::Int(n)
}

fn keys(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let pat = &a[1];
    let all = pat.as_slice() == b"*";
    let out: Vec<Reply> = ctx
        .db()
        .dict
        .iter()
        .filter(|(k, e)| (all || crate::glob::matches(pat, k, false)) && !e.is_expired(now))
        .map(|(k, _)| Reply::Bulk(k.to_vec()))
        .collect();
    Reply::Array(out)
}

/// Parse a SCAN cursor as `strtoul` does: optional sign, decimal digits, no leading space, no
/// trailing garbage, no overflow. A negative number wraps like strtoul's.
pub fn parse_cursor(b: &[u8]) -> Option<u64> {
    if b.is_empty() {
        return Some(0);
    }
    if b[0].is_ascii_whitespace() {
        return None;
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The options of a SCAN-family command after its cursor: COUNT (at least 1, default 10),
/// MATCH (`*` means no filter) and, for SCAN itself, TYPE.
pub struct ScanOpts<'a> {
    pub count: i64,
    pub pat: Option<&'a [u8]>,
    pub typ: Option<&'a [u8]>,
}

/// Parse SCAN-family options from `a[from..]` with Redis's errors.
pub fn scan_opts(a: &[Vec<u8>], from: usize, with_type: bool) -> Result<ScanOpts<'_>, Reply> {
    let mut o = ScanOpts {
        count: 10,
        pat: None,
        typ: None,
    };
    let mut i = from;
    while i < a.len() {
        let left = a.len() - i;
        if eq_ic(&a[i], "count") && left >= 2 {
            o.count = parse_i64(&a[i + 1]).ok_or_else(Reply::not_integer)?;
            if o.count < 1 {
                return Err(Reply::syntax_error());
            }
        } else if eq_ic(&a[i], "match") && left >= 2 {
            o.pat = (a[i + 1].as_slice() != b"*").then_some(&a[i + 1][..]);
        } else if with_type && eq_ic(&a[i], "type") && left >= 2 {
            o.typ = Some(&a[i + 1]);
        } else {
            return Err(Reply::syntax_error());
        }
        i += 2;
    }
    Ok(o)
}

fn scan(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(mut cursor) = parse_cursor(&a[1]) else {
        return Reply::err("ERR invalid cursor");
    };
    let ScanOpts { count, pat, typ } = tri!(scan_opts(a, 2, true));
    let now = ctx.now;
    let dbi = ctx.client.db;
    let db = &mut ctx.srv.role.keyspace.dbs[dbi];
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut maxit = count.saturating_mul(10);
    loop {
        cursor = db.dict.scan(cursor, |k, _| found.push(k.to_vec()));
        if cursor == 0 || maxit == 0 || found.len() as i64 >= count {
            break;
        }
        maxit -= 1;
    }
    let mut out = Vec::with_capacity(found.len());
    for k in found {
        if let Some(p) = pat {
            if !crate::glob::matches(p, &k, false) {
                continue;
            }
        }
        if let Some(t) = typ {
            let name = match lookup_read_notouch(ctx.srv, dbi, &k, now) {
                Some(e) => e.value.type_name(),
                None => "none",
            };
            if !eq_ic(t, name) {
                continue;
            }
        }
        if ctx.srv.role.keyspace.dbs[dbi].expire_if_needed(&k, now) {
            continue;
        }
        out.push(Reply::Bulk(k));
    }
    Reply::Array(vec![
        Reply::Bulk(cursor.to_string().into_bytes()),
        Reply::Array(out),
    ])
}

fn randomkey(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    let now = ctx.now;
    let db = ctx.db();
    // On a replica expired keys stay until the master deletes them: after enough expired
    // draws, one is returned rather than looping forever (as Redis does).
    let mut tries = 100;
    loop {
        let Some(k) = db.dict.random_key().map(|k| k.to_vec()) else {
            return Reply::Nil;
        };
        if db.expire_if_needed(&k, now) {
            tries -= 1;
            if tries > 0 || db.expiry_mode != crate::db::ExpiryMode::Hide {
                continue;
            }
        }
        return Reply::Bulk(k);
    }
}

fn rename_generic(ctx: &mut Ctx, a: &mut Args, nx: bool) -> Reply {
    let now = ctx.now;
    let same = a[1] == a[2];
    let db = ctx.db();
    if db.get(&a[1], now).is_none() {
        return Reply::no_such_key();
    }
    if same {
        return if nx { Reply::Int(0) } else { Reply::Ok };
    }
    if db.get(&a[2], now).is_some() {
        if nx {
            return Reply::Int(0);
        }
        db.remove(&a[2]);
    }
    let Some(e) = db.remove(&a[1]) else {
        return Reply::no_such_key();
    };
    db.add_entry(std::mem::take(&mut a[2]), e);
    ctx.dirty(1);
    if nx {
        Reply::Int(1)
    } else {
        Reply::Ok
    }
}

fn rename(ctx: &mut Ctx, a: &mut Args) -> Reply {
    rename_generic(ctx, a, false)
}

fn renamenx(ctx: &mut Ctx, a: &mut Args) -> Reply {
    rename_generic(ctx, a, true)
}

/// A database index argument: an int (else "not an integer") within range (else `range_err`).
fn db_index(ctx: &Ctx, arg: &[u8]) -> Result<usize, Reply> {
    let id = parse_i64(arg)
        .filter(|v| i32::try_from(*v).is_ok())
        .ok_or_else(Reply::not_integer)?;
    if id < 0 || id as usize >= ctx.srv.role.keyspace.dbs.len() {
        return Err(Reply::err("ERR DB index is out of range"));
    }
    Ok(id as usize)
}

fn move_(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let dst = tri!(db_index(ctx, &a[2]));
    let src = ctx.client.db;
    if src == dst {
        return Reply::err("ERR source and destination objects are the same");
    }
    let now = ctx.now;
    let dbs = &mut ctx.srv.role.keyspace.dbs;
    if dbs[src].get(&a[1], now).is_none() {
        return Reply::Int(0);
    }
    if dbs[dst].get(&a[1], now).is_some() {
        return Reply::Int(0);
    }
    let Some(e) = dbs[src].remove(&a[1]) else {
        return Reply::Int(0);
    };
    dbs[dst].add_entry(std::mem::take(&mut a[1]), e);
    ctx.dirty(1);
    Reply::Int(1)
}

fn copy(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let src = ctx.client.db;
    let mut dst = src;
    let mut replace = false;
    let mut j = 3;
    while j < a.len() {
        if eq_ic(&a[j], "replace") {
            replace = true;
        } else if eq_ic(&a[j], "db") && j + 1 < a.len() {
            dst = tri!(db_index(ctx, &a[j + 1]));
            j += 1;
        } else {
            return Reply::syntax_error();
        }
        j += 1;
    }
    if src == dst && a[1] == a[2] {
        return Reply::err("ERR source and destination objects are the same");
    }
    let now = ctx.now;
    let (value, expire_at) = match lookup_read(ctx.srv, src, &a[1], now) {
        None => return Reply::Int(0),
        Some(e) => (e.value.clone(), e.expire_at),
    };
    let dbs = &mut ctx.srv.role.keyspace.dbs;
    if dbs[dst].get(&a[2], now).is_some() {
        if !replace {
            return Reply::Int(0);
        }
        dbs[dst].remove(&a[2]);
    }
    let mut e = Entry::new(value, now);
    e.expire_at = expire_at;
    dbs[dst].add_entry(std::mem::take(&mut a[2]), e);
    ctx.dirty(1);
    Reply::Int(1)
}

fn swapdb(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let int = |arg: &[u8], msg: &str| -> Result<i64, Reply> {
        parse_i64(arg)
            .filter(|v| i32::try_from(*v).is_ok())
            .ok_or_else(|| Reply::err(msg))
    };
    let id1 = tri!(int(&a[1], "ERR invalid first DB index"));
    let id2 = tri!(int(&a[2], "ERR invalid second DB index"));
    let n = ctx.srv.role.keyspace.dbs.len() as i64;
    if id1 < 0 || id1 >= n || id2 < 0 || id2 >= n {
        return Reply::err("ERR DB index is out of range");
    }
    if id1 != id2 {
        ctx.srv.role.keyspace.dbs.swap(id1 as usize, id2 as usize);
    }
    ctx.dirty(1);
    Reply::Ok
}

/// Seconds since the entry was last accessed, on Redis's 24-bit LRU clock.
pub fn idle_secs(e: &Entry, now: i64) -> i64 {
    const LRU_MAX: i64 = (1 << 24) - 1;
    let clock = secs(now) as i64 & LRU_MAX;
    let lru = e.access as i64 & LRU_MAX;
    if clock >= lru {
        clock - lru
    } else {
        clock + (LRU_MAX - lru)
    }
}

fn object_lookup<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a mut Entry> {
    let now = ctx.now;
    lookup_read_notouch(ctx.srv, ctx.client.db, key, now)
}

fn object_encoding(ctx: &mut Ctx, a: &mut Args) -> Reply {
    match object_lookup(ctx, &a[2]) {
        Some(e) => Reply::bulk(e.value.encoding()),
        None => Reply::Nil,
    }
}

fn object_refcount(ctx: &mut Ctx, a: &mut Args) -> Reply {
    match object_lookup(ctx, &a[2]) {
        Some(e) => Reply::Int(e.value.refcount()),
        None => Reply::Nil,
    }
}

fn object_idletime(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    match object_lookup(ctx, &a[2]) {
        Some(e) => Reply::Int(idle_secs(e, now)),
        None => Reply::Nil,
    }
}

fn object_freq(ctx: &mut Ctx, a: &mut Args) -> Reply {
    // No LFU maxmemory policy exists yet, so frequency is never tracked.
    match object_lookup(ctx, &a[2]) {
        Some(_) => Reply::err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
        None => Reply::Nil,
    }
}

/// Help text in the shape of Redis's `addReplyHelp`.
pub fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::status(format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))];
    out.extend(lines.iter().map(|l| Reply::status(*l)));
    out.push(Reply::status("HELP"));
    out.push(Reply::status("    Prints this help."));
    Reply::Array(out)
}

fn object_help(_ctx: &mut Ctx, _a: &mut Args) -> Reply {
    help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}

fn dbsize(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::Int(ctx.db().len() as i64)
}

/// FLUSHALL/FLUSHDB take an optional ASYNC or SYNC (both flush synchronously here).
fn flush_flags_ok(a: &Args) -> bool {
    a.len() == 1 || (a.len() == 2 && (eq_ic(&a[1], "sync") || eq_ic(&a[1], "async")))
}

fn flushall(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if !flush_flags_ok(a) {
        return Reply::syntax_error();
    }
    let n: usize = ctx.srv.role.keyspace.total_keys();
    for db in ctx.srv.role.keyspace.dbs.iter_mut() {
        db.clear();
    }
    ctx.dirty(n as u64);
    crate::node::persist::after_flushall(ctx.srv);
    ctx.dirty(1);
    Reply::Ok
}

fn flushdb(ctx: &mut Ctx, a: &mut Args) -> Reply {
    if !flush_flags_ok(a) {
        return Reply::syntax_error();
    }
    let n = ctx.db().len();
    ctx.db().clear();
    ctx.dirty(n as u64);
    Reply::Ok
}

const R_FAST: &[&str] = &["keyspace", "read", "fast"];
const R_SLOW: &[&str] = &["keyspace", "read", "slow"];
const W_FAST: &[&str] = &["keyspace", "write", "fast"];
const W_SLOW: &[&str] = &["keyspace", "write", "slow"];

static OBJECT_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "encoding",
        arity: 3,
        first_key: 2,
        last_key: 2,
        ..single_key("encoding", 3, READONLY, R_SLOW, object_encoding)
    },
    Command {
        name: "freq",
        first_key: 2,
        last_key: 2,
        ..single_key("freq", 3, READONLY, R_SLOW, object_freq)
    },
    Command {
        name: "idletime",
        first_key: 2,
        last_key: 2,
        ..single_key("idletime", 3, READONLY, R_SLOW, object_idletime)
    },
    Command {
        name: "refcount",
        first_key: 2,
        last_key: 2,
        ..single_key("refcount", 3, READONLY, R_SLOW, object_refcount)
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        ..single_key(
            "help",
            2,
            LOADING | STALE,
            &["keyspace", "slow"],
            object_help,
        )
    },
];

/// MOVE key db: the key changed in both databases.
fn move_touch(srv: &mut Server, db: usize, args: &Args) {
    if args.len() < 3 {
        return;
    }
    multi::touch_key(srv, db, &args[1]);
    if let Some(to) = multi::db_arg(srv, &args[2]) {
        multi::touch_key(srv, to, &args[1]);
    }
}

/// COPY source destination [DB db]: the destination changed in its database.
fn copy_touch(srv: &mut Server, db: usize, args: &Args) {
    if args.len() < 3 {
        return;
    }
    let mut to = db;
    let mut i = 3;
    while i + 1 < args.len() {
        if eq_ic(&args[i], "db") {
            to = multi::db_arg(srv, &args[i + 1]).unwrap_or(db);
            i += 1;
        }
        i += 1;
    }
    multi::touch_key(srv, to, &args[2]);
}

/// SWAPDB a b: the watched keys of both databases, as Redis 7.0 judges them.
fn swapdb_touch(srv: &mut Server, _: usize, args: &Args) {
    if args.len() < 3 {
        return;
    }
    if let (Some(a), Some(b)) = (multi::db_arg(srv, &args[1]), multi::db_arg(srv, &args[2])) {
        if a != b {
            multi::touch_swapped(srv, a, b);
        }
    }
}

/// FLUSHDB: every watched key of the client's database.
fn flushdb_touch(srv: &mut Server, db: usize, _: &Args) {
    multi::touch_flushed(srv, db);
}

/// FLUSHALL: every watched key.
fn flushall_touch(srv: &mut Server, _: usize, _: &Args) {
    for d in 0..srv.role.keyspace.dbs.len() {
        multi::touch_flushed(srv, d);
    }
}

pub static COMMANDS: &[Command] = &[
    Command {
        last_key: -1,
        ..single_key("del", -2, WRITE, W_SLOW, del)
    },
    Command {
        last_key: -1,
        ..single_key("unlink", -2, WRITE | FAST, W_FAST, del)
    },
    Command {
        last_key: -1,
        ..single_key("exists", -2, READONLY | FAST, R_FAST, exists)
    },
    Command {
        last_key: -1,
        ..single_key("touch", -2, READONLY | FAST, R_FAST, touch)
    },
    single_key("type", 2, READONLY | FAST, R_FAST, type_),
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        ..single_key(
            "keys",
            2,
            READONLY,
            &["keyspace", "read", "slow", "dangerous"],
            keys,
        )
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        ..single_key("scan", -2, READONLY, R_SLOW, scan)
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        ..single_key("randomkey", 1, READONLY, R_SLOW, randomkey)
    },
    Command {
        last_key: 2,
        ..single_key("rename", 3, WRITE, W_SLOW, rename)
    },
    Command {
        last_key: 2,
        ..single_key("renamenx", 3, WRITE | FAST, W_FAST, renamenx)
    },
    Command {
        last_key: 2,
        touch: Some(copy_touch),
        ..single_key("copy", -3, WRITE | DENYOOM | ALL_DBS, W_SLOW, copy)
    },
    Command {
        touch: Some(move_touch),
        ..single_key("move", 3, WRITE | FAST | ALL_DBS, W_FAST, move_)
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        touch: Some(swapdb_touch),
        ..single_key(
            "swapdb",
            3,
            WRITE | FAST | ALL_DBS,
            &["keyspace", "write", "fast", "dangerous"],
            swapdb,
        )
    },
    Command {
        propagate: Some(TTL_PROPAGATE),
        ..single_key("expire", -3, WRITE | FAST, W_FAST, expire)
    },
    Command {
        propagate: Some(TTL_PROPAGATE),
        ..single_key("pexpire", -3, WRITE | FAST, W_FAST, pexpire)
    },
    Command {
        propagate: Some(TTL_PROPAGATE),
        ..single_key("expireat", -3, WRITE | FAST, W_FAST, expireat)
    },
    Command {
        propagate: Some(TTL_PROPAGATE),
        ..single_key("pexpireat", -3, WRITE | FAST, W_FAST, pexpireat)
    },
    single_key("ttl", 2, READONLY | FAST, R_FAST, ttl),
    single_key("pttl", 2, READONLY | FAST, R_FAST, pttl),
    single_key("expiretime", 2, READONLY | FAST, R_FAST, expiretime),
    single_key("pexpiretime", 2, READONLY | FAST, R_FAST, pexpiretime),
    single_key("persist", 2, WRITE | FAST, W_FAST, persist),
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        subcommands: OBJECT_SUBCOMMANDS,
        ..single_key("object", -2, 0, &["slow"], object_help)
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        ..single_key("dbsize", 1, READONLY | FAST, R_FAST, dbsize)
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        touch: Some(flushall_touch),
        ..single_key(
            "flushall",
            -1,
            WRITE | ALL_DBS,
            &["keyspace", "write", "slow", "dangerous"],
            flushall,
        )
    },
    Command {
        first_key: 0,
        last_key: 0,
        step: 0,
        touch: Some(flushdb_touch),
        ..single_key(
            "flushdb",
            -1,
            WRITE | ALL_DBS,
            &["keyspace", "write", "slow", "dangerous"],
            flushdb,
        )
    },
];

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"abc"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"1x"), None);
        assert_eq!(parse_cursor(b"-"), None);
    }
}

#[cfg(test)]
mod stats_tests {
    use crate::config::Config;
    use crate::dispatch::execute;
    use crate::resp::Reply;
    use crate::server::client::Client;
    use crate::server::Server;

    fn run(srv: &mut Server, c: &mut Client, args: &[&str]) -> Reply {
        let mut a: Vec<Vec<u8>> = args.iter().map(|s| s.as_bytes().to_vec()).collect();
        execute(srv, c, &mut a)
    }

    #[test]
    fn hits_misses_expired_and_dirty() {
        let mut srv = Server::new(Config::default(), crate::cmd::all_commands());
        let mut c = Client::new(1, 0, None, srv.now_ms);
        run(&mut srv, &mut c, &["MSET", "a", "1", "b", "2"]);
        assert_eq!(srv.role.dirty, 2);
        run(&mut srv, &mut c, &["GET", "a"]);
        run(&mut srv, &mut c, &["GET", "zz"]);
        run(&mut srv, &mut c, &["MGET", "a", "b", "zz"]);
        run(&mut srv, &mut c, &["EXISTS", "a", "zz"]);
        run(&mut srv, &mut c, &["INCR", "a"]); // write lookup: no stats
        assert_eq!(srv.stats.keyspace_hits, 1 + 2 + 1);
        assert_eq!(srv.stats.keyspace_misses, 1 + 1 + 1);
        assert_eq!(srv.role.dirty, 3);
        run(&mut srv, &mut c, &["DEL", "a", "b", "zz"]);
        assert_eq!(srv.role.dirty, 5);
        run(&mut srv, &mut c, &["SET", "v", "x", "PX", "10"]);
        srv.now_ms += 20;
        assert_eq!(run(&mut srv, &mut c, &["GET", "v"]), Reply::Nil);
        assert_eq!(srv.stats.expired_keys, 1);
        run(&mut srv, &mut c, &["SET", "w", "x", "PX", "10"]);
        srv.now_ms += 20;
        let now = srv.now_ms;
        crate::node::expire::active_expire_cycle(&mut srv, now);
        assert_eq!(srv.stats.expired_keys, 2);
        assert_eq!(srv.role.keyspace.dbs[0].len(), 0);
    }
}
