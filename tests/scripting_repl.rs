//! Scripts and replication, both ways with a real Redis 7.0: a script's writes reach replicas
//! as their effects (MULTI ... EXEC, never the script), so a real Redis replica of an oxidis
//! master and an oxidis replica of a real Redis master end with the same dataset, random
//! choices (SPOP, math.random) and time included.
mod common;
mod repl_util;

use common::*;
use repl_util::{assert_same_keys, node, wait_in_sync};

/// Scripts that write every way a script can: several types, other databases (SELECT), TTLs,
/// random choices, float arithmetic, errors caught with pcall, a write inside MULTI/EXEC,
/// a read-only script, and EVALSHA of a cached script.
fn run_scripts(m: &mut Conn) {
    let scripts: &[&[&str]] = &[
        &["SADD", "pool", "a", "b", "c", "d", "e", "f"],
        &[
            "EVAL",
            "redis.call('set', KEYS[1], ARGV[1]) redis.call('incr', KEYS[2]) \
             redis.call('rpush', KEYS[3], 'x', 'y') redis.call('expire', KEYS[1], 1000) \
             return redis.call('spop', 'pool')",
            "3",
            "s:str",
            "s:int",
            "s:list",
            "hello",
        ],
        &[
            "EVAL",
            "redis.call('select', 3) redis.call('set', 'in3', math.random(1000000)) \
             redis.call('select', 5) redis.call('hset', 'h5', 'f', tostring(math.random()))",
            "0",
        ],
        &[
            "EVAL",
            "redis.call('incrbyfloat', 'f', 1.1) redis.call('zadd', 'z', 1.5, 'a', 2.5, 'b') \
             redis.pcall('incr', 'z') redis.call('zincrby', 'z', 3, 'a') \
             redis.call('set', 't', redis.call('time')[1]) return 1",
            "0",
        ],
        &["MULTI"],
        &["SET", "before", "1"],
        &["EVAL", "redis.call('set', 'inside', 'tx') return 1", "0"],
        &["EXEC"],
        &["EVAL_RO", "return redis.call('get', 's:str')", "0"],
        &["EVAL", "redis.call('set', 'partial', 1) error('stop')", "0"],
        &[
            "EVAL",
            "redis.call('del', 's:list') redis.call('lpush', 's:list', 'z')",
            "0",
        ],
    ];
    for s in scripts {
        m.cmd(s);
    }
    // EVALSHA of the loaded script by its real digest.
    let sha = m.s(&[
        "SCRIPT",
        "LOAD",
        "return redis.call('incrby', KEYS[1], ARGV[1])",
    ]);
    let sha = sha.lines().nth(1).unwrap_or_default().to_string();
    for _ in 0..5 {
        let r = m.s(&["EVALSHA", &sha, "1", "counter", "7"]);
        assert!(r.starts_with(':'), "EVALSHA replied {r}");
    }
}

