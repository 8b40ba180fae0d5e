//! Randomized differential test of the sorted-set commands: the same random sequence of ZADD,
//! ZREM, ranges, pops, set operations, ... is sent to oxidis and to a real redis-server (both
//! with small listpack limits so sets keep converting to `skiplist`), and every reply must be
//! byte-identical, as must OBJECT ENCODING and DEBUG DIGEST-VALUE along the way.
//! `ZSET_SEED=n` replays one sequence.
mod common;
use common::*;

/// Choosing from a list of words.
trait Pick {
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str;
}

impl Pick for Rng {
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
}

/// Keys with mixed scores (no lex operations: their result is unspecified there).
const ZKEYS: &[&str] = &["z1", "z2", "z3"];
/// Keys whose members all score 0, for lex ranges.
const LKEYS: &[&str] = &["l1", "l2"];
const SCORES: &[&str] = &[
    "0", "1", "2", "2.5", "-1", "-3.5", "10", "100", "inf", "-inf", "+inf", "0.5", "7",
];
const BOUNDS: &[&str] = &[
    "0", "1", "(1", "2", "(2.5", "-1", "(-inf", "-inf", "+inf", "(7", "10", "(100", "5",
];
const LEX: &[&str] = &[
    "-", "+", "[a", "(a", "[m3", "(m3", "[m7", "(m12", "[n", "[", "(m",
];

fn member(r: &mut Rng) -> String {
    if r.below(40) == 0 {
        // Longer than zset-max-listpack-value below: forces the skiplist encoding.
        format!("long-member-{}-{}", r.below(3), "x".repeat(20))
    } else {
        format!("m{}", r.below(14))
    }
}

fn rank(r: &mut Rng) -> String {
    (r.below(24) as i64 - 12).to_string()
}

fn any_key(r: &mut Rng) -> &'static str {
    if r.below(3) == 0 {
        r.pick(LKEYS)
    } else {
        r.pick(ZKEYS)
    }
}

