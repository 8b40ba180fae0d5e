//! Randomized differential test of the GEO commands: random points (spread over the globe,
//! clustered around a few centres, duplicated for ties, on the poles' limits and the
//! antimeridian) and random searches of every form and option are sent to oxidis and to a
//! real redis-server, and every reply must be byte-identical: members, their order with and
//! without ASC/DESC, COUNT cuts among equal distances, distances, hashes and coordinates.
//! Small listpack limits make the sets switch to `skiplist` along the way.
//! `GEO_SEED=n` replays one sequence (the seed is printed on failure), `GEO_TRACE=1` prints
//! every command.
mod common;
use common::*;
use std::time::{Duration, Instant};

const KEYS: &[&str] = &["g1", "g2"];
/// Cluster centres: ordinary places, the antimeridian, near the latitude limits, the origin.
const CENTRES: &[(f64, f64)] = &[
    (13.361389, 38.115556),
    (-73.985, 40.758),
    (179.95, -16.5),
    (-179.95, 52.0),
    (0.0, 0.0),
    (10.0, 84.9),
    (-120.0, -84.9),
    (151.2, -33.86),
];
const UNITS: &[&str] = &["m", "km", "ft", "mi", "KM"];
/// Wall-clock budget: seeds beyond it are skipped with a message.
const BUDGET: Duration = Duration::from_secs(40);

fn unit_f(r: &mut Rng) -> f64 {
    r.next() as f64 / u64::MAX as f64
}

fn member(r: &mut Rng) -> String {
    format!("p{}", r.below(60))
}

fn fmt(v: f64) -> String {
    let digits = [0usize, 2, 4, 6, 9][(v.to_bits() % 5) as usize];
    format!("{v:.digits$}")
}

/// A point: anywhere, near a centre, or on an edge of the valid area.
fn point(r: &mut Rng) -> (f64, f64) {
    match r.below(10) {
        0..=2 => (unit_f(r) * 360.0 - 180.0, unit_f(r) * 170.1 - 85.05),
        3 => {
            let lon = *[-180.0, 180.0, 0.0, 179.999999]
                .get(r.below(4))
                .unwrap_or(&0.0);
            let lat = *[85.05112878, -85.05112878, 0.0, 85.0]
                .get(r.below(4))
                .unwrap_or(&0.0);
            (lon, lat)
        }
        _ => {
            let (cx, cy) = CENTRES[r.below(CENTRES.len())];
            let spread = [0.001, 0.05, 0.5, 3.0][r.below(4)];
            let lon = (cx + (unit_f(r) * 2.0 - 1.0) * spread).clamp(-180.0, 180.0);
            let lat = (cy + (unit_f(r) * 2.0 - 1.0) * spread).clamp(-85.05, 85.05);
            (lon, lat)
        }
    }
}

/// A search radius or box side: from 0 to half the globe, in a random unit.
fn extent(r: &mut Rng) -> String {
    let km = [0.0, 0.001, 0.5, 5.0, 50.0, 300.0, 2000.0, 8000.0, 25000.0][r.below(9)];
    let v = km * (0.5 + unit_f(r));
    fmt(v)
}

/// FROMMEMBER or FROMLONLAT, BYRADIUS or BYBOX, in either order.
fn geosearch_body(r: &mut Rng, v: &mut Vec<String>) {
    let from: Vec<String> = if r.below(3) == 0 {
        vec!["FROMMEMBER".into(), member(r)]
    } else {
        let (x, y) = point(r);
        vec!["FROMLONLAT".into(), fmt(x), fmt(y)]
    };
    let unit = UNITS[r.below(UNITS.len())].to_string();
    let by: Vec<String> = if r.below(2) == 0 {
        vec!["BYRADIUS".into(), extent(r), unit]
    } else {
        vec!["BYBOX".into(), extent(r), extent(r), unit]
    };
    if r.below(4) == 0 {
        v.extend(by);
        v.extend(from);
    } else {
        v.extend(from);
        v.extend(by);
    }
}

/// ASC/DESC, COUNT [ANY], and (when `with`) the WITH* options, shuffled a little.
fn options(r: &mut Rng, v: &mut Vec<String>, with: bool) {
    let mut opts: Vec<Vec<String>> = Vec::new();
    match r.below(3) {
        0 => opts.push(vec!["ASC".into()]),
        1 => opts.push(vec!["DESC".into()]),
        _ => {}
    }
    if r.below(2) == 0 {
        let mut c = vec!["COUNT".into(), (1 + r.below(8)).to_string()];
        if r.below(3) == 0 {
            c.push("ANY".into());
        }
        opts.push(c);
    }
    if with {
        for w in ["WITHDIST", "WITHHASH", "WITHCOORD"] {
            if r.below(2) == 0 {
                opts.push(vec![w.into()]);
            }
        }
    }
    if opts.len() > 1 && r.below(2) == 0 {
        opts.reverse();
    }
    v.extend(opts.into_iter().flatten());
}

