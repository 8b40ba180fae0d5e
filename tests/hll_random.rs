//! Randomized differential test of the HyperLogLog commands: the same random sequence of
//! PFADD (random binary elements, small and large batches), PFCOUNT (single and multi-key),
//! PFMERGE, PFDEBUG and GET of the raw values runs against oxidis and a real redis-server,
//! each seed with its own `hll-sparse-max-bytes`, and every reply must be byte-identical: the
//! sparse and dense representations, the cached cardinality and the estimates all match.
//! Fixed seeds; `HLL_SEED=n` replays one, `HLL_TRACE=1` prints every command.
mod common;
use common::*;

const KEYS: &[&str] = &["h0", "h1", "h2", "h3", "missing", "str"];
const LIMITS: &[&str] = &["3000", "200", "1000", "64"];

fn key(r: &mut Rng) -> Vec<u8> {
    // Mostly the HyperLogLog keys; sometimes a missing key or a plain string.
    let i = if r.below(10) == 0 {
        4 + r.below(2)
    } else {
        r.below(4)
    };
    KEYS[i].as_bytes().to_vec()
}

fn element(r: &mut Rng) -> Vec<u8> {
    if r.below(3) == 0 {
        let n = r.below(24);
        (0..n).map(|_| r.next() as u8).collect()
    } else {
        format!("e{}", r.below(200_000)).into_bytes()
    }
}

fn gen(r: &mut Rng) -> Vec<Vec<u8>> {
    let b = |s: &str| s.as_bytes().to_vec();
    match r.below(24) {
        0..=9 | 20 => {
            let mut v = vec![b("PFADD"), key(r)];
            let n = if r.below(25) == 0 {
                20 + r.below(150)
            } else {
                r.below(8)
            };
            v.extend((0..n).map(|_| element(r)));
            v
        }
        10..=12 | 15 => vec![b("PFCOUNT"), key(r)],
        13 => {
            let mut v = vec![b("PFCOUNT")];
            v.extend((0..2 + r.below(3)).map(|_| key(r)));
            v
        }
        14 => {
            let mut v = vec![b("PFMERGE")];
            v.extend((0..1 + r.below(3)).map(|_| key(r)));
            v
        }
        16 | 17 => vec![b("GET"), key(r)],
        18 => vec![b("PFDEBUG"), b("ENCODING"), key(r)],
        19 => vec![b("PFDEBUG"), b("DECODE"), key(r)],
        21 if r.below(4) == 0 => vec![b("PFDEBUG"), b("TODENSE"), key(r)],
        21 => vec![b("PFDEBUG"), b("ENCODING"), key(r)],
        22 => vec![b("OBJECT"), b("ENCODING"), key(r)],
        _ => match r.below(4) {
            0 | 1 => vec![b("DEL"), key(r)],
            2 => vec![b("SET"), b("str"), element(r)],
            _ => vec![b("STRLEN"), key(r)],
        },
    }
}

fn show(cmd: &[Vec<u8>]) -> String {
    let mut s: Vec<String> = cmd
        .iter()
        .take(6)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    if cmd.len() > 6 {
        s.push(format!("... ({} args)", cmd.len()));
    }
    s.join(" ")
}

#[test]
fn random_hyperloglog_commands_match_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    let seeds: Vec<u64> = match std::env::var("HLL_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => vec![3, 11, 23, 37],
    };
    let trace = std::env::var_os("HLL_TRACE").is_some();
    let ox = start_oxidis(&["--enable-debug-command", "yes"]);
    let rd = start_redis(&["--enable-debug-command", "yes"]);
    let (mut a, mut b) = (ox.conn(), rd.conn());
    for seed in seeds {
        let mut r = Rng(seed);
        let limit = LIMITS[(seed / 10 % LIMITS.len() as u64) as usize];
        for c in [&mut a, &mut b] {
            assert_eq!(c.s(&["FLUSHALL"]), "+OK\r\n");
            let set = ["CONFIG", "SET", "hll-sparse-max-bytes", limit];
            assert_eq!(c.s(&set), "+OK\r\n");
        }
        let mut last = String::new();
        for i in 0..1500 {
            let cmd = gen(&mut r);
            let refs: Vec<&[u8]> = cmd.iter().map(|v| v.as_slice()).collect();
            let (x, y) = (a.cmd_bin(&refs), b.cmd_bin(&refs));
            if trace {
                println!("#{i} {} -> {:?}", show(&cmd), String::from_utf8_lossy(&y));
            }
            assert!(
                x == y,
                "seed {seed} (HLL_SEED={seed}, hll-sparse-max-bytes {limit}), command #{i} {}\n oxidis: {:?}\n  redis: {:?}\n previous: {last}",
                show(&cmd),
                String::from_utf8_lossy(&x),
                String::from_utf8_lossy(&y),
            );
            last = show(&cmd);
        }
        for k in KEYS {
            assert_eq!(
                a.cmd(&["GET", k]),
                b.cmd(&["GET", k]),
                "seed {seed}: final {k}"
            );
        }
        assert_eq!(a.s(&["DEBUG", "DIGEST"]), b.s(&["DEBUG", "DIGEST"]));
    }
}