fn gen(r: &mut Rng) -> Vec<String> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let z = r.pick(ZKEYS);
    let l = r.pick(LKEYS);
    match r.below(30) {
        0..=5 => {
            let lex = r.below(3) == 0;
            let key = if lex { l } else { z };
            let mut v = s(&["ZADD", key]);
            for f in ["NX", "XX", "GT", "LT", "CH"] {
                if r.below(6) == 0 {
                    v.push(f.into());
                }
            }
            let incr = r.below(8) == 0;
            if incr {
                v.push("INCR".into());
            }
            let n = if incr { 1 } else { 1 + r.below(4) };
            for _ in 0..n {
                v.push(if lex {
                    "0".into()
                } else {
                    r.pick(SCORES).into()
                });
                v.push(member(r));
            }
            v
        }
        6 => vec!["ZINCRBY".into(), z.into(), r.pick(SCORES).into(), member(r)],
        7 => {
            let mut v = s(&["ZREM", any_key(r)]);
            for _ in 0..1 + r.below(3) {
                v.push(member(r));
            }
            v
        }
        8 => {
            let k = any_key(r);
            match r.below(5) {
                0 => vec!["ZCARD".into(), k.into()],
                1 => vec!["ZSCORE".into(), k.into(), member(r)],
                2 => vec!["ZMSCORE".into(), k.into(), member(r), member(r)],
                3 => vec!["ZRANK".into(), k.into(), member(r)],
                _ => vec!["ZREVRANK".into(), k.into(), member(r)],
            }
        }
        9 => vec![
            "ZCOUNT".into(),
            any_key(r).into(),
            r.pick(BOUNDS).into(),
            r.pick(BOUNDS).into(),
        ],
        10 => vec![
            "ZLEXCOUNT".into(),
            l.into(),
            r.pick(LEX).into(),
            r.pick(LEX).into(),
        ],
        11..=13 => {
            let mut v = vec!["ZRANGE".into(), any_key(r).into()];
            let kind = r.below(3);
            match kind {
                0 => {
                    v.push(rank(r));
                    v.push(rank(r));
                }
                1 => {
                    v.push(r.pick(BOUNDS).into());
                    v.push(r.pick(BOUNDS).into());
                    v.push("BYSCORE".into());
                }
                _ => {
                    v[1] = l.into();
                    v.push(r.pick(LEX).into());
                    v.push(r.pick(LEX).into());
                    v.push("BYLEX".into());
                }
            }
            if r.below(2) == 0 {
                v.push("REV".into());
            }
            if kind != 0 && r.below(2) == 0 {
                v.push("LIMIT".into());
                v.push((r.below(6) as i64 - 1).to_string());
                v.push((r.below(6) as i64 - 1).to_string());
            }
            if kind != 2 && r.below(2) == 0 {
                v.push("WITHSCORES".into());
            }
            v
        }
        14 => {
            let k = any_key(r);
            match r.below(4) {
                0 => vec![
                    "ZREVRANGE".into(),
                    k.into(),
                    rank(r),
                    rank(r),
                    "WITHSCORES".into(),
                ],
                1 => vec![
                    "ZRANGEBYSCORE".into(),
                    k.into(),
                    r.pick(BOUNDS).into(),
                    r.pick(BOUNDS).into(),
                    "WITHSCORES".into(),
                ],
                2 => vec![
                    "ZREVRANGEBYSCORE".into(),
                    k.into(),
                    r.pick(BOUNDS).into(),
                    r.pick(BOUNDS).into(),
                    "LIMIT".into(),
                    r.below(3).to_string(),
                    r.below(4).to_string(),
                ],
                _ => vec![
                    if r.below(2) == 0 {
                        "ZRANGEBYLEX".into()
                    } else {
                        "ZREVRANGEBYLEX".into()
                    },
                    l.into(),
                    r.pick(LEX).into(),
                    r.pick(LEX).into(),
                ],
            }
        }
        15 => vec![
            "ZREMRANGEBYRANK".into(),
            any_key(r).into(),
            rank(r),
            rank(r),
        ],
        16 => vec![
            "ZREMRANGEBYSCORE".into(),
            any_key(r).into(),
            r.pick(BOUNDS).into(),
            r.pick(BOUNDS).into(),
        ],
        17 => vec![
            "ZREMRANGEBYLEX".into(),
            l.into(),
            r.pick(LEX).into(),
            r.pick(LEX).into(),
        ],
        18 => {
            let cmd = if r.below(2) == 0 {
                "ZPOPMIN"
            } else {
                "ZPOPMAX"
            };
            let mut v = s(&[cmd, any_key(r)]);
            if r.below(2) == 0 {
                v.push(r.below(4).to_string());
            }
            v
        }
        19 => vec![
            "ZMPOP".into(),
            "2".into(),
            any_key(r).into(),
            any_key(r).into(),
            r.pick(&["MIN", "MAX"]).into(),
            "COUNT".into(),
            (1 + r.below(3)).to_string(),
        ],
        20..=22 => {
            // Two sources for SUM (addition order would matter with more), up to three otherwise.
            let op = r.pick(&["ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"]);
            let store = op != "ZINTERCARD" && r.below(2) == 0;
            let aggr = r.pick(&["SUM", "MIN", "MAX"]);
            let n = if aggr == "SUM" {
                1 + r.below(2)
            } else {
                1 + r.below(3)
            };
            let mut v = vec![];
            if store {
                v.push(format!("{op}STORE"));
                v.push(z.into());
            } else {
                v.push(op.into());
            }
            v.push(n.to_string());
            for _ in 0..n {
                v.push(any_key(r).into());
            }
            if op == "ZUNION" || op == "ZINTER" {
                if r.below(2) == 0 {
                    v.push("WEIGHTS".into());
                    for _ in 0..n {
                        v.push(r.pick(&["1", "2", "-1", "0.5", "0"]).into());
                    }
                }
                if aggr != "SUM" || r.below(2) == 0 {
                    v.push("AGGREGATE".into());
                    v.push(aggr.into());
                }
            }
            if op == "ZINTERCARD" && r.below(2) == 0 {
                v.push("LIMIT".into());
                v.push(r.below(3).to_string());
            }
            if !store && op != "ZINTERCARD" && r.below(2) == 0 {
                v.push("WITHSCORES".into());
            }
            v
        }
        23 => {
            let src = any_key(r);
            let mut v = s(&["ZRANGESTORE", z, src]);
            if src.starts_with('l') && r.below(2) == 0 {
                v.extend([r.pick(LEX).into(), r.pick(LEX).into(), "BYLEX".into()]);
            } else if r.below(2) == 0 {
                v.extend([
                    r.pick(BOUNDS).into(),
                    r.pick(BOUNDS).into(),
                    "BYSCORE".into(),
                ]);
            } else {
                v.extend([rank(r), rank(r)]);
            }
            if r.below(3) == 0 {
                v.push("REV".into());
            }
            v
        }
        24 => vec!["ZRANDMEMBER".into(), any_key(r).into(), "0".into()],
        25 => vec![
            "ZSCAN".into(),
            any_key(r).into(),
            "0".into(),
            "MATCH".into(),
            "*1*".into(),
            "COUNT".into(),
            "1000".into(),
        ],
        26 | 27 => vec!["OBJECT".into(), "ENCODING".into(), any_key(r).into()],
        _ => vec!["DEBUG".into(), "DIGEST-VALUE".into(), any_key(r).into()],
    }
}