fn gen(r: &mut Rng) -> Vec<String> {
    let k = KEYS[r.below(KEYS.len())].to_string();
    match r.below(20) {
        0..=5 => {
            let mut v = vec!["GEOADD".into(), k];
            match r.below(8) {
                0 => v.push("NX".into()),
                1 => v.push("XX".into()),
                2 => v.push("CH".into()),
                _ => {}
            }
            for _ in 0..1 + r.below(4) {
                let (x, y) = point(r);
                v.extend([fmt(x), fmt(y), member(r)]);
            }
            v
        }
        6 => vec!["ZREM".into(), k, member(r)],
        7 => vec!["GEOPOS".into(), k, member(r), member(r)],
        8 => vec!["GEOHASH".into(), k, member(r), member(r)],
        9 => {
            let mut v = vec!["GEODIST".into(), k, member(r), member(r)];
            if r.below(2) == 0 {
                v.push(UNITS[r.below(UNITS.len())].into());
            }
            v
        }
        10..=13 => {
            let mut v = vec!["GEOSEARCH".into(), k];
            geosearch_body(r, &mut v);
            options(r, &mut v, true);
            v
        }
        14 => {
            let mut v = vec!["GEOSEARCHSTORE".into(), "dst".into(), k];
            geosearch_body(r, &mut v);
            options(r, &mut v, false);
            if r.below(2) == 0 {
                v.push("STOREDIST".into());
            }
            v
        }
        15 | 16 => {
            let ro = r.below(2) == 0;
            let mut v = vec![if ro { "GEORADIUS_RO" } else { "GEORADIUS" }.into(), k];
            let (x, y) = point(r);
            v.extend([
                fmt(x),
                fmt(y),
                extent(r),
                UNITS[r.below(UNITS.len())].into(),
            ]);
            let store = !ro && r.below(3) == 0;
            options(r, &mut v, !store);
            if store {
                let s = if r.below(2) == 0 {
                    "STORE"
                } else {
                    "STOREDIST"
                };
                v.extend([s.into(), "dst".into()]);
            }
            v
        }
        17 => {
            let ro = r.below(2) == 0;
            let name = if ro {
                "GEORADIUSBYMEMBER_RO"
            } else {
                "GEORADIUSBYMEMBER"
            };
            let mut v = vec![name.into(), k, member(r), extent(r)];
            v.push(UNITS[r.below(UNITS.len())].into());
            options(r, &mut v, true);
            v
        }
        _ => vec![
            "ZRANGE".into(),
            "dst".into(),
            "0".into(),
            "-1".into(),
            "WITHSCORES".into(),
        ],
    }
}

#[test]
fn random_geo_commands_match_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    let seeds: Vec<u64> = match std::env::var("GEO_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => vec![1, 2, 3, 4, 5, 6],
    };
    let trace = std::env::var_os("GEO_TRACE").is_some();
    let args = [
        "--zset-max-listpack-entries",
        "16",
        "--zset-max-listpack-value",
        "64",
    ];
    let ox = start_oxidis(&args);
    let rd = start_redis(&args);
    let (mut a, mut b) = (ox.conn(), rd.conn());
    let start = Instant::now();
    for seed in seeds {
        if start.elapsed() > BUDGET {
            eprintln!("geo_random: time budget spent, seed {seed} and later skipped");
            break;
        }
        let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        assert_eq!(a.s(&["FLUSHALL"]), b.s(&["FLUSHALL"]));
        let mut last: Vec<Vec<String>> = Vec::new();
        for i in 0..2500 {
            let cmd = gen(&mut r);
            let refs: Vec<&str> = cmd.iter().map(|s| s.as_str()).collect();
            let (x, y) = (a.s(&refs), b.s(&refs));
            if trace {
                println!("#{i} {cmd:?} -> {y:?}");
            }
            assert!(
                x == y,
                "seed {seed} (GEO_SEED={seed}), command #{i} {}\n oxidis: {x:?}\n  redis: {y:?}\n previous: {:?}",
                cmd.join(" "),
                last.iter().map(|c| c.join(" ")).collect::<Vec<_>>()
            );
            last.push(cmd);
            if last.len() > 5 {
                last.remove(0);
            }
        }
        for k in KEYS.iter().chain(&["dst"]) {
            let cmd = ["ZRANGE", k, "0", "-1", "WITHSCORES"];
            assert_eq!(a.s(&cmd), b.s(&cmd), "seed {seed}: final {k}");
        }
    }
}
