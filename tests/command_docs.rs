//! COMMAND DOCS against a real redis-server: for every command and subcommand oxidis lists in
//! COMMAND LIST, the documentation (summary, since, group, complexity, doc_flags, deprecation,
//! history, argument tree, subcommands) must be the one Redis 7.0 reports, in RESP2 and RESP3.
mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};

/// A parsed RESP reply (RESP2 or RESP3; attributes are not expected here).
#[derive(Debug, Clone)]
enum Val {
    Str(String),
    Int(i64),
    Nil,
    List(Vec<Val>),
    Map(Vec<(Val, Val)>),
}

fn parse(b: &[u8], i: &mut usize) -> Val {
    let end = *i + b[*i..].windows(2).position(|w| w == b"\r\n").unwrap();
    let t = b[*i];
    let body = String::from_utf8_lossy(&b[*i + 1..end]).to_string();
    *i = end + 2;
    match t {
        b'+' | b'-' => Val::Str(body),
        b':' => Val::Int(body.parse().unwrap()),
        b'_' => Val::Nil,
        b'$' | b'=' => {
            let n: i64 = body.parse().unwrap();
            if n < 0 {
                return Val::Nil;
            }
            let s = String::from_utf8_lossy(&b[*i..*i + n as usize]).to_string();
            *i += n as usize + 2;
            Val::Str(s)
        }
        b'*' | b'~' => {
            let n: i64 = body.parse().unwrap();
            Val::List((0..n.max(0)).map(|_| parse(b, i)).collect())
        }
        b'%' => {
            let n: usize = body.parse().unwrap();
            Val::Map((0..n).map(|_| (parse(b, i), parse(b, i))).collect())
        }
        _ => panic!("unexpected RESP type {}", t as char),
    }
}

fn parse_all(b: &[u8]) -> Val {
    let mut i = 0;
    let v = parse(b, &mut i);
    assert_eq!(i, b.len(), "trailing bytes after reply");
    v
}

/// A reply normalised for comparison: maps keyed by name (order-insensitive), lists ordered.
#[derive(Debug, Clone, PartialEq)]
enum Norm {
    Leaf(String),
    List(Vec<Norm>),
    Map(BTreeMap<String, Norm>),
}

fn key_of(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        other => panic!("map key is not a string: {other:?}"),
    }
}

/// Pairs of a map, whether sent as a RESP3 map or a RESP2 flat array.
fn pairs(v: &Val) -> Vec<(String, Val)> {
    match v {
        Val::Map(p) => p.iter().map(|(k, v)| (key_of(k), v.clone())).collect(),
        Val::List(l) => {
            assert!(l.len() % 2 == 0, "odd-length flat map: {l:?}");
            l.chunks(2).map(|c| (key_of(&c[0]), c[1].clone())).collect()
        }
        other => panic!("expected a map, got {other:?}"),
    }
}

fn plain(v: &Val) -> Norm {
    match v {
        Val::Str(s) => Norm::Leaf(s.clone()),
        Val::Int(n) => Norm::Leaf(format!(":{n}")),
        Val::Nil => Norm::Leaf("(nil)".into()),
        Val::List(l) => Norm::List(l.iter().map(plain).collect()),
        Val::Map(p) => Norm::Map(p.iter().map(|(k, v)| (key_of(k), plain(v))).collect()),
    }
}

fn norm_arg(v: &Val) -> Norm {
    let mut m = BTreeMap::new();
    for (k, v) in pairs(v) {
        let n = if k == "arguments" {
            norm_args(&v)
        } else {
            plain(&v)
        };
        assert!(m.insert(k.clone(), n).is_none(), "duplicate field {k}");
    }
    Norm::Map(m)
}

fn norm_args(v: &Val) -> Norm {
    match v {
        Val::List(l) => Norm::List(l.iter().map(norm_arg).collect()),
        other => panic!("arguments is not a list: {other:?}"),
    }
}

/// One command's doc map; `keep` limits `subcommands` to the names oxidis implements.
fn norm_doc(v: &Val, keep: &BTreeSet<String>) -> Norm {
    let mut m = BTreeMap::new();
    for (k, v) in pairs(v) {
        let n = match k.as_str() {
            "arguments" => norm_args(&v),
            "subcommands" => norm_docs(&v, keep),
            _ => plain(&v),
        };
        assert!(m.insert(k.clone(), n).is_none(), "duplicate field {k}");
    }
    Norm::Map(m)
}

/// A COMMAND DOCS reply: name -> doc, only for names in `keep`.
fn norm_docs(v: &Val, keep: &BTreeSet<String>) -> Norm {
    Norm::Map(
        pairs(v)
            .into_iter()
            .filter(|(k, _)| keep.contains(k))
            .map(|(k, v)| (k, norm_doc(&v, keep)))
            .collect(),
    )
}

