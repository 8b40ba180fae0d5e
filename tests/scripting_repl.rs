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

#[test]
fn oxidis_master_scripts_reach_redis_and_oxidis_replicas() {
    if !have_redis() {
        return;
    }
    let master = node(None, &[]);
    let port = master.port.to_string();
    let redis_replica = start_redis(&[
        "--enable-debug-command",
        "yes",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    let oxidis_replica = node(Some(&master), &[]);
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