#[test]
fn random_sorted_set_commands_match_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    let seeds: Vec<u64> = match std::env::var("ZSET_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => (1..=4)
            .map(|i| i * 7919 + std::process::id() as u64)
            .collect(),
    };
    let args = [
        "--enable-debug-command",
        "yes",
        "--zset-max-listpack-entries",
        "8",
        "--zset-max-listpack-value",
        "16",
    ];
    let ox = start_oxidis(&args);
    let rd = start_redis(&args);
    let (mut a, mut b) = (ox.conn(), rd.conn());
    for seed in seeds {
        let mut r = Rng(seed | 1);
        assert_eq!(a.s(&["FLUSHALL"]), b.s(&["FLUSHALL"]));
        let mut last: Vec<String> = Vec::new();
        for i in 0..3000 {
            let cmd = gen(&mut r);
            let refs: Vec<&str> = cmd.iter().map(|s| s.as_str()).collect();
            let (x, y) = (a.s(&refs), b.s(&refs));
            if std::env::var_os("ZSET_TRACE").is_some() {
                println!("#{i} {cmd:?} -> {y:?}");
            }
            // ZSCAN of a skiplist walks a hash table: compare contents only.
            let same = if cmd[0] == "ZSCAN" && x != y {
                let mut xs: Vec<&str> = x.split("\r\n").collect();
                let mut ys: Vec<&str> = y.split("\r\n").collect();
                xs.sort();
                ys.sort();
                xs == ys
            } else {
                x == y
            };
            if !same {
                for k in ZKEYS.iter().chain(LKEYS) {
                    let c = ["ZRANGE", k, "0", "-1", "WITHSCORES"];
                    println!("{k}: oxidis {:?}\n{k}:  redis {:?}", a.s(&c), b.s(&c));
                }
            }
            assert!(
                same,
                "seed {seed} (ZSET_SEED={seed}), command #{i} {cmd:?}\n oxidis: {x:?}\n  redis: {y:?}\n previous: {last:?}"
            );
            last = cmd;
        }
        for k in ZKEYS.iter().chain(LKEYS) {
            let cmd = ["ZRANGE", k, "0", "-1", "WITHSCORES"];
            assert_eq!(a.s(&cmd), b.s(&cmd), "seed {seed}: final {k}");
        }
        assert_eq!(a.s(&["DEBUG", "DIGEST"]), b.s(&["DEBUG", "DIGEST"]));
    }
}
