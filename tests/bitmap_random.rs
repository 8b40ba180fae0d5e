//! Randomized differential test of the bitmap commands: the same seeded sequence of SETBIT,
//! GETBIT, BITCOUNT, BITPOS, BITFIELD (every width, `#N` offsets, all overflow modes),
//! BITFIELD_RO and BITOP, mixed with SET/APPEND of integer and text values, goes to oxidis and
//! to a real redis-server; every reply must be byte-identical, and so must the values, their
//! encodings and the whole keyspace's digest at the end. RESP3 on odd seeds.
//! `BITMAP_SEED=n` replays one sequence (as printed on failure), `BITMAP_TRACE=1` prints it.
mod common;
use common::*;

const KEYS: &[&str] = &["b1", "b2", "b3", "n1", "missing"];
const COMMANDS_PER_SEED: usize = 3000;

fn pick<'a>(r: &mut Rng, v: &[&'a str]) -> &'a str {
    v[r.below(v.len())]
}

fn key(r: &mut Rng) -> String {
    pick(r, KEYS).to_string()
}

/// A signed number around `span`, sometimes far out or not a number at all.
fn index(r: &mut Rng, span: i64) -> String {
    match r.below(20) {
        0 => pick(
            r,
            &[
                "abc",
                "",
                "1.5",
                "9223372036854775807",
                "-9223372036854775808",
            ],
        )
        .into(),
        _ => (r.below(2 * span as usize + 1) as i64 - span).to_string(),
    }
}

/// A bit offset: mostly small, sometimes past the end, rarely invalid.
fn offset(r: &mut Rng) -> String {
    match r.below(40) {
        0 => pick(r, &["-1", "abc", "4294967296", "1.0"]).into(),
        1..=3 => (r.below(2000) + 300).to_string(),
        _ => r.below(300).to_string(),
    }
}

fn field_type(r: &mut Rng) -> String {
    match r.below(30) {
        0 => pick(r, &["u64", "i65", "i0", "I8", "x8", "u"]).into(),
        n if n % 2 == 0 => format!("i{}", r.below(64) + 1),
        _ => format!("u{}", r.below(63) + 1),
    }
}

fn field_offset(r: &mut Rng) -> String {
    match r.below(10) {
        0 => format!("#{}", r.below(8)),
        1 if r.below(5) == 0 => pick(r, &["-1", "#", "#-1", "#abc"]).into(),
        _ => r.below(250).to_string(),
    }
}

fn value(r: &mut Rng) -> String {
    match r.below(10) {
        0 => pick(
            r,
            &[
                "9223372036854775807",
                "-9223372036854775808",
                "4611686018427387904",
                "abc",
            ],
        )
        .into(),
        1 => (r.next() as i64).to_string(),
        2 | 3 => (r.below(2001) as i64 - 1000).to_string(),
        _ => (r.below(41) as i64 - 20).to_string(),
    }
}

fn bitfield(r: &mut Rng, read_only: bool) -> Vec<String> {
    let mut v = vec![
        if read_only { "BITFIELD_RO" } else { "BITFIELD" }.to_string(),
        key(r),
    ];
    for _ in 0..r.below(4) + 1 {
        let sub = if read_only && r.below(20) != 0 {
            0
        } else {
            r.below(4)
        };
        match sub {
            0 => v.extend(["GET".into(), field_type(r), field_offset(r)]),
            1 => v.extend(["SET".into(), field_type(r), field_offset(r), value(r)]),
            2 => v.extend(["INCRBY".into(), field_type(r), field_offset(r), value(r)]),
            _ => v.extend([
                "OVERFLOW".into(),
                pick(r, &["WRAP", "SAT", "FAIL", "sat", "bad"]).into(),
            ]),
        }
    }
    v
}

