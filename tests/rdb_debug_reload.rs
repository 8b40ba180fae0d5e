//! DEBUG RELOAD (implemented with the persistence commands) against a real redis-server: after saving and loading back, every value, TTL
//! and encoding is unchanged (DEBUG DIGEST, OBJECT ENCODING and TTL replies equal Redis's), the
//! RDB file is left in `dir`, and the option errors match.
mod common;

use common::*;

fn script() -> Vec<Vec<String>> {
    let mut c: Vec<Vec<String>> = Vec::new();
    let v = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    c.push(v(&["SET", "s", "hello"]));
    c.push(v(&["SET", "n", "12345"]));
    c.push(v(&["SET", "ttl", "x", "EX", "1000"]));
    c.push(v(&["RPUSH", "l", "a", "b", "1"]));
    let mut big = v(&["RPUSH", "lbig"]);
    big.extend((0..3000).map(|i| format!("e{i}")));
    c.push(big);
    c.push(v(&["HSET", "h", "f", "v", "g", "1"]));
    let mut hb = v(&["HSET", "hbig"]);
    for i in 0..600 {
        hb.push(format!("f{i}"));
        hb.push(format!("{i}"));
    }
    c.push(hb);
    c.push(v(&["SADD", "si", "1", "2", "70000"]));
    c.push(v(&["SADD", "ss", "a", "b"]));
    c.push(v(&["ZADD", "z", "1", "a", "2.5", "b"]));
    let mut zb = v(&["ZADD", "zbig"]);
    for i in 0..200 {
        zb.push(format!("{i}.5"));
        zb.push(format!("m{i}"));
    }
    c.push(zb);
    c.push(v(&["SELECT", "2"]));
    c.push(v(&["SET", "db2", "x"]));
    c.push(v(&["SELECT", "0"]));
    c.push(v(&["DEBUG", "DIGEST"]));
    c.push(v(&["DEBUG", "RELOAD"]));
    c.push(v(&["DEBUG", "DIGEST"]));
    c.push(v(&["DBSIZE"]));
    for k in ["s", "n", "l", "lbig", "h", "hbig", "si", "ss", "z", "zbig"] {
        c.push(v(&["OBJECT", "ENCODING", k]));
    }
    c.push(v(&["TTL", "ttl"]));
    c.push(v(&["DEBUG", "RELOAD", "BADOPT"]));
    c.push(v(&["SET", "extra", "1"]));
    // NOSAVE reloads the file written above: the key set after it is gone.
    c.push(v(&["DEBUG", "RELOAD", "NOSAVE"]));
    c.push(v(&["EXISTS", "extra"]));
    c.push(v(&["SET", "extra", "1"]));
    c.push(v(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]));
    c.push(v(&["EXISTS", "extra"]));
    c.push(v(&["DEBUG", "DIGEST"]));
    c
}

#[test]
fn debug_reload_keeps_everything_as_redis_does() {
    if !have_redis() {
        return;
    }
    let args = ["--enable-debug-command", "yes"];
    let ox = start_oxidis(&args);
    let rd = start_redis(&args);
    let (mut o, mut r) = (ox.conn(), rd.conn());
    let mut bad = Vec::new();
    for cmd in script() {
        let a: Vec<&str> = cmd.iter().map(|s| s.as_str()).collect();
        let (x, y) = (o.cmd(&a), r.cmd(&a));
        if x != y {
            bad.push(format!(
                "{cmd:?}: oxidis {:?} redis {:?}",
                String::from_utf8_lossy(&x),
                String::from_utf8_lossy(&y)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        ox.path("dump.rdb").exists(),
        "DEBUG RELOAD left no dump.rdb"
    );
}

#[test]
fn debug_reload_nosave_without_a_file_fails_cleanly() {
    let ox = start_oxidis(&["--enable-debug-command", "yes", "--dbfilename", "none.rdb"]);
    let mut o = ox.conn();
    o.cmd(&["SET", "k", "v"]);
    assert_eq!(
        o.s(&["DEBUG", "RELOAD", "NOSAVE"]),
        "-ERR Error trying to load the RDB dump\r\n"
    );
}
