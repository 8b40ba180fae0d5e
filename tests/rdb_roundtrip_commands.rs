//! Round trip: random datasets of every type and encoding size, written by `rdb::save` and read
//! back by `rdb::load`, are equal: same keys per database, same values, same expiry times, and
//! the encoding Redis 7.0 gives a freshly loaded value (its "natural" encoding: a collection
//! that once grew past a limit and shrank again loads compact, as in Redis).
use oxidis::config::{Config, EncLimits};
use oxidis::db::{Keyspace, Value, NO_EXPIRE};
use oxidis::dispatch::execute;
use oxidis::rdb::{LoadOpts, SaveInfo};
use oxidis::server::client::Client;
use oxidis::server::Server;
use oxidis::util::{now_ms, xorshift64};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        xorshift64(&mut self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A random element: small and large integers, short words, long or binary strings.
fn element(r: &mut Rng) -> Vec<u8> {
    match r.below(8) {
        0 => (r.below(200) as i64 - 100).to_string().into_bytes(),
        1 => (r.next() as i64).to_string().into_bytes(),
        2 => (r.below(100_000) as i64).to_string().into_bytes(),
        3 => format!("w{}", r.below(1000)).into_bytes(),
        4 => vec![b'a' + r.below(26) as u8; 1 + r.below(100) as usize],
        5 => (0..r.below(40)).map(|_| r.next() as u8).collect(),
        6 => format!("{}", r.below(10))
            .repeat(1 + r.below(30) as usize)
            .into_bytes(),
        _ => format!("member:{}:{}", r.below(50), r.below(50)).into_bytes(),
    }
}

fn score(r: &mut Rng) -> Vec<u8> {
    match r.below(6) {
        0 => b"inf".to_vec(),
        1 => b"-inf".to_vec(),
        2 => (r.below(1000) as i64 - 500).to_string().into_bytes(),
        3 => format!("{}", (r.next() as i64) as f64 / 1e6).into_bytes(),
        _ => format!("{}", r.below(100_000) as f64 / 7.0).into_bytes(),
    }
}

/// Random commands building a dataset over a few databases; some collections grow past
/// their compact limits and are then cut back.
fn commands(seed: u64) -> Vec<Vec<Vec<u8>>> {
    let mut r = Rng(seed | 1);
    let mut out: Vec<Vec<Vec<u8>>> = Vec::new();
    let b = |s: &str| s.as_bytes().to_vec();
    for db in [0u64, 1, 7, 15] {
        out.push(vec![b("SELECT"), db.to_string().into_bytes()]);
        for k in 0..60 {
            let key = format!("k{k}:{}", r.below(1_000_000)).into_bytes();
            let large = r.below(4) == 0;
            let n = if large {
                100 + r.below(900)
            } else {
                1 + r.below(20)
            };
            match r.below(6) {
                0 => out.push(vec![b("SET"), key.clone(), element(&mut r)]),
                1 => {
                    let cmd = if r.below(2) == 0 { "RPUSH" } else { "LPUSH" };
                    let mut c = vec![b(cmd), key.clone()];
                    c.extend((0..n).map(|_| element(&mut r)));
                    out.push(c);
                }
                2 => {
                    let mut c = vec![b("HSET"), key.clone()];
                    for _ in 0..n {
                        c.push(element(&mut r));
                        c.push(element(&mut r));
                    }
                    out.push(c);
                    if large {
                        let mut d = vec![b("HDEL"), key.clone()];
                        d.extend((0..n).map(|_| element(&mut r)));
                        out.push(d);
                    }
                }
                3 => {
                    let ints = r.below(2) == 0;
                    let mut c = vec![b("SADD"), key.clone()];
                    c.extend((0..n).map(|_| {
                        if ints {
                            (r.next() as i64 >> r.below(60)).to_string().into_bytes()
                        } else {
                            element(&mut r)
                        }
                    }));
                    out.push(c);
                }
                4 => {
                    let mut c = vec![b("ZADD"), key.clone()];
                    for _ in 0..n {
                        c.push(score(&mut r));
                        c.push(element(&mut r));
                    }
                    out.push(c);
                    if large {
                        out.push(vec![b("ZREMRANGEBYRANK"), key.clone(), b("0"), b("-5")]);
                    }
                }
                _ => {
                    let mut c = vec![b("SADD"), key.clone(), b("x")];
                    c.extend((0..n).map(|i| i.to_string().into_bytes()));
                    out.push(c);
                    out.push(vec![b("SREM"), key.clone(), b("x")]);
                }
            }
            if r.below(3) == 0 {
                let ms = (1000 + r.below(100_000_000)).to_string().into_bytes();
                out.push(vec![b("PEXPIRE"), key, ms]);
            }
        }
    }
    out
}

/// The encoding Redis 7.0 gives `v` when it loads it from an RDB file.
fn natural_encoding(v: &Value, lim: &EncLimits) -> &'static str {
    let small = |n: usize, max: u64| n as u64 <= max;
    match v {
        Value::Str(s, _) => Value::string(s.to_vec()).encoding(),
        Value::List(_) => "quicklist",
        Value::Stream(_) => "stream",
        Value::Hash(h) => {
            let fits = small(h.len(), lim.hash_max_listpack_entries)
                && h.iter().all(|(f, x)| {
                    small(f.len(), lim.hash_max_listpack_value)
                        && small(x.len(), lim.hash_max_listpack_value)
                });
            if fits {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Value::Set(s) => {
            let ints = s
                .members()
                .iter()
                .all(|m| oxidis::util::parse_i64(m).is_some());
            if ints && small(s.len(), lim.set_max_intset_entries) {
                "intset"
            } else {
                "hashtable"
            }
        }
        Value::ZSet(z) => {
            let fits = small(z.len(), lim.zset_max_listpack_entries)
                && z.members()
                    .iter()
                    .all(|(m, _)| small(m.len(), lim.zset_max_listpack_value));
            if fits {
                "listpack"
            } else {
                "skiplist"
            }
        }
    }
}

/// Values equal in content (whatever the encoding).
fn same_content(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x, _), Value::Str(y, _)) => x[..] == y[..],
        (Value::ZSet(x), Value::ZSet(y)) => x.members() == y.members(),
        _ => a == b,
    }
}