fn gen(r: &mut Rng) -> Vec<String> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let k = key(r);
    match r.below(40) {
        0..=6 => {
            let bit = if r.below(30) == 0 {
                "2"
            } else {
                pick(r, &["0", "1"])
            };
            vec!["SETBIT".into(), k, offset(r), bit.into()]
        }
        7..=9 => vec!["GETBIT".into(), k, offset(r)],
        10..=14 => {
            let mut v = vec!["BITCOUNT".into(), k];
            match r.below(4) {
                0 => {}
                1 => v.extend([index(r, 40), index(r, 40)]),
                2 => v.extend([index(r, 300), index(r, 300), "BIT".into()]),
                _ => v.extend([
                    index(r, 40),
                    index(r, 40),
                    pick(r, &["BYTE", "bit", "x"]).into(),
                ]),
            }
            v
        }
        15..=19 => {
            let bit = if r.below(30) == 0 {
                "2"
            } else {
                pick(r, &["0", "1"])
            };
            let mut v = vec!["BITPOS".into(), k, bit.into()];
            match r.below(5) {
                0 => {}
                1 => v.push(index(r, 40)),
                2 => v.extend([index(r, 40), index(r, 40)]),
                3 => v.extend([index(r, 300), index(r, 300), "BIT".into()]),
                _ => v.extend([index(r, 40), index(r, 40), "BYTE".into()]),
            }
            v
        }
        20..=26 => bitfield(r, false),
        27..=28 => bitfield(r, true),
        29..=31 => {
            let op = pick(r, &["AND", "OR", "XOR", "NOT", "and"]);
            let n = if op == "NOT" && r.below(10) != 0 {
                1
            } else {
                r.below(3) + 1
            };
            let mut v = s(&["BITOP", op]);
            v.push(key(r));
            for _ in 0..n {
                v.push(key(r));
            }
            v
        }
        32 => {
            let val = match r.below(3) {
                0 => (r.next() as i64).to_string(),
                1 => r.below(100000).to_string(),
                _ => pick(r, &["foobar", "", "hello world", "\u{7f}~"]).to_string(),
            };
            vec!["SET".into(), k, val]
        }
        33 => vec!["APPEND".into(), k, pick(r, &["1", "x", "00"]).into()],
        34 => s(&["DEL", &k]),
        35 => s(&["OBJECT", "ENCODING", &k]),
        36 => s(&["STRLEN", &k]),
        _ => s(&["GET", &k]),
    }
}

#[test]
fn random_bitmap_commands_match_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    let seeds: Vec<u64> = match std::env::var("BITMAP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(s) => vec![s],
        None => (1..=4)
            .map(|i| i * 104729 + std::process::id() as u64)
            .collect(),
    };
    let args = ["--enable-debug-command", "yes"];
    let ox = start_oxidis(&args);
    let rd = start_redis(&args);
    let (mut a, mut b) = (ox.conn(), rd.conn());
    let trace = std::env::var_os("BITMAP_TRACE").is_some();
    let mut total = 0;
    for seed in seeds {
        let mut r = Rng(seed | 1);
        let proto = if seed % 2 == 1 { "3" } else { "2" };
        for c in [&mut a, &mut b] {
            c.cmd(&["FLUSHALL"]);
            c.cmd(&["HELLO", proto]);
        }
        let mut last: Vec<Vec<String>> = Vec::new();
        for i in 0..COMMANDS_PER_SEED {
            let cmd = gen(&mut r);
            let refs: Vec<&str> = cmd.iter().map(|s| s.as_str()).collect();
            let (x, y) = (a.cmd(&refs), b.cmd(&refs));
            if trace {
                println!("#{i} {cmd:?} -> {:?}", String::from_utf8_lossy(&y));
            }
            assert!(
                x == y,
                "seed {seed} (BITMAP_SEED={seed}), command #{i} {cmd:?}\n oxidis: {:?}\n  redis: {:?}\n previous: {last:?}",
                String::from_utf8_lossy(&x),
                String::from_utf8_lossy(&y)
            );
            last.push(cmd);
            if last.len() > 8 {
                last.remove(0);
            }
            total += 1;
        }
        for k in KEYS {
            for c in [&["GET", k][..], &["OBJECT", "ENCODING", k]] {
                assert_eq!(a.cmd(c), b.cmd(c), "seed {seed}: final {c:?}");
            }
        }
        assert_eq!(
            a.cmd(&["DEBUG", "DIGEST"]),
            b.cmd(&["DEBUG", "DIGEST"]),
            "seed {seed}: final digest"
        );
    }
    eprintln!("bitmap_random: {total} commands matched");
}