/// Every difference between `a` (oxidis) and `b` (redis), with its path.
fn diff(path: &str, a: &Norm, b: &Norm, out: &mut Vec<String>) {
    match (a, b) {
        (Norm::Map(x), Norm::Map(y)) => {
            for k in x.keys().chain(y.keys()).collect::<BTreeSet<_>>() {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff(&p, va, vb, out),
                    (Some(va), None) => out.push(format!("{p}: only oxidis has {va:?}")),
                    (None, Some(vb)) => out.push(format!("{p}: only redis has {vb:?}")),
                    (None, None) => {}
                }
            }
        }
        (Norm::List(x), Norm::List(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path}: oxidis {a:?} != redis {b:?}")),
    }
}

fn names_of(v: &Val) -> Vec<String> {
    match v {
        Val::List(l) => l.iter().map(key_of).collect(),
        other => panic!("COMMAND LIST is not a list: {other:?}"),
    }
}

fn compare_protocol(proto: &str) {
    let ox = start_oxidis(&[]);
    let rd = start_redis(&[]);
    let (mut o, mut r) = (ox.conn(), rd.conn());
    o.cmd(&["HELLO", proto]);
    r.cmd(&["HELLO", proto]);
    let names = names_of(&parse_all(&o.cmd(&["COMMAND", "LIST"])));
    assert!(names.len() > 50, "COMMAND LIST too short: {names:?}");
    let keep: BTreeSet<String> = names.iter().cloned().collect();
    let mut diffs = Vec::new();
    for name in &names {
        let a_raw = o.cmd(&["COMMAND", "DOCS", name]);
        let b_raw = r.cmd(&["COMMAND", "DOCS", name]);
        let a = norm_docs(&parse_all(&a_raw), &keep);
        let b = norm_docs(&parse_all(&b_raw), &keep);
        match &b {
            Norm::Map(m) if m.contains_key(name) => {}
            _ => diffs.push(format!("{name}: redis-server does not document it")),
        }
        diff(name, &a, &b, &mut diffs);
        // Without subcommands the reply must be byte-for-byte Redis's (field order included).
        let container = a_raw.windows(11).any(|w| w == b"subcommands");
        if !container && a_raw != b_raw {
            diffs.push(format!(
                "{name}: same structure but different bytes:\n  oxidis {:?}\n  redis  {:?}",
                String::from_utf8_lossy(&a_raw),
                String::from_utf8_lossy(&b_raw)
            ));
        }
    }
    // COMMAND DOCS with no argument: every top-level command, same documentation.
    let a = norm_docs(&parse_all(&o.cmd(&["COMMAND", "DOCS"])), &keep);
    let b = norm_docs(&parse_all(&r.cmd(&["COMMAND", "DOCS"])), &keep);
    diff("(all)", &a, &b, &mut diffs);
    if let Norm::Map(m) = &a {
        let top: BTreeSet<&String> = names.iter().filter(|n| !n.contains('|')).collect();
        assert_eq!(m.keys().collect::<BTreeSet<_>>(), top);
    }
    assert!(
        diffs.is_empty(),
        "RESP{proto}: {} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn command_docs_match_redis_resp2() {
    if !have_redis() {
        return;
    }
    compare_protocol("2");
}

#[test]
fn command_docs_match_redis_resp3() {
    if !have_redis() {
        return;
    }
    compare_protocol("3");
}

#[test]
fn set_arguments_shape() {
    let ox = start_oxidis(&[]);
    let mut c = ox.conn();
    let v = parse_all(&c.cmd(&["COMMAND", "DOCS", "set"]));
    let docs = pairs(&v);
    let doc: BTreeMap<String, Val> = pairs(&docs[0].1).into_iter().collect();
    let Some(Val::List(args)) = doc.get("arguments") else {
        panic!("no arguments: {doc:?}");
    };
    let first: BTreeMap<String, Val> = pairs(&args[0]).into_iter().collect();
    assert!(matches!(first.get("name"), Some(Val::Str(s)) if s == "key"));
    assert!(matches!(first.get("type"), Some(Val::Str(s)) if s == "key"));
    assert!(matches!(first.get("key_spec_index"), Some(Val::Int(0))));
    // DBSIZE takes no argument: Redis omits the field.
    let v = parse_all(&c.cmd(&["COMMAND", "DOCS", "dbsize"]));
    let doc: BTreeMap<String, Val> = pairs(&pairs(&v)[0].1).into_iter().collect();
    assert!(!doc.contains_key("arguments"), "{doc:?}");
}