/// A real Redis replica and an oxidis replica of `master`, both with DEBUG enabled.
fn replicas_of(master: &Proc) -> (Proc, Proc) {
    let port = master.port.to_string();
    let redis = start_redis(&[
        "--enable-debug-command",
        "yes",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    (redis, node(Some(master), &[]))
}

#[test]
fn oxidis_master_scripts_reach_redis_and_oxidis_replicas() {
    if !have_redis() {
        return;
    }
    let master = node(None, &[]);
    let (redis_replica, oxidis_replica) = replicas_of(&master);
    let mut m = master.conn();
    run_scripts(&mut m);
    for r in [&redis_replica, &oxidis_replica] {
        let mut rc = r.conn();
        wait_in_sync(&mut m, &mut rc);
        assert_same_keys(&mut m, &mut rc);
    }
    // The script itself never reaches a replica: the partial write before an error does.
    let mut rc = redis_replica.conn();
    assert_eq!(rc.s(&["GET", "partial"]), "$1\r\n1\r\n");
    assert_eq!(rc.s(&["GET", "inside"]), "$2\r\ntx\r\n");
    assert_eq!(rc.s(&["GET", "counter"]), "$2\r\n35\r\n");
    // redis.set_repl(REPL_NONE) keeps the writes that follow on the master only.
    m.cmd(&[
        "EVAL",
        "redis.set_repl(redis.REPL_NONE) redis.call('set', 'local-only', 1) \
         redis.set_repl(redis.REPL_ALL) redis.call('set', 'everywhere', 1)",
        "0",
    ]);
    assert!(wait_until(10, || rc.s(&["EXISTS", "everywhere"]) == ":1\r\n"));
    assert_eq!(rc.s(&["EXISTS", "local-only"]), ":0\r\n");
    assert_eq!(m.s(&["EXISTS", "local-only"]), ":1\r\n");
}

#[test]
fn redis_master_scripts_reach_oxidis_replica() {
    if !have_redis() {
        return;
    }
    let master = start_redis(&["--enable-debug-command", "yes"]);
    let replica = node(Some(&master), &[]);
    let mut m = master.conn();
    run_scripts(&mut m);
    let mut rc = replica.conn();
    wait_in_sync(&mut m, &mut rc);
    assert_same_keys(&mut m, &mut rc);
}

const LIB: &str = "#!lua name=counters\n\
    redis.register_function('bump', function(keys, args) \
    return redis.call('incrby', keys[1], args[1]) end)\n\
    redis.register_function{function_name='peek', callback=function(keys) \
    return redis.call('get', keys[1]) end, flags={'no-writes'}, description='read'}";

const LIB2: &str = "#!lua name=later\n\
    redis.register_function('stamp', function(keys) \
    redis.call('select', 2) return redis.call('set', keys[1], redis.call('time')[1]) end)";

/// The libraries of `c` as FUNCTION DUMP gives them (their code; a listing's order of
/// functions is a hash order in Redis).
fn libraries(c: &mut Conn) -> String {
    c.s(&["FUNCTION", "DUMP"])
}

/// Functions reach replicas both in the full sync (loaded before they attach) and in the
/// stream (loaded after), and FCALL writes reach them as effects, both ways with Redis.
#[test]
fn functions_replicate_both_ways() {
    if !have_redis() {
        return;
    }
    for master_is_redis in [false, true] {
        let master = if master_is_redis {
            start_redis(&["--enable-debug-command", "yes"])
        } else {
            node(None, &[])
        };
        let mut m = master.conn();
        assert_eq!(m.s(&["FUNCTION", "LOAD", LIB]), "$8\r\ncounters\r\n");
        let (redis_replica, oxidis_replica) = replicas_of(&master);
        for _ in 0..3 {
            assert!(m.s(&["FCALL", "bump", "1", "c", "5"]).starts_with(':'));
        }
        assert_eq!(m.s(&["FUNCTION", "LOAD", LIB2]), "$5\r\nlater\r\n");
        m.cmd(&["FCALL", "stamp", "1", "t"]);
        for r in [&redis_replica, &oxidis_replica] {
            let mut rc = r.conn();
            wait_in_sync(&mut m, &mut rc);
            assert_same_keys(&mut m, &mut rc);
            // One library at a time, by its code: the order of libraries and functions in a
            // listing is a hash order in Redis.
            for lib in ["counters", "later"] {
                let code = |c: &mut Conn| {
                    let l = c.s(&["FUNCTION", "LIST", "LIBRARYNAME", lib, "WITHCODE"]);
                    l.split("library_code")
                        .nth(1)
                        .unwrap_or_default()
                        .to_string()
                };
                let want = code(&mut m);
                assert!(!want.is_empty(), "library {lib} on the master");
                assert_eq!(want, code(&mut rc), "library {lib}");
            }
            assert_eq!(rc.s(&["FCALL_RO", "peek", "1", "c"]), "$2\r\n15\r\n");
        }
        assert_eq!(m.s(&["FUNCTION", "DELETE", "later"]), "+OK\r\n");
        let mut rc = oxidis_replica.conn();
        wait_in_sync(&mut m, &mut rc);
        assert_eq!(libraries(&mut m), libraries(&mut rc));
    }
}

/// A dump with function libraries written by one server loads in the other, both ways.
#[test]
fn functions_in_rdb_both_ways() {
    if !have_redis() {
        return;
    }
    for writer_is_redis in [false, true] {
        let writer = if writer_is_redis {
            start_redis(&[])
        } else {
            start_oxidis(&[])
        };
        let mut w = writer.conn();
        w.cmd(&["FUNCTION", "LOAD", LIB]);
        w.cmd(&["FCALL", "bump", "1", "c", "7"]);
        let dir = writer.dir.path().display().to_string();
        w.cmd(&["CONFIG", "SET", "dir", &dir]);
        assert_eq!(w.s(&["SAVE"]), "+OK\r\n");
        let want = libraries(&mut w);
        let args = ["--dir", dir.as_str(), "--dbfilename", "dump.rdb"];
        let reader = if writer_is_redis {
            start_oxidis(&args)
        } else {
            start_redis(&args)
        };
        let mut r = reader.conn();
        assert_eq!(libraries(&mut r), want, "libraries after loading");
        assert_eq!(r.s(&["FCALL", "bump", "1", "c", "1"]), ":8\r\n");
    }
}

/// On a read-only replica, scripts and functions that declare they may write are refused up
/// front, those without a declaration fail at their first write, read-only ones run: the same
/// replies from an oxidis replica and a Redis replica of one master.
#[test]
fn scripts_on_read_only_replicas_as_redis() {
    if !have_redis() {
        return;
    }
    let master = node(None, &[]);
    let mut m = master.conn();
    m.cmd(&["FUNCTION", "LOAD", LIB]);
    m.cmd(&["SET", "c", "4"]);
    let port = master.port.to_string();
    let redis_replica = start_redis(&["--replicaof", "127.0.0.1", &port]);
    let oxidis_replica = node(Some(&master), &[]);
    let calls: &[&[&str]] = &[
        &["EVAL", "return redis.call('set', 'a', 'b')", "0"],
        &["EVAL", "return redis.call('get', 'c')", "0"],
        &["EVAL", "#!lua\nreturn redis.call('set', 'a', 'b')", "0"],
        &[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get', 'c')",
            "0",
        ],
        &["EVAL_RO", "#!lua\nreturn 1", "0"],
        &["EVAL_RO", "return redis.call('get', 'c')", "0"],
        &["FCALL", "bump", "1", "c", "1"],
        &["FCALL", "peek", "1", "c"],
        &["FCALL_RO", "bump", "1", "c", "1"],
        &["FCALL_RO", "peek", "1", "c"],
    ];
    let mut replies = Vec::new();
    for r in [&oxidis_replica, &redis_replica] {
        let mut rc = r.conn();
        assert!(wait_until(20, || rc.s(&["GET", "c"]) == "$1\r\n4\r\n"));
        replies.push(calls.iter().map(|c| rc.s(c)).collect::<Vec<_>>());
    }
    assert_eq!(
        replies[0], replies[1],
        "oxidis replica (left), redis replica (right)"
    );
    assert!(replies[0][2].starts_with("-READONLY"), "{:?}", replies[0]);
}

/// On a replica whose master is gone and that serves no stale data, only scripts and
/// functions that declare `allow-stale` run, and inside them only commands flagged `stale`:
/// the same replies as a Redis replica in that state.
#[test]
fn scripts_on_stale_replicas_as_redis() {
    if !have_redis() {
        return;
    }
    // Nothing listens there: the replicas' links stay down. (Set at runtime: a stale
    // replica refuses the PING the harness waits on.)
    let dead = free_port().to_string();
    let calls: &[&[&str]] = &[
        &["EVAL", "return 1", "0"],
        &["EVAL", "#!lua\nreturn 1", "0"],
        &["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
        &["EVAL", "#!lua flags=no-writes,allow-stale\nreturn 1", "0"],
        &[
            "EVAL",
            "#!lua flags=no-writes,allow-stale\nreturn redis.call('get','x')",
            "0",
        ],
        &["FCALL", "missing", "0"],
    ];
    let mut replies = Vec::new();
    for p in [start_oxidis(&[]), start_redis(&[])] {
        let mut c = p.conn();
        assert_eq!(
            c.s(&["CONFIG", "SET", "replica-serve-stale-data", "no"]),
            "+OK\r\n"
        );
        assert_eq!(c.s(&["REPLICAOF", "127.0.0.1", &dead]), "+OK\r\n");
        replies.push(calls.iter().map(|a| c.s(a)).collect::<Vec<_>>());
    }
    assert_eq!(replies[0], replies[1], "oxidis (left), redis (right)");
    assert!(replies[0][0].starts_with("-MASTERDOWN"), "{:?}", replies[0]);
    assert_eq!(replies[0][3], ":1\r\n");
}