fn round_trip(seed: u64, compress: bool) {
    let mut srv = Server::new(Config::default(), oxidis::cmd::all_commands());
    let mut c = Client::new(1, 0, None, srv.now_ms);
    for mut args in commands(seed) {
        let r = execute(&mut srv, &mut c, &mut args);
        assert!(!r.is_error(), "seed {seed}: {r:?}");
    }
    let lim = srv.config.enc;
    let info = SaveInfo {
        ctime: now_ms() / 1000,
        used_mem: 1 << 20,
        repl_id: String::new(),
        repl_offset: 0,
        repl_stream_db: -1,
        compress,
        checksum: true,
        key_save_delay_us: 0,
        functions: Vec::new(),
    };
    let bytes = oxidis::rdb::save(&srv.role.keyspace, Vec::new(), &info).expect("save");
    let opts = LoadOpts {
        databases: 16,
        lim,
        now: now_ms(),
        drop_expired: true,
        key_load_delay_us: 0,
        progress: None,
    };
    let loaded: Keyspace = match oxidis::rdb::load(&bytes[..], opts) {
        Ok(info) => info.keyspace,
        Err(e) => panic!("seed {seed}: load failed: {e}"),
    };
    let mut bad = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut shrunk = 0;
    for (id, (want, got)) in srv.role.keyspace.dbs.iter().zip(&loaded.dbs).enumerate() {
        if want.len() != got.len() {
            bad.push(format!(
                "db {id}: {} keys, loaded {}",
                want.len(),
                got.len()
            ));
        }
        for (k, e) in want.dict.iter() {
            let name = String::from_utf8_lossy(k);
            let Some(g) = got.dict.get(k) else {
                bad.push(format!("db {id} {name}: missing"));
                continue;
            };
            if !same_content(&e.value, &g.value) {
                bad.push(format!("db {id} {name}: value differs"));
            }
            if e.expire_at != g.expire_at {
                bad.push(format!(
                    "db {id} {name}: expire {} loaded {}",
                    e.expire_at, g.expire_at
                ));
            }
            if (e.expire_at != NO_EXPIRE) != got.expires.contains_key(k) {
                bad.push(format!("db {id} {name}: expires table"));
            }
            let enc = natural_encoding(&e.value, &lim);
            seen.insert((e.value.type_name(), e.value.encoding()));
            shrunk += usize::from(enc != e.value.encoding());
            if g.value.encoding() != enc {
                bad.push(format!(
                    "db {id} {name}: encoding {} (want {enc})",
                    g.value.encoding()
                ));
            }
        }
    }
    // The dataset covers every type in both encodings, and collections that shrank.
    assert!(
        seen.len() >= 10 && shrunk > 0,
        "seed {seed}: {seen:?}, {shrunk} shrunk"
    );
    assert!(
        bad.is_empty(),
        "seed {seed} compress {compress}:\n{}",
        bad.join("\n")
    );
}

#[test]
fn random_datasets_round_trip() {
    for seed in [1u64, 7, 42, 2024, 0xdead_beef] {
        round_trip(seed, seed % 2 == 0);
    }
}
