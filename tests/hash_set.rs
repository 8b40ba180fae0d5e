//! Black-box tests of hashes and sets where the differential scripts cannot compare replies:
//! random picks (SPOP, SRANDMEMBER, HRANDFIELD) must be distinct or repeated as specified and
//! come from the collection, and HSCAN/SSCAN over hash tables must report every element with
//! any COUNT, even while the table grows.
mod common;
use common::*;
use std::collections::{HashMap, HashSet};

/// Bulk strings of a reply, in order (nested arrays flattened; the cursor of a SCAN included).
fn bulks(r: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(r).to_string();
    let lines: Vec<&str> = text.split("\r\n").collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with('$') && lines[i] != "$-1" {
            out.push(lines[i + 1].to_string());
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

fn int(r: &[u8]) -> i64 {
    String::from_utf8_lossy(r)
        .trim()
        .trim_start_matches(':')
        .parse()
        .unwrap()
}

/// Every element of a full SCAN-like iteration (`cmd key cursor COUNT n`).
fn scan_all(c: &mut Conn, cmd: &str, key: &str, count: &str) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    loop {
        let r = bulks(&c.cmd(&[cmd, key, &cursor, "COUNT", count]));
        cursor = r[0].clone();
        seen.extend(r[1..].iter().cloned());
        if cursor == "0" {
            return seen;
        }
    }
}

#[test]
fn scans_of_hash_tables_see_everything() {
    let ox = start_oxidis(&[]);
    let mut c = ox.conn();
    for i in 0..1000 {
        c.cmd(&["HSET", "h", &format!("f{i}"), &format!("v{i}")]);
        c.cmd(&["SADD", "s", &format!("m{i}")]);
    }
    assert_eq!(c.s(&["OBJECT", "ENCODING", "h"]), "$9\r\nhashtable\r\n");
    for count in ["1", "7", "100"] {
        let pairs = scan_all(&mut c, "HSCAN", "h", count);
        let map: HashMap<_, _> = pairs
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        assert_eq!(map.len(), 1000);
        assert!(map.iter().all(|(f, v)| f[1..] == v[1..]));
        let members: HashSet<_> = scan_all(&mut c, "SSCAN", "s", count).into_iter().collect();
        assert_eq!(members.len(), 1000);
    }
    // Elements present for the whole scan are reported even when the table grows meanwhile.
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut added = 0;
    loop {
        let r = bulks(&c.cmd(&["SSCAN", "s", &cursor, "COUNT", "5"]));
        cursor = r[0].clone();
        seen.extend(r[1..].iter().cloned());
        if added < 3000 {
            for _ in 0..50 {
                c.cmd(&["SADD", "s", &format!("n{added}")]);
                added += 1;
            }
        }
        if cursor == "0" {
            break;
        }
    }
    assert!((0..1000).all(|i| seen.contains(&format!("m{i}"))));
}

#[test]
fn random_picks_follow_the_count_rules() {
    let ox = start_oxidis(&[]);
    let mut c = ox.conn();
    for key_fill in [("small", 5), ("big", 600)] {
        let (key, n) = key_fill;
        let hkey = format!("h{key}");
        for i in 0..n {
            c.cmd(&["SADD", key, &i.to_string()]);
            c.cmd(&["HSET", &hkey, &format!("f{i}"), &i.to_string()]);
        }
        for count in [1, 3, n - 1, n, n + 5] {
            let r = bulks(&c.cmd(&["SRANDMEMBER", key, &count.to_string()]));
            let distinct: HashSet<_> = r.iter().collect();
            assert_eq!(r.len(), count.min(n), "SRANDMEMBER {key} {count}");
            assert_eq!(distinct.len(), r.len());
            assert!(r.iter().all(|m| m.parse::<usize>().unwrap() < n));
            let r = bulks(&c.cmd(&["HRANDFIELD", &hkey, &count.to_string(), "WITHVALUES"]));
            assert_eq!(r.len(), 2 * count.min(n));
            let fields: HashSet<_> = r.chunks(2).map(|p| p[0].clone()).collect();
            assert_eq!(fields.len(), count.min(n));
            assert!(r.chunks(2).all(|p| p[0][1..] == p[1]));
        }
        let r = bulks(&c.cmd(&["SRANDMEMBER", key, "-20"]));
        assert_eq!(r.len(), 20);
        let r = bulks(&c.cmd(&["HRANDFIELD", &hkey, "-20"]));
        assert_eq!(r.len(), 20);
        // SPOP removes exactly what it returns, whichever strategy it picks.
        let mut left: HashSet<String> = (0..n).map(|i| i.to_string()).collect();
        for count in [1, 2, n / 2] {
            let popped = bulks(&c.cmd(&["SPOP", key, &count.to_string()]));
            assert_eq!(popped.len(), count);
            for m in &popped {
                assert!(left.remove(m), "{m} popped twice or never there");
            }
            assert_eq!(int(&c.cmd(&["SCARD", key])) as usize, left.len());
        }
        for m in &left {
            assert_eq!(c.s(&["SISMEMBER", key, m]), ":1\r\n");
        }
        let rest = bulks(&c.cmd(&["SPOP", key, "1000"]));
        assert_eq!(rest.len(), left.len());
        assert_eq!(c.s(&["EXISTS", key]), ":0\r\n");
    }
}
