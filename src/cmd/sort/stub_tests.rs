//! SORT end to end on values built directly from the STUB collection types (their public
//! fields), because the collection commands are written in other branches. After the merge
//! the stub fields are gone: delete this file and its `mod` line in sort.rs;
//! tests/scripts/sort.txt (renamed from sort.txt.after-merge) covers the same cases.
use crate::config::Config;
use crate::db::{Hash, List, Set, Value, ZSet};
use crate::resp::Reply;
use crate::server::client::Client;
use crate::server::{execute, Server};

fn run(srv: &mut Server, c: &mut Client, line: &str) -> Reply {
    let mut a: Vec<Vec<u8>> = line.split(' ').map(|s| s.as_bytes().to_vec()).collect();
    execute(srv, c, &mut a)
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| Reply::bulk(s.as_bytes())).collect())
}

fn bytes(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn setup() -> (Server, Client) {
    let mut srv = Server::new(Config::default());
    let c = Client::new(1, 0, None, srv.now_ms);
    let now = srv.now_ms;
    let db = &mut srv.keyspace.dbs[0];
    let list = List::from_vec(bytes(&["3", "1", "2", "10"]));
    db.set(b"l".to_vec(), Value::List(list), false, now);
    let set = Set {
        members: bytes(&["b", "a", "c"]),
    };
    db.set(b"s".to_vec(), Value::Set(set), false, now);
    let zset = ZSet {
        entries: vec![
            (b"x".to_vec(), 1.0),
            (b"y".to_vec(), 2.0),
            (b"z".to_vec(), 3.0),
        ],
    };
    db.set(b"z".to_vec(), Value::ZSet(zset), false, now);
    for (k, f) in [("h_1", "9"), ("h_2", "7"), ("h_3", "8")] {
        let h = Hash {
            pairs: vec![
                (b"f".to_vec(), f.as_bytes().to_vec()),
                (b"n".to_vec(), k.as_bytes().to_vec()),
            ],
        };
        db.set(k.as_bytes().to_vec(), Value::Hash(h), false, now);
    }
    db.set(b"w_a".to_vec(), Value::string(b"3".to_vec()), false, now);
    db.set(b"w_b".to_vec(), Value::string(b"1".to_vec()), false, now);
    (srv, c)
}

#[test]
fn sorts_each_type() {
    let (mut srv, mut c) = setup();
    assert_eq!(
        run(&mut srv, &mut c, "SORT l"),
        bulks(&["1", "2", "3", "10"])
    );
    assert_eq!(
        run(&mut srv, &mut c, "SORT l ALPHA DESC"),
        bulks(&["3", "2", "10", "1"])
    );
    assert_eq!(
        run(&mut srv, &mut c, "SORT l LIMIT 1 2"),
        bulks(&["2", "3"])
    );
    assert_eq!(
        run(&mut srv, &mut c, "SORT l BY nosort DESC LIMIT 1 2"),
        bulks(&["2", "1"])
    );
    assert_eq!(
        run(&mut srv, &mut c, "SORT_RO s ALPHA"),
        bulks(&["a", "b", "c"])
    );
    assert_eq!(
        run(&mut srv, &mut c, "SORT s"),
        Reply::err("ERR One or more scores can't be converted into double")
    );
    assert_eq!(
        run(&mut srv, &mut c, "SORT s BY w_*"),
        bulks(&["c", "b", "a"])
    );
    assert_eq!(
        run(&mut srv, &mut c, "SORT z BY nosort DESC"),
        bulks(&["z", "y", "x"])
    );
    assert_eq!(run(&mut srv, &mut c, "SORT w_a"), Reply::wrong_type());
}

#[test]
fn by_and_get_hash_fields() {
    let (mut srv, mut c) = setup();
    assert_eq!(
        run(&mut srv, &mut c, "SORT l BY h_*->f GET # GET h_*->n"),
        Reply::Array(vec![
            Reply::bulk("10"),
            Reply::Nil,
            Reply::bulk("2"),
            Reply::bulk("h_2"),
            Reply::bulk("3"),
            Reply::bulk("h_3"),
            Reply::bulk("1"),
            Reply::bulk("h_1"),
        ])
    );
}

#[test]
fn store_writes_a_list_and_counts_dirty() {
    let (mut srv, mut c) = setup();
    let before = srv.dirty;
    assert_eq!(
        run(&mut srv, &mut c, "SORT l DESC GET h_*->f STORE dst"),
        Reply::Int(4)
    );
    assert_eq!(srv.dirty - before, 4);
    let now = srv.now_ms;
    let got = srv.keyspace.dbs[0]
        .get(b"dst", now)
        .and_then(|e| e.value.as_list().map(|l| l.members()));
    assert_eq!(got, Some(bytes(&["", "8", "7", "9"])));
    assert_eq!(run(&mut srv, &mut c, "SORT nokey STORE dst"), Reply::Int(0));
    assert!(srv.keyspace.dbs[0].get(b"dst", now).is_none());
    assert_eq!(srv.dirty - before, 5);
}
